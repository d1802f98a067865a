// The review: what the thread's turns changed, file by file and hunk by hunk, until the user
// settles it (accept, or reject: the old text goes back on disk), and side-by-side diffs
// against the checkpoint before the first change.

import { h, basename } from '../dom';
import type { Backend, FileReview, Settings } from '../backend';
import { toast, errorMessage } from '../dialogs';
import { openDiff } from '../diffview';

export interface ReviewHost {
  settings(): Settings;
  openFile(path: string): void;
}

export class ReviewView {
  readonly el = h('div', { class: 'ag-review', hidden: true });
  /** The checkpoint before the oldest change under review: the left side of its diffs. */
  base: number | null = null;

  constructor(private backend: Backend, private host: ReviewHost, private threadId: () => string) {}

  render(files: FileReview[]) {
    if (!files.length) {
      this.el.hidden = true;
      this.el.replaceChildren();
      this.base = null;
      return;
    }
    const act = (action: Parameters<Backend['agentReviewAction']>[1]) => async () => {
      try {
        this.render(await this.backend.agentReviewAction(this.threadId(), action));
      } catch (e) {
        toast(errorMessage(e), 'error');
      }
    };
    const rows = files.map((f) => {
      const hunks = f.hunks.map((hk, i) => h('div', { class: 'ag-hunk' },
        h('div', { class: 'ag-hunk-head' }, h('span', {}, `@@ −${hk.oldStart},${hk.oldLines.length} +${hk.newStart},${hk.newLines.length}`),
          h('button', { class: 'btn small', title: 'Put this hunk back as it was; the rest stays', onclick: act({ action: 'rejectHunk', path: f.path, hunk: i }) }, 'Reject hunk')),
        h('pre', { class: 'ag-diff' },
          ...hk.oldLines.map((l) => h('div', { class: 'del' }, `- ${l.replace(/\r?\n$/, '')}`)),
          ...hk.newLines.map((l) => h('div', { class: 'add' }, `+ ${l.replace(/\r?\n$/, '')}`)))));
      return h('details', { class: `ag-rfile ${f.status}`, 'data-path': f.path, open: files.length <= 3 },
        h('summary', {},
          h('span', { class: 'ag-rstatus' }, f.status[0].toUpperCase()),
          h('button', { class: 'ag-rpath', title: `Open ${f.path}`, onclick: (e: Event) => { e.preventDefault(); this.host.openFile(f.path); } }, basename(f.path)),
          h('span', { class: 'ag-rdir' }, f.path.slice(0, -basename(f.path).length)),
          h('span', { class: 'spacer' }),
          h('button', { class: 'btn small', title: 'Side-by-side diff', disabled: this.base === null, onclick: (e: Event) => { e.preventDefault(); void this.diff(f.path); } }, 'Diff'),
          h('button', { class: 'btn small', title: 'Keep this file as it is', onclick: (e: Event) => { e.preventDefault(); void act({ action: 'acceptFile', path: f.path })(); } }, 'Accept'),
          h('button', { class: 'btn small danger', title: 'Put the whole file back as it was', onclick: (e: Event) => { e.preventDefault(); void act({ action: 'rejectFile', path: f.path })(); } }, 'Reject')),
        f.hunks.length ? h('div', { class: 'ag-hunks' }, ...hunks)
          : h('div', { class: 'ag-note dim' }, f.status === 'deleted' ? 'Deleted.' : f.status === 'renamed' ? `Folder renamed from ${f.from ?? '?'} (Reject renames it back).` : 'Binary file.'));
    });
    this.el.replaceChildren(
      h('div', { class: 'ag-review-head' }, h('strong', {}, `Review: ${files.length} file${files.length === 1 ? '' : 's'} changed`), h('span', { class: 'spacer' }),
        h('button', { class: 'btn small primary', onclick: act({ action: 'acceptAll' }) }, 'Accept all'),
        h('button', { class: 'btn small danger', onclick: act({ action: 'rejectAll' }) }, 'Reject all')),
      h('div', { class: 'ag-review-files' }, ...rows));
    this.el.hidden = false;
  }

  private async diff(path: string) {
    try {
      const [a, b] = await Promise.all([this.backend.checkpointFile(this.base, path), this.backend.checkpointFile(null, path)]);
      const text = (f: typeof a) => (!f.exists ? '' : f.binary ? '(binary file)\n' : f.text ?? '');
      await openDiff(`${path}: the agent's changes`, { name: 'Before the agent', text: text(a) }, { name: 'Now', text: text(b) }, this.host.settings());
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }
}
