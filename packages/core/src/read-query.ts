import { err, ok, type Result } from './events-error.js';
import type { FilterQuery } from './filter.js';

// Query strings as Docker Cloud's clients write them (Go's url.QueryEscape, Python's quote_plus)
// and as URLSearchParams reads them: used by the filter, the stream URL and the REST lists.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Percent-encodes a query key or value like Go's `url.QueryEscape` and Python's `quote_plus`:
 * only `A-Z a-z 0-9 - _ . ~` stay as they are, a space becomes `+`. Lone surrogates become
 * U+FFFD, as URLSearchParams does, instead of throwing.
 *
 * @example
 * encodeQueryComponent('Basic dXNlcjprZXk=') // 'Basic+dXNlcjprZXk%3D'
 */
export function encodeQueryComponent(value: string): string {
  return encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD'))
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * Decodes a query key or value as URLSearchParams does (`+` is a space), except that malformed
 * percent-encoding or bytes that are not UTF-8 give `undefined` instead of being kept.
 *
 * @example
 * decodeQueryComponent('%2Fapi%2F%2C+x') // '/api/, x'
 * decodeQueryComponent('%zz') // undefined
 */
export function decodeQueryComponent(raw: string): string | undefined {
  const spaced = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return undefined;
  }
}

/** Where readQuery found bad percent-encoding. `raw` is the undecoded value: do not log it for secret keys. */
export interface MalformedQueryValue {
  readonly key: string;
  readonly raw: string;
}

/**
 * Collects the decoded values of the wanted `keys`, in order of appearance, from either query
 * form. Values of other keys are never decoded, so a malformed value under an unrelated key
 * (which the protocol says to ignore) cannot fail the request. Pairs are taken as already decoded.
 *
 * @example
 * readQuery('?user=ann&token=k%2B1&x=%zz', new Set(['user', 'token'])) // ok(Map { 'user' => ['ann'], 'token' => ['k+1'] })
 */
export function readQuery(
  query: FilterQuery,
  keys: ReadonlySet<string>,
): Result<ReadonlyMap<string, readonly string[]>, MalformedQueryValue> {
  const found = new Map<string, string[]>();
  const put = (key: string, value: string) => {
    const list = found.get(key);
    if (list === undefined) found.set(key, [value]);
    else list.push(value);
  };
  if (typeof query !== 'string') {
    for (const [key, value] of query) if (keys.has(key)) put(key, value);
    return ok(found);
  }
  // URLSearchParams sees the string as USV first: lone surrogates become U+FFFD.
  const text = (query.startsWith('?') ? query.slice(1) : query).replace(LONE_SURROGATE, '\uFFFD');
  if (text === '') return ok(found);
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    // A key that does not decode cannot be one of ours (ours are plain ASCII words): ignore it.
    const key = decodeQueryComponent(rawKey);
    if (key === undefined || !keys.has(key)) continue;
    const value = decodeQueryComponent(rawValue);
    if (value === undefined) return err({ key, raw: rawValue });
    put(key, value);
  }
  return ok(found);
}
