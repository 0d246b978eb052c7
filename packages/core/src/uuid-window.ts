import { DedupeWindow } from './hierarchy-dedupe-window.js';

/**
 * Remembers at least the last `capacity` strings (at most about twice as many) in two
 * generations: the store's DedupeWindow, clocked by the count of strings added. `capacity` 0
 * remembers nothing.
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
  const window = new DedupeWindow(capacity);
  let added = 0;
  return {
    add(uuid) {
      if (window.has(uuid)) return false;
      window.add(uuid, added++);
      return true;
    },
  };
}
