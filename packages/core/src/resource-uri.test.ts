import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OBJECT_TYPES } from './object-types.js';
import { formatResourceUri, parseResourceUri, resourceUriFor, typeOfUri, uuidOfUri } from './resource-uri.js';

const segment = fc.stringMatching(/^[A-Za-z0-9_.~-]{1,40}$/);
const anyUri = fc.record({
  api: fc.constantFrom('app' as const, 'infra' as const, 'audit' as const),
  namespace: fc.option(segment, { nil: null }),
  type: fc.constantFrom(...OBJECT_TYPES),
  uuid: segment,
  trailingSlash: fc.boolean(),
});

describe('parseResourceUri', () => {
  it('parses a namespaced container URI', () => {
    const parsed = parseResourceUri('/api/app/v1/acme/container/0b0e3538-88df-4f07-9aed-3a3cc4175076/');
    expect(parsed).toEqual({
      ok: true,
      value: { api: 'app', namespace: 'acme', type: 'container', uuid: '0b0e3538-88df-4f07-9aed-3a3cc4175076', trailingSlash: true },
    });
  });

  it('parses the un-namespaced action URI and the pre-namespace form', () => {
    expect(parseResourceUri('/api/audit/v1/action/49f0efe8/')).toMatchObject({ ok: true, value: { namespace: null, type: 'action' } });
    expect(parseResourceUri('/api/app/v1/service/5f1c')).toMatchObject({ ok: true, value: { namespace: null, type: 'service', trailingSlash: false } });
  });

  it('accepts the seed document example (an action under /api/app with a namespace)', () => {
    const uri = '/api/app/v1/user_namespace/action/49f0efe8-a704-4a10-b02f-f96344fabadd/';
    const parsed = parseResourceUri(uri);
    expect(parsed.ok && formatResourceUri(parsed.value)).toBe(uri);
  });

  it.each([
    ['', 'must start with /api/'],
    ['/api/app/v2/acme/stack/1/', 'unknown version'],
    ['/api/web/v1/acme/stack/1/', 'unknown API'],
    ['/api/app/v1/acme/volume/1/', 'unknown type "volume"'],
    ['/api/app/v1/acme/stack/', 'unknown type "acme"'],
    ['/api/app/v1/stack/', 'expected /api/'],
    ['/api/app/v1/a/b/stack/1/', 'expected /api/'],
    ['/api/app/v1/ac me/stack/1/', 'bad namespace segment'],
  ])('rejects %j with a precise reason', (uri, reason) => {
    const parsed = parseResourceUri(uri);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.code).toBe('invalid-uri');
      expect(parsed.error.message).toContain(reason);
    }
  });

  it('round-trips every well-formed URI exactly', () => {
    fc.assert(
      fc.property(anyUri, (uri) => {
        const text = formatResourceUri(uri);
        const parsed = parseResourceUri(text);
        expect(parsed).toEqual({ ok: true, value: uri });
        expect(parsed.ok && formatResourceUri(parsed.value)).toBe(text);
      }),
    );
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string(), (text) => typeof parseResourceUri(`/api/${text}`).ok === 'boolean'));
  });

  it('finds uuid and type from the last two segments, as the SDKs did', () => {
    fc.assert(
      fc.property(anyUri, (uri) => {
        const text = formatResourceUri(uri);
        expect(uuidOfUri(text)).toBe(uri.uuid);
        expect(typeOfUri(text)).toBe(uri.type);
      }),
    );
  });
});

describe('resourceUriFor', () => {
  it('namespaces everything but actions and keeps the trailing slash', () => {
    expect(resourceUriFor('node', 'n1', 'acme')).toBe('/api/infra/v1/acme/node/n1/');
    expect(resourceUriFor('action', 'a1', 'acme')).toBe('/api/audit/v1/action/a1/');
    expect(resourceUriFor('stack', 's1', null)).toBe('/api/app/v1/stack/s1/');
  });
});
