import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  formatPosition,
  isTransitionalState,
  type ObjectType,
  POSITION_HEADER,
  type RestObject,
  type RestObjectByType,
  typeOfUri,
  uuidOfUri,
} from '@events/core';
import { type Authenticator, authFailureHeaders, peerAddress } from './authenticate-request.js';
import type { EventBus } from './event-bus.js';
import type { Logger } from './logger.js';
import { optionsAnswer, methodNotAllowed as refuseMethod } from './method-not-allowed.js';
import { quoteValue, shortenQuotedValues, truncateValue } from './quote-value.js';
import { filterRestList, ignoredListKeys } from './rest-list-filter.js';
import { pageOf, parsePaging } from './rest-paging.js';
import { parseRestPath, type RestRoute, TERMINABLE_TYPES } from './rest-route.js';
import type { CloudSource, OperationName, OperationResult } from './source.js';
import type { User, UserDirectory } from './user-directory.js';

type RestService = RestObjectByType['service'];

/** The header that names the action an operation started, as Docker Cloud sent it (the Python SDK reads it). */
export const ACTION_URI_HEADER = 'X-DockerCloud-Action-URI';

/** Largest request body accepted (operations carry at most `{"target_num_containers": N}`). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** A body that has not fully arrived after this long is refused with 408. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;
/** Largest `target_num_containers` a scale may ask for. */
export const MAX_TARGET_NUM_CONTAINERS = 100;
const MAX_REMEMBERED_TARGETS = 10_000;
/** Ignored list filters logged (each once, by type and key); after these, no more. */
export const MAX_WARNED_LIST_KEYS = 100;

export interface RestHandlerDeps {
  readonly source: CloudSource;
  readonly directory: UserDirectory;
  readonly authenticator: Authenticator;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly maxBodyBytes?: number;
  readonly bodyTimeoutMs?: number;
  /** The client address the access log names (the authenticator's). Default: the peer's. */
  readonly clientAddress?: (req: IncomingMessage) => string;
}

/**
 * Serves one REST request. `url` is the request target on any origin; build it with
 * `requestUrl` (create-events-server.ts), which keeps `//api/...` a path.
 */
export type RestHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

/** A refusal on its way to the client as `{"detail": ...}`. */
class RestError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
    /** A body may still be coming: close the connection after the answer with lingerClose. */
    readonly linger = false,
  ) {
    super(detail);
  }
}

// Browsers may call the API from another origin (the browser transport re-lists after a resync).
// Credentials travel in the Authorization header or the query, never in cookies, so `*` lends a
// foreign page nothing it does not already hold. A header that is not CORS-safelisted reads as
// absent to such a page unless exposed: Retry-After too, which core's live tree waits by on a
// 429 or 503 (unexposed, a browser retried at once).
export const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': `${POSITION_HEADER}, ${ACTION_URI_HEADER}, Retry-After`,
} as const;

const OPERATION_NAMES: Readonly<Record<OperationName, string>> = {
  start: 'Start',
  stop: 'Stop',
  redeploy: 'Redeploy',
  scale: 'Scale',
  terminate: 'Terminate',
};

/**
 * The REST API of protocol.md §7 for the six types: lists with Docker Cloud's envelope and
 * `limit`/`offset` paging, `GET {resource_uri}`, and the operations (`POST .../start/`, `stop/`,
 * `redeploy/`, `scale/`, `PATCH` of a service's `target_num_containers`, `DELETE` = terminate).
 * Every answer that names a namespace carries `X-Events-Position`: the stream position its
 * content already reflects, so a client can list and then resume the stream from there.
 *
 * Operations answer `202` with the object operated on (as Docker Cloud did: the Python SDK loads
 * the body into the object it called, then reads the action from `X-DockerCloud-Action-URI`).
 *
 * @example
 * const rest = createRestHandler({ source, directory, authenticator, bus, logger });
 * http.createServer((req, res) => { const url = requestUrl(req.url); if (url instanceof URL) rest(req, res, url); });
 */
