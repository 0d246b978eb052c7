import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamPosition } from './event-schema.js';
import { type Frame, RESUME_SUBPROTOCOL } from './extended-protocol.js';
import {
  armedTimers,
  backoffRange,
  type ConnectionSummary,
  DEFAULT_RECONNECT_POLICY,
  describeConnection,
  hasSocket,
  type LastClose,
  type ReconnectEffect,
  type ReconnectInput,
  type TimerName,
} from './reconnect-machine.js';
import { createReconnectDriver, createSeededRandom, createTestClock, type ReconnectDriver, type ReconnectStepRecord } from './testing/index.js';

// Random input sequences against the invariants the transport relies on. Commands address "the
// socket" the way a real one would (the live one, or the latest generation when none is live,
// i.e. a late event), plus deliberately stale generations and stray timers.

const P = DEFAULT_RECONNECT_POLICY;

type UserInput = 'start' | 'stop' | 'reconnect' | 'offline' | 'online' | 'credentials-changed';
type Command =
  | { readonly k: 'user'; readonly input: UserInput }
  /** `nudge`: when no socket is live, first get one going (retry now, online, start), as time and the user would. */
  | { readonly k: 'socket'; readonly input: SocketCommand; readonly offset: number; readonly nudge?: boolean }
  | { readonly k: 'fire' }
  | { readonly k: 'advance'; readonly ms: number }
  | { readonly k: 'stray-timer'; readonly timer: TimerName; readonly offset: number }
  | { readonly k: 'resync-complete'; readonly exact: boolean; readonly position: StreamPosition | null };
type SocketCommand =
  | { readonly type: 'socket-open'; readonly protocol: string | null }
  | { readonly type: 'frame-received'; readonly frame: Frame }
  | { readonly type: 'pong' }
  | { readonly type: 'socket-close'; readonly code: number; readonly reason: string }
  | { readonly type: 'handshake-failed'; readonly status: number; readonly retryAfterMs?: number }
  | { readonly type: 'socket-error'; readonly fatal?: boolean }
  | { readonly type: 'subprotocol-refused' };

// As JSON.parse makes them: fast-check may otherwise make a record without a prototype, which no
// frame has, and which the checker's deep comparisons (prototypes included) would set apart.
const position = fc.record({ epoch: fc.constantFrom('e1', 'e2'), seq: fc.integer({ min: 0, max: 50 }) }, { noNullPrototype: true });
const hint = fc.option(fc.integer({ min: 0, max: 400_000 }), { nil: undefined });
const CLOSE_CODES = [1000, 1001, 1002, 1005, 1006, 1008, 1011, 1012, 1013, 3000, 4000, 4001, 4003, 4004, 4008, 4029, 4410];
const HTTP_STATUSES = [400, 401, 403, 404, 408, 429, 500, 502, 503];

const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ resume: fc.constantFrom('fresh' as const, 'resumed' as const, 'gone' as const), position, heartbeatMs: fc.integer({ min: 100, max: 60_000 }) }).map(
    (hello): Frame => ({ kind: 'hello', frame: { type: 'hello', ...hello } }),
  ),
  position.map((p): Frame => ({ kind: 'position', frame: { type: 'position', position: p } })),
  fc.option(position, { nil: undefined }).map(
    (p): Frame => ({
      kind: 'event',
      event: {
        type: 'service',
        action: 'update',
        parents: [],
        resource_uri: '/api/app/v1/acme/service/5f1c/',
        state: 'Running',
        uuid: 'u',
        datetime: '2026-11-27T09:01:33Z',
        ...(p && { position: p }),
      },
    }),
  ),
  fc.record({ code: fc.option(fc.constantFrom(...CLOSE_CODES), { nil: undefined }), retryAfterMs: hint }).map(
    ({ code, retryAfterMs }): Frame => ({
      kind: 'error',
      frame: { type: 'error', data: { errorMessage: 'nope', ...(code !== undefined && { code }), ...(retryAfterMs !== undefined && { retryAfterMs }) } },
    }),
  ),
);

