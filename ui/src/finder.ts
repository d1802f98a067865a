// Ctrl/Cmd+P: fuzzy file finder. Matching runs in Rust (nucleo) over the cached file list;
// `path:line` jumps to a line.

import type { Backend } from './backend';
import { openPalette } from './palette';

const parse = (text: string) => {
  const m = /^(.*?)(?::(\d+))?$/.exec(text.trim());
  return { query: m?.[1] ?? '', line: m?.[2] ? Number(m[2]) : undefined };
};

export function openFinder(backend: Backend, open: (path: string, line?: number) => void): void {
  openPalette({
    placeholder: 'Go to file (name, or name:line)',
    query: async (text) => (await backend.findFiles(parse(text).query, 60)).map((m) => ({ label: m.path, indices: m.indices })),
    choose: (item, text) => open(item.label, parse(text).line),
  });
}
