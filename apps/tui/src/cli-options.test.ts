import { MAX_RATE, numberFlag, OPTION_RULES, rateFlag } from '@events/server/cli-rules';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CliCommand, DEFAULT_DEMO_RATE, HELP_TEXT, parseCliOptions, type RunOptions } from './cli-options.js';

const ENV = { DOCKERCLOUD_USER: 'ann', DOCKERCLOUD_APIKEY: 'key-1', DOCKERCLOUD_STREAM_HOST: 'ws://127.0.0.1:8080/' };

function run(argv: string[], env: Record<string, string | undefined> = ENV): RunOptions {
  const command = parseCliOptions(argv, env);
  if (command.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(command)}`);
  return command.options;
}

function error(argv: string[], env: Record<string, string | undefined> = ENV): string {
  const command: CliCommand = parseCliOptions(argv, env);
  if (command.kind !== 'usage-error') throw new Error(`expected a usage error, got ${JSON.stringify(command)}`);
  return command.message;
}

describe('parseCliOptions', () => {
  it('reads help and version', () => {
    expect(parseCliOptions(['--help'], {})).toEqual({ kind: 'help' });
    expect(parseCliOptions(['watch', '-h'], {})).toEqual({ kind: 'help' });
    expect(parseCliOptions(['-v'], {})).toEqual({ kind: 'version' });
    expect(HELP_TEXT).toContain('events tail');
  });

  it('takes hosts and credentials from the environment, as the SDKs do', () => {
    const options = run(['watch'], { ...ENV, DOCKERCLOUD_STREAM_HOST: 'ws://127.0.0.1:8080/', DOCKERCLOUD_REST_HOST: 'http://127.0.0.1:8080/', DOCKERCLOUD_NAMESPACE: 'acme' });
    expect(options).toEqual({
      command: 'watch',
      source: {
        kind: 'remote',
        streamHost: 'ws://127.0.0.1:8080/',
        restHost: 'http://127.0.0.1:8080/',
        namespace: 'acme',
        credentials: { username: 'ann', apikey: 'key-1' },
        authorization: 'Basic YW5uOmtleS0x',
      },
      filter: null,
      format: 'json',
    });
  });

  it('lets flags win over the environment, and derives the REST host from --host', () => {
    const options = run(['tail', '--host', 'ws://10.0.0.1:9000', '--user', 'bob', '--apikey', 'k2', '--namespace', 'org'], {
      ...ENV,
      DOCKERCLOUD_AUTH: 'Basic eDp5',
      DOCKERCLOUD_REST_HOST: 'https://cloud.docker.com/',
    });
    expect(options.source).toMatchObject({
      kind: 'remote',
      streamHost: 'ws://10.0.0.1:9000',
      restHost: 'http://10.0.0.1:9000/',
      namespace: 'org',
      credentials: { username: 'bob', apikey: 'k2' },
    });
  });

  it('accepts DOCKERCLOUD_AUTH as the whole header', () => {
    expect(run(['tail'], { DOCKERCLOUD_AUTH: 'Basic YW5uOmtleS0x', DOCKERCLOUD_STREAM_HOST: 'ws://h/' }).source).toMatchObject({ authorization: 'Basic YW5uOmtleS0x', credentials: { username: 'ann' } });
  });

  it('builds the filter from repeated flags and comma lists', () => {
    const { filter } = run(['tail', '--type', 'container,service', '--type', 'stack', '--parent', '/api/app/v1/a/stack/1/']);
    expect(filter?.types).toEqual(new Set(['container', 'service', 'stack']));
    expect(filter?.parents).toEqual(new Set(['/api/app/v1/a/stack/1/']));
    expect(filter?.objects).toBeNull();
  });

  it('refuses --object and --parent values that could never match', () => {
    // In the words of every other bad value: `--flag must be WHAT, got "TEXT": why`.
    expect(error(['tail', '--object', 'notauri'])).toBe('--object must be a resource URI, got "notauri": must start with /api/');
    expect(error(['tail', '--object', '/api/app/v1/a/service/1'])).toBe('--object must be a resource URI, got "/api/app/v1/a/service/1": it needs its trailing slash, as events spell resource URIs');
    expect(error(['tail', '--parent', '/api/app/v1/a/container/1/'])).toBe(
      '--parent must be the resource URI of a stack, service, node or node cluster, got "/api/app/v1/a/container/1/": it is a container\'s, and a container is no one\'s parent',
    );
    expect(error(['tail', '--parent', '/api/audit/v1/action/1/'])).toBe(
      '--parent must be the resource URI of a stack, service, node or node cluster, got "/api/audit/v1/action/1/": it is an action\'s, and an action is no one\'s parent',
    );
    expect(error(['tail', '--parent', 'stack/1'])).toBe('--parent must be the resource URI of a stack, service, node or node cluster, got "stack/1": must start with /api/');
    expect(run(['tail', '--object', '/api/app/v1/a/container/1/']).filter?.objects).toEqual(new Set(['/api/app/v1/a/container/1/']));
  });

  it('refuses an --object or --parent that the --type given with it leaves nothing to match (it waited for ever, silently)', () => {
    // An event's type is its resource URI's: --object of a stack under --type container matches nothing.
    expect(error(['tail', '--type', 'container', '--object', '/api/app/v1/a/stack/1/'])).toBe(
      '--object must be the resource URI of a container (--type container), got "/api/app/v1/a/stack/1/": it is a stack\'s, so no event could match both',
    );
    expect(error(['tail', '--type', 'service,node', '--object', '/api/app/v1/a/service/1/,/api/audit/v1/action/2/'])).toBe(
      '--object must be the resource URI of a service or node (--type service,node), got "/api/audit/v1/action/2/": it is an action\'s, so no event could match both',
    );
    // Parents as protocol.md §7 has them: stacks and node clusters have none, a node only its cluster.
    expect(error(['tail', '--type', 'stack', '--parent', '/api/app/v1/a/stack/1/'])).toBe(
      '--parent must be the resource URI of a parent of a stack (--type stack), got "/api/app/v1/a/stack/1/": a stack has no parents, so no event could match both',
    );
    expect(error(['tail', '--type', 'node', '--parent', '/api/app/v1/a/service/1/'])).toBe(
      '--parent must be the resource URI of a parent of a node (--type node), got "/api/app/v1/a/service/1/": it is a service\'s, and a service is no node\'s parent, so no event could match both',
    );
    // What can match is taken as before.
    expect(run(['tail', '--type', 'container,stack', '--object', '/api/app/v1/a/stack/1/']).filter?.objects).toEqual(new Set(['/api/app/v1/a/stack/1/']));
    for (const [type, parent] of [
      ['container', '/api/infra/v1/a/nodecluster/1/'],
      ['node', '/api/infra/v1/a/nodecluster/1/'],
      ['action', '/api/infra/v1/a/node/1/'],
      ['service', '/api/app/v1/a/stack/1/'],
      ['container', '/api/app/v1/a/service/1/'],
    ] as const) {
      expect(run(['tail', '--type', type, '--parent', parent]).filter?.parents).toEqual(new Set([parent]));
    }
  });

  it('reads the demo, replay, record, format and count options', () => {
    expect(run(['watch', '--demo'], {}).source).toEqual({ kind: 'demo', rate: DEFAULT_DEMO_RATE });
    expect(run(['watch', '--demo', '--seed', '7', '--rate', '0'], {}).source).toEqual({ kind: 'demo', seed: 7, rate: 0 });
    expect(run(['tail', '--replay', 's.ndjson', '--speed', '2.5'], {}).source).toEqual({ kind: 'replay', file: 's.ndjson', speed: 2.5 });
    expect(run(['tail', '--demo', '--record', 'out.ndjson', '--format', 'plain', '--count', '5'], {})).toMatchObject({ record: 'out.ndjson', format: 'plain', count: 5 });
  });

  it('replaces an existing --record file only when told to with --overwrite, which needs --record', () => {
    expect(run(['tail', '--demo', '--record', 'out.ndjson'], {})).not.toHaveProperty('overwrite');
    expect(run(['tail', '--demo', '--record', 'out.ndjson', '--overwrite'], {})).toMatchObject({ record: 'out.ndjson', overwrite: true });
    expect(error(['tail', '--demo', '--overwrite'], {})).toBe('--overwrite needs --record FILE');
    expect(HELP_TEXT).toMatch(/^ {2}--overwrite {9}let --record replace an existing FILE$/m);
    expect(HELP_TEXT).toContain('exists is refused (exit 2) unless --overwrite');
  });

  it('names the problem precisely', () => {
    expect(error([])).toBe('missing command: expected "watch" or "tail"');
    expect(error(['follow'])).toBe('unknown command "follow": expected "watch" or "tail"');
    expect(error(['wacth'])).toBe('unknown command "wacth": expected "watch" or "tail" (did you mean "watch"?)');
    expect(error(['watch', 'extra'])).toBe('unexpected argument "extra"');
    expect(error(['watch', '--hots', 'x'])).toBe('unknown option --hots (did you mean --host?)');
    expect(error(['tail', '--tpye', 'container'])).toBe('unknown option --tpye (did you mean --type?)');
    expect(error(['tail', '--colour'])).toBe('unknown option --colour');
    expect(error(['tail', '-x'])).toBe('unknown option -x');
    expect(error(['tail', '--type', 'volume'])).toBe('--type must be nodecluster, node, stack, service, container or action, got "volume"');
    expect(error(['tail', '--type', 'stack,contianer'])).toBe('--type must be nodecluster, node, stack, service, container or action, got "contianer" (did you mean "container"?)');
    expect(error(['tail', '--type', ''])).toBe('--type needs a value');
    // An empty item of a comma list is named in the list as typed, not as `got ""`.
    expect(error(['tail', '--type', 'stack,'])).toBe('--type has an empty item in "stack,": it takes a comma list of nodecluster, node, stack, service, container or action');
    expect(error(['tail', '--type', 'stack', '--type', ',container'])).toBe('--type has an empty item in ",container": it takes a comma list of nodecluster, node, stack, service, container or action');
    expect(error(['tail', '--object', '/api/app/v1/stack/1/,,/api/app/v1/stack/2/'])).toBe('--object has an empty item in "/api/app/v1/stack/1/,,/api/app/v1/stack/2/": it takes a comma list of resource URIs');
    expect(error(['tail', '--parent', ' , '])).toBe('--parent has an empty item in " , ": it takes a comma list of resource URIs of stacks, services, nodes or node clusters');
    expect(error(['tail', '--format', 'xml'])).toBe('--format must be json or plain, got "xml"');
    expect(error(['tail', '--count', '0'])).toBe('--count must be a whole number of events > 0, got "0"');
    expect(error(['tail', '--count'])).toBe('--count needs a value');
    expect(error(['tail', '--demo=yes'])).toBe('--demo takes no value');
    // node reads -h=yes as the flags -h, -=, -y, -e, -s, and would name "-=".
    expect(error(['tail', '-h=yes'])).toBe('-h takes no value');
    expect(error(['-vh=1', 'tail'])).toBe('-h takes no value');
    expect(error(['tail', '-='])).toBe('unknown option -=');
    expect(error(['tail', '--host', '-x'])).toBe('--host needs a value (write --host=-VALUE for a value that starts with "-")');
    expect(error(['tail', '--record', '', '--demo'], {})).toBe('--record needs a value');
    expect(error(['tail', '--replay', ' '], {})).toBe('--replay needs a value');
    expect(error(['tail', '--user', 'bob', '--apikey', ''])).toBe('--apikey needs a value');
    expect(error(['tail', '--user', 'a:b', '--apikey', 'k'])).toBe('--user must be a name without ":", got "a:b"');
    // A host: the shared form, with core's reason, and never the credentials typed into it.
    expect(error(['tail', '--host', 'x'])).toBe('--host must be a stream host (ws://, wss://, http:// or https://), got "x": expected scheme://host[:port][/path] without user, query or fragment');
    expect(error(['tail', '--host', 'ftp://x'])).toBe('--host must be a stream host (ws://, wss://, http:// or https://), got "ftp://x": scheme must be ws, wss, http, https');
    expect(error(['tail', '--host', 'ws://h:70000'])).toBe('--host must be a stream host (ws://, wss://, http:// or https://), got "ws://h:70000": port 70000 is out of range');
    expect(error(['tail', '--host', 'wss://bob:s3c/ret@h'])).toBe(
      '--host must be a stream host (ws://, wss://, http:// or https://), got "wss://***@h": expected scheme://host[:port][/path] without user, query or fragment',
    );
    expect(error(['tail', '--rest-host', 'ws://x'])).toBe('--rest-host must be a REST host (http:// or https://), got "ws://x": scheme must be http, https');
    expect(error(['tail', '--rest-host', 'https://bob:s3cret@h:99999'])).toBe('--rest-host must be a REST host (http:// or https://), got "https://***@h:99999": expected scheme://host[:port][/path] without user, query or fragment');
    expect(error(['tail', '--namespace', 'a/b'])).toBe('--namespace must be a namespace, got "a/b": expected letters, digits, \'_\', \'.\', \'~\' or \'-\'');
    expect(error(['tail', '--user', 'bob'])).toBe('--user needs --apikey');
    expect(error(['tail', '--demo', '--host', 'ws://x'], {})).toBe('--host cannot be used with --demo');
    expect(error(['tail', '--demo', '--replay', 'f'], {})).toBe('--replay cannot be used with --demo: choose one source');
    expect(error(['tail', '--seed', '1'])).toBe('--seed needs --demo');
    expect(error(['tail', '--speed', '2'])).toBe('--speed needs --replay');
    expect(error(['tail', '--demo', '--rate', 'fast'], {})).toBe('--rate must be a number of events per second from 0 to 100000 or "max", got "fast"');
    // A negative number after its flag is the flag's value, refused by the flag's own check.
    expect(error(['tail', '--demo', '--rate', '-1'], {})).toBe('--rate must be a number of events per second from 0 to 100000 or "max", got "-1"');
    expect(error(['tail', '--replay', 'x.ndjson', '--speed', '-2'], {})).toBe('--speed must be a number from 0 to 1000 (0 = as fast as possible), got "-2"');
    expect(error(['tail', '--demo', '--count', '-5'], {})).toBe('--count must be a whole number of events > 0, got "-5"');
    expect(error(['tail', '--demo', '--count', '1e3'], {})).toBe('--count must be a whole number of events > 0, got "1e3"');
    expect(error(['tail', '--replay', 'f', '--record', 'g'], {})).toBe('--record cannot be used with --replay');
    expect(error(['tail'], { DOCKERCLOUD_REST_HOST: 'nope' })).toMatch(/DOCKERCLOUD_REST_HOST/);
  });

  it('words a bad DOCKERCLOUD_* variable as a bad flag: its name, what it takes, the value as set, and why', () => {
    const env = { DOCKERCLOUD_USER: 'ann', DOCKERCLOUD_APIKEY: 'key-1', DOCKERCLOUD_STREAM_HOST: 'ws://127.0.0.1:8080/' };
    expect(error(['tail'], { ...env, DOCKERCLOUD_STREAM_HOST: 'ftp://x' })).toBe('DOCKERCLOUD_STREAM_HOST must be a stream host (ws://, wss://, http:// or https://), got "ftp://x": scheme must be ws, wss, http, https');
    expect(error(['tail'], { ...env, DOCKERCLOUD_STREAM_HOST: 'ws://bob:s3cret@h' })).toBe(
      'DOCKERCLOUD_STREAM_HOST must be a stream host (ws://, wss://, http:// or https://), got "ws://***@h": expected scheme://host[:port][/path] without user, query or fragment',
    );
    // go-dockercloud's name for it, read when DOCKERCLOUD_STREAM_HOST is not set.
    expect(error(['tail'], { ...env, DOCKERCLOUD_STREAM_HOST: '', DOCKERCLOUD_STREAM_URL: 'x' })).toBe(
      'DOCKERCLOUD_STREAM_URL must be a stream host (ws://, wss://, http:// or https://), got "x": expected scheme://host[:port][/path] without user, query or fragment',
    );
    expect(error(['tail'], { ...env, DOCKERCLOUD_REST_HOST: 'ws://y' })).toBe('DOCKERCLOUD_REST_HOST must be a REST host (http:// or https://), got "ws://y": scheme must be http, https');
    expect(error(['tail'], { ...env, DOCKERCLOUD_NAMESPACE: 'a/b' })).toBe('DOCKERCLOUD_NAMESPACE must be a namespace, got "a/b": expected letters, digits, \'_\', \'.\', \'~\' or \'-\'');
    expect(error(['tail'], { ...env, DOCKERCLOUD_USER: 'a:c' })).toBe('DOCKERCLOUD_USER must be a name without ":", got "a:c"');
    // A flag covers its variable: the variable is not read, so not refused.
    expect(run(['tail', '--host', 'ws://h/'], { ...env, DOCKERCLOUD_STREAM_HOST: 'ftp://x' }).source).toMatchObject({ streamHost: 'ws://h/' });
    expect(run(['tail', '--user', 'bob', '--apikey', 'k'], { ...env, DOCKERCLOUD_USER: 'a:c' }).source).toMatchObject({ credentials: { username: 'bob' } });
    expect(run(['tail', '--namespace', 'acme'], { ...env, DOCKERCLOUD_NAMESPACE: 'a/b' }).source).toMatchObject({ namespace: 'acme' });
    // DOCKERCLOUD_AUTH wins over the user and key, as in the SDKs: they are not read.
    expect(run(['tail'], { ...env, DOCKERCLOUD_USER: 'a:c', DOCKERCLOUD_AUTH: 'Bearer t' }).source).toMatchObject({ authorization: 'Bearer t' });
  });

  it('refuses --user/--apikey with a control character (a key file\'s newline) by the flag, not by the variable it is copied to', () => {
    expect(error(['tail', '--user', 'ann', '--apikey', 'k-secret-1\n'])).toBe(
      '--apikey must be an API key without control characters, got 11 characters (not shown: it is a secret) with a line feed (LF) at the end',
    );
    expect(error(['tail', '--user', 'ann\t', '--apikey', 'k-secret-1'])).toMatch(/^--user must be a username without control characters, got the string "ann\\t" with /);
  });

  it('refuses a flag that takes one value given twice, naming both values, rather than take the last', () => {
    expect(error(['tail', '--host', 'ws://a/', '--host', 'ws://b/'])).toBe('--host takes one value, got "ws://a/" and "ws://b/"');
    expect(error(['watch', '--demo', '--rate', '5', '--rate=9'], {})).toBe('--rate takes one value, got "5" and "9"');
    expect(error(['tail', '--demo', '--format', 'json', '--count', '1', '--format', 'plain', '--format', 'json'], {})).toBe('--format takes one value, got "json", "plain" and "json"');
    // Negative numbers are joined to their flag before parsing: still both values, as typed.
    expect(error(['tail', '--demo', '--seed', '-1', '--seed', '2'], {})).toBe('--seed takes one value, got "-1" and "2"');
    // An empty value is a value given: the repeat is the mistake named.
    expect(error(['tail', '--replay', '', '--replay', 'f'], {})).toBe('--replay takes one value, got "" and "f"');
    // Credentials typed into a host are masked, and an API key is never repeated back.
    expect(error(['tail', '--host', 'ws://bob:s3cret@a/', '--host', 'ws://b/'])).toBe('--host takes one value, got "ws://***@a/" and "ws://b/"');
    const key = error(['tail', '--user', 'u', '--apikey', 'k-secret-1', '--apikey', 'k-secret-2']);
    expect(key).toBe('--apikey takes one value, got 2 (not shown: it is a secret)');
    // The filters repeat, as documented; a boolean given twice says the same thing twice.
    expect(run(['tail', '--type', 'stack', '--type', 'node', '--object', '/api/app/v1/a/node/1/', '--object', '/api/app/v1/a/node/2/']).filter?.types).toEqual(new Set(['stack', 'node']));
    expect(run(['tail', '--demo', '--demo'], {}).source).toMatchObject({ kind: 'demo' });
    expect(HELP_TEXT).toMatch(/^Only --type, --object and --parent repeat; any other flag given twice is refused\.$/m);
  });

  it('takes --demo --rate and --seed by events-server\'s rules: up to its MAX_RATE, or max for flat out', () => {
    expect(run(['tail', '--demo', '--rate', 'max'], {}).source).toEqual({ kind: 'demo', rate: 'max' });
    expect(run(['tail', '--demo', '--rate', String(MAX_RATE)], {}).source).toEqual({ kind: 'demo', rate: MAX_RATE });
    expect(run(['tail', '--demo', '--seed', '-5'], {}).source).toEqual({ kind: 'demo', seed: -5, rate: DEFAULT_DEMO_RATE });
    expect(HELP_TEXT).toMatch(/^ {2}--rate N\|max /m);
  });

  it('says a bad --rate or --seed exactly as events-server does, whatever was typed', () => {
    const serverSays = (check: () => unknown): string | null => {
      try {
        check();
        return null;
      } catch (thrown) {
        return (thrown as Error).message;
      }
    };
    const typed = fc.oneof(fc.string(), fc.double({ noNaN: true }).map(String), fc.integer({ min: -10, max: 2 * MAX_RATE }).map(String), fc.constant('max'));
    fc.assert(
      fc.property(fc.constantFrom('rate', 'seed'), typed, (flag, text) => {
        // An empty value is refused before any rule (`--rate needs a value`), in both tools.
        fc.pre(text.trim() !== '');
        const command = parseCliOptions(['tail', '--demo', `--${flag}=${text}`], {});
        const expected = serverSays(() => (flag === 'rate' ? rateFlag(text) : numberFlag('seed', text, OPTION_RULES.seed)));
        expect(command.kind === 'usage-error' ? command.message : null).toBe(expected);
      }),
    );
  });

  it('quotes every value it refuses as typed, JSON-quoted', () => {
    for (const [argv, text] of [
      [['tail', '--demo', '--rate', '-1'], '-1'],
      [['tail', '--demo', '--seed', '2.5'], '2.5'],
      [['tail', '--demo', '--count', '0'], '0'],
      [['tail', '--replay', 'f', '--speed', '1001'], '1001'],
      [['tail', '--format', 'x y'], 'x y'],
      [['tail', '--type', 'a"b'], 'a"b'],
    ] as const) {
      expect(error([...argv], {})).toContain(`, got ${JSON.stringify(text)}`);
    }
  });

  it('asks for credentials when none are given (or suggests --demo)', () => {
    expect(error(['watch'], {})).toMatch(/^no credentials: .*--demo$/);
  });

  it('asks for a host rather than send the key to Docker Cloud\'s old hosts, and puts REST beside the stream', () => {
    expect(error(['watch'], { DOCKERCLOUD_USER: 'ann', DOCKERCLOUD_APIKEY: 'key-1' })).toMatch(/^no host: pass --host, or set DOCKERCLOUD_STREAM_HOST .*--demo$/);
    expect(HELP_TEXT).not.toMatch(/default wss:\/\/ws\.cloud\.docker\.com/);
    // Only the stream host set: REST is asked of the same server, not of cloud.docker.com.
    expect(run(['tail'], { ...ENV, DOCKERCLOUD_STREAM_HOST: 'wss://events.example.com' }).source).toMatchObject({ restHost: 'https://events.example.com/' });
  });
});
