import type { Socket } from 'node:net';
import { RESUME_SUBPROTOCOL } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createScriptedSource, type ScriptedSource } from '../../../tests/support/scripted-source.js';
import { basic, openStream, type StreamClient } from './helpers/stream-client.js';
import { settle } from './helpers/wait.js';

// A budget under twice the socket's high-water mark (16 KiB): half of it can wait in the socket
// without the socket ever asking for a 'drain', which is what a paced replay waited for.
const BUDGET = 8 * 1024;
const ALICE = { Authorization: basic('alice', 'alice-key-123') };

let server: EventsServer;
let source: ScriptedSource;

beforeAll(async () => {
  source = createScriptedSource();
  server = await createEventsServer({ source, users: [{ username: 'alice', apikey: 'alice-key-123' }], logger: silentLogger, byteBudget: BUDGET, retention: { count: 100_000 } });
});
afterAll(async () => {
  await server?.close();
});

const socketOf = (client: StreamClient) => (client.ws as unknown as { _socket: Socket })._socket;

/** How many times `setImmediate` is called during `ms` (the server runs in this process). */
async function immediatesDuring(ms: number): Promise<number> {
  const original = globalThis.setImmediate;
  let calls = 0;
  const counting = ((...args: Parameters<typeof setImmediate>) => {
    calls += 1;
    return original(...args);
  }) as typeof setImmediate;
  globalThis.setImmediate = Object.assign(counting, original);
  try {
    await settle(ms);
  } finally {
    globalThis.setImmediate = original;
  }
  return calls;
}

describe('a paced replay with a small byte budget', () => {
  it('waits for a client that stopped reading without spinning, and delivers everything once it reads again', async () => {
    for (let i = 0; i < 20_000; i++) source.emit('alice');
    const head = server.bus.head('alice');
    const client = await openStream(`${server.url.replace('http', 'ws')}/api/audit/v1/events/?resume=${head.epoch}:0`, {
      headers: ALICE,
      protocols: [RESUME_SUBPROTOCOL],
    });
    socketOf(client).pause();
    await settle(200); // the kernel buffers fill, then the replay waits
    // Before the fix the replay re-checked on every event-loop turn: hundreds of thousands a second.
    expect(await immediatesDuring(500)).toBeLessThan(1_000);
    socketOf(client).resume();
    await client.waitFor((frames) => frames.length >= head.seq + 2, 20_000);
    const seqs = client.json().filter((f) => typeof f.uuid === 'string').map((f) => (f.position as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: head.seq }, (_, i) => i + 1));
    client.ws.close();
  }, 30_000);
});
