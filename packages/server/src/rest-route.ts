import { API_OF_TYPE, isObjectType, type ObjectType } from '@events/core';
import { quoteValue, truncateValue } from './quote-value.js';
import type { OperationName } from './source.js';

/** The operations reached by `POST {resource_uri}{operation}/` (terminate is `DELETE {resource_uri}`). */
export type PathOperation = Exclude<OperationName, 'terminate'>;

/**
 * A REST path, parsed. `namespace` is null when the path has none (the pre-2016 form, and actions,
 * which Docker Cloud never namespaced): the handler then uses the user's own namespace.
 */
export type RestRoute =
  | { readonly kind: 'list'; readonly namespace: string | null; readonly type: ObjectType }
  | { readonly kind: 'detail'; readonly namespace: string | null; readonly type: ObjectType; readonly uuid: string }
  | {
      readonly kind: 'operation';
      readonly namespace: string | null;
      readonly type: ObjectType;
      readonly uuid: string;
      readonly operation: PathOperation;
    }
  /** The event stream's path reached without a WebSocket upgrade. */
  | { readonly kind: 'events' }
  | { readonly kind: 'not-found'; readonly detail: string };

/** Which operations each type takes over REST, as Docker Cloud offered them. */
export const OPERATIONS_OF_TYPE: Readonly<Record<ObjectType, readonly PathOperation[]>> = {
  stack: ['start', 'stop', 'redeploy'],
  service: ['start', 'stop', 'redeploy', 'scale'],
  container: ['start', 'stop', 'redeploy'],
  nodecluster: [],
  node: [],
  action: [],
};

/** Types that `DELETE {resource_uri}` terminates. */
export const TERMINABLE_TYPES: ReadonlySet<ObjectType> = new Set(['stack', 'service', 'container']);

const APIS = new Set(['app', 'infra', 'audit']);
const REST_ROOT_HINT =
  " The path holds /api/ after a prefix: the REST host (DOCKERCLOUD_REST_HOST) should be the server's root, http://HOST:PORT/, not an API URL; clients add /api/... themselves.";

/**
 * Parses a REST path (`URL.pathname`, still percent-encoded). Runs of slashes count as one (the
 * Go SDK requests `//api/...` when DOCKERCLOUD_REST_HOST ends with a slash) and the trailing
 * slash is optional.
 * A path whose second segment is a type is namespaced (`/api/app/v1/{ns}/stack/`); otherwise a
 * type in the first segment starts an un-namespaced one (`/api/app/v1/stack/{uuid}/`). UUIDs are
 * never type names, so the two readings cannot collide.
 *
 * @example
 * parseRestPath('/api/app/v1/acme/service/5f1c/scale/')
 * // { kind: 'operation', namespace: 'acme', type: 'service', uuid: '5f1c', operation: 'scale' }
 */
export function parseRestPath(path: string): RestRoute {
  path = path.replace(/\/{2,}/g, '/');
  // `/api/` again further on: a client whose REST host was an API URL (the printed
  // `REST: …/api/app/v1/stack/`), not the server's root, put its own path after it.
  const doubled = path.indexOf('/api/', 1) !== -1;
  const notFound = (detail: string): RestRoute => ({ kind: 'not-found', detail: doubled ? `${detail}${REST_ROOT_HINT}` : detail });
  if (!path.startsWith('/api/')) return notFound('Not found.');
  const raw = path.slice(5, path.endsWith('/') ? -1 : undefined).split('/');
  const segments: string[] = [];
  for (const segment of raw) {
    try {
      segments.push(decodeURIComponent(segment));
    } catch {
      return notFound('Not found: the path is not validly percent-encoded.');
    }
  }
  const [api, version, ...rest] = segments;
  if (api === undefined || !APIS.has(api)) return notFound(`Not found: unknown API ${quoteValue(api ?? '')} (expected app, infra or audit).`);
  if (version !== 'v1') return notFound(`Not found: unknown version ${quoteValue(version ?? '')} of the ${api} API (expected v1).`);
  const typeHere = (segment: string | undefined): segment is ObjectType =>
    segment !== undefined && isObjectType(segment) && API_OF_TYPE[segment] === api;
  const isEvents = (segment: string | undefined) => api === 'audit' && segment === 'events';
  const misplaced = rest.find((segment) => isObjectType(segment) && API_OF_TYPE[segment] !== api) as ObjectType | undefined;
  const unknownPath = () =>
    notFound(
      misplaced
        ? `Not found: ${misplaced} is served under /api/${API_OF_TYPE[misplaced]}/v1/, not /api/${api}/v1/.`
        : `Not found: no resource at ${truncateValue(path)}.`,
    );
  const operation = (namespace: string | null, type: ObjectType, uuid: string, name: string): RestRoute => {
    const allowed = OPERATIONS_OF_TYPE[type];
    if (!(allowed as readonly string[]).includes(name)) {
      // Terminating is no path of its own: DELETE of the object's URI, as in Docker Cloud's API.
      const terminate = TERMINABLE_TYPES.has(type) ? '; terminate with DELETE of its resource_uri' : '';
      const offer = allowed.length > 0 ? ` (${type} operations: ${allowed.join(', ')}${terminate})` : '';
      return notFound(`Not found: a ${type} has no operation ${quoteValue(name)}${offer}.`);
    }
    return { kind: 'operation', namespace, type, uuid, operation: name as PathOperation };
  };
  const [a, b, c, d] = rest;
  switch (rest.length) {
    case 1:
      if (typeHere(a)) return { kind: 'list', namespace: null, type: a };
      if (isEvents(a)) return { kind: 'events' };
      return unknownPath();
    case 2:
      if (typeHere(b)) return { kind: 'list', namespace: a as string, type: b };
      if (isEvents(b)) return { kind: 'events' };
      if (typeHere(a)) return { kind: 'detail', namespace: null, type: a, uuid: b as string };
      return unknownPath();
    case 3:
      if (typeHere(b)) return { kind: 'detail', namespace: a as string, type: b, uuid: c as string };
      if (typeHere(a)) return operation(null, a, b as string, c as string);
      return unknownPath();
    case 4:
      if (typeHere(b)) return operation(a as string, b, c as string, d as string);
      return unknownPath();
    default:
      return unknownPath();
  }
}
