import { parseArgs } from 'node:util';
import { configFromEnv, type Credentials, createFilter, credentialsProblem, didYouMean, type EventFilter, OBJECT_TYPES, type ObjectType, parseResourceUri, redactHost, restHostFor, restListUrl, streamUrl, toEventsError, typeOfUri } from '@events/core';
// The usage-error wording `events-server` uses, and its --seed and --rate rules: one message for one mistake in both tools.
import {
  badAddress,
  badValue,
  cannotCombine,
  describeParseError,
  joinNegativeNumbers,
  mustBe,
  type NumberRule,
  needsFlag,
  needsValue,
  numberFlag,
  OPTION_RULES,
  oneOfFlag,
  quoteArg,
  rateFlag,
  repeatedFlag,
  UsageError,
  unexpectedArgument,
} from '@events/server/cli-rules';


/** Exit codes of `events`, as the Docker Cloud CLI used them where it had one. */
export const ExitCode = {
  ok: 0,
  /** Anything that went wrong at run time, with a message on stderr. */
  failure: 1,
  /**
   * Refused credentials (the CLI's `docker-cloud event` exited 2 on AuthError) or refused access:
   * a namespace the user may not read (HTTP 403, close code 4003). Also a bad command line.
   */
  auth: 2,
  usage: 2,
} as const;

export type OutputFormat = 'json' | 'plain';

/** Where the events come from. */
export type SourceOptions =
  | {
      readonly kind: 'remote';
      readonly streamHost: string;
      readonly restHost: string;
      readonly namespace?: string;
      readonly credentials?: Credentials;
      /** The Authorization header value to send (DOCKERCLOUD_AUTH as given, or built from the credentials). */
      readonly authorization: string;
    }
  /** `rate`: background events per second, or `max` for flat out, as `events-server --rate` takes it. */
  | { readonly kind: 'demo'; readonly seed?: number; readonly rate: number | 'max' }
  | { readonly kind: 'replay'; readonly file: string; readonly speed: number };

export interface RunOptions {
  readonly command: 'watch' | 'tail';
  readonly source: SourceOptions;
  /** Null: every event. */
  readonly filter: EventFilter | null;
  readonly format: OutputFormat;
  /** Also write the session to this file, which must not exist yet unless `overwrite`. */
  readonly record?: string;
  /** `--overwrite`: replace the `record` file when it exists (else it is refused, exit 2). */
  readonly overwrite?: boolean;
  /** Stop after this many events (line mode). */
  readonly count?: number;
}

export type CliCommand =
  | { readonly kind: 'run'; readonly options: RunOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage-error'; readonly message: string };

/** Background events per second of `--demo` unless `--rate` says otherwise. */
export const DEFAULT_DEMO_RATE = 3;

export const HELP_TEXT = `Usage: events <watch|tail> [options]

  events watch    live view of stacks, services, containers, node clusters and nodes
                  (one line per event instead when stdin or stdout is not a terminal,
                  or TERM is dumb or unset; name your terminal in TERM to force the view)
  events tail     one event per line, JSON exactly as \`docker-cloud event\` printed it

Connection (flags win over the environment):
  --host URL          stream host, ws:// wss:// http:// or https://   [DOCKERCLOUD_STREAM_HOST]
                      (required unless --demo or --replay: Docker Cloud's hosts are gone)
  --rest-host URL     REST host; default: the --host on http(s)      [DOCKERCLOUD_REST_HOST]
  --namespace NS      namespace to watch; default: the user's own    [DOCKERCLOUD_NAMESPACE]
  --user NAME         user name                                      [DOCKERCLOUD_USER]
  --apikey KEY        API key                                        [DOCKERCLOUD_APIKEY]
                      (--user and --apikey come together, never one with the other's variable;
                      DOCKERCLOUD_AUTH, a whole Authorization header, works too)

Filters (repeat a flag or give a comma list: values of one flag are alternatives, flags combine):
  --type TYPE         stack, service, container, nodecluster, node, action
  --object URI        an object's resource URI
  --parent URI        a parent's resource URI (a stack, service, node, node cluster)

Sources:
  --demo              start an embedded events server over a simulated cloud and watch it
  --seed N            the simulated cloud's seed (--demo)
  --rate N|max        simulated background events per second (--demo; default ${DEFAULT_DEMO_RATE}, 0 = none,
                      max = flat out), as events-server --rate takes it
  --record FILE       also write the session to FILE (NDJSON), for --replay; a FILE that
                      exists is refused (exit 2) unless --overwrite
  --overwrite         let --record replace an existing FILE
  --replay FILE       play a recording back instead of connecting
  --speed N           replay speed factor (default 1; 0 = as fast as possible)

Output (tail, and watch without a terminal):
  --format json|plain json (default): one frame per line, pipe it into jq
                      plain: time, type, action, name, old → new state, parents
  --count N           stop after N events

  -h, --help          show this help
  -v, --version       show the version

Only --type, --object and --parent repeat; any other flag given twice is refused.
Keys in watch: press ? for the full list (j/k move, h/l fold, / filter, p pause, q quit).
Exit codes: 0 normal end (also after Ctrl-C, SIGTERM or a closed terminal), 2 credentials or
namespace refused, or a bad command line, 1 any other failure (the message says which).
`;

const OPTIONS = {
  host: { type: 'string' },
  'rest-host': { type: 'string' },
  namespace: { type: 'string' },
  user: { type: 'string' },
  apikey: { type: 'string' },
  type: { type: 'string', multiple: true },
  object: { type: 'string', multiple: true },
  parent: { type: 'string', multiple: true },
  demo: { type: 'boolean' },
  seed: { type: 'string' },
  rate: { type: 'string' },
  record: { type: 'string' },
  overwrite: { type: 'boolean' },
  replay: { type: 'string' },
  speed: { type: 'string' },
  format: { type: 'string' },
  count: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Flags whose value is a number: `--rate -1` is a value to check, not a flag. */
const NUMERIC_FLAGS: ReadonlySet<string> = new Set(['seed', 'rate', 'speed', 'count']);

/** `--count`: events to print before stopping. */
const COUNT_RULE: NumberRule = { min: 0, exclusiveMin: true, max: Number.POSITIVE_INFINITY, whole: true, unit: 'events' };
/** `--speed`: the replay's speed factor. */
const SPEED_RULE: NumberRule = { min: 0, max: 1000, whole: false };

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];
type Tokens = NonNullable<ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true; tokens: true }>>['tokens']>;

