import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { describeValue, EventsError, MAX_TIMER_MS, toEventsError } from '@events/core';
import { createAuthenticator } from './authenticate-request.js';
import {
  checkOptions,
  type NumberRule,
  OPTION_RULES,
  type OptionSchema,
  optionalNumber,
  optionalOfType,
  optionalWithMethods,
  required,
} from './check-options.js';
import type { EventBus } from './event-bus.js';
import { createFanOut } from './fan-out.js';
import { createHttpServer } from './create-http-server.js';
import { afterAnswersAhead, ignoreUpgrade } from './ignore-upgrade.js';
import { createLogger, type Logger } from './logger.js';
import { createLoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { createMemoryEventBus, type RetentionOptions } from './memory-event-bus.js';
import { createMetrics, type Metrics } from './metrics.js';
import { allowedMethods, optionsAnswer } from './method-not-allowed.js';
import { quoteValue } from './quote-value.js';
import { CORS_HEADERS, createRestHandler, DEFAULT_MAX_BODY_BYTES, declaresBodyOver } from './rest-api.js';
import { retainTerminatedObjects } from './retain-terminated-objects.js';
import type { CloudSource } from './source.js';
import { answerOtherMethods, createStreamEndpoint, hasStreamPathAfterPrefix, streamNotFoundDetail, writeJson, writeRawResponse } from './stream-endpoint.js';
import { createTrustedProxies } from './trusted-proxies.js';
import { checkUserConfigs, createUserDirectory, type UserConfig } from './user-directory.js';
import { offersWebSocket } from './websocket-handshake.js';

export interface EventsServerOptions {
  readonly source: CloudSource;
  readonly users: readonly UserConfig[];
  /** Default 127.0.0.1: exposing the server is a decision, not a default. */
  readonly host?: string;
  /** 0 picks a free port. Default 0. */
  readonly port?: number;
  /** How many events, and for how long, are kept per namespace for resume. */
  readonly retention?: RetentionOptions;
  /** Extended protocol: the longest an idle connection goes without a position marker. Default 15 s. */
  readonly heartbeatMs?: number;
  /**
   * Every this often, every connection is pinged, and one that sent nothing (pong, ping or frame)
   * since the round before's ping is dropped: a dead connection goes within two intervals of its
   * last frame. Default 30 s.
   */
  readonly pingIntervalMs?: number;
  /**
   * How long an object stays readable at its resource_uri after its `delete` event (state
   * `Terminated`), as Docker Cloud's API kept them; lists drop it at once. Default 1 hour; 0 keeps none.
   */
  readonly terminatedRetentionMs?: number;
  /** Most bytes that may wait for one client before it is closed as slow (4008). Default 1 MiB. */
  readonly byteBudget?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Login throttling per client address. Default: 10 failures in a minute lock it out for a minute. */
  readonly loginThrottle?: Omit<LoginThrottleOptions, 'now'>;
  /**
   * The reverse proxies in front of the server, as IPv4/IPv6 addresses, CIDR ranges and the
   * named ranges `loopback`, `linklocal` and `uniquelocal`, as Express names them
   * (`['loopback', '10.0.0.2', 'fd00::/8']`). A request from one of them is the client's its
   * `X-Forwarded-For` names, walked from the right past the trusted ones, for the login throttle
   * and the logs; from any other address the header is ignored. Default none: every client is
   * the address it connects from. Trust only the proxies' addresses: a client inside a trusted
   * range can name any address it likes.
   */
  readonly trustedProxies?: readonly string[];
  /** A request whose headers have not all arrived after this long gets 408. Default 10 s. */
  readonly headersTimeoutMs?: number;
  /** How long a closing WebSocket may take to answer the close frame. Default 5 s. */
  readonly closeTimeoutMs?: number;
}

/**
 * A running server.
 *
 * @example
 * const server = await createEventsServer({ source, users: [{ username: 'alice', apikey: 'secret-key' }] });
 * console.log(server.url); // http://127.0.0.1:41234
 * await server.close();
 */
export interface EventsServer {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly bus: EventBus;
  readonly metrics: Metrics;
  /** Open stream connections. */
  readonly connections: number;
  /** Closes the stream connections with 1001, stops the source and closes the HTTP server. */
  close(): Promise<void>;
}

const MAX_URL_LENGTH = 8 * 1024;
const DEFAULTS = { host: '127.0.0.1', port: 0, heartbeatMs: 15_000, pingIntervalMs: 30_000, byteBudget: 1024 * 1024 } as const;

/** An interval or timeout: positive, and within what Node's timers take. */
const TIMER_MS: NumberRule = { min: 0, exclusiveMin: true, max: MAX_TIMER_MS, whole: false, unit: 'milliseconds' };
const SOURCE = 'a CloudSource such as createSimulatedCloud({ seed, rate, namespaces }) or createDockerSource({ namespace })';
const SOURCE_METHODS = ['start', 'stop', 'list', 'get', 'operate', 'health'];
const USERS = 'an array of users such as [{ username: "alice", apikey: "...", namespaces: ["acme"] }]';

/** Every option createEventsServer takes, by the rules `events-server` checks its flags with. */
const SERVER_OPTIONS: OptionSchema = {
  source: required((value) => {
    const problem = optionalWithMethods(SOURCE_METHODS, SOURCE)(value);
    if (problem !== undefined) return problem;
    const name = (value as { name?: unknown }).name;
    return typeof name === 'string' ? undefined : `must be ${SOURCE}, got one whose name is ${describeValue(name)} (a CloudSource names itself: "simulator", "docker")`;
  }, SOURCE),
  // Checked in full by checkUserConfigs, by the rules of the --users file.
  users: required(() => undefined, USERS),
  host: (value) => (value === undefined || (typeof value === 'string' && value !== '') ? undefined : `must be an address to listen on such as "127.0.0.1" or "0.0.0.0", got ${describeValue(value)}`),
  port: optionalNumber(OPTION_RULES.port),
  retention: {
    nested: { count: optionalNumber(OPTION_RULES.retentionCount), ageMs: optionalNumber(OPTION_RULES.retentionAgeMs) },
    nearMisses: { age: 'ageMs', maxAge: 'ageMs', max: 'count', size: 'count' },
  },
  heartbeatMs: optionalNumber(TIMER_MS),
  pingIntervalMs: optionalNumber(TIMER_MS),
  terminatedRetentionMs: optionalNumber(OPTION_RULES.retentionAgeMs),
  byteBudget: optionalNumber({ min: 0, exclusiveMin: true, max: Number.POSITIVE_INFINITY, whole: false, unit: 'bytes' }),
  logger: optionalWithMethods(['debug', 'info', 'warn', 'error', 'child'], 'a Logger (debug, info, warn, error, child) such as createLogger({ level }) or silentLogger'),
  now: optionalOfType('function', 'a function returning the time in milliseconds, such as Date.now'),
  loginThrottle: {
    nested: {
      maxFailures: optionalNumber({ min: 1, max: Number.POSITIVE_INFINITY, whole: true, unit: 'failed logins' }),
      windowMs: optionalNumber({ ...OPTION_RULES.retentionAgeMs, exclusiveMin: true }),
      lockoutMs: optionalNumber(OPTION_RULES.retentionAgeMs),
      maxTracked: optionalNumber({ min: 1, max: Number.POSITIVE_INFINITY, whole: true, unit: 'addresses' }),
    },
  },
  headersTimeoutMs: optionalNumber(TIMER_MS),
  closeTimeoutMs: optionalNumber({ ...TIMER_MS, exclusiveMin: false }),
  // Each entry is checked by createTrustedProxies, which names it: trustedProxies[1] must be ….
  trustedProxies: (value) =>
    value === undefined || Array.isArray(value)
      ? undefined
      : `must be an array of IPv4 or IPv6 addresses, CIDR ranges and named ranges such as ["loopback", "10.0.0.2", "fd00::/8"], got ${describeValue(value)}${typeof value === 'string' ? ' (write it in [ ])' : ''}`,
};

/** Names people write for the server's options. */
const SERVER_NEAR_MISSES: Readonly<Record<string, string>> = {
  hostname: 'host',
  address: 'host',
  bind: 'host',
  interface: 'host',
  listen: 'port',
  user: 'users',
  log: 'logger',
  clock: 'now',
  cloud: 'source',
  simulator: 'source',
  // Express's and other servers' words for it.
  trustproxy: 'trustedProxies',
  proxies: 'trustedProxies',
};

/**
 * Starts the Docker Cloud event stream and REST API over `source`: `/api/audit/v1/.../events/`
 * (WebSocket), every other `/api/...` path (REST), `/healthz` and `/metrics` (Prometheus).
 * Rejects with EventsError `invalid-config` for bad options (an unknown one, with "did you
 * mean"; `users` by the rules of the `--users` file) or a port already in use.
 */
export async function createEventsServer(options: EventsServerOptions): Promise<EventsServer> {
  checkOptions(options, SERVER_OPTIONS, {
    what: 'createEventsServer',
    expected: 'an object such as { source: createSimulatedCloud({ seed, rate, namespaces }), users: [{ username, apikey }] }',
    nearMisses: SERVER_NEAR_MISSES,
  });
  const users = checkUserConfigs(options.users);
  const proxies = createTrustedProxies(options.trustedProxies ?? []);
  const host = options.host ?? DEFAULTS.host;
  const port = options.port ?? DEFAULTS.port;
  const heartbeatMs = options.heartbeatMs ?? DEFAULTS.heartbeatMs;
  const pingIntervalMs = options.pingIntervalMs ?? DEFAULTS.pingIntervalMs;
  const byteBudget = options.byteBudget ?? DEFAULTS.byteBudget;
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;

  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger();
  const metrics = createMetrics({ now, source: options.source });
  const directory = createUserDirectory(users);
  const bus = createMemoryEventBus({
    ...(options.retention !== undefined ? { retention: options.retention } : {}),
    now,
    onListenerError: (error, namespace) => logger.error('event delivery failed', { namespace, error }),
  });
  const fanOut = createFanOut({ bus, metrics, logger });
  const throttle = createLoginThrottle({ ...options.loginThrottle, now });
  const { clientAddress } = proxies;
  const authenticator = createAuthenticator({ directory, throttle, metrics, logger, clientAddress });
  const endpoint = createStreamEndpoint({
    directory,
    authenticator,
    fanOut,
    metrics,
    logger,
    heartbeatMs,
    pingIntervalMs,
    byteBudget,
    clientAddress,
    ...(options.closeTimeoutMs !== undefined ? { closeTimeoutMs: options.closeTimeoutMs } : {}),
  });
  const source = retainTerminatedObjects(options.source, {
    ...(options.terminatedRetentionMs !== undefined ? { retentionMs: options.terminatedRetentionMs } : {}),
    now,
  });
  const rest = createRestHandler({ source, directory, authenticator, bus, logger, clientAddress });

  const health = () => {
    const sourceHealth = source.health();
    return {
      status: sourceHealth.ok ? 'ok' : 'degraded',
      source: { name: source.name, ok: sourceHealth.ok, detail: sourceHealth.detail },
      connections: endpoint.connections,
    };
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    // RFC 9112 §3.2: a 400, which Node would give without a body (create-http-server.ts).
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      return writeJson(res, 400, { Connection: 'close' }, { detail: 'Missing Host header: an HTTP/1.1 request names the host it is for.' });
    }
    if (req.url === '*') return answerAsteriskTarget(req, res);
    const url = requestUrl(req.url);
    if (url === 'too-long') {
      // To the REST API, with its CORS grant: without it, a page on another origin sees a network
      // error, which a client retries, instead of a 414, which it does not.
      const cors = /^\/+api\//.test(req.url ?? '') ? CORS_HEADERS : {};
      return writeJson(res, 414, { ...cors, 'Cache-Control': 'no-store' }, { detail: `Request URI longer than ${MAX_URL_LENGTH} bytes.` });
    }
    if (url === undefined) return writeJson(res, 400, {}, { detail: 'Malformed request target.' });
    try {
      if (endpoint.matches(url)) return endpoint.handleRequest(req, res, url);
      // The stream's URL used as a host, asked for without an upgrade (curl, a browser): the same hint.
      if (hasStreamPathAfterPrefix(url.pathname)) return writeJson(res, 404, {}, { detail: streamNotFoundDetail(url.pathname) });
      if (url.pathname === '/healthz' || url.pathname === '/metrics') {
        // Read-only, as the REST API's lists are: OPTIONS and any other method are answered the
        // same way. No CORS grant: they take no key, and `*` would let any web page a user opens
        // read a local server's health and metrics.
        if (answerOtherMethods(req, res, ['GET', 'HEAD'])) return;
      }
      if (url.pathname === '/healthz') {
        const body = health();
        return writeJson(res, body.status === 'ok' ? 200 : 503, { 'Cache-Control': 'no-store' }, body);
      }
      if (url.pathname === '/metrics') {
        const text = metrics.render();
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
        return res.end(text);
      }
      if (url.pathname.startsWith('/api/')) return rest(req, res, url);
      return writeJson(res, 404, {}, { detail: 'Not found.' });
    } catch (error) {
      logger.error('request failed', { method: req.method, path: url.pathname, error });
      if (!res.headersSent) writeJson(res, 500, {}, { detail: 'Internal server error.' });
      else res.destroy();
    }
  };

  /** Sockets whose upgrade request waits for the answers before it: closeAllConnections() misses them. */
  const handingOver = new Set<Duplex>();
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Only WebSocket upgrades are done. Any other (`Upgrade: h2c` from `curl --http2`) is ignored,
    // as HTTP/1.1 allows: the request gets the answer it would get without the header, on any path.
    if (!offersWebSocket(req.headers.upgrade)) return ignoreUpgrade(server, req, socket, head, { waiting: handingOver });
    // A handshake pipelined behind a request is answered after it, as any pipelined request: its
    // 101 or refusal written now would go out before that answer, which would then be lost or
    // land inside the WebSocket stream.
    afterAnswersAhead(socket, { waiting: handingOver }, () => onWebSocketUpgrade(req, socket, head));
  };
  const onWebSocketUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node's listeners are gone: a reset while a refusal goes out must not go unhandled.
    socket.on('error', () => socket.destroy());
    const url = requestUrl(req.url);
    if (url === 'too-long') return writeRawResponse(socket, 414, {}, { detail: `Request URI longer than ${MAX_URL_LENGTH} bytes.` });
    if (url === undefined) return writeRawResponse(socket, 400, {}, { detail: 'Malformed request target.' });
    // A WebSocket client at another path: the 404 says where the stream is.
    if (!endpoint.matches(url)) return writeRawResponse(socket, 404, {}, { detail: streamNotFoundDetail(url.pathname) });
    try {
      endpoint.handleUpgrade(req, socket, head, url);
    } catch (error) {
      logger.error('upgrade failed', { path: url.pathname, error });
      writeRawResponse(socket, 500, {}, { detail: 'Internal server error.' });
    }
  };

  const server = createHttpServer({ headersTimeoutMs });
  server.on('request', onRequest);
  // Node answers "100 Continue" by itself unless this is listened to: a body the REST API will
  // refuse for its declared size is then not invited, and a client that waits is not made to send
  // it. Node closes the connection after an answer to a request it did not invite (the body, which
  // its parser waits for, will not come), whatever that answer is.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!declaresBodyOver(req, DEFAULT_MAX_BODY_BYTES)) res.writeContinue();
    onRequest(req, res);
  });
  // A tunnel request, as sent to a proxy (a client whose HTTPS_PROXY points here): Node, with no
  // listener, dropped the connection without a word.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    writeRawResponse(socket, 405, { Allow: allowedMethods(SERVER_METHODS).join(', ') }, { detail: 'Method "CONNECT" not allowed: this server is not a proxy.' });
  });
  // Any expectation but 100-continue: Node's own 417 has no body.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    writeJson(res, 417, {}, { detail: `Expectation ${quoteValue(req.headers.expect ?? '')} not supported: the only one is 100-continue.` });
  });
  server.on('upgrade', onUpgrade);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // An answer already on its way (a later pipelined request failed to parse) must not be corrupted.
    const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (error.code === 'ECONNRESET' || !socket.writable || answering) {
      socket.destroy();
      return;
    }
    const [status, detail] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request header fields too large.']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request timeout: the request headers did not arrive in time.']
          : [400, 'Bad request.'];
    writeRawResponse(socket, status, {}, { detail });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') reject(new EventsError('invalid-config', `port ${port} on ${host} is already in use`, { cause: error }));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND')
        reject(new EventsError('invalid-config', `cannot listen on ${host}: ${error.message}`, { cause: error }));
      else reject(toEventsError(error, 'invalid-config'));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  }).catch(async (error: unknown) => {
    await endpoint.close(0);
    fanOut.close();
    throw error;
  });
  server.on('error', (error) => logger.error('http server error', { error }));

  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  try {
    await source.start(({ namespace, event }) => {
      metrics.eventsIn(1);
      bus.publish(namespace, event);
    });
  } catch (error) {
    await endpoint.close(0);
    fanOut.close();
    await closeHttp(server, handingOver);
    throw toEventsError(error);
  }
  logger.info('events server listening', {
    url: `http://${urlHost}:${address.port}`,
    source: source.name,
    ...(proxies.entries.length > 0 ? { trustedProxies: proxies.entries } : {}),
  });

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    host: address.address,
    port: address.port,
    bus,
    metrics,
    get connections() {
      return endpoint.connections;
    },
    close() {
      closing ??= (async () => {
        const httpClosed = closeHttp(server, handingOver);
        await endpoint.close();
        fanOut.close();
        try {
          await source.stop();
        } catch (error) {
          logger.error('source failed to stop', { error });
        }
        await httpClosed;
        logger.info('events server closed');
      })();
      return closing;
    },
  };
}

