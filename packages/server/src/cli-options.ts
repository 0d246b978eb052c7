import { parseArgs } from 'node:util';
import { parseDockerAddress, redactDockerAddress } from './docker/docker-host.js';
import type { LogLevel } from './logger.js';

/** Exit codes of `events-server`. */
export const ExitCode = {
  ok: 0,
  /** The server could not start or run: unreadable users file, port in use, source unavailable. */
  failure: 1,
  /** The command line is wrong: unknown flag, bad value. Nothing was started. */
  usage: 2,
} as const;

export type SourceKind = 'simulate' | 'docker';

/** What `events-server` was asked to do, every value validated. */
export interface CliOptions {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  /** Path of the users file; undefined = generate one user with a random key. */
  readonly usersFile: string | undefined;
  /** Simulator seed; undefined = pick one at random (and print it). */
  readonly seed: number | undefined;
  /** Simulated events per second, or `max` to run the simulator flat out. */
  readonly rate: number | 'max';
  /** Stacks per namespace in the simulated cloud; undefined = the simulator's default. */
  readonly stacks: number | undefined;
  readonly source: SourceKind;
  /** The engine for --source docker (unix://, tcp://, ssh://); undefined = DOCKER_HOST, then the local socket. */
  readonly dockerHost: string | undefined;
  /** Events retained per namespace for resume; undefined = the bus default. */
  readonly retentionCount: number | undefined;
  /** How long events are retained for resume, in ms; undefined = the bus default. */
  readonly retentionAgeMs: number | undefined;
  readonly logLevel: LogLevel;
}

export type CliCommand =
  | { readonly kind: 'run'; readonly options: CliOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage-error'; readonly message: string };

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
export const DEFAULT_RATE = 2;
export const MAX_RATE = 100_000;
export const MAX_STACKS = 1000;
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
const SOURCES: readonly SourceKind[] = ['simulate', 'docker'];

export const HELP_TEXT = `Usage: events-server [options]

Serves the Docker Cloud event stream and REST API from a simulated cloud or a Docker Engine/Swarm. Docker Cloud clients
connect unchanged with DOCKERCLOUD_REST_HOST / DOCKERCLOUD_STREAM_HOST pointed at it.

Options:
  --host ADDR             Interface to listen on (default ${DEFAULT_HOST})
  --port N                Port to listen on, 0 = any free port (default ${DEFAULT_PORT})
  --users FILE            Users file: {"users":[{"username":"alice","apikey":"...","namespaces":["acme"]}]}
                          Without it, one user "admin" is created with a random API key (printed).
  --seed N                Simulator seed, for a reproducible cloud (default: random, printed)
  --rate N|max            Simulated events per second, 0 = only operations (default ${DEFAULT_RATE}); max = flat out
  --stacks N              Stacks per namespace in the simulated cloud
  --source simulate|docker
                          Where events come from: the simulated cloud (default) or a Docker Engine/Swarm,
                          whose objects all appear in the first user's namespace (docs/docker-mapping.md)
  --docker-host ADDR      The engine for --source docker: unix:///path, tcp://host:2375 or ssh://user@host
                          (default: DOCKER_HOST, then ~/.docker/run/docker.sock if it exists, then
                          unix:///var/run/docker.sock); tcp uses TLS on port 2376 or with DOCKER_TLS_VERIFY,
                          with ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH (default ~/.docker)
  --retention-count N     Events kept per namespace for resuming clients
  --retention-age DUR     How long events are kept for resuming clients, e.g. 90s, 10m, 2h
  --log-level LEVEL       debug, info, warn, error or silent (default info); logs are JSON lines on stderr
  -h, --help              Show this help
  -v, --version           Show the version

Connection details go to stdout, logs to stderr.
Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM), 1 when the server cannot start or run,
2 for a command-line error.
`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  users: { type: 'string' },
  seed: { type: 'string' },
  rate: { type: 'string' },
  stacks: { type: 'string' },
  source: { type: 'string' },
  'docker-host': { type: 'string' },
  'retention-count': { type: 'string' },
  'retention-age': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

class UsageError extends Error {}

/** A whole, non-negative decimal integer within `max`; `what` names the flag in the message. */
function integer(flag: string, text: string, min: number, max: number): number {
  if (!/^\d{1,16}$/.test(text)) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`--${flag} must be from ${min} to ${max}, got ${value}`);
  return value;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `500ms`, `90s`, `10m`, `1.5h` or `2d` into milliseconds. A bare `0`
 * is allowed; any other number needs a unit, so `--retention-age 10` cannot silently mean 10 ms.
 *
 * @example
 * parseDuration('10m') // 600000
 */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * (DURATION_UNITS[match[2] as string] as number);
  return Number.isFinite(ms) && ms <= Number.MAX_SAFE_INTEGER ? Math.round(ms) : undefined;
}

