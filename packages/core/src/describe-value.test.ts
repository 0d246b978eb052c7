import { describe, expect, it } from 'vitest';
import { describeValue } from './describe-value.js';

describe('describeValue', () => {
  it('names a value by kind, a string and a number by value too', () => {
    expect([describeValue('x'), describeValue(5), describeValue(null), describeValue([]), describeValue({}), describeValue(new Map()), describeValue(() => 1), describeValue(Object.create(null)), describeValue(new URL('http://h/')), describeValue(10n)]).toEqual([
      'the string "x"',
      'number 5',
      'null',
      'an array',
      'an object',
      'a Map',
      'a function',
      'an object',
      'a URL',
      'bigint 10',
    ]);
    expect(describeValue('v'.repeat(500))).toBe(`the string "${'v'.repeat(57)}..."`);
  });
});
