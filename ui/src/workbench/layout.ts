// Where things are: the top bar, the sidebar (explorer, search, outline, timeline), the
// editor groups (split panes) and their tabs, the panel hosts, and the status bar.

import { h, basename } from '../dom';
import { CostMeter } from '../usage';
import type { Doc } from '../editor/doc';
import type { IndexProgress, LspEvent } from '../backend';
import { EditorGroup, type Tab } from '../editor/group';
import { applySettings } from '../editor/extensions';
import { FileTree, type TreeHooks } from '../tree';
import type { FirstFrame } from '../firstframe';
import { SearchPanel } from '../search';
import { OutlinePanel, renderCrumbs } from '../outline';
import { openLintPanel } from '@codemirror/lint';
import { applyTextEdits, editChanges, hasLanguageServer, lspExtensions, wordCompletion } from '../editor/lsp';
import { autocompletion } from '@codemirror/autocomplete';
import type { LspFileEdit } from '../backend';
import { panelModal, errorMessage, toast, choose } from '../dialogs';
import { openDiff } from '../diffview';
import { openPalette } from '../palette';
import type { Workbench } from './context';
import { explorerBar, sideTabs } from './chrome';

export const MAX_GROUPS = 3;

export type SideView = 'explorer' | 'search' | 'timeline' | 'outline' | 'git' | 'problems';

/** What the bars' buttons do (the App's commands). */
export interface LayoutActions {
  openFolder(): void;
  recentMenu(e: MouseEvent): void;
  join(): void;
  openSettings(): void;
  toggleTerminal(): void;
  toggleAgent(): void;
  toggleTheme(): void;
}

export class Layout {
  readonly groups: EditorGroup[] = [];
  activeGroup!: EditorGroup;
  tree!: FileTree;
  searchPanel!: SearchPanel;
  sidebar!: HTMLElement;
  costMeter!: CostMeter;
  /** Replaced by the panels when they first load. */
  readonly terminalHost = h('div', { class: 'terminal-host', hidden: true });
  readonly agentHost = h('div', { class: 'agent-host', hidden: true });
  /** The live session's bar, in the top bar while there is one. */
  readonly liveHost = h('div', { class: 'live-host' });
  /** The run control (../run.ts fills it after the first frame). */
  readonly runHost = h('div', { class: 'run-host' });
  /** The preview pane, beside the editor groups (../preview.ts). */
  readonly previewHost = h('div', { class: 'preview-host', hidden: true });
  /** The problems runs found (../run.ts fills it). */
  readonly problemsView = h('div', { class: 'side-view problems-view', hidden: true });
  problemsBtn!: HTMLElement;
  private groupsEl!: HTMLElement;
  private status!: Record<'left' | 'conn' | 'pos' | 'lang' | 'eol' | 'enc' | 'mode' | 'problems' | 'update' | 'lsp' | 'index', HTMLElement>;
  /** The language servers' states, by name, for the status bar. */
  private servers = new Map<string, { state: string; message: string }>();
  private outline!: OutlinePanel;
  showSidebar: (which: SideView) => void = () => {};
  /** Shows Source Control; its panel, once loaded (null outside a repository's workbench). */
  sourceControl: () => Promise<import('../scm').ScmPanel | null> = async () => null;

  constructor(private wb: Workbench) {}

  /** Where an adopted tree goes (see build). */
  private treeSlot: Node | null = null;

  /** Moves an adopted tree into this workbench, in the task that shows it: no frame lacks it. */
  placeTree(): void {
    this.treeSlot?.parentNode?.replaceChild(this.tree.el, this.treeSlot);
    this.treeSlot = null;
  }

  /** The status bar's update item (./updates.ts fills it). */
  get updateItem(): HTMLElement {
    return this.status.update;
  }

  get active(): Tab | null {
    return this.activeGroup?.active ?? null;
  }

