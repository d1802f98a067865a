// The editor's git gutter: lines added, changed and deleted against the staged text (or
// the last commit's), kept up to date as you type (@codemirror/merge's chunks, updated
// from each change rather than diffed again). A click on a mark shows the hunk: the lines it
// replaced, and buttons to stage it (the staged text with this hunk taken from the editor)
// or revert it (the editor's lines put back as staged, undoable). Loaded once the folder
// is known to be a git repository.

import { Chunk } from '@codemirror/merge';
import { Facet, StateEffect, StateField, RangeSetBuilder, Text, type Extension } from '@codemirror/state';
import { EditorView, GutterMarker, gutter, showTooltip, type Tooltip } from '@codemirror/view';
import { h } from '../dom';
import { ownUndoStep } from './extensions';

export interface GitGutterHooks {
  /** Stages `text` (the whole file's staged content); resolves once git has it. */
  stage(text: string): Promise<void>;
}

const gitHooks = Facet.define<GitGutterHooks, GitGutterHooks | null>({ combine: (v) => v[0] ?? null });

/** The staged text to compare against (null: none, the gutter is empty). */
export const setGitBase = StateEffect.define<Text | null>();
const openHunk = StateEffect.define<number | null>();

interface GitDiff {
  base: Text | null;
  chunks: readonly Chunk[];
  /** The chunk whose popup is open (its index), if any. */
  open: number | null;
}

const gitDiff = StateField.define<GitDiff>({
  create: () => ({ base: null, chunks: [], open: null }),
  update(v, tr) {
    let next = v;
    // The document's change first, then the effects that came with it (a revert closes
    // its popup in the same transaction).
    if (v.base && tr.docChanged) next = { base: v.base, chunks: Chunk.updateB(v.chunks, v.base, tr.state.doc, tr.changes), open: null };
    for (const e of tr.effects) {
      if (e.is(setGitBase)) next = { base: e.value, chunks: e.value ? Chunk.build(e.value, tr.state.doc) : [], open: null };
      else if (e.is(openHunk)) next = { ...next, open: e.value };
    }
    return next;
  },
  provide: (f) => showTooltip.from(f, (v) => (v.open === null ? null : hunkTooltip(v, v.open))),
});

class Mark extends GutterMarker {
  constructor(readonly kind: 'added' | 'modified' | 'deleted') {
    super();
  }
  eq(other: Mark) {
    return other.kind === this.kind;
  }
  toDOM() {
    return h('div', { class: `cm-git-mark cm-git-${this.kind}`, title: `${this.kind[0].toUpperCase()}${this.kind.slice(1)} (click for the hunk)` });
  }
}
const marks = { added: new Mark('added'), modified: new Mark('modified'), deleted: new Mark('deleted') };

/** The gutter's width before any mark: not itself a mark. */
class Spacer extends GutterMarker {
  toDOM() {
    return h('div', { class: 'cm-git-spacer' });
  }
}

function kindOf(c: Chunk): 'added' | 'modified' | 'deleted' {
  if (c.fromA === c.toA) return 'added';
  if (c.fromB === c.toB) return 'deleted';
  return 'modified';
}

/** The chunk a line (its start position) belongs to. */
function chunkAt(v: GitDiff, doc: Text, pos: number): number {
  const line = doc.lineAt(pos);
  return v.chunks.findIndex((c) => {
    if (c.fromB === c.toB) return doc.lineAt(Math.min(c.fromB, doc.length)).number === line.number;
    return line.from >= c.fromB && line.from < Math.max(c.toB, c.fromB + 1);
  });
}

const clip = (t: Text, p: number) => Math.min(p, t.length);

/** The whole staged text with chunk `c` taken from the editor's text. */
function stagedWith(base: Text, doc: Text, c: Chunk): string {
  return base.sliceString(0, c.fromA) + doc.sliceString(c.fromB, clip(doc, c.toB)) + base.sliceString(clip(base, c.toA));
}

