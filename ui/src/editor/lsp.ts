// What a language server gives an editor: hover (types and docs), go to definition (F12,
// Ctrl+click), references (Shift+F12), completion as you type (the server's items with
// their kinds, details and docs), and its diagnostics beside tree-sitter's syntax errors.
// The server runs in Rust and follows the document itself (crates/weft-lsp); this file
// only asks it at positions. Positions: the protocol's lines (0-based) and UTF-16 columns,
// which is how CodeMirror counts a line's characters.

import type { Extension } from '@codemirror/state';
import { EditorView, hoverTooltip, keymap } from '@codemirror/view';
import { autocompletion, type Completion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import type { Diagnostic as CmDiagnostic } from '@codemirror/lint';
import { h } from '../dom';
import { Text } from '@codemirror/state';
import type { Backend, LspDiagnostic, LspFileEdit, LspLocation } from '../backend';
import { renderMarkdown } from '../markdown';
import { promptText } from '../dialogs';

export interface LspHooks {
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

async function complete(hooks: LspHooks, ctx: CompletionContext): Promise<CompletionResult | null> {
  const word = ctx.matchBefore(/[\w$]*/);
  const before = ctx.state.sliceDoc(Math.max(0, ctx.pos - 1), ctx.pos);
  const trigger = before === '.' || (before === ':' && ctx.state.sliceDoc(Math.max(0, ctx.pos - 2), ctx.pos) === '::');
  if (!ctx.explicit && !trigger && (!word || word.from === word.to)) return null;
  const line = ctx.state.doc.lineAt(ctx.pos);
  let items;
  try {
    items = await hooks.backend.lspCompletion(hooks.path(), line.number - 1, ctx.pos - line.from);
  } catch {
    return null;
  }
  if (ctx.aborted || !items.length) return null;
  const from = word ? word.from : ctx.pos;
  const options: Completion[] = items.map((c) => {
    // The server's range when it gives one on this line, else the word before the cursor.
    const rFrom = c.replaceFrom !== null ? line.from + c.replaceFrom : from;
    const rTo = c.replaceTo !== null ? Math.max(ctx.pos, line.from + c.replaceTo) : ctx.pos;
    return {
      label: c.filterText ?? c.label,
      displayLabel: c.label,
      type: c.kind ? KINDS[c.kind] : undefined,
      detail: c.detail ?? undefined,
      info: c.documentation ? () => h('div', { class: 'lsp-doc' }, renderMarkdown(c.documentation!)) : undefined,
      boost: c.sortText ? -Math.min(99, items.indexOf(c)) / 100 : 0,
      apply: (view: EditorView) => {
        view.dispatch({ changes: { from: rFrom, to: rTo, insert: c.insert }, selection: { anchor: rFrom + c.insert.length }, userEvent: 'input.complete' });
      },
    };
  });
  return { from, options, validFor: /^[\w$]*$/ };
}

async function goTo(view: EditorView, hooks: LspHooks, kind: 'definition' | 'references', pos = view.state.selection.main.head): Promise<boolean> {
  const p = position(view, pos);
  let locs: LspLocation[];
  try {
    locs = await hooks.backend.lspLocations(hooks.path(), kind, p.line, p.character);
  } catch (e) {
    hooks.notify(e instanceof Error ? e.message : String(e));
    return true;
  }
  if (!locs.length) hooks.notify(kind === 'definition' ? 'No definition found' : 'No references found');
  else if (locs.length === 1 && kind === 'definition') hooks.open(locs[0]);
  else hooks.choose(kind === 'definition' ? 'Definitions' : `References (${locs.length})`, locs);
  return true;
}

/** The editor's language-server features for one file. */
export function lspExtensions(hooks: LspHooks): Extension {
  return [
    hoverTooltip(async (view, pos) => {
      const p = position(view, pos);
      const text = await hooks.backend.lspHover(hooks.path(), p.line, p.character).catch(() => null);
      if (!text) return null;
      return {
        pos,
        create: () => ({ dom: h('div', { class: 'lsp-hover' }, renderMarkdown(text)) }),
      };
    }, { hoverTime: 350 }),
    autocompletion({ override: [(ctx) => complete(hooks, ctx)], activateOnTyping: true, icons: true }),
    keymap.of([
      { key: 'F12', run: (view) => (void goTo(view, hooks, 'definition'), true) },
      { key: 'Shift-F12', run: (view) => (void goTo(view, hooks, 'references'), true) },
      { key: 'F2', run: (view) => (void rename(view, hooks), true) },
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
