// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import { Box } from 'ink';
import { formatKey, HELP_KEYMAP, type HelpSection, helpSections } from '../keymap.js';
import { STATE_KIND_HELP, STATE_LEGEND } from '../state/state-style.js';
import { columnsOf, takeColumns } from '../state/text-width.js';
import { Line, type Segment } from './line.js';

export interface HelpOverlayProps {
  readonly width: number;
  readonly height: number;
  /** A line kept at the bottom (the demo server's URL and key, which the status line shows only at first). */
  readonly notice?: string;
  /** The page shown (from 0), when the help has more than one at this size; clamped to the pages there are. */
  readonly page?: number;
}

/** Columns are never narrower than this (an 80-column terminal gets two). */
const MIN_COLUMN = 38;
/** Space after the keys of an entry. */
const KEYS_GAP = 2;
const LEGEND_TITLE = 'States';

/** Every key, generated from the keymap tables, then the state glyphs. */
export function helpContent(): readonly HelpSection[] {
  const legend: HelpSection = {
    title: LEGEND_TITLE,
    entries: STATE_LEGEND.map((style) => ({ keys: style.glyph, help: STATE_KIND_HELP[style.kind] })),
  };
  return [...helpSections(), legend];
}

/**
 * `text` in lines of at most `width` columns, broken between words (a word longer than a line
 * is cut where the line ends).
 *
 * @example
 * wrapText('node clusters → nodes → containers', 20) // ['node clusters →', 'nodes → containers']
 */
export function wrapText(text: string, width: number): string[] {
  const room = Math.max(1, width);
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(' ')) {
    if (line !== '' && columnsOf(line) + 1 + columnsOf(word) <= room) {
      line += ` ${word}`;
      continue;
    }
    if (line !== '') lines.push(line);
    while (columnsOf(word) > room) {
      const cut = takeColumns(word, room).units;
      lines.push(word.slice(0, cut));
      word = word.slice(cut);
    }
    line = word;
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

/** Lines that stay together in a column: an entry with the continuation of its text (and a section's title with its first entry). */
interface Block {
  readonly lines: Segment[][];
  /** The blank line between sections: left out at the top of a column, and first of all when space is short. */
  readonly spacer: boolean;
}

/** The overlay's blocks for columns `width` wide (the column's padding included). */
function blocksOf(sections: readonly HelpSection[], width: number): Block[] {
  const inner = Math.max(1, width - 1);
  // One column of keys for every section (the glyphs of the legend take less), so that texts line up.
  const keys = sections.filter((section) => section.title !== LEGEND_TITLE).flatMap((section) => section.entries.map((entry) => columnsOf(entry.keys)));
  const keysColumn = Math.max(0, ...keys) + KEYS_GAP;
  const blocks: Block[] = [];
  for (const [s, section] of sections.entries()) {
    if (s > 0) blocks.push({ lines: [[]], spacer: true });
    const legend = section.title === LEGEND_TITLE;
    const keysWidth = legend ? Math.max(...section.entries.map((entry) => columnsOf(entry.keys))) + 1 : keysColumn;
    const title: Segment[] = [{ text: section.title, bold: true, underline: true }];
    for (const [e, entry] of section.entries.entries()) {
      const color = legend ? STATE_LEGEND.find((style) => style.glyph === entry.keys)?.color : 'cyan';
      const [first = '', ...rest] = wrapText(entry.help, inner - keysWidth);
      const lines: Segment[][] = [[{ text: entry.keys + ' '.repeat(keysWidth - columnsOf(entry.keys)), color, bold: true }, { text: first }]];
      for (const more of rest) lines.push([{ text: ' '.repeat(keysWidth) }, { text: more }]);
      blocks.push({ lines: e === 0 ? [title, ...lines] : lines, spacer: false });
    }
  }
  return blocks;
}

/** Pours blocks into columns of `height` lines, top to bottom, a block never split unless it is taller than a column. */
function pour(blocks: readonly Block[], height: number, spacers: boolean): Segment[][][] {
  const columns: Segment[][][] = [];
  let column: Segment[][] = [];
  const close = () => {
    while (column.length > 0 && (column[column.length - 1] as Segment[]).length === 0) column.pop();
    if (column.length > 0) columns.push(column);
    column = [];
  };
  for (const block of blocks) {
    if (block.spacer) {
      if (!spacers || column.length === 0) continue;
      if (column.length + 1 > height) close();
      else column.push([]);
      continue;
    }
    if (column.length > 0 && column.length + block.lines.length > height) close();
    for (const line of block.lines) {
      if (column.length >= height) close();
      column.push(line);
    }
  }
  close();
  return columns;
}

/** How the help is laid out at one size. */
export interface HelpLayout {
  /** Each column's width, its left padding included. */
  readonly columnWidth: number;
  /** Page → column → line (an empty line is blank). */
  readonly pages: readonly (readonly Segment[][])[][];
  /** Lines per column: the room given, less one for the page footer when there is more than one page. */
  readonly rows: number;
}

/**
 * Lays `sections` out in `rows` lines of `width` columns: the fewest columns (the widest, so
 * the least wrapping) that hold everything at once; when no number does, as many columns as fit
 * (at least 38 wide) on as many pages as it takes, one row kept for the footer that says so.
 * Nothing is cut: a help text too long for its column wraps under itself.
 *
 * @example
 * layoutHelp(helpContent(), 80, 17).pages.length // 2: an 80×24 terminal pages through it
 */
export function layoutHelp(sections: readonly HelpSection[], width: number, rows: number): HelpLayout {
  const height = Math.max(1, rows);
  const most = Math.max(1, Math.floor(width / MIN_COLUMN));
  for (let count = 1; count <= most; count++) {
    const columnWidth = Math.floor(width / count);
    const blocks = blocksOf(sections, columnWidth);
    if (pour(blocks, height, true).length > count) continue;
    // It fits: as short as the columns can be, so that they come out even rather than one full and one half empty.
    let low = 1;
    let high = height;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (pour(blocks, mid, true).length <= count) high = mid;
      else low = mid + 1;
    }
    return { columnWidth, pages: [pour(blocks, low, true)], rows: height };
  }
  // Too much for one screen: pages of `most` columns, with a row for the footer.
  const columnWidth = Math.floor(width / most);
  const blocks = blocksOf(sections, columnWidth);
  const paged = Math.max(1, height - 1);
  const spaced = pour(blocks, paged, true);
  const tight = pour(blocks, paged, false);
  // The blank lines between sections go when they would cost a page.
  const columns = Math.ceil(tight.length / most) < Math.ceil(spaced.length / most) ? tight : spaced;
  const pages: Segment[][][][] = [];
  for (let i = 0; i < columns.length; i += most) pages.push(columns.slice(i, i + most));
  return { columnWidth, pages, rows: paged };
}

