import { describe, expect, it } from 'vitest';
import { helpSections } from '../keymap.js';
import { helpLines, pourColumns } from './help-overlay.js';
import { fitSegments } from './line.js';

describe('help overlay layout', () => {
  const lines = helpLines(helpSections());

  it('keeps every line, blank separators included, when there is room', () => {
    const columns = pourColumns(lines, 3, 40);
    expect(columns.flat()).toEqual(lines);
    for (const column of columns) expect(column.length).toBeLessThanOrEqual(40);
  });

  it('drops the blank lines first, then cuts and says so', () => {
    const tight = pourColumns(lines, 2, 18);
    const flat = tight.flat();
    expect(flat).toHaveLength(36);
    expect(flat.some((line) => line.length === 0)).toBe(false);
    expect(flat.at(-1)?.[0]?.text).toBe('… more in a bigger terminal');
  });
});

describe('fitSegments', () => {
  it('cuts to the width with an ellipsis in the style of what it replaces, and pads on request', () => {
    expect(fitSegments([{ text: 'stack ' }, { text: 'notifications', bold: true }], 10)).toEqual([{ text: 'stack ' }, { text: 'not…', bold: true }]);
    expect(fitSegments([{ text: 'ab' }, { text: 'cd' }], 6, true)).toEqual([{ text: 'abcd' }, { text: '  ' }]);
    expect(fitSegments([{ text: 'abcdef' }], 0)).toEqual([]);
    const fitted = fitSegments([{ text: 'x'.repeat(50), color: 'red' }, { text: 'y'.repeat(50) }], 37);
    expect(fitted.reduce((n, s) => n + s.text.length, 0)).toBe(37);
  });
});
