// Code intelligence for one open document, computed in Rust by tree-sitter. Edits are not
// re-sent as whole texts: the change sets CodeMirror produced are batched, composed and
// sent as (from, to, insert) in the coordinates before the batch; Rust applies them as
// tree-sitter InputEdits and reparses incrementally. One batch is in flight at a time; what
// comes back is mapped through anything typed since, so marks land on the right text.

import { ChangeSet, EditorSelection, StateEffect, StateField, type Extension } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { foldService } from '@codemirror/language';
import { setDiagnostics, lintGutter, lintKeymap, type Diagnostic as CmDiagnostic } from '@codemirror/lint';
import * as Y from 'yjs';
import { BackendError, type Analysis, type Backend, type Span, type OutlineSymbol, type LspDiagnostic } from '../backend';
import { toCm } from './lsp';
import type { Bound } from './doc';

/** Quiet time before a batch of edits goes to Rust; a long burst still flushes this often. */
const DEBOUNCE_MS = 120;
const MAX_WAIT_MS = 500;

const setFolds = StateEffect.define<readonly Span[]>();

/** Fold ranges from the syntax tree, mapped through edits until the next analysis. */
const foldsField = StateField.define<readonly Span[]>({
  create: () => [],
  update(folds, tr) {
    for (const e of tr.effects) if (e.is(setFolds)) return e.value;
    if (!tr.docChanged || !folds.length) return folds;
    return folds
      .map((f) => ({ from: tr.changes.mapPos(f.from, 1), to: tr.changes.mapPos(f.to, -1) }))
      .filter((f) => f.to > f.from);
  },
});

const treeFolding = foldService.of((state, lineStart, lineEnd) => {
  // The outermost fold starting on this line: Rust sends one per line.
  for (const f of state.field(foldsField, false) ?? []) {
    if (f.from >= lineStart && f.from <= lineEnd && f.to > lineEnd) return { from: f.from, to: f.to };
  }
  return null;
});

/** Per view: selections before each "expand", so "shrink" walks back. */
const expandHistory = new WeakMap<EditorView, { from: number; to: number }[]>();

export function syntaxExtensions(session: () => DocSyntax | null): Extension {
  const expand = (view: EditorView) => {
    const s = session();
    if (!s) return false;
    void s.expand(view);
    return true;
  };
  const shrink = (view: EditorView) => {
    const stack = expandHistory.get(view);
    const prev = stack?.pop();
    if (!prev) return false;
    view.dispatch({ selection: EditorSelection.range(prev.from, prev.to), userEvent: 'select.syntax' });
    return true;
  };
  return [
    foldsField,
    treeFolding,
    lintGutter(),
    keymap.of([
      { key: 'Alt-Shift-ArrowRight', run: expand },
      { key: 'Alt-Shift-ArrowLeft', run: shrink },
      // F8 / Shift+F8 through the errors, Ctrl+Shift+M for their list.
      ...lintKeymap,
    ]),
    // Any other selection change forgets the expand history.
    EditorView.updateListener.of((u) => {
      if (u.selectionSet && !u.transactions.some((t) => t.isUserEvent('select.syntax'))) expandHistory.delete(u.view);
    }),
  ];
}

