// What the syntax tree offers the workbench: the Outline panel (following the cursor),
// breadcrumbs above each editor, Go to symbol in the file and in the workspace, and the
// repo map viewer.

import { EditorSelection } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { h, basename } from './dom';
import type { Analysis, Backend, OutlineSymbol } from './backend';
import type { Tab } from './editor/group';
import { symbolsAt } from './editor/syntax';
import { openPalette, fuzzyIndices } from './palette';
import { panelModal, errorMessage } from './dialogs';
import { crumbs } from './workbench/chrome';

const ICONS: Record<string, string> = {
  module: '◫', class: 'C', struct: 'S', enum: 'E', interface: 'I', impl: '⊢', type: 'T', function: 'ƒ', method: 'm',
  field: '·', member: '◦', constant: 'K', macro: '!', heading: '#', key: '⋅', element: '<>', rule: '{}',
};

function icon(kind: string): HTMLElement {
  return h('span', { class: `sym-icon sym-${kind}`, title: kind }, ICONS[kind] ?? '•');
}

/** Puts the cursor on a symbol's name and scrolls it into view. */
export function revealSymbol(view: EditorView, s: OutlineSymbol): void {
  const pos = Math.min(s.nameFrom, view.state.doc.length);
  view.dispatch({ selection: EditorSelection.cursor(pos), effects: EditorView.scrollIntoView(pos, { y: 'center' }), userEvent: 'select' });
  view.focus();
}

/**
 * What the outline shows: an editor and its document's analysis (a workbench tab, or a
 * guest's live editor with the host's analysis).
 */
export interface Outlined {
  view: EditorView;
  doc: {
    path: string;
    large?: boolean;
    syntax: { analysis: Analysis | null; onChange(listener: () => void): () => void } | null;
  };
}

export class OutlinePanel {
  readonly el: HTMLElement;
  private list: HTMLElement;
  private status: HTMLElement;
  private tab: Outlined | null = null;
  private unsubscribe: (() => void) | null = null;
  private rows = new Map<OutlineSymbol, HTMLElement>();

  /** `backend` null: no repo map (a guest's view of the host's files). */
  constructor(backend: Backend | null) {
    this.list = h('div', { class: 'outline-list', role: 'tree', 'aria-label': 'Outline' });
    this.status = h('div', { class: 'outline-status' });
    const mapBtn = backend ? h('button', { class: 'icon-btn', title: 'Repo map: the workspace summarised for the AI agent', onclick: () => void showRepoMap(backend, this.tab ? [this.tab.doc.path] : []) }, 'Repo map') : null;
    this.el = h('div', { class: 'outline' }, h('div', { class: 'side-toolbar' }, h('span', { class: 'ws-name' }, 'Outline'), mapBtn), this.status, this.list);
  }

  /** The active tab changed. */
  show(tab: Outlined | null): void {
    if (tab === this.tab) return;
    this.unsubscribe?.();
    this.tab = tab;
    this.unsubscribe = tab?.doc.syntax?.onChange(() => this.render()) ?? null;
    this.render();
  }

  private render(): void {
    this.rows.clear();
    const tab = this.tab;
    const a = tab?.doc.syntax?.analysis;
    if (!tab) {
      this.status.textContent = 'No file open';
      this.list.replaceChildren();
      return;
    }
    if (!a || !a.language) {
      this.status.textContent = tab.doc.large ? 'Large file: not analysed' : a ? 'No outline for this kind of file' : 'Analysing…';
      this.list.replaceChildren();
      return;
    }
    const errors = a.errors.length;
    this.status.textContent = errors ? `${errors} syntax error${errors > 1 ? 's' : ''}` : '';
    this.status.classList.toggle('bad', errors > 0);
    const build = (symbols: readonly OutlineSymbol[], depth: number): HTMLElement[] =>
      symbols.flatMap((s) => {
        const row = h('div', { class: 'outline-item', role: 'treeitem', style: `padding-left:${8 + depth * 14}px`, title: s.detail, 'data-name': s.name }, icon(s.kind), h('span', { class: 'outline-name' }, s.name));
        row.addEventListener('click', () => revealSymbol(tab.view, s));
        this.rows.set(s, row);
        return [row, ...build(s.children, depth + 1)];
      });
    this.list.replaceChildren(...build(a.outline, 0));
    if (!a.outline.length) this.list.append(h('div', { class: 'outline-empty' }, 'No symbols'));
    this.cursorMoved(tab);
  }

