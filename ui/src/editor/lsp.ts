// What a language server gives an editor: hover (types and docs), go to definition (F12,
// Ctrl+click), references (Shift+F12), completion as you type (the server's items with
// their kinds, details and docs, and the edits that come with them: auto-imports),
// signature help while typing arguments, the symbol's other occurrences highlighted,
// quick fixes and refactorings (Ctrl+., and a lightbulb on a line with a fix), formatting
// (Shift+Alt+F, and on save with the setting), inlay hints (setting), semantic colours
// (setting), and its diagnostics beside tree-sitter's syntax errors.
// The server runs in Rust and follows the document itself (crates/weft-lsp); this file
// only asks it at positions. Positions: the protocol's lines (0-based) and UTF-16 columns,
// which is how CodeMirror counts a line's characters.

import { ChangeSet, EditorState, Facet, RangeSet, RangeSetBuilder, StateEffect, StateField, type Extension } from '@codemirror/state';
import { ownUndoStep } from './extensions';
import { Decoration, EditorView, GutterMarker, ViewPlugin, WidgetType, gutter, hoverTooltip, keymap, showTooltip, type DecorationSet, type Tooltip, type ViewUpdate } from '@codemirror/view';
import { indentUnit } from '@codemirror/language';
import { autocompletion, selectedCompletion, type Completion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { forEachDiagnostic, setDiagnosticsEffect, type Diagnostic as CmDiagnostic } from '@codemirror/lint';
import { h } from '../dom';
import { Text } from '@codemirror/state';
import type { Backend, LspDiagnostic, LspFileEdit, LspLocation } from '../backend';
import type { LspSignature } from '../bindings/LspSignature';
import type { LspCodeAction } from '../bindings/LspCodeAction';
import type { LspCompletion } from '../bindings/LspCompletion';
import type { LspInlayHint } from '../bindings/LspInlayHint';
import type { LspSemanticTokens } from '../bindings/LspSemanticTokens';
import { renderMarkdown } from '../markdown';
import { promptText } from '../dialogs';

export interface LspHooks {
  /** Applies a code action's edits: this file's in the editor, others after a preview. */
  applyAction?(title: string, files: LspFileEdit[]): void;
  backend: Backend;
  /** The file's path now (a tab follows renames). */
  path(): string;
  /** Opens a location (another file, or this one). */
  open(loc: LspLocation): void;
  /** Shows several locations to choose from (references, several definitions). */
  choose(title: string, locs: LspLocation[]): void;
  /** Says why a request found nothing. */
  notify(message: string): void;
  /** Previews a workspace edit (a rename's) and applies it when the user agrees. */
  applyEdit(title: string, label: string, files: LspFileEdit[]): void;
  /** Which edits the editor's replica holds (Yjs state vector), sent with completion. */
  stateVector?(): Uint8Array | null;
  /** Only what reads (a guest of the host's servers): no rename, quick fixes or formatting. */
  readsOnly?: boolean;
  /** The settings that turn inlay hints and semantic colours on (read at each ask). */
  inlayHints?(): boolean;
  semanticHighlighting?(): boolean;
}

/** The hooks of the language-server features a view has (none: no server for its file). */
const hooksFacet = Facet.define<LspHooks, LspHooks | null>({ combine: (v) => v[0] ?? null });

export type LspAction = 'definition' | 'typeDefinition' | 'implementation' | 'references' | 'rename' | 'quickFix' | 'format';

/** Runs a language-server action on a view (the command palette's entries); false when its
 * file has no language-server features. */
export function runLspAction(view: EditorView, action: LspAction): boolean {
  const hooks = view.state.facet(hooksFacet);
  if (!hooks) return false;
  if (action === 'rename') void rename(view, hooks);
  else if (action === 'quickFix') void codeActions(view, hooks);
  else if (action === 'format') void formatDocument(view, hooks.backend, hooks.path()).then((done) => done || hooks.notify('Already formatted'), (e) => hooks.notify(e instanceof Error ? e.message : String(e)));
  else void goTo(view, hooks, action);
  return true;
}

/** The changes of a file's edits on a document, in one transaction's terms. */
export function editChanges(doc: Text, f: LspFileEdit): { from: number; to: number; insert: string }[] {
  return f.edits.map((e) => ({ from: offset(doc, e.line, e.character), to: offset(doc, e.endLine, e.endCharacter), insert: e.newText }));
}

/** `text` with a file's edits applied (for the preview). */
export function applyTextEdits(text: string, f: LspFileEdit): string {
  const doc = Text.of(text.split('\n'));
  const changes = editChanges(doc, f).sort((a, b) => b.from - a.from);
  let out = text;
  for (const c of changes) out = out.slice(0, c.from) + c.insert + out.slice(c.to);
  return out;
}

/** F2: rename the symbol at the cursor everywhere, after a preview. */
async function rename(view: EditorView, hooks: LspHooks): Promise<boolean> {
  const pos = view.state.selection.main.head;
  const word = view.state.wordAt(pos);
  const old = word ? view.state.sliceDoc(word.from, word.to) : '';
  const name = (await promptText(`Rename ${old || 'symbol'}`, old))?.trim();
  if (!name || name === old) return true;
  const p = position(view, word ? word.from : pos);
  try {
    const files = await hooks.backend.lspRename(hooks.path(), p.line, p.character, name);
    if (!files.length) hooks.notify('The language server has nothing to rename here');
    else hooks.applyEdit(`Rename ${old} to ${name}`, `Before renaming ${old} to ${name}`, files);
  } catch (e) {
    hooks.notify(e instanceof Error ? e.message : String(e));
  }
  return true;
}

/** The languages some server is known for: elsewhere, nothing is asked. */
export function hasLanguageServer(path: string): boolean {
  return /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx|py|pyi|rs|go|c|h|cc|cpp|cxx|hpp|hh|hxx)$/i.test(path);
}

