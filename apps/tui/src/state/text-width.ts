import stringWidth from 'string-width';

// How wide text is on a terminal, in columns: what every fitted line and column is measured in.

export const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;
// C0 and C1 controls and DEL: data (names, states, messages) must never move the cursor, clear
// the screen or start an escape sequence, and a newline would break the frame's shape.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` with every control character shown as U+FFFD. */
export function printable(text: string): string {
  return PRINTABLE_ASCII.test(text) ? text : text.replace(CONTROL, '\uFFFD');
}

const codePointWidths = new Map<number, number>();

/** Terminal columns of one code point (0 for combining marks, 2 for wide characters), cached. */
function columnsOfCodePoint(codePoint: number): number {
  if (codePoint >= 0x20 && codePoint <= 0x7e) return 1;
  let width = codePointWidths.get(codePoint);
  if (width === undefined) {
    width = stringWidth(String.fromCodePoint(codePoint));
    codePointWidths.set(codePoint, width);
  }
  return width;
}

/**
 * The longest start of `text` that fits in `budget` columns: its length in UTF-16 units and its
 * width. Code points are measured one by one, so a multi-code-point emoji counts as the sum of
 * its parts: never less than the terminal shows, so a line may come out short, never too long.
 */
export function takeColumns(text: string, budget: number): { readonly units: number; readonly columns: number } {
  if (PRINTABLE_ASCII.test(text)) {
    const units = Math.min(text.length, budget);
    return { units, columns: units };
  }
  let units = 0;
  let columns = 0;
  while (units < text.length) {
    const codePoint = text.codePointAt(units) as number;
    const width = columnsOfCodePoint(codePoint);
    if (columns + width > budget) break;
    columns += width;
    units += codePoint > 0xffff ? 2 : 1;
  }
  return { units, columns };
}

/** Terminal columns of `text` (see takeColumns). */
export function columnsOf(text: string): number {
  return takeColumns(text, Number.POSITIVE_INFINITY).columns;
}

