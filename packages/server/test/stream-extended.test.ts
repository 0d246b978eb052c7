import { type HelloFrame, RESUME_SUBPROTOCOL, type StreamPosition } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createScriptedSource, type ScriptedSource } from '../../../tests/support/scripted-source.js';
import { basic, type OpenOptions, openStream, type StreamClient } from './helpers/stream-client.js';
import { createTcpProxy } from '../../../tests/support/tcp-proxy.js';
import { settle, until } from './helpers/wait.js';

const USERS = [
  { username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] },
  { username: 'carol', apikey: 'carol-key-123', namespaces: ['other'] },
];
const ALICE = { Authorization: basic('alice', 'alice-key-123') };
const EXTENDED: OpenOptions = { headers: ALICE, protocols: [RESUME_SUBPROTOCOL] };
const HEARTBEAT_MS = 200;

let server: EventsServer;
let source: ScriptedSource;
let ws: string;

beforeAll(async () => {
  source = createScriptedSource();
  server = await createEventsServer({
    source,
    users: USERS,
    logger: silentLogger,
    heartbeatMs: HEARTBEAT_MS,
    retention: { count: 50 },
    loginThrottle: { maxFailures: 2 },
  });
  ws = server.url.replace('http://', 'ws://');
});
afterAll(async () => {
  await server?.close();
});

const acmeUrl = (query = '') => `${ws}/api/audit/v1/acme/events/${query}`;
const kinds = (client: StreamClient) => client.json().map((f) => f.type);
const eventsOf = (client: StreamClient) => client.json().filter((f) => f.type !== 'hello' && f.type !== 'position' && f.type !== 'error');
const helloOf = (client: StreamClient) => client.json()[0] as unknown as HelloFrame;

describe('hello, positions and markers', () => {
  it('greets with hello, then a marker, then events that carry their position', async () => {
    for (let i = 0; i < 3; i++) source.emit('acme');
    const head = server.bus.head('acme');
    const client = await openStream(acmeUrl(), EXTENDED);
    expect(client.ws.protocol).toBe(RESUME_SUBPROTOCOL);
    await client.waitForFrames(2);
    expect(client.json().slice(0, 2)).toEqual([
      { type: 'hello', resume: 'fresh', position: head, heartbeatMs: HEARTBEAT_MS },
      { type: 'position', position: head },
    ]);
    const sent = [source.emit('acme'), source.emit('acme', { type: 'service' }), source.emit('acme')];
    await client.waitFor(() => eventsOf(client).length === 3);
    const events = eventsOf(client);
    expect(events.map((e) => e.uuid)).toEqual(sent.map((e) => e.uuid));
    expect(events.map((e) => e.position)).toEqual([1, 2, 3].map((n) => ({ epoch: head.epoch, seq: head.seq + n })));
    for (const event of events) {
      expect(Object.keys(event)).toEqual(['type', 'action', 'parents', 'resource_uri', 'state', 'uuid', 'datetime', 'position']);
    }
    client.ws.close();
  });

  it('sends the first marker right after hello when fresh, not at the first heartbeat', async () => {
    const slowBeat = await createEventsServer({ source: createScriptedSource(), users: USERS, logger: silentLogger, heartbeatMs: 60_000 });
    try {
      const client = await openStream(`${slowBeat.url.replace('http://', 'ws://')}/api/audit/v1/acme/events/`, EXTENDED);
      await client.waitForFrames(2, 2_000);
      const head = slowBeat.bus.head('acme');
      expect(client.json()).toEqual([
        { type: 'hello', resume: 'fresh', position: head, heartbeatMs: 60_000 },
        { type: 'position', position: head },
      ]);
      client.ws.close();
    } finally {
      await slowBeat.close();
    }
  });

  it('plain clients see none of it, even when they send ?resume=', async () => {
    const plain = await openStream(acmeUrl(`?resume=${server.bus.head('acme').epoch}:1`), { headers: ALICE });
    expect(plain.ws.protocol).toBe('');
    const event = source.emit('acme');
    await plain.waitForFrames(1);
    await settle(HEARTBEAT_MS * 1.5);
    expect(plain.json()).toEqual([{ ...event }]);
    plain.ws.close();
  });

  it('sends a marker at least every heartbeatMs while idle, at the head even under a narrow filter', async () => {
    const client = await openStream(acmeUrl('?type=stack'), EXTENDED);
    await client.waitForFrames(2);
    const arrivals: number[] = [];
    client.ws.on('message', () => arrivals.push(performance.now()));
    for (let i = 0; i < 5; i++) source.emit('acme', { type: 'container' });
    const head = server.bus.head('acme');
    await client.waitFor((frames) => frames.length >= 6, 3_000);
    expect(eventsOf(client)).toEqual([]);
    expect(kinds(client).slice(2)).toEqual(['position', 'position', 'position', 'position']);
    expect(client.json().at(-1)).toEqual({ type: 'position', position: head });
    const gaps = arrivals.slice(1).map((t, i) => t - (arrivals[i] as number));
    // Timers may run a little late on a loaded machine; the design bound is heartbeatMs.
    expect(Math.max(...gaps)).toBeLessThan(HEARTBEAT_MS * 1.5);
    // ...and not every half period: the tick after a marker sends none (idle traffic stays one
    // frame per heartbeat). Counted over a window, so that a late timer cannot fail it.
    const before = kinds(client).length;
    await settle(HEARTBEAT_MS * 10);
    const markers = kinds(client).slice(before).filter((k) => k === 'position').length;
    expect(markers).toBeGreaterThanOrEqual(7);
    expect(markers).toBeLessThanOrEqual(12); // every tick would be ~20
    client.ws.close();
  });

  it('sends no marker while events flow', async () => {
    const client = await openStream(acmeUrl(), EXTENDED);
    await client.waitForFrames(2);
    const timer = setInterval(() => source.emit('acme'), HEARTBEAT_MS / 8);
    await settle(HEARTBEAT_MS * 3);
    clearInterval(timer);
    expect(kinds(client).slice(2).filter((k) => k === 'position')).toEqual([]);
    expect(eventsOf(client).length).toBeGreaterThan(10);
    client.ws.close();
  });
});

