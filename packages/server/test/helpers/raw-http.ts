import { connect, type Socket } from 'node:net';

/** One HTTP/1.1 answer as it came off the wire. */
export interface RawAnswer {
  readonly status: number;
  /** Lowercase names; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A loopback connection that sends bytes as given and reads the answers one at a time. */
export interface RawConnection {
  readonly socket: Socket;
  /** Writes `text` (or bytes) as is. */
  send(text: string | Buffer): void;
  /**
   * The next whole answer (framed by Content-Length; a 1xx, or any with `bodiless` as for HEAD,
   * has no body); rejects if the connection closes first.
   */
  next(options?: { readonly timeoutMs?: number; readonly bodiless?: boolean }): Promise<RawAnswer>;
  /** Resolves once the server has closed the connection. */
  readonly closed: Promise<void>;
  /** Everything received and not yet read as an answer. */
  rest(): string;
  destroy(): void;
}

/**
 * Opens a connection to `port` on 127.0.0.1, for requests no HTTP client sends as written
 * (an `Upgrade` it does not act on, pipelined requests, a body that arrives later).
 *
 * @example
 * const conn = await rawConnection(server.port);
 * conn.send('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
 * expect((await conn.next()).status).toBe(200);
 */
export async function rawConnection(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buffer = Buffer.alloc(0);
  let ended = false;
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const waker of wakers) waker();
  };
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    wake();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => {
      ended = true;
      wake();
      resolve();
    });
  });

  const take = (bodiless: boolean): RawAnswer | undefined => {
    const end = buffer.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const lines = buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = bodiless || (status >= 100 && status < 200) ? 0 : Number(headers['content-length'] ?? 0);
    if (buffer.length < end + 4 + length) return undefined;
    const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    buffer = buffer.subarray(end + 4 + length);
    return { status, headers, body };
  };

  return {
    socket,
    send: (text) => socket.write(text),
    next({ timeoutMs = 5_000, bodiless = false } = {}) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no whole answer within ${timeoutMs} ms; received: ${JSON.stringify(buffer.toString('latin1'))}`)), timeoutMs);
        const finish = (error?: Error, answer?: RawAnswer) => {
          clearTimeout(timer);
          wakers.delete(check);
          if (error) reject(error);
          else resolve(answer as RawAnswer);
        };
        const check = () => {
          const answer = take(bodiless);
          if (answer !== undefined) finish(undefined, answer);
          else if (ended) finish(new Error(`the connection closed before a whole answer; received: ${JSON.stringify(buffer.toString('latin1'))}`));
        };
        wakers.add(check);
        check();
      });
    },
    closed,
    rest: () => buffer.toString('latin1'),
    destroy: () => socket.destroy(),
  };
}

/** Sends one request on a fresh connection and reads its answer. */
export async function rawRequest(port: number, text: string): Promise<RawAnswer> {
  const conn = await rawConnection(port);
  try {
    conn.send(text);
    return await conn.next();
  } finally {
    conn.destroy();
  }
}
