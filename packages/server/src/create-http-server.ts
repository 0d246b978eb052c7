import { createServer, type Server } from 'node:http';

/**
 * How long an idle keep-alive connection is kept: longer than the idle timeout of the load
 * balancers and proxies put in front of servers like this one (AWS ALB and ingress-nginx's
 * upstream keep-alive: 60 s). Node's default, 5 s, has the server close connections the proxy
 * still holds open: a request it sends on one as it closes is answered 502 by the proxy, and a
 * POST (an operation) is not retried.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface HttpServerOptions {
  /** A request whose headers have not all arrived after this long gets 408 (the whole request gets three times as long). */
  readonly headersTimeoutMs: number;
}

/**
 * The server's `node:http` server, with no listeners yet: the header and request timeouts,
 * idle connections kept past a proxy's idle timeout, half-closed connections answered, and a
 * request without `Host` left to the request listener.
 *
 * A client may write its request and then half-close its side (`shutdown(SHUT_WR)`: HTTP/1.0-style
 * clients, `nc -N`, scripts that signal "that is all" that way): it still reads the answer. By
 * default Node's server takes the client's FIN as the end of the connection: it aborts every
 * request not yet answered and ends the socket, so an answer written later (after a body is read,
 * or anything awaited) is dropped and the client reads an empty reply. `httpAllowHalfOpen` (a
 * property of `http.Server` since Node 0.x; there is no constructor option for it) makes Node
 * finish the answers in flight first and then end the socket, or end it at once when none is.
 *
 * @example
 * const server = createHttpServer({ headersTimeoutMs: 10_000 });
 * server.on('request', (req, res) => setTimeout(() => res.end('late, and still read'), 100));
 */
export function createHttpServer(options: HttpServerOptions): Server {
  const { headersTimeoutMs } = options;
  const server = createServer({
    headersTimeout: headersTimeoutMs,
    requestTimeout: headersTimeoutMs * 3,
    // Node checks the two timeouts above only this often (default 30 s).
    connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs),
    // Node's own 400 for an HTTP/1.1 request without Host has an empty body: the server's
    // request listener refuses it, as JSON (create-events-server.ts).
    requireHostHeader: false,
  });
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // Node 18+ times a request's headers from its first byte, not from the last answer: an idle
  // connection kept this long is not cut by headersTimeout (older Node needed headersTimeout above it).
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  return server;
}
