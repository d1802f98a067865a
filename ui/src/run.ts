// Runs: the top bar's configuration picker with Run (F5), Stop (Shift+F5) and Restart; the
// build task (Ctrl+Shift+B); each run in a terminal tab of its own; the problems its output
// gave, in the Problems view; and, when any terminal starts listening on a local port, the
// offer to preview it. Loaded after the first frame: nothing here is on the start-up path.

import { h } from './dom';
import type { PortInfo, RunConfig, RunEvent, RunProblem } from './backend';
import { toast, errorMessage } from './dialogs';
import { openPalette } from './palette';
import { PreviewPane } from './preview';
import type { Workbench } from './workbench/context';

/** Files run configurations are detected from (see crates/weft-run/src/detect.rs). */
const CONFIG_FILES = /(^|\/)(package\.json|Cargo\.toml|pyproject\.toml|go\.mod|[Mm]akefile|GNUmakefile|compose\.ya?ml|docker-compose\.ya?ml|manage\.py|main\.py|app\.py|pnpm-lock\.yaml|yarn\.lock|bun\.lockb?|uv\.lock|poetry\.lock)$|^\.weft\/run\.json$/;

interface Run {
  terminal: number;
  name: string;
  exited: boolean;
}

export class RunControl {
  private configs: RunConfig[] = [];
  private select: HTMLSelectElement;
  private runBtn: HTMLButtonElement;
  private stopBtn: HTMLButtonElement;
  private runs = new Map<number, Run>();
  private problems = new Map<number, { name: string; list: RunProblem[] }>();
  /** Ports offered already (terminal:port), so a flapping server is offered once. */
  private offered = new Set<string>();
  private offerEl: HTMLElement | null = null;
  readonly preview: PreviewPane;
  private readonly storeKey: string;

  constructor(private wb: Workbench) {
    const { layout, backend } = wb;
    this.storeKey = `weft.run.selected:${wb.info.workspace?.root ?? ''}`;
    this.select = h('select', { class: 'run-select', title: 'Run configuration', 'aria-label': 'Run configuration' }) as HTMLSelectElement;
    this.select.addEventListener('change', () => {
      if (this.select.value === '\u0000refresh') {
        void this.refresh();
        return;
      }
      localStorage.setItem(this.storeKey, this.select.value);
      this.update();
    });
    this.runBtn = h('button', { class: 'run-btn go', title: 'Run (F5)', 'aria-label': 'Run', onclick: () => void this.start() }, '▶') as HTMLButtonElement;
    this.stopBtn = h('button', { class: 'run-btn stop', title: 'Stop (Shift+F5)', 'aria-label': 'Stop', onclick: () => void this.stop() }, '■') as HTMLButtonElement;
    layout.runHost.replaceChildren(this.select, this.runBtn, this.stopBtn);
    this.preview = new PreviewPane(layout.previewHost, backend, !wb.guest);
    // A guest runs nothing of the host's: only the previews the host shares (../workbench/live.ts).
    if (wb.guest) {
      layout.runHost.replaceChildren();
      return;
    }
    const handle = backend.runEvents((e) => this.event(e));
    void handle.result.then((snap) => {
      for (const r of snap.runs) {
        this.runs.set(r.terminal, { terminal: r.terminal, name: r.name, exited: !!r.exited });
        if (r.problems.length) this.problems.set(r.terminal, { name: r.name, list: r.problems });
      }
      this.renderProblems();
      this.update();
    }, () => {});
    void this.refresh();
  }

  /** Reads the configurations again (after .weft/run.json or package.json changed). */
  async refresh(): Promise<void> {
    try {
      const found = await this.wb.backend.runConfigs();
      this.configs = found.configs;
      if (found.problems.length) toast(`Run configurations: ${found.problems.join('\n')}`, 'error');
    } catch (e) {
      toast(`Could not read the run configurations: ${errorMessage(e)}`, 'error');
    }
    const keep = localStorage.getItem(this.storeKey) ?? this.select.value;
    const groups: Record<string, RunConfig[]> = { run: [], build: [], test: [] };
    for (const c of this.configs) groups[c.group].push(c);
    this.select.replaceChildren(
      ...(this.configs.length ? [] : [h('option', { value: '' }, 'No run configurations')]),
      ...(['run', 'build', 'test'] as const).filter((g) => groups[g].length).map((g) =>
        h('optgroup', { label: g[0].toUpperCase() + g.slice(1) }, ...groups[g].map((c) => h('option', { value: c.name, title: c.command }, c.name)))),
      h('option', { value: '\u0000refresh' }, 'Detect again…'));
    const preferred = this.configs.find((c) => c.name === keep) ?? this.configs.find((c) => c.group === 'run') ?? this.configs[0];
    this.select.value = preferred?.name ?? '';
    this.update();
  }

