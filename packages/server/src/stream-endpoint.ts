import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  type EventFilter,
  formatErrorFrame,
  type HelloFrame,
  parsePosition,
  type PositionFrame,
  RESUME_QUERY_KEY,
  RESUME_SUBPROTOCOL,
  type ResumeOutcome,
  type StreamPosition,
} from '@events/core';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Authenticator, authFailureHeaders, peerAddress } from './authenticate-request.js';
import type { FanOut, Subscription } from './fan-out.js';
import type { Logger } from './logger.js';
import { methodNotAllowed, optionsAnswer } from './method-not-allowed.js';
import type { Metrics } from './metrics.js';
import { createFlushScheduler, createOutboundQueue, type OutboundQueue } from './outbound-queue.js';
import { quoteValue, shortenQuotedValues } from './quote-value.js';
import { parseStreamFilter } from './stream-filter.js';
import type { User, UserDirectory } from './user-directory.js';
import { checkWebSocketHandshake } from './websocket-handshake.js';

export interface StreamEndpointOptions {
  readonly directory: UserDirectory;
  readonly authenticator: Authenticator;
  readonly fanOut: FanOut;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Extended protocol: a position marker is sent at least this often to an idle connection. */
  readonly heartbeatMs: number;
  /**
   * Every this often each connection is pinged, and one that sent nothing (pong, ping or frame)
   * since the previous round's ping is dropped: a dead connection goes within two intervals.
   */
  readonly pingIntervalMs: number;
  /** Most bytes that may wait for one client before it is closed as a slow consumer (4008). */
  readonly byteBudget: number;
  /** How long a closing connection may take to answer the close frame before its socket is destroyed. */
  readonly closeTimeoutMs?: number;
  /** Largest frame a client may send (they have no reason to send any). Default 64 KiB. */
  readonly maxClientPayload?: number;
  /** The client address the logs name (the authenticator's). Default: the peer's. */
  readonly clientAddress?: (req: IncomingMessage) => string;
}

/**
 * The event stream (protocol.md §2–6, extended protocol in docs/extended-protocol.md):
 * `GET /api/audit/v1[/{namespace}]/events[/]` upgraded to a WebSocket.
 *
 * @example
 * const endpoint = createStreamEndpoint({ directory, authenticator, fanOut, metrics, logger, heartbeatMs: 15_000, pingIntervalMs: 30_000, byteBudget: 1 << 20 });
 * server.on('upgrade', (req, socket, head) => { const url = ...; if (endpoint.matches(url)) endpoint.handleUpgrade(req, socket, head, url); });
 */
