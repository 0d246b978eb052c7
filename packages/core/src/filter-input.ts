import { describeValue, isPlainObject } from './describe-value.js';
import { EventsError } from './events-error.js';
import type { FilterSpec } from './filter.js';
import { isObjectType, OBJECT_TYPES } from './object-types.js';
import { parseResourceUri } from './resource-uri.js';
import { didYouMean } from './did-you-mean.js';

// The checks behind createFilter, resolveFilter and isEventFilter. A filter option comes from
// JavaScript as often as from TypeScript, and anything it fails to say (a typo, a Result, a query
// string) would otherwise match every event: each refusal says what to pass instead.

/** The event types, as messages list them. */
export const ALLOWED_TYPES = OBJECT_TYPES.join(', ');

const SPEC_KEYS: readonly string[] = ['type', 'object', 'parent', 'parents'];
const BUILT_KEYS = ['types', 'objects', 'parents'] as const;
const SINGULAR = { types: 'type', objects: 'object', parents: 'parent' } as const;
const EXPECTED_OBJECT = "filter: expected an object such as { type: 'container' }";
const CHECK_RESULT = 'pass result.value after checking result.ok';

/** Refuses what is no filter object at all, saying what to pass instead. */
export function checkFilterObject(input: unknown): asserts input is Readonly<Record<string, unknown>> {
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
export function checkFilterSpec(spec: unknown): asserts spec is FilterSpec {
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

export function hasBuiltKeys(value: Readonly<Record<string, unknown>>): boolean {
  const keys = Object.keys(value);
  return keys.length === BUILT_KEYS.length && BUILT_KEYS.every((key) => keys.includes(key));
}

/** What is wrong with an object that has the keys of an EventFilter, or undefined if nothing. */
export function builtFilterProblem(filter: Readonly<Record<string, unknown>>): string | undefined {
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
  const match = didYouMean(key, SPEC_KEYS, NEAR_MISSES);
  if (match === undefined) return undefined;
  const lower = key.trim().toLowerCase();
  const built = lower === 'types' || lower === 'objects' ? '; a built EventFilter has all of types, objects and parents, each a Set or null' : '';
  return `did you mean "${match}"?${built}`;
}

/**
 * Refuses an `object` or `parent` value that no event can carry: filters compare resource URIs
 * exactly, so `stack/9a2e` or a URI without its trailing slash would match nothing, silently.
 */
export function checkFilterUri(key: string, value: string): void {
  const parsed = parseResourceUri(value);
  if (!parsed.ok) {
    throw new EventsError('invalid-filter', `filter "${key}": ${parsed.error.message}; filters compare whole resource URIs, such as "/api/app/v1/acme/stack/9a2e…/"`);
  }
  if (!parsed.value.trailingSlash) {
    throw new EventsError('invalid-filter', `filter "${key}": ${JSON.stringify(value)} needs its trailing slash, as events spell resource URIs`);
  }
  if (key !== 'object' && parsed.value.type === 'action') {
    throw new EventsError('invalid-filter', `filter "${key}": ${JSON.stringify(value)} is an action, which is no object's parent`);
  }
}
