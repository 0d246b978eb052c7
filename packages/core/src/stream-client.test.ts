import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DockerCloudEvent, StreamPosition } from './event-schema.js';
import { EventsError } from './events-error.js';
import { RESUME_SUBPROTOCOL } from './extended-protocol.js';
import { createStreamClient, type EventStream, errorOfClose, type StreamClientOptions } from './stream-client.js';
import type { StreamPort } from './stream-port.js';
import { createFakeStreamPort, createSeededRandom, type FakeSocket, type FakeStreamPort } from './testing/index.js';
import { MAX_TIMER_MS } from './timer-delay.js';

const HOST = 'ws://127.0.0.1:8080/';
const CREDENTIALS = { username: 'alice', apikey: 'alice-key-123' };
const BASIC = 'Basic YWxpY2U6YWxpY2Uta2V5LTEyMw==';
const EPOCH = 'Xk3p9Q2a';

let counter = 0;
function event(seq: number | null, overrides: Partial<DockerCloudEvent> = {}): DockerCloudEvent {
  counter++;
  const id = counter.toString(16).padStart(8, '0');
  return {
    type: 'container',
    action: 'update',
    parents: [],
    resource_uri: `/api/app/v1/acme/container/${id}-0000-4000-8000-000000000000/`,
    state: 'Running',
    uuid: `${id}-1111-4222-8333-444455556666`,
    datetime: '2026-11-27T09:01:33Z',
    ...(seq !== null && { position: { epoch: EPOCH, seq } }),
    ...overrides,
  };
}
const hello = (resume: 'fresh' | 'resumed' | 'gone', seq: number, heartbeatMs = 15_000, epoch = EPOCH) => ({
  type: 'hello',
  resume,
  position: { epoch, seq },
  heartbeatMs,
});

function setup(options: Partial<StreamClientOptions> = {}, port: FakeStreamPort = createFakeStreamPort()) {
  const stream = createStreamClient({ streamHost: HOST, namespace: 'acme', credentials: CREDENTIALS, ...options }, port);
  const events: DockerCloudEvent[] = [];
  const errors: EventsError[] = [];
  stream.onEvent((e) => events.push(e));
  stream.onError((e) => errors.push(e));
  return { port, stream, events, errors };
}

/** Opens the latest socket as an extended connection that says hello. */
function openExtended(port: FakeStreamPort, resume: 'fresh' | 'resumed' | 'gone' = 'fresh', seq = 0): FakeSocket {
  const socket = port.last();
  socket.open(RESUME_SUBPROTOCOL);
  socket.send(hello(resume, seq));
  return socket;
}

/** Lets the microtasks of resolved promises run (resync handlers, iterator results). */
const ticks = async (n = 5) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

/**
 * Takes events from `iterator` into `received` until it holds all of `sent`, answering each new
 * connection as a resuming server would: `resumed` from the position in its URL, then the events
 * after it. Returns how many connections there were.
 */
async function takeServingResumes(port: FakeStreamPort, iterator: AsyncIterator<DockerCloudEvent>, sent: readonly DockerCloudEvent[], received: DockerCloudEvent[]): Promise<number> {
  let served = 1;
  while (received.length < sent.length) {
    if (port.sockets.length > served) {
      served = port.sockets.length;
      const from = Number(/%3A(\d+)/.exec(port.last().request.url)?.[1]);
      openExtended(port, 'resumed', from);
      for (const e of sent.slice(from)) port.last().send(e); // past the mark they fall on a closed socket
    }
    received.push((await iterator.next()).value as DockerCloudEvent);
  }
  return served;
}

describe('created offline', () => {
  it('opens no socket and arms no timer until the network is back, then connects at once', () => {
    const { port, stream } = setup({ online: false });
    expect(port.sockets).toHaveLength(0);
    expect(stream.getSnapshot().phase).toBe('offline');
    expect(port.clock.pending()).toEqual([]);
    port.clock.advance(60_000);
    expect(port.sockets).toHaveLength(0);
    stream.setOnline(true);
    expect(port.sockets).toHaveLength(1);
    expect(stream.getSnapshot().phase).toBe('connecting');
    openExtended(port);
    expect(stream.getSnapshot().phase).toBe('live');
  });

  it('keeps a filter set while offline for when the network is back, opening no socket (created offline)', () => {
    const { port, stream } = setup({ online: false });
    stream.setFilter({ type: 'service' });
    expect(port.sockets).toHaveLength(0);
    expect(stream.getSnapshot().phase).toBe('offline');
    expect(port.clock.pending()).toEqual([]);
    stream.setOnline(true);
    expect(port.sockets).toHaveLength(1);
    expect(port.last().request.url).toBe('ws://127.0.0.1:8080/api/audit/v1/acme/events/?type=service');
  });

  it('keeps a filter set after going offline, and resumes with it when the network is back', () => {
    const { port, stream } = setup();
    openExtended(port, 'fresh', 7);
    stream.setOnline(false);
    expect(port.live()).toEqual([]);
    stream.setFilter({ type: 'service' });
    port.clock.runAll();
    expect(port.sockets).toHaveLength(1);
    expect(stream.getSnapshot().phase).toBe('offline');
    stream.setOnline(true);
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.url).toBe(`ws://127.0.0.1:8080/api/audit/v1/acme/events/?type=service&resume=${EPOCH}%3A7`);
  });

  it('connects at once by default and with online: true', () => {
    expect(setup().port.sockets).toHaveLength(1);
    expect(setup({ online: true }).port.sockets).toHaveLength(1);
  });
});

