// Test fixtures of the transport conformance suite: a relay that plays a Docker Cloud server
// ignoring the resume subprotocol, a server that breaks the protocol as a test scripts it, and
// polling helpers. The hand-driven event source and the TCP proxy that can cut, freeze or refuse
// connections are shared: ../support/. Node only (they stand in for the network and the server
// side).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { RESUME_SUBPROTOCOL } from '@events/core';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

/**
 * A Docker Cloud-style stream in front of our server: it accepts any subprotocol offer but
 * negotiates none (as Docker Cloud did) and relays the plain protocol from upstream. A refused
 * upstream upgrade is answered with the same HTTP status.
 */
export interface PlainRelay {
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  readonly connections: number;
  /** Closes every downstream connection abnormally (1006). */
  dropAll(): void;
  close(): Promise<void>;
}

export async function createPlainRelay(upstreamUrl: string): Promise<PlainRelay> {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => false });
  const live = new Set<{ down: WebSocket; up: WebSocket }>();
  const http: Server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const headers: Record<string, string> = {};
    if (req.headers.authorization !== undefined) headers.Authorization = req.headers.authorization;
    const up = new WebSocket(`${upstreamUrl.replace(/^http/, 'ws')}${req.url ?? '/'}`, { headers });
    up.on('error', () => socket.destroy());
    up.once('unexpected-response', (_r, response) => {
      socket.end(`HTTP/1.1 ${response.statusCode} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      up.terminate();
    });
    up.once('open', () => {
      wss.handleUpgrade(req, socket, head, (down) => {
        const pair = { down, up };
        live.add(pair);
        up.on('message', (data: RawData, isBinary: boolean) => down.send(data, { binary: isBinary }));
        up.on('close', (code) => {
          live.delete(pair);
          if (down.readyState === WebSocket.OPEN) down.close(code === 1005 || code === 1006 ? 1011 : code);
        });
        down.on('error', () => {});
        down.on('close', () => {
          live.delete(pair);
          up.terminate();
        });
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  const dropAll = () => {
    for (const { down, up } of live) {
      down.terminate();
      up.terminate();
    }
    live.clear();
  };
  return {
    url: `http://127.0.0.1:${address.port}`,
    get connections() {
      return live.size;
    },
    dropAll,
    close() {
      dropAll();
      wss.close();
      http.closeAllConnections();
      return new Promise((resolve) => http.close(() => resolve()));
    },
  };
}

/**
 * A server that does what the test says and nothing else: every stream connection goes to
 * `onConnection` (which sends what it likes, closes or never does), every REST request to `rest`
 * (by default an empty list). For what clients do when a server breaks the protocol.
 */
export interface HostileServer {
  /** `http://127.0.0.1:port`, for streamHost and restHost alike. */
  readonly url: string;
  /** The path and query of every REST request, in order. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

export interface HostileServerOptions {
  /** Grant the resume subprotocol when a client offers it (default: plain, as Docker Cloud). */
  readonly extended?: boolean;
  /** false: never answer a ping (ws answers them by itself otherwise). */
  readonly autoPong?: boolean;
  /** `index` counts the connections from 0. */
  readonly onConnection?: (socket: WebSocket, request: IncomingMessage, index: number) => void;
  readonly rest?: (request: IncomingMessage, response: ServerResponse) => void;
  /** Refuse every upgrade with this status and headers. */
  readonly refuse?: { readonly status: number; readonly headers?: Readonly<Record<string, string>> };
}

export async function createHostileServer(options: HostileServerOptions = {}): Promise<HostileServer> {
  const requests: string[] = [];
  const http: Server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (options.rest !== undefined) return options.rest(request, response);
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(restList([]));
  });
  const wss = new WebSocketServer({
    server: http,
    autoPong: options.autoPong ?? true,
    ...(options.refuse !== undefined && {
      verifyClient: (_info: unknown, answer: (ok: boolean, status: number, message: string, headers: Record<string, string>) => void) =>
        answer(false, options.refuse?.status ?? 400, 'Refused', { ...options.refuse?.headers }),
    }),
    handleProtocols: (offered) => (options.extended === true && offered.has(RESUME_SUBPROTOCOL) ? RESUME_SUBPROTOCOL : false),
  });
  let connections = 0;
  wss.on('connection', (socket, request) => {
    socket.on('error', () => {});
    options.onConnection?.(socket, request, connections++);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('hostile server has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close() {
      for (const socket of wss.clients) socket.terminate();
      wss.close();
      http.closeAllConnections();
      return new Promise((resolve) => http.close(() => resolve()));
    },
  };
}

/** A REST list page as Docker Cloud sends one. */
export function restList(objects: readonly unknown[], next: string | null = null): string {
  return JSON.stringify({ meta: { limit: 1000, offset: 0, total_count: objects.length, next, previous: null }, objects });
}

/** Polls `condition` every 10 ms; throws after `timeoutMs` with `what` and the last `detail`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5_000, detail: () => unknown = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms ${JSON.stringify(detail())}`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Ref'd Node timers (what would keep a process alive). Unref'd ones are left out by Node. */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}
