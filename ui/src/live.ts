// A live collaboration session, for the host's own editor and for guests alike: the shared
// folder's files (the `tree` room), editors bound to the files' Yjs documents with every
// participant's cursor and selection, a participant list, follow mode, and the
// connection's state. The network lives in Rust (reconnects, offline edits, the host's
// certificate); this view is a plain Yjs client of its own Weft over the Backend.

import * as Y from 'yjs';
import { yCollab } from 'y-codemirror.next';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { h, basename, dirname } from './dom';
import type { Analysis, Backend, CollabEvent, Settings, StreamHandle } from './backend';
import { baseExtensions, compartments } from './editor/extensions';
import { languageFor } from './languages';
import { YSync, colorFor } from './editor/ysync';
import { panelModal, toast, errorMessage } from './dialogs';
import { eventKey } from './commands';
import { SearchPanel } from './search';
import { OutlinePanel, type Outlined } from './outline';
import { sameState, showIn } from './editor/syntax';
import { lintGutter, lintKeymap } from '@codemirror/lint';
// Shared terminals render with xterm.js (its code loads when one is opened).
import '@xterm/xterm/css/xterm.css';

type PeerStatus = Extract<CollabEvent, { kind: 'status' }>['status'];


export { colorFor } from './editor/ysync';

interface Presence {
  user?: { name: string; color: string; colorLight?: string };
  /** The file the participant has in front of them (tree room only). */
  file?: string | null;
  cursor?: { anchor: unknown; head: unknown } | null;
}

interface DirNode {
  dirs: Map<string, DirNode>;
  /** Full paths of the files directly in this folder. */
  files: string[];
}

function buildTree(paths: string[]): DirNode {
  const root: DirNode = { dirs: new Map(), files: [] };
  for (const p of paths) {
    const parts = p.split('/');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      let next = node.dirs.get(part);
      if (!next) node.dirs.set(part, (next = { dirs: new Map(), files: [] }));
      node = next;
    }
    node.files.push(p);
  }
  return root;
}

/** One room, synced with the local Weft's replica by y-sync messages. */
export class LiveRoom {
  private sync: YSync;
  readonly doc: Y.Doc;
  readonly awareness: YSync['awareness'];
  readonly synced: Promise<void>;
  status: PeerStatus = { state: 'connecting' };
  private handle: StreamHandle;

  constructor(backend: Backend, readonly room: string, onStatus: (s: PeerStatus) => void) {
    let resolve = () => {};
    this.synced = new Promise((r) => (resolve = r));
    this.sync = new YSync((data) => backend.collabPush(room, data), (e) => toast(errorMessage(e), 'error'));
    this.doc = this.sync.doc;
    this.awareness = this.sync.awareness;
    this.handle = backend.collabOpen(room, (m) => {
      this.sync.receive(m);
      resolve();
    }, (e) => {
      this.status = e.status;
      onStatus(e.status);
    });
    this.handle.result.catch((e) => toast(`${room}: ${errorMessage(e)}`, 'error'));
  }

  /** Others' presence, by awareness client id. */
  others(): Map<number, Presence> {
    const out = new Map<number, Presence>();
    for (const [id, st] of this.awareness.getStates()) if (id !== this.doc.clientID && (st as Presence).user) out.set(id, st as Presence);
    return out;
  }

  close() {
    // Tell the others we left this file before the stream goes.
    this.sync.leave();
    this.handle.cancel();
    this.sync.destroy();
  }
}

interface LiveTab {
  /** A file's path, or `terminal:<id>`. */
  path: string;
  room: LiveRoom;
  /** The editor of a file tab. */
  view?: EditorView;
  pane: HTMLElement;
  tabEl: HTMLElement;
  /** Extra teardown (a terminal's input room and xterm). */
  dispose?: () => void;
  /** A terminal tab follows the host letting guests type or not. */
  setWritable?: (w: boolean) => void;
  /** A file tab's editor and the host's analysis of it, for the outline. */
  outlined?: Outlined;
}

/** The host's newest analysis of a file a guest has open, for the outline. */
class LiveSyntax {
  analysis: Analysis | null = null;
  private listeners = new Set<() => void>();

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(a: Analysis) {
    this.analysis = a;
    for (const l of this.listeners) l();
  }
}

/** A shared terminal as the tree room lists it. */
interface TerminalMeta {
  title: string;
  writable: boolean;
  cols: number;
  rows: number;
}

