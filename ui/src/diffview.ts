// A read-only side-by-side diff in a modal (the checkpoint timeline, the agent's review).
// @codemirror/merge loads on first use: it is not on the start-up path.

import { h } from './dom';
import type { Settings } from './backend';
import { panelModal } from './dialogs';
import { baseExtensions } from './editor/extensions';

export async function openDiff(title: string, left: { name: string; text: string }, right: { name: string; text: string }, settings: Settings, cls = '') {
  const { MergeView } = await import('@codemirror/merge');
  const host = h('div', { class: 'merge-host' });
  const exts = baseExtensions(settings, { large: false, readOnly: true, lineSeparator: '\n' });
  const merge = new MergeView({ a: { doc: left.text, extensions: exts }, b: { doc: right.text, extensions: exts }, parent: host, highlightChanges: true, gutter: true });
  const body = h('div', { class: `merge-wrap ${cls}` }, h('div', { class: 'merge-heads' }, h('span', {}, left.name), h('span', {}, right.name)), host);
  const close = h('button', { class: 'btn' }, 'Close');
  const modal = panelModal(title, body, [close], () => done());
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
