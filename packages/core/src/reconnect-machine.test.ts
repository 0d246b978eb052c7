import { describe, expect, it } from 'vitest';
import type { DockerCloudEvent, StreamPosition } from './event-schema.js';
import { type Frame, RESUME_SUBPROTOCOL } from './extended-protocol.js';
import {
  armedTimers,
  backoffRange,
  createReconnectPolicy,
  createReconnectState,
  DEFAULT_RECONNECT_POLICY,
  describeConnection,
  type ReconnectEffect,
  type ReconnectInput,
  step,
} from './reconnect-machine.js';
import { createReconnectDriver, createTestClock, type ReconnectDriver } from './testing/index.js';
import { MAX_TIMER_MS } from './timer-delay.js';

const P = DEFAULT_RECONNECT_POLICY;
const T0 = 1_000_000;
const pos = (seq: number, epoch = 'e1'): StreamPosition => ({ epoch, seq });

const sampleEvent = (position?: StreamPosition): DockerCloudEvent => ({
  type: 'container',
  action: 'update',
  parents: ['/api/app/v1/acme/service/5f1c/'],
  resource_uri: '/api/app/v1/acme/container/0b0e/',
  state: 'Running',
  uuid: 'u-1',
  datetime: '2026-11-27T09:01:33Z',
  ...(position && { position }),
});
const event = (position?: StreamPosition): Frame => ({ kind: 'event', event: sampleEvent(position) });
const hello = (resume: 'fresh' | 'resumed' | 'gone', position: StreamPosition, heartbeatMs = 10_000): Frame => ({
  kind: 'hello',
  frame: { type: 'hello', resume, position, heartbeatMs },
});
const positionFrame = (position: StreamPosition): Frame => ({ kind: 'position', frame: { type: 'position', position } });
const errorFrame = (errorMessage: string, extra: { code?: number; retryAfterMs?: number } = {}): Frame => ({
  kind: 'error',
  frame: { type: 'error', data: { errorMessage, ...extra } },
});

/** A driver at T0 with a fixed random draw, so delays are exact. */
function drive(options: { random?: number; policy?: Parameters<typeof createReconnectPolicy>[0]; offline?: boolean } = {}): ReconnectDriver {
  const r = options.random ?? 0.5;
  return createReconnectDriver({
    clock: createTestClock(T0),
    random: () => r,
    policy: createReconnectPolicy(options.policy),
    state: createReconnectState({ offline: options.offline ?? false }),
  });
}

/** Socket inputs for the driver's current generation. */
const socket = (d: ReconnectDriver) => {
  const generation = () => d.state.generation;
  return {
    open: (protocol: string | null = null) => d.send({ type: 'socket-open', generation: generation(), protocol }),
    frame: (frame: Frame) => d.send({ type: 'frame-received', generation: generation(), frame }),
    pong: () => d.send({ type: 'pong', generation: generation() }),
    close: (code: number, reason = '') => d.send({ type: 'socket-close', generation: generation(), code, reason }),
    refuse: (status: number, retryAfterMs?: number) =>
      d.send({ type: 'handshake-failed', generation: generation(), status, ...(retryAfterMs !== undefined && { retryAfterMs }) }),
    error: (message?: string) => d.send({ type: 'socket-error', generation: generation(), ...(message !== undefined && { message }) }),
  };
};

/** A started driver whose first socket is open (plain unless `protocol` is given). */
function live(options: Parameters<typeof drive>[0] & { protocol?: string | null } = {}): ReconnectDriver {
  const d = drive(options);
  d.send({ type: 'start' });
  socket(d).open(options.protocol ?? null);
  return d;
}

const types = (effects: readonly ReconnectEffect[]) => effects.map((e) => e.type);
const without = (effects: readonly ReconnectEffect[], type: ReconnectEffect['type']) => effects.filter((e) => e.type !== type);
const opens = (effects: readonly ReconnectEffect[]) => effects.filter((e) => e.type === 'open-socket');
const status = (d: ReconnectDriver) => d.state.status;

describe('start', () => {
  it('opens the first socket at once, with a connect timeout, and notifies', () => {
    const d = drive();
    const effects = d.send({ type: 'start' });
    expect(without(effects, 'notify')).toEqual([
      { type: 'open-socket', generation: 1, resume: null },
      { type: 'set-timer', timer: 'connect', at: T0 + P.connectTimeoutMs, generation: 1 },
    ]);
    expect(effects.at(-1)).toMatchObject({ type: 'notify', connection: { phase: 'connecting', status: 'connecting', generation: 1 } });
    expect(d.state).toMatchObject({ status: 'connecting', generation: 1, attempt: 0, since: T0 });
  });

  it('waits in suspended, with nothing armed, when the platform is offline', () => {
    const d = drive({ offline: true });
    const effects = d.send({ type: 'start' });
    expect(status(d)).toBe('suspended');
    expect(types(effects)).toEqual(['notify']);
    expect(types(d.send({ type: 'online' }))).toEqual(['open-socket', 'set-timer', 'notify']);
  });

  it('is a no-op while already running', () => {
    const d = live();
    const before = d.state;
    expect(d.send({ type: 'start' })).toEqual([]);
    expect(d.state).toBe(before);
  });
});

describe('socket-open', () => {
  it('goes live on a plain server: clears the connect timer, arms idle and stable, outcome fresh', () => {
    const d = drive();
    d.send({ type: 'start' });
    d.clock.advance(120);
    const effects = socket(d).open(null);
    expect(without(effects, 'notify')).toEqual([
      { type: 'clear-timer', timer: 'connect' },
      { type: 'set-timer', timer: 'idle', at: T0 + 120 + P.idleTimeoutMs!, generation: 1 },
      { type: 'set-timer', timer: 'stable', at: T0 + 120 + P.stableMs, generation: 1 },
    ]);
    expect(d.state).toMatchObject({ status: 'open', protocol: null, extended: false, outcome: 'fresh', openedAt: T0 + 120 });
    expect(describeConnection(d.state).phase).toBe('live');
  });

  it('arms no idle timer on a plain connection when idleTimeoutMs is null (browsers cannot see pings)', () => {
    const d = live({ policy: { idleTimeoutMs: null } });
    expect([...d.timers().keys()]).toEqual(['stable']);
    d.clock.advance(10 * 60_000);
    expect(status(d)).toBe('open');
  });

  it('on an extended connection waits for hello under the connect timeout, outcome unknown until then', () => {
    const d = drive();
    d.send({ type: 'start' });
    socket(d).open(RESUME_SUBPROTOCOL);
    expect(d.state).toMatchObject({ status: 'open', extended: true, outcome: null });
    expect(d.timers().get('idle')?.at).toBe(T0 + P.connectTimeoutMs);
  });

  it('ignores a second socket-open for the same socket', () => {
    const d = live();
    const before = d.state;
    expect(socket(d).open()).toEqual([]);
    expect(d.state).toBe(before);
  });
});

