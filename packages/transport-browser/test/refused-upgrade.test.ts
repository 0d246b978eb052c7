// An upgrade refused with a body that never ends (a proxy that keeps it open), against a raw HTTP
// host on loopback. The standard WebSocket fails such an upgrade on its status line without
// reading the body (browsers report a bare 1006; `ws`, injected on Node 20, the status), so it is
// reported at once, not at the connect timeout. Retry-After is out of reach of the standard API.
import { WebSocket } from 'ws';
import { afterEach, expect, it } from 'vitest';
import { createRefusingHost } from '../../../tests/support/refusing-host.js';
import { until } from '../../../tests/transport-conformance/fixtures.js';
import { createEventStream } from '../src/index.js';

const CONNECT_TIMEOUT_MS = 8_000;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('reports a 429 whose body never ends at once, as a throttle, and drops the socket', async () => {
  const host = await createRefusingHost('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nTransfer-Encoding: chunked', '5\r\n{"det');
  cleanups.push(() => host.close());
  const stream = createEventStream({
    streamHost: host.url,
    credentials: { username: 'alice', apikey: 'k1' },
    WebSocket,
    policy: { baseMs: 60, capMs: 400, floorMs: 20, throttledFloorMs: 200, connectTimeoutMs: CONNECT_TIMEOUT_MS },
  });
  cleanups.push(() => stream.close());
  const started = performance.now();
  await until(() => stream.getSnapshot().lastClose !== null, 'the refusal', CONNECT_TIMEOUT_MS + 2_000);
  expect(performance.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS / 4);
  expect(stream.getSnapshot().lastClose).toMatchObject({ kind: 'http', code: 429, class: 'throttled' });
  await until(() => host.open === 0, 'the refused connection closed', 2_000);
});
