// A quick-pick palette: an input over a list, arrow keys and Enter. Used by Go to file
// (Ctrl/Cmd+P) and Go to symbol (Ctrl/Cmd+Shift+O in the file, Ctrl/Cmd+T in the workspace).

import { h } from './dom';

export interface PaletteItem {
  label: string;
  /** Positions in `label` to bold (the fuzzy match). */
  indices?: number[];
  detail?: string;
  /** Shown dimmed before the label (a symbol's kind). */
  badge?: string;
}

export interface PaletteOptions<T extends PaletteItem> {
  placeholder: string;
  /** Results for what is typed; a stale answer (the user typed on) is dropped. */
  query(text: string): Promise<T[]>;
  choose(item: T, text: string): void;
  /** Called with the highlighted item as it moves (to preview it), and null on Escape. */
  preview?(item: T | null): void;
}

export function openPalette<T extends PaletteItem>(opts: PaletteOptions<T>): void {
  if (document.querySelector('.palette')) return;
  const input = h('input', { class: 'palette-input', type: 'text', placeholder: opts.placeholder, spellcheck: 'false', 'aria-label': opts.placeholder });
  const list = h('div', { class: 'palette-list', role: 'listbox' });
  const box = h('div', { class: 'palette', role: 'dialog', 'aria-label': opts.placeholder }, input, list);
  const layer = h('div', { class: 'palette-layer' }, box);
  let items: T[] = [];
  let index = 0;
  let seq = 0;
  /** The newest query's round trip: Enter waits for it, so a fast typist never opens a
   * result of what they had typed before. */
  let latest: Promise<void> = Promise.resolve();

  const close = () => layer.remove();
  layer.addEventListener('mousedown', (e) => {
    if (e.target === layer) close();
  });

  const render = () => {
    list.replaceChildren(
      ...items.map((it, i) => {
        const hits = new Set(it.indices ?? []);
        const chars = [...it.label].map((c, ci) => (hits.has(ci) ? h('b', {}, c) : c));
        const row = h('div', { class: `palette-item${i === index ? ' active' : ''}`, role: 'option', 'data-label': it.label },
          ...(it.badge ? [h('span', { class: 'palette-badge' }, it.badge)] : []),
          ...chars,
          ...(it.detail ? [h('span', { class: 'palette-detail' }, it.detail)] : []));
        row.addEventListener('mousedown', (e) => {
          e.preventDefault();
          choose(i);
        });
        return row;
      }),
    );
    list.children[index]?.scrollIntoView({ block: 'nearest' });
    opts.preview?.(items[index] ?? null);
  };

  const update = async () => {
    const mine = ++seq;
    const found = await opts.query(input.value).catch(() => [] as T[]);
    if (mine !== seq) return;
    items = found;
    index = 0;
    render();
  };

  const choose = (i: number) => {
    const it = items[i];
    if (!it) return;
    close();
    opts.choose(it, input.value);
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
    else if (e.key === 'Escape') {
      opts.preview?.(null);
      return close();
    }
    else return;
    e.preventDefault();
    render();
  });
  document.body.append(layer);
  input.focus();
  latest = update();
}

/** Subsequence match, for short lists filtered in the page: the indices, or null. */
export function fuzzyIndices(label: string, query: string): number[] | null {
  const q = query.toLowerCase().replace(/\s+/g, '');
  const l = label.toLowerCase();
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < l.length && j < q.length; i++) {
    if (l[i] === q[j]) {
      out.push(i);
      j++;
    }
  }
  return j === q.length ? out : null;
}
