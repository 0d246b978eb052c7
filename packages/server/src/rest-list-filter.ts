import { normalizeState, type ObjectType, type RestObject, type RestObjectByType } from '@events/core';

/**
 * The list filters Docker Cloud documented per type (`GET /api/app/v1/service/?state=Running`),
 * exact matches on one field each. `uuid` and `name` also take `__startswith`: the dockercloud
 * CLI finds an object from a short id with `?uuid__startswith=7eaf7fff`, then by `?name=`.
 */
const FIELDS: Readonly<Record<ObjectType, readonly string[]>> = {
  stack: ['uuid', 'name', 'state'],
  service: ['uuid', 'name', 'state', 'stack', 'image_name'],
  container: ['uuid', 'name', 'state', 'service', 'node', 'image_name'],
  nodecluster: ['uuid', 'name', 'state', 'region', 'node_type'],
  node: ['uuid', 'state', 'node_cluster'],
  action: ['uuid', 'state', 'object', 'action'],
};
const PREFIX_FIELDS = new Set(['uuid', 'name']);

/** The keys a list reads that are no filter: paging, and credentials in the query (`?auth=`, `?user=&token=`). */
const NON_FILTER_KEYS: ReadonlySet<string> = new Set(['limit', 'offset', 'auth', 'user', 'token']);

/**
 * The distinct keys of `query` that a list of `type` neither filters by nor reads otherwise
 * (`name__contains`, `uuid__in`, `image_name` on a stack), in the order first given. Tastypie
 * answered them 400; this server ignores them (old clients may send such keys), and its operator
 * is told (rest-api.ts logs each once).
 *
 * @example
 * ignoredListKeys('service', new URLSearchParams('name__contains=web&state=Running&limit=5')) // ['name__contains']
 */
export function ignoredListKeys(type: ObjectType, query: URLSearchParams): string[] {
  const fields = FIELDS[type];
  const known = (key: string): boolean => {
    if (NON_FILTER_KEYS.has(key) || fields.includes(key)) return true;
    if (key.endsWith('__startswith')) return PREFIX_FIELDS.has(key.slice(0, -'__startswith'.length)) && fields.includes(key.slice(0, -'__startswith'.length));
    return (type === 'service' && key === 'stack__name') || (type === 'container' && key === 'service__stack__name');
  };
  return [...new Set(query.keys())].filter((key) => !known(key));
}

/** Looks an object up by its resource URI, for the filters that follow a reference. */
export type RestLookup = (uri: string) => RestObject | undefined;

type Predicate = (object: Readonly<Record<string, unknown>>, lookup: RestLookup) => boolean;

/** A reference field's target's name: `stack__name` on services, `service__stack__name` on containers. */
function nameThrough(path: readonly string[], expected: string): Predicate {
  return (object, lookup) => {
    let current: Readonly<Record<string, unknown>> | undefined = object;
    for (const field of path) {
      const uri: unknown = current?.[field];
      current = typeof uri === 'string' ? (lookup(uri) as Readonly<Record<string, unknown>> | undefined) : undefined;
    }
    return current?.name === expected;
  };
}

/**
 * Keeps the objects that match every documented filter in `query`; other keys (limit, offset,
 * credentials, unknown ones: see {@link ignoredListKeys}) are ignored. A repeated key takes its
 * last value (Django's QueryDict).
 *
 * @example
 * filterRestList('service', services, new URLSearchParams('state=Running&name__startswith=web'), lookup)
 */
export function filterRestList<T extends ObjectType>(
  type: T,
  objects: readonly RestObjectByType[T][],
  query: URLSearchParams,
  lookup: RestLookup,
): readonly RestObjectByType[T][] {
  const predicates: Predicate[] = [];
  const last = (key: string) => {
    const values = query.getAll(key);
    return values[values.length - 1];
  };
  for (const field of FIELDS[type]) {
    const exact = last(field);
    if (exact !== undefined) {
      // `Not Running` and friends are accepted on input (protocol.md §7).
      const wanted = field === 'state' ? (normalizeState(type, exact) ?? exact) : exact;
      predicates.push((object) => object[field] === wanted);
    }
    const prefix = PREFIX_FIELDS.has(field) ? last(`${field}__startswith`) : undefined;
    if (prefix !== undefined) {
      predicates.push((object) => {
        const value = object[field];
        return typeof value === 'string' && value.startsWith(prefix);
      });
    }
  }
  const stackName = type === 'service' ? last('stack__name') : type === 'container' ? last('service__stack__name') : undefined;
  if (stackName !== undefined) predicates.push(nameThrough(type === 'service' ? ['stack'] : ['service', 'stack'], stackName));
  if (predicates.length === 0) return objects;
  return objects.filter((object) => {
    const record = object as unknown as Readonly<Record<string, unknown>>;
    return predicates.every((predicate) => predicate(record, lookup));
  });
}