describe('connecting', () => {
  it('executes open-socket with core-built URL, subprotocol offer, Authorization header and ping interval', () => {
    const { port } = setup({ filter: { type: ['container', 'service'] } });
    expect(port.sockets).toHaveLength(1);
    expect(port.last().request).toEqual({
      url: 'ws://127.0.0.1:8080/api/audit/v1/acme/events/?type=container%2Cservice',
      protocols: [RESUME_SUBPROTOCOL],
      headers: { Authorization: BASIC },
      pingIntervalMs: 10_000,
    });
    // The connect timeout is armed on the port's timers.
    expect(port.clock.pending().map((t) => t.at)).toEqual([10_000]);
  });

  it('puts the credentials in the query where the runtime cannot set headers', () => {
    const { port } = setup({}, createFakeStreamPort({ canSetHeaders: false }));
    expect(port.last().request.headers).toEqual({});
    expect(port.last().request.url).toBe(`ws://127.0.0.1:8080/api/audit/v1/acme/events/?auth=${encodeURIComponent(BASIC).replace(/%20/g, '+')}`);
    const token = setup({ queryAuth: 'token' }, createFakeStreamPort({ canSetHeaders: false }));
    expect(token.port.last().request.url).toBe('ws://127.0.0.1:8080/api/audit/v1/acme/events/?user=alice&token=alice-key-123');
  });

  it('offers no subprotocol when extended is false, and works as a plain client', () => {
    const { port, stream, events } = setup({ extended: false });
    expect(port.last().request.protocols).toEqual([]);
    port.last().open(null);
    const e = event(null);
    port.last().send(e);
    expect(events).toEqual([e]);
    expect(stream.getSnapshot()).toMatchObject({ phase: 'live', extended: false, outcome: 'fresh' });
  });

  it('falls back to the plain protocol at once when the runtime refuses a server that ignores the offer', () => {
    const { port, stream } = setup();
    const phases: string[] = [];
    stream.subscribe(() => phases.push(stream.getSnapshot().phase));
    port.last().refuseSubprotocol();
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.protocols).toEqual([]);
    expect(stream.getSnapshot().attempt).toBe(0); // not a failure: no backoff
    // The same first connection, retried without the offer: not a reconnect to the user.
    expect(stream.getSnapshot().phase).toBe('connecting');
    port.last().open(null);
    expect(phases).not.toContain('reconnecting');
    expect(stream.getSnapshot()).toMatchObject({ phase: 'live', extended: false });
    port.last().close(1006);
    expect(stream.getSnapshot().phase).toBe('reconnecting');
    port.clock.runNext();
    expect(stream.getSnapshot().phase).toBe('reconnecting'); // a later socket is a reconnect
    expect(port.last().request.protocols).toEqual([]); // remembered across reconnects
    stream.reconnect();
    expect(port.last().request.protocols).toEqual([RESUME_SUBPROTOCOL]); // an explicit reconnect asks again
  });

  it('stays `connecting` when the filter is set, or reconnect() called, before the first connection got through', () => {
    const { port, stream } = setup();
    const phases: string[] = [];
    stream.subscribe(() => phases.push(stream.getSnapshot().phase));
    // A UI setting its filter right after creating the stream: nothing failed.
    stream.setFilter({ type: 'service' });
    port.clock.advance(0); // setFilter opens the new socket on a port timer of 0 ms
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.url).toBe('ws://127.0.0.1:8080/api/audit/v1/acme/events/?type=service');
    expect(stream.getSnapshot()).toMatchObject({ phase: 'connecting', attempt: 0, generation: 2 });
    stream.reconnect();
    expect(stream.getSnapshot()).toMatchObject({ phase: 'connecting', attempt: 0, generation: 3 });
    openExtended(port);
    expect(stream.getSnapshot().phase).toBe('live');
    expect(phases).not.toContain('reconnecting');
    stream.setFilter({ type: 'container' }); // once live, a new filter is a reconnect
    expect(stream.getSnapshot().phase).toBe('reconnecting');
  });

  it('stops with invalid-config, and tries no more, when the runtime will not open a socket at all', async () => {
    const port = createFakeStreamPort();
    let attempts = 0;
    const denied: FakeStreamPort = {
      ...port,
      openSocket: () => {
        attempts++;
        throw new Error('Requires net access to "127.0.0.1:8080", run again with the --allow-net flag');
      },
    };
    // Refused while it is being created: the option hears it then, a listener attached after
    // creation (as most scripts attach) once, on a microtask; one that unsubscribes at once, never.
    const errors: EventsError[] = [];
    const { stream } = setup({ onError: (error) => errors.push(error) }, denied);
    const late: EventsError[] = [];
    stream.onError((error) => late.push(error));
    const unsubscribed: EventsError[] = [];
    stream.onError((error) => unsubscribed.push(error))();
    expect(late).toEqual([]); // not re-entrantly, inside onError()
    const ended = stream.runForever();
    expect(stream.getSnapshot()).toMatchObject({ phase: 'stopped', stopReason: 'fatal' });
    await expect(ended).rejects.toMatchObject({ code: 'invalid-config', message: expect.stringContaining('--allow-net') });
    expect(errors.map((e) => e.message)).toEqual([
      'the socket could not be opened: Requires net access to "127.0.0.1:8080", run again with the --allow-net flag',
    ]);
    expect(late).toEqual(errors);
    expect(unsubscribed).toEqual([]);
    port.clock.advance(10 * 60_000);
    expect(attempts).toBe(1);
    expect(late).toHaveLength(1);
  });

  it('throws at once on options no connection can be built from', () => {
    const port = createFakeStreamPort();
    expect(() => createStreamClient({ streamHost: 'ftp://x/' }, port)).toThrow(EventsError);
    expect(() => createStreamClient({ streamHost: HOST, filter: { type: 'volume' } }, port)).toThrow(/unknown event type/);
    expect(() => createStreamClient({ streamHost: HOST, policy: { capMS: 1 } as never }, port)).toThrow(/unknown option capMS/);
    expect(port.sockets).toHaveLength(0);
  });
});