describe('resume', () => {
  it('resumes across server-side connection drops with no event lost or repeated', async () => {
    const proxy = await createTcpProxy(server.port);
    const startIndex = source.emitted.length;
    const received: string[] = [];
    const outcomes: string[] = [];
    let last: StreamPosition | undefined;
    let stopped = false;
    let connection: StreamClient | undefined;
    const onFrame = (text: string) => {
      const frame = JSON.parse(text) as { type: string; uuid?: string; resume?: string; position: StreamPosition };
      if (frame.type === 'hello') outcomes.push(frame.resume as string);
      else if (frame.type !== 'error') {
        if (frame.type !== 'position') received.push(frame.uuid as string);
        last = frame.position;
      }
    };
    const connectLoop = async () => {
      while (!stopped) {
        const query = last === undefined ? '?type=container,service' : `?type=container,service&resume=${last.epoch}:${last.seq}`;
        try {
          connection = await openStream(`ws://127.0.0.1:${proxy.port}/api/audit/v1/acme/events/${query}`, { ...EXTENDED, onFrame });
          await connection.closed;
        } catch {
          await settle(10);
        }
      }
    };
    const loop = connectLoop();
    await until(() => outcomes.length === 1);
    // Mixed types, so the filter has something to drop, emitted while the connection is cut twice.
    const types = ['container', 'service', 'node', 'container', 'stack'] as const;
    for (let i = 0; i < 300; i++) {
      source.emit('acme', { type: types[i % types.length] });
      if (i === 100 || i === 200) proxy.dropAll();
      if (i % 10 === 0) await settle(2);
    }
    const expected = source.emitted
      .slice(startIndex)
      .filter((e) => e.namespace === 'acme' && (e.event.type === 'container' || e.event.type === 'service'))
      .map((e) => e.event.uuid);
    await until(() => received.length >= expected.length, 5_000, 'all events');
    stopped = true;
    connection?.ws.close();
    await loop;
    await proxy.close();
    expect(received).toEqual(expected);
    expect(outcomes).toEqual(['fresh', 'resumed', 'resumed']);
  });

  it('resumes at the head with nothing to replay', async () => {
    source.emit('acme');
    const head = server.bus.head('acme');
    const client = await openStream(acmeUrl(`?resume=${head.epoch}:${head.seq}`), EXTENDED);
    await client.waitForFrames(2);
    expect(client.json()).toEqual([
      { type: 'hello', resume: 'resumed', position: head, heartbeatMs: HEARTBEAT_MS },
      { type: 'position', position: head },
    ]);
    client.ws.close();
  });

  it('says gone when the position is older than retention, then continues live from the head', async () => {
    const first = await openStream(acmeUrl(), EXTENDED);
    await first.waitForFrames(1);
    const left = helloOf(first).position;
    first.ws.close();
    for (let i = 0; i < 60; i++) source.emit('acme'); // retention keeps 50
    const head = server.bus.head('acme');
    const goneBefore = server.metrics.snapshot().resumes.gone;
    const client = await openStream(acmeUrl(`?resume=${left.epoch}:${left.seq}`), EXTENDED);
    await client.waitForFrames(1);
    expect(helloOf(client)).toEqual({ type: 'hello', resume: 'gone', position: head, heartbeatMs: HEARTBEAT_MS });
    const live = source.emit('acme');
    await client.waitFor(() => eventsOf(client).length === 1);
    expect(eventsOf(client)[0]).toMatchObject({ uuid: live.uuid, position: { epoch: head.epoch, seq: head.seq + 1 } });
    expect(server.metrics.snapshot().resumes.gone).toBe(goneBefore + 1);
    client.ws.close();
  });

  it('says gone for another epoch or a position from the future', async () => {
    const head = server.bus.head('acme');
    for (const resume of ['an-older-epoch:3', `${head.epoch}:${head.seq + 1000}`]) {
      const client = await openStream(acmeUrl(`?resume=${resume}`), EXTENDED);
      await client.waitForFrames(1);
      expect(helloOf(client)).toMatchObject({ type: 'hello', resume: 'gone', position: server.bus.head('acme') });
      client.ws.close();
    }
  });

  it('says gone once the events after the position are older than the retention age', async () => {
    let now = 1_000_000;
    const ownSource = createScriptedSource();
    const own = await createEventsServer({ source: ownSource, users: USERS, logger: silentLogger, retention: { ageMs: 60_000 }, now: () => now });
    try {
      const url = (q: string) => `${own.url.replace('http', 'ws')}/api/audit/v1/acme/events/${q}`;
      ownSource.emit('acme');
      const position = own.bus.head('acme');
      ownSource.emit('acme');
      now += 30_000;
      const young = await openStream(url(`?resume=${position.epoch}:${position.seq}`), EXTENDED);
      await young.waitForFrames(3);
      expect(young.json()[0]).toMatchObject({ resume: 'resumed' });
      expect(young.json()[1]).toMatchObject({ uuid: ownSource.emitted[1]?.event.uuid });
      young.ws.close();
      now += 31_000;
      const old = await openStream(url(`?resume=${position.epoch}:${position.seq}`), EXTENDED);
      await old.waitForFrames(1);
      expect(old.json()[0]).toMatchObject({ resume: 'gone', position: own.bus.head('acme') });
      old.ws.close();
    } finally {
      await own.close();
    }
  });
});