/** How a repeated flag's values appear in its message: an API key never, a host masked (it may hold a password). */
const SHOWN_AS = { apikey: 'secret', host: 'masked', 'rest-host': 'masked' } as const;

const usage = (message: string): CliCommand => ({ kind: 'usage-error', message });

/** What each filter flag's comma list holds, for a message about an empty item. */
const LIST_ITEMS = {
  type: `${OBJECT_TYPES.slice(0, -1).join(', ')} or ${OBJECT_TYPES.at(-1)}`,
  object: 'resource URIs',
  parent: 'resource URIs of stacks, services, nodes or node clusters',
} as const;

/**
 * The values of a repeatable flag, comma lists split. An empty item (`stack,`, `a,,b`) is a
 * mistake, named as typed: `--type has an empty item in "stack,": it takes a comma list of …`.
 */
function list(flag: keyof typeof LIST_ITEMS, values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return values.flatMap((value) => {
    const items = value.split(',').map((item) => item.trim());
    if (items.includes('')) throw new UsageError(`--${flag} has an empty item in ${quoteArg(value)}: it takes a comma list of ${LIST_ITEMS[flag]}`);
    return items;
  });
}

/**
 * Parses `events` arguments and environment into what to run, validating everything up front
 * so that a mistake is a precise message (and exit 2) before anything connects. Pure: the
 * environment is passed in.
 *
 * @example
 * parseCliOptions(['tail', '--type', 'container,service', '--format', 'plain'], process.env)
 * // { kind: 'run', options: { command: 'tail', source: { kind: 'remote', ... }, filter: {...}, format: 'plain' } }
 */
