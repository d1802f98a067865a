// The workbench: sidebar (explorer, search), editor groups (split panes), status bar.
// It owns the open documents and reacts to outside changes reported by the watcher.

import { EditorView } from '@codemirror/view';
import { h, basename, debounce } from './dom';
import { mark, marks } from './marks';
import { BackendError, type Backend, type AppInfo, type Settings, type FsChange, type RecentWorkspace, type Session, type TreeEntry, type DocStream } from './backend';
import { choose, toast, errorMessage, panelModal } from './dialogs';
import { CostMeter } from './usage';
import { Doc } from './editor/doc';
import { Commands, showKey } from './commands';
import { EditorGroup, type Tab } from './editor/group';
import { applySettings, baseExtensions, ensureVim } from './editor/extensions';
import { FileTree } from './tree';
import { SearchPanel } from './search';
import { openFinder } from './finder';
import { openPalette } from './palette';
import { DocSyntax } from './editor/syntax';
import { setAgentCursor } from './editor/agentcursor';
import { OutlinePanel, renderCrumbs, openFileSymbols, openWorkspaceSymbols } from './outline';
import { openLintPanel } from '@codemirror/lint';
import type { TerminalPanel } from './terminal';

const MAX_GROUPS = 3;

/** Requests main.ts sent before this code loaded: the root listing and the restored files. */
export interface Preload {
  listing: Promise<TreeEntry[]>;
  docs: Map<string, DocStream>;
}

export class App {
  private docs = new Map<string, Doc>();
  private commands = new Commands();
  /** Documents being bound, so two opens of one file share one binding. */
  private loading = new Map<string, Promise<Doc>>();
  private groups: EditorGroup[] = [];
  private activeGroup!: EditorGroup;
  private tree!: FileTree;
  private searchPanel!: SearchPanel;
  private sidebar!: HTMLElement;
  /** The terminal panel and xterm.js load on first use: most start-ups need neither. */
  private terminalsP: Promise<TerminalPanel> | null = null;
  private terminalHost = h('div', { class: 'terminal-host', hidden: true });
  /** The agent panel loads on first use, like the terminal. */
  private agentP: Promise<import('./agent').AgentPanel> | null = null;
  private agentHost = h('div', { class: 'agent-host', hidden: true });
  private costMeter!: CostMeter;
  private groupsEl!: HTMLElement;
  private status!: Record<'left' | 'conn' | 'pos' | 'lang' | 'eol' | 'enc' | 'mode' | 'problems', HTMLElement>;
  private outline!: OutlinePanel;
  private restoring = false;
  private saveSession = debounce(() => void this.persistSession(), 400);

  constructor(
    private backend: Backend,
    private info: AppInfo,
    private settings: Settings,
    private settingsError: string | null,
    private session: Session | null,
    private preload: Preload | null = null,
  ) {}

  async start(root: HTMLElement): Promise<void> {
    this.applyGlobalSettings();
    if (!this.info.workspace) {
      root.replaceChildren(await this.welcome());
      return;
    }
    // The workbench is built detached and shown once the tree and the restored tabs are
    // in it: shown empty first, WebKit lays out and paints it before it hands over the
    // replies, and then again with the content (~25 ms of start-up measured).
    const workbench = this.layout();
    let shown = false;
    const show = () => {
      if (shown) return;
      shown = true;
      root.replaceChildren(workbench);
      for (const g of this.groups) for (const t of g.tabs) t.view.requestMeasure();
      this.activeGroup.active?.view.focus();
    };
    // A slow disk must not leave the window blank: then the workbench shows as it fills.
    const fallback = setTimeout(show, 250);
    this.backend.setTitle(`${this.info.workspace.name} — Weft`);
    this.registerCommands();
    document.addEventListener('keydown', (e) => this.onKey(e), true);
    this.backend.onCloseRequested(() => this.confirmDiscardAll('closing Weft'));
    this.backend.onConnection((up) => {
      this.status.conn.textContent = up ? '' : 'Disconnected — reconnecting…';
      this.status.conn.classList.toggle('bad', !up);
      if (up) this.subscribe();
    });
    if (this.settingsError) toast(`${this.settingsError} (defaults are in use)`, 'error');
    await ensureVim(this.settings);
    mark('layout');
    await Promise.all([this.tree.load(this.preload?.listing).then(() => mark('tree')), this.settings.restoreTabs ? this.restoreSession().then(() => mark('tabs')) : null]);
    clearTimeout(fallback);
    show();
    // Ready means laid out, not merely in the DOM: force the layout the next frame would do.
    void workbench.offsetHeight;
    mark('ready');
    void this.backend.terminalList().then(async (running) => {
      if (running.length) await (await this.terminals()).restore(running);
    }).catch(() => {});
    void this.backend.uiReady(marks).catch(() => {});
    // Restored files are documents: Rust merges what changes on disk, watcher or not.
    this.preload = null;
    // Off the start-up path: the ledger is read once the editor is interactive.
    setTimeout(() => void this.costMeter.refresh(null), 500);
  }

  // ---- layout -------------------------------------------------------------------------

