// Completion without a language server: the file's words, and the symbol index's
// definitions only once the index is built (completion never starts a build).
import { expect, test } from 'vitest';
import { EditorState } from '@codemirror/state';
import { CompletionContext } from '@codemirror/autocomplete';
import { wordCompletion } from '../../src/editor/lsp';
import type { Backend } from '../../src/backend';

function backend(built: boolean, asked: string[]): Backend {
  return {
    symbolIndexProgress: async () => ({ running: false, done: 0, total: 0, stats: built ? { files: 1, symbols: 1, skipped: 0, parsed: 1, cancelled: false } : null }),
    symbolSearch: async (q: string) => {
      asked.push(q);
      return [{ path: 'src/lib.rs', name: 'parseConfigFile', kind: 'function', detail: '', container: null, line: 10, column: 0, indices: [], source: null }];
    },
  } as unknown as Backend;
}

const text = 'let parsedValue = 1;\nconst parser = make();\npar';
const ctx = (explicit = false) => new CompletionContext(EditorState.create({ doc: text }), text.length, explicit);

test('the file\'s words, not the word being typed, and no symbols before the index is built', async () => {
  const asked: string[] = [];
  const r = await wordCompletion(backend(false, asked), ctx());
  const labels = r!.options.map((o) => o.label);
  expect(labels).toContain('parsedValue');
  expect(labels).toContain('parser');
  expect(labels).not.toContain('par');
  expect(asked).toEqual([]);
  expect(r!.from).toBe(text.length - 3);
});

test('with the index built, its definitions join, with where they are', async () => {
  const asked: string[] = [];
  const r = await wordCompletion(backend(true, asked), ctx());
  const sym = r!.options.find((o) => o.label === 'parseConfigFile');
  expect(sym?.type).toBe('function');
  expect(sym?.detail).toBe('src/lib.rs:10');
  expect(asked).toEqual(['par']);
});

test('one typed character waits for Ctrl+Space', async () => {
  const one = 'alpha\na';
  const c = new CompletionContext(EditorState.create({ doc: one }), one.length, false);
  expect(await wordCompletion(backend(false, []), c)).toBeNull();
  const explicit = new CompletionContext(EditorState.create({ doc: one }), one.length, true);
  expect((await wordCompletion(backend(false, []), explicit))!.options.map((o) => o.label)).toEqual(['alpha']);
});
