// An open file. Its text lives once, in Rust (one Yrs document per open file, shared with
// guests, the agent and the syntax analysis); this editor holds a Yjs replica bound to
// its CodeMirror views (one per editor group) with y-codemirror, so typing never waits
// on Rust, every view shows every change, and Ctrl+Z undoes only this user's typing.
// Rust merges changes on disk (three-way) and saves; `saved` is the file's text as Rust
// last loaded or saved it, so "dirty" is a comparison, and undoing back to it clears it.
//
// Files over the large-file limit are not documents: they open read-only from readFile.

import * as Y from 'yjs';
import { EditorState, Text, type ChangeSpec } from '@codemirror/state';

import type { EditorView, ViewUpdate } from '@codemirror/view';
import { BackendError, type Analysis, type Backend, type DocConflict, type DocEvent, type DocInfo, type DocStream, type Encoding, type FileDto } from '../backend';
import type { DocSyntax } from './syntax';
import { YSync, localUser } from './ysync';
import { compartments } from './extensions';

/** This editor's link to the Rust document. */
export interface Bound {
  sync: YSync;
  text: Y.Text;
  undo: Y.UndoManager;
  conn: number;
  /** The document's id for syntax requests; its analysis comes with the document. */
  syntaxId: string;
  /** The newest analysis Rust sent, with the state vector it belongs to. */
  analysis: { analysis: Analysis; sv: number[] } | null;
}

export class Doc {
  readonly views = new Set<EditorView>();
  encoding: Encoding;
  encodingLabel: string;
  /** How the file's lines end on disk; the editor's text always uses "\n". */
  lineEnding: 'lf' | 'crlf';
  readonly: boolean;
  large: boolean;
  /** The text as last loaded from or saved to disk. */
  saved: Text | null = null;
  initialText: string;
  /** Where a change on disk and unsaved edits changed the same lines differently: the
   * editor kept its text; the disk's is in `theirs`. Until the user chooses. */
  conflicts: DocConflict[] = [];
  deletedOnDisk = false;
  /** A shared folder's file, open as a guest: the host saves it as everyone types, so it
   * is never dirty here and Save has nothing to do. */
  shared = false;
  /** Code intelligence (tree-sitter in Rust); none for large files. */
  syntax: DocSyntax | null = null;
  private dirtyCache = false;
  private listeners = new Set<() => void>();
  private savedGen = -1;
  private genWaiters: { gen: number; resolve: () => void }[] = [];

  private constructor(public path: string, meta: { encoding: Encoding; encodingLabel: string; lineEnding: 'lf' | 'crlf'; readonly: boolean; large: boolean }, text: string, readonly bound: Bound | null) {
    this.encoding = meta.encoding;
    this.encodingLabel = meta.encodingLabel;
    this.lineEnding = meta.lineEnding;
    this.readonly = meta.readonly;
    this.large = meta.large;
    this.initialText = text;
  }

  /**
   * Binds to the document of `path` (`pending`: a docOpen the entry already sent). Large
   * files come back unbound and read-only. Rejects as docOpen/readFile do.
   */
  static async open(backend: Backend, path: string, pending?: DocStream, onError: (e: unknown) => void = () => {}): Promise<Doc> {
    const stream = pending ?? backend.docOpen(path);
    let info: DocInfo;
    try {
      info = await stream.result;
    } catch (e) {
      if (!(e instanceof BackendError && e.code === 'large_file')) throw e;
      const dto: FileDto = await backend.readFile(path);
      const doc = new Doc(path, { ...dto, readonly: true, large: true }, dto.text, null);
      doc.saved = Text.of(dto.text.split(doc.separator));
      return doc;
    }
    const sync = new YSync((data) => backend.docPush(info.conn, data), onError);
    const text = sync.doc.getText('content');
    // Guests of a shared folder see this editor's cursor under this name.
    sync.awareness.setLocalStateField('user', localUser());
    const bound: Bound = { sync, text, undo: new Y.UndoManager(text), conn: info.conn, syntaxId: info.syntax, analysis: null };
    const doc = new Doc(path, { ...info, large: false }, '', bound);
    doc.shared = !!stream.shared;
    // The whole text comes first, then the saved text: both are here once `saved` is. A
    // shared document (a guest's) has no saved text; its stream's result came once the
    // room held the host's text, and the frames kept until now are delivered at once.
    const first = doc.shared ? Promise.resolve() : doc.savedAtLeast(0);
    stream.listen((m) => sync.receive(m), (e) => doc.event(e));
    await first;
    doc.initialText = text.toString();
    return doc;
  }

  get separator(): string {
    return this.bound || this.lineEnding !== 'crlf' ? '\n' : '\r\n';
  }

  get primary(): EditorView | undefined {
    return this.views.values().next().value;
  }

  /** Which edits the editor's replica holds (Yjs state vector); null for an unbound file. */
  stateVector(): Uint8Array | null {
    return this.bound?.text.doc ? Y.encodeStateVector(this.bound.text.doc) : null;
  }

  /** The editor's text ("\n" line breaks for documents). */
  text(): string {
    if (this.bound) return this.bound.text.toString();
    const v = this.primary;
    return v ? v.state.sliceDoc() : this.initialText;
  }

