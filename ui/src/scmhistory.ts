// History in the Source Control panel: the log of the repository, or of one file through
// its renames (Git: File History), a page at a time. A commit opens to its whole message
// and the files it changed; a file shows that commit's change to it side by side.

import { h, basename, dirname } from './dom';
import type { Backend, GitCommitDetail, GitLogEntry, Settings } from './backend';
import { toast, errorMessage } from './dialogs';
import { openDiff } from './diffview';

const PAGE = 100;

/** "3 days ago", as a log reads. */
export function ago(seconds: number, now = Date.now() / 1000): string {
  const s = Math.max(0, now - seconds);
  const units: [number, string][] = [[31536000, 'year'], [2592000, 'month'], [604800, 'week'], [86400, 'day'], [3600, 'hour'], [60, 'minute']];
  for (const [n, name] of units) if (s >= n) {
    const k = Math.floor(s / n);
    return `${k} ${name}${k > 1 ? 's' : ''} ago`;
  }
  return 'just now';
}

export class HistoryView {
  readonly el = h('div', { class: 'scm-history', role: 'list', 'aria-label': 'History' });
  private path: string | null = null;
  private entries: GitLogEntry[] = [];
  private done = false;
  private loading = 0;
  private open = new Set<string>();

  constructor(private backend: Backend, private settings: () => Settings, private openFile: (path: string) => void) {}

  /** Shows the repository's log, or `path`'s; asks git again. */
  async show(path: string | null = this.path): Promise<void> {
    this.path = path;
    this.entries = [];
    this.done = false;
    this.open.clear();
    await this.more();
  }

  /** Opens a commit's details (blame's "open this line's commit"). */
  async reveal(hash: string): Promise<void> {
    if (!this.entries.some((e) => e.hash === hash)) {
      // Not in the pages loaded: show it alone at the top.
      try {
        const d = await this.backend.gitCommitDetail(hash);
        this.entries = [d.entry, ...this.entries];
      } catch (e) {
        return toast(errorMessage(e), 'error');
      }
    }
    this.open.add(hash);
    this.render();
    this.el.querySelector(`[data-hash="${hash}"]`)?.scrollIntoView({ block: 'nearest' });
  }

  private async more(): Promise<void> {
    const ask = ++this.loading;
    try {
      const page = await this.backend.gitLog({ path: this.path ?? undefined, skip: this.entries.length, limit: PAGE });
      if (ask !== this.loading) return;
      this.entries.push(...page);
      this.done = page.length < PAGE;
    } catch (e) {
      if (ask !== this.loading) return;
      this.done = true;
      toast(errorMessage(e), 'error');
    }
    this.render();
  }

  private render(): void {
    const out: (HTMLElement | string)[] = [];
    if (this.path) {
      out.push(h('div', { class: 'scm-history-for' }, h('span', {}, `History of ${this.path}`), h('span', { class: 'spacer' }),
        h('button', { class: 'icon-btn', title: 'The whole repository\'s history', 'aria-label': 'Show all', onclick: () => void this.show(null) }, '✕')));
    }
    if (!this.entries.length) out.push(h('div', { class: 'dim scm-clean' }, this.done ? 'No commits yet.' : 'Loading…'));
    for (const e of this.entries) out.push(this.row(e));
    if (!this.done && this.entries.length) out.push(h('button', { class: 'btn small scm-more', onclick: () => void this.more() }, 'Load more'));
    this.el.replaceChildren(...out);
  }

  private row(e: GitLogEntry): HTMLElement {
    const when = new Date(e.time * 1000);
    const refs = e.refs.map((r) => h('span', { class: `scm-ref${r.startsWith('tag: ') ? ' tag' : ''}` }, r.replace(/^HEAD -> /, '● ').replace(/^tag: /, '')));
    const head = h('div', { class: 'scm-commit-head', title: `${e.summary}\n${e.author} <${e.email}>\n${when.toLocaleString()}` },
      h('span', { class: 'scm-hash' }, e.hash.slice(0, 7)), ...refs, h('span', { class: 'scm-summary' }, e.summary), h('span', { class: 'spacer' }),
      h('span', { class: 'dim scm-when' }, `${e.author}, ${ago(e.time)}`));
    const row = h('div', { class: `scm-log-entry${e.parents.length > 1 ? ' merge' : ''}`, role: 'listitem', 'data-hash': e.hash }, head);
    head.addEventListener('click', () => {
      if (this.open.has(e.hash)) this.open.delete(e.hash);
      else this.open.add(e.hash);
      this.render();
    });
    if (this.open.has(e.hash)) {
      const body = h('div', { class: 'scm-commit-body' }, h('span', { class: 'dim' }, 'Loading…'));
      row.append(body);
      void this.backend.gitCommitDetail(e.hash).then((d) => body.replaceChildren(...this.detail(d)), (err) => body.replaceChildren(h('span', { class: 'error' }, errorMessage(err))));
    }
    return row;
  }

  private detail(d: GitCommitDetail): (HTMLElement | string)[] {
    const e = d.entry;
    const out: (HTMLElement | string)[] = [
      h('div', { class: 'dim scm-commit-meta' }, `${e.hash} · ${e.author} <${e.email}> · ${new Date(e.time * 1000).toLocaleString()}${e.parents.length > 1 ? ` · merge of ${e.parents.map((p) => p.slice(0, 7)).join(' and ')}` : ''}`),
    ];
    if (d.body) out.push(h('pre', { class: 'scm-commit-message' }, d.body));
    if (!d.files.length) out.push(h('div', { class: 'dim' }, 'No files in this folder changed.'));
    for (const f of d.files) {
      const letter = { modified: 'M', added: 'A', deleted: 'D', renamed: 'R', copied: 'C', typeChanged: 'T' }[f.change];
      const dir = dirname(f.path);
      const file = h('div', { class: `scm-file scm-commit-file git-${f.change === 'typeChanged' || f.change === 'copied' ? 'modified' : f.change}`, 'data-path': f.path, title: f.origPath ? `${f.origPath} → ${f.path}` : f.path },
        h('span', { class: 'scm-name' }, basename(f.path)), dir ? h('span', { class: 'scm-dir' }, dir) : '', h('span', { class: 'spacer' }),
        h('button', { class: 'icon-btn scm-action', title: 'Open the file', 'aria-label': 'Open the file', onclick: (ev: Event) => { ev.stopPropagation(); this.openFile(f.path); } }, '↗'),
        h('span', { class: 'scm-letter' }, letter));
      file.addEventListener('click', () => void this.diff(e, f.path, f.origPath));
      out.push(file);
    }
    return out;
  }

  private async diff(e: GitLogEntry, path: string, from: string | null) {
    try {
      const v = await this.backend.gitCommitVersions(e.hash, path, from);
      const short = e.hash.slice(0, 7);
      await openDiff(`${path} in ${short}: ${e.summary}`, { name: `${from ?? path} · before ${short}`, text: v.left ?? '' }, { name: `${path} · ${short}`, text: v.right ?? '' }, this.settings(), 'scm-diff');
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  }
}