const socketCommand: fc.Arbitrary<SocketCommand> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(RESUME_SUBPROTOCOL, RESUME_SUBPROTOCOL, null, 'other').map((protocol): SocketCommand => ({ type: 'socket-open', protocol })),
  },
  { weight: 8, arbitrary: frame.map((f): SocketCommand => ({ type: 'frame-received', frame: f })) },
  { weight: 1, arbitrary: fc.constant<SocketCommand>({ type: 'pong' }) },
  { weight: 2, arbitrary: fc.constantFrom(...CLOSE_CODES).map((code): SocketCommand => ({ type: 'socket-close', code, reason: '' })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ status: fc.constantFrom(...HTTP_STATUSES), retryAfterMs: hint })
      .map(({ status, retryAfterMs }): SocketCommand => ({ type: 'handshake-failed', status, ...(retryAfterMs !== undefined && { retryAfterMs }) })),
  },
  { weight: 1, arbitrary: fc.constantFrom<SocketCommand>({ type: 'socket-error' }, { type: 'socket-error' }, { type: 'socket-error', fatal: true }) },
  { weight: 1, arbitrary: fc.constant<SocketCommand>({ type: 'subprotocol-refused' }) },
);

const userInput = fc.constantFrom<UserInput>('start', 'stop', 'reconnect', 'offline', 'online', 'credentials-changed');
const staleOffset = fc.oneof(fc.integer({ min: -3, max: -1 }), fc.integer({ min: 1, max: 3 }));

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: userInput.map((input): Command => ({ k: 'user', input })) },
  { weight: 12, arbitrary: fc.record({ input: socketCommand, nudge: fc.boolean() }).map((c): Command => ({ k: 'socket', offset: 0, ...c })) },
  { weight: 2, arbitrary: fc.record({ input: socketCommand, offset: staleOffset }).map((c): Command => ({ k: 'socket', ...c })) },
  { weight: 2, arbitrary: fc.constant<Command>({ k: 'fire' }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 60_000 }).map((ms): Command => ({ k: 'advance', ms })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ timer: fc.constantFrom<TimerName>('connect', 'idle', 'retry', 'stable'), offset: fc.integer({ min: -2, max: 2 }) })
      .map((c): Command => ({ k: 'stray-timer', ...c })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ exact: fc.boolean(), position: fc.option(position, { nil: null }) })
      .map((c): Command => ({ k: 'resync-complete', ...c })),
  },
);

/**
 * The first connection before it got through, as a UI starts a stream: reconnects (setFilter right
 * after creating it), a plain server's refusal, an extended socket still waiting for its hello.
 * Random sequences rarely stay there long; these open every run.
 */
const firstConnectionCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Command>({ k: 'user', input: 'reconnect' }) },
  { weight: 1, arbitrary: fc.constant<Command>({ k: 'socket', input: { type: 'subprotocol-refused' }, offset: 0 }) },
  { weight: 1, arbitrary: fc.constant<Command>({ k: 'socket', input: { type: 'socket-open', protocol: RESUME_SUBPROTOCOL }, offset: 0 }) },
);

/** Auth-heavy sequences: the retry-storm scenario. */
const authCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Command>({ k: 'user', input: 'credentials-changed' }) },
  { weight: 3, arbitrary: fc.constant<Command>({ k: 'socket', input: { type: 'socket-close', code: 4001, reason: '' }, offset: 0 }) },
  { weight: 3, arbitrary: fc.constant<Command>({ k: 'socket', input: { type: 'handshake-failed', status: 401 }, offset: 0 }) },
  { weight: 2, arbitrary: fc.constant<Command>({ k: 'socket', input: { type: 'socket-open', protocol: RESUME_SUBPROTOCOL }, offset: 0 }) },
  { weight: 2, arbitrary: socketCommand.map((input): Command => ({ k: 'socket', input, offset: 0 })) },
  { weight: 2, arbitrary: fc.constant<Command>({ k: 'fire' }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 5_000 }).map((ms): Command => ({ k: 'advance', ms })) },
);

/** Resume-heavy sequences: extended servers, hellos of every kind, 4410, re-lists completing (or not). */
const resumeCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Command>({ k: 'socket', input: { type: 'socket-open', protocol: RESUME_SUBPROTOCOL }, offset: 0, nudge: true }) },
  { weight: 1, arbitrary: fc.constant<Command>({ k: 'socket', input: { type: 'socket-open', protocol: null }, offset: 0, nudge: true }) },
  { weight: 6, arbitrary: frame.map((f): Command => ({ k: 'socket', input: { type: 'frame-received', frame: f }, offset: 0 })) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(4410, 4410, 1001, 1006, 1012).map((code): Command => ({ k: 'socket', input: { type: 'socket-close', code, reason: '' }, offset: 0 })),
  },
  { weight: 2, arbitrary: fc.record({ exact: fc.constant(true), position: fc.constant(null) }).map((c): Command => ({ k: 'resync-complete', ...c })) },
  { weight: 1, arbitrary: command },
);