describe('subprotocol-refused (a plain server, seen by a runtime that refuses it)', () => {
  it('opens the next socket at once, closing the refused one, without counting an attempt', () => {
    const d = drive();
    d.send({ type: 'start' });
    const effects = d.send({ type: 'subprotocol-refused', generation: 1 });
    expect(without(effects, 'notify')).toEqual([
      { type: 'clear-timer', timer: 'connect' },
      { type: 'close-socket', generation: 1, code: 1000, reason: 'subprotocol refused', terminate: true },
      { type: 'open-socket', generation: 2, resume: null },
      { type: 'set-timer', timer: 'connect', at: T0 + P.connectTimeoutMs, generation: 2 },
    ]);
    expect(d.state).toMatchObject({ status: 'connecting', attempt: 0, sameConnectionReopens: 1 });
  });

  it('keeps a first connection `connecting`, and later sockets are still reconnects', () => {
    const d = drive();
    d.send({ type: 'start' });
    d.send({ type: 'subprotocol-refused', generation: 1 });
    expect(describeConnection(d.state).phase).toBe('connecting');
    socket(d).open(null);
    expect(describeConnection(d.state).phase).toBe('live');
    d.send({ type: 'reconnect' });
    expect(describeConnection(d.state).phase).toBe('reconnecting');
    // A refusal during a reconnect leaves it a reconnect.
    d.send({ type: 'subprotocol-refused', generation: d.state.generation });
    expect(describeConnection(d.state).phase).toBe('reconnecting');
  });

  it('keeps a socket that opened anyway (runtimes refuse during the upgrade)', () => {
    const d = live();
    const before = d.state;
    expect(d.send({ type: 'subprotocol-refused', generation: 1 })).toEqual([]);
    expect(d.state).toBe(before);
  });

  it('ignores a refusal from a socket that is no longer the latest', () => {
    const d = drive();
    d.send({ type: 'start' });
    d.send({ type: 'reconnect' });
    const before = d.state;
    expect(d.send({ type: 'subprotocol-refused', generation: 1 })).toEqual([]);
    expect(d.state).toBe(before);
  });
});

describe('frames and the idle timer', () => {
  it('hello sets the position, the outcome and an idle timeout of 2.5 heartbeats', () => {
    const d = live({ protocol: RESUME_SUBPROTOCOL });
    d.clock.advance(5);
    const effects = socket(d).frame(hello('fresh', pos(7), 4_000));
    expect(without(effects, 'notify')).toEqual([{ type: 'set-timer', timer: 'idle', at: T0 + 5 + 10_000, generation: 1 }]);
    expect(d.state).toMatchObject({ position: pos(7), outcome: 'fresh', idleMs: 10_000, helloReceived: true });
  });

  it('tracks positions from position markers and events, and nothing else is emitted per frame', () => {
    const d = live({ protocol: RESUME_SUBPROTOCOL });
    socket(d).frame(hello('fresh', pos(7)));
    expect(socket(d).frame(positionFrame(pos(9)))).toEqual([]);
    expect(d.state.position).toEqual(pos(9));
    expect(socket(d).frame(event(pos(10)))).toEqual([]);
    expect(d.state.position).toEqual(pos(10));
    socket(d).frame(event()); // an event without a position keeps the last one
    expect(d.state.position).toEqual(pos(10));
  });

  it('ignores positions on a plain connection (they cannot be resumed from)', () => {
    const d = live();
    socket(d).frame(positionFrame(pos(3)));
    socket(d).frame(event(pos(4)));
    socket(d).frame(hello('gone', pos(5)));
    expect(d.state).toMatchObject({ position: null, outcome: 'fresh' });
  });

  it('re-arms the idle timer lazily: frames keep the connection, silence kills it', () => {
    const d = live(); // plain: 45 s idle timeout
    d.clock.advance(30_000);
    socket(d).frame(event());
    d.clock.advance(20_000); // the timer fires at 45 s and re-arms for 75 s
    expect(status(d)).toBe('open');
    expect(d.timers().get('idle')?.at).toBe(T0 + 75_000);
    d.clock.advance(25_000);
    expect(status(d)).toBe('backoff');
    expect(d.state.lastClose).toMatchObject({ kind: 'idle-timeout', class: 'transient', code: 1006, at: T0 + 75_000 });
    expect(d.effects).toContainEqual({ type: 'close-socket', generation: 1, code: 1000, reason: 'idle timeout', terminate: true });
  });

  it('counts a pong as proof of life', () => {
    const d = live();
    d.clock.advance(40_000);
    socket(d).pong();
    d.clock.advance(40_000);
    expect(status(d)).toBe('open');
  });

  it('does not let pongs stand in for the hello: an extended server that answers pings but sends no hello is left after the connect timeout, saying so', () => {
    const d = live({ protocol: RESUME_SUBPROTOCOL });
    for (let at = 0; at < P.connectTimeoutMs - 1_000; at += 1_000) {
      d.clock.advance(1_000);
      socket(d).pong();
    }
    d.clock.advance(1_000);
    expect(status(d)).toBe('backoff');
    expect(d.state.lastClose).toMatchObject({ kind: 'idle-timeout', class: 'transient', reason: 'no hello from the server', at: T0 + P.connectTimeoutMs });
    expect(d.effects).toContainEqual({ type: 'close-socket', generation: 1, code: 1000, reason: 'no hello from the server', terminate: true });
    // Once the hello came, pongs are proof of life again.
    d.clock.advance(d.state.status === 'backoff' ? (d.state.retryAt ?? 0) - d.clock.now() : 0);
    socket(d).open(RESUME_SUBPROTOCOL);
    socket(d).frame(hello('fresh', pos(0), 10_000));
    d.clock.advance(20_000);
    socket(d).pong();
    d.clock.advance(20_000);
    expect(status(d)).toBe('open');
  });

  it('times out an extended connection after 2.5 silent heartbeats', () => {
    const d = live({ protocol: RESUME_SUBPROTOCOL });
    socket(d).frame(hello('fresh', pos(1), 2_000));
    d.clock.advance(4_999);
    expect(status(d)).toBe('open');
    d.clock.advance(1);
    expect(d.state).toMatchObject({ status: 'backoff', lastClose: { kind: 'idle-timeout' } });
  });

  it('waits no longer than idleTimeoutMs on an extended connection whose hello promises a far-off heartbeat', () => {
    // A hostile or broken server: "a marker every 11 days", then silence, no pong either.
    const d = live({ protocol: RESUME_SUBPROTOCOL });
    socket(d).frame(hello('fresh', pos(1), 1_000_000_000));
    expect(d.state).toMatchObject({ idleMs: P.idleTimeoutMs });
    d.clock.advance(P.idleTimeoutMs as number);
    expect(d.state).toMatchObject({ status: 'backoff', lastClose: { kind: 'idle-timeout' } });
    // Without an idle timeout (a browser's default), the heartbeat alone decides, up to what a timer keeps.
    const unwatched = live({ protocol: RESUME_SUBPROTOCOL, policy: { idleTimeoutMs: null } });
    socket(unwatched).frame(hello('fresh', pos(1), 1_000_000_000));
    expect(unwatched.state).toMatchObject({ idleMs: MAX_TIMER_MS });
  });

  it('times out an extended connection that never says hello', () => {
    const d = live({ protocol: RESUME_SUBPROTOCOL });
    d.clock.advance(P.connectTimeoutMs);
    expect(d.state).toMatchObject({ status: 'backoff', lastClose: { kind: 'idle-timeout' } });
  });
});

