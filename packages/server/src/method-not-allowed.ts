import { quoteValue } from './quote-value.js';

/** A 405 answer: its status, headers and JSON detail. */
export interface MethodNotAllowed {
  readonly status: 405;
  readonly headers: { readonly Allow: string };
  readonly detail: string;
}

/**
 * The 405 of every plain-HTTP resource, the REST API's as much as `/healthz`'s and `/metrics`':
 * the `Allow` header, and a detail naming the method refused and the ones allowed.
 *
 * @example
 * methodNotAllowed('POST', ['GET', 'HEAD'])
 * // { status: 405, headers: { Allow: 'GET, HEAD' }, detail: 'Method "POST" not allowed (allowed: GET, HEAD).' }
 */
export function methodNotAllowed(method: string, allowed: readonly string[]): MethodNotAllowed {
  const list = allowed.join(', ');
  return { status: 405, headers: { Allow: list }, detail: `Method ${quoteValue(method)} not allowed (allowed: ${list}).` };
}
