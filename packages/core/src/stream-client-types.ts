import type { Credentials } from './endpoint.js';
import type { DockerCloudEvent, StreamPosition } from './event-schema.js';
import type { EventsError } from './events-error.js';
import type { ResumeOutcome } from './extended-protocol.js';
import type { EventFilter, FilterSpec } from './filter.js';
import type { ConnectionSummary, ReconnectPolicy } from './reconnect-machine.js';

// The public shape of the stream client (stream-client.ts): its options, the snapshot of its
// connection and the stream it returns.

/** The part of AbortSignal the client uses (core has no DOM types). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void;
  removeEventListener?(type: 'abort', listener: () => void): void;
}

/** A filter as parseFilter/createFilter build it, or the spec createFilter takes. */
export type StreamFilterInput = EventFilter | FilterSpec;

export interface StreamClientOptions {
  /** `ws://`, `wss://`, `http://` or `https://`, as DOCKERCLOUD_STREAM_HOST. */
  readonly streamHost: string;
  /** Omit for the authenticated user's own namespace. */
  readonly namespace?: string;
  readonly filter?: StreamFilterInput;
  readonly credentials?: Credentials;
  /** A whole Authorization header value (as DOCKERCLOUD_AUTH); wins over `credentials`. */
  readonly authorization?: string;
  /**
   * Ask for the resumable extended protocol (events.resume.v1). Default true; a plain Docker
   * Cloud server ignores the offer and the client speaks the plain protocol with it.
   */
  readonly extended?: boolean;
  /** Reconnect policy overrides (backoff, timeouts), validated by createReconnectPolicy. */
  readonly policy?: Partial<ReconnectPolicy>;
  /** WebSocket pings, where the runtime can send them (10 s, as python-dockercloud; 100 ms to MAX_TIMER_MS); null: none. */
  readonly pingIntervalMs?: number | null;
  /** Events an async-iterator consumer may have waiting before the client pauses reading (10,000). */
  readonly highWaterMark?: number;
  /** Uuids of events without a position (plain servers) remembered to drop repeats (10,000). */
  readonly dedupeWindow?: number;
  /** How long a closing socket may take to report its close before it is terminated (2 s; at most MAX_TIMER_MS). */
  readonly closeTimeoutMs?: number;
  /** Where the runtime cannot set headers: `?auth=<header>` (default) or `?user=&token=`. */
  readonly queryAuth?: 'auth' | 'token';
  /** `/events/` (default, as the docs) or `/events` (as python-dockercloud). */
  readonly trailingSlash?: boolean;
  /** Aborting it is close(). */
  readonly signal?: AbortSignalLike;
  /**
   * Whether the network is up when the stream is created (default true). False starts it
   * suspended, opening no socket until setOnline(true): a browser tab created offline.
   */
  readonly online?: boolean;
  readonly onEvent?: (event: DockerCloudEvent) => void;
  readonly onError?: (error: EventsError) => void;
  readonly onState?: (snapshot: StreamSnapshot) => void;
}

/**
 * The connection as a UI shows it: describeConnection's summary plus the client's own flags.
 * `retryAt` and `lastClose.at` are on the port's monotonic clock (`performance.now()` in the
 * transports), not epoch milliseconds.
 *
 * Read the flags before `phase`: a paused stream and a closed one both show `phase: 'stopped'`
 * with `stopReason: 'stop'` (the machine is stopped in both cases).
 *
 * @example
 * const s = stream.getSnapshot();
 * const text = s.closed ? 'closed' : s.paused ? 'paused: the consumer is behind' : s.error !== null ? `stopped: ${s.error.message}` : s.phase;
 */
export interface StreamSnapshot extends ConnectionSummary {
  /** Whether the latest open connection speaks the extended protocol; null before the first. */
  readonly extended: boolean | null;
  /**
   * Reading is paused because an async-iterator consumer fell behind (see highWaterMark), or
   * pause() was called. Nothing is wrong: `phase` is `stopped` (`stopReason: 'stop'`) until the
   * consumer drained half the queue and resume() was called if pause() was, then `reconnecting`
   * and `live` again, resuming after the last event delivered.
   */
  readonly paused: boolean;
  /** close() was called (or the signal aborted): `phase` is `stopped` for good. */
  readonly closed: boolean;
  /**
   * Why the client stopped on its own (auth, fatal), else null. Set in the very snapshot whose
   * `phase` first says `stopped`.
   */
  readonly error: EventsError | null;
}

/** A connection met the stream: plain ones when they open, extended ones at their hello. */
export interface ConnectedInfo {
  readonly generation: number;
  readonly extended: boolean;
  /** The hello's answer to our resume request; null on a plain connection. */
  readonly resume: ResumeOutcome | null;
  /** Where the events that follow start; null on a plain connection. */
  readonly position: StreamPosition | null;
}

/** The stream could not be resumed: events were missed between the last delivered one and `position`. */
export interface ResyncRequest {
  /** Where live events continue (null on a plain server). */
  readonly position: StreamPosition | null;
  /** The connection that asked. */
  readonly generation: number;
}

