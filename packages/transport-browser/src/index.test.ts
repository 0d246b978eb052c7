import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SocketHandlers, SocketRequest } from '@events/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBrowserPort, createEventStream, createLiveTree, EventsError, type StandardWebSocket } from './index.js';

/** A stand-in for the standard WebSocket that records what the port does with it. */
class FakeSocket implements StandardWebSocket {
  static created: FakeSocket[] = [];
  protocol = '';
  binaryType = 'blob';
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;
  readonly closes: [number | undefined, string | undefined][] = [];
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.created.push(this);
  }
  close(code?: number, reason?: string): void {
    this.closes.push([code, reason]);
  }
  fire(name: 'onopen' | 'onmessage' | 'onclose' | 'onerror', event: object): void {
    (this[name] as ((event: object) => void) | null)?.(event);
  }
}

function recorder(): SocketHandlers & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  const record =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push([name, ...args]);
    };
  return {
    calls,
    onOpen: record('open'),
    onMessage: record('message'),
    onClose: record('close'),
    onHandshakeFailed: record('handshake-failed'),
    onError: record('error'),
    onPong: record('pong'),
    onSubprotocolRefused: record('subprotocol-refused'),
  };
}

const REQUEST: SocketRequest = { url: 'ws://127.0.0.1:1/api/audit/v1/events/?auth=x', protocols: ['events.resume.v1'], headers: {}, pingIntervalMs: null };

afterEach(() => {
  FakeSocket.created = [];
  vi.unstubAllGlobals();
});

