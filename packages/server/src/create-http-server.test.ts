import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, KEEP_ALIVE_TIMEOUT_MS } from './create-http-server.js';

let server: Server | undefined;
afterEach(async () => {
  const started = server;
  server = undefined;
  if (started === undefined) return;
  started.closeAllConnections();
  await new Promise((resolve) => started.close(resolve));
});

/** A server whose handler answers each request `delayMs` later, with the method and path. */
async function start(delayMs: number): Promise<number> {
  server = createHttpServer({ headersTimeoutMs: 10_000 });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    setTimeout(() => res.end(`${req.method} ${req.url}`), delayMs);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** Writes `request`, half-closes (FIN), and reads everything the server writes until it closes. */
function halfClosed(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

describe('createHttpServer', () => {
  it('answers a request whose client half-closed before the (late) answer was written, then closes', async () => {
    const port = await start(50);
    const received = await halfClosed(port, 'GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received.endsWith('GET /late')).toBe(true);
  });

  it('answers every pipelined request of a half-closed client, in order, and HTTP/1.0 ones', async () => {
    const port = await start(20);
    const received = await halfClosed(port, 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}GET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(received.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(received.indexOf('POST /a')).toBeLessThan(received.indexOf('GET /b'));
    expect(await halfClosed(port, 'GET /old HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*GET \/old$/);
  });

  it('keeps an idle keep-alive connection longer than a load balancer does (60 s), and headersTimeout does not cut it', async () => {
    // Node's default, 5 s: a proxy's request on a connection the server is closing gets a 502.
    expect(createHttpServer({ headersTimeoutMs: 10_000 }).keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(60_000);
    // Idle past a short headersTimeout (checked every 100 ms here), the connection still serves.
    server = createHttpServer({ headersTimeoutMs: 100 });
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => res.end('ok'));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    const answers = async (count: number) => {
      while ((received.match(/HTTP\/1\.1 200 OK/g) ?? []).length < count) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await answers(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await answers(2);
    socket.destroy();
  });

  it('closes a half-closed connection with nothing to answer', async () => {
    const port = await start(0);
    expect(await halfClosed(port, '')).toBe('');
  });
});