describe('frames', () => {
  it('parses frames, delivers events in order with their position, and tracks the position', () => {
    const { port, stream, events } = setup();
    openExtended(port, 'fresh', 10);
    expect(stream.getPosition()).toEqual({ epoch: EPOCH, seq: 10 });
    const sent = [event(11), event(12)];
    for (const e of sent) port.last().send(e);
    port.last().send({ type: 'position', position: { epoch: EPOCH, seq: 20 } });
    expect(events).toEqual(sent);
    expect(stream.getPosition()).toEqual({ epoch: EPOCH, seq: 20 });
    expect(stream.getSnapshot()).toMatchObject({ phase: 'live', extended: true, outcome: 'fresh', paused: false, closed: false, error: null });
    // Events change nothing a UI shows: the snapshot is the same object (useSyncExternalStore).
    const before = stream.getSnapshot();
    let notified = 0;
    stream.subscribe(() => notified++);
    port.last().send(event(21));
    expect(stream.getSnapshot()).toBe(before);
    expect(notified).toBe(0);
  });

  it('reports an invalid frame and keeps the connection', () => {
    const { port, events, errors } = setup();
    openExtended(port);
    port.last().send('{"type":"container","action":"explode"}');
    port.last().send('not json');
    const e = event(1);
    port.last().send(e);
    expect(errors.map((x) => x.code)).toEqual(['invalid-frame', 'invalid-frame']);
    expect(events).toEqual([e]);
    expect(port.live()).toHaveLength(1);
  });

  it('ends a connection whose server sent an error frame and did not close, also right after a reconnect() from another such one', () => {
    const { port, stream } = setup({ closeTimeoutMs: 2_000 });
    const first = openExtended(port);
    first.send({ type: 'error', data: { errorMessage: 'database gone' } });
    // Reconnected before the first socket reported its close: the new connection has its own wait.
    stream.reconnect();
    const second = openExtended(port);
    second.send({ type: 'error', data: { errorMessage: 'database still gone' } });
    port.clock.advance(0); // the first socket's close arrives
    expect(stream.getSnapshot()).toMatchObject({ phase: 'live', generation: 2 });
    port.clock.advance(2_000);
    expect(second.closedBy).toBe('terminate');
    expect(stream.getSnapshot()).toMatchObject({
      phase: 'reconnecting',
      lastClose: { reason: 'database still gone (the server sent this error and did not close the connection)' },
    });
  });

  it('never delivers a frame from a socket it gave up on', () => {
    const { port, stream, events } = setup();
    const first = openExtended(port);
    stream.reconnect();
    expect(first.closedBy).toEqual({ code: 1000, reason: 'reconnect' });
    first.send(event(1)); // in flight when we closed it
    expect(events).toEqual([]);
    const second = port.last();
    expect(second).not.toBe(first);
    second.open(RESUME_SUBPROTOCOL);
    second.send(hello('resumed', 0));
    const e = event(1);
    second.send(e);
    expect(events).toEqual([e]);
  });
});

describe('reconnecting', () => {
  it('backs off after a drop, resumes from the last position, and drops repeated events', () => {
    const { port, stream, events } = setup();
    openExtended(port, 'fresh', 0);
    const first = [event(1), event(2)];
    for (const e of first) port.last().send(e);
    port.last().close(1006);
    const snapshot = stream.getSnapshot();
    expect(snapshot).toMatchObject({ phase: 'reconnecting', status: 'backoff', attempt: 1, lastClose: { code: 1006, class: 'transient' } });
    expect(snapshot.retryAt).toBeGreaterThanOrEqual(250);
    port.clock.advanceTo(snapshot.retryAt as number);
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.url).toContain(`resume=${EPOCH}%3A2`);
    openExtended(port, 'resumed', 2);
    // A server that repeats itself: dropped by position.
    port.last().send(first[1]);
    port.last().send(first[0]);
    const next = event(3);
    port.last().send(next);
    expect(events).toEqual([...first, next]);
    expect(stream.getSnapshot().outcome).toBe('resumed');
  });

  it('drops repeats by uuid on a plain server too', () => {
    const { port, events } = setup({ extended: false });
    port.last().open(null);
    const e = event(null);
    port.last().send(e);
    port.last().close(1001);
    port.clock.runNext();
    port.last().open(null);
    port.last().send(e);
    expect(events).toEqual([e]);
  });

  it('detects a silent extended connection after heartbeatFactor × heartbeatMs and replaces it', () => {
    const { port, stream } = setup();
    const socket = port.last();
    socket.open(RESUME_SUBPROTOCOL);
    socket.send(hello('fresh', 0, 1_000));
    port.clock.advance(2_499);
    expect(socket.closedBy).toBeNull();
    port.clock.advance(1);
    expect(socket.closedBy).toBe('terminate');
    expect(stream.getSnapshot().lastClose).toMatchObject({ kind: 'idle-timeout' });
    port.clock.advanceTo(stream.getSnapshot().retryAt as number);
    expect(port.sockets).toHaveLength(2);
  });

  it("waits at most the longest timer delay for a server whose heartbeat is longer: no idle timer firing every millisecond", () => {
    const { port, stream } = setup();
    const socket = port.last();
    socket.open(RESUME_SUBPROTOCOL);
    socket.send(hello('fresh', 0, 2_000_000_000)); // × heartbeatFactor 2.5: past the longest timer delay
    expect(port.clock.advance(10_000)).toBeLessThan(5); // the stable timer, not an idle timer every ms
    expect(port.clock.pending().every((timer) => timer.at - port.clock.now() <= MAX_TIMER_MS)).toBe(true);
    expect(socket.closedBy).toBeNull();
    expect(stream.getSnapshot().phase).toBe('live');
  });

  it('steps event frames lazily, with their own arrival time: the idle deadline is the last frame + idle', () => {
    const { port } = setup();
    const socket = port.last();
    socket.open(RESUME_SUBPROTOCOL);
    socket.send(hello('fresh', 0, 1_000)); // idle after 2,500 ms of silence
    port.clock.advance(2_000);
    socket.send(event(1)); // at 2,000: not stepped yet
    port.clock.advance(500); // the idle timer fires at 2,500 and finds the frame of 2,000
    expect(socket.closedBy).toBeNull();
    port.clock.advance(1_999);
    expect(socket.closedBy).toBeNull();
    port.clock.advance(1); // 4,500 = 2,000 + 2,500, not 2,500 + 2,500
    expect(socket.closedBy).toBe('terminate');
  });

  it('counts pongs as life on a plain connection', () => {
    const { port } = setup({ extended: false, policy: { idleTimeoutMs: 1_000 } });
    const socket = port.last();
    socket.open(null);
    for (let i = 0; i < 5; i++) {
      port.clock.advance(900);
      socket.pong();
    }
    expect(socket.closedBy).toBeNull();
    port.clock.advance(1_000);
    expect(socket.closedBy).toBe('terminate');
  });

  it('reconnects with the new filter from the current position on setFilter', () => {
    const { port, stream } = setup();
    openExtended(port, 'fresh', 7);
    stream.setFilter({ type: 'service' });
    port.clock.advance(0); // setFilter opens the new socket on a port timer of 0 ms
    expect(port.sockets[0]?.closedBy).toEqual({ code: 1000, reason: 'reconnect' });
    expect(port.last().request.url).toBe(`ws://127.0.0.1:8080/api/audit/v1/acme/events/?type=service&resume=${EPOCH}%3A7`);
    expect(() => stream.setFilter({ type: [] })).toThrow(/empty list/);
    expect(port.sockets).toHaveLength(2);
  });

  it('opens one socket, with the last filter, for several setFilter calls in a row; none of the old filter is delivered after the first', () => {
    const { port, stream, events } = setup();
    const old = openExtended(port, 'fresh', 7);
    stream.setFilter({ type: 'service' });
    // The old socket is closed at once: a late frame of the old filter is not delivered.
    expect(old.closedBy).toEqual({ code: 1000, reason: 'reconnect' });
    old.send(event(8, { type: 'container' }));
    expect(events).toEqual([]);
    stream.setFilter({ type: 'container' });
    stream.setFilter({ type: ['container', 'service'] });
    expect(stream.getSnapshot()).toMatchObject({ phase: 'reconnecting', status: 'connecting' });
    expect(port.sockets).toHaveLength(1);
    port.clock.advance(0);
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.url).toBe(`ws://127.0.0.1:8080/api/audit/v1/acme/events/?type=container%2Cservice&resume=${EPOCH}%3A7`);
    openExtended(port, 'resumed', 7);
    expect(stream.getSnapshot().phase).toBe('live');
    // reconnect(), close() and going offline give up a socket not opened yet: it never opens.
    for (const how of ['reconnect', 'offline', 'close'] as const) {
      const t = setup();
      openExtended(t.port, 'fresh', 7);
      t.stream.setFilter({ type: 'service' });
      if (how === 'reconnect') t.stream.reconnect();
      else if (how === 'offline') t.stream.setOnline(false);
      else void t.stream.close();
      t.port.clock.advance(0);
      expect(t.port.sockets.map((socket) => socket.request.url.includes('type=service')), how).toEqual(how === 'reconnect' ? [false, true] : [false]);
      if (how !== 'reconnect') expect(t.port.clock.pending(), how).toEqual([]); // nothing left to open it later
    }
  });

  it('reconnects with the new filter on setFilter while offline, when reconnect() opened a socket anyway', () => {
    const { port, stream } = setup();
    openExtended(port, 'fresh', 7);
    stream.setOnline(false);
    stream.reconnect(); // the explicit override: it connects even while offline
    openExtended(port, 'resumed', 7);
    expect(stream.getSnapshot().phase).toBe('live');
    stream.setFilter({ type: 'service' });
    port.clock.advance(0); // setFilter opens the new socket on a port timer of 0 ms
    expect(port.sockets[1]?.closedBy).toEqual({ code: 1000, reason: 'reconnect' });
    expect(port.sockets).toHaveLength(3);
    expect(port.last().request.url).toBe(`ws://127.0.0.1:8080/api/audit/v1/acme/events/?type=service&resume=${EPOCH}%3A7`);
  });
});