  /** `first`: the start-up's first frame, whose tree this adopts. */
  build(actions: LayoutActions, first: FirstFrame | null = null): HTMLElement {
    const { backend, info } = this.wb;
    // A guest reads the host's files and edits them in editors; files themselves (new,
    // renamed, deleted, replaced on disk) are the host's.
    const guest = !!this.wb.guest;
    const treeHooks: TreeHooks = {
      open: (p) => void this.wb.openFile(p),
      renamed: (from, to) => this.wb.docs.renamed(from, to),
      deleted: (p) => this.wb.docs.deleted(p),
      editable: !guest,
      mark: (p) => this.wb.git?.marks.get(p),
    };
    this.tree = first ? first.adoptTree(treeHooks) : new FileTree(backend, treeHooks);
    // An adopted tree stays in the first frame until this shows (placeTree).
    this.treeSlot = first ? document.createComment('tree') : null;
    // Git colours the tree and the tabs.
    this.wb.git?.onChange(() => {
      this.tree.markAll();
      for (const g of this.groups) for (const t of g.tabs) this.markTab(t);
    });
    this.searchPanel = new SearchPanel(backend, (p, line, from, to) => void this.wb.openFile(p, { line, from, to }), guest ? null : () => this.wb.docs.confirmSaveBeforeReplace());
    const tabs = sideTabs(guest);
    const { explorer: explorerBtn, search: searchBtn, timeline: timelineBtn, outline: outlineBtn, git: gitBtn } = tabs;
    this.problemsBtn = tabs.problems;
    const gitView = h('div', { class: 'side-view git-view', hidden: true });
    // Loaded when first shown, like the timeline.
    let scm: Promise<import('../scm').ScmPanel> | null = null;
    const showGit = (): Promise<import('../scm').ScmPanel> | null => {
      const git = this.wb.git;
      if (!git) return null;
      scm ??= import('../scm').then(({ ScmPanel }) => {
        const panel = new ScmPanel(backend, git, {
          settings: () => this.wb.settings(),
          openFile: (p) => void this.wb.openFile(p),
          unsaved: () => this.wb.docs.dirty().map((d) => d.path),
          saveAll: () => this.wb.docs.saveAll(),
          readOnly: guest,
        });
        gitView.append(panel.el);
        return panel;
      });
      void scm.then((p) => p.focus());
      return scm;
    };
    this.sourceControl = async () => {
      show('git');
      return showGit();
    };
    this.outline = new OutlinePanel(backend);
    const outlineView = h('div', { class: 'side-view outline-view', hidden: true }, this.outline.el);
    const explorer = h('div', { class: 'side-view explorer' },
      explorerBar(info.workspace?.name ?? '', info.workspace?.root ?? '', {
        newFile: () => void this.tree.newEntry(this.selectedDir(), false),
        newFolder: () => void this.tree.newEntry(this.selectedDir(), true),
        refresh: () => this.tree.changed([''], true),
      }, !guest),
      this.treeSlot ?? this.tree.el);
    const searchView = h('div', { class: 'side-view search', hidden: true }, this.searchPanel.el);
    const timelineView = h('div', { class: 'side-view timeline', hidden: true });
    const show = (which: SideView) => {
      explorer.hidden = which !== 'explorer';
      outlineView.hidden = which !== 'outline';
      outlineBtn.classList.toggle('active', which === 'outline');
      searchView.hidden = which !== 'search';
      timelineView.hidden = which !== 'timeline';
      gitView.hidden = which !== 'git';
      gitBtn.classList.toggle('active', which === 'git');
      this.problemsView.hidden = which !== 'problems';
      this.problemsBtn.classList.toggle('active', which === 'problems');
      if (which === 'git') showGit();
      explorerBtn.classList.toggle('active', which === 'explorer');
      searchBtn.classList.toggle('active', which === 'search');
      timelineBtn.classList.toggle('active', which === 'timeline');
      this.sidebar.hidden = false;
    };
    // Loaded on first use: the timeline is not on the start-up path.
    let timeline: Promise<void> | null = null;
    timelineBtn.addEventListener('click', () => {
      show('timeline');
      timeline ??= import('../checkpoints').then(({ CheckpointPanel }) => {
        const panel = new CheckpointPanel(backend, () => this.wb.settings());
        timelineView.append(panel.el);
        return panel.start();
      });
    });
    explorerBtn.addEventListener('click', () => show('explorer'));
    gitBtn.addEventListener('click', () => show('git'));
    this.problemsBtn.addEventListener('click', () => show('problems'));
    outlineBtn.addEventListener('click', () => {
      show('outline');
      this.outline.show(this.active);
    });
    searchBtn.addEventListener('click', () => {
      show('search');
      this.searchPanel.focus();
    });
    this.showSidebar = show;
    this.sidebar = h('aside', { class: 'sidebar' }, tabs.el, explorer, searchView, gitView, outlineView, timelineView, this.problemsView);

    this.groupsEl = h('div', { class: 'groups' });
    this.addGroup();

    const item = (cls: string, title = '') => h('span', { class: `status-item ${cls}`, title });
    this.status = {
      conn: item('conn'), left: item('file'), pos: item('pos', 'Line and column'), lang: item('lang', 'Language'),
      eol: item('eol', 'Line endings'), enc: item('enc', 'Encoding'), mode: item('mode'), problems: item('problems'), update: item('update'),
      lsp: item('lsp'), index: item('index'),
    };
    this.status.index.hidden = true;
    this.status.index.addEventListener('click', () => void this.stopIndex());
    this.status.problems.addEventListener('click', () => {
      const view = this.active?.view;
      if (view) openLintPanel(view);
    });
    const settingsBtn = h('button', { class: 'status-btn', title: 'Settings (Ctrl+,)', onclick: () => actions.openSettings() }, '⚙ Settings');
    const termBtn = h('button', { class: 'status-btn', title: 'Toggle Terminal (Ctrl+`)', onclick: () => actions.toggleTerminal() }, '⌨ Terminal');
    this.costMeter = new CostMeter(backend);
    const agentBtn = h('button', { class: 'status-btn agent-btn', title: 'Toggle the agent panel (Ctrl+Alt+I)', onclick: () => actions.toggleAgent() }, '✦ Agent');
    const themeBtn = h('button', { class: 'status-btn', title: 'Toggle dark/light theme', onclick: () => actions.toggleTheme() }, '◐');
    const statusbar = h('footer', { class: 'statusbar' }, this.status.conn, this.status.left, h('span', { class: 'spacer' }),
      this.status.index, this.status.problems, this.status.lsp, this.status.mode, this.status.pos, this.status.lang, this.status.eol, this.status.enc,
      guest ? null : this.costMeter.el, this.status.update, guest ? null : agentBtn, termBtn, themeBtn, settingsBtn);
    return h('div', { class: 'workbench' }, this.topbar(actions), h('div', { class: 'main' }, this.sidebar, h('div', { class: 'editor-area' }, h('div', { class: 'editor-row' }, this.groupsEl, this.previewSash(), this.previewHost), this.terminalHost), this.agentHost), statusbar);
  }

