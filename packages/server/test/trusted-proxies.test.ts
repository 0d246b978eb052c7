import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createScriptedSource } from '../../../tests/support/scripted-source.js';
import { createEventsServer, type EventsServer, type EventsServerOptions } from '../src/create-events-server.js';
import { createLogger } from '../src/logger.js';
import { createSimulatedCloud } from '../src/simulator/simulated-cloud.js';
import { basic } from './helpers/stream-client.js';

// Behind a reverse proxy every client connects from the proxy's address. The login throttle
// counts failures per client address, so with the proxy trusted it counts the client the proxy
// names in X-Forwarded-For, and from any other peer it ignores that header. Each party here
// connects from its own loopback address (127.0.0.0/8 is all loopback on Linux), as hosts would:
// 127.0.0.2 plays the proxy.

const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];
const RIGHT = basic('alice', 'alice-key-123');
const WRONG = basic('alice', 'wrong-key-123');
const PROXY = '127.0.0.2';

interface Started {
  readonly server: EventsServer;
  /** Every log line, parsed. */
  readonly logs: Record<string, unknown>[];
}

async function start(options: Partial<EventsServerOptions>): Promise<Started> {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const server = await createEventsServer({ source: createScriptedSource(), users: USERS, logger, loginThrottle: { maxFailures: 2 }, ...options });
  return { server, logs };
}

