// The terminal panel: tabs of terminals, each tab one or more terminals side by side.
// Output arrives as raw bytes and goes straight into xterm.js; what xterm has rendered is
// acknowledged in batches, and the backend pauses a flood while 1 MiB is unacknowledged,
// so neither the UI nor the transport can be buried. Sessions live in Rust: hiding the
// panel or reloading the page does not stop them (a reload re-attaches with scrollback).

import { Terminal, type ILink } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import '@xterm/xterm/css/xterm.css';
import { h } from './dom';
import type { Backend, Settings, StreamHandle, TerminalEvent, TerminalInfo } from './backend';
import { choose, toast, errorMessage } from './dialogs';
import { terminalClipboardKey } from './commands';
import { findPathLinks } from './pathlinks';

const ACK_BATCH = 64 * 1024;

export interface TerminalHooks {
  settings(): Settings;
  platform: string;
  workspaceRoot: string;
  openFile(path: string, line: number, col: number): void;
}

class TermView {
  readonly el: HTMLElement;
  readonly term: Terminal;
  private fit = new FitAddon();
  readonly search = new SearchAddon();
  id = 0;
  exited = false;
  title = 'terminal';
  /** One of the agent's commands, watched: it ends with the command, and closing the view
   * only stops watching (the agent is still reading it). */
  agent = false;
  /** A run of a configuration: Enter after it ended runs the configuration again. */
  rerun: (() => void) | null = null;
  private handle: StreamHandle<TerminalInfo> | null = null;
  private unacked = 0;
  /** Input typed while a write is in flight; sent as one write when it returns. */
  private queued = '';
  private writing = false;
  private resizeObserver: ResizeObserver;

  constructor(private backend: Backend, private hooks: TerminalHooks, private onTitle: () => void) {
    const s = hooks.settings();
    this.el = h('div', { class: 'term-view' });
    this.term = new Terminal({
      fontFamily: s.fontFamily,
      fontSize: s.fontSize,
      scrollback: 10000,
      allowProposedApi: true,
      theme: theme(s),
      cursorBlink: true,
    });
    this.term.loadAddon(this.fit);
    this.term.loadAddon(this.search);
    this.term.loadAddon(new WebLinksAddon((_e, uri) => this.backend.openExternal(uri)));
    this.term.registerLinkProvider({ provideLinks: (y, cb) => cb(this.pathLinks(y)) });
    this.term.attachCustomKeyEventHandler((e) => this.keys(e));
    this.term.onData((d) => {
      if (this.exited) {
        if (d === '\r' && this.rerun) this.rerun();
        else if (d === '\r' && !this.agent) void this.restart();
        return;
      }
      this.send(d);
    });
    this.term.onResize(({ cols, rows }) => {
      if (this.id && !this.exited) void this.backend.terminalResize(this.id, cols, rows).catch(() => {});
    });
    this.resizeObserver = new ResizeObserver(() => this.refit());
  }

  /**
   * Keystrokes must reach the PTY in the order they were typed. Tauri runs each invoke
   * as its own task, so two writes in flight at once can land swapped (CI saw
   * `$((40+2))` arrive as `$((40+)2)`). One write at a time, with whatever was typed
   * meanwhile batched into the next, keeps order without a round trip per key.
   */
  private send(data: string) {
    this.queued += data;
    if (this.writing) return;
    this.writing = true;
    void (async () => {
      while (this.queued && !this.exited) {
        const chunk = this.queued;
        this.queued = '';
        await this.backend.terminalWrite(this.id, chunk).catch(() => {});
      }
      this.queued = '';
      this.writing = false;
    })();
  }

  /** Attaches xterm to the page, then starts (or re-attaches to) the session. */
  async start(existing?: TerminalInfo) {
    this.agent = !!existing?.agent;
    // An ended session replays its end with its output, before the attach returns.
    if (existing) this.title = existing.title;
    this.term.open(this.el);
    await this.chooseRenderer();
    this.resizeObserver.observe(this.el);
    this.refit();
    const onFrame = (f: Uint8Array | TerminalEvent) => this.frame(f);
    this.handle = existing ? this.backend.terminalAttach(existing.id, onFrame) : this.backend.terminalSpawn(this.term.cols, this.term.rows, onFrame);
    try {
      const info = await this.handle.result;
      this.id = info.id;
      this.title = info.title;
      this.el.dataset.terminalId = String(info.id);
      this.onTitle();
      if (existing && (info.cols !== this.term.cols || info.rows !== this.term.rows)) void this.backend.terminalResize(info.id, this.term.cols, this.term.rows);
    } catch (e) {
      this.term.write(`\r\n\x1b[31mCould not start a terminal: ${errorMessage(e)}\x1b[0m\r\n`);
    }
  }

