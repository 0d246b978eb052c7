import { describeValue, isPlainObject } from './describe-value.js';
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
  checkSpec(spec);
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

const SPEC_KEYS: readonly string[] = ['type', 'object', 'parent', 'parents'];
const BUILT_KEYS = ['types', 'objects', 'parents'] as const;
const SINGULAR = { types: 'type', objects: 'object', parents: 'parent' } as const;
const EXPECTED_OBJECT = "filter: expected an object such as { type: 'container' }";
const CHECK_RESULT = 'pass result.value after checking result.ok';

/** Refuses what is no filter object at all, saying what to pass instead. */
function checkFilterObject(input: unknown): asserts input is Readonly<Record<string, unknown>> {
  if (isPlainObject(input)) {
    const keys = Object.keys(input);
    // A parseFilter Result passed whole: its keys would otherwise be "unknown keys ok, value".
    if (keys.length === 2 && keys.includes('ok')) {
      if (input.ok === true && keys.includes('value')) {
        throw new EventsError('invalid-filter', `filter: got a parseFilter result ({ ok, value }), not a filter; ${CHECK_RESULT}`);
      }
      if (input.ok === false && keys.includes('error')) {
        const error = input.error;
        const why = error instanceof Error ? error.message : describeValue(error);
        throw new EventsError('invalid-filter', `filter: got a failed parseFilter result ({ ok: false, error }): ${why}`, { cause: error });
      }
    }
    return;
  }
  const got = describeValue(input);
  if (input === null) throw new EventsError('invalid-filter', `${EXPECTED_OBJECT}, got null; leave filter out to receive every event`);
  if (typeof input === 'string') {
    throw new EventsError('invalid-filter', `${EXPECTED_OBJECT}, got ${got}; for a query string use parseFilter(query) and ${CHECK_RESULT}`);
  }
  if (Array.isArray(input)) {
    throw new EventsError('invalid-filter', `${EXPECTED_OBJECT}, got an array; lists go under a key: { type: ['container', 'service'] }`);
  }
  if (typeof input === 'object' && !(input instanceof Set) && typeof (input as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
    // URLSearchParams, a Map of query pairs: parseFilter reads those.
    throw new EventsError('invalid-filter', `${EXPECTED_OBJECT}, got ${got}; for query pairs use parseFilter(pairs) and ${CHECK_RESULT}`);
  }
  throw new EventsError('invalid-filter', `${EXPECTED_OBJECT}, got ${got}`);
}

/** Refuses unknown keys (a typo would match everything) and values of the wrong kind. */
function checkSpec(spec: unknown): asserts spec is FilterSpec {
  checkFilterObject(spec);
  const keys = Object.keys(spec);
  const unknown = keys.filter((key) => !SPEC_KEYS.includes(key));
  if (unknown.length > 0) {
    const named = unknown.map((key) => {
      const hint = suggestKey(key);
      return hint === undefined ? JSON.stringify(key) : `${JSON.stringify(key)} (${hint})`;
    });
    throw new EventsError(
      'invalid-filter',
      `filter: unknown key${unknown.length > 1 ? 's' : ''} ${named.join(', ')}; expected one of ${SPEC_KEYS.join(', ')}`,
    );
  }
  if (spec.parent !== undefined && spec.parents !== undefined) {
    throw new EventsError('invalid-filter', 'filter: "parent" and "parents" are the same key; give one of them');
  }
  for (const key of keys) {
    const value = spec[key as keyof FilterSpec] as unknown;
    if (value === undefined || typeof value === 'string') continue;
    const expected = `filter: "${key}" must be a string or an array of strings`;
    if (Array.isArray(value)) {
      const index = value.findIndex((item) => typeof item !== 'string');
      if (index !== -1) throw new EventsError('invalid-filter', `${expected}, got ${describeValue(value[index])} at index ${index}`);
      continue;
    }
    const spread = isSetLike(value) ? '; spread it into an array: [...set]' : '';
    throw new EventsError('invalid-filter', `${expected}, got ${describeValue(value)}${spread}`);
  }
}

function hasBuiltKeys(value: Readonly<Record<string, unknown>>): boolean {
  const keys = Object.keys(value);
  return keys.length === BUILT_KEYS.length && BUILT_KEYS.every((key) => keys.includes(key));
}

/** What is wrong with an object that has the keys of an EventFilter, or undefined if nothing. */
function builtFilterProblem(filter: Readonly<Record<string, unknown>>): string | undefined {
  for (const key of BUILT_KEYS) {
    const values = filter[key];
    if (values === null) continue;
    if (!isSetLike(values)) {
      return `filter: "${key}" of a built EventFilter must be a Set or null, got ${describeValue(values)}; for lists write { ${SINGULAR[key]}: [...] }`;
    }
    for (const value of values) {
      if (typeof value !== 'string') return `filter: "${key}" holds ${describeValue(value)}; its values must be strings`;
      if (key === 'types' && !isObjectType(value)) {
        return `filter: "types" holds unknown event type ${JSON.stringify(value)}; expected one of ${ALLOWED_TYPES}`;
      }
    }
  }
  return undefined;
}

/** A Set from any realm, or anything that reads like one: all matchesFilter and formatFilterQuery use. */
function isSetLike(value: unknown): value is ReadonlySet<unknown> {
  if (value instanceof Set) return true;
  if (typeof value !== 'object' || value === null) return false;
  const set = value as Partial<ReadonlySet<unknown>>;
  return typeof set.has === 'function' && typeof set.size === 'number' && typeof set[Symbol.iterator] === 'function';
}


/** Known near misses: the EventFilter's own field names, and what `object` compares. */
const NEAR_MISSES: Readonly<Record<string, string>> = { types: 'type', objects: 'object', resource_uri: 'object', uri: 'object' };

/** A hint for a misspelt key: another case (go-dockercloud's `Type`), a known near miss, or a typo one or two edits away. */
function suggestKey(key: string): string | undefined {
  const lower = key.trim().toLowerCase();
  let match = SPEC_KEYS.includes(lower) ? lower : Object.hasOwn(NEAR_MISSES, lower) ? NEAR_MISSES[lower] : undefined;
  if (match === undefined && lower.length >= 3) {
    let best = 3;
    for (const candidate of SPEC_KEYS) {
      const distance = editDistance(lower, candidate);
      if (distance < best) {
        best = distance;
        match = candidate;
      }
    }
  }
  if (match === undefined) return undefined;
  const built = lower === 'types' || lower === 'objects' ? '; a built EventFilter has all of types, objects and parents, each a Set or null' : '';
  return `did you mean "${match}"?${built}`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row.push(distance);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
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
