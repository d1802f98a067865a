// Merge conflicts in the editor: each region git wrote (`<<<<<<<` … `=======` … `>>>>>>>`,
// with the base after `|||||||` in diff3 style) gets its sides tinted and a bar above it
// with Accept Current / Accept Incoming / Accept Both, as in VS Code. An accept is one
// ordinary edit of the document (undoable, and seen by collaborators). Given to an editor
// while git says its file is conflicted (../workbench/git.ts); the whole-file resolution
// for the API and the agent is Rust's (weft_git::conflict).

import { RangeSetBuilder, StateField, type EditorState, type Extension, type Text, type TransactionSpec } from '@codemirror/state';
import { Decoration, EditorView, WidgetType, type DecorationSet } from '@codemirror/view';
import { h } from '../dom';

/** One region, as document positions: whole lines, line breaks included. */
export interface Conflict {
  from: number;
  to: number;
  ours: { from: number; to: number };
  base: { from: number; to: number } | null;
  theirs: { from: number; to: number };
  /** The marker lines' labels (`HEAD`, the branch being merged). */
  oursLabel: string;
  theirsLabel: string;
}

export type Take = 'ours' | 'theirs' | 'both';

function marker(text: string, c: string): string | null {
  if (text.length < 7 || text.slice(0, 7) !== c.repeat(7)) return null;
  if (text.length === 7) return '';
  return c !== '=' && text[7] === ' ' ? text.slice(8) : null;
}

/** The conflicts in `doc`, in order. An unfinished region (no `>>>>>>>`) is not one. */
export function findConflicts(doc: Text): Conflict[] {
  const out: Conflict[] = [];
  let open: { from: number; oursFrom: number; oursLabel: string; baseAt: number | null; baseFrom: number; sep: number | null; theirsFrom: number } | null = null;
  for (let n = 1; n <= doc.lines; n++) {
    const line = doc.line(n);
    const next = n < doc.lines ? line.to + 1 : line.to;
    const start = marker(line.text, '<');
    if (start !== null) {
      // A new start before the last closed: the first was not a conflict.
      open = { from: line.from, oursFrom: next, oursLabel: start, baseAt: null, baseFrom: 0, sep: null, theirsFrom: 0 };
      continue;
    }
    if (!open) continue;
    if (open.sep === null && open.baseAt === null && marker(line.text, '|') !== null) {
      open.baseAt = line.from;
      open.baseFrom = next;
    } else if (open.sep === null && marker(line.text, '=') === '') {
      open.sep = line.from;
      open.theirsFrom = next;
    } else if (open.sep !== null) {
      const end = marker(line.text, '>');
      if (end === null) continue;
      out.push({
        from: open.from,
        to: next,
        ours: { from: open.oursFrom, to: open.baseAt ?? open.sep },
        base: open.baseAt === null ? null : { from: open.baseFrom, to: open.sep },
        theirs: { from: open.theirsFrom, to: line.from },
        oursLabel: open.oursLabel,
        theirsLabel: end,
      });
      open = null;
    }
  }
  return out;
}

/** The text replacing conflict `c` when `take` is chosen. */
export function resolution(doc: Text, c: Conflict, take: Take): string {
  const ours = doc.sliceString(c.ours.from, c.ours.to);
  const theirs = doc.sliceString(c.theirs.from, c.theirs.to);
  if (take === 'ours') return ours;
  if (take === 'theirs') return theirs;
  return ours && !ours.endsWith('\n') ? `${ours}\n${theirs}` : ours + theirs;
}

/** The edit resolving the conflict starting at `from` (its `<<<<<<<` line), if there is one. */
export function acceptSpec(state: EditorState, from: number, take: Take): TransactionSpec | null {
  const c = conflictsOf(state).find((x) => x.from === from);
  if (!c) return null;
  return { changes: { from: c.from, to: c.to, insert: resolution(state.doc, c, take) }, userEvent: 'input.resolve', scrollIntoView: true };
}

function accept(view: EditorView, from: number, take: Take): void {
  const spec = acceptSpec(view.state, from, take);
  if (spec) view.dispatch(spec);
}