  private get selected(): RunConfig | undefined {
    return this.configs.find((c) => c.name === this.select.value);
  }

  /** The run of this configuration still going, if any. */
  private running(name: string): Run | undefined {
    return [...this.runs.values()].reverse().find((r) => r.name === name && !r.exited);
  }

  private update(): void {
    const c = this.selected;
    const going = c ? this.running(c.name) : undefined;
    this.runBtn.disabled = !c;
    this.runBtn.textContent = going ? '↻' : '▶';
    this.runBtn.title = going ? `Restart ${c?.name} (Ctrl+Shift+F5)` : c ? `Run ${c.name} (F5): ${c.command}` : 'Run (F5)';
    this.runBtn.classList.toggle('running', !!going);
    this.stopBtn.disabled = !going;
  }

  /** Runs `name` (default: the selected configuration; a running one restarts). */
  async start(name = this.select.value): Promise<void> {
    if (!name) return this.pick();
    // The run's own tab opens when it starts (no shell tab is opened for it).
    await this.wb.terminals();
    try {
      await this.wb.backend.runStart(name);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  async stop(): Promise<void> {
    const c = this.selected;
    const run = (c && this.running(c.name)) ?? [...this.runs.values()].reverse().find((r) => !r.exited);
    if (run) await this.wb.backend.runStop(run.terminal).catch((e) => toast(errorMessage(e), 'error'));
  }

  async restart(): Promise<void> {
    await this.start();
  }

  /** Ctrl+Shift+B: the build configuration (the user's own first). */
  async build(): Promise<void> {
    if (!this.configs.length) await this.refresh();
    const builds = this.configs.filter((c) => c.group === 'build');
    const build = builds.find((c) => c.source === 'user') ?? builds[0];
    if (!build) return toast('No build configuration: add one with "group": "build" to .weft/run.json', 'info');
    await this.start(build.name);
  }

  /** Run: Select and Run… */
  pick(): void {
    openPalette({
      placeholder: 'Run a configuration',
      query: async (text) => {
        if (!this.configs.length) await this.refresh();
        const q = text.toLowerCase();
        return this.configs.filter((c) => c.name.toLowerCase().includes(q) || c.command.toLowerCase().includes(q)).map((c) => ({ label: c.name, detail: c.command, id: c.name }));
      },
      choose: (item) => {
        this.select.value = item.id;
        localStorage.setItem(this.storeKey, item.id);
        void this.start(item.id);
      },
    });
  }

  /** Preview: Open… (a URL or a port). */
  openPreviewPrompt(): void {
    const open = [...this.openPorts.values()];
    openPalette({
      placeholder: 'A URL or port to preview',
      query: async (text) => {
        const items = open.map((p) => ({ label: p.url, detail: p.title, id: p.url }));
        return text.trim() ? [{ label: text.trim(), detail: 'Open this address', id: text.trim() }, ...items] : items;
      },
      choose: (item) => this.openPreview(item.id, this.hotFor(item.id)),
    });
  }

  private openPorts = new Map<string, PortInfo>();

  openPreview(url: string, hot = false): void {
    this.offerEl?.remove();
    this.preview.open(url, hot);
  }

  /** The page at `url` is served by a run whose dev server reloads it itself. */
  private hotFor(url: string): boolean {
    const port = [...this.openPorts.values()].find((p) => p.url === url);
    const run = port && this.runs.get(port.terminal);
    return !!run && !!this.configs.find((c) => c.name === run.name)?.hotReload;
  }

  /** Files changed on disk (saved in the editor, written by the agent or a terminal). */
  changed(paths: string[]): void {
    this.preview.changed(paths, this.wb.settings().previewReloadOnSave);
    // A file configurations are found in: the picker follows it (a guest has none).
    if (!this.wb.guest && paths.some((p) => CONFIG_FILES.test(p))) {
      if (this.refreshTimer) clearTimeout(this.refreshTimer);
      this.refreshTimer = setTimeout(() => void this.refresh(), 300);
    }
  }

  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  /** Run: Edit Configurations: .weft/run.json, made with the selected one to start from. */
  async editConfigs(): Promise<void> {
    const path = '.weft/run.json';
    const { backend } = this.wb;
    const exists = await backend.readFile(path).then(() => true, () => false);
    if (!exists) {
      const c = this.selected;
      const first = { name: c ? `${c.name} (mine)` : 'dev', command: c?.command ?? 'npm run dev', cwd: c?.cwd ?? '', env: {}, dependsOn: [] as string[] };
      try {
        await backend.createDir('.weft').catch(() => {});
        await backend.writeFile(path, `${JSON.stringify([first], null, 2)}\n`, 'utf8');
      } catch (e) {
        return toast(`Could not make ${path}: ${errorMessage(e)}`, 'error');
      }
    }
    await this.wb.openFile(path);
  }

  private event(e: RunEvent): void {
    switch (e.kind) {
      case 'started': {
        this.runs.set(e.terminal, { terminal: e.terminal, name: e.name, exited: false });
        if (e.replaces !== null) this.runs.delete(e.replaces);
        // A new run of a configuration replaces what its last run found.
        for (const [id, p] of this.problems) if (p.name === e.name) this.problems.delete(id);
        this.renderProblems();
        void this.wb.terminals().then((panel) => panel.showRun(e.terminal, e.replaces, () => void this.start(e.name)));
        break;
      }
      case 'exited': {
        const run = this.runs.get(e.terminal);
        if (run) run.exited = true;
        const bad = e.exit.code !== 0;
        const problems = this.problems.get(e.terminal)?.list.length ?? 0;
        if (bad && problems) this.wb.layout.showSidebar('problems');
        break;
      }
      case 'problems': {
        const entry = this.problems.get(e.terminal) ?? { name: e.name, list: [] };
        entry.list.push(...e.problems);
        this.problems.set(e.terminal, entry);
        this.renderProblems();
        break;
      }
      case 'port': {
        const key = `${e.terminal}:${e.port}`;
        if (e.open) this.openPorts.set(key, e);
        else this.openPorts.delete(key);
        this.preview.portChanged(e.port, e.open, e.title);
        if (e.open && !this.offered.has(key) && !(this.preview.visible && this.preview.port === e.port)) {
          this.offered.add(key);
          this.offer(e);
        }
        if (!e.open && this.offerEl?.dataset.key === key) this.offerEl.remove();
        break;
      }
    }
    this.update();
  }

  /** "web is listening on port 5173 — Open Preview". */
  private offer(p: PortInfo): void {
    this.offerEl?.remove();
    const hot = this.hotFor(p.url);
    const el = h('div', { class: 'port-offer', role: 'status', 'data-key': `${p.terminal}:${p.port}` },
      h('span', {}, `${p.title || 'A terminal'} is listening on port ${p.port}`),
      h('button', { class: 'btn primary', onclick: () => this.openPreview(p.url, hot) }, 'Open Preview'),
      h('button', { class: 'btn', onclick: () => this.wb.backend.openExternal(p.url) }, 'Open in Browser'),
      h('button', { class: 'run-btn', title: 'Dismiss', 'aria-label': 'Dismiss', onclick: () => el.remove() }, '×'));
    document.body.append(el);
    this.offerEl = el;
    setTimeout(() => el.remove(), 20000);
  }

  private renderProblems(): void {
    const { problemsView, problemsBtn } = this.wb.layout;
    const all = [...this.problems.values()].flatMap((p) => p.list.map((x) => ({ run: p.name, p: x })));
    const errors = all.filter((x) => x.p.severity === 'error').length;
    problemsBtn.hidden = !all.length && problemsView.hidden;
    // Short: the sidebar's tabs share its width.
    problemsBtn.textContent = `⊘ ${all.length}`;
    problemsBtn.title = `Problems from the output of runs: ${errors} error${errors === 1 ? '' : 's'}, ${all.length - errors} other`;
    problemsView.replaceChildren(
      h('div', { class: 'problems-head' }, all.length ? `${errors} error${errors === 1 ? '' : 's'}, ${all.length - errors} other, from ${[...new Set(all.map((x) => x.run))].join(', ')}` : 'No problems in the output of runs'),
      ...all.map(({ p }) => {
        const where = `${p.path}:${p.line}${p.column ? `:${p.column}` : ''}`;
        const row = h('div', { class: 'problem-row', title: `${where}\n${p.message}${p.code ? ` (${p.code})` : ''} — ${p.source}` },
          h('span', { class: `sev ${p.severity}` }, p.severity === 'error' ? '⊘' : p.severity === 'warning' ? '⚠' : 'ℹ'),
          h('span', { class: 'msg' }, p.message),
          h('span', { class: 'where' }, where));
        row.addEventListener('click', () => void this.wb.openFile(p.path, { line: p.line, from: Math.max(0, p.column - 1) }));
        return row;
      }));
  }
}