  private layout(): HTMLElement {
    this.tree = new FileTree(this.backend, {
      open: (p) => void this.openFile(p),
      renamed: (from, to) => this.onRenamed(from, to),
      deleted: (p) => this.onDeleted(p),
    });
    this.searchPanel = new SearchPanel(this.backend, (p, line, from, to) => void this.openFile(p, { line, from, to }), () => this.confirmSaveBeforeReplace());
    const explorerBtn = h('button', { class: 'side-tab active', title: 'Explorer (Ctrl+Shift+E)' }, 'Explorer');
    const searchBtn = h('button', { class: 'side-tab', title: 'Search (Ctrl+Shift+F)' }, 'Search');
    const timelineBtn = h('button', { class: 'side-tab', title: 'Checkpoints: the timeline of every change' }, 'Timeline');
    const outlineBtn = h('button', { class: 'side-tab', title: 'Outline of the open file (Ctrl+Shift+O to jump)' }, 'Outline');
    this.outline = new OutlinePanel(this.backend);
    const outlineView = h('div', { class: 'side-view outline-view', hidden: true }, this.outline.el);
    const explorer = h('div', { class: 'side-view explorer' },
      h('div', { class: 'side-toolbar' },
        h('span', { class: 'ws-name', title: this.info.workspace?.root ?? '' }, this.info.workspace?.name ?? ''),
        h('button', { class: 'icon-btn', title: 'New File', 'aria-label': 'New File', onclick: () => void this.tree.newEntry(this.selectedDir(), false) }, '+'),
        h('button', { class: 'icon-btn', title: 'New Folder', 'aria-label': 'New Folder', onclick: () => void this.tree.newEntry(this.selectedDir(), true) }, '⊞'),
        h('button', { class: 'icon-btn', title: 'Refresh', 'aria-label': 'Refresh', onclick: () => this.tree.changed([''], true) }, '⟳')),
      this.tree.el);
    const searchView = h('div', { class: 'side-view search', hidden: true }, this.searchPanel.el);
    const timelineView = h('div', { class: 'side-view timeline', hidden: true });
    const show = (which: 'explorer' | 'search' | 'timeline' | 'outline') => {
      explorer.hidden = which !== 'explorer';
      outlineView.hidden = which !== 'outline';
      outlineBtn.classList.toggle('active', which === 'outline');
      searchView.hidden = which !== 'search';
      timelineView.hidden = which !== 'timeline';
      explorerBtn.classList.toggle('active', which === 'explorer');
      searchBtn.classList.toggle('active', which === 'search');
      timelineBtn.classList.toggle('active', which === 'timeline');
      this.sidebar.hidden = false;
    };
    // Loaded on first use: the timeline is not on the start-up path.
    let timeline: Promise<void> | null = null;
    timelineBtn.addEventListener('click', () => {
      show('timeline');
      timeline ??= import('./checkpoints').then(({ CheckpointPanel }) => {
        const panel = new CheckpointPanel(this.backend, () => this.settings);
        timelineView.append(panel.el);
        return panel.start();
      });
    });
    explorerBtn.addEventListener('click', () => show('explorer'));
    outlineBtn.addEventListener('click', () => {
      show('outline');
      this.outline.show(this.activeGroup.active);
    });
    searchBtn.addEventListener('click', () => {
      show('search');
      this.searchPanel.focus();
    });
    this.showSidebar = show;
    this.sidebar = h('aside', { class: 'sidebar' }, h('div', { class: 'side-tabs' }, explorerBtn, searchBtn, outlineBtn, timelineBtn), explorer, searchView, outlineView, timelineView);

    this.groupsEl = h('div', { class: 'groups' });
    this.addGroup();


    const item = (cls: string, title = '') => h('span', { class: `status-item ${cls}`, title });
    this.status = {
      conn: item('conn'), left: item('file'), pos: item('pos', 'Line and column'), lang: item('lang', 'Language'),
      eol: item('eol', 'Line endings'), enc: item('enc', 'Encoding'), mode: item('mode'), problems: item('problems'),
    };
    this.status.problems.addEventListener('click', () => {
      const view = this.activeGroup.active?.view;
      if (view) openLintPanel(view);
    });
    const settingsBtn = h('button', { class: 'status-btn', title: 'Settings (Ctrl+,)', onclick: () => void this.openSettings() }, '⚙ Settings');
    const termBtn = h('button', { class: 'status-btn', title: 'Toggle Terminal (Ctrl+`)', onclick: () => void this.terminals().then((t) => t.toggle()) }, '⌨ Terminal');
    this.costMeter = new CostMeter(this.backend);
    const agentBtn = h('button', { class: 'status-btn agent-btn', title: 'Toggle the agent panel (Ctrl+Alt+I)', onclick: () => void this.toggleAgent() }, '✦ Agent');
    const themeBtn = h('button', { class: 'status-btn', title: 'Toggle dark/light theme', onclick: () => void this.toggleTheme() }, '◐');
    const topbar = this.topbar();
    const statusbar = h('footer', { class: 'statusbar' }, this.status.conn, this.status.left, h('span', { class: 'spacer' }),
      this.status.problems, this.status.mode, this.status.pos, this.status.lang, this.status.eol, this.status.enc, this.costMeter.el, agentBtn, termBtn, themeBtn, settingsBtn);
    return h('div', { class: 'workbench' }, topbar, h('div', { class: 'main' }, this.sidebar, h('div', { class: 'editor-area' }, this.groupsEl, this.terminalHost), this.agentHost), statusbar);
  }