function mintId(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export class DocSyntax {
  private id = mintId();
  analysis: Analysis | null = null;
  /** The language server's diagnostics, shown beside the syntax errors. */
  lsp: LspDiagnostic[] = [];
  /** Edits typed since the last batch was sent, composed. */
  private pending: ChangeSet | null = null;
  private sending: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private firstPendingAt = 0;
  private opened: Promise<void> | null = null;
  private closed = false;
  private listeners = new Set<() => void>();

  constructor(
    private backend: Backend,
    private doc: { path: string; views: Set<EditorView>; primary: EditorView | undefined; bound: Bound | null },
  ) {
    const bound = doc.bound;
    if (bound) {
      // A document is analysed in Rust from the document itself: nothing to send.
      this.id = bound.syntaxId;
      this.opened = Promise.resolve();
      // An analysis that came before this replica had the edits it covers applies once it has.
      const recheck = () => this.documentAnalysed();
      bound.sync.doc.on('update', recheck);
      this.unbind = () => bound.sync.doc.off('update', recheck);
    }
  }

  private unbind = () => {};

  /** Rust sent an analysis of the document: shown if this replica holds the same edits. */
  documentAnalysed(): void {
    const bound = this.doc.bound;
    const got = bound?.analysis;
    if (!bound || !got || this.closed) return;
    if (!sameState(Y.encodeStateVector(bound.sync.doc), Uint8Array.from(got.sv))) return;
    bound.analysis = null;
    this.receive(got.analysis);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends the whole text (on first view, after a rename, or when the sides drifted). */
  open(): Promise<void> {
    const view = this.doc.primary;
    if (this.doc.bound) {
      this.documentAnalysed();
      return Promise.resolve();
    }
    if (!view || this.closed) return Promise.resolve();
    this.pending = null;
    const text = view.state.doc.toString();
    this.opened = this.backend.syntaxOpen(this.id, this.doc.path, text).then(
      (a) => this.receive(a),
      () => undefined,
    );
    return this.opened;
  }

  /** A view joined (a tab, a split): it gets what is known, or the first view starts it. */
  viewAdded(view: EditorView): void {
    if (this.doc.bound) {
      if (this.analysis) showIn(view, this.analysis, this.lsp);
      else this.documentAnalysed();
      return;
    }
    if (!this.opened) {
      void this.open();
      return;
    }
    if (this.analysis) showIn(view, this.analysis, this.lsp);
  }

  /** The language server's diagnostics for the document (all of them). */
  setLsp(list: LspDiagnostic[]): void {
    this.lsp = list;
    if (this.analysis) for (const view of this.doc.views) showIn(view, this.analysis, list);
    for (const l of this.listeners) l();
  }

  /** Errors from either source, for the problems count. */
  errorCount(): number {
    return (this.analysis?.errors.length ?? 0) + this.lsp.filter((d) => d.severity === 'error').length;
  }

  /** A view of this document changed (not a replay from another view). */
  changed(changes: ChangeSet): void {
    // A file in no analysed language has nothing in Rust to keep in step; a document is
    // followed in Rust.
    if (this.closed || this.doc.bound || (this.analysis && !this.analysis.language)) return;
    if (!this.pending) this.firstPendingAt = Date.now();
    this.pending = this.pending ? this.pending.compose(changes) : changes;
    if (this.timer) clearTimeout(this.timer);
    const wait = Date.now() - this.firstPendingAt > MAX_WAIT_MS ? 0 : DEBOUNCE_MS;
    this.timer = setTimeout(() => void this.flush(), wait);
  }

  /** Sends what is pending and resolves when Rust's view matches the editor's. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.opened;
    while (this.sending) await this.sending;
    const batch = this.pending;
    const view = this.doc.primary;
    if (!batch || !view || this.closed) return;
    this.pending = null;
    const changes: { from: number; to: number; insert: string }[] = [];
    batch.iterChanges((fromA, toA, _fromB, _toB, inserted) => changes.push({ from: fromA, to: toA, insert: inserted.toString() }));
    this.sending = this.backend
      .syntaxEdit(this.id, changes, batch.newLength)
      .then((a) => this.receive(a))
      .catch((e: unknown) => {
        // Rust refused or lost the document: start over from the editor's text.
        return e instanceof BackendError && e.code === 'syntax_out_of_sync' ? this.open() : undefined;
      })
      .finally(() => {
        this.sending = null;
      });
    await this.sending;
    if (this.pending) await this.flush();
  }

  private receive(a: Analysis): void {
    // Edits typed while this was computed: map every position through them.
    const later = this.pending;
    const map = (pos: number, assoc = 1) => (later ? later.mapPos(pos, assoc) : pos);
    const mapSymbol = (s: OutlineSymbol): OutlineSymbol => ({ ...s, from: map(s.from, -1), to: map(s.to), nameFrom: map(s.nameFrom), children: s.children.map(mapSymbol) });
    const analysis: Analysis = later
      ? { ...a, outline: a.outline.map(mapSymbol), errors: a.errors.map((e) => ({ ...e, from: map(e.from, -1), to: map(e.to) })), folds: a.folds.map((f) => ({ from: map(f.from), to: map(f.to, -1) })) }
      : a;
    this.analysis = analysis;
    for (const view of this.doc.views) showIn(view, analysis, this.lsp);
    for (const l of this.listeners) l();
  }

  /** Grows the selection to the enclosing syntax node (Alt+Shift+Right). */
  async expand(view: EditorView): Promise<void> {
    await this.flush();
    const sel = view.state.selection.main;
    const span = await this.backend.syntaxExpand(this.id, sel.from, sel.to).catch(() => null);
    // The user may have moved on while we asked.
    if (!span || view.state.selection.main.from !== sel.from || view.state.selection.main.to !== sel.to) return;
    const stack = expandHistory.get(view) ?? [];
    stack.push({ from: sel.from, to: sel.to });
    view.dispatch({ selection: EditorSelection.range(span.from, span.to), userEvent: 'select.syntax', scrollIntoView: true });
    expandHistory.set(view, stack);
  }

  /** The path changed (rename): Rust keys the index by path, so start over. */
  renamed(): void {
    if (this.doc.bound) return;
    void this.backend.syntaxClose(this.id).catch(() => undefined);
    this.id = mintId();
    void this.open();
  }

  close(): void {
    this.closed = true;
    this.unbind();
    if (this.timer) clearTimeout(this.timer);
    if (!this.doc.bound) void this.backend.syntaxClose(this.id).catch(() => undefined);
  }
}

/** Whether two encoded state vectors name the same edits (their order may differ). */
export function sameState(a: Uint8Array, b: Uint8Array): boolean {
  const x = Y.decodeStateVector(a);
  const y = Y.decodeStateVector(b);
  if (x.size !== y.size) return false;
  for (const [client, clock] of x) if (y.get(client) !== clock) return false;
  return true;
}

/** Squiggles and folds of an analysis in one view (positions past its end are dropped),
 * with the language server's diagnostics. */
export function showIn(view: EditorView, a: Analysis, lsp: readonly LspDiagnostic[] = []): void {
  const len = view.state.doc.length;
  const diagnostics: CmDiagnostic[] = a.errors
    .filter((e) => e.to <= len)
    .map((e): CmDiagnostic => ({ from: e.from, to: e.to, severity: 'error', source: 'syntax', message: e.message }))
    .concat(toCm(view.state.doc, lsp));
  view.dispatch(setDiagnostics(view.state, diagnostics), { effects: setFolds.of(a.folds.filter((f) => f.to <= len)) });
}

/** The chain of symbols around a position, outermost first. */
export function symbolsAt(outline: readonly OutlineSymbol[], pos: number): OutlineSymbol[] {
  const chain: OutlineSymbol[] = [];
  let level = outline;
  for (;;) {
    const hit = level.find((s) => s.from <= pos && pos <= s.to);
    if (!hit) return chain;
    chain.push(hit);
    level = hit.children;
  }
}