describe("a server's wait (retryAfterMs)", () => {
  /** A live extended connection the server then throttles: 4029 with a 60 s hint. */
  const throttled = () => {
    const { port, stream } = setup();
    openExtended(port, 'fresh', 7);
    port.last().send({ type: 'error', data: { errorMessage: 'Too many login attempts.', code: 4029, retryAfterMs: 60_000 } });
    port.last().close(4029);
    expect(stream.getSnapshot()).toMatchObject({ phase: 'reconnecting', lastClose: { class: 'throttled', retryAfterMs: 60_000 } });
    return { port, stream, closedAt: port.clock.now() };
  };

  it('setFilter during the wait takes effect on the next attempt, when the wait is over', () => {
    const { port, stream, closedAt } = throttled();
    port.clock.advance(1_000);
    stream.setFilter({ type: 'service' });
    expect(port.sockets).toHaveLength(1);
    expect(stream.getSnapshot()).toMatchObject({ phase: 'reconnecting', retryAt: closedAt + 60_000 });
    port.clock.advanceTo(closedAt + 59_999);
    expect(port.sockets).toHaveLength(1);
    port.clock.advance(1);
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.url).toBe(`ws://127.0.0.1:8080/api/audit/v1/acme/events/?type=service&resume=${EPOCH}%3A7`);
  });

  it('reconnect() during the wait connects when the wait is over, not before', () => {
    const { port, stream, closedAt } = throttled();
    stream.reconnect();
    expect(port.sockets).toHaveLength(1);
    port.clock.advanceTo(closedAt + 59_999);
    expect(port.sockets).toHaveLength(1);
    port.clock.advance(1);
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.url).toContain(`resume=${EPOCH}%3A7`);
  });

  it('HTTP 429 with Retry-After holds setFilter and reconnect() alike', () => {
    const { port, stream } = setup({ extended: false });
    port.last().refuse(429, 30_000);
    const refusedAt = port.clock.now();
    stream.setFilter({ type: 'service' });
    stream.reconnect();
    port.clock.advanceTo(refusedAt + 29_999);
    expect(port.sockets).toHaveLength(1);
    port.clock.advance(1);
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.url).toBe('ws://127.0.0.1:8080/api/audit/v1/acme/events/?type=service');
  });

  it('setFilter during an ordinary backoff still reconnects at once with the new filter', () => {
    const { port, stream } = setup();
    openExtended(port, 'fresh', 7);
    port.last().close(1006);
    expect(stream.getSnapshot().phase).toBe('reconnecting');
    stream.setFilter({ type: 'service' });
    port.clock.advance(0); // setFilter opens the new socket on a port timer of 0 ms
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.url).toBe(`ws://127.0.0.1:8080/api/audit/v1/acme/events/?type=service&resume=${EPOCH}%3A7`);
  });
});