  private agent(): Promise<import('./agent').AgentPanel> {
    this.agentP ??= import('./agent').then(async ({ AgentPanel }) => {
      const panel = new AgentPanel(this.backend, {
        settings: () => this.settings,
        patchSettings: (edit) => this.patchSettings(edit),
        openFile: (path) => void this.openFile(path),
        selection: () => {
          const tab = this.activeGroup.active;
          const sel = tab?.view.state.selection.main;
          if (!tab || !sel || sel.empty) return null;
          const doc = tab.view.state.doc;
          return { path: tab.doc.path, fromLine: doc.lineAt(sel.from).number, toLine: doc.lineAt(sel.to).number, text: doc.sliceString(sel.from, sel.to) };
        },
        problems: () => {
          const tab = this.activeGroup.active;
          const errors = tab?.doc.syntax?.analysis?.errors ?? [];
          if (!tab) return null;
          return { path: tab.doc.path, text: errors.length ? errors.map((d) => `${tab.doc.path}:${d.line}: ${d.message}`).join('\n') : 'no syntax errors' };
        },
        terminalText: async () => (this.terminalsP ? (await this.terminalsP).recentText() : null),
        watchTerminal: (id) => void this.terminals().then((t) => t.watch(id)),
        spent: (thread, today) => this.costMeter.spent(thread, today),
        threadOpened: (id) => void this.costMeter.refresh(id),
        wrote: (path) => this.agentWrote(path),
        turnEnded: () => this.agentDone(),
      });
      this.agentHost.replaceWith(panel.el);
      await panel.start();
      return panel;
    });
    this.agentP.catch((e) => {
      this.agentP = null;
      toast(`The agent panel failed to load: ${errorMessage(e)}`, 'error');
    });
    return this.agentP;
  }

  private async toggleAgent() {
    const panel = await this.agent();
    // Toggling the panel that has just been created shows it.
    if (panel.el.hidden || !panel.el.dataset.shown) {
      panel.el.hidden = false;
      panel.el.dataset.shown = '1';
      panel.focus();
    } else panel.el.hidden = true;
  }

  private terminals(): Promise<TerminalPanel> {
    this.terminalsP ??= import('./terminal').then(({ TerminalPanel }) => {
      const panel = new TerminalPanel(this.backend, {
        settings: () => this.settings,
        platform: this.info.platform,
        workspaceRoot: this.info.workspace?.root ?? '',
        openFile: (path, line, col) => void this.openFile(path, { line, from: col - 1 }),
      });
      this.terminalHost.replaceWith(panel.el);
      return panel;
    });
    this.terminalsP.catch((e) => {
      this.terminalsP = null;
      toast(`The terminal could not load: ${errorMessage(e)}`, 'error');
    });
    return this.terminalsP;
  }

  private showSidebar: (which: 'explorer' | 'search' | 'timeline') => void = () => {};

  private topbar(): HTMLElement {
    const bar = h('header', { class: 'topbar' }, h('span', { class: 'logo' }, 'Weft'));
    if (this.info.canOpenFolders) {
      bar.append(h('button', { class: 'top-btn', title: 'Open Folder (Ctrl+O)', onclick: () => void this.openFolderDialog() }, 'Open Folder…'));
      const recentBtn = h('button', { class: 'top-btn', title: 'Recent folders' }, 'Recent ▾');
      recentBtn.addEventListener('click', (e) => void this.recentMenu(e));
      bar.append(recentBtn);
    }
    const shareBtn = h('button', { class: 'top-btn share-btn', title: 'Share this folder with guests (live collaboration)' }, 'Share');
    shareBtn.addEventListener('click', () => void import('./share').then(({ openShare }) => openShare(this.backend, (on) => {
      shareBtn.classList.toggle('sharing', on);
      shareBtn.textContent = on ? 'Sharing' : 'Share';
    }, () => this.settings)));
    const joinBtn = h('button', { class: 'top-btn join-btn', title: 'Join someone else\'s live session from their invite link', onclick: () => this.join() }, 'Join…');
    bar.append(h('span', { class: 'spacer' }), h('span', { class: 'top-hint' }, 'Ctrl+Shift+P commands · Ctrl+P files · Ctrl+Shift+F search'), joinBtn, shareBtn);
    return bar;
  }

  private async welcome(): Promise<HTMLElement> {
    const recent = await this.backend.recentWorkspaces().catch(() => [] as RecentWorkspace[]);
    return h('div', { class: 'welcome' }, h('h1', {}, 'Weft'), h('p', {}, 'Open a folder to start.'),
      h('button', { class: 'btn primary', onclick: () => void this.openFolderDialog() }, 'Open Folder…'), ' ',
      h('button', { class: 'btn', onclick: () => this.join() }, 'Join a live session…'),
      h('h3', {}, 'Recent'),
      h('div', { class: 'recent-list' }, ...recent.map((r) => h('button', { class: 'recent-item', title: r.path, onclick: () => void this.switchFolder(r.path) }, h('b', {}, r.name), ' ', h('span', {}, r.path)))));
  }

  private join() {
    void import('./live').then(({ joinDialog }) => joinDialog(this.backend, () => this.settings));
  }

