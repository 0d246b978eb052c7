import { CloseCode, EventsError, type EventFilter, OBJECT_TYPES, type ObjectType } from '@events/core';

/**
 * A recording is NDJSON at the level of core's StreamPort: a header line (what the client was
 * pointed at), then what the network said, each line with `t`, the milliseconds since the
 * recording started. Credentials are never written: URLs lose their `auth`/`token`/`apikey`
 * query values and user info, and request headers are not kept at all.
 *
 * ```
 * {"recording":"events","version":2,"startedAt":"2026-11-27T09:01:33.000Z","streamHost":"ws://127.0.0.1:8080/","restHost":"http://127.0.0.1:8080/"}
 * {"t":0,"kind":"connect","socket":1,"url":"ws://127.0.0.1:8080/api/audit/v1/events/","protocols":["events.v1"]}
 * {"t":9,"kind":"open","socket":1,"protocol":"events.v1"}
 * {"t":10,"kind":"frame","socket":1,"text":"{\"type\":\"hello\",...}"}
 * {"t":15,"kind":"http","method":"GET","url":"http://127.0.0.1:8080/api/app/v1/stack/?limit=1000","status":200,"headers":{...},"body":"..."}
 * {"t":530,"kind":"close","socket":1,"code":1000,"reason":""}
 * ```
 */
export type RecordingLine = RecordingHeader | RecordedStep;

export const RECORDING_VERSION = 2;

/**
 * The close a replay ends with when the recording runs out: a code the stream client classifies
 * as fatal, so it stops without a retry (and the header says "replay finished").
 */
export const END_OF_RECORDING = { code: CloseCode.badRequest, reason: 'end of recording' } as const;

/**
 * Whether a close is the end of a replayed recording.
 *
 * @example
 * isEndOfRecording(tree.getSnapshot().connection.lastClose) // true once a replay has played to its end
 */
export function isEndOfRecording(close: { readonly code: number; readonly reason: string } | null): boolean {
  return close !== null && close.code === END_OF_RECORDING.code && close.reason === END_OF_RECORDING.reason;
}

/** The first line: where the recorded client connected, so that a replay builds the same one. */
export interface RecordingHeader {
  readonly recording: 'events';
  readonly version: typeof RECORDING_VERSION;
  readonly startedAt: string;
  readonly streamHost: string;
  readonly restHost: string;
  readonly namespace?: string;
  readonly filter?: RecordedFilter;
}

/**
 * When the recording started (epoch ms), the origin of its `t` offsets and so of a replay's
 * clock; 0 for a header whose `startedAt` is no date.
 *
 * @example
 * recordingStart(recording.header) + step.t // when the step happened
 */
export function recordingStart(header: RecordingHeader): number {
  const startedAt = Date.parse(header.startedAt);
  return Number.isNaN(startedAt) ? 0 : startedAt;
}

/** An EventFilter as JSON (its sets as arrays). */
export interface RecordedFilter {
  readonly types: readonly ObjectType[] | null;
  readonly objects: readonly string[] | null;
  readonly parents: readonly string[] | null;
}

/** What the port saw, in order. `socket` numbers the sockets opened, from 1. */
export type RecordedStep =
  | { readonly t: number; readonly kind: 'connect'; readonly socket: number; readonly url: string; readonly protocols: readonly string[] }
  | { readonly t: number; readonly kind: 'open'; readonly socket: number; readonly protocol: string | null }
  | { readonly t: number; readonly kind: 'frame'; readonly socket: number; readonly text: string }
  | { readonly t: number; readonly kind: 'pong'; readonly socket: number }
  | { readonly t: number; readonly kind: 'close'; readonly socket: number; readonly code: number; readonly reason: string }
  | { readonly t: number; readonly kind: 'handshake-failed'; readonly socket: number; readonly status: number; readonly retryAfterMs: number | null }
  | { readonly t: number; readonly kind: 'error'; readonly socket: number; readonly message: string }
  | { readonly t: number; readonly kind: 'subprotocol-refused'; readonly socket: number }
  | RecordedHttp;

/** A REST request and its answer (status, lower-case headers, body), or the failure of the request. */
export type RecordedHttp =
  | {
      readonly t: number;
      readonly kind: 'http';
      readonly method: string;
      readonly url: string;
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string;
    }
  | { readonly t: number; readonly kind: 'http'; readonly method: string; readonly url: string; readonly failure: string };

/** A recording read back. */
export interface Recording {
  readonly header: RecordingHeader;
  readonly steps: readonly RecordedStep[];
}

const SECRET_PARAMS = new Set(['auth', 'token', 'apikey', 'api_key']);