describe('connect timeout', () => {
  it('abandons the socket (terminate) and backs off', () => {
    const d = drive({ random: 0 });
    d.send({ type: 'start' });
    d.clock.advance(P.connectTimeoutMs - 1);
    expect(status(d)).toBe('connecting');
    d.clock.advance(1);
    expect(d.state).toMatchObject({ status: 'backoff', attempt: 1, lastClose: { kind: 'connect-timeout', class: 'transient' } });
    expect(d.effects).toContainEqual({ type: 'close-socket', generation: 1, code: 1000, reason: 'connect timeout', terminate: true });
    // The fired connect timer is not cleared again; only the retry is pending.
    expect([...d.timers().keys()]).toEqual(['retry']);
    expect(d.effects.filter((e) => e.type === 'clear-timer')).toEqual([]);
  });

  it('ignores a socket-open that arrives after the timeout (the socket is gone)', () => {
    const d = drive();
    d.send({ type: 'start' });
    d.clock.advance(P.connectTimeoutMs);
    const before = d.state;
    expect(d.send({ type: 'socket-open', generation: 1, protocol: null })).toEqual([]);
    expect(d.state).toBe(before);
  });
});

describe('closes by class', () => {
  it('transient: backs off with a growing ceiling, then the retry timer opens the next generation', () => {
    const d = drive({ random: 0.999_999 });
    d.send({ type: 'start' });
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      socket(d).close(1006);
      expect(d.state.status).toBe('backoff');
      if (d.state.status !== 'backoff') return;
      delays.push(d.state.delayMs);
      expect(d.state.retryAt).toBe(d.clock.now() + d.state.delayMs);
      d.clock.advance(d.state.delayMs);
      expect(d.state).toMatchObject({ status: 'connecting', generation: i + 2, attempt: i + 1 });
    }
    expect(delays).toEqual([799, 1_599, 3_199, 6_399, 12_799, 25_599, 29_999]);
  });

  it('transient: the first failure of the very first connect goes through the same backoff', () => {
    const d = drive({ random: 0 });
    d.send({ type: 'start' });
    socket(d).refuse(502);
    expect(d.state).toMatchObject({ status: 'backoff', attempt: 1, delayMs: P.floorMs, lastClose: { kind: 'http', code: 502 } });
  });

  it('throttled: honours the error frame hint and reason before the close', () => {
    const d = live({ random: 0 });
    socket(d).frame(errorFrame('overloaded', { code: 1013, retryAfterMs: 20_000 }));
    socket(d).close(1013);
    expect(d.state).toMatchObject({
      status: 'backoff',
      delayMs: 20_000,
      lastClose: { kind: 'close', code: 1013, reason: 'overloaded', class: 'throttled', retryAfterMs: 20_000 },
    });
  });

  it('throttled: without a hint still waits at least the throttled floor', () => {
    for (const code of [1013, 4008, 4029]) {
      const d = live({ random: 0 });
      socket(d).close(code, 'slow down');
      expect(d.state).toMatchObject({ status: 'backoff', delayMs: P.throttledFloorMs, lastClose: { reason: 'slow down' } });
    }
  });

  it('throttled: HTTP 429 with Retry-After before the upgrade', () => {
    const d = drive({ random: 0 });
    d.send({ type: 'start' });
    socket(d).refuse(429, 60_000);
    expect(d.state).toMatchObject({ status: 'backoff', delayMs: 60_000, lastClose: { kind: 'http', code: 429, class: 'throttled' } });
    expect(d.effects).toContainEqual({ type: 'close-socket', generation: 1, code: 1000, reason: 'handshake failed', terminate: true });
  });

  it('fatal: stops with the reason and arms nothing', () => {
    for (const fail of [
      (d: ReconnectDriver) => socket(d).close(4003, 'forbidden namespace'),
      (d: ReconnectDriver) => socket(d).refuse(403),
      // The runtime would not open the socket at all (Deno without --allow-net).
      (d: ReconnectDriver) => d.send({ type: 'socket-error', generation: d.state.generation, message: 'Requires net access', fatal: true }),
    ]) {
      const d = live();
      const effects = fail(d);
      expect(d.state).toMatchObject({ status: 'stopped', reason: 'fatal', lastClose: { class: 'fatal' } });
      expect(d.timers().size).toBe(0);
      expect(types(effects)).not.toContain('set-timer');
      expect(describeConnection(d.state)).toMatchObject({ phase: 'stopped', stopReason: 'fatal' });
      d.clock.runAll();
      expect(status(d)).toBe('stopped');
    }
  });

  it('socket-error: closes the socket (terminate) and backs off as transient', () => {
    const d = live();
    const effects = socket(d).error('ECONNRESET');
    expect(effects).toContainEqual({ type: 'close-socket', generation: 1, code: 1000, reason: 'socket error', terminate: true });
    expect(d.state).toMatchObject({ status: 'backoff', lastClose: { kind: 'error', reason: 'ECONNRESET', class: 'transient' } });
    // The close event that follows the error is stale now.
    const before = d.state;
    expect(d.send({ type: 'socket-close', generation: 1, code: 1006, reason: '' })).toEqual([]);
    expect(d.state).toBe(before);
  });

  it('reads the error frame code when the close itself carries none (1005/1006)', () => {
    const d = live();
    socket(d).frame(errorFrame('bad credentials', { code: 4001 }));
    socket(d).close(1006);
    expect(d.state).toMatchObject({ status: 'stopped', reason: 'auth', lastClose: { code: 4001, reason: 'bad credentials', class: 'auth' } });
  });

  it('does not emit close-socket for a socket that reported its own close', () => {
    const d = live();
    const effects = socket(d).close(1001, 'going away');
    expect(types(effects)).not.toContain('close-socket');
    expect(effects).toContainEqual({ type: 'clear-timer', timer: 'idle' });
    expect(effects).toContainEqual({ type: 'clear-timer', timer: 'stable' });
  });
});

