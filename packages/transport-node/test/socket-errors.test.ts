// What a socket error reads like, against real listeners on loopback: the runtime's raw text is
// kept, except where it names a cause nobody can act on (OpenSSL's "wrong version number").
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { until } from '../../../tests/transport-conformance/fixtures.js';
import { createEventStream } from '../src/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function plainHttpServer(): Promise<Server> {
  const server = createServer((_req, res) => res.end('plain'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return server;
}

it('says wss:// met a server without TLS, and keeps retrying (the server may gain TLS)', async () => {
  const server = await plainHttpServer();
  const stream = createEventStream({
    env: {},
    streamHost: `wss://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    credentials: { username: 'alice', apikey: 'alice-key-123' },
    policy: { baseMs: 50, capMs: 400, floorMs: 20, throttledFloorMs: 200 },
  });
  cleanups.push(() => stream.close());
  await until(() => stream.getSnapshot().lastClose !== null, 'the first failure');
  const snapshot = stream.getSnapshot();
  expect(snapshot.lastClose?.reason).toMatch(/^TLS handshake failed: the server does not speak TLS on this port \(use ws:\/\/ or http:\/\/\) \[EPROTO: wrong version number\]$/);
  expect(snapshot.phase).toBe('reconnecting');
});
