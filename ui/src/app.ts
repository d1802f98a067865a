// The workbench. Its parts (./workbench): the open documents, the layout (bars, sidebar,
// editor groups), the session (which tabs were open), the settings in force and a live
// session's bar. This file starts them, owns the commands and their keys, the lazily
// loaded panels (terminal, agent) and the folder itself (welcome, open, switch, join).
// A guest of a live session runs this same workbench on the host's folder (`guest`):
// without what is the host's alone (the agent, checkpoints, cost, sharing, file changes).

import { h } from './dom';
import { mark, marks } from './marks';
import type { Backend, AppInfo, Settings, RecentWorkspace, Session, TreeEntry, DocStream } from './backend';
import { choose, toast, errorMessage } from './dialogs';
import { Commands, showKey } from './commands';
import type { EditorGroup, Tab } from './editor/group';
import { ensureVim } from './editor/extensions';
import { runLspAction } from './editor/lsp';
import { openFinder } from './finder';
import { openPalette } from './palette';
import { openFileSymbols, openWorkspaceSymbols } from './outline';
import type { TerminalPanel } from './terminal';
import type { AgentPanel } from './agent';
import type { OpenAt, Workbench } from './workbench/context';
import { Documents } from './workbench/documents';
import { Layout } from './workbench/layout';
import { SessionState } from './workbench/session';
import { Preferences } from './workbench/settings';
import { Updates } from './workbench/updates';
import type { GuestBackend } from './backend/guestbackend';
import type { GuestInfo, LiveSession } from './workbench/live';
import { GitState } from './workbench/git';
import type { FirstFrame } from './firstframe';
import { handOver } from './editor/handover';

/** Requests main.ts sent before this code loaded: the root listing and the restored files. */
export interface Preload {
  listing: Promise<TreeEntry[]>;
  docs: Map<string, DocStream>;
  /** The first frame main.ts drew from them, which this workbench takes over. */
  first?: FirstFrame;
}

export class App implements Workbench {
  private commands = new Commands();
  readonly docs: Documents;
  readonly layout: Layout;
  readonly session: SessionState;
  readonly prefs: Preferences;
  /** The terminal panel and xterm.js load on first use: most start-ups need neither. */
  private terminalsP: Promise<TerminalPanel> | null = null;
  /** The agent panel loads on first use, like the terminal. */
  private agentP: Promise<AgentPanel> | null = null;
  /** The desktop app's updates (none in the browser). */
  private updates: Updates | null = null;
  /** The live session's bar: a guest's session, or the host's while it shares. */
  live: LiveSession | null = null;
  /** The folder's git status (a guest's: the host's, read-only). */
  readonly git: GitState | null;

  constructor(
    readonly backend: Backend,
    readonly info: AppInfo,
    settings: Settings,
    private settingsError: string | null,
    session: Session | null,
    private preload: Preload | null = null,
    /** This page is a guest's workbench on the host's folder (see ./workbench/live.ts). */
    readonly guest: { info: GuestInfo; backend: GuestBackend } | null = null,
  ) {
    this.prefs = new Preferences(this, settings, this.commands);
    // A guest sees the host's git status, read-only.
    this.git = new GitState(this);
    this.docs = new Documents(this, preload?.docs ?? null);
    this.layout = new Layout(this);
    this.session = new SessionState(this, session);
  }

  settings(): Settings {
    return this.prefs.settings;
  }

