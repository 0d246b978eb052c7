import { EventsError } from '../events-error.js';
import { bodyTooLargeError, type HttpRequest, type HttpResponse, type SocketHandlers, type SocketRequest, type StreamPort } from '../stream-port.js';
import { MAX_TIMER_MS } from '../timer-delay.js';
import { createSeededRandom } from './seeded-random.js';
import { createTestClock, type TestClock } from './test-clock.js';

/** One socket the client opened through a FakeStreamPort; the test plays the server with it. */
export interface FakeSocket {
  readonly request: SocketRequest;
  /** 'open' after open(); 'closed' after the client closed it or the test ended it. */
  readonly status: 'connecting' | 'open' | 'closed';
  /** How the client ended it, if it did. */
  readonly closedBy: { readonly code: number; readonly reason: string } | 'terminate' | null;
  /** The upgrade succeeded with this subprotocol (default: the first offered, as our server does). */
  open(protocol?: string | null): void;
  /** One text frame: a string as is, anything else JSON-encoded. Also after the client closed it (a late frame). */
  send(frame: unknown): void;
  /** The server closed (or the network died: 1006). */
  close(code?: number, reason?: string): void;
  /** The server refused the upgrade; `detail` as a transport reads it from a JSON body (detailOfBody). */
  refuse(status: number, retryAfterMs?: number, detail?: string): void;
  error(message?: string): void;
  pong(): void;
  /** The server ignored the subprotocol offer and the runtime refused that (as Node's ws does). */
  refuseSubprotocol(): void;
}

/** One REST call the client made; answer it with respond() unless the port has an `http` handler. */
export interface FakeHttpCall {
  readonly request: HttpRequest;
  readonly answered: boolean;
  respond(response: { status: number; body?: unknown; headers?: Record<string, string> }): void;
  /** The request fails as fetch fails: `message`, and the underlying reason as its cause (e.g. `connect ECONNREFUSED …`). */
  fail(message?: string, cause?: string): void;
}

export interface FakeStreamPort extends StreamPort {
  readonly clock: TestClock;
  /** Every socket opened, in order. */
  readonly sockets: readonly FakeSocket[];
  /** The latest socket; throws when none was opened. */
  last(): FakeSocket;
  /** Sockets not closed. */
  live(): readonly FakeSocket[];
  readonly calls: readonly FakeHttpCall[];
  /** Calls not answered yet. */
  pending(): readonly FakeHttpCall[];
}

export interface FakeStreamPortOptions {
  readonly canSetHeaders?: boolean;
  readonly clock?: TestClock;
  /** Defaults to createSeededRandom(1). */
  readonly random?: () => number;
  /** Wall clock = clock.now() + this (default 1.8e12: a plausible date). */
  readonly wallOffsetMs?: number;
  /** Answers every REST call at once; without it, calls wait for respond(). */
  readonly http?: (request: HttpRequest) => { status: number; body?: unknown; headers?: Record<string, string> };
}

/**
 * A StreamPort that runs nothing on its own: timers are TestClock timers, sockets are records the
 * test drives (open, send, close), REST calls wait for the test to answer. For pure tests of the
 * stream client and the live tree, with no sleeps. As Node's, its timers fire after 1 ms when
 * asked to wait longer than MAX_TIMER_MS.
 *
 * @example
 * const port = createFakeStreamPort();
 * const stream = createStreamClient({ streamHost: 'ws://h/' }, port);
 * port.last().open();
 * port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: 'e', seq: 0 }, heartbeatMs: 15000 });
 * port.clock.advance(1000);
 */
