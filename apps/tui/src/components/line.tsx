// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import { Box, Text } from 'ink';
import { memo, useContext } from 'react';
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

const sameStyle = (a: Segment, b: Segment) =>
  a.color === b.color && a.bold === b.bold && a.dim === b.dim && a.inverse === b.inverse && a.underline === b.underline;

/**
 * Cuts segments to `width` columns (the last visible character becomes `…` when text is lost),
 * pads with spaces to exactly `width` when `pad`, and merges neighbours of the same style.
 * Counts UTF-16 units: every glyph this UI prints is one column wide.
 *
 * @example
 * fitSegments([{ text: 'stack ' }, { text: 'web', bold: true }], 8) // [{ text: 'stack ' }, { text: 'we', bold: true }]
 */
export function fitSegments(segments: readonly Segment[], width: number, pad = false): Segment[] {
  const out: Segment[] = [];
  if (width <= 0) return out;
  let total = 0;
  for (const segment of segments) total += segment.text.length;
  const cut = total > width;
  // When text is lost, the last column shows `…` in the style of the text it replaces.
  const budget = cut ? width - 1 : width;
  let used = 0;
  for (const segment of segments) {
    if (used >= budget) break;
    if (segment.text === '') continue;
    const text = segment.text.slice(0, budget - used);
    used += text.length;
    const last = out[out.length - 1];
    if (last !== undefined && sameStyle(last, segment)) out[out.length - 1] = { ...last, text: last.text + text };
    else out.push({ ...segment, text });
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

export interface LineProps {
  readonly segments: readonly Segment[];
  readonly width: number;
  /** Pad to the full width (so an inverse line is a full bar). */
  readonly pad?: boolean;
  readonly inverse?: boolean;
  readonly dim?: boolean;
  readonly bold?: boolean;
}

const isPrintableAscii = (code: number) => code >= 0x20 && code <= 0x7e;

/**
 * Cuts fitted segments where printable ASCII meets other characters. Ink measures every text
 * node on every frame with string-width, whose fast path takes printable ASCII only: one glyph
 * sends a whole 120-column line through the grapheme segmenter. Split, only the glyphs do.
 *
 * @example
 * splitRuns([{ text: ' ● web', color: 'green' }]) // [[{ text: ' ', color: 'green' }], [{ text: '●', color: 'green' }], [{ text: ' web', color: 'green' }]]
 */
export function splitRuns(segments: readonly Segment[]): Segment[][] {
  const runs: Segment[][] = [];
  let ascii: boolean | null = null;
  for (const segment of segments) {
    const { text } = segment;
    // A scan by character codes: this runs for every changed line of every frame.
    for (let start = 0; start < text.length; ) {
      const isAscii = isPrintableAscii(text.charCodeAt(start));
      let end = start + 1;
      while (end < text.length && isPrintableAscii(text.charCodeAt(end)) === isAscii) end++;
      const part = start === 0 && end === text.length ? segment : { ...segment, text: text.slice(start, end) };
      if (isAscii === ascii) (runs[runs.length - 1] as Segment[]).push(part);
      else runs.push([part]);
      ascii = isAscii;
      start = end;
    }
  }
  return runs;
}

function styled(segments: readonly Segment[], color: boolean) {
  return segments.map((segment, i) => {
    const plain = segment.color === undefined && !segment.bold && !segment.dim && !segment.inverse && !segment.underline;
    if (plain) return segment.text;
    return (
      <Text
        // biome-ignore lint/suspicious/noArrayIndexKey: segments have no identity beyond their place
        key={i}
        color={color ? segment.color : undefined}
        bold={segment.bold}
        dimColor={segment.dim}
        inverse={segment.inverse}
        underline={segment.underline}
      >
        {segment.text}
      </Text>
    );
  });
}

/**
 * One terminal line, fitted to its width before Ink sees it: Ink then never wraps or truncates
 * (its truncation is slow and caches every string it ever cut, which grows without end on a
 * live view), and the frame keeps its exact shape. A line that mixes ASCII and glyphs is a row
 * of one text node per run (see splitRuns); each run carries the line's own style, so every
 * cell is drawn as before.
 */
export const Line = memo(function Line(props: LineProps) {
  const { color } = useContext(ThemeContext);
  const runs = splitRuns(fitSegments(props.segments, props.width, props.pad ?? false));
  if (runs.length <= 1) {
    return (
      <Text wrap="truncate" inverse={props.inverse} dimColor={props.dim} bold={props.bold}>
        {styled(runs[0] ?? [], color)}
      </Text>
    );
  }
  return (
    <Box flexDirection="row">
      {runs.map((run, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: runs have no identity beyond their place
        <Text key={i} wrap="truncate" inverse={props.inverse} dimColor={props.dim} bold={props.bold}>
          {styled(run, color)}
        </Text>
      ))}
    </Box>
  );
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