  async start(root: HTMLElement): Promise<void> {
    this.prefs.applyGlobal();
    // The macOS menu's commands, the welcome page included (Quit must work there too).
    this.backend.onMenu((id) => this.commands.run(id));
    if (this.backend.kind === 'desktop') {
      // Through the window's close prompt: unsaved edits are asked about once.
      const close = () => void this.backend.closeWindow();
      this.commands.register({ id: 'app.closeWindow', title: 'Close Window', run: close }, { id: 'app.quit', title: 'Quit Weft', run: close });
    }
    if (!this.info.workspace) {
      root.replaceChildren(await this.welcome());
      return;
    }
    // The workbench is built detached and shown once the tree and the restored tabs are
    // in it: shown empty first, WebKit lays out and paints it before it hands over the
    // replies, and then again with the content (~25 ms of start-up measured). Meanwhile
    // the first frame (./firstframe.ts) is on screen; its tree is adopted, not listed again.
    const first = this.preload?.first ?? null;
    const workbench = this.layout.build({
      openFolder: () => void this.openFolderDialog(),
      recentMenu: (e) => void this.recentMenu(e),
      join: () => this.join(),
      openSettings: () => void this.prefs.open(),
      toggleTerminal: () => this.toggleTerminal(),
      toggleAgent: () => void this.toggleAgent(),
      toggleTheme: () => void this.prefs.toggleTheme(),
    }, first);
    let shown = false;
    const show = () => {
      if (shown) return;
      shown = true;
      // In the task that replaces the frame: no keystroke falls between.
      const typed = first?.take() ?? null;
      const treeScroll = this.layout.tree.el.scrollTop;
      root.replaceChildren(workbench);
      this.layout.placeTree();
      this.layout.tree.el.scrollTop = treeScroll;
      for (const g of this.layout.groups) for (const t of g.tabs) t.view.requestMeasure();
      const tab = typed && this.layout.groups.flatMap((g) => g.tabs).find((t) => t.doc.path === typed.path);
      if (tab) handOver(tab.view, typed);
      else if (typed && typed.value !== typed.base) toast(`What was typed in ${typed.path} before the editor loaded could not be kept: the file did not open`, 'error');
      this.layout.active?.view.focus();
      first?.replayKeys();
    };
    // A slow disk must not leave the window blank (the first frame holds it when there is
    // one): then the workbench shows as it fills.
    const fallback = first ? undefined : setTimeout(show, 250);
    this.backend.setTitle(`${this.info.workspace.name} — Weft`);
    this.registerCommands();
    document.addEventListener('keydown', (e) => this.onKey(e), true);
    this.backend.onCloseRequested(() => this.docs.confirmDiscardAll('closing Weft'));
    this.backend.onConnection((up) => {
      this.layout.connection(up);
      if (up) this.docs.subscribe();
    });
    if (this.settingsError) toast(`${this.settingsError} (defaults are in use)`, 'error');
    await ensureVim(this.settings());
    if (this.guest) {
      setTimeout(() => void this.git?.refresh(), 700);
      const { LiveSession } = await import('./workbench/live');
      const { info, backend } = this.guest;
      this.live = new LiveSession(this, backend.local, info.name, info.title, backend);
      this.layout.liveHost.replaceChildren(this.live.el);
      // The host's files change as the session's tree room says (a guest has no watcher).
      this.docs.subscribe();
    }
    mark('layout');
    await Promise.all([(first ? Promise.resolve() : this.layout.tree.load(this.preload?.listing)).then(() => mark('tree')), this.settings().restoreTabs ? this.session.restore().then(() => mark('tabs')) : null]);
    clearTimeout(fallback);
    await first?.settled();
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
    this.docs.startupDone();
    // Off the start-up path: the ledger is read once the editor is interactive, and the
    // update server asked a little later.
    if (this.guest) return;
    setTimeout(() => void this.layout.costMeter.refresh(null), 500);
    // The tree's colours: git runs after start-up, never on its path.
    setTimeout(() => void this.git?.refresh(), 700);
    // The language servers' states (they start after ready, in Rust).
    const servers = this.backend.lspStatus((e) => this.layout.lspEvent(e));
    void servers.result.then((now) => now.forEach((e) => this.layout.lspEvent(e)), () => {});
    // The symbol index's build, when one runs (Ctrl+T or the agent starts it).
    const index = this.backend.symbolIndexStatus((p) => this.layout.indexProgress(p));
    void index.result.then((p) => this.layout.indexProgress(p), () => {});
    if (this.settings().updateCheck) setTimeout(() => void this.updates?.checkQuietly(), 1500);
    // Reloaded while sharing: the session's bar comes back.
    setTimeout(() => void this.backend.collabStatus().then((s) => this.sharingChanged(s.selfLink), () => {}), 800);
    // The run control and the port watcher (which polls only while terminals run).
    setTimeout(() => void this.runControl(), 300);
    // A .env file: its values offered as secrets, once per folder.
    setTimeout(() => void import('./envpanel').then((m) => m.offerDotenvImport(this.backend, this.info.workspace?.root ?? '')), 1200);
  }