export interface LiveOptions {
  link: string;
  name: string;
  settings: () => Settings;
  /** Shown in the header: whose folder this is. */
  title: string;
  /** The host's own view of its shared folder: served in-process by its own app. */
  own?: boolean;
  onLeave?: () => void;
}

/** Opens the live view over the app until the user leaves. */
export async function openLive(backend: Backend, opts: LiveOptions): Promise<LiveView> {
  document.querySelector('.live')?.dispatchEvent(new Event('leave'));
  await backend.collabJoin(opts.link);
  return new LiveView(backend, opts);
}

export class LiveView {
  readonly el: HTMLElement;
  private tree: LiveRoom;
  private tabs: LiveTab[] = [];
  private active: LiveTab | null = null;
  private filesEl = h('div', { class: 'live-files', role: 'tree', 'aria-label': 'Shared files' });
  /** The host's app, for what it lets guests ask (search, analyses). */
  private host: Backend;
  /** Search in the host's files, made when first shown. */
  private search: SearchPanel | null = null;
  private sideEl = h('div', { class: 'live-side' });
  /** The open file's symbols and syntax errors, made when first shown. */
  private outline: OutlinePanel | null = null;
  private sideTabs = {
    files: h('button', { class: 'side-tab active' }, 'Files'),
    search: h('button', { class: 'side-tab', title: 'Search in the shared files (Ctrl+Shift+F)' }, 'Search'),
    outline: h('button', { class: 'side-tab', title: 'The open file\'s symbols' }, 'Outline'),
  };
  private tabsEl = h('div', { class: 'live-tabs', role: 'tablist' });
  private bodyEl = h('div', { class: 'live-body' }, h('div', { class: 'empty-editor' }, 'Open a shared file from the list'));
  private peopleEl = h('div', { class: 'live-people', 'aria-label': 'Participants' });
  private statusEl = h('span', { class: 'live-status', role: 'status' }, 'Connecting…');
  private following: number | null = null;
  private readOnly = false;
  /** Folders open in the file tree. */
  private expanded = new Set<string>();
  /** Each open room's connection; the header shows the one that matters most. */
  private statuses = new Map<string, PeerStatus>();
  private me: { name: string; color: string; colorLight: string };

  constructor(private backend: Backend, private opts: LiveOptions) {
    // A guest asks the host through its own Weft; the host asks its app directly.
    this.host = opts.own ? backend : backend.host();
    const color = colorFor(opts.name);
    this.me = { name: opts.name, color, colorLight: `${color}33` };
    const leave = h('button', { class: 'btn small', title: 'Leave the session' }, 'Leave');
    leave.addEventListener('click', () => this.leave());
    this.el = h('div', { class: 'live', role: 'region', 'aria-label': 'Live session' },
      h('header', { class: 'live-head' }, h('b', {}, 'Live'), h('span', { class: 'live-title' }, opts.title), this.statusEl, h('span', { class: 'spacer' }), this.peopleEl, leave),
      h('div', { class: 'live-main' }, this.sideEl, h('div', { class: 'live-editor' }, this.tabsEl, this.bodyEl)));
    this.sideEl.append(h('div', { class: 'side-tabs' }, this.sideTabs.files, this.sideTabs.search, this.sideTabs.outline), this.filesEl);
    for (const which of ['files', 'search', 'outline'] as const) this.sideTabs[which].addEventListener('click', () => this.showSide(which));
    this.el.addEventListener('leave', () => this.leave());
    // Shared files are saved by the host as everyone types; Ctrl+S says so rather than
    // reaching the workbench underneath (which would save a local copy).
    this.el.addEventListener('keydown', (e) => {
      if (eventKey(e) === 'Mod-s') {
        e.preventDefault();
        e.stopPropagation();
        toast('Saved: the host writes shared files to its disk as you type');
      } else if (eventKey(e) === 'Mod-Shift-f') {
        e.preventDefault();
        e.stopPropagation();
        this.showSide('search');
      }
    });
    document.body.append(this.el);
    this.tree = new LiveRoom(backend, 'tree', (s) => this.roomStatus('tree', s));
    this.tree.awareness.setLocalState({ user: this.me, file: null });
    const files = this.tree.doc.getMap('files');
    files.observe(() => this.renderFiles());
    // The host shares terminals, stops, or lets guests type: the list and open tabs follow.
    this.tree.doc.getMap<string>('terminals').observe(() => {
      this.renderFiles();
      const terms = this.terminals();
      for (const t of this.tabs) {
        const id = t.path.startsWith('terminal:') ? t.path.slice(9) : null;
        if (id !== null) t.setWritable?.(terms.get(id)?.writable ?? false);
      }
    });
    this.tree.awareness.on('change', () => this.peopleChanged());
    void this.tree.synced.then(() => this.renderFiles());
  }