export function createRestHandler(deps: RestHandlerDeps): RestHandler {
  const { source, directory, authenticator, bus, logger } = deps;
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const bodyTimeoutMs = deps.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const clientAddress = deps.clientAddress ?? peerAddress;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}) => {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...CORS_HEADERS,
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(text)),
      'Cache-Control': 'no-store',
      ...headers,
    });
    res.end(text);
  };

  const positionHeader = (namespace: string) => ({ [POSITION_HEADER]: formatPosition(bus.head(namespace)) });

  const namespaceFor = (user: User, namespace: string | null): string => {
    // A user's own namespace comes first (user-directory.ts).
    const resolved = namespace ?? user.namespaces[0] ?? user.username;
    if (!directory.canRead(user, resolved)) {
      throw new RestError(403, `You do not have permission to access namespace ${quoteValue(resolved)}.`);
    }
    return resolved;
  };

  const findObject = <T extends ObjectType>(user: User, namespace: string | null, type: T, uuid: string) => {
    // Actions live at /api/audit/v1/action/{uuid}/, un-namespaced: look in every namespace the user reads.
    const candidates = namespace === null && type === 'action' ? user.namespaces : [namespaceFor(user, namespace)];
    for (const ns of candidates) {
      const object = source.get(ns, type, uuid);
      if (object !== undefined) return { namespace: ns, object };
    }
    const where = candidates.length === 1 ? `namespace ${quoteValue(candidates[0])}` : 'any namespace you can read';
    throw new RestError(404, `Not found: no ${type} ${quoteValue(uuid)} in ${where}.`);
  };

  const lookupIn = (namespace: string) => (uri: string): RestObject | undefined => {
    const type = typeOfUri(uri);
    return type === undefined ? undefined : source.get(namespace, type, uuidOfUri(uri));
  };

  // A list filter this server does not support (`name__contains`, `uuid__in`) is ignored and the
  // list answered unfiltered by it, where Tastypie answered 400: old clients may send such keys,
  // so the answer stays, but the operator is told, once per type and key (a bounded number, so
  // that a client making keys up cannot grow this set or flood the log).
  const warnedListKeys = new Set<string>();
  const warnIgnoredListKeys = (type: ObjectType, query: URLSearchParams) => {
    for (const key of ignoredListKeys(type, query)) {
      const id = `${type}\u0000${key}`;
      if (warnedListKeys.has(id) || warnedListKeys.size >= MAX_WARNED_LIST_KEYS) continue;
      warnedListKeys.add(id);
      logger.warn('list filter ignored', {
        type,
        key: truncateValue(key),
        detail: 'not a filter this server supports: the list is answered as if it were not given',
        ...(warnedListKeys.size === MAX_WARNED_LIST_KEYS && { note: `the last one logged: no more ignored list filters are (${MAX_WARNED_LIST_KEYS} were)` }),
      });
    }
  };

  const handleList = (res: ServerResponse, user: User, route: Extract<RestRoute, { kind: 'list' }>, path: string, query: URLSearchParams) => {
    const paging = parsePaging(query);
    if (!paging.ok) throw new RestError(400, paging.error.message);
    const namespace = namespaceFor(user, route.namespace);
    warnIgnoredListKeys(route.type, query);
    // Head and list are read in one synchronous step, and a source updates its model before it
    // emits: the list reflects exactly the events up to the head, so a client can resume from it.
    const position = positionHeader(namespace);
    const listed = source.list(namespace, route.type);
    const presented = route.type === 'service' && requestedTargets.size > 0 ? listed.map((o) => presentService(namespace, o as RestService)) : listed;
    const objects = filterRestList(route.type, presented, query, lookupIn(namespace));
    send(res, 200, pageOf(objects, paging.value, path, query), position);
  };

  const handleDetail = (res: ServerResponse, user: User, route: Extract<RestRoute, { kind: 'detail' }>) => {
    const found = findObject(user, route.namespace, route.type, route.uuid);
    const object = route.type === 'service' ? presentService(found.namespace, found.object as RestService) : found.object;
    send(res, 200, object, positionHeader(found.namespace));
  };

  // `PATCH` then a body-less `POST scale/` (the CLI's `service scale`): a source may apply the new
  // target only when the scale's lifecycle begins (the simulator does, 50-300 ms later), so a
  // requested target is remembered while its action is in flight and outranks the stale field.
  const requestedTargets = new Map<string, { readonly target: number; readonly action: string }>();
  const targetKey = (namespace: string, uuid: string) => `${namespace}\u0000${uuid}`;
  const rememberTarget = (namespace: string, uuid: string, target: number, action: string) => {
    const key = targetKey(namespace, uuid);
    requestedTargets.delete(key);
    requestedTargets.set(key, { target, action });
    // Oldest first: a bounded memory, whatever the number of services.
    for (const stale of requestedTargets.keys()) {
      if (requestedTargets.size <= MAX_REMEMBERED_TARGETS) break;
      requestedTargets.delete(stale);
    }
  };
  const currentTarget = (namespace: string, service: RestService): number => {
    const key = targetKey(namespace, service.uuid);
    const requested = requestedTargets.get(key);
    if (requested === undefined) return service.target_num_containers;
    const action = source.get(namespace, 'action', requested.action);
    if (action !== undefined && isTransitionalState(action.state)) return requested.target;
    requestedTargets.delete(key);
    return service.target_num_containers;
  };
  /**
   * A service as Docker Cloud showed it: a PATCHed or requested target is the service's setting
   * at once, before the source's scale has begun and applied it.
   */
  const presentService = (namespace: string, service: RestService): RestService => {
    const target = currentTarget(namespace, service);
    return target === service.target_num_containers ? service : { ...service, target_num_containers: target };
  };

  /**
   * Runs an operation on an object and answers 202 with the object and the action's URI.
   * `explicitTarget` is a scale's target from the request body, if it named one.
   */
  const runOperation = (
    req: IncomingMessage,
    res: ServerResponse,
    user: User,
    namespace: string,
    target: { readonly type: ObjectType; readonly uuid: string },
    operation: OperationName,
    explicitTarget: number | undefined,
    path: string,
  ) => {
    const { object } = findObject(user, namespace, target.type, target.uuid);
    const what = `The ${target.type} ${quoteValue(target.uuid)}`;
    if (object.state === 'Terminated') {
      throw new RestError(409, `${what} is terminated: it cannot ${operation === 'terminate' ? 'be terminated again' : operation}.`);
    }
    // Docker Cloud's scale/ takes no body: it scales to the service's current target, which the
    // CLI and both SDKs set with a PATCH first. A target in the body is our shortcut.
    const targetNumContainers =
      operation === 'scale' ? (explicitTarget ?? currentTarget(namespace, object as RestService)) : undefined;
    const result: OperationResult = source.operate({
      namespace,
      type: target.type,
      uuid: target.uuid,
      operation,
      user: user.username,
      method: req.method ?? 'POST',
      path,
      ...(targetNumContainers !== undefined ? { targetNumContainers } : {}),
    });
    if (!result.ok) {
      throw new RestError(result.status, result.detail, result.status === 503 ? { 'Retry-After': String(result.retryAfterSeconds) } : {});
    }
    if (targetNumContainers !== undefined) rememberTarget(namespace, target.uuid, targetNumContainers, result.action.uuid);
    logger.info('operation accepted', {
      user: user.username,
      remote: clientAddress(req),
      namespace,
      object: object.resource_uri,
      operation: `${capitalize(target.type)} ${OPERATION_NAMES[operation]}`,
      action: result.action.resource_uri,
    });
    const current = source.get(namespace, target.type, target.uuid) ?? object;
    const after = target.type === 'service' ? presentService(namespace, current as RestService) : current;
    send(res, 202, after, { [ACTION_URI_HEADER]: result.action.resource_uri, ...positionHeader(namespace) });
  };

  /** `POST {resource_uri}{operation}/` and `DELETE {resource_uri}`. */
  const handleOperation = async (
    req: IncomingMessage,
    res: ServerResponse,
    user: User,
    target: { readonly namespace: string | null; readonly type: ObjectType; readonly uuid: string },
    operation: OperationName,
    path: string,
  ) => {
    const namespace = namespaceFor(user, target.namespace);
    // Read (and bound) the body even when the operation takes none: the Go SDK sends `{}`.
    const body = await readBody(req, maxBodyBytes, bodyTimeoutMs);
    const explicitTarget = operation === 'scale' ? parseTarget(body) : undefined;
    runOperation(req, res, user, namespace, target, operation, explicitTarget, path);
  };

  /** `PATCH {service resource_uri}` with `{"target_num_containers": N}`, as the CLI's `service scale` sends it. */
  const handlePatch = async (req: IncomingMessage, res: ServerResponse, user: User, route: Extract<RestRoute, { kind: 'detail' }>, path: string) => {
    const namespace = namespaceFor(user, route.namespace);
    const target = parseTarget(await readBody(req, maxBodyBytes, bodyTimeoutMs));
    if (target === undefined) {
      // Docker Cloud's PATCH changed many settings this model does not have: they are ignored
      // and the service comes back unchanged.
      send(res, 200, presentService(namespace, findObject(user, namespace, 'service', route.uuid).object), positionHeader(namespace));
      return;
    }
    // The source cannot set a target without scaling, so a new target scales at once; the
    // `POST scale/` that Docker Cloud clients send next scales to the same target again.
    runOperation(req, res, user, namespace, route, 'scale', target, path);
  };

  /** Answers an allowed request or throws a RestError; async only where a body is read. */
  const dispatch = async (req: IncomingMessage, res: ServerResponse, user: User, route: RestRoute, path: string, query: URLSearchParams) => {
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    switch (route.kind) {
      case 'not-found':
        throw new RestError(404, route.detail);
      case 'events':
        // Plain GETs of the stream endpoint come here (upgrades never do).
        if (!read) throw methodNotAllowed(method, routeMethods(route));
        throw new RestError(426, 'This is the event stream: connect with a WebSocket upgrade.', { Upgrade: 'websocket', Connection: 'Upgrade' });
      case 'list':
        if (!read) throw methodNotAllowed(method, routeMethods(route));
        return handleList(res, user, route, path, query);
      case 'detail': {
        const allowed = routeMethods(route);
        if (!allowed.includes(method)) throw methodNotAllowed(method, allowed);
        if (read) return handleDetail(res, user, route);
        if (method === 'DELETE') return handleOperation(req, res, user, route, 'terminate', path);
        return handlePatch(req, res, user, route, path);
      }
      case 'operation':
        if (method !== 'POST') throw methodNotAllowed(method, routeMethods(route));
        return handleOperation(req, res, user, route, route.operation, path);
    }
  };

  return (req, res, url) => {
    const started = performance.now();
    const path = url.pathname.replace(/\/{2,}/g, '/');
    const method = req.method ?? 'GET';
    // Read now: by 'finish' a closed socket has no peer address left.
    const remote = clientAddress(req);
    res.once('finish', () => {
      logger.debug('rest request', { method, path, status: res.statusCode, remote, ms: Math.round((performance.now() - started) * 10) / 10 });
    });
    const fail = (error: unknown) => {
      if (error instanceof RestError) {
        if (error.linger) res.once('finish', () => lingerClose(req.socket));
        send(res, error.status, { detail: error.detail }, error.headers);
        return;
      }
      logger.error('rest request failed', { method, path, error });
      send(res, 500, { detail: 'Internal server error.' });
    };
    try {
      if (method === 'OPTIONS') {
        // A CORS preflight carries no credentials: answer it before authenticating. A path that is
        // no resource is answered too, so that the page's request gets its JSON 404, not a CORS
        // error; one that is names its methods, as its 405 does.
        const route = parseRestPath(path);
        res.writeHead(204, {
          ...(route.kind === 'not-found' ? {} : optionsAnswer(routeMethods(route)).headers),
          ...CORS_HEADERS,
          'Access-Control-Allow-Methods': 'GET, HEAD, POST, PATCH, DELETE',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type',
          'Access-Control-Max-Age': '600',
        });
        res.end();
        return;
      }
      const auth = authenticator.authenticate(req, url);
      if (!auth.ok) {
        send(res, auth.status, { detail: auth.detail }, authFailureHeaders(auth));
        return;
      }
      const health = source.health();
      // A source that still knows its last state answers reads (the stream keeps telling its
      // changes, the node Unreachable among them); only operations need it live.
      const read = method === 'GET' || method === 'HEAD';
      if (!health.ok && !(read && health.readable === true)) {
        throw new RestError(503, `The ${source.name} source is unavailable: ${health.detail}`, { 'Retry-After': '5' });
      }
      dispatch(req, res, auth.user, parseRestPath(path), path, url.searchParams).catch(fail);
    } catch (error) {
      fail(error);
    }
  };
}

