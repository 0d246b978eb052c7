import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnection } from '../test/helpers/raw-http.js';
import { until } from '../test/helpers/wait.js';
import { ignoreUpgrade, requestHeadWithoutUpgrade } from './ignore-upgrade.js';

const head = (rawHeaders: string[], method = 'GET', url = '/x', httpVersion = '1.1') => requestHeadWithoutUpgrade({ method, url, httpVersion, rawHeaders });

describe('requestHeadWithoutUpgrade', () => {
  it('drops Upgrade and the upgrade token of Connection, keeping everything else as sent', () => {
    expect(head(['Host', 'x', 'Connection', 'Upgrade, HTTP2-Settings', 'Upgrade', 'h2c', 'HTTP2-Settings', 'AAMAAABk'])).toBe(
      'GET /x HTTP/1.1\r\nHost: x\r\nConnection: HTTP2-Settings\r\nHTTP2-Settings: AAMAAABk\r\n\r\n',
    );
    expect(head(['host', 'x', 'UPGRADE', 'h2c', 'connection', 'upgrade', 'X-A', '1', 'X-A', '2'], 'POST', '/p?q=1', '1.0')).toBe(
      'POST /p?q=1 HTTP/1.0\r\nhost: x\r\nX-A: 1\r\nX-A: 2\r\n\r\n',
    );
    expect(head(['Connection', 'keep-alive,Upgrade', 'Upgrade', 'h2c', 'Upgrade', 'foo'])).toBe('GET /x HTTP/1.1\r\nConnection: keep-alive\r\n\r\n');
  });

  it('never leaves an Upgrade header or an upgrade token, and keeps every other header in order', () => {
    const name = fc.constantFrom('Host', 'Upgrade', 'upgrade', 'Connection', 'connection', 'X-Other', 'Content-Length', 'HTTP2-Settings');
    const token = fc.constantFrom('Upgrade', 'upgrade', 'UPGRADE', 'keep-alive', 'close', 'HTTP2-Settings', 'x');
    const value = fc.oneof(fc.string({ unit: fc.constantFrom('a', 'b', '1', ' ', ';'), maxLength: 10 }), fc.array(token, { maxLength: 4 }).map((t) => t.join(', ')));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 12 }), (pairs) => {
        const text = head(pairs.flat());
        expect(text.endsWith('\r\n\r\n')).toBe(true);
        const lines = text.slice(0, -4).split('\r\n').slice(1);
        const parsed = lines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)] as const);
        for (const [n, v] of parsed) {
          expect(n.toLowerCase()).not.toBe('upgrade');
          if (n.toLowerCase() === 'connection') expect(v.split(',').map((t) => t.trim().toLowerCase())).not.toContain('upgrade');
        }
        const others = (list: readonly (readonly [string, string])[]) => list.filter(([n]) => !['upgrade', 'connection'].includes(n.toLowerCase()));
        expect(others(parsed)).toEqual(others(pairs));
      }),
    );
  });
});