describe('auth: stop, at most one retry with fresh credentials', () => {
  it('stops on 4001 and on HTTP 401 without retrying', () => {
    for (const fail of [(d: ReconnectDriver) => socket(d).close(4001), (d: ReconnectDriver) => socket(d).refuse(401)]) {
      const d = live();
      fail(d);
      expect(d.state).toMatchObject({ status: 'stopped', reason: 'auth' });
      d.clock.runAll();
      expect(opens(d.effects)).toHaveLength(1);
    }
  });

  it('retries once when credentials change while stopped, and never again: no retry storm', () => {
    const d = live();
    socket(d).close(4001);
    const retry = d.send({ type: 'credentials-changed' });
    expect(opens(retry)).toEqual([{ type: 'open-socket', generation: 2, resume: null }]);
    // A provider that "refreshes" after every failure gets nowhere.
    for (let i = 0; i < 20; i++) {
      socket(d).refuse(401);
      d.send({ type: 'credentials-changed' });
      d.clock.runAll();
    }
    expect(opens(d.effects)).toHaveLength(2);
    expect(d.state).toMatchObject({ status: 'stopped', reason: 'auth', authRetry: false });
  });

  it('retries at once when the failing socket was opened before the credentials changed', () => {
    const d = drive();
    d.send({ type: 'start' });
    d.send({ type: 'credentials-changed' });
    expect(d.state.status).toBe('connecting'); // the in-flight socket is not dropped
    const effects = socket(d).refuse(401);
    expect(opens(effects)).toEqual([{ type: 'open-socket', generation: 2, resume: null }]);
    socket(d).refuse(401); // the fresh credentials fail too: stop
    expect(d.state).toMatchObject({ status: 'stopped', reason: 'auth' });
    d.send({ type: 'credentials-changed' });
    expect(status(d)).toBe('stopped');
  });

  it('counts credentials as fresh only against sockets opened before they changed', () => {
    const d = live();
    d.send({ type: 'credentials-changed' }); // socket 1 keeps running with the old ones
    socket(d).close(1006);
    d.clock.runNext(); // socket 2 reads the new credentials
    expect(d.state).toMatchObject({ status: 'connecting', generation: 2, credentialsFresh: false });
    const effects = socket(d).refuse(401);
    expect(opens(effects)).toEqual([]);
    expect(d.state).toMatchObject({ status: 'stopped', reason: 'auth' });
  });

  it('does not drop a healthy socket when credentials change', () => {
    const d = live();
    const before = d.state;
    expect(d.send({ type: 'credentials-changed' })).toEqual([]);
    expect(d.state).toMatchObject({ status: 'open', generation: before.generation, credentialsFresh: true });
  });

  it('gets its retry back from reconnect() and from a stable connection', () => {
    const d = live();
    socket(d).close(4001);
    d.send({ type: 'credentials-changed' });
    socket(d).close(4001);
    expect(d.state.authRetry).toBe(false);
    d.send({ type: 'reconnect' });
    expect(d.state).toMatchObject({ status: 'connecting', authRetry: true, attempt: 0 });
    socket(d).open();
    socket(d).close(4001);
    d.send({ type: 'credentials-changed' });
    socket(d).open();
    expect(d.state.authRetry).toBe(false);
    socket(d).frame(event());
    d.clock.advance(P.stableMs);
    expect(d.state).toMatchObject({ status: 'open', authRetry: true });
  });

  it('does not reconnect on fresh credentials after an explicit stop', () => {
    const d = live();
    socket(d).close(4001);
    d.send({ type: 'stop' });
    expect(d.state).toMatchObject({ status: 'stopped', reason: 'stop' });
    d.send({ type: 'credentials-changed' });
    expect(status(d)).toBe('stopped');
    expect(opens(d.effects)).toHaveLength(1);
  });

  it('ignores fresh credentials while stopped for a fatal reason', () => {
    const d = live();
    socket(d).close(4003);
    d.send({ type: 'credentials-changed' });
    expect(d.state).toMatchObject({ status: 'stopped', reason: 'fatal' });
  });
});