describe('stopping on failures', () => {
  it('stops on 401 without retrying, and says so through runForever, onError, the iterator and the snapshot', async () => {
    const { port, stream, errors } = setup();
    const forever = stream.runForever();
    const iterator = stream[Symbol.asyncIterator]();
    const next = iterator.next();
    port.last().refuse(401);
    await expect(forever).rejects.toMatchObject({ name: 'EventsError', code: 'auth' });
    await expect(next).rejects.toMatchObject({ code: 'auth' });
    expect(errors.map((e) => e.code)).toEqual(['auth']);
    expect(stream.getSnapshot()).toMatchObject({ phase: 'stopped', stopReason: 'auth', error: { code: 'auth' } });
    port.clock.advance(3_600_000);
    expect(port.sockets).toHaveLength(1); // no retry storm
    expect(port.clock.pending()).toEqual([]);
    // An explicit reconnect starts over.
    stream.reconnect();
    expect(port.sockets).toHaveLength(2);
    expect(stream.getSnapshot().error).toBeNull();
  });

  it('stops on a 404 from a plain HTTP server naming the URL it asked, without credentials, and what to check', () => {
    const { port, stream, errors } = setup({ filter: { type: 'service' } }, createFakeStreamPort({ canSetHeaders: false }));
    expect(port.last().request.url).toContain('auth=');
    port.last().refuse(404); // an HTML page: no detail
    const reason = 'no events stream answered at ws://127.0.0.1:8080/api/audit/v1/acme/events/ (check the stream host, streamHost or DOCKERCLOUD_STREAM_HOST, and the namespace)';
    expect(stream.getSnapshot()).toMatchObject({ phase: 'stopped', stopReason: 'fatal', lastClose: { kind: 'http', code: 404, reason } });
    expect(errors.map((e) => [e.code, e.message])).toEqual([['http', `the server refused the connection with HTTP 404: ${reason}`]]);
    // A generic "Not found." says no more than the status: the same message.
    const generic = setup();
    generic.port.last().refuse(404, undefined, 'Not found.');
    expect(generic.errors.map((e) => e.message)).toEqual([`the server refused the connection with HTTP 404: ${reason}`]);
    // An events server's own explanation is kept as it is.
    const ours = setup();
    ours.port.last().refuse(404, undefined, 'Not found: no event stream at "/x/api/audit/v1/acme/events/".');
    expect(ours.errors.map((e) => e.message)).toEqual(['the server refused the connection with HTTP 404: Not found: no event stream at "/x/api/audit/v1/acme/events/".']);
  });

  it('publishes the stop once, with its error already in that snapshot', () => {
    const states: { phase: string; error: string | null }[] = [];
    const { port } = setup({ onState: (s) => states.push({ phase: s.phase, error: s.error?.code ?? null }) });
    port.last().refuse(401);
    expect(states.filter((s) => s.phase === 'stopped')).toEqual([{ phase: 'stopped', error: 'auth' }]);
  });

  it('is never live on an extended connection refused after the upgrade: live waits for the hello', () => {
    const states: { phase: string; status: string; error: string | null }[] = [];
    const { port, stream, errors } = setup({ onState: (s) => states.push({ phase: s.phase, status: s.status, error: s.error?.code ?? null }) });
    port.last().open(RESUME_SUBPROTOCOL);
    expect(stream.getSnapshot()).toMatchObject({ phase: 'connecting', status: 'open', extended: true, outcome: null });
    port.last().send({ type: 'error', data: { errorMessage: 'Incorrect authentication credentials.', code: 4001 } });
    port.last().close(4001, 'Incorrect authentication credentials.');
    expect(states).toEqual([
      { phase: 'connecting', status: 'connecting', error: null },
      { phase: 'connecting', status: 'open', error: null },
      { phase: 'stopped', status: 'stopped', error: 'auth' },
    ]);
    expect(errors.map((e) => e.code)).toEqual(['auth']);

    const good = setup();
    good.port.last().open(RESUME_SUBPROTOCOL);
    expect(good.stream.getSnapshot().phase).toBe('connecting');
    good.port.last().send(hello('fresh', 0));
    expect(good.stream.getSnapshot()).toMatchObject({ phase: 'live', outcome: 'fresh' });
  });

  it('maps the extended refusal codes to error codes', () => {
    const cases: [number, string][] = [
      [4001, 'auth'],
      [4003, 'forbidden'],
      [4000, 'invalid-filter'],
    ];
    for (const [code, expected] of cases) {
      const { port, stream } = setup();
      port.last().open(RESUME_SUBPROTOCOL);
      port.last().send({ type: 'error', data: { errorMessage: 'No.', code } });
      port.last().close(code, 'No.');
      expect(stream.getSnapshot().error?.code).toBe(expected);
      expect(stream.getSnapshot().error?.message).toContain('No.');
    }
    expect(errorOfClose({ kind: 'idle-timeout', code: 1006, reason: 'idle timeout', class: 'transient', at: 0 }).code).toBe('timeout');
    expect(errorOfClose({ kind: 'close', code: 1009, reason: '', class: 'fatal', at: 0 }).code).toBe('protocol');
  });

  it('honours the retry hint of a throttled close', () => {
    const { port, stream } = setup();
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'error', data: { errorMessage: 'Slow consumer', code: 4008, retryAfterMs: 60_000 } });
    port.last().close(1006);
    const snapshot = stream.getSnapshot();
    expect(snapshot.lastClose).toMatchObject({ code: 4008, class: 'throttled', retryAfterMs: 60_000, reason: 'Slow consumer' });
    expect((snapshot.retryAt as number) - port.clock.now()).toBeGreaterThanOrEqual(60_000);
  });
});

