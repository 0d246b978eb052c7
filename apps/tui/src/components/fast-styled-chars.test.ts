import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AnsiTokenizer, createStyledChars } from './fast-styled-chars.js';
import { importInkDependency } from './import-ink-internal.js';

let tokenizer: AnsiTokenizer;

beforeAll(async () => {
  const loaded = await importInkDependency<AnsiTokenizer>('@alcalzone/ansi-tokenize', 'build/index.js');
  if (loaded === null) throw new Error("Ink's tokenizer was not found");
  tokenizer = loaded;
});

// What lines are made of, the awkward included: SGR sequences of every form the tokenizer reads
// (and some it does not), combining marks after an escape, a prepended mark before ASCII,
// a conjunct across pieces, wide characters, emoji with
// modifiers, flags, OSC links, the C1 CSI, control characters.
const part = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('web', 'api-1', ' ', 'Running', '09:01:33', '2/3', '-', '|', '(x)') },
  { weight: 3, arbitrary: fc.constantFrom('\u001b[32m', '\u001b[39m', '\u001b[1m', '\u001b[22m', '\u001b[2;7m', '\u001b[m', '\u001b[38;5;214m', '\u001b[38;2;1;2;3m', '\u001b[0m') },
  { weight: 3, arbitrary: fc.constantFrom('●', '◐', '→', '─', '…', '漢字', '👍', '👍🏽', '🇫🇷', 'é', 'e\u0301', '\u0301', '\u200d', '\ufe0f', '\u0600', 'क्', 'ष') },
  { weight: 1, arbitrary: fc.constantFrom('\u001b[38:5:1m', '\u001b]8;;https://example.com\u0007', '\u001b]8;;\u0007', '\u009b31m', '\u001b', '\t', '\r\n', '\u007f') },
);
const line = fc.array(part, { maxLength: 14 }).map((parts) => parts.join(''));

describe('createStyledChars', () => {
  it("gives exactly Ink's tokenizer's styled characters, whatever the line (property)", () => {
    const styledChars = createStyledChars(tokenizer);
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), (lines) => {
        // Several lines through one instance: what it keeps between lines must not leak across.
        for (const text of lines) expect(styledChars(text)).toEqual(tokenizer.styledCharsFromTokens(tokenizer.tokenize(text)));
      }),
      { numRuns: 1000 },
    );
  });
});