/**
 * A live Docker Cloud event stream that reconnects, resumes and resyncs on its own. Read it with
 * `for await`, or with callbacks; close() ends both.
 *
 * @example
 * const stream = createEventStream({ filter: { type: 'service' } });
 * stream.subscribe(() => console.log(stream.getSnapshot().phase));
 * for await (const event of stream) console.log(event.type, event.action, event.state, event.resource_uri);
 */
export interface EventStream extends AsyncIterable<DockerCloudEvent> {
  /**
   * A bounded iterator of the events from now on. Breaking out of the loop (return()) closes the
   * stream, as with Node readable streams. Ends after close(); throws the EventsError when the
   * client stops on an auth or fatal failure.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<DockerCloudEvent>;
  /** Calls `listener` after each change of the snapshot; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** The current snapshot: the same object until something changes. */
  getSnapshot(): StreamSnapshot;
  /** Every event, in order, each once, synchronously as it arrives. */
  onEvent(listener: (event: DockerCloudEvent) => void): () => void;
  /**
   * Failures the stream does not cure by itself: the stop on auth/fatal closes (also the
   * rejection of runForever and what the iterator throws), invalid frames, a failed resync
   * handler. Transient connection failures (refused or dropped connections, server restarts,
   * timeouts, throttling) are retried and never reach it: onState reports them (`lastClose`,
   * `attempt`, `retryAt`). Added after the stream stopped on an error, it hears that error once,
   * on a microtask.
   */
  onError(listener: (error: EventsError) => void): () => void;
  /** Calls `listener` with each new snapshot (as subscribe, with the snapshot). */
  onState(listener: (snapshot: StreamSnapshot) => void): () => void;
  /** Each connection as it meets the stream (see ConnectedInfo). */
  onConnected(listener: (info: ConnectedInfo) => void): () => void;
  /**
   * Registers a re-reader of the full state for when the stream cannot be resumed. The client
   * reports the resync complete once every handler's promise resolved. Without handlers it is
   * complete at once: the events in between are simply missed. A handler that throws or rejects is
   * reported to onError, and the resync stays pending (`resyncPending`, `outcome: null`) until
   * reconnect() asks the handlers again.
   */
  onResync(handler: (request: ResyncRequest) => void | Promise<void>): () => void;
  /**
   * Stops reading, for a callback consumer whose output backs up (a pipe, a slow database): the
   * socket closes and nothing is retried until resume(). On the extended protocol the server
   * keeps the events, and resume() picks them up from the last one delivered (a resync if the
   * wait outlasted the server's retention); on a plain server the events of the pause are lost,
   * as on any Docker Cloud disconnect. `paused` is true in the snapshot meanwhile. Events of a
   * frame already read may still be delivered. Idempotent; does nothing after close().
   *
   * @example
   * stream.onEvent((event) => { if (!output.write(`${JSON.stringify(event)}\n`)) { stream.pause(); output.once('drain', () => stream.resume()); } });
   */
  pause(): void;
  /** Ends a pause(): connects again, resuming (once an async-iterator consumer has drained, if it is behind too). */
  resume(): void;
  /** The position of the last event or marker received on an extended connection. */
  getPosition(): StreamPosition | null;
  /** Resolves after close() (or an abort); rejects with the EventsError that stopped the client. */
  runForever(): Promise<void>;
  /**
   * Drops the connection and connects now (also after a stop on auth or fatal), and asks the
   * onResync handlers again when they failed the resync still pending. While reading is
   * paused (an async-iterator consumer is behind) it connects once the consumer drained, as then;
   * after pause(), only resume() connects.
   * While the server's own wait runs (a throttled close such as 4029 or HTTP 429, or a close with
   * `retryAfterMs`: see `lastClose`), it connects as soon as that wait is over, not before: it cuts
   * the client's backoff short, never the server's. `retryAt` then says when.
   */
  reconnect(): void;
  /**
   * What the platform says about the network (a browser's online/offline events). Offline: the
   * socket is closed and nothing is retried (phase `offline`); back online: it connects at once
   * (during the server's own wait: once it is over, as reconnect()).
   */
  setOnline(online: boolean): void;
  /**
   * Reconnects with the new filter, resuming from the current position; during a backoff it
   * connects at once, and during the server's own wait once that wait is over, as reconnect().
   * The old socket closes before it returns; the new one opens on the port's next timer (0 ms), so
   * several calls in a row open one socket, with the last filter.
   * Throws `invalid-filter` (keeping the old filter) for a filter no URL can be built from. Where
   * no socket is open or due (offline, unless reconnect() opened one anyway; paused; stopped on a
   * failure), it only keeps the filter for the next connection: offline, no socket is opened
   * until setOnline(true). After close() it does nothing, as reconnect() and setOnline() (an
   * invalid filter still throws: it is the caller's bug).
   */
  setFilter(filter: StreamFilterInput): void;
  /** Stops for good; resolves once the socket is gone. No timers remain. */
  close(): Promise<void>;
}

