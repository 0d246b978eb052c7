import { parseArgs } from 'node:util';
import { MAX_RATE, MAX_STACKS, OPTION_RULES } from './check-options.js';
import {
  type ArgToken,
  badValue,
  cannotCombine,
  describeParseError,
  joinNegativeNumbers,
  mustBe,
  needsFlag,
  needsValue,
  numberFlag,
  oneOfFlag,
  rateFlag,
  repeatedFlag,
  type ShownAs,
  UsageError,
  unexpectedArgument,
} from './cli-rules.js';
import { badDockerAddress, parseDockerAddress } from './docker/docker-host.js';
import type { LogLevel } from './logger.js';
import { parseTrustedProxy, TRUSTED_PROXY_EXPECTED } from './trusted-proxies.js';

/** Exit codes of `events-server`. */
export const ExitCode = {
  ok: 0,
  /** The server could not start or run: unreadable users file, port in use, source unavailable. */
  failure: 1,
  /** The command line is wrong: unknown flag, bad value. Nothing was started. */
  usage: 2,
} as const;

/** Where events come from, named as the source names itself (in the logs, /healthz and /metrics). */
export type SourceKind = 'simulator' | 'docker';

/** What `events-server` was asked to do, every value validated. */
export interface CliOptions {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  /** Path of the users file; undefined = generate one user with a random key. */
  readonly usersFile: string | undefined;
  /** Simulator seed; undefined = pick one at random (and print it). */
  readonly seed: number | undefined;
  /** Simulated events per second, or `max` to run the simulator flat out (the TUI's `--demo --rate` takes the same). */
  readonly rate: number | 'max';
  /** Stacks per namespace in the simulated cloud; undefined = the simulator's default. */
  readonly stacks: number | undefined;
  readonly source: SourceKind;
  /** The engine for --source docker (unix://, tcp://, ssh://); undefined = DOCKER_HOST, then the docker context, then the local socket. */
  readonly dockerHost: string | undefined;
  /** Events retained per namespace for resume; undefined = the bus default. */
  readonly retentionCount: number | undefined;
  /** How long events are retained for resume, in ms; undefined = the bus default. */
  readonly retentionAgeMs: number | undefined;
  readonly logLevel: LogLevel;
  /** Reverse proxies whose X-Forwarded-For is believed (addresses, CIDR ranges and named ranges such as loopback); none by default. */
  readonly trustedProxies: readonly string[];
}

