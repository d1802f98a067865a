// Updates in the desktop app: one quiet check after start-up, "Check for Updates…" on demand,
// and a status-bar item for an available update. The quiet check never shows an error (no
// network at start is normal); the asked-for one says what happened. Installing asks about
// unsaved edits first, and only a download whose signature held can be installed.

import type { UpdateInfo, Updater } from '../backend';
import { choose, errorMessage, toast } from '../dialogs';

/** The status item's states (data-update on the element; the desktop test reads it). */
type State = 'idle' | 'checking' | 'none' | 'unreachable' | 'available' | 'downloading' | 'ready' | 'refused';

export class Updates {
  private found: UpdateInfo | null = null;
  private busy = false;

  constructor(
    private readonly updater: Updater,
    readonly el: HTMLElement,
    /** Resolves false when the user keeps unsaved edits (then nothing restarts). */
    private readonly confirmRestart: () => Promise<boolean>,
  ) {
    el.addEventListener('click', () => void this.offer());
    this.set('idle');
  }

  /** After start-up: an update shows in the status bar; anything else only in the log. */
  async checkQuietly(): Promise<void> {
    await this.check(false);
  }

  /** The user asked: every outcome is said. */
  async checkNow(): Promise<void> {
    await this.check(true);
    if (this.found) await this.offer();
  }

  private async check(loud: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.set('checking');
    try {
      this.found = await this.updater.check();
      if (this.found) {
        this.set('available', `⬆ Weft ${this.found.version}`, `Weft ${this.found.version} is available (this is ${this.found.currentVersion}): click to install`);
      } else {
        this.set('none');
        if (loud) toast('Weft is up to date.');
      }
    } catch (e) {
      console.info('update check:', errorMessage(e));
      this.set('unreachable');
      if (loud) toast(`Could not check for updates: ${errorMessage(e)}`, 'error');
    } finally {
      this.busy = false;
    }
  }

  private async offer(): Promise<void> {
    const u = this.found;
    if (!u || this.busy) return;
    if (this.el.dataset.update === 'ready') return this.restart(u);
    const notes = u.notes?.trim() ? `\n\n${u.notes.trim()}` : '';
    const answer = await choose(`Weft ${u.version} is available`, `You have ${u.currentVersion}.${notes}`, [
      { label: 'Download and Install', value: 'download', primary: true },
      { label: 'Later', value: 'later' },
    ]);
    if (answer !== 'download') return;
    this.busy = true;
    this.set('downloading', `⬆ Downloading ${u.version}…`);
    try {
      await this.updater.download((received, total) => {
        this.el.textContent = total ? `⬆ Downloading ${u.version}… ${Math.floor((100 * received) / total)}%` : `⬆ Downloading ${u.version}… ${(received / 1e6).toFixed(1)} MB`;
      });
      this.set('ready', `⬆ Restart to update to ${u.version}`, 'The update is downloaded and its signature checked: click to restart into it');
    } catch (e) {
      this.found = null;
      this.set('refused');
      toast(`Weft ${u.version} was not installed: ${errorMessage(e)}`, 'error');
      return;
    } finally {
      this.busy = false;
    }
    await this.restart(u);
  }

  private async restart(u: UpdateInfo): Promise<void> {
    const answer = await choose(`Weft ${u.version} is ready`, 'Restart Weft now to finish updating?', [
      { label: 'Restart', value: 'restart', primary: true },
      { label: 'Later', value: 'later' },
    ]);
    if (answer !== 'restart' || !(await this.confirmRestart())) return;
    try {
      await this.updater.install();
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  private set(state: State, text = '', title = ''): void {
    this.el.dataset.update = state;
    this.el.textContent = text;
    this.el.title = title;
  }
}
