#!/usr/bin/env node
// The editor's git gutter (ui/src/editor/gitgutter.ts) in a 10,000-line file: the time one
// keystroke's transaction takes with the gutter following it (its chunks updated from the
// change, not diffed again), against the same keystroke in the same editor state without
// the gutter. Prints p50/p99 per keystroke and the frame budget (16.7 ms); asserts nothing.
// What it does not count: drawing the visible lines' marks, which CodeMirror does per
// viewport (tens of lines) whatever the file's length.
//
//   node benches/git-gutter.mjs [KEYSTROKES]
//
// The module is the real one, bundled for Node by esbuild from ui/'s dependencies.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ui = join(repo, 'ui');
const n = Number(process.argv[2] ?? 3000);
const out = mkdtempSync(join(tmpdir(), 'weft-gutter-bench-'));
const entry = join(out, 'entry.mjs');
try {
  const { build } = (await import(pathToFileURL(join(ui, 'node_modules/esbuild/lib/main.js')).href)).default;
  await build({
    stdin: { contents: "export * from './src/editor/gitgutter'; export { EditorState, Text } from '@codemirror/state';", resolveDir: ui, loader: 'ts' },
    bundle: true, format: 'esm', platform: 'node', outfile: entry, logLevel: 'error',
  });
  const { gitGutter, setGitBase, EditorState, Text } = await import(pathToFileURL(entry).href);

  // A 10k-line file with scattered differences from the staged text.
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const baseLines = Array.from({ length: 10000 }, (_, i) => `    let value_${i} = compute(${i}, "some text on line ${i}");`);
  const docLines = baseLines.map((l, i) => (i % 97 === 0 ? `${l} // changed` : l));
  const base = Text.of(baseLines);
  const withGutter = EditorState.create({ doc: docLines.join('\n'), extensions: gitGutter({ stage: async () => {} }) }).update({ effects: setGitBase.of(base) }).state;
  const without = EditorState.create({ doc: docLines.join('\n') });

  const keystrokes = Array.from({ length: n }, () => Math.floor(rand() * (without.doc.length - 1)));
  const time = (state) => {
    const t = [];
    let s = state;
    for (const at of keystrokes) {
      const pos = Math.min(at, s.doc.length);
      const t0 = performance.now();
      s = s.update({ changes: { from: pos, insert: rand() < 0.1 ? '\n' : 'x' } }).state;
      t.push(performance.now() - t0);
    }
    return t.sort((a, b) => a - b);
  };
  // Warm both, then measure interleaved halves.
  time(withGutter);
  time(without);
  const pct = (t, p) => t[Math.min(t.length - 1, Math.floor((t.length * p) / 100))];
  const g = time(withGutter);
  const w = time(without);
  const fmt = (t) => `p50 ${pct(t, 50).toFixed(3)} ms  p99 ${pct(t, 99).toFixed(3)} ms  max ${t[t.length - 1].toFixed(3)} ms`;
  console.log(`git gutter, 10,000-line file, ${n} keystrokes (a tenth of them new lines), ${Math.ceil(10000 / 97)} changed lines against the staged text`);
  console.log(`  with the gutter:    ${fmt(g)}`);
  console.log(`  without it:         ${fmt(w)}`);
  console.log(`  the gutter's share: p99 +${(pct(g, 99) - pct(w, 99)).toFixed(3)} ms; a frame is 16.7 ms`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