  /**
   * Rooms connect on their own and their news arrives in any order: the header shows the
   * most pressing (refused, removed, offline, connecting, read-only, online), and the
   * access is read-only while any room was told so (the role is the guest's, not a room's).
   */
  private roomStatus(room: string, s: PeerStatus) {
    if (s.state === 'online' && this.statuses.get(room)?.state === 'readOnly') return;
    this.statuses.set(room, s);
    const rank = ['refused', 'removed', 'offline', 'connecting', 'readOnly', 'online'];
    const all = [...this.statuses.values()];
    const shown = all.reduce((a, b) => (rank.indexOf(b.state) < rank.indexOf(a.state) ? b : a));
    this.showStatus(shown, all.some((x) => x.state === 'readOnly'));
  }

  private showStatus(s: PeerStatus, ro: boolean) {
    const text: Record<string, string> = { connecting: 'Connecting…', online: 'Online', readOnly: 'Read-only', removed: 'Removed by the host' };
    this.statusEl.className = `live-status ${s.state}`;
    if (s.state === 'offline') {
      this.statusEl.textContent = `Offline — your edits are kept and merge when the connection is back (retrying in ${Math.ceil(s.retryMs / 1000)} s)`;
      this.statusEl.title = s.error;
    } else if (s.state === 'refused') {
      this.statusEl.textContent = `Refused: ${s.reason}`;
    } else {
      this.statusEl.textContent = text[s.state] ?? s.state;
    }
    if (ro !== this.readOnly) {
      this.readOnly = ro;
      for (const t of this.tabs) t.view?.dispatch({ effects: compartments.readOnly.reconfigure(EditorState.readOnly.of(ro)) });
    }
  }

  /**
   * The shared files as a tree, folders first and collapsed until opened: a big repository
   * renders its top level, not every path.
   */
  private renderFiles() {
    const paths = [...this.tree.doc.getMap('files').keys()];
    const root = buildTree(paths);
    const rows: HTMLElement[] = [];
    const walk = (node: DirNode, prefix: string, depth: number) => {
      const pad = `padding-left: ${10 + depth * 14}px`;
      for (const name of [...node.dirs.keys()].sort()) {
        const dir = prefix + name;
        const open = this.expanded.has(dir);
        const row = h('button', { class: 'live-dir-row', role: 'treeitem', 'aria-expanded': String(open), 'data-dir': dir, title: dir, style: pad }, `${open ? '▾' : '▸'} ${name}`);
        row.addEventListener('click', () => {
          if (!this.expanded.delete(dir)) this.expanded.add(dir);
          this.renderFiles();
        });
        rows.push(row);
        if (open) walk(node.dirs.get(dir.slice(prefix.length))!, `${dir}/`, depth + 1);
      }
      for (const p of node.files.sort()) {
        const row = h('button', { class: 'live-file', role: 'treeitem', 'data-path': p, title: p, style: pad }, basename(p));
        row.addEventListener('click', () => void this.goTo(p));
        rows.push(row);
      }
    };
    walk(root, '', 0);
    if (!paths.length) rows.push(h('div', { class: 'dim' }, 'No shared files yet'));
    const terms = this.terminals();
    if (terms.size) rows.push(h('div', { class: 'live-dir live-terms-head' }, 'Terminals'));
    for (const [id, meta] of terms) {
      const row = h('button', { class: 'live-file live-term', 'data-path': `terminal:${id}`, title: meta.writable ? 'Shared terminal: you may type' : 'Shared terminal: read-only' }, `▸ ${meta.title}${meta.writable ? '' : ' (read-only)'}`);
      row.addEventListener('click', () => void this.openTerminal(id));
      rows.push(row);
    }
    this.filesEl.replaceChildren(...rows);
    this.markActive();
  }

  private terminals(): Map<string, TerminalMeta> {
    const out = new Map<string, TerminalMeta>();
    for (const [id, v] of this.tree.doc.getMap<string>('terminals').entries()) {
      try {
        out.set(id, JSON.parse(v) as TerminalMeta);
      } catch {
        // Not ours to fail on: another client's entry we cannot read.
      }
    }
    return out;
  }

