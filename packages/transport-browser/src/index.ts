import {
  checkOptionsArgument,
  type AbortSignalLike,
  type ByteStreamLike,
  createLiveTree as createCoreLiveTree,
  createStreamClient,
  describeValue,
  type EventStream,
  EventsError,
  type HttpRequest,
  type HttpResponse,
  type LiveTreeHandle,
  type LiveTreeOptions,
  readCappedBody,
  resolveClientOptions,
  type SocketHandle,
  type SocketHandlers,
  type SocketRequest,
  type StreamClientOptions,
  type StreamPort,
} from '@events/core';

// The browser transport: core's StreamPort filled with web-standard APIs only (WebSocket, fetch,
// setTimeout, performance.now), so the same file runs in browsers, Deno, Bun and Node 22+. Every
// decision (URL, auth, frames, reconnect, resume, resync, dedupe, the store) is core's.

// Values as well as types, as the Node transport exports them: `error instanceof EventsError`.
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

/**
 * The part of the standard WebSocket the transport uses. Handlers take `never` so both the DOM
 * class and `ws`'s class (whose event types differ) satisfy it.
 */
export interface StandardWebSocket {
  readonly protocol: string;
  /** Set to 'arraybuffer' (where the runtime has it), so that binary frames can be read as text at once. */
  binaryType?: string;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  close(code?: number, reason?: string): void;
}

/** `globalThis.WebSocket`, or `WebSocket` from `ws` on Node 20. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => StandardWebSocket;

/**
 * A `fetch` as the standard defines it (globalThis.fetch by default). A live tree's requests also
 * carry `signal` (a standard AbortSignal), aborted when the tree no longer wants the answer (it
 * closed, a newer listing superseded the request's, or it timed out); a fetch that ignores it
 * only lets its request run on. The answer's `body` stream is read up to the live tree's
 * maxRestBodyBytes, and the request aborted past it; a fetch without `body` (no streams) has its
 * text() read whole, then refused past the cap.
 */
export type FetchFunction = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; cache?: 'no-store' },
) => Promise<{
  readonly status: number;
  readonly headers: { forEach(callback: (value: string, key: string) => void): void };
  readonly body?: ByteStreamLike | null;
  text(): Promise<string>;
}>;

export interface BrowserPortOptions {
  /** Default: `globalThis.WebSocket`, looked up when the port is created. Node 20 has none: pass `ws`'s. */
  readonly WebSocket?: WebSocketConstructor;
  /** Default: `globalThis.fetch`. */
  readonly fetch?: FetchFunction;
}

/** DOCKERCLOUD_* variables, as Docker Cloud programs read them. */
type Env = Readonly<Record<string, string | undefined>>;

/**
 * createEventStream's options: core's, plus the runtime's WebSocket and fetch. As in
 * transport-node, anything left out comes from `env` (DOCKERCLOUD_*); a browser has no
 * environment, so `env` defaults to none: pass streamHost (no host is assumed).
 */
export type BrowserEventStreamOptions = Partial<StreamClientOptions> & BrowserPortOptions & { readonly env?: Env };

/** createLiveTree's options, defaulted as createEventStream's are. */
export type BrowserLiveTreeOptions = Partial<LiveTreeOptions> & BrowserPortOptions & { readonly env?: Env };

/**
 * A live event stream over the standard WebSocket: reconnects with jittered backoff, resumes
 * without loss on an events-server, waits while the browser is offline.
 *
 * @example
 * const stream = createEventStream({ streamHost: 'ws://127.0.0.1:8080/', credentials: { username: 'admin', apikey } });
 * for await (const event of stream) console.log(event.type, event.action, event.state, event.resource_uri);
 * @throws EventsError `invalid-config` / `invalid-filter` for options no connection could be built from
 */
export function createEventStream(options: BrowserEventStreamOptions = {}): EventStream {
  const { WebSocket, fetch, ...rest } = checkOptionsArgument(options, 'such as Deno.env.toObject()');
  const stream = createStreamClient(resolveOptions(rest, 'stream'), createBrowserPort({ WebSocket, fetch }));
  followNetwork(stream);
  return stream;
}

/**
 * A live copy of the account (REST lists + the stream) over the standard WebSocket and fetch.
 *
 * @example
 * const tree = createLiveTree({ streamHost: 'ws://127.0.0.1:8080/', restHost: 'http://127.0.0.1:8080/', credentials });
 * tree.subscribe(() => render(tree.getSnapshot()));
 */
