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
