import { type BackoffKind, computeBackoffDelay, serverWaitMs } from './backoff.js';
import type { StreamPosition } from './event-schema.js';
import { EventsError } from './events-error.js';
import { classifyCloseCode, classifyHttpStatus, type Frame, type HelloFrame, RESUME_SUBPROTOCOL } from './extended-protocol.js';
import {
  armedTimers,
  type ConnectingState,
  DEFAULT_RECONNECT_POLICY,
  describeConnection,
  hasSocket,
  type LastClose,
  type OpenState,
  type ReconnectContext,
  type ReconnectEffect,
  type ReconnectEnv,
  type ReconnectInput,
  type ReconnectPolicy,
  type ReconnectState,
  type TimerName,
} from './reconnect-state.js';
import { MAX_TIMER_MS } from './timer-delay.js';

export * from './backoff.js';
export * from './reconnect-state.js';

// The reconnect state machine (field-notes.md, "Reconnecting clients"; protocol.md §8).
//
// Decisions, each pinned by a test in reconnect-machine.test.ts:
// - start, reconnect and online connect at once; only failures back off (backoff.ts). A start is
//   not correlated with other clients, so jitter would only slow it down; every failure, the
//   first connect's included, goes through the same backoff.
// - Except during a wait the server asked for (serverWaitMs: a throttled close, or any close with
//   a retry hint): no input connects before it is over. start, reconnect (also the stream's
//   setFilter), online and fresh credentials then wait in backoff until exactly its end, without
//   the jitter a retry adds on top: the user acted, they cut our own backoff short, never the
//   server's. Connecting sooner would only be refused again, and a 4029 lockout may grow.
// - A socket that replaces the latest one without anything failing or having been live (a plain
//   server's subprotocol refusal; the user's reconnect or setFilter while the phase is still
//   `connecting`) is the same first connection: the phase stays `connecting`, attempt 0.
// - transient → backoff; throttled → backoff with a higher floor and ceiling, honouring the
//   server's hint; fatal → stopped. resync (4410) → reconnect at once without resume and ask
//   the client to re-list once the new hello says where the stream continues. A 4410 on a socket
//   that did not ask to resume cannot be cured that way, so it backs off like a transient close.
// - auth → stopped. It retries at most once, and only with credentials that changed after the
//   failing socket was opened (credentials-changed before the failure, or while stopped). The
//   retry budget comes back with start/reconnect (the user acted) or a stable connection. A
//   provider that reports "changed" on every failure therefore gets one retry, not a storm.
// - credentials-changed never drops a healthy socket: the server checks credentials only at
//   the upgrade, and the next socket reads the new ones anyway.
// - offline closes the socket (terminate: the network is gone) and suspends with no timers;
//   online connects at once. reconnect is an explicit override and tries even while offline.
// - Positions are tracked only on extended connections. A plain server clears the position so a
//   later extended server is never asked to resume from a point this client did not follow.
// - hello.resume 'gone' (or 'fresh' when we asked to resume, or any hello after a 4410) emits
//   resync; the outcome becomes 'resynced' when resync-complete echoes that position.
// - The idle timer is re-armed lazily: frames only record lastActivityAt, and when the timer
//   fires early it re-arms for the real deadline. That keeps the per-frame path free of effects.

const NORMAL_CLOSURE = 1000;
const ABNORMAL_CLOSURE = 1006;
const NO_STATUS = 1005;

type Effects = ReconnectEffect[];
type Transition = [ReconnectState, Effects];
type SocketInput = Extract<ReconnectInput, { type: 'socket-open' | 'frame-received' | 'pong' | 'socket-close' | 'handshake-failed' | 'socket-error' }>;
interface StepEnv {
  readonly now: number;
  readonly random: () => number;
  readonly policy: ReconnectPolicy;
}

/**
 * The pure transition function: the next state and the effects the caller must execute, in order.
 * Never touches timers, sockets or globals; with the same inputs, times and random draws it
 * returns the same results. Inputs from a socket or timer of another generation return
 * `[state, []]` (the very same state object).
 *
 * @example
 * const env = { now: clock.now(), random };
 * let [state, effects] = step(createReconnectState(), { type: 'start' }, env);
 * // effects: [{ type: 'open-socket', generation: 1, resume: null },
 * //           { type: 'set-timer', timer: 'connect', at: now + 10000, generation: 1 }, { type: 'notify', ... }]
 */