describe('resume and resync (extended protocol)', () => {
  /** Live on an extended connection whose stream is at `at`. */
  function extended(at: StreamPosition): ReconnectDriver {
    const d = live({ protocol: RESUME_SUBPROTOCOL });
    socket(d).frame(hello('fresh', at));
    return d;
  }

  it('resumes from the last position seen: open-socket carries it, hello resumed → outcome resumed', () => {
    const d = extended(pos(1));
    socket(d).frame(event(pos(2)));
    socket(d).frame(positionFrame(pos(5)));
    socket(d).close(1012, 'restart');
    d.clock.runNext();
    expect(opens(d.effects).at(-1)).toEqual({ type: 'open-socket', generation: 2, resume: pos(5) });
    expect(d.state).toMatchObject({ status: 'connecting', resume: pos(5) });
    socket(d).open(RESUME_SUBPROTOCOL);
    socket(d).frame(hello('resumed', pos(5)));
    expect(describeConnection(d.state)).toMatchObject({ phase: 'live', outcome: 'resumed', resyncPending: false });
  });

  it('on hello gone: resync from the hello position; resynced once the client reports completion', () => {
    const d = extended(pos(5));
    socket(d).close(1001);
    d.clock.runNext();
    socket(d).open(RESUME_SUBPROTOCOL);
    const effects = socket(d).frame(hello('gone', pos(1, 'e2')));
    expect(effects).toContainEqual({ type: 'resync', position: pos(1, 'e2') });
    expect(describeConnection(d.state)).toMatchObject({ outcome: null, resyncPending: true });
    socket(d).frame(event(pos(2, 'e2')));
    // A completion for some other position is not ours.
    const before = d.state;
    expect(d.send({ type: 'resync-complete', position: pos(1) })).toEqual([]);
    expect(d.state).toBe(before);
    const done = d.send({ type: 'resync-complete', position: pos(1, 'e2') });
    expect(types(done)).toEqual(['notify']);
    expect(describeConnection(d.state)).toMatchObject({ outcome: 'resynced', resyncPending: false });
    expect(d.state.position).toEqual(pos(2, 'e2'));
  });

  it('treats hello fresh after asking to resume as a gap: resync', () => {
    const d = extended(pos(5));
    socket(d).close(1001);
    d.clock.runNext();
    socket(d).open(RESUME_SUBPROTOCOL);
    expect(socket(d).frame(hello('fresh', pos(9)))).toContainEqual({ type: 'resync', position: pos(9) });
  });

  it('4410: reconnects at once without resume and without counting an attempt, then resyncs from the new hello', () => {
    const d = extended(pos(5));
    socket(d).close(1001);
    d.clock.runNext(); // resumes from 5
    socket(d).open(RESUME_SUBPROTOCOL);
    const attempt = d.state.attempt;
    const effects = socket(d).close(4410, 'position gone');
    expect(without(effects, 'notify')).toEqual([
      { type: 'clear-timer', timer: 'idle' },
      { type: 'clear-timer', timer: 'stable' },
      { type: 'open-socket', generation: 3, resume: null },
      { type: 'set-timer', timer: 'connect', at: d.clock.now() + P.connectTimeoutMs, generation: 3 },
    ]);
    expect(d.state).toMatchObject({ status: 'connecting', attempt, position: null, resync: { status: 'needed' } });
    expect(d.state.lastClose).toMatchObject({ code: 4410, class: 'resync' });
    socket(d).open(RESUME_SUBPROTOCOL);
    expect(socket(d).frame(hello('fresh', pos(100)))).toContainEqual({ type: 'resync', position: pos(100) });
    d.send({ type: 'resync-complete', position: pos(100) });
    expect(d.state.outcome).toBe('resynced');
  });

  it('4410 on a socket that did not ask to resume backs off instead of looping', () => {
    const d = live({ protocol: RESUME_SUBPROTOCOL });
    socket(d).close(4410);
    expect(d.state).toMatchObject({ status: 'backoff', attempt: 1, lastClose: { class: 'resync' } });
  });

  it('a plain server after a 4410 gets a resync with no position at open', () => {
    const d = extended(pos(5));
    socket(d).close(1001);
    d.clock.runNext();
    socket(d).open(RESUME_SUBPROTOCOL);
    socket(d).close(4410);
    const effects = socket(d).open(null);
    expect(effects).toContainEqual({ type: 'resync', position: null });
    d.send({ type: 'resync-complete', position: null });
    expect(d.state.outcome).toBe('resynced');
  });

  it('a plain server clears the position, so a later extended server is not asked to resume', () => {
    const d = extended(pos(5));
    socket(d).close(1001);
    d.clock.runNext();
    socket(d).open(null);
    expect(d.state).toMatchObject({ position: null, outcome: 'fresh' });
    socket(d).close(1001);
    d.clock.runNext();
    expect(opens(d.effects).at(-1)).toMatchObject({ resume: null });
  });

  it('a resumed connection while a re-list is still running stays unresolved until resync-complete', () => {
    const d = extended(pos(5));
    socket(d).close(1001);
    d.clock.runNext();
    socket(d).open(RESUME_SUBPROTOCOL);
    socket(d).frame(hello('gone', pos(1, 'e2')));
    socket(d).close(1001);
    d.clock.runNext();
    socket(d).open(RESUME_SUBPROTOCOL);
    socket(d).frame(hello('resumed', pos(1, 'e2')));
    expect(describeConnection(d.state)).toMatchObject({ outcome: null, resyncPending: true });
    d.send({ type: 'resync-complete', position: pos(1, 'e2') });
    expect(d.state.outcome).toBe('resynced');
  });

  it('a repeated hello refreshes position and heartbeat but does not resync again', () => {
    const d = extended(pos(5));
    const effects = socket(d).frame(hello('gone', pos(8), 1_000));
    expect(types(effects)).toEqual(['set-timer']);
    expect(d.state).toMatchObject({ position: pos(8), idleMs: 2_500, outcome: 'fresh' });
  });
});

describe('stable period and the attempt counter', () => {
  function failTimes(d: ReconnectDriver, n: number): void {
    for (let i = 0; i < n; i++) {
      socket(d).close(1006);
      d.clock.runNext();
    }
  }

  it('resets only after stableMs open with at least one frame (frame first)', () => {
    const d = drive();
    d.send({ type: 'start' });
    failTimes(d, 3);
    socket(d).open();
    socket(d).frame(event());
    d.clock.advance(P.stableMs - 1);
    expect(d.state.attempt).toBe(3);
    const effects = d.send({ type: 'timer-fired', timer: 'stable', generation: d.state.generation });
    expect(d.state).toMatchObject({ attempt: 0, stable: 'settled' });
    expect(effects.at(-1)).toMatchObject({ type: 'notify', connection: { attempt: 0 } });
  });

  it('resets at the first frame when the stable time passed in silence', () => {
    const d = drive();
    d.send({ type: 'start' });
    failTimes(d, 2);
    socket(d).open();
    d.clock.advance(P.stableMs + 5_000);
    expect(d.state).toMatchObject({ attempt: 2, stable: 'elapsed' });
    socket(d).frame(event());
    expect(d.state).toMatchObject({ attempt: 0, stable: 'settled' });
  });

  it('does not reset when a connection is dropped before it is stable, however many frames it got', () => {
    const d = drive({ random: 0.999_999 });
    d.send({ type: 'start' });
    for (let i = 0; i < 4; i++) {
      socket(d).open();
      for (let f = 0; f < 50; f++) socket(d).frame(event());
      d.clock.advance(P.stableMs - 1);
      socket(d).close(1006);
      d.clock.runNext();
    }
    expect(d.state.attempt).toBe(4);
  });

  it('with stableMs 0 the first frame settles at once', () => {
    const d = live({ policy: { stableMs: 0 } });
    expect(d.timers().has('stable')).toBe(false);
    d.send({ type: 'socket-close', generation: 1, code: 1006, reason: '' });
    d.clock.runNext();
    socket(d).open();
    expect(d.state.attempt).toBe(1);
    socket(d).frame(event());
    expect(d.state.attempt).toBe(0);
  });
});