  /**
   * The host started or stopped sharing (`selfLink`: its own link while it shares): the
   * session's bar shows who is here, in the host's own editor, joined in-process.
   */
  async sharingChanged(selfLink: string | null): Promise<void> {
    if (this.guest) return;
    if (!selfLink) {
      if (!this.live) return;
      this.live.close();
      this.live = null;
      await this.backend.collabLeave().catch(() => {});
      return;
    }
    if (this.live) return;
    try {
      const { LiveSession } = await import('./workbench/live');
      await this.backend.collabJoin(selfLink);
      if (this.live) return;
      this.live = new LiveSession(this, this.backend, localStorage.getItem('weft.collab.name') || 'Host', 'your folder', null);
      this.layout.liveHost.replaceChildren(this.live.el);
      this.live.activeChanged(this.layout.active);
    } catch (e) {
      toast(`The session's participants could not be shown: ${errorMessage(e)}`, 'error');
    }
  }

  // ---- files and tabs -------------------------------------------------------------------

  async openFile(path: string, at?: OpenAt): Promise<Tab | null> {
    const doc = await this.docs.load(path);
    if (!doc) return null;
    const group = at?.group ?? this.layout.activeGroup;
    const tab = group.open(doc, at?.focus ?? true);
    if (at?.line) group.reveal(tab, at.line, at.from, at.to);
    return tab;
  }

  /** Asks first when this is the document's last tab and it has unsaved edits. */
  async closeTab(group: EditorGroup, tab: Tab): Promise<void> {
    const lastView = tab.doc.views.size === 1;
    let discard = false;
    if (lastView && tab.doc.dirty) {
      const answer = await choose('Unsaved changes', `Save changes to ${tab.doc.path} before closing?`, [
        { label: 'Save', value: 'save', primary: true },
        { label: "Don't Save", value: 'discard', danger: true },
        { label: 'Cancel', value: 'cancel' },
      ]);
      if (answer === 'cancel') return;
      if (answer === 'save' && !(await this.docs.save(tab.doc))) return;
      discard = answer === 'discard';
    }
    group.close(tab);
    if (lastView) this.docs.closed(tab.doc, discard);
    this.layout.dropIfEmpty(group);
  }

  // ---- panels ---------------------------------------------------------------------------

  private runP: Promise<import('./run').RunControl> | null = null;

  openSharedPreview(port: number): void {
    void this.runControl().then((r) => r.openPreview(`http://localhost:${port}/`));
  }

  /** The run control, loaded after the first frame (or by a Run key pressed before). */
  runControl(): Promise<import('./run').RunControl> {
    this.runP ??= import('./run').then(({ RunControl }) => {
      const run = new RunControl(this);
      this.docs.onDiskChange.push((paths) => run.changed(paths));
      return run;
    });
    return this.runP;
  }

  terminalsLoaded(): Promise<TerminalPanel> | null {
    return this.terminalsP;
  }

  agentLoaded(): Promise<AgentPanel> | null {
    return this.agentP;
  }

