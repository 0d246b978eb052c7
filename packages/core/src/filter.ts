import { isPlainObject } from './describe-value.js';
import { err, EventsError, ok, type Result } from './events-error.js';
import { ALLOWED_TYPES, builtFilterProblem, checkFilterObject, checkFilterSpec, checkFilterUri, hasBuiltKeys } from './filter-input.js';
import { isObjectType, type ObjectType } from './object-types.js';
import { encodeQueryComponent, readQuery } from './read-query.js';

/**
 * A parsed stream filter (protocol.md §4). Within one key the values are alternatives (OR);
 * different keys must all hold (AND). `null` means the key was absent (matches everything).
 * An empty set matches nothing; parseFilter never produces one (empty values are ignored).
 * Treat filters as immutable: a FilterIndex keeps a reference to the sets.
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

/**
 * The filter that lets every event through: no key given.
 *
 * @example
 * index.add(connection, MATCH_ALL) // a client that sent no filter
 */
export const MATCH_ALL: EventFilter = Object.freeze({ types: null, objects: null, parents: null });

/**
 * Whether `filter` constrains nothing (every event matches).
 *
 * @example
 * isMatchAll(parseFilter('?foo=bar').value) // true: unknown keys are ignored
 */
export function isMatchAll(filter: EventFilter): boolean {
  return filter.types === null && filter.objects === null && filter.parents === null;
}

const FILTER_KEYS: ReadonlySet<string> = new Set(['type', 'object', 'parent', 'parents']);

/**
 * Parses the filter query of a stream request (protocol.md §4). Keys `type`, `object`, `parent`
 * and `parents` (the same key: the docs say `parent`, the Go SDK sends `parents`) each take a
 * comma-separated list and may be repeated. In the raw-string form each value is percent-decoded
 * before it is split, so `%2C` separates values too: the Go SDK sends
 * `parents=%2Fapi%2Fapp%2Fv1%2Facme%2Fstack%2F9a2e%2F%2C%2Fapi...`. Empty values and unknown keys
 * are ignored. Never throws.
 *
 * @example
 * parseFilter('?type=container,service&parents=%2Fapi%2Fapp%2Fv1%2Facme%2Fstack%2F9a2e%2F')
 * // { ok: true, value: { types: Set {'container','service'}, objects: null, parents: Set {'/api/app/v1/acme/stack/9a2e/'} } }
 * parseFilter('type=volume') // { ok: false, error: EventsError('invalid-filter', 'unknown event type "volume" ...') }
 */
export function parseFilter(query: FilterQuery): Result<EventFilter> {
  const read = readQuery(query, FILTER_KEYS);
  if (!read.ok) {
    const { key, raw } = read.error;
    return err(
      new EventsError('invalid-filter', `invalid filter: malformed percent-encoding in ${JSON.stringify(key)} value ${JSON.stringify(raw)}`),
    );
  }
  const types = new Set<ObjectType>();
  const objects = new Set<string>();
  const parents = new Set<string>();
  for (const [key, values] of read.value) {
    for (const value of values) {
      for (const item of value.split(',')) {
        if (item === '') continue;
        switch (key) {
          case 'type':
            if (!isObjectType(item)) {
              return err(
                new EventsError('invalid-filter', `unknown event type ${JSON.stringify(item)} in filter "type"; expected one of ${ALLOWED_TYPES}`),
              );
            }
            types.add(item);
            break;
          case 'object':
            objects.add(item);
            break;
          default: // parent, parents
            parents.add(item);
        }
      }
    }
  }
  // A key that gave no values was absent or empty: it constrains nothing.
  return ok({
    types: types.size > 0 ? types : null,
    objects: objects.size > 0 ? objects : null,
    parents: parents.size > 0 ? parents : null,
  });
}

/**
 * Whether `event` passes `filter`. Allocation-free: the server calls it on the fan-out hot path.
 *
 * @example
 * matchesFilter(createFilter({ type: 'container' }), event) // true when event.type === 'container'
 */
export function matchesFilter(filter: EventFilter, event: FilterableEvent): boolean {
  const objects = filter.objects;
  if (objects !== null && !objects.has(event.resource_uri)) return false;
  const types = filter.types as ReadonlySet<string> | null;
  if (types !== null && !types.has(event.type)) return false;
  const parents = filter.parents;
  if (parents === null) return true;
  const eventParents = event.parents;
  for (let i = 0; i < eventParents.length; i++) {
    if (parents.has(eventParents[i] as string)) return true;
  }
  return false;
}

/** What createFilter accepts for one key: a single value or a list. */
export type FilterValues<T extends string> = T | readonly T[];

/** Programmer input for createFilter. `(string & {})` keeps the type names as completions. */
export interface FilterSpec {
  readonly type?: FilterValues<ObjectType | (string & {})>;
  readonly object?: FilterValues<string>;
  readonly parent?: FilterValues<string>;
  /** The same key as `parent`, spelt as the Go SDK sends it on the wire (protocol.md §4). Give one of the two. */
  readonly parents?: FilterValues<string>;
}