/**
 * Stops accepting, closes idle keep-alive sockets at once and the rest once their answer is out.
 * `handingOver`: sockets Node does not track at the moment (ignore-upgrade.ts), closed with the rest.
 */
function closeHttp(server: Server, handingOver: ReadonlySet<Duplex>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // A REST request still running gets a moment; then its socket goes too.
    setTimeout(() => {
      server.closeAllConnections();
      for (const socket of handingOver) socket.destroy();
    }, 1_000).unref();
  });
}

/** Every method some resource of the server answers besides OPTIONS (optionsAnswer adds it). */
const SERVER_METHODS = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'];

/**
 * A request for `*`, which asks about the server as a whole and which only OPTIONS may make
 * (RFC 9110, 9.3.7): 204 with every method in `Allow`; any other method gets a 400 that says so.
 */
function answerAsteriskTarget(req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? '';
  if (method !== 'OPTIONS') {
    writeJson(res, 400, {}, { detail: `Method ${quoteValue(method)} needs a path: the request target "*" is for OPTIONS only.` });
    return;
  }
  const answer = optionsAnswer(SERVER_METHODS);
  res.writeHead(answer.status, answer.headers);
  res.end();
}

/**
 * The request target as a URL on a fixed origin. Runs of slashes collapse: the Go SDK builds
 * `DOCKERCLOUD_STREAM_HOST + "/api/..."`, so a host ending in `/` gives `//api/...`, which `new
 * URL(target, base)` would read as a protocol-relative URL whose host is "api".
 */
export function requestUrl(target: string | undefined): URL | 'too-long' | undefined {
  if (target === undefined) return undefined;
  if (target.length > MAX_URL_LENGTH) return 'too-long';
  let rest = target;
  // Absolute-form targets (`GET http://host/path`), as sent to proxies.
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(rest);
  if (absolute !== null) rest = rest.slice(absolute[0].length) || '/';
  if (!rest.startsWith('/')) return undefined;
  const end = rest.search(/[?#]/);
  const path = (end === -1 ? rest : rest.slice(0, end)).replace(/\/{2,}/g, '/');
  try {
    return new URL(`http://localhost${path}${end === -1 ? '' : rest.slice(end)}`);
  } catch {
    return undefined;
  }
}

