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

  it('forgets addresses that are not locked out first, oldest first, so a spray of new ones frees none', () => {
    let now = 0;
    const throttle = createLoginThrottle({ maxFailures: 2, maxTracked: 3, lockoutMs: 5_000, now: () => now });
    throttle.failure('locked');
    throttle.failure('locked');
    throttle.failure('old');
    now = 1;
    throttle.failure('new');
    for (let i = 0; i < 100; i++) throttle.failure(`spray-${i}`);
    expect(throttle.tracked).toBe(3);
    expect(throttle.check('locked')).toEqual({ allowed: false, retryAfterMs: 4_999 });
    // The latest failing address is still tracked: one more failure locks it out.
    throttle.failure('spray-99');
    expect(throttle.check('spray-99').allowed).toBe(false);
    // While 'old' and 'new', forgotten, start over.
    throttle.failure('old');
    expect(throttle.check('old').allowed).toBe(true);
  });

  it('a failure keeps an address young: the one not locked out that failed longest ago goes first', () => {
    const throttle = createLoginThrottle({ maxFailures: 3, maxTracked: 2 });
    throttle.failure('a');
    throttle.failure('b');
    throttle.failure('a'); // now b is the oldest
    throttle.failure('c'); // b goes
    throttle.failure('a'); // a's third failure: a was kept
    expect(throttle.check('a').allowed).toBe(false);
  });

  it('when every tracked address is locked out, forgets the one whose lockout ends first', () => {
    let now = 0;
    const throttle = createLoginThrottle({ maxFailures: 1, maxTracked: 2, lockoutMs: 1_000, now: () => now });
    throttle.failure('first');
    now = 10;
    throttle.failure('second');
    now = 20;
    throttle.failure('third');
    expect(throttle.tracked).toBe(2);
    expect(throttle.check('first')).toEqual({ allowed: true });
    expect(throttle.check('second')).toEqual({ allowed: false, retryAfterMs: 990 });
    expect(throttle.check('third')).toEqual({ allowed: false, retryAfterMs: 1_000 });
  });

  it('counts an ended lockout as not locked out: it goes before a live one, and its address starts over', () => {
    let now = 0;
    const throttle = createLoginThrottle({ maxFailures: 2, maxTracked: 2, lockoutMs: 100, now: () => now });
    throttle.failure('a');
    throttle.failure('a');
    now = 50;
    throttle.failure('b');
    throttle.failure('b');
    now = 120; // a's lockout ended, b's has not
    throttle.failure('c');
    expect(throttle.check('b')).toEqual({ allowed: false, retryAfterMs: 30 });
    expect(throttle.check('a')).toEqual({ allowed: true });
    throttle.failure('a');
    expect(throttle.check('a')).toEqual({ allowed: true });
  });
});