  /**
   * xterm.js's WebGL renderer lags while typing in Linux's WebKitGTK; its DOM renderer
   * does not. Elsewhere (Chromium, WebView2, WKWebView) WebGL is the fast one. A lost or
   * missing WebGL context falls back to the DOM renderer.
   */
  private async chooseRenderer() {
    const pref = this.hooks.settings().terminalRenderer;
    const webgl = pref === 'webgl' || (pref === 'auto' && !(this.hooks.platform === 'linux' && this.backend.kind === 'desktop'));
    this.el.dataset.renderer = 'dom';
    if (!webgl) return;
    try {
      const { WebglAddon } = await import('@xterm/addon-webgl');
      const addon = new WebglAddon();
      addon.onContextLoss(() => {
        addon.dispose();
        this.el.dataset.renderer = 'dom';
      });
      this.term.loadAddon(addon);
      this.el.dataset.renderer = 'webgl';
    } catch {
      this.el.dataset.renderer = 'dom';
    }
  }

  private frame(ev: Uint8Array | TerminalEvent) {
    if (ev instanceof Uint8Array) {
      const n = ev.length;
      this.term.write(ev, () => this.ack(n));
      return;
    }
    if (ev.type === 'exit') {
      this.exited = true;
      const how = ev.signal ? `killed by ${ev.signal}` : `exited with code ${ev.code ?? '?'}`;
      const end = this.agent ? `the agent's command ${how}` : this.rerun ? `${this.title} ${how} — press Enter to run it again` : `process ${how} — press Enter to restart`;
      this.term.write(`\r\n\x1b[2m[${end}]\x1b[0m\r\n`);
      this.el.dataset.exited = String(ev.code ?? ev.signal ?? '');
      this.onTitle();
    }
  }

  private ack(n: number) {
    this.unacked += n;
    if (this.unacked >= ACK_BATCH) {
      const bytes = this.unacked;
      this.unacked = 0;
      void this.backend.terminalAck(this.id, bytes).catch(() => {});
    } else {
      // Small outputs (typing) are acked when the terminal goes quiet.
      queueMicrotask(() => {
        if (this.unacked > 0 && this.unacked < ACK_BATCH && this.id) {
          const bytes = this.unacked;
          this.unacked = 0;
          void this.backend.terminalAck(this.id, bytes).catch(() => {});
        }
      });
    }
  }

  /** Shows another session in this view (a run restarted: its new terminal). */
  async reattach(info: TerminalInfo) {
    this.handle?.cancel();
    this.exited = false;
    delete this.el.dataset.exited;
    this.term.reset();
    this.handle = this.backend.terminalAttach(info.id, (f) => this.frame(f));
    const now = await this.handle.result;
    this.id = now.id;
    this.title = now.title;
    this.el.dataset.terminalId = String(now.id);
    this.onTitle();
    if (now.cols !== this.term.cols || now.rows !== this.term.rows) void this.backend.terminalResize(now.id, this.term.cols, this.term.rows);
  }

  private async restart() {
    if (this.id) await this.backend.terminalClose(this.id).catch(() => {});
    this.exited = false;
    delete this.el.dataset.exited;
    this.term.reset();
    const onFrame = (f: Uint8Array | TerminalEvent) => this.frame(f);
    this.handle = this.backend.terminalSpawn(this.term.cols, this.term.rows, onFrame);
    const info = await this.handle.result;
    this.id = info.id;
    this.el.dataset.terminalId = String(info.id);
    this.onTitle();
  }

  refit() {
    if (this.el.offsetParent === null) return; // hidden: keep the size until shown
    try {
      this.fit.fit();
    } catch {}
  }

  private keys(e: KeyboardEvent): boolean {
    const clip = terminalClipboardKey(e);
    if (clip === 'copy') {
      const sel = this.term.getSelection();
      if (sel) void navigator.clipboard?.writeText(sel).catch(() => {});
      return false;
    }
    if (clip === 'paste') {
      void navigator.clipboard?.readText().then((t) => this.term.paste(t)).catch(() => {});
      return false;
    }
    return true;
  }

