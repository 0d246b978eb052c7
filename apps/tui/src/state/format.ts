import { type HierarchySnapshot, type ObjectType, type StoredObject, typeOfUri } from '@events/core';
import { PRINTABLE_ASCII, takeColumns } from './text-width.js';

/**
 * A compact age as k9s and kubectl show it: `42s`, `5m`, `3h`, `12d`. Negative ages (clock skew
 * between server and client) read as `0s` rather than as nonsense.
 *
 * @example
 * formatAge(95_000) // '1m'
 */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/**
 * Whole seconds until `at`, never negative: the reconnect countdown.
 *
 * @example
 * secondsUntil(10_400, 9_000) // 2
 */
export function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * `HH:MM:SS` of an epoch time, in the local time zone (or UTC when asked).
 *
 * @example
 * formatClock(Date.UTC(2026, 10, 27, 9, 1, 33), true) // '09:01:33'
 */
export function formatClock(epochMs: number, utc = false): string {
  const d = new Date(epochMs);
  const parts = utc ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()] : [d.getHours(), d.getMinutes(), d.getSeconds()];
  return parts.map((n) => String(n).padStart(2, '0')).join(':');
}

/** Short labels for types, for narrow columns. */
export const TYPE_LABEL: Readonly<Record<ObjectType, string>> = {
  stack: 'stack',
  service: 'service',
  container: 'container',
  nodecluster: 'cluster',
  node: 'node',
  action: 'action',
};

/** The first block of a UUID: enough to tell objects apart on screen. */
export function shortId(uuid: string): string {
  const dash = uuid.indexOf('-');
  return dash > 0 ? uuid.slice(0, dash) : uuid.slice(0, 8);
}

/** REST fields that may be known for an object: from the store, or fetched later. */
export type FieldsLookup = (uri: string) => Readonly<Record<string, unknown>> | null | undefined;

/**
 * The name a person knows an object by: `name` for stacks, services, containers and clusters,
 * the FQDN's first label for nodes, the operation for actions; the short id when the REST
 * fields are not known (an object seen only through events).
 *
 * @example
 * displayName(service) // 'api'
 */
export function displayName(object: StoredObject, extra?: Readonly<Record<string, unknown>> | null): string {
  const fields = (object.fields ?? extra ?? null) as Readonly<Record<string, unknown>> | null;
  return (fields === null ? null : nameFromFields(object.type, fields)) ?? shortId(object.uuid);
}

/**
 * The name an object's REST fields give it (a node's host name, an action's verb), or null
 * when they have none.
 *
 * @example
 * nameFromFields('node', { external_fqdn: 'node-1.example.com' }) // 'node-1'
 */
export function nameFromFields(type: ObjectType, fields: Readonly<Record<string, unknown>>): string | null {
  switch (type) {
    case 'node': {
      const fqdn = fields.external_fqdn;
      return typeof fqdn === 'string' && fqdn !== '' ? (fqdn.split('.')[0] ?? fqdn) : null;
    }
    case 'action': {
      const action = fields.action;
      return typeof action === 'string' && action !== '' ? action : null;
    }
    case 'stack':
    case 'service':
    case 'container':
    case 'nodecluster': {
      const name = fields.name;
      return typeof name === 'string' && name !== '' ? name : null;
    }
  }
}

/**
 * Fits `text` into `width` terminal columns: cut with `…` when too long, padded with spaces when
 * short. Measured in columns, not UTF-16 units: a wide (CJK) character takes two, so a name of
 * them keeps the columns after it in place.
 *
 * @example
 * fit('redeploying', 6) // 'redep…'
 * fit('ok', 4) // 'ok  '
 * fit('日本語サービス', 6) // '日本… ' (two columns each; the cut leaves one to pad)
 */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (PRINTABLE_ASCII.test(text)) {
    if (text.length > width) return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
    return text.padEnd(width);
  }
  const whole = takeColumns(text, width);
  if (whole.units === text.length) return text + ' '.repeat(width - whole.columns);
  const cut = takeColumns(text, width - 1);
  return `${text.slice(0, cut.units)}…${' '.repeat(width - 1 - cut.columns)}`;
}

