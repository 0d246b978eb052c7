import type { Socket } from 'node:net';
import { RESUME_SUBPROTOCOL } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createScriptedSource, type ScriptedSource } from '../../../tests/support/scripted-source.js';
import { basic, openStream, type StreamClient } from './helpers/stream-client.js';
import { settle, until } from './helpers/wait.js';

const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];
const ALICE = { Authorization: basic('alice', 'alice-key-123') };
const BUDGET = 64 * 1024;

let server: EventsServer;
let source: ScriptedSource;
let url: string;

beforeAll(async () => {
  source = createScriptedSource();
  server = await createEventsServer({ source, users: USERS, logger: silentLogger, byteBudget: BUDGET, closeTimeoutMs: 20_000 });
  url = `${server.url.replace('http', 'ws')}/api/audit/v1/acme/events/`;
});
afterAll(async () => {
  await server?.close();
});

/** The client's net socket: pausing it stops reading, so the kernel buffers fill and then the server's. */
const socketOf = (client: StreamClient) => (client.ws as unknown as { _socket: Socket })._socket;

/** Emits bursts (one per event-loop turn, as a busy source would) until `done()` or `max` events. */
async function flood(done: () => boolean, max = 400_000): Promise<number> {
  let sent = 0;
  while (!done() && sent < max) {
    for (let i = 0; i < 500; i++) source.emit('acme');
    sent += 500;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return sent;
}

describe('slow consumers', () => {
  it.each([
    ['plain', {}, { errorMessage: expect.stringMatching(/^Slow consumer/) }],
    ['extended', { protocols: [RESUME_SUBPROTOCOL] }, { errorMessage: expect.stringMatching(/^Slow consumer/), code: 4008, retryAfterMs: 5000 }],
  ])('a %s client that stops reading is closed with 4008 while another receives everything', async (_name, options, errorData) => {
    const slow = await openStream(url, { headers: ALICE, ...options });
    const fast = await openStream(url, { headers: ALICE });
    await settle(20);
    const before = server.metrics.snapshot();
    const start = source.emitted.length;
    socketOf(slow).pause();
    const started = performance.now();
    const sent = await flood(() => server.metrics.snapshot().slowConsumersClosed > before.slowConsumersClosed);
    const elapsed = performance.now() - started;
    const after = server.metrics.snapshot();
    expect(after.slowConsumersClosed).toBe(before.slowConsumersClosed + 1);
    expect(after.framesDropped).toBeGreaterThan(before.framesDropped);
    // The fast client was never held back: it receives every event, in order.
    const expected = source.emitted.slice(start).map((e) => e.event.uuid);
    await fast.waitFor((frames) => frames.length >= expected.length, 20_000);
    expect(fast.json().map((f) => f.uuid)).toEqual(expected);
    // The slow one, once it reads again, finds a prefix of the events, the error frame, and 4008.
    socketOf(slow).resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(4008);
    const frames = slow.json();
    const last = frames.at(-1);
    expect(last).toEqual({ type: 'error', data: errorData });
    const events = frames.filter((f) => f.type !== 'error' && f.type !== 'hello' && f.type !== 'position').map((f) => f.uuid);
    expect(events).toEqual(expected.slice(0, events.length));
    expect(events.length).toBeLessThan(expected.length);
    await until(() => server.connections === 1);
    fast.ws.close();
    await until(() => server.connections === 0);
    console.info(`slow consumer (${_name}) closed after ${sent} events in ${elapsed.toFixed(0)} ms; it had received ${events.length}`);
  });

  it('coalesces frames: a burst reaches each socket in far fewer writes than frames', async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, () => openStream(url, { headers: ALICE })));
    const before = server.metrics.snapshot();
    for (let i = 0; i < 200; i++) source.emit('acme');
    await Promise.all(clients.map((c) => c.waitForFrames(200)));
    const after = server.metrics.snapshot();
    const frames = after.framesWritten - before.framesWritten;
    const writes = after.socketWrites - before.socketWrites;
    expect(frames).toBe(2_000);
    // One burst in one tick leaves in batches of up to a quarter of the budget (16 KiB here,
    // ~45 events), not one write per frame.
    expect(frames / writes).toBeGreaterThanOrEqual(40);
    console.info(`burst of 200 events to 10 sockets: ${frames} frames in ${writes} socket writes`);
    for (const c of clients) c.ws.close();
  });
});
