import type { StreamPosition } from './event-schema.js';
import { err, EventsError, ok, type Result } from './events-error.js';
import { formatPosition, RESUME_QUERY_KEY } from './extended-protocol.js';
import { type EventFilter, type FilterQuery, formatFilterQuery } from './filter.js';
import { encodeQueryComponent, readQuery } from './read-query.js';
import { API_OF_TYPE, isObjectType, OBJECT_TYPES, type ObjectType } from './object-types.js';
import { parseResourceUri } from './resource-uri.js';
import { describeValue } from './describe-value.js';
import { didYouMeanHint } from './did-you-mean.js';
import { typeName } from './schema-messages.js';

/** A Docker Cloud user and API key: what `Authorization: Basic` carries. */
export interface Credentials {
  readonly username: string;
  readonly apikey: string;
}

const SEGMENT = /^[A-Za-z0-9_.~-]+$/;

// ---------------------------------------------------------------------------------------------
// Hosts

interface HostUrl {
  /** `scheme://authority`, scheme lower-cased. */
  readonly origin: string;
  /** The path prefix without its trailing slash: '' or '/prefix'. */
  readonly prefix: string;
}

// No userinfo, query or fragment: a host setting is a place, credentials travel separately.
// No `@` in the path either: `ws://me:pa/ss@h/` is a user and a password with a "/" in it, not
// the host `me` on port "pa" (nor `ws://me:1/x@h/` the host `me` on port 1).
const HOST_URL = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::(\d{1,5}))?(\/[^\s?#@]*)?$/;

const STREAM_SCHEMES: Readonly<Record<string, string>> = { ws: 'ws', wss: 'wss', http: 'ws', https: 'wss' };
const REST_SCHEMES: Readonly<Record<string, string>> = { http: 'http', https: 'https' };

/**
 * A host or address as error messages show it: whatever comes before its last `@` (after the
 * scheme, if it has one) shown as `***`, a user and a password alike (a user may be a token), and
 * a password with `/`, `@` or `:` in it whole, so that the refusal of `wss://me:secret@host/`
 * does not print the secret. An address that is a path (`unix:///a@b.sock`, `/a@b.sock`) is
 * left as it is. The server's command line masks Docker engine addresses with it too.
 *
 * @example
 * redactHost('wss://me:s3cret@events.example.com/') // 'wss://***@events.example.com/'
 * redactHost('user:pw@host')                         // '***@host'
 */
export function redactHost(value: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value)?.[0] ?? '';
  const rest = value.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  return at < 0 || rest.startsWith('/') ? value : `${scheme}***${rest.slice(at)}`;
}

function parseHost(value: string, schemes: Readonly<Record<string, string>>, what: string): Result<HostUrl> {
  if (typeof value !== 'string') return err(new EventsError('invalid-config', `${what} must be a string such as "ws://127.0.0.1:8080/", got ${typeName(value)}`));
  const host = readHost(value, schemes);
  return typeof host === 'string' ? err(new EventsError('invalid-config', `invalid ${what} ${JSON.stringify(redactHost(value))}: ${host}`)) : ok(host);
}

/** The host `value` names, or why it names none (a reason without the value). */
function readHost(value: string, schemes: Readonly<Record<string, string>>): HostUrl | string {
  const m = HOST_URL.exec(value.trim());
  if (m === null) return `expected scheme://host[:port][/path] without user, query or fragment${missingSchemeHint(value.trim(), schemes)}`;
  const [, scheme = '', host = '', port, path = ''] = m;
  const mapped = schemes[scheme.toLowerCase()];
  if (mapped === undefined) return `scheme must be ${Object.keys(schemes).join(', ')}`;
  // Port 0 is "any port" to listen on, and no port to connect to.
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `port ${port} is out of range`;
  const prefix = path.replace(/\/+$/, '');
  return { origin: `${mapped}://${host}${port === undefined ? '' : `:${port}`}`, prefix };
}

/** `127.0.0.1:8080` → ` (did you mean "ws://127.0.0.1:8080"?)`: the usual slip is a host without its scheme. */
function missingSchemeHint(value: string, schemes: Readonly<Record<string, string>>): string {
  const scheme = Object.keys(schemes)[0];
  // No hint for a value with '@': it may carry a password, and the message shows the value redacted.
  if (scheme === undefined || value.includes('://') || value.includes('@') || !HOST_URL.test(`${scheme}://${value}`)) return '';
  // A bare word ("nope") is more likely not a host at all than a host without its scheme.
  if (!/[.:/]/.test(value) && value.toLowerCase() !== 'localhost') return '';
  return ` (did you mean ${JSON.stringify(`${scheme}://${value}`)}?)`;
}

function hostOrThrow(value: string, schemes: Readonly<Record<string, string>>, what: string): HostUrl {
  const host = parseHost(value, schemes, what);
  if (!host.ok) throw host.error;
  return host.value;
}

/**
 * The REST host beside a stream host: the same place over http(s) (`ws:` → `http:`, `wss:` →
 * `https:`), path prefix kept. An events server answers both on one origin; Docker Cloud's
 * separate hosts are gone, so a REST host is never assumed elsewhere.
 *
 * @example
 * restHostFor('wss://events.example.com/prefix/') // 'https://events.example.com/prefix/'
 * @throws EventsError `invalid-config` for a stream host that is not one
 */
export function restHostFor(streamHost: string): string {
  const { origin, prefix } = hostOrThrow(streamHost, STREAM_SCHEMES, 'stream host');
  return `${origin.replace(/^ws/, 'http')}${prefix}/`;
}

function namespaceSegment(namespace: string | undefined): string {
  if (namespace === undefined || namespace === '') return '';
  if (!SEGMENT.test(namespace)) {
    throw new EventsError('invalid-config', `invalid namespace ${JSON.stringify(namespace)}: expected letters, digits, '_', '.', '~' or '-'`);
  }
  if (isDotSegment(namespace)) throw new EventsError('invalid-config', `invalid namespace ${JSON.stringify(namespace)}: ${DOT_SEGMENT}`);
  return `${namespace}/`;
}

/**
 * "." and "..": URLs resolve them away, so `/api/audit/v1/./events/` is the user's own namespace
 * and `/api/audit/v1/../events/` no stream at all (as the server refuses them as namespaces).
 */
function isDotSegment(segment: string): boolean {
  return segment === '.' || segment === '..';
}
const DOT_SEGMENT = `"." and ".." are no namespace: URLs resolve them away (the stream would be another namespace's, or none)`;

// ---------------------------------------------------------------------------------------------
// Stream URL

/**
 * Credentials in the query, for clients that cannot set headers on the WebSocket handshake
 * (browsers). Without it the transport sends `Authorization: Basic ...` (protocol.md §3).
 */
export type QueryAuth =
  | { readonly mode: 'query-auth'; readonly credentials: Credentials } // ?auth=<Basic header>
  | { readonly mode: 'query-auth'; readonly authorization: string } // ?auth=<header as given, e.g. DOCKERCLOUD_AUTH>
  | { readonly mode: 'query-token'; readonly credentials: Credentials }; // ?user=..&token=..

export interface StreamUrlOptions {
  /** `ws://`, `wss://`, `http://` or `https://` (mapped to ws/wss), with or without a path prefix and trailing slash. */
  readonly streamHost: string;
  /** Omit for the authenticated user's own namespace. */
  readonly namespace?: string;
  readonly filter?: EventFilter;
  /** Default true: `/events/` as in the docs; false gives `/events` as python-dockercloud sends. */
  readonly trailingSlash?: boolean;
  readonly auth?: QueryAuth;
  /** Extended protocol: the last position seen, sent as `?resume=<epoch>:<seq>`. */
  readonly resume?: StreamPosition;
}

/**
 * The URL of the event stream (protocol.md §2). A path in `streamHost` is kept as a prefix, as
 * python-dockercloud does, so a server behind a reverse-proxy path works.
 *
 * @example
 * streamUrl({ streamHost: 'http://127.0.0.1:8080', namespace: 'acme', filter: createFilter({ type: 'container' }) })
 * // 'ws://127.0.0.1:8080/api/audit/v1/acme/events/?type=container'
 * @throws EventsError `invalid-config` for a bad host or namespace, `invalid-filter` for an inexpressible filter
 */
export function streamUrl(options: StreamUrlOptions): string {
  const host = hostOrThrow(options.streamHost, STREAM_SCHEMES, 'stream host');
  const slash = (options.trailingSlash ?? true) ? '/' : '';
  const path = `${host.prefix}/api/audit/v1/${namespaceSegment(options.namespace)}events${slash}`;
  const query: string[] = [];
  if (options.filter !== undefined) {
    const filter = formatFilterQuery(options.filter);
    if (filter !== '') query.push(filter);
  }
  const auth = options.auth;
  if (auth !== undefined) {
    switch (auth.mode) {
      case 'query-auth': {
        const header = 'authorization' in auth ? auth.authorization : authorizationHeader(auth.credentials);
        query.push(`auth=${encodeQueryComponent(header)}`);
        break;
      }
      case 'query-token':
        checkCredentials(auth.credentials);
        query.push(`user=${encodeQueryComponent(auth.credentials.username)}&token=${encodeQueryComponent(auth.credentials.apikey)}`);
        break;
      default:
        throw new EventsError('invalid-config', `unknown auth mode ${JSON.stringify((auth as { mode: unknown }).mode)}`);
    }
  }
  if (options.resume !== undefined) query.push(`${RESUME_QUERY_KEY}=${encodeQueryComponent(formatPosition(options.resume))}`);
  return `${host.origin}${path}${query.length > 0 ? `?${query.join('&')}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// REST URLs

export interface RestListOptions {
  /** Ignored for `action`: Docker Cloud never namespaced actions. */
  readonly namespace?: string;
  readonly limit?: number;
  readonly offset?: number;
}

/**
 * The REST list of one type (protocol.md §7), e.g. `/api/app/v1/acme/stack/?limit=25&offset=0`.
 *
 * @example
 * restListUrl('http://127.0.0.1:8080/', 'node', { namespace: 'acme', limit: 100 })
 * // 'http://127.0.0.1:8080/api/infra/v1/acme/node/?limit=100'
 * @throws EventsError `invalid-config` for a bad host, type, namespace, limit or offset
 */
export function restListUrl(restHost: string, type: ObjectType, options: RestListOptions = {}): string {
  const host = hostOrThrow(restHost, REST_SCHEMES, 'REST host');
  if (!isObjectType(type)) {
    throw new EventsError('invalid-config', `unknown object type ${JSON.stringify(type)}; expected one of ${OBJECT_TYPES.join(', ')}`);
  }
  const ns = type === 'action' ? '' : namespaceSegment(options.namespace);
  const query: string[] = [];
  const { limit, offset } = options;
  if (limit !== undefined) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new EventsError('invalid-config', `limit must be a positive integer, got ${limit}`);
    query.push(`limit=${limit}`);
  }
  if (offset !== undefined) {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new EventsError('invalid-config', `offset must be a non-negative integer, got ${offset}`);
    query.push(`offset=${offset}`);
  }
  return `${host.origin}${host.prefix}/api/${API_OF_TYPE[type]}/v1/${ns}${type}/${query.length > 0 ? `?${query.join('&')}` : ''}`;
}

/**
 * The REST URL of one object: the host plus its resource URI, kept exactly (trailing slash included).
 *
 * @example
 * restObjectUrl('https://cloud.docker.com/', '/api/app/v1/acme/stack/9a2e/') // 'https://cloud.docker.com/api/app/v1/acme/stack/9a2e/'
 * @throws EventsError `invalid-config` for a bad host, `invalid-uri` for a bad resource URI
 */
export function restObjectUrl(restHost: string, resourceUri: string): string {
  const host = hostOrThrow(restHost, REST_SCHEMES, 'REST host');
  const uri = parseResourceUri(resourceUri);
  if (!uri.ok) throw uri.error;
  return `${host.origin}${host.prefix}${resourceUri}`;
}

/**
 * The URL to POST an operation on an object to, in the documented form with a trailing slash:
 * `/api/app/v1/acme/service/5f1c/redeploy/`.
 *
 * @example
 * restOperationUrl('http://127.0.0.1:8080', '/api/app/v1/acme/service/5f1c/', 'scale') // 'http://127.0.0.1:8080/api/app/v1/acme/service/5f1c/scale/'
 * @throws EventsError `invalid-config` for a bad host or operation, `invalid-uri` for a bad resource URI
 */
export function restOperationUrl(restHost: string, resourceUri: string, operation: string): string {
  const base = restObjectUrl(restHost, resourceUri);
  if (!SEGMENT.test(operation) || isDotSegment(operation)) throw new EventsError('invalid-config', `invalid operation ${JSON.stringify(operation)}: expected one path segment`);
  return `${base.endsWith('/') ? base : `${base}/`}${operation}/`;
}

// ---------------------------------------------------------------------------------------------
// Authorization

const CREDENTIAL_FIELDS = ['username', 'apikey'] as const;
/** What the SDKs and other APIs call these two. */
const CREDENTIAL_NEAR_MISSES: Readonly<Record<string, string>> = { user: 'username', token: 'apikey', key: 'apikey', password: 'apikey' };

/**
 * Checks Docker Cloud credentials: two strings, a username without ":" and neither empty nor with
 * a control character, and no other field. Messages name the field, never the key.
 *
 * @throws EventsError `invalid-config` naming what is wrong
 */
export function checkCredentials(credentials: Credentials): void {
  // Messages name the problem, never the key: API keys are secrets (protocol.md §3).
  if (typeof credentials !== 'object' || credentials === null) throw new EventsError('invalid-config', `credentials must be { username, apikey }, got ${typeName(credentials)}`);
  // A misspelt field (`user`, Go's `ApiKey`, a `namespace` put here) would otherwise be reported
  // as the right one missing, or ignored.
  for (const key of Object.keys(credentials)) {
    if (key === 'username' || key === 'apikey') continue;
    const hint = didYouMeanHint(key, CREDENTIAL_FIELDS, CREDENTIAL_NEAR_MISSES);
    throw new EventsError('invalid-config', `unknown credentials field ${JSON.stringify(key)}${hint}; credentials take username and apikey`);
  }
  for (const key of ['username', 'apikey'] as const) {
    if (typeof credentials[key] !== 'string') throw new EventsError('invalid-config', `credentials.${key} must be a string, got ${typeName(credentials[key])}`);
  }
  const { username, apikey } = credentials;
  if (username === '') throw new EventsError('invalid-config', 'credentials.username must be a username, got the string ""');
  if (username.includes(':')) {
    throw new EventsError('invalid-config', `credentials.username must be a username without ":" (Basic auth joins it to the key with one), got ${describeValue(username)}`);
  }
  if (apikey === '') throw new EventsError('invalid-config', 'credentials.apikey must be an API key, got an empty string');
  const problem = credentialsProblem(username, apikey, { username: 'credentials.username', apikey: 'credentials.apikey' });
  if (problem !== null) throw new EventsError('invalid-config', problem);
  // Spaces only: a variable or a field filled by mistake, which no server takes as a name or a key.
  if (username.trim() === '') throw new EventsError('invalid-config', `credentials.username must be a username, got ${describeValue(username)}: white space only`);
  if (apikey.trim() === '') {
    throw new EventsError('invalid-config', `credentials.apikey must be an API key, got ${characters(apikey.length)} of white space only`);
  }
}

/**
 * A username or API key with a control character (a trailing newline from a key file, a pasted
 * CR, a NUL), which no server would take: the key would only be refused at the first connection,
 * as a wrong one. `NAME must be WHAT without control characters, got …`, by the names `names`
 * gives (an option, a variable, a flag), the character named and placed; the key by its length
 * only, never shown. null when both are clean.
 *
 * @example
 * credentialsProblem('ann', 'k3y\n', { username: '--user', apikey: '--apikey' })
 * // '--apikey must be an API key without control characters, got 4 characters (not shown: it is a secret) with a line feed (LF) at the end'
 */
export function credentialsProblem(username: string, apikey: string, names: { readonly username: string; readonly apikey: string }): string | null {
  const user = controlCharProblem(username);
  if (user !== null) return `${names.username} must be a username without control characters, got ${describeValue(username)} with ${user}`;
  const key = controlCharProblem(apikey);
  if (key !== null) return `${names.apikey} must be an API key without control characters, got ${characters(apikey.length)} (not shown: it is a secret) with ${key}`;
  return null;
}

/**
 * The `Authorization` header value for Docker Cloud credentials: `Basic base64(utf8(username:apikey))`.
 *
 * @example
 * authorizationHeader({ username: 'username', apikey: 'apikey' }) // 'Basic dXNlcm5hbWU6YXBpa2V5'
 * @throws EventsError `invalid-config` for an empty username or key, or a username containing ':'
 */
export function authorizationHeader(credentials: Credentials): string {
  checkCredentials(credentials);
  return `Basic ${encodeBase64(encodeUtf8(`${credentials.username}:${credentials.apikey}`))}`;
}

/**
 * Reads `Basic base64(username:apikey)` (scheme case-insensitive, padding optional). Errors say
 * what is wrong without echoing the secret. Never throws.
 *
 * @example
 * parseAuthorizationHeader('Basic dXNlcm5hbWU6YXBpa2V5') // { ok: true, value: { username: 'username', apikey: 'apikey' } }
 */
export function parseAuthorizationHeader(value: string): Result<Credentials> {
  const fail = (why: string) => err(new EventsError('auth', `invalid Authorization header: ${why}`));
  const text = value.trim();
  if (text === '') return fail('empty');
  const space = text.search(/\s/);
  const scheme = space === -1 ? text : text.slice(0, space);
  if (scheme.toLowerCase() !== 'basic') return fail(`scheme ${JSON.stringify(scheme.slice(0, 20))} is not supported; expected Basic`);
  if (space === -1) return fail('no credentials after "Basic"');
  const bytes = decodeBase64(text.slice(space).trim());
  if (bytes === undefined) return fail('the credentials after "Basic" are not valid base64');
  const decoded = decodeUtf8(bytes);
  if (decoded === undefined) return fail('the decoded credentials are not valid UTF-8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return fail('the decoded credentials have no ":" between username and API key');
  if (colon === 0) return fail('the username is empty');
  if (colon === decoded.length - 1) return fail('the API key is empty');
  return ok({ username: decoded.slice(0, colon), apikey: decoded.slice(colon + 1) });
}

const QUERY_AUTH_KEYS: ReadonlySet<string> = new Set(['auth', 'user', 'token']);

/**
 * The credentials a request carries in its query (protocol.md §3): `?auth=<the whole
 * Authorization header value, URL-encoded>` (Tutum-era and browser clients), else
 * `?user=<username>&token=<apikey>`. `null` when neither is present. When a key is repeated the
 * first value counts, as URLSearchParams.get does. Never throws; errors have code `auth`.
 *
 * @example
 * credentialsFromQuery('?user=ann&token=k1&type=container') // { ok: true, value: { username: 'ann', apikey: 'k1' } }
 * credentialsFromQuery(new URLSearchParams('auth=Basic%20dXNlcm5hbWU6YXBpa2V5')) // { ok: true, value: { username: 'username', apikey: 'apikey' } }
 */
export function credentialsFromQuery(query: FilterQuery): Result<Credentials | null> {
  const fail = (why: string) => err(new EventsError('auth', why));
  const read = readQuery(query, QUERY_AUTH_KEYS);
  if (!read.ok) return fail(`malformed percent-encoding in query parameter "${read.error.key}"`);
  const values = read.value;
  const auth = values.get('auth')?.[0];
  if (auth !== undefined) {
    if (auth === '') return fail('query parameter "auth" is empty');
    const parsed = parseAuthorizationHeader(auth);
    if (!parsed.ok) return fail(`query parameter "auth": ${parsed.error.message}`);
    return parsed;
  }
  const user = values.get('user')?.[0];
  const token = values.get('token')?.[0];
  if (user === undefined && token === undefined) return ok(null);
  if (user === undefined) return fail('query parameter "token" given without "user"');
  if (token === undefined) return fail('query parameter "user" given without "token"');
  if (user === '') return fail('query parameter "user" is empty');
  if (token === '') return fail('query parameter "token" is empty');
  return ok({ username: user, apikey: token });
}

// ---------------------------------------------------------------------------------------------
// Error answers

/** What of an error body a message keeps at most: a page of HTML is no explanation. */
const MAX_DETAIL_LENGTH = 300;

/**
 * The server's explanation in an error answer: the `detail` of a JSON body, as Docker Cloud's
 * API (Django REST framework) and events-server send it; null when there is none.
 *
 * @example
 * detailOfBody('{"detail":"Invalid username/API key."}') // 'Invalid username/API key.'
 * detailOfBody('<html>…</html>') // null
 */
export function detailOfBody(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const detail = typeof parsed === 'object' && parsed !== null ? (parsed as { detail?: unknown }).detail : undefined;
  if (typeof detail !== 'string' || detail.trim() === '') return null;
  const text = detail.trim();
  return text.length <= MAX_DETAIL_LENGTH ? text : `${text.slice(0, MAX_DETAIL_LENGTH - 1)}…`;
}

// ---------------------------------------------------------------------------------------------
// Environment

/** What a Docker Cloud program reads from its environment. */
export interface EnvConfig {
  /** From DOCKERCLOUD_USER + DOCKERCLOUD_APIKEY, or decoded from DOCKERCLOUD_AUTH when that is a Basic header. */
  readonly credentials?: Credentials;
  /** The Authorization header value to send: DOCKERCLOUD_AUTH as given, else built from the credentials. */
  readonly authorization?: string;
  readonly namespace?: string;
  /** DOCKERCLOUD_REST_HOST; absent when unset (nothing is assumed: see restHostFor). */
  readonly restHost?: string;
  /** DOCKERCLOUD_STREAM_HOST (or DOCKERCLOUD_STREAM_URL); absent when unset. */
  readonly streamHost?: string;
}

/**
 * Reads the variables the Docker Cloud SDKs read, with their precedence: DOCKERCLOUD_AUTH (a
 * whole Authorization header value, used as-is) over DOCKERCLOUD_USER + DOCKERCLOUD_APIKEY;
 * DOCKERCLOUD_NAMESPACE; DOCKERCLOUD_REST_HOST and DOCKERCLOUD_STREAM_HOST (go-dockercloud also
 * reads DOCKERCLOUD_STREAM_URL). Empty variables count as unset, as in both SDKs. Unlike the
 * SDKs, an unset host is left unset rather than pointed at Docker Cloud's hosts: the service is
 * gone, and a default there would send the credentials to a third party. Errors have code
 * `invalid-config` and say, as core's other input errors, `NAME must be WHAT IT TAKES, got WHAT
 * IT GOT`: a host's or user's value as set (a host's credentials masked), a secret's shape only
 * (DOCKERCLOUD_APIKEY and DOCKERCLOUD_AUTH are never repeated). DOCKERCLOUD_AUTH is refused when
 * no header can carry it (a control character: a trailing newline from a file or `echo`), here
 * rather than at the first connection.
 *
 * @example
 * configFromEnv(process.env)
 * // { ok: true, value: { credentials: {...}, authorization: 'Basic ...', restHost: 'http://127.0.0.1:8080/', streamHost: 'ws://127.0.0.1:8080/' } }
 */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): Result<EnvConfig> {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const fail = (name: string, expected: string, got: string) => err(new EventsError('invalid-config', `${name} must be ${expected}, got ${got}`));
  const UNSET = 'nothing: it is unset or empty';

  let credentials: Credentials | undefined;
  let authorization: string | undefined;
  const auth = get('DOCKERCLOUD_AUTH');
  const user = get('DOCKERCLOUD_USER');
  const apikey = get('DOCKERCLOUD_APIKEY');
  if (auth !== undefined) {
    const problem = authorizationProblem('DOCKERCLOUD_AUTH', auth);
    if (problem !== null) return err(new EventsError('invalid-config', problem));
    authorization = auth;
    // Not an error when it is not Basic: the header goes out as-is and the server judges it.
    const parsed = parseAuthorizationHeader(auth);
    if (parsed.ok) credentials = parsed.value;
  } else if (user !== undefined || apikey !== undefined) {
    if (user !== undefined && user.trim() === '') return fail('DOCKERCLOUD_USER', 'a username', `${describeValue(user)}: only white space`);
    if (apikey === undefined) return fail('DOCKERCLOUD_APIKEY', "set with DOCKERCLOUD_USER (that user's API key)", UNSET);
    if (user === undefined) return fail('DOCKERCLOUD_USER', 'set with DOCKERCLOUD_APIKEY (the username the key belongs to)', UNSET);
    // Basic auth joins the two with ":", so a name with one would split in the wrong place.
    if (user.includes(':')) return fail('DOCKERCLOUD_USER', 'a username without ":"', describeValue(user));
    // `export DOCKERCLOUD_APIKEY="$(cat key)"` keeps no newline, `< key` and `read` can: refused here, not as a wrong key.
    const problem = credentialsProblem(user, apikey, { username: 'DOCKERCLOUD_USER', apikey: 'DOCKERCLOUD_APIKEY' });
    if (problem !== null) return err(new EventsError('invalid-config', problem));
    if (apikey.trim() === '') return fail('DOCKERCLOUD_APIKEY', 'an API key', `${characters(apikey.length)} of white space only`);
    credentials = { username: user, apikey };
    authorization = authorizationHeader(credentials);
  }

  const namespace = get('DOCKERCLOUD_NAMESPACE');
  if (namespace !== undefined && !SEGMENT.test(namespace)) {
    return fail('DOCKERCLOUD_NAMESPACE', "a namespace (letters, digits, '_', '.', '~' or '-')", describeValue(namespace));
  }
  if (namespace !== undefined && isDotSegment(namespace)) return fail('DOCKERCLOUD_NAMESPACE', 'a namespace', `${describeValue(namespace)}: ${DOT_SEGMENT}`);

  const restHost = get('DOCKERCLOUD_REST_HOST');
  if (restHost !== undefined) {
    const rest = readHost(restHost, REST_SCHEMES);
    if (typeof rest === 'string') return fail('DOCKERCLOUD_REST_HOST', 'a REST host (http:// or https://)', `${describeValue(redactHost(restHost))}: ${rest}`);
  }

  const streamName = get('DOCKERCLOUD_STREAM_HOST') !== undefined ? 'DOCKERCLOUD_STREAM_HOST' : 'DOCKERCLOUD_STREAM_URL';
  const streamHost = get(streamName);
  if (streamHost !== undefined) {
    const stream = readHost(streamHost, STREAM_SCHEMES);
    if (typeof stream === 'string') return fail(streamName, 'a stream host (ws://, wss://, http:// or https://)', `${describeValue(redactHost(streamHost))}: ${stream}`);
  }

  return ok({
    ...(credentials !== undefined ? { credentials } : {}),
    ...(authorization !== undefined ? { authorization } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(restHost !== undefined ? { restHost } : {}),
    ...(streamHost !== undefined ? { streamHost } : {}),
  });
}

const AUTH_EXPECTED = 'a whole Authorization header value (such as "Basic …")';

/**
 * A whole Authorization header value no header can carry: white space only, or a control
 * character (a trailing newline from a file or `echo`), named and placed. By its shape, never its
 * text: it is a secret. `name` is what gave it (`DOCKERCLOUD_AUTH`, the `authorization` option).
 * null when it can be sent.
 *
 * @example
 * authorizationProblem('authorization', 'Basic abc\n')
 * // 'authorization must be a whole Authorization header value (such as "Basic …") without control characters, got 10 characters (not shown: it is a secret) with a line feed (LF) at the end'
 */
export function authorizationProblem(name: string, value: string): string | null {
  const shape = characters(value.length);
  if (value.trim() === '') return `${name} must be ${AUTH_EXPECTED}, got ${shape}: only white space`;
  const bad = headerCharProblem(value);
  return bad === null ? null : `${name} must be ${AUTH_EXPECTED} without control characters, got ${shape} (not shown: it is a secret) with ${bad}`;
}

/** Names for the control characters people paste by mistake. */
const CONTROL_NAMES: Readonly<Record<number, string>> = { 0: 'a NUL', 9: 'a tab', 10: 'a line feed (LF)', 13: 'a carriage return (CR)', 127: 'a DEL' };

/**
 * The first character of `value` that no HTTP header value can carry (RFC 9110 §5.5: control
 * characters but tab; runtimes also refuse anything past U+00FF), named and placed, never
 * quoted: `a line feed (LF) at the end`. null when there is none.
 */
function headerCharProblem(value: string): string | null {
  return charProblem(value, /[^\t\x20-\x7e\x80-\xff]/);
}

/**
 * The first control character of `value` (C0, tab included, DEL and C1), named and placed as by
 * {@link headerCharProblem}: what no username or API key holds. Anything else is sent, UTF-8 in
 * base64. null when there is none.
 */
function controlCharProblem(value: string): string | null {
  return charProblem(value, /[\x00-\x1f\x7f-\x9f]/);
}

function charProblem(value: string, bad: RegExp): string | null {
  const at = value.search(bad);
  if (at === -1) return null;
  const code = value.charCodeAt(at);
  const what =
    code > 0xff
      ? 'a character beyond U+00FF, which a header cannot carry,'
      : (CONTROL_NAMES[code] ?? `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`);
  return `${what} at ${at === value.length - 1 ? 'the end' : `character ${at + 1} of ${value.length}`}`;
}

// ---------------------------------------------------------------------------------------------
// UTF-8 and base64, by hand: core has neither TextEncoder (not in ES2022) nor btoa/Buffer.

/**
 * UTF-8 bytes of `text`; a lone surrogate becomes U+FFFD, as TextEncoder does.
 *
 * @example
 * encodeUtf8('é') // Uint8Array [0xc3, 0xa9]
 */
export function encodeUtf8(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

/**
 * Strict UTF-8 decoding, like a fatal TextDecoder: `undefined` for overlong forms, surrogates,
 * truncated or stray bytes.
 *
 * @example
 * decodeUtf8(Uint8Array.of(0xc3, 0xa9)) // 'é'
 * decodeUtf8(Uint8Array.of(0xff)) // undefined
 */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    let need: number;
    let cp: number;
    let min: number;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [need, cp, min] = [1, b & 0x1f, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, cp, min] = [2, b & 0x0f, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, cp, min] = [3, b & 0x07, 0x10000];
    else return undefined;
    if (i + need >= bytes.length) return undefined;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k] as number;
      if ((c & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) BASE64_VALUE[BASE64.charCodeAt(i)] = i;

/**
 * Standard base64 with padding (RFC 4648 §4), as Basic auth uses.
 *
 * @example
 * encodeBase64(encodeUtf8('username:apikey')) // 'dXNlcm5hbWU6YXBpa2V5'
 */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += BASE64[(n >> 18) & 63]! + BASE64[(n >> 12) & 63]!;
    out += b === undefined ? '==' : BASE64[(n >> 6) & 63]! + (c === undefined ? '=' : BASE64[n & 63]!);
  }
  return out;
}

/**
 * Decodes standard base64; padding is optional but, when present, must be right. `undefined`
 * for any other character, an impossible length, or non-zero bits after the last byte.
 *
 * @example
 * decodeBase64('dXNlcm5hbWU6YXBpa2V5') // the bytes of 'username:apikey'
 * decodeBase64('dXNl!') // undefined
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  let body = text;
  if (body.length % 4 === 0 && body.endsWith('==')) body = body.slice(0, -2);
  else if (body.length % 4 === 0 && body.endsWith('=')) body = body.slice(0, -1);
  if (body.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const v = code < 128 ? (BASE64_VALUE[code] as number) : -1;
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  if (acc !== 0) return undefined;
  return out;
}

/** `1 character`, `10 characters`: a secret's shape, the only thing a message tells of it. */
function characters(count: number): string {
  return `${count} ${count === 1 ? 'character' : 'characters'}`;
}
