import type { TerminalSize } from './use-terminal-size.js';

/** Below this the view cannot say anything useful: it shows "terminal too small" instead. */
export const MIN_SIZE: TerminalSize = { columns: 60, rows: 16 };

/** The side-by-side detail pane needs this many columns in all. */
const WIDE = 100;

export type Layout =
  | { readonly kind: 'too-small'; readonly size: TerminalSize; readonly frameRows: number }
  | {
      readonly kind: 'wide' | 'narrow';
      readonly size: TerminalSize;
      /** One row less than the terminal: a frame as tall as the terminal makes Ink clear the screen on every frame. */
      readonly frameRows: number;
      readonly headerRows: number;
      /** Tree rows (without its column header). */
      readonly treeRows: number;
      readonly treeWidth: number;
      /** Wide: the pane right of the tree (rows = treeRows + 1); narrow: left half of the bottom pane. */
      readonly detailWidth: number;
      readonly detailRows: number;
      readonly eventsWidth: number;
      /** Event lines (without the pane's title). */
      readonly eventsRows: number;
    };

/**
 * Where everything goes for a terminal size. Wide terminals put the detail pane beside the tree
 * and the events below both; narrow ones put detail and events side by side under the tree.
 * Every height is fixed so that the frame is exactly `rows - 1` tall.
 *
 * @example
 * layoutOf({ columns: 120, rows: 40 }) // { kind: 'wide', frameRows: 39, treeRows: 23, ... }
 */
export function layoutOf(size: TerminalSize): Layout {
  const frameRows = Math.max(1, size.rows - 1);
  if (size.columns < MIN_SIZE.columns || size.rows < MIN_SIZE.rows) return { kind: 'too-small', size, frameRows };
  const headerRows = 3; // title + connection, counts, tabs
  const statusRows = 1;
  const body = frameRows - headerRows - statusRows;
  if (size.columns >= WIDE) {
    const eventsRows = Math.min(10, Math.max(3, Math.floor(size.rows / 5)));
    const treeRows = body - 1 - (eventsRows + 1); // column header, events title
    // Up to 72 columns: a resource URI with a uuid (~64 characters) fits once the terminal is wide enough.
    const detailWidth = Math.min(72, Math.floor(size.columns * 0.38));
    return {
      kind: 'wide',
      size,
      frameRows,
      headerRows,
      treeRows,
      treeWidth: size.columns - detailWidth,
      detailWidth,
      detailRows: treeRows + 1,
      eventsWidth: size.columns,
      eventsRows,
    };
  }
  const bottom = Math.min(12, Math.max(5, Math.floor(body * 0.42)));
  const treeRows = body - 1 - bottom;
  const detailWidth = Math.floor(size.columns / 2);
  return {
    kind: 'narrow',
    size,
    frameRows,
    headerRows,
    treeRows,
    treeWidth: size.columns,
    detailWidth,
    detailRows: bottom,
    eventsWidth: size.columns - detailWidth,
    eventsRows: bottom - 1,
  };
}
