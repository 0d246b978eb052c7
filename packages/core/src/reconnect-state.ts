import { DEFAULT_BACKOFF_POLICY, type BackoffPolicy } from './backoff.js';
import { describeValue } from './describe-value.js';
import { didYouMeanHint } from './did-you-mean.js';
import type { StreamPosition } from './event-schema.js';
import { EventsError } from './events-error.js';
import type { CloseClass, Frame } from './extended-protocol.js';
import { checkTimerOption } from './timer-delay.js';

// The data of the reconnect machine: its policy, states, inputs and effects, and the read-only
// views a UI needs. The transitions live in reconnect-machine.ts.

/**
 * Everything the machine decides by: backoff (see backoff.ts) plus timeouts. Build one with
 * createReconnectPolicy, which fills defaults and rejects nonsense, such as a time in ms past
 * MAX_TIMER_MS (a longer timer fires at once).
 */
export interface ReconnectPolicy extends BackoffPolicy {
  /** A socket that has not opened after this long is abandoned (10 s). */
  readonly connectTimeoutMs: number;
  /**
   * Silence (no frame, no pong) after which a plain connection counts as dead (45 s, as
   * socket.io). `null` disables it: a browser on a plain server sees neither pings nor pongs,
   * and a quiet stream must not be dropped every 45 s. Extended connections use
   * heartbeatFactor · hello.heartbeatMs instead when that is shorter, and connectTimeoutMs until
   * the hello arrives.
   */
  readonly idleTimeoutMs: number | null;
  /** On an extended connection, this many heartbeat intervals of silence mean dead (2.5). */
  readonly heartbeatFactor: number;
  /**
   * The attempt counter (and the auth retry) resets only once a connection has been open this
   * long AND has delivered at least one frame (10 s): a server that accepts and then drops
   * every connection must not reset our backoff.
   */
  readonly stableMs: number;
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = Object.freeze({
  ...DEFAULT_BACKOFF_POLICY,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 45_000,
  heartbeatFactor: 2.5,
  stableMs: 10_000,
});

/**
 * Fills in defaults and validates. Throws EventsError('invalid-config') naming the bad option.
 *
 * @example
 * const policy = createReconnectPolicy({ capMs: 10_000, idleTimeoutMs: null });
 */
export function createReconnectPolicy(overrides: Partial<ReconnectPolicy> = {}): ReconnectPolicy {
  for (const key of Object.keys(overrides)) {
    // A misspelt option (capMS) would otherwise be ignored without a word.
    if (!Object.hasOwn(DEFAULT_RECONNECT_POLICY, key)) {
      const known = Object.keys(DEFAULT_RECONNECT_POLICY);
      throw new EventsError('invalid-config', `reconnect policy: unknown option ${key}${didYouMeanHint(key, known)}; expected one of ${known.join(', ')}`);
    }
  }
  const policy: ReconnectPolicy = { ...DEFAULT_RECONNECT_POLICY, ...overrides };
  // Each is (or bounds) a timer delay, so none may exceed what a timer keeps (maxHintMs: a server's
  // "retry after 30 days" would otherwise fire at once).
  for (const key of ['baseMs', 'capMs', 'connectTimeoutMs'] as const) checkTimerOption(key, policy[key], { min: 0, exclusiveMin: true }, PREFIX);
  for (const key of ['floorMs', 'throttledFloorMs', 'maxHintMs', 'stableMs'] as const) checkTimerOption(key, policy[key], { min: 0 }, PREFIX);
  checkTimerOption('idleTimeoutMs', policy.idleTimeoutMs, { min: 0, exclusiveMin: true, nullMeans: 'for no idle timeout' }, PREFIX);
  if (!(Number.isFinite(policy.throttledBoost) && policy.throttledBoost >= 0)) fail('throttledBoost', 'a non-negative number', policy.throttledBoost);
  if (policy.floorMs > policy.capMs) fail('floorMs', `at most capMs (${policy.capMs})`, policy.floorMs);
  if (policy.throttledFloorMs > policy.capMs) fail('throttledFloorMs', `at most capMs (${policy.capMs})`, policy.throttledFloorMs);
  if (!(Number.isFinite(policy.heartbeatFactor) && policy.heartbeatFactor >= 1)) {
    fail('heartbeatFactor', 'a number ≥ 1', policy.heartbeatFactor);
  }
  return Object.freeze(policy);
}

const PREFIX = 'reconnect policy: ';

function fail(key: string, expected: string, actual: unknown): never {
  throw new EventsError('invalid-config', `${PREFIX}${key} must be ${expected}, got ${describeValue(actual)}`);
}

/** The timers the machine arms. At most one of each name is pending at a time. */
export type TimerName = 'connect' | 'idle' | 'retry' | 'stable';

/** How the latest connection met the stream (protocol.md §8). */
export type ConnectionOutcome = 'fresh' | 'resumed' | 'resynced';

/** Why the machine stopped: the caller asked, or a close that retrying cannot cure. */
export type StopReason = 'stop' | 'auth' | 'fatal';

/** The latest end of a connection, classified. What a UI shows as "disconnected because ...". */
export interface LastClose {
  /** Where the end came from: a close frame, a refused upgrade, a socket error, or one of our timeouts. */
  readonly kind: 'close' | 'http' | 'error' | 'connect-timeout' | 'idle-timeout';
  /** The close code; the HTTP status for `http`; 1006 (abnormal) for errors and timeouts. */
  readonly code: number;
  readonly reason: string;
  readonly class: CloseClass;
  /**
   * When it happened: env.now, the port's monotonic clock (StreamPort.now(), `performance.now()`
   * in the transports), not epoch milliseconds. Compare it with that clock, never Date.now().
   */
  readonly at: number;
  /** The server's hint to wait at least this long, if it gave one. */
  readonly retryAfterMs?: number;
}

/**
 * A re-list the client owes: `needed` after a 4410 close (we reconnect without resume and learn
 * the new position from the next hello), `pending` once the resync effect went out and until the
 * client reports resync-complete for that position.
 */
export type ResyncDebt = { readonly status: 'needed' } | { readonly status: 'pending'; readonly position: StreamPosition | null };

/** Fields every state carries. */
export interface ReconnectContext {
  /** The generation of the latest socket (0 before the first). Grows by one per open-socket. */
  readonly generation: number;
  /** Consecutive failed connections since the last stable one. */
  readonly attempt: number;
  /** The last stream position seen on an extended connection: where to resume from. */
  readonly position: StreamPosition | null;
  /** How the latest connection met the stream; null until known (extended: until hello). */
  readonly outcome: ConnectionOutcome | null;
  readonly lastClose: LastClose | null;
  readonly resync: ResyncDebt | null;
  /** The platform said the network is gone. */
  readonly offline: boolean;
  /** Credentials changed after the latest socket was opened (it used the old ones). */
  readonly credentialsFresh: boolean;
  /** Whether the one retry after an auth failure is still available. */
  readonly authRetry: boolean;
  /**
   * Sockets that replaced the one before them as the same connection rather than a new one: the
   * retry without the subprotocol after a plain server refused it (the `subprotocol-refused`
   * input), and the socket of a `reconnect` (a stream's setFilter) while the phase is still
   * `connecting`. Neither makes the first connection a reconnect: nothing failed and nothing was
   * live yet, so the phase stays `connecting` (attempt 0) until that connection gets through.
   */
  readonly sameConnectionReopens: number;
}

/** Not started yet. */
export interface IdleState extends ReconnectContext {
  readonly status: 'idle';
}

/** A socket is being opened. */
export interface ConnectingState extends ReconnectContext {
  readonly status: 'connecting';
  readonly since: number;
  /** The position this socket asked to resume from (sent as `?resume=`). */
  readonly resume: StreamPosition | null;
}

/** The socket is open: live. */
export interface OpenState extends ReconnectContext {
  readonly status: 'open';
  /** The negotiated subprotocol, null on a plain Docker Cloud server. */
  readonly protocol: string | null;
  /** Whether the connection speaks the extended protocol (RESUME_SUBPROTOCOL). */
  readonly extended: boolean;
  readonly resume: StreamPosition | null;
  readonly openedAt: number;
  /** The last frame or pong: the idle deadline is lastActivityAt + idleMs. */
  readonly lastActivityAt: number;
  /** The current idle timeout; null when silence is never fatal (see ReconnectPolicy.idleTimeoutMs). */
  readonly idleMs: number | null;
  readonly framesReceived: number;
  readonly helloReceived: boolean;
  /** `pending`: the stable timer is armed; `elapsed`: time is up, waiting for a first frame; `settled`: counter reset. */
  readonly stable: 'pending' | 'elapsed' | 'settled';
  /** The error frame the server sent before closing, if any: its message and hint explain the close. */
  readonly errorFrame: { readonly message: string; readonly code?: number; readonly retryAfterMs?: number } | null;
}

/** Waiting to retry after a failure. */
export interface BackoffState extends ReconnectContext {
  readonly status: 'backoff';
  readonly retryAt: number;
  readonly delayMs: number;
  readonly lastClose: LastClose;
}

/** Offline: no socket, no timers, until `online` (or `reconnect`). */
export interface SuspendedState extends ReconnectContext {
  readonly status: 'suspended';
}

/** Stopped for `reason`; only start or reconnect (or fresh credentials after `auth`) leave it. */
export interface StoppedState extends ReconnectContext {
  readonly status: 'stopped';
  readonly reason: StopReason;
}

export type ReconnectState = IdleState | ConnectingState | OpenState | BackoffState | SuspendedState | StoppedState;

/**
 * The state before start. Pass `offline: true` when the platform already knows the network is
 * down (start then waits in `suspended`).
 *
 * @example
 * let state = createReconnectState();
 * [state, effects] = step(state, { type: 'start' }, env);
 */
export function createReconnectState(options: { readonly offline?: boolean } = {}): IdleState {
  return {
    status: 'idle',
    generation: 0,
    attempt: 0,
    position: null,
    outcome: null,
    lastClose: null,
    resync: null,
    offline: options.offline ?? false,
    credentialsFresh: false,
    authRetry: true,
    sameConnectionReopens: 0,
  };
}

/**
 * What the machine is told. Socket inputs carry the generation of the socket they came from
 * (the one in its open-socket effect); timer inputs the generation of their set-timer effect.
 * Inputs for any other generation are ignored: the machine returns the same state and no effects.
 */
export type ReconnectInput =
  | { readonly type: 'start' }
  | { readonly type: 'stop' }
  /**
   * Close any socket and connect now; from `stopped` it also resets the attempt counter. During a
   * wait the server asked for (serverWaitMs) it connects when that wait is over, as do `start`,
   * `online` and `credentials-changed`: it cuts our backoff short, never the server's. Before the
   * first connection got through (phase `connecting`) the new socket is still that connection:
   * the phase stays `connecting`.
   */
  | { readonly type: 'reconnect' }
  /** New credentials are available; the next socket uses them. */
  | { readonly type: 'credentials-changed' }
  | { readonly type: 'offline' }
  | { readonly type: 'online' }
  /** The upgrade succeeded. `protocol` is the negotiated subprotocol, null if none. */
  | { readonly type: 'socket-open'; readonly generation: number; readonly protocol: string | null }
  /** Any parsed text frame. */
  | { readonly type: 'frame-received'; readonly generation: number; readonly frame: Frame }
  /** A pong (Node only): proof of life without a frame. Resets the idle timer only. */
  | { readonly type: 'pong'; readonly generation: number }
  | { readonly type: 'socket-close'; readonly generation: number; readonly code: number; readonly reason: string }
  /** The server refused the upgrade with this HTTP status (Node only; browsers see a 1006 close). */
  | { readonly type: 'handshake-failed'; readonly generation: number; readonly status: number; readonly retryAfterMs?: number; readonly detail?: string }
  /**
   * The socket failed. `fatal`: no retry can succeed (the runtime refused to open it at all: a
   * URL it rejects, a missing permission, mixed content), so the client stops instead of retrying.
   */
  | { readonly type: 'socket-error'; readonly generation: number; readonly message?: string; readonly fatal?: boolean }
  /**
   * The server upgraded without the subprotocol we offered and the runtime refused to go on (Node's
   * `ws` does; browsers open with `protocol === ''` instead): a plain Docker Cloud server. The
   * caller stops offering it; the machine opens the next socket at once, as the same attempt.
   * Only while connecting: a socket that opened is kept.
   */
  | { readonly type: 'subprotocol-refused'; readonly generation: number }
  | { readonly type: 'timer-fired'; readonly timer: TimerName; readonly generation: number }
  /** The client finished the re-list asked for by the resync effect with this position. */
  | { readonly type: 'resync-complete'; readonly position: StreamPosition | null };

/**
 * What the caller must do, in the order given. Within one step the order is always: clear-timer,
 * close-socket, open-socket, set-timer, resync, notify.
 */
export type ReconnectEffect =
  /**
   * Open a WebSocket and tag every input from it with `generation`. Offer RESUME_SUBPROTOCOL;
   * when `resume` is set add `?resume=<formatPosition(resume)>`. Read credentials now.
   */
  | { readonly type: 'open-socket'; readonly generation: number; readonly resume: StreamPosition | null }
  /**
   * Close that socket if it is still open (idempotent). The machine already treats it as gone:
   * later inputs from it are ignored. `code` is always 1000 (browsers accept only 1000 and
   * 3000-4999 from a client); `reason` says why. `terminate`: the peer is presumed dead, so do not
   * wait for a closing handshake (ws: `terminate()`; browsers just `close(code, reason)`).
   */
  | { readonly type: 'close-socket'; readonly generation: number; readonly code: number; readonly reason: string; readonly terminate: boolean }
  /**
   * Arm the timer `timer` to fire at the absolute time `at` (same clock as env.now), replacing a
   * pending one of that name. When it fires, send `{ type: 'timer-fired', timer, generation }`.
   * Fire asynchronously even when `at` is already past.
   */
  | { readonly type: 'set-timer'; readonly timer: TimerName; readonly at: number; readonly generation: number }
  /** Cancel the pending timer of that name, if any. */
  | { readonly type: 'clear-timer'; readonly timer: TimerName }
  /**
   * The stream cannot be resumed: re-read the full state through the REST lists, reconcile the
   * cache, apply live events after `position` (null on a plain server: everything live), then
   * send resync-complete with this same position.
   */
  | { readonly type: 'resync'; readonly position: StreamPosition | null }
  /** The UI-visible summary changed. */
  | { readonly type: 'notify'; readonly connection: ConnectionSummary };

/** Time and randomness for one step: injected, so the machine is pure and replayable. */
export interface ReconnectEnv {
  /** Milliseconds on a monotonic clock; timers' `at` use the same clock. */
  readonly now: number;
  /** A draw in [0, 1); called once per backoff delay and nowhere else. */
  readonly random: () => number;
  /** Defaults to DEFAULT_RECONNECT_POLICY; build others with createReconnectPolicy (it validates). */
  readonly policy?: ReconnectPolicy;
}

/**
 * The connection as a UI shows it. Times (`retryAt`, `lastClose.at`) are on the port's monotonic
 * clock (`StreamPort.now()`: `performance.now()` in the transports), not epoch milliseconds.
 */
export interface ConnectionSummary {
  /**
   * What a UI shows; key on this, not on `status`.
   * - `idle`: not started.
   * - `connecting` (the first connection: its socket, the retry without the subprotocol on a
   *   plain server, and a socket a `reconnect`/setFilter put in its place before it got through) /
   *   `reconnecting` (any later connection: after one was live or failed, after a stop or
   *   offline spell; or waiting to retry: see `retryAt`): no stream yet. On an extended connection (subprotocol accepted) this lasts
   *   until the server's hello, so a refusal after the upgrade (close 4001, 4003, 4000) goes from
   *   here to `stopped` without ever being `live`; `status` is already `open` meanwhile.
   * - `live`: events flow. Extended: the hello arrived. Plain: the socket opened (a plain server
   *   has no hello and refuses before the upgrade). `outcome` is null while a resync is pending.
   * - `offline`: the platform said the network is gone; nothing is retried until it is back.
   * - `stopped`: see `stopReason`. A stream client (StreamSnapshot) also reports `stopped`, with
   *   `stopReason: 'stop'`, while its async-iterator consumer is behind and reading is paused:
   *   read `paused` (and `closed`) before `phase` there.
   */
  readonly phase: 'idle' | 'connecting' | 'live' | 'reconnecting' | 'offline' | 'stopped';
  /** The machine's own state (an extended socket waiting for hello is `open` but not `live`). */
  readonly status: ReconnectState['status'];
  /** Consecutive failed connections since the last stable one. */
  readonly attempt: number;
  /**
   * When the next attempt starts (backoff only), on the port's monotonic clock: a countdown is
   * `retryAt - performance.now()` with the transports, `retryAt - port.now()` in general. Never
   * `retryAt - Date.now()`.
   */
  readonly retryAt: number | null;
  readonly lastClose: LastClose | null;
  readonly outcome: ConnectionOutcome | null;
  /** The client owes a re-list (resync effect sent, resync-complete not yet received). */
  readonly resyncPending: boolean;
  readonly generation: number;
  readonly stopReason: StopReason | null;
}

/**
 * The UI-friendly view of a state: a phase, the retry count and time, why the last connection
 * ended, and how the stream was met.
 *
 * @example
 * const c = describeConnection(state);
 * const now = port.now(); // the clock of retryAt: performance.now() with the transports
 * if (c.phase === 'reconnecting' && c.retryAt !== null) render(`retry #${c.attempt} in ${c.retryAt - now} ms (${c.lastClose?.reason})`);
 */
export function describeConnection(state: ReconnectState): ConnectionSummary {
  return {
    phase: phaseOf(state),
    status: state.status,
    attempt: state.attempt,
    retryAt: state.status === 'backoff' ? state.retryAt : null,
    lastClose: state.lastClose,
    outcome: state.outcome,
    resyncPending: state.resync?.status === 'pending',
    generation: state.generation,
    stopReason: state.status === 'stopped' ? state.reason : null,
  };
}

function phaseOf(state: ReconnectState): ConnectionSummary['phase'] {
  switch (state.status) {
    case 'idle':
      return 'idle';
    case 'connecting':
      return isFirstConnection(state) ? 'connecting' : 'reconnecting';
    case 'open':
      // An extended server may still refuse (error frame + 4001/4003/4000 right after the
      // upgrade) and says where the stream starts only in hello: until then, still connecting.
      if (state.extended && !state.helloReceived) return isFirstConnection(state) ? 'connecting' : 'reconnecting';
      return 'live';
    case 'backoff':
      return 'reconnecting';
    case 'suspended':
      return 'offline';
    case 'stopped':
      return 'stopped';
    default:
      return assertNever(state);
  }
}

/** Whether the latest socket belongs to the first connection of this client (see sameConnectionReopens). */
function isFirstConnection(state: ReconnectState): boolean {
  return state.generation - state.sameConnectionReopens <= 1;
}

/** The timers pending in `state`, exactly the ones its set-timer effects armed and nothing cleared. */
export function armedTimers(state: ReconnectState): readonly TimerName[] {
  switch (state.status) {
    case 'connecting':
      return ['connect'];
    case 'open': {
      const timers: TimerName[] = [];
      if (state.idleMs !== null) timers.push('idle');
      if (state.stable === 'pending') timers.push('stable');
      return timers;
    }
    case 'backoff':
      return ['retry'];
    case 'idle':
    case 'suspended':
    case 'stopped':
      return [];
    default:
      return assertNever(state);
  }
}

/** Whether `state` owns a socket (the one of `state.generation`). */
export function hasSocket(state: ReconnectState): state is ConnectingState | OpenState {
  return state.status === 'connecting' || state.status === 'open';
}

function assertNever(value: never): never {
  throw new EventsError('internal', `unexpected value ${JSON.stringify(value)}`);
}
