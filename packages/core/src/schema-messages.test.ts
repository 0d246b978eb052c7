import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as classic from 'zod';
import * as mini from 'zod/mini';
import { typeName, withMessages } from './schema-messages.js';

// The same schemas in classic zod (English messages built in) and in zod/mini with our messages.
const pairs: readonly (readonly [string, classic.ZodType, mini.ZodMiniType])[] = [
  ['string', classic.string(), mini.string(withMessages)],
  ['non-empty string', classic.string().min(1), mini.string(withMessages).check(mini.minLength(1))],
  ['number', classic.number(), mini.number(withMessages)],
  ['non-negative integer', classic.number().int().nonnegative(), mini.number(withMessages).check(mini.int(), mini.nonnegative())],
  ['positive integer', classic.number().int().positive(), mini.number(withMessages).check(mini.int(), mini.positive())],
  ['boolean', classic.boolean(), mini.boolean(withMessages)],
  ['enum', classic.enum(['create', 'update', 'delete']), mini.enum(['create', 'update', 'delete'], withMessages)],
  ['literal', classic.literal('error'), mini.literal('error', withMessages)],
  ['starts with', classic.string().startsWith('/api/'), mini.string(withMessages).check(mini.startsWith('/api/'))],
  ['regex', classic.string().regex(/^\d{4}$/), mini.string(withMessages).check(mini.regex(/^\d{4}$/))],
  ['array of strings', classic.array(classic.string()), mini.array(mini.string(withMessages), withMessages)],
  ['nullable string', classic.string().nullable(), mini.nullable(mini.string(withMessages))],
  ['object', classic.object({ a: classic.string(), b: classic.number().optional() }), mini.object({ a: mini.string(withMessages), b: mini.optional(mini.number(withMessages)) }, withMessages)],
];

class Thing {}
const inputs = fc.oneof(
  fc.constantFrom<unknown>(
    undefined, null, true, 0, -1, 1.5, 2 ** 60, Number.NaN, Number.POSITIVE_INFINITY, '', 'x', '2026', '/api/x', 'update', 'error',
    [], ['a', 1], {}, { a: 'x' }, { a: 1, b: 'y' }, new Date(0), 10n, new Thing(), Symbol.for('s'),
  ),
  fc.jsonValue(),
);

/** What zod/mini with our messages says where classic zod says `message`: the value received added to enum and literal mismatches. */
const withReceived = (message: string, input: unknown) =>
  /: Invalid (option|input): expected (one of )?"/.test(message) ? `${message}, received ${typeof input === 'string' ? JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input) : typeName(input)}` : message;

const messages = (result: { success: boolean; error?: { issues: readonly { path: PropertyKey[]; message: string }[] } }) =>
  result.success ? [] : (result.error?.issues ?? []).map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);

describe('withMessages', () => {
  it("words every issue as classic zod's English locale does, for the kinds of schema core uses, plus the value an enum or literal received", () => {
    fc.assert(
      fc.property(fc.constantFrom(...pairs), inputs, ([, theirs, ours], input) => {
        expect(messages(ours.safeParse(input))).toEqual(messages(theirs.safeParse(input)).map((message) => withReceived(message, input)));
      }),
      { numRuns: 2000 },
    );
  });

  it('never leaves a generic "Invalid input" where zod says more', () => {
    expect(messages(mini.number(withMessages).safeParse('1'))).toEqual([': Invalid input: expected number, received string']);
    expect(messages(mini.string(withMessages).check(mini.minLength(1)).safeParse(''))).toEqual([': Too small: expected string to have >=1 characters']);
    expect(messages(mini.enum(['a', 'b'], withMessages).safeParse('c'))).toEqual([': Invalid option: expected one of "a"|"b", received "c"']);
    expect(messages(mini.object({ action: mini.enum(['a', 'b'], withMessages) }, withMessages).safeParse({}))).toEqual(['action: Invalid option: expected one of "a"|"b", received undefined']);
    expect(messages(mini.literal('error', withMessages).safeParse('x'.repeat(50)))).toEqual([`: Invalid input: expected "error", received "${'x'.repeat(40)}…"`]);
  });
});
