import { expect, test } from 'vitest';
import { fuzzyIndices } from '../../src/palette';

test('fuzzy matching finds the letters in order, case-insensitive, spaces ignored', () => {
  expect(fuzzyIndices('src/app.ts', 'sat')).toEqual([0, 4, 8]);
  expect(fuzzyIndices('Toggle Sidebar', 'tog side')).toEqual([0, 1, 2, 7, 8, 9, 10]);
  expect(fuzzyIndices('readme.md', 'dmr')).toBeNull();
  expect(fuzzyIndices('anything', '')).toEqual([]);
});
