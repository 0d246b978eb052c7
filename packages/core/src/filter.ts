import { err, EventsError, ok, type Result } from './events-error.js';
import { isObjectType, OBJECT_TYPES, type ObjectType } from './object-types.js';

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
const ALLOWED_TYPES = OBJECT_TYPES.join(', ');

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
}

/**
 * Builds a filter from code. Unlike parseFilter it throws, because bad input here is a bug:
 * an unknown type, an empty value or list (which the wire would read as "no filter" and so let
 * everything through), or a value containing `,` (which no query can carry).
 *
 * @example
 * createFilter({ type: ['container', 'service'], parent: '/api/app/v1/acme/stack/9a2e/' })
 * @throws EventsError with code `invalid-filter`
 */
export function createFilter(spec: FilterSpec): EventFilter {
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
    parents: toSet('parent', spec.parent),
  };
}

function toSet(key: string, values: FilterValues<string> | undefined): ReadonlySet<string> | null {
  if (values === undefined) return null;
  const list: readonly string[] = typeof values === 'string' ? [values] : values;
  if (list.length === 0) {
    throw new EventsError('invalid-filter', `filter "${key}" is an empty list; omit the key to match any value`);
  }
  for (const value of list) checkExpressible(key, value);
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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Percent-encodes a query key or value like Go's `url.QueryEscape` and Python's `quote_plus`:
 * only `A-Z a-z 0-9 - _ . ~` stay as they are, a space becomes `+`. Lone surrogates become
 * U+FFFD, as URLSearchParams does, instead of throwing.
 *
 * @example
 * encodeQueryComponent('Basic dXNlcjprZXk=') // 'Basic+dXNlcjprZXk%3D'
 */
export function encodeQueryComponent(value: string): string {
  return encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD'))
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * Decodes a query key or value as URLSearchParams does (`+` is a space), except that malformed
 * percent-encoding or bytes that are not UTF-8 give `undefined` instead of being kept.
 *
 * @example
 * decodeQueryComponent('%2Fapi%2F%2C+x') // '/api/, x'
 * decodeQueryComponent('%zz') // undefined
 */
export function decodeQueryComponent(raw: string): string | undefined {
  const spaced = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return undefined;
  }
}

/** Where readQuery found bad percent-encoding. `raw` is the undecoded value: do not log it for secret keys. */
export interface MalformedQueryValue {
  readonly key: string;
  readonly raw: string;
}

/**
 * Collects the decoded values of the wanted `keys`, in order of appearance, from either query
 * form. Values of other keys are never decoded, so a malformed value under an unrelated key
 * (which the protocol says to ignore) cannot fail the request. Pairs are taken as already decoded.
 *
 * @example
 * readQuery('?user=ann&token=k%2B1&x=%zz', new Set(['user', 'token'])) // ok(Map { 'user' => ['ann'], 'token' => ['k+1'] })
 */
export function readQuery(
  query: FilterQuery,
  keys: ReadonlySet<string>,
): Result<ReadonlyMap<string, readonly string[]>, MalformedQueryValue> {
  const found = new Map<string, string[]>();
  const put = (key: string, value: string) => {
    const list = found.get(key);
    if (list === undefined) found.set(key, [value]);
    else list.push(value);
  };
  if (typeof query !== 'string') {
    for (const [key, value] of query) if (keys.has(key)) put(key, value);
    return ok(found);
  }
  // URLSearchParams sees the string as USV first: lone surrogates become U+FFFD.
  const text = (query.startsWith('?') ? query.slice(1) : query).replace(LONE_SURROGATE, '\uFFFD');
  if (text === '') return ok(found);
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    // A key that does not decode cannot be one of ours (ours are plain ASCII words): ignore it.
    const key = decodeQueryComponent(rawKey);
    if (key === undefined || !keys.has(key)) continue;
    const value = decodeQueryComponent(rawValue);
    if (value === undefined) return err({ key, raw: rawValue });
    put(key, value);
  }
  return ok(found);
}
