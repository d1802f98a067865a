// Ctrl/Cmd+P: fuzzy file finder. Matching runs in Rust (nucleo) over the cached file list;
// `path:line` jumps to a line.

import { h } from './dom';
import type { Backend, FinderMatch } from './backend';

export function openFinder(backend: Backend, open: (path: string, line?: number) => void): void {
  if (document.querySelector('.palette')) return;
  const input = h('input', { class: 'palette-input', type: 'text', placeholder: 'Go to file (name, or name:line)', spellcheck: 'false', 'aria-label': 'Go to file' });
  const list = h('div', { class: 'palette-list', role: 'listbox' });
  const box = h('div', { class: 'palette', role: 'dialog', 'aria-label': 'Go to file' }, input, list);
  const layer = h('div', { class: 'palette-layer' }, box);
  let items: FinderMatch[] = [];
  let index = 0;
  let seq = 0;
  /** The newest query's round trip: Enter waits for it, so a fast typist never opens a
   * result of what they had typed before. */
  let latest: Promise<void> = Promise.resolve();

  const close = () => layer.remove();
  layer.addEventListener('mousedown', (e) => {
    if (e.target === layer) close();
  });

  const parse = () => {
    const m = /^(.*?)(?::(\d+))?$/.exec(input.value.trim());
    return { query: m?.[1] ?? '', line: m?.[2] ? Number(m[2]) : undefined };
  };

  const render = () => {
    list.replaceChildren(
      ...items.map((it, i) => {
        const hits = new Set(it.indices);
        const chars = [...it.path].map((c, ci) => (hits.has(ci) ? h('b', {}, c) : c));
        const row = h('div', { class: `palette-item${i === index ? ' active' : ''}`, role: 'option', 'data-path': it.path }, ...chars);
        row.addEventListener('mousedown', (e) => {
          e.preventDefault();
          choose(i);
        });
        return row;
      }),
    );
    list.children[index]?.scrollIntoView({ block: 'nearest' });
  };

  const update = async () => {
    const mine = ++seq;
    const { query } = parse();
    const found = await backend.findFiles(query, 60).catch(() => []);
    if (mine !== seq) return;
    items = found;
    index = 0;
    render();
  };

  const choose = (i: number) => {
    const it = items[i];
    if (!it) return;
    close();
    open(it.path, parse().line);
  };

  input.addEventListener('input', () => {
    latest = update();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') index = Math.min(items.length - 1, index + 1);
    else if (e.key === 'ArrowUp') index = Math.max(0, index - 1);
    else if (e.key === 'Enter') {
      e.preventDefault();
      void latest.then(() => choose(index));
      return;
    }
    else if (e.key === 'Escape') return close();
    else return;
    e.preventDefault();
    render();
  });
  document.body.append(layer);
  input.focus();
  latest = update();
}