export function createFakeStreamPort(options: FakeStreamPortOptions = {}): FakeStreamPort {
  const clock = options.clock ?? createTestClock();
  const random = options.random ?? createSeededRandom(1);
  const wallOffset = options.wallOffsetMs ?? 1.8e12;
  const sockets: FakeSocket[] = [];
  const calls: FakeHttpCall[] = [];

  const makeSocket = (request: SocketRequest, handlers: SocketHandlers): FakeSocket => {
    let status: FakeSocket['status'] = 'connecting';
    let closedBy: FakeSocket['closedBy'] = null;
    const ensure = (allowed: readonly FakeSocket['status'][], what: string) => {
      if (!allowed.includes(status)) throw new EventsError('internal', `fake socket: cannot ${what} a ${status} socket`);
    };
    const socket: FakeSocket & { clientClose(code: number, reason: string): void; clientTerminate(): void } = {
      request,
      get status() {
        return status;
      },
      get closedBy() {
        return closedBy;
      },
      open(protocol) {
        ensure(['connecting'], 'open');
        status = 'open';
        handlers.onOpen(protocol === undefined ? (request.protocols[0] ?? null) : protocol);
      },
      send(frame) {
        // A socket the client closed may still deliver what was in flight: allowed, so tests can
        // check that the client drops it.
        if (status !== 'open' && closedBy === null) ensure(['open'], 'send on');
        handlers.onMessage(typeof frame === 'string' ? frame : JSON.stringify(frame));
      },
      close(code = 1006, reason = '') {
        ensure(['connecting', 'open'], 'close');
        status = 'closed';
        handlers.onClose(code, reason);
      },
      refuse(httpStatus, retryAfterMs, detail) {
        ensure(['connecting'], 'refuse');
        status = 'closed';
        if (detail === undefined) handlers.onHandshakeFailed(httpStatus, retryAfterMs);
        else handlers.onHandshakeFailed(httpStatus, retryAfterMs, detail);
      },
      error(message = 'socket error') {
        ensure(['connecting', 'open'], 'fail');
        status = 'closed';
        handlers.onError(message);
      },
      pong() {
        ensure(['open'], 'pong on');
        handlers.onPong();
      },
      refuseSubprotocol() {
        ensure(['connecting'], 'refuse the subprotocol of');
        status = 'closed';
        handlers.onSubprotocolRefused();
      },
      clientClose(code, reason) {
        if (status === 'closed') return;
        closedBy = { code, reason };
        status = 'closed';
        // As a real socket: the close is reported later, after the closing handshake.
        clock.setTimeout(() => handlers.onClose(code, reason), 0);
      },
      clientTerminate() {
        if (status === 'closed') return;
        closedBy = 'terminate';
        status = 'closed';
        clock.setTimeout(() => handlers.onClose(1006, ''), 0);
      },
    };
    return socket;
  };

  const port: FakeStreamPort = {
    canSetHeaders: options.canSetHeaders ?? true,
    clock,
    sockets,
    calls,
    openSocket(request, handlers) {
      const socket = makeSocket(request, handlers);
      sockets.push(socket);
      const s = socket as FakeSocket & { clientClose(code: number, reason: string): void; clientTerminate(): void };
      return { close: (code, reason) => s.clientClose(code, reason), terminate: () => s.clientTerminate() };
    },
    // As Node does (browsers fire at once): a delay past the longest a timer keeps fires after 1 ms.
    setTimer: (callback, delayMs) => clock.setTimeout(callback, delayMs > MAX_TIMER_MS ? 1 : delayMs),
    clearTimer: (handle) => clock.clearTimeout(handle as number | undefined),
    now: () => clock.now(),
    wallClock: () => clock.now() + wallOffset,
    random,
    request(request) {
      return new Promise<HttpResponse>((resolve, reject) => {
        let answered = false;
        const call: FakeHttpCall = {
          request,
          get answered() {
            return answered;
          },
          respond({ status, body, headers = {} }) {
            if (answered) throw new EventsError('internal', 'fake http: answered twice');
            answered = true;
            const lower: Record<string, string> = {};
            for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = value;
            const text = typeof body === 'string' ? body : JSON.stringify(body ?? {});
            // As the transports: a body past the request's cap fails it.
            if (request.maxBodyBytes !== undefined && utf8Length(text) > request.maxBodyBytes) reject(bodyTooLargeError(request));
            else resolve({ status, headers: lower, body: text });
          },
          fail(message = 'network error', cause) {
            if (answered) throw new EventsError('internal', 'fake http: answered twice');
            answered = true;
            reject(new Error(message, cause === undefined ? undefined : { cause: new Error(cause) }));
          },
        };
        calls.push(call);
        if (options.http) call.respond(options.http(request));
      });
    },
    last() {
      const socket = sockets[sockets.length - 1];
      if (socket === undefined) throw new EventsError('internal', 'fake port: no socket was opened');
      return socket;
    },
    live: () => sockets.filter((s) => s.status !== 'closed'),
    pending: () => calls.filter((c) => !c.answered),
  };
  return port;
}

/** The UTF-8 size of `text` (core's lib has no TextEncoder). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}