function position(view: EditorView, pos: number): { line: number; character: number } {
  const line = view.state.doc.lineAt(pos);
  return { line: line.number - 1, character: pos - line.from };
}

/** A protocol position in the document as it is now (clamped: the text may have moved on). */
export function offset(doc: EditorView['state']['doc'], line: number, character: number): number {
  if (line + 1 > doc.lines) return doc.length;
  const l = doc.line(line + 1);
  return Math.min(l.from + character, l.to);
}

/** The server's diagnostics as CodeMirror's, on the document as it is now. */
export function toCm(doc: EditorView['state']['doc'], list: readonly LspDiagnostic[]): CmDiagnostic[] {
  return list.map((d) => {
    const from = offset(doc, d.line, d.character);
    const to = Math.max(from, offset(doc, d.endLine, d.endCharacter));
    const severity = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : d.severity === 'info' ? 'info' : 'hint';
    return { from, to, severity, source: d.source ?? 'language server', message: d.code ? `${d.message} (${d.code})` : d.message } as CmDiagnostic;
  });
}

// CompletionItemKind → CodeMirror's completion types (its icons).
const KINDS: Record<number, string> = {
  2: 'method', 3: 'function', 4: 'function', 5: 'property', 6: 'variable', 7: 'class', 8: 'interface', 9: 'namespace',
  10: 'property', 12: 'constant', 13: 'enum', 14: 'keyword', 15: 'text', 20: 'enum', 21: 'constant', 22: 'class', 25: 'type',
};

/** Symbol kinds of the tree-sitter index → CodeMirror's completion types. */
const SYMBOL_TYPES: Record<string, string> = {
  function: 'function', method: 'method', class: 'class', struct: 'class', interface: 'interface', trait: 'interface',
  enum: 'enum', type: 'type', constant: 'constant', const: 'constant', static: 'variable', variable: 'variable', module: 'namespace', namespace: 'namespace',
};

/** Files up to this size give their words to completion (beyond it, scanning each time costs too much). */
const WORDS_MAX = 1_000_000;

/**
 * Completion without a language server (none for the language, not installed, or it had
 * nothing): the words of the file and, once the folder's symbol index is built (Ctrl+T
 * builds it; completion never starts a build), the definitions it holds, as VS Code's
 * word-based suggestions do. After two typed characters, or on Ctrl+Space.
 */
export async function wordCompletion(backend: Backend, ctx: CompletionContext): Promise<CompletionResult | null> {
  const word = ctx.matchBefore(/[\w$]+/);
  if (!word || (!ctx.explicit && word.to - word.from < 2)) return null;
  const seen = new Set<string>();
  const options: Completion[] = [];
  if (ctx.state.doc.length <= WORDS_MAX) {
    const text = ctx.state.doc.toString();
    for (const m of text.matchAll(/[A-Za-z_$][\w$]{2,}/g)) {
      // Not the word being typed itself.
      if (m.index === word.from || seen.has(m[0])) continue;
      seen.add(m[0]);
      options.push({ label: m[0], type: 'text', boost: -1 });
      if (options.length >= 3000) break;
    }
  }
  try {
    const index = await backend.symbolIndexProgress();
    if (index?.stats && !ctx.aborted) {
      for (const s of await backend.symbolSearch(word.text, 30)) {
        if (seen.has(s.name)) continue;
        seen.add(s.name);
        options.push({ label: s.name, type: SYMBOL_TYPES[s.kind] ?? 'variable', detail: `${s.path}:${s.line}` });
      }
    }
  } catch {
    // Words alone, then.
  }
  if (ctx.aborted || !options.length) return null;
  return { from: word.from, options, validFor: /^[\w$]*$/ };
}

/**
 * Completion asked for as a trigger character is typed, before the editor has drawn the
 * keystroke (its rendering takes the rest of the keystroke's task, 10-20 ms in a busy
 * workbench): the list's source takes the answer when it asks about the same text and
 * place. Keyed by the document's text, so an answer is never used for another text.
 */
