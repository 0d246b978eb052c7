import { checkStreamOptions } from './client-options.js';
import { authorizationHeader, type QueryAuth, streamUrl } from './endpoint.js';
import { type DockerCloudEvent, type StreamPosition, tryFastParseEvent } from './event-schema.js';
import { createEventQueue, type EventQueue } from './event-queue.js';
import { EventsError, type EventsErrorCode, toEventsError } from './events-error.js';
import { type Frame, parseFrame, parseFrameValue, RESUME_SUBPROTOCOL, } from './extended-protocol.js';
import { type EventFilter, resolveFilter } from './filter.js';
import { notFoundDetail } from './not-found-detail.js';
import {
  createReconnectPolicy,
  createReconnectState,
  describeConnection,
  hasSocket,
  type LastClose,
  type ReconnectEffect,
  type ReconnectInput,
  type ReconnectState,
  step,
  type TimerName,
} from './reconnect-machine.js';
import type {
  StreamFilterInput,
  StreamClientOptions,
  StreamSnapshot,
  ConnectedInfo,
  ResyncRequest,
  EventStream,
} from './stream-client-types.js';
import type { SocketHandle, SocketHandlers, StreamPort } from './stream-port.js';
import { createUuidWindow } from './uuid-window.js';

// The stream client: runs the reconnect machine (reconnect-machine.ts) against a StreamPort,
// executing its effects, parsing frames, delivering each event once, in order.
//
// Decisions:
// - Everything that happens (socket callbacks, timers, API calls) runs as a task on one queue,
//   to completion, in order: a transport that reports synchronously from inside openSocket or
//   close() cannot interleave with the effects of the step that caused it.
// - Socket inputs are tagged with the generation of their open-socket effect; a frame from any
//   socket but the current open one is dropped before it is parsed, so a late event from an old
//   socket is never delivered.
// - Each event is delivered at most once: on extended connections, by position (an event at or
//   before the last delivered position of the same epoch is a repeat); events without a position
//   (plain servers), by uuid over a bounded window. The position baseline is reset by every hello,
//   whose position is where the following events start, unless events of its epoch were
//   delivered past it already (laterOf).
// - The machine sees every frame, but a run of event frames is stepped lazily: only the latest
//   is kept, and stepped with its own arrival time right before the next input of any kind (see
//   flushFrame). Stepping each costs more than parsing it, and the states in between are never
//   observed: an event frame changes only lastActivityAt, framesReceived and the position.
// - Consumers of the async iterator get a bounded queue (highWaterMark). When it fills, the
//   client closes its socket ("paused") and, once the consumer has drained it to half, connects
//   again resuming from the position of the last event it queued: nothing is lost on an extended
//   server. On a plain server a pause is a disconnect, and its events are lost, as every
//   Docker Cloud disconnect lost them. Callback consumers (onEvent) are never paused for them:
//   they pause() and resume() themselves (a writer whose output backs up), which works the same way.
// - A close-socket effect without `terminate` starts the closing handshake; a socket that has
//   not reported its close after closeTimeoutMs is terminated, so close() always ends.
// - An error frame announces the server's close (protocol.md §5). A server that sends one and
//   then does not close would leave the stream `live` on a connection its server called broken,
//   and no one told: closeTimeoutMs after the frame (whatever else the server sends meanwhile)
//   the client ends it as if the server had closed it without a code (the frame's code, hint and
//   message decide what follows). Each connection has its own wait.
// - A runtime that refuses a server ignoring our subprotocol offer (Node's ws; a real Docker
//   Cloud server ignores it) reports onSubprotocolRefused: the client stops offering and connects
//   again at once, as a plain client. reconnect() offers again (the server may have changed).
// - setFilter closes the old socket at once (no event of the old filter is delivered after it
//   returns) but opens the new one on a port timer of 0 ms: several calls in a row (a UI applying
//   a filter per keystroke, or type then parent) open one socket, with the last filter, instead of
//   one each. The machine already treats the socket as opening (its connect timeout runs); one it
//   gives up before then (a later setFilter, close, offline) is never opened.