export function step(state: ReconnectState, input: ReconnectInput, env: ReconnectEnv): readonly [ReconnectState, readonly ReconnectEffect[]] {
  const [next, effects] = transition(state, input, { now: env.now, random: env.random, policy: env.policy ?? DEFAULT_RECONNECT_POLICY });
  if (next === state) return [state, effects];
  const after = describeConnection(next);
  if (!sameSummary(describeConnection(state), after)) effects.push({ type: 'notify', connection: after });
  // The documented execution order, whatever order the transition found them in.
  effects.sort((a, b) => EFFECT_ORDER[a.type] - EFFECT_ORDER[b.type]);
  return [next, effects];
}

const EFFECT_ORDER: Record<ReconnectEffect['type'], number> = {
  'clear-timer': 0,
  'close-socket': 1,
  'open-socket': 2,
  'set-timer': 3,
  resync: 4,
  notify: 5,
};

function transition(s: ReconnectState, input: ReconnectInput, x: StepEnv): Transition {
  switch (input.type) {
    case 'start':
      return s.status === 'idle' || s.status === 'stopped' ? begin(restart(s), [], x) : [s, []];
    case 'reconnect': {
      const ctx = s.status === 'idle' || s.status === 'stopped' ? restart(s) : contextOf(s);
      // Before the first connection got through (a UI setting its filter right after creating the
      // stream), nothing failed and nothing was live: the new socket is still that connection.
      const firstUnderWay = describeConnection(s).phase === 'connecting';
      return connectAllowed(ctx, teardown(s, { reason: 'reconnect', terminate: false }), x, firstUnderWay ? 'same' : 'new');
    }
    case 'stop':
      if (s.status === 'stopped' && s.reason === 'stop') return [s, []];
      // Also from stopped(auth): after an explicit stop, fresh credentials must not reconnect.
      return [{ ...contextOf(s), status: 'stopped', reason: 'stop' }, teardown(s, { reason: 'stopped', terminate: false })];
    case 'offline':
      if (s.status === 'connecting' || s.status === 'open' || s.status === 'backoff') {
        return [{ ...contextOf(s), offline: true, status: 'suspended' }, teardown(s, { reason: 'offline', terminate: true })];
      }
      return s.offline ? [s, []] : [{ ...s, offline: true }, []];
    case 'online':
      if (s.status === 'suspended') return connectAllowed({ ...contextOf(s), offline: false }, [], x);
      return s.offline ? [{ ...s, offline: false }, []] : [s, []];
    case 'credentials-changed':
      if (s.status === 'stopped' && s.reason === 'auth' && s.authRetry) return begin({ ...contextOf(s), authRetry: false }, [], x);
      return s.credentialsFresh ? [s, []] : [{ ...s, credentialsFresh: true }, []];
    case 'resync-complete':
      // Only the completion of the resync we asked for last: a late one for an older position is stale.
      if (s.resync?.status !== 'pending' || !samePosition(s.resync.position, input.position)) return [s, []];
      return [{ ...s, resync: null, outcome: 'resynced' }, []];
    case 'timer-fired':
      return input.generation === s.generation ? onTimer(s, input.timer, x) : [s, []];
    case 'socket-open':
    case 'frame-received':
    case 'pong':
    case 'socket-close':
    case 'handshake-failed':
    case 'socket-error':
      return hasSocket(s) && input.generation === s.generation ? onSocket(s, input, x) : [s, []];
    case 'subprotocol-refused':
      // Not a failure: the same connection again without the offer, at once and uncounted. Runtimes
      // refuse during the upgrade; a socket that opened anyway is kept.
      if (s.status !== 'connecting' || input.generation !== s.generation) return [s, []];
      return connect(contextOf(s), teardown(s, { reason: 'subprotocol refused', terminate: true }), x, 'same');
    default:
      return assertNever(input);
  }
}