  private agent(): Promise<AgentPanel> {
    this.agentP ??= import('./agent').then(async ({ AgentPanel }) => {
      const panel = new AgentPanel(this.backend, {
        settings: () => this.settings(),
        patchSettings: (edit) => this.prefs.patch(edit),
        openFile: (path) => void this.openFile(path),
        selection: () => {
          const tab = this.layout.active;
          const sel = tab?.view.state.selection.main;
          if (!tab || !sel || sel.empty) return null;
          const doc = tab.view.state.doc;
          return { path: tab.doc.path, fromLine: doc.lineAt(sel.from).number, toLine: doc.lineAt(sel.to).number, text: doc.sliceString(sel.from, sel.to) };
        },
        problems: () => {
          const tab = this.layout.active;
          if (!tab) return null;
          // The syntax errors and the language server's errors and warnings, by line.
          const path = tab.doc.path;
          const syntax = (tab.doc.syntax?.analysis?.errors ?? []).map((d) => ({ line: d.line, text: `${path}:${d.line}: syntax error: ${d.message}` }));
          const server = (tab.doc.syntax?.lsp ?? []).filter((d) => d.severity === 'error' || d.severity === 'warning')
            .map((d) => ({ line: d.line + 1, text: `${path}:${d.line + 1}:${d.character + 1}: ${d.severity}: ${d.message}` }));
          const all = [...syntax, ...server].sort((a, b) => a.line - b.line);
          return { path, text: all.length ? all.map((p) => p.text).join('\n') : 'no problems' };
        },
        terminalText: async () => (this.terminalsP ? (await this.terminalsP).recentText() : null),
        previewText: async () => (this.runP ? (await this.runP).preview.consoleText() : null),
        watchTerminal: (id) => void this.terminals().then((t) => t.watch(id)),
        spent: (thread, today) => this.layout.costMeter.spent(thread, today),
        threadOpened: (id) => void this.layout.costMeter.refresh(id),
        wrote: (path) => this.docs.agentWrote(path),
        turnEnded: () => this.docs.agentDone(),
      });
      this.layout.agentHost.replaceWith(panel.el);
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

  /** The terminal panel: the host's shared terminals for a guest, else the folder's own. */
  private toggleTerminal(): void {
    if (this.live && this.guest) void this.live.terminalPanel(this.layout.terminalHost).then((t) => t.toggle());
    else void this.terminals().then((t) => t.toggle());
  }

  terminals(): Promise<TerminalPanel> {
    this.terminalsP ??= import('./terminal').then(({ TerminalPanel }) => {
      const panel = new TerminalPanel(this.backend, {
        settings: () => this.settings(),
        platform: this.info.platform,
        workspaceRoot: this.info.workspace?.root ?? '',
        openFile: (path, line, col) => void this.openFile(path, { line, from: col - 1 }),
      });
      this.layout.terminalHost.replaceWith(panel.el);
      return panel;
    });
    this.terminalsP.catch((e) => {
      this.terminalsP = null;
      toast(`The terminal could not load: ${errorMessage(e)}`, 'error');
    });
    return this.terminalsP;
  }

  // ---- the folder -------------------------------------------------------------------------

  private async welcome(): Promise<HTMLElement> {
    const recent = await this.backend.recentWorkspaces().catch(() => [] as RecentWorkspace[]);
    return h('div', { class: 'welcome' }, h('h1', {}, 'Weft'), h('p', {}, 'Open a folder to start.'),
      h('button', { class: 'btn primary', onclick: () => void this.openFolderDialog() }, 'Open Folder…'), ' ',
      ...(this.info.canOpenFolders ? [h('button', { class: 'btn', 'data-action': 'new-project', onclick: () => this.newProject() }, 'New Project…'), ' ', h('button', { class: 'btn', onclick: () => this.cloneRepository() }, 'Clone Repository…'), ' '] : []),
      h('button', { class: 'btn', onclick: () => this.join() }, 'Join a live session…'),
      h('h3', {}, 'Recent'),
      h('div', { class: 'recent-list' }, ...recent.map((r) => h('button', { class: 'recent-item', title: r.path, onclick: () => void this.switchFolder(r.path) }, h('b', {}, r.name), ' ', h('span', {}, r.path)))));
  }

  private join() {
    void import('./workbench/live').then(({ joinDialog }) => joinDialog(this.backend, () => this.docs.confirmDiscardAll('joining a live session')));
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

  private newProject() {
    void import('./newproject').then((m) => m.openNewProject(this.backend, (p) => void this.switchFolder(p)));
  }

  private cloneRepository() {
    void import('./newproject').then((m) => m.openCloneRepository(this.backend, (p) => void this.switchFolder(p)));
  }

  private async openFolderDialog() {
    const path = await this.backend.pickFolder();
    if (path) await this.switchFolder(path);
  }

  private async switchFolder(path: string) {
    if (!(await this.docs.confirmDiscardAll('switching folders'))) return;
    try {
      await this.backend.openWorkspace(path);
      location.reload();
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  // ---- commands and keys -------------------------------------------------------------------

  /** The workbench's commands and their default keys (see ./commands). */
  private registerCommands(): void {
    const active = () => this.layout.active;
    this.commands.register(
      { id: 'workbench.commandPalette', title: 'Show All Commands', key: 'Mod-Shift-p', inTerminal: true, run: () => this.openCommandPalette() },
      { id: 'workbench.goToFile', title: 'Go to File…', key: 'Mod-p', run: () => openFinder(this.backend, (p, line) => void this.openFile(p, { line })) },
      {
        id: 'workbench.search', title: 'Search in Files', key: 'Mod-Shift-f', run: () => {
          this.layout.showSidebar('search');
          const a = active();
          const sel = a ? a.view.state.sliceDoc(a.view.state.selection.main.from, a.view.state.selection.main.to) : '';
          this.layout.searchPanel.focus(sel && !sel.includes('\n') ? sel : undefined);
        },
      },
      { id: 'view.explorer', title: 'Show Explorer', key: 'Mod-Shift-e', run: () => this.layout.showSidebar('explorer') },
      { id: 'view.scm', title: 'Show Source Control', key: 'Mod-Shift-g', run: () => this.layout.showSidebar('git') },
      { id: 'editor.goToSymbol', title: 'Go to Symbol in File…', key: 'Mod-Shift-o', run: () => void (active() && openFileSymbols(active()!)) },
      { id: 'workbench.goToWorkspaceSymbol', title: 'Go to Symbol in Workspace…', key: 'Mod-t', run: () => openWorkspaceSymbols(this.backend, (p, line, column) => void this.openFile(p, { line, from: column })) },
      { id: 'file.save', title: 'Save', key: 'Mod-s', run: () => void (active() && this.docs.save(active()!.doc)) },
      { id: 'file.saveAll', title: 'Save All', key: 'Mod-Alt-s', run: () => void this.docs.saveAll() },
      { id: 'editor.close', title: 'Close Editor', key: 'Mod-w', run: () => void (active() && this.closeTab(this.layout.activeGroup, active()!)) },
      { id: 'view.splitRight', title: 'Split Editor Right', key: 'Mod-\\', run: () => this.layout.splitRight() },
      { id: 'workbench.settings', title: 'Open Settings', key: 'Mod-,', run: () => void this.prefs.open() },
      { id: 'view.toggleSidebar', title: 'Toggle Sidebar', key: 'Mod-b', run: () => this.layout.toggleSidebar() },
      { id: 'view.toggleTerminal', title: 'Toggle Terminal', key: 'Mod-`', inTerminal: true, run: () => this.toggleTerminal() },
    );
    if (this.guest) {
      this.commands.register({ id: 'collab.leave', title: 'Leave the Live Session', run: () => void this.live?.leave() });
      this.prefs.applyKeys();
      return;
    }
    this.commands.register(
      { id: 'view.timeline', title: 'Show Checkpoint Timeline', run: () => this.layout.showSidebar('timeline') },
      { id: 'view.toggleAgent', title: 'Toggle Agent', key: 'Mod-Alt-i', inTerminal: true, run: () => void this.toggleAgent() },
      { id: 'collab.join', title: 'Join a Live Session…', run: () => this.join() },
      {
        id: 'git.toggleBlame', title: 'Git: Toggle Blame', run: () => {
          const tab = active();
          if (tab && this.git) void this.git.toggleBlame(tab, (hash) => void this.layout.sourceControl().then((p) => p?.revealCommit(hash)));
        },
      },
      {
        id: 'git.fileHistory', title: 'Git: File History', run: () => {
          const tab = active();
          if (tab) void this.layout.sourceControl().then((p) => p?.showView('history', tab.doc.path));
        },
      },
      ...([
        ['definition', 'Go to Definition'], ['typeDefinition', 'Go to Type Definition'], ['implementation', 'Go to Implementation'], ['references', 'Find All References'],
        ['rename', 'Rename Symbol'], ['quickFix', 'Quick Fix…'], ['format', 'Format Document'],
      ] as const).map(([action, title]) => ({
        id: `editor.${action}`, title, run: () => {
          const tab = active();
          if (!tab || !runLspAction(tab.view, action)) toast('No language server for this file');
        },
      })),
      { id: 'editor.toggleInlayHints', title: 'Toggle Inlay Hints', run: () => void this.prefs.patch((o) => (o.inlayHints = !this.prefs.settings.inlayHints)).catch((e) => toast(errorMessage(e), 'error')) },
      { id: 'mcp.servers', title: 'MCP: Show Servers', run: () => void import('./agent/mcp').then((m) => m.openMcpServers(this.backend)) },
      { id: 'git.stageSelectedLines', title: 'Git: Stage Selected Lines', run: () => void (active() && this.git?.stageSelection(active()!)) },
      { id: 'git.history', title: 'Git: History', run: () => void this.layout.sourceControl().then((p) => p?.showView('history', null)) },
      { id: 'run.start', title: 'Run: Start (or Restart) the Selected Configuration', key: 'F5', inTerminal: true, run: () => void this.runControl().then((r) => r.start()) },
      { id: 'run.stop', title: 'Run: Stop', key: 'Shift-F5', inTerminal: true, run: () => void this.runControl().then((r) => r.stop()) },
      { id: 'run.restart', title: 'Run: Restart', key: 'Mod-Shift-F5', inTerminal: true, run: () => void this.runControl().then((r) => r.restart()) },
      { id: 'run.build', title: 'Run: Build', key: 'Mod-Shift-b', inTerminal: true, run: () => void this.runControl().then((r) => r.build()) },
      { id: 'run.pick', title: 'Run: Select and Run…', run: () => void this.runControl().then((r) => r.pick()) },
      { id: 'run.detect', title: 'Run: Detect Configurations Again', run: () => void this.runControl().then((r) => r.refresh()) },
      { id: 'run.edit', title: 'Run: Edit Configurations (.weft/run.json)', run: () => void this.runControl().then((r) => r.editConfigs()) },
      { id: 'run.problems', title: 'Show Problems from Runs', run: () => this.layout.showSidebar('problems') },
      { id: 'preview.open', title: 'Preview: Open…', run: () => void this.runControl().then((r) => r.openPreviewPrompt()) },
      { id: 'project.env', title: 'Project: Environment and Secrets…', run: () => void import('./envpanel').then((m) => m.openEnvPanel(this.backend)) },
    );
    const updater = this.backend.updater;
    if (updater) {
      this.updates = new Updates(updater, this.layout.updateItem, () => this.docs.confirmDiscardAll('restarting to update'));
      this.commands.register({ id: 'app.checkForUpdates', title: 'Check for Updates…', run: () => void this.updates?.checkNow() });
    }
    if (this.info.canOpenFolders) {
      this.commands.register(
        { id: 'file.openFolder', title: 'Open Folder…', key: 'Mod-o', run: () => void this.openFolderDialog() },
        { id: 'file.newProject', title: 'File: New Project…', run: () => this.newProject() },
        { id: 'git.clone', title: 'Git: Clone Repository…', run: () => this.cloneRepository() },
        { id: 'file.importArchive', title: 'File: Import Archive (zip, tarball)…', run: () => void import('./newproject').then((m) => m.openImportArchive(this.backend, (p) => void this.switchFolder(p))) },
      );
    }
    this.prefs.applyKeys();
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
    // In a terminal, Ctrl+W, Ctrl+P, Ctrl+B… belong to the shell: only Ctrl+Shift combos and
    // the panel toggles are ours.
    const inTerminal = !!(e.target as HTMLElement | null)?.closest?.('.terminal-panel') && !e.shiftKey;
    this.commands.handle(e, inTerminal);
  }
}