describe('stop', () => {
  it('from every state: clears timers, closes a live socket gracefully, and opens nothing later', () => {
    const setups: Record<string, (d: ReconnectDriver) => void> = {
      idle: () => {},
      connecting: (d) => d.send({ type: 'start' }),
      open: (d) => {
        d.send({ type: 'start' });
        socket(d).open();
      },
      backoff: (d) => {
        d.send({ type: 'start' });
        socket(d).close(1006);
      },
      suspended: (d) => {
        d.send({ type: 'start' });
        d.send({ type: 'offline' });
      },
      stopped: (d) => {
        d.send({ type: 'start' });
        socket(d).close(4003);
      },
    };
    for (const [name, setup] of Object.entries(setups)) {
      const d = drive();
      setup(d);
      expect(status(d)).toBe(name);
      const hadSocket = name === 'connecting' || name === 'open';
      const effects = d.send({ type: 'stop' });
      expect(d.state).toMatchObject({ status: 'stopped', reason: 'stop' });
      expect(d.timers().size).toBe(0);
      expect(d.liveSockets()).toEqual([]);
      expect(effects.filter((e) => e.type === 'close-socket')).toEqual(
        hadSocket ? [{ type: 'close-socket', generation: d.state.generation, code: 1000, reason: 'stopped', terminate: false }] : [],
      );
      const opened = opens(d.effects).length;
      d.send({ type: 'online' });
      d.send({ type: 'credentials-changed' });
      d.clock.advance(10 * 60_000);
      expect(opens(d.effects)).toHaveLength(opened);
    }
  });

  it('twice is a no-op', () => {
    const d = live();
    d.send({ type: 'stop' });
    const before = d.state;
    expect(d.send({ type: 'stop' })).toEqual([]);
    expect(d.state).toBe(before);
  });

  it('start after stop restarts from attempt 0 and resumes from the last position', () => {
    const d = live({ protocol: RESUME_SUBPROTOCOL });
    socket(d).frame(hello('fresh', pos(3)));
    socket(d).close(1006);
    d.send({ type: 'stop' });
    const effects = d.send({ type: 'start' });
    expect(opens(effects)).toEqual([{ type: 'open-socket', generation: 2, resume: pos(3) }]);
    expect(d.state.attempt).toBe(0);
  });
});

describe('reconnect', () => {
  it('from stopped restarts with attempt 0', () => {
    const d = drive();
    d.send({ type: 'start' });
    for (let i = 0; i < 3; i++) {
      socket(d).close(1006);
      d.clock.runNext();
    }
    socket(d).close(4003);
    expect(d.state).toMatchObject({ status: 'stopped', attempt: 4 });
    d.send({ type: 'reconnect' });
    expect(d.state).toMatchObject({ status: 'connecting', attempt: 0, generation: 5 });
  });

  it('from backoff connects now and cancels the retry', () => {
    const d = live();
    socket(d).close(1006);
    const effects = d.send({ type: 'reconnect' });
    expect(without(effects, 'notify')).toEqual([
      { type: 'clear-timer', timer: 'retry' },
      { type: 'open-socket', generation: 2, resume: null },
      { type: 'set-timer', timer: 'connect', at: d.clock.now() + P.connectTimeoutMs, generation: 2 },
    ]);
    expect(d.state.attempt).toBe(1);
  });

  it('from open closes the socket first, then opens the next generation', () => {
    const d = live();
    const effects = d.send({ type: 'reconnect' });
    expect(types(effects)).toEqual(['clear-timer', 'clear-timer', 'close-socket', 'open-socket', 'set-timer', 'notify']);
    expect(effects[2]).toEqual({ type: 'close-socket', generation: 1, code: 1000, reason: 'reconnect', terminate: false });
    expect(d.liveSockets()).toEqual([2]);
  });

  it('from connecting abandons the attempt in flight', () => {
    const d = drive();
    d.send({ type: 'start' });
    d.send({ type: 'reconnect' });
    expect(d.liveSockets()).toEqual([2]);
    expect([...d.timers()]).toEqual([['connect', { at: T0 + P.connectTimeoutMs, generation: 2 }]]);
  });

  it('before the first connection got through keeps it `connecting`, attempt 0: the user acted, nothing failed', () => {
    const d = drive();
    d.send({ type: 'start' });
    // A UI setting its filter right after creating the stream.
    const effects = d.send({ type: 'reconnect' });
    expect(d.state).toMatchObject({ status: 'connecting', generation: 2, attempt: 0, sameConnectionReopens: 1 });
    expect(effects.at(-1)).toMatchObject({ type: 'notify', connection: { phase: 'connecting', attempt: 0, generation: 2 } });
    d.send({ type: 'reconnect' });
    // An extended socket waiting for its hello has not got through either.
    socket(d).open(RESUME_SUBPROTOCOL);
    d.send({ type: 'reconnect' });
    expect(describeConnection(d.state)).toMatchObject({ phase: 'connecting', status: 'connecting', attempt: 0, generation: 4 });
    // Nor has a plain server's subprotocol retry, in any order with the user's.
    d.send({ type: 'subprotocol-refused', generation: 4 });
    d.send({ type: 'reconnect' });
    expect(describeConnection(d.state)).toMatchObject({ phase: 'connecting', attempt: 0, generation: 6 });
    socket(d).open(RESUME_SUBPROTOCOL);
    socket(d).frame(hello('fresh', pos(1)));
    expect(describeConnection(d.state).phase).toBe('live');
    // Once a connection was live, the user's reconnect is one.
    d.send({ type: 'reconnect' });
    expect(describeConnection(d.state)).toMatchObject({ phase: 'reconnecting', status: 'connecting', attempt: 0, generation: 7 });
    d.send({ type: 'reconnect' });
    expect(describeConnection(d.state)).toMatchObject({ phase: 'reconnecting', generation: 8 });
  });

  it('after a failure of the first connection stays `reconnecting`', () => {
    const d = drive();
    d.send({ type: 'start' });
    socket(d).close(1006);
    expect(describeConnection(d.state)).toMatchObject({ phase: 'reconnecting', status: 'backoff', attempt: 1 });
    d.send({ type: 'reconnect' });
    expect(describeConnection(d.state)).toMatchObject({ phase: 'reconnecting', status: 'connecting', attempt: 1 });
    d.send({ type: 'reconnect' });
    expect(describeConnection(d.state)).toMatchObject({ phase: 'reconnecting', status: 'connecting', attempt: 1 });
    // Stopped by a failure, the user's reconnect restarts the count but not the first connection.
    socket(d).close(4003);
    d.send({ type: 'reconnect' });
    expect(describeConnection(d.state)).toMatchObject({ phase: 'reconnecting', status: 'connecting', attempt: 0 });
  });

  it('from idle is a start, and from suspended overrides the offline signal', () => {
    const d = drive({ offline: true });
    d.send({ type: 'reconnect' });
    expect(status(d)).toBe('connecting');
    const e = drive();
    e.send({ type: 'start' });
    e.send({ type: 'offline' });
    e.send({ type: 'reconnect' });
    expect(e.state).toMatchObject({ status: 'connecting', offline: true });
    // If that attempt fails while still offline, it suspends instead of backing off.
    socket(e).close(1006);
    expect(status(e)).toBe('suspended');
    expect(e.timers().size).toBe(0);
  });
});

