import { describe, expect, it } from 'vitest';
import { formatResourceUri, parseResourceUri } from './resource-uri.js';

describe('parseResourceUri', () => {
  it('parses a namespaced container URI and formats it back', () => {
    const uri = '/api/app/v1/acme/container/0b0e3538-88df-4f07-9aed-3a3cc4175076/';
    const parsed = parseResourceUri(uri);
    expect(parsed.ok && parsed.value).toMatchObject({ api: 'app', namespace: 'acme', type: 'container' });
    expect(parsed.ok && formatResourceUri(parsed.value)).toBe(uri);
  });
});
