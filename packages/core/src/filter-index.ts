import type { EventFilter, FilterableEvent } from './filter.js';

export interface FilterIndex<K> {
  add(key: K, filter: EventFilter): void;
  remove(key: K): void;
  /** Calls `visit` once for each key whose filter matches `event`, without testing every filter. */
  match(event: FilterableEvent, visit: (key: K) => void): void;
  readonly size: number;
}

export declare function createFilterIndex<K>(): FilterIndex<K>;
