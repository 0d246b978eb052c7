import {
  createReconnectState,
  type ReconnectEffect,
  type ReconnectInput,
  type ReconnectPolicy,
  type ReconnectState,
  step,
  type TimerName,
} from '../reconnect-machine.js';
import { createSeededRandom } from './seeded-random.js';
import { createTestClock, type TestClock } from './test-clock.js';

/**
 * Runs the reconnect machine the way a transport does, against a TestClock and with sockets that
 * exist only as generation numbers: set-timer/clear-timer effects become clock timers that feed
 * timer-fired back in; open-socket/close-socket are tracked so tests can see what is live.
 */
export interface ReconnectDriver {
  readonly clock: TestClock;
  readonly state: ReconnectState;
  /** Every effect so far, in order. */
  readonly effects: readonly ReconnectEffect[];
  /** Steps the machine at clock.now() and executes the timer effects. Returns this step's effects. */
  send(input: ReconnectInput): readonly ReconnectEffect[];
  /**
   * Sockets opened and neither closed by a close-socket effect nor reported ended by a
   * socket-close, handshake-failed or socket-error input. The machine must never have two.
   */
  liveSockets(): readonly number[];
  /** The timers armed through effects and not yet fired or cleared. */
  timers(): ReadonlyMap<TimerName, { readonly at: number; readonly generation: number }>;
}

export interface ReconnectDriverOptions {
  readonly clock?: TestClock;
  /** Defaults to createSeededRandom(1). */
  readonly random?: () => number;
  readonly policy?: ReconnectPolicy;
  readonly state?: ReconnectState;
  /** Called after every step (also the ones timers trigger), after its effects were executed. */
  readonly onStep?: (record: ReconnectStepRecord) => void;
}

/** One step as the driver saw it: for invariant checks in property tests. */
export interface ReconnectStepRecord {
  readonly input: ReconnectInput;
  readonly before: ReconnectState;
  readonly after: ReconnectState;
  readonly effects: readonly ReconnectEffect[];
  readonly now: number;
  /** liveSockets() just before the effects ran (after the input itself ended a socket). */
  readonly liveBefore: readonly number[];
  /** The names in timers() just before the effects ran (after a firing timer left the table). */
  readonly timersBefore: readonly TimerName[];
}

/**
 * @example
 * const driver = createReconnectDriver();
 * driver.send({ type: 'start' });
 * driver.send({ type: 'socket-close', generation: 1, code: 1006, reason: '' });
 * driver.clock.advance(driver.state.status === 'backoff' ? driver.state.delayMs : 0); // the retry fires
 * driver.state.status; // 'connecting', generation 2
 */
export function createReconnectDriver(options: ReconnectDriverOptions = {}): ReconnectDriver {
  const clock = options.clock ?? createTestClock();
  const random = options.random ?? createSeededRandom(1);
  const policy = options.policy;
  let state = options.state ?? createReconnectState();
  const log: ReconnectEffect[] = [];
  const live = new Set<number>();
  const timers = new Map<TimerName, { at: number; generation: number; handle: number }>();

  const execute = (effect: ReconnectEffect): void => {
    switch (effect.type) {
      case 'open-socket':
        live.add(effect.generation);
        break;
      case 'close-socket':
        live.delete(effect.generation);
        break;
      case 'set-timer': {
        clock.clearTimeout(timers.get(effect.timer)?.handle);
        const { timer, generation } = effect;
        const handle = clock.setTimeout(() => {
          timers.delete(timer);
          driver.send({ type: 'timer-fired', timer, generation });
        }, effect.at - clock.now());
        timers.set(timer, { at: effect.at, generation, handle });
        break;
      }
      case 'clear-timer':
        clock.clearTimeout(timers.get(effect.timer)?.handle);
        timers.delete(effect.timer);
        break;
      case 'resync':
      case 'notify':
        break;
    }
  };

  const driver: ReconnectDriver = {
    clock,
    get state() {
      return state;
    },
    effects: log,
    send(input) {
      if ((input.type === 'socket-close' || input.type === 'handshake-failed' || input.type === 'socket-error') && live.has(input.generation)) {
        // The socket really ended, whatever the machine makes of the news.
        live.delete(input.generation);
      }
      const before = state;
      const liveBefore = [...live];
      const timersBefore = [...timers.keys()];
      const [next, effects] = step(state, input, { now: clock.now(), random, ...(policy && { policy }) });
      state = next;
      log.push(...effects);
      for (const effect of effects) execute(effect);
      options.onStep?.({ input, before, after: next, effects, now: clock.now(), liveBefore, timersBefore });
      return effects;
    },
    liveSockets: () => [...live],
    timers: () => new Map([...timers].map(([name, { at, generation }]) => [name, { at, generation }])),
  };
  return driver;
}
