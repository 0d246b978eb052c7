import { EventsError } from '@events/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOptions, describeRule, keepsRule, type NumberRule, OPTION_RULES, optionalNumber, optionalOfType, required } from './check-options.js';

const SCHEMA = {
  port: optionalNumber(OPTION_RULES.port),
  name: required(optionalOfType('string', 'a string'), 'a name such as "alice"'),
  retention: { nested: { count: optionalNumber(OPTION_RULES.retentionCount) }, nearMisses: { size: 'count' } },
};
const check = (options: unknown) => checkOptions(options, SCHEMA, { what: 'thing', prefix: 'thing: ', expected: '{ name }', nearMisses: { address: 'port' } });
const messageOf = (options: unknown): string | undefined => {
  try {
    check(options);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(EventsError);
    expect((error as EventsError).code).toBe('invalid-config');
    return (error as EventsError).message;
  }
};

describe('checkOptions', () => {
  it('accepts what the schema takes, an option set to undefined as left out', () => {
    expect(messageOf({ name: 'a' })).toBeUndefined();
    expect(messageOf({ name: 'a', port: 0, retention: { count: 5 } })).toBeUndefined();
    expect(messageOf({ name: 'a', port: undefined, retention: undefined })).toBeUndefined();
  });

  it.each([
    [undefined, 'thing: options must be { name }, got undefined'],
    [[], 'thing: options must be { name }, got an array'],
    [{}, 'thing: name is required: a name such as "alice"'],
    [{ name: 1 }, 'thing: name must be a string, got number 1'],
    [{ name: 'a', prot: 1 }, 'thing: unknown option "prot" (did you mean "port"?); thing takes port, name, retention'],
    [{ name: 'a', address: 1 }, 'thing: unknown option "address" (did you mean "port"?); thing takes port, name, retention'],
    [{ name: 'a', port: 1.5 }, 'thing: port must be a whole number from 0 to 65535, got number 1.5'],
    [{ name: 'a', retention: [] }, 'thing: retention must be an object with count, got an array'],
    [{ name: 'a', retention: { size: 1 } }, 'thing: retention: unknown option "size" (did you mean "count"?); retention takes count'],
    // A key is cut as every echoed value is.
    [{ name: 'a', ['k'.repeat(500)]: 1 }, `thing: unknown option "${'k'.repeat(99)}…"; thing takes port, name, retention`],
    [{ name: 'a', retention: { count: '5' } }, 'thing: retention.count must be a whole number of events from 0 to 10000000, got the string "5"'],
  ])('refuses %j: %s', (options, message) => {
    expect(messageOf(options)).toBe(message);
  });

  it('refuses any non-object with an EventsError, never a TypeError', () => {
    fc.assert(
      fc.property(fc.anything(), (options) => {
        const message = messageOf(options);
        const fine = typeof options === 'object' && options !== null && !Array.isArray(options) && typeof (options as { name?: unknown }).name === 'string';
        if (!fine) expect(message).toBeDefined();
      }),
    );
  });
});

describe('number rules', () => {
  it('describe themselves', () => {
    expect(describeRule(OPTION_RULES.port)).toBe('a whole number from 0 to 65535');
    expect(describeRule(OPTION_RULES.rate)).toBe('a number of events per second from 0 to 100000');
    expect(describeRule(OPTION_RULES.retentionAgeMs)).toBe('a number of milliseconds ≥ 0');
    expect(describeRule({ min: 0, exclusiveMin: true, max: 10, whole: false })).toBe('a number > 0 and ≤ 10');
  });

  it('keep exactly the finite numbers within their range, whole when they must be', () => {
    const rule: NumberRule = { min: -5, max: 5, whole: true };
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer({ min: -10, max: 10 })), (n) => {
        expect(keepsRule(n, rule)).toBe(Number.isInteger(n) && n >= -5 && n <= 5);
        expect(keepsRule(n, { ...rule, whole: false, exclusiveMin: true })).toBe(Number.isFinite(n) && n > -5 && n <= 5);
      }),
    );
  });
});
