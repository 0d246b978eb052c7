// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import chalk from 'chalk';
import { Text, useIsScreenReaderEnabled } from 'ink';
import { createElement, memo, useContext } from 'react';
import { columnsOf, printable, takeColumns } from '../state/text-width.js';
import { ThemeContext } from './theme.js';

/** A run of text in one style. */
export interface Segment {
  readonly text: string;
  /** An Ink colour name, dropped when colours are off. */
  readonly color?: string | undefined;
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly inverse?: boolean;
  readonly underline?: boolean;
}

/** The style a segment, or a whole line, can carry. */
type Style = Pick<Segment, 'color' | 'bold' | 'dim' | 'inverse' | 'underline'>;

const sameStyle = (a: Style, b: Style) =>
  a.color === b.color && a.bold === b.bold && a.dim === b.dim && a.inverse === b.inverse && a.underline === b.underline;

/**
 * Cuts segments to `width` terminal columns (the last visible column becomes `…` when text is
 * lost), pads with spaces to exactly `width` when `pad`, merges neighbours of the same style and
 * shows control characters as U+FFFD.
 *
 * @example
 * fitSegments([{ text: 'stack ' }, { text: 'web', bold: true }], 8) // [{ text: 'stack ' }, { text: 'w…', bold: true }]
 */
export function fitSegments(segments: readonly Segment[], width: number, pad = false): Segment[] {
  const out: Segment[] = [];
  if (width <= 0) return out;
  const texts = segments.map((segment) => printable(segment.text));
  let total = 0;
  for (const text of texts) total += columnsOf(text);
  const cut = total > width;
  // When text is lost, the last column shows `…` in the style of the text it replaces.
  const budget = cut ? width - 1 : width;
  let used = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment;
    const full = texts[i] as string;
    if (full === '') continue;
    const taken = takeColumns(full, budget - used);
    if (taken.units === 0) break;
    const text = taken.units === full.length ? full : full.slice(0, taken.units);
    used += taken.columns;
    const last = out[out.length - 1];
    if (last !== undefined && sameStyle(last, segment)) out[out.length - 1] = { ...last, text: last.text + text };
    else out.push({ ...segment, text });
    if (taken.units < full.length) break;
  }
  if (cut) {
    const last = out[out.length - 1];
    if (last !== undefined) out[out.length - 1] = { ...last, text: `${last.text}…` };
    else out.push({ text: '…' });
    used++;
  }
  if (pad && used < width) out.push({ text: ' '.repeat(width - used) });
  return out;
}

/** `text` styled as Ink's `<Text>` styles it: the same chalk calls, in the same order. */
function applyStyle(text: string, style: Style, color: boolean): string {
  let out = text;
  if (style.dim) out = chalk.dim(out);
  if (color && style.color !== undefined && style.color in chalk) {
    const paint = chalk[style.color as keyof typeof chalk];
    if (typeof paint === 'function') out = (paint as (text: string) => string)(out);
  }
  if (style.bold) out = chalk.bold(out);
  if (style.underline) out = chalk.underline(out);
  if (style.inverse) out = chalk.inverse(out);
  return out;
}

/**
 * One fitted line as the terminal shows it: the styled text, its width in columns and its
 * plain text (for screen readers).
 */
export function drawLine(
  segments: readonly Segment[],
  width: number,
  line: Pick<LineProps, 'pad' | 'inverse' | 'dim' | 'bold'>,
  colors: boolean,
): { styled: string; columns: number; plain: string } {
  let styled = '';
  let plain = '';
  let columns = 0;
  for (const segment of fitSegments(segments, width, line.pad ?? false)) {
    styled += applyStyle(segment.text, segment, colors);
    plain += segment.text;
    columns += columnsOf(segment.text);
  }
  return { styled: applyStyle(styled, line, colors), columns, plain };
}

const blanks: string[] = [];
/** `n` spaces: one string per width, so Ink measures each width once, ever. */
function blank(n: number): string {
  blanks[n] ??= ' '.repeat(n);
  return blanks[n] as string;
}

export interface LineProps {
  readonly segments: readonly Segment[];
  readonly width: number;
  /** Pad to the full width (so an inverse line is a full bar). */
  readonly pad?: boolean;
  readonly inverse?: boolean;
  readonly dim?: boolean;
  readonly bold?: boolean;
}

/**
 * Ink's own text element, as `<Text wrap="truncate">` makes it: a blank wider than the room Ink
 * gives it is cut to one line, never wrapped onto two. (That happens for one frame when the
 * terminal shrinks: Ink redraws the old tree at the new width before the view hears of it.)
 */
const TEXT_STYLE = Object.freeze({ flexGrow: 0, flexShrink: 1, flexDirection: 'row', textWrap: 'truncate' });

/**
 * One terminal line, fitted to its width before Ink sees it: Ink then never wraps, and never
 * truncates a line's text (its truncation is slow and caches every string it ever cut), and the
 * frame keeps its exact shape.
 *
 * Ink lays out a blank of the line's width, and a transform (what Ink's `<Transform>` does) puts
 * the styled line in its place when the frame is drawn. Ink measures every text node with
 * string-width on every frame, whose fast path takes printable ASCII only: one glyph (every row
 * has a state glyph) sends a 120-column line through the grapheme segmenter, ~70 µs, twice a
 * frame. A blank line is measured at once, is the same string frame after frame (Ink's
 * never-emptied text caches see a few widths, not every line drawn), and is one node whatever
 * its styles. When Ink had to cut the blank, the line is drawn again for the width left.
 */
export const Line = memo(function Line(props: LineProps) {
  const { color } = useContext(ThemeContext);
  const screenReader = useIsScreenReaderEnabled();
  const line = drawLine(props.segments, props.width, props, color);
  // A screen reader reads what Ink lays out: the words, not a blank.
  if (screenReader) return <Text>{line.plain}</Text>;
  const transform = (laidOut: string, index: number): string => {
    if (index > 0) return '';
    return laidOut.length >= line.columns ? line.styled : drawLine(props.segments, laidOut.length, props, color).styled;
  };
  return createElement('ink-text', { style: TEXT_STYLE, internal_transform: transform }, blank(line.columns));
}, sameLine);

function sameLine(a: LineProps, b: LineProps): boolean {
  if (a.width !== b.width || a.pad !== b.pad || a.inverse !== b.inverse || a.dim !== b.dim || a.bold !== b.bold) return false;
  if (a.segments === b.segments) return true;
  if (a.segments.length !== b.segments.length) return false;
  for (let i = 0; i < a.segments.length; i++) {
    const x = a.segments[i] as Segment;
    const y = b.segments[i] as Segment;
    if (x.text !== y.text || !sameStyle(x, y)) return false;
  }
  return true;
}