function onTimer(s: ReconnectState, timer: TimerName, x: StepEnv): Transition {
  switch (timer) {
    case 'connect':
      if (s.status !== 'connecting') return [s, []];
      return fail(s, closeOf('connect-timeout', ABNORMAL_CLOSURE, 'connect timeout', 'transient', x), teardown(s, { reason: 'connect timeout', terminate: true }, 'connect'), x);
    case 'idle': {
      if (s.status !== 'open' || s.idleMs === null) return [s, []];
      const deadline = s.lastActivityAt + s.idleMs;
      if (deadline > x.now) return [s, [setTimer('idle', deadline, s.generation)]];
      // The server took the resumable subprotocol, whose first frame is hello, and sent none.
      const reason = s.extended && !s.helloReceived ? 'no hello from the server' : 'idle timeout';
      return fail(s, closeOf('idle-timeout', ABNORMAL_CLOSURE, reason, 'transient', x), teardown(s, { reason, terminate: true }, 'idle'), x);
    }
    case 'stable':
      if (s.status !== 'open' || s.stable !== 'pending') return [s, []];
      return [s.framesReceived > 0 ? settle(s) : { ...s, stable: 'elapsed' }, []];
    case 'retry':
      return s.status === 'backoff' ? connect(contextOf(s), [], x) : [s, []];
    default:
      return assertNever(timer);
  }
}

function onSocket(s: ConnectingState | OpenState, input: SocketInput, x: StepEnv): Transition {
  switch (input.type) {
    case 'socket-open':
      return s.status === 'connecting' ? open(s, input.protocol, x) : [s, []];
    case 'frame-received':
      return s.status === 'open' ? onFrame(s, input.frame, x) : [s, []];
    case 'pong':
      // A pong shows the socket alive, not that the server speaks the protocol: on an extended
      // connection the hello is still due within the connect timeout (see open), pongs or not.
      return s.status === 'open' && (!s.extended || s.helloReceived) ? [{ ...s, lastActivityAt: x.now }, []] : [s, []];
    case 'socket-close': {
      const error = s.status === 'open' ? s.errorFrame : null;
      // 1005/1006 carry no code of their own; the error frame that preceded them may (extended protocol).
      const code = (input.code === NO_STATUS || input.code === ABNORMAL_CLOSURE) && error?.code !== undefined ? error.code : input.code;
      const reason = input.reason !== '' ? input.reason : (error?.message ?? '');
      return fail(s, closeOf('close', code, reason, classifyCloseCode(code), x, error?.retryAfterMs), teardown(s, null), x);
    }
    case 'handshake-failed': {
      // The server's own words when the transport could read them ("Invalid username/API key.").
      const close = closeOf('http', input.status, input.detail ?? `HTTP ${input.status}`, classifyHttpStatus(input.status), x, input.retryAfterMs);
      return fail(s, close, teardown(s, { reason: 'handshake failed', terminate: true }), x);
    }
    case 'socket-error':
      return fail(
        s,
        closeOf('error', ABNORMAL_CLOSURE, input.message ?? 'socket error', input.fatal === true ? 'fatal' : 'transient', x),
        teardown(s, { reason: 'socket error', terminate: true }),
        x,
      );
    default:
      return assertNever(input);
  }
}

function open(s: ConnectingState, protocol: string | null, x: StepEnv): Transition {
  const extended = protocol === RESUME_SUBPROTOCOL;
  // The server sends hello first, so on an extended connection the connect timeout covers it.
  const idleMs = extended ? x.policy.connectTimeoutMs : x.policy.idleTimeoutMs;
  const stable = x.policy.stableMs > 0 ? 'pending' : 'elapsed';
  const effects: Effects = [{ type: 'clear-timer', timer: 'connect' }];
  if (idleMs !== null) effects.push(setTimer('idle', x.now + idleMs, s.generation));
  if (stable === 'pending') effects.push(setTimer('stable', x.now + x.policy.stableMs, s.generation));
  let ctx: ReconnectContext = { ...contextOf(s), outcome: null };
  if (!extended) {
    ctx = { ...ctx, position: null, outcome: ctx.resync === null ? 'fresh' : null };
    if (ctx.resync !== null) ctx = owe(ctx, null, effects);
  }
  const next: OpenState = {
    ...ctx,
    status: 'open',
    protocol,
    extended,
    resume: s.resume,
    openedAt: x.now,
    lastActivityAt: x.now,
    idleMs,
    framesReceived: 0,
    helloReceived: false,
    stable,
    errorFrame: null,
  };
  return [next, effects];
}

