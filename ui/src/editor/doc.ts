// An open file. Its text lives in the CodeMirror views showing it (one per editor group);
// edits in one view are replayed into the others. `saved` is what we believe is on disk,
// so "dirty" is a comparison, and undoing back to the saved text clears the marker.

import { Annotation, Text, type ChangeSpec } from '@codemirror/state';

import type { EditorView, ViewUpdate } from '@codemirror/view';
import type { Backend, Encoding, FileDto } from '../backend';
import type { DocSyntax } from './syntax';

/** Marks transactions that replay another view's edit, so they are not echoed back. */
export const replayed = Annotation.define<boolean>();

export class Doc {
  readonly views = new Set<EditorView>();
  encoding: Encoding;
  encodingLabel: string;
  lineEnding: 'lf' | 'crlf';
  readonly: boolean;
  large: boolean;
  /** The text as last loaded from or saved to disk. */
  saved: Text | null = null;
  initialText: string;
  /** Disk text of an outside change that clashed with unsaved edits, until the user chooses. */
  conflict: string | null = null;
  deletedOnDisk = false;
  /** Code intelligence (tree-sitter in Rust); none for large files. */
  syntax: DocSyntax | null = null;
  private dirtyCache = false;
  private listeners = new Set<() => void>();

  constructor(public path: string, dto: FileDto) {
    this.encoding = dto.encoding;
    this.encodingLabel = dto.encodingLabel;
    this.lineEnding = dto.lineEnding;
    this.readonly = dto.readonly;
    this.large = dto.large;
    this.initialText = dto.text;
  }

  get separator(): string {
    return this.lineEnding === 'crlf' ? '\r\n' : '\n';
  }

  get primary(): EditorView | undefined {
    return this.views.values().next().value;
  }

  /** The exact text to write: lines joined with the file's own separator. */
  text(): string {
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

  /** Called by each view's update listener. */
  viewUpdated(view: EditorView, update: ViewUpdate): void {
    if (update.docChanged && !update.transactions.some((t) => t.annotation(replayed))) {
      this.syntax?.changed(update.changes);
      for (const other of this.views) {
        if (other !== view) other.dispatch({ changes: update.changes, annotations: replayed.of(true) });
      }
    }
    if (update.docChanged) this.recheck(view.state.doc);
  }

  private recheck(doc: Text): void {
    const dirty = this.saved ? !(doc.length === this.saved.length && doc.eq(this.saved)) : false;
    if (dirty !== this.dirtyCache) {
      this.dirtyCache = dirty;
      this.notify();
    }
  }

  markSaved(): void {
    const v = this.primary;
    if (v) this.saved = v.state.doc;
    this.deletedOnDisk = false;
    this.conflict = null;
    this.dirtyCache = false;
    this.notify();
  }

  /**
   * Replaces the text with `text` by the smallest run of whole lines (common leading and
   * trailing lines kept), so cursors, folds and scroll outside the change survive a reload.
   * Lines, not characters: CodeMirror counts a line break as one position whatever the
   * separator, so offsets into the CRLF-joined string would be wrong. Returns where the
   * change ends in the new text (null: nothing changed, or no view).
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

  async save(backend: Backend): Promise<void> {
    await backend.writeFile(this.path, this.text(), this.encoding);
    this.markSaved();
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
