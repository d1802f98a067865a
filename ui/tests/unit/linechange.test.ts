import { expect, test } from 'vitest';
import { EditorState, Text } from '@codemirror/state';
import { lineChange } from '../../src/editor/doc';

/** A seeded generator: the same cases every run. */
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

test('lineChange turns any text into any other, touching only the lines that differ', () => {
  const rand = rng(7);
  const words = ['a', 'b', 'fn main() {', '}', '', '  x += 1;', 'é✓'];
  const lines = () => Array.from({ length: Math.floor(rand() * 7) }, () => words[Math.floor(rand() * words.length)]);
  for (let i = 0; i < 2000; i++) {
    const before = lines();
    const after = rand() < 0.3 ? [...before] : lines();
    const doc = Text.of(before.length ? before : ['']);
    const target = after.length ? after : [''];
    const change = lineChange(doc, target);
    const got = change ? EditorState.create({ doc }).update({ changes: change }).state.doc.toJSON() : doc.toJSON();
    expect(got, `case ${i}: ${JSON.stringify(before)} -> ${JSON.stringify(target)}`).toEqual(target);
    if (JSON.stringify(doc.toJSON()) === JSON.stringify(target)) expect(change).toBeNull();
  }
});

test('lines shared at both ends are left alone', () => {
  const doc = Text.of(['keep 1', 'old', 'keep 2']);
  expect(lineChange(doc, ['keep 1', 'new', 'keep 2'])).toEqual({ from: 7, to: 10, insert: Text.of(['new']) });
});
