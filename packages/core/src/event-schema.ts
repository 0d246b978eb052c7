import * as z from 'zod/mini';
import { err, EventsError, ok, type Result } from './events-error.js';
import { quoted, withMessages } from './schema-messages.js';
import { EVENT_ACTIONS, normalizeState, OBJECT_TYPES, type EventAction, type ObjectType, type State } from './object-types.js';

/** A position in the server's stream (extended protocol, protocol.md §8). */
export interface StreamPosition {
  /** The stream's incarnation: a new epoch means sequences restarted and old positions are void. */
  readonly epoch: string;
  /** Grows by one for every event accepted within the epoch. */
  readonly seq: number;
}

/**
 * One Docker Cloud event: always all seven fields (the Go SDK decodes into one reused struct, so
 * a missing field would show the previous event's value). `position` is present only on
 * connections that opted into the extended protocol.
 */
export interface DockerCloudEvent {
  readonly type: ObjectType;
  readonly action: EventAction;
  readonly parents: readonly string[];
  readonly resource_uri: string;
  readonly state: State;
  /** Identifies the event, not the object: the object's id is the last segment of resource_uri. */
  readonly uuid: string;
  /** ISO 8601 UTC. */
  readonly datetime: string;
  readonly position?: StreamPosition;
}

const text = () => z.string(withMessages);

export const streamPositionSchema = z.object(
  {
    epoch: text().check(z.minLength(1)),
    seq: z.number(withMessages).check(z.int(), z.nonnegative()),
  },
  withMessages,
);

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

export const eventSchema = z.pipe(
  z.object(
    {
      type: z.enum(OBJECT_TYPES, withMessages),
      action: z.enum(EVENT_ACTIONS, withMessages),
      parents: z.array(text().check(z.startsWith('/api/', 'each parent must be a resource URI starting with /api/')), withMessages),
      resource_uri: text().check(z.startsWith('/api/', 'must be a resource URI starting with /api/')),
      state: text(),
      uuid: text().check(z.minLength(1)),
      datetime: text().check(z.regex(ISO_8601, 'must be an ISO 8601 date-time')),
      position: z.optional(streamPositionSchema),
    },
    withMessages,
  ),
  z.transform((event, ctx) => {
    const state = normalizeState(event.type, event.state);
    if (state === undefined) {
      ctx.issues.push({
        code: 'custom',
        path: ['state'],
        input: event,
        message: `${quoted(event.state)} is not a ${event.type} state`,
      });
      return z.NEVER;
    }
    return { ...event, state } as DockerCloudEvent;
  }),
);

/** `{"type":"error","data":{"errorMessage":"..."}}`, sent right before the server closes. */
export interface ErrorFrame {
  readonly type: 'error';
  readonly data: {
    readonly errorMessage: string;
    /** Extended protocol only: the close code that follows. */
    readonly code?: number;
    /** Extended protocol only: wait at least this long before reconnecting. */
    readonly retryAfterMs?: number;
  };
}

export const errorFrameSchema = z.object(
  {
    type: z.literal('error', withMessages),
    data: z.object(
      {
        errorMessage: text(),
        code: z.optional(z.number(withMessages).check(z.int())),
        retryAfterMs: z.optional(z.number(withMessages).check(z.nonnegative())),
      },
      withMessages,
    ),
  },
  withMessages,
);

/**
 * Issues described in one message at most: a server's event with 100,000 bad parents has as many
 * issues, and a message of megabytes says no more than its first few (the rest are counted).
 */
const MAX_ISSUES_DESCRIBED = 5;

/**
 * Formats zod issues as `field: why; field: why`, naming the path of each; `root` names the value
 * itself (a frame, a REST answer's body). Past MAX_ISSUES_DESCRIBED, the rest are counted.
 */
