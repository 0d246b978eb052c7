import { describe, expect, it } from 'vitest';
import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { createLoginThrottle, throttledAddress } from './login-throttle.js';

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

  it('counts an IPv6 client by its /64, which it may take any address of: guesses from new addresses in it stay locked out', () => {
    const throttle = createLoginThrottle({ maxFailures: 3, now: () => 0 });
    for (const address of ['2001:db8:0:1::a', '2001:db8:0:1:ffff::b', '2001:0db8:0000:0001:0:0:0:c']) throttle.failure(address);
    expect(throttle.check('2001:db8:0:1:1234:5678:9abc:def0')).toMatchObject({ allowed: false });
    // Another /64 (another host, another customer) is not held to it.
    expect(throttle.check('2001:db8:0:2::a')).toEqual({ allowed: true });
    expect(throttle.tracked).toBe(1);
    // An IPv4 client seen through a dual-stack socket is the same client as over IPv4.
    for (let i = 0; i < 3; i++) throttle.failure('::ffff:10.0.0.1');
    expect(throttle.check('10.0.0.1')).toMatchObject({ allowed: false });
    expect(throttle.check('10.0.0.2')).toEqual({ allowed: true });
  });
});

describe('throttledAddress', () => {
  it('maps IPv6 to its /64, IPv4-mapped and NAT64 addresses to their IPv4 address, and keeps anything else', () => {
    expect(throttledAddress('2001:DB8:0:1:aaaa::7')).toBe('2001:db8:0:1::/64');
    expect(throttledAddress('2001:db8::')).toBe('2001:db8::/64');
    expect(throttledAddress('fe80::1%eth0')).toBe('fe80::/64');
    expect(throttledAddress('::ffff:192.0.2.7')).toBe('192.0.2.7');
    // Written in hex, an IPv4-mapped address is still its IPv4 client (it was one /64 with ::1 and every other such one).
    expect(throttledAddress('::ffff:c000:207')).toBe('192.0.2.7');
    expect(throttledAddress('::1')).toBe('::/64');
    expect(throttledAddress('64:ff9b::192.0.2.7')).toBe('192.0.2.7');
    expect(throttledAddress('2001:db8:1:2::192.0.2.7')).toBe('2001:db8:1:2::/64');
    expect(throttledAddress('192.0.2.7')).toBe('192.0.2.7');
    expect(throttledAddress('unknown')).toBe('unknown');
  });

  it('gives every address of one /64 the same key and addresses of two /64s two keys (property)', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    const groups = (n: number) => fc.array(group, { minLength: n, maxLength: n });
    // Written in full, with leading zeros, or compressed (::, as the URL parser writes it), as a peer or a proxy may report it.
    const write = (parts: number[], style: number) => {
      const full = parts.map((p) => (style === 2 ? p.toString(16).padStart(4, '0') : p.toString(16))).join(':');
      return style === 1 ? new URL(`http://[${full}]/`).hostname.slice(1, -1) : full;
    };
    fc.assert(
      fc.property(groups(4), groups(4), groups(4), groups(4), fc.nat(2), fc.nat(2), (prefix, otherPrefix, hostA, hostB, styleA, styleB) => {
        const a = write([...prefix, ...hostA], styleA);
        const b = write([...prefix, ...hostB], styleB);
        expect(throttledAddress(a)).toBe(throttledAddress(b));
        const c = write([...otherPrefix, ...hostA], styleA);
        expect([a, b, c].every((address) => isIPv6(address))).toBe(true);
        expect(throttledAddress(a) === throttledAddress(c)).toBe(prefix.every((g, i) => g === otherPrefix[i]));
      }),
    );
  });
});
