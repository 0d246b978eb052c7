import { describe, expect, it } from 'vitest';
import { decodeQueryComponent, encodeQueryComponent, readQuery } from './read-query.js';

describe('query components', () => {
  it('encodes like Go url.QueryEscape / Python quote_plus', () => {
    expect(encodeQueryComponent("a b/c,d+e!'()*~-_.é")).toBe('a+b%2Fc%2Cd%2Be%21%27%28%29%2A~-_.%C3%A9');
    expect(encodeQueryComponent('x\uD800')).toBe('x%EF%BF%BD');
  });

  it('decodes "+" as space and reports malformed input as undefined', () => {
    expect(decodeQueryComponent('a+b%2B%2C')).toBe('a b+,');
    expect(decodeQueryComponent('%zz')).toBeUndefined();
  });

  it('readQuery collects only the wanted keys, in order', () => {
    const result = readQuery('?b=2&a=1&b=3&c=%zz', new Set(['a', 'b']));
    expect(result.ok && [...result.value]).toEqual([
      ['b', ['2', '3']],
      ['a', ['1']],
    ]);
    expect(readQuery('a=%zz', new Set(['a']))).toEqual({ ok: false, error: { key: 'a', raw: '%zz' } });
  });
});