/** The lines the overlay has for its columns, below its title and above the notice. */
export function helpRows(height: number, notice: boolean): number {
  return Math.max(1, height - 1 - (notice ? 1 : 0));
}

/**
 * How many pages the overlay has at a size (what the help-page command is clamped to).
 *
 * @example
 * helpPageCount(80, 19, true) // 2
 */
export function helpPageCount(width: number, height: number, notice: boolean): number {
  return layoutHelp(helpContent(), width, helpRows(height, notice)).pages.length;
}

/** The keys of a help-page binding, as the footer names them. */
function pageKeys(by: number): string {
  const binding = HELP_KEYMAP.find((b) => b.command.type === 'help-page' && b.command.by === by);
  return (binding?.keys ?? []).slice(0, 4).map(formatKey).join(' ');
}

/** The footer of a paged help: where more is, and the keys that get there. */
export function helpFooter(page: number, pages: number): string {
  const at = `page ${page + 1} of ${pages}`;
  if (page < pages - 1) return ` ↓ more: ${pageKeys(1)} · ${at}${page > 0 ? ` · ↑ ${pageKeys(-1)}` : ''} `;
  return ` ↑ back: ${pageKeys(-1)} · ${at}, the last `;
}

/** Every key, generated from the keymap tables, and the state glyphs; in pages when the terminal is small. */
export function HelpOverlay(props: HelpOverlayProps) {
  const rows = helpRows(props.height, props.notice !== undefined);
  const layout = layoutHelp(helpContent(), props.width, rows);
  const count = layout.pages.length;
  const page = Math.min(count - 1, Math.max(0, props.page ?? 0));
  const columns = layout.pages[page] ?? [];
  const { columnWidth } = layout;
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Line segments={[{ text: ` Help · keys as in k9s/htop · ${formatKey('escape')} ? q or ${formatKey('enter')} closes ` }]} width={props.width} pad inverse bold />
      <Box flexDirection="row" height={layout.rows}>
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
      {count > 1 ? <Line segments={[{ text: helpFooter(page, count), color: 'cyan', bold: true, inverse: true }]} width={props.width} /> : null}
      {props.notice !== undefined ? <Line segments={[{ text: ` ${props.notice}`, dim: true }]} width={props.width} /> : null}
    </Box>
  );
}
