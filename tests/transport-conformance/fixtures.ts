// Test fixtures of the transport conformance suite: a relay that plays a Docker Cloud server
// ignoring the resume subprotocol, and polling helpers. The hand-driven event source and the TCP
// proxy that can cut, freeze or refuse connections are shared: ../support/. Node only (they stand
// in for the network and the server side).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
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