describe('resync', () => {
  it('without handlers, completes at once and reports resynced', () => {
    const { port, stream } = setup();
    openExtended(port, 'fresh', 5);
    port.last().close(1001);
    port.clock.runNext();
    openExtended(port, 'gone', 900);
    expect(stream.getSnapshot()).toMatchObject({ outcome: 'resynced', resyncPending: false });
  });

  it('waits for the handlers, then reports resync-complete for that position', async () => {
    const { port, stream } = setup();
    const requests: { position: StreamPosition | null; generation: number }[] = [];
    let finish!: () => void;
    stream.onResync((request) => {
      requests.push(request);
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    openExtended(port, 'fresh', 5);
    port.last().close(1001);
    port.clock.runNext();
    openExtended(port, 'gone', 900);
    expect(requests).toEqual([{ position: { epoch: EPOCH, seq: 900 }, generation: 2 }]);
    expect(stream.getSnapshot()).toMatchObject({ outcome: null, resyncPending: true });
    finish();
    await ticks();
    expect(stream.getSnapshot()).toMatchObject({ outcome: 'resynced', resyncPending: false });
  });

  it('keeps a resync whose handler failed pending, and asks the handlers again on reconnect()', async () => {
    const { port, stream, errors } = setup();
    const requests: { position: StreamPosition | null; generation: number }[] = [];
    let fail = true;
    stream.onResync(async (request) => {
      requests.push(request);
      if (fail) throw new Error('the re-read failed');
    });
    openExtended(port, 'fresh', 5);
    port.last().close(1001);
    port.clock.runNext();
    openExtended(port, 'gone', 900);
    await ticks();
    expect(errors.map((e) => e.message)).toEqual(['the re-read failed']);
    expect(stream.getSnapshot()).toMatchObject({ outcome: null, resyncPending: true });
    // Resuming does not cure it: the events before 900 are still missing from what the handler holds.
    fail = false;
    stream.reconnect();
    expect(port.last().request.url).toContain('resume=Xk3p9Q2a%3A900');
    openExtended(port, 'resumed', 900);
    await ticks();
    expect(requests).toEqual([
      { position: { epoch: EPOCH, seq: 900 }, generation: 2 },
      { position: { epoch: EPOCH, seq: 900 }, generation: 3 },
    ]);
    expect(stream.getSnapshot()).toMatchObject({ outcome: 'resynced', resyncPending: false });
    // Once complete, reconnect() asks nothing more.
    stream.reconnect();
    openExtended(port, 'resumed', 900);
    await ticks();
    expect(requests).toHaveLength(2);
    expect(stream.getSnapshot()).toMatchObject({ outcome: 'resumed', resyncPending: false });
  });

  it('tells connection listeners how each connection met the stream', () => {
    const { port, stream } = setup();
    const seen: unknown[] = [];
    stream.onConnected((info) => seen.push(info));
    openExtended(port, 'fresh', 3);
    port.last().close(1006);
    port.clock.runNext();
    port.last().open(null); // the server no longer speaks the extension
    expect(seen).toEqual([
      { generation: 1, extended: true, resume: 'fresh', position: { epoch: EPOCH, seq: 3 } },
      { generation: 2, extended: false, resume: null, position: null },
    ]);
  });
});

describe('the async iterator', () => {
  it('yields events in order and ends after close()', async () => {
    const { port, stream } = setup();
    openExtended(port);
    const sent = [event(1), event(2), event(3)];
    const received: DockerCloudEvent[] = [];
    const loop = (async () => {
      for await (const e of stream) received.push(e);
    })();
    await ticks();
    for (const e of sent) port.last().send(e);
    await ticks();
    await Promise.all([stream.close(), port.clock.runAll(), loop]);
    expect(received).toEqual(sent);
  });

  it('pauses reading at the high-water mark and resumes from the last queued position once drained', async () => {
    const { port, stream } = setup({ highWaterMark: 4 });
    openExtended(port, 'fresh', 0);
    const iterator = stream[Symbol.asyncIterator]();
    const sent = Array.from({ length: 10 }, (_, i) => event(i + 1));
    for (const e of sent.slice(0, 4)) port.last().send(e);
    // Full: the socket is closed and nothing more is read.
    expect(port.sockets[0]?.closedBy).toEqual({ code: 1000, reason: 'stopped' });
    // As documented (StreamSnapshot.paused): the machine is stopped; the flags say why.
    expect(stream.getSnapshot()).toMatchObject({ paused: true, closed: false, error: null, phase: 'stopped', stopReason: 'stop' });
    port.sockets[0]?.send(sent[4]); // in flight: dropped, and asked for again on resume
    port.clock.runAll();
    expect(port.sockets).toHaveLength(1);
    const received: DockerCloudEvent[] = [];
    for (let i = 0; i < 2; i++) received.push((await iterator.next()).value as DockerCloudEvent);
    // Drained to half: connect again, resuming after the 4th event.
    expect(stream.getSnapshot().paused).toBe(false);
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.url).toContain(`resume=${EPOCH}%3A4`);
    // Serve each new connection from its resume position; the consumer keeps taking.
    const served = await takeServingResumes(port, iterator, sent, received);
    expect(received.map((e) => e.uuid)).toEqual(sent.map((e) => e.uuid));
    // Each connection refills the queue to the mark (4, then 2 more each time) and pauses again.
    expect(served).toBe(5);
  });

  it('stays paused on reconnect() while the consumer is still behind, and loses no event', async () => {
    const { port, stream } = setup({ highWaterMark: 4 });
    openExtended(port, 'fresh', 0);
    const iterator = stream[Symbol.asyncIterator]();
    const sent = Array.from({ length: 8 }, (_, i) => event(i + 1));
    for (const e of sent.slice(0, 4)) port.last().send(e);
    expect(stream.getSnapshot().paused).toBe(true);
    // A reconnect button pressed while the consumer is behind: a socket now could only deliver
    // events the full queue refuses. Reading resumes (and connects) once the consumer drained.
    stream.reconnect();
    expect(port.sockets).toHaveLength(1);
    expect(stream.getSnapshot()).toMatchObject({ paused: true, phase: 'stopped' });
    const received: DockerCloudEvent[] = [];
    for (let i = 0; i < 2; i++) received.push((await iterator.next()).value as DockerCloudEvent);
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.url).toContain(`resume=${EPOCH}%3A4`);
    await takeServingResumes(port, iterator, sent, received);
    expect(received.map((e) => e.uuid)).toEqual(sent.map((e) => e.uuid));
  });

  it('closes the stream when the consumer breaks out of the loop', async () => {
    const { port, stream } = setup();
    openExtended(port);
    port.last().send(event(1));
    const loop = (async () => {
      for await (const _ of stream) break;
    })();
    port.last().send(event(2));
    await loop;
    expect(stream.getSnapshot().closed).toBe(true);
    expect(port.sockets[0]?.closedBy).toEqual({ code: 1000, reason: 'stopped' });
  });
});

