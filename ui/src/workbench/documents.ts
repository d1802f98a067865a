// The open documents: binding to Rust's document of a file (once, however many tabs show
// it), saving, the questions before unsaved edits are lost, and what the editor shows when
// the file changes, moves or goes on disk (the text itself is Rust's to merge).

import { h, basename } from '../dom';
import { BackendError, type DocStream, type FsChange } from '../backend';
import { formatDocument, hasLanguageServer } from '../editor/lsp';
import { choose, toast, errorMessage, panelModal } from '../dialogs';
import { Doc } from '../editor/doc';
import type { Tab } from '../editor/group';
import { baseExtensions } from '../editor/extensions';
import { DocSyntax } from '../editor/syntax';
import { setAgentCursor } from '../editor/agentcursor';
import type { Workbench } from './context';

export class Documents {
  private docs = new Map<string, Doc>();
  /** Documents being bound, so two opens of one file share one binding. */
  private loading = new Map<string, Promise<Doc>>();
  private watchHandle: ReturnType<Workbench['backend']['watch']> | null = null;
  /** Told of files changed on disk, whoever changed them (the editor's saves, the agent,
   * a terminal): the preview reloads. */
  readonly onDiskChange: ((paths: string[]) => void)[] = [];

  /** `preloaded`: docOpen requests the entry sent before this code loaded. */
  constructor(private wb: Workbench, private preloaded: Map<string, DocStream> | null) {}

  get(path: string): Doc | undefined {
    return this.docs.get(path);
  }

  /** Restored files are bound by now; later opens send their own docOpen. */
  startupDone(): void {
    this.preloaded = null;
  }

  /** The open document for `path`, binding to it if needed; null (and a toast) if it cannot be opened as text. */
  async load(path: string): Promise<Doc | null> {
    let doc = this.docs.get(path);
    if (doc) return doc;
    let pending = this.loading.get(path);
    if (!pending) {
      pending = Doc.open(this.wb.backend, path, this.preloaded?.get(path), (e) => toast(errorMessage(e), 'error'));
      this.preloaded?.delete(path);
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
      d.syntax = new DocSyntax(this.wb.backend, d);
      d.syntax.onChange(() => this.wb.layout.syntaxChanged(d));
    } else {
      toast(`${path} is large: opened read-only, without highlighting`);
    }
    this.docs.set(path, doc);
    // A read-only guest's editors open read-only.
    if (this.wb.guest && this.wb.live?.isReadOnly) doc.setReadOnly(true);
    doc.onChange(() => this.wb.layout.updateDirtyFlag());
    // Moved by another program (a `git mv`, a terminal): the tab follows, edits and all.
    doc.onMoved = (from, to) => this.renamed(from, to);
    return doc;
  }

  /** The last tab of `doc` closed; `discard`: its user chose not to save. */
  closed(doc: Doc, discard: boolean): void {
    this.docs.delete(doc.path);
    doc.syntax?.close();
    doc.close(this.wb.backend, discard);
  }

  async save(doc: Doc): Promise<boolean> {
    if (doc.shared) {
      toast('Saved: the host writes shared files to its disk as you type');
      return true;
    }
    if (doc.deletedOnDisk) {
      // Another program (or the user, elsewhere) deleted it: writing it back is a choice.
      const answer = await choose('Deleted on disk', `${doc.path} was deleted on disk. Save it again?`, [
        { label: 'Save', value: 'save', primary: true },
        { label: 'Cancel', value: 'cancel' },
      ]);
      if (answer !== 'save') return false;
    }
    // Format on save (the setting), with the file's server; a server that is slow or
    // fails never stops the save.
    const view = doc.primary;
    if (this.wb.settings().formatOnSave && view && hasLanguageServer(doc.path)) {
      const formatted = formatDocument(view, this.wb.backend, doc.path).catch(() => false);
      await Promise.race([formatted, new Promise((r) => setTimeout(r, 3000))]);
    }
    try {
      await doc.save(this.wb.backend);
      return true;
    } catch (e) {
      toast(`Could not save ${doc.path}: ${errorMessage(e)}`, 'error');
      return false;
    }
  }

  /** A guest's role changed: every open document follows it. */
  setReadOnly(readonly: boolean): void {
    for (const d of this.docs.values()) d.setReadOnly(readonly);
  }

