import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createScriptedSource } from '../../../tests/support/scripted-source.js';
import { basic } from './helpers/stream-client.js';

// Handshakes that ws itself would refuse, sent byte for byte: ws answers them with a text/html
// body, and protocol.md promises `{"detail": "..."}` for every error.

const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];
const AUTH = `Authorization: ${basic('alice', 'alice-key-123')}`;
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

let server: EventsServer;

beforeAll(async () => {
  server = await createEventsServer({ source: createScriptedSource(), users: USERS, logger: silentLogger });
});
afterAll(async () => {
  await server?.close();
});

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Sends `lines` as one request and reads the answer until the server closes or 101 arrives. */
function handshake(lines: readonly string[], port = server.port): Promise<RawAnswer> {
  return sendRaw(`${lines.join('\r\n')}\r\n\r\n`, port);
}

function sendRaw(text: string, port = server.port, socket = connect(port, '127.0.0.1')): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const done = () => {
      socket.destroy();
      const end = answer.indexOf('\r\n\r\n');
      const head = (end === -1 ? answer : answer.slice(0, end)).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0), headers, body: end === -1 ? '' : answer.slice(end + 4) });
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      // A 101, or an answer complete by its Content-Length (a plain GET keeps the connection alive).
      const end = answer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(answer.slice(0, end))?.[1];
      if (answer.startsWith('HTTP/1.1 101') || (length !== undefined && Buffer.byteLength(answer.slice(end + 4)) >= Number(length))) done();
    });
    socket.on('close', done);
    socket.on('error', reject);
    if (text !== '') socket.write(text);
  });
}

