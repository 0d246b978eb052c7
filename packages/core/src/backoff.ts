import { MAX_TIMER_MS } from './timer-delay.js';

/**
 * How long to wait before the next connection attempt (field-notes.md, "Reconnecting clients").
 *
 * Full jitter with a floor, an exponential ceiling, and a server hint as a lower bound:
 *
 * ```text
 * lo    = floorMs                                   (throttled: throttledFloorMs)
 * n     = failures - 1                              (throttled: failures - 1 + throttledBoost)
 * hi    = max(lo, min(capMs, max(2 · lo, baseMs · 2^n)))
 * delay = max(lo, hint) + ⌊r · (hi - lo)⌋           r ∈ [0, 1), hint clamped to maxHintMs
 * ```
 *
 * - Without a hint the delay lies in [lo, hi) ⊆ [floor, cap].
 * - The ceiling is at least twice the floor, so throttled clients, whose floor (5 s) is above the
 *   early exponential ceilings, still spread out instead of all returning after exactly 5 s.
 * - A hint shifts the jitter window instead of replacing it: `max(lo, hint)` is a hard lower
 *   bound, and clients that all got the same "retry after 10 s" still arrive spread over a
 *   window. So with a hint the delay may exceed the cap (by at most the window): the server
 *   knows its load better than our cap does. Hints are clamped to maxHintMs so a confused server
 *   cannot park a client forever.
 */
export interface BackoffPolicy {
  /** The first ceiling: after the first failure the delay is at most this (800 ms, as client-go). */
  readonly baseMs: number;
  /** The ceiling never grows past this (30 s). */
  readonly capMs: number;
  /** Never retry sooner than this, so even the luckiest draw does not hammer the server (250 ms). */
  readonly floorMs: number;
  /** The floor after a throttled close (overloaded, slow consumer, too many logins): 5 s. */
  readonly throttledFloorMs: number;
  /** Extra doublings of the ceiling after a throttled close (2: the ceiling starts at base · 4). */
  readonly throttledBoost: number;
  /** Server hints (error frame `retryAfterMs`, HTTP `Retry-After`) are clamped to this (5 min). */
  readonly maxHintMs: number;
}

export const DEFAULT_BACKOFF_POLICY: BackoffPolicy = Object.freeze({
  baseMs: 800,
  capMs: 30_000,
  floorMs: 250,
  throttledFloorMs: 5_000,
  throttledBoost: 2,
  maxHintMs: 300_000,
});

/** Which backoff curve applies: a plain failure, or a server that asked us to slow down. */
export type BackoffKind = 'transient' | 'throttled';

export interface BackoffRequest {
  /** Consecutive failed connections, counting the one that just failed (≥ 1). */
  readonly failures: number;
  readonly kind: BackoffKind;
  /** The server's "retry after" in ms, if it gave one. Negative or non-finite hints are ignored. */
  readonly hintMs?: number | undefined;
}

/**
 * The window computeBackoffDelay draws from for this request, in whole ms: `min` ≤ delay ≤ `max`
 * (`max` itself is reached only when the window is empty).
 *
 * @example
 * backoffRange({ failures: 1, kind: 'transient' }, DEFAULT_BACKOFF_POLICY) // { min: 250, max: 800 }
 * backoffRange({ failures: 1, kind: 'throttled' }, DEFAULT_BACKOFF_POLICY) // { min: 5000, max: 10000 }
 */
export function backoffRange(request: BackoffRequest, policy: BackoffPolicy): { readonly min: number; readonly max: number } {
  const { lo, hi, start } = curve(request, policy);
  return { min: start, max: Math.min(MAX_TIMER_MS, start + (hi - lo)) };
}

/**
 * The delay before the next attempt, in whole ms. `random` is one draw in [0, 1) from the
 * injected source; the same draw always gives the same delay.
 *
 * @example
 * computeBackoffDelay({ failures: 3, kind: 'transient' }, DEFAULT_BACKOFF_POLICY, 0.5) // 1725 = 250 + ⌊0.5 · (3200 - 250)⌋
 * computeBackoffDelay({ failures: 1, kind: 'throttled', hintMs: 60_000 }, DEFAULT_BACKOFF_POLICY, 0.5) // 62500 = 60000 + ⌊0.5 · (10000 - 5000)⌋
 */