const early = new WeakMap<Text, { pos: number; items: Promise<LspCompletion[]> }>();

function askCompletion(hooks: LspHooks, doc: Text, pos: number): Promise<LspCompletion[]> {
  const asked = early.get(doc);
  if (asked && asked.pos === pos) return asked.items;
  const line = doc.lineAt(pos);
  // With the replica's state vector: sent at once, answered once Rust holds those edits.
  return hooks.backend.lspCompletion(hooks.path(), line.number - 1, pos - line.from, hooks.stateVector?.());
}

/** A `.` (or `::`) typed: completion is asked now, not after the keystroke is drawn. */
function completeEarly(hooks: LspHooks): Extension {
  return EditorView.updateListener.of((u) => {
    if (!u.docChanged || !u.transactions.some((t) => t.isUserEvent('input.type'))) return;
    const pos = u.state.selection.main.head;
    const before = u.state.sliceDoc(Math.max(0, pos - 2), pos);
    if (!before.endsWith('.') && before !== '::') return;
    const doc = u.state.doc;
    // After this update's listeners: the replica holds the keystroke (y-codemirror), and
    // its edit is on its way to Rust ahead of the question.
    queueMicrotask(() => {
      if (early.get(doc)?.pos === pos) return;
      const items = askCompletion(hooks, doc, pos);
      items.catch(() => {});
      early.set(doc, { pos, items });
    });
  });
}

/** The server's item behind an option that its server fills in on request. */
const itemOf = new WeakMap<Completion, LspCompletion>();
/** An item's fill-in: its edits once the server has answered (null before), and the answer. */
interface Resolution {
  edits: LspCompletion['additionalEdits'] | null;
  promise: Promise<LspCompletion['additionalEdits']>;
}
/** Each such item's fill-in, asked once (when it is selected, or at the latest when chosen). */
const resolutions = new WeakMap<LspCompletion, Resolution>();

function resolving(hooks: LspHooks, c: LspCompletion): Resolution {
  let r = resolutions.get(c);
  if (!r) {
    const promise = hooks.backend.lspResolveCompletion(hooks.path(), c.resolve).then((x) => x.additionalEdits, () => []);
    const entry: Resolution = { edits: null, promise };
    void promise.then((e) => (entry.edits = e));
    resolutions.set(c, (r = entry));
  }
  return r;
}

/**
 * Asks the server to fill in the selected item (its auto-import) while the list shows:
 * the text is still the one it was listed for (TypeScript answers a resolve against the
 * document as it is, so asking after the insert risks an answer for other text), and the
 * edits are usually known by the time it is chosen, to go in with it as one undo step.
 */
function resolveSelected(hooks: LspHooks): Extension {
  return EditorView.updateListener.of((u) => {
    const option = selectedCompletion(u.state);
    if (!option || option === selectedCompletion(u.startState)) return;
    const item = itemOf.get(option);
    if (item?.resolve) resolving(hooks, item);
  });
}

