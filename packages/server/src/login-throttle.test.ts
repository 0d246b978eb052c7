import { describe, expect, it } from 'vitest';
import { createLoginThrottle } from './login-throttle.js';

describe('createLoginThrottle', () => {
  it('locks an address out after maxFailures within the window, for lockoutMs', () => {
    let now = 0;
    const throttle = createLoginThrottle({ maxFailures: 3, windowMs: 1_000, lockoutMs: 5_000, now: () => now });
    throttle.failure('a');
    throttle.failure('a');
    expect(throttle.check('a')).toEqual({ allowed: true });
    throttle.failure('a');
    expect(throttle.check('a')).toEqual({ allowed: false, retryAfterMs: 5_000 });
    expect(throttle.check('b')).toEqual({ allowed: true });
    now = 4_000;
    expect(throttle.check('a')).toEqual({ allowed: false, retryAfterMs: 1_000 });
    now = 5_000;
    expect(throttle.check('a')).toEqual({ allowed: true });
  });

  it('forgets failures outside the window', () => {
    let now = 0;
    const throttle = createLoginThrottle({ maxFailures: 2, windowMs: 1_000, now: () => now });
    throttle.failure('a');
    now = 1_500;
    throttle.failure('a');
    expect(throttle.check('a').allowed).toBe(true);
    now = 1_900;
    throttle.failure('a');
    expect(throttle.check('a').allowed).toBe(false);
  });

  it('tracks a bounded number of addresses', () => {
    const throttle = createLoginThrottle({ maxTracked: 100 });
    for (let i = 0; i < 1_000; i++) throttle.failure(`10.0.${i >> 8}.${i & 255}`);
    expect(throttle.tracked).toBe(100);
  });
});