describe('refusals after the upgrade (extended clients only)', () => {
  const refusedWith = async (url: string, options: OpenOptions) => {
    const client = await openStream(url, options);
    const closed = await client.closed;
    return { frames: client.json(), ...closed };
  };

  it.each([
    ['a wrong key', acmeUrl, { Authorization: basic('alice', 'nope-nope') }, 4001, 'Invalid username/API key.'],
    ['no credentials', acmeUrl, {}, 4001, 'Authentication credentials were not provided.'],
    ['a forbidden namespace', () => `${ws}/api/audit/v1/other/events/`, ALICE, 4003, 'You do not have permission to read the events of namespace "other".'],
    ['an unknown type', () => acmeUrl('?type=volume'), ALICE, 4000, undefined],
    ['a malformed resume position', () => acmeUrl('?resume=nonsense'), ALICE, 4000, 'Invalid stream position "nonsense": expected <epoch>:<sequence>.'],
    ['a namespace that does not decode', () => `${ws}/api/audit/v1/%ZZ/events/`, ALICE, 4000, 'Malformed percent-encoding in the namespace.'],
  ])('%s: an error frame with the code, then that close code', async (_name, url, headers, code, message) => {
    const refused = await refusedWith(url(), { headers, protocols: [RESUME_SUBPROTOCOL], localAddress: '127.0.0.40' });
    expect(refused.code).toBe(code);
    expect(refused.frames).toHaveLength(1);
    expect(refused.frames[0]).toMatchObject({ type: 'error', data: { code, ...(message ? { errorMessage: message } : {}) } });
    // Reset the throttle of this address with a good login.
    (await openStream(acmeUrl(), { ...EXTENDED, localAddress: '127.0.0.40' })).ws.close();
  });

  it('a long non-ASCII namespace still gets its close (the reason is cut to 123 bytes)', async () => {
    const namespace = encodeURIComponent('✓'.repeat(60));
    const refused = await refusedWith(`${ws}/api/audit/v1/${namespace}/events/`, { ...EXTENDED, localAddress: '127.0.0.42' });
    expect(refused.code).toBe(4003);
    expect(Buffer.byteLength(refused.reason)).toBeLessThanOrEqual(123);
    expect(refused.frames[0]).toMatchObject({ data: { errorMessage: expect.stringContaining('✓'.repeat(60)) } });
  });

  it('throttled: 4029 with retryAfterMs', async () => {
    const opts = { protocols: [RESUME_SUBPROTOCOL], localAddress: '127.0.0.41' };
    await refusedWith(acmeUrl(), { ...opts, headers: { Authorization: basic('alice', 'guess-1') } });
    await refusedWith(acmeUrl(), { ...opts, headers: { Authorization: basic('alice', 'guess-2') } });
    const refused = await refusedWith(acmeUrl(), { ...opts, headers: ALICE });
    expect(refused.code).toBe(4029);
    expect(refused.frames[0]).toMatchObject({ type: 'error', data: { errorMessage: 'Too many login attempts.', code: 4029, retryAfterMs: expect.any(Number) } });
  });

  it('still serves others afterwards', async () => {
    const client = await openStream(acmeUrl(), EXTENDED);
    const event = source.emit('acme');
    await client.waitFor(() => eventsOf(client).length === 1);
    expect(eventsOf(client)[0]?.uuid).toBe(event.uuid);
    client.ws.close();
  });
});