  /** `path:line[:col]` in the output opens the file at that place. */
  private pathLinks(y: number): ILink[] {
    const line = this.term.buffer.active.getLine(y - 1)?.translateToString(true) ?? '';
    return findPathLinks(line, this.hooks.workspaceRoot).map((l) => ({
      range: { start: { x: l.index + 1, y }, end: { x: l.index + l.length, y } },
      text: line.slice(l.index, l.index + l.length),
      activate: () => this.hooks.openFile(l.path, l.line, l.column),
    }));
  }

  applySettings(s: Settings) {
    this.term.options.fontFamily = s.fontFamily;
    this.term.options.fontSize = s.fontSize;
    this.term.options.theme = theme(s);
    this.refit();
  }

  dispose() {
    this.resizeObserver.disconnect();
    this.handle?.cancel();
    this.term.dispose();
    this.el.remove();
  }
}

function theme(s: Settings) {
  return s.theme === 'dark'
    ? { background: '#1e2127', foreground: '#d7dae0', cursor: '#61afef', selectionBackground: '#3e4451' }
    : { background: '#ffffff', foreground: '#1f2328', cursor: '#0b67c2', selectionBackground: '#c8d7ee' };
}

interface TermTab {
  views: TermView[];
  tabEl: HTMLElement;
  bodyEl: HTMLElement;
}

export class TerminalPanel {
  readonly el: HTMLElement;
  private tabsEl: HTMLElement;
  private bodyEl: HTMLElement;
  private searchInput: HTMLInputElement;
  private tabs: TermTab[] = [];
  private active: TermTab | null = null;
  private focused: TermView | null = null;

