import { describe, expect, it } from 'vitest';
import { allowedMethods, methodNotAllowed, optionsAnswer } from './method-not-allowed.js';

describe('methodNotAllowed and optionsAnswer', () => {
  it('list a resource’s methods and OPTIONS, which every resource answers, once', () => {
    expect(allowedMethods(['GET', 'HEAD'])).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(allowedMethods(['POST', 'OPTIONS'])).toEqual(['POST', 'OPTIONS']);
    expect(methodNotAllowed('PUT', ['GET', 'HEAD'])).toEqual({
      status: 405,
      headers: { Allow: 'GET, HEAD, OPTIONS' },
      detail: 'Method "PUT" not allowed (allowed: GET, HEAD, OPTIONS).',
    });
    expect(optionsAnswer(['POST'])).toEqual({ status: 204, headers: { Allow: 'POST, OPTIONS' } });
  });

  it('quotes the method refused as every echoed value is', () => {
    expect(methodNotAllowed('X"Y', ['GET']).detail).toBe('Method "X\\"Y" not allowed (allowed: GET, OPTIONS).');
  });
});
