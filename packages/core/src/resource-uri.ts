import { err, EventsError, ok, type Result } from './events-error.js';
import { API_OF_TYPE, isObjectType, type ObjectType } from './object-types.js';

export type ApiName = 'app' | 'infra' | 'audit';

/**
 * A parsed resource URI. `namespace` is null for the pre-namespace form and for actions, whose
 * URIs are not namespaced (`/api/audit/v1/action/{uuid}/`). `trailingSlash` is kept so that
 * `formatResourceUri(parseResourceUri(s))` gives back `s` exactly: consumers compare URIs as
 * strings, trailing slash included.
 */
export interface ResourceUri {
  readonly api: ApiName;
  readonly namespace: string | null;
  readonly type: ObjectType;
  readonly uuid: string;
  readonly trailingSlash: boolean;
}

const SEGMENT = /^[A-Za-z0-9_.~-]+$/;
const APIS = new Set<string>(['app', 'infra', 'audit']);

/**
 * Parses `/api/{app|infra|audit}/v1/[namespace/]{type}/{uuid}/`.
 *
 * @example
 * parseResourceUri('/api/app/v1/acme/service/5f1c/') // { ok: true, value: { api: 'app', namespace: 'acme', type: 'service', uuid: '5f1c', trailingSlash: true } }
 */
export function parseResourceUri(uri: string): Result<ResourceUri> {
  const fail = (why: string) => err(new EventsError('invalid-uri', `invalid resource URI ${JSON.stringify(uri)}: ${why}`));
  if (typeof uri !== 'string') return fail('not a string');
  if (!uri.startsWith('/api/')) return fail('must start with /api/');
  const trailingSlash = uri.endsWith('/');
  const parts = uri.slice(5, trailingSlash ? -1 : undefined).split('/');
  if (parts.length !== 4 && parts.length !== 5) {
    return fail('expected /api/{app|infra|audit}/v1/[namespace/]{type}/{uuid}/');
  }
  const [api, version] = parts as [string, string];
  if (!APIS.has(api)) return fail(`unknown API ${JSON.stringify(api)} (expected app, infra or audit)`);
  if (version !== 'v1') return fail(`unknown version ${JSON.stringify(version)} (expected v1)`);
  const namespace = parts.length === 5 ? (parts[2] as string) : null;
  const type = parts[parts.length - 2] as string;
  const uuid = parts[parts.length - 1] as string;
  if (!isObjectType(type)) return fail(`unknown type ${JSON.stringify(type)}`);
  if (namespace !== null && !SEGMENT.test(namespace)) return fail(`bad namespace segment ${JSON.stringify(namespace)}`);
  if (!SEGMENT.test(uuid)) return fail(`bad uuid segment ${JSON.stringify(uuid)}`);
  return ok({ api: api as ApiName, namespace, type, uuid, trailingSlash });
}

/** The inverse of parseResourceUri. */
export function formatResourceUri(uri: ResourceUri): string {
  const ns = uri.namespace === null ? '' : `${uri.namespace}/`;
  return `/api/${uri.api}/v1/${ns}${uri.type}/${uri.uuid}${uri.trailingSlash ? '/' : ''}`;
}

/**
 * The canonical URI for an object, as our server emits it: namespaced (except actions, which
 * Docker Cloud never namespaced) and with the trailing slash.
 */
export function resourceUriFor(type: ObjectType, uuid: string, namespace: string | null): string {
  return formatResourceUri({
    api: API_OF_TYPE[type],
    namespace: type === 'action' ? null : namespace,
    type,
    uuid,
    trailingSlash: true,
  });
}

/**
 * The object's id: the last path segment. Cheap, for hot paths that already trust the URI
 * (Docker Cloud clients took type and id from the last two segments the same way).
 */
export function uuidOfUri(uri: string): string {
  const end = uri.endsWith('/') ? uri.length - 1 : uri.length;
  return uri.slice(uri.lastIndexOf('/', end - 1) + 1, end);
}

/** The type segment (second to last), or undefined when it is not one of the six types. */
export function typeOfUri(uri: string): ObjectType | undefined {
  const end = uri.endsWith('/') ? uri.length - 1 : uri.length;
  const idStart = uri.lastIndexOf('/', end - 1);
  const typeStart = uri.lastIndexOf('/', idStart - 1);
  const type = uri.slice(typeStart + 1, idStart);
  return isObjectType(type) ? type : undefined;
}