  private topbar(actions: LayoutActions): HTMLElement {
    const { backend, info } = this.wb;
    const bar = h('header', { class: 'topbar' }, h('span', { class: 'logo' }, 'Weft'));
    if (this.wb.guest) {
      bar.append(this.liveHost, h('span', { class: 'spacer' }), h('span', { class: 'top-hint' }, 'Ctrl+P files · Ctrl+Shift+F search'));
      return bar;
    }
    if (info.canOpenFolders) {
      bar.append(h('button', { class: 'top-btn', title: 'Open Folder (Ctrl+O)', onclick: () => actions.openFolder() }, 'Open Folder…'));
      const recentBtn = h('button', { class: 'top-btn', title: 'Recent folders' }, 'Recent ▾');
      recentBtn.addEventListener('click', (e) => actions.recentMenu(e));
      bar.append(recentBtn);
    }
    const shareBtn = h('button', { class: 'top-btn share-btn', title: 'Share this folder with guests (live collaboration)' }, 'Share');
    shareBtn.addEventListener('click', () => void import('../share').then(({ openShare }) => openShare(backend, (selfLink) => {
      shareBtn.classList.toggle('sharing', !!selfLink);
      shareBtn.textContent = selfLink ? 'Sharing' : 'Share';
      void this.wb.sharingChanged(selfLink);
    })));
    const joinBtn = h('button', { class: 'top-btn join-btn', title: 'Join someone else\'s live session from their invite link', onclick: () => actions.join() }, 'Join…');
    bar.append(this.runHost, this.liveHost, h('span', { class: 'spacer' }), h('span', { class: 'top-hint' }, 'Ctrl+Shift+P commands · Ctrl+P files · Ctrl+Shift+F search'), joinBtn, shareBtn);
    return bar;
  }

