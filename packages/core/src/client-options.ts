import { authorizationProblem, checkCredentials, configFromEnv, type EnvConfig, restHostFor } from './endpoint.js';
import { didYouMeanHint } from './did-you-mean.js';
import { describeValue } from './describe-value.js';
import { EventsError } from './events-error.js';
import type { StreamClientOptions } from './stream-client-types.js';
import { checkTimerOption } from './timer-delay.js';

/** The environment Docker Cloud programs read (DOCKERCLOUD_*), e.g. `process.env`. */
export type ClientEnv = Readonly<Record<string, string | undefined>>;

/** What the client is made for: a stream alone, or a live tree (which takes more options). */
export type ClientKind = 'stream' | 'live-tree';

/**
 * Where a transport's `env` came from, so that an error names only what the caller can change:
 * `process` (Node's environment, read by default), `option` (the caller's `env` option), `none`
 * (a transport that reads no environment unless given one: the browser's).
 */
export type EnvSource = 'process' | 'option' | 'none';

// Every option each entry point takes, so that a misspelt one (`streamURL`, `pingInterval`) is
// refused rather than ignored: a JavaScript caller has no type checker to catch it.
const STREAM_OPTION_KEYS: readonly string[] = [
  'streamHost',
  'namespace',
  'filter',
  'credentials',
  'authorization',
  'extended',
  'policy',
  'pingIntervalMs',
  'highWaterMark',
  'dedupeWindow',
  'closeTimeoutMs',
  'queryAuth',
  'trailingSlash',
  'signal',
  'online',
  'onEvent',
  'onError',
  'onState',
];
const LIVE_TREE_OPTION_KEYS: readonly string[] = [
  ...STREAM_OPTION_KEYS.filter((key) => key !== 'onEvent' && key !== 'highWaterMark'),
  'restHost',
  'store',
  'publishIntervalMs',
  'pruneIntervalMs',
  'pageSize',
  'maxBufferedEvents',
  'restTimeoutMs',
  'maxRestBodyBytes',
];

/** The least interval between two pings: below it a client floods the server (0 would ping every tick). */
export const MIN_PING_INTERVAL_MS = 100;

/** What people coming from the SDKs and the variables write for our option names. */
const OPTION_NEAR_MISSES: Readonly<Record<string, string>> = {
  streamurl: 'streamHost',
  stream_host: 'streamHost',
  url: 'streamHost',
  host: 'streamHost',
  resturl: 'restHost',
  rest_host: 'restHost',
  user: 'credentials',
  username: 'credentials',
  apikey: 'credentials',
  auth: 'authorization',
  maxbodybytes: 'maxRestBodyBytes',
  maxresponsebytes: 'maxRestBodyBytes',
  maxresponsesize: 'maxRestBodyBytes',
};

/**
 * A transport's options argument, checked before the transport takes it apart: spread, a string
 * would read as options "0", "1", … and null would throw a TypeError that names no input.
 * `envDefault` says what `env` falls back to in that runtime, for the message.
 *
 * @example
 * const { env, ...rest } = checkOptionsArgument(options, 'process.env is the default; {} reads none');
 * @throws EventsError `invalid-config` when options, or its `env`, is not a plain object
 */
export function checkOptionsArgument<T extends { readonly env?: unknown }>(options: T, envDefault: string): T {
  refuseNonObjectOptions(options);
  const { env } = options;
  if (env !== undefined && !isPlainObject(env)) {
    throw new EventsError('invalid-config', `env must be an object of DOCKERCLOUD_* variables (${envDefault}), got ${describeValue(env)}`);
  }
  return options;
}

function refuseNonObjectOptions(options: unknown): void {
  if (isPlainObject(options)) return;
  const hint = typeof options === 'string' ? ` (a host goes in { streamHost: ${JSON.stringify(options)} })` : '';
  throw new EventsError('invalid-config', `options must be an object, got ${describeValue(options)}${hint}`);
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A transport's options made whole: what `options` leave out comes from the Docker Cloud
 * environment (hosts, namespace, credentials), then every option is checked. The REST host
 * defaults to the stream host's own origin over http(s) (restHostFor), never to Docker Cloud's
 * old hosts. A malformed DOCKERCLOUD_* variable is an error even when options cover it, so that
 * a valid variable beside it (the namespace) is never dropped without a word; pass `env: {}`
 * to ignore the environment.
 *
 * @example
 * const options = resolveClientOptions({ filter: { type: 'service' } }, process.env, 'stream');
 * @throws EventsError `invalid-config` for an unknown or ill-typed option, a bad variable, or no stream host
 */
export function resolveClientOptions<T extends Partial<StreamClientOptions> & { readonly restHost?: string }>(
  options: T,
  env: ClientEnv,
  kind: ClientKind,
  envSource: EnvSource = 'process',
): T & { readonly streamHost: string; readonly restHost: string } {
  refuseNonObjectOptions(options);
  const known = kind === 'stream' ? STREAM_OPTION_KEYS : LIVE_TREE_OPTION_KEYS;
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const hint = didYouMeanHint(key, known, OPTION_NEAR_MISSES);
      throw new EventsError('invalid-config', `unknown option ${JSON.stringify(key)}${hint}; ${kind === 'stream' ? 'a stream' : 'a live tree'} takes ${known.join(', ')}, and env`);
    }
  }
  const config = configFromEnv(env);
  if (!config.ok) throw new EventsError('invalid-config', `${config.error.message} (fix the variable, or pass env: {} to ignore the environment)`);
  const resolved = withEnvDefaults(options, config.value, envSource);
  checkStreamOptions(resolved);
  return resolved;
}

