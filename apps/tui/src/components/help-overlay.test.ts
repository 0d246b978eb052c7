import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HELP_KEYMAP } from '../keymap.js';
import { columnsOf } from '../state/text-width.js';
import { helpContent, helpFooter, helpPageCount, helpRows, layoutHelp, wrapText } from './help-overlay.js';
import { fitSegments, type Segment } from './line.js';
import { layoutOf, MIN_SIZE } from './layout.js';

const text = (line: readonly Segment[]) => line.map((segment) => segment.text).join('');

/** The overlay's height in a terminal of this size (the app's body: the frame less the header and the status line). */
function overlayHeight(columns: number, rows: number): number {
  const layout = layoutOf({ columns, rows });
  if (layout.kind === 'too-small') throw new Error('too small');
  return layout.frameRows - layout.headerRows - 1;
}

/**
 * Every page as the reader sees it, each entry's text joined back from its wrapped lines:
 * `keys  help` per entry, the section titles on their own.
 */
function readAll(columns: number, rows: number, notice: boolean): string[] {
  const layout = layoutHelp(helpContent(), columns, helpRows(overlayHeight(columns, rows), notice));
  const entries: string[] = [];
  for (const page of layout.pages) {
    for (const column of page) {
      for (const line of column) {
        const [first, second] = line;
        if (first === undefined) continue;
        // A continuation line starts with blank keys: its words belong to the entry before it.
        if (second !== undefined && first.text.trim() === '' && entries.length > 0) entries[entries.length - 1] += ` ${second.text}`;
        else entries.push(second === undefined ? first.text : `${first.text.trim()}  ${second.text}`);
      }
    }
  }
  return entries;
}

describe('help overlay layout', () => {
  it('shows every key with its whole text at 80×24 (on two pages of two columns) and at a large size (on one)', () => {
    for (const [columns, rows, pages] of [
      [80, 24, 2],
      [200, 60, 1],
      [120, 40, 1],
    ] as const) {
      const read = readAll(columns, rows, false);
      for (const section of helpContent()) {
        expect(read).toContain(section.title);
        for (const entry of section.entries) expect(read).toContain(`${entry.keys}  ${entry.help}`);
      }
      expect(helpPageCount(columns, overlayHeight(columns, rows), false)).toBe(pages);
    }
  });

  it('fits every line into its column and every column into its rows, at any size the view runs at (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_SIZE.columns, max: 260 }), fc.integer({ min: MIN_SIZE.rows, max: 90 }), fc.boolean(), (columns, rows, notice) => {
        const height = helpRows(overlayHeight(columns, rows), notice);
        const layout = layoutHelp(helpContent(), columns, height);
        expect(layout.rows).toBeLessThanOrEqual(height);
        for (const page of layout.pages) {
          expect(page.length * layout.columnWidth).toBeLessThanOrEqual(columns);
          for (const column of page) {
            expect(column.length).toBeLessThanOrEqual(layout.rows);
            for (const line of column) expect(columnsOf(text(line))).toBeLessThanOrEqual(layout.columnWidth - 1);
          }
        }
        // Nothing is cut: the words of every entry are all there, whatever the size.
        const read = readAll(columns, rows, notice).join('\n');
        for (const section of helpContent()) for (const entry of section.entries) expect(read).toContain(`${entry.keys}  ${entry.help}`);
      }),
      { numRuns: 60 },
    );
  });

  it('says where more is, with the keys the help keymap binds to turn the page', () => {
    const next = HELP_KEYMAP.find((binding) => binding.command.type === 'help-page' && binding.command.by === 1);
    expect(next?.keys).toContain('j');
    expect(helpFooter(0, 2)).toBe(' ↓ more: j ↓ PgDn Space · page 1 of 2 ');
    expect(helpFooter(1, 3)).toContain('↓ more');
    expect(helpFooter(2, 3)).toMatch(/↑ back: k ↑ PgUp .*page 3 of 3/);
  });

  it('wraps text between words, and cuts only a word longer than the line', () => {
    expect(wrapText('node clusters → nodes → containers', 20)).toEqual(['node clusters →', 'nodes → containers']);
    expect(wrapText('short', 20)).toEqual(['short']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', ' ', '→', '日') }), fc.integer({ min: 2, max: 30 }), (input, width) => {
        const lines = wrapText(input, width);
        for (const line of lines) expect(columnsOf(line)).toBeLessThanOrEqual(width);
        expect(lines.join('').replace(/ /g, '')).toBe(input.replace(/ /g, ''));
      }),
    );
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