export function computeBackoffDelay(request: BackoffRequest, policy: BackoffPolicy, random: number): number {
  const { lo, hi, start } = curve(request, policy);
  // A random source that returns exactly 1 (or garbage) must not push the delay past the window.
  const r = random >= 0 && random < 1 ? random : 0;
  // A hint near maxHintMs plus a window near capMs may add up past what a timer keeps.
  return Math.min(MAX_TIMER_MS, start + Math.floor(r * (hi - lo)));
}

/**
 * How long the server asked the client to stay away after a failure, in whole ms: its hint
 * (clamped to maxHintMs), and after a throttled close at least throttledFloorMs (a server that
 * said "too many" or "try again later" without a number still meant it). 0: it asked for nothing.
 * Every backoff delay for the same request is at least this long; the machine also holds
 * reconnect, online and start to it (reconnect-machine.ts).
 *
 * @example
 * serverWaitMs({ kind: 'throttled', hintMs: 60_000 }, DEFAULT_BACKOFF_POLICY) // 60000
 * serverWaitMs({ kind: 'throttled' }, DEFAULT_BACKOFF_POLICY) // 5000
 * serverWaitMs({ kind: 'transient' }, DEFAULT_BACKOFF_POLICY) // 0: the floor is ours, not the server's
 */
export function serverWaitMs(request: Omit<BackoffRequest, 'failures'>, policy: BackoffPolicy): number {
  return Math.max(request.kind === 'throttled' ? policy.throttledFloorMs : 0, clampHint(request.hintMs, policy));
}

function curve(request: BackoffRequest, policy: BackoffPolicy): { lo: number; hi: number; start: number } {
  const throttled = request.kind === 'throttled';
  const lo = throttled ? policy.throttledFloorMs : policy.floorMs;
  const exponent = Math.max(0, request.failures - 1) + (throttled ? policy.throttledBoost : 0);
  // 2 ** 1100 is Infinity, which min() turns into the cap: no overflow guard needed.
  const hi = Math.max(lo, Math.min(policy.capMs, Math.max(2 * lo, policy.baseMs * 2 ** exponent)));
  return { lo, hi, start: Math.min(MAX_TIMER_MS, Math.max(lo, clampHint(request.hintMs, policy))) };
}

function clampHint(hintMs: number | undefined, policy: BackoffPolicy): number {
  if (hintMs === undefined || !Number.isFinite(hintMs) || hintMs <= 0) return 0;
  return Math.min(Math.ceil(hintMs), policy.maxHintMs);
}

/** A Retry-After of more seconds reads as this many: far past any maxHintMs, and finite. */
const MAX_RETRY_AFTER_SECONDS = 1e9;

/**
 * Parses an HTTP `Retry-After` header (delay-seconds or an HTTP-date) into ms from `nowMs`.
 * Returns undefined for anything else, so a malformed header simply gives no hint.
 *
 * @example
 * parseRetryAfter('120', now) // 120000
 * parseRetryAfter('Fri, 27 Nov 2026 09:01:33 GMT', Date.parse('Fri, 27 Nov 2026 09:01:03 GMT')) // 30000
 */
export function parseRetryAfter(value: string, nowMs: number): number | undefined {
  const text = value.trim();
  // Any number of digits: a server's "10^12 seconds" means longer than its "10^9", never no wait
  // at all (callers clamp a hint to their maxHintMs). Capped so that 400 digits are not Infinity,
  // which callers would ignore.
  if (/^\d+$/.test(text)) return Math.min(Number(text), MAX_RETRY_AFTER_SECONDS) * 1000;
  // An HTTP-date always names the weekday or month in letters; this keeps Date.parse from
  // accepting bare numbers or ISO fragments that no server sends here.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
