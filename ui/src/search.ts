// Project-wide search (Ctrl/Cmd+Shift+F): results stream in per file as Rust finds them;
// every new query cancels the previous stream. Replace shows a preview before writing.

import { h, debounce } from './dom';
import type { Backend, SearchOptions, StreamHandle, SearchHit, ReplaceOutcome } from './backend';
import { panelModal, toast, errorMessage } from './dialogs';

export class SearchPanel {
  readonly el: HTMLElement;
  private query: HTMLInputElement;
  private replaceInput: HTMLInputElement;
  private include: HTMLInputElement;
  private exclude: HTMLInputElement;
  private results: HTMLElement;
  private status: HTMLElement;
  private toggles = { regex: false, caseSensitive: false, wholeWord: false };
  private running: StreamHandle | null = null;
  private matchCount = 0;
  private fileCount = 0;

  /** `beforeReplace` null: no replace (a guest searching the host's files). */
  constructor(private backend: Backend, private open: (path: string, line: number, from: number, to: number) => void, private beforeReplace: (() => Promise<void>) | null) {
    const run = debounce(() => this.run(), 200);
    this.query = h('input', { class: 'search-input', type: 'text', placeholder: 'Search', spellcheck: 'false', 'aria-label': 'Search' });
    this.replaceInput = h('input', { class: 'search-input', type: 'text', placeholder: 'Replace', spellcheck: 'false', 'aria-label': 'Replace' });
    this.include = h('input', { class: 'search-input small', type: 'text', placeholder: 'files to include (e.g. *.rs, src)', spellcheck: 'false', 'aria-label': 'Files to include' });
    this.exclude = h('input', { class: 'search-input small', type: 'text', placeholder: 'files to exclude', spellcheck: 'false', 'aria-label': 'Files to exclude' });
    const toggle = (key: keyof typeof this.toggles, label: string, title: string) => {
      const b = h('button', { class: 'toggle', title, 'aria-label': title, 'aria-pressed': 'false' }, label);
      b.addEventListener('click', () => {
        this.toggles[key] = !this.toggles[key];
        b.classList.toggle('on', this.toggles[key]);
        b.setAttribute('aria-pressed', String(this.toggles[key]));
        this.run();
      });
      return b;
    };
    for (const i of [this.query, this.include, this.exclude]) i.addEventListener('input', run);
    this.query.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.run();
    });
    const replaceBtn = h('button', { class: 'btn small', title: 'Preview and replace in files' }, 'Replace…');
    replaceBtn.addEventListener('click', () => void this.previewReplace());
    this.status = h('div', { class: 'search-status', role: 'status' });
    this.results = h('div', { class: 'search-results' });
    this.el = h('div', { class: 'search-panel' },
      h('div', { class: 'search-row' }, this.query, toggle('caseSensitive', 'Aa', 'Match case'), toggle('wholeWord', 'ab', 'Whole word'), toggle('regex', '.*', 'Regular expression')),
      beforeReplace ? h('div', { class: 'search-row' }, this.replaceInput, replaceBtn) : null,
      this.include, this.exclude, this.status, this.results);
  }

  focus(initial?: string) {
    if (initial) this.query.value = initial;
    this.query.focus();
    this.query.select();
    if (initial) this.run();
  }

  private options(): SearchOptions {
    const globs = (s: string) => s.split(',').map((g) => g.trim()).filter(Boolean);
    return {
      query: this.query.value, regex: this.toggles.regex, caseSensitive: this.toggles.caseSensitive, wholeWord: this.toggles.wholeWord,
      include: globs(this.include.value), exclude: globs(this.exclude.value), maxResults: 20000,
    };
  }

  run() {
    this.running?.cancel();
    this.running = null;
    this.results.replaceChildren();
    this.matchCount = 0;
    this.fileCount = 0;
    const opts = this.options();
    if (!opts.query) {
      this.status.textContent = '';
      return;
    }
    this.status.textContent = 'Searching…';
    const handle = this.backend.search(opts, (ev) => {
      if (this.running !== handle) return;
      if (ev.type === 'hit') this.addHit(ev.hit);
      else if (ev.type === 'done') {
        const s = ev.summary;
        this.status.textContent = s.matches === 0 ? 'No results' : `${s.matches} result${s.matches === 1 ? '' : 's'} in ${s.files} file${s.files === 1 ? '' : 's'}${s.truncated ? ' (stopped at the limit; narrow the search)' : ''}`;
        this.running = null;
      } else if (ev.type === 'error') {
        this.status.textContent = ev.error.message;
        this.running = null;
      }
    });
    this.running = handle;
    handle.result.catch((e) => {
      if (this.running === handle) this.status.textContent = errorMessage(e);
    });
  }

  private addHit(hit: SearchHit) {
    this.fileCount++;
    this.matchCount += hit.lines.length;
    this.status.textContent = `${this.matchCount} results in ${this.fileCount} files…`;
    const lines = hit.lines.map((l) => {
      const parts: (string | HTMLElement)[] = [];
      let at = 0;
      for (const [a, b] of l.ranges) {
        parts.push(l.text.slice(at, a), h('mark', {}, l.text.slice(a, b)));
        at = b;
      }
      parts.push(l.text.slice(at));
      const row = h('div', { class: 'search-line', 'data-path': hit.path, 'data-line': String(l.line), title: `${hit.path}:${l.line}` },
        h('span', { class: 'line-no' }, String(l.line)), h('span', { class: 'line-text' }, ...parts));
      row.addEventListener('click', () => this.open(hit.path, Number(l.line), l.ranges[0]?.[0] ?? 0, l.ranges[0]?.[1] ?? 0));
      return row;
    });
    const file = h('div', { class: 'search-file' }, h('div', { class: 'search-file-name', title: hit.path }, hit.path, h('span', { class: 'count' }, String(hit.lines.length))), ...lines);
    this.results.append(file);
  }

  private async previewReplace() {
    const opts = this.options();
    if (!opts.query || !this.beforeReplace) return;
    await this.beforeReplace();
    let outcomes: ReplaceOutcome[];
    try {
      outcomes = await this.backend.replace(opts, this.replaceInput.value, null, false);
    } catch (e) {
      return toast(errorMessage(e), 'error');
    }
    const changing = outcomes.filter((o) => o.replacements > 0);
    if (!changing.length) return toast('Nothing to replace');
    const checks = new Map<string, HTMLInputElement>();
    const body = h('div', { class: 'replace-preview' }, ...changing.map((o) => {
      const cb = h('input', { type: 'checkbox', checked: true, 'aria-label': `Replace in ${o.path}` });
      checks.set(o.path, cb);
      return h('div', { class: 'replace-file' },
        h('label', { class: 'replace-file-name' }, cb, ` ${o.path} (${o.replacements})`),
        ...o.preview.map(([line, before, after]) => h('div', { class: 'replace-line' },
          h('span', { class: 'line-no' }, String(line)), h('del', {}, before), h('ins', {}, after))));
    }));
    const total = changing.reduce((n, o) => n + o.replacements, 0);
    const apply = h('button', { class: 'btn primary' }, `Replace ${total} in ${changing.length} files`);
    const cancel = h('button', { class: 'btn' }, 'Cancel');
    const modal = panelModal('Replace preview', body, [apply, cancel], () => modal.remove());
    cancel.addEventListener('click', () => modal.remove());
    apply.addEventListener('click', async () => {
      const paths = [...checks].filter(([, cb]) => cb.checked).map(([p]) => p);
      modal.remove();
      try {
        const done = await this.backend.replace(opts, this.replaceInput.value, paths, true);
        const failed = done.filter((o) => o.error);
        if (failed.length) toast(failed.map((o) => `${o.path}: ${o.error}`).join('\n'), 'error');
        else toast(`Replaced in ${paths.length} files`);
      } catch (e) {
        toast(errorMessage(e), 'error');
      }
      this.run();
    });
    apply.focus();
  }
}