/** The methods a resource answers besides OPTIONS (method-not-allowed.ts adds it). */
function routeMethods(route: Exclude<RestRoute, { kind: 'not-found' }>): readonly string[] {
  switch (route.kind) {
    case 'events':
    case 'list':
      return ['GET', 'HEAD'];
    case 'detail':
      return ['GET', 'HEAD', ...(TERMINABLE_TYPES.has(route.type) ? ['DELETE'] : []), ...(route.type === 'service' ? ['PATCH'] : [])];
    case 'operation':
      return ['POST'];
  }
}

function methodNotAllowed(method: string, allowed: readonly string[]): RestError {
  const answer = refuseMethod(method, allowed);
  return new RestError(answer.status, answer.detail, answer.headers);
}

function capitalize(text: string): string {
  return text.length === 0 ? text : `${text[0]!.toUpperCase()}${text.slice(1)}`;
}

/**
 * `target_num_containers` from a scale or PATCH body, or undefined when the body has none.
 * Tastypie coerced digit strings, so `"3"` is accepted as well as `3`.
 */
function parseTarget(body: string): number | undefined {
  if (body.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new RestError(400, `Request body is not valid JSON: ${shortenQuotedValues((cause as Error).message)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RestError(400, 'Request body must be a JSON object, e.g. {"target_num_containers": 3}.');
  }
  const raw: unknown = (value as Record<string, unknown>).target_num_containers;
  if (raw === undefined) return undefined;
  const target = typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : raw;
  if (typeof target !== 'number' || !Number.isInteger(target) || target < 0 || target > MAX_TARGET_NUM_CONTAINERS) {
    throw new RestError(400, `Invalid target_num_containers ${quoteValue(raw)}: expected an integer from 0 to ${MAX_TARGET_NUM_CONTAINERS}.`);
  }
  return target;
}

/**
 * Most bytes of a refused body read and dropped (discardRest) before the connection is closed
 * anyway: a client told 413 stops sending long before this, unless it never reads its answers.
 */
export const MAX_DISCARDED_BYTES = 64 * 1024 * 1024;

/**
 * Whether a request says in `Content-Length` that its body is over `maxBytes`: it is refused
 * (413) whatever it is, and create-events-server.ts does not invite the body with "100 Continue".
 */
export function declaresBodyOver(req: Pick<IncomingMessage, 'headers'>, maxBytes: number): boolean {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > maxBytes;
}

/** How long a connection closed by lingerClose goes on reading, after the client last sent anything. */
export const LINGER_MS = 5_000;

/**
 * Reads and drops the rest of a refused body (see lingerClose); past MAX_DISCARDED_BYTES the
 * connection is closed at once.
 */
function discardRest(req: IncomingMessage): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BYTES) req.socket.destroy();
  });
}

/**
 * Closes a connection after the refusal of a body that may still be coming, as nginx's lingering
 * close does: FIN after the answer, then what still arrives is read and dropped (discardRest)
 * until the client closes, or goes quiet for LINGER_MS. Closed at once with bytes unread, a socket
 * is reset (RST), and the reset makes the client's system drop what it had received and not yet
 * read: a client that sends its whole body before it reads (Python's requests, curl, most
 * clients) saw "connection reset", never the 413. Kept open for the next request instead, the
 * connection would wait for the rest of a body a client may never send.
 */
function lingerClose(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  socket.setTimeout(LINGER_MS);
  socket.once('timeout', () => socket.destroy());
}

/**
 * The request body as text, refused with 413 past `maxBytes` and 408 after `timeoutMs`. After
 * a 413 the rest of the body is read and dropped and the connection closed (lingerClose); after a
 * 408 it is closed at once: the rest of the body may never come.
 */
function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<string> {
  if (declaresBodyOver(req, maxBytes)) {
    discardRest(req);
    return Promise.reject(new RestError(413, `Request body too large: ${Number(req.headers['content-length'])} bytes (at most ${maxBytes}).`, {}, true));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: RestError) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (error === undefined) {
        resolve(Buffer.concat(chunks).toString('utf8'));
        return;
      }
      if (error.status === 413) discardRest(req);
      else req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish(new RestError(413, `Request body too large: more than ${maxBytes} bytes.`, {}, true));
      else chunks.push(chunk);
    };
    const onEnd = () => finish();
    // The client went away: nobody is left to answer, the rejection is only for cleanup.
    const onError = () => finish(new RestError(400, 'Request body was cut off.', { Connection: 'close' }));
    const timer = setTimeout(
      () => finish(new RestError(408, `Request body not received within ${timeoutMs} ms.`, { Connection: 'close' })),
      timeoutMs,
    );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
