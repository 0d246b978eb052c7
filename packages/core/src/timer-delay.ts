import { describeValue } from './describe-value.js';
import { EventsError } from './events-error.js';

/**
 * The longest delay a timer keeps: 2^31 - 1 ms (~24.8 days). Node fires a longer setTimeout after
 * 1 ms (with a TimeoutOverflowWarning), browsers at once, so every option that becomes a timer
 * delay is refused past it, and delays core computes (backoff, idle) are clamped to it.
 *
 * @example
 * createStreamClient({ streamHost, closeTimeoutMs: 30 * 86_400_000 }, port)
 * // throws: closeTimeoutMs must be a number of milliseconds from 0 to 2147483647, got number 2592000000
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** The range of a timer option: from `min` (or above it, when `exclusiveMin`) to MAX_TIMER_MS. */
export interface TimerRule {
  readonly min: number;
  readonly exclusiveMin?: boolean;
  /** Allows null, saying what it means: `for no pings`. */
  readonly nullMeans?: string;
}

/**
 * Throws EventsError `invalid-config` naming the option, its range and what it got, unless
 * `value` is a number of milliseconds in the rule's range (or null where the rule allows it).
 * `undefined` is the option left out, and passes.
 */
export function checkTimerOption(name: string, value: unknown, rule: TimerRule, prefix = ''): void {
  if (value === undefined || (value === null && rule.nullMeans !== undefined)) return;
  if (typeof value === 'number' && (rule.exclusiveMin ? value > rule.min : value >= rule.min) && value <= MAX_TIMER_MS) return;
  const range = rule.exclusiveMin ? `> ${rule.min} and ≤ ${MAX_TIMER_MS}` : `from ${rule.min} to ${MAX_TIMER_MS}`;
  const orNull = rule.nullMeans === undefined ? ',' : `, or null ${rule.nullMeans};`;
  throw new EventsError('invalid-config', `${prefix}${name} must be a number of milliseconds ${range}${orNull} got ${describeValue(value)}`);
}
