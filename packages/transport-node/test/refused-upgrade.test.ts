// A refused upgrade whose body never ends, against a raw HTTP server on loopback: the status and
// Retry-After are in the headers, so the throttle must be reported long before the connect
// timeout, and the socket given up rather than left open on the server's body.
import { afterEach, describe, expect, it } from 'vitest';
import { createRefusingHost, type RefusingHost } from '../../../tests/support/refusing-host.js';
import { activeTimers, sleep, until } from '../../../tests/transport-conformance/fixtures.js';
import { createEventStream } from '../src/index.js';

const CONNECT_TIMEOUT_MS = 8_000;
const POLICY = { baseMs: 60, capMs: 60_000, floorMs: 20, throttledFloorMs: 200, connectTimeoutMs: CONNECT_TIMEOUT_MS, maxHintMs: 60_000 };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startRawServer(head: string, body: string): Promise<RefusingHost> {
  const host = await createRefusingHost(head, body);
  cleanups.push(() => host.close());
  return host;
}

describe('an upgrade refused with a body that never ends', () => {
  for (const [framing, body] of [
    ['chunked', '5\r\n{"det'],
    ['content-length', '{"det'],
  ] as const) {
    it(`reports a 429 as a throttle with its Retry-After well before the connect timeout (${framing})`, async () => {
      const framingHeader = framing === 'chunked' ? 'Transfer-Encoding: chunked' : 'Content-Length: 1000';
      const server = await startRawServer(`HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Type: application/json\r\n${framingHeader}`, body);
      const stream = createEventStream({ env: {}, streamHost: server.url, credentials: { username: 'alice', apikey: 'k1' }, policy: POLICY });
      cleanups.push(() => stream.close());
      const started = performance.now();
      await until(() => stream.getSnapshot().lastClose !== null, 'the refusal', CONNECT_TIMEOUT_MS + 2_000);
      const snapshot = stream.getSnapshot();
      expect(snapshot.lastClose).toMatchObject({ kind: 'http', code: 429, class: 'throttled', retryAfterMs: 30_000 });
      expect(snapshot.lastClose?.reason).toBe('HTTP 429');
      expect(performance.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS / 4);
      // The server's wait is honoured: no new attempt before it ends.
      expect(snapshot).toMatchObject({ phase: 'reconnecting', status: 'backoff' });
      expect((snapshot.retryAt as number) - (snapshot.lastClose?.at as number)).toBeGreaterThanOrEqual(30_000);
      // The socket is given up, not held open on the body.
      await until(() => server.open === 0, 'the refused connection closed', 2_000);
      expect(server.requests).toBe(1);
    });
  }

  it("keeps the server's explanation when it arrives before the body ends", async () => {
    const detail = JSON.stringify({ detail: 'Too many connections; slow down.' });
    const server = await startRawServer('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Type: application/json\r\nContent-Length: 1000', detail);
    const stream = createEventStream({ env: {}, streamHost: server.url, credentials: { username: 'alice', apikey: 'k1' }, policy: POLICY });
    cleanups.push(() => stream.close());
    const started = performance.now();
    await until(() => stream.getSnapshot().lastClose !== null, 'the refusal', CONNECT_TIMEOUT_MS + 2_000);
    expect(performance.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS / 4);
    expect(stream.getSnapshot().lastClose).toMatchObject({ kind: 'http', code: 429, class: 'throttled', retryAfterMs: 30_000, reason: 'Too many connections; slow down.' });
    await until(() => server.open === 0, 'the refused connection closed', 2_000);
  });

  it('stops on a 401 whose body never ends, with no retry', async () => {
    const server = await startRawServer('HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked', '');
    const stream = createEventStream({ env: {}, streamHost: server.url, credentials: { username: 'alice', apikey: 'k1' }, policy: POLICY });
    cleanups.push(() => stream.close());
    const started = performance.now();
    await expect(stream.runForever()).rejects.toMatchObject({ code: 'auth' });
    expect(performance.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS / 4);
    expect(stream.getSnapshot().lastClose).toMatchObject({ kind: 'http', code: 401 });
    await until(() => server.open === 0, 'the refused connection closed', 2_000);
    expect(server.requests).toBe(1);
  });

  it('close() while it waits for the body leaves no timer and no socket behind', async () => {
    const server = await startRawServer('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nTransfer-Encoding: chunked', '');
    const baseline = activeTimers();
    const stream = createEventStream({ env: {}, streamHost: server.url, credentials: { username: 'alice', apikey: 'k1' }, policy: POLICY });
    cleanups.push(() => stream.close());
    await until(() => server.requests === 1, 'the upgrade request');
    await sleep(20); // the refusal's head is in, its body is awaited
    expect(stream.getSnapshot().lastClose).toBeNull();
    await stream.close();
    await until(() => server.open === 0 && activeTimers() <= baseline, 'nothing left', 200, () => [server.open, activeTimers(), baseline]);
    await sleep(600); // past the body's wait: the refusal is not reported late
    expect(stream.getSnapshot()).toMatchObject({ closed: true, phase: 'stopped', lastClose: null });
  });

  it('says where a redirect points (a WebSocket follows none), and stops', async () => {
    const server = await startRawServer('HTTP/1.1 301 Moved Permanently\r\nLocation: https://events.example.test/api/audit/v1/events/?type=service\r\nContent-Length: 0', '');
    const stream = createEventStream({ env: {}, streamHost: server.url, credentials: { username: 'alice', apikey: 'k1' }, policy: POLICY });
    cleanups.push(() => stream.close());
    await expect(stream.runForever()).rejects.toMatchObject({
      code: 'http',
      message:
        'the server refused the connection with HTTP 301: it redirects to https://events.example.test/api/audit/v1/events/ (a WebSocket follows no redirect: name that host in streamHost)',
    });
    expect(server.requests).toBe(1);
  });
});