describe('pause() and resume()', () => {
  it('stops reading until resume(), then resumes after the last delivered event: nothing lost', () => {
    const { port, stream } = setup();
    const received: string[] = [];
    stream.onEvent((e) => received.push(e.uuid));
    openExtended(port, 'fresh', 0);
    const sent = Array.from({ length: 6 }, (_, i) => event(i + 1));
    for (const e of sent.slice(0, 3)) port.last().send(e);
    stream.pause();
    stream.pause(); // idempotent
    expect(port.sockets[0]?.closedBy).toEqual({ code: 1000, reason: 'stopped' });
    expect(stream.getSnapshot()).toMatchObject({ paused: true, closed: false, error: null, phase: 'stopped', stopReason: 'stop' });
    // Nothing connects while held: not the backoff, not reconnect(), not a new filter.
    port.clock.runAll();
    stream.reconnect();
    stream.setFilter({ type: 'container' });
    port.clock.runAll();
    expect(port.sockets).toHaveLength(1);
    stream.resume();
    port.clock.advance(0);
    expect(stream.getSnapshot().paused).toBe(false);
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.url).toContain(`resume=${EPOCH}%3A3`);
    expect(port.last().request.url).toContain('type=container');
    openExtended(port, 'resumed', 3);
    for (const e of sent.slice(3)) port.last().send(e);
    expect(received).toEqual(sent.map((e) => e.uuid));
  });

  it('keeps a failure stopped: pause() and resume() neither hide its error nor retry it', () => {
    const { port, stream } = setup();
    port.last().refuse(401);
    const failed = stream.getSnapshot();
    expect(failed).toMatchObject({ phase: 'stopped', stopReason: 'auth' });
    expect(failed.error).not.toBeNull();
    stream.pause();
    expect(stream.getSnapshot()).toMatchObject({ paused: true, stopReason: 'auth', error: failed.error });
    stream.resume();
    port.clock.runAll();
    expect(port.sockets).toHaveLength(1);
    expect(stream.getSnapshot()).toMatchObject({ paused: false, stopReason: 'auth', error: failed.error });
  });

  it('does nothing after close()', async () => {
    const { port, stream } = setup();
    openExtended(port);
    const closed = stream.close();
    port.clock.runAll();
    await closed;
    stream.pause();
    stream.resume();
    port.clock.runAll();
    expect(port.sockets).toHaveLength(1);
    expect(stream.getSnapshot()).toMatchObject({ closed: true, paused: false });
  });

  it("waits for both: an iterator's full queue and a pause() (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('pause', 'resume', 'take', 'send'), { maxLength: 40 }), async (steps) => {
        const { port, stream } = setup({ highWaterMark: 2 });
        openExtended(port, 'fresh', 0);
        const iterator = stream[Symbol.asyncIterator]();
        let held = false;
        let queued = 0;
        let next = 1;
        const sent: string[] = [];
        const taken: string[] = [];
        for (const step of steps) {
          if (step === 'pause') {
            stream.pause();
            held = true;
          } else if (step === 'resume') {
            stream.resume();
            held = false;
          } else if (step === 'take' && queued > 0) {
            taken.push(((await iterator.next()).value as DockerCloudEvent).uuid);
            queued--;
          } else if (step === 'send') {
            const socket = port.last();
            if (socket.status === 'open' && socket.closedBy === null) {
              const e = event(next++);
              sent.push(e.uuid);
              socket.send(e);
              queued++;
            }
          }
          port.clock.advance(0);
          // A new socket (a resume) says hello from the last queued event.
          if (port.last().status === 'connecting') openExtended(port, 'resumed', next - 1);
          const paused = held || queued >= 2;
          expect(stream.getSnapshot().paused).toBe(paused);
          expect(port.last().status === 'open' && port.last().closedBy === null).toBe(!paused);
        }
        // Every event sent is taken once, in order.
        stream.resume();
        for (let i = 0; i < queued; i++) taken.push(((await iterator.next()).value as DockerCloudEvent).uuid);
        expect(taken).toEqual(sent);
        const closed = stream.close();
        port.clock.runAll();
        await closed;
      }),
      { numRuns: 200 },
    );
  });
});

describe('closing', () => {
  it('leaves no timers and no sockets, and resolves runForever', async () => {
    const { port, stream } = setup();
    openExtended(port);
    const forever = stream.runForever();
    const closed = stream.close();
    expect(port.sockets[0]?.closedBy).toEqual({ code: 1000, reason: 'stopped' });
    port.clock.runAll(); // the fake socket reports its close
    await closed;
    await forever;
    expect(port.clock.pending()).toEqual([]);
    expect(port.live()).toEqual([]);
    expect(stream.getSnapshot()).toMatchObject({ closed: true, phase: 'stopped' });
    stream.reconnect();
    expect(port.sockets).toHaveLength(1);
  });

  it('ignores setFilter after close (as reconnect and setOnline), yet still rejects an invalid filter', async () => {
    const { port, stream } = setup();
    openExtended(port);
    const closing = stream.close();
    port.clock.runAll();
    await closing;
    const snapshot = stream.getSnapshot();
    let notified = 0;
    stream.subscribe(() => notified++);
    stream.setFilter({ type: 'service' });
    port.clock.runAll();
    expect(port.sockets).toHaveLength(1);
    expect(stream.getSnapshot()).toBe(snapshot);
    expect(notified).toBe(0);
    expect(() => stream.setFilter({ type: [] })).toThrow(/empty list/);
  });

  it('terminates a socket that does not finish its closing handshake', async () => {
    const port = createFakeStreamPort();
    const handles: string[] = [];
    const silent: StreamPort = {
      ...port,
      openSocket: (request, handlers) => {
        port.openSocket(request, handlers);
        return { close: () => handles.push('close'), terminate: () => handles.push('terminate') };
      },
    };
    const stream = createStreamClient({ streamHost: HOST }, silent);
    port.last().open(RESUME_SUBPROTOCOL);
    const closed = stream.close();
    port.clock.advance(1_999);
    expect(handles).toEqual(['close']);
    port.clock.advance(1);
    await closed;
    expect(handles).toEqual(['close', 'terminate']);
    expect(port.clock.pending()).toEqual([]);
  });

  it('closes on abort, also during backoff, and never starts with an aborted signal', async () => {
    const listeners: (() => void)[] = [];
    const signal = { aborted: false, addEventListener: (_: 'abort', fn: () => void) => listeners.push(fn) };
    const { port, stream } = setup({ signal });
    port.last().refuse(503);
    expect(stream.getSnapshot().status).toBe('backoff');
    signal.aborted = true;
    for (const fn of listeners) fn();
    await stream.close();
    expect(port.clock.pending()).toEqual([]);
    expect(stream.getSnapshot().closed).toBe(true);

    const never = setup({ signal: { aborted: true, addEventListener: () => {} } });
    expect(never.port.sockets).toEqual([]);
    await never.stream.runForever();
  });

  it('copes with a transport that reports synchronously from inside openSocket', () => {
    const port = createFakeStreamPort();
    const eager: StreamPort = {
      ...port,
      openSocket: (request, handlers) => {
        const handle = port.openSocket(request, handlers);
        port.last().refuse(503, 1_000); // before openSocket even returned
        return handle;
      },
    };
    const stream: EventStream = createStreamClient({ streamHost: HOST }, eager);
    // Exactly one timer: the retry. The connect timer of the failed socket was never left behind.
    expect(stream.getSnapshot().status).toBe('backoff');
    expect(port.clock.pending()).toHaveLength(1);
    void stream.close();
    expect(port.clock.pending()).toEqual([]);
  });
});

/**
 * A model resuming server over a fake port, for the properties: one log, retained whole; a
 * connection resumed from a position gets hello, then exactly the events after it.
 */
