import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Segment, splitRuns } from './line.js';

const ascii = (text: string) => /^[\u0020-\u007e]*$/.test(text);

const segment = fc.record({
  text: fc.string({ unit: fc.constantFrom('a', 'b', ' ', '-', '●', '▌', '…', '→', '─'), maxLength: 12 }),
  color: fc.option(fc.constantFrom('red', 'green'), { nil: undefined }),
  bold: fc.boolean(),
});

describe('splitRuns', () => {
  it('cuts where ASCII meets glyphs, keeping each part in the style of its segment', () => {
    expect(splitRuns([{ text: ' ● web', color: 'green' }, { text: ' up' }])).toEqual([
      [{ text: ' ', color: 'green' }],
      [{ text: '●', color: 'green' }],
      [{ text: ' web', color: 'green' }, { text: ' up' }],
    ]);
    expect(splitRuns([])).toEqual([]);
  });

  it('keeps every character, in order and style, and alternates ASCII runs with glyph runs', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (segments: Segment[]) => {
        const runs = splitRuns(segments);
        const parts = runs.flat();
        expect(parts.map((part) => part.text).join('')).toBe(segments.map((s) => s.text).join(''));
        for (const part of parts) {
          expect(part.text).not.toBe('');
          expect(segments.some((s) => s.color === part.color && s.bold === part.bold && s.text.includes(part.text))).toBe(true);
        }
        runs.forEach((run, i) => {
          const text = run.map((part) => part.text).join('');
          const kind = ascii(text);
          // A run is all ASCII or has none, and its neighbour is of the other kind.
          expect(kind || [...text].every((char) => !ascii(char))).toBe(true);
          if (i > 0) expect(ascii(runs[i - 1]?.map((part) => part.text).join('') ?? '')).toBe(!kind);
        });
      }),
    );
  });
});