export interface StreamEndpoint {
  /** Whether `url` is a stream path. */
  matches(url: URL): boolean;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
  /** A stream path requested without an upgrade: 426 (GET/HEAD), 204 (OPTIONS) or 405. */
  handleRequest(req: IncomingMessage, res: ServerResponse, url: URL): void;
  readonly connections: number;
  /** Closes every connection with 1001 (going away) and waits for them, at most `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

/** The methods the stream path answers over plain HTTP (with 426): a HEAD as a GET. */
const STREAM_METHODS: readonly string[] = ['GET', 'HEAD'];
const STREAM_PATH = /^\/api\/audit\/v1\/(?:([^/]+)\/)?events\/?$/;
/** A stream path anywhere in a path (ending at a `/` or the end, which the lookahead leaves for the next match). */
const STREAM_PATH_ANYWHERE = /\/api\/audit\/v1\/(?:[^/]+\/)?events(?=\/|$)/g;

/**
 * Whether `pathname` holds the stream's path after something else: `/api/audit/v1/events/` twice
 * (a client given the printed stream URL as its host appends the path again) or behind a prefix
 * (`/proxy/api/audit/v1/events/`, a proxy that passed its own path on).
 *
 * @example
 * hasStreamPathAfterPrefix('/api/audit/v1/events/api/audit/v1/events/') // true
 * hasStreamPathAfterPrefix('/api/audit/v1/evnts/')                      // false
 */
export function hasStreamPathAfterPrefix(pathname: string): boolean {
  for (const match of pathname.matchAll(STREAM_PATH_ANYWHERE)) if (match.index > 0) return true;
  return false;
}

/**
 * The `detail` of the 404 for a path that is not the stream's: the path asked for (cut as every
 * echoed value is), where the stream is, and, when the path holds the stream's path after a
 * prefix, that the stream host should be the server's root: a user who pastes the printed
 * "Event stream:" URL as DOCKERCLOUD_STREAM_HOST otherwise learns only "Not found.".
 *
 * @example
 * streamNotFoundDetail('/api/audit/v1/evnts/')
 * // 'Not found: no event stream at "/api/audit/v1/evnts/"; the event stream is at /api/audit/v1/[namespace/]events/.'
 */
export function streamNotFoundDetail(pathname: string): string {
  const detail = `Not found: no event stream at ${quoteValue(pathname)}; the event stream is at /api/audit/v1/[namespace/]events/.`;
  if (!hasStreamPathAfterPrefix(pathname)) return detail;
  return `${detail} The path holds the stream's path after a prefix: the stream host (DOCKERCLOUD_STREAM_HOST) should be the server's root, ws://HOST:PORT/, not the stream's URL; clients add /api/audit/v1/events/ themselves.`;
}

/** Why a connection is refused, with both the HTTP status (plain clients) and the close code (extended ones). */
interface Refusal {
  readonly status: 400 | 401 | 403 | 429;
  readonly closeCode: number;
  readonly detail: string;
  readonly headers?: Record<string, string>;
  readonly retryAfterMs?: number;
}

interface Accepted {
  readonly user: User;
  readonly namespace: string;
  readonly filter: EventFilter;
  readonly resumeFrom: StreamPosition | undefined;
}

interface Connection {
  readonly ws: WebSocket;
  readonly extended: boolean;
  readonly queue: OutboundQueue;
  sub: Subscription | undefined;
  /** A frame was queued since the last heartbeat tick (the connection is not idle). */
  sentSinceTick: boolean;
  /** A frame (data, ping or pong) arrived since the last ping round. */
  heardFrom: boolean;
  /** The last ping round pinged this connection: it must be heard from by the next one. */
  pinged: boolean;
  closing: boolean;
}

const SLOW_CONSUMER_RETRY_MS = 5_000;
/** How often a paced replay looks again at a client whose socket will not signal "drain". */
const REPLAY_RECHECK_MS = 10;
const OPEN = 1;

export function createStreamEndpoint(options: StreamEndpointOptions): StreamEndpoint {
  const { directory, authenticator, fanOut, metrics, logger, heartbeatMs, pingIntervalMs, byteBudget } = options;
  const clientAddress = options.clientAddress ?? peerAddress;
  const scheduler = createFlushScheduler();
  const connections = new Set<Connection>();
  const wsOptions = {
    noServer: true,
    // Events are small and a zlib context costs ~256 KB per connection: leave compression off.
    perMessageDeflate: false,
    maxPayload: options.maxClientPayload ?? 64 * 1024,
    // A ws option @types/ws does not list yet: destroy a socket that does not answer our close
    // frame in time (a slow consumer that stopped reading), instead of after ws's default 30 s.
    closeTimeout: options.closeTimeoutMs ?? 5_000,
    // ws would otherwise pick the first protocol a client offers, whatever it is.
    handleProtocols: (protocols: Set<string>) => (protocols.has(RESUME_SUBPROTOCOL) ? RESUME_SUBPROTOCOL : false),
  };
  const wss = new WebSocketServer(wsOptions);
  // checkWebSocketHandshake refuses, with JSON, every handshake ws would refuse: this is the net
  // for one it missed (a newer ws checking more), so that even then the answer is JSON, not
  // ws's text/html.
  wss.on('wsClientError', (error: Error, socket: Duplex) => {
    logger.warn('ws refused a handshake that passed our checks', { error });
    const method = /method/i.test(error.message);
    writeRawResponse(socket, method ? 405 : 400, method ? { Allow: 'GET' } : {}, { detail: sentence(`Invalid WebSocket handshake: ${error.message}`) });
  });
  /** Set by close(): later handshakes are refused with 503 (ws would answer them with text/html). */
  let shuttingDown = false;

  const send = (conn: Connection, frame: string): boolean => {
    const queued = conn.queue.enqueue(Buffer.from(frame));
    if (queued) conn.sentSinceTick = true;
    return queued;
  };

  /** Sends an error frame right away (bypassing the queue, which may be full) and closes. */
  const closeWithError = (ws: WebSocket, extended: boolean, code: number, message: string, retryAfterMs?: number) => {
    if (ws.readyState !== OPEN) return;
    const extra = extended ? { code, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } : undefined;
    ws.send(formatErrorFrame(message, extra));
    // The close reason is limited to 123 bytes (ws throws beyond); the error frame has it all.
    ws.close(code, truncateUtf8(message, 123));
  };

  const slowConsumer = (conn: Connection) => {
    if (conn.closing) return;
    conn.closing = true;
    metrics.slowConsumerClosed();
    metrics.framesDropped(conn.queue.close());
    conn.sub?.unsubscribe();
    logger.warn('closing slow consumer', { budget: byteBudget });
    closeWithError(
      conn.ws,
      conn.extended,
      CloseCode.slowConsumer,
      `Slow consumer: more than ${byteBudget} bytes waited for this connection; reconnect and read faster.`,
      SLOW_CONSUMER_RETRY_MS,
    );
  };

  const open = (ws: WebSocket, raw: Duplex, accepted: Accepted, extended: boolean, remote: string) => {
    const protocol = extended ? 'extended' : 'plain';
    const conn: Connection = {
      ws,
      extended,
      queue: createOutboundQueue({
        socket: ws,
        raw: raw as Duplex & { cork(): void; uncork(): void },
        byteBudget,
        scheduler,
        metrics,
        onOverflow: () => slowConsumer(conn),
      }),
      sub: undefined,
      sentSinceTick: false,
      heardFrom: false,
      pinged: false,
      closing: false,
    };
    connections.add(conn);
    metrics.connectionOpened(protocol);
    const log = logger.child({ remote, user: accepted.user.username, namespace: accepted.namespace, protocol });
    log.debug('stream opened');

    const heard = () => {
      conn.heardFrom = true;
    };
    ws.on('pong', heard);
    ws.on('ping', heard); // ws answers pings itself, at once
    // Clients have nothing to say on this stream: data frames are ignored (counted), not fatal,
    // so chatty browser libraries that send text keepalives keep working.
    ws.on('message', () => {
      heard();
      metrics.clientFrameIgnored();
    });
    ws.on('error', (error) => log.debug('stream socket error', { error }));
    ws.on('close', (code) => {
      connections.delete(conn);
      conn.closing = true;
      conn.queue.close();
      conn.sub?.unsubscribe();
      metrics.connectionClosed(protocol);
      log.debug('stream closed', { code });
    });

    conn.sub = fanOut.subscribe({
      namespace: accepted.namespace,
      filter: accepted.filter,
      variant: protocol,
      ...(accepted.resumeFrom !== undefined ? { resumeFrom: accepted.resumeFrom } : {}),
      sink: {
        enqueue: (frame) => {
          const queued = conn.queue.enqueue(frame);
          if (queued) conn.sentSinceTick = true;
          return queued;
        },
        get pendingBytes() {
          return conn.queue.pendingBytes;
        },
        byteBudget,
        whenWritable: (then) => {
          conn.queue.flush();
          const socket = raw as Duplex & { writableNeedDrain?: boolean };
          if (socket.writableNeedDrain) socket.once('drain', then);
          // Still over half the budget, yet under the socket's high-water mark: no 'drain' will
          // come (a budget under twice the mark), so look again shortly, not on every turn of
          // the event loop, which spun a core for as long as the client read nothing.
          else if (conn.queue.pendingBytes > byteBudget / 2) setTimeout(then, REPLAY_RECHECK_MS);
          else setImmediate(then);
        },
        overflow: () => slowConsumer(conn),
      },
      onStart: (outcome: ResumeOutcome, position: StreamPosition) => {
        if (!extended) return;
        metrics.resume(outcome);
        const hello: HelloFrame = { type: 'hello', resume: outcome, position, heartbeatMs };
        send(conn, JSON.stringify(hello));
      },
      // When fresh this runs inside subscribe, before conn.sub is set: hence the position argument.
      onLive: (position) => {
        if (extended) sendMarker(conn, position);
      },
      onError: () => {
        conn.closing = true;
        closeWithError(ws, extended, CloseCode.internalError, 'The event stream failed; reconnect.');
      },
    });
    // The connection may have closed while subscribing (an immediate overflow).
    if (conn.closing) conn.sub.unsubscribe();
  };

  const sendMarker = (conn: Connection, position = conn.sub?.position()) => {
    if (position === undefined || conn.closing) return;
    const marker: PositionFrame = { type: 'position', position };
    send(conn, JSON.stringify(marker));
  };

  const heartbeat = setInterval(
    () => {
      // Ticking at half the period keeps the gap between two frames at most heartbeatMs. A marker
      // sent now counts as sent for the next tick, which then sends none: an idle connection gets
      // one every heartbeatMs, not every tick.
      for (const conn of connections) {
        const quiet = !conn.sentSinceTick;
        conn.sentSinceTick = false;
        if (conn.extended && quiet) sendMarker(conn);
      }
    },
    Math.max(1, Math.floor(heartbeatMs / 2)),
  );
  heartbeat.unref();

  // Every round pings every connection, also one heard from since the last round: skipping it
  // (as this once did) let a client that answered a ping and then died live through a round
  // unpinged, to be dropped only three rounds after its last frame. Pinging each round, a dead
  // connection is dropped at most two rounds after its last frame, as documented; the price is
  // one 2-byte frame per connection and round.
  const pinger = setInterval(() => {
    for (const conn of connections) {
      if (conn.pinged && !conn.heardFrom) {
        logger.debug('terminating a connection that missed its pong');
        conn.ws.terminate();
        continue;
      }
      conn.heardFrom = false;
      conn.pinged = false;
      if (conn.ws.readyState === OPEN) {
        conn.pinged = true;
        conn.ws.ping();
      }
    }
  }, pingIntervalMs);
  pinger.unref();

  /** Decides whether to accept, before any upgrade, in the order auth → namespace → filter → resume. */
  const check = (req: IncomingMessage, url: URL, pathNamespace: string | null | undefined, extended: boolean): Accepted | Refusal => {
    const auth = authenticator.authenticate(req, url);
    if (!auth.ok) {
      return {
        status: auth.status,
        closeCode: auth.status === 429 ? CloseCode.tooManyLogins : CloseCode.unauthorized,
        detail: auth.detail,
        headers: authFailureHeaders(auth),
        ...(auth.retryAfterMs !== undefined ? { retryAfterMs: auth.retryAfterMs } : {}),
      };
    }
    if (pathNamespace === null) return { status: 400, closeCode: CloseCode.badRequest, detail: 'Malformed percent-encoding in the namespace.' };
    const namespace = pathNamespace ?? auth.user.username;
    if (!directory.canRead(auth.user, namespace)) {
      return { status: 403, closeCode: CloseCode.forbidden, detail: `You do not have permission to read the events of namespace ${quoteValue(namespace)}.` };
    }
    const filter = parseStreamFilter(url.search);
    if (!filter.ok) return { status: 400, closeCode: CloseCode.badRequest, detail: sentence(shortenQuotedValues(filter.error.message)) };
    let resumeFrom: StreamPosition | undefined;
    // Plain clients never see the extension: to them `resume` is an unknown key, ignored.
    const resume = extended ? url.searchParams.get(RESUME_QUERY_KEY) : null;
    if (resume !== null && resume !== '') {
      const position = parsePosition(resume);
      if (!position.ok) return { status: 400, closeCode: CloseCode.badRequest, detail: sentence(shortenQuotedValues(position.error.message)) };
      resumeFrom = position.value;
    }
    return { user: auth.user, namespace, filter: filter.value, resumeFrom };
  };

  return {
    matches: (url) => STREAM_PATH.test(url.pathname),

    handleUpgrade(req, socket, head, url) {
      socket.on('error', () => socket.destroy());
      const remote = clientAddress(req);
      if (shuttingDown) {
        writeRawResponse(socket, 503, { 'Retry-After': '1' }, { detail: 'The server is shutting down; reconnect in a moment.' });
        return;
      }
      const match = STREAM_PATH.exec(url.pathname);
      if (match === null) {
        writeRawResponse(socket, 404, {}, { detail: streamNotFoundDetail(url.pathname) });
        return;
      }
      // A handshake ws would refuse is refused here, as JSON, whoever sends it: it cannot be
      // upgraded, so even an extended client hears it as an HTTP status.
      const handshake = checkWebSocketHandshake(req);
      if (!handshake.ok) {
        writeRawResponse(socket, handshake.status, handshake.headers, { detail: handshake.detail });
        return;
      }
      const extended = handshake.protocols.has(RESUME_SUBPROTOCOL);
      // null: a namespace that does not decode, refused in check() in its turn (and, to an
      // extended client, after the upgrade with 4000, as every other refusal).
      let pathNamespace: string | null | undefined;
      try {
        pathNamespace = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
      } catch {
        pathNamespace = null;
      }
      const verdict = check(req, url, pathNamespace, extended);
      if ('status' in verdict) {
        if (!extended) {
          writeRawResponse(socket, verdict.status, verdict.headers ?? {}, { detail: verdict.detail });
          return;
        }
        // Browsers cannot read the status of a refused upgrade: accept it, then say why and close.
        wss.handleUpgrade(req, socket, head, (ws) => {
          ws.on('error', () => {});
          closeWithError(ws, true, verdict.closeCode, verdict.detail, verdict.retryAfterMs);
        });
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        // ws calls back from inside its own handler: a throw here would be uncaught.
        try {
          open(ws, socket, verdict, extended, remote);
        } catch (error) {
          logger.error('stream setup failed', { error });
          closeWithError(ws, extended, CloseCode.internalError, 'The event stream failed; reconnect.');
        }
      });
    },

    handleRequest(req, res, _url) {
      if (STREAM_METHODS.includes(req.method ?? '')) {
        writeJson(res, 426, { Upgrade: 'websocket', Connection: 'Upgrade' }, {
          detail: 'This is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket).',
        });
        return;
      }
      // As /healthz's: no CORS grant (a browser opens a WebSocket from any origin without one).
      answerOtherMethods(req, res, STREAM_METHODS);
    },

    get connections() {
      return connections.size;
    },

    async close(timeoutMs = 2_000) {
      shuttingDown = true;
      clearInterval(heartbeat);
      clearInterval(pinger);
      const closed = [...connections].map(
        (conn) =>
          new Promise<void>((resolve) => {
            if (conn.ws.readyState === 3) return resolve();
            conn.ws.once('close', () => resolve());
            conn.closing = true;
            conn.queue.flush();
            conn.queue.close();
            conn.ws.close(CloseCode.goingAway, 'server shutting down');
          }),
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([Promise.all(closed), timeout]);
      clearTimeout(timer);
      for (const conn of connections) conn.ws.terminate();
      // Sockets still in their handshake or refusal belong to ws.
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

/** The longest prefix of `text`, cut between characters, whose UTF-8 form fits in `maxBytes`. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

/** Ends with a period, capitalised: the style of Docker Cloud's `detail` strings. */
function sentence(message: string): string {
  const text = message.length === 0 ? message : message[0]!.toUpperCase() + message.slice(1);
  return text.endsWith('.') ? text : `${text}.`;
}

/** An HTTP answer on a socket that was about to be upgraded. */
export function writeRawResponse(socket: Duplex, status: number, headers: Record<string, string>, body: unknown): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}

/**
 * Answers a request whose method a plain-HTTP resource without CORS does not serve: OPTIONS with
 * 204 and `Allow`, any other method outside `methods` with the REST API's 405 (method-not-allowed.ts).
 * Returns whether it answered; when it did not, the method is one of `methods`.
 *
 * @example
 * if (answerOtherMethods(req, res, ['GET', 'HEAD'])) return;
 */
export function answerOtherMethods(req: IncomingMessage, res: ServerResponse, methods: readonly string[]): boolean {
  const method = req.method ?? '';
  if (methods.includes(method)) return false;
  if (method === 'OPTIONS') {
    const options = optionsAnswer(methods);
    res.writeHead(options.status, options.headers);
    res.end();
    return true;
  }
  const refusal = methodNotAllowed(method, methods);
  writeJson(res, refusal.status, { ...refusal.headers, 'Cache-Control': 'no-store' }, { detail: refusal.detail });
  return true;
}

/** A JSON answer `{"detail": ...}` as Docker Cloud's API gave. */
export function writeJson(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
