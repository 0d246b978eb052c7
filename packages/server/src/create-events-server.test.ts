import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createScriptedSource } from '../../../tests/support/scripted-source.js';
import { createEventsServer, type EventsServerOptions, requestUrl } from './create-events-server.js';
import { silentLogger } from './logger.js';
import { hashApiKey } from './user-directory.js';

describe('requestUrl', () => {
  it('collapses runs of slashes instead of reading //api as a host', () => {
    const url = requestUrl('//api/audit/v1/events/?type=container');
    expect(url !== undefined && url !== 'too-long' && [url.host, url.pathname, url.search]).toEqual(['localhost', '/api/audit/v1/events/', '?type=container']);
  });

  it('accepts absolute-form targets and refuses the rest', () => {
    const url = requestUrl('http://example.com:443/api/audit/v1/acme/events');
    expect(url !== undefined && url !== 'too-long' && url.pathname).toBe('/api/audit/v1/acme/events');
    expect(requestUrl('*')).toBeUndefined();
    expect(requestUrl(`/${'a'.repeat(9_000)}`)).toBe('too-long');
  });
});

describe('createEventsServer options', () => {
  const USER = { username: 'alice', apikey: 'alice-key-1' };
  /** The options with `change` applied (a key set to undefined is removed), as a JavaScript caller passes them. */
  const start = (change: Record<string, unknown>) => {
    const options: Record<string, unknown> = { source: createScriptedSource(), users: [USER], logger: silentLogger, ...change };
    for (const key of Object.keys(change)) if (change[key] === undefined) delete options[key];
    return createEventsServer(options as unknown as EventsServerOptions);
  };
  const MS = 'a number of milliseconds > 0 and ≤ 2147483647';

  it.each([
    [{ port: 70_000 }, 'port must be a whole number from 0 to 65535, got number 70000'],
    [{ port: '8080' }, 'port must be a whole number from 0 to 65535, got the string "8080"'],
    [{ byteBudget: 0 }, 'byteBudget must be a number of bytes > 0, got number 0'],
    [{ heartbeatMs: -1 }, `heartbeatMs must be ${MS}, got number -1`],
    // Node's timers fire at once for a longer delay: a heartbeat every millisecond.
    [{ pingIntervalMs: 3_000_000_000 }, `pingIntervalMs must be ${MS}, got number 3000000000`],
    [{ headersTimeoutMs: '10s' }, `headersTimeoutMs must be ${MS}, got the string "10s"`],
    [{ host: '' }, 'host must be an address to listen on such as "127.0.0.1" or "0.0.0.0", got the string ""'],
    [{ host: 8080 }, 'host must be an address to listen on such as "127.0.0.1" or "0.0.0.0", got number 8080'],
    [{ users: [] }, 'users: must list at least one user'],
    [{ users: undefined }, /^users is required: an array of users such as \[\{ username: "alice", apikey: "\.\.\.", namespaces: \["acme"\] \}\]$/],
    [{ users: USER }, /^users: must be an array of users such as .*, got an object \(write a single user in \[ \]\)$/],
    [
      { users: [{ username: 'alice', api_key: 'alice-key-1' }] },
      /^users\.0: unknown key "api_key" \(did you mean "apikey"\?\); users\.0: needs "apikeySha256" \(the SHA-256 of the API key in 64 hex characters, .*\) or "apikey" \(the key itself, at least 8 characters\)$/,
    ],
    [{ users: [{ username: 'alice', apikey: 'alice-key-1', apikeySha256: 'ab'.repeat(32) }] }, 'users.0: has both "apikey" and "apikeySha256": keep one (the hash, so that the file holds no key)'],
    [{ users: [{ username: 'alice', apikeySha256: 'alice-key-1' }] }, /^users\.0\.apikeySha256: must be the SHA-256 of the API key in 64 hex characters, .*, got 11 characters \(not shown: it may be a key\)$/],
    [{ users: [{ username: 'alice', apikey: 'k' }] }, 'users.0.apikey: must be at least 8 characters'],
    [{ users: [USER, USER] }, 'user "alice" is listed twice'],
    [{ source: undefined }, /^source is required: a CloudSource such as createSimulatedCloud\(\{ seed, rate, namespaces \}\) or createDockerSource\(\{ namespace \}\)$/],
    [{ source: {} }, /^source must be a CloudSource .*, got an object without start\(\), stop\(\), list\(\), get\(\), operate\(\), health\(\)$/],
    [{ source: { ...createScriptedSource(), name: undefined } }, /^source must be a CloudSource .*, got one whose name is undefined/],
    [{ logger: console }, /^logger must be a Logger \(debug, info, warn, error, child\) such as createLogger\(\{ level \}\) or silentLogger, got .* without child\(\)$/],
    [{ now: 5 }, 'now must be a function returning the time in milliseconds, such as Date.now, got number 5'],
    [{ retention: 10 }, 'retention must be an object with count, ageMs, got number 10'],
    [{ retention: { count: -1 } }, 'retention.count must be a whole number of events from 0 to 10000000, got number -1'],
    [{ retention: { age: 60_000 } }, 'retention: unknown option "age" (did you mean "ageMs"?); retention takes count, ageMs'],
    [{ loginThrottle: { maxFailure: 3 } }, /^loginThrottle: unknown option "maxFailure" \(did you mean "maxFailures"\?\); loginThrottle takes maxFailures, windowMs, lockoutMs, maxTracked$/],
    [{ prot: 9000 }, /^unknown option "prot" \(did you mean "port"\?\); createEventsServer takes source, users, host, port, retention, /],
    [{ hostname: '0.0.0.0' }, /^unknown option "hostname" \(did you mean "host"\?\); createEventsServer takes /],
    [{ heartbeat: 1000 }, /^unknown option "heartbeat" \(did you mean "heartbeatMs"\?\)/],
    [{ colour: 'blue' }, /^unknown option "colour"; createEventsServer takes /],
    [{ trustedProxies: '10.0.0.2' }, 'trustedProxies must be an array of IPv4 or IPv6 addresses, CIDR ranges and named ranges such as ["loopback", "10.0.0.2", "fd00::/8"], got the string "10.0.0.2" (write it in [ ])'],
    [{ trustedProxies: ['10.0.0.2', '10.0.0.0/33'] }, 'trustedProxies[1] must be an IPv4 or IPv6 address, a CIDR range such as 10.0.0.0/8 or fd00::/8, or a named range (loopback, linklocal or uniquelocal), got the string "10.0.0.0/33": the prefix length of an IPv4 range is a whole number from 0 to 32'],
    [{ trustProxy: ['10.0.0.2'] }, /^unknown option "trustProxy" \(did you mean "trustedProxies"\?\); createEventsServer takes /],
    [{ trustedProxies: [null] }, 'trustedProxies[0] must be an IPv4 or IPv6 address, a CIDR range such as 10.0.0.0/8 or fd00::/8, or a named range (loopback, linklocal or uniquelocal), got null'],
  ])('rejects %j, naming the option and what it takes', async (change, message) => {
    await expect(start(change)).rejects.toMatchObject({
      name: 'EventsError',
      code: 'invalid-config',
      message: typeof message === 'string' ? message : expect.stringMatching(message),
    });
  });

  it('rejects options that are no object at all as an EventsError, not a TypeError', async () => {
    const call = createEventsServer as (options?: unknown) => Promise<unknown>;
    for (const options of [undefined, null, 'port=8080', [USER]]) {
      await expect(call(options)).rejects.toMatchObject({ code: 'invalid-config', message: expect.stringMatching(/^options must be an object such as \{ source: createSimulatedCloud/) });
    }
    fc.assert(
      fc.asyncProperty(fc.anything(), async (options) => {
        await expect(call(options)).rejects.toMatchObject({ name: 'EventsError', code: 'invalid-config' });
      }),
      { numRuns: 200 },
    );
  });

  it('takes an option set to undefined as left out, as a spread of partial options gives', async () => {
    const server = await start({ host: undefined, port: undefined, heartbeatMs: undefined, retention: undefined });
    expect(server.host).toBe('127.0.0.1');
    await server.close();
  });

  it('takes users stored by the SHA-256 of their key: that key gets in, the hash itself does not', async () => {
    const server = await start({ users: [{ username: 'alice', apikeySha256: hashApiKey('alice-key-1') }] });
    try {
      const status = async (apikey: string) => (await fetch(`${server.url}/api/app/v1/stack/`, { headers: { Authorization: `Basic ${Buffer.from(`alice:${apikey}`).toString('base64')}` } })).status;
      expect(await status('alice-key-1')).toBe(200);
      expect(await status('alice-key-2')).toBe(401);
      expect(await status(hashApiKey('alice-key-1'))).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('closes the HTTP server again when the source fails to start', async () => {
    const users = [{ username: 'a', apikey: 'aaaaaaaa' }];
    const probe = await createEventsServer({ source: createScriptedSource(), users, logger: silentLogger });
    const port = probe.port;
    await probe.close();
    const failing = { ...createScriptedSource(), start: () => Promise.reject(new Error('no docker socket')) };
    await expect(createEventsServer({ source: failing, users, logger: silentLogger, port })).rejects.toMatchObject({ message: 'no docker socket' });
    // The port is free again.
    const again = await createEventsServer({ source: createScriptedSource(), users, logger: silentLogger, port });
    expect(again.port).toBe(port);
    await again.close();
  });
});