  get dirty(): boolean {
    return this.dirtyCache;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const l of this.listeners) l();
  }

  /** Called when another program moved the file and the document followed it. */
  onMoved: ((from: string, to: string) => void) | null = null;

  private event(e: DocEvent) {
    if (e.kind === 'renamed') {
      this.onMoved?.(e.from, e.to);
      return;
    }
    if (e.kind === 'analysis') {
      if (!this.bound) return;
      this.bound.analysis = { analysis: e.analysis, sv: e.sv };
      this.syntax?.documentAnalysed();
      return;
    }
    if (e.kind === 'diagnostics') {
      this.syntax?.setLsp(e.diagnostics);
      return;
    }
    if (e.gen < this.savedGen) return;
    this.savedGen = e.gen;
    this.saved = Text.of(e.text.split('\n'));
    this.conflicts = e.conflicts;
    this.deletedOnDisk = false;
    const v = this.primary;
    if (v) this.recheck(v.state.doc, true);
    for (const w of this.genWaiters.filter((w) => w.gen <= e.gen)) w.resolve();
    this.genWaiters = this.genWaiters.filter((w) => w.gen > e.gen);
  }

  /** Resolves once the saved text of generation `gen` (or a later one) is here. */
  private savedAtLeast(gen: number): Promise<void> {
    if (this.savedGen >= gen) return Promise.resolve();
    return new Promise((resolve) => this.genWaiters.push({ gen, resolve }));
  }

  /** Called by each view's update listener. */
  viewUpdated(view: EditorView, update: ViewUpdate): void {
    // Every view sees every change (through Yjs); the syntax mirror follows one of them.
    if (update.docChanged && view === this.primary) {
      this.syntax?.changed(update.changes);
      this.recheck(view.state.doc);
    }
  }

  private recheck(doc: Text, always = false): void {
    const dirty = this.saved && !this.shared ? !(doc.length === this.saved.length && doc.eq(this.saved)) : false;
    if (dirty !== this.dirtyCache || always) {
      this.dirtyCache = dirty;
      this.notify();
    }
  }

  /** The user may (no longer) type here: a guest's role changed. */
  setReadOnly(readonly: boolean): void {
    if (readonly === this.readonly) return;
    this.readonly = readonly;
    for (const v of this.views) v.dispatch({ effects: compartments.readOnly.reconfigure(EditorState.readOnly.of(readonly)) });
    this.notify();
  }

  /** For an unbound (large) file only: what is on screen is what is on disk. */
  markSaved(): void {
    const v = this.primary;
    if (v) this.saved = v.state.doc;
    this.deletedOnDisk = false;
    this.dirtyCache = false;
    this.notify();
  }

  /**
   * Replaces the text with `text` by the smallest run of whole lines (common leading and
   * trailing lines kept), so cursors, folds and scroll outside the change survive. Lines,
   * not characters: CodeMirror counts a line break as one position whatever the separator,
   * so offsets into a CRLF-joined string would be wrong. Returns where the change ends in
   * the new text (null: nothing changed, or no view).
   */
  replaceText(text: string): number | null {
    const v = this.primary;
    if (!v) {
      this.initialText = text;
      return null;
    }
    const change = lineChange(v.state.doc, text.split(this.separator));
    if (!change) return null;
    const tr = v.state.update({ changes: change });
    v.dispatch(tr);
    let end = 0;
    tr.changes.iterChangedRanges((_fa, _ta, _fb, toB) => (end = Math.max(end, toB)));
    return end;
  }

  /** Saves; resolves once the editor knows the file holds what was written. */
  async save(backend: Backend): Promise<void> {
    if (this.shared) return;
    if (!this.bound) {
      await backend.writeFile(this.path, this.text(), this.encoding);
      this.markSaved();
      return;
    }
    const { gen } = await backend.docSave(this.path);
    await this.savedAtLeast(gen);
  }

  /** After a conflict: the file's text replaces the editor's. */
  async takeDisk(backend: Backend): Promise<void> {
    await backend.docTakeDisk(this.path);
  }

  /** After a conflict: the editor's text stays (and is unsaved until saved). */
  async keepMine(backend: Backend): Promise<void> {
    await backend.docKeepMine(this.path);
  }

  /** The last editor of this file closed; `discard`: its user chose not to save. */
  close(backend: Backend, discard: boolean): void {
    if (!this.bound) return;
    this.bound.sync.leave();
    const { sync, conn } = this.bound;
    void backend.docClose(conn, discard).catch(() => {}).finally(() => sync.destroy());
  }
}

/** The single change turning `doc` into `lines`, touching as few lines as possible. */
export function lineChange(doc: Text, lines: string[]): ChangeSpec | null {
  const a = doc.toJSON();
  let p = 0;
  while (p < a.length && p < lines.length && a[p] === lines[p]) p++;
  if (p === a.length && p === lines.length) return null;
  let s = 0;
  while (s < a.length - p && s < lines.length - p && a[a.length - 1 - s] === lines[lines.length - 1 - s]) s++;
  const aMid = a.length - s - p;
  const mid = lines.slice(p, lines.length - s);
  if (aMid > 0 && mid.length > 0) {
    return { from: doc.line(p + 1).from, to: doc.line(p + aMid).to, insert: Text.of(mid) };
  }
  if (aMid > 0) {
    // Whole lines go, with one line break.
    if (p > 0) return { from: doc.line(p).to, to: doc.line(p + aMid).to };
    return { from: 0, to: doc.line(aMid + 1).from };
  }
  // Whole lines come, at a line boundary.
  if (p < a.length) return { from: doc.line(p + 1).from, insert: Text.of([...mid, '']) };
  return { from: doc.length, insert: Text.of(['', ...mid]) };
}