/** A chunk's text on one side as lines, each with its line break (the last may have none). */
function linesOf(t: Text, from: number, to: number): string[] {
  const text = t.sliceString(from, clip(t, to));
  return text ? text.match(/[^\n]*\n|[^\n]+$/g) ?? [] : [];
}

/**
 * The whole staged text with the selected lines (1-based, inclusive: `[from, to]` per
 * range) taken from the editor: within a changed hunk, line k of the editor's side
 * replaces line k of the staged side; lines beyond the staged side's are additions; staged
 * lines beyond the editor's go (are deleted) when the hunk's last line is selected, or
 * when the selection is on the line a deletion-only hunk sits at. Everything else stays
 * as staged. Null when the selection touches no change.
 */
export function stagedWithLines(base: Text, doc: Text, chunks: readonly Chunk[], ranges: { from: number; to: number }[]): string | null {
  return withLines(base, doc, chunks, ranges, 'b');
}

/**
 * The other way (Unstage Selected Lines, in the staged diff): the whole staged text with
 * the selected staged lines (in `staged`'s lines) taken back to `head`'s: within a hunk,
 * staged line k becomes HEAD's line k, or goes when HEAD had fewer; HEAD's lines beyond the
 * staged ones come back when the hunk's last staged line is selected, or when the
 * selection is on the line a deletion-only hunk sits at. Everything else stays staged.
 * Null when the selection touches no change.
 */
export function unstagedWithLines(head: Text, staged: Text, chunks: readonly Chunk[], ranges: { from: number; to: number }[]): string | null {
  return withLines(head, staged, chunks, ranges, 'a');
}

/**
 * Both of the above: `a` and `b` are a diff's sides and the selection is in `b`'s lines.
 * With `take` `b`, the result is `a` with the selected lines taken from `b`; with `a`, it
 * is `b` with the selected lines taken back from `a`. Line k of a hunk's side pairs with
 * line k of the other; a hunk's lines past the end of `b`'s side go with its last line
 * (or, for a hunk that only deletes, with the line where it sits).
 */
function withLines(a: Text, b: Text, chunks: readonly Chunk[], ranges: { from: number; to: number }[], take: 'a' | 'b'): string | null {
  const picked = (line: number) => ranges.some((r) => line >= r.from && line <= r.to);
  const kept = take === 'b' ? a : b;
  let out = '';
  let at = 0;
  let touched = false;
  for (const c of chunks) {
    const [from, to] = take === 'b' ? [c.fromA, c.toA] : [c.fromB, c.toB];
    out += kept.sliceString(at, clip(kept, from));
    at = clip(kept, to);
    const al = linesOf(a, c.fromA, c.toA);
    const bl = linesOf(b, c.fromB, c.toB);
    const first = b.lineAt(clip(b, c.fromB)).number;
    const sel = bl.length ? bl.map((_, k) => picked(first + k)) : [picked(first)];
    const [chosen, other] = take === 'b' ? [bl, al] : [al, bl];
    if (!sel.some(Boolean)) {
      out += other.join('');
      continue;
    }
    touched = true;
    for (let k = 0; k < Math.max(al.length, bl.length); k++) out += (sel[Math.min(k, sel.length - 1)] ? chosen[k] : other[k]) ?? '';
  }
  out += kept.sliceString(at);
  return touched ? out : null;
}

/** Stages the lines the selection covers (Git: Stage Selected Lines); false when none changed. */
export function stageSelectedLines(view: EditorView): boolean {
  const v = view.state.field(gitDiff, false);
  const hooks = view.state.facet(gitHooks);
  if (!v?.base || !hooks) return false;
  const doc = view.state.doc;
  const ranges = view.state.selection.ranges.map((r) => ({ from: doc.lineAt(r.from).number, to: doc.lineAt(r.to).number }));
  const text = stagedWithLines(v.base, doc, v.chunks, ranges);
  if (text === null) return false;
  void hooks.stage(text);
  return true;
}