  /** The handle between the editors and the preview: dragged, it sizes the preview (kept). */
  private previewSash(): HTMLElement {
    const sash = h('div', { class: 'preview-sash', role: 'separator', 'aria-orientation': 'vertical', title: 'Drag to size the preview' });
    const saved = Number(localStorage.getItem('weft.preview.width'));
    if (saved > 0) this.previewHost.style.width = `${saved}px`;
    // Shown with the preview.
    new MutationObserver(() => (sash.hidden = this.previewHost.hidden)).observe(this.previewHost, { attributes: true, attributeFilter: ['hidden'] });
    sash.hidden = true;
    sash.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      sash.setPointerCapture(e.pointerId);
      const row = sash.parentElement!.getBoundingClientRect();
      // The frame must not swallow the drag.
      this.previewHost.style.pointerEvents = 'none';
      const move = (ev: PointerEvent) => {
        const w = Math.max(240, Math.min(row.right - ev.clientX, row.width - 240));
        this.previewHost.style.width = `${w}px`;
      };
      const up = () => {
        sash.removeEventListener('pointermove', move);
        this.previewHost.style.pointerEvents = '';
        localStorage.setItem('weft.preview.width', String(parseInt(this.previewHost.style.width, 10) || 0));
      };
      sash.addEventListener('pointermove', move);
      sash.addEventListener('pointerup', up, { once: true });
    });
    return sash;
  }

  /** A language server started, stopped, is missing or crashed: the status bar says so. */
  lspEvent(e: LspEvent): void {
    if (e.kind !== 'server') return;
    const before = this.servers.get(e.server);
    this.servers.set(e.server, { state: e.state, message: e.message || before?.message || '' });
    // Said once, with how to install it; crashes are said as they happen.
    if (e.state === 'missing' && before?.state !== 'missing' && e.message) toast(`Language server: ${e.message}`);
    if (e.state === 'failed' && e.message) toast(e.message, 'error');
    const glyph: Record<string, string> = { running: '✓', starting: '…', restarting: '↻', missing: '✗', failed: '✗', stopped: '·' };
    const shown = [...this.servers].filter(([, s]) => s.state !== 'stopped');
    this.status.lsp.textContent = shown.map(([name, s]) => `${glyph[s.state] ?? ''} ${name}`).join('  ');
    this.status.lsp.title = shown.map(([name, s]) => `${name}: ${s.state}${s.message ? ` — ${s.message}` : ''}`).join('\n');
    this.status.lsp.classList.toggle('bad', shown.some(([, s]) => s.state === 'failed' || s.state === 'missing'));
  }

  /** The workspace symbol index build's progress: shown while one runs; a click stops it. */
  indexProgress(p: IndexProgress): void {
    const el = this.status.index;
    el.hidden = !p.running;
    if (!p.running) return;
    el.textContent = `⟳ Indexing symbols ${p.done.toLocaleString()} / ${p.total.toLocaleString()}`;
    el.title = 'Building the symbol index (Ctrl+T, the agent\'s repo map); click to stop. What is done is kept: the next use goes on from there.';
  }

  private async stopIndex(): Promise<void> {
    const answer = await choose('Symbol index', 'Stop building the symbol index? What it has read so far is kept; Ctrl+T or the agent builds the rest when next used.', [
      { label: 'Stop', value: 'stop', danger: true },
      { label: 'Keep going', value: 'go', primary: true },
    ]);
    if (answer === 'stop') await this.wb.backend.symbolIndexStop().catch(() => false);
  }

  /** The connection to the backend went down or came back. */
  connection(up: boolean): void {
    this.status.conn.textContent = up ? '' : 'Disconnected — reconnecting…';
    this.status.conn.classList.toggle('bad', !up);
  }

  toggleSidebar(): void {
    this.sidebar.hidden = !this.sidebar.hidden;
  }

  /** The folder new files go in: the selected folder, or the selected file's. */
  private selectedDir(): string {
    const sel = this.tree.selectedPath;
    if (!sel) return '';
    const isDir = document.querySelector(`.tree-row.dir[data-path="${CSS.escape(sel)}"]`);
    return isDir ? sel : sel.includes('/') ? sel.slice(0, sel.lastIndexOf('/')) : '';
  }

  // ---- groups and tabs ------------------------------------------------------------------

  addGroup(): EditorGroup {
    const group = new EditorGroup({
      settings: () => this.wb.settings(),
      onActivate: (g, tab) => {
        this.activeGroup = g;
        for (const other of this.groups) other.el.classList.toggle('active-group', other === g);
        this.updateStatus(tab);
        renderCrumbs(g.crumbsEl, tab);
        this.outline?.show(tab);
        if (tab) void this.tree?.reveal(tab.doc.path);
        this.wb.live?.activeChanged(tab);
      },
      onCursor: (tab) => {
        if (tab === this.active) this.updateStatus(tab);
        this.syntaxChanged(tab.doc);
      },
      requestClose: (g, tab) => void this.wb.closeTab(g, tab),
      onTabsChanged: () => {
        for (const t of group.tabs) this.markTab(t);
        this.updateDirtyFlag();
        this.wb.session.changed();
      },
      banner: (tab) => this.wb.docs.banner(tab),
      extensions: (doc) => this.languageServer(doc),
    });
    this.groups.push(group);
    this.groupsEl.append(group.el);
    this.activeGroup = group;
    return group;
  }

  /** A document's language-server features: its own, or for a guest the host's servers'
   * reads of the shared file (hover, definition, completion…; nothing that writes). */
  private languageServer(doc: Doc) {
    const guest = !!this.wb.guest;
    if (!doc.bound || (doc.shared && !guest)) return [];
    // No server for the language: completion from the file's words and the symbol index.
    if (!hasLanguageServer(doc.path)) return autocompletion({ override: [(ctx) => wordCompletion(this.wb.backend, ctx)], activateOnTyping: true, icons: true });
    return lspExtensions({
      backend: this.wb.backend,
      path: () => doc.path,
      open: (loc) => void this.wb.openFile(loc.path, { line: loc.line + 1, from: loc.character }),
      choose: (title, locs) => openPalette({
        placeholder: title,
        query: async (text) => locs.map((l) => ({ label: `${l.path}:${l.line + 1}:${l.character + 1}`, loc: l })).filter((i) => i.label.toLowerCase().includes(text.toLowerCase())),
        choose: (item) => void this.wb.openFile(item.loc.path, { line: item.loc.line + 1, from: item.loc.character }),
      }),
      notify: (m) => toast(m),
      applyEdit: (title, label, files) => void this.previewEdit(title, label, files),
      applyAction: (title, files) => void this.previewEdit(title, `Before: ${title}`, files),
      readsOnly: guest,
      stateVector: () => doc.stateVector(),
      inlayHints: () => this.wb.settings().inlayHints,
      semanticHighlighting: () => this.wb.settings().semanticHighlighting,
    });
  }

  /**
   * A workspace edit (a rename's): each file with its number of changes (click one for its
   * diff), then Apply: files open here change in their editors (one undo step each,
   * unsaved, like typing); the others are written by Rust after a checkpoint.
   */
  private async previewEdit(title: string, label: string, files: LspFileEdit[]) {
    const outside = files.filter((f) => f.path.startsWith('/'));
    const inside = files.filter((f) => !f.path.startsWith('/'));
    const before = async (path: string) => this.wb.docs.get(path)?.text() ?? (await this.wb.backend.readFile(path)).text;
    const rows = inside.map((f) => {
      const row = h('button', { class: 'edit-file', 'data-path': f.path, title: 'Show the change' }, h('span', {}, f.path), h('span', { class: 'dim' }, ` ${f.edits.length} change${f.edits.length > 1 ? 's' : ''}`));
      row.addEventListener('click', async () => {
        const text = await before(f.path).catch(() => '');
        void openDiff(`${title}: ${f.path}`, { name: 'Now', text }, { name: 'After', text: applyTextEdits(text, f) }, this.wb.settings(), 'edit-diff');
      });
      return row;
    });
    const body = h('div', { class: 'edit-preview' },
      h('p', { class: 'dim' }, `${inside.length} file${inside.length > 1 ? 's' : ''} change. Files open in an editor change there, unsaved; the others are written after a checkpoint.`),
      ...rows,
      outside.length ? h('p', { class: 'dim' }, `Left alone (outside the folder): ${outside.map((f) => f.path).join(', ')}`) : '');
    const cancel = h('button', { class: 'btn' }, 'Cancel');
    const apply = h('button', { class: 'btn primary edit-apply' }, 'Apply');
    const modal = panelModal(title, body, [cancel, apply], () => modal.remove());
    cancel.addEventListener('click', () => modal.remove());
    apply.addEventListener('click', async () => {
      apply.disabled = true;
      const rest: LspFileEdit[] = [];
      for (const f of inside) {
        const view = this.wb.docs.get(f.path)?.primary;
        if (view) view.dispatch({ changes: editChanges(view.state.doc, f), userEvent: 'input.rename' });
        else rest.push(f);
      }
      try {
        if (rest.length) await this.wb.backend.lspApplyEdits(rest, label);
        toast(`${title}: ${inside.length} file${inside.length > 1 ? 's' : ''} changed`);
      } catch (e) {
        toast(errorMessage(e), 'error');
      }
      modal.remove();
    });
    apply.focus();
  }

  splitRight(): void {
    if (this.groups.length >= MAX_GROUPS) return toast(`At most ${MAX_GROUPS} side-by-side groups`);
    const doc = this.active?.doc;
    const group = this.addGroup();
    if (doc) group.open(doc);
    this.wb.session.changed();
  }

  /** A group whose last tab closed goes (unless it is the only one). */
  dropIfEmpty(group: EditorGroup): void {
    if (group.tabs.length || this.groups.length <= 1) return;
    this.groups.splice(this.groups.indexOf(group), 1);
    group.el.remove();
    const next = this.groups[this.groups.length - 1];
    this.activeGroup = next;
    next.active?.view.focus();
    this.updateStatus(next.active);
    this.wb.session.changed();
  }

  /** A tab shows its file's git status (its colour and a letter). */
  markTab(t: Tab): void {
    const mark = this.wb.git?.marks.get(t.doc.path);
    if (mark) t.tabEl.dataset.git = mark;
    else delete t.tabEl.dataset.git;
    this.wb.git?.decorate(t);
  }

  /** A document's path changed: its tabs show the new name. */
  docRenamed(doc: Doc): void {
    for (const g of this.groups) for (const t of g.tabs) if (t.doc === doc) {
      t.tabEl.dataset.path = doc.path;
      t.tabEl.title = doc.path;
      const name = t.tabEl.querySelector('.tab-name');
      if (name) name.textContent = basename(doc.path);
    }
  }

  /** Every open editor takes the new settings; the status bar too. */
  applySettings(): void {
    const s = this.wb.settings();
    for (const g of this.groups) for (const t of g.tabs) applySettings(t.view, s);
    this.updateStatus(this.active);
  }

  // ---- status bar -----------------------------------------------------------------------

  /** New analysis or a moved cursor: breadcrumbs, outline highlight and problem count. */
  syntaxChanged(doc: Doc): void {
    for (const g of this.groups) if (g.active?.doc === doc) renderCrumbs(g.crumbsEl, g.active);
    const active = this.active;
    if (active?.doc === doc) {
      this.outline?.cursorMoved(active);
      this.updateProblems(active);
    }
  }

  private updateProblems(tab: Tab | null) {
    const n = tab?.doc.syntax?.errorCount() ?? 0;
    this.status.problems.textContent = n ? `⊘ ${n}` : '';
    this.status.problems.title = n ? `${n} error${n > 1 ? 's' : ''} in this file: click for the list (F8 moves to the next)` : '';
  }

  updateStatus(tab: Tab | null): void {
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
    this.status.mode.textContent = [tab.doc.readonly ? 'Read-only' : '', this.wb.settings().vimMode ? 'Vim' : ''].filter(Boolean).join(' · ');
    this.updateProblems(tab);
    this.updateDirtyFlag();
  }

  /** The window title and the page's dirty flag (which the close question reads). */
  updateDirtyFlag(): void {
    const dirty = this.wb.docs.dirty().length > 0;
    document.body.dataset.dirty = String(dirty);
    const active = this.active;
    const ws = this.wb.info.workspace;
    if (ws) this.wb.backend.setTitle(`${active ? `${active.doc.dirty ? '● ' : ''}${basename(active.doc.path)} — ` : ''}${ws.name} — Weft`);
  }
}