function apply(d: ReconnectDriver, c: Command): void {
  switch (c.k) {
    case 'user':
      d.send({ type: c.input });
      return;
    case 'socket': {
      if (c.nudge && d.liveSockets().length === 0) nudge(d);
      const generation = (d.liveSockets()[0] ?? d.state.generation) + c.offset;
      d.send({ ...c.input, generation } as ReconnectInput);
      return;
    }
    case 'fire':
      d.clock.runNext();
      return;
    case 'advance':
      d.clock.advance(c.ms);
      return;
    case 'stray-timer': {
      // With the right generation only for a timer that is not armed: an armed one firing is not stray.
      if (c.offset === 0 && armedTimers(d.state).includes(c.timer)) return;
      d.send({ type: 'timer-fired', timer: c.timer, generation: d.state.generation + c.offset });
      return;
    }
    case 'resync-complete': {
      const owed = d.state.resync?.status === 'pending' ? d.state.resync.position : c.position;
      d.send({ type: 'resync-complete', position: c.exact ? owed : c.position });
      return;
    }
  }
}

function nudge(d: ReconnectDriver): void {
  // A function: send() changes d.state, which the narrowing of the switch below cannot see.
  const waiting = () => d.state.status === 'backoff';
  switch (d.state.status) {
    case 'backoff':
      d.clock.runNext();
      return;
    case 'suspended':
      d.send({ type: 'online' });
      if (waiting()) d.clock.runNext(); // the server's wait
      return;
    case 'idle':
    case 'stopped':
      d.send({ type: 'start' });
      if (waiting()) d.clock.runNext();
      return;
    case 'connecting':
    case 'open':
      return;
  }
}

/**
 * When the wait the server asked for with `close` ends, by the protocol's words rather than the
 * machine's code: its hint (retryAfterMs, Retry-After) clamped to maxHintMs, and after a throttled
 * close at least the throttled floor. -Infinity: it asked for none.
 */
function serverWaitEnd(close: LastClose | null): number {
  if (close === null) return Number.NEGATIVE_INFINITY;
  const hint = close.retryAfterMs !== undefined && close.retryAfterMs > 0 ? Math.min(Math.ceil(close.retryAfterMs), P.maxHintMs) : 0;
  return close.at + Math.max(hint, close.class === 'throttled' ? P.throttledFloorMs : 0);
}

const ORDER: ReconnectEffect['type'][] = ['clear-timer', 'close-socket', 'open-socket', 'set-timer', 'resync', 'notify'];
const SOCKET_INPUTS = new Set(['socket-open', 'frame-received', 'pong', 'socket-close', 'handshake-failed', 'socket-error', 'subprotocol-refused']);

function sameSummary(a: ConnectionSummary, b: ConnectionSummary): boolean {
  return (Object.keys(a) as (keyof ConnectionSummary)[]).every((key) => Object.is(a[key], b[key]));
}

/** A cheap assertion for the hot path: these run on every one of ~20,000 steps per property. */
function ensure(ok: boolean, what: string, detail?: () => unknown): void {
  if (!ok) throw new Error(detail ? `${what}: ${JSON.stringify(detail())}` : what);
}