async function complete(hooks: LspHooks, ctx: CompletionContext): Promise<CompletionResult | null> {
  const word = ctx.matchBefore(/[\w$]*/);
  const before = ctx.state.sliceDoc(Math.max(0, ctx.pos - 1), ctx.pos);
  const trigger = before === '.' || (before === ':' && ctx.state.sliceDoc(Math.max(0, ctx.pos - 2), ctx.pos) === '::');
  if (!ctx.explicit && !trigger && (!word || word.from === word.to)) return null;
  const line = ctx.state.doc.lineAt(ctx.pos);
  let items;
  try {
    items = await askCompletion(hooks, ctx.state.doc, ctx.pos);
  } catch {
    // No server (not installed, failed): the file's words and the index instead.
    return ctx.aborted ? null : wordCompletion(hooks.backend, ctx);
  }
  if (ctx.aborted) return null;
  if (!items.length) return trigger ? null : wordCompletion(hooks.backend, ctx);
  const from = word ? word.from : ctx.pos;
  const options: Completion[] = items.map((c) => {
    // The server's range when it gives one on this line, else the word before the cursor.
    const rFrom = c.replaceFrom !== null ? line.from + c.replaceFrom : from;
    const rTo = c.replaceTo !== null ? Math.max(ctx.pos, line.from + c.replaceTo) : ctx.pos;
    const option: Completion = {
      label: c.filterText ?? c.label,
      displayLabel: c.label,
      type: c.kind ? KINDS[c.kind] : undefined,
      detail: c.detail ?? undefined,
      info: c.documentation ? () => h('div', { class: 'lsp-doc' }, renderMarkdown(c.documentation!)) : undefined,
      boost: c.sortText ? -Math.min(99, items.indexOf(c)) / 100 : 0,
      commitCharacters: c.commitCharacters.length ? c.commitCharacters : undefined,
      apply: (view: EditorView, _completion: Completion, from: number, to: number) => {
        // What is replaced: the server's range (its start; its end at least up to the
        // cursor) or the word, as CodeMirror has followed it while the list stayed open
        // for more typing (`to` is the cursor now, not where the list was asked for).
        const start = c.replaceFrom !== null ? rFrom : from;
        const end = Math.max(to, c.replaceTo !== null ? rTo : to);
        // The item's own edits (an import at the top) go in the same transaction, so one
        // undo takes both back; they are in the document's positions before the insert.
        // A server that fills them in on request (TypeScript's auto-imports) was asked
        // when the item was selected (resolveSelected), while the text was the list's.
        const asked = c.resolve && !c.additionalEdits.length ? resolving(hooks, c) : null;
        const known = asked ? asked.edits ?? [] : c.additionalEdits;
        const before = view.state.doc;
        const extra = known.length ? editChanges(before, { path: hooks.path(), edits: known }) : [];
        const changes = view.state.changes([{ from: start, to: Math.min(end, before.length), insert: c.insert }, ...extra]);
        view.dispatch({ changes, selection: { anchor: changes.mapPos(start, -1) + c.insert.length }, userEvent: 'input.complete' });
        if (!asked || asked.edits) return;
        // Not answered yet: typing goes on meanwhile (a commit character is typed right
        // after this), so the edits are put where their text has moved to, as a step of
        // their own.
        const since = trackChanges(view, changes);
        void Promise.race([asked.promise, new Promise<LspCompletion['additionalEdits']>((r) => setTimeout(() => r([]), 5000))]).then((additional) => {
          const moved = since.stop();
          if (!additional.length || !moved) return;
          const put = editChanges(before, { path: hooks.path(), edits: additional }).map((e) => ({ from: moved.mapPos(e.from, -1), to: moved.mapPos(e.to, 1), insert: e.insert }));
          view.dispatch({ changes: put, userEvent: 'input.complete' });
        });
      },
    };
    if (c.resolve && !c.additionalEdits.length) itemOf.set(option, c);
    return option;
  });
  return { from, options, validFor: /^[\w$]*$/ };
}

const NOT_FOUND: Record<string, string> = { definition: 'No definition found', typeDefinition: 'No type definition found', implementation: 'No implementation found', references: 'No references found' };
const CHOOSE: Record<string, string> = { definition: 'Definitions', typeDefinition: 'Type definitions', implementation: 'Implementations' };

/** The views' trackers of changes made since some moment (see trackChanges). */
const trackers = new WeakMap<EditorView, Set<{ changes: ChangeSet }>>();

/**
 * Follows a view's changes from `first` on, so positions in the document before `first`
 * can be mapped to where that text is now; `stop()` gives the changes (null when the
 * view has closed or its document was replaced meanwhile).
 */
function trackChanges(view: EditorView, first: ChangeSet): { stop(): ChangeSet | null } {
  const t = { changes: first };
  let set = trackers.get(view);
  if (!set) trackers.set(view, (set = new Set()));
  set.add(t);
  return {
    stop: () => {
      set.delete(t);
      return t.changes.newLength === view.state.doc.length ? t.changes : null;
    },
  };
}

/** Composes every change into the view's trackers (part of the language extensions). */
const followTrackers = EditorView.updateListener.of((u) => {
  if (!u.docChanged) return;
  for (const t of trackers.get(u.view) ?? []) t.changes = t.changes.compose(u.changes);
});

async function goTo(view: EditorView, hooks: LspHooks, kind: 'definition' | 'typeDefinition' | 'implementation' | 'references', pos = view.state.selection.main.head): Promise<boolean> {
  const p = position(view, pos);
  let locs: LspLocation[];
  try {
    locs = await hooks.backend.lspLocations(hooks.path(), kind, p.line, p.character);
  } catch (e) {
    hooks.notify(e instanceof Error ? e.message : String(e));
    return true;
  }
  if (!locs.length) hooks.notify(NOT_FOUND[kind]);
  else if (locs.length === 1 && kind !== 'references') hooks.open(locs[0]);
  else hooks.choose(kind === 'references' ? `References (${locs.length})` : CHOOSE[kind], locs);
  return true;
}

// ---- signature help ----------------------------------------------------------------------

const setSignature = StateEffect.define<{ pos: number; sig: LspSignature } | null>();

const signatureField = StateField.define<{ pos: number; sig: LspSignature } | null>({
  create: () => null,
  update(v, tr) {
    for (const e of tr.effects) if (e.is(setSignature)) return e.value;
    if (!v) return v;
    // Closed when the cursor leaves the call: off its line, before its start, or past the
    // parenthesis that closes it.
    const pos = tr.changes.mapPos(v.pos);
    return insideCall(tr.state, pos) ? { pos, sig: v.sig } : null;
  },
  provide: (f) => showTooltip.from(f, (v) => (v ? signatureTooltip(v.pos, v.sig) : null)),
});

