import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffRange, type BackoffPolicy, computeBackoffDelay, DEFAULT_BACKOFF_POLICY, parseRetryAfter, serverWaitMs } from './backoff.js';
import { MAX_TIMER_MS } from './timer-delay.js';

const P = DEFAULT_BACKOFF_POLICY;

describe('computeBackoffDelay', () => {
  it('draws from [floor, base · 2^(failures-1)] for transient failures', () => {
    expect(computeBackoffDelay({ failures: 1, kind: 'transient' }, P, 0)).toBe(250);
    expect(computeBackoffDelay({ failures: 1, kind: 'transient' }, P, 0.999_999)).toBe(799);
    expect(computeBackoffDelay({ failures: 3, kind: 'transient' }, P, 0.5)).toBe(250 + Math.floor(0.5 * (3200 - 250)));
  });

  it('stops growing at the cap, also for huge failure counts', () => {
    expect(backoffRange({ failures: 7, kind: 'transient' }, P)).toEqual({ min: 250, max: 30_000 });
    expect(computeBackoffDelay({ failures: 5_000, kind: 'transient' }, P, 0.999_999)).toBe(29_999);
  });

  it('backs off harder after a throttled close: higher floor, boosted ceiling, still jittered', () => {
    expect(backoffRange({ failures: 1, kind: 'throttled' }, P)).toEqual({ min: 5_000, max: 10_000 });
    expect(backoffRange({ failures: 3, kind: 'throttled' }, P)).toEqual({ min: 5_000, max: 12_800 });
    expect(backoffRange({ failures: 5, kind: 'throttled' }, P)).toEqual({ min: 5_000, max: 30_000 });
    expect(computeBackoffDelay({ failures: 1, kind: 'throttled' }, P, 0)).not.toBe(computeBackoffDelay({ failures: 1, kind: 'throttled' }, P, 0.5));
  });

  it('treats a hint as a lower bound that shifts the jitter window, even past the cap', () => {
    expect(computeBackoffDelay({ failures: 1, kind: 'transient', hintMs: 2_000 }, P, 0)).toBe(2_000);
    expect(backoffRange({ failures: 1, kind: 'throttled', hintMs: 60_000 }, P)).toEqual({ min: 60_000, max: 65_000 });
    // Below the floor a hint changes nothing.
    expect(backoffRange({ failures: 1, kind: 'transient', hintMs: 100 }, P)).toEqual({ min: 250, max: 800 });
  });

  it('clamps hints to maxHintMs and ignores nonsense hints', () => {
    expect(backoffRange({ failures: 1, kind: 'transient', hintMs: 86_400_000 }, P).min).toBe(300_000);
    for (const hintMs of [-5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(backoffRange({ failures: 1, kind: 'transient', hintMs }, P)).toEqual({ min: 250, max: 800 });
    }
  });

  it('never leaves the window, whatever the random source returns', () => {
    for (const r of [1, 1.5, -0.1, Number.NaN]) {
      expect(computeBackoffDelay({ failures: 4, kind: 'transient' }, P, r)).toBe(250);
    }
  });

  it('property: delay is a whole number in backoffRange, and without a hint in [floor, cap]', () => {
    const policies = fc
      .record({
        baseMs: fc.integer({ min: 1, max: 10_000 }),
        capMs: fc.integer({ min: 1, max: 120_000 }),
        floorMs: fc.integer({ min: 0, max: 120_000 }),
        throttledFloorMs: fc.integer({ min: 0, max: 120_000 }),
        throttledBoost: fc.integer({ min: 0, max: 5 }),
        maxHintMs: fc.integer({ min: 0, max: 600_000 }),
      })
      .filter((p) => p.floorMs <= p.capMs && p.throttledFloorMs <= p.capMs) satisfies fc.Arbitrary<BackoffPolicy>;
    fc.assert(
      fc.property(
        policies,
        fc.integer({ min: 1, max: 2_000 }),
        fc.constantFrom('transient' as const, 'throttled' as const),
        fc.option(fc.double({ min: -1_000, max: 1_000_000, noNaN: true }), { nil: undefined }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (policy, failures, kind, hintMs, r) => {
          const delay = computeBackoffDelay({ failures, kind, hintMs }, policy, r);
          const { min, max } = backoffRange({ failures, kind, hintMs }, policy);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(min);
          expect(delay).toBeLessThanOrEqual(max);
          const floor = kind === 'throttled' ? policy.throttledFloorMs : policy.floorMs;
          expect(delay).toBeGreaterThanOrEqual(floor);
          if (hintMs !== undefined && hintMs > 0) expect(delay).toBeGreaterThanOrEqual(Math.min(hintMs, policy.maxHintMs));
          if (hintMs === undefined || hintMs <= floor) expect(delay).toBeLessThanOrEqual(policy.capMs);
        },
      ),
    );
  });

  it('property: the ceiling never shrinks as failures grow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.constantFrom('transient' as const, 'throttled' as const), (failures, kind) => {
        expect(backoffRange({ failures: failures + 1, kind }, P).max).toBeGreaterThanOrEqual(backoffRange({ failures, kind }, P).max);
      }),
    );
  });
});

