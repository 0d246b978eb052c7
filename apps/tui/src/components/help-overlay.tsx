// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import { Box } from 'ink';
import { formatKey, type HelpSection, helpSections } from '../keymap.js';
import { STATE_KIND_HELP, STATE_LEGEND } from '../state/state-style.js';
import { Line, type Segment } from './line.js';

export interface HelpOverlayProps {
  readonly width: number;
  readonly height: number;
  /** A line kept at the bottom (the demo server's URL and key, which the status line shows only at first). */
  readonly notice?: string;
}

const KEYS_WIDTH = 14;
const MIN_COLUMN = 38;

/** The overlay's lines, section after section, each section ended by a blank line. */
export function helpLines(sections: readonly HelpSection[]): Segment[][] {
  const lines: Segment[][] = [];
  for (const section of sections) {
    lines.push([{ text: section.title, bold: true, underline: true }]);
    const legend = section.title === 'States';
    for (const entry of section.entries) {
      const color = legend ? STATE_LEGEND.find((style) => style.glyph === entry.keys)?.color : 'cyan';
      lines.push([{ text: entry.keys.padEnd(legend ? 2 : KEYS_WIDTH), color, bold: true }, { text: entry.help }]);
    }
    lines.push([]);
  }
  while (lines.length > 0 && (lines[lines.length - 1] as Segment[]).length === 0) lines.pop();
  return lines;
}

/**
 * Pours lines into `count` columns of `height` lines, top to bottom then left to right. What
 * does not fit is cut, and the last line says so.
 */
export function pourColumns(lines: readonly Segment[][], count: number, height: number): Segment[][][] {
  const room = Math.max(1, count) * Math.max(1, height);
  // Blank lines between sections go first when space is short.
  let shown = lines.length > room ? lines.filter((line) => line.length > 0) : lines;
  if (shown.length > room) shown = [...shown.slice(0, room - 1), [{ text: '… more in a bigger terminal', dim: true }]];
  const columns: Segment[][][] = [];
  for (let i = 0; i < shown.length; i += height) columns.push(shown.slice(i, i + height));
  return columns;
}

/** Every key, generated from the keymap tables, and the state glyphs. */
export function HelpOverlay(props: HelpOverlayProps) {
  const legend: HelpSection = {
    title: 'States',
    entries: STATE_LEGEND.map((style) => ({ keys: style.glyph, help: STATE_KIND_HELP[style.kind] })),
  };
  const rows = Math.max(1, props.height - 1 - (props.notice !== undefined ? 1 : 0));
  const count = Math.max(1, Math.floor(props.width / MIN_COLUMN));
  const columns = pourColumns(helpLines([...helpSections(), legend]), count, rows);
  const columnWidth = Math.floor(props.width / Math.max(1, columns.length));
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Line segments={[{ text: ` Help · keys as in k9s/htop · ${formatKey('escape')} ? q or ${formatKey('enter')} closes ` }]} width={props.width} pad inverse bold />
      <Box flexDirection="row" height={rows}>
        {columns.map((lines, c) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: columns have no identity beyond their place
          <Box key={c} flexDirection="column" width={columnWidth} paddingLeft={1}>
            {lines.map((segments, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: lines have no identity beyond their place
              <Line key={i} segments={segments.length === 0 ? [{ text: ' ' }] : segments} width={columnWidth - 1} />
            ))}
          </Box>
        ))}
      </Box>
      {props.notice !== undefined ? <Line segments={[{ text: ` ${props.notice}`, dim: true }]} width={props.width} /> : null}
    </Box>
  );
}
