import { err, EventsError, ok, type RestList, type Result } from '@events/core';
import { quoteValue } from './quote-value.js';

/** Page size when the request names none: Docker Cloud's (Tastypie's) default. */
export const DEFAULT_LIMIT = 25;

/**
 * The largest page we serve. A larger `limit` is clamped to it and `limit=0` means "as many as
 * allowed", as Tastypie (Docker Cloud's REST framework) did; `meta.limit` tells the client what
 * it got, and the Python SDK pages with that value.
 */
export const MAX_LIMIT = 1000;

export interface Paging {
  readonly limit: number;
  readonly offset: number;
}

const DIGITS = /^\d+$/;
/** Longest offset read exactly (a double holds every integer below 2^53, about 9 * 10^15). */
const MAX_OFFSET_DIGITS = 15;

/**
 * Reads `limit` and `offset` from a list request's query. A repeated key takes its last value,
 * as Django's QueryDict did. Anything but a non-negative integer is a 400, and so is an offset of
 * more than 15 digits (it could not be read exactly).
 *
 * @example
 * parsePaging(new URLSearchParams('limit=10&offset=20')) // { ok: true, value: { limit: 10, offset: 20 } }
 * parsePaging(new URLSearchParams('limit=0'))            // { ok: true, value: { limit: 1000, offset: 0 } }
 */
export function parsePaging(query: URLSearchParams): Result<Paging> {
  const read = (key: 'limit' | 'offset', fallback: number): Result<number> => {
    const values = query.getAll(key);
    const text = values[values.length - 1];
    if (text === undefined) return ok(fallback);
    if (!DIGITS.test(text)) {
      return err(new EventsError('invalid-filter', `Invalid ${key} ${quoteValue(text)}: expected a non-negative integer.`));
    }
    // A limit of any length is clamped below (a script asking for everything sends MaxInt64);
    // an offset must be read exactly, and one this long is past any list anyway.
    const digits = text.replace(/^0+(?=\d)/, '');
    if (key === 'offset' && digits.length > MAX_OFFSET_DIGITS) {
      return err(new EventsError('invalid-filter', `Invalid offset ${quoteValue(text)}: expected a non-negative integer of at most ${MAX_OFFSET_DIGITS} digits.`));
    }
    return ok(Number(digits));
  };
  const limit = read('limit', DEFAULT_LIMIT);
  if (!limit.ok) return limit;
  const offset = read('offset', 0);
  if (!offset.ok) return offset;
  const clamped = limit.value === 0 || limit.value > MAX_LIMIT ? MAX_LIMIT : limit.value;
  return ok({ limit: clamped, offset: offset.value });
}

/**
 * The path of another page of the same list: the request's path and every other query
 * parameter (filters, `?auth=` credentials) kept in order, then `limit` and `offset`. Credentials
 * stay, as Docker Cloud's API (Tastypie) kept them, so that a client which authenticates in the
 * query can follow `next`; a client that wants no key in bodies sends the header instead.
 *
 * @example
 * formatPageLink('/api/app/v1/acme/stack/', new URLSearchParams('name=web&offset=0'), 25, 25)
 * // '/api/app/v1/acme/stack/?name=web&limit=25&offset=25'
 */
export function formatPageLink(path: string, query: URLSearchParams, limit: number, offset: number): string {
  const params = new URLSearchParams();
  for (const [key, value] of query) if (key !== 'limit' && key !== 'offset') params.append(key, value);
  params.append('limit', String(limit));
  params.append('offset', String(offset));
  return `${path}?${params.toString()}`;
}

/**
 * One page of `items` in Docker Cloud's envelope. `next` and `previous` start with `/api/`: the Go
 * SDK strips the first five characters of `next` and appends the rest to its base URL.
 * `previous` of a page that starts mid-way (offset 10, limit 25) is the first page, not null.
 *
 * @example
 * pageOf(stacks, { limit: 25, offset: 0 }, '/api/app/v1/acme/stack/', new URLSearchParams())
 * // { meta: { limit: 25, next: '/api/app/v1/acme/stack/?limit=25&offset=25', offset: 0, previous: null, total_count: 60 }, objects: [...] }
 */
export function pageOf<T>(items: readonly T[], paging: Paging, path: string, query: URLSearchParams): RestList<T> {
  const { limit, offset } = paging;
  const total = items.length;
  const next = offset + limit < total ? formatPageLink(path, query, limit, offset + limit) : null;
  const previous = offset > 0 ? formatPageLink(path, query, limit, Math.max(0, offset - limit)) : null;
  // Key order as Docker Cloud sent it (alphabetical): some clients print the meta verbatim.
  return {
    meta: { limit, next, offset, previous, total_count: total },
    objects: items.slice(offset, offset + limit),
  };
}