  /** A shared terminal: its output live in xterm.js, and typing when the host allows. */
  async openTerminal(id: string): Promise<void> {
    const key = `terminal:${id}`;
    const existing = this.tabs.find((t) => t.path === key);
    if (existing) return this.activate(existing);
    const meta = this.terminals().get(id);
    if (!meta) return;
    const { Terminal } = await import('@xterm/xterm');
    const room = new LiveRoom(this.backend, `terminal/${id}`, (s) => this.roomStatus(`terminal/${id}`, s));
    await room.synced;
    const pane = h('div', { class: 'pane live-term-pane' });
    const term = new Terminal({ cols: meta.cols, rows: meta.rows, disableStdin: !meta.writable, fontSize: this.opts.settings().fontSize, scrollback: 5000 });
    term.open(pane);
    const output = room.doc.getArray<string>('output');
    for (const chunk of output.toArray()) term.write(chunk);
    output.observe((e) => {
      for (const d of e.changes.delta) if (d.insert) for (const chunk of d.insert as string[]) term.write(chunk);
    });
    let input: LiveRoom | null = null;
    const setWritable = (w: boolean) => {
      term.options.disableStdin = !w;
      if (w && !input) input = new LiveRoom(this.backend, `terminal/${id}/input`, (s) => this.roomStatus(`terminal/${id}/input`, s));
      if (!w && input) {
        input.close();
        this.statuses.delete(input.room);
        input = null;
      }
    };
    setWritable(meta.writable);
    term.onData((d) => input?.doc.getArray<string>('keys').push([d]));
    const tab = this.addTab({ path: key, room, pane, setWritable, dispose: () => { setWritable(false); term.dispose(); } }, `▸ ${meta.title}`, meta.title);
    this.activate(tab);
    term.focus();
  }

  /** A tab in the strip, with its activate and close handlers. */
  private addTab(t: Omit<LiveTab, 'tabEl'>, label: string, title: string): LiveTab {
    const close = h('span', { class: 'tab-close', title: 'Close' }, '×');
    const tab: LiveTab = { ...t, tabEl: h('div', { class: 'tab', role: 'tab', title }, h('span', { class: 'tab-name' }, label), close) };
    tab.tabEl.addEventListener('click', () => this.activate(tab));
    close.addEventListener('click', (e) => {
      e.stopPropagation();
      this.closeTab(tab);
    });
    this.tabs.push(tab);
    this.tabsEl.append(tab.tabEl);
    return tab;
  }

  /** Opens the folders above `path`, so the file it names shows in the tree. */
  private reveal(path: string) {
    let changed = false;
    for (let d = dirname(path); d; d = dirname(d)) {
      if (this.expanded.has(d)) continue;
      this.expanded.add(d);
      changed = true;
    }
    if (changed) this.renderFiles();
  }

  private markActive() {
    for (const el of this.filesEl.querySelectorAll<HTMLElement>('.live-file')) el.classList.toggle('active', el.dataset.path === this.active?.path);
  }

  async open(path: string): Promise<LiveTab> {
    let tab = this.tabs.find((t) => t.path === path);
    if (!tab) {
      const room = new LiveRoom(this.backend, `file/${path}`, (s) => this.roomStatus(`file/${path}`, s));
      room.awareness.setLocalState({ user: this.me });
      await room.synced;
      const ytext = room.doc.getText('content');
      const paneEl = h('div', { class: 'pane' });
      const syntax = new LiveSyntax();
      const view = new EditorView({
        parent: paneEl,
        state: EditorState.create({
          doc: ytext.toString(),
          extensions: [
            // '\n' only: the editor's text must be the shared text exactly, CRs included.
            baseExtensions(this.opts.settings(), { large: false, readOnly: this.readOnly, lineSeparator: '\n', history: false }),
            yCollab(ytext, room.awareness, { undoManager: new Y.UndoManager(ytext) }),
            // The host's tree-sitter errors for this file (F8 through them).
            lintGutter(),
            keymap.of(lintKeymap),
            // The outline marks the symbol around the cursor.
            EditorView.updateListener.of((u) => {
              const t = this.active;
              if (u.selectionSet && t?.view === u.view && t.outlined) this.outline?.cursorMoved(t.outlined);
            }),
            EditorView.contentAttributes.of({ 'aria-label': `Live editor: ${path}` }),
          ],
        }),
      });
      // Others' moves only, and after the current update: the cursor plugin sets our own
      // cursor from inside an editor update, and a dispatch there would crash it.
      room.awareness.on('change', (_: unknown, origin: unknown) => {
        if (origin !== 'local') queueMicrotask(() => this.followCursor(room, view));
      });
      const outlined: Outlined = { view, doc: { path, syntax } };
      tab = this.addTab({ path, room, view, pane: paneEl, dispose: this.analyse(path, room, view, syntax), outlined }, basename(path), path);
      const lang = languageFor(path, view.state.doc.line(1).text);
      if (lang) void lang.load().then((ext) => view.dispatch({ effects: compartments.language.reconfigure(ext) }));
    }
    this.activate(tab);
    return tab;
  }