export function parseCliOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliCommand {
  let parsed: { values: Values; positionals: string[]; tokens: Tokens };
  const args = joinNegativeNumbers(argv, NUMERIC_FLAGS);
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    return usage(describeParseError(error, Object.keys(OPTIONS), args));
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const repeated = repeatedFlag(tokens, OPTIONS, SHOWN_AS);
  if (repeated !== undefined) return usage(repeated);
  if (positionals.length === 0) return usage('missing command: expected "watch" or "tail"');
  const [command, ...extra] = positionals;
  if (command !== 'watch' && command !== 'tail') {
    const near = didYouMean(command as string, ['watch', 'tail']);
    return usage(`unknown command ${quoteArg(command as string)}: expected "watch" or "tail"${near === undefined ? '' : ` (did you mean ${quoteArg(near)}?)`}`);
  }
  if (extra.length > 0) return usage(unexpectedArgument(extra[0] as string));

  try {
    // An empty value is a missing one, for every flag (as events-server has it).
    for (const [name, value] of Object.entries(values)) {
      for (const one of typeof value === 'string' ? [value] : Array.isArray(value) ? value : []) {
        if (one.trim() === '') throw new UsageError(needsValue(name));
      }
    }
    const format = values.format === undefined ? 'json' : oneOfFlag('format', values.format, ['json', 'plain'] as const);
    const count = values.count === undefined ? undefined : numberFlag('count', values.count, COUNT_RULE);

    let filter: EventFilter | null = null;
    const type = list('type', values.type);
    for (const item of type ?? []) oneOfFlag('type', item, OBJECT_TYPES);
    const object = list('object', values.object);
    const parent = list('parent', values.parent);
    // Filters compare URIs exactly: a value that is no resource URI would wait forever for a match.
    for (const [flag, uris] of [['object', object], ['parent', parent]] as const) {
      for (const uri of uris ?? []) {
        const expected = flag === 'parent' ? "the resource URI of a stack, service, node or node cluster" : 'a resource URI';
        const parsed = parseResourceUri(uri);
        if (!parsed.ok) throw new UsageError(mustBe(`--${flag}`, expected, uri, `: ${withoutPrefix(parsed.error.message, 'resource URI', uri)}`));
        if (!parsed.value.trailingSlash) throw new UsageError(mustBe(`--${flag}`, expected, uri, ': it needs its trailing slash, as events spell resource URIs'));
        if (flag === 'parent' && !PARENT_TYPES.has(parsed.value.type)) {
          const type = withArticle(parsed.value.type);
          throw new UsageError(mustBe('--parent', expected, uri, `: it is ${type}'s, and ${type} is no one's parent`));
        }
      }
    }
    if (type !== undefined) checkAgainstTypes(type, object, parent);
    if (type !== undefined || object !== undefined || parent !== undefined) {
      try {
        filter = createFilter({
          ...(type !== undefined ? { type } : {}),
          ...(object !== undefined ? { object } : {}),
          ...(parent !== undefined ? { parent } : {}),
        });
      } catch (error) {
        throw new UsageError(toEventsError(error).message.replace(/^filter "(\w+)"/, '--$1'));
      }
    }

    const remoteFlags = (['host', 'rest-host', 'namespace', 'user', 'apikey'] as const).filter((name) => values[name] !== undefined);
    const sources = [values.demo ? '--demo' : null, values.replay !== undefined ? '--replay' : null].filter((s) => s !== null);
    if (sources.length > 1) throw new UsageError(cannotCombine('replay', '--demo', 'choose one source'));
    if (sources.length === 1 && remoteFlags.length > 0) throw new UsageError(cannotCombine(remoteFlags[0] as string, sources[0] as string));
    if (!values.demo && (values.seed !== undefined || values.rate !== undefined)) {
      throw new UsageError(needsFlag(values.seed !== undefined ? 'seed' : 'rate', '--demo'));
    }
    if (values.replay === undefined && values.speed !== undefined) throw new UsageError(needsFlag('speed', '--replay'));
    if (values.replay !== undefined && values.record !== undefined) throw new UsageError(cannotCombine('record', '--replay'));
    if (values.overwrite && values.record === undefined) throw new UsageError(needsFlag('overwrite', '--record FILE'));

    let source: SourceOptions;
    if (values.demo) {
      // The simulated cloud's own rules (createSimulatedCloud checks them too): the demo is
      // events-server's simulator in this process, so --seed and --rate take what it takes.
      const seed = values.seed === undefined ? undefined : numberFlag('seed', values.seed, OPTION_RULES.seed);
      const rate = values.rate === undefined ? DEFAULT_DEMO_RATE : rateFlag(values.rate);
      source = { kind: 'demo', ...(seed !== undefined ? { seed } : {}), rate };
    } else if (values.replay !== undefined) {
      const speed = values.speed === undefined ? 1 : numberFlag('speed', values.speed, SPEED_RULE, ' (0 = as fast as possible)');
      source = { kind: 'replay', file: values.replay, speed };
    } else {
      source = remoteSource(values, env);
    }
    return {
      kind: 'run',
      options: {
        command,
        source,
        filter,
        format,
        ...(values.record !== undefined ? { record: values.record, ...(values.overwrite ? { overwrite: true } : {}) } : {}),
        ...(count !== undefined ? { count } : {}),
      },
    };
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    throw error;
  }
}

