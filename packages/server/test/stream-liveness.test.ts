import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { createEventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createScriptedSource } from '../../../tests/support/scripted-source.js';
import { basic } from './helpers/stream-client.js';
import { until } from './helpers/wait.js';

// docs/extended-protocol.md ("What the client may send"): a new or silent connection is pinged
// within one pingIntervalMs, and a dead one is dropped within two. The rounds of pings are driven
// by hand (only setInterval is faked: sockets, ws and the waits below run on real time), so each
// round is exact and a test waits for nothing but the frames on the loopback socket.

const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];
const ROUND = 30_000;

afterEach(() => {
  vi.useRealTimers();
});

/** A client that answers no ping by itself (`autoPong: false`) and records what it hears. */
async function openSilentClient(url: string) {
  const ws = new WebSocket(url, { headers: { Authorization: basic('alice', 'alice-key-123') }, autoPong: false });
  const pings: Buffer[] = [];
  let closeCode: number | undefined;
  ws.on('ping', (data) => pings.push(data));
  ws.on('error', () => {});
  const closed = new Promise<number>((resolve) =>
    ws.on('close', (code) => {
      closeCode = code;
      resolve(code);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, pings, closed, isClosed: () => closeCode !== undefined };
}

describe('server pings: a dead connection is dropped within two intervals of its last frame', () => {
  it('pings again the round after a pong, and drops the connection the round after that', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const server = await createEventsServer({ source: createScriptedSource(), users: USERS, logger: silentLogger, pingIntervalMs: ROUND });
    try {
      const client = await openSilentClient(`${server.url.replace('http', 'ws')}/api/audit/v1/events/`);
      await until(() => server.connections === 1);

      // Round 1: a new connection is pinged. It answers, and then dies: the pong is its last frame.
      vi.advanceTimersByTime(ROUND);
      await until(() => client.pings.length === 1, 2_000, 'the first ping');
      client.ws.pong(client.pings[0]);
      // A ping of its own, whose pong (ws answers at once) tells that the server has read both.
      const echoed = new Promise<void>((resolve) => client.ws.once('pong', () => resolve()));
      client.ws.ping();
      await echoed;

      // Round 2, one interval after the last frame: not dead yet, but pinged again.
      vi.advanceTimersByTime(ROUND);
      await until(() => client.pings.length === 2 || client.isClosed(), 2_000, 'a ping in the round after the pong');
      expect(client.isClosed()).toBe(false);

      // Round 3, two intervals after the last frame: that ping went unanswered, so it is dropped
      // (terminated, not closed: a dead peer takes no part in a close handshake).
      vi.advanceTimersByTime(ROUND);
      expect(await client.closed).toBe(1006);
      await until(() => server.connections === 0);
    } finally {
      await server.close();
    }
  });

  it('drops a connection that never answers at the second round, and keeps one that answers every ping', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const server = await createEventsServer({ source: createScriptedSource(), users: USERS, logger: silentLogger, pingIntervalMs: ROUND });
    try {
      const url = `${server.url.replace('http', 'ws')}/api/audit/v1/events/`;
      const dead = await openSilentClient(url);
      const healthy = await openSilentClient(url);
      healthy.ws.on('ping', (data) => healthy.ws.pong(data));
      await until(() => server.connections === 2);
      for (let round = 1; round <= 5; round++) {
        vi.advanceTimersByTime(ROUND);
        // Each round pings the healthy client, whether or not it answered the one before.
        await until(() => healthy.pings.length === round, 2_000, `ping ${round} to the healthy client`);
        if (round === 1) await until(() => dead.pings.length === 1);
        if (round === 2) expect(await dead.closed).toBe(1006);
        // Let the pong reach the server before the next round.
        const echoed = new Promise<void>((resolve) => healthy.ws.once('pong', () => resolve()));
        healthy.ws.ping();
        await echoed;
      }
      expect(healthy.isClosed()).toBe(false);
      expect(server.connections).toBe(1);
      healthy.ws.close();
    } finally {
      await server.close();
    }
  });
});