  /**
   * Syntax errors (and folds) from the host's analysis of the file, which follows the
   * shared document: each is shown once this replica holds the edits it covers. Returns
   * what stops it.
   */
  private analyse(path: string, room: LiveRoom, view: EditorView, syntax: LiveSyntax): () => void {
    let latest: { analysis: Analysis; sv: number[] } | null = null;
    const apply = () => {
      if (!latest || !sameState(Y.encodeStateVector(room.doc), Uint8Array.from(latest.sv))) return;
      showIn(view, latest.analysis);
      syntax.set(latest.analysis);
      latest = null;
    };
    const handle = this.host.docAnalysis(path, (e) => {
      if (e.kind !== 'analysis') return;
      latest = { analysis: e.analysis, sv: e.sv };
      apply();
    });
    // A host too old to answer, or a file it does not analyse: the editor works without.
    handle.result.catch(() => {});
    room.doc.on('update', apply);
    return () => {
      room.doc.off('update', apply);
      handle.cancel();
    };
  }

  /** The side column: the shared files, search in them (on the host, through it), or the open file's outline. */
  private showSide(which: 'files' | 'search' | 'outline') {
    if (which === 'search' && !this.search) {
      this.search = new SearchPanel(this.host, (path, line, from, to) => void this.openAt(path, line, from, to), null);
      this.sideEl.append(this.search.el);
    }
    if (which === 'outline' && !this.outline) {
      this.outline = new OutlinePanel(null);
      this.sideEl.append(this.outline.el);
    }
    this.filesEl.hidden = which !== 'files';
    if (this.search) this.search.el.hidden = which !== 'search';
    if (this.outline) this.outline.el.hidden = which !== 'outline';
    for (const k of ['files', 'search', 'outline'] as const) this.sideTabs[k].classList.toggle('active', k === which);
    if (which === 'search') this.search?.focus();
    // Shown again: drawn for the file in front now.
    if (which === 'outline') {
      this.outline?.show(null);
      this.outline?.show(this.active?.outlined ?? null);
    }
  }

  /** Opens a shared file with a line's range selected (a search hit). */
  private async openAt(path: string, line: number, from: number, to: number) {
    const tab = await this.goTo(path);
    const view = tab.view;
    if (!view) return;
    // A room opened just now may not have the host's text yet (the local replica starts
    // empty): wait for the line, a while at most.
    const has = () => view.state.doc.lines >= line && view.state.doc.line(line).length >= to;
    if (!has()) {
      const ytext = tab.room.doc.getText('content');
      await new Promise<void>((done) => {
        const check = () => has() && finish();
        const timer = setTimeout(() => finish(), 5000);
        const finish = () => {
          clearTimeout(timer);
          ytext.unobserve(check);
          done();
        };
        ytext.observe(check);
      });
    }
    const l = view.state.doc.line(Math.max(1, Math.min(line, view.state.doc.lines)));
    const a = Math.min(l.from + from, l.to);
    const b = Math.min(l.from + to, l.to);
    view.dispatch({ selection: { anchor: a, head: b }, effects: EditorView.scrollIntoView(a, { y: 'center' }), userEvent: 'select' });
    view.focus();
  }

  private activate(tab: LiveTab) {
    this.active = tab;
    for (const t of this.tabs) t.tabEl.classList.toggle('active', t === tab);
    this.bodyEl.replaceChildren(tab.pane);
    if (!tab.path.startsWith('terminal:')) {
      this.tree.awareness.setLocalStateField('file', tab.path);
      this.reveal(tab.path);
    }
    this.markActive();
    this.outline?.show(tab.outlined ?? null);
    tab.view?.focus();
  }

