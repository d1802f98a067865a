// The settings in force: the page's theme and fonts, the settings editor, changes made by
// buttons (theme) and panels (the agent's), and applying a change everywhere at once.

import { EditorView } from '@codemirror/view';
import { h } from '../dom';
import type { Settings } from '../backend';
import { toast, errorMessage, panelModal } from '../dialogs';
import type { Commands } from '../commands';
import { baseExtensions, ensureVim } from '../editor/extensions';
import type { Workbench } from './context';
import { applyLook } from './chrome';

export class Preferences {
  constructor(private wb: Workbench, private current: Settings, private commands: Commands) {}

  get settings(): Settings {
    return this.current;
  }

  /** What the page itself takes from the settings: theme and fonts. */
  applyGlobal(): void {
    applyLook(this.current, this.wb.info.platform);
  }

  /** The user's keybindings; a command id they name that does not exist is reported. */
  applyKeys(): void {
    const unknown = this.commands.setUserKeys(this.current.keybindings);
    if (unknown.length) toast(`keybindings: no command ${unknown.map((u) => JSON.stringify(u)).join(', ')} (Ctrl+Shift+P lists them)`, 'error');
  }

  async applyEverywhere(s: Settings): Promise<void> {
    await ensureVim(s);
    this.current = s;
    this.applyGlobal();
    this.applyKeys();
    this.wb.layout.applySettings();
    void this.wb.terminalsLoaded()?.then((t) => t.applySettings(s));
    void this.wb.agentLoaded()?.then((a) => a.settingsChanged());
  }

  /** Changes some keys of the settings file, keeping everything else the user wrote. */
  async patch(edit: (obj: Record<string, unknown>) => void): Promise<void> {
    const dto = await this.wb.backend.getSettings();
    const obj = JSON.parse(dto.text) as Record<string, unknown>;
    edit(obj);
    const saved = await this.wb.backend.setSettings(JSON.stringify(obj, null, 2) + '\n');
    await this.applyEverywhere(saved.settings);
  }

  async toggleTheme(): Promise<void> {
    try {
      await this.patch((o) => (o.theme = this.current.theme === 'dark' ? 'light' : 'dark'));
    } catch (e) {
      toast(`Could not change the theme: ${errorMessage(e)}`, 'error');
    }
  }

  /** The settings file in an editor; saving validates it in Rust and applies it. */
  async open(): Promise<void> {
    if (document.querySelector('.settings-editor')) return;
    const backend = this.wb.backend;
    const [dto, { json }] = await Promise.all([backend.getSettings(), import('@codemirror/lang-json')]);
    const error = h('div', { class: 'settings-error', role: 'alert' }, dto.error ?? '');
    const host = h('div', { class: 'settings-editor' });
    const view = new EditorView({ parent: host, doc: dto.text, extensions: [baseExtensions(this.current, { large: false, readOnly: false, lineSeparator: '\n' }), json()] });
    const body = h('div', {}, h('p', { class: 'settings-path' }, dto.path), host, error);
    const save = h('button', { class: 'btn primary' }, 'Save');
    const close = h('button', { class: 'btn' }, 'Close');
    const modal = panelModal('Settings', body, [save, close], () => done());
    const done = () => {
      view.destroy();
      modal.remove();
    };
    close.addEventListener('click', done);
    save.addEventListener('click', async () => {
      try {
        const saved = await backend.setSettings(view.state.doc.toString());
        error.textContent = '';
        await this.applyEverywhere(saved.settings);
        toast('Settings saved');
      } catch (e) {
        error.textContent = errorMessage(e);
      }
    });
    view.focus();
  }
}