/** Whether the cursor is still inside the call whose arguments start at `pos`. */
function insideCall(state: EditorState, pos: number): boolean {
  const head = state.selection.main.head;
  if (head < pos || pos > state.doc.length || state.doc.lineAt(head).number !== state.doc.lineAt(pos).number) return false;
  let depth = 0;
  for (const ch of state.sliceDoc(pos, head)) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return true;
}

function signatureTooltip(pos: number, sig: LspSignature): Tooltip {
  return {
    pos,
    above: true,
    create: () => {
      const label = sig.label;
      const [a, b] = sig.active ?? [0, 0];
      const head = h('div', { class: 'lsp-sig-label' }, label.slice(0, a), sig.active ? h('b', { class: 'lsp-sig-active' }, label.slice(a, b)) : '', label.slice(b),
        sig.count > 1 ? h('span', { class: 'dim' }, `  (${sig.index + 1} of ${sig.count})`) : '');
      return { dom: h('div', { class: 'lsp-signature', role: 'tooltip' }, head, sig.documentation ? h('div', { class: 'lsp-doc' }, renderMarkdown(sig.documentation)) : '') };
    },
  };
}

async function askSignature(view: EditorView, hooks: LspHooks): Promise<void> {
  const head = view.state.selection.main.head;
  const p = position(view, head);
  const sig = await hooks.backend.lspSignatureHelp(hooks.path(), p.line, p.character).catch(() => null);
  // Typing went on meanwhile (after the cursor, so `head` still names the same place): the
  // answer holds while the cursor is on that line, after where it was asked; the next
  // comma asks again.
  const at = Math.min(head, view.state.doc.length);
  if (!insideCall(view.state, at)) return;
  view.dispatch({ effects: setSignature.of(sig ? { pos: at, sig } : null) });
}

// ---- document highlights -------------------------------------------------------------------

const setHighlights = StateEffect.define<{ from: number; to: number }[]>();
const highlightMark = Decoration.mark({ class: 'cm-lsp-highlight' });
const highlightField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(v, tr) {
    for (const e of tr.effects) if (e.is(setHighlights)) return Decoration.set(e.value.filter((r) => r.to > r.from).map((r) => highlightMark.range(r.from, r.to)), true);
    if (tr.docChanged) return Decoration.none;
    // The cursor left the symbol: its occurrences go until the next answer.
    if (tr.selection && v.size) {
      const head = tr.state.selection.main.head;
      let on = false;
      v.between(head, head, () => {
        on = true;
        return false;
      });
      if (!on) return Decoration.none;
    }
    return v;
  },
  provide: (f) => EditorView.decorations.from(f),
});

function highlightsOnIdle(hooks: LspHooks): Extension {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return EditorView.updateListener.of((u) => {
    if (!u.selectionSet && !u.docChanged) return;
    if (timer) clearTimeout(timer);
    const view = u.view;
    timer = setTimeout(async () => {
      const head = view.state.selection.main.head;
      const word = view.state.wordAt(head);
      if (!word) return;
      const p = position(view, head);
      const found = await hooks.backend.lspHighlights(hooks.path(), p.line, p.character).catch(() => []);
      if (view.state.selection.main.head !== head || found.length < 2) return;
      const doc = view.state.doc;
      view.dispatch({ effects: setHighlights.of(found.map((l) => ({ from: offset(doc, l.line, l.character), to: offset(doc, l.endLine, l.endCharacter) }))) });
    }, 350);
  });
}

// ---- code actions and formatting -------------------------------------------------------------

/** Ctrl+. : the server's quick fixes and refactorings for the selection (or the cursor's line). */
async function codeActions(view: EditorView, hooks: LspHooks): Promise<void> {
  const sel = view.state.selection.main;
  const from = position(view, sel.from);
  const to = position(view, sel.to);
  let actions: LspCodeAction[];
  try {
    actions = await hooks.backend.lspCodeActions(hooks.path(), from, to);
  } catch (e) {
    hooks.notify(e instanceof Error ? e.message : String(e));
    return;
  }
  if (!actions.length) {
    hooks.notify('No quick fixes or refactorings here');
    return;
  }
  actions.sort((a, b) => Number(b.preferred) - Number(a.preferred));
  const { openPalette } = await import('../palette');
  openPalette({
    placeholder: 'Quick fixes and refactorings',
    query: async (text) => actions.filter((a) => a.title.toLowerCase().includes(text.toLowerCase())).map((a) => ({ label: a.title, detail: a.kind ?? '', action: a })),
    choose: (item) => applyAction(view, hooks, item.action),
  });
}

