// Staging selected lines: exactly the lines chosen go to the index, as they are in the editor.
import { expect, test } from 'vitest';
import { Text } from '@codemirror/state';
import { Chunk } from '@codemirror/merge';
import { stagedWithLines } from '../../src/editor/gitgutter';

const t = (s: string) => Text.of(s.split('\n'));
const stage = (base: string, doc: string, ranges: [number, number][]) => {
  const [b, d] = [t(base), t(doc)];
  return stagedWithLines(b, d, Chunk.build(b, d), ranges.map(([from, to]) => ({ from, to })));
};

test('one line of a changed hunk', () => {
  const base = 'a\nb\nc\nd\n';
  const doc = 'a\nB\nC\nd\n';
  expect(stage(base, doc, [[2, 2]])).toBe('a\nB\nc\nd\n');
  expect(stage(base, doc, [[3, 3]])).toBe('a\nb\nC\nd\n');
  expect(stage(base, doc, [[2, 3]])).toBe(doc);
});

test('added lines: only those selected', () => {
  const base = 'a\nd\n';
  const doc = 'a\nb\nc\nd\n';
  expect(stage(base, doc, [[3, 3]])).toBe('a\nc\nd\n');
  expect(stage(base, doc, [[1, 1]])).toBeNull();
});

test('deleted lines go when the line they were at is selected', () => {
  const base = 'a\nb\nc\n';
  const doc = 'a\nc\n';
  expect(stage(base, doc, [[2, 2]])).toBe('a\nc\n');
  expect(stage(base, doc, [[1, 1]])).toBeNull();
});

test('a hunk shorter than what it replaced: the extra staged lines go with its last line', () => {
  const base = 'a\nb1\nb2\nb3\nz\n';
  const doc = 'a\nB\nz\n';
  expect(stage(base, doc, [[2, 2]])).toBe('a\nB\nz\n');
});

test('two hunks, one selected by each of two cursors, the other left alone', () => {
  const base = 'a\nb\nc\nd\ne\nf\ng\n';
  const doc = 'A\nb\nc\nd\ne\nf\nG\n';
  expect(stage(base, doc, [[1, 1]])).toBe('A\nb\nc\nd\ne\nf\ng\n');
  expect(stage(base, doc, [[1, 1], [7, 7]])).toBe(doc);
});
