// What a socket error reads like, against real listeners on loopback: the runtime's raw text is
// kept, except where it names a cause nobody can act on (OpenSSL's "wrong version number").
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { SELF_SIGNED_CERT, SELF_SIGNED_KEY } from '../../../tests/support/self-signed-tls.js';
import { until } from '../../../tests/transport-conformance/fixtures.js';
import { createEventStream, createLiveTree } from '../src/index.js';

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

it("says a REST request's certificate was refused as a socket's is, with the fix (fetch's cause is read like a socket error)", async () => {
  const server = createHttpsServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT }, (_req, res) => res.end('{}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const port = (server.address() as AddressInfo).port;
  const tree = createLiveTree({
    env: {},
    streamHost: `wss://127.0.0.1:${port}/`,
    credentials: { username: 'alice', apikey: 'alice-key-123' },
    online: false, // no socket: only the REST request is under test
  });
  cleanups.push(() => tree.close());
  const error = await tree.fetchObject('/api/app/v1/alice/service/8b1f0c2e-0d4e-4a39-9a57-8e2f7c1d5b60/').then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(error).toMatchObject({ name: 'EventsError', code: 'connection' });
  expect(error?.message).toMatch(
    /^GET https:\/\/127\.0\.0\.1:\d+\/api\/app\/v1\/alice\/service\/[\w-]+\/ failed: fetch failed \(TLS certificate refused \(DEPTH_ZERO_SELF_SIGNED_CERT\): self-signed certificate; trust the server's CA with NODE_EXTRA_CA_CERTS, or fix its certificate\)$/,
  );
});
