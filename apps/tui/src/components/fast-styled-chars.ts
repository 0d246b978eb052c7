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
const isPrintableAscii = (code: number) => code >= 0x20 && code <= 0x7e;
const ASCII_TOKENS: readonly AnsiToken[] = Array.from({ length: 0x7f }, (_, code) => ({ type: 'char', value: String.fromCharCode(code), fullWidth: false }) as const);

/**
 * `styledCharsFromTokens(tokenize(line))`, the styled characters Ink's Output makes of each line,
 * made faster for the lines a view draws. Ink's tokenizer runs every line through
 * `Intl.Segmenter` to find grapheme clusters, about 2 µs a character, and a frame at 1,000
 * events/s hands it some 1,400 new characters. A line is cut at its SGR sequences, which
 * grapheme clusters never cross (an escape is a control character: clusters break around it);
 * printable ASCII is one cluster per character, its tokens made directly; every run of other
 * characters, and each SGR sequence, goes through the tokenizer itself, and is kept (they recur:
 * the same glyphs, the same styles). The rare line this cannot cut exactly (another escape, a
 * run that extends the cluster before it or joins the one after it) is tokenized whole. The
 * result is the same as the tokenizer's: the Output property test holds it to Ink's own text.
 *
 * @example
 * const styledChars = createStyledChars(await importInkDependency<AnsiTokenizer>('@alcalzone/ansi-tokenize', 'build/index.js'));
 * styledChars('\u001b[32m●\u001b[39m web-1 Running');
 */
export function createStyledChars(tokenizer: AnsiTokenizer): (line: string) => unknown[] {
  const kept = new Map<string, readonly AnsiToken[] | null>();

  /**
   * Adds the tokens of a piece (no SGR sequence in it); false when the line must be tokenized
   * whole. Printable ASCII characters are a cluster each: their tokens are made directly. Each
   * run of other characters goes through the tokenizer on its own (and is kept): a whole line of
   * text around one glyph would be segmented, and kept, for the glyph's sake.
   */
  function piece(text: string, tokens: AnsiToken[]): boolean {
    for (let start = 0; start < text.length; ) {
      let end = start;
      while (end < text.length && isPrintableAscii(text.charCodeAt(end))) {
        tokens.push(ASCII_TOKENS[text.charCodeAt(end)] as AnsiToken);
        end++;
      }
      if (end === text.length) return true;
      start = end;
      while (end < text.length && !isPrintableAscii(text.charCodeAt(end))) end++;
      const run = text.slice(start, end);
      let known = kept.get(run);
      if (known === undefined) {
        known = tokenizeRun(run);
        if (kept.size >= PIECE_LIMIT) kept.clear();
        kept.set(run, known);
      }
      if (known === null) return false;
      for (const token of known) tokens.push(token);
      start = end;
    }
    return true;
  }

  /** The tokens of a run without printable ASCII, or null when it cannot be cut from its neighbours. */
  function tokenizeRun(run: string): readonly AnsiToken[] | null {
    if (run.includes('\u001b') || run.includes('\u009b')) return null; // an escape SGR did not match
    // Between ASCII letters (as after the `m` of an escape, at the start of a line, or before
    // the next ASCII character), a run that starts by extending the cluster before it, or ends
    // by joining the next (a prepended mark), cannot be cut off: tokenize the line.
    const tokens = tokenizer.tokenize(`x${run}x`);
    const first = tokens[0];
    const last = tokens[tokens.length - 1];
    if (tokens.length < 2 || first?.type !== 'char' || first.value !== 'x' || last?.type !== 'char' || last.value !== 'x') return null;
    return tokens.slice(1, -1);
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