function applyAction(view: EditorView, hooks: LspHooks, action: LspCodeAction): void {
  const here = action.edits.filter((f) => f.path === hooks.path());
  const elsewhere = action.edits.filter((f) => f.path !== hooks.path());
  for (const f of here) ownUndoStep(view, { changes: editChanges(view.state.doc, f), userEvent: 'input.codeaction' });
  if (elsewhere.length) hooks.applyAction?.(action.title, elsewhere);
}

/** Formats the file with its server: one edit of the document (one undo step). */
export async function formatDocument(view: EditorView, backend: Backend, path: string): Promise<boolean> {
  const tab = view.state.facet(EditorState.tabSize);
  const spaces = !view.state.facet(indentUnit).includes('\t');
  const edits = await backend.lspFormat(path, tab, spaces);
  if (!edits.length) return false;
  ownUndoStep(view, { changes: editChanges(view.state.doc, { path, edits }), userEvent: 'input.format' });
  return true;
}


// ---- inlay hints ---------------------------------------------------------------------------

class HintWidget extends WidgetType {
  constructor(readonly hint: LspInlayHint) {
    super();
  }
  eq(o: HintWidget): boolean {
    return o.hint.label === this.hint.label && o.hint.paddingLeft === this.hint.paddingLeft && o.hint.paddingRight === this.hint.paddingRight;
  }
  toDOM(): HTMLElement {
    const el = h('span', { class: `cm-inlay-hint${this.hint.kind ? ` cm-inlay-${this.hint.kind}` : ''}${this.hint.paddingLeft ? ' pad-left' : ''}${this.hint.paddingRight ? ' pad-right' : ''}` }, this.hint.label);
    if (this.hint.tooltip) el.title = this.hint.tooltip;
    return el;
  }
  ignoreEvent(): boolean {
    return false;
  }
}

/**
 * Decorations a server gives for a view (inlay hints, semantic tokens): asked after an
 * update when `delay` names a pause (typing, a scroll, the settings), dropped when the
 * setting is off, and kept on their text as it moves until the next answer (so typing
 * does not flicker them). `ask` gets whether the text or settings changed since it last
 * asked; it answers null to keep what is shown.
 */
function serverDecorations(enabled: () => boolean, delay: (u: ViewUpdate) => number | null, ask: (view: EditorView, changed: boolean) => Promise<DecorationSet | null>): Extension {
  const set = StateEffect.define<DecorationSet>();
  const field = StateField.define<DecorationSet>({
    create: () => Decoration.none,
    update(v, tr) {
      for (const e of tr.effects) if (e.is(set)) return e.value;
      return tr.docChanged ? v.map(tr.changes) : v;
    },
    provide: (f) => EditorView.decorations.from(f),
  });
  const plugin = ViewPlugin.fromClass(class {
    timer: ReturnType<typeof setTimeout> | null = null;
    changed = true;
    constructor(readonly view: EditorView) {
      this.schedule(50);
    }
    update(u: ViewUpdate) {
      if (u.docChanged || u.transactions.some((t) => t.reconfigured)) this.changed = true;
      const ms = delay(u);
      if (ms !== null) this.schedule(ms);
    }
    schedule(ms: number) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.run(), ms);
    }
    async run() {
      const view = this.view;
      if (!enabled()) {
        if (view.state.field(field).size) view.dispatch({ effects: set.of(Decoration.none) });
        return;
      }
      const changed = this.changed;
      this.changed = false;
      const doc = view.state.doc;
      const got = await ask(view, changed);
      // Typed meanwhile: the answer is for text that is gone; the next pause asks again.
      if (got && view.state.doc === doc) view.dispatch({ effects: set.of(got) });
    }
    destroy() {
      if (this.timer) clearTimeout(this.timer);
    }
  });
  return [field, plugin];
}

const reconfigured = (u: ViewUpdate) => u.transactions.some((t) => t.reconfigured);

/** Hints for the visible lines (and a screen's margin), asked when typing pauses or the
 * view scrolls to lines not asked yet. */
function inlayHints(hooks: LspHooks): Extension {
  /** The lines asked for the text as it is now, per view. */
  const covered = new WeakMap<EditorView, { from: number; to: number }>();
  return serverDecorations(
    () => !!hooks.inlayHints?.(),
    (u) => (u.docChanged ? 400 : u.viewportChanged || reconfigured(u) ? 150 : null),
    async (view, changed) => {
      if (changed) covered.delete(view);
      const doc = view.state.doc;
      const first = doc.lineAt(view.viewport.from).number - 1;
      const last = doc.lineAt(view.viewport.to).number - 1;
      const had = covered.get(view);
      if (had && had.from <= first && had.to >= last) return null;
      const span = last - first + 1;
      const from = Math.max(0, first - span);
      const to = Math.min(doc.lines, last + span + 1);
      const hints = await hooks.backend.lspInlayHints(hooks.path(), from, to).catch(() => null);
      if (!hints || view.state.doc !== doc) return null;
      covered.set(view, { from, to: to - 1 });
      const b = new RangeSetBuilder<Decoration>();
      const placed = hints.map((hint) => ({ hint, at: offset(doc, hint.line, hint.character) })).sort((x, y) => x.at - y.at);
      for (const { hint, at } of placed) b.add(at, at, Decoration.widget({ widget: new HintWidget(hint), side: hint.kind === 'parameter' ? 1 : -1 }));
      return b.finish();
    },
  );
}

