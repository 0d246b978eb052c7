import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { DEFAULT_MAX_BODY_BYTES } from '../src/rest-api.js';
import { createSimulatedCloud, type SimulatedCloud } from '../src/simulator/simulated-cloud.js';
import { rawConnection } from './helpers/raw-http.js';

// A body over the limit is refused with 413 while the client may still be sending it. Closed at
// once, a socket with unread bytes is reset (RST), and a reset makes the client's system drop
// what it had received and not yet read: a client that sends its whole body before it reads saw
// "connection reset", never the 413 that says why. The server now half-closes after the 413 and
// reads and drops what still comes until the client closes (a lingering close). A client that
// waits for "100 Continue" is told 413 instead, and sends no body at all.

const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];
const AUTH = `Basic ${Buffer.from('alice:alice-key-123').toString('base64')}`;
const BIG = 4 * 1024 * 1024;

let cloud: SimulatedCloud;
let server: EventsServer;

beforeEach(async () => {
  cloud = createSimulatedCloud({ seed: 3, rate: 0, namespaces: ['acme'], manual: true });
  server = await createEventsServer({ source: cloud, users: USERS, logger: silentLogger });
});
afterEach(async () => {
  await server.close();
});

/**
 * Writes `head` and then `body`, and only then reads the answer, as most clients do (Python's
 * requests, which the Docker Cloud SDK uses, sends the whole body first); reads until the
 * connection closes. Without a body: reads at once, as a client waiting for "100 Continue".
 */
function send(head: string, body: Buffer | undefined): Promise<{ received: string; error: string | undefined }> {
  return new Promise((resolve) => {
    let received = '';
    let error: string | undefined;
    // With `onread`, pause() stops reading from the system, not only from Node's buffer: what
    // arrives meanwhile waits in the system's buffer, as it does for a client busy sending.
    const socket = connect({
      port: server.port,
      host: '127.0.0.1',
      onread: {
        buffer: Buffer.alloc(64 * 1024),
        callback: (length: number, buffer: Uint8Array) => {
          received += Buffer.from(buffer.buffer, buffer.byteOffset, length).toString('latin1');
          // An Expect client that got a final answer instead of 100 sends no body: it is done.
          if (body === undefined && /\r\n\r\n[\s\S]*\}$/.test(received)) socket.end();
          return true;
        },
      },
    });
    socket.on('connect', () => {
      if (body === undefined) {
        socket.write(head);
        return;
      }
      socket.pause();
      socket.write(head);
      socket.end(body, () => socket.resume());
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code;
    });
    socket.on('close', () => resolve({ received, error }));
  });
}

const stopPath = () => `${cloud.list('acme', 'container')[0]?.resource_uri}stop/`;

describe('a body over the limit', () => {
  it('gets its 413 while the client is still sending it (declared in Content-Length)', async () => {
    const { received } = await send(`POST ${stopPath()} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: ${BIG}\r\n\r\n`, Buffer.alloc(BIG, 'a'));
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received).toContain(`{"detail":"Request body too large: ${BIG} bytes (at most ${DEFAULT_MAX_BODY_BYTES})."}`);
  });

  it('gets its 413 while the client is still sending it (chunked)', async () => {
    const chunk = Buffer.alloc(BIG, 'a');
    const { received } = await send(
      `POST ${stopPath()} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n`,
      Buffer.concat([chunk, Buffer.from('\r\n0\r\n\r\n')]),
    );
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received).toContain(`{"detail":"Request body too large: more than ${DEFAULT_MAX_BODY_BYTES} bytes."}`);
  });

  it('closes after the 413 when the client declared a body and sends none', async () => {
    const conn = await rawConnection(server.port);
    conn.send(`POST ${stopPath()} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: ${BIG}\r\n\r\n`);
    expect((await conn.next()).status).toBe(413);
    // The server's FIN, at once: not the lingering close's 5 s of quiet, nor a keep-alive timeout.
    const started = Date.now();
    await conn.closed;
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('is refused before "100 Continue": a client that waits for it never sends the body, and the connection closes', async () => {
    const { received } = await send(`POST ${stopPath()} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: ${BIG}\r\nExpect: 100-continue\r\n\r\n`, undefined);
    expect(received).toMatch(/^HTTP\/1\.1 413 [\s\S]*\r\nConnection: close\r\n/);
    expect(received).not.toContain('100 Continue');
    // Refused for another reason first, the same: no invitation, and the connection closes.
    const wrongKey = `Basic ${Buffer.from('alice:wrong-key-123').toString('base64')}`;
    const refused = await send(`POST ${stopPath()} HTTP/1.1\r\nHost: x\r\nAuthorization: ${wrongKey}\r\nContent-Length: ${BIG}\r\nExpect: 100-continue\r\n\r\n`, undefined);
    expect(refused.received).toMatch(/^HTTP\/1\.1 401 [\s\S]*\r\nConnection: close\r\n/);
  });

  it('leaves a body within the limit to "100 Continue" and the operation', async () => {
    const socket = connect(server.port, '127.0.0.1');
    let received = '';
    let sent = false;
    const answered = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (!sent && received.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
          sent = true;
          socket.write('{}');
        }
        if (/HTTP\/1\.1 202 [\s\S]*\}$/.test(received)) resolve();
      });
    });
    socket.write(`POST ${stopPath()} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`);
    await answered;
    socket.destroy();
    expect(received).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 202 /);
  });
});