function hunkTooltip(v: GitDiff, i: number): Tooltip | null {
  const c = v.chunks[i];
  if (!c || !v.base) return null;
  const base = v.base;
  return {
    pos: c.fromB,
    above: false,
    create(view) {
      const old = base.sliceString(c.fromA, clip(base, c.toA));
      const stage = h('button', { class: 'btn small primary cm-git-stage' }, 'Stage hunk');
      const revert = h('button', { class: 'btn small cm-git-revert' }, 'Revert hunk');
      const close = h('button', { class: 'icon-btn', title: 'Close (Escape)', 'aria-label': 'Close' }, '×');
      const dom = h('div', { class: 'cm-git-hunk', role: 'dialog', 'aria-label': 'Hunk' },
        h('div', { class: 'cm-git-hunk-bar' }, h('span', { class: 'dim' }, old ? 'Staged text:' : 'New lines (nothing staged here)'), h('span', { class: 'spacer' }), stage, revert, close),
        old ? h('pre', { class: 'cm-git-old' }, old.replace(/\n$/, '')) : '');
      const hooks = view.state.facet(gitHooks);
      stage.addEventListener('click', () => {
        const state = view.state.field(gitDiff);
        const now = state.chunks[i];
        if (!now || !state.base) return;
        stage.disabled = true;
        void hooks?.stage(stagedWith(state.base, view.state.doc, now)).finally(() => view.dispatch({ effects: openHunk.of(null) }));
      });
      revert.addEventListener('click', () => {
        const state = view.state.field(gitDiff);
        const now = state.chunks[i];
        if (!now || !state.base) return;
        ownUndoStep(view, {
          changes: { from: now.fromB, to: clip(view.state.doc, now.toB), insert: state.base.sliceString(now.fromA, clip(state.base, now.toA)) },
          effects: openHunk.of(null),
          userEvent: 'input.revert',
        });
        view.focus();
      });
      close.addEventListener('click', () => view.dispatch({ effects: openHunk.of(null) }));
      return { dom };
    },
  };
}


/** The gutter for one editor; `hooks` stages for it. */
export function gitGutter(hooks: GitGutterHooks): Extension {
  return [
    gitDiff,
    gitHooks.of(hooks),
    gutter({
      class: 'cm-git-gutter',
      markers(view) {
        const v = view.state.field(gitDiff);
        const b = new RangeSetBuilder<GutterMarker>();
        const doc = view.state.doc;
        for (const c of v.chunks) {
          const kind = kindOf(c);
          if (kind === 'deleted') {
            b.add(doc.lineAt(clip(doc, c.fromB)).from, doc.lineAt(clip(doc, c.fromB)).from, marks.deleted);
            continue;
          }
          const last = doc.lineAt(clip(doc, Math.max(c.fromB, c.toB - 1))).number;
          for (let n = doc.lineAt(c.fromB).number; n <= last; n++) {
            const line = doc.line(n);
            b.add(line.from, line.from, marks[kind]);
          }
        }
        return b.finish();
      },
      initialSpacer: () => new Spacer(),
      domEventHandlers: {
        mousedown(view, line) {
          const v = view.state.field(gitDiff);
          const i = chunkAt(v, view.state.doc, line.from);
          if (i < 0) return false;
          view.dispatch({ effects: openHunk.of(v.open === i ? null : i) });
          return true;
        },
      },
    }),
    EditorView.domEventHandlers({
      keydown(e, view) {
        if (e.key === 'Escape' && view.state.field(gitDiff).open !== null) {
          view.dispatch({ effects: openHunk.of(null) });
          return true;
        }
        return false;
      },
    }),
  ];
}

/** The chunks' count and kinds, for tests and the status bar. */
export function gitChunks(view: EditorView): { kind: string; fromLine: number; toLine: number }[] {
  const v = view.state.field(gitDiff, false);
  if (!v) return [];
  const doc = view.state.doc;
  return v.chunks.map((c) => ({ kind: kindOf(c), fromLine: doc.lineAt(clip(doc, c.fromB)).number, toLine: doc.lineAt(clip(doc, Math.max(c.fromB, c.toB - 1))).number }));
}