function rate(text: string): number | 'max' {
  if (text === 'max') return 'max';
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`--rate must be a number of events per second (e.g. 2 or 0.5) or "max", got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value > MAX_RATE) throw new UsageError(`--rate must be at most ${MAX_RATE} events per second (or "max"), got ${value}`);
  return value;
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return text as T;
}

/**
 * Parses and validates the `events-server` command line (without `node` and the script path).
 * Pure: it reads no file and no environment; the users file is loaded by the caller.
 *
 * @example
 * parseCliOptions(['--port', '0', '--seed', '42'])
 * // { kind: 'run', options: { host: '127.0.0.1', port: 0, seed: 42, rate: 2, source: 'simulate', ... } }
 * parseCliOptions(['--port', 'http']) // { kind: 'usage-error', message: '--port must be a whole number from 0 to 65535, got "http"' }
 */
export function parseCliOptions(argv: readonly string[]): CliCommand {
  let values: { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    return { kind: 'usage-error', message: describeParseError(error) };
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  try {
    const text = (flag: keyof typeof OPTIONS): string | undefined => {
      const value = values[flag];
      if (typeof value !== 'string') return undefined;
      if (value.trim() === '') throw new UsageError(`--${flag} needs a value`);
      return value;
    };
    const retentionAge = text('retention-age');
    let retentionAgeMs: number | undefined;
    if (retentionAge !== undefined) {
      retentionAgeMs = parseDuration(retentionAge);
      if (retentionAgeMs === undefined) {
        throw new UsageError(`--retention-age must be a duration such as 90s, 10m or 2h, got ${JSON.stringify(retentionAge)}`);
      }
    }
    const port = text('port');
    const seed = text('seed');
    const stacks = text('stacks');
    const retentionCount = text('retention-count');
    const rateText = text('rate');
    const sourceText = text('source');
    const dockerHost = text('docker-host');
    const source = sourceText === undefined ? 'simulate' : oneOf('source', sourceText, SOURCES);
    if (dockerHost !== undefined && source !== 'docker') throw new UsageError('--docker-host goes with --source docker');
    if (source === 'docker') {
      // The simulator's knobs would be silently ignored: refuse them as --docker-host is refused without docker.
      for (const [flag, value] of [['seed', seed], ['rate', rateText], ['stacks', stacks]] as const) {
        if (value !== undefined) throw new UsageError(`--${flag} is for the simulated cloud: it does not go with --source docker`);
      }
    }
    if (dockerHost !== undefined) {
      // Checked in full here, so that a bad address is a usage error (exit 2), not a failed start.
      const parsed = parseDockerAddress(dockerHost);
      if (!parsed.ok) throw new UsageError(`--docker-host ${JSON.stringify(redactDockerAddress(dockerHost))} is not a Docker engine address: ${parsed.reason}`);
    }
    const logLevel = text('log-level');
    return {
      kind: 'run',
      options: {
        host: text('host') ?? DEFAULT_HOST,
        port: port === undefined ? DEFAULT_PORT : integer('port', port, 0, 65535),
        usersFile: text('users'),
        seed: seed === undefined ? undefined : integer('seed', seed, 0, Number.MAX_SAFE_INTEGER),
        rate: rateText === undefined ? DEFAULT_RATE : rate(rateText),
        stacks: stacks === undefined ? undefined : integer('stacks', stacks, 0, MAX_STACKS),
        source,
        dockerHost,
        retentionCount: retentionCount === undefined ? undefined : integer('retention-count', retentionCount, 0, 10_000_000),
        retentionAgeMs,
        logLevel: logLevel === undefined ? 'info' : oneOf('log-level', logLevel, LOG_LEVELS),
      },
    };
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'usage-error', message: error.message };
    throw error;
  }
}

/** node:util's messages, reworded to name the flag the way the help text does. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  // The first long flag named in the message (node writes "Option '-h, --help' ..."), else a short one.
  const flag = /'[^']*?(--[^' ,<]+)/.exec(message)?.[1] ?? /'(-[^' ,<]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const near = flag?.startsWith('--') ? closestOption(flag.slice(2)) : undefined;
      return `unknown option ${flag ?? message}${near ? ` (did you mean --${near}?)` : ''}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (flag && /argument missing/.test(message)) return `${flag} needs a value`;
      if (flag && /ambiguous/.test(message)) return `${flag} needs a value (write ${flag}=-VALUE for a value that starts with "-")`;
      if (flag && /does not take an argument/.test(message)) return `${flag} takes no value`;
      return message;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? message}: events-server takes only options`;
    default:
      return message;
  }
}

/** The option a mistyped one most likely meant: at most two edits away (`--user` → `--users`). */
function closestOption(typed: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of Object.keys(OPTIONS)) {
    const distance = editDistance(typed, name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** What to print on stdout once the server listens: how to connect, and never anything but the generated key. */
export interface ConnectionInfo {
  readonly host: string;
  readonly port: number;
  readonly source: SourceKind;
  readonly seed: number | undefined;
  readonly rate: number | 'max';
  /** For --source docker: the engine's address. */
  readonly engine?: string;
  /** The generated user and its key (no --users), or the users file's user names. */
  readonly users: { readonly kind: 'generated'; readonly username: string; readonly apikey: string } | { readonly kind: 'file'; readonly file: string; readonly usernames: readonly string[] };
}

/** The host part of a URL clients can reach: a wildcard address is reached on loopback. */
export function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * The connection details printed at start-up: URLs, credentials and the environment lines the
 * Docker Cloud SDKs and CLI read.
 *
 * @example
 * formatConnectionInfo({ host: '127.0.0.1', port: 8080, source: 'simulate', seed: 7, rate: 2, users: { kind: 'generated', username: 'admin', apikey: 'k' } })
 */
export function formatConnectionInfo(info: ConnectionInfo): string {
  const host = connectHost(info.host);
  const http = `http://${host}:${info.port}/`;
  const ws = `ws://${host}:${info.port}/`;
  const detail =
    info.source === 'docker'
      ? `engine ${info.engine ?? 'unknown'}`
      : `${info.seed === undefined ? '' : `seed ${info.seed}, `}rate ${info.rate === 'max' ? 'max' : `${info.rate}/s`}`;
  const lines = [`events-server listening on ${http} (source: ${info.source}, ${detail})`, ''];
  const users = info.users;
  if (users.kind === 'generated') {
    lines.push(`Username: ${users.username}`, `API key:  ${users.apikey}`, '');
  } else {
    lines.push(`Users from ${users.file}: ${users.usernames.join(', ')}`, '');
  }
  const username = users.kind === 'generated' ? users.username : (users.usernames[0] ?? 'USERNAME');
  // Shell-safe, so the block can be pasted as is.
  const apikey = users.kind === 'generated' ? users.apikey : `YOUR_API_KEY   # ${username}'s key in ${users.file}`;
  lines.push(
    'Point Docker Cloud clients at it:',
    `  export DOCKERCLOUD_REST_HOST=${http}`,
    `  export DOCKERCLOUD_STREAM_HOST=${ws}`,
    `  export DOCKERCLOUD_USER=${username}`,
    `  export DOCKERCLOUD_APIKEY=${apikey}`,
    '',
    `Event stream: ${ws}api/audit/v1/events/   REST: ${http}api/app/v1/stack/`,
  );
  return `${lines.join('\n')}\n`;
}