export type { AbortSignalLike, StreamFilterInput, StreamClientOptions, StreamSnapshot, ConnectedInfo, ResyncRequest, EventStream } from './stream-client-types.js';

export const DEFAULT_PING_INTERVAL_MS = 10_000;
export const DEFAULT_HIGH_WATER_MARK = 10_000;
const DEFAULT_DEDUPE_WINDOW = 10_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 2_000;

/**
 * Creates the stream and starts connecting at once (unless `signal` is already aborted). Throws
 * EventsError `invalid-config` / `invalid-filter` for options no connection could be built from.
 *
 * @example
 * const stream = createStreamClient({ streamHost: 'ws://127.0.0.1:8080/', credentials }, port);
 * stream.onEvent((event) => store.apply(event, port.wallClock())); // the time is the port's, as every clock core reads
 */
export function createStreamClient(options: StreamClientOptions, port: StreamPort): EventStream {
  checkStreamOptions(options);
  const policy = createReconnectPolicy(options.policy ?? {});
  const pingIntervalMs = options.pingIntervalMs === undefined ? DEFAULT_PING_INTERVAL_MS : options.pingIntervalMs;
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  const uuids = createUuidWindow(options.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW);
  const auth = resolveAuth(options, port.canSetHeaders);
  let filter = toFilter(options.filter);
  const buildUrl = (resume: StreamPosition | null) =>
    streamUrl({
      streamHost: options.streamHost,
      ...(options.namespace !== undefined && { namespace: options.namespace }),
      filter,
      ...(options.trailingSlash !== undefined && { trailingSlash: options.trailingSlash }),
      ...(auth.query !== undefined && { auth: auth.query }),
      ...(resume !== null && { resume }),
    });
  buildUrl(null); // fail now, in the caller's stack, on a bad host, namespace or filter

  let state: ReconnectState = createReconnectState();
  /** Whether sockets offer RESUME_SUBPROTOCOL: the option, until a runtime refuses a server that ignores it. */
  let offerExtended = options.extended ?? true;
  let closed = false;
  /** Reading stopped because an async-iterator queue is full. */
  let paused = false;
  /** Reading stopped because the caller said pause(); only resume() ends it. */
  let held = false;
  let stopError: EventsError | null = null;
  let lastExtended: boolean | null = null;
  let deliveredPosition: StreamPosition | null = null;
  let snapshot: StreamSnapshot = makeSnapshot();

  const tasks: (() => void)[] = [];
  let running = false;
  const timers = new Map<TimerName, unknown>();
  /** Sockets not yet known to have ended, by generation. */
  const sockets = new Map<number, SocketHandle>();
  /** Terminate timers of sockets asked to close. */
  const closeTimers = new Map<number, unknown>();
  const queues = new Set<EventQueue<DockerCloudEvent>>();
  const listeners = new Set<() => void>();
  const eventListeners = new Set<(event: DockerCloudEvent) => void>();
  const errorListeners = new Set<(error: EventsError) => void>();
  const stateListeners = new Set<(snapshot: StreamSnapshot) => void>();
  const connectedListeners = new Set<(info: ConnectedInfo) => void>();
  const resyncHandlers = new Set<(request: ResyncRequest) => void | Promise<void>>();
  /** The resync whose handlers failed, still owed: reconnect() asks them again (the user acted). */
  let failedResync: { readonly position: StreamPosition | null } | null = null;
  let forever: { promise: Promise<void>; resolve: () => void; reject: (error: EventsError) => void } | null = null;
  const socketsGone: (() => void)[] = [];
  /** While true, open-socket effects wait for a port timer (setFilter: see the decisions above). */
  let deferOpens = false;
  /** The socket the machine opened whose port.openSocket waits for that timer. */
  let deferredOpen: { readonly generation: number; readonly timer: unknown } | null = null;
  /** The wait for the close an error frame announced (see the decisions above). */
  let closeAfterError: { readonly generation: number; readonly timer: unknown } | null = null;
  let closing: Promise<void> | null = null;

  if (options.onEvent) eventListeners.add(options.onEvent);
  if (options.onError) errorListeners.add(options.onError);
  if (options.onState) stateListeners.add(options.onState);

  function makeSnapshot(): StreamSnapshot {
    return Object.freeze({
      ...describeConnection(state),
      extended: lastExtended,
      paused: paused || held,
      closed,
      error: state.status === 'stopped' && state.reason !== 'stop' ? stopError : null,
    });
  }

  /** Runs `task` now, or after the task in progress: one at a time, in order. */
  function run(task: () => void): void {
    if (running) {
      tasks.push(task);
      return;
    }
    running = true;
    try {
      task();
    } catch (error) {
      rethrowLater(error);
    }
    drain();
  }

  /** run(() => received(generation, text)) without a closure per frame: the hot path. */
  function runMessage(generation: number, text: string): void {
    if (running) {
      tasks.push(() => received(generation, text));
      return;
    }
    running = true;
    try {
      received(generation, text);
    } catch (error) {
      rethrowLater(error);
    }
    drain();
  }

  function drain(): void {
    try {
      for (let next = tasks.shift(); next !== undefined; next = tasks.shift()) {
        try {
          next();
        } catch (error) {
          rethrowLater(error);
        }
      }
    } finally {
      running = false;
    }
  }

  /**
   * The latest event frame not yet stepped (see received). Stepping each event frame costs more
   * than parsing it; a run of them only moves lastActivityAt and the position, so the machine gets
   * the last one, stamped with its own arrival time, just before its next input.
   */
  let pendingEvent: DockerCloudEvent | null = null;
  let pendingGeneration = 0;
  /**
   * Its arrival time. In a typed array: a monotonic clock reads fractional milliseconds, and a
   * fractional number written to a plain variable is a new heap number, per event.
   */
  const pendingAt = new Float64Array(1);

  function flushFrame(): void {
    const event = pendingEvent;
    if (event === null) return;
    pendingEvent = null;
    const frame: Frame = { kind: 'event', event };
    const [next, effects] = step(state, { type: 'frame-received', generation: pendingGeneration, frame }, { now: pendingAt[0] as number, random: () => port.random(), policy });
    state = next;
    for (const effect of effects) execute(effect);
  }

  function input(event: ReconnectInput): void {
    flushFrame();
    const before = state;
    const [next, effects] = step(state, event, { now: port.now(), random: () => port.random(), policy });
    state = next;
    const stopping = next.status === 'stopped' && next.reason !== 'stop' && next !== before && before.status !== 'stopped';
    const error = stopping ? errorOfClose(next.lastClose) : null;
    // Before the effects: their notify publishes the stopped snapshot, which must already carry
    // why it stopped (one notification, not a bare `stopped` followed by the same with its error).
    if (error !== null) stopError = error;
    for (const effect of effects) execute(effect);
    if (error !== null) stopped(error);
  }

  function execute(effect: ReconnectEffect): void {
    switch (effect.type) {
      case 'open-socket':
        if (deferOpens) deferOpen(effect.generation, effect.resume);
        else openSocket(effect.generation, effect.resume);
        break;
      case 'close-socket':
        closeSocket(effect.generation, effect.code, effect.reason, effect.terminate);
        break;
      case 'set-timer': {
        clearTimer(effect.timer);
        const { timer, generation } = effect;
        const handle = port.setTimer(
          () =>
            run(() => {
              if (timers.get(timer) !== handle) return;
              timers.delete(timer);
              input({ type: 'timer-fired', timer, generation });
            }),
          Math.max(0, effect.at - port.now()),
        );
        timers.set(timer, handle);
        break;
      }
      case 'clear-timer':
        clearTimer(effect.timer);
        break;
      case 'resync':
        resync(effect.position);
        break;
      case 'notify':
        publish();
        break;
      default:
        assertNever(effect);
    }
  }

  function clearTimer(name: TimerName): void {
    const handle = timers.get(name);
    if (handle === undefined) return;
    timers.delete(name);
    port.clearTimer(handle);
  }

  function openSocket(generation: number, resume: StreamPosition | null): void {
    const url = buildUrl(resume);
    const handlers: SocketHandlers = {
      onOpen: (protocol) => run(() => opened(generation, protocol === '' ? null : protocol)),
      onMessage: (text) => runMessage(generation, text),
      onClose: (code, reason) =>
        run(() => {
          socketEnded(generation);
          input({ type: 'socket-close', generation, code, reason });
        }),
      onHandshakeFailed: (status, retryAfterMs, given) => {
        // A plain HTTP server's 404 says only "HTTP 404": say where we asked and what to check.
        const detail = (status === 404 ? notFoundDetail('stream', url, given) : null) ?? given;
        run(() =>
          input({
            type: 'handshake-failed',
            generation,
            status,
            ...(retryAfterMs !== undefined && { retryAfterMs }),
            ...(detail !== undefined && detail !== '' && { detail }),
          }),
        );
      },
      onError: (message) => run(() => input({ type: 'socket-error', generation, message })),
      onPong: () => run(() => input({ type: 'pong', generation })),
      onSubprotocolRefused: () =>
        run(() => {
          if (!hasSocket(state) || state.generation !== generation || !offerExtended) return;
          // A plain Docker Cloud server: stop offering (until reconnect()) and connect again now.
          offerExtended = false;
          input({ type: 'subprotocol-refused', generation });
        }),
    };
    try {
      const handle = port.openSocket(
        {
          url,
          protocols: offerExtended ? [RESUME_SUBPROTOCOL] : [],
          headers: auth.header !== undefined ? { Authorization: auth.header } : {},
          pingIntervalMs,
        },
        handlers,
      );
      sockets.set(generation, handle);
    } catch (error) {
      // A runtime that refuses to open the socket at all (a URL it rejects, Deno without
      // --allow-net, ws:// from an https page) refuses the next attempt alike: stop and say why.
      run(() => input({ type: 'socket-error', generation, message: toEventsError(error).message, fatal: true }));
    }
  }

  /** openSocket on a port timer of 0 ms, unless the machine gives that socket up before (closeSocket). */
  function deferOpen(generation: number, resume: StreamPosition | null): void {
    cancelDeferredOpen();
    const timer = port.setTimer(
      () =>
        run(() => {
          if (deferredOpen?.timer !== timer) return;
          deferredOpen = null;
          openSocket(generation, resume);
        }),
      0,
    );
    deferredOpen = { generation, timer };
  }

  function cancelDeferredOpen(): void {
    if (deferredOpen === null) return;
    port.clearTimer(deferredOpen.timer);
    deferredOpen = null;
  }

  function closeSocket(generation: number, code: number, reason: string, terminate: boolean): void {
    if (deferredOpen?.generation === generation) {
      cancelDeferredOpen(); // never opened: nothing to close
      return;
    }
    const handle = sockets.get(generation);
    if (handle === undefined) return;
    if (terminate) {
      socketEnded(generation);
      handle.terminate();
      return;
    }
    if (closeTimers.has(generation)) return;
    handle.close(code, reason);
    closeTimers.set(
      generation,
      port.setTimer(
        () =>
          run(() => {
            closeTimers.delete(generation);
            if (!sockets.has(generation)) return;
            socketEnded(generation);
            handle.terminate();
          }),
        closeTimeoutMs,
      ),
    );
  }

  /** Ends the connection of `generation` closeTimeoutMs after its error frame, unless it has closed by then. */
  function awaitCloseAfterError(generation: number): void {
    if (closeAfterError?.generation === generation) return; // a second error frame: the first one's wait runs on
    // An older connection's wait, its socket not ended yet (a reconnect() right after its error
    // frame): the machine has left it, and keeping it would leave this connection without one.
    if (closeAfterError !== null) port.clearTimer(closeAfterError.timer);
    const timer = port.setTimer(
      () =>
        run(() => {
          if (closeAfterError?.timer !== timer) return;
          closeAfterError = null;
          if (state.status !== 'open' || state.generation !== generation) return;
          const message = state.errorFrame?.message ?? 'error frame';
          const handle = sockets.get(generation);
          // 1006, as a connection that ended without a close frame: the machine takes the error
          // frame's own code and hint then. Ours to end, as the machine only hears of it.
          input({ type: 'socket-close', generation, code: 1006, reason: `${message} (the server sent this error and did not close the connection)` });
          socketEnded(generation);
          handle?.terminate();
        }),
      closeTimeoutMs,
    );
    closeAfterError = { generation, timer };
  }

  function socketEnded(generation: number): void {
    if (closeAfterError?.generation === generation) {
      port.clearTimer(closeAfterError.timer);
      closeAfterError = null;
    }
    sockets.delete(generation);
    const timer = closeTimers.get(generation);
    if (timer !== undefined) {
      closeTimers.delete(generation);
      port.clearTimer(timer);
    }
    if (sockets.size === 0) for (const resolve of socketsGone.splice(0)) resolve();
  }

  function opened(generation: number, protocol: string | null): void {
    input({ type: 'socket-open', generation, protocol });
    if (state.status !== 'open' || state.generation !== generation) return;
    if (lastExtended !== state.extended) {
      lastExtended = state.extended;
      publish();
    }
    if (!state.extended) connected({ generation, extended: false, resume: null, position: null });
  }

  function received(generation: number, text: string): void {
    // Before parsing: a frame from a socket we gave up on must never be delivered.
    if (state.status !== 'open' || state.generation !== generation) return;
    // parseFrame, inlined for events (nearly every frame): no Result or Frame wrapper per event.
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      const failed = parseFrame(text);
      if (!failed.ok) report(failed.error);
      return;
    }
    const event = tryFastParseEvent(value);
    if (event !== undefined && state.stable !== 'elapsed') {
      // Only lastActivityAt, framesReceived and the position change: step it lazily (flushFrame).
      pendingEvent = event;
      pendingGeneration = generation;
      pendingAt[0] = port.now();
      deliver(event);
      return;
    }
    const parsed = event !== undefined ? ({ ok: true, value: { kind: 'event', event } } as const) : parseFrameValue(value);
    if (!parsed.ok) {
      report(parsed.error);
      return;
    }
    const frame = parsed.value;
    const helloBefore = state.helloReceived;
    input({ type: 'frame-received', generation, frame });
    if (state.status !== 'open' || state.generation !== generation) return;
    switch (frame.kind) {
      case 'event':
        deliver(frame.event);
        break;
      case 'hello':
        if (state.extended && !helloBefore) {
          deliveredPosition = laterOf(deliveredPosition, frame.frame.position);
          connected({ generation, extended: true, resume: frame.frame.resume, position: frame.frame.position });
        }
        break;
      case 'error':
        awaitCloseAfterError(generation); // the machine keeps the error's message, code and hint
        break;
      case 'position':
        break; // the machine keeps the position
      default:
        assertNever(frame);
    }
  }

  function deliver(event: DockerCloudEvent): void {
    const position = event.position;
    if (position !== undefined) {
      // Positions order events exactly: a repeat is at or before the last one delivered.
      if (deliveredPosition !== null && position.epoch === deliveredPosition.epoch && position.seq <= deliveredPosition.seq) return;
      deliveredPosition = position;
    } else if (!uuids.add(event.uuid)) {
      return;
    }
    for (const listener of eventListeners) {
      try {
        listener(event);
      } catch (error) {
        rethrowLater(error);
      }
    }
    if (queues.size > 0) for (const queue of queues) queue.push(event);
  }

  function connected(info: ConnectedInfo): void {
    for (const listener of connectedListeners) call(listener, info);
  }

  function resync(position: StreamPosition | null): void {
    failedResync = null;
    const request: ResyncRequest = { position, generation: state.generation };
    const complete = () => run(() => input({ type: 'resync-complete', position }));
    if (resyncHandlers.size === 0) {
      complete();
      return;
    }
    const results: (void | Promise<void>)[] = [];
    for (const handler of resyncHandlers) {
      try {
        results.push(handler(request));
      } catch (error) {
        results.push(Promise.reject(error));
      }
    }
    Promise.all(results).then(
      () => {
        if (!closed) complete();
      },
      (error: unknown) => {
        if (closed) return;
        // The machine waits for this position's resync-complete: nothing else would ask again.
        if (state.resync?.status === 'pending' && samePosition(state.resync.position, position)) failedResync = { position };
        report(toEventsError(error));
      },
    );
  }

  function stopped(error: EventsError): void {
    stopError = error;
    report(error);
    for (const queue of queues) queue.fail(error);
    queues.clear();
    if (forever !== null) {
      forever.reject(error);
      forever = null;
    }
    publish();
  }

  function publish(): void {
    if (state.status === 'open') lastExtended = state.extended;
    const next = makeSnapshot();
    if (sameFields(next, snapshot)) return; // the same snapshot object until something changes
    snapshot = next;
    for (const listener of [...listeners]) call(listener);
    for (const listener of [...stateListeners]) call(listener, snapshot);
  }

  function report(error: EventsError): void {
    for (const listener of [...errorListeners]) call(listener, error);
  }

  function pause(): void {
    if (paused || closed) return;
    paused = true;
    stopOrStartReading(held ? null : 'stop');
  }

  function resumeIfDrained(): void {
    if (!paused || closed) return;
    for (const queue of queues) if (queue.full) return;
    paused = false;
    stopOrStartReading(held ? null : 'start');
  }

  /** A pause's or resume's step: the machine's stop/start, or only the flags' publish when the other reason still holds. */
  function stopOrStartReading(step: 'stop' | 'start' | null): void {
    run(() => {
      if (step !== null) input({ type: step });
      publish();
    });
  }

  function close(): Promise<void> {
    if (closing !== null) return closing;
    closed = true;
    paused = false;
    held = false;
    options.signal?.removeEventListener?.('abort', onAbort);
    closing = new Promise<void>((resolve) =>
      run(() => {
        input({ type: 'stop' });
        for (const handle of timers.values()) port.clearTimer(handle);
        timers.clear();
        for (const queue of queues) queue.end();
        queues.clear();
        if (forever !== null) {
          forever.resolve();
          forever = null;
        }
        publish();
        if (sockets.size === 0) resolve();
        else socketsGone.push(resolve);
      }),
    );
    return closing;
  }

  const onAbort = () => {
    void close();
  };

  const stream: EventStream = {
    [Symbol.asyncIterator]() {
      const queue = createEventQueue<DockerCloudEvent>({
        highWaterMark,
        onFull: pause,
        onDrained: resumeIfDrained,
        onReturn: () => {
          queues.delete(queue);
          void close();
        },
      });
      if (closed) queue.end();
      else if (snapshot.error !== null) queue.fail(snapshot.error);
      else queues.add(queue);
      return queue;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    getSnapshot: () => snapshot,
    onEvent: (listener) => addTo(eventListeners, listener),
    onError(listener) {
      const unsubscribe = addTo(errorListeners, listener);
      // A stream that already stopped on an error (the runtime refused its first socket while it
      // was being created, before any caller could attach) tells a listener that comes late, once,
      // on a microtask: `createEventStream(…).onError(fn)` must not miss why it never ran.
      const error = snapshot.error;
      if (error !== null) {
        void Promise.resolve().then(() => {
          if (errorListeners.has(listener)) call(listener, error);
        });
      }
      return unsubscribe;
    },
    onState: (listener) => addTo(stateListeners, listener),
    onConnected: (listener) => addTo(connectedListeners, listener),
    onResync: (handler) => addTo(resyncHandlers, handler),
    getPosition() {
      // The machine has not seen the pending frame yet; it will take the same position from it.
      const pending = pendingEvent;
      if (pending === null || pendingGeneration !== state.generation || state.status !== 'open' || !state.extended) return state.position;
      return pending.position ?? state.position;
    },
    runForever() {
      if (closed) return Promise.resolve();
      if (snapshot.error !== null) return Promise.reject(snapshot.error);
      if (forever === null) {
        let resolve!: () => void;
        let reject!: (error: EventsError) => void;
        const promise = new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        forever = { promise, resolve, reject };
      }
      return forever.promise;
    },
    pause() {
      if (closed || held) return;
      held = true;
      // Stopped already (the queue's pause, or a failure whose error the snapshot keeps): nothing to stop.
      stopOrStartReading(paused || state.status === 'stopped' ? null : 'stop');
    },
    resume() {
      if (closed || !held) return;
      held = false;
      // Only a stop of ours is undone: a failure stays stopped, as reconnect() is what retries it.
      stopOrStartReading(paused || state.status !== 'stopped' || state.reason !== 'stop' ? null : 'start');
    },
    reconnect() {
      if (closed) return;
      offerExtended = options.extended ?? true;
      if (held) return; // resume() connects
      // Still behind: a socket now could only deliver events the full queue refuses (lost, with
      // the position already past them). Reading resumes, connecting afresh, once it drained.
      if (paused && [...queues].some((queue) => queue.full)) return;
      paused = false;
      run(() => {
        input({ type: 'reconnect' });
        publish();
        // A resync whose handlers failed is still owed (resyncPending): ask them again.
        const failed = failedResync;
        if (failed !== null && state.resync?.status === 'pending' && samePosition(state.resync.position, failed.position)) resync(failed.position);
      });
    },
    setOnline(online) {
      if (closed) return;
      run(() => input({ type: online ? 'online' : 'offline' }));
    },
    setFilter(next) {
      const previous = filter;
      filter = toFilter(next);
      try {
        buildUrl(null);
      } catch (error) {
        filter = previous;
        throw error;
      }
      if (closed) {
        filter = previous; // a documented no-op, as reconnect() and setOnline() after close()
        return;
      }
      // Every later socket reads `filter`. Reconnect now only where a socket is open or due (also
      // one reconnect() opened while offline): not while paused (resuming connects), stopped on a
      // failure (reconnect() connects), or suspended offline (the machine's `reconnect` would
      // override offline; `online` connects with the new filter).
      run(() => {
        if (closed || paused || held || !(hasSocket(state) || state.status === 'backoff')) return;
        // A socket whose open is still deferred reads `filter` when it opens: nothing to redo.
        if (deferredOpen !== null && hasSocket(state) && deferredOpen.generation === state.generation) return;
        deferOpens = true;
        try {
          input({ type: 'reconnect' });
        } finally {
          deferOpens = false;
        }
      });
    },
    close,
  };
  if (options.signal?.aborted) {
    void close();
  } else {
    options.signal?.addEventListener('abort', onAbort, { once: true });
    run(() => {
      if (options.online === false) input({ type: 'offline' });
      input({ type: 'start' });
    });
  }
  return stream;
}

