import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createScriptedSource } from '../../../tests/support/scripted-source.js';
import { basic } from './helpers/stream-client.js';

// The login throttle tracks at most maxTracked addresses. A spray of new failing addresses must
// not push a locked-out one out of it (which freed it at once): addresses that are not locked
// out are forgotten first. Each client here connects from its own loopback address (127.0.0.0/8
// is all loopback on Linux), as clients on other hosts would.

const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];
const RIGHT = basic('alice', 'alice-key-123');
const WRONG = basic('alice', 'wrong-key-123');

let server: EventsServer;

beforeAll(async () => {
  server = await createEventsServer({
    source: createScriptedSource(),
    users: USERS,
    logger: silentLogger,
    loginThrottle: { maxFailures: 2, maxTracked: 3 },
  });
});
afterAll(async () => {
  await server?.close();
});

/** The status of a REST list read from `localAddress` with `authorization`. */
function statusFrom(localAddress: string, authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: server.host, port: server.port, path: '/api/app/v1/acme/stack/', localAddress, headers: { Authorization: authorization }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('login throttle: a locked-out address stays locked out', () => {
  it('while more new failing addresses arrive than it tracks', async () => {
    const attacker = '127.0.0.2';
    expect(await statusFrom(attacker, WRONG)).toBe(401);
    expect(await statusFrom(attacker, WRONG)).toBe(401);
    expect(await statusFrom(attacker, RIGHT)).toBe(429);
    // Twice maxTracked new addresses, one failure each: none of them locked out.
    for (let i = 3; i < 9; i++) expect(await statusFrom(`127.0.0.${i}`, WRONG)).toBe(401);
    expect(await statusFrom(attacker, RIGHT)).toBe(429);
    expect(await statusFrom(attacker, WRONG)).toBe(429);
    // The others were not locked out, and are not now.
    expect(await statusFrom('127.0.0.3', RIGHT)).toBe(200);
  });
});
