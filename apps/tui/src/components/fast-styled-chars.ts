/** A token of @alcalzone/ansi-tokenize, the tokenizer Ink's Output uses. */
export type AnsiToken = { readonly type: 'char'; readonly value: string; readonly fullWidth: boolean } | { readonly type: 'ansi'; readonly code: string; readonly endCode: string };

/** The two functions of @alcalzone/ansi-tokenize that Ink's Output calls for each line. */
export interface AnsiTokenizer {
  tokenize(text: string): AnsiToken[];
  styledCharsFromTokens(tokens: AnsiToken[]): unknown[];
}

// An SGR sequence as Ink's tokenizer reads one (parameters in digits and semicolons, then `m`).
const SGR = /\u001b\[[0-9;]*m/g;
/** Pieces kept between lines; emptied when it passes this many (glyph runs and names recur). */
const PIECE_LIMIT = 4096;
/** The token of each printable ASCII character, made once: styledCharsFromTokens copies tokens, never changes them. */
const ASCII_TOKENS: readonly AnsiToken[] = Array.from({ length: 0x7f }, (_, code) => ({ type: 'char', value: String.fromCharCode(code), fullWidth: false }) as const);

/**
 * `styledCharsFromTokens(tokenize(line))`, the styled characters Ink's Output makes of each line,
 * made faster for the lines a view draws. Ink's tokenizer runs every line through
 * `Intl.Segmenter` to find grapheme clusters, about 2 µs a character, and a frame at 1,000
 * events/s hands it some 1,400 new characters. A line is cut at its SGR sequences, which
 * grapheme clusters never cross (an escape is a control character: clusters break around it);
 * a piece of printable ASCII is one cluster per character, its tokens made directly; any other
 * piece, and each SGR sequence, goes through the tokenizer itself, and is kept (they recur: the
 * same glyphs, the same styles). The rare line this cannot cut exactly (another escape, a piece
 * after an escape that starts by extending the cluster before it) is tokenized whole. The
 * result is the same as the tokenizer's: the Output property test holds it to Ink's own text.
 *
 * @example
 * const styledChars = createStyledChars(await importInkDependency<AnsiTokenizer>('@alcalzone/ansi-tokenize', 'build/index.js'));
 * styledChars('\u001b[32m●\u001b[39m web-1 Running');
 */
export function createStyledChars(tokenizer: AnsiTokenizer): (line: string) => unknown[] {
  const kept = new Map<string, readonly AnsiToken[] | null>();

  /** The tokens of a piece (not an escape), or null when the line must be tokenized whole. */
  function piece(text: string, tokens: AnsiToken[]): boolean {
    let ascii = true;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c > 0x7e) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      for (let i = 0; i < text.length; i++) tokens.push(ASCII_TOKENS[text.charCodeAt(i)] as AnsiToken);
      return true;
    }
    let known = kept.get(text);
    if (known === undefined) {
      known = tokenizePiece(text);
      if (kept.size >= PIECE_LIMIT) kept.clear();
      kept.set(text, known);
    }
    if (known === null) return false;
    for (const token of known) tokens.push(token);
    return true;
  }

  function tokenizePiece(text: string): readonly AnsiToken[] | null {
    if (text.includes('\u001b') || text.includes('\u009b')) return null; // an escape SGR did not match
    // After an ASCII letter (as after the `m` of an escape, or at the start of a line), a piece
    // whose first character joins the cluster before it cannot be cut off: tokenize the line.
    const tokens = tokenizer.tokenize(`x${text}`);
    const first = tokens[0];
    if (first === undefined || first.type !== 'char' || first.value !== 'x') return null;
    return tokens.slice(1);
  }

  return (line) => {
    const tokens: AnsiToken[] = [];
    let at = 0;
    let exact = true;
    for (const match of line.matchAll(SGR)) {
      const index = match.index as number;
      if (index > at && !piece(line.slice(at, index), tokens)) {
        exact = false;
        break;
      }
      const sequence = match[0];
      let known = kept.get(sequence);
      if (known === undefined) {
        known = tokenizer.tokenize(sequence);
        if (kept.size >= PIECE_LIMIT) kept.clear();
        kept.set(sequence, known);
      }
      for (const token of known as readonly AnsiToken[]) tokens.push(token);
      at = index + sequence.length;
    }
    if (exact && at < line.length && !piece(line.slice(at), tokens)) exact = false;
    return tokenizer.styledCharsFromTokens(exact ? tokens : tokenizer.tokenize(line));
  };
}