  private async recentMenu(e: MouseEvent) {
    document.querySelector('.context-menu')?.remove();
    const recent = await this.backend.recentWorkspaces().catch(() => [] as RecentWorkspace[]);
    const menu = h('div', { class: 'context-menu', role: 'menu', style: `left:${e.clientX}px;top:${e.clientY + 10}px` },
      ...(recent.length ? recent : []).map((r) => h('button', { class: 'menu-item', role: 'menuitem', title: r.path, onclick: () => { menu.remove(); void this.switchFolder(r.path); } }, `${r.name} — ${r.path}`)));
    if (!recent.length) menu.append(h('div', { class: 'menu-empty' }, 'No recent folders'));
    document.body.append(menu);
    const away = (ev: Event) => {
      if (!menu.contains(ev.target as Node)) {
        menu.remove();
        document.removeEventListener('mousedown', away, true);
      }
    };
    document.addEventListener('mousedown', away, true);
  }

  private async openFolderDialog() {
    const path = await this.backend.pickFolder();
    if (path) await this.switchFolder(path);
  }

  private async switchFolder(path: string) {
    if (!(await this.confirmDiscardAll('switching folders'))) return;
    try {
      await this.backend.openWorkspace(path);
      location.reload();
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  private selectedDir(): string {
    const sel = this.tree.selectedPath;
    if (!sel) return '';
    const isDir = document.querySelector(`.tree-row.dir[data-path="${CSS.escape(sel)}"]`);
    return isDir ? sel : sel.includes('/') ? sel.slice(0, sel.lastIndexOf('/')) : '';
  }

  // ---- groups and tabs ------------------------------------------------------------------

  private addGroup(): EditorGroup {
    const group = new EditorGroup({
      settings: () => this.settings,
      onActivate: (g, tab) => {
        this.activeGroup = g;
        for (const other of this.groups) other.el.classList.toggle('active-group', other === g);
        this.updateStatus(tab);
        renderCrumbs(g.crumbsEl, tab);
        this.outline?.show(tab);
        if (tab) void this.tree?.reveal(tab.doc.path);
      },
      onCursor: (tab) => {
        if (tab === this.activeGroup.active) this.updateStatus(tab);
        this.syntaxChanged(tab.doc);
      },
      requestClose: (g, tab) => void this.closeTab(g, tab),
      onTabsChanged: () => {
        this.updateDirtyFlag();
        if (!this.restoring) this.saveSession();
      },
      banner: (tab) => this.banner(tab),
    });
    this.groups.push(group);
    this.groupsEl.append(group.el);
    this.activeGroup = group;
    return group;
  }

  private splitRight() {
    if (this.groups.length >= MAX_GROUPS) return toast(`At most ${MAX_GROUPS} side-by-side groups`);
    const doc = this.activeGroup.active?.doc;
    const group = this.addGroup();
    if (doc) group.open(doc);
    this.saveSession();
  }

  /** The open document for `path`, binding to it if needed; null (and a toast) if it cannot be opened as text. */
  private async loadDoc(path: string): Promise<Doc | null> {
    let doc = this.docs.get(path);
    if (doc) return doc;
    let pending = this.loading.get(path);
    if (!pending) {
      pending = Doc.open(this.backend, path, this.preload?.docs.get(path), (e) => toast(errorMessage(e), 'error'));
      this.preload?.docs.delete(path);
      this.loading.set(path, pending);
    }
    try {
      doc = await pending;
    } catch (e) {
      const code = e instanceof BackendError ? e.code : '';
      toast(code === 'binary_file' ? `${path} is a binary file; it is not opened as text` : errorMessage(e), 'error');
      return null;
    } finally {
      this.loading.delete(path);
    }
    const known = this.docs.get(path);
    if (known) return known;
    if (!doc.large) {
      const d = doc;
      d.syntax = new DocSyntax(this.backend, d);
      d.syntax.onChange(() => this.syntaxChanged(d));
    } else {
      toast(`${path} is large: opened read-only, without highlighting`);
    }
    this.docs.set(path, doc);
    doc.onChange(() => this.updateDirtyFlag());
    // Moved by another program (a `git mv`, a terminal): the tab follows, edits and all.
    doc.onMoved = (from, to) => this.onRenamed(from, to);
    return doc;
  }

  async openFile(path: string, at?: { line?: number; from?: number; to?: number; group?: EditorGroup; focus?: boolean }): Promise<Tab | null> {
    const doc = await this.loadDoc(path);
    if (!doc) return null;
    const group = at?.group ?? this.activeGroup;
    const tab = group.open(doc, at?.focus ?? true);
    if (at?.line) group.reveal(tab, at.line, at.from, at.to);
    return tab;
  }

  private async closeTab(group: EditorGroup, tab: Tab) {
    const lastView = tab.doc.views.size === 1;
    let discard = false;
    if (lastView && tab.doc.dirty) {
      const answer = await choose('Unsaved changes', `Save changes to ${tab.doc.path} before closing?`, [
        { label: 'Save', value: 'save', primary: true },
        { label: "Don't Save", value: 'discard', danger: true },
        { label: 'Cancel', value: 'cancel' },
      ]);
      if (answer === 'cancel') return;
      if (answer === 'save' && !(await this.save(tab.doc))) return;
      discard = answer === 'discard';
    }
    group.close(tab);
    if (lastView) {
      this.docs.delete(tab.doc.path);
      tab.doc.syntax?.close();
      tab.doc.close(this.backend, discard);
    }
    if (!group.tabs.length && this.groups.length > 1) {
      this.groups.splice(this.groups.indexOf(group), 1);
      group.el.remove();
      const next = this.groups[this.groups.length - 1];
      this.activeGroup = next;
      next.active?.view.focus();
      this.updateStatus(next.active);
      this.saveSession();
    }
  }

  private async save(doc: Doc): Promise<boolean> {
    if (doc.deletedOnDisk) {
      // Another program (or the user, elsewhere) deleted it: writing it back is a choice.
      const answer = await choose('Deleted on disk', `${doc.path} was deleted on disk. Save it again?`, [
        { label: 'Save', value: 'save', primary: true },
        { label: 'Cancel', value: 'cancel' },
      ]);
      if (answer !== 'save') return false;
    }
    try {
      await doc.save(this.backend);
      return true;
    } catch (e) {
      toast(`Could not save ${doc.path}: ${errorMessage(e)}`, 'error');
      return false;
    }
  }

  private async saveAll(): Promise<boolean> {
    let ok = true;
    for (const d of this.docs.values()) if (d.dirty) ok = (await this.save(d)) && ok;
    return ok;
  }

  private dirtyDocs(): Doc[] {
    return [...this.docs.values()].filter((d) => d.dirty);
  }

  private async confirmDiscardAll(what: string): Promise<boolean> {
    const dirty = this.dirtyDocs();
    if (!dirty.length) return true;
    const answer = await choose('Unsaved changes', `${dirty.length} file${dirty.length > 1 ? 's have' : ' has'} unsaved changes (${dirty.map((d) => d.path).join(', ')}). Save before ${what}?`, [
      { label: 'Save All', value: 'save', primary: true },
      { label: "Don't Save", value: 'discard', danger: true },
      { label: 'Cancel', value: 'cancel' },
    ]);
    if (answer === 'cancel') return false;
    if (answer === 'save') return this.saveAll();
    return true;
  }

  private async confirmSaveBeforeReplace() {
    if (this.dirtyDocs().length) {
      const save = await choose('Unsaved changes', 'Replace works on the files on disk. Save open files first?', [
        { label: 'Save All', value: true, primary: true },
        { label: 'Replace on disk only', value: false },
      ]);
      if (save) await this.saveAll();
    }
  }

  private updateDirtyFlag() {
    const dirty = this.dirtyDocs().length > 0;
    document.body.dataset.dirty = String(dirty);
    const active = this.activeGroup?.active;
    if (this.info.workspace) this.backend.setTitle(`${active ? `${active.doc.dirty ? '● ' : ''}${basename(active.doc.path)} — ` : ''}${this.info.workspace.name} — Weft`);
  }

  // ---- outside changes ----------------------------------------------------------------

  private watchHandle: ReturnType<Backend['watch']> | null = null;

  private subscribe() {
    this.watchHandle?.cancel();
    this.watchHandle = this.backend.watch((ev) => this.onDiskChanges(ev.changes));
    // After a reconnect anything may have changed: re-list and re-check open files.
    this.tree.changed([''], true);
    for (const doc of this.docs.values()) void this.reloadFromDisk(doc);
  }

  private onDiskChanges(changes: FsChange[]) {
    const rescan = changes.some((c) => c.kind === 'rescan');
    this.tree.changed(changes.filter((c) => c.kind !== 'modified' || c.isDir).map((c) => c.path), rescan);
    for (const doc of this.docs.values()) {
      const hit = changes.find((c) => c.path === doc.path || (c.kind === 'removed' && doc.path.startsWith(c.path + '/')));
      if (!doc.bound) {
        if (rescan || hit) void this.reloadFromDisk(doc);
      } else if (rescan) {
        void this.checkExists(doc);
      } else if (hit && (hit.kind === 'removed') !== doc.deletedOnDisk) {
        // The text itself is Rust's to merge; the editor only shows that the file went.
        doc.deletedOnDisk = hit.kind === 'removed';
        doc.notify();
      }
    }
  }

  private async checkExists(doc: Doc) {
    try {
      await this.backend.readFile(doc.path);
      if (doc.deletedOnDisk) {
        doc.deletedOnDisk = false;
        doc.notify();
      }
    } catch (e) {
      if (e instanceof BackendError && e.code === 'not_found' && !doc.deletedOnDisk) {
        doc.deletedOnDisk = true;
        doc.notify();
      }
    }
  }

  /** The agent wrote `path`. Documents already have the change, with the agent's cursor
   * (Rust applied it); a large file's read-only view is reloaded. */
  agentWrote(path: string) {
    const doc = this.docs.get(path);
    if (doc && !doc.bound) void this.reloadFromDisk(doc, true);
  }

  /** The agent's turn ended: its cursor leaves every editor. */
  agentDone() {
    for (const doc of this.docs.values()) for (const v of doc.views) v.dispatch({ effects: setAgentCursor.of(null) });
  }

  /** A large (unbound, read-only) file changed on disk: shown as it is now. */
  private async reloadFromDisk(doc: Doc, byAgent = false) {
    let disk: string;
    try {
      disk = (await this.backend.readFile(doc.path)).text;
    } catch (e) {
      if (e instanceof BackendError && e.code === 'not_found' && !doc.deletedOnDisk) {
        doc.deletedOnDisk = true;
        doc.notify();
      }
      return;
    }
    doc.deletedOnDisk = false;
    const end = doc.replaceText(disk);
    doc.markSaved();
    if (byAgent && end !== null) for (const v of doc.views) v.dispatch({ effects: setAgentCursor.of(end) });
  }

  private banner(tab: Tab): HTMLElement | null {
    const doc = tab.doc;
    if (doc.conflicts.length) {
      const n = doc.conflicts.length;
      return h('div', { class: 'banner warn', role: 'alert' },
        h('span', {}, `${basename(doc.path)} changed on disk where you have unsaved changes; your text was kept in ${n === 1 ? 'one place' : `${n} places`}.`),
        h('button', { class: 'btn small', onclick: () => void this.keepMine(doc) }, 'Keep mine'),
        h('button', { class: 'btn small', onclick: () => void this.takeDisk(doc) }, 'Take disk'),
        h('button', { class: 'btn small primary', onclick: () => void this.compare(doc) }, 'Compare…'));
    }
    if (doc.deletedOnDisk) {
      return h('div', { class: 'banner', role: 'status' }, `${basename(doc.path)} was deleted on disk. Saving asks before creating it again.`);
    }
    if (doc.large) return h('div', { class: 'banner', role: 'status' }, 'Large file: read-only, without highlighting.');
    return null;
  }

  private async keepMine(doc: Doc) {
    // Mine stays; it differs from the disk, so it stays unsaved until saved.
    await doc.keepMine(this.backend).catch((e) => toast(errorMessage(e), 'error'));
  }

  private async takeDisk(doc: Doc) {
    await doc.takeDisk(this.backend).catch((e) => toast(errorMessage(e), 'error'));
  }

  private async compare(doc: Doc) {
    let disk: string;
    try {
      const f = await this.backend.readFile(doc.path);
      // The editor's text has "\n" breaks when the file's are all CRLF.
      disk = doc.bound && doc.lineEnding === 'crlf' ? f.text.replace(/\r\n/g, '\n') : f.text;
    } catch (e) {
      toast(errorMessage(e), 'error');
      return;
    }
    const { MergeView } = await import('@codemirror/merge');
    const host = h('div', { class: 'merge-host' });
    const exts = baseExtensions(this.settings, { large: false, readOnly: false, lineSeparator: doc.separator });
    const merge = new MergeView({
      a: { doc: doc.text(), extensions: exts },
      b: { doc: disk, extensions: [...baseExtensions(this.settings, { large: false, readOnly: true, lineSeparator: doc.separator })] },
      parent: host,
      revertControls: 'b-to-a',
      highlightChanges: true,
      gutter: true,
    });
    const body = h('div', { class: 'merge-wrap' }, h('div', { class: 'merge-heads' }, h('span', {}, 'Mine (editable: pull changes with the arrows)'), h('span', {}, 'On disk')), host);
    const use = h('button', { class: 'btn primary' }, 'Use left side');
    const cancel = h('button', { class: 'btn' }, 'Cancel');
    const modal = panelModal(`Compare ${doc.path}`, body, [use, cancel], () => done(false));
    const done = (apply: boolean) => {
      if (apply) {
        doc.replaceText(merge.a.state.sliceDoc());
        void this.keepMine(doc);
      }
      merge.destroy();
      modal.remove();
    };
    use.addEventListener('click', () => done(true));
    cancel.addEventListener('click', () => done(false));
  }

  private onRenamed(from: string, to: string) {
    for (const doc of [...this.docs.values()]) {
      if (doc.path === from || doc.path.startsWith(from + '/')) {
        this.docs.delete(doc.path);
        doc.path = to + doc.path.slice(from.length);
        this.docs.set(doc.path, doc);
        doc.syntax?.renamed();
        doc.deletedOnDisk = false;
        for (const g of this.groups) for (const t of g.tabs) if (t.doc === doc) {
          t.tabEl.dataset.path = doc.path;
          t.tabEl.title = doc.path;
          const name = t.tabEl.querySelector('.tab-name');
          if (name) name.textContent = basename(doc.path);
        }
        doc.notify();
      }
    }
    this.saveSession();
  }

  private onDeleted(path: string) {
    for (const doc of this.docs.values()) {
      if (doc.path === path || doc.path.startsWith(path + '/')) {
        doc.deletedOnDisk = true;
        doc.notify();
      }
    }
  }

  // ---- session --------------------------------------------------------------------------

  private async persistSession() {
    const groups = this.groups.map((g) => ({ files: g.tabs.map((t) => t.doc.path), active: g.active?.doc.path ?? null }));
    await this.backend.saveSession({ groups, activeGroup: Math.max(0, this.groups.indexOf(this.activeGroup)) }).catch(() => {});
  }

  private async restoreSession() {
    const session = this.session;
    if (!session?.groups.length) return;
    this.restoring = true;
    try {
      // Read every file at once; then open the tabs in their saved order.
      await Promise.all(session.groups.flatMap((g) => g.files).map((f) => this.loadDoc(f)));
      for (const [i, gs] of session.groups.entries()) {
        if (!gs.files.length) continue;
        const group = i === 0 ? this.groups[0] : this.groups.length < MAX_GROUPS ? this.addGroup() : this.groups[this.groups.length - 1];
        for (const f of gs.files) await this.openFile(f, { group, focus: false });
        const active = gs.active ? group.find(gs.active) : undefined;
        if (active) group.activate(active, false);
      }
      const g = this.groups[Math.min(session.activeGroup, this.groups.length - 1)];
      if (g?.active) g.activate(g.active);
    } finally {
      this.restoring = false;
    }
  }

  // ---- settings ---------------------------------------------------------------------------

  private applyGlobalSettings() {
    document.body.dataset.theme = this.settings.theme;
    // Only families the platform has: every missing family in a stack is a font lookup
    // on first render (measured: ~50 ms of WebKitGTK start-up for a four-name stack).
    const ui = { macos: '-apple-system, sans-serif', windows: "'Segoe UI', sans-serif" }[this.info.platform] ?? 'sans-serif';
    document.documentElement.style.setProperty('--ui-font', ui);
    document.documentElement.style.setProperty('--editor-font', this.settings.fontFamily);
  }

  private async applySettingsEverywhere(s: Settings) {
    await ensureVim(s);
    this.settings = s;
    this.applyGlobalSettings();
    const unknown = this.commands.setUserKeys(s.keybindings);
    if (unknown.length) toast(`keybindings: no command ${unknown.map((u) => JSON.stringify(u)).join(', ')} (Ctrl+Shift+P lists them)`, 'error');
    for (const g of this.groups) for (const t of g.tabs) applySettings(t.view, s);
    void this.terminalsP?.then((t) => t.applySettings(s));
    void this.agentP?.then((a) => a.settingsChanged());
    this.updateStatus(this.activeGroup?.active ?? null);
  }

  /** Changes some keys of the settings file, keeping everything else the user wrote. */
  private async patchSettings(edit: (obj: Record<string, unknown>) => void) {
    const dto = await this.backend.getSettings();
    const obj = JSON.parse(dto.text) as Record<string, unknown>;
    edit(obj);
    const saved = await this.backend.setSettings(JSON.stringify(obj, null, 2) + '\n');
    await this.applySettingsEverywhere(saved.settings);
  }

  private async toggleTheme() {
    try {
      await this.patchSettings((o) => (o.theme = this.settings.theme === 'dark' ? 'light' : 'dark'));
    } catch (e) {
      toast(`Could not change the theme: ${errorMessage(e)}`, 'error');
    }
  }

  private async openSettings() {
    if (document.querySelector('.settings-editor')) return;
    const [dto, { json }] = await Promise.all([this.backend.getSettings(), import('@codemirror/lang-json')]);
    const error = h('div', { class: 'settings-error', role: 'alert' }, dto.error ?? '');
    const host = h('div', { class: 'settings-editor' });
    const view = new EditorView({ parent: host, doc: dto.text, extensions: [baseExtensions(this.settings, { large: false, readOnly: false, lineSeparator: '\n' }), json()] });
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
        const saved = await this.backend.setSettings(view.state.doc.toString());
        error.textContent = '';
        await this.applySettingsEverywhere(saved.settings);
        toast('Settings saved');
      } catch (e) {
        error.textContent = errorMessage(e);
      }
    });
    view.focus();
  }

  // ---- status bar and keys -------------------------------------------------------------

  /** New analysis or a moved cursor: breadcrumbs, outline highlight and problem count. */
  private syntaxChanged(doc: Doc) {
    for (const g of this.groups) if (g.active?.doc === doc) renderCrumbs(g.crumbsEl, g.active);
    const active = this.activeGroup.active;
    if (active?.doc === doc) {
      this.outline?.cursorMoved(active);
      this.updateProblems(active);
    }
  }

  private updateProblems(tab: Tab | null) {
    const n = tab?.doc.syntax?.analysis?.errors.length ?? 0;
    this.status.problems.textContent = n ? `⊘ ${n}` : '';
    this.status.problems.title = n ? `${n} syntax error${n > 1 ? 's' : ''} in this file: click for the list (F8 moves to the next)` : '';
  }

  private updateStatus(tab: Tab | null) {
    if (!this.status) return;
    if (!tab) {
      for (const k of ['left', 'pos', 'lang', 'eol', 'enc', 'mode', 'problems'] as const) this.status[k].textContent = '';
      this.updateDirtyFlag();
      return;
    }
    const state = tab.view.state;
    const head = state.selection.main.head;
    const line = state.doc.lineAt(head);
    const sels = state.selection.ranges.length;
    const selected = state.selection.ranges.reduce((n, r) => n + r.to - r.from, 0);
    this.status.left.textContent = tab.doc.path;
    this.status.pos.textContent = `Ln ${line.number}, Col ${head - line.from + 1}${sels > 1 ? ` (${sels} cursors)` : selected ? ` (${selected} selected)` : ''}`;
    this.status.lang.textContent = tab.doc.large ? 'Plain Text (large file)' : tab.language;
    this.status.eol.textContent = tab.doc.lineEnding === 'crlf' ? 'CRLF' : 'LF';
    this.status.enc.textContent = tab.doc.encodingLabel;
    this.status.mode.textContent = [tab.doc.readonly ? 'Read-only' : '', this.settings.vimMode ? 'Vim' : ''].filter(Boolean).join(' · ');
    this.updateProblems(tab);
    this.updateDirtyFlag();
  }

  /** The workbench's commands and their default keys (see ./commands). */
  private registerCommands(): void {
    const active = () => this.activeGroup.active;
    this.commands.register(
      { id: 'workbench.commandPalette', title: 'Show All Commands', key: 'Mod-Shift-p', inTerminal: true, run: () => this.openCommandPalette() },
      { id: 'workbench.goToFile', title: 'Go to File…', key: 'Mod-p', run: () => openFinder(this.backend, (p, line) => void this.openFile(p, { line })) },
      {
        id: 'workbench.search', title: 'Search in Files', key: 'Mod-Shift-f', run: () => {
          this.showSidebar('search');
          const a = active();
          const sel = a ? a.view.state.sliceDoc(a.view.state.selection.main.from, a.view.state.selection.main.to) : '';
          this.searchPanel.focus(sel && !sel.includes('\n') ? sel : undefined);
        },
      },
      { id: 'view.explorer', title: 'Show Explorer', key: 'Mod-Shift-e', run: () => this.showSidebar('explorer') },
      { id: 'view.timeline', title: 'Show Checkpoint Timeline', run: () => this.showSidebar('timeline') },
      { id: 'editor.goToSymbol', title: 'Go to Symbol in File…', key: 'Mod-Shift-o', run: () => void (active() && openFileSymbols(active()!)) },
      { id: 'workbench.goToWorkspaceSymbol', title: 'Go to Symbol in Workspace…', key: 'Mod-t', run: () => openWorkspaceSymbols(this.backend, (p, line, column) => void this.openFile(p, { line, from: column })) },
      { id: 'file.save', title: 'Save', key: 'Mod-s', run: () => void (active() && this.save(active()!.doc)) },
      { id: 'file.saveAll', title: 'Save All', key: 'Mod-Alt-s', run: () => void this.saveAll() },
      { id: 'editor.close', title: 'Close Editor', key: 'Mod-w', run: () => void (active() && this.closeTab(this.activeGroup, active()!)) },
      { id: 'view.splitRight', title: 'Split Editor Right', key: 'Mod-\\', run: () => this.splitRight() },
      { id: 'workbench.settings', title: 'Open Settings', key: 'Mod-,', run: () => void this.openSettings() },
      { id: 'view.toggleSidebar', title: 'Toggle Sidebar', key: 'Mod-b', run: () => (this.sidebar.hidden = !this.sidebar.hidden) },
      { id: 'view.toggleTerminal', title: 'Toggle Terminal', key: 'Mod-`', inTerminal: true, run: () => void this.terminals().then((t) => t.toggle()) },
      { id: 'view.toggleAgent', title: 'Toggle Agent', key: 'Mod-Alt-i', inTerminal: true, run: () => void this.toggleAgent() },
      { id: 'collab.join', title: 'Join a Live Session…', run: () => this.join() },
    );
    if (this.info.canOpenFolders) this.commands.register({ id: 'file.openFolder', title: 'Open Folder…', key: 'Mod-o', run: () => void this.openFolderDialog() });
    const unknown = this.commands.setUserKeys(this.settings.keybindings);
    if (unknown.length) toast(`keybindings: no command ${unknown.map((u) => JSON.stringify(u)).join(', ')} (Ctrl+Shift+P lists them)`, 'error');
  }

  private openCommandPalette(): void {
    const all = () => this.commands.list().map((c) => {
      const key = this.commands.keyOf(c.id);
      // The id is what the keybindings setting names.
      return { label: c.title, detail: key ? `${showKey(key)} · ${c.id}` : c.id, id: c.id };
    });
    openPalette({
      placeholder: 'Run a command',
      query: async (text) => {
        const q = text.toLowerCase().trim();
        const items = all();
        if (!q) return items.sort((a, b) => a.label.localeCompare(b.label));
        // In order: every typed character found in the title, each after the last.
        return items
          .map((it) => {
            const indices: number[] = [];
            let at = 0;
            for (const ch of q) {
              const found = it.label.toLowerCase().indexOf(ch, at);
              if (found < 0) return null;
              indices.push(found);
              at = found + 1;
            }
            return { ...it, indices, score: indices[indices.length - 1] - indices[0] };
          })
          .filter((it): it is NonNullable<typeof it> => it !== null)
          .sort((a, b) => a.score - b.score || a.label.localeCompare(b.label));
      },
      choose: (item) => this.commands.run(item.id),
    });
  }

  private onKey(e: KeyboardEvent) {
    // The live session covers the workbench: its keys are its own.
    if ((e.target as HTMLElement | null)?.closest?.('.live')) return;
    // In a terminal, Ctrl+W, Ctrl+P, Ctrl+B… belong to the shell: only Ctrl+Shift combos and
    // the panel toggles are ours.
    const inTerminal = !!(e.target as HTMLElement | null)?.closest?.('.terminal-panel') && !e.shiftKey;
    this.commands.handle(e, inTerminal);
  }

}