export type CliCommand =
  | { readonly kind: 'run'; readonly options: CliOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  /** `events-server hash-key`: hash a key read from stdin, or (`--generate`) make one. */
  | { readonly kind: 'hash-key'; readonly generate: boolean }
  | { readonly kind: 'hash-key-help' }
  /** `command` is the command whose help the message points to: `hash-key`, or none for the server's. */
  | { readonly kind: 'usage-error'; readonly message: string; readonly command?: 'hash-key' };

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
export const DEFAULT_RATE = 2;
// The ranges are the JavaScript API's too (check-options.ts): a value is valid in both or in neither.
export { MAX_RATE, MAX_STACKS };
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
const SOURCES: readonly SourceKind[] = ['simulator', 'docker'];
/** The variable --trusted-proxies is read from when the flag is not given. */
export const TRUSTED_PROXIES_ENV = 'EVENTS_SERVER_TRUSTED_PROXIES';

export const HELP_TEXT = `Usage: events-server [options]
       events-server hash-key [--generate]

Serves the Docker Cloud event stream and REST API from a simulated cloud or a Docker Engine/Swarm. Docker Cloud clients
connect unchanged with DOCKERCLOUD_REST_HOST / DOCKERCLOUD_STREAM_HOST pointed at it.

Commands:
  hash-key                Print the SHA-256 of an API key read from stdin, for "apikeySha256" in a users file;
                          with --generate, make a new random key and print it (once) with its SHA-256
                          (events-server hash-key --help)

Options:
  --host ADDR             Interface to listen on (default ${DEFAULT_HOST})
  --port N                Port to listen on, 0 = any free port (default ${DEFAULT_PORT})
  --users FILE            Users file: {"users":[{"username":"alice","apikeySha256":"...","namespaces":["acme"]}]},
                          apikeySha256 being the SHA-256 of the user's API key (events-server hash-key);
                          "apikey" with the key itself works too, with a warning at start.
                          Without --users, one user "admin" is created with a random API key (printed).
  --seed N                Simulator seed, for a reproducible cloud (default: random, printed)
  --rate N|max            Simulated events per second in each namespace, 0 = only operations (default ${DEFAULT_RATE});
                          max = flat out
  --stacks N              Stacks per namespace in the simulated cloud
  --source simulator|docker
                          Where events come from: the simulated cloud (default) or a Docker Engine/Swarm,
                          whose objects all appear in the first user's namespace (docs/docker-mapping.md)
  --docker-host ADDR      The engine for --source docker: unix:///path, tcp://host:2375[/prefix] or ssh://user@host
                          (default: DOCKER_HOST, then the current docker context, then
                          ~/.docker/run/docker.sock if it exists, then unix:///var/run/docker.sock);
                          tcp uses TLS on port 2376 or with DOCKER_TLS_VERIFY,
                          with ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH (default ~/.docker)
  --retention-count N     Events kept per namespace for resuming clients
  --retention-age DUR     How long events are kept for resuming clients, e.g. 90s, 10m, 2h
  --log-level LEVEL       debug, info, warn, error or silent (default info); logs are JSON lines on stderr
  --trusted-proxies LIST  Reverse proxies in front of the server: IPv4/IPv6 addresses, CIDR ranges and the named
                          ranges loopback (127.0.0.0/8, ::1), linklocal (169.254.0.0/16, fe80::/10) and
                          uniquelocal (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7), comma-separated or
                          repeated, e.g. loopback,10.0.0.2,fd00::/8 (default none; the flag wins
                          over ${TRUSTED_PROXIES_ENV}). A request from one counts as from the client
                          its X-Forwarded-For names (walked from the right past trusted addresses), for the
                          login throttle and the logs; from any other address that header is ignored
  -h, --help              Show this help
  -v, --version           Show the version

An option given twice is a command-line error, except --trusted-proxies, whose values add up.
Connection details go to stdout, logs to stderr.
Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM), 1 when the server cannot start or run,
2 for a command-line error (${TRUSTED_PROXIES_ENV} included).
`;

/** The command that hashes API keys for the users file, so that the file need not hold them. */
export const HASH_KEY_COMMAND = 'hash-key';

export const HASH_KEY_HELP_TEXT = `Usage: events-server hash-key [--generate]

Prints the SHA-256 of an API key in 64 hex characters, the form "apikeySha256" takes in a users file,
so that the file holds no key:
  {"users":[{"username":"alice","apikeySha256":"<the 64 hex characters>","namespaces":["acme"]}]}

The key is read from standard input, never from the command line, which every user of the machine
can read (ps): typed at a prompt that does not show it (asked twice), or piped in, one line whose
line ending is dropped:
  events-server hash-key < alice.key
  printf '%s' "$KEY" | events-server hash-key
It must be at least 8 characters without control characters, as the users file's "apikey".

Options:
  --generate              Make a new random API key (24 characters) instead of reading one, and print
                          "API key: KEY" and "apikeySha256: HASH" on two lines. The key is shown only
                          this once: give it to its user, and put the hash in the users file.
  -h, --help              Show this help

Exit codes: 0 when printed, 1 when the key read is refused or none can be read, 2 for a
command-line error.
`;

const HASH_KEY_OPTIONS = {
  generate: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `events-server hash-key [--generate]`, the arguments after the command. A stray argument is
 * counted, never repeated: it may be the very key that must stay off the command line.
 */
function parseHashKeyCommand(argv: readonly string[]): CliCommand {
  let values: { generate?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: HASH_KEY_OPTIONS, strict: true, allowPositionals: true }));
  } catch (error) {
    return { kind: 'usage-error', message: describeParseError(error, Object.keys(HASH_KEY_OPTIONS), argv), command: HASH_KEY_COMMAND };
  }
  if (values.help) return { kind: 'hash-key-help' };
  if (positionals.length > 0) {
    const got = positionals.length === 1 ? '1 argument' : `${positionals.length} arguments`;
    return {
      kind: 'usage-error',
      message: `hash-key takes no argument, got ${got} (not shown: it may be a key): pipe the key in (events-server hash-key < FILE) or type it at the prompt, as a command line is visible to every user (ps)`,
      command: HASH_KEY_COMMAND,
    };
  }
  return { kind: 'hash-key', generate: values.generate === true };
}

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
  'trusted-proxies': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** How a repeated flag's values are shown: an engine address may carry a user and password (`ssh://user@host`). */
