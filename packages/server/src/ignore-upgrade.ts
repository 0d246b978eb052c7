import type { IncomingMessage, Server } from 'node:http';
import type { Duplex, Writable } from 'node:stream';

/** What `requestHeadWithoutUpgrade` reads of a request (an `IncomingMessage` fits). */
export type UpgradeRequestHead = Pick<IncomingMessage, 'method' | 'url' | 'httpVersion' | 'rawHeaders'>;

export interface IgnoreUpgradeOptions {
  /**
   * Holds the socket while its request waits for answers pipelined before it. Node no longer
   * tracks it then (`server.closeAllConnections()` misses it): a server shutting down should
   * destroy what is left here too.
   */
  readonly waiting?: Set<Duplex>;
}

/**
 * Calls `then` once the answers to the requests pipelined before an upgrade request are out, on
 * a socket Node has just handed to its 'upgrade' listener. Node does so as soon as it has parsed
 * the upgrade's head, while the answer to a request before it may still be going out (a large
 * one), or not even begun (one whose handler reads a body first): anything written to the socket
 * now (a 101, a refusal, a request handed back to Node) would go out before that answer, or
 * into the middle of it. The answer going out is the socket's `_httpMessage`; Node moves on to the
 * next one queued on its 'finish' (a listener added before ours), so this waits for each in turn.
 * `then` is not called on a socket that is gone, has had the client's end (the client half-closed
 * while it waited: nothing more to answer; an 'end' already emitted would also make `unshift`
 * throw) or is closing after the answer before it (`Connection: close`): that socket is destroyed.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => afterAnswersAhead(socket, { waiting }, () => handshake(req, socket, head)));
 */
export function afterAnswersAhead(socket: Duplex, options: IgnoreUpgradeOptions, then: () => void): void {
  // Until the socket has an owner again, an error (a reset) must not go unhandled.
  const onError = () => socket.destroy();
  socket.on('error', onError);
  const { waiting } = options;
  const onClose = () => waiting?.delete(socket);
  const next = () => {
    const answering = (socket as Duplex & { _httpMessage?: Writable | null })._httpMessage;
    if (answering && !socket.destroyed) {
      if (waiting !== undefined && !waiting.has(socket)) {
        waiting.add(socket);
        socket.once('close', onClose);
      }
      answering.once('finish', next);
      return;
    }
    socket.off('error', onError);
    if (waiting?.delete(socket) === true) socket.off('close', onClose);
    if (socket.destroyed || socket.readableEnded || !socket.writable) {
      socket.destroy();
      return;
    }
    // The answer before, once out, set the connection's keep-alive timeout on the socket (Node
    // clears it when the next request comes, in the connection state this request no longer
    // belongs to): left running, it would cut this request's answer after 5 s of quiet.
    (socket as Duplex & { setTimeout?: (ms: number) => unknown }).setTimeout?.(0);
    then();
  };
  next();
}

/**
 * Serves a request that asked for an upgrade this server does not do (`Upgrade: h2c`, which
 * `curl --http2` sends on http://) as the plain HTTP/1.1 request it also is: a server may ignore
 * an Upgrade (RFC 9110 §7.8). Node 20 gives every request with `Connection: upgrade` and an
 * `Upgrade` header to the 'upgrade' listener, its parser stopped after the headers and no way to
 * decline (no shouldUpgradeCallback). So the request head is written again without the upgrade,
 * put back in front of the bytes that followed it (`head`: the body, a pipelined request) and the
 * socket handed to the server as a new connection, as Node's docs allow for 'connection'. Node's
 * own parser then reads the body, keep-alive, pipelining, 100-continue and the timeouts, exactly
 * as for any request, and `server.close()` sees the connection again. A request pipelined behind
 * answers still going out is handed over once they are out (afterAnswersAhead). The new head has
 * no `Upgrade` header, so it cannot come back here; a later request on the socket may, by itself.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => {
 *   if (!offersWebSocket(req.headers.upgrade)) return ignoreUpgrade(server, req, socket, head);
 *   // ... the WebSocket handshake
 * });
 */
export function ignoreUpgrade(server: Server, req: UpgradeRequestHead, socket: Duplex, head: Buffer, options: IgnoreUpgradeOptions = {}): void {
  // Node's parser reads header bytes as latin1, one char a byte: latin1 gives the bytes back.
  const bytes = Buffer.concat([Buffer.from(requestHeadWithoutUpgrade(req), 'latin1'), head]);
  afterAnswersAhead(socket, options, () => {
    socket.unshift(bytes);
    server.emit('connection', socket);
  });
}

/**
 * The request line and headers of `req`, as sent (names in their case, repeated headers
 * repeated, in order), with every `Upgrade` header left out and `upgrade` taken out of
 * `Connection` (the header left out if nothing else is in it), ending with the blank line.
 * Without `Upgrade` Node's parser sees no upgrade, whatever else `Connection` says.
 *
 * @example
 * requestHeadWithoutUpgrade({ method: 'GET', url: '/healthz', httpVersion: '1.1', rawHeaders: ['Host', 'x', 'Connection', 'Upgrade, HTTP2-Settings', 'Upgrade', 'h2c'] })
 * // 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: HTTP2-Settings\r\n\r\n'
 */
export function requestHeadWithoutUpgrade(req: UpgradeRequestHead): string {
  const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (lower === 'upgrade') continue;
    if (lower === 'connection') {
      const kept = value
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token !== '' && token.toLowerCase() !== 'upgrade');
      if (kept.length > 0) lines.push(`${name}: ${kept.join(', ')}`);
      continue;
    }
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}