describe('the longest timer delay', () => {
  it('is never exceeded, though a hint and the jitter window above it may add up past it', () => {
    const wide: BackoffPolicy = { ...P, capMs: MAX_TIMER_MS, maxHintMs: MAX_TIMER_MS };
    const request = { failures: 40, kind: 'throttled', hintMs: MAX_TIMER_MS } as const;
    expect(computeBackoffDelay(request, wide, 0.999_999)).toBe(MAX_TIMER_MS);
    expect(backoffRange(request, wide)).toEqual({ min: MAX_TIMER_MS, max: MAX_TIMER_MS });
    expect(backoffRange({ failures: 40, kind: 'transient', hintMs: MAX_TIMER_MS - 10 }, wide)).toEqual({ min: MAX_TIMER_MS - 10, max: MAX_TIMER_MS });
  });
});

describe('serverWaitMs', () => {
  it("is the server's hint (clamped), at least the throttled floor after a throttled close, and never our own floor", () => {
    expect(serverWaitMs({ kind: 'throttled', hintMs: 60_000 }, P)).toBe(60_000);
    expect(serverWaitMs({ kind: 'throttled', hintMs: 1_000 }, P)).toBe(P.throttledFloorMs);
    expect(serverWaitMs({ kind: 'throttled' }, P)).toBe(P.throttledFloorMs);
    expect(serverWaitMs({ kind: 'transient', hintMs: 2_000.5 }, P)).toBe(2_001);
    expect(serverWaitMs({ kind: 'transient', hintMs: 10 * P.maxHintMs }, P)).toBe(P.maxHintMs);
    expect(serverWaitMs({ kind: 'transient' }, P)).toBe(0);
    expect(serverWaitMs({ kind: 'transient', hintMs: -5 }, P)).toBe(0);
  });

  it('never exceeds the least backoff delay for the same close (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.constantFrom('transient' as const, 'throttled' as const), fc.option(fc.integer({ min: -10, max: 10 * P.maxHintMs }), { nil: undefined }), (failures, kind, hintMs) => {
        expect(serverWaitMs({ kind, hintMs }, P)).toBeLessThanOrEqual(backoffRange({ failures, kind, hintMs }, P).min);
      }),
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('Fri, 27 Nov 2026 09:01:03 GMT');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an absurdly long delay as a long one, never as none: the caller clamps it to maxHintMs', () => {
    expect(parseRetryAfter('999999999', now)).toBe(999_999_999_000);
    expect(parseRetryAfter('1000000000000', now)).toBe(1e12);
    expect(parseRetryAfter('9'.repeat(400), now)).toBe(1e12);
    expect(serverWaitMs({ kind: 'throttled', hintMs: parseRetryAfter('1000000000000', now) }, DEFAULT_BACKOFF_POLICY)).toBe(DEFAULT_BACKOFF_POLICY.maxHintMs);
  });

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter('Fri, 27 Nov 2026 09:01:33 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('gives no hint for anything else', () => {
    for (const value of ['', 'soon', '-5', '1.5', '2026-11-27', 'Someday, 99 Foo 2026']) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });
});