const REPEATED_SHOWN: Readonly<Record<string, ShownAs>> = { 'docker-host': 'masked' };

/** Flags whose value is a number (or a duration): `--rate -1` is a value to check, not a flag. */
const NUMERIC_FLAGS: ReadonlySet<string> = new Set(['port', 'seed', 'rate', 'stacks', 'retention-count', 'retention-age']);

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

/**
 * The entries of --trusted-proxies (every value given, each a comma-separated list) or of its
 * variable, each checked; a bad one is named as typed, with why.
 *
 * @throws UsageError `--trusted-proxies must be an IPv4 or IPv6 address, a CIDR range …, got "10.0.0.300": 300 is more than 255`
 */
function trustedProxyList(name: string, values: readonly string[]): string[] {
  const entries: string[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const entry = part.trim();
      if (entry === '') throw new UsageError(mustBe(name, 'IPv4 or IPv6 addresses, CIDR ranges and named ranges separated by commas, such as loopback,10.0.0.2,fd00::/8', value, ': it has an empty entry'));
      const parsed = parseTrustedProxy(entry);
      if (!parsed.ok) throw new UsageError(mustBe(name, TRUSTED_PROXY_EXPECTED, entry, `: ${parsed.error}`));
      entries.push(entry);
    }
  }
  return entries;
}

/**
 * Parses and validates the `events-server` command line (without `node` and the script path) and
 * the environment variables it reads (EVENTS_SERVER_TRUSTED_PROXIES; a flag wins over its
 * variable, which is then not read). Pure: it reads no file, and the environment is passed in;
 * the users file is loaded by the caller.
 *
 * @example
 * parseCliOptions(['--port', '0', '--seed', '42'])
 * // { kind: 'run', options: { host: '127.0.0.1', port: 0, seed: 42, rate: 2, source: 'simulator', ... } }
 * parseCliOptions(['--port', 'http']) // { kind: 'usage-error', message: '--port must be a whole number from 0 to 65535, got "http"' }
 */