describe("a server's wait", () => {
  // A throttled close (1013, 4008, 4029, HTTP 429/503) or any close with a retry hint asks the
  // client to stay away for a while. The retry timer honours it; so must every input that would
  // otherwise connect at once: reconnect (also setFilter's), online, start after a stop (a paused
  // iterator resuming) and fresh credentials.
  const throttled = (retryAfterMs?: number) => {
    const d = live({ random: 0.5 });
    socket(d).frame(errorFrame('Too many login attempts.', { code: 4029, ...(retryAfterMs !== undefined && { retryAfterMs }) }));
    socket(d).close(4029);
    expect(d.state).toMatchObject({ status: 'backoff', lastClose: { class: 'throttled' } });
    return d;
  };

  it('holds reconnect until the hint has passed, then connects at once (no jitter on top)', () => {
    const d = throttled(60_000);
    const closedAt = d.clock.now();
    expect(d.state).toMatchObject({ retryAt: closedAt + 62_500 }); // 60 s + jitter over the throttled window
    d.clock.advance(10_000);
    const effects = d.send({ type: 'reconnect' });
    expect(opens(effects)).toEqual([]);
    expect(without(effects, 'notify')).toEqual([
      { type: 'clear-timer', timer: 'retry' },
      { type: 'set-timer', timer: 'retry', at: closedAt + 60_000, generation: 1 },
    ]);
    expect(d.state).toMatchObject({ status: 'backoff', retryAt: closedAt + 60_000, delayMs: 50_000, attempt: 1, lastClose: { code: 4029 } });
    expect(describeConnection(d.state)).toMatchObject({ phase: 'reconnecting', retryAt: closedAt + 60_000 });
    d.clock.advance(49_999);
    expect(d.liveSockets()).toEqual([]);
    d.clock.advance(1);
    expect(d.state).toMatchObject({ status: 'connecting', generation: 2 });
  });

  it('after a throttled close without a hint, holds reconnect for the throttled floor', () => {
    const d = throttled();
    const closedAt = d.clock.now();
    d.send({ type: 'reconnect' });
    expect(d.state).toMatchObject({ status: 'backoff', retryAt: closedAt + P.throttledFloorMs });
    d.clock.advance(P.throttledFloorMs);
    expect(status(d)).toBe('connecting');
  });

  it('honours a hint on a close that is not throttled, and clamps it to maxHintMs', () => {
    const d = live({ random: 0 });
    socket(d).frame(errorFrame('Restarting.', { retryAfterMs: 400_000 }));
    socket(d).close(1001);
    const closedAt = d.clock.now();
    d.send({ type: 'reconnect' });
    expect(d.state).toMatchObject({ status: 'backoff', retryAt: closedAt + P.maxHintMs });
  });

  it('lets reconnect connect at once once the wait is over, and after an ordinary failure', () => {
    const d = throttled(20_000);
    d.clock.advanceTo((d.state.lastClose?.at ?? 0) + 20_000);
    expect(opens(d.send({ type: 'reconnect' }))).toHaveLength(1);
    const e = live();
    socket(e).close(1006);
    expect(opens(e.send({ type: 'reconnect' }))).toHaveLength(1);
  });

  it('holds online, start after a stop, and fresh credentials after a refusal the same way', () => {
    const offline = throttled(60_000);
    const closedAt = offline.clock.now();
    offline.send({ type: 'offline' });
    offline.clock.advance(1_000);
    offline.send({ type: 'online' });
    expect(offline.state).toMatchObject({ status: 'backoff', retryAt: closedAt + 60_000 });

    const stopped = throttled(60_000);
    stopped.send({ type: 'stop' });
    stopped.send({ type: 'start' });
    expect(stopped.state).toMatchObject({ status: 'backoff', retryAt: closedAt + 60_000, attempt: 0 });

    const refused = drive();
    refused.send({ type: 'start' });
    socket(refused).refuse(401, 30_000);
    expect(status(refused)).toBe('stopped');
    refused.send({ type: 'credentials-changed' });
    expect(refused.state).toMatchObject({ status: 'backoff', retryAt: T0 + 30_000 });
    refused.clock.advance(30_000);
    expect(status(refused)).toBe('connecting');
  });

  it('lets reconnect override offline at the end of the wait', () => {
    const d = throttled(60_000);
    const closedAt = d.clock.now();
    d.send({ type: 'offline' });
    d.send({ type: 'reconnect' });
    expect(d.state).toMatchObject({ status: 'backoff', offline: true, retryAt: closedAt + 60_000 });
    d.clock.advance(60_000);
    expect(d.state).toMatchObject({ status: 'connecting', offline: true });
  });
});

describe('offline and online', () => {
  it('offline from open terminates the socket, clears every timer and suspends', () => {
    const d = live();
    const effects = d.send({ type: 'offline' });
    expect(effects).toContainEqual({ type: 'close-socket', generation: 1, code: 1000, reason: 'offline', terminate: true });
    expect(d.state).toMatchObject({ status: 'suspended', offline: true });
    expect(d.timers().size).toBe(0);
    expect(describeConnection(d.state).phase).toBe('offline');
    d.clock.advance(10 * 60_000);
    expect(status(d)).toBe('suspended');
  });

  it('offline from backoff cancels the retry; online connects at once keeping the attempt count', () => {
    const d = live();
    socket(d).close(1006);
    d.send({ type: 'offline' });
    expect(d.timers().size).toBe(0);
    const effects = d.send({ type: 'online' });
    expect(opens(effects)).toHaveLength(1);
    expect(d.state).toMatchObject({ status: 'connecting', attempt: 1, offline: false });
  });

  it('online while connected is a no-op; offline while stopped only records the fact', () => {
    const d = live();
    const before = d.state;
    expect(d.send({ type: 'online' })).toEqual([]);
    expect(d.state).toBe(before);
    d.send({ type: 'stop' });
    expect(d.send({ type: 'offline' })).toEqual([]);
    expect(d.state).toMatchObject({ status: 'stopped', offline: true });
    d.send({ type: 'start' });
    expect(status(d)).toBe('suspended');
  });
});