  constructor(private backend: Backend, private hooks: TerminalHooks) {
    this.tabsEl = h('div', { class: 'term-tabs', role: 'tablist' });
    this.bodyEl = h('div', { class: 'term-body' });
    this.searchInput = h('input', { class: 'term-search', type: 'text', placeholder: 'Find in terminal', 'aria-label': 'Find in terminal', spellcheck: 'false' });
    this.searchInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.focused?.search.findNext(this.searchInput.value);
      if (e.key === 'Escape') this.focused?.term.focus();
      e.stopPropagation();
    });
    const bar = h('div', { class: 'term-bar' }, this.tabsEl,
      h('button', { class: 'icon-btn', title: 'New Terminal', 'aria-label': 'New Terminal', onclick: () => void this.newTab() }, '+'),
      h('button', { class: 'icon-btn', title: 'Split Terminal', 'aria-label': 'Split Terminal', onclick: () => void this.split() }, '◫'),
      h('span', { class: 'spacer' }), this.searchInput,
      h('button', { class: 'icon-btn', title: 'Hide Panel (Ctrl+`)', 'aria-label': 'Hide Panel', onclick: () => this.toggle(false) }, '▾'));
    this.el = h('section', { class: 'terminal-panel', hidden: true, 'aria-label': 'Terminal' }, bar, this.bodyEl);
  }

  get visible() {
    return !this.el.hidden;
  }

  /** The last `lines` lines of the focused terminal's buffer, for an @terminal mention. */
  recentText(lines = 200): { title: string; text: string } | null {
    const view = this.focused ?? this.active?.views[0];
    if (!view) return null;
    const buf = view.term.buffer.active;
    const out: string[] = [];
    for (let y = Math.max(0, buf.length - lines); y < buf.length; y++) out.push(buf.getLine(y)?.translateToString(true) ?? '');
    while (out.length && !out[out.length - 1].trim()) out.pop();
    return { title: view.title, text: out.join('\n') };
  }

  /** Re-attaches to sessions still running in the backend (after a reload). */
  async restore(running: TerminalInfo[]) {
    for (const info of running) await this.newTab(info, false);
    if (running.length) this.toggle(true, false);
  }

  /** Shows one of the agent's running commands (or focuses its view when shown). */
  async watch(id: number) {
    for (const tab of this.tabs) {
      if (tab.views.some((v) => v.id === id)) {
        this.activate(tab);
        this.el.hidden = false;
        return;
      }
    }
    const info = (await this.backend.terminalList().catch(() => [])).find((t) => t.id === id);
    if (!info) return toast('That command has finished', 'info');
    await this.newTab(info, false);
  }

  /**
   * Shows a run's terminal: in the view of the run it `replaces` (a restart), else in a
   * tab of its own. `rerun` starts the configuration again (Enter after it ended).
   */
  async showRun(id: number, replaces: number | null, rerun: () => void) {
    const info = (await this.backend.terminalList().catch(() => [])).find((t) => t.id === id);
    if (!info) return;
    for (const tab of this.tabs) {
      const view = tab.views.find((v) => v.id === id || (replaces !== null && v.id === replaces));
      if (!view) continue;
      view.rerun = rerun;
      if (view.id !== id) await view.reattach(info);
      this.activate(tab);
      this.el.hidden = false;
      return;
    }
    await this.newTab(info, false, rerun);
  }

  async toggle(show = !this.visible, focus = true) {
    this.el.hidden = !show;
    if (show && !this.tabs.length) await this.newTab();
    if (show) {
      for (const v of this.active?.views ?? []) v.refit();
      if (focus) (this.focused ?? this.active?.views[0])?.term.focus();
    }
  }

  private async newTab(existing?: TerminalInfo, focus = true, rerun: (() => void) | null = null) {
    const tabEl = h('div', { class: 'term-tab', role: 'tab' });
    const bodyEl = h('div', { class: 'term-split' });
    const tab: TermTab = { views: [], tabEl, bodyEl };
    tabEl.addEventListener('click', () => this.activate(tab));
    this.tabs.push(tab);
    this.tabsEl.append(tabEl);
    this.bodyEl.append(bodyEl);
    this.el.hidden = false;
    this.activate(tab);
    await this.addView(tab, existing, focus, rerun);
  }

  private async split() {
    if (!this.active) return this.newTab();
    await this.addView(this.active);
  }

  private async addView(tab: TermTab, existing?: TerminalInfo, focus = true, rerun: (() => void) | null = null) {
    const view = new TermView(this.backend, this.hooks, () => this.renderTab(tab));
    view.rerun = rerun;
    tab.views.push(view);
    const label = existing?.agent ? 'Stop Watching' : 'Kill Terminal';
    const close = h('button', { class: 'term-close', title: label, 'aria-label': label }, '×');
    close.addEventListener('click', () => void this.closeView(tab, view));
    view.el.append(close);
    view.el.addEventListener('focusin', () => (this.focused = view));
    tab.bodyEl.append(view.el);
    await view.start(existing);
    for (const v of tab.views) v.refit();
    this.renderTab(tab);
    if (focus) view.term.focus();
  }

  private renderTab(tab: TermTab) {
    const names = tab.views.map((v) => `${v.title}${v.exited ? ' (exited)' : ''}`);
    tab.tabEl.replaceChildren(h('span', {}, names.join(' | ') || 'terminal'));
    tab.tabEl.classList.toggle('active', tab === this.active);
  }

  private activate(tab: TermTab) {
    this.active = tab;
    for (const t of this.tabs) {
      t.bodyEl.hidden = t !== tab;
      this.renderTab(t);
    }
    for (const v of tab.views) v.refit();
  }

  /** Asks first when programs are still running in it; closing kills them all. */
  private async closeView(tab: TermTab, view: TermView) {
    if (view.id && !view.exited && !view.agent) {
      const running = await this.backend.terminalChildren(view.id).catch(() => [] as number[]);
      if (running.length) {
        const ok = await choose('Kill terminal?', `${running.length} process${running.length > 1 ? 'es are' : ' is'} still running in this terminal (pid ${running.join(', ')}). Closing kills ${running.length > 1 ? 'them' : 'it'}.`, [
          { label: 'Kill and Close', value: true, danger: true },
          { label: 'Cancel', value: false },
        ]);
        if (!ok) return;
      }
      await this.backend.terminalClose(view.id).catch((e) => toast(errorMessage(e), 'error'));
    }
    tab.views.splice(tab.views.indexOf(view), 1);
    view.dispose();
    if (this.focused === view) this.focused = null;
    if (!tab.views.length) {
      this.tabs.splice(this.tabs.indexOf(tab), 1);
      tab.tabEl.remove();
      tab.bodyEl.remove();
      const next = this.tabs[this.tabs.length - 1];
      if (next) this.activate(next);
      else this.toggle(false);
    } else {
      for (const v of tab.views) v.refit();
      this.renderTab(tab);
    }
  }

  applySettings(s: Settings) {
    for (const t of this.tabs) for (const v of t.views) v.applySettings(s);
  }
}
