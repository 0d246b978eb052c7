// A raw HTTP host that refuses every WebSocket upgrade with a status and headers of its choosing,
// then keeps the body open (as some proxies do). Node only.
import { createServer, type Server, type Socket } from 'node:net';

export interface RefusingHost {
  /** `ws://127.0.0.1:port/`. */
  readonly url: string;
  /** Requests received (one per upgrade attempt). */
  readonly requests: number;
  /** Connections still open on the host's side. */
  readonly open: number;
  close(): Promise<void>;
}

/**
 * Answers every request with `head` (status line and headers, no blank line) and then `body`,
 * and never ends the response.
 *
 * @example
 * const host = await createRefusingHost('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nTransfer-Encoding: chunked', '');
 * const stream = createEventStream({ streamHost: host.url, ... }); // lastClose: 429, throttled
 */
export async function createRefusingHost(head: string, body: string): Promise<RefusingHost> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (!received.includes('\r\n\r\n')) return;
      received = '';
      requests++;
      socket.write(`${head}\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/`,
    get requests() {
      return requests;
    },
    get open() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
