import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOptionsArgument, checkStreamOptions, type EnvSource, MIN_PING_INTERVAL_MS, resolveClientOptions, withEnvDefaults } from './client-options.js';
import type { StreamClientOptions } from './stream-client-types.js';

const CREDENTIALS = { username: 'alice', apikey: 'alice-key-123' };
const BASIC = 'Basic YWxpY2U6YWxpY2Uta2V5LTEyMw==';

describe('withEnvDefaults', () => {
  it('fills hosts, namespace and credentials; options win', () => {
    const env = { restHost: 'http://e/', streamHost: 'ws://e/', namespace: 'envns', credentials: CREDENTIALS, authorization: BASIC };
    expect(withEnvDefaults({}, env)).toEqual({ restHost: 'http://e/', streamHost: 'ws://e/', namespace: 'envns', credentials: CREDENTIALS, authorization: BASIC });
    expect(withEnvDefaults({ streamHost: 'ws://o/', namespace: 'o', authorization: 'Basic x' }, env)).toEqual({
      restHost: 'http://e/',
      streamHost: 'ws://o/',
      namespace: 'o',
      authorization: 'Basic x',
    });
  });

  it('never assumes a host: no stream host is an error, and the REST host is the stream host over http(s)', () => {
    expect(() => withEnvDefaults({}, undefined)).toThrow(/^no stream host: pass streamHost or set DOCKERCLOUD_STREAM_HOST/);
    expect(() => withEnvDefaults({ credentials: CREDENTIALS }, {})).toThrow(/no stream host/);
    expect(withEnvDefaults({ streamHost: 'ws://127.0.0.1:8080/' }, undefined).restHost).toBe('http://127.0.0.1:8080/');
    expect(withEnvDefaults({}, { streamHost: 'wss://events.example.com/x' }).restHost).toBe('https://events.example.com/x/');
  });

  it('says where else a stream host can come from, by where the environment came from', () => {
    const message = (source: EnvSource) => {
      try {
        resolveClientOptions({ credentials: CREDENTIALS }, {}, 'stream', source);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('no error');
    };
    expect(message('process')).toMatch(/^no stream host: pass streamHost or set DOCKERCLOUD_STREAM_HOST \(/);
    expect(message('option')).toMatch(/^no stream host: pass streamHost or DOCKERCLOUD_STREAM_HOST in env \(/);
    // A browser reads no environment: "set DOCKERCLOUD_STREAM_HOST" would send its user to look for one.
    expect(message('none')).toMatch(/^no stream host: pass streamHost \(this transport reads no environment: the env option can supply DOCKERCLOUD_STREAM_HOST\)/);
    expect(message('none')).not.toMatch(/or set DOCKERCLOUD/);
  });
});

describe('resolveClientOptions', () => {
  it('takes hosts and credentials from DOCKERCLOUD_*, and sends credentials nowhere unnamed', () => {
    const env = { DOCKERCLOUD_STREAM_HOST: 'ws://127.0.0.1:8080/', DOCKERCLOUD_USER: 'alice', DOCKERCLOUD_APIKEY: 'alice-key-123' };
    const resolved = resolveClientOptions({}, env, 'live-tree');
    expect(resolved).toMatchObject({ streamHost: 'ws://127.0.0.1:8080/', restHost: 'http://127.0.0.1:8080/', credentials: CREDENTIALS });
    // Credentials alone, no host: an error, not a connection to Docker Cloud's old hosts.
    expect(() => resolveClientOptions({ credentials: CREDENTIALS }, {}, 'stream')).toThrow(/no stream host/);
  });

  it('reports a malformed variable even when options cover it, rather than drop the valid ones beside it', () => {
    const env = { DOCKERCLOUD_NAMESPACE: 'acme', DOCKERCLOUD_REST_HOST: 'cloud.example.com' };
    expect(() => resolveClientOptions({ streamHost: 'ws://127.0.0.1:8080/', credentials: CREDENTIALS }, env, 'stream')).toThrow(
      /^DOCKERCLOUD_REST_HOST must be a REST host \(http:\/\/ or https:\/\/\), got the string "cloud.example.com": .* \(fix the variable, or pass env: \{\} to ignore the environment\)$/,
    );
    expect(resolveClientOptions({ streamHost: 'ws://127.0.0.1:8080/', credentials: CREDENTIALS } as Partial<StreamClientOptions>, {}, 'stream').namespace).toBeUndefined();
  });

  it('refuses an option it does not know, naming the ones it does', () => {
    expect(() => resolveClientOptions({ streamURL: 'ws://h/' } as never, {}, 'stream')).toThrow(/^unknown option "streamURL" \(did you mean "streamHost"\?\); a stream takes streamHost, namespace, /);
    expect(() => resolveClientOptions({ streamHost: 'ws://h/', pingInterval: 500 } as never, {}, 'stream')).toThrow(/^unknown option "pingInterval" \(did you mean "pingIntervalMs"\?\);/);
    expect(() => resolveClientOptions({ streamHost: 'ws://h/', apikey: 'k' } as never, {}, 'stream')).toThrow(/^unknown option "apikey" \(did you mean "credentials"\?\);/);
    // A live tree's own options are known to it, not to a stream.
    expect(() => resolveClientOptions({ streamHost: 'ws://h/', pageSize: 10 } as never, {}, 'stream')).toThrow(/unknown option "pageSize"/);
    expect(resolveClientOptions({ streamHost: 'ws://h/', pageSize: 10 }, {}, 'live-tree').pageSize).toBe(10);
    expect(() => resolveClientOptions({ streamHost: 'ws://h/', maxRestBodyBytes: 1_024 } as never, {}, 'stream')).toThrow(/unknown option "maxRestBodyBytes"/);
    expect(resolveClientOptions({ streamHost: 'ws://h/', maxRestBodyBytes: 1_024 }, {}, 'live-tree').maxRestBodyBytes).toBe(1_024);
    expect(() => resolveClientOptions({ streamHost: 'ws://h/', maxBodyBytes: 1_024 } as never, {}, 'live-tree')).toThrow(/^unknown option "maxBodyBytes" \(did you mean "maxRestBodyBytes"\?\);/);
    expect(() => resolveClientOptions(null as never, {}, 'stream')).toThrow(/^options must be an object, got null$/);
    expect(() => resolveClientOptions([] as never, {}, 'stream')).toThrow(/^options must be an object, got an array$/);
  });

  it("checks a transport's options argument before it is taken apart, naming what was given", () => {
    const envDefault = 'process.env is the default; {} reads none';
    const options = { streamHost: 'ws://h/', env: {} };
    expect(checkOptionsArgument(options, envDefault)).toBe(options);
    expect(checkOptionsArgument({}, envDefault)).toEqual({});
    expect(() => checkOptionsArgument('ws://h/' as never, envDefault)).toThrow('options must be an object, got the string "ws://h/" (a host goes in { streamHost: "ws://h/" })');
    expect(() => checkOptionsArgument(null as never, envDefault)).toThrow(/^options must be an object, got null$/);
    expect(() => checkOptionsArgument([1] as never, envDefault)).toThrow(/^options must be an object, got an array/);
    expect(() => checkOptionsArgument({ env: null }, envDefault)).toThrow('env must be an object of DOCKERCLOUD_* variables (process.env is the default; {} reads none), got null');
    expect(() => checkOptionsArgument({ env: 'x' }, 'such as Deno.env.toObject()')).toThrow('env must be an object of DOCKERCLOUD_* variables (such as Deno.env.toObject()), got the string "x"');
  });

  it('refuses any key outside the known ones (property)', () => {
    const known = new Set(['streamHost', 'namespace', 'filter', 'credentials', 'authorization', 'extended', 'policy', 'pingIntervalMs', 'highWaterMark', 'dedupeWindow', 'closeTimeoutMs', 'queryAuth', 'trailingSlash', 'signal', 'online', 'onEvent', 'onError', 'onState']);
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !known.has(key) && key !== '__proto__'),
        (key) => {
          expect(() => resolveClientOptions({ streamHost: 'ws://h/', [key]: 1 } as never, {}, 'stream')).toThrow(/^unknown option /);
        },
      ),
    );
  });
});

