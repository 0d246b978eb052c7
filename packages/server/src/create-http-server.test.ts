import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer } from './create-http-server.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
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

  it('closes a half-closed connection with nothing to answer', async () => {
    const port = await start(0);
    expect(await halfClosed(port, '')).toBe('');
  });
});