// ---- semantic tokens -----------------------------------------------------------------------

/** The token types given a colour (the rest keep the syntax colours). */
// `member` is TypeScript's name for a method.
const SEMANTIC_TYPES = new Set(['namespace', 'type', 'class', 'enum', 'interface', 'struct', 'typeParameter', 'parameter', 'variable', 'property', 'enumMember', 'function', 'method', 'member', 'macro', 'decorator']);
const SEMANTIC_MODIFIERS = new Set(['readonly', 'deprecated', 'defaultLibrary', 'declaration', 'static', 'async']);

/** The server's tokens as marks on `doc` (`cm-sem-<type>` and `cm-sem-m-<modifier>`). */
export function semanticMarks(doc: Text, t: LspSemanticTokens): DecorationSet {
  const marks = new Map<string, Decoration>();
  const b = new RangeSetBuilder<Decoration>();
  let last = -1;
  for (let i = 0; i + 4 < t.data.length; i += 5) {
    const type = t.types[t.data[i + 3]];
    if (!type || !SEMANTIC_TYPES.has(type)) continue;
    const line = t.data[i];
    if (line >= doc.lines) break;
    const l = doc.line(line + 1);
    const from = Math.min(l.from + t.data[i + 1], l.to);
    const to = Math.min(from + t.data[i + 2], l.to);
    if (to <= from || from < last) continue;
    let cls = `cm-sem-${type}`;
    const bits = t.data[i + 4];
    for (let m = 0; m < t.modifiers.length && bits >> m; m++) {
      if (bits & (1 << m) && SEMANTIC_MODIFIERS.has(t.modifiers[m])) cls += ` cm-sem-m-${t.modifiers[m]}`;
    }
    // A plain variable keeps its syntax colour: no mark for it.
    if (type === 'variable' && !/readonly|deprecated/.test(cls)) continue;
    let mark = marks.get(cls);
    if (!mark) marks.set(cls, (mark = Decoration.mark({ class: cls })));
    b.add(from, to, mark);
    last = to;
  }
  return b.finish();
}

/** Tokens for the whole file, asked when it opens and when typing pauses. */
function semanticTokens(hooks: LspHooks): Extension {
  return serverDecorations(
    () => !!hooks.semanticHighlighting?.(),
    (u) => (u.docChanged ? 500 : reconfigured(u) ? 50 : null),
    async (view) => {
      const doc = view.state.doc;
      const tokens = await hooks.backend.lspSemanticTokens(hooks.path()).catch(() => null);
      return tokens ? semanticMarks(doc, tokens) : null;
    },
  );
}

// ---- the lightbulb -------------------------------------------------------------------------

class Bulb extends GutterMarker {
  toDOM(): Node {
    return h('span', { class: 'cm-lightbulb', title: 'Quick fixes (Ctrl+.)' }, '💡');
  }
}
const bulb = new Bulb();
/** The gutter's width before any bulb: not itself one. */
class BulbSpacer extends GutterMarker {
  toDOM(): Node {
    return h('span', { class: 'cm-lightbulb-spacer' }, '💡');
  }
}

const setBulb = StateEffect.define<number | null>();
/** The line start the lightbulb stands at, while the cursor stays on that line. */
const bulbField = StateField.define<number | null>({
  create: () => null,
  update(v, tr) {
    for (const e of tr.effects) if (e.is(setBulb)) return e.value;
    if (v === null) return v;
    const at = tr.changes.mapPos(v);
    const line = tr.state.doc.lineAt(tr.state.selection.main.head);
    return line.from === tr.state.doc.lineAt(at).from ? line.from : null;
  },
});

/**
 * A lightbulb beside the cursor's line when the server has a fix for a problem on it
 * (asked only where a diagnostic is: an idle cursor elsewhere costs nothing); a click
 * lists the fixes and refactorings, as Ctrl+. does.
 */
