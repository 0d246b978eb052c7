import * as z from 'zod/mini';
import { describeIssues, errorFrameSchema, eventSchema, streamPositionSchema, tryFastParseEvent, type DockerCloudEvent, type ErrorFrame, type StreamPosition } from './event-schema.js';
import { err, EventsError, ok, type Result } from './events-error.js';
import { withMessages } from './schema-messages.js';

/**
 * The WebSocket subprotocol a client asks for to opt into resumable streams (protocol.md §8).
 * Without it a connection speaks exactly Docker Cloud's protocol.
 */
export const RESUME_SUBPROTOCOL = 'events.resume.v1';

/** The query key that carries the position to resume from: `?resume=<epoch>:<seq>`. */
export const RESUME_QUERY_KEY = 'resume';

/** Header on REST list answers (all connections): the stream position the list is consistent with. */
export const POSITION_HEADER = 'X-Events-Position';

/** How the server answered a connection's resume request. */
export type ResumeOutcome = 'fresh' | 'resumed' | 'gone';

/**
 * First frame on an extended connection. `position` is where the live stream continues from:
 * after the resumed position, or the current head when fresh or gone. On `gone` the client
 * re-reads the REST lists before trusting its cache.
 */
export interface HelloFrame {
  readonly type: 'hello';
  readonly resume: ResumeOutcome;
  readonly position: StreamPosition;
  /** The server sends a position marker at least this often while idle. */
  readonly heartbeatMs: number;
}

/** Sent soon after open and while idle so a client with narrow filters keeps its place. */
export interface PositionFrame {
  readonly type: 'position';
  readonly position: StreamPosition;
}

export type Frame =
  | { readonly kind: 'event'; readonly event: DockerCloudEvent }
  | { readonly kind: 'error'; readonly frame: ErrorFrame }
  | { readonly kind: 'hello'; readonly frame: HelloFrame }
  | { readonly kind: 'position'; readonly frame: PositionFrame };

const helloFrameSchema = z.object(
  {
    type: z.literal('hello', withMessages),
    resume: z.enum(['fresh', 'resumed', 'gone'], withMessages),
    position: streamPositionSchema,
    heartbeatMs: z.number(withMessages).check(z.int(), z.positive()),
  },
  withMessages,
);

const positionFrameSchema = z.object({ type: z.literal('position', withMessages), position: streamPositionSchema }, withMessages);

/**
 * Parses one text frame from the server into a typed frame, or a precise error naming the field
 * that is wrong. Never throws.
 *
 * @example
 * const frame = parseFrame(text); if (frame.ok && frame.value.kind === 'event') store.apply(frame.value.event);
 */
export function parseFrame(text: string): Result<Frame> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return err(new EventsError('invalid-frame', `frame is not JSON: ${(cause as Error).message}`, { cause }));
  }
  // Events are nearly every frame: try the fast path before anything else.
  const event = tryFastParseEvent(value);
  return event ? { ok: true, value: { kind: 'event', event } } : parseFrameValue(value);
}

/** As parseFrame, for a frame already decoded from JSON. */
export function parseFrameValue(value: unknown): Result<Frame> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return err(new EventsError('invalid-frame', 'frame must be a JSON object'));
  }
  const type = (value as { type?: unknown }).type;
  const fail = (what: string, error: z.core.$ZodError) =>
    err(new EventsError('invalid-frame', `invalid ${what} frame: ${describeIssues(error)}`, { cause: error }));
  switch (type) {
    case 'error': {
      const r = errorFrameSchema.safeParse(value);
      return r.success ? ok({ kind: 'error', frame: withShortMessage(r.data as ErrorFrame) }) : fail('error', r.error);
    }
    case 'hello': {
      const r = helloFrameSchema.safeParse(value);
      return r.success ? ok({ kind: 'hello', frame: r.data }) : fail('hello', r.error);
    }
    case 'position': {
      const r = positionFrameSchema.safeParse(value);
      return r.success ? ok({ kind: 'position', frame: r.data }) : fail('position', r.error);
    }
    default: {
      const fast = tryFastParseEvent(value);
      if (fast) return ok({ kind: 'event', event: fast });
      const r = eventSchema.safeParse(value);
      return r.success ? ok({ kind: 'event', event: r.data }) : fail('event', r.error);
    }
  }
}

/**
 * Characters of an error frame's message kept: it becomes the close's reason, shown in a status
 * line and in the error that stops the stream (a close frame's own reason is at most 123 bytes).
 */
const MAX_ERROR_MESSAGE_LENGTH = 300;

function withShortMessage(frame: ErrorFrame): ErrorFrame {
  const message = frame.data.errorMessage;
  if (message.length <= MAX_ERROR_MESSAGE_LENGTH) return frame;
  return { ...frame, data: { ...frame.data, errorMessage: `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…` } };
}

export function formatPosition(position: StreamPosition): string {
  return `${position.epoch}:${position.seq}`;
}

/** Parses `<epoch>:<seq>` as sent in `?resume=` and the X-Events-Position header. */
export function parsePosition(text: string): Result<StreamPosition> {
  const at = text.lastIndexOf(':');
  const epoch = text.slice(0, at);
  const seqText = text.slice(at + 1);
  if (at <= 0 || !/^\d{1,15}$/.test(seqText)) {
    return err(new EventsError('invalid-filter', `invalid stream position ${JSON.stringify(text)}: expected <epoch>:<sequence>`));
  }
  return ok({ epoch, seq: Number(seqText) });
}

/** Whether `a` comes strictly after `b` in the same epoch. */
export function isAfter(a: StreamPosition, b: StreamPosition): boolean {
  return a.epoch === b.epoch && a.seq > b.seq;
}

/**
 * Close codes of the extended protocol. 1000-1015 are the standard codes; 4000-4999 are ours.
 * Documented in docs/extended-protocol.md.
 */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  badRequest: 4000,
  unauthorized: 4001,
  forbidden: 4003,
  notFound: 4004,
  slowConsumer: 4008,
  tooManyLogins: 4029,
  positionGone: 4410,
} as const;

/** What a client should do after a close or a failed handshake. */
export type CloseClass =
  | 'transient' // reconnect after a short jittered delay
  | 'throttled' // reconnect after a back-off, honouring the server's hint
  | 'auth' // stop; at most one retry, with fresh credentials
  | 'fatal' // stop: forbidden namespace, bad request
  | 'resync'; // reconnect at once and re-list: the position is gone

/** Classifies a WebSocket close code (1006 = abnormal: no close frame, e.g. a dead network). */
export function classifyCloseCode(code: number): CloseClass {
  switch (code) {
    case CloseCode.tryAgainLater:
    case CloseCode.slowConsumer:
    case CloseCode.tooManyLogins:
      return 'throttled';
    case CloseCode.unauthorized:
      return 'auth';
    case CloseCode.badRequest:
    case CloseCode.forbidden:
    case CloseCode.notFound:
    case 1002: // protocol error
    case 1003: // unsupported data
    case 1007: // invalid payload
    case 1008: // policy violation
    case 1009: // message too big
    case 1010: // mandatory extension
      return 'fatal';
    case CloseCode.positionGone:
      return 'resync';
    default:
      return 'transient';
  }
}

/** Classifies the HTTP status of a refused upgrade (Docker Cloud's protocol: 401/403/429 before the upgrade). */
export function classifyHttpStatus(status: number): CloseClass {
  if (status === 401) return 'auth';
  if (status === 429 || status === 503) return 'throttled';
  if (status >= 500) return 'transient';
  if (status === 408) return 'transient';
  return 'fatal';
}
