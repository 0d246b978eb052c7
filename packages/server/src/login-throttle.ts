import { formatAddress, parsePeer } from './trusted-proxies.js';

export interface LoginThrottleOptions {
  /** Failed logins from one address within `windowMs` that lock it out. Default 10. */
  readonly maxFailures?: number;
  readonly windowMs?: number;
  /** How long a locked-out address is refused (429), whatever credentials it sends. Default 60 s. */
  readonly lockoutMs?: number;
  /**
   * Addresses tracked at most, so a spray of addresses cannot grow memory. Default 10,000. Past
   * it, the address whose last failure is oldest among those not locked out is forgotten; a
   * locked-out one only when every tracked address is locked out, and then the one whose lockout
   * ends first.
   */
  readonly maxTracked?: number;
  readonly now?: () => number;
}

export type ThrottleVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * Docker Cloud throttled repeated failed logins per client with `429 {"detail": "Too many login
 * attempts."}` (protocol.md §3); clients without back-off hit it, so we do the same.
 *
 * An IPv6 address counts by its /64 prefix: a host is given a whole /64 and may take any address
 * in it, so counting exact addresses would let one host guess on without end. An IPv4 address
 * written as IPv6 (`::ffff:10.0.0.1`, as a dual-stack socket reports it) counts as that IPv4 one.
 *
 * A successful login does not clear the address's failures, which only age out of the window:
 * if it did, anyone holding one valid key could guess other users' keys without limit by logging
 * in with their own between guesses.
 *
 * @example
 * const throttle = createLoginThrottle({ maxFailures: 5 });
 * if (!throttle.check(addr).allowed) return reply(429);
 * if (!user) throttle.failure(addr);
 */
export interface LoginThrottle {
  check(address: string): ThrottleVerdict;
  failure(address: string): void;
  readonly tracked: number;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const maxFailures = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  const lockoutMs = options.lockoutMs ?? 60_000;
  const maxTracked = options.maxTracked ?? 10_000;
  const now = options.now ?? Date.now;
  // Two maps, so that eviction never has to search. Insertion order is age order in both:
  // `failing` is an LRU (an address is re-inserted on each failure), and `locked`, whose entries
  // all got the same lockoutMs, is ordered by the end of their lockout.
  /** Addresses not locked out: the times of their failures within the window. */
  const failing = new Map<string, number[]>();
  /** Locked-out addresses: when their lockout ends. */
  const locked = new Map<string, number>();

  /** Forgets the lockouts that have ended: they are the first in `locked`. */
  const unlockExpired = (t: number) => {
    for (const [address, until] of locked) {
      if (until > t) break;
      locked.delete(address);
    }
  };

  return {
    check(client) {
      const address = throttledAddress(client);
      const until = locked.get(address);
      if (until === undefined) return { allowed: true };
      const t = now();
      if (until > t) return { allowed: false, retryAfterMs: until - t };
      return { allowed: true };
    },
    failure(client) {
      const address = throttledAddress(client);
      const t = now();
      unlockExpired(t);
      // A locked-out address is refused before its credentials are read (see check): nothing to add.
      if (locked.has(address)) return;
      const failures = (failing.get(address) ?? []).filter((at) => at > t - windowMs);
      failing.delete(address);
      failures.push(t);
      if (failures.length >= maxFailures) locked.set(address, t + lockoutMs);
      else failing.set(address, failures);
      // The addresses not locked out go first, oldest first: a spray of new failing addresses
      // must not free one that is locked out. When every address is locked out, the one whose
      // lockout ends first goes: memory stays bounded, and it takes maxTracked addresses locked
      // out at once to free one a little early (it is locked again after maxFailures more).
      while (failing.size + locked.size > maxTracked) {
        const from = failing.size > 0 ? failing : locked;
        const oldest = from.keys().next().value;
        if (oldest === undefined) break;
        from.delete(oldest);
      }
    },
    get tracked() {
      return failing.size + locked.size;
    },
  };
}

/** 64:ff9b::/96, NAT64's well-known prefix, as the top 96 bits of an address. */
const NAT64_PREFIX = 0x64ff9bn << 64n;
const IPV4_MAPPED = 0xffffn << 32n;
const IPV4_BITS = (1n << 32n) - 1n;
const INTERFACE_ID_BITS = (1n << 64n) - 1n;

/**
 * What the throttle counts a client address as: an IPv6 address's /64 prefix (`2001:db8:0:1::/64`),
 * an IPv4-mapped (or NAT64) IPv6 address's IPv4 address, any other text as it is (an IPv4 address, `unknown`).
 * Addresses are read, and written, as the trusted proxies' walk reads and writes them.
 *
 * @example
 * throttledAddress('2001:db8:0:1:aaaa::7') // '2001:db8:0:1::/64'
 * throttledAddress('::ffff:10.0.0.1')      // '10.0.0.1'
 */
export function throttledAddress(address: string): string {
  const bits = parsePeer(address); // fe80::1%eth0 too: the zone names the interface, not the host
  if (bits === undefined) return address;
  // IPv4 and IPv4-mapped addresses: formatAddress writes them dotted.
  if (bits >> 32n === 0xffffn) return formatAddress(bits);
  // NAT64's well-known prefix: an IPv6-only server reached by IPv4 clients.
  if (bits >> 32n === NAT64_PREFIX) return formatAddress(IPV4_MAPPED | (bits & IPV4_BITS));
  return `${formatAddress(bits & ~INTERFACE_ID_BITS)}/64`;
}