describe('ignoreUpgrade on a bare Node server', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  const waiting = new Set<Duplex>();
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.stringify({ url: req.url, headers: req.rawHeaders, body: Buffer.concat(chunks).toString('latin1') });
        // `/close/N`: answered with `Connection: close`, as the REST API's 413.
        const close = req.url?.startsWith('/close/') === true ? { Connection: 'close' } : {};
        const answer = () => res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...close }).end(body);
        // `/slow/N`, `/close/N`: answered after N ms, for requests pipelined behind it.
        const delay = /^\/(?:slow|close)\/(\d+)/.exec(req.url ?? '')?.[1];
        if (req.url === '/hang') return; // never answered
        if (delay === undefined) answer();
        else setTimeout(answer, Number(delay));
      });
    });
    server.on('connection', (socket: Socket) => sockets.add(socket));
    server.on('upgrade', (req, socket, bodyHead: Buffer) => ignoreUpgrade(server, req, socket, bodyHead, { waiting }));
    process.on('warning', onWarning);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('hands the handler the request as sent, less the upgrade, its bytes unchanged', async () => {
    const conn = await rawConnection(port);
    // "é" as UTF-8 bytes in a header: Node reads them as two latin1 characters, and must again.
    conn.send(Buffer.from('GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Name: caf\u00c3\u00a9\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nx-name: two\r\n\r\n', 'latin1'));
    const answer = JSON.parse((await conn.next()).body) as { url: string; headers: string[] };
    expect(answer).toEqual({ url: '/a?b=1', headers: ['Host', 'x', 'X-Name', 'caf\u00c3\u00a9', 'x-name', 'two'], body: '' });
    conn.destroy();
  });

  it('serves request after request on one connection without piling up listeners', async () => {
    sockets.clear();
    const conn = await rawConnection(port);
    const request = (i: number) => `POST /n/${i} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\n${String(i).padStart(2, '0')}`;
    const counts: number[][] = [];
    for (let i = 0; i < 30; i += 1) {
      conn.send(request(i));
      expect(JSON.parse((await conn.next()).body)).toMatchObject({ url: `/n/${i}`, body: String(i).padStart(2, '0') });
      const [socket] = sockets;
      counts.push(['data', 'end', 'close', 'error', 'drain', 'timeout', 'pause', 'resume'].map((event) => socket?.listenerCount(event) ?? -1));
    }
    // Emitted again for each request, always with the one socket.
    expect(sockets.size).toBe(1);
    expect(counts.at(-1)).toEqual(counts[0]);
    expect(warnings).toEqual([]);
    conn.destroy();
  });

  describe('pipelined behind answers still going out', () => {
    const get = (path: string, upgrade: boolean, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${upgrade ? 'Connection: Upgrade\r\nUpgrade: h2c\r\n' : ''}${extra}\r\n`;
    const url = async (conn: Awaited<ReturnType<typeof rawConnection>>) => (JSON.parse((await conn.next()).body) as { url: string }).url;

    it('answers in order, each in its turn', async () => {
      const conn = await rawConnection(port);
      conn.send(get('/slow/80', false) + get('/slow/40', false) + get('/a', true) + get('/slow/20', true) + get('/b', false) + get('/c', true));
      const urls = [];
      for (let i = 0; i < 6; i += 1) urls.push(await url(conn));
      expect(urls).toEqual(['/slow/80', '/slow/40', '/a', '/slow/20', '/b', '/c']);
      expect(waiting.size).toBe(0);
      conn.destroy();
    });

    it('holds a waiting socket in `waiting`, and lets it go when it closes', async () => {
      const conn = await rawConnection(port);
      conn.send(get('/hang', false) + get('/a', true));
      await until(() => waiting.size === 1, 2_000, 'the socket waiting');
      conn.socket.resetAndDestroy();
      await until(() => waiting.size === 0, 2_000, 'the socket let go');
    });

    it('closes without answering a request sent after one whose answer closes the connection', async () => {
      const conn = await rawConnection(port);
      conn.send(get('/close/30', false) + get('/a', true));
      expect(await url(conn)).toBe('/close/30');
      await conn.closed;
      expect(conn.rest()).toBe('');
    });

    it('answers a request that takes longer than the keep-alive timeout the answer before it left running', async () => {
      const keepAliveTimeout = server.keepAliveTimeout;
      // Node lets a connection idle for this plus 1 s after an answer, then closes it.
      server.keepAliveTimeout = 1;
      try {
        const conn = await rawConnection(port);
        conn.send(get('/slow/20', false) + get('/slow/1300', true));
        expect(await url(conn)).toBe('/slow/20');
        expect(await url(conn)).toBe('/slow/1300');
        conn.destroy();
      } finally {
        server.keepAliveTimeout = keepAliveTimeout;
      }
    });

    it('answers what came before and closes when the client half-closes while it waits', async () => {
      const conn = await rawConnection(port);
      conn.send(get('/slow/300', false) + get('/a', true));
      await until(() => waiting.size === 1, 2_000, 'the socket waiting');
      // Its FIN, read while the request waits, ends the socket's reading side: the request can no
      // longer be handed back. The answer before goes out whole, then a clean close (plain Node
      // closes at a FIN at once, dropping even the answer before). No hang, nothing left waiting.
      conn.socket.end();
      expect(await url(conn)).toBe('/slow/300');
      await conn.closed;
      expect(conn.rest()).toBe('');
      expect(waiting.size).toBe(0);
    });

    it('lets a client go while it waits', async () => {
      const conn = await rawConnection(port);
      conn.send(get('/slow/50', false) + get('/a', true));
      await new Promise((resolve) => setTimeout(resolve, 10));
      conn.socket.resetAndDestroy();
      // Still serving (a reset the server was not listening for would have crashed it).
      await new Promise((resolve) => setTimeout(resolve, 80));
      const next = await rawConnection(port);
      next.send(get('/after', true));
      expect(await url(next)).toBe('/after');
      next.destroy();
    });
  });
});