class Bar extends WidgetType {
  constructor(readonly from: number, readonly labels: [string, string]) {
    super();
  }
  eq(o: Bar) {
    return o.from === this.from && o.labels[0] === this.labels[0] && o.labels[1] === this.labels[1];
  }
  toDOM(view: EditorView) {
    const button = (label: string, take: Take, title: string) =>
      h('button', { class: `cm-conflict-btn`, 'data-take': take, title, onmousedown: (e: Event) => e.preventDefault(), onclick: () => accept(view, this.from, take) }, label);
    return h('div', { class: 'cm-conflict-bar', role: 'toolbar', 'aria-label': 'Merge conflict' },
      button('Accept Current', 'ours', `Keep ${this.labels[0] || 'the current side'}`),
      h('span', { class: 'dim' }, '|'),
      button('Accept Incoming', 'theirs', `Keep ${this.labels[1] || 'the incoming side'}`),
      h('span', { class: 'dim' }, '|'),
      button('Accept Both', 'both', 'Keep the current side, then the incoming one'));
  }
  ignoreEvent() {
    return false;
  }
}

const lineDeco = {
  marker: Decoration.line({ class: 'cm-conflict-marker' }),
  ours: Decoration.line({ class: 'cm-conflict-ours' }),
  base: Decoration.line({ class: 'cm-conflict-base' }),
  theirs: Decoration.line({ class: 'cm-conflict-theirs' }),
};

function decorate(state: EditorState, list: Conflict[]): DecorationSet {
  const b = new RangeSetBuilder<Decoration>();
  const doc = state.doc;
  const lines = (from: number, to: number, deco: Decoration) => {
    for (let pos = from; pos < to; ) {
      const line = doc.lineAt(pos);
      b.add(line.from, line.from, deco);
      pos = line.to + 1;
    }
  };
  for (const c of list) {
    b.add(c.from, c.from, Decoration.widget({ widget: new Bar(c.from, [c.oursLabel, c.theirsLabel]), side: -1, block: true }));
    b.add(c.from, c.from, lineDeco.marker);
    lines(c.ours.from, c.ours.to, lineDeco.ours);
    if (c.base) {
      b.add(doc.lineAt(c.ours.to).from, doc.lineAt(c.ours.to).from, lineDeco.marker);
      lines(c.base.from, c.base.to, lineDeco.base);
    }
    const sep = doc.lineAt(c.base ? c.base.to : c.ours.to);
    b.add(sep.from, sep.from, lineDeco.marker);
    lines(c.theirs.from, c.theirs.to, lineDeco.theirs);
    const end = doc.lineAt(c.theirs.to);
    b.add(end.from, end.from, lineDeco.marker);
  }
  return b.finish();
}

const conflictField = StateField.define<{ list: Conflict[]; decos: DecorationSet }>({
  create(state) {
    const list = findConflicts(state.doc);
    return { list, decos: decorate(state, list) };
  },
  update(v, tr) {
    if (!tr.docChanged) return v;
    // Conflicted files are ordinary sizes: finding the regions again is cheaper than
    // mapping half-edited markers correctly.
    const list = findConflicts(tr.state.doc);
    return { list, decos: decorate(tr.state, list) };
  },
  provide: (f) => EditorView.decorations.from(f, (v) => v.decos),
});

/** The editor's conflicts now. */
export function conflictsOf(state: EditorState): Conflict[] {
  return state.field(conflictField, false)?.list ?? [];
}

export function conflictEditor(): Extension {
  return [
    conflictField,
    EditorView.baseTheme({
      '.cm-conflict-bar': { display: 'flex', gap: '6px', alignItems: 'center', fontSize: '12px', padding: '1px 4px', fontFamily: 'var(--ui-font, sans-serif)' },
      '.cm-conflict-btn': { background: 'none', border: 'none', padding: '0', cursor: 'pointer', color: 'var(--accent, #3b82f6)', font: 'inherit' },
      '.cm-conflict-btn:hover': { textDecoration: 'underline' },
      '.cm-conflict-marker': { background: 'rgba(128, 128, 128, 0.18)', color: 'var(--dim, #888)' },
      '.cm-conflict-ours': { background: 'rgba(64, 200, 174, 0.16)' },
      '.cm-conflict-base': { background: 'rgba(128, 128, 128, 0.10)' },
      '.cm-conflict-theirs': { background: 'rgba(64, 166, 255, 0.16)' },
    }),
  ];
}
