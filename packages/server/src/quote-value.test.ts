import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ECHO_LENGTH, quoteValue, shortenQuotedValues, truncateValue } from './quote-value.js';

const isWellFormed = (text: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

describe('truncateValue', () => {
  it('keeps a short value and cuts a long one to MAX_ECHO_LENGTH, ending in …', () => {
    expect(truncateValue('container')).toBe('container');
    expect(truncateValue('x'.repeat(MAX_ECHO_LENGTH))).toBe('x'.repeat(MAX_ECHO_LENGTH));
    const cut = truncateValue('x'.repeat(6000));
    expect(cut).toBe(`${'x'.repeat(MAX_ECHO_LENGTH - 1)}…`);
  });

  it('never splits a surrogate pair', () => {
    const emoji = '😀'.repeat(200);
    const cut = truncateValue(emoji);
    expect(isWellFormed(cut)).toBe(true);
    expect(cut.endsWith('😀…')).toBe(true);
  });

  it('is a bounded, well-formed prefix of its input, and idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.integer({ min: 2, max: 300 }), (value, max) => {
        const cut = truncateValue(value, max);
        expect(cut.length).toBeLessThanOrEqual(Math.max(max, 0));
        if (value.length <= max) expect(cut).toBe(value);
        else {
          expect(cut.endsWith('…')).toBe(true);
          expect(value.startsWith(cut.slice(0, -1))).toBe(true);
          expect(cut.length).toBeGreaterThanOrEqual(max - 1);
        }
        expect(isWellFormed(cut)).toBe(true);
        expect(truncateValue(cut, max)).toBe(cut);
      }),
    );
  });
});

describe('quoteValue', () => {
  it('quotes strings as JSON, cut before quoting, and shows other values as JSON', () => {
    expect(quoteValue('volume')).toBe('"volume"');
    expect(quoteValue('a"b\n')).toBe('"a\\"b\\n"');
    expect(quoteValue('v'.repeat(5000))).toBe(`"${'v'.repeat(MAX_ECHO_LENGTH - 1)}…"`);
    expect(quoteValue(-1)).toBe('-1');
    expect(quoteValue({ n: 'x'.repeat(500) })).toHaveLength(MAX_ECHO_LENGTH);
    expect(quoteValue(undefined)).toBe('undefined');
  });

  it('always gives a JSON string literal for a string, whatever it holds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (value) => {
        const quoted = quoteValue(value);
        const back = JSON.parse(quoted) as string;
        expect(back).toBe(truncateValue(value));
      }),
    );
  });
});

describe('shortenQuotedValues', () => {
  it('cuts only the long quoted values of a message made elsewhere, and leaves the rest of it as it was', () => {
    const message = `unknown event type ${JSON.stringify('v'.repeat(5000))} in filter "type"; expected one of stack, service`;
    expect(shortenQuotedValues(message)).toBe(`unknown event type "${'v'.repeat(MAX_ECHO_LENGTH - 1)}…" in filter "type"; expected one of stack, service`);
    const short = 'invalid stream position "abc": expected <epoch>:<sequence>';
    expect(shortenQuotedValues(short)).toBe(short);
  });

  it('keeps every message whose quoted values are short, and bounds every quoted value of one made with JSON.stringify', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 30 }).map((s) => s.replace(/"/g, '')), fc.string({ maxLength: 400 })), { maxLength: 5 }), (parts) => {
        const message = parts.map(([text, value]) => `${text} ${JSON.stringify(value)}`).join('; ');
        const shortened = shortenQuotedValues(message);
        expect(shortened).toBe(parts.map(([text, value]) => `${text} ${quoteValue(value)}`).join('; '));
        if (parts.every(([, value]) => value.length <= MAX_ECHO_LENGTH)) expect(shortened).toBe(message);
        expect(shortenQuotedValues(shortened)).toBe(shortened);
      }),
    );
  });
});