function createModelServer(port: FakeStreamPort) {
  const log: DockerCloudEvent[] = [];
  let socket: FakeSocket | null = null;
  /** How far the current socket got in the log. */
  let sent = 0;
  const open = () => socket?.status === 'open';
  return {
    log,
    get socket(): FakeSocket | null {
      return socket;
    },
    get sent(): number {
      return sent;
    },
    /** Accepts a pending connection: hello, then the replay from its resume position. */
    serve(): void {
      const last = port.sockets[port.sockets.length - 1];
      if (last === undefined || last === socket || last.status !== 'connecting') return;
      const resume = /resume=[^%]+%3A(\d+)/.exec(last.request.url);
      socket = last;
      socket.open(RESUME_SUBPROTOCOL);
      sent = resume ? Number(resume[1]) : log.length;
      socket.send(hello(resume ? 'resumed' : 'fresh', sent));
      this.sendRest();
    },
    /** Appends `count` events to the log, each sent at once on an open socket. */
    emit(count: number): void {
      for (let i = 0; i < count; i++) {
        log.push(event(log.length + 1));
        if (open()) socket?.send(log[sent++]);
      }
    },
    sendRest(): void {
      for (; sent < log.length && open(); sent++) socket?.send(log[sent]);
    },
    drop(): void {
      if (open()) socket?.close(1006);
    },
    /** A position marker at what the socket has sent. */
    marker(): void {
      if (open()) socket?.send({ type: 'position', position: { epoch: EPOCH, seq: sent } });
    },
  };
}

describe('exactly once, in order (property)', () => {
  // A model server: one log; a connection resumed from a retained position replays exactly what
  // follows it; drops, late frames and repeats happen at random points.
  type Step = { kind: 'emit'; count: number } | { kind: 'drop' } | { kind: 'late' } | { kind: 'repeat' } | { kind: 'wait'; ms: number };
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('emit' as const), count: fc.integer({ min: 1, max: 5 }) }),
    fc.constant({ kind: 'drop' as const }),
    fc.constant({ kind: 'late' as const }),
    fc.constant({ kind: 'repeat' as const }),
    fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
  );

  it('delivers the server log exactly once whatever the drops', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), fc.integer(), (steps, seed) => {
        const port = createFakeStreamPort({ random: createSeededRandom(seed) });
        const { events } = setup({}, port);
        const server = createModelServer(port);
        const { log } = server;
        server.serve();
        for (const s of steps) {
          switch (s.kind) {
            case 'emit':
              server.emit(s.count);
              break;
            case 'drop':
              server.drop();
              break;
            case 'late': {
              // A frame from a socket the client already gave up on.
              const { socket } = server;
              if (socket !== null && socket.status === 'closed' && socket.closedBy !== null && log.length > 0) socket.send(log[log.length - 1]);
              break;
            }
            case 'repeat':
              if (server.socket?.status === 'open' && server.sent > 0) server.socket.send(log[server.sent - 1]);
              break;
            case 'wait':
              port.clock.advance(s.ms);
              server.marker();
              break;
          }
          server.serve();
        }
        // Let it reconnect until it has everything.
        for (let i = 0; i < 20 && events.length < log.length; i++) {
          port.clock.runNext();
          server.serve();
        }
        expect(events.map((e) => e.uuid)).toEqual(log.map((e) => e.uuid));
      }),
      { numRuns: 200 },
    );
  });
});


describe('the async iterator gets every event once, in order (property)', () => {
  // A model server that retains everything; a consumer that reads in bursts behind a small
  // high-water mark, so the stream keeps pausing and resuming, while filters change (to ones every
  // event still matches), reconnect() is pressed and the network comes and goes.
  type Step =
    | { kind: 'emit'; count: number }
    | { kind: 'drop' }
    | { kind: 'take'; count: number }
    | { kind: 'filter'; which: number }
    | { kind: 'reconnect' }
    | { kind: 'offline' }
    | { kind: 'online' }
    | { kind: 'marker' }
    | { kind: 'wait'; ms: number };
  const FILTERS: readonly StreamClientOptions['filter'][] = [{ type: 'container' }, { type: ['container', 'service'] }, {}];
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('emit' as const), count: fc.integer({ min: 1, max: 5 }) }) },
    fc.constant({ kind: 'drop' as const }),
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('take' as const), count: fc.integer({ min: 1, max: 6 }) }) },
    fc.record({ kind: fc.constant('filter' as const), which: fc.integer({ min: 0, max: FILTERS.length - 1 }) }),
    fc.constant({ kind: 'reconnect' as const }),
    fc.constant({ kind: 'offline' as const }),
    fc.constant({ kind: 'online' as const }),
    fc.constant({ kind: 'marker' as const }),
    fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
  );

  it('whatever the pauses, filter changes, reconnects and offline spells', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 50 }), fc.integer({ min: 1, max: 5 }), fc.integer(), async (steps, highWaterMark, seed) => {
        const port = createFakeStreamPort({ random: createSeededRandom(seed) });
        const { stream, events } = setup({ highWaterMark }, port);
        const iterator = stream[Symbol.asyncIterator]();
        const taken: string[] = [];
        const server = createModelServer(port);
        const { log } = server;
        let waiting = false;
        const take = async (count: number) => {
          for (let i = 0; i < count && !waiting; i++) {
            waiting = true;
            void iterator.next().then((result) => {
              waiting = false;
              if (!result.done) taken.push(result.value.uuid);
            });
            await ticks();
          }
        };
        server.serve();
        for (const step of steps) {
          switch (step.kind) {
            case 'emit':
              server.emit(step.count);
              break;
            case 'drop':
              server.drop();
              break;
            case 'take':
              await take(step.count);
              break;
            case 'filter':
              stream.setFilter(FILTERS[step.which] ?? {});
              break;
            case 'reconnect':
              stream.reconnect();
              break;
            case 'offline':
              stream.setOnline(false);
              break;
            case 'online':
              stream.setOnline(true);
              break;
            case 'marker':
              server.marker();
              break;
            case 'wait':
              port.clock.advance(step.ms);
              break;
          }
          server.serve();
        }
        // Then the network stays up and the consumer reads until it has everything.
        stream.setOnline(true);
        for (let i = 0; i < 400 && taken.length < log.length; i++) {
          server.serve();
          server.sendRest();
          await take(1);
          await ticks();
          if (server.socket?.status !== 'open' && port.sockets[port.sockets.length - 1]?.status !== 'connecting') port.clock.runNext();
        }
        expect(taken).toEqual(log.map((e) => e.uuid));
        expect(events.map((e) => e.uuid)).toEqual(log.map((e) => e.uuid));
        const closing = stream.close();
        port.clock.runAll();
        await closing;
      }),
      { numRuns: 300 },
    );
  });
});