/**
 * The EventsError for a close that stopped the client: what a script reports and exits on.
 *
 * @example
 * errorOfClose({ kind: 'http', code: 401, reason: 'HTTP 401', class: 'auth', at: 0 }).code // 'auth'
 */
export function errorOfClose(close: LastClose | null): EventsError {
  if (close === null) return new EventsError('internal', 'the stream stopped without a close');
  const code = errorCodeOfClose(close);
  if (close.kind === 'error' && close.class === 'fatal') return new EventsError(code, `the socket could not be opened: ${close.reason}`);
  const what = close.kind === 'http' ? `the server refused the connection with HTTP ${close.code}` : `the connection closed with code ${close.code}`;
  const reason = close.reason !== '' && close.reason !== `HTTP ${close.code}` ? `: ${close.reason}` : '';
  return new EventsError(code, `${what}${reason}`);
}

function errorCodeOfClose(close: LastClose): EventsErrorCode {
  switch (close.class) {
    case 'auth':
      return 'auth';
    case 'throttled':
      return 'throttled';
    case 'fatal':
      if (close.kind === 'error') return 'invalid-config'; // the runtime would not open the socket
      if (close.code === 403 || close.code === 4003) return 'forbidden';
      if (close.code === 400 || close.code === 4000) return 'invalid-filter';
      if (close.code >= 1000 && close.code < 1016) return 'protocol';
      return close.kind === 'http' ? 'http' : 'connection';
    case 'transient':
    case 'resync':
      return close.kind === 'connect-timeout' || close.kind === 'idle-timeout' ? 'timeout' : 'connection';
    default:
      return assertNever(close.class);
  }
}