export function parseCliOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): CliCommand {
  if (argv[0] === HASH_KEY_COMMAND) return parseHashKeyCommand(argv.slice(1));
  let values: {
    [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
  };
  let positionals: string[];
  let tokens: ArgToken[];
  const args = joinNegativeNumbers(argv, NUMERIC_FLAGS);
  try {
    ({ values, positionals, tokens } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true, tokens: true }));
  } catch (error) {
    return { kind: 'usage-error', message: describeParseError(error, Object.keys(OPTIONS), args) };
  }
  // As in `events`: help and version answer before anything else is checked.
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  // `--port 1 --port 2`: refused as the TUI refuses it, rather than the last one silently taken.
  const repeated = repeatedFlag(tokens, OPTIONS, REPEATED_SHOWN);
  if (repeated !== undefined) return { kind: 'usage-error', message: repeated };
  if (positionals.length > 0) {
    const word = positionals[0] as string;
    const instead = word === HASH_KEY_COMMAND ? 'a command comes first, as in events-server hash-key' : 'events-server takes only options';
    return { kind: 'usage-error', message: unexpectedArgument(word, instead) };
  }
  try {
    const text = (flag: keyof typeof OPTIONS): string | undefined => {
      const value = values[flag];
      if (typeof value !== 'string') return undefined;
      if (value.trim() === '') throw new UsageError(needsValue(flag));
      return value;
    };
    const retentionAge = text('retention-age');
    let retentionAgeMs: number | undefined;
    if (retentionAge !== undefined) {
      retentionAgeMs = parseDuration(retentionAge);
      if (retentionAgeMs === undefined) {
        throw new UsageError(badValue('retention-age', 'a duration such as 90s, 10m or 2h', retentionAge));
      }
    }
    const port = text('port');
    const seed = text('seed');
    const stacks = text('stacks');
    const retentionCount = text('retention-count');
    const rateText = text('rate');
    const sourceText = text('source');
    const dockerHost = text('docker-host');
    // `simulate` was the flag's word for the simulator before it took the source's own name: kept for scripts.
    const source = sourceText === undefined ? 'simulator' : oneOfFlag('source', sourceText === 'simulate' ? 'simulator' : sourceText, SOURCES);
    if (dockerHost !== undefined && source !== 'docker') throw new UsageError(needsFlag('docker-host', '--source docker'));
    if (source === 'docker') {
      // The simulator's knobs would be silently ignored: refuse them as --docker-host is refused without docker.
      for (const [flag, value] of [['seed', seed], ['rate', rateText], ['stacks', stacks]] as const) {
        if (value !== undefined) throw new UsageError(cannotCombine(flag, '--source docker', 'it is for the simulated cloud'));
      }
    }
    if (dockerHost !== undefined) {
      // Checked in full here, so that a bad address is a usage error (exit 2), not a failed start.
      // Worded as a bad DOCKER_HOST is (docker-engine-client.ts), with the flag's name for the variable's.
      const parsed = parseDockerAddress(dockerHost);
      if (!parsed.ok) throw new UsageError(badDockerAddress('--docker-host', dockerHost, parsed.reason));
    }
    const logLevel = text('log-level');
    const proxyFlags = values['trusted-proxies'];
    if (proxyFlags?.some((value) => value.trim() === '')) throw new UsageError(needsValue('trusted-proxies'));
    // An empty variable is an unset one, as DOCKER_HOST's is.
    const proxyEnv = env[TRUSTED_PROXIES_ENV]?.trim() ? env[TRUSTED_PROXIES_ENV] : undefined;
    const trustedProxies =
      proxyFlags !== undefined
        ? trustedProxyList('--trusted-proxies', proxyFlags)
        : proxyEnv !== undefined
          ? trustedProxyList(TRUSTED_PROXIES_ENV, [proxyEnv])
          : [];
    return {
      kind: 'run',
      options: {
        host: text('host') ?? DEFAULT_HOST,
        port: port === undefined ? DEFAULT_PORT : numberFlag('port', port, OPTION_RULES.port),
        usersFile: text('users'),
        seed: seed === undefined ? undefined : numberFlag('seed', seed, OPTION_RULES.seed),
        rate: rateText === undefined ? DEFAULT_RATE : rateFlag(rateText),
        stacks: stacks === undefined ? undefined : numberFlag('stacks', stacks, OPTION_RULES.stacks),
        source,
        dockerHost,
        retentionCount: retentionCount === undefined ? undefined : numberFlag('retention-count', retentionCount, OPTION_RULES.retentionCount),
        retentionAgeMs,
        logLevel: logLevel === undefined ? 'info' : oneOfFlag('log-level', logLevel, LOG_LEVELS),
        trustedProxies,
      },
    };
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'usage-error', message: error.message };
    throw error;
  }
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
 * formatConnectionInfo({ host: '127.0.0.1', port: 8080, source: 'simulator', seed: 7, rate: 2, users: { kind: 'generated', username: 'admin', apikey: 'k' } })
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