describe('stale inputs', () => {
  it('ignores every socket and timer input of another generation, returning the same state and no effects', () => {
    const d = live({ protocol: RESUME_SUBPROTOCOL });
    socket(d).close(1006);
    d.clock.runNext();
    socket(d).open(RESUME_SUBPROTOCOL); // generation 2 is live
    for (const generation of [0, 1, 3]) {
      const inputs: ReconnectInput[] = [
        { type: 'socket-open', generation, protocol: null },
        { type: 'frame-received', generation, frame: hello('gone', pos(1)) },
        { type: 'pong', generation },
        { type: 'socket-close', generation, code: 4001, reason: '' },
        { type: 'handshake-failed', generation, status: 403 },
        { type: 'socket-error', generation },
        { type: 'timer-fired', timer: 'idle', generation },
        { type: 'timer-fired', timer: 'stable', generation },
      ];
      for (const input of inputs) {
        const before = d.state;
        expect(step(before, input, { now: d.clock.now() + 1e9, random: () => 0 })).toEqual([before, []]);
        expect(step(before, input, { now: d.clock.now() + 1e9, random: () => 0 })[0]).toBe(before);
      }
    }
  });

  it('ignores socket inputs when no socket is live, even with the latest generation', () => {
    const d = live();
    socket(d).close(1006); // backoff, generation 1
    const before = d.state;
    for (const input of [
      { type: 'frame-received', generation: 1, frame: event() },
      { type: 'socket-close', generation: 1, code: 4003, reason: '' },
      { type: 'timer-fired', timer: 'connect', generation: 1 },
    ] satisfies ReconnectInput[]) {
      expect(d.send(input)).toEqual([]);
      expect(d.state).toBe(before);
    }
  });
});

describe('describeConnection', () => {
  it('maps every status to a phase with the retry time only while backing off', () => {
    const d = drive();
    expect(describeConnection(d.state)).toEqual({
      phase: 'idle',
      status: 'idle',
      attempt: 0,
      retryAt: null,
      lastClose: null,
      outcome: null,
      resyncPending: false,
      generation: 0,
      stopReason: null,
    });
    d.send({ type: 'start' });
    expect(describeConnection(d.state).phase).toBe('connecting');
    socket(d).close(1006, 'bye');
    const backoff = describeConnection(d.state);
    expect(backoff).toMatchObject({ phase: 'reconnecting', attempt: 1, lastClose: { code: 1006, reason: 'bye' } });
    expect(backoff.retryAt).toBe(d.state.status === 'backoff' ? d.state.retryAt : -1);
    d.clock.runNext();
    expect(describeConnection(d.state)).toMatchObject({ phase: 'reconnecting', retryAt: null, generation: 2 });
  });

  it('keeps an extended connection connecting until its hello, so a refusal after the upgrade is never live', () => {
    const d = drive();
    d.send({ type: 'start' });
    const opened = socket(d).open(RESUME_SUBPROTOCOL);
    // The machine is open (status), the UI still connecting (phase): told once, as the status changed.
    expect(opened.at(-1)).toMatchObject({ type: 'notify', connection: { phase: 'connecting', status: 'open', outcome: null } });
    socket(d).frame(errorFrame('Incorrect authentication credentials.', { code: 4001 }));
    socket(d).close(4001);
    expect(describeConnection(d.state)).toMatchObject({ phase: 'stopped', stopReason: 'auth' });

    const ok = drive();
    ok.send({ type: 'start' });
    socket(ok).open(RESUME_SUBPROTOCOL);
    const greeted = socket(ok).frame(hello('fresh', pos(3)));
    expect(greeted.at(-1)).toMatchObject({ type: 'notify', connection: { phase: 'live', status: 'open', outcome: 'fresh' } });
    socket(ok).close(1001);
    ok.clock.runNext();
    socket(ok).open(RESUME_SUBPROTOCOL);
    expect(describeConnection(ok.state)).toMatchObject({ phase: 'reconnecting', status: 'open', generation: 2 });
    socket(ok).frame(hello('resumed', pos(3)));
    expect(describeConnection(ok.state)).toMatchObject({ phase: 'live', outcome: 'resumed' });
  });

  it('notify carries the new summary and is emitted only when the summary changes', () => {
    const d = live();
    const frames = [socket(d).frame(event()), socket(d).pong()];
    expect(frames.flat()).toEqual([]);
    const effects = socket(d).close(1006);
    expect(effects.at(-1)).toEqual({ type: 'notify', connection: describeConnection(d.state) });
  });
});

describe('createReconnectPolicy', () => {
  it('fills defaults and keeps overrides', () => {
    expect(createReconnectPolicy({ capMs: 5_000 })).toEqual({ ...DEFAULT_RECONNECT_POLICY, capMs: 5_000 });
  });

  it.each([
    [{ baseMs: 0 }, /^reconnect policy: baseMs must be a number of milliseconds > 0 and ≤ 2147483647, got number 0$/],
    [{ floorMs: -1 }, /^reconnect policy: floorMs must be a number of milliseconds from 0 to 2147483647, got number -1$/],
    [{ throttledBoost: -1 }, /^reconnect policy: throttledBoost must be a non-negative number, got number -1$/],
    [{ floorMs: 40_000 }, /floorMs must be at most capMs/],
    [{ throttledFloorMs: 60_000 }, /throttledFloorMs must be at most capMs/],
    [{ idleTimeoutMs: 0 }, /^reconnect policy: idleTimeoutMs must be a number of milliseconds > 0 and ≤ 2147483647, or null for no idle timeout; got number 0$/],
    [{ heartbeatFactor: 0.5 }, /heartbeatFactor must be a number ≥ 1/],
    [{ connectTimeoutMs: Number.NaN }, /connectTimeoutMs/],
    [{ capMS: 5_000 } as Partial<typeof P>, /unknown option capMS \(did you mean "capMs"\?\); expected one of baseMs, capMs/],
    [{ idleTimeout: 5_000 } as Partial<typeof P>, /unknown option idleTimeout \(did you mean "idleTimeoutMs"\?\);/],
  ])('rejects %o', (overrides, message) => {
    expect(() => createReconnectPolicy(overrides)).toThrow(message);
    try {
      createReconnectPolicy(overrides);
    } catch (error) {
      expect(error).toMatchObject({ name: 'EventsError', code: 'invalid-config' });
    }
  });
});

describe('armedTimers', () => {
  it('matches the timers the driver holds through a typical life', () => {
    const d = drive({ policy: { stableMs: 1_000 } });
    const check = () => expect(new Set(d.timers().keys())).toEqual(new Set(armedTimers(d.state)));
    check();
    d.send({ type: 'start' });
    check();
    socket(d).open(RESUME_SUBPROTOCOL);
    check();
    d.clock.advance(1_000);
    check();
    socket(d).frame(hello('fresh', pos(1)));
    check();
    socket(d).close(1012);
    check();
  });
});

it('re-exports the backoff helpers for transports and UIs', () => {
  expect(backoffRange({ failures: 1, kind: 'transient' }, P)).toEqual({ min: 250, max: 800 });
});