/** The Authorization header to send, and the query form for runtimes that cannot send it. */
export function resolveAuth(
  options: Pick<StreamClientOptions, 'credentials' | 'authorization' | 'queryAuth'>,
  canSetHeaders: boolean,
): { readonly header?: string; readonly query?: QueryAuth } {
  const header = options.authorization ?? (options.credentials !== undefined ? authorizationHeader(options.credentials) : undefined);
  if (header === undefined) return {};
  if (canSetHeaders) return { header };
  if (options.queryAuth === 'token' && options.credentials !== undefined) return { query: { mode: 'query-token', credentials: options.credentials } };
  return { query: { mode: 'query-auth', authorization: header } };
}

/** A filter from either input form; undefined matches everything. */
export function toFilter(input: StreamFilterInput | undefined): EventFilter {
  return resolveFilter(input);
}

/**
 * Where a hello says the events start, unless events of its epoch were delivered past it already:
 * a server that replays from behind (its resumed hello behind the position asked for, or the
 * position asked for behind the last event, after a position marker that went back) must not have
 * those events delivered twice. Positions only grow within an epoch (protocol.md §8).
 */
function laterOf(delivered: StreamPosition | null, hello: StreamPosition): StreamPosition {
  return delivered !== null && delivered.epoch === hello.epoch && delivered.seq > hello.seq ? delivered : hello;
}

function samePosition(a: StreamPosition | null, b: StreamPosition | null): boolean {
  return a === null || b === null ? a === b : a.epoch === b.epoch && a.seq === b.seq;
}

function sameFields<T extends object>(a: T, b: T): boolean {
  for (const key of Object.keys(a) as (keyof T)[]) if (a[key] !== b[key]) return false;
  return true;
}

function addTo<T>(set: Set<T>, item: T): () => void {
  set.add(item);
  return () => {
    set.delete(item);
  };
}

function call<A extends unknown[]>(listener: (...args: A) => void, ...args: A): void {
  try {
    listener(...args);
  } catch (error) {
    rethrowLater(error);
  }
}

/** A listener's exception must not break the client's loop, nor vanish: rethrow it outside. */
function rethrowLater(error: unknown): void {
  void Promise.reject(error);
}

function assertNever(value: never): never {
  throw new EventsError('internal', `stream client: unexpected ${JSON.stringify(value)}`);
}
