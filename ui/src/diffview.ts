// A read-only side-by-side diff in a modal (the checkpoint timeline, the agent's review).
// @codemirror/merge loads on first use: it is not on the start-up path.

import { h } from './dom';
import type { Settings } from './backend';
import { panelModal, toast } from './dialogs';
import type { Text } from '@codemirror/state';
import type { Chunk } from '@codemirror/merge';
import { baseExtensions } from './editor/extensions';

/**
 * Buttons that move changes from one side to the other (the source control's diffs:
 * stage a hunk into the index, or take it back out). The text on either side stays
 * read-only to typing.
 */
export interface DiffHunks {
  /** `b-to-a`: a hunk's button puts the right side's lines into the left (stage);
   * `a-to-b`: the left's back into the right (unstage). */
  direction: 'a-to-b' | 'b-to-a';
  label: string;
  title: string;
  /** The changed side's whole text after a button; the side shows it either way. */
  changed(text: string): Promise<void>;
  /** A footer button for the lines selected in the right pane: the changed side's new
   * text, or null when the selection touches no change. */
  lines?: { label: string; text(a: Text, b: Text, chunks: readonly Chunk[], ranges: { from: number; to: number }[]): string | null };
}

export async function openDiff(title: string, left: { name: string; text: string }, right: { name: string; text: string }, settings: Settings, cls = '', hunks?: DiffHunks) {
  const { MergeView } = await import('@codemirror/merge');
  const { EditorView } = await import('@codemirror/view');
  const host = h('div', { class: 'merge-host' });
  const exts = baseExtensions(settings, { large: false, readOnly: true, lineSeparator: '\n' });
  // The side the buttons change hands its new text on (a revert, or the lines button).
  const follow = EditorView.updateListener.of((u) => {
    if (u.docChanged && hunks) void hunks.changed(u.state.doc.toString());
  });
  const target = hunks?.direction === 'b-to-a' ? 'a' : 'b';
  const merge = new MergeView({
    a: { doc: left.text, extensions: hunks && target === 'a' ? [exts, follow] : exts },
    b: { doc: right.text, extensions: hunks && target === 'b' ? [exts, follow] : exts },
    parent: host,
    highlightChanges: true,
    gutter: true,
    ...(hunks ? { revertControls: hunks.direction, renderRevertControl: () => h('button', { class: 'cm-merge-hunk-btn', title: hunks.title }, hunks.label) } : {}),
  });
  const body = h('div', { class: `merge-wrap ${cls}` }, h('div', { class: 'merge-heads' }, h('span', {}, left.name), h('span', {}, right.name)), host);
  const close = h('button', { class: 'btn' }, 'Close');
  const buttons: HTMLElement[] = [close];
  if (hunks?.lines) {
    const lines = hunks.lines;
    const pick = h('button', { class: 'btn merge-lines-btn', title: 'Select lines on the right first' }, lines.label);
    pick.addEventListener('click', () => {
      const doc = merge.b.state.doc;
      const ranges = merge.b.state.selection.ranges.map((r) => ({ from: doc.lineAt(r.from).number, to: doc.lineAt(r.to).number }));
      const text = lines.text(merge.a.state.doc, doc, merge.chunks, ranges);
      if (text === null) return toast('The selected lines hold no change');
      const view = target === 'a' ? merge.a : merge.b;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    });
    buttons.unshift(pick);
  }
  const modal = panelModal(title, body, buttons, () => done());
  const done = () => {
    merge.destroy();
    modal.remove();
  };
  close.addEventListener('click', done);
  close.focus();
}

/**
 * A conflict's three versions side by side, read-only: ours (checked out), the common base,
 * theirs (being merged in), each with the lines that differ from the base marked, and
 * `actions` (resolve the whole file one way) under them.
 */
export async function openThreeWay(title: string, v: { base: string | null; ours: string | null; theirs: string | null }, labels: [string, string, string], settings: Settings, actions: HTMLElement[]) {
  const { Chunk } = await import('@codemirror/merge');
  const { EditorView, Decoration } = await import('@codemirror/view');
  const { EditorState, Text } = await import('@codemirror/state');
  const base = Text.of((v.base ?? '').split('\n'));
  const changed = Decoration.line({ class: 'cm-3way-changed' });
  const pane = (text: string | null, against: boolean) => {
    const doc = text ?? '';
    const exts = [...baseExtensions(settings, { large: false, readOnly: true, lineSeparator: '\n' })];
    if (against) {
      // The lines this side changed from the base.
      const state = EditorState.create({ doc });
      const marks = [];
      for (const c of Chunk.build(base, state.doc)) {
        for (let pos = c.fromB; pos < Math.min(c.toB, state.doc.length); ) {
          const line = state.doc.lineAt(pos);
          marks.push(changed.range(line.from));
          pos = line.to + 1;
        }
      }
      exts.push(EditorView.decorations.of(Decoration.set(marks, true)));
    }
    const host = h('div', { class: 'three-way-pane' });
    const view = new EditorView({ doc, extensions: exts, parent: host });
    return { host, view, missing: text === null };
  };
  const panes = [pane(v.ours, true), pane(v.base, false), pane(v.theirs, true)];
  const body = h('div', { class: 'three-way' },
    ...panes.map((p, i) => h('div', { class: 'three-way-col' }, h('div', { class: 'merge-heads' }, h('span', {}, labels[i] + (p.missing ? ' (no such file on this side)' : ''))), p.host)));
  const close = h('button', { class: 'btn' }, 'Close');
  const modal = panelModal(title, body, [...actions, close], () => done());
  const done = () => {
    panes.forEach((p) => p.view.destroy());
    modal.remove();
  };
  close.addEventListener('click', done);
  for (const a of actions) a.addEventListener('click', done);
  close.focus();
}
