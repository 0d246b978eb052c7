import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLiveTree } from './live-tree.js';
import { createStreamClient, type StreamClientOptions } from './stream-client.js';
import { createFakeStreamPort } from './testing/index.js';
import { MAX_TIMER_MS } from './timer-delay.js';

// Every option that ends up as a timer delay, through the entry point that takes it. Node fires a
// setTimeout longer than 2^31 - 1 ms after 1 ms, browsers at once (the fake port does as Node):
// a publishIntervalMs of 30 days would publish every millisecond, a stableMs of 30 days would
// settle at once, a maxHintMs of 30 days would let a server's "retry after 25 days" mean "now".

const HOST = 'ws://127.0.0.1:8080/';
const MS = (min: number, exclusive: boolean) => (exclusive ? `a number of milliseconds > ${min} and ≤ ${MAX_TIMER_MS}` : `a number of milliseconds from ${min} to ${MAX_TIMER_MS}`);

interface TimerOption {
  readonly name: string;
  readonly min: number;
  readonly exclusive: boolean;
  /** Builds the client with `value` for the option; returns a closer. */
  readonly create: (value: unknown) => () => Promise<void>;
  /** The message for `got`, without the value. */
  readonly message: string;
}

const stream = (options: Partial<StreamClientOptions>) => () => {
  const client = createStreamClient({ streamHost: HOST, ...options }, createFakeStreamPort());
  return () => client.close();
};
// capMs as high as it goes, so that the floors, which must stay at most capMs, may go as high.
const policy = (name: string) => (value: unknown) => stream({ policy: { capMs: MAX_TIMER_MS, [name]: value } })();
const tree = (name: string) => (value: unknown) => {
  const client = createLiveTree({ streamHost: HOST, restHost: 'http://127.0.0.1:8080/', [name]: value }, createFakeStreamPort());
  return () => client.close();
};

const OPTIONS: readonly TimerOption[] = [
  { name: 'pingIntervalMs', min: 100, exclusive: false, create: (v) => stream({ pingIntervalMs: v as number })(), message: `pingIntervalMs must be ${MS(100, false)}, or null for no pings; got` },
  { name: 'closeTimeoutMs', min: 0, exclusive: false, create: (v) => stream({ closeTimeoutMs: v as number })(), message: `closeTimeoutMs must be ${MS(0, false)}, got` },
  ...(['baseMs', 'capMs', 'connectTimeoutMs'] as const).map((name) => ({
    name,
    min: 0,
    exclusive: true,
    create: name === 'capMs' ? (v: unknown) => stream({ policy: { floorMs: 0, throttledFloorMs: 0, capMs: v as number } })() : policy(name),
    message: `reconnect policy: ${name} must be ${MS(0, true)}, got`,
  })),
  ...(['floorMs', 'throttledFloorMs', 'maxHintMs', 'stableMs'] as const).map((name) => ({
    name,
    min: 0,
    exclusive: false,
    create: policy(name),
    message: `reconnect policy: ${name} must be ${MS(0, false)}, got`,
  })),
  { name: 'idleTimeoutMs', min: 0, exclusive: true, create: policy('idleTimeoutMs'), message: `reconnect policy: idleTimeoutMs must be ${MS(0, true)}, or null for no idle timeout; got` },
  ...(['publishIntervalMs', 'pruneIntervalMs', 'restTimeoutMs'] as const).map((name) => ({ name, min: 0, exclusive: true, create: tree(name), message: `${name} must be ${MS(0, true)}, got` })),
];

const refusal = (option: TimerOption, value: unknown): string => {
  try {
    void option.create(value)();
  } catch (error) {
    expect(error).toMatchObject({ name: 'EventsError', code: 'invalid-config' });
    return (error as Error).message;
  }
  throw new Error(`${option.name}: accepted ${String(value)}`);
};

describe('timer options', () => {
  it.each(OPTIONS.map((option) => [option.name, option] as const))('%s: refuses more than the longest timer delay, naming the bound and the value', (_, option) => {
    expect(refusal(option, MAX_TIMER_MS + 1)).toBe(`${option.message} number ${MAX_TIMER_MS + 1}`);
    expect(refusal(option, 30 * 24 * 3_600_000)).toBe(`${option.message} number 2592000000`);
    expect(refusal(option, Number.POSITIVE_INFINITY)).toBe(`${option.message} number Infinity`);
    expect(refusal(option, '1000')).toBe(`${option.message} the string "1000"`);
    expect(refusal(option, option.min - (option.exclusive ? 0 : 1))).toBe(`${option.message} number ${option.min - (option.exclusive ? 0 : 1)}`);
    void option.create(MAX_TIMER_MS)();
  });

  it('refuses every value past the bound and takes every value up to it (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...OPTIONS),
        fc.oneof(fc.integer({ min: MAX_TIMER_MS + 1, max: Number.MAX_SAFE_INTEGER }), fc.double({ min: MAX_TIMER_MS + 0.001, noNaN: true })),
        (option, value) => {
          expect(refusal(option, value)).toBe(`${option.message} number ${String(value)}`);
        },
      ),
    );
    fc.assert(
      fc.property(fc.constantFrom(...OPTIONS), fc.double({ min: 0, max: MAX_TIMER_MS, noNaN: true }), (option, value) => {
        fc.pre(option.exclusive ? value > option.min : value >= option.min);
        void option.create(value)();
      }),
    );
  });
});