/**
 * Builds a filter from code. Unlike parseFilter it throws, because bad input here is a bug:
 * a key other than `type`, `object`, `parent` or `parents` (which would otherwise be ignored and
 * let every event through), a value that is not a string or an array of strings, an unknown
 * type, an empty value or list (which the wire would read as "no filter" and so let everything
 * through), or a value containing `,` (which no query can carry).
 *
 * @example
 * createFilter({ type: ['container', 'service'], parent: '/api/app/v1/acme/stack/9a2e/' })
 * createFilter({ typ: 'service' }) // throws: filter: unknown key "typ" (did you mean "type"?); ...
 * @throws EventsError with code `invalid-filter`
 */
export function createFilter(spec: FilterSpec): EventFilter {
  checkFilterSpec(spec);
  const types = toSet('type', spec.type);
  if (types !== null) {
    for (const type of types) {
      if (!isObjectType(type)) {
        throw new EventsError('invalid-filter', `unknown event type ${JSON.stringify(type)}; expected one of ${ALLOWED_TYPES}`);
      }
    }
  }
  return {
    types: types as ReadonlySet<ObjectType> | null,
    objects: toSet('object', spec.object),
    parents: spec.parents !== undefined ? toSet('parents', spec.parents) : toSet('parent', spec.parent),
  };
}

/**
 * The filter a `filter` option stands for: MATCH_ALL for `undefined`, a filter already built
 * (by createFilter, parseFilter or by hand) as it is once isEventFilter holds, else
 * createFilter(input). The option comes from JavaScript as often as from TypeScript, so anything
 * else (a misspelt key, a parseFilter result, a query string, null) is refused with a message
 * that says what to pass instead: ignoring it would deliver every event.
 *
 * @example
 * resolveFilter({ parents: '/api/app/v1/acme/stack/9a2e/' }) // same as createFilter({ parent: ... })
 * resolveFilter(parseFilter('type=container')) // throws: filter: got a parseFilter result ...; pass result.value ...
 * @throws EventsError with code `invalid-filter`
 */
export function resolveFilter(input: EventFilter | FilterSpec | undefined): EventFilter {
  if (input === undefined) return MATCH_ALL;
  checkFilterObject(input);
  if (hasBuiltKeys(input)) {
    const problem = builtFilterProblem(input);
    if (problem !== undefined) throw new EventsError('invalid-filter', problem);
    return input as unknown as EventFilter;
  }
  return createFilter(input as FilterSpec);
}

/**
 * Whether `value` is a well-formed EventFilter: a plain object with exactly the keys `types`,
 * `objects` and `parents`, each null or a Set of strings (known event types for `types`).
 *
 * @example
 * isEventFilter(createFilter({ type: 'node' })) // true
 * isEventFilter({ type: 'node' }) // false: a FilterSpec, not a built filter
 */
export function isEventFilter(value: unknown): value is EventFilter {
  return isPlainObject(value) && hasBuiltKeys(value) && builtFilterProblem(value) === undefined;
}

function toSet(key: string, values: FilterValues<string> | undefined): ReadonlySet<string> | null {
  if (values === undefined) return null;
  const list: readonly string[] = typeof values === 'string' ? [values] : values;
  if (list.length === 0) {
    throw new EventsError('invalid-filter', `filter "${key}" is an empty list; omit the key to match any value`);
  }
  for (const value of list) {
    checkExpressible(key, value);
    if (key !== 'type') checkFilterUri(key, value);
  }
  return new Set(list);
}

function checkExpressible(key: string, value: string): void {
  if (value === '') throw new EventsError('invalid-filter', `filter "${key}" has an empty value`);
  if (value.includes(',')) {
    throw new EventsError('invalid-filter', `filter "${key}" value ${JSON.stringify(value)} contains ",", which separates values on the wire`);
  }
}

/**
 * The query string (without `?`) for `filter`, as the Go SDK's `url.Values.Encode()` would send
 * it: keys sorted (`object`, `parents`, `type`), each list comma-joined and percent-encoded
 * (`/` → `%2F`, `,` → `%2C`, space → `+`). Empty when the filter matches everything.
 * parseFilter reads it back to an equal filter.
 *
 * @example
 * formatFilterQuery(createFilter({ type: 'container', parent: ['/api/app/v1/acme/stack/9a2e/'] }))
 * // 'parents=%2Fapi%2Fapp%2Fv1%2Facme%2Fstack%2F9a2e%2F&type=container'
 * @throws EventsError `invalid-filter` for a filter no query can express (an empty set, an empty value, a value with `,`)
 */
export function formatFilterQuery(filter: EventFilter): string {
  const parts: string[] = [];
  const add = (key: string, values: ReadonlySet<string> | null) => {
    if (values === null) return;
    if (values.size === 0) {
      throw new EventsError('invalid-filter', `filter "${key}" is an empty set, which matches nothing and has no query form`);
    }
    for (const value of values) checkExpressible(key, value);
    parts.push(`${key}=${encodeQueryComponent([...values].join(','))}`);
  };
  add('object', filter.objects);
  add('parents', filter.parents);
  add('type', filter.types);
  return parts.join('&');
}
