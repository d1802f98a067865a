// The folder's git status, kept for the whole workbench: the tree and the tabs are
// coloured by it, and the Source Control panel (../scm.ts) draws it. Asked after start-up
// (never on its path), again when files change (debounced), when the window regains
// focus (a commit in another program), and after each git action. A folder outside any
// repository asks again only when files change (a `git init`).

import { Text } from '@codemirror/state';
import { debounce } from '../dom';
import type { GitFileStatus, GitStatus } from '../backend';
import type { Tab } from '../editor/group';
import { compartments } from '../editor/extensions';
import { toast, errorMessage } from '../dialogs';
import type { Workbench } from './context';

/** How a path shows: the strongest of its changes. */
export type GitMark = 'conflicted' | 'added' | 'modified' | 'deleted' | 'untracked' | 'renamed';

export function markOf(f: GitFileStatus): GitMark {
  if (f.conflicted) return 'conflicted';
  if (f.untracked) return 'untracked';
  const c = f.unstaged ?? f.staged;
  if (c === 'added' || c === 'copied') return 'added';
  if (c === 'deleted') return 'deleted';
  if (c === 'renamed') return 'renamed';
  return 'modified';
}

export class GitState {
  status: GitStatus | null = null;
  /** Each changed file's mark, and each folder above one ('modified'). */
  marks = new Map<string, GitMark>();
  private listeners = new Set<() => void>();
  /** Each open file's staged text as the gutter compares it (asked again on each change). */
  private bases = new Map<string, Promise<Text | null>>();
  private gutter: Promise<typeof import('../editor/gitgutter')> | null = null;
  /** Views that have the gutter, with the base they were last given. */
  private guttered = new WeakMap<object, Text | null>();
  private conflictMod: Promise<typeof import('../editor/conflicts')> | null = null;
  /** Views given the conflict bars (true) or not. */
  private conflicted = new WeakMap<object, boolean>();
  /** Views showing blame, with how to stop following git's changes. */
  private blamed = new WeakMap<object, { stop: () => void }>();
  private asking = false;
  private again = false;
  readonly refreshSoon = debounce(() => void this.refresh(), 300);

  constructor(private wb: Workbench) {
    window.addEventListener('focus', () => this.refreshSoon());
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Asks git now (one request at a time; a change meanwhile asks once more after).
   * `whole`: about every file (the panel's refresh), not only those seen changing.
   */
  async refresh(whole = false): Promise<void> {
    if (this.asking) {
      this.again = true;
      return;
    }
    this.asking = true;
    try {
      this.set(await this.wb.backend.gitStatus(whole));
    } catch {
      // git missing or failing: the panel says so when opened; the tree stays plain.
      this.set(null);
    } finally {
      this.asking = false;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    }
  }

  /** A git action answered with the new status. */
  set(status: GitStatus | null): void {
    this.status = status;
    const marks = new Map<string, GitMark>();
    for (const f of status?.files ?? []) {
      marks.set(f.path, markOf(f));
      for (let i = f.path.lastIndexOf('/'); i > 0; i = f.path.lastIndexOf('/', i - 1)) {
        const dir = f.path.slice(0, i);
        if (!marks.has(dir)) marks.set(dir, f.conflicted ? 'conflicted' : 'modified');
      }
    }
    this.marks = marks;
    // Staging, a commit or a checkout changes what the gutters compare against.
    this.bases.clear();
    for (const l of this.listeners) l();
  }

  /**
   * Gives a tab's editor its git gutter against the file's staged (or committed) text.
   * Nothing outside a repository, for large files, or for a file git does not track.
   */
  decorate(tab: Tab): void {
    const doc = tab.doc;
    this.conflicts(tab);
    if (!this.status || !doc.bound || doc.shared) return;
    const path = doc.path;
    let base = this.bases.get(path);
    if (!base) {
      base = this.wb.backend.gitVersions(path, false).then(
        (v) => (v.left === null ? null : Text.of((doc.lineEnding === 'crlf' ? v.left.replace(/\r\n/g, '\n') : v.left).split('\n'))),
        () => null,
      );
      this.bases.set(path, base);
    }
    this.gutter ??= import('../editor/gitgutter');
    void Promise.all([base, this.gutter]).then(([text, mod]) => {
      const view = tab.view;
      if (!view.dom.isConnected && !doc.views.has(view)) return;
      const effects = [];
      if (!this.guttered.has(view)) effects.push(compartments.git.reconfigure(mod.gitGutter({ stage: (t) => this.stageText(tab, t) })));
      else if (this.guttered.get(view) === text) return;
      this.guttered.set(view, text);
      effects.push(mod.setGitBase.of(text));
      view.dispatch({ effects });
    });
  }

  /**
   * Blame in the tab's gutter, or off again. `open` shows a commit (History). Asked again
   * 600 ms after the text stops changing, and after each git change (a commit).
   */
  async toggleBlame(tab: Tab, open: (hash: string) => void): Promise<void> {
    const view = tab.view;
    const on = this.blamed.get(view);
    if (on) {
      on.stop();
      this.blamed.delete(view);
      view.dispatch({ effects: compartments.blame.reconfigure([]) });
      return;
    }
    const mod = await import('../editor/blame');
    const ask = async () => {
      try {
        const blame = await this.wb.backend.gitBlame(tab.doc.path);
        if (this.blamed.has(view)) view.dispatch({ effects: mod.setBlame.of(blame) });
      } catch (e) {
        toast(errorMessage(e), 'error');
      }
    };
    const again = debounce(() => void ask(), 600);
    const stop = this.onChange(() => void ask());
    this.blamed.set(view, { stop });
    view.dispatch({ effects: compartments.blame.reconfigure(mod.blameGutter({ changed: again, open })) });
    await ask();
  }

  /** Git: Stage Selected Lines, in the tab's editor. */
  async stageSelection(tab: Tab): Promise<void> {
    const mod = await (this.gutter ??= import('../editor/gitgutter'));
    if (!mod.stageSelectedLines(tab.view)) toast('The selection has no changes to stage');
  }

  /** Accept current / incoming / both while git says the tab's file is conflicted. */
  private conflicts(tab: Tab): void {
    const view = tab.view;
    const want = this.marks.get(tab.doc.path) === 'conflicted';
    if (want === !!this.conflicted.get(view)) return;
    this.conflicted.set(view, want);
    if (!want) {
      view.dispatch({ effects: compartments.conflicts.reconfigure([]) });
      return;
    }
    this.conflictMod ??= import('../editor/conflicts');
    void this.conflictMod.then((mod) => {
      if (this.conflicted.get(view)) view.dispatch({ effects: compartments.conflicts.reconfigure(mod.conflictEditor()) });
    });
  }

  private async stageText(tab: Tab, text: string): Promise<void> {
    const crlf = tab.doc.lineEnding === 'crlf';
    try {
      this.set(await this.wb.backend.gitStageText(tab.doc.path, crlf ? text.replace(/\n/g, '\r\n') : text));
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }
}
