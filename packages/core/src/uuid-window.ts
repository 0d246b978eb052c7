/**
 * Remembers at least the last `capacity` strings (at most twice as many) in two generations: when
 * the current one is full it becomes the previous one and the oldest is dropped whole. Cheaper
 * than evicting one entry per add, which churns the hash table. `capacity` 0 remembers nothing.
 */
export interface UuidWindow {
  /** False when `uuid` is among the remembered ones (a repeat); otherwise remembers it. */
  add(uuid: string): boolean;
}

/**
 * @example
 * const seen = createUuidWindow(10_000);
 * if (seen.add(event.uuid)) deliver(event); // a repeat after a reconnect is dropped
 */
export function createUuidWindow(capacity: number): UuidWindow {
  if (capacity <= 0) return { add: () => true };
  let current = new Set<string>();
  let previous = new Set<string>();
  return {
    add(uuid) {
      if (current.has(uuid) || previous.has(uuid)) return false;
      if (current.size >= capacity) {
        previous = current;
        current = new Set();
      }
      current.add(uuid);
      return true;
    },
  };
}
