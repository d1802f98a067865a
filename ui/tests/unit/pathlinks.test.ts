import { describe, expect, test } from 'vitest';
import { findPathLinks } from '../../src/pathlinks';

const paths = (text: string, root: string) => findPathLinks(text, root).map((l) => [l.path, l.line, l.column, text.slice(l.index, l.index + l.length)]);

describe('path:line links in terminal output', () => {
  test('Unix paths, relative, ./ and inside the workspace', () => {
    expect(paths('error at src/main.rs:12:5: expected', '/home/me/proj')).toEqual([['src/main.rs', 12, 5, 'src/main.rs:12:5']]);
    expect(paths('./lib/a.ts:3 and /home/me/proj/b.py:40', '/home/me/proj/')).toEqual([
      ['lib/a.ts', 3, 1, './lib/a.ts:3'],
      ['b.py', 40, 1, '/home/me/proj/b.py:40'],
    ]);
    expect(paths('/elsewhere/c.go:7', '/home/me/proj')).toEqual([['/elsewhere/c.go', 7, 1, '/elsewhere/c.go:7']]);
  });

  test('Windows paths: backslashes, a drive letter in either case', () => {
    expect(paths('src\\main.rs:3:9 warning', 'C:\\Users\\me\\proj')).toEqual([['src/main.rs', 3, 9, 'src\\main.rs:3:9']]);
    expect(paths('  --> c:\\users\\me\\proj\\crates\\x\\lib.rs:10:1', 'C:\\Users\\me\\proj')).toEqual([['crates/x/lib.rs', 10, 1, 'c:\\users\\me\\proj\\crates\\x\\lib.rs:10:1']]);
    expect(paths('D:\\other\\a.c:2', 'C:\\Users\\me\\proj')).toEqual([['D:/other/a.c', 2, 1, 'D:\\other\\a.c:2']]);
  });

  test('no link without a line number or an extension', () => {
    expect(paths('see src/main.rs and Makefile:3 and 12:30', '/p')).toEqual([]);
  });
});