/** Checks every step against the invariants; keeps the cross-step facts it needs. */
function createChecker() {
  let highestGeneration = 0;
  let stoppedByUser = false;
  let authRetries = 0;
  let authFailures = 0;
  /** The last position seen on an extended connection, followed independently of the machine. */
  let seen: StreamPosition | null = null;
  /** A connection was live, or one failed: every later socket is a reconnect. */
  let firstConnectionOver = false;
  const steps = { total: 0, opens: 0, retries: 0, waits: 0, stale: 0, authRetries: 0, resyncs: 0, stops: 0, suspends: 0, settles: 0, firstReplaced: 0 };

  const check = (r: ReconnectStepRecord): void => {
    const { input, before, after, effects, now } = r;
    steps.total++;

    // Stale inputs change nothing and do nothing.
    const staleSocket = SOCKET_INPUTS.has(input.type) && 'generation' in input && (!hasSocket(before) || input.generation !== before.generation);
    const staleTimer = input.type === 'timer-fired' && input.generation !== before.generation;
    if (staleSocket || staleTimer) {
      steps.stale++;
      ensure(after === before && effects.length === 0, 'a stale input changed something', () => ({ input, effects }));
    }

    // Follow positions as the protocol defines them: frames of the live extended socket.
    if (!staleSocket && input.type === 'socket-open' && before.status === 'connecting' && input.protocol !== RESUME_SUBPROTOCOL) seen = null;
    if (!staleSocket && input.type === 'frame-received' && before.status === 'open' && before.extended) {
      const f = input.frame;
      if (f.kind === 'hello' || f.kind === 'position') seen = f.frame.position;
      else if (f.kind === 'event' && f.event.position) seen = f.event.position;
    }
    const newClose = after.lastClose !== before.lastClose ? after.lastClose : null;
    // A 4410 on a socket that asked to resume voids the position.
    if (newClose?.class === 'resync' && hasSocket(before) && before.resume !== null) seen = null;

    // Effects come in the documented order.
    const ranks = effects.map((e) => ORDER.indexOf(e.type));
    ensure(
      ranks.every((rank, i) => i === 0 || rank >= (ranks[i - 1] ?? 0)),
      'effects out of order',
      () => effects.map((e) => e.type),
    );

    // Never two live sockets; generations strictly increase per open-socket. None opens before
    // the wait the server asked for after the latest close is over, whatever asked for it.
    const live = new Set(r.liveBefore);
    for (const e of effects) {
      if (e.type === 'open-socket') {
        steps.opens++;
        ensure(now >= serverWaitEnd(after.lastClose), 'opened during the wait the server asked for', () => ({ input, now, lastClose: after.lastClose }));
        ensure(live.size === 0, 'open-socket while a socket is live', () => [...live]);
        ensure(e.generation === highestGeneration + 1, 'generation did not grow by one', () => [highestGeneration, e.generation]);
        highestGeneration = e.generation;
        ensure(isDeepStrictEqual(e.resume, seen), 'resume is not the last position seen', () => [e.resume, seen]);
        live.add(e.generation);
      } else if (e.type === 'close-socket') {
        live.delete(e.generation);
      }
    }
    const owned = hasSocket(after) ? [after.generation] : [];
    ensure(isDeepStrictEqual([...live], owned), 'live sockets differ from the state', () => [[...live], owned]);
    ensure(after.generation === highestGeneration, 'state generation is not the latest socket');

    // The armed timers are exactly the ones the state accounts for; none while stopped, suspended or idle.
    const timers = new Set(r.timersBefore);
    for (const e of effects) {
      if (e.type === 'set-timer') {
        ensure(after.status !== 'stopped' && after.status !== 'suspended' && after.status !== 'idle', 'timer armed while at rest', () => after.status);
        ensure(e.at >= now && e.generation === after.generation, 'timer in the past or of another generation', () => e);
        timers.add(e.timer);
      } else if (e.type === 'clear-timer') {
        timers.delete(e.timer);
      }
    }
    ensure(isDeepStrictEqual(timers, new Set(armedTimers(after))), 'armed timers differ from the state', () => [[...timers], armedTimers(after)]);

    // Backoff delays stay in their window: at least the floor (or the hint), at most the cap unless a hint pushed it.
    // What would have connected at once during the server's wait (an input, or a close that
    // reconnects without backoff: the auth retry, a 4410 on a resuming socket) retries exactly when it ends.
    const immediate = newClose === null || newClose.class === 'auth' || (newClose.class === 'resync' && hasSocket(before) && before.resume !== null);
    for (const e of effects) {
      if (e.type !== 'set-timer' || e.timer !== 'retry') continue;
      steps.retries++;
      ensure(after.status === 'backoff', 'retry timer outside backoff');
      if (after.status !== 'backoff') continue;
      if (immediate) {
        steps.waits++;
        const end = serverWaitEnd(after.lastClose);
        ensure(e.at === end && after.retryAt === end && after.delayMs === end - now && end > now, 'a held connection does not retry when the wait ends', () => ({ input, at: e.at, end }));
        continue;
      }
      const delay = e.at - now;
      const hintMs = after.lastClose.retryAfterMs;
      const kind = after.lastClose.class === 'throttled' ? 'throttled' : 'transient';
      const { min, max } = backoffRange({ failures: after.attempt, kind, hintMs }, P);
      const detail = () => ({ delay, min, max, hintMs, kind, attempt: after.attempt });
      ensure(delay === after.delayMs && delay >= min && delay <= max && delay >= P.floorMs, 'delay outside its window', detail);
      if (hintMs !== undefined) ensure(delay >= Math.min(hintMs, P.maxHintMs), 'delay below the hint', detail);
      else ensure(delay <= P.capMs, 'delay above the cap without a hint', detail);
    }

    // After stop(), nothing opens until start or reconnect.
    if (input.type === 'start' || input.type === 'reconnect') stoppedByUser = false;
    if (stoppedByUser) ensure(!effects.some((e) => e.type === 'open-socket'), 'opened after stop()', () => input);
    if (input.type === 'stop') stoppedByUser = true;

    // No retry storm: after an auth failure at most one more socket until the user acts or a connection settles,
    // so the server sees bad credentials at most twice.
    const settled = after.status === 'open' && after.stable === 'settled' && !(before.status === 'open' && before.stable === 'settled');
    if (input.type === 'start' || input.type === 'reconnect' || settled) {
      authRetries = 0;
      authFailures = 0;
    }
    const newAuthFailure = newClose?.class === 'auth';
    if (newAuthFailure) authFailures++;
    const revived = input.type === 'credentials-changed' && before.status === 'stopped';
    if ((newAuthFailure || revived) && effects.some((e) => e.type === 'open-socket')) {
      authRetries++;
      steps.authRetries++;
    }
    ensure(authRetries <= 1 && authFailures <= 2, 'auth retry storm', () => ({ authRetries, authFailures }));

    // Notify exactly when the UI summary changed, carrying it.
    const summary = describeConnection(after);
    const notifies = effects.filter((e) => e.type === 'notify');
    const expected = sameSummary(describeConnection(before), summary) ? [] : [{ type: 'notify', connection: summary }];
    ensure(isDeepStrictEqual(notifies, expected), 'notify does not match the summary change', () => notifies);

    // A resync effect always leaves the debt recorded for resync-complete; 'resynced' only follows a matching one.
    for (const e of effects) {
      if (e.type === 'resync') ensure(isDeepStrictEqual(after.resync, { status: 'pending', position: e.position }), 'resync debt not recorded');
    }
    if (after.outcome === 'resynced' && before.outcome !== 'resynced') {
      ensure(
        input.type === 'resync-complete' && isDeepStrictEqual(before.resync, { status: 'pending', position: input.position }),
        'resynced without a matching resync-complete',
        () => input,
      );
    }
    // A first hello that cannot continue the stream always asks for a re-list from its position.
    if (!staleSocket && input.type === 'frame-received' && before.status === 'open' && before.extended && !before.helloReceived) {
      const f = input.frame;
      if (f.kind === 'hello' && (f.frame.resume === 'gone' || (f.frame.resume === 'fresh' && before.resume !== null))) {
        const asked = effects.some((e) => e.type === 'resync' && isDeepStrictEqual(e.position, f.frame.position));
        ensure(asked, 'a gap without a resync', () => f.frame);
      }
    }

    // A plain server's refusal of the subprotocol is no failure: the next socket at once, nothing counted.
    if (!staleSocket && input.type === 'subprotocol-refused' && before.status === 'connecting') {
      ensure(after.status === 'connecting' && after.attempt === before.attempt && after.lastClose === before.lastClose, 'a subprotocol refusal counted as a failure', () => after.status);
      ensure(describeConnection(after).phase === describeConnection(before).phase, 'a subprotocol refusal changed the phase', () => [before.status, after.status]);
    }

    // The user's reconnect (a stream's setFilter) before the first connection got through is no
    // failure either: its socket is the same first connection, still `connecting`.
    const phaseBefore = describeConnection(before).phase;
    const phaseAfter = summary.phase;
    if (input.type === 'reconnect' && phaseBefore === 'connecting') {
      steps.firstReplaced++;
      ensure(after.status === 'connecting' && phaseAfter === 'connecting' && after.attempt === before.attempt, 'a reconnect before the first connection made it a reconnect', () => [
        phaseAfter,
        after.attempt,
      ]);
    }
    // And `connecting` is only ever the first connection: never once one was live or failed.
    if (phaseAfter === 'live' || newClose !== null) firstConnectionOver = true;
    if (firstConnectionOver) ensure(phaseAfter !== 'connecting', 'connecting after a connection was live or failed', () => ({ input, status: after.status }));

    ensure(after.attempt >= 0, 'negative attempt');
    // The counter resets only by the user's hand or on a connection open for stableMs that delivered a frame.
    if (after.attempt === 0 && before.attempt > 0 && input.type !== 'start' && input.type !== 'reconnect') {
      const proven = after.status === 'open' && after.framesReceived > 0 && now - after.openedAt >= P.stableMs;
      ensure(proven, 'attempt counter reset without a stable connection', () => input);
    }
    if (after.status === 'backoff') ensure(after.retryAt >= now, 'retry in the past');
    if (effects.some((e) => e.type === 'resync')) steps.resyncs++;
    if (after.status === 'stopped' && before.status !== 'stopped') steps.stops++;
    if (after.status === 'suspended' && before.status !== 'suspended') steps.suspends++;
    if (settled) steps.settles++;
  };
  return { check, steps };
}

