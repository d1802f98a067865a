// The CodeMirror configuration every editor view shares. Settings that change live (theme,
// font, tab size, Vim, wrapping) sit in compartments so they reconfigure open editors in
// place, without losing undo history or cursor.

import { Compartment, EditorState, type Extension, type TransactionSpec } from '@codemirror/state';
import {
  EditorView, keymap, lineNumbers, highlightActiveLineGutter, highlightSpecialChars, drawSelection,
  dropCursor, rectangularSelection, crosshairCursor, highlightActiveLine,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import {
  indentOnInput, syntaxHighlighting, defaultHighlightStyle, bracketMatching, foldGutter, foldKeymap, indentUnit,
} from '@codemirror/language';
import { search, searchKeymap, highlightSelectionMatches } from '@codemirror/search';
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { oneDark } from '@codemirror/theme-one-dark';
import type { Settings } from '../backend';

export const compartments = {
  language: new Compartment(),
  theme: new Compartment(),
  vim: new Compartment(),
  indent: new Compartment(),
  wrap: new Compartment(),
  font: new Compartment(),
  readOnly: new Compartment(),
  /** The git gutter, once the folder is known to be a repository (./gitgutter.ts). */
  git: new Compartment(),
  /** Accept current / incoming / both, while git says the file is conflicted (./conflicts.ts). */
  conflicts: new Compartment(),
  /** Git: Toggle Blame (./blame.ts). */
  blame: new Compartment(),
};

// Vim bindings load only when the setting is on: most start-ups never pay for them.
let vimFactory: (() => Extension) | null = null;

/** Views whose undo is a document's (per user, Yjs), not CodeMirror's history. */
export const sharedUndo = new WeakMap<EditorView, { undo(): unknown; redo(): unknown; stopCapturing?(): void }>();

/**
 * Dispatches an edit that is an undo step of its own, not merged with the typing just
 * before or after it (a hunk reverted, a quick fix, a formatting). Views without a
 * document's undo keep CodeMirror's own grouping.
 */
export function ownUndoStep(view: EditorView, spec: TransactionSpec): void {
  const undo = sharedUndo.get(view);
  undo?.stopCapturing?.();
  view.dispatch(spec);
  undo?.stopCapturing?.();
}

export async function ensureVim(s: Settings): Promise<void> {
  if (s.vimMode && !vimFactory) {
    const { vim, CodeMirror } = await import('@replit/codemirror-vim');
    // Vim's u and Ctrl+R call CodeMirror's history; a document's editor undoes through Yjs.
    type Cm = { cm6: EditorView };
    const commands = CodeMirror.commands as unknown as Record<'undo' | 'redo', (cm: Cm) => void>;
    const [undo, redo] = [commands.undo, commands.redo];
    commands.undo = (cm) => void (sharedUndo.get(cm.cm6)?.undo() ?? undo(cm));
    commands.redo = (cm) => void (sharedUndo.get(cm.cm6)?.redo() ?? redo(cm));
    vimFactory = vim;
  }
}

function vimExt(s: Settings): Extension {
  return s.vimMode && vimFactory ? vimFactory() : [];
}

export function themeExt(s: Settings): Extension {
  return s.theme === 'dark' ? oneDark : [];
}

export function fontExt(s: Settings): Extension {
  return EditorView.theme({
    '&': { fontSize: `${s.fontSize}px`, height: '100%' },
    '.cm-scroller': { fontFamily: s.fontFamily, lineHeight: '1.5' },
  });
}

export function indentExt(s: Settings): Extension {
  return [EditorState.tabSize.of(s.tabSize), indentUnit.of(s.insertSpaces ? ' '.repeat(s.tabSize) : '\t')];
}

export function settingsExtensions(s: Settings): Extension[] {
  return [
    compartments.theme.of(themeExt(s)),
    compartments.font.of(fontExt(s)),
    compartments.indent.of(indentExt(s)),
    compartments.wrap.of(s.wordWrap ? EditorView.lineWrapping : []),
  ];
}

/** Reconfigures a live view for new settings. */
export function applySettings(view: EditorView, s: Settings): void {
  view.dispatch({
    effects: [
      compartments.theme.reconfigure(themeExt(s)),
      compartments.font.reconfigure(fontExt(s)),
      compartments.indent.reconfigure(indentExt(s)),
      compartments.wrap.reconfigure(s.wordWrap ? EditorView.lineWrapping : []),
      compartments.vim.reconfigure(vimExt(s)),
    ],
  });
}

/**
 * The editor's base. A large file gets a reduced set: no highlighting, no folding, no
 * selection-match highlighting, read-only, so it opens and scrolls without stalls.
 */
export function baseExtensions(s: Settings, opts: { large: boolean; readOnly: boolean; lineSeparator: string; history?: boolean }): Extension[] {
  // A shared document brings its own undo (each participant undoes only their own edits).
  const own = opts.history !== false;
  const exts: Extension[] = [
    // Vim goes first so its keymap wins when enabled.
    compartments.vim.of(vimExt(s)),
    // An explicit separator makes CodeMirror keep any other line break inside the line,
    // so saving reproduces the file's line endings exactly, mixed ones included.
    EditorState.lineSeparator.of(opts.lineSeparator),
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    own ? history() : [],
    drawSelection(),
    dropCursor(),
    EditorState.allowMultipleSelections.of(true),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    search({ top: true }),
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...(own ? historyKeymap : []), ...foldKeymap, indentWithTab]),
    compartments.readOnly.of([EditorState.readOnly.of(opts.readOnly), EditorView.editable.of(!opts.readOnly || !opts.large)]),
    compartments.git.of([]),
    compartments.conflicts.of([]),
    compartments.blame.of([]),
    ...settingsExtensions(s),
  ];
  if (!opts.large) {
    exts.push(
      compartments.language.of([]),
      foldGutter(),
      indentOnInput(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      bracketMatching(),
      closeBrackets(),
      highlightSelectionMatches(),
    );
  }
  return exts;
}
