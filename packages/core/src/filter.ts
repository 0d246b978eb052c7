import type { Result } from './events-error.js';
import type { ObjectType } from './object-types.js';

/**
 * A parsed stream filter (protocol.md §4). Within one key the values are alternatives (OR);
 * different keys must all hold (AND). `null` means the key was absent (matches everything).
 */
export interface EventFilter {
  readonly types: ReadonlySet<ObjectType> | null;
  readonly objects: ReadonlySet<string> | null;
  readonly parents: ReadonlySet<string> | null;
}

/** The fields of an event a filter looks at. */
export interface FilterableEvent {
  readonly type: string;
  readonly resource_uri: string;
  readonly parents: readonly string[];
}

/** Query input: a raw query string (with or without `?`) or decoded pairs (a URLSearchParams works). */
export type FilterQuery = string | Iterable<readonly [string, string]>;

export declare function parseFilter(query: FilterQuery): Result<EventFilter>;
export declare function matchesFilter(filter: EventFilter, event: FilterableEvent): boolean;
