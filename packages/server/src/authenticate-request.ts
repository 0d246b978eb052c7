import type { IncomingHttpHeaders } from 'node:http';
import { type Credentials, credentialsFromQuery, parseAuthorizationHeader, type Result } from '@events/core';
import type { LoginThrottle } from './login-throttle.js';
import type { Logger } from './logger.js';
import { shortenQuotedValues } from './quote-value.js';
import type { AuthFailureReason, Metrics } from './metrics.js';
import type { User, UserDirectory } from './user-directory.js';

/** The parts of a request authentication reads (an `IncomingMessage` fits). */
export interface AuthRequest {
  readonly headers: IncomingHttpHeaders;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

export type AuthOutcome =
  | { readonly ok: true; readonly user: User }
  | {
      readonly ok: false;
      readonly status: 401 | 429;
      /** For the `{"detail": ...}` body: says what is wrong, never echoes a key. */
      readonly detail: string;
      readonly reason: AuthFailureReason;
      /** 429 only: when the address may try again. */
      readonly retryAfterMs?: number;
      /**
       * 401 only: whether to challenge (`WWW-Authenticate: Basic`). Not for a browser's
       * navigation: see BROWSER_NOT_ASKED.
       */
      readonly challenge?: boolean;
    };

/**
 * Authenticates stream and REST requests alike (protocol.md §3): `Authorization: Basic`, else
 * `?auth=<the whole header value>`, else `?user=&token=`. The first form present decides: a
 * malformed header is refused, not skipped in favour of the query. Failed logins count against
 * the client address; a locked-out address gets 429 whatever it sends, so guessing keys is slow.
 *
 * @example
 * const outcome = authenticator.authenticate(req, url);
 * if (!outcome.ok) { res.writeHead(outcome.status, authFailureHeaders(outcome)); res.end(JSON.stringify({ detail: outcome.detail })); }
 */
export interface Authenticator {
  authenticate(req: AuthRequest, url: URL): AuthOutcome;
}

// Django REST framework's wording, which Docker Cloud's API answered with.
export const DETAIL_MISSING = 'Authentication credentials were not provided.';
export const DETAIL_INVALID = 'Invalid username/API key.';
export const DETAIL_THROTTLED = 'Too many login attempts.';

/**
 * Said after a refusal of a browser's navigation (`Sec-Fetch-Mode: navigate`, a page opened in
 * the address bar or a frame), which gets no `WWW-Authenticate` challenge: the browser would ask
 * for the key, then remember it and send it unasked with every request any page makes here, so
 * that another site could open the stream (WebSockets have no CORS) or forge operations. Docker
 * Cloud's clients never navigate, so they are challenged as protocol.md §3 says.
 */
export const BROWSER_NOT_ASKED =
  'A browser is not asked for the key here, as it would then send it with other sites\' requests to this server: add ?user=USERNAME&token=APIKEY to the address, or use an API client.';

export function createAuthenticator(deps: {
  directory: UserDirectory;
  throttle: LoginThrottle;
  metrics?: Metrics;
  logger?: Logger;
  /**
   * The client address the throttle counts and the log names. Default: the peer's. Behind a
   * reverse proxy, TrustedProxies.clientAddress (trusted-proxies.ts), so that each client behind
   * it is counted on its own.
   */
  clientAddress?: (req: AuthRequest) => string;
}): Authenticator {
  const { directory, throttle, metrics, logger } = deps;
  const clientAddress = deps.clientAddress ?? peerAddress;
  const refuse = (req: AuthRequest, address: string, status: 401 | 429, reason: AuthFailureReason, detail: string, retryAfterMs?: number): AuthOutcome => {
    metrics?.authFailure(reason);
    if (reason === 'malformed' || reason === 'invalid') throttle.failure(address);
    logger?.debug('login refused', { remote: address, reason });
    if (status === 429) return { ok: false, status, detail, reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    const navigation = req.headers['sec-fetch-mode'] === 'navigate';
    return { ok: false, status, detail: navigation ? `${detail} ${BROWSER_NOT_ASKED}` : detail, reason, challenge: !navigation };
  };
  return {
    authenticate(req, url) {
      const address = clientAddress(req);
      const verdict = throttle.check(address);
      if (!verdict.allowed) return refuse(req, address, 429, 'throttled', DETAIL_THROTTLED, verdict.retryAfterMs);
      const found = readCredentials(req.headers, url);
      // Core's parsers quote what they refuse (a scheme, a query key): cut, as every echoed value is.
      if (!found.ok) return refuse(req, address, 401, 'malformed', `${capitalize(shortenQuotedValues(found.error.message))}.`);
      if (found.value === null) return refuse(req, address, 401, 'missing', DETAIL_MISSING);
      const user = directory.authenticate(found.value.username, found.value.apikey);
      if (user === undefined) return refuse(req, address, 401, 'invalid', DETAIL_INVALID);
      return { ok: true, user };
    },
  };
}

/** The address a request came from: its socket's peer; `unknown` once the socket is closed. */
export function peerAddress(req: AuthRequest): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * The credentials of a request in the documented order of precedence; null when there are none.
 * A blank `Authorization` header carries no credentials, so it counts as absent: the query decides,
 * and without credentials there it is "not provided" (as Django REST framework, Docker Cloud's
 * API, answered), not a malformed login that would count towards the lockout.
 */
export function readCredentials(headers: IncomingHttpHeaders, url: URL): Result<Credentials | null> {
  const header = headers.authorization;
  if (header !== undefined && header.trim() !== '') return parseAuthorizationHeader(header);
  return credentialsFromQuery(url.search);
}

/**
 * Headers of a refused login: `WWW-Authenticate: Basic` on 401 (as the spec and the SDKs expect;
 * not to a browser's navigation, see BROWSER_NOT_ASKED), `Retry-After` on 429.
 */
export function authFailureHeaders(outcome: Extract<AuthOutcome, { ok: false }>): Record<string, string> {
  switch (outcome.status) {
    case 401:
      return outcome.challenge === false ? {} : { 'WWW-Authenticate': 'Basic realm="events"' };
    case 429:
      return { 'Retry-After': String(Math.max(1, Math.ceil((outcome.retryAfterMs ?? 1000) / 1000))) };
  }
}

function capitalize(text: string): string {
  return text.length === 0 ? text : text[0]!.toUpperCase() + text.slice(1);
}
