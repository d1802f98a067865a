// A guest's terminal panel: the terminals the host shares (the tree room lists them), each
// a tab whose output comes live from its room (`terminal/<id>`) into xterm.js, and whose
// typing goes to `terminal/<id>/input` while the host lets guests type. Loaded on first
// use, like the host's own terminal panel, in the same place.

import '@xterm/xterm/css/xterm.css';
import type { Terminal } from '@xterm/xterm';
import { h } from '../dom';
import type { Backend, Settings } from '../backend';
import { LiveRoom, type LiveSession } from './live';

interface SharedTab {
  id: string;
  title: string;
  tabEl: HTMLElement;
  view: HTMLElement;
  term: Terminal;
  room: LiveRoom;
  input: LiveRoom | null;
}

export class LiveTerminals {
  readonly el: HTMLElement;
  private tabsEl = h('div', { class: 'term-tabs', role: 'tablist' });
  private bodyEl = h('div', { class: 'term-body' });
  private listEl = h('div', { class: 'live-terms' });
  private tabs: SharedTab[] = [];

  constructor(private local: Backend, private session: LiveSession, private settings: () => Settings) {
    const bar = h('div', { class: 'term-bar' }, this.tabsEl, this.listEl, h('span', { class: 'spacer' }),
      h('button', { class: 'icon-btn', title: 'Hide Panel (Ctrl+`)', 'aria-label': 'Hide Panel', onclick: () => this.toggle(false) }, '▾'));
    this.el = h('section', { class: 'terminal-panel live-terminals', hidden: true, 'aria-label': 'Shared terminals' }, bar, this.bodyEl);
    this.refresh();
  }

  toggle(show = this.el.hidden): void {
    this.el.hidden = !show;
    if (show) this.refresh();
  }

  /** The host shared a terminal, stopped, or changed who may type: tabs and list follow. */
  refresh(): void {
    const shared = this.session.terminals();
    for (const t of [...this.tabs]) {
      const meta = shared.get(t.id);
      if (!meta) this.close(t);
      else this.setWritable(t, meta.writable);
    }
    const rows = [...shared].filter(([id]) => !this.tabs.some((t) => t.id === id)).map(([id, meta]) =>
      h('button', { class: 'btn small live-term', 'data-id': id, title: meta.writable ? 'Shared terminal: you may type' : 'Shared terminal: read-only', onclick: () => void this.open(id) },
        `▸ ${meta.title}${meta.writable ? '' : ' (read-only)'}`));
    this.listEl.replaceChildren(...(rows.length ? [h('span', { class: 'dim' }, this.tabs.length ? 'Also shared: ' : 'Shared by the host: '), ...rows] : this.tabs.length ? [] : [h('span', { class: 'dim' }, 'The host shares no terminal')]));
  }

  private async open(id: string): Promise<void> {
    const existing = this.tabs.find((t) => t.id === id);
    if (existing) return this.activate(existing);
    const meta = this.session.terminals().get(id);
    if (!meta) return;
    const { Terminal } = await import('@xterm/xterm');
    const room = new LiveRoom(this.local, `terminal/${id}`, (s) => this.session.roomStatus(`terminal/${id}`, s));
    await room.synced;
    const view = h('div', { class: 'term-view live-term-view', 'data-id': id });
    const term = new Terminal({ cols: meta.cols, rows: meta.rows, disableStdin: true, fontSize: this.settings().fontSize, scrollback: 5000 });
    const tabEl = h('div', { class: 'term-tab', role: 'tab' });
    const tab: SharedTab = { id, title: meta.title, tabEl, view, term, room, input: null };
    tabEl.addEventListener('click', () => this.activate(tab));
    this.tabs.push(tab);
    this.tabsEl.append(tabEl);
    this.bodyEl.append(view);
    term.open(view);
    const output = room.doc.getArray<string>('output');
    for (const chunk of output.toArray()) term.write(chunk);
    output.observe((e) => {
      for (const d of e.changes.delta) if (d.insert) for (const chunk of d.insert as string[]) term.write(chunk);
    });
    term.onData((d) => tab.input?.doc.getArray<string>('keys').push([d]));
    this.setWritable(tab, meta.writable);
    this.activate(tab);
    this.refresh();
    term.focus();
  }

  private setWritable(tab: SharedTab, writable: boolean) {
    tab.term.options.disableStdin = !writable;
    tab.tabEl.textContent = `▸ ${tab.title}${writable ? '' : ' (read-only)'}`;
    tab.tabEl.title = writable ? 'Shared terminal: you may type' : 'Shared terminal: read-only';
    const room = `terminal/${tab.id}/input`;
    if (writable && !tab.input) tab.input = new LiveRoom(this.local, room, (s) => this.session.roomStatus(room, s));
    if (!writable && tab.input) {
      tab.input.close();
      this.session.roomClosed(room);
      tab.input = null;
    }
  }

  private activate(tab: SharedTab) {
    for (const t of this.tabs) {
      t.tabEl.classList.toggle('active', t === tab);
      t.view.hidden = t !== tab;
    }
    tab.term.focus();
  }

  private close(tab: SharedTab) {
    this.setWritable(tab, false);
    tab.room.close();
    this.session.roomClosed(tab.room.room);
    tab.term.dispose();
    tab.tabEl.remove();
    tab.view.remove();
    this.tabs = this.tabs.filter((t) => t !== tab);
    if (this.tabs.length) this.activate(this.tabs[this.tabs.length - 1]);
  }

  applySettings(s: Settings): void {
    for (const t of this.tabs) t.term.options.fontSize = s.fontSize;
  }
}