export function createLiveTree(options: BrowserLiveTreeOptions = {}): LiveTreeHandle {
  const { WebSocket, fetch, ...rest } = checkOptionsArgument(options, 'such as Deno.env.toObject()');
  const tree = createCoreLiveTree(resolveOptions(rest, 'live-tree'), createBrowserPort({ WebSocket, fetch }));
  followNetwork(tree.stream);
  return tree;
}

function isOptionsObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveOptions<T extends Partial<StreamClientOptions> & { readonly restHost?: string; readonly env?: Env }>(options: T, kind: 'stream' | 'live-tree') {
  const { env, ...rest } = options;
  const resolved = resolveClientOptions(rest, env ?? {}, kind, env === undefined ? 'none' : 'option');
  // A plain (Docker Cloud) server keeps connections alive with pings, which a browser never sees:
  // any silence timeout would drop a quiet stream, and lose its events, again and again. Extended
  // connections are still watched, through the server's position markers.
  // navigator.onLine is only trustworthy when false: true means "some network", not "the server".
  // Created offline, the stream opens no socket until the browser says it is back.
  const online = resolved.online ?? (globalThis as Globals).navigator?.onLine !== false;
  return { ...resolved, online, policy: { idleTimeoutMs: null, ...resolved.policy } };
}

interface Globals {
  readonly WebSocket?: WebSocketConstructor;
  readonly fetch?: FetchFunction;
  readonly performance?: { now(): number };
  readonly navigator?: { readonly onLine?: boolean };
  readonly addEventListener?: (type: string, listener: () => void) => void;
  readonly removeEventListener?: (type: string, listener: () => void) => void;
}

/**
 * Feeds the browser's `online`/`offline` events to the stream: offline, it closes its socket and
 * arms no timer (retrying against a dead network only burns the backoff); online, it connects at
 * once. Runtimes without the events (Deno, Node) are left alone. Stops listening once the stream
 * is closed.
 */
function followNetwork(stream: EventStream): void {
  // Created closed (its signal was already aborted), it never publishes again: listeners added
  // now would never be removed, and would keep the stream for the page's lifetime.
  if (stream.getSnapshot().closed) return;
  const globals = globalThis as Globals;
  const add = globals.addEventListener;
  const remove = globals.removeEventListener;
  if (typeof add !== 'function' || typeof remove !== 'function') return;
  const online = () => stream.setOnline(true);
  const offline = () => stream.setOnline(false);
  add.call(globalThis, 'online', online);
  add.call(globalThis, 'offline', offline);
  const unsubscribe = stream.subscribe(() => {
    if (!stream.getSnapshot().closed) return;
    remove.call(globalThis, 'online', online);
    remove.call(globalThis, 'offline', offline);
    unsubscribe();
  });
}

/**
 * Core's StreamPort over the standard WebSocket and fetch. It cannot set headers on the upgrade
 * (`canSetHeaders: false`), so core authenticates with `?auth=`; it cannot ping, so dead
 * connections are found by the extended protocol's position markers (core's idle timeout).
 *
 * @example
 * const port = createBrowserPort(); // Node 20: createBrowserPort({ WebSocket }) with WebSocket from 'ws'
 * const client = createStreamClient(options, port);
 * @throws EventsError `invalid-config` when the runtime has no WebSocket or fetch and none was given
 */
