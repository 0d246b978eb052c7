import { performance } from 'node:perf_hooks';
import {
  checkOptionsArgument,
  type AbortSignalLike,
  createLiveTree as createCoreLiveTree,
  createStreamClient,
  detailOfBody,
  type EventStream,
  type HttpRequest,
  type HttpResponse,
  type LiveTreeHandle,
  type LiveTreeOptions,
  parseRetryAfter,
  readCappedBody,
  resolveClientOptions,
  socketErrorMessage,
  type StreamClientOptions,
  type StreamPort,
} from '@events/core';
import { type RawData, WebSocket } from 'ws';

// The Node transport: fills core's StreamPort with `ws`, Node timers and fetch. Every decision
// (URL, auth, frames, reconnect, resume, resync, dedupe, the store) is core's; this file only
// wires sockets and timers to it.

export { EventsError, toEventsError } from '@events/core';
export type {
  AbortSignalLike,
  ConnectedInfo,
  ConnectionSummary,
  Credentials,
  DockerCloudEvent,
  EventFilter,
  EventStream,
  EventsErrorCode,
  FilterSpec,
  HierarchySnapshot,
  LastClose,
  LiveTree,
  LiveTreeHandle,
  LiveTreeSnapshot,
  ObjectOperation,
  ReconnectPolicy,
  ResyncReport,
  ResyncRequest,
  StoredObject,
  StreamPosition,
  StreamSnapshot,
} from '@events/core';

/** The environment Docker Cloud programs read (DOCKERCLOUD_*); process.env unless given. */
type Env = Readonly<Record<string, string | undefined>>;

/** createEventStream's options: core's, each optional where the DOCKERCLOUD_* environment can supply it. */
export type NodeEventStreamOptions = Partial<StreamClientOptions> & { readonly env?: Env };

/** createLiveTree's options, defaulted from the environment as createEventStream's are. */
export type NodeLiveTreeOptions = Partial<LiveTreeOptions> & { readonly env?: Env };

/**
 * A live event stream over `ws`. Hosts, namespace and credentials default from DOCKERCLOUD_*.
 *
 * @example
 * const stream = createEventStream({ filter: { type: 'service' } });
 * for await (const event of stream) console.log(event.action, event.state, event.resource_uri);
 */
export function createEventStream(options: NodeEventStreamOptions = {}): EventStream {
  const { env, ...rest } = checkOptionsArgument(options, 'process.env is the default; {} reads none');
  return createStreamClient(resolveClientOptions(rest, env ?? process.env, 'stream', env === undefined ? 'process' : 'option'), createNodePort());
}

/**
 * A live copy of the account (REST lists + the stream) over `ws` and fetch.
 *
 * @example
 * const tree = createLiveTree();
 * tree.subscribe(() => console.log(tree.getSnapshot().tree.countsByType()));
 */
export function createLiveTree(options: NodeLiveTreeOptions = {}): LiveTreeHandle {
  const { env, ...rest } = checkOptionsArgument(options, 'process.env is the default; {} reads none');
  return createCoreLiveTree(resolveClientOptions(rest, env ?? process.env, 'live-tree', env === undefined ? 'process' : 'option'), createNodePort());
}

/** Characters of a refused upgrade's body read for its `detail`. */
const MAX_REFUSAL_BODY = 8 * 1024;
/** How long a refused upgrade's body may take before the refusal is reported without it. */
const REFUSAL_BODY_WAIT_MS = 500;

/**
 * The StreamPort on Node: `ws` sockets (Authorization header, pings, the HTTP status of a refused
 * upgrade), Node timers, performance.now, Math.random and fetch. Exported for custom clients.
 */
