import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import type { RestList, RestService } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { type RawAnswer, rawConnection, rawRequest } from './helpers/raw-http.js';
import { basic, openStream, refusedUpgrade } from './helpers/stream-client.js';
import { until } from './helpers/wait.js';
import { createFixtureSource, FIXTURE_USERS, type FixtureSource, makeService } from './rest-fixture.js';

// An upgrade the server does not do (`Upgrade: h2c`, which `curl --http2` sends on http://) is
// ignored, as any HTTP/1.1 server may: the request gets the answer it would get without it. Node
// hands such requests to the 'upgrade' listener, which used to answer 404 (or 400 on the stream
// path) and close.

const AUTH = basic('alice', 'alice-key-123');
/** What curl --http2 adds to a request on http://. */
const H2C = ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA'];

let server: EventsServer;
let source: FixtureSource;
let service: RestService;

beforeAll(async () => {
  source = createFixtureSource();
  service = makeService('acme', 'web', null);
  source.add('acme', 'service', service);
  server = await createEventsServer({ source, users: FIXTURE_USERS, logger: silentLogger });
});
afterAll(async () => {
  await server?.close();
});

const requestText = (method: string, path: string, headers: readonly string[], body = '') =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTH}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`;

/** The parts of an answer that do not change from one request to the next. */
const comparable = ({ status, headers, body }: RawAnswer) => {
  const { date: _date, ...rest } = headers;
  return { status, headers: rest, body };
};

describe('a request with Upgrade: h2c gets the answer it would get without it', () => {
  it.each([
    ['a REST list', 'GET', '/api/app/v1/acme/service/', 200],
    ['a REST object', 'GET', '/api/app/v1/acme/service/{uuid}/', 200],
    ['HEAD of a REST list', 'HEAD', '/api/app/v1/acme/service/', 200],
    ['an unknown REST path', 'GET', '/api/app/v1/acme/nothing/', 404],
    ['/healthz', 'GET', '/healthz', 200],
    ['the stream path (the plain GET’s 426)', 'GET', '/api/audit/v1/acme/events/', 426],
    ['the stream path with another method', 'POST', '/api/audit/v1/acme/events/', 405],
    ['a path outside the API', 'GET', '/nowhere', 404],
  ])('%s', async (_name, method, template, status) => {
    const path = template.replace('{uuid}', service.uuid);
    const read = async (headers: readonly string[]) => {
      const conn = await rawConnection(server.port);
      try {
        conn.send(requestText(method, path, headers));
        // A HEAD answer has a Content-Length but no body.
        return comparable(await conn.next({ bodiless: method === 'HEAD' }));
      } finally {
        conn.destroy();
      }
    };
    const plain = await read([]);
    const upgraded = await read(H2C);
    expect(upgraded).toEqual(plain);
    expect(upgraded.status).toBe(status);
  });

  it('keeps the connection alive for more requests, with or without the upgrade, pipelined or not', async () => {
    const conn = await rawConnection(server.port);
    try {
      conn.send(requestText('GET', '/api/app/v1/acme/service/', H2C));
      const first = await conn.next();
      expect(first.status).toBe(200);
      expect(first.headers.connection).toBe('keep-alive');
      expect((JSON.parse(first.body) as RestList<RestService>).objects.map((s) => s.uuid)).toEqual([service.uuid]);
      // Three at once: upgrade, none, upgrade; answered in order on the one connection.
      conn.send(requestText('GET', '/healthz', H2C) + requestText('GET', '/nowhere', []) + requestText('GET', `/api/app/v1/acme/service/${service.uuid}/`, H2C));
      expect((await conn.next()).status).toBe(200);
      expect(await conn.next()).toMatchObject({ status: 404, body: '{"detail":"Not found."}' });
      expect(JSON.parse((await conn.next()).body)).toMatchObject({ uuid: service.uuid });
      expect(conn.socket.destroyed).toBe(false);
    } finally {
      conn.destroy();
    }
  });

  describe('request bodies', () => {
    const patch = (target: number) => `{"target_num_containers": ${target}}`;
    const patchText = (headers: readonly string[], body: string) =>
      requestText('PATCH', `/api/app/v1/acme/service/${service.uuid}/`, [...H2C, 'Content-Type: application/json', ...headers], body);

    it('reads a body sent with the headers or after them', async () => {
      const together = await rawRequest(server.port, patchText([`Content-Length: ${patch(3).length}`], patch(3)));
      expect(together.status).toBe(202);
      expect(source.operations.at(-1)).toMatchObject({ uuid: service.uuid, targetNumContainers: 3 });

      const conn = await rawConnection(server.port);
      try {
        conn.send(patchText([`Content-Length: ${patch(4).length}`], ''));
        // The server has had the headers (and handed the socket on) before any of the body.
        await new Promise((resolve) => setTimeout(resolve, 50));
        conn.send(patch(4).slice(0, 5));
        await new Promise((resolve) => setTimeout(resolve, 20));
        conn.send(patch(4).slice(5));
        expect((await conn.next()).status).toBe(202);
        expect(source.operations.at(-1)).toMatchObject({ targetNumContainers: 4 });
      } finally {
        conn.destroy();
      }
    });

    it('reads a chunked body', async () => {
      const body = patch(5);
      const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      expect((await rawRequest(server.port, patchText(['Transfer-Encoding: chunked'], chunked))).status).toBe(202);
      expect(source.operations.at(-1)).toMatchObject({ targetNumContainers: 5 });
    });

    it('answers Expect: 100-continue before the body is sent', async () => {
      const conn = await rawConnection(server.port);
      try {
        conn.send(patchText([`Content-Length: ${patch(6).length}`, 'Expect: 100-continue'], ''));
        expect((await conn.next()).status).toBe(100);
        conn.send(patch(6));
        expect((await conn.next()).status).toBe(202);
        expect(source.operations.at(-1)).toMatchObject({ targetNumContainers: 6 });
      } finally {
        conn.destroy();
      }
    });

    it('refuses a body that is too large as it would without the upgrade, and closes', async () => {
      const conn = await rawConnection(server.port);
      conn.send(patchText(['Content-Length: 100000'], ''));
      const answer = await conn.next();
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({ detail: 'Request body too large: 100000 bytes (at most 65536).' });
      await conn.closed;
    });
  });

  it('is what curl --http2 gets', async (context) => {
    try {
      execFileSync('curl', ['--version'], { stdio: 'ignore' });
    } catch {
      context.skip();
    }
    const url = `${server.url}/api/app/v1/acme/service/`;
    const { stdout, stderr } = await promisify(execFile)('curl', ['-sS', '-v', '--http2', '-u', 'alice:alice-key-123', url]);
    // curl did offer h2c, and fell back to HTTP/1.1 when it was not taken.
    expect(stderr).toMatch(/^> Upgrade: h2c\r?$/m);
    expect(stderr).toMatch(/^< HTTP\/1\.1 200 OK\r?$/m);
    expect((JSON.parse(stdout) as RestList<RestService>).objects.map((s) => s.uuid)).toEqual([service.uuid]);
  });
});

describe('WebSocket upgrades are unchanged', () => {
  it('the stream still upgrades, and a WebSocket client at another path still gets the 404 that says where the stream is', async () => {
    const ws = server.url.replace('http', 'ws');
    const stream = await openStream(`${ws}/api/audit/v1/acme/events/`, { headers: { Authorization: AUTH } });
    expect(stream.ws.readyState).toBe(stream.ws.OPEN);
    stream.ws.close();
    const elsewhere = await refusedUpgrade(`${ws}/api/app/v1/acme/service/`, { headers: { Authorization: AUTH } });
    expect(elsewhere.status).toBe(404);
    expect(JSON.parse(elsewhere.body)).toEqual({
      detail: 'Not found: no event stream at "/api/app/v1/acme/service/"; the event stream is at /api/audit/v1/[namespace/]events/.',
    });
  });

  it('an Upgrade that lists websocket among others is a handshake ws would refuse: 400 that says why', async () => {
    const answer = await rawRequest(
      server.port,
      requestText('GET', '/api/audit/v1/acme/events/', ['Connection: Upgrade', 'Upgrade: h2c, websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']),
    );
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ detail: 'Invalid Upgrade header "h2c, websocket": this endpoint upgrades only to "websocket".' });
  });
});

describe('headers at the size limit', () => {
  // Node counts the target and every header name and value, and refuses 16384 bytes or more (431).
  const LIMIT = 16 * 1024;
  const withHeadersCounting = (total: number, extra: readonly string[]) => {
    const headers = ['Host: 127.0.0.1', `Authorization: ${AUTH}`, ...extra];
    const counted = '/healthz'.length + headers.reduce((sum, h) => sum + h.replace(': ', '').length, 0);
    const pad = total - counted - 'X-Pad'.length;
    return `GET /healthz HTTP/1.1\r\n${[...headers, `X-Pad: ${'p'.repeat(pad)}`].map((h) => `${h}\r\n`).join('')}\r\n`;
  };

  it('judges a request with Upgrade: h2c by the bytes it sent, as without: served just under the limit, 431 at it', async () => {
    for (const extra of [H2C, ['Connection: Keep-Alive, HTTP2-Settings', 'X-Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA']]) {
      const under = await rawRequest(server.port, withHeadersCounting(LIMIT - 1, extra));
      expect([under.status, JSON.parse(under.body).status]).toEqual([200, 'ok']);
      const at = await rawRequest(server.port, withHeadersCounting(LIMIT, extra));
      expect([at.status, JSON.parse(at.body)]).toEqual([431, { detail: 'Request header fields too large.' }]);
    }
  });
});

describe('a WebSocket handshake pipelined behind a request is answered after it', () => {
  const WS = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];
  // A PATCH's answer is not begun when Node has parsed what follows it: the handler reads the body first.
  const patch = (target: number) => {
    const body = `{"target_num_containers": ${target}}`;
    return requestText('PATCH', `/api/app/v1/acme/service/${service.uuid}/`, ['Content-Type: application/json', `Content-Length: ${body.length}`], body);
  };
  const handshake = (path: string, authorized = true) =>
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${authorized ? `Authorization: ${AUTH}\r\n` : ''}${WS.map((h) => `${h}\r\n`).join('')}\r\n`;

  it('upgrades once the answer before it is out, and the stream works', async () => {
    const conn = await rawConnection(server.port);
    try {
      conn.send(patch(7) + handshake('/api/audit/v1/acme/events/'));
      const first = await conn.next();
      expect([first.status, JSON.parse(first.body).uuid]).toEqual([202, service.uuid]);
      const second = await conn.next();
      expect([second.status, second.headers.upgrade]).toEqual([101, 'websocket']);
      expect(conn.rest()).toBe('');
      // An operation's events arrive as WebSocket text frames (0x81), not inside an HTTP answer.
      await fetch(`${server.url}/api/app/v1/acme/service/${service.uuid}/start/`, { method: 'POST', headers: { Authorization: AUTH } });
      await until(() => conn.rest().includes(service.uuid), 2_000, 'an event frame');
      expect(conn.rest().charCodeAt(0)).toBe(0x81);
    } finally {
      conn.destroy();
    }
  });

  it.each([
    ['refused (no credentials)', '/api/audit/v1/acme/events/', false, 401],
    ['to another path', '/api/app/v1/acme/service/', true, 404],
  ])('answers one %s with its refusal after the answer before it', async (_name, path, authorized, status) => {
    const conn = await rawConnection(server.port);
    try {
      conn.send(patch(8) + handshake(path, authorized));
      const first = await conn.next();
      expect([first.status, JSON.parse(first.body).uuid]).toEqual([202, service.uuid]);
      expect((await conn.next()).status).toBe(status);
      await conn.closed;
      expect(conn.rest()).toBe('');
    } finally {
      conn.destroy();
    }
  });
});

