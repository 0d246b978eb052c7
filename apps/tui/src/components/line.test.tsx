// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import chalk from 'chalk';
import fc from 'fast-check';
import { Box, Text } from 'ink';
import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnsOf, printable } from '../state/text-width.js';
import { drawLine, fitSegments, Line, type LineProps } from './line.js';
import { ThemeContext } from './theme.js';

// What the UI prints: ASCII, its glyphs (one column each), and what names may hold.
const narrow = fc.constantFrom('a', 'b', ' ', '-', '●', '▌', '…', '→', '─', '▸', '✖', '⊘');
const anyText = fc.constantFrom('a', ' ', '●', 'ウ', '界', 'e\u0301', '\u0007', '\u001b[2J', '\n', '\u009b', '😀', '👩‍👩‍👧');
const style = {
  color: fc.option(fc.constantFrom('red', 'green', 'gray', 'cyan'), { nil: undefined }),
  bold: fc.option(fc.boolean(), { nil: undefined }),
  dim: fc.option(fc.boolean(), { nil: undefined }),
  inverse: fc.option(fc.boolean(), { nil: undefined }),
  underline: fc.option(fc.boolean(), { nil: undefined }),
};
const segments = (unit: fc.Arbitrary<string>) => fc.array(fc.record({ text: fc.string({ unit, maxLength: 14 }), ...style }), { maxLength: 6 });
const lineStyle = fc.record({ pad: fc.boolean(), inverse: fc.boolean(), dim: fc.boolean(), bold: fc.boolean() });

describe('fitSegments', () => {
  it('counts terminal columns: wide characters take two, combining marks none', () => {
    expect(fitSegments([{ text: 'ウェブ' }], 5)).toEqual([{ text: 'ウェ…' }]);
    expect(fitSegments([{ text: 'ウェブ' }], 6)).toEqual([{ text: 'ウェブ' }]);
    expect(fitSegments([{ text: 'cafe\u0301!' }], 5)).toEqual([{ text: 'cafe\u0301!' }]);
    expect(fitSegments([{ text: 'ab' }, { text: 'ウ', bold: true }], 4, true)).toEqual([{ text: 'ab' }, { text: 'ウ', bold: true }]);
  });

  it('shows control characters as U+FFFD, so data cannot move the cursor or break a line', () => {
    expect(printable('a\u001b[2Jb\nc\u009bd\u007f')).toBe('a\uFFFD[2Jb\uFFFDc\uFFFDd\uFFFD');
    expect(fitSegments([{ text: 'web\r\n1' }], 10)).toEqual([{ text: 'web\uFFFD\uFFFD1' }]);
  });

  it('never goes past the width, fills it when padding, and keeps the text it has room for', () => {
    fc.assert(
      fc.property(segments(anyText), fc.integer({ min: 0, max: 40 }), fc.boolean(), (input, width, pad) => {
        const fitted = fitSegments(input, width, pad);
        const text = fitted.map((s) => s.text).join('');
        const columns = columnsOf(text);
        expect(columns).toBeLessThanOrEqual(width);
        // What a terminal shows is never wider than what was counted.
        expect(stringWidth(text)).toBeLessThanOrEqual(columns);
        expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        const whole = input.map((s) => printable(s.text)).join('');
        if (columnsOf(whole) <= width) expect(text.startsWith(whole)).toBe(true);
        else if (width > 0) expect(text.replace(/ +$/, '').endsWith('…')).toBe(true); // then padding
        if (pad && width > 0) expect(columns).toBeGreaterThanOrEqual(width - 1); // a wide character may leave one column
      }),
    );
  });
});

describe('Line', () => {
  // Colours on, as in a terminal (tests run without one); chalk is the instance Ink styles with.
  let level: typeof chalk.level;
  beforeAll(() => {
    level = chalk.level;
    chalk.level = 1;
  });
  afterAll(() => {
    chalk.level = level;
  });

  /** What Ink draws for the line as nested `<Text>`s: how lines were drawn before the blank-layout trick. */
  function reference(props: LineProps, colors: boolean) {
    const fitted = fitSegments(props.segments, props.width, props.pad ?? false);
    return (
      <Text wrap="truncate" inverse={props.inverse} dimColor={props.dim} bold={props.bold}>
        {fitted.map((segment, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: test fixture
          <Text key={i} color={colors ? segment.color : undefined} bold={segment.bold} dimColor={segment.dim} inverse={segment.inverse} underline={segment.underline}>
            {segment.text}
          </Text>
        ))}
      </Text>
    );
  }

  it('draws exactly what nested Ink texts draw, styles included', () => {
    fc.assert(
      fc.property(segments(narrow), lineStyle, fc.integer({ min: 1, max: 30 }), fc.boolean(), (input, line, width, colors) => {
        const props: LineProps = { segments: input, width, ...line };
        const ours = render(
          <ThemeContext.Provider value={{ color: colors }}>
            <Line {...props} />
          </ThemeContext.Provider>,
        );
        const theirs = render(reference(props, colors));
        expect(ours.lastFrame()).toBe(theirs.lastFrame());
        ours.unmount();
        theirs.unmount();
      }),
      { numRuns: 200 },
    );
  });

  it('gives Ink a blank of the line width to lay out, the same string for every line of that width', () => {
    const a = drawLine([{ text: ' ● web', color: 'green' }], 20, { pad: true }, true);
    const b = drawLine([{ text: ' ✖ db', color: 'red' }], 20, { pad: true }, true);
    expect(a.columns).toBe(20);
    expect(b.columns).toBe(20);
    expect(a.plain).toBe(` ● web${' '.repeat(14)}`);
    expect(a.styled).toContain('\u001b[32m ● web\u001b[39m');
  });

  it('keeps to one row, cut with an ellipsis, when Ink gives it less room than its width (a shrinking terminal)', () => {
    const view = render(
      <Box flexDirection="column" width={10}>
        <Line segments={[{ text: 'abcdefghijklmnop' }]} width={16} />
        <Line segments={[{ text: '● x', color: 'green' }]} width={16} pad />
      </Box>,
    );
    expect(view.lastFrame()).toBe(`abcdefghi…\n\u001b[32m● x\u001b[39m`);
    view.unmount();
  });

  it('shows the words, not a blank, to a screen reader', () => {
    // Ink reads INK_SCREEN_READER when an instance is made.
    process.env.INK_SCREEN_READER = 'true';
    try {
      const view = render(<Line segments={[{ text: '● web', color: 'green' }]} width={10} />);
      expect(view.lastFrame()).toContain('● web');
      view.unmount();
    } finally {
      delete process.env.INK_SCREEN_READER;
    }
  });
});