function onFrame(s: OpenState, frame: Frame, x: StepEnv): Transition {
  let next: OpenState = { ...s, lastActivityAt: x.now, framesReceived: s.framesReceived + 1 };
  if (next.stable === 'elapsed') next = settle(next);
  const effects: Effects = [];
  switch (frame.kind) {
    case 'error': {
      const { errorMessage, code, retryAfterMs } = frame.frame.data;
      next = { ...next, errorFrame: { message: errorMessage, ...(code !== undefined && { code }), ...(retryAfterMs !== undefined && { retryAfterMs }) } };
      break;
    }
    case 'event':
      if (next.extended && frame.event.position) next = { ...next, position: frame.event.position };
      break;
    case 'position':
      if (next.extended) next = { ...next, position: frame.frame.position };
      break;
    case 'hello':
      if (next.extended) next = onHello(next, frame.frame, effects, x);
      break;
    default:
      return assertNever(frame);
  }
  return [next, effects];
}

function onHello(s: OpenState, hello: HelloFrame, effects: Effects, x: StepEnv): OpenState {
  // A server's heartbeat may be longer than a timer keeps (its hello is not ours to refuse): wait
  // that longest delay instead, or the idle timer would fire, and re-arm, every millisecond. Nor
  // longer than idleTimeoutMs, our own word for silence (no frame, no pong): a server whose hello
  // promises a marker every 11 days and that answers no ping would otherwise hold a dead
  // connection `live` for as long (pongs keep a live one open whatever its heartbeat).
  const idleMs = Math.min(MAX_TIMER_MS, Math.round(hello.heartbeatMs * x.policy.heartbeatFactor), x.policy.idleTimeoutMs ?? Number.POSITIVE_INFINITY);
  effects.push(setTimer('idle', x.now + idleMs, s.generation));
  const next: OpenState = { ...s, position: hello.position, idleMs, helloReceived: true };
  // A repeated hello refreshes position and heartbeat; the connection's outcome is already decided.
  if (s.helloReceived) return next;
  const gap = hello.resume === 'gone' || s.resync?.status === 'needed' || (hello.resume === 'fresh' && (s.resume !== null || s.resync !== null));
  if (gap) return owe(next, hello.position, effects);
  // 'resumed' while an earlier re-list is still running is not a result yet: the cache is not whole.
  const outcome = hello.resume === 'resumed' ? (s.resync === null ? 'resumed' : null) : 'fresh';
  return { ...next, outcome };
}

/** Sends the client to re-list; the outcome is unknown until it reports resync-complete. */
function owe<T extends ReconnectContext>(ctx: T, position: StreamPosition | null, effects: Effects): T {
  effects.push({ type: 'resync', position });
  return { ...ctx, resync: { status: 'pending', position }, outcome: null };
}

/** A connection ended: decide between backoff, an immediate reconnect and stopping. */
function fail(s: ConnectingState | OpenState, lastClose: LastClose, effects: Effects, x: StepEnv): Transition {
  const ctx: ReconnectContext = { ...contextOf(s), lastClose, attempt: s.attempt + 1 };
  switch (lastClose.class) {
    case 'fatal':
      return [{ ...ctx, status: 'stopped', reason: 'fatal' }, effects];
    case 'auth':
      if (s.credentialsFresh && s.authRetry) return begin({ ...ctx, authRetry: false }, effects, x);
      return [{ ...ctx, status: 'stopped', reason: 'auth' }, effects];
    case 'resync':
      // Not a failure of the network or the server: no backoff, no attempt counted.
      if (s.resume !== null) return begin({ ...ctx, attempt: s.attempt, position: null, resync: { status: 'needed' } }, effects, x);
      return backoff(ctx, 'transient', lastClose, effects, x);
    case 'transient':
    case 'throttled':
      return backoff(ctx, lastClose.class, lastClose, effects, x);
    default:
      return assertNever(lastClose.class);
  }
}

function backoff(ctx: ReconnectContext, kind: BackoffKind, lastClose: LastClose, effects: Effects, x: StepEnv): Transition {
  if (ctx.offline) return [{ ...ctx, status: 'suspended' }, effects];
  const delayMs = computeBackoffDelay({ failures: ctx.attempt, kind, hintMs: lastClose.retryAfterMs }, x.policy, x.random());
  const retryAt = x.now + delayMs;
  effects.push(setTimer('retry', retryAt, ctx.generation));
  return [{ ...ctx, status: 'backoff', retryAt, delayMs, lastClose }, effects];
}

