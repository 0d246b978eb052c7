import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  authorizationHeader,
  configFromEnv,
  credentialsProblem,
  credentialsFromQuery,
  type Credentials,
  decodeBase64,
  decodeUtf8,
  detailOfBody,
  redactHost,
  encodeBase64,
  encodeUtf8,
  parseAuthorizationHeader,
  restListUrl,
  restHostFor,
  restObjectUrl,
  restOperationUrl,
  streamUrl,
} from './endpoint.js';
import type { EventsError, Result } from './events-error.js';
import { parsePosition } from './extended-protocol.js';
import { createFilter, parseFilter } from './filter.js';

const STACK = '/api/app/v1/acme/stack/9a2e/';
const NODE = '/api/infra/v1/acme/node/77b0/';
const ann: Credentials = { username: 'username', apikey: 'apikey' };

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const throwsCode = (code: string) => expect.objectContaining({ name: 'EventsError', code });

function okValue<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.message}`);
  return result.value;
}

function errorOf<T>(result: Result<T>): EventsError {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('streamUrl', () => {
  it('builds the namespaced endpoint with a filter', () => {
    expect(streamUrl({ streamHost: 'ws://127.0.0.1:8080', namespace: 'acme', filter: createFilter({ type: 'container' }) })).toBe(
      'ws://127.0.0.1:8080/api/audit/v1/acme/events/?type=container',
    );
  });

  it('accepts the host with or without a trailing slash, and maps http(s) to ws(s)', () => {
    const expected = 'ws://127.0.0.1:8080/api/audit/v1/events/';
    for (const streamHost of ['ws://127.0.0.1:8080', 'ws://127.0.0.1:8080/', 'http://127.0.0.1:8080//', 'WS://127.0.0.1:8080']) {
      expect(streamUrl({ streamHost })).toBe(expected);
    }
    expect(streamUrl({ streamHost: 'https://ws.cloud.docker.com/' })).toBe('wss://ws.cloud.docker.com/api/audit/v1/events/');
    expect(streamUrl({ streamHost: 'wss://ws.cloud.docker.com/', namespace: 'acme' })).toBe('wss://ws.cloud.docker.com/api/audit/v1/acme/events/');
    expect(streamUrl({ streamHost: 'ws://[::1]:9000' })).toBe('ws://[::1]:9000/api/audit/v1/events/');
  });

  it('keeps a path prefix, as python-dockercloud does', () => {
    expect(streamUrl({ streamHost: 'wss://example.com/cloud/' })).toBe('wss://example.com/cloud/api/audit/v1/events/');
  });

  it('drops the trailing slash on request (the python-dockercloud form)', () => {
    expect(streamUrl({ streamHost: 'ws://h', namespace: 'acme', trailingSlash: false })).toBe('ws://h/api/audit/v1/acme/events');
  });

  it('puts the filter, then query credentials, then the resume position in the query', () => {
    const url = streamUrl({
      streamHost: 'ws://h',
      filter: createFilter({ type: ['service', 'container'], parent: STACK }),
      auth: { mode: 'query-token', credentials: { username: 'ann', apikey: 'k+1/=' } },
      resume: { epoch: 'e1', seq: 42 },
    });
    expect(url).toBe('ws://h/api/audit/v1/events/?parents=%2Fapi%2Fapp%2Fv1%2Facme%2Fstack%2F9a2e%2F&type=service%2Ccontainer&user=ann&token=k%2B1%2F%3D&resume=e1%3A42');
    const query = url.slice(url.indexOf('?'));
    expect(okValue(parseFilter(query)).parents).toEqual(new Set([STACK]));
    expect(okValue(credentialsFromQuery(query))).toEqual({ username: 'ann', apikey: 'k+1/=' });
    expect(okValue(parsePosition(new URLSearchParams(query).get('resume') ?? ''))).toEqual({ epoch: 'e1', seq: 42 });
  });

  it('sends ?auth= with the whole Authorization header, built or as given', () => {
    expect(streamUrl({ streamHost: 'ws://h', auth: { mode: 'query-auth', credentials: ann } })).toBe(
      'ws://h/api/audit/v1/events/?auth=Basic+dXNlcm5hbWU6YXBpa2V5',
    );
    const url = streamUrl({ streamHost: 'ws://h', auth: { mode: 'query-auth', authorization: 'Basic dXNlcm5hbWU6YXBpa2V5' } });
    expect(okValue(credentialsFromQuery(url.slice(url.indexOf('?'))))).toEqual(ann);
  });

  it('leaves the query out when there is nothing to send', () => {
    expect(streamUrl({ streamHost: 'ws://h', filter: createFilter({}) })).toBe('ws://h/api/audit/v1/events/');
  });

  it('throws invalid-config for bad hosts and namespaces', () => {
    const bad = ['', 'localhost:8080', 'ftp://h/', 'ws://user:pw@h/', 'ws://h/?x=1', 'ws://h/#x', 'ws://h:99999/', 'ws://h:0/', 'ws:///path', 'ws://h/a b'];
    for (const streamHost of bad) expect(() => streamUrl({ streamHost })).toThrowError(throwsCode('invalid-config'));
    expect(() => streamUrl({ streamHost: 'ws://h', namespace: 'a/b' })).toThrowError(throwsCode('invalid-config'));
    // Characters a namespace may hold, but segments a URL resolves away: "." would be the user's
    // own namespace, ".." no stream at all.
    for (const namespace of ['.', '..']) {
      expect(() => streamUrl({ streamHost: 'ws://h', namespace })).toThrowError(
        `invalid namespace ${JSON.stringify(namespace)}: "." and ".." are no namespace: URLs resolve them away (the stream would be another namespace's, or none)`,
      );
      expect(() => restListUrl('http://h', 'stack', { namespace })).toThrowError(throwsCode('invalid-config'));
    }
    expect(streamUrl({ streamHost: 'ws://h', namespace: '...' })).toBe('ws://h/api/audit/v1/.../events/');
  });

  it('never echoes a password written into a host: the refusal masks everything up to the last @', () => {
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('no error');
    };
    expect(refusal(() => streamUrl({ streamHost: 'wss://me:s3cret@events.example.com/' }))).toBe(
      'invalid stream host "wss://***@events.example.com/": expected scheme://host[:port][/path] without user, query or fragment',
    );
    expect(refusal(() => restListUrl('http://me:s3cret@h/', 'stack'))).toContain('"http://***@h/"');
    // A password whose "/" would make its start a port and the rest a path: refused all the same (fast-check found it).
    expect(refusal(() => streamUrl({ streamHost: 'ws://user:0/$@' }))).toBe('invalid stream host "ws://***@": expected scheme://host[:port][/path] without user, query or fragment');
    expect(refusal(() => streamUrl({ streamHost: 'ws://user:1/x@h/' }))).toBe('invalid stream host "ws://***@h/": expected scheme://host[:port][/path] without user, query or fragment');
    const env = configFromEnv({ DOCKERCLOUD_STREAM_HOST: 'ws://me:pa/ss@h/', DOCKERCLOUD_REST_HOST: 'https://u:r3st@h/' });
    expect(env.ok ? 'accepted' : env.error.message).not.toMatch(/pa\/ss|r3st|me:pa/);
    fc.assert(
      fc.property(fc.constantFrom('ws://', 'wss://', 'http://', 'HTTPS://', ''), fc.string({ minLength: 1 }).filter((p) => !p.includes('@')), fc.string(), (scheme, password, rest) => {
        const host = `${scheme}user:${password}@${rest.replaceAll('@', '')}`;
        const message = refusal(() => streamUrl({ streamHost: host }));
        expect(message).toContain(`${scheme}***@`);
        expect(redactHost(host)).not.toContain(`:${password}@`);
      }),
    );
    // Nothing to mask: the value as written.
    expect(redactHost('ws://h/a b')).toBe('ws://h/a b');
  });

  it('round-trips any filter and query credentials through the URL', () => {
    const uriArb = fc.constantFrom(STACK, NODE, '/api/app/v1/acme/service/5f1c/');
    fc.assert(
      fc.property(
        fc.uniqueArray(uriArb, { minLength: 1, maxLength: 3 }),
        // Credentials checkCredentials takes: not blank, no ':' in the name.
        fc.string({ unit: 'grapheme', minLength: 1 }).filter((s) => !s.includes(':') && s.trim() !== ''),
        fc.string({ unit: 'grapheme', minLength: 1 }).filter((s) => s.trim() !== ''),
        fc.constantFrom('query-auth' as const, 'query-token' as const),
        (parents, username, apikey, mode) => {
          const credentials = { username, apikey };
          const url = streamUrl({ streamHost: 'ws://h', filter: createFilter({ parent: parents }), auth: mode === 'query-auth' ? { mode, credentials } : { mode, credentials } });
          const query = url.slice(url.indexOf('?'));
          expect(okValue(parseFilter(query)).parents).toEqual(new Set(parents));
          expect(okValue(credentialsFromQuery(query))).toEqual(credentials);
          expect(okValue(credentialsFromQuery(new URLSearchParams(query)))).toEqual(credentials);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('REST URLs', () => {
  it('lists a type under its API, namespaced, with paging', () => {
    expect(restListUrl('http://127.0.0.1:8080/', 'stack', { namespace: 'acme', limit: 25, offset: 25 })).toBe(
      'http://127.0.0.1:8080/api/app/v1/acme/stack/?limit=25&offset=25',
    );
    expect(restListUrl('https://cloud.docker.com/', 'node', { namespace: 'acme', limit: 100 })).toBe('https://cloud.docker.com/api/infra/v1/acme/node/?limit=100');
    expect(restListUrl('https://cloud.docker.com', 'nodecluster')).toBe('https://cloud.docker.com/api/infra/v1/nodecluster/');
  });

  it('never namespaces actions', () => {
    expect(restListUrl('http://h', 'action', { namespace: 'acme', offset: 0 })).toBe('http://h/api/audit/v1/action/?offset=0');
  });

  it('throws invalid-config for bad paging, types or hosts', () => {
    for (const options of [{ limit: 0 }, { limit: 1.5 }, { offset: -1 }, { offset: Number.NaN }, { namespace: 'a b' }]) {
      expect(() => restListUrl('http://h', 'stack', options)).toThrowError(throwsCode('invalid-config'));
    }
    expect(() => restListUrl('http://h', 'volume' as 'stack')).toThrowError(throwsCode('invalid-config'));
    expect(() => restListUrl('ws://h', 'stack')).toThrowError(throwsCode('invalid-config'));
  });

  it('addresses an object by its resource URI exactly, under a host prefix too', () => {
    expect(restObjectUrl('https://cloud.docker.com/', STACK)).toBe(`https://cloud.docker.com${STACK}`);
    expect(restObjectUrl('http://h/prefix', '/api/app/v1/stack/9a2e')).toBe('http://h/prefix/api/app/v1/stack/9a2e');
    expect(() => restObjectUrl('http://h', '/api/app/v2/acme/stack/9a2e/')).toThrowError(throwsCode('invalid-uri'));
  });

  it('addresses an operation with the documented trailing slash', () => {
    expect(restOperationUrl('http://h', '/api/app/v1/acme/service/5f1c/', 'redeploy')).toBe('http://h/api/app/v1/acme/service/5f1c/redeploy/');
    expect(restOperationUrl('http://h', '/api/app/v1/acme/service/5f1c', 'scale')).toBe('http://h/api/app/v1/acme/service/5f1c/scale/');
    expect(() => restOperationUrl('http://h', STACK, 'start/../x')).toThrowError(throwsCode('invalid-config'));
  });
});

describe('Authorization header', () => {
  it('builds the documented example', () => {
    expect(authorizationHeader(ann)).toBe('Basic dXNlcm5hbWU6YXBpa2V5');
  });

  it('encodes UTF-8, as the SDKs do', () => {
    expect(authorizationHeader({ username: 'josé', apikey: 'clé🔑' })).toBe(`Basic ${b64('josé:clé🔑')}`);
  });

  it('refuses credentials it could not send, naming the field and what it got (never the key)', () => {
    for (const credentials of [{ username: 'a:b', apikey: 'k' }, { username: '', apikey: 'k' }, { username: 'a', apikey: '' }]) {
      expect(() => authorizationHeader(credentials)).toThrowError(throwsCode('invalid-config'));
    }
    const message = (credentials: { username: string; apikey: string }) => {
      try {
        authorizationHeader(credentials);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(message({ username: '', apikey: 'k' })).toBe('credentials.username must be a username, got the string ""');
    expect(message({ username: '  ', apikey: 'k' })).toBe('credentials.username must be a username, got the string "  ": white space only');
    expect(message({ username: 'a:b', apikey: 'k' })).toBe('credentials.username must be a username without ":" (Basic auth joins it to the key with one), got the string "a:b"');
    expect(message({ username: 'a', apikey: '' })).toBe('credentials.apikey must be an API key, got an empty string');
    expect(message({ username: 'a', apikey: ' ' })).toBe('credentials.apikey must be an API key, got 1 character of white space only');
    // A control character is named as such, even where it is all the value holds.
    expect(message({ username: 'a', apikey: '\n' })).toMatch(/^credentials\.apikey must be an API key without control characters, got 1 character \(not shown/);
  });

  it('refuses a credentials field it does not know, with the one most likely meant: a misspelt field read as the right one missing', () => {
    const message = (credentials: object) => {
      try {
        authorizationHeader(credentials as { username: string; apikey: string });
      } catch (error) {
        expect(error).toMatchObject({ code: 'invalid-config' });
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    const TAKES = 'credentials take username and apikey';
    expect(message({ user: 'ann', apikey: 'k3y' })).toBe(`unknown credentials field "user" (did you mean "username"?); ${TAKES}`);
    expect(message({ username: 'ann', apiKey: 'k3y' })).toBe(`unknown credentials field "apiKey" (did you mean "apikey"?); ${TAKES}`);
    expect(message({ username: 'ann', token: 'k3y' })).toBe(`unknown credentials field "token" (did you mean "apikey"?); ${TAKES}`);
    // Both fields right and one more: not ignored either (a namespace goes in the namespace option).
    expect(message({ username: 'ann', apikey: 'k3y', namespace: 'acme' })).toBe(`unknown credentials field "namespace"; ${TAKES}`);
    expect(authorizationHeader({ username: 'ann', apikey: 'k3y' })).toBe(`Basic ${btoa('ann:k3y')}`);
  });

  it('refuses a username or API key with a control character, naming the field and the character, never the key', () => {
    const message = (credentials: { username: string; apikey: string }) => {
      try {
        authorizationHeader(credentials);
      } catch (error) {
        expect(error).toMatchObject({ code: 'invalid-config' });
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    const KEY = 'got 10 characters (not shown: it is a secret) with';
    expect(message({ username: 'ann', apikey: 's3cret-ke\n' })).toBe(`credentials.apikey must be an API key without control characters, ${KEY} a line feed (LF) at the end`);
    expect(message({ username: 'ann', apikey: 's3cret-k\r\n' })).toBe(`credentials.apikey must be an API key without control characters, ${KEY} a carriage return (CR) at character 9 of 10`);
    expect(message({ username: 'ann', apikey: 's3cr\u0000et-ke' })).toBe(`credentials.apikey must be an API key without control characters, ${KEY} a NUL at character 5 of 10`);
    expect(message({ username: 'ann', apikey: 's3cret\tkey' })).toBe(`credentials.apikey must be an API key without control characters, ${KEY} a tab at character 7 of 10`);
    expect(message({ username: 'ann', apikey: 's3cret-ke\u0085' })).toBe(`credentials.apikey must be an API key without control characters, ${KEY} a control character (U+0085) at the end`);
    expect(message({ username: 'ann\n', apikey: 'k' })).toBe('credentials.username must be a username without control characters, got the string "ann\\n" with a line feed (LF) at the end');
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('\n', '\r', '\t', '\u0000', '\u001b', '\u007f', '\u009f'), fc.string(), (before, control, after) => {
        expect(message({ username: 'ann', apikey: `S3CR3T${before}${control}${after}` })).not.toContain('S3CR3T');
      }),
    );
  });

  it('parses Basic credentials, case-insensitively, padded or not, splitting at the first ":"', () => {
    expect(okValue(parseAuthorizationHeader('Basic dXNlcm5hbWU6YXBpa2V5'))).toEqual(ann);
    expect(okValue(parseAuthorizationHeader('  basic   dXNlcm5hbWU6YXBpa2V5  '))).toEqual(ann);
    expect(okValue(parseAuthorizationHeader(`BASIC ${b64('ann:k:1').replace(/=+$/, '')}`))).toEqual({ username: 'ann', apikey: 'k:1' });
  });

  it('says precisely what is wrong, without echoing the secret', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['Bearer s3cret', /scheme "Bearer" is not supported; expected Basic/],
      ['Basic', /no credentials/],
      ['Basic s3cret!', /not valid base64/],
      ['Basic abcde', /not valid base64/],
      [`Basic ${b64('s3cret')}`, /no ":"/],
      [`Basic ${b64(':s3cret')}`, /username is empty/],
      [`Basic ${b64('ann:')}`, /API key is empty/],
      [`Basic ${Buffer.from([0x61, 0x3a, 0xff]).toString('base64')}`, /not valid UTF-8/],
    ];
    for (const [header, why] of cases) {
      const error = errorOf(parseAuthorizationHeader(header));
      expect(error.code).toBe('auth');
      expect(error.message).toMatch(why);
      expect(error.message).not.toContain('s3cret');
    }
  });

  it('round-trips any unicode username (without ":") and key', () => {
    fc.assert(
      fc.property(
        // Credentials checkCredentials takes: not blank, no ':' in the name.
        fc.string({ unit: 'grapheme', minLength: 1 }).filter((s) => !s.includes(':') && s.trim() !== ''),
        fc.string({ unit: 'grapheme', minLength: 1 }).filter((s) => s.trim() !== ''),
        (username, apikey) => {
          const header = authorizationHeader({ username, apikey });
          expect(header).toBe(`Basic ${b64(`${username}:${apikey}`)}`);
          expect(okValue(parseAuthorizationHeader(header))).toEqual({ username, apikey });
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('UTF-8 and base64', () => {
  it('encodeUtf8 agrees with Buffer, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(Buffer.from(encodeUtf8(text)).equals(Buffer.from(text, 'utf8'))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('decodeUtf8 accepts exactly what a fatal TextDecoder accepts', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 12 }),
      fc.string({ unit: 'grapheme' }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
      fc.array(fc.constantFrom(0x41, 0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xa0, 0xf0, 0xf4, 0x90, 0x8f, 0xf5, 0xff), { maxLength: 8 }).map((a) => Uint8Array.from(a)),
    );
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        let expected: string | undefined;
        try {
          expected = decoder.decode(bytes);
        } catch {
          expected = undefined;
        }
        expect(decodeUtf8(bytes)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('base64 agrees with Buffer both ways and rejects malformed text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const text = encodeBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(decodeBase64(text)).toEqual(bytes);
        expect(decodeBase64(text.replace(/=+$/, ''))).toEqual(bytes);
      }),
      { numRuns: 1000 },
    );
    for (const bad of ['a', 'abcde', 'ab=c', 'a===', 'ab==c', 'ab-_', 'YR==', 'ab c']) expect(decodeBase64(bad)).toBeUndefined();
    expect(decodeBase64('')).toEqual(new Uint8Array());
  });
});

describe('credentialsFromQuery', () => {
  it('finds none when neither query form is present', () => {
    expect(credentialsFromQuery('?type=container&x=%zz')).toEqual({ ok: true, value: null });
    expect(credentialsFromQuery([])).toEqual({ ok: true, value: null });
  });

  it('reads ?user=&token=', () => {
    expect(okValue(credentialsFromQuery('user=ann&token=k%2B1+2'))).toEqual({ username: 'ann', apikey: 'k+1 2' });
    expect(okValue(credentialsFromQuery(new URLSearchParams({ user: 'ann', token: 'k' })))).toEqual({ username: 'ann', apikey: 'k' });
  });

  it('reads ?auth= with the whole header, "%20" or "+" for the space', () => {
    expect(okValue(credentialsFromQuery('auth=Basic%20dXNlcm5hbWU6YXBpa2V5'))).toEqual(ann);
    expect(okValue(credentialsFromQuery('?auth=Basic+dXNlcm5hbWU6YXBpa2V5'))).toEqual(ann);
    expect(okValue(credentialsFromQuery([['auth', 'Basic dXNlcm5hbWU6YXBpa2V5']]))).toEqual(ann);
  });

  it('prefers ?auth= over ?user=&token= (protocol.md §3 order), and the first of repeated values', () => {
    expect(okValue(credentialsFromQuery(`user=bob&token=t&auth=Basic%20${encodeURIComponent(b64('ann:k'))}`))).toEqual({ username: 'ann', apikey: 'k' });
    expect(okValue(credentialsFromQuery('user=ann&user=bob&token=k'))).toEqual({ username: 'ann', apikey: 'k' });
  });

  it('reports precise auth errors without the secret', () => {
    const cases: [string, RegExp][] = [
      ['auth=Basic%20s3cret%zz', /malformed percent-encoding in query parameter "auth"/],
      ['auth=', /"auth" is empty/],
      ['auth=Bearer%20s3cret', /"auth": invalid Authorization header: scheme "Bearer"/],
      ['token=s3cret', /"token" given without "user"/],
      ['user=ann', /"user" given without "token"/],
      ['user=&token=s3cret', /"user" is empty/],
      ['user=ann&token=', /"token" is empty/],
    ];
    for (const [query, why] of cases) {
      const error = errorOf(credentialsFromQuery(query));
      expect(error.code).toBe('auth');
      expect(error.message).toMatch(why);
      expect(error.message).not.toContain('s3cret');
    }
  });
});

describe('detailOfBody', () => {
  it("is the JSON body's detail, trimmed and bounded, else null", () => {
    expect(detailOfBody('{"detail":"Invalid username/API key."}')).toBe('Invalid username/API key.');
    expect(detailOfBody('{"detail":"  Too many login attempts. "}')).toBe('Too many login attempts.');
    expect(detailOfBody('<html><body>Forbidden</body></html>')).toBeNull();
    expect(detailOfBody('{"detail": 3}')).toBeNull();
    expect(detailOfBody('{"detail": ""}')).toBeNull();
    expect(detailOfBody('null')).toBeNull();
    const long = detailOfBody(JSON.stringify({ detail: 'x'.repeat(1000) }));
    expect(long).toHaveLength(300);
    expect(long?.endsWith('…')).toBe(true);
  });
});

describe('restHostFor', () => {
  it('is the stream host over http(s), path prefix kept', () => {
    expect(restHostFor('ws://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/');
    expect(restHostFor('wss://events.example.com/prefix/')).toBe('https://events.example.com/prefix/');
    expect(restHostFor('https://events.example.com')).toBe('https://events.example.com/');
    expect(() => restHostFor('ftp://x/')).toThrow(/scheme must be/);
  });

  it('gives a REST host whose lists live where the stream host says (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('ws', 'wss', 'http', 'https'), fc.domain(), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), (scheme, host, port) => {
        const stream = `${scheme}://${host}${port === undefined ? '' : `:${port}`}`;
        const rest = restHostFor(stream);
        expect(rest).toBe(`${scheme === 'wss' || scheme === 'https' ? 'https' : 'http'}://${host}${port === undefined ? '' : `:${port}`}/`);
        expect(restListUrl(rest, 'stack')).toBe(`${rest}api/app/v1/stack/`);
      }),
    );
  });
});

describe('configFromEnv', () => {
  it('leaves unset hosts unset: nothing points at Docker Cloud, whose hosts are gone', () => {
    expect(okValue(configFromEnv({}))).toEqual({});
    expect(okValue(configFromEnv({ DOCKERCLOUD_STREAM_HOST: 'ws://127.0.0.1:8080/' }))).toEqual({ streamHost: 'ws://127.0.0.1:8080/' });
  });

  it('reads DOCKERCLOUD_USER + DOCKERCLOUD_APIKEY, namespace and hosts', () => {
    const config = okValue(
      configFromEnv({
        DOCKERCLOUD_USER: 'username',
        DOCKERCLOUD_APIKEY: 'apikey',
        DOCKERCLOUD_NAMESPACE: 'acme',
        DOCKERCLOUD_REST_HOST: 'http://127.0.0.1:8080/',
        DOCKERCLOUD_STREAM_HOST: 'ws://127.0.0.1:8080/',
      }),
    );
    expect(config).toEqual({
      credentials: ann,
      authorization: 'Basic dXNlcm5hbWU6YXBpa2V5',
      namespace: 'acme',
      restHost: 'http://127.0.0.1:8080/',
      streamHost: 'ws://127.0.0.1:8080/',
    });
    expect(streamUrl({ streamHost: config.streamHost as string, namespace: config.namespace })).toBe('ws://127.0.0.1:8080/api/audit/v1/acme/events/');
  });

  it('lets DOCKERCLOUD_AUTH win, used as-is', () => {
    const env = { DOCKERCLOUD_AUTH: 'Basic dXNlcm5hbWU6YXBpa2V5', DOCKERCLOUD_USER: 'bob', DOCKERCLOUD_APIKEY: 'other' };
    expect(okValue(configFromEnv(env))).toMatchObject({ authorization: 'Basic dXNlcm5hbWU6YXBpa2V5', credentials: ann });
    const opaque = okValue(configFromEnv({ DOCKERCLOUD_AUTH: 'JWT abc.def', DOCKERCLOUD_USER: 'bob' }));
    expect(opaque.authorization).toBe('JWT abc.def');
    expect(opaque.credentials).toBeUndefined();
  });

  it('treats empty variables as unset, as both SDKs do', () => {
    const env = { DOCKERCLOUD_AUTH: '', DOCKERCLOUD_USER: '', DOCKERCLOUD_APIKEY: '', DOCKERCLOUD_NAMESPACE: '', DOCKERCLOUD_REST_HOST: '', DOCKERCLOUD_STREAM_HOST: '' };
    expect(okValue(configFromEnv(env))).toEqual({});
  });

  it('refuses a host that is not a string, naming what it got', () => {
    expect(() => streamUrl({ streamHost: 18080 as unknown as string })).toThrow(/^stream host must be a string such as "ws:\/\/127\.0\.0\.1:8080\/", got number$/);
  });

  it('falls back to DOCKERCLOUD_STREAM_URL, as go-dockercloud does', () => {
    expect(okValue(configFromEnv({ DOCKERCLOUD_STREAM_URL: 'ws://h:1/' })).streamHost).toBe('ws://h:1/');
    expect(okValue(configFromEnv({ DOCKERCLOUD_STREAM_URL: 'ws://h:1/', DOCKERCLOUD_STREAM_HOST: 'ws://h:2/' })).streamHost).toBe('ws://h:2/');
  });

  it('names the variable that is wrong, what it takes and what it got', () => {
    const cases: [Record<string, string>, string][] = [
      [{ DOCKERCLOUD_USER: 'ann' }, "DOCKERCLOUD_APIKEY must be set with DOCKERCLOUD_USER (that user's API key), got nothing: it is unset or empty"],
      [{ DOCKERCLOUD_APIKEY: 'k' }, 'DOCKERCLOUD_USER must be set with DOCKERCLOUD_APIKEY (the username the key belongs to), got nothing: it is unset or empty'],
      [{ DOCKERCLOUD_USER: 'a:b', DOCKERCLOUD_APIKEY: 'k' }, 'DOCKERCLOUD_USER must be a username without ":", got the string "a:b"'],
      [{ DOCKERCLOUD_NAMESPACE: 'ac/me' }, 'DOCKERCLOUD_NAMESPACE must be a namespace (letters, digits, \'_\', \'.\', \'~\' or \'-\'), got the string "ac/me"'],
      [{ DOCKERCLOUD_NAMESPACE: '..' }, 'DOCKERCLOUD_NAMESPACE must be a namespace, got the string "..": "." and ".." are no namespace: URLs resolve them away (the stream would be another namespace\'s, or none)'],
      [{ DOCKERCLOUD_REST_HOST: 'ws://h/' }, 'DOCKERCLOUD_REST_HOST must be a REST host (http:// or https://), got the string "ws://h/": scheme must be http, https'],
      [{ DOCKERCLOUD_REST_HOST: '127.0.0.1:8080' }, 'DOCKERCLOUD_REST_HOST must be a REST host (http:// or https://), got the string "127.0.0.1:8080": expected scheme://host[:port][/path] without user, query or fragment (did you mean "http://127.0.0.1:8080"?)'],
      [{ DOCKERCLOUD_REST_HOST: 'https://u:r3st@h/' }, 'DOCKERCLOUD_REST_HOST must be a REST host (http:// or https://), got the string "https://***@h/": expected scheme://host[:port][/path] without user, query or fragment'],
      [{ DOCKERCLOUD_STREAM_HOST: 'ftp://h' }, 'DOCKERCLOUD_STREAM_HOST must be a stream host (ws://, wss://, http:// or https://), got the string "ftp://h": scheme must be ws, wss, http, https'],
      [{ DOCKERCLOUD_STREAM_URL: 'nope' }, 'DOCKERCLOUD_STREAM_URL must be a stream host (ws://, wss://, http:// or https://), got the string "nope": expected scheme://host[:port][/path] without user, query or fragment'],
      [{ DOCKERCLOUD_STREAM_HOST: 'localhost' }, 'DOCKERCLOUD_STREAM_HOST must be a stream host (ws://, wss://, http:// or https://), got the string "localhost": expected scheme://host[:port][/path] without user, query or fragment (did you mean "ws://localhost"?)'],
      [{ DOCKERCLOUD_STREAM_HOST: 'me:pw@h:80' }, 'DOCKERCLOUD_STREAM_HOST must be a stream host (ws://, wss://, http:// or https://), got the string "***@h:80": expected scheme://host[:port][/path] without user, query or fragment'],
    ];
    for (const [env, message] of cases) {
      const error = errorOf(configFromEnv(env));
      expect(error.code).toBe('invalid-config');
      expect(error.message).toBe(message);
    }
  });

  it('refuses a DOCKERCLOUD_USER of white space only, when it is read', () => {
    for (const user of [' ', '\t \n']) {
      expect(errorOf(configFromEnv({ DOCKERCLOUD_USER: user, DOCKERCLOUD_APIKEY: 'k' })).message).toBe(`DOCKERCLOUD_USER must be a username, got the string ${JSON.stringify(user)}: only white space`);
      expect(errorOf(configFromEnv({ DOCKERCLOUD_USER: user })).message).toMatch(/^DOCKERCLOUD_USER must be a username, got /);
    }
    // DOCKERCLOUD_AUTH wins: the user is not read.
    expect(okValue(configFromEnv({ DOCKERCLOUD_USER: ' ', DOCKERCLOUD_AUTH: 'Bearer t' })).authorization).toBe('Bearer t');
  });

  it('refuses a DOCKERCLOUD_USER or DOCKERCLOUD_APIKEY with a control character (a trailing newline from a file), the key never shown', () => {
    const key = errorOf(configFromEnv({ DOCKERCLOUD_USER: 'ann', DOCKERCLOUD_APIKEY: 's3cret-key\n' }));
    expect(key.code).toBe('invalid-config');
    expect(key.message).toBe('DOCKERCLOUD_APIKEY must be an API key without control characters, got 11 characters (not shown: it is a secret) with a line feed (LF) at the end');
    // White space only: refused by the variable's name (it used to pass, and fail at the server as a wrong key).
    const blank = configFromEnv({ DOCKERCLOUD_USER: 'ann', DOCKERCLOUD_APIKEY: '   ' });
    expect(blank.ok ? 'accepted' : blank.error.message).toBe('DOCKERCLOUD_APIKEY must be an API key, got 3 characters of white space only');
    expect(errorOf(configFromEnv({ DOCKERCLOUD_USER: 'ann\r\n', DOCKERCLOUD_APIKEY: 's3cret-key' })).message).toBe(
      'DOCKERCLOUD_USER must be a username without control characters, got the string "ann\\r\\n" with a carriage return (CR) at character 4 of 5',
    );
    // Under any name, for a caller whose credentials come from elsewhere (a command line).
    expect(credentialsProblem('ann', 'k3y\n', { username: '--user', apikey: '--apikey' })).toBe(
      '--apikey must be an API key without control characters, got 4 characters (not shown: it is a secret) with a line feed (LF) at the end',
    );
    expect(credentialsProblem('ann', 'k3y', { username: '--user', apikey: '--apikey' })).toBeNull();
    // DOCKERCLOUD_AUTH wins: the pair is not read.
    expect(okValue(configFromEnv({ DOCKERCLOUD_AUTH: 'Bearer t', DOCKERCLOUD_USER: 'ann', DOCKERCLOUD_APIKEY: 'k\n' })).authorization).toBe('Bearer t');
  });

  it('refuses a DOCKERCLOUD_AUTH no header can carry (a control character, white space only), by its shape, never its text', () => {
    const SECRET = 'Basic c2VjcmV0LWtleQ==';
    const cases: [string, string][] = [
      [`${SECRET}\n`, `got 23 characters (not shown: it is a secret) with a line feed (LF) at the end`],
      [`${SECRET}\r\n`, `got 24 characters (not shown: it is a secret) with a carriage return (CR) at character 23 of 24`],
      [`Bearer a\u0000b`, `got 10 characters (not shown: it is a secret) with a NUL at character 9 of 10`],
      [`Bearer \u001bx`, `got 9 characters (not shown: it is a secret) with a control character (U+001B) at character 8 of 9`],
      [`Bearer \u20ac`, `got 8 characters (not shown: it is a secret) with a character beyond U+00FF, which a header cannot carry, at the end`],
    ];
    for (const [auth, got] of cases) {
      const error = errorOf(configFromEnv({ DOCKERCLOUD_AUTH: auth, DOCKERCLOUD_USER: 'ann', DOCKERCLOUD_APIKEY: 'k' }));
      expect(error.code).toBe('invalid-config');
      expect(error.message).toBe(`DOCKERCLOUD_AUTH must be a whole Authorization header value (such as "Basic …") without control characters, ${got}`);
    }
    expect(errorOf(configFromEnv({ DOCKERCLOUD_AUTH: '   ' })).message).toBe('DOCKERCLOUD_AUTH must be a whole Authorization header value (such as "Basic …"), got 3 characters: only white space');
    // A tab is allowed in a header value.
    expect(okValue(configFromEnv({ DOCKERCLOUD_AUTH: 'Bearer\ttok' })).authorization).toBe('Bearer\ttok');
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('\n', '\r', '\u0000', '\u007f'), fc.string(), (before, control, after) => {
        const result = configFromEnv({ DOCKERCLOUD_AUTH: `Basic S3CR3T${before}${control}${after}` });
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error.message).not.toContain("S3CR3T");
      }),
    );
  });
});