/** `a stack`, `an action`. */
function withArticle(word: string): string {
  return `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
}

/** `a, b or c`. */
function either(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** The types whose events can list an object of each parent type among their parents (protocol.md §7). */
const CHILD_TYPES: Readonly<Record<string, readonly ObjectType[]>> = {
  stack: ['service', 'container', 'action'],
  service: ['container', 'action'],
  node: ['container', 'action'],
  nodecluster: ['node', 'container', 'action'],
};
/** The types that have children, so that a --parent value can match. */
const PARENT_TYPES: ReadonlySet<string> = new Set(Object.keys(CHILD_TYPES));

/**
 * Refuses an --object or --parent that no event of the --type given with it could match (flags
 * combine, so the filter would wait for ever, silently): an event's type is its resource URI's,
 * and its parents are those protocol.md §7 lists for its type.
 */
function checkAgainstTypes(typeItems: readonly string[], objects: readonly string[] | undefined, parents: readonly string[] | undefined): void {
  const types = [...new Set(typeItems)];
  const asked = `(--type ${types.join(',')})`;
  for (const uri of objects ?? []) {
    const own = typeOfUri(uri) as ObjectType; // checked above: a resource URI
    if (types.includes(own)) continue;
    throw new UsageError(mustBe('--object', `the resource URI of ${withArticle(either(types))} ${asked}`, uri, `: it is ${withArticle(own)}'s, so no event could match both`));
  }
  for (const uri of parents ?? []) {
    const parentType = typeOfUri(uri) as ObjectType;
    if (types.some((type) => CHILD_TYPES[parentType]?.includes(type as ObjectType))) continue;
    const expected = `the resource URI of a parent of ${withArticle(either(types))} ${asked}`;
    const orphans = types.every((type) => !Object.values(CHILD_TYPES).some((children) => children.includes(type as ObjectType)));
    const why = orphans
      ? `${withArticle(either(types))} has no parents`
      : `it is ${withArticle(parentType)}'s, and ${withArticle(parentType)} is no ${types.map((type) => `${type}'s`).join(' or ')} parent`;
    throw new UsageError(mustBe('--parent', expected, uri, `: ${why}, so no event could match both`));
  }
}

/** What --host and --rest-host take, to follow "must be". */
const HOST_RULES = {
  host: { expected: 'a stream host (ws://, wss://, http:// or https://)', what: 'stream host' },
  'rest-host': { expected: 'a REST host (http:// or https://)', what: 'REST host' },
} as const;

/**
 * A host core refused, in the shared words: `--host must be a stream host (…), got "x": why`, with
 * core's reason (its message without its own `invalid stream host "x": `) and credentials masked.
 * `name` is what the user set, when not the flag: `DOCKERCLOUD_STREAM_HOST must be …`.
 */
function badHost(flag: keyof typeof HOST_RULES, text: string, error: unknown, name = `--${flag}`): UsageError {
  const { expected, what } = HOST_RULES[flag];
  return new UsageError(badAddress(name, expected, text, withoutPrefix(toEventsError(error).message, what, redactHost(text))));
}

