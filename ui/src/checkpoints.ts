// The checkpoint timeline: every snapshot of the workspace (manual, agent turn, restore,
// activity) with what it changed; side-by-side diffs against the checkpoint before it or
// the files on disk; restore of chosen files or everything after a preview; undo.
// New checkpoints (the automatic ones included) arrive over a stream.

import { h } from './dom';
import type { Backend, Checkpoint, FileChange, StreamHandle, Settings } from './backend';
import { panelModal, toast, errorMessage, choose } from './dialogs';
import { openDiff } from './diffview';

const ORIGIN: Record<Checkpoint['origin'], string> = { manual: 'Manual', agent: 'Agent turn', restore: 'Before restore', activity: 'Activity' };

export class CheckpointPanel {
  readonly el: HTMLElement;
  private list: HTMLElement;
  private notice: HTMLElement;
  private label: HTMLInputElement;
  private items: Checkpoint[] = [];
  private events: StreamHandle | null = null;
  private expanded = new Set<number>();

  constructor(private backend: Backend, private settings: () => Settings) {
    this.label = h('input', { class: 'search-input', type: 'text', placeholder: 'Label (optional)', spellcheck: 'false', 'aria-label': 'Checkpoint label' });
    this.label.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') void this.create();
    });
    const create = h('button', { class: 'btn small primary', title: 'Take a checkpoint of the whole workspace now', onclick: () => void this.create() }, 'Checkpoint');
    this.notice = h('div', { class: 'cp-notice', hidden: true });
    this.list = h('div', { class: 'cp-list', role: 'list', 'aria-label': 'Checkpoints' });
    this.el = h('div', { class: 'cp-panel' }, h('div', { class: 'cp-create' }, this.label, create), this.notice, this.list);
  }

  /** Loads the timeline and follows new checkpoints; called when the view is first shown. */
  async start() {
    if (this.events) return;
    this.events = this.backend.checkpointEvents((c) => this.add(c));
    this.events.result.catch((e) => this.showError(e));
    await this.refresh();
  }

  async refresh() {
    try {
      this.items = await this.backend.checkpointList();
      this.render();
    } catch (e) {
      this.showError(e);
    }
  }

  private showError(e: unknown) {
    this.list.replaceChildren(h('div', { class: 'cp-empty error' }, `Checkpoints are unavailable: ${errorMessage(e)}`));
  }

  private async create() {
    try {
      const { checkpoint, new: isNew } = await this.backend.checkpointCreate(this.label.value);
      this.label.value = '';
      if (!isNew) toast(`No changes since checkpoint #${checkpoint.id}`);
      else this.add(checkpoint);
    } catch (e) {
      toast(`Checkpoint failed: ${errorMessage(e)}`, 'error');
    }
  }

  /** Newest first; a checkpoint both created here and streamed shows once. */
  private add(c: Checkpoint) {
    this.items = [c, ...this.items.filter((x) => x.id !== c.id)];
    this.render();
  }

  private render() {
    if (!this.items.length) {
      this.list.replaceChildren(h('div', { class: 'cp-empty' }, 'No checkpoints yet. One is taken when the folder opens and after each burst of changes.'));
      return;
    }
    this.list.replaceChildren(...this.items.map((c, i) => this.row(c, this.items[i + 1] ?? null)));
  }

  private row(c: Checkpoint, previous: Checkpoint | null): HTMLElement {
    const s = c.summary;
    const files = s.added + s.modified + s.deleted;
    const head = h('button', { class: 'cp-head', 'aria-expanded': String(this.expanded.has(c.id)), title: new Date(c.createdMs).toLocaleString() },
      h('span', { class: 'cp-id' }, `#${c.id}`),
      h('span', { class: 'cp-title' }, c.label || ORIGIN[c.origin]),
      h('span', { class: `cp-origin ${c.origin}` }, ORIGIN[c.origin]),
      h('span', { class: 'cp-meta' }, `${ago(c.createdMs)} · ${files} file${files === 1 ? '' : 's'} `, h('span', { class: 'add' }, `+${s.linesAdded}`), ' ', h('span', { class: 'del' }, `−${s.linesRemoved}`)));
    const body = h('div', { class: 'cp-body', hidden: !this.expanded.has(c.id) });
    const el = h('div', { class: 'cp-item', role: 'listitem', 'data-id': String(c.id) }, head, body);
    const load = async () => {
      body.replaceChildren(h('div', { class: 'cp-empty' }, 'Loading…'));
      try {
        const changes = await this.backend.checkpointChanges(c.id);
        const actions = h('div', { class: 'cp-actions' },
          h('button', { class: 'btn small', onclick: () => void this.compareWorking(c, body) }, 'Compare with disk'),
          h('button', { class: 'btn small primary', onclick: () => void this.restore(c, null) }, 'Restore…'),
          h('button', { class: 'btn small', title: 'Delete this checkpoint and free what only it used', onclick: () => void this.remove(c) }, 'Delete'));
        const skipped = c.skipped.length ? h('div', { class: 'cp-skipped', title: c.skipped.map((x) => `${x.path}: ${x.reason}`).join('\n') }, `${c.skipped.length} file(s) not captured`) : '';
        body.replaceChildren(actions, skipped, this.fileList(changes, (p) => void this.diff(p, previous?.id ?? null, c.id, previous ? `#${previous.id}` : 'nothing', `#${c.id}`)));
      } catch (e) {
        body.replaceChildren(h('div', { class: 'cp-empty error' }, errorMessage(e)));
      }
    };
    head.addEventListener('click', () => {
      const open = !this.expanded.has(c.id);
      if (open) this.expanded.add(c.id);
      else this.expanded.delete(c.id);
      head.setAttribute('aria-expanded', String(open));
      body.hidden = !open;
      if (open) void load();
    });
    if (this.expanded.has(c.id)) void load();
    return el;
  }

  private fileList(changes: FileChange[], open: (path: string) => void): HTMLElement {
    if (!changes.length) return h('div', { class: 'cp-empty' }, 'No file changes.');
    return h('ul', { class: 'cp-files' }, ...changes.map((f) => {
      const lines = f.linesAdded === null ? 'binary' : `+${f.linesAdded} −${f.linesRemoved}`;
      return h('li', {}, h('button', { class: `cp-file ${f.status}`, 'data-path': f.path, title: f.path, onclick: () => open(f.path) },
        h('span', { class: 'cp-status' }, f.status[0].toUpperCase()), h('span', { class: 'cp-path' }, f.path), h('span', { class: 'cp-lines' }, lines)));
    }));
  }

  private async compareWorking(c: Checkpoint, body: HTMLElement) {
    try {
      const changes = await this.backend.checkpointDiff(c.id, null);
      const old = body.querySelector('.cp-working');
      old?.remove();
      body.append(h('div', { class: 'cp-working' }, h('div', { class: 'cp-sub' }, changes.length ? `Changed on disk since #${c.id}:` : `The files on disk match #${c.id}.`),
        changes.length ? this.fileList(changes, (p) => void this.diff(p, c.id, null, `#${c.id}`, 'On disk')) : ''));
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  /** Side by side, read-only: `from` on the left, `to` on the right (null = on disk). */
  private async diff(path: string, from: number | null, to: number | null, fromName: string, toName: string) {
    try {
      const [a, b] = await Promise.all([
        from === null && fromName === 'nothing' ? Promise.resolve(null) : this.backend.checkpointFile(from, path),
        this.backend.checkpointFile(to, path),
      ]);
      const show = (f: typeof a) => (!f || !f.exists ? '' : f.symlink !== null ? `symlink → ${f.symlink}\n` : f.binary ? '(binary file)\n' : f.text ?? '');
      await openDiff(`${path}: ${fromName} ↔ ${toName}`, { name: fromName, text: show(a) }, { name: toName, text: show(b) }, this.settings(), 'cp-diff');
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  private async remove(c: Checkpoint) {
    const ok = await choose(`Delete checkpoint #${c.id}?`, 'Its snapshot can no longer be restored. Files on disk are not touched.', [
      { label: 'Delete', value: true, danger: true },
      { label: 'Cancel', value: false },
    ]);
    if (!ok) return;
    try {
      const r = await this.backend.checkpointDelete([c.id]);
      this.expanded.delete(c.id);
      await this.refresh();
      toast(`Deleted #${c.id}; freed ${size(r.bytesFreed)}`);
    } catch (e) {
      toast(`Delete failed: ${errorMessage(e)}`, 'error');
    }
  }

  /** Previews exactly what will change, lets the user pick files, then restores. */
  private async restore(c: Checkpoint, only: string[] | null) {
    let plan;
    try {
      plan = await this.backend.checkpointPreview(c.id, only);
    } catch (e) {
      toast(errorMessage(e), 'error');
      return;
    }
    const entries = [...plan.modify.map((p) => ['modify', p]), ...plan.create.map((p) => ['create', p]), ...plan.delete.map((p) => ['delete', p])] as const;
    if (!entries.length) {
      toast(`The files already match #${c.id}`);
      return;
    }
    const boxes: [HTMLInputElement, string][] = [];
    const rows = entries.map(([kind, p]) => {
      const box = h('input', { type: 'checkbox', checked: true, 'aria-label': `${kind} ${p}` });
      boxes.push([box, p]);
      return h('li', { class: `cp-plan ${kind}` }, h('label', {}, box, h('span', { class: 'cp-kind' }, kind), h('span', { class: 'cp-path' }, p)));
    });
    const body = h('div', { class: 'cp-preview' },
      h('p', {}, `Restoring #${c.id} will change ${entries.length} file${entries.length === 1 ? '' : 's'}. A checkpoint of the current state is taken first, so this can be undone.`),
      h('ul', { class: 'cp-plan-list' }, ...rows),
      ...(plan.leftAlone.length ? [
        h('p', { class: 'dim' }, 'Not in the current checkpoint (too large, unreadable or ignored), so left alone:'),
        h('ul', { class: 'cp-plan-list' }, ...plan.leftAlone.map((p) => h('li', { class: 'cp-plan left-alone' }, h('span', { class: 'cp-kind' }, 'left alone'), h('span', { class: 'cp-path' }, p)))),
      ] : []));
    const go = h('button', { class: 'btn primary' }, 'Restore');
    const cancel = h('button', { class: 'btn' }, 'Cancel');
    const modal = panelModal(`Restore checkpoint #${c.id}`, body, [go, cancel], () => modal.remove());
    cancel.addEventListener('click', () => modal.remove());
    go.addEventListener('click', async () => {
      const chosen = boxes.filter(([b]) => b.checked).map(([, p]) => p);
      if (!chosen.length) return;
      const all = chosen.length === boxes.length && only === null;
      modal.remove();
      await this.doRestore(c.id, all ? null : chosen, `#${c.id}`);
    });
    go.focus();
  }

  private async doRestore(id: number, paths: string[] | null, what: string) {
    try {
      const report = await this.backend.checkpointRestore(id, paths);
      const n = report.plan.modify.length + report.plan.create.length + report.plan.delete.length;
      const undo = h('button', { class: 'btn small primary', onclick: () => {
        this.notice.hidden = true;
        // Only what the restore changed goes back: a file it left alone (or one the
        // state before could not capture) is not the undo's to touch.
        const changed = [...report.plan.modify, ...report.plan.create, ...report.plan.delete];
        void this.doRestore(report.undo, changed, `the state before (#${report.undo})`);
      } }, 'Undo restore');
      const dismiss = h('button', { class: 'icon-btn', title: 'Dismiss', 'aria-label': 'Dismiss', onclick: () => (this.notice.hidden = true) }, '×');
      const failed = report.failed.length ? h('div', { class: 'error' }, ...report.failed.map((f) => h('div', {}, `${f.path}: ${f.message}`))) : '';
      this.notice.replaceChildren(h('span', {}, `Restored ${what}: ${n} file${n === 1 ? '' : 's'} changed.`), undo, dismiss, failed);
      this.notice.hidden = false;
      await this.refresh();
    } catch (e) {
      toast(`Restore failed: ${errorMessage(e)}`, 'error');
    }
  }

  dispose() {
    this.events?.cancel();
  }
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return new Date(ms).toLocaleDateString();
}