/** Connect now (or once the server's wait is over), or wait in suspended while offline. */
function begin(ctx: ReconnectContext, effects: Effects, x: StepEnv): Transition {
  return ctx.offline ? [{ ...ctx, status: 'suspended' }, effects] : connectAllowed(ctx, effects, x);
}

/**
 * Connect now, unless the server asked to wait after the latest close and that wait is not over:
 * then back off until exactly its end (see the decisions above), and the retry is a new connection.
 */
function connectAllowed(ctx: ReconnectContext, effects: Effects, x: StepEnv, connection: 'new' | 'same' = 'new'): Transition {
  const close = ctx.lastClose;
  if (close === null) return connect(ctx, effects, x, connection);
  const end = close.at + serverWaitMs({ kind: close.class === 'throttled' ? 'throttled' : 'transient', hintMs: close.retryAfterMs }, x.policy);
  if (end <= x.now) return connect(ctx, effects, x, connection);
  effects.push(setTimer('retry', end, ctx.generation));
  return [{ ...ctx, status: 'backoff', retryAt: end, delayMs: end - x.now, lastClose: close }, effects];
}

/**
 * Open the next socket. `same`: it replaces the latest socket as the same connection (see
 * ReconnectContext.sameConnectionReopens), so a first connection stays `connecting`.
 */
function connect(ctx: ReconnectContext, effects: Effects, x: StepEnv, connection: 'new' | 'same' = 'new'): Transition {
  const generation = ctx.generation + 1;
  const resume = ctx.position;
  const sameConnectionReopens = ctx.sameConnectionReopens + (connection === 'same' ? 1 : 0);
  effects.push({ type: 'open-socket', generation, resume }, setTimer('connect', x.now + x.policy.connectTimeoutMs, generation));
  return [{ ...ctx, status: 'connecting', generation, sameConnectionReopens, credentialsFresh: false, since: x.now, resume }, effects];
}

/** An explicit start: the user acted, so the counter and the auth retry start over. */
function restart(s: ReconnectState): ReconnectContext {
  return { ...contextOf(s), attempt: 0, authRetry: true };
}

/** Open long enough and proven useful by a frame: forget past failures. */
function settle(s: OpenState): OpenState {
  return { ...s, attempt: 0, authRetry: true, stable: 'settled' };
}

/** Clears the timers `s` armed (except one that just fired) and closes its socket unless it is already closed. */
function teardown(s: ReconnectState, close: { reason: string; terminate: boolean } | null, fired?: TimerName): Effects {
  const effects: Effects = [];
  for (const timer of armedTimers(s)) if (timer !== fired) effects.push({ type: 'clear-timer', timer });
  if (close !== null && hasSocket(s)) {
    effects.push({ type: 'close-socket', generation: s.generation, code: NORMAL_CLOSURE, reason: close.reason, terminate: close.terminate });
  }
  return effects;
}

/** The fields common to every state, without the ones of its variant. */
function contextOf(s: ReconnectState): ReconnectContext {
  return {
    generation: s.generation,
    attempt: s.attempt,
    position: s.position,
    outcome: s.outcome,
    lastClose: s.lastClose,
    resync: s.resync,
    offline: s.offline,
    credentialsFresh: s.credentialsFresh,
    authRetry: s.authRetry,
    sameConnectionReopens: s.sameConnectionReopens,
  };
}

function closeOf(kind: LastClose['kind'], code: number, reason: string, cls: LastClose['class'], x: StepEnv, retryAfterMs?: number): LastClose {
  return { kind, code, reason, class: cls, at: x.now, ...(retryAfterMs !== undefined && { retryAfterMs }) };
}

function setTimer(timer: TimerName, at: number, generation: number): ReconnectEffect {
  return { type: 'set-timer', timer, at, generation };
}

function samePosition(a: StreamPosition | null, b: StreamPosition | null): boolean {
  return a === null || b === null ? a === b : a.epoch === b.epoch && a.seq === b.seq;
}

function sameSummary<T extends object>(a: T, b: T): boolean {
  for (const key of Object.keys(a) as (keyof T)[]) if (a[key] !== b[key]) return false;
  return true;
}

function assertNever(value: never): never {
  throw new EventsError('internal', `reconnect machine: unexpected ${JSON.stringify(value)}`);
}