const request = (headers: readonly string[], { method = 'GET', path = '/api/audit/v1/acme/events/' } = {}) => [
  `${method} ${path} HTTP/1.1`,
  'Host: 127.0.0.1',
  AUTH,
  ...headers,
];
const VALID = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${KEY}`];
const without = (name: string) => VALID.filter((line) => !line.startsWith(`${name}:`));

function expectJson(answer: RawAnswer, status: number, detail: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  expect(JSON.parse(answer.body)).toEqual({ detail });
}

describe('handshakes ws would refuse answer JSON with a precise detail', () => {
  it.each([
    [
      'a subprotocol offered twice',
      [...VALID, 'Sec-WebSocket-Protocol: chat, chat'],
      'Invalid Sec-WebSocket-Protocol header: the subprotocol "chat" is listed twice.',
    ],
    [
      'the extended protocol offered in two headers (Node joins them)',
      [...VALID, 'Sec-WebSocket-Protocol: events.resume.v1', 'Sec-WebSocket-Protocol: events.resume.v1'],
      'Invalid Sec-WebSocket-Protocol header: the subprotocol "events.resume.v1" is listed twice.',
    ],
    [
      'a subprotocol name with a space in it',
      [...VALID, 'Sec-WebSocket-Protocol: events resume'],
      'Invalid Sec-WebSocket-Protocol header: whitespace inside a subprotocol name, at position 7 of "events resume".',
    ],
    ['a missing Sec-WebSocket-Key', without('Sec-WebSocket-Key'), 'Missing Sec-WebSocket-Key header.'],
    [
      'a malformed Sec-WebSocket-Key',
      [...without('Sec-WebSocket-Key'), 'Sec-WebSocket-Key: not-a-key'],
      'Invalid Sec-WebSocket-Key header "not-a-key": expected 16 bytes in base64 (22 characters, then "==").',
    ],
    [
      // One that does not offer websocket at all is ignored instead (upgrade-ignored.test.ts).
      'an Upgrade offering websocket among other protocols',
      [...without('Upgrade'), 'Upgrade: h2c, websocket'],
      'Invalid Upgrade header "h2c, websocket": this endpoint upgrades only to "websocket".',
    ],
  ])('400 for %s', async (_name, headers, detail) => {
    expectJson(await handshake(request(headers)), 400, detail);
  });

  it('400 with Sec-WebSocket-Version for a missing or unsupported version', async () => {
    const missing = await handshake(request(without('Sec-WebSocket-Version')));
    expectJson(missing, 400, 'Missing Sec-WebSocket-Version header: this server speaks version 13.');
    expect(missing.headers['sec-websocket-version']).toBe('13, 8');
    const old = await handshake(request([...without('Sec-WebSocket-Version'), 'Sec-WebSocket-Version: 7']));
    expectJson(old, 400, 'Unsupported Sec-WebSocket-Version "7": this server speaks version 13 (or 8).');
    expect(old.headers['sec-websocket-version']).toBe('13, 8');
  });

  it('405 with Allow: GET for an upgrade with another method', async () => {
    const answer = await handshake(request(VALID, { method: 'POST' }));
    expectJson(answer, 405, 'Method "POST" not allowed: a WebSocket handshake is a GET.');
    expect(answer.headers.allow).toBe('GET');
  });

  it('an extended client is refused the same way: a handshake that cannot be upgraded gets its HTTP status', async () => {
    const answer = await handshake(request([...without('Sec-WebSocket-Key'), 'Sec-WebSocket-Protocol: events.resume.v1']));
    expectJson(answer, 400, 'Missing Sec-WebSocket-Key header.');
  });

  it('426 JSON when the Upgrade header is missing (Node then sees a plain GET)', async () => {
    const answer = await handshake(request(without('Upgrade')));
    expectJson(answer, 426, 'This is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket).');
  });

  it('a long bad header value is echoed cut', async () => {
    const answer = await handshake(request([...without('Upgrade'), `Upgrade: websocket, ${'h'.repeat(4000)}`]));
    expectJson(answer, 400, `Invalid Upgrade header "websocket, ${'h'.repeat(88)}…": this endpoint upgrades only to "websocket".`);
  });

  it('whatever the handshake, the answer is a 101 or JSON', async () => {
    const header = (name: string, values: readonly string[]) =>
      fc.option(fc.oneof(fc.constantFrom(...values), fc.string({ unit: fc.constantFrom('a', 'A', '1', ' ', ',', '/', '=', '.', '-', 'w'), maxLength: 30 })).map((v) => `${name}: ${v}`));
    const arbitrary = fc.record({
      method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'),
      upgrade: header('Upgrade', ['websocket', 'WebSocket', 'h2c', '']),
      key: header('Sec-WebSocket-Key', [KEY, 'abc', '']),
      version: header('Sec-WebSocket-Version', ['13', '8', '12', '13, 8', '']),
      protocol: header('Sec-WebSocket-Protocol', ['events.resume.v1', 'chat, chat', 'a,,b', 'events.resume.v1, chat', '']),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ method, upgrade, key, version, protocol }) => {
        const headers = ['Connection: Upgrade', upgrade, key, version, protocol].filter((h): h is string => h !== null);
        const answer = await handshake(request(headers, { method }));
        if (answer.status === 101) return;
        expect(answer.headers['content-type']).toBe('application/json');
        expect(typeof (JSON.parse(answer.body) as { detail?: unknown }).detail).toBe('string');
      }),
      { numRuns: 150 },
    );
  });
});

describe('while the server shuts down', () => {
  it('answers a handshake that arrives after close() began with 503 JSON', async () => {
    const own = await createEventsServer({ source: createScriptedSource(), users: USERS, logger: silentLogger });
    const lines = request(VALID);
    // The request line is in before close(), so the connection is busy, not idle: it stays open.
    const socket = connect(own.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`${lines[0]}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = own.close();
    const answer = sendRaw('', own.port, socket);
    socket.write(`${lines.slice(1).join('\r\n')}\r\n\r\n`);
    expectJson(await answer, 503, 'The server is shutting down; reconnect in a moment.');
    expect((await answer).headers['retry-after']).toBe('1');
    await closing;
  });
});
