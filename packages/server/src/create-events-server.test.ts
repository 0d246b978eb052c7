import { describe, expect, it } from 'vitest';
import { createScriptedSource } from '../../../tests/support/scripted-source.js';
import { createEventsServer, requestUrl } from './create-events-server.js';
import { silentLogger } from './logger.js';

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
  it.each([
    [{ port: 70_000 }, /port must be an integer/],
    [{ byteBudget: 0 }, /byteBudget must be a positive number/],
    [{ heartbeatMs: -1 }, /heartbeatMs must be a positive number/],
    [{ users: [] }, /at least one user/],
  ])('rejects %o', async (bad, message) => {
    await expect(
      createEventsServer({ source: createScriptedSource(), users: [{ username: 'a', apikey: 'aaaaaaaa' }], logger: silentLogger, ...bad }),
    ).rejects.toMatchObject({ code: 'invalid-config', message: expect.stringMatching(message) });
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
