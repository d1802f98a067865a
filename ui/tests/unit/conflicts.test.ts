// The editor's merge-conflict regions and what each accept puts in their place.
import { describe, expect, it } from 'vitest';
import { EditorState, Text } from '@codemirror/state';
import { acceptSpec, conflictEditor, conflictsOf, findConflicts, resolution } from '../../src/editor/conflicts';

const TWO = 'top\n<<<<<<< HEAD\nours 1\nours 2\n=======\ntheirs\n>>>>>>> feature\nmiddle\n<<<<<<< HEAD\na\n||||||| base\nb\n=======\nc\n>>>>>>> feature\nend';
const doc = (s: string) => Text.of(s.split('\n'));

describe('conflicts', () => {
  it('finds each region with its sides, base and labels', () => {
    const d = doc(TWO);
    const c = findConflicts(d);
    expect(c).toHaveLength(2);
    expect(d.sliceString(c[0].ours.from, c[0].ours.to)).toBe('ours 1\nours 2\n');
    expect(d.sliceString(c[0].theirs.from, c[0].theirs.to)).toBe('theirs\n');
    expect([c[0].oursLabel, c[0].theirsLabel]).toEqual(['HEAD', 'feature']);
    expect(c[1].base && d.sliceString(c[1].base.from, c[1].base.to)).toBe('b\n');
    expect(d.sliceString(c[1].from, c[1].to)).toBe('<<<<<<< HEAD\na\n||||||| base\nb\n=======\nc\n>>>>>>> feature\n');
  });

  it('resolves one region per accept, as one edit', () => {
    let state = EditorState.create({ doc: TWO, extensions: conflictEditor() });
    const [first, second] = conflictsOf(state);
    expect(resolution(state.doc, second, 'both')).toBe('a\nc\n');
    state = state.update(acceptSpec(state, first.from, 'both')!).state;
    expect(state.doc.toString()).toBe('top\nours 1\nours 2\ntheirs\nmiddle\n<<<<<<< HEAD\na\n||||||| base\nb\n=======\nc\n>>>>>>> feature\nend');
    expect(acceptSpec(state, first.from, 'ours')).toBeNull();
    state = state.update(acceptSpec(state, conflictsOf(state)[0].from, 'theirs')!).state;
    expect(state.doc.toString()).toBe('top\nours 1\nours 2\ntheirs\nmiddle\nc\nend');
    expect(conflictsOf(state)).toHaveLength(0);
  });

  it('leaves look-alikes alone', () => {
    expect(findConflicts(doc('<<<<<<< HEAD\nx\n=======\ny'))).toHaveLength(0);
    expect(findConflicts(doc('Title\n=======\n'))).toHaveLength(0);
    expect(findConflicts(doc('<<<<<<<< x\n=======\n>>>>>>> y'))).toHaveLength(0);
  });
});
