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
    expect(error(['tail', '--object', 'notauri'])).toBe('--object: invalid resource URI "notauri": must start with /api/');
    expect(error(['tail', '--object', '/api/app/v1/a/service/1'])).toBe('--object: "/api/app/v1/a/service/1" needs its trailing slash, as events spell resource URIs');
    expect(error(['tail', '--parent', '/api/app/v1/a/container/1/'])).toBe(
      '--parent: "/api/app/v1/a/container/1/" is a container, which is no one\'s parent (expected a stack, service, node or node cluster)',
    );
    expect(run(['tail', '--object', '/api/app/v1/a/container/1/']).filter?.objects).toEqual(new Set(['/api/app/v1/a/container/1/']));
  });

  it('reads the demo, replay, record, format and count options', () => {
    expect(run(['watch', '--demo'], {}).source).toEqual({ kind: 'demo', rate: DEFAULT_DEMO_RATE });
    expect(run(['watch', '--demo', '--seed', '7', '--rate', '0'], {}).source).toEqual({ kind: 'demo', seed: 7, rate: 0 });
    expect(run(['tail', '--replay', 's.ndjson', '--speed', '2.5'], {}).source).toEqual({ kind: 'replay', file: 's.ndjson', speed: 2.5 });
    expect(run(['tail', '--demo', '--record', 'out.ndjson', '--format', 'plain', '--count', '5'], {})).toMatchObject({ record: 'out.ndjson', format: 'plain', count: 5 });
  });

  it('names the problem precisely', () => {
    expect(error([])).toBe('missing command: expected "watch" or "tail"');
    expect(error(['follow'])).toBe('unknown command "follow": expected "watch" or "tail"');
    expect(error(['watch', 'extra'])).toBe('unexpected argument "extra"');
    expect(error(['watch', '--hots', 'x'])).toMatch(/Unknown option '--hots' \(did you mean --host\?\)/);
    expect(error(['tail', '--tpye', 'container'])).toMatch(/Unknown option '--tpye' \(did you mean --type\?\)$/);
    expect(error(['tail', '--colour'])).toMatch(/Unknown option '--colour'$/);
    expect(error(['tail', '--type', 'volume'])).toMatch(/unknown event type "volume"/);
    expect(error(['tail', '--type', ''])).toMatch(/--type/);
    expect(error(['tail', '--format', 'xml'])).toBe('--format must be json or plain, got "xml"');
    expect(error(['tail', '--count', '0'])).toBe('--count must be a whole number above 0, got "0"');
    expect(error(['tail', '--host', 'ftp://x'])).toMatch(/^--host: invalid stream host "ftp:\/\/x"/);
    expect(error(['tail', '--rest-host', 'ws://x'])).toMatch(/^--rest-host: invalid REST host/);
    expect(error(['tail', '--namespace', 'a/b'])).toMatch(/^--namespace: invalid namespace/);
    expect(error(['tail', '--user', 'bob'])).toBe('--user needs --apikey');
    expect(error(['tail', '--demo', '--host', 'ws://x'], {})).toBe('--host cannot be used with --demo');
    expect(error(['tail', '--demo', '--replay', 'f'], {})).toBe('--demo and --replay cannot be combined: choose one source');
    expect(error(['tail', '--seed', '1'])).toBe('--seed needs --demo');
    expect(error(['tail', '--speed', '2'])).toBe('--speed needs --replay');
    expect(error(['tail', '--demo', '--rate', 'fast'], {})).toMatch(/^--rate must be/);
    // A negative number after its flag is the flag's value, refused by the flag's own check.
    expect(error(['tail', '--demo', '--rate', '-1'], {})).toMatch(/^--rate must be .* from 0 to 10000, got "-1"/);
    expect(error(['tail', '--replay', 'x.ndjson', '--speed', '-2'], {})).toMatch(/^--speed must be/);
    expect(error(['tail', '--demo', '--count', '-5'], {})).toMatch(/^--count must be/);
    expect(error(['tail', '--replay', 'f', '--record', 'g'], {})).toBe('--record cannot be used with --replay');
    expect(error(['tail'], { DOCKERCLOUD_REST_HOST: 'nope' })).toMatch(/DOCKERCLOUD_REST_HOST/);
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