  private closeTab(tab: LiveTab) {
    tab.room.close();
    this.statuses.delete(tab.room.room);
    tab.view?.destroy();
    tab.dispose?.();
    tab.tabEl.remove();
    this.tabs = this.tabs.filter((t) => t !== tab);
    if (this.active === tab) {
      this.active = null;
      const next = this.tabs[this.tabs.length - 1];
      if (next) this.activate(next);
      else {
        this.bodyEl.replaceChildren(h('div', { class: 'empty-editor' }, 'Open a shared file from the list'));
        this.tree.awareness.setLocalStateField('file', null);
      }
    }
  }

  /**
   * The user opens a file themselves: following someone stops (else the next move of the
   * one followed, or the one before, would take the user straight back).
   */
  private goTo(path: string): Promise<LiveTab> {
    if (this.following !== null) {
      const followed = this.tree.others().get(this.following);
      if (followed?.file !== path) {
        this.following = null;
        this.peopleChanged();
      }
    }
    return this.open(path);
  }

  /** The participant list (from the tree room), and following someone to their file. */
  private peopleChanged() {
    const others = this.tree.others();
    const chips = [...others].map(([id, p]) => {
      const chip = h('button', {
        class: `live-person${this.following === id ? ' following' : ''}`, 'data-name': p.user!.name,
        title: `${p.user!.name}${p.file ? ` — ${p.file}` : ''}. Click to ${this.following === id ? 'stop following' : 'follow'}.`,
      }, h('span', { class: 'dot', style: `background:${p.user!.color}` }), p.user!.name, p.file ? h('span', { class: 'dim' }, ` · ${basename(p.file)}`) : '');
      chip.addEventListener('click', () => {
        this.following = this.following === id ? null : id;
        this.peopleChanged();
      });
      return chip;
    });
    const meChip = h('span', { class: 'live-person me', title: 'You' }, h('span', { class: 'dot', style: `background:${this.me.color}` }), `${this.me.name} (you)`);
    this.peopleEl.replaceChildren(meChip, ...chips);
    if (this.following !== null) {
      const f = others.get(this.following);
      if (!f) this.following = null;
      else if (f.file && f.file !== this.active?.path) void this.open(f.file);
    }
  }

  /** In follow mode, keeps the followed participant's cursor in view. */
  private followCursor(room: LiveRoom, view: EditorView) {
    if (this.following === null || this.active?.room !== room) return;
    const followed = this.tree.awareness.getStates().get(this.following) as Presence | undefined;
    const them = [...room.others().values()].find((p) => p.user?.name === followed?.user?.name);
    if (!them?.cursor) return;
    const pos = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(them.cursor.head), room.doc);
    if (pos) view.dispatch({ effects: EditorView.scrollIntoView(Math.min(pos.index, view.state.doc.length), { y: 'center' }) });
  }

  leave() {
    for (const t of [...this.tabs]) this.closeTab(t);
    this.tree.close();
    this.el.remove();
    void this.backend.collabLeave().catch(() => {});
    this.opts.onLeave?.();
  }
}

/** Asks for an invite link and a name, then joins. */
export function joinDialog(backend: Backend, settings: () => Settings) {
  if (document.querySelector('.join-panel')) return;
  const link = h('input', { class: 'modal-input join-link', type: 'text', placeholder: 'ws://HOST:PORT/?token=…', 'aria-label': 'Invite link' });
  const name = h('input', { class: 'modal-input join-name', type: 'text', placeholder: 'Your name', 'aria-label': 'Your name' });
  name.value = localStorage.getItem('weft.collab.name') ?? '';
  const error = h('p', { class: 'error' });
  const body = h('div', { class: 'join-panel' }, h('p', { class: 'dim' }, 'Paste the invite link the host gave you.'), link, name, error);
  const cancel = h('button', { class: 'btn' }, 'Cancel');
  const join = h('button', { class: 'btn primary' }, 'Join');
  const modal = panelModal('Join a live session', body, [cancel, join], () => modal.remove());
  cancel.addEventListener('click', () => modal.remove());
  const go = async () => {
    const who = name.value.trim() || 'Guest';
    localStorage.setItem('weft.collab.name', who);
    try {
      const host = link.value.trim();
      await openLive(backend, { link: host, name: who, settings, title: host.replace(/\/?\?.*$/, '') });
      modal.remove();
    } catch (e) {
      error.textContent = errorMessage(e);
    }
  };
  join.addEventListener('click', () => void go());
  for (const i of [link, name]) i.addEventListener('keydown', (e) => e.key === 'Enter' && void go());
  link.focus();
}
