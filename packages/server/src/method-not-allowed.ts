import { quoteValue } from './quote-value.js';

/** A 405 answer: its status, headers and JSON detail. */
export interface MethodNotAllowed {
  readonly status: 405;
  readonly headers: { readonly Allow: string };
  readonly detail: string;
}

/** The answer to `OPTIONS`: no body, the methods in `Allow`. */
export interface OptionsAnswer {
  readonly status: 204;
  readonly headers: { readonly Allow: string };
}

/**
 * The methods a resource answers: its own, and `OPTIONS`, which every plain-HTTP resource of the
 * server answers (204 with this list in `Allow`; on the REST API, with the CORS preflight headers
 * too). So an `Allow` header lists exactly what the resource accepts.
 *
 * @example
 * allowedMethods(['GET', 'HEAD']) // ['GET', 'HEAD', 'OPTIONS']
 */
export function allowedMethods(methods: readonly string[]): readonly string[] {
  return methods.includes('OPTIONS') ? methods : [...methods, 'OPTIONS'];
}

/**
 * The 405 of every plain-HTTP resource, the REST API's as much as `/healthz`'s, `/metrics`' and
 * the stream path's: the `Allow` header, and a detail naming the method refused and the ones
 * allowed (`OPTIONS` among them, see allowedMethods).
 *
 * @example
 * methodNotAllowed('POST', ['GET', 'HEAD'])
 * // { status: 405, headers: { Allow: 'GET, HEAD, OPTIONS' }, detail: 'Method "POST" not allowed (allowed: GET, HEAD, OPTIONS).' }
 */
export function methodNotAllowed(method: string, methods: readonly string[]): MethodNotAllowed {
  const list = allowedMethods(methods).join(', ');
  return { status: 405, headers: { Allow: list }, detail: `Method ${quoteValue(method)} not allowed (allowed: ${list}).` };
}

/**
 * The answer to `OPTIONS` on a resource that answers `methods`: 204 with the same `Allow` as its 405.
 *
 * @example
 * optionsAnswer(['GET', 'HEAD']) // { status: 204, headers: { Allow: 'GET, HEAD, OPTIONS' } }
 */
export function optionsAnswer(methods: readonly string[]): OptionsAnswer {
  return { status: 204, headers: { Allow: allowedMethods(methods).join(', ') } };
}