function run(commands: readonly Command[], seed: number, onStep?: (r: ReconnectStepRecord) => void): ReconnectDriver {
  const d = createReconnectDriver({ clock: createTestClock(1_000), random: createSeededRandom(seed), policy: P, ...(onStep && { onStep }) });
  for (const c of commands) apply(d, c);
  return d;
}

describe('reconnect machine properties', () => {
  it('holds every invariant over random input sequences (incl. stale generations and stray timers)', () => {
    const totals = { total: 0, opens: 0, retries: 0, waits: 0, stale: 0, authRetries: 0, resyncs: 0, stops: 0, suspends: 0, settles: 0, firstReplaced: 0 };
    fc.assert(
      fc.property(
        fc.array(firstConnectionCommand, { maxLength: 4 }),
        fc.array(command, { minLength: 1, maxLength: 80, size: 'max' }),
        fc.integer(),
        (early, commands, seed) => {
          const { check, steps } = createChecker();
          run([{ k: 'user', input: 'start' }, ...early, ...commands], seed, check);
          for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += steps[key];
        },
      ),
      { numRuns: 300 },
    );
    // The generator must actually reach the interesting paths, or the properties prove little.
    expect(totals.opens).toBeGreaterThan(1_200);
    expect(totals.retries).toBeGreaterThan(800);
    expect(totals.stale).toBeGreaterThan(1_200);
    expect(totals.stops).toBeGreaterThan(150);
    expect(totals.suspends).toBeGreaterThan(60);
    expect(totals.settles).toBeGreaterThan(40);
    expect(totals.waits).toBeGreaterThan(40);
    expect(totals.firstReplaced).toBeGreaterThan(200);
  });

  it('never storms after auth failures, whatever the credentials provider does', () => {
    let retries = 0;
    fc.assert(
      fc.property(fc.array(authCommand, { minLength: 1, maxLength: 80, size: 'max' }), fc.integer(), (commands, seed) => {
        const { check, steps } = createChecker();
        run([{ k: 'user', input: 'start' }, ...commands], seed, check);
        retries += steps.authRetries;
      }),
      { numRuns: 200 },
    );
    expect(retries).toBeGreaterThan(60);
  });

  it('resumes and resyncs consistently over resume-heavy sequences', () => {
    const totals = { resyncs: 0, resumes: 0 };
    fc.assert(
      fc.property(fc.array(resumeCommand, { minLength: 1, maxLength: 80, size: 'max' }), fc.integer(), (commands, seed) => {
        const { check, steps } = createChecker();
        const d = run([{ k: 'user', input: 'start' }, ...commands], seed, check);
        totals.resyncs += steps.resyncs;
        totals.resumes += d.effects.filter((e) => e.type === 'open-socket' && e.resume !== null).length;
      }),
      { numRuns: 200 },
    );
    expect(totals.resyncs).toBeGreaterThan(60);
    expect(totals.resumes).toBeGreaterThan(120);
  });

  it('is deterministic: the same seed and inputs give the same effects and state', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 60, size: 'max' }), fc.integer(), (commands, seed) => {
        const all: Command[] = [{ k: 'user', input: 'start' }, ...commands];
        const a = run(all, seed);
        const b = run(all, seed);
        expect(b.effects).toEqual(a.effects);
        expect(b.state).toEqual(a.state);
      }),
      { numRuns: 100 },
    );
  });

  it('different seeds spread the retries of a herd (jitter is real)', () => {
    const retryAts = new Set<number>();
    for (let seed = 0; seed < 50; seed++) {
      const d = run([{ k: 'user', input: 'start' }, { k: 'socket', input: { type: 'socket-close', code: 1012, reason: '' }, offset: 0 }], seed);
      if (d.state.status === 'backoff') retryAts.add(d.state.retryAt);
    }
    expect(retryAts.size).toBeGreaterThan(40);
  });
});
