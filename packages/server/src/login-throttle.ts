export interface LoginThrottleOptions {
  /** Failed logins from one address within `windowMs` that lock it out. Default 10. */
  readonly maxFailures?: number;
  readonly windowMs?: number;
  /** How long a locked-out address is refused (429), whatever credentials it sends. Default 60 s. */
  readonly lockoutMs?: number;
  /** Addresses tracked at most (the oldest are forgotten first), so a spray of addresses cannot grow memory. */
  readonly maxTracked?: number;
  readonly now?: () => number;
}

export type ThrottleVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * Docker Cloud throttled repeated failed logins per client with `429 {"detail": "Too many login
 * attempts."}` (protocol.md §3); clients without back-off hit it, so we do the same.
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

interface Entry {
  failures: number[];
  lockedUntil: number;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const maxFailures = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  const lockoutMs = options.lockoutMs ?? 60_000;
  const maxTracked = options.maxTracked ?? 10_000;
  const now = options.now ?? Date.now;
  // Insertion order = age order: re-inserting on every failure keeps the map an LRU.
  const entries = new Map<string, Entry>();

  return {
    check(address) {
      const entry = entries.get(address);
      if (!entry) return { allowed: true };
      const t = now();
      if (entry.lockedUntil > t) return { allowed: false, retryAfterMs: entry.lockedUntil - t };
      return { allowed: true };
    },
    failure(address) {
      const t = now();
      const entry = entries.get(address) ?? { failures: [], lockedUntil: 0 };
      entries.delete(address);
      entry.failures = entry.failures.filter((at) => at > t - windowMs);
      entry.failures.push(t);
      if (entry.failures.length >= maxFailures) {
        entry.lockedUntil = t + lockoutMs;
        entry.failures = [];
      }
      entries.set(address, entry);
      while (entries.size > maxTracked) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    get tracked() {
      return entries.size;
    },
  };
}