/** A variable as core's configFromEnv reads it: unset when empty, as in the SDKs. */
function variable(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The DOCKERCLOUD_* variables that will be read (those no flag covers), checked as their flags
 * are and worded the same way (`DOCKERCLOUD_REST_HOST must be a REST host (…), got "x": why`).
 * core's configFromEnv checks them too (it runs after this, and catches the rest), but words
 * them for its JavaScript callers: `got the string "x"`, cut to 60 characters (a long host loses
 * the port its reason names), and the namespace's rule where the flag's message puts its reason.
 */
function checkVariables(values: Values, env: Readonly<Record<string, string | undefined>>): void {
  if (values.host === undefined) {
    // go-dockercloud also reads DOCKERCLOUD_STREAM_URL, when DOCKERCLOUD_STREAM_HOST is not set.
    const name = variable(env, 'DOCKERCLOUD_STREAM_HOST') !== undefined ? 'DOCKERCLOUD_STREAM_HOST' : 'DOCKERCLOUD_STREAM_URL';
    const host = variable(env, name);
    if (host !== undefined) {
      try {
        streamUrl({ streamHost: host });
      } catch (error) {
        throw badHost('host', host, error, name);
      }
    }
    // With --host, REST is beside it unless --rest-host says otherwise: the variable is not read.
    const restHost = values['rest-host'] === undefined ? variable(env, 'DOCKERCLOUD_REST_HOST') : undefined;
    if (restHost !== undefined) {
      try {
        restListUrl(restHost, 'stack');
      } catch (error) {
        throw badHost('rest-host', restHost, error, 'DOCKERCLOUD_REST_HOST');
      }
    }
  }
  const namespace = values.namespace === undefined ? variable(env, 'DOCKERCLOUD_NAMESPACE') : undefined;
  if (namespace !== undefined) {
    try {
      streamUrl({ streamHost: 'ws://localhost', namespace });
    } catch (error) {
      throw new UsageError(mustBe('DOCKERCLOUD_NAMESPACE', 'a namespace', namespace, `: ${withoutPrefix(toEventsError(error).message, 'namespace', namespace)}`));
    }
  }
  // DOCKERCLOUD_AUTH wins over the user and key, as in the SDKs; the flags win over all three.
  const user = values.user === undefined && variable(env, 'DOCKERCLOUD_AUTH') === undefined ? variable(env, 'DOCKERCLOUD_USER') : undefined;
  if (user?.includes(':')) throw new UsageError(mustBe('DOCKERCLOUD_USER', 'a name without ":"', user));
}

/** Core's reason alone: its message without `invalid WHAT "TEXT": `, which the flag's message says its own way. */
function withoutPrefix(message: string, what: string, text: string): string {
  const prefix = `invalid ${what} ${JSON.stringify(text)}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

function remoteSource(values: Values, env: Readonly<Record<string, string | undefined>>): SourceOptions {
  // Flags are checked on their own first, so that their errors name the flag, not a variable.
  const host = values.host;
  if (host !== undefined) {
    try {
      streamUrl({ streamHost: host });
    } catch (error) {
      throw badHost('host', host, error);
    }
  }
  const restHost = values['rest-host'] ?? (host !== undefined ? restHostFor(host) : undefined);
  if (restHost !== undefined) {
    try {
      restListUrl(restHost, 'stack');
    } catch (error) {
      throw values['rest-host'] !== undefined ? badHost('rest-host', restHost, error) : badHost('host', host as string, error);
    }
  }
  if (values.namespace !== undefined) {
    try {
      streamUrl({ streamHost: 'ws://localhost', namespace: values.namespace });
    } catch (error) {
      throw new UsageError(mustBe('--namespace', 'a namespace', values.namespace, `: ${withoutPrefix(toEventsError(error).message, 'namespace', values.namespace)}`));
    }
  }
  if ((values.user === undefined) !== (values.apikey === undefined)) {
    throw new UsageError(values.user === undefined ? needsFlag('apikey', '--user') : needsFlag('user', '--apikey'));
  }
  // Basic auth joins the two with ":", so a name with one would split in the wrong place.
  if (values.user?.includes(':')) throw new UsageError(badValue('user', 'a name without ":"', values.user));
  // Here, not in configFromEnv after the flags are copied into the environment: it would name the variables.
  const badCredentials = values.user !== undefined && values.apikey !== undefined ? credentialsProblem(values.user, values.apikey, { username: '--user', apikey: '--apikey' }) : null;
  if (badCredentials !== null) throw new UsageError(badCredentials);
  checkVariables(values, env);

  const merged: Record<string, string | undefined> = { ...env };
  if (values.user !== undefined && values.apikey !== undefined) {
    merged.DOCKERCLOUD_USER = values.user;
    merged.DOCKERCLOUD_APIKEY = values.apikey;
    merged.DOCKERCLOUD_AUTH = undefined; // the flags win over a header in the environment
  }
  if (host !== undefined) {
    merged.DOCKERCLOUD_STREAM_HOST = host;
    merged.DOCKERCLOUD_STREAM_URL = undefined;
  }
  if (restHost !== undefined) merged.DOCKERCLOUD_REST_HOST = restHost;
  if (values.namespace !== undefined) merged.DOCKERCLOUD_NAMESPACE = values.namespace;
  const config = configFromEnv(merged);
  if (!config.ok) throw new UsageError(config.error.message);
  const { credentials, authorization, namespace, streamHost } = config.value;
  if (authorization === undefined) {
    throw new UsageError(
      'no credentials: pass --user and --apikey, or set DOCKERCLOUD_USER and DOCKERCLOUD_APIKEY (or DOCKERCLOUD_AUTH); or try --demo',
    );
  }
  if (streamHost === undefined) {
    throw new UsageError('no host: pass --host, or set DOCKERCLOUD_STREAM_HOST (and DOCKERCLOUD_REST_HOST if REST is elsewhere); or try --demo');
  }
  return {
    kind: 'remote',
    streamHost,
    // Beside the stream host unless named: never Docker Cloud's old host, with the user's key.
    restHost: config.value.restHost ?? restHostFor(streamHost),
    authorization,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
  };
}