export function describeIssues(error: z.core.$ZodError, root = '(frame)'): string {
  const { issues } = error;
  const described = issues
    .slice(0, MAX_ISSUES_DESCRIBED)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : root}: ${issue.message}`)
    .join('; ');
  const more = issues.length - MAX_ISSUES_DESCRIBED;
  return more > 0 ? `${described}; and ${more} more ${more === 1 ? 'issue' : 'issues'}` : described;
}

const TYPE_SET = new Set<string>(OBJECT_TYPES);
const ACTION_SET = new Set<string>(EVENT_ACTIONS);

/** Starts with `/api/`. By character codes: `startsWith` is a builtin call, five per event here. */
function isApiPath(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.charCodeAt(0) === 47 && // '/'
    value.charCodeAt(1) === 97 && // 'a'
    value.charCodeAt(2) === 112 && // 'p'
    value.charCodeAt(3) === 105 && // 'i'
    value.charCodeAt(4) === 47 // '/'
  );
}

/**
 * The last datetime that passed ISO_8601: the events of a burst share their second, and
 * comparing 20 characters costs less than running the expression. A cache of a pure predicate,
 * so sharing it between streams changes no answer.
 */
let lastIsoDatetime: string | null = null;

function isIsoDatetime(value: string): boolean {
  if (value === lastIsoDatetime) return true;
  if (!ISO_8601.test(value)) return false;
  lastIsoDatetime = value;
  return true;
}

/**
 * The fast path of event validation: accepts exactly what `eventSchema` accepts (a property test
 * holds the two together) and builds the same output, several times faster than zod on this hot
 * path. On any doubt it answers undefined and the caller asks zod, whose issues name the field.
 */
export function tryFastParseEvent(value: unknown): DockerCloudEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const { type, action, parents, resource_uri, state, uuid, datetime, position } = v;
  if (typeof type !== 'string' || !TYPE_SET.has(type)) return undefined;
  if (typeof action !== 'string' || !ACTION_SET.has(action)) return undefined;
  if (!Array.isArray(parents)) return undefined;
  for (let i = 0; i < parents.length; i++) if (!isApiPath(parents[i])) return undefined;
  if (!isApiPath(resource_uri)) return undefined;
  if (typeof state !== 'string') return undefined;
  const canonical = normalizeState(type as ObjectType, state);
  if (canonical === undefined) return undefined;
  if (typeof uuid !== 'string' || uuid.length === 0) return undefined;
  if (typeof datetime !== 'string' || !isIsoDatetime(datetime)) return undefined;
  if (position === undefined) {
    return { type, action, parents, resource_uri, state: canonical, uuid, datetime } as DockerCloudEvent;
  }
  if (typeof position !== 'object' || position === null) return undefined;
  const { epoch, seq } = position as Record<string, unknown>;
  if (typeof epoch !== 'string' || epoch.length === 0 || !Number.isSafeInteger(seq) || (seq as number) < 0) return undefined;
  return { type, action, parents, resource_uri, state: canonical, uuid, datetime, position: { epoch, seq } } as DockerCloudEvent;
}

/** Validates an already-decoded value as an event. Never throws. */
export function parseEvent(value: unknown): Result<DockerCloudEvent> {
  const fast = tryFastParseEvent(value);
  if (fast) return ok(fast);
  const result = eventSchema.safeParse(value);
  if (result.success) return ok(result.data);
  return err(new EventsError('invalid-frame', `invalid event: ${describeIssues(result.error)}`, { cause: result.error }));
}

/** The canonical JSON text of an event, fields in the documented order. */
export function formatEvent(event: DockerCloudEvent): string {
  return JSON.stringify({
    type: event.type,
    action: event.action,
    parents: event.parents,
    resource_uri: event.resource_uri,
    state: event.state,
    uuid: event.uuid,
    datetime: event.datetime,
    ...(event.position ? { position: event.position } : {}),
  });
}

export function formatErrorFrame(errorMessage: string, extra?: { code?: number; retryAfterMs?: number }): string {
  const frame: ErrorFrame = { type: 'error', data: { errorMessage, ...extra } };
  return JSON.stringify(frame);
}

/** Docker Cloud's event datetime: ISO 8601 UTC to the second. */
export function formatEventDatetime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}

/** REST dates are RFC 2822 (e.g. `Fri, 27 Nov 2026 09:01:33 +0000`), unlike event dates. */
export function formatRestDate(epochMs: number): string {
  return new Date(epochMs).toUTCString().replace('GMT', '+0000');
}