/**
 * The URL without credentials: no user info, no `auth`/`token`/`apikey` query parameters. The
 * same function keys the replay's REST answers, so the recorded and the replayed URL match.
 *
 * @example
 * withoutCredentials('ws://h/api/audit/v1/events/?auth=Basic%20eA%3D%3D&type=service') // 'ws://h/api/audit/v1/events/?type=service'
 */
export function withoutCredentials(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL we can take apart: drop the whole query rather than risk a secret in it.
    return url.replace(/\?.*$/s, '');
  }
  parsed.username = '';
  parsed.password = '';
  for (const name of [...parsed.searchParams.keys()]) if (SECRET_PARAMS.has(name.toLowerCase())) parsed.searchParams.delete(name);
  return parsed.toString();
}

/** The filter as the header keeps it. */
export function recordFilter(filter: EventFilter): RecordedFilter {
  const list = <T>(set: ReadonlySet<T> | null) => (set === null ? null : [...set]);
  return { types: list(filter.types), objects: list(filter.objects), parents: list(filter.parents) };
}

/** The header's filter as core takes it. */
export function replayFilter(filter: RecordedFilter): EventFilter {
  const set = <T>(list: readonly T[] | null) => (list === null ? null : new Set(list));
  return { types: set(filter.types), objects: set(filter.objects), parents: set(filter.parents) };
}

const STEP_KINDS = new Set<RecordedStep['kind']>(['connect', 'open', 'frame', 'pong', 'close', 'handshake-failed', 'error', 'subprotocol-refused', 'http']);

/**
 * Parses a recording; errors name the line. A last line cut short (the recorder was killed
 * mid-write) is ignored.
 *
 * @example
 * const recording = parseRecording(readFileSync('s.ndjson', 'utf8'), 's.ndjson');
 *
 * @throws EventsError `invalid-config` for a file that is not a recording
 */
export function parseRecording(text: string, name = 'recording'): Recording {
  const raw = text.split('\n');
  const fail = (line: number, why: string): never => {
    throw new EventsError('invalid-config', `${name}:${line}: ${why}`);
  };
  let header: RecordingHeader | null = null;
  const steps: RecordedStep[] = [];
  // Only the file's last line may be cut short, and only after the header: anything before it is
  // corruption, and a file whose one line does not parse is no recording.
  let last = raw.length - 1;
  while (last >= 0 && (raw[last] as string).trim() === '') last--;
  if (last < 0) throw new EventsError('invalid-config', `${name}: empty, not a recording`);
  for (let i = 0; i < raw.length; i++) {
    const text = (raw[i] as string).trim();
    if (text === '') continue;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(text) as Record<string, unknown>;
    } catch {
      if (i === last && header !== null) break; // a last line cut short
      return fail(i + 1, header === null ? 'not JSON: not an events recording' : 'not JSON');
    }
    if (header === null) {
      if (typeof value !== 'object' || value === null || value.recording !== 'events') {
        return fail(i + 1, `not an events recording (expected a {"recording":"events","version":${RECORDING_VERSION}} header)`);
      }
      if (value.version !== RECORDING_VERSION) {
        return fail(i + 1, `an events recording of version ${JSON.stringify(value.version)}; this events reads version ${RECORDING_VERSION}`);
      }
      if (typeof value.streamHost !== 'string' || typeof value.restHost !== 'string') return fail(i + 1, 'the header has no "streamHost" and "restHost"');
      const types = (value.filter as RecordedFilter | undefined)?.types;
      if (types != null && !types.every((type) => (OBJECT_TYPES as readonly string[]).includes(type))) return fail(i + 1, 'the header\'s filter names an unknown type');
      header = value as unknown as RecordingHeader;
      continue;
    }
    const t = value.t;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) return fail(i + 1, '"t" must be a number of milliseconds');
    if (!STEP_KINDS.has(value.kind as RecordedStep['kind'])) return fail(i + 1, `unknown "kind" ${JSON.stringify(value.kind)}`);
    if (value.kind === 'http') {
      if (typeof value.method !== 'string' || typeof value.url !== 'string') return fail(i + 1, 'an "http" line needs "method" and "url"');
      if (typeof value.failure !== 'string' && (typeof value.status !== 'number' || typeof value.body !== 'string')) return fail(i + 1, 'an "http" line needs "status" and "body" (or "failure")');
    } else {
      if (typeof value.socket !== 'number') return fail(i + 1, 'a socket line needs "socket"');
      if (value.kind === 'frame' && typeof value.text !== 'string') return fail(i + 1, 'a "frame" line needs "text"');
      if (value.kind === 'close' && typeof value.code !== 'number') return fail(i + 1, 'a "close" line needs "code"');
    }
    steps.push(value as unknown as RecordedStep);
  }
  if (header === null) throw new EventsError('invalid-config', `${name}: empty, not a recording`);
  return { header, steps };
}
