// Staging selected lines: exactly the lines chosen go to the index, as they are in the editor.
import { expect, test } from 'vitest';
import { Text } from '@codemirror/state';
import { Chunk } from '@codemirror/merge';
import { stagedWithLines, unstagedWithLines } from '../../src/editor/gitgutter';

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

// Unstaging selected lines (the staged diff): the chosen staged lines go back to HEAD's.
const unstage = (head: string, staged: string, ranges: [number, number][]) => {
  const [a, b] = [t(head), t(staged)];
  return unstagedWithLines(a, b, Chunk.build(a, b), ranges.map(([from, to]) => ({ from, to })));
};

test('unstage one line of a changed hunk, or all of it', () => {
  const head = 'a\nb\nc\nd\n';
  const staged = 'a\nB\nC\nd\n';
  expect(unstage(head, staged, [[2, 2]])).toBe('a\nb\nC\nd\n');
  expect(unstage(head, staged, [[3, 3]])).toBe('a\nB\nc\nd\n');
  expect(unstage(head, staged, [[2, 3]])).toBe(head);
  expect(unstage(head, staged, [[1, 1]])).toBeNull();
});

test('unstage an added line: it leaves the index; the other stays', () => {
  expect(unstage('a\nd\n', 'a\nb\nc\nd\n', [[3, 3]])).toBe('a\nb\nd\n');
});

test('unstage a deletion: the lines come back when the line they were at is selected', () => {
  expect(unstage('a\nb\nc\n', 'a\nc\n', [[2, 2]])).toBe('a\nb\nc\n');
  expect(unstage('a\nb\nc\n', 'a\nc\n', [[1, 1]])).toBeNull();
});

test('staging then unstaging the same lines gives the index back', () => {
  const head = 'a\nb\nc\nd\ne\n';
  const work = 'a\nB\nc\nD\nE\nF\n';
  const staged = stage(head, work, [[2, 2], [5, 6]])!;
  expect(staged).toBe('a\nB\nc\nd\nE\nF\n');
  expect(unstage(head, staged, [[2, 2]])).toBe('a\nb\nc\nd\nE\nF\n');
  expect(unstage(head, staged, [[1, 6]])).toBe(head);
});
