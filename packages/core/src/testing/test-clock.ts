import { EventsError } from '../events-error.js';

/** A timer waiting in a TestClock. */
export interface TestTimer {
  readonly id: number;
  readonly at: number;
}

/**
 * Simulated time: `now()` moves only when a test says so, and timers run during advance() at
 * their own due time, in due order (ties: in the order they were scheduled), never on their own.
 * Its setTimeout/clearTimeout have the shape of the global ones, so code that takes an injected
 * `{ now, setTimeout, clearTimeout }` can be given a TestClock in tests.
 */
export interface TestClock {
  now(): number;
  /** Schedules `callback` after `delayMs` (negative or missing: 0). Returns a handle for clearTimeout. */
  setTimeout(callback: () => void, delayMs?: number): number;
  /** Cancels a pending timer; unknown or spent handles are ignored, like the global one. */
  clearTimeout(handle: number | undefined): void;
  /** Moves time forward by `ms`, running every timer that falls due (also ones scheduled meanwhile). Returns how many ran. */
  advance(ms: number): number;
  /** As advance, to an absolute time (not before now). */
  advanceTo(at: number): number;
  /** Jumps to the earliest pending timer and runs it. Returns false when none is pending. */
  runNext(): boolean;
  /** Runs timers until none is pending. Returns how many ran. */
  runAll(): number;
  /** The pending timers, earliest first. */
  pending(): readonly TestTimer[];
}

/** Guards against a timer that keeps rescheduling itself at the same instant. */
const MAX_TIMERS_PER_CALL = 100_000;

/**
 * Creates a clock at `startMs` with an empty timer queue.
 *
 * @example
 * const clock = createTestClock(1_000);
 * clock.setTimeout(() => console.log('fired at', clock.now()), 500);
 * clock.advance(499); // nothing
 * clock.advance(1);   // fired at 1500
 */
export function createTestClock(startMs = 0): TestClock {
  let now = startMs;
  let nextId = 1;
  const timers = new Map<number, { at: number; callback: () => void }>();

  const earliest = (): [number, { at: number; callback: () => void }] | undefined => {
    let best: [number, { at: number; callback: () => void }] | undefined;
    // Map iteration follows insertion (= id) order, so `<` keeps ties in scheduling order.
    for (const entry of timers) if (best === undefined || entry[1].at < best[1].at) best = entry;
    return best;
  };

  const run = ([id, timer]: [number, { at: number; callback: () => void }]): void => {
    timers.delete(id);
    now = Math.max(now, timer.at);
    timer.callback();
  };

  const tooMany = (): never => {
    throw new EventsError('internal', `test clock: more than ${MAX_TIMERS_PER_CALL} timers in one call; a timer keeps rescheduling itself`);
  };

  const clock: TestClock = {
    now: () => now,
    setTimeout(callback, delayMs = 0) {
      const id = nextId++;
      timers.set(id, { at: now + (Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0), callback });
      return id;
    },
    clearTimeout(handle) {
      if (handle !== undefined) timers.delete(handle);
    },
    advance(ms) {
      return clock.advanceTo(now + ms);
    },
    advanceTo(at) {
      if (!(at >= now)) throw new EventsError('invalid-config', `test clock: cannot go back from ${now} to ${at}`);
      let ran = 0;
      for (let next = earliest(); next !== undefined && next[1].at <= at; next = earliest()) {
        if (++ran > MAX_TIMERS_PER_CALL) tooMany();
        run(next);
      }
      now = at;
      return ran;
    },
    runNext() {
      const next = earliest();
      if (next === undefined) return false;
      run(next);
      return true;
    },
    runAll() {
      let ran = 0;
      while (clock.runNext()) if (++ran > MAX_TIMERS_PER_CALL) tooMany();
      return ran;
    },
    pending() {
      return [...timers]
        .map(([id, { at }]) => ({ id, at }))
        .sort((a, b) => a.at - b.at || a.id - b.id);
    },
  };
  return clock;
}