describe('checkStreamOptions', () => {
  const refuse = (options: Record<string, unknown>) => {
    try {
      checkStreamOptions({ streamHost: 'ws://h/', ...options } as Partial<StreamClientOptions>);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`accepted ${JSON.stringify(options)}`);
  };

  it('refuses a ping interval that would flood the server, and says null turns pings off', () => {
    expect(refuse({ pingIntervalMs: 0 })).toBe(`pingIntervalMs must be a number of milliseconds from ${MIN_PING_INTERVAL_MS} to 2147483647, or null for no pings; got number 0`);
    expect(refuse({ pingIntervalMs: -1 })).toMatch(/got number -1$/);
    expect(refuse({ pingIntervalMs: '10' })).toMatch(/got the string "10"$/);
    expect(refuse({ pingIntervalMs: Number.NaN })).toMatch(/got number NaN$/);
    expect(() => checkStreamOptions({ pingIntervalMs: null })).not.toThrow();
    expect(() => checkStreamOptions({ pingIntervalMs: 30_000 })).not.toThrow();
  });

  it('refuses an authorization no header can carry, by its shape, never its text, as DOCKERCLOUD_AUTH is', () => {
    const EXPECTED = 'authorization must be a whole Authorization header value (such as "Basic …") without control characters, got';
    expect(refuse({ authorization: 'Basic c2VjcmV0LWtleQ==\n' })).toBe(`${EXPECTED} 23 characters (not shown: it is a secret) with a line feed (LF) at the end`);
    expect(refuse({ authorization: 'Bearer a\r\nX-Evil: 1' })).toBe(`${EXPECTED} 19 characters (not shown: it is a secret) with a carriage return (CR) at character 9 of 19`);
    expect(refuse({ authorization: 'Bearer a\u0000b' })).toBe(`${EXPECTED} 10 characters (not shown: it is a secret) with a NUL at character 9 of 10`);
    expect(refuse({ authorization: 'Bearer \u20ac' })).toBe(`${EXPECTED} 8 characters (not shown: it is a secret) with a character beyond U+00FF, which a header cannot carry, at the end`);
    expect(refuse({ authorization: '  ' })).toBe('authorization must be a whole Authorization header value (such as "Basic …"), got 2 characters: only white space');
    // A tab is allowed in a header value.
    expect(() => checkStreamOptions({ authorization: 'Bearer\ttok' })).not.toThrow();
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('\n', '\r', '\u0000', '\u007f'), fc.string(), (before, control, after) => {
        expect(refuse({ authorization: `Basic S3CR3T${before}${control}${after}` })).not.toContain('S3CR3T');
      }),
    );
  });

  it('refuses credentials with a control character (a trailing newline from a key file), naming the field, never the key', () => {
    expect(refuse({ credentials: { username: 'alice', apikey: 'alice-key-123\n' } })).toBe(
      'credentials.apikey must be an API key without control characters, got 14 characters (not shown: it is a secret) with a line feed (LF) at the end',
    );
    expect(refuse({ credentials: { username: 'al\u0000ice', apikey: 'alice-key-123' } })).toBe(
      'credentials.username must be a username without control characters, got the string "al\\u0000ice" with a NUL at character 3 of 6',
    );
    // Even beside an authorization that wins over them: queryAuth "token" would send them.
    expect(refuse({ authorization: BASIC, credentials: { username: 'alice', apikey: 'k\r' } })).toMatch(/^credentials\.apikey must be an API key without control characters, got 2 characters/);
    // Through resolveClientOptions, at creation.
    expect(() => resolveClientOptions({ streamHost: 'ws://h/', credentials: { username: 'alice', apikey: 'alice-key-123\n' } }, {}, 'stream')).toThrow(/^credentials\.apikey must be/);
    expect(() => resolveClientOptions({ streamHost: 'ws://h/', authorization: `${BASIC}\n` }, {}, 'stream')).toThrow(/^authorization must be/);
  });

  it('names the option and what it got for every ill-typed value', () => {
    expect(refuse({ streamHost: 18080 })).toBe('streamHost must be a string such as "ws://127.0.0.1:8080/", got number 18080');
    expect(refuse({ namespace: ['acme'] })).toBe('namespace must be a string, got an array');
    expect(refuse({ authorization: '' })).toBe('authorization is empty');
    expect(refuse({ extended: 'yes' })).toBe('extended must be true or false, got the string "yes"');
    expect(refuse({ onEvent: 5 })).toBe('onEvent must be a function, got number 5');
    expect(refuse({ closeTimeoutMs: -5 })).toBe('closeTimeoutMs must be a number of milliseconds from 0 to 2147483647, got number -5');
    expect(refuse({ dedupeWindow: 1.5 })).toMatch(/^dedupeWindow must be a whole number ≥ 0/);
    expect(refuse({ queryAuth: 'basic' })).toBe('queryAuth must be "auth" or "token", got the string "basic"');
    expect(refuse({ signal: {} })).toBe('signal must be an AbortSignal, got an object');
    // A number as a string, or null, was taken (null as the default) or named as a number.
    expect(refuse({ highWaterMark: '5' })).toBe('highWaterMark must be a whole number ≥ 1 (events an iterator may have waiting), got the string "5"');
    expect(refuse({ highWaterMark: null })).toMatch(/^highWaterMark must be a whole number ≥ 1 .*, got null$/);
    expect(refuse({ highWaterMark: 0.5 })).toMatch(/got number 0\.5$/);
    // A policy of the wrong kind: a string read as the unknown policy options "0", "1", …; null or an array as none.
    expect(refuse({ policy: 'fast' })).toBe('policy must be an object of reconnect policy options, such as { capMs: 10000 }, got the string "fast"');
    expect(refuse({ policy: null })).toMatch(/^policy must be an object .*, got null$/);
    expect(refuse({ policy: [] })).toMatch(/^policy must be an object .*, got an array$/);
    expect(() => checkStreamOptions({ highWaterMark: 1, policy: {} })).not.toThrow();
  });
});