/** The status of a REST list read from `from` (a loopback address) with `authorization` and `headers`. */
function restStatus(server: EventsServer, from: string, authorization: string, headers: Record<string, string | string[]> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path: '/api/app/v1/acme/stack/', localAddress: from, headers: { Authorization: authorization, ...headers }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The status of a stream upgrade from `from`: 101 when it was accepted, else the refusal's. */
function upgradeStatus(server: EventsServer, from: string, authorization: string, headers: Record<string, string> = {}): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/audit/v1/acme/events/`, { localAddress: from, headers: { Authorization: authorization, ...headers } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (req, res) => {
      res.resume();
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', reject);
  });
}

const forwardedFor = (...addresses: string[]) => ({ 'X-Forwarded-For': addresses.join(', ') });

describe('without trusted proxies (the default)', () => {
  let started: Started;
  beforeAll(async () => {
    started = await start({});
  });
  afterAll(() => started?.server.close());

  it('ignores X-Forwarded-For: a peer is throttled by its own address, whatever it claims', async () => {
    const { server } = started;
    expect(await restStatus(server, PROXY, WRONG, forwardedFor('198.51.100.1'))).toBe(401);
    expect(await restStatus(server, PROXY, WRONG, forwardedFor('198.51.100.2'))).toBe(401);
    expect(await restStatus(server, PROXY, RIGHT, forwardedFor('198.51.100.3'))).toBe(429);
  });
});

describe('with trusted proxies', () => {
  let started: Started;
  beforeAll(async () => {
    started = await start({ trustedProxies: [PROXY, '127.0.0.8/29'] });
  });
  afterAll(() => started?.server.close());

  it('counts each client behind a trusted proxy on its own (REST): one locked out, the other logs in', async () => {
    const { server, logs } = started;
    expect(await restStatus(server, PROXY, WRONG, forwardedFor('203.0.113.7'))).toBe(401);
    expect(await restStatus(server, PROXY, WRONG, forwardedFor('203.0.113.7'))).toBe(401);
    expect(await restStatus(server, PROXY, RIGHT, forwardedFor('203.0.113.7'))).toBe(429);
    expect(await restStatus(server, PROXY, RIGHT, forwardedFor('203.0.113.8'))).toBe(200);
    // The proxy's own requests (no header) are its own too.
    expect(await restStatus(server, PROXY, RIGHT)).toBe(200);
    // The logs name the client, not the proxy.
    expect(logs.filter((line) => line.msg === 'login refused').map((line) => [line.remote, line.reason])).toEqual([
      ['203.0.113.7', 'invalid'],
      ['203.0.113.7', 'invalid'],
      ['203.0.113.7', 'throttled'],
    ]);
    expect(logs.filter((line) => line.msg === 'rest request').map((line) => [line.remote, line.status])).toEqual([
      ['203.0.113.7', 401],
      ['203.0.113.7', 401],
      ['203.0.113.7', 429],
      ['203.0.113.8', 200],
      [PROXY, 200],
    ]);
  });

  it('counts each client behind a trusted proxy on its own (WebSocket upgrades), and names it in the stream logs', async () => {
    const { server, logs } = started;
    expect(await upgradeStatus(server, PROXY, WRONG, forwardedFor('203.0.113.17'))).toBe(401);
    expect(await upgradeStatus(server, PROXY, WRONG, forwardedFor('203.0.113.17'))).toBe(401);
    expect(await upgradeStatus(server, PROXY, RIGHT, forwardedFor('203.0.113.17'))).toBe(429);
    expect(await upgradeStatus(server, PROXY, RIGHT, forwardedFor('203.0.113.18'))).toBe(101);
    expect(logs.find((line) => line.msg === 'stream opened')).toMatchObject({ remote: '203.0.113.18', user: 'alice' });
  });

  it('ignores the header of a peer that is not trusted: a forged one does not get it out of the throttle', async () => {
    const { server } = started;
    const peer = '127.0.0.3';
    expect(await restStatus(server, peer, WRONG, forwardedFor('198.51.100.1'))).toBe(401);
    expect(await upgradeStatus(server, peer, WRONG, forwardedFor('198.51.100.2'))).toBe(401);
    expect(await restStatus(server, peer, RIGHT, forwardedFor('198.51.100.3'))).toBe(429);
    expect(await upgradeStatus(server, peer, RIGHT, forwardedFor(PROXY, '198.51.100.4'))).toBe(429);
  });

  it('reads no further left than the trusted proxy wrote: what the client put in the header changes nothing', async () => {
    const { server } = started;
    // The client sent "X-Forwarded-For: <anything>"; the proxy appended the address it saw.
    expect(await restStatus(server, PROXY, WRONG, forwardedFor('198.51.100.1', '203.0.113.27'))).toBe(401);
    expect(await restStatus(server, PROXY, WRONG, forwardedFor('198.51.100.2', '203.0.113.27'))).toBe(401);
    expect(await restStatus(server, PROXY, RIGHT, forwardedFor('198.51.100.3', '203.0.113.27'))).toBe(429);
    // Nor does a Forwarded header (RFC 7239), which proxies pass on as the client sent it.
    expect(await restStatus(server, PROXY, RIGHT, { ...forwardedFor('203.0.113.27'), Forwarded: 'for=198.51.100.4' })).toBe(429);
  });

  it('trusts every address of a CIDR range, walking past a chain of them, and none outside it', async () => {
    const { server } = started;
    // 127.0.0.9 and 127.0.0.10 are in 127.0.0.8/29: a chain of two proxies.
    expect(await restStatus(server, '127.0.0.9', WRONG, forwardedFor('203.0.113.37', '127.0.0.10'))).toBe(401);
    expect(await restStatus(server, '127.0.0.15', WRONG, forwardedFor('203.0.113.37'))).toBe(401);
    expect(await restStatus(server, '127.0.0.9', RIGHT, forwardedFor('203.0.113.37'))).toBe(429);
    expect(await restStatus(server, '127.0.0.9', RIGHT, forwardedFor('203.0.113.38', '127.0.0.10'))).toBe(200);
    // 127.0.0.16 is past the range: its header is ignored.
    expect(await restStatus(server, '127.0.0.16', WRONG, forwardedFor('203.0.113.39'))).toBe(401);
    expect(await restStatus(server, '127.0.0.16', WRONG, forwardedFor('203.0.113.40'))).toBe(401);
    expect(await restStatus(server, '127.0.0.16', RIGHT, forwardedFor('203.0.113.41'))).toBe(429);
  });

  it('reads every X-Forwarded-For line, and stops at an entry that is no address', async () => {
    const { server } = started;
    // Two lines: Node joins them in order, so the rightmost entry is the second line's.
    expect(await restStatus(server, PROXY, WRONG, { 'X-Forwarded-For': ['203.0.113.47', '127.0.0.10'] })).toBe(401);
    expect(await restStatus(server, PROXY, WRONG, forwardedFor('203.0.113.47'))).toBe(401);
    expect(await restStatus(server, PROXY, RIGHT, forwardedFor('203.0.113.47'))).toBe(429);
    // Garbage right of the client: the walk stops at the hop that passed it on (127.0.0.10), never
    // at the garbage itself, and the client is not reached.
    expect(await restStatus(server, PROXY, RIGHT, forwardedFor('203.0.113.47', 'unknown', '127.0.0.10'))).toBe(200);
    expect(started.logs.at(-1)).toMatchObject({ msg: 'rest request', remote: '127.0.0.10' });
  });

  it('logs the trusted proxies at start', () => {
    expect(started.logs.find((line) => line.msg === 'events server listening')).toMatchObject({ trustedProxies: [PROXY, '127.0.0.8/29'] });
  });
});

describe('IPv4-mapped IPv6 peers', () => {
  let started: Started;
  beforeAll(async () => {
    // A dual-stack socket bound to loopback: Node reports IPv4 peers as ::ffff:127.0.0.x.
    started = await start({ host: '::ffff:127.0.0.1', trustedProxies: [PROXY] });
  });
  afterAll(() => started?.server.close());

  it('match an IPv4 entry', async () => {
    const { server, logs } = started;
    expect(await restStatus(server, PROXY, WRONG, forwardedFor('203.0.113.57'))).toBe(401);
    expect(await restStatus(server, PROXY, WRONG, forwardedFor('203.0.113.57'))).toBe(401);
    expect(await restStatus(server, PROXY, RIGHT, forwardedFor('203.0.113.57'))).toBe(429);
    expect(await restStatus(server, PROXY, RIGHT, forwardedFor('203.0.113.58'))).toBe(200);
    // The peer itself, when it is not behind the proxy, is named as Node gives it.
    expect(await restStatus(server, '127.0.0.3', RIGHT, forwardedFor('203.0.113.59'))).toBe(200);
    expect(logs.filter((line) => line.msg === 'rest request').map((line) => line.remote)).toEqual(['203.0.113.57', '203.0.113.57', '203.0.113.57', '203.0.113.58', '::ffff:127.0.0.3']);
  });
});

describe('named ranges', () => {
  let started: Started;
  beforeAll(async () => {
    // A dual-stack socket bound to loopback: Node reports IPv4 peers as ::ffff:127.0.0.x, which
    // the IPv4 half of `loopback` (127.0.0.0/8) must match.
    started = await start({ host: '::ffff:127.0.0.1', trustedProxies: ['loopback', '10.1.2.3'] });
  });
  afterAll(() => started?.server.close());

  it('trust every loopback peer, as IPv4-mapped IPv6, in a list mixed with an address', async () => {
    const { server, logs } = started;
    expect(await restStatus(server, '127.0.0.2', WRONG, forwardedFor('203.0.113.67'))).toBe(401);
    expect(await restStatus(server, '127.0.0.3', WRONG, forwardedFor('203.0.113.67', '127.0.0.4'))).toBe(401);
    expect(await restStatus(server, '127.1.2.3', RIGHT, forwardedFor('203.0.113.67'))).toBe(429);
    expect(await upgradeStatus(server, '127.0.0.5', RIGHT, forwardedFor('203.0.113.68'))).toBe(101);
    expect(logs.filter((line) => line.msg === 'login refused').map((line) => line.remote)).toEqual(['203.0.113.67', '203.0.113.67', '203.0.113.67']);
    expect(logs.find((line) => line.msg === 'events server listening')).toMatchObject({ trustedProxies: ['loopback', '10.1.2.3'] });
  });
});

describe('IPv6', () => {
  let started: Started;
  beforeAll(async () => {
    started = await start({ host: '::1', trustedProxies: ['::1/128'] });
  });
  afterAll(() => started?.server.close());

  /** As restStatus, to the server on ::1 from ::1 (IPv6 has one loopback address). */
  const status = (authorization: string, forwarded: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '::1', port: started.server.port, path: '/api/app/v1/acme/stack/', headers: { Authorization: authorization, 'X-Forwarded-For': forwarded }, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });

  it('walks past a trusted IPv6 proxy to IPv6 clients, one client per /64 however it is written', async () => {
    expect(await status(WRONG, '2001:db8::7')).toBe(401);
    expect(await status(WRONG, '[2001:DB8:0::7]:51000')).toBe(401);
    expect(await status(RIGHT, '2001:db8:0:0:0:0:0:7')).toBe(429);
    // Another address of the same /64 is the same host to the throttle; another /64 is not.
    expect(await status(RIGHT, '2001:db8::8')).toBe(429);
    expect(await status(RIGHT, '2001:db8:0:1::8')).toBe(200);
    // The log names each client's own address, in one form.
    expect(started.logs.filter((line) => line.msg === 'login refused').map((line) => line.remote)).toEqual(['2001:db8::7', '2001:db8::7', '2001:db8::7', '2001:db8::8']);
  });
});

describe('an operation through a trusted proxy', () => {
  it('names the client in its "operation accepted" line', async () => {
    const source = createSimulatedCloud({ seed: 7, rate: 0, namespaces: ['acme'], manual: true });
    const { server, logs } = await start({ source, trustedProxies: [PROXY] });
    try {
      const container = source.list('acme', 'container')[0];
      expect(container).toBeDefined();
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: server.port, method: 'POST', path: `${container?.resource_uri}stop/`, localAddress: PROXY, headers: { Authorization: RIGHT, ...forwardedFor('203.0.113.40') }, agent: false },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(202);
      expect(logs.find((line) => line.msg === 'operation accepted')).toMatchObject({ user: 'alice', remote: '203.0.113.40', operation: 'Container Stop' });
    } finally {
      await server.close();
    }
  });
});