/** What else gives a stream host, by where the environment came from. */
const NO_STREAM_HOST_ELSE: Readonly<Record<EnvSource, string>> = {
  process: ' or set DOCKERCLOUD_STREAM_HOST',
  option: ' or DOCKERCLOUD_STREAM_HOST in env',
  none: ' (this transport reads no environment: the env option can supply DOCKERCLOUD_STREAM_HOST)',
};

/**
 * Fills what `options` leave out from the Docker Cloud environment (configFromEnv's result):
 * hosts, namespace and credentials. Credentials given in `options` (either form) win whole. The
 * REST host, when neither names it, is the stream host's origin over http(s).
 *
 * @example
 * const env = configFromEnv(process.env);
 * const options = withEnvDefaults({ filter: { type: 'service' } }, env.ok ? env.value : undefined);
 * @throws EventsError `invalid-config` when neither gives a stream host
 */
export function withEnvDefaults<T extends Partial<StreamClientOptions> & { readonly restHost?: string }>(
  options: T,
  env: EnvConfig | undefined,
  envSource: EnvSource = 'process',
): T & { readonly streamHost: string; readonly restHost: string } {
  const streamHost = options.streamHost ?? env?.streamHost;
  if (streamHost === undefined) {
    throw new EventsError(
      'invalid-config',
      `no stream host: pass streamHost${NO_STREAM_HOST_ELSE[envSource]} (nothing is assumed: Docker Cloud's own hosts are gone, and credentials must not go to a host nobody named)`,
    );
  }
  checkType('streamHost', streamHost, 'string', 'a string such as "ws://127.0.0.1:8080/"');
  const restHost = options.restHost ?? env?.restHost ?? restHostFor(streamHost);
  const hasAuth = options.credentials !== undefined || options.authorization !== undefined;
  return {
    ...options,
    streamHost,
    restHost,
    ...(options.namespace === undefined && env?.namespace !== undefined && { namespace: env.namespace }),
    ...(!hasAuth && env?.credentials !== undefined && { credentials: env.credentials }),
    ...(!hasAuth && env?.authorization !== undefined && { authorization: env.authorization }),
  };
}

/**
 * Checks the types and ranges of a stream's options that the URL and the reconnect policy do
 * not (those are checked where they are used). For JavaScript callers: a number where a
 * string belongs must be a clear error at creation, not a TypeError deep in a reconnect.
 *
 * @throws EventsError `invalid-config` naming the option
 */
export function checkStreamOptions(options: Partial<StreamClientOptions>): void {
  checkType('streamHost', options.streamHost, 'string', 'a string such as "ws://127.0.0.1:8080/"');
  checkType('namespace', options.namespace, 'string', 'a string');
  checkType('authorization', options.authorization, 'string', 'a whole Authorization header value (a string)');
  const authorization = options.authorization;
  if (authorization === '') throw new EventsError('invalid-config', 'authorization is empty');
  // As DOCKERCLOUD_AUTH is (configFromEnv): refused here rather than when the first connection
  // tries to send it; by its shape, never its text (it is a secret).
  const problem = authorization === undefined ? null : authorizationProblem('authorization', authorization);
  if (problem !== null) throw new EventsError('invalid-config', problem);
  // Checked whenever given, even beside an authorization that wins over them (queryAuth "token" sends them).
  if (options.credentials !== undefined) checkCredentials(options.credentials);
  for (const key of ['extended', 'trailingSlash', 'online'] as const) checkType(key, options[key], 'boolean', 'true or false');
  for (const key of ['onEvent', 'onError', 'onState'] as const) checkType(key, options[key], 'function', 'a function');
  // The transport pings on a timer: a longer interval than a timer keeps would ping every millisecond.
  checkTimerOption('pingIntervalMs', options.pingIntervalMs, { min: MIN_PING_INTERVAL_MS, nullMeans: 'for no pings' });
  checkTimerOption('closeTimeoutMs', options.closeTimeoutMs, { min: 0 });
  const highWaterMark = options.highWaterMark;
  if (highWaterMark !== undefined && !(Number.isSafeInteger(highWaterMark) && highWaterMark >= 1)) {
    throw new EventsError('invalid-config', `highWaterMark must be a whole number ≥ 1 (events an iterator may have waiting), got ${describeValue(highWaterMark)}`);
  }
  // Its keys are checked by createReconnectPolicy; a string there would read as keys "0", "1", …
  if (options.policy !== undefined && !isPlainObject(options.policy)) {
    throw new EventsError('invalid-config', `policy must be an object of reconnect policy options, such as { capMs: 10000 }, got ${describeValue(options.policy)}`);
  }
  const window = options.dedupeWindow;
  if (window !== undefined && !(Number.isSafeInteger(window) && window >= 0)) {
    throw new EventsError('invalid-config', `dedupeWindow must be a whole number ≥ 0 (0: no duplicate detection), got ${describeValue(window)}`);
  }
  if (options.queryAuth !== undefined && options.queryAuth !== 'auth' && options.queryAuth !== 'token') {
    throw new EventsError('invalid-config', `queryAuth must be "auth" or "token", got ${describeValue(options.queryAuth)}`);
  }
  const signal = options.signal as unknown;
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal && typeof (signal as { addEventListener?: unknown }).addEventListener === 'function')) {
    throw new EventsError('invalid-config', `signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
}

function checkType(key: string, value: unknown, type: 'string' | 'boolean' | 'function', expected: string): void {
  if (value !== undefined && typeof value !== type) throw new EventsError('invalid-config', `${key} must be ${expected}, got ${describeValue(value)}`);
}