  /** Highlights the innermost symbol around the cursor. */
  cursorMoved(tab: Outlined): void {
    if (tab !== this.tab) return;
    const a = tab.doc.syntax?.analysis;
    for (const row of this.rows.values()) row.classList.remove('current');
    if (!a) return;
    const chain = symbolsAt(a.outline, tab.view.state.selection.main.head);
    const row = chain.length ? this.rows.get(chain[chain.length - 1]) : undefined;
    if (row) {
      row.classList.add('current');
      // Scrolling lays the page out at once; a hidden panel (the usual case at start-up)
      // is scrolled when it is shown, since showing it renders again.
      if (!this.el.closest('[hidden]')) row.scrollIntoView({ block: 'nearest' });
    }
  }
}

/** The path and the symbols around the cursor, above the editor. */
export function renderCrumbs(el: HTMLElement, tab: Outlined | null): void {
  if (!tab) {
    el.replaceChildren();
    return;
  }
  const symbols: HTMLElement[] = [];
  const a = tab.doc.syntax?.analysis;
  if (a) {
    for (const s of symbolsAt(a.outline, tab.view.state.selection.main.head)) {
      const c = h('span', { class: 'crumb crumb-symbol', title: s.detail }, icon(s.kind), s.name);
      c.addEventListener('mousedown', (e) => {
        e.preventDefault();
        revealSymbol(tab.view, s);
      });
      symbols.push(c);
    }
  }
  el.replaceChildren(...crumbs(tab.doc.path, symbols));
}

function flatten(symbols: readonly OutlineSymbol[], container = ''): { s: OutlineSymbol; container: string }[] {
  return symbols.flatMap((s) => [{ s, container }, ...flatten(s.children, s.name)]);
}

/** Ctrl/Cmd+Shift+O: the symbols of the open file; moving through the list previews. */
export async function openFileSymbols(tab: Tab): Promise<void> {
  await tab.doc.syntax?.flush();
  const all = flatten(tab.doc.syntax?.analysis?.outline ?? []);
  const start = tab.view.state.selection.main;
  openPalette({
    placeholder: `Go to symbol in ${basename(tab.doc.path)}`,
    query: async (text) =>
      all.flatMap(({ s, container }) => {
        const indices = fuzzyIndices(s.name, text);
        return indices ? [{ label: s.name, indices, badge: ICONS[s.kind] ?? '•', detail: container, symbol: s }] : [];
      }),
    preview: (item) => {
      if (item) tab.view.dispatch({ effects: EditorView.scrollIntoView(item.symbol.nameFrom, { y: 'center' }) });
      else tab.view.dispatch({ selection: start, effects: EditorView.scrollIntoView(start.head, { y: 'center' }) });
    },
    choose: (item) => revealSymbol(tab.view, item.symbol),
  });
}

/** Ctrl/Cmd+T: definitions across the workspace, from the symbol index in Rust. */
export function openWorkspaceSymbols(backend: Backend, open: (path: string, line: number, column: number) => void): void {
  openPalette({
    placeholder: 'Go to symbol in workspace',
    query: async (text) =>
      (await backend.symbolSearch(text, 80)).map((hit) => ({
        label: hit.name,
        indices: hit.indices,
        badge: ICONS[hit.kind] ?? '•',
        detail: `${hit.container ? hit.container + ' · ' : ''}${hit.path}:${hit.line}${hit.source ? ` · ${hit.source}` : ''}`,
        hit,
      })),
    choose: (item) => open(item.hit.path, item.hit.line, item.hit.column),
  });
}

/** The repo map the agent sends as context, for a chosen budget. */
export async function showRepoMap(backend: Backend, focus: string[]): Promise<void> {
  const budget = h('select', { class: 'repomap-budget', 'aria-label': 'Token budget' },
    ...[1024, 2048, 4096, 8192, 16384].map((n) => h('option', { value: String(n) }, `${n / 1024}k tokens`)));
  budget.value = '2048';
  const stats = h('span', { class: 'repomap-stats' }, 'Building…');
  const pre = h('pre', { class: 'repomap-text' });
  const body = h('div', { class: 'repomap' }, h('div', { class: 'repomap-bar' }, budget, stats), pre);
  const close = () => modal.remove();
  const closeBtn = h('button', { class: 'btn', onclick: close }, 'Close');
  const modal = panelModal('Repo map', body, [closeBtn], close);
  const load = async () => {
    stats.textContent = 'Building…';
    try {
      const map = await backend.repoMap(Number(budget.value), focus);
      pre.textContent = map.text || '(no definitions found)';
      stats.textContent = `${map.tokens} of ${map.budget} tokens · ${map.definitionsShown} of ${map.definitionsTotal} definitions · ${map.filesShown} of ${map.filesTotal} files`;
    } catch (e) {
      stats.textContent = errorMessage(e);
    }
  };
  budget.addEventListener('change', () => void load());
  closeBtn.focus();
  await load();
}