  async saveAll(): Promise<boolean> {
    let ok = true;
    for (const d of this.docs.values()) if (d.dirty) ok = (await this.save(d)) && ok;
    return ok;
  }

  dirty(): Doc[] {
    return [...this.docs.values()].filter((d) => d.dirty);
  }

  async confirmDiscardAll(what: string): Promise<boolean> {
    const dirty = this.dirty();
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

  async confirmSaveBeforeReplace(): Promise<void> {
    if (this.dirty().length) {
      const save = await choose('Unsaved changes', 'Replace works on the files on disk. Save open files first?', [
        { label: 'Save All', value: true, primary: true },
        { label: 'Replace on disk only', value: false },
      ]);
      if (save) await this.saveAll();
    }
  }

  // ---- outside changes ----------------------------------------------------------------

  /** (Re)subscribes to the folder's changes; after a reconnect anything may have changed. */
  subscribe(): void {
    this.watchHandle?.cancel();
    this.watchHandle = this.wb.backend.watch((ev) => this.onDiskChanges(ev.changes));
    this.wb.layout.tree.changed([''], true);
    for (const doc of this.docs.values()) void this.reloadFromDisk(doc);
  }

  private onDiskChanges(changes: FsChange[]) {
    const rescan = changes.some((c) => c.kind === 'rescan');
    const files = changes.filter((c) => !c.isDir && c.kind !== 'rescan').map((c) => c.path);
    if (files.length) for (const f of this.onDiskChange) f(files);
    this.wb.git?.refreshSoon();
    this.wb.layout.tree.changed(changes.filter((c) => c.kind !== 'modified' || c.isDir).map((c) => c.path), rescan);
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
      await this.wb.backend.readFile(doc.path);
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
  agentWrote(path: string): void {
    const doc = this.docs.get(path);
    if (doc && !doc.bound) void this.reloadFromDisk(doc, true);
  }

  /** The agent's turn ended: its cursor leaves every editor. */
  agentDone(): void {
    for (const doc of this.docs.values()) for (const v of doc.views) v.dispatch({ effects: setAgentCursor.of(null) });
  }

  /** A large (unbound, read-only) file changed on disk: shown as it is now. */
  private async reloadFromDisk(doc: Doc, byAgent = false) {
    let disk: string;
    try {
      disk = (await this.wb.backend.readFile(doc.path)).text;
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

  /** What a tab shows above its editor: a clash with the disk, a deleted file, a large one. */
  banner(tab: Tab): HTMLElement | null {
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
    await doc.keepMine(this.wb.backend).catch((e) => toast(errorMessage(e), 'error'));
  }

  private async takeDisk(doc: Doc) {
    await doc.takeDisk(this.wb.backend).catch((e) => toast(errorMessage(e), 'error'));
  }

  private async compare(doc: Doc) {
    let disk: string;
    try {
      const f = await this.wb.backend.readFile(doc.path);
      // The editor's text has "\n" breaks when the file's are all CRLF.
      disk = doc.bound && doc.lineEnding === 'crlf' ? f.text.replace(/\r\n/g, '\n') : f.text;
    } catch (e) {
      toast(errorMessage(e), 'error');
      return;
    }
    const { MergeView } = await import('@codemirror/merge');
    const host = h('div', { class: 'merge-host' });
    const settings = this.wb.settings();
    const exts = baseExtensions(settings, { large: false, readOnly: false, lineSeparator: doc.separator });
    const merge = new MergeView({
      a: { doc: doc.text(), extensions: exts },
      b: { doc: disk, extensions: [...baseExtensions(settings, { large: false, readOnly: true, lineSeparator: doc.separator })] },
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

  /** A file or folder was renamed (in the tree, or by another program): documents follow. */
  renamed(from: string, to: string): void {
    for (const doc of [...this.docs.values()]) {
      if (doc.path === from || doc.path.startsWith(from + '/')) {
        this.docs.delete(doc.path);
        doc.path = to + doc.path.slice(from.length);
        this.docs.set(doc.path, doc);
        doc.syntax?.renamed();
        doc.deletedOnDisk = false;
        this.wb.layout.docRenamed(doc);
        doc.notify();
      }
    }
    this.wb.session.changed();
  }

  deleted(path: string): void {
    for (const doc of this.docs.values()) {
      if (doc.path === path || doc.path.startsWith(path + '/')) {
        doc.deletedOnDisk = true;
        doc.notify();
      }
    }
  }
}
