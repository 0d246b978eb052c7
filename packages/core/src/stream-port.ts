import { EventsError } from './events-error.js';
import type { AbortSignalLike } from './stream-client-types.js';

/**
 * The port a transport fills so core's stream client can run on any runtime: a WebSocket
 * factory, timers and a clock. Core decides everything (URL, auth, frames, reconnect, resume,
 * store); the transport only wires a concrete socket and timers to this interface.
 */

/**
 * What core tells the socket it opened. Call them as the socket reports; calling any of them
 * after the socket ended, twice, or from inside openSocket is harmless: core tags each socket with
 * a generation, ignores inputs from sockets it has given up, and queues re-entrant calls.
 */
export interface SocketHandlers {
  onOpen(protocol: string | null): void;
  /**
   * A frame's text. Pass binary frames too, decoded as UTF-8: the wire contract sends JSON in text
   * frames, but the official SDKs read either kind (go-dockercloud's ReadJSON, python-dockercloud's
   * json.loads), so a server that sends binary ones worked with them; dropped, its events would
   * vanish without a word. Core reports what is not an event frame.
   */
  onMessage(text: string): void;
  onClose(code: number, reason: string): void;
  /** The server refused the upgrade with an HTTP status (only runtimes that can see it). */
  /**
   * The server refused the upgrade with an HTTP status. `detail` is its explanation when the
   * runtime can read the body (detailOfBody): it becomes the close's reason.
   */
  onHandshakeFailed(status: number, retryAfterMs: number | undefined, detail?: string): void;
  onError(message: string): void;
  /**
   * Proof of life below the message level (only runtimes that see control frames): a pong that
   * answered our ping, or a ping from the server. Resets the idle timeout, nothing else.
   */
  onPong(): void;
  /**
   * The server accepted the upgrade without any of the offered subprotocols, and this runtime
   * refuses such a connection (Node's ws does; browsers accept it and call onOpen(null)). Core
   * then connects again without the offer: the server speaks the plain protocol.
   */
  onSubprotocolRefused(): void;
}

export interface SocketRequest {
  readonly url: string;
  readonly protocols: readonly string[];
  /**
   * Headers for the upgrade. Empty when the port says it cannot set headers: core has put the
   * credentials in the query (`?auth=`) instead.
   */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Send a WebSocket ping this often while open (runtimes that can; others ignore it), and report
   * the pongs through onPong. null: do not ping. The python-dockercloud SDK pinged every 10 s.
   */
  readonly pingIntervalMs: number | null;
}

export interface SocketHandle {
  /** Start the closing handshake (or abort the upgrade if still connecting); then report onClose. */
  close(code: number, reason: string): void;
  /** Drop the connection without a closing handshake (the peer is presumed dead). */
  terminate(): void;
}

export interface TimerPort {
  /** Run `callback` once after `delayMs` (≥ 0), never synchronously. Returns a handle for clearTimer. */
  setTimer(callback: () => void, delayMs: number): unknown;
  /** Cancel a pending timer; a spent or unknown handle is ignored. */
  clearTimer(handle: unknown): void;
}

/** A JSON HTTP GET/POST for the REST lists and operations of the live tree. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /**
   * Aborted when core no longer wants the answer: the live tree closed, a newer listing
   * superseded the one the request reads for, another list of its attempt failed, or it went
   * unanswered for the tree's restTimeoutMs. Core
   * settles its own promise at once and ignores a later answer; a port that honours the signal
   * (passes it on to fetch) ends the request too, freeing its connection. Core's lib has no DOM
   * types: tie it to a standard AbortController, e.g.
   * `signal.addEventListener('abort', () => controller.abort(), { once: true })`.
   */
  readonly signal?: AbortSignalLike;
  /**
   * The most bytes of the answer's body to read (the live tree's maxRestBodyBytes). A port reads
   * the body as it comes and, once past this, stops reading, aborts the request and fails it with
   * bodyTooLargeError: readCappedBody does all that on a fetch's ReadableStream. Read whole, a
   * hostile server's page of a million objects would hold that much memory, and the parse would
   * block the process for seconds.
   */
  readonly maxBodyBytes?: number;
}

/** The default of the live tree's maxRestBodyBytes: 32 MiB, some ten times a page of 1,000 (pageSize) large services. */
export const DEFAULT_MAX_REST_BODY_BYTES = 32 * 1024 * 1024;

/** The error a port fails a request with when the answer's body passes `request.maxBodyBytes`. */
export function bodyTooLargeError(request: Pick<HttpRequest, 'method' | 'url' | 'maxBodyBytes'>): EventsError {
  // Without the query, which may carry credentials (?auth=).
  const at = request.url.indexOf('?');
  const url = at === -1 ? request.url : request.url.slice(0, at);
  return new EventsError('protocol', `${request.method} ${url} failed: its answer's body is over ${request.maxBodyBytes} bytes (maxRestBodyBytes); reading stopped there`);
}

/** The part of a standard ReadableStream of bytes (a fetch Response's `body`) readCappedBody reads. */
export interface ByteStreamLike {
  getReader(): {
    read(): Promise<{ readonly done: boolean; readonly value?: Uint8Array | undefined }>;
    cancel(reason?: unknown): Promise<void>;
  };
}

/** A standard TextDecoder for UTF-8 (core's lib names no runtime's globals: the transport passes one). */
export interface Utf8DecoderLike {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

/**
 * Reads a fetch answer's body as UTF-8 text, holding no more than `request.maxBodyBytes` of it:
 * past that, it cancels the stream (which ends fetch's request) and throws bodyTooLargeError.
 * The transport aborts its request on the throw too, in case its fetch leaves the connection open.
 *
 * @example
 * const body = response.body === null ? '' : await readCappedBody(response.body, request, new TextDecoder());
 * @throws EventsError `protocol` when the body passes the cap; a failed read's own error otherwise
 */
export async function readCappedBody(body: ByteStreamLike, request: HttpRequest, decoder: Utf8DecoderLike): Promise<string> {
  const max = request.maxBodyBytes ?? Number.POSITIVE_INFINITY;
  const reader = body.getReader();
  const parts: string[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value === undefined) continue;
    bytes += value.byteLength;
    if (bytes > max) {
      // Not awaited: a server that stalls must not hold the failure; the rejection says nothing new.
      reader.cancel().catch(() => {});
      throw bodyTooLargeError(request);
    }
    // Chunk by chunk, `stream` keeping a character split between two chunks whole.
    parts.push(decoder.decode(value, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join('');
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface StreamPort extends TimerPort {
  /** Whether the runtime can send Authorization headers on the upgrade (Node: yes; browsers: no). */
  readonly canSetHeaders: boolean;
  openSocket(request: SocketRequest, handlers: SocketHandlers): SocketHandle;
  /** Monotonic milliseconds. */
  now(): number;
  /** Wall-clock milliseconds (for "as of" labels and event datetimes). */
  wallClock(): number;
  random(): number;
  /** HTTP for REST (fetch in Node 18+ and browsers). */
  request(request: HttpRequest): Promise<HttpResponse>;
}