describe('shutting down', () => {
  it('close() closes an idle connection left open after an ignored upgrade, at once', async () => {
    const own = await createEventsServer({ source: createFixtureSource(), users: FIXTURE_USERS, logger: silentLogger });
    const conn = await rawConnection(own.port);
    conn.send(requestText('GET', '/healthz', H2C));
    expect((await conn.next()).status).toBe(200);
    const started = Date.now();
    await own.close();
    await conn.closed;
    // Not the 1 s after which close() destroys every connection left.
    expect(Date.now() - started).toBeLessThan(900);
  });

  it.each([
    ['an ignored upgrade', requestText('GET', '/healthz', H2C)],
    ['a WebSocket handshake', requestText('GET', '/api/audit/v1/acme/events/', ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='])],
  ])('close() ends a connection with %s waiting behind an answer the client does not read', async (_name, pipelined) => {
    const big = createFixtureSource();
    // 1000 services of 10 KB: an answer far larger than what the loopback buffers hold.
    for (let i = 0; i < 1000; i += 1) big.add('acme', 'service', makeService('acme', `s${i}-${'x'.repeat(10_000)}`, null));
    const own = await createEventsServer({ source: big, users: FIXTURE_USERS, logger: silentLogger });
    const conn = await rawConnection(own.port);
    conn.socket.pause();
    conn.send(requestText('GET', '/api/app/v1/acme/service/?limit=1000', []) + pipelined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await own.close();
    // The 1 s after which close() destroys what is left, and no more.
    expect(Date.now() - started).toBeLessThan(2_500);
    conn.socket.resume();
    await conn.closed;
  });
});
