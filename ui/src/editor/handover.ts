// The editor takes over from the start-up's first frame (../firstframe.ts): what was typed
// into its plain text area goes into the document, with the cursor and the scroll.

import { ChangeSet, EditorSelection } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import type { FirstText } from '../firstframe';
import { sharedUndo } from './extensions';

/** The one changed range between two texts (common prefix and suffix left out), or null. */
export function difference(a: string, b: string): { from: number; to: number; insert: string } | null {
  if (a === b) return null;
  let start = 0;
  const max = Math.min(a.length, b.length);
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && a.charCodeAt(a.length - 1 - end) === b.charCodeAt(b.length - 1 - end)) end++;
  return { from: start, to: a.length - end, insert: b.slice(start, b.length - end) };
}

/**
 * The changes that make `now` (the document as the editor opened it) hold what was typed
 * (`typed.value`, made from `typed.base`), and where the typed cursor lands. The document
 * is usually still `base`; when something changed it meanwhile (a change on disk merged,
 * another editor), the typing is mapped over that change as CodeMirror maps concurrent
 * edits, so neither side is lost.
 */
export function handOverChanges(now: string, typed: FirstText): { changes: ChangeSet; anchor: number; head: number } {
  const len = typed.base.length;
  const mine = difference(typed.base, typed.value);
  const theirs = difference(typed.base, now);
  const a = mine ? ChangeSet.of([mine], len) : ChangeSet.empty(len);
  const b = theirs ? ChangeSet.of([theirs], len) : ChangeSet.empty(len);
  // `a` after `b`, to apply to `now`; and `b` after `a`, to carry positions in the typed
  // text to the document's.
  const changes = a.map(b);
  const after = b.map(a, true);
  const at = (pos: number) => after.mapPos(Math.min(pos, typed.value.length));
  return { changes, anchor: at(typed.selectionStart), head: at(typed.selectionEnd) };
}

export function handOver(view: EditorView, typed: FirstText): void {
  const { changes, anchor, head } = handOverChanges(view.state.doc.toString(), typed);
  // One edit, as typing: it syncs to the document and Ctrl+Z takes it back.
  view.dispatch({ changes, selection: EditorSelection.single(anchor, head), userEvent: changes.empty ? 'select' : 'input.type' });
  // Its own undo step: typing right after is not merged into it.
  sharedUndo.get(view)?.stopCapturing?.();
  view.scrollDOM.scrollTop = typed.scrollTop;
  view.scrollDOM.scrollLeft = typed.scrollLeft;
}