function lightbulb(hooks: LspHooks): Extension {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const ask = async (view: EditorView) => {
    const head = view.state.selection.main.head;
    const line = view.state.doc.lineAt(head);
    let problem = false;
    forEachDiagnostic(view.state, (_d, from, to) => {
      if (from <= line.to && to >= line.from) problem = true;
    });
    if (!problem) return;
    const doc = view.state.doc;
    const actions = await hooks.backend.lspCodeActions(hooks.path(), { line: line.number - 1, character: 0 }, { line: line.number - 1, character: line.length }).catch(() => []);
    if (view.state.doc !== doc || view.state.doc.lineAt(view.state.selection.main.head).from !== line.from) return;
    if (actions.some((a) => a.preferred || (a.kind ?? '').startsWith('quickfix'))) view.dispatch({ effects: setBulb.of(line.from) });
  };
  return [
    bulbField,
    gutter({
      class: 'cm-lightbulb-gutter',
      markers: (view) => {
        const at = view.state.field(bulbField);
        return at === null ? RangeSet.empty : RangeSet.of([bulb.range(at)]);
      },
      initialSpacer: () => new BulbSpacer(),
      domEventHandlers: {
        mousedown(view, line) {
          if (view.state.field(bulbField) !== line.from) return false;
          view.dispatch({ selection: { anchor: Math.max(line.from, Math.min(view.state.selection.main.head, line.to)) } });
          void codeActions(view, hooks);
          return true;
        },
      },
    }),
    EditorView.updateListener.of((u) => {
      const moved = u.docChanged || (u.selectionSet && u.state.doc.lineAt(u.state.selection.main.head).from !== u.startState.doc.lineAt(u.startState.selection.main.head).from);
      // A new diagnostic on the line also counts (the server answers after typing stops).
      const diagnosed = u.transactions.some((t) => t.effects.some((e) => e.is(setDiagnosticsEffect))) && u.state.field(bulbField) === null;
      if (!moved && !diagnosed) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void ask(u.view), 500);
    }),
  ];
}

/** The editor's language-server features for one file. */
export function lspExtensions(hooks: LspHooks): Extension {
  return [
    hooksFacet.of(hooks),
    completeEarly(hooks),
    resolveSelected(hooks),
    followTrackers,
    signatureField,
    highlightField,
    highlightsOnIdle(hooks),
    inlayHints(hooks),
    semanticTokens(hooks),
    hooks.readsOnly ? [] : lightbulb(hooks),
    EditorView.updateListener.of((u) => {
      if (u.focusChanged && !u.view.hasFocus && u.state.field(signatureField)) setTimeout(() => u.view.dispatch({ effects: setSignature.of(null) }), 0);
      // Typed text (closeBrackets' "()" too): ask for the signature when a call opens or an
      // argument starts; a closing paren typed over ends it.
      let typed = '';
      for (const tr of u.transactions) {
        if (tr.isUserEvent('input.type')) tr.changes.iterChanges((_a, _b, _c, _d, ins) => (typed += ins.toString()));
      }
      if (!typed) return;
      if (/[(,]/.test(typed)) void askSignature(u.view, hooks);
      else if (typed.endsWith(')') && u.state.field(signatureField)) setTimeout(() => u.view.dispatch({ effects: setSignature.of(null) }), 0);
    }),
    hoverTooltip(async (view, pos) => {
      const p = position(view, pos);
      const text = await hooks.backend.lspHover(hooks.path(), p.line, p.character).catch(() => null);
      if (!text) return null;
      return {
        pos,
        create: () => ({ dom: h('div', { class: 'lsp-hover' }, renderMarkdown(text)) }),
      };
    }, { hoverTime: 350 }),
    // Asked at once: the 100 ms default wait would be most of the time to the list; `validFor`
    // keeps one request per word.
    autocompletion({ override: [(ctx) => complete(hooks, ctx)], activateOnTyping: true, activateOnTypingDelay: 0, icons: true }),
    keymap.of([
      { key: 'F12', run: (view) => (void goTo(view, hooks, 'definition'), true) },
      { key: 'Shift-F12', run: (view) => (void goTo(view, hooks, 'references'), true) },
      { key: 'Mod-F12', run: (view) => (void goTo(view, hooks, 'implementation'), true) },
      ...(hooks.readsOnly ? [] : [
        { key: 'F2', run: (view: EditorView) => (void rename(view, hooks), true) },
        { key: 'Mod-.', run: (view: EditorView) => (void codeActions(view, hooks), true) },
      ]),
      { key: 'Mod-Shift-Space', run: (view) => (void askSignature(view, hooks), true) },
      ...(hooks.readsOnly ? [] : [{ key: 'Shift-Alt-f', run: (view: EditorView) => (void formatDocument(view, hooks.backend, hooks.path()).then((done) => done || hooks.notify('Already formatted'), (e) => hooks.notify(e instanceof Error ? e.message : String(e))), true) }]),
      { key: 'Escape', run: (view) => (view.state.field(signatureField) ? (view.dispatch({ effects: setSignature.of(null) }), true) : false) },
    ]),
    EditorView.domEventHandlers({
      mousedown(e, view) {
        if (!(e.ctrlKey || e.metaKey) || e.button !== 0) return false;
        const pos = view.posAtCoords({ x: e.clientX, y: e.clientY });
        if (pos === null) return false;
        e.preventDefault();
        void goTo(view, hooks, 'definition', pos);
        return true;
      },
    }),
  ];
}
