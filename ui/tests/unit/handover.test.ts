import { describe, expect, test } from 'vitest';
import { Text } from '@codemirror/state';
import { difference, handOverChanges } from '../../src/editor/handover';
import type { FirstText } from '../../src/firstframe';

function typed(base: string, value: string, cursor = value.length): FirstText {
  return { path: 'a.rs', base, value, selectionStart: cursor, selectionEnd: cursor, scrollTop: 0, scrollLeft: 0 };
}

/** The document after the handover, and the cursor's offset in it. */
function apply(now: string, t: FirstText) {
  const { changes, anchor, head } = handOverChanges(now, t);
  return { text: changes.apply(Text.of(now.split('\n'))).toString(), anchor, head };
}

describe('the first frame hands over to the editor', () => {
  test('difference finds the one changed range', () => {
    expect(difference('abc', 'abc')).toBeNull();
    expect(difference('fn main() {}', 'fn main() { x }')).toEqual({ from: 11, to: 11, insert: ' x ' });
    expect(difference('aaaa', 'aa')).toEqual({ from: 2, to: 4, insert: '' });
    expect(difference('abcabc', 'abXabc')).toEqual({ from: 2, to: 3, insert: 'X' });
  });

  test('typing into an unchanged document: the text and cursor are what was typed', () => {
    const base = 'fn main() {\n}\n';
    const t = typed(base, 'fn main() {\n    hi\n}\n', 18);
    expect(apply(base, t)).toEqual({ text: t.value, anchor: 18, head: 18 });
  });

  test('nothing typed: no change, the cursor kept', () => {
    const base = 'one\ntwo\n';
    const { changes, anchor } = handOverChanges(base, typed(base, base, 5));
    expect(changes.empty).toBe(true);
    expect(anchor).toBe(5);
  });

  test('a change made meanwhile elsewhere (a merge from disk) is kept with the typing', () => {
    const base = 'alpha\nbeta\ngamma\n';
    // Typed at the end of "beta"; the disk's change rewrote "alpha" meanwhile.
    const t = typed(base, 'alpha\nbeta!\ngamma\n', 11);
    const out = apply('ALPHA one\nbeta\ngamma\n', t);
    expect(out.text).toBe('ALPHA one\nbeta!\ngamma\n');
    expect(out.anchor).toBe('ALPHA one\nbeta!'.length);
  });

  test('a change meanwhile after the typing leaves the cursor where it was typed', () => {
    const base = 'a\nb\n';
    const out = apply('a\nb\nc\n', typed(base, 'xa\nb\n', 1));
    expect(out).toEqual({ text: 'xa\nb\nc\n', anchor: 1, head: 1 });
  });

  test('deleting text another change rewrote meanwhile: the delete applies, their new letters stay', () => {
    // Typed: deleted "this "; meanwhile "this" became "that" (the one range that differs:
    // "is" -> "at"). As CodeMirror maps concurrent edits, what they inserted survives.
    const out = apply('keep that line\n', typed('keep this line\n', 'keep line\n', 5));
    expect(out).toEqual({ text: 'keep atline\n', anchor: 5, head: 5 });
  });
});