export function createBrowserPort(options: BrowserPortOptions = {}): StreamPort {
  if (!isOptionsObject(options)) throw new EventsError('invalid-config', `createBrowserPort's options must be an object, got ${describeValue(options)}`);
  // Checked here, not at the first socket or request: there a wrong value would only say
  // "is not a constructor", and stop the stream as if the runtime had refused it.
  if (options.WebSocket !== undefined && typeof options.WebSocket !== 'function') {
    throw new EventsError('invalid-config', `WebSocket must be a WebSocket class (globalThis.WebSocket, or WebSocket from the "ws" package), got ${describeValue(options.WebSocket)}`);
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new EventsError('invalid-config', `fetch must be a function such as globalThis.fetch, got ${describeValue(options.fetch)}`);
  }
  const globals = globalThis as Globals;
  const Socket = options.WebSocket ?? globals.WebSocket;
  if (Socket === undefined) {
    throw new EventsError('invalid-config', 'this runtime has no global WebSocket (Node 20): pass one, e.g. { WebSocket } from the "ws" package');
  }
  const fetchFn = options.fetch ?? globals.fetch?.bind(globalThis);
  const clock = globals.performance;
  return {
    canSetHeaders: false,
    openSocket: (request, handlers) => openSocket(Socket, request, handlers),
    setTimer: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)),
    clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    now: clock !== undefined ? () => clock.now() : () => Date.now(),
    wallClock: () => Date.now(),
    random: () => Math.random(),
    async request(request: HttpRequest): Promise<HttpResponse> {
      if (fetchFn === undefined) throw new EventsError('invalid-config', 'this runtime has no global fetch: pass one as the fetch option');
      // Core aborts the signal when it no longer wants the answer: a page has 6 connections per
      // host, and lists a closed tree left hanging would make the next tree's wait behind them.
      const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
      if (controller !== undefined) followSignal(request.signal, controller);
      // Not a literal: `signal` is left out of FetchFunction's type, which names no DOM type.
      const init = {
        method: request.method,
        headers: { ...request.headers },
        ...(request.body !== undefined ? { body: request.body } : {}),
        // A re-list after a resync must see the server's state now, never an HTTP cache's.
        cache: 'no-store' as const,
        ...(controller !== undefined ? { signal: controller.signal } : {}),
      };
      const response = await fetchFn(request.url, init);
      const headers: Record<string, string> = {};
      response.headers.forEach((value, key) => {
        headers[key.toLowerCase()] = value;
      });
      let body: string;
      try {
        // Core refuses a text() past the cap too, once read: only a stream can stop early.
        // A decoder of its own: `stream` keeps state between chunks, and requests run side by side.
        body = response.body !== undefined && response.body !== null ? await readCappedBody(response.body, request, new TextDecoder()) : await response.text();
      } catch (error) {
        controller?.abort(); // past the cap, or a failed read: the connection goes, not left to stream on
        throw error;
      }
      return { status: response.status, headers, body };
    },
  };
}

/** Aborts `controller` (a standard one: fetch takes no other kind) when core's signal aborts. */
function followSignal(signal: AbortSignalLike | undefined, controller: AbortController): void {
  if (signal === undefined) return;
  if (signal.aborted) controller.abort();
  else signal.addEventListener('abort', () => controller.abort(), { once: true });
}

function openSocket(Socket: WebSocketConstructor, request: SocketRequest, handlers: SocketHandlers): SocketHandle {
  // request.headers is ignored: a browser cannot send them, and with canSetHeaders false core has
  // put the credentials in the query instead. A constructor that throws (a bad URL, ws:// from an
  // https page, Deno without --allow-net) stops the stream in core: no retry would pass.
  const socket = new Socket(request.url, [...request.protocols]);
  // A Blob (the default) could only be read asynchronously, out of order with the text frames.
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => handlers.onOpen(socket.protocol === '' ? null : socket.protocol);
  socket.onmessage = (event: { readonly data: unknown }) => {
    const data = event.data;
    if (typeof data === 'string') handlers.onMessage(data);
    // Binary frames too, read as UTF-8 text: core reads them as the official SDKs did (see SocketHandlers.onMessage).
    else if (data instanceof ArrayBuffer) handlers.onMessage(utf8.decode(data));
  };
  socket.onerror = (event: { readonly message?: unknown }) => {
    // Browsers give an error event no detail, and a refused upgrade shows only as close 1006.
    // `ws` (injected on Node 20) says more, and deviates from the standard in one way we undo:
    const message = typeof event.message === 'string' ? event.message : 'WebSocket error';
    const refused = /^Unexpected server response: (\d{3})$/.exec(message);
    if (refused !== null) handlers.onHandshakeFailed(Number(refused[1]), undefined);
    // ws fails a handshake whose answer ignores our subprotocol offer (a plain Docker Cloud
    // server's), where the standard opens with protocol '': core then connects without the offer.
    else if (message === 'Server sent no subprotocol' && request.protocols.length > 0) handlers.onSubprotocolRefused();
    handlers.onError(message);
  };
  socket.onclose = (event: { readonly code: number; readonly reason: string }) => handlers.onClose(event.code, event.reason);
  const close = (code: number, reason: string) => {
    try {
      socket.close(clientCloseCode(code), truncateUtf8(reason, 123));
    } catch {
      // Already closing, or a runtime that rejects the arguments anyway: the socket is done either way.
    }
  };
  return {
    close,
    terminate() {
      // The standard API has no terminate; `ws` (injected on Node 20) does, and without it a dead
      // peer would hold the socket until ws's 30 s closing-handshake timeout.
      const terminate = (socket as { terminate?: unknown }).terminate;
      if (typeof terminate === 'function') terminate.call(socket);
      else close(1000, 'connection presumed dead');
    },
  };
}

const utf8 = new TextDecoder();

/** Browsers throw for any client close code but 1000 and 3000-4999. */
function clientCloseCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}

/** A close reason may be at most 123 UTF-8 bytes, or close() throws. */
function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = encoder.encode(char).length;
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}