describe('createBrowserPort', () => {
  it('refuses to start without a WebSocket, naming the fix', () => {
    vi.stubGlobal('WebSocket', undefined);
    expect(() => createBrowserPort()).toThrow(expect.objectContaining({ code: 'invalid-config', message: expect.stringContaining('"ws"') }));
  });

  it('uses the global WebSocket, looked up when called, and says it cannot set headers', () => {
    vi.stubGlobal('WebSocket', FakeSocket);
    const port = createBrowserPort();
    expect(port.canSetHeaders).toBe(false);
    port.openSocket(REQUEST, recorder());
    expect(FakeSocket.created.map((s) => [s.url, s.protocols])).toEqual([[REQUEST.url, ['events.resume.v1']]]);
  });

  it('forwards open (protocol or null), text frames, binary frames read as UTF-8, errors and closes', () => {
    const port = createBrowserPort({ WebSocket: FakeSocket });
    const handlers = recorder();
    port.openSocket(REQUEST, handlers);
    const socket = FakeSocket.created[0]!;
    expect(socket.binaryType).toBe('arraybuffer'); // a Blob could only be read later, out of order
    socket.fire('onopen', {});
    socket.protocol = 'events.resume.v1';
    socket.fire('onopen', {});
    socket.fire('onmessage', { data: '{"type":"position"}' });
    socket.fire('onmessage', { data: new TextEncoder().encode('{"state":"Überholt"}').buffer });
    socket.fire('onmessage', { data: { size: 4 } }); // a Blob: a runtime that kept its default
    socket.fire('onerror', {});
    socket.fire('onclose', { code: 1006, reason: '' });
    expect(handlers.calls).toEqual([
      ['open', null],
      ['open', 'events.resume.v1'],
      ['message', '{"type":"position"}'],
      ['message', '{"state":"Überholt"}'],
      ['error', 'WebSocket error'],
      ['close', 1006, ''],
    ]);
  });

  it("undoes ws's deviations: the status of a refused upgrade, and a server that ignores the subprotocol offer", () => {
    const port = createBrowserPort({ WebSocket: FakeSocket });
    const offered = recorder();
    port.openSocket(REQUEST, offered);
    FakeSocket.created[0]!.fire('onerror', { message: 'Unexpected server response: 401' });
    port.openSocket(REQUEST, offered);
    FakeSocket.created[1]!.fire('onerror', { message: 'Server sent no subprotocol' });
    const plain = recorder();
    port.openSocket({ ...REQUEST, protocols: [] }, plain);
    FakeSocket.created[2]!.fire('onerror', { message: 'Server sent no subprotocol' });
    expect(offered.calls).toEqual([
      ['handshake-failed', 401, undefined],
      ['error', 'Unexpected server response: 401'],
      ['subprotocol-refused'],
      ['error', 'Server sent no subprotocol'],
    ]);
    expect(plain.calls).toEqual([['error', 'Server sent no subprotocol']]);
  });

  it('closes only with codes a browser accepts and reasons of at most 123 UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6000 }), fc.string({ unit: 'grapheme', maxLength: 200 }), (code, reason) => {
        const port = createBrowserPort({ WebSocket: FakeSocket });
        port.openSocket(REQUEST, recorder()).close(code, reason);
        const [sentCode, sentReason] = FakeSocket.created.at(-1)!.closes[0]!;
        expect(sentCode === 1000 || (sentCode! >= 3000 && sentCode! <= 4999)).toBe(true);
        if (code === 1000 || (code >= 3000 && code <= 4999)) expect(sentCode).toBe(code);
        expect(new TextEncoder().encode(sentReason).length).toBeLessThanOrEqual(123);
        expect(reason.startsWith(sentReason!)).toBe(true);
        if (new TextEncoder().encode(reason).length <= 123) expect(sentReason).toBe(reason);
      }),
    );
  });

  it('terminates with terminate() when the socket has one (ws), else with a close', () => {
    class Terminable extends FakeSocket {
      terminated = 0;
      terminate() {
        this.terminated++;
      }
    }
    createBrowserPort({ WebSocket: Terminable }).openSocket(REQUEST, recorder()).terminate();
    createBrowserPort({ WebSocket: FakeSocket }).openSocket(REQUEST, recorder()).terminate();
    const [ws, standard] = FakeSocket.created as [Terminable, FakeSocket];
    expect([ws.terminated, ws.closes.length]).toEqual([1, 0]);
    expect(standard.closes).toEqual([[1000, 'connection presumed dead']]);
  });

  it('runs timers, including past-due ones, and cancels them', async () => {
    const port = createBrowserPort({ WebSocket: FakeSocket });
    const fired: string[] = [];
    port.setTimer(() => fired.push('late'), -50);
    const cancelled = port.setTimer(() => fired.push('cancelled'), 1);
    port.clearTimer(cancelled);
    port.setTimer(() => fired.push('soon'), 5);
    expect(fired).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fired).toEqual(['late', 'soon']);
  });

  it('has a monotonic clock, a wall clock and a random source in [0, 1)', () => {
    const port = createBrowserPort({ WebSocket: FakeSocket });
    const a = port.now();
    expect(port.now()).toBeGreaterThanOrEqual(a);
    expect(Math.abs(port.wallClock() - Date.now())).toBeLessThan(1_000);
    const draws = Array.from({ length: 100 }, () => port.random());
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(draws).size).toBeGreaterThan(90);
  });

  it('does REST with fetch: method, headers and body out; status, lower-case headers and body back', async () => {
    const seen: { method?: string; auth?: string; body: string } = { body: '' };
    const server = createServer((req, res) => {
      seen.method = req.method;
      seen.auth = req.headers.authorization;
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        seen.body += chunk;
      });
      req.on('end', () => {
        res.writeHead(202, { 'X-Events-Position': 'E1:7', 'Content-Type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = createBrowserPort({ WebSocket: FakeSocket });
      const { port: tcp } = server.address() as AddressInfo;
      const response = await port.request({ method: 'POST', url: `http://127.0.0.1:${tcp}/x/`, headers: { Authorization: 'Basic eA==' }, body: '{"a":1}' });
      expect(seen).toEqual({ method: 'POST', auth: 'Basic eA==', body: '{"a":1}' });
      expect(response.status).toBe(202);
      expect(response.headers['x-events-position']).toBe('E1:7');
      expect(response.body).toBe('{"ok":true}');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('createEventStream', () => {
  const options = { streamHost: 'ws://127.0.0.1:1/', credentials: { username: 'alice', apikey: 'k1' }, WebSocket: FakeSocket, closeTimeoutMs: 10 };

  /** A window-like global: the events a browser fires, and what was removed. */
  function stubWindow(onLine: boolean) {
    const target = new EventTarget();
    const added: string[] = [];
    const removed: string[] = [];
    vi.stubGlobal('navigator', { onLine });
    vi.stubGlobal('addEventListener', (type: string, listener: () => void) => {
      added.push(type);
      target.addEventListener(type, listener);
    });
    vi.stubGlobal('removeEventListener', (type: string, listener: () => void) => {
      removed.push(type);
      target.removeEventListener(type, listener);
    });
    return { fire: (type: 'online' | 'offline') => target.dispatchEvent(new Event(type)), added, removed };
  }

  it('authenticates in the query, since it cannot set headers', async () => {
    const stream = createEventStream(options);
    expect(FakeSocket.created[0]?.url).toBe('ws://127.0.0.1:1/api/audit/v1/events/?auth=Basic+YWxpY2U6azE%3D');
    expect(FakeSocket.created[0]?.protocols).toEqual(['events.resume.v1']);
    await stream.close();
  });

  it("follows the browser's offline and online events, and stops listening once closed", async () => {
    const window = stubWindow(true);
    const stream = createEventStream(options);
    expect(stream.getSnapshot().phase).toBe('connecting');
    window.fire('offline');
    expect(stream.getSnapshot().phase).toBe('offline');
    expect(FakeSocket.created[0]?.closes).toHaveLength(1); // no socket, no retry timer while offline
    window.fire('online');
    expect(FakeSocket.created).toHaveLength(2); // at once, not after a backoff
    expect(stream.getSnapshot()).toMatchObject({ phase: 'reconnecting', status: 'connecting', generation: 2 });
    await stream.close();
    expect(window.removed.sort()).toEqual(['offline', 'online']);
    window.fire('online');
    expect(FakeSocket.created).toHaveLength(2);
  });

  it('never drops a quiet plain connection (it cannot see the pings that keep it alive), unless asked to', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    try {
      const quiet = createEventStream(options);
      const watched = createEventStream({ ...options, policy: { idleTimeoutMs: 45_000 } });
      for (const socket of FakeSocket.created) socket.fire('onopen', {}); // protocol '': a plain server
      vi.advanceTimersByTime(50_000);
      expect(watched.getSnapshot().lastClose).toMatchObject({ kind: 'idle-timeout' });
      vi.advanceTimersByTime(10 * 60_000);
      expect(quiet.getSnapshot()).toMatchObject({ phase: 'live', generation: 1, lastClose: null });
      const closing = [quiet.close(), watched.close()];
      vi.advanceTimersByTime(100);
      await Promise.all(closing);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops with invalid-config when the runtime refuses to construct the socket (blocked URL): no retry can pass', async () => {
    class Blocked extends FakeSocket {
      constructor(url: string) {
        super(url);
        throw new Error('mixed content');
      }
    }
    const stream = createEventStream({ ...options, WebSocket: Blocked });
    expect(stream.getSnapshot()).toMatchObject({
      phase: 'stopped',
      stopReason: 'fatal',
      lastClose: { kind: 'error', code: 1006, reason: 'mixed content', class: 'fatal' },
      error: { code: 'invalid-config', message: 'the socket could not be opened: mixed content' },
    });
    await expect(stream.runForever()).rejects.toMatchObject({ code: 'invalid-config' });
    await stream.close();
  });

  it('starts offline when navigator.onLine says so, and connects when the network is back', async () => {
    const window = stubWindow(false);
    const stream = createEventStream(options);
    expect(stream.getSnapshot().phase).toBe('offline');
    expect(FakeSocket.created).toHaveLength(0); // not even one socket opened and closed at once
    window.fire('online');
    expect(stream.getSnapshot().status).toBe('connecting');
    expect(FakeSocket.created).toHaveLength(1);
    await stream.close();
    // An explicit online: true wins over navigator.onLine (it is only a hint).
    const forced = createEventStream({ ...options, online: true });
    expect(forced.getSnapshot().status).toBe('connecting');
    await forced.close();
  });

  it('leaves no online/offline listener behind for a stream or tree created with an aborted signal', async () => {
    const window = stubWindow(true);
    const signal = AbortSignal.abort();
    const stream = createEventStream({ ...options, signal });
    const tree = createLiveTree({ ...options, restHost: 'http://127.0.0.1:1/', signal });
    expect([stream.getSnapshot().closed, tree.stream.getSnapshot().closed]).toEqual([true, true]);
    // Created closed, they never publish again: a listener added now would hold them for the page's life.
    expect(window.added.length - window.removed.length).toBe(0);
    await Promise.all([stream.close(), tree.close()]);
    expect(window.added.length - window.removed.length).toBe(0);
    expect(FakeSocket.created).toHaveLength(0);
  });

  it('the live tree follows them too', async () => {
    const window = stubWindow(true);
    const tree = createLiveTree({ ...options, restHost: 'http://127.0.0.1:1/', fetch: () => new Promise(() => {}) });
    window.fire('offline');
    expect(tree.getSnapshot().connection.phase).toBe('offline');
    await tree.close();
    expect(window.removed.sort()).toEqual(['offline', 'online']);
  });
});

describe('errors', () => {
  it('asks for a stream host without sending the caller to an environment a browser does not have', () => {
    const noHost = (options: Record<string, unknown>) => {
      try {
        createEventStream({ credentials: { username: 'alice', apikey: 'k1' }, WebSocket: FakeSocket, ...options });
      } catch (error) {
        return error as EventsError;
      }
      throw new Error('no error');
    };
    expect(noHost({})).toMatchObject({ code: 'invalid-config' });
    expect(noHost({}).message).toMatch(/^no stream host: pass streamHost \(this transport reads no environment: the env option can supply DOCKERCLOUD_STREAM_HOST\)/);
    expect(noHost({ env: { DOCKERCLOUD_NAMESPACE: 'acme' } }).message).toMatch(/^no stream host: pass streamHost or DOCKERCLOUD_STREAM_HOST in env /);
    expect(FakeSocket.created).toHaveLength(0);
  });

  it('refuses options that are not an object, naming what it got (a host string included)', () => {
    const host = 'ws://127.0.0.1:8080/';
    const thrown = (create: () => unknown) => {
      try {
        create();
      } catch (error) {
        return error as EventsError;
      }
      throw new Error('no error');
    };
    for (const create of [createEventStream, createLiveTree] as ((options: unknown) => unknown)[]) {
      expect(thrown(() => create(host))).toMatchObject({
        code: 'invalid-config',
        message: `options must be an object, got the string "${host}" (a host goes in { streamHost: "${host}" })`,
      });
      expect(thrown(() => create(null))).toMatchObject({ code: 'invalid-config', message: 'options must be an object, got null' });
      expect(thrown(() => create([]))).toMatchObject({ code: 'invalid-config', message: 'options must be an object, got an array' });
      for (const env of [null, 'DOCKERCLOUD_NAMESPACE=acme']) {
        expect(thrown(() => create({ streamHost: host, WebSocket: FakeSocket, env }))).toMatchObject({
          code: 'invalid-config',
          message: expect.stringMatching(/^env must be an object of DOCKERCLOUD_\* variables \(such as Deno\.env\.toObject\(\)\), got (null|the string)/),
        });
      }
      // What people pass for WebSocket by mistake: the ws module itself, a socket instead of its class.
      expect(thrown(() => create({ streamHost: host, WebSocket: { WebSocket: FakeSocket } }))).toMatchObject({
        code: 'invalid-config',
        message: 'WebSocket must be a WebSocket class (globalThis.WebSocket, or WebSocket from the "ws" package), got an object',
      });
      expect(thrown(() => create({ streamHost: host, WebSocket: FakeSocket, fetch: 'https://example.test' }))).toMatchObject({
        code: 'invalid-config',
        message: 'fetch must be a function such as globalThis.fetch, got the string "https://example.test"',
      });
    }
    expect(FakeSocket.created).toHaveLength(0);
    expect(thrown(() => createBrowserPort(null as never))).toMatchObject({ code: 'invalid-config', message: "createBrowserPort's options must be an object, got null" });
  });

  it('exports EventsError as a value, so that browser code can test `instanceof` as Node code can', () => {
    let caught: unknown;
    try {
      createEventStream({ credentials: { username: 'ann', apikey: 'k' } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EventsError);
    expect(caught).toMatchObject({ code: 'invalid-config', message: expect.stringMatching(/^no stream host/) });
  });
});
