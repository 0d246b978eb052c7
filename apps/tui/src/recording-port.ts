import type { StreamPort } from '@events/core';
import { RECORDING_VERSION, type RecordedFilter, type RecordedStep, type RecordingHeader, withoutCredentials } from './recording.js';

/** Response headers that may carry a secret (a session), never written. */
const PRIVATE_HEADERS = new Set(['authorization', 'set-cookie', 'www-authenticate', 'proxy-authorization']);

/** What the header says about the recorded client (hosts, namespace, filter); credentials never. */
export type RecordingTarget = Omit<RecordingHeader, 'recording' | 'version' | 'startedAt'> & { readonly filter?: RecordedFilter };

// Distributes Omit over the union, so that each kind keeps its own fields.
type StepInput = RecordedStep extends infer S ? (S extends RecordedStep ? Omit<S, 't'> : never) : never;

/**
 * Wraps a StreamPort so that everything the network tells core is also written, as one NDJSON
 * line per call of `write` (without the newline): sockets opened (URL without credentials),
 * protocols, text frames, pongs, closes, refused handshakes, and each REST request with its
 * answer. The header goes out at once. Request headers (Authorization) are never written.
 *
 * @example
 * const out = createWriteStream('session.ndjson');
 * const port = createRecordingPort(createNodePort(), (line) => out.write(`${line}\n`), Date.now, { streamHost, restHost });
 * const tree = createLiveTree({ streamHost, restHost, credentials }, port);
 */
export function createRecordingPort(inner: StreamPort, write: (line: string) => void, now: () => number = Date.now, target: RecordingTarget = { streamHost: '', restHost: '' }): StreamPort {
  const start = now();
  const header: RecordingHeader = { recording: 'events', version: RECORDING_VERSION, startedAt: new Date(start).toISOString(), ...target };
  write(JSON.stringify(header));
  const record = (step: StepInput) => write(JSON.stringify({ t: Math.max(0, now() - start), ...step }));
  let sockets = 0;
  return {
    canSetHeaders: inner.canSetHeaders,
    setTimer: (callback, delayMs) => inner.setTimer(callback, delayMs),
    clearTimer: (handle) => inner.clearTimer(handle),
    now: () => inner.now(),
    wallClock: () => inner.wallClock(),
    random: () => inner.random(),
    openSocket(request, handlers) {
      const socket = ++sockets;
      record({ kind: 'connect', socket, url: withoutCredentials(request.url), protocols: request.protocols });
      return inner.openSocket(request, {
        onOpen(protocol) {
          record({ kind: 'open', socket, protocol });
          handlers.onOpen(protocol);
        },
        onMessage(text) {
          record({ kind: 'frame', socket, text });
          handlers.onMessage(text);
        },
        onClose(code, reason) {
          record({ kind: 'close', socket, code, reason });
          handlers.onClose(code, reason);
        },
        onHandshakeFailed(status, retryAfterMs) {
          record({ kind: 'handshake-failed', socket, status, retryAfterMs: retryAfterMs ?? null });
          handlers.onHandshakeFailed(status, retryAfterMs);
        },
        onError(message) {
          record({ kind: 'error', socket, message });
          handlers.onError(message);
        },
        onPong() {
          record({ kind: 'pong', socket });
          handlers.onPong();
        },
        onSubprotocolRefused() {
          record({ kind: 'subprotocol-refused', socket });
          handlers.onSubprotocolRefused();
        },
      });
    },
    async request(request) {
      const url = withoutCredentials(request.url);
      try {
        const response = await inner.request(request);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          const lower = name.toLowerCase();
          if (!PRIVATE_HEADERS.has(lower)) headers[lower] = value;
        }
        record({ kind: 'http', method: request.method, url, status: response.status, headers, body: response.body });
        return response;
      } catch (error) {
        record({ kind: 'http', method: request.method, url, failure: error instanceof Error ? error.message : String(error) });
        throw error;
      }
    },
  };
}