/** As fit, aligned right (cut without `…`). */
export function fitRight(text: string, width: number): string {
  if (width <= 0) return '';
  if (PRINTABLE_ASCII.test(text)) {
    if (text.length > width) return text.slice(0, width);
    return text.padStart(width);
  }
  const taken = takeColumns(text, width);
  return ' '.repeat(width - taken.columns) + text.slice(0, taken.units);
}

const dateCache = new Map<string, number>();

/**
 * Milliseconds of an event (ISO 8601) or REST (RFC 2822) date, or NaN. Cached: the same few
 * strings are parsed for every row on every frame.
 */
export function parseDate(text: string): number {
  let ms = dateCache.get(text);
  if (ms === undefined) {
    ms = Date.parse(text);
    if (dateCache.size > 50_000) dateCache.clear();
    dateCache.set(text, ms);
  }
  return ms;
}

/**
 * When the object entered its current state, as well as we know: the last event's datetime,
 * else the REST date that matches its state (a running container's `started_datetime`, ...).
 * Null when nothing says.
 */
export function stateSince(object: StoredObject): number | null {
  if (object.lastEventDatetime !== null) {
    const ms = parseDate(object.lastEventDatetime);
    if (!Number.isNaN(ms)) return ms;
  }
  const fields = object.fields as Readonly<Record<string, unknown>> | null;
  if (fields === null) return null;
  const pick = (...keys: string[]): number | null => {
    for (const key of keys) {
      const value = fields[key];
      if (typeof value === 'string') {
        const ms = parseDate(value);
        if (!Number.isNaN(ms)) return ms;
      }
    }
    return null;
  };
  switch (object.type) {
    case 'container':
      return object.state === 'Running' ? pick('started_datetime') : pick('stopped_datetime', 'started_datetime');
    case 'stack':
      return pick('destroyed_datetime', 'deployed_datetime');
    case 'action':
      return pick('end_date', 'start_date');
    case 'node': // `last_seen` is the agent's last check-in, not when the node got its state
    case 'service':
    case 'nodecluster':
      return null;
  }
}

/**
 * Why an operation on `uri` failed, without the request line the clients put first
 * (`stop /api/…/cron-1/: HTTP 409: …`): the status line already names the object, and the URI
 * would push the reason off a narrow screen.
 *
 * @example
 * failureReason('stop /api/app/v1/a/container/1/: HTTP 409: The container is terminated.', '/api/app/v1/a/container/1/')
 * // 'HTTP 409: The container is terminated.'
 */
export function failureReason(message: string, uri: string): string {
  const at = message.indexOf(uri);
  if (at === -1) return message;
  const colon = message.indexOf(': ', at + uri.length);
  return colon === -1 ? message : message.slice(colon + 2);
}

/**
 * The URI of a container's parent of `type`. A container listed without its service (under
 * `--type container`) has no stack among its parents: its service's names it (its parents, or
 * its fields).
 */
export function parentOfType(snapshot: HierarchySnapshot, parents: readonly string[], type: 'stack' | 'service' | 'node', fields: FieldsLookup | undefined): string | undefined {
  for (const uri of parents) if (typeOfUri(uri) === type) return uri;
  if (type !== 'stack') return undefined;
  const service = parents.find((uri) => typeOfUri(uri) === 'service');
  if (service === undefined) return undefined;
  const held = snapshot.get(service);
  for (const uri of held?.parents ?? []) if (typeOfUri(uri) === 'stack') return uri;
  const serviceFields = (held?.fields ?? fields?.(service)) as Readonly<Record<string, unknown>> | null | undefined;
  const stack = serviceFields?.stack;
  return typeof stack === 'string' && typeOfUri(stack) === 'stack' ? stack : undefined;
}