export function createNodePort(): StreamPort {
  return {
    canSetHeaders: true,
    openSocket(request, handlers) {
      const ws = new WebSocket(request.url, [...request.protocols], { headers: { ...request.headers }, perMessageDeflate: false });
      let pinger: NodeJS.Timeout | undefined;
      const stopPinging = () => clearInterval(pinger);
      ws.on('open', () => {
        if (request.pingIntervalMs !== null) {
          pinger = setInterval(() => ws.ping(), request.pingIntervalMs);
          pinger.unref(); // the socket keeps the process alive, not its pings
        }
        handlers.onOpen(ws.protocol === '' ? null : ws.protocol);
      });
      // Binary frames too, read as UTF-8 text: core reads them as the official SDKs did (see SocketHandlers.onMessage).
      ws.on('message', (data: RawData) => handlers.onMessage(data.toString()));
      ws.on('upgrade', (response) => {
        // ws aborts a handshake whose answer ignores the subprotocols we offered (a plain Docker
        // Cloud server does); core decides what to do about it. The error and close that follow
        // come from a socket core has already given up.
        if (request.protocols.length > 0 && response.headers['sec-websocket-protocol'] === undefined) handlers.onSubprotocolRefused();
      });
      ws.on('pong', () => handlers.onPong());
      ws.on('ping', () => handlers.onPong());
      ws.on('unexpected-response', (_request, response) => {
        // Everything that decides (status, Retry-After) is in the headers. The body only says why
        // ({"detail": ...}): wait for a little of it, briefly, then report and drop the socket. A
        // proxy that keeps the body open must not turn a 429 into a connect timeout (its
        // Retry-After lost) or a 401 into retries.
        const retryAfter = response.headers['retry-after'];
        const retryAfterMs = retryAfter === undefined ? undefined : parseRetryAfter(retryAfter, Date.now());
        let body = '';
        let reported = false;
        const report = () => {
          if (reported) return;
          reported = true;
          clearTimeout(bodyTimer);
          response.destroy();
          const status = response.statusCode ?? 0;
          handlers.onHandshakeFailed(status, retryAfterMs, detailOfBody(body) ?? redirectDetail(status, response.headers.location, request.url));
          ws.terminate(); // with this listener ws leaves the refused request to us
        };
        const bodyTimer = setTimeout(report, REFUSAL_BODY_WAIT_MS);
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
          // A complete {"detail": ...} needs no more; nor does a body past the cap.
          if (body.length >= MAX_REFUSAL_BODY || detailOfBody(body) !== null) report();
        });
        response.on('end', report);
        response.on('error', report);
        response.on('close', report);
      });
      ws.on('error', (error) => handlers.onError(socketErrorMessage(error)));
      ws.on('close', (code, reason) => {
        stopPinging();
        handlers.onClose(code, reason.toString());
      });
      return {
        close(code, reason) {
          stopPinging();
          ws.close(code, reason);
        },
        terminate() {
          stopPinging();
          ws.terminate();
        },
      };
    },
    setTimer: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)),
    clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
    now: () => performance.now(),
    wallClock: () => Date.now(),
    random: () => Math.random(),
    request: fetchResponse,
  };
}

/**
 * Where a refused upgrade's redirect points, as its detail: neither `ws` nor a browser follows
 * one, so "HTTP 301" alone leaves the user guessing (typically ws:// to a host that moved to
 * wss://). Without the query, which may carry the filter or credentials.
 */
function redirectDetail(status: number, location: string | undefined, requestUrl: string): string | undefined {
  if (status < 300 || status > 399 || location === undefined) return undefined;
  let target: URL;
  try {
    target = new URL(location, requestUrl);
  } catch {
    return undefined;
  }
  return `it redirects to ${target.protocol}//${target.host}${target.pathname} (a WebSocket follows no redirect: name that host in streamHost)`;
}

/**
 * One REST request over fetch. Core aborts `request.signal` when it no longer wants the answer (a
 * closed live tree: a REST host that never answers would hold the process open for fetch's own
 * 300 s); that ends the request, its body included. The body is read up to request.maxBodyBytes
 * (readCappedBody); past it, or on any failure to read it, the request is aborted, its connection
 * closed, rather than left to stream on.
 */
async function fetchResponse(request: HttpRequest): Promise<HttpResponse> {
  const controller = new AbortController();
  followSignal(request.signal, controller);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined && { body: request.body }),
      signal: controller.signal,
    });
  } catch (error) {
    throw readableFetchError(error);
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  let body = '';
  try {
    if (response.body !== null) body = await readCappedBody(response.body, request, new TextDecoder());
  } catch (error) {
    controller.abort();
    throw error;
  }
  return { status: response.status, headers, body };
}

/**
 * fetch's "fetch failed" with its cause read as a socket error is read (socketErrorMessage): TLS
 * against a plain port or an untrusted certificate say so, not in OpenSSL's raw text. The shape is
 * kept (core shows `fetch failed (<cause>)`), and the original cause hangs under the new one.
 */
function readableFetchError(error: unknown): unknown {
  const cause = error instanceof Error ? error.cause : undefined;
  if (!(error instanceof Error) || !(cause instanceof Error)) return error;
  const readable = socketErrorMessage(cause);
  if (readable === cause.message) return error;
  return new TypeError(error.message, { cause: new Error(readable, { cause }) });
}

/** Aborts `controller` (a standard one: fetch takes no other kind) when core's signal aborts. */
function followSignal(signal: AbortSignalLike | undefined, controller: AbortController): void {
  if (signal === undefined) return;
  if (signal.aborted) controller.abort();
  else signal.addEventListener('abort', () => controller.abort(), { once: true });
}
