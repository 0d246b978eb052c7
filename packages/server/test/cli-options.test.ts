import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CliCommand, connectHost, DEFAULT_PORT, formatConnectionInfo, parseCliOptions, parseDuration, TRUSTED_PROXIES_ENV } from '../src/cli-options.js';
import { createSimulatedCloud } from '../src/simulator/simulated-cloud.js';

const run = (argv: string[]) => {
  const command = parseCliOptions(argv);
  if (command.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(command)}`);
  return command.options;
};
const PROXY_ENTRY = 'an IPv4 or IPv6 address, a CIDR range such as 10.0.0.0/8 or fd00::/8, or a named range (loopback, linklocal or uniquelocal)';
const usage = (argv: string[]) => {
  const command: CliCommand = parseCliOptions(argv);
  if (command.kind !== 'usage-error') throw new Error(`expected a usage error, got ${JSON.stringify(command)}`);
  return command.message;
};

describe('parseCliOptions', () => {
  it('has the documented defaults', () => {
    expect(run([])).toEqual({
      host: '127.0.0.1',
      port: DEFAULT_PORT,
      usersFile: undefined,
      seed: undefined,
      rate: 2,
      stacks: undefined,
      source: 'simulator',
      dockerHost: undefined,
      retentionCount: undefined,
      retentionAgeMs: undefined,
      logLevel: 'info',
      trustedProxies: [],
    });
  });

  it('reads every option, in both --flag value and --flag=value forms', () => {
    expect(
      run([
        '--host=0.0.0.0', '--port', '0', '--users', 'users.json', '--seed=42', '--rate', '0.5', '--stacks', '10',
        '--source', 'simulator', '--retention-count', '500', '--retention-age', '10m', '--log-level', 'debug',
      ]),
    ).toEqual({
      host: '0.0.0.0',
      port: 0,
      usersFile: 'users.json',
      seed: 42,
      rate: 0.5,
      stacks: 10,
      source: 'simulator',
      dockerHost: undefined,
      retentionCount: 500,
      retentionAgeMs: 600_000,
      logLevel: 'debug',
      trustedProxies: [],
    });
    expect(run(['--rate', 'max']).rate).toBe('max');
    expect(run(['--source', 'docker']).source).toBe('docker');
    expect(run(['--source', 'docker', '--docker-host', 'tcp://127.0.0.1:2375']).dockerHost).toBe('tcp://127.0.0.1:2375');
    expect(run(['--source', 'docker', '--docker-host', 'ssh://me@box:2222']).dockerHost).toBe('ssh://me@box:2222');
    // The simulator's flags still go with the simulator; `simulate`, the flag's old word for it, still names it.
    expect(run(['--source', 'simulate', '--seed', '5', '--rate', '3', '--stacks', '2'])).toMatchObject({ source: 'simulator', seed: 5, rate: 3, stacks: 2 });
  });

  it("answers a negative number for any numeric flag with the flag's own range, never with advice about dashes", () => {
    fc.assert(
      fc.property(fc.constantFrom('port', 'rate', 'stacks', 'retention-count'), fc.double({ max: -Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }), fc.boolean(), (flag, n, joined) => {
        const argv = joined ? [`--${flag}=${n}`] : [`--${flag}`, String(n)];
        expect(usage(argv)).toMatch(new RegExp(`^--${flag} must be a (whole )?number .*, got `));
        // As typed, quoted: a flag's value is text.
        expect(usage(argv).endsWith(`, got ${JSON.stringify(String(n))}`)).toBe(true);
      }),
    );
  });

  it('takes a negative number as the value of a flag that takes one', () => {
    // Seeds are hashed: a negative one seeds as well as any (the TUI's --demo --seed takes them too).
    expect(run(['--seed', '-5']).seed).toBe(-5);
    expect(run(['--seed=-5']).seed).toBe(-5);
    expect(run(['--port', '-0']).port).toBe(0);
    expect(Object.is(run(['--port', '-0']).port, -0)).toBe(false);
  });

  it('answers help and version before validating anything else', () => {
    expect(parseCliOptions(['--help'])).toEqual({ kind: 'help' });
    // A stray argument too, as `events` does.
    expect(parseCliOptions(['serve', '--help'])).toEqual({ kind: 'help' });
    expect(parseCliOptions(['-h', '--port', 'nope'])).toEqual({ kind: 'help' });
    expect(parseCliOptions(['--version'])).toEqual({ kind: 'version' });
    expect(parseCliOptions(['-v'])).toEqual({ kind: 'version' });
  });

  it.each([
    [['--nope'], 'unknown option --nope'],
    [['--user', 'x'], 'unknown option --user (did you mean --users?)'],
    [['--prot', '1'], 'unknown option --prot (did you mean --port?)'],
    [['-x'], 'unknown option -x'],
    [['--port'], '--port needs a value'],
    [['--port='], '--port needs a value'],
    [['--users', ' '], '--users needs a value'],
    [['--port', '-x'], '--port needs a value (write --port=-VALUE for a value that starts with "-")'],
    [['serve'], 'unexpected argument "serve": events-server takes only options'],
    [['--port', 'http'], '--port must be a whole number from 0 to 65535, got "http"'],
    // A negative number is the value of a flag that takes a number, refused by the flag's own range.
    [['--port', '-1'], '--port must be a whole number from 0 to 65535, got "-1"'],
    [['--port=-1'], '--port must be a whole number from 0 to 65535, got "-1"'],
    [['--port', '65536'], '--port must be a whole number from 0 to 65535, got "65536"'],
    [['--port', '80.5'], '--port must be a whole number from 0 to 65535, got "80.5"'],
    [['--seed', 'abc'], `--seed must be a whole number from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, got "abc"`],
    [['--seed', '9007199254740993'], `--seed must be a whole number from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, got "9007199254740993"`],
    [['--rate', 'fast'], '--rate must be a number of events per second from 0 to 100000 or "max", got "fast"'],
    [['--rate', '1000001'], '--rate must be a number of events per second from 0 to 100000 or "max", got "1000001"'],
    [['--rate', '-1'], '--rate must be a number of events per second from 0 to 100000 or "max", got "-1"'],
    [['--rate', '-0.5'], '--rate must be a number of events per second from 0 to 100000 or "max", got "-0.5"'],
    [['--rate', '-.5'], '--rate must be a number of events per second from 0 to 100000 or "max", got "-.5"'],
    [['--stacks', '5000'], '--stacks must be a whole number from 0 to 1000, got "5000"'],
    [['--stacks', '-3'], '--stacks must be a whole number from 0 to 1000, got "-3"'],
    [['--retention-count', '-1'], '--retention-count must be a whole number of events from 0 to 10000000, got "-1"'],
    [['--retention-age', '-10m'], '--retention-age must be a duration such as 90s, 10m or 2h, got "-10m"'],
    // A flag that takes no number keeps node's advice, and `--` still ends the options.
    [['--host', '-1'], '--host needs a value (write --host=-VALUE for a value that starts with "-")'],
    [['--', '--port', '-1'], 'unexpected argument "--port": events-server takes only options'],
    [['--source', 'kubernetes'], '--source must be simulator or docker, got "kubernetes"'],
    [['--source', 'simulated'], '--source must be simulator or docker, got "simulated" (did you mean "simulator"?)'],
    [['--docker-host', 'unix:///x.sock'], '--docker-host needs --source docker'],
    // An address: the shared form, with why it was refused, and credentials masked.
    [['--source', 'docker', '--docker-host', 'x'], '--docker-host must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "x": it has no scheme'],
    [['--source', 'docker', '--docker-host', '/var/run/docker.sock'], '--docker-host must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "/var/run/docker.sock": it has no scheme: write unix:///var/run/docker.sock for a socket'],
    [['--source', 'docker', '--docker-host', 'tcp://127.0.0.1:99999'], '--docker-host must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "tcp://127.0.0.1:99999": port 99999 is not from 1 to 65535'],
    [['--source', 'docker', '--docker-host', 'tcp://exa mple:1'], '--docker-host must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "tcp://exa mple:1": "exa mple" is not a host name or an IP address'],
    [['--source', 'docker', '--docker-host', 'tcp://me:s3cret@h:0'], '--docker-host must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "tcp://***@h:0": port 0 is not from 1 to 65535'],
    [['--source', 'docker', '--docker-host', 'tcp://me:s3c/ret@h'], '--docker-host must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "tcp://***@h": a "/" in a user name or password must be written %2F'],
    [['--source', 'docker', '--docker-host', 'me:s3cret@h:2375'], '--docker-host must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "***@h:2375": it has no scheme'],
    [['--source', 'docker', '--docker-host', 'ftp://h'], '--docker-host must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "ftp://h": unknown scheme ftp://'],
    [['--source', 'docker', '--seed', '5'], '--seed cannot be used with --source docker: it is for the simulated cloud'],
    [['--source', 'docker', '--rate', '3'], '--rate cannot be used with --source docker: it is for the simulated cloud'],
    [['--stacks', '2', '--source', 'docker'], '--stacks cannot be used with --source docker: it is for the simulated cloud'],
    [['--retention-count', '1e3'], '--retention-count must be a whole number of events from 0 to 10000000, got "1e3"'],
    [['--retention-age', '10'], '--retention-age must be a duration such as 90s, 10m or 2h, got "10"'],
    [['--retention-age', 'ten minutes'], '--retention-age must be a duration such as 90s, 10m or 2h, got "ten minutes"'],
    [['--log-level', 'verbose'], '--log-level must be debug, info, warn, error or silent, got "verbose"'],
    [['--help=yes'], '--help takes no value'],
    // node reads -h=yes as the flags -h, -=, -y, -e, -s, and would name "-=".
    [['-h=yes'], '-h takes no value'],
    [['--port', '1', '-v='], '-v takes no value'],
    [['-hv=1'], '-v takes no value'],
    [['-=x'], 'unknown option -=x'],
    [['--trusted-proxies'], '--trusted-proxies needs a value'],
    [['--trusted-proxies', '10.0.0.1', '--trusted-proxies', ' '], '--trusted-proxies needs a value'],
    [['--trusted-proxies', '10.0.0.300'], `--trusted-proxies must be ${PROXY_ENTRY}, got "10.0.0.300": 300 is more than 255`],
    [['--trusted-proxies', '10.0.0.1, proxy.internal'], `--trusted-proxies must be ${PROXY_ENTRY}, got "proxy.internal": it is neither an IP address (host names are not looked up) nor a named range`],
    [['--trusted-proxies', '10.0.0.0/33'], `--trusted-proxies must be ${PROXY_ENTRY}, got "10.0.0.0/33": the prefix length of an IPv4 range is a whole number from 0 to 32`],
    [['--trusted-proxies', '10.0.0.1/8'], `--trusted-proxies must be ${PROXY_ENTRY}, got "10.0.0.1/8": it has bits set past its /8 prefix: the range is 10.0.0.0/8`],
    [['--trusted-proxies', 'fd00::zz'], `--trusted-proxies must be ${PROXY_ENTRY}, got "fd00::zz": it is not a valid IPv6 address`],
    [['--trusted-proxies', '10.0.0.1,'], '--trusted-proxies must be IPv4 or IPv6 addresses, CIDR ranges and named ranges separated by commas, such as loopback,10.0.0.2,fd00::/8, got "10.0.0.1,": it has an empty entry'],
  ])('%j → %s', (argv, message) => {
    expect(usage(argv)).toBe(message);
  });

  it('takes named ranges in --trusted-proxies and EVENTS_SERVER_TRUSTED_PROXIES, mixed with addresses', () => {
    expect(run(['--trusted-proxies', 'loopback,10.1.2.3', '--trusted-proxies', 'uniquelocal']).trustedProxies).toEqual(['loopback', '10.1.2.3', 'uniquelocal']);
    expect(parseCliOptions([], { [TRUSTED_PROXIES_ENV]: 'linklocal, fd00::/8' })).toMatchObject({ kind: 'run', options: { trustedProxies: ['linklocal', 'fd00::/8'] } });
    expect(parseCliOptions(['--trusted-proxies', 'loopback,LOCALHOST'])).toEqual({
      kind: 'usage-error',
      message: `--trusted-proxies must be ${PROXY_ENTRY}, got "LOCALHOST": it is no named range: did you mean "loopback"?`,
    });
    expect(parseCliOptions([], { [TRUSTED_PROXIES_ENV]: 'uniquelocal/8' })).toEqual({
      kind: 'usage-error',
      message: `${TRUSTED_PROXIES_ENV} must be ${PROXY_ENTRY}, got "uniquelocal/8": a named range takes no prefix length: write uniquelocal`,
    });
  });

  it('takes --trusted-proxies as comma lists, repeated, else from EVENTS_SERVER_TRUSTED_PROXIES', () => {
    expect(run(['--trusted-proxies', '10.0.0.2, fd00::/8', '--trusted-proxies=172.16.0.0/12']).trustedProxies).toEqual(['10.0.0.2', 'fd00::/8', '172.16.0.0/12']);
    const env = { [TRUSTED_PROXIES_ENV]: ' 10.0.0.2,::1 ' };
    const fromEnv = parseCliOptions([], env);
    expect(fromEnv.kind === 'run' && fromEnv.options.trustedProxies).toEqual(['10.0.0.2', '::1']);
    // The flag wins, and the variable is then not read (not even checked).
    const both = parseCliOptions(['--trusted-proxies', '10.0.0.3'], { [TRUSTED_PROXIES_ENV]: 'garbage' });
    expect(both.kind === 'run' && both.options.trustedProxies).toEqual(['10.0.0.3']);
    // An empty variable is an unset one.
    const empty = parseCliOptions([], { [TRUSTED_PROXIES_ENV]: ' ' });
    expect(empty.kind === 'run' && empty.options.trustedProxies).toEqual([]);
  });

  it.each([
    ['10.0.0.300', `${TRUSTED_PROXIES_ENV} must be ${PROXY_ENTRY}, got "10.0.0.300": 300 is more than 255`],
    ['10.0.0.2,,::1', `${TRUSTED_PROXIES_ENV} must be IPv4 or IPv6 addresses, CIDR ranges and named ranges separated by commas, such as loopback,10.0.0.2,fd00::/8, got "10.0.0.2,,::1": it has an empty entry`],
    ['[::1]', `${TRUSTED_PROXIES_ENV} must be ${PROXY_ENTRY}, got "[::1]": write an IPv6 address without brackets`],
  ])('%j in EVENTS_SERVER_TRUSTED_PROXIES is a usage error naming the variable', (value, message) => {
    expect(parseCliOptions([], { [TRUSTED_PROXIES_ENV]: value })).toEqual({ kind: 'usage-error', message });
  });

  it('refuses a flag that takes one value given twice, naming the values, rather than take the last (as the TUI does)', () => {
    expect(usage(['--port', '1', '--port', '2'])).toBe('--port takes one value, got "1" and "2"');
    expect(usage(['--log-level=debug', '--port', '0', '--log-level', 'warn', '--log-level', 'debug'])).toBe('--log-level takes one value, got "debug", "warn" and "debug"');
    // The same value twice is still a mistake in the command line; a negative number is a value as ever.
    expect(usage(['--rate', '-1', '--rate=-1'])).toBe('--rate takes one value, got "-1" and "-1"');
    expect(usage(['--users', '', '--users', 'u.json'])).toBe('--users takes one value, got "" and "u.json"');
    // An engine address may carry credentials: masked, as a bad one is.
    expect(usage(['--source', 'docker', '--docker-host', 'ssh://me:s3cret@a', '--docker-host', 'unix:///b.sock'])).toBe('--docker-host takes one value, got "ssh://***@a" and "unix:///b.sock"');
    // Refused before the values are read: the first repeated flag is named, not a bad value.
    expect(usage(['--source', 'docker', '--source', 'nope'])).toBe('--source takes one value, got "docker" and "nope"');
    // --help still answers first; a boolean said twice is harmless; --trusted-proxies adds up.
    expect(parseCliOptions(['--port', '1', '--port', '2', '--help'])).toEqual({ kind: 'help' });
    expect(parseCliOptions(['-v', '--version'])).toEqual({ kind: 'version' });
    expect(run(['--trusted-proxies', 'loopback', '--trusted-proxies', '10.0.0.2']).trustedProxies).toEqual(['loopback', '10.0.0.2']);
    // After `--` nothing is a flag.
    expect(usage(['--port', '1', '--', '--port', '2'])).toBe('unexpected argument "--port": events-server takes only options');
  });

  it('never throws, whatever the arguments', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constantFrom('--port', '--rate', '--seed', '--users', '--help', '--', '-h', '--retention-age', '--trusted-proxies', 'hash-key', '--generate'))),
        (argv) => {
          const command = parseCliOptions(argv);
          expect(['run', 'help', 'version', 'usage-error', 'hash-key', 'hash-key-help']).toContain(command.kind);
        },
      ),
    );
  });
});

describe('parseCliOptions: hash-key', () => {
  it('is a command when it comes first, with --generate and its own help', () => {
    expect(parseCliOptions(['hash-key'])).toEqual({ kind: 'hash-key', generate: false });
    expect(parseCliOptions(['hash-key', '--generate'])).toEqual({ kind: 'hash-key', generate: true });
    expect(parseCliOptions(['hash-key', '--help'])).toEqual({ kind: 'hash-key-help' });
    expect(parseCliOptions(['hash-key', '-h', '--generate'])).toEqual({ kind: 'hash-key-help' });
    // The server's help, which names the command, when asked before it.
    expect(parseCliOptions(['--help', 'hash-key'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['hash-key', 'alice-secret-key'], 'hash-key takes no argument, got 1 argument (not shown: it may be a key): pipe the key in (events-server hash-key < FILE) or type it at the prompt, as a command line is visible to every user (ps)'],
    [['hash-key', '--generate', 'a', 'b'], 'hash-key takes no argument, got 2 arguments (not shown: it may be a key): pipe the key in (events-server hash-key < FILE) or type it at the prompt, as a command line is visible to every user (ps)'],
    [['hash-key', '--', '--generate'], 'hash-key takes no argument, got 1 argument (not shown: it may be a key): pipe the key in (events-server hash-key < FILE) or type it at the prompt, as a command line is visible to every user (ps)'],
    [['hash-key', '--generat'], 'unknown option --generat (did you mean --generate?)'],
    [['hash-key', '--generate=no'], '--generate takes no value'],
    [['hash-key', '--users', 'u.json'], 'unknown option --users'],
  ])('%j is a usage error pointing to hash-key --help: %s', (argv, message) => {
    expect(parseCliOptions(argv)).toEqual({ kind: 'usage-error', message, command: 'hash-key' });
  });

  it('never repeats an argument given to hash-key: it may be the key that must stay off the command line', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8 }).filter((key) => !key.startsWith('-')), (key) => {
        const command = parseCliOptions(['hash-key', key]);
        expect(command.kind).toBe('usage-error');
        if (command.kind === 'usage-error') expect(command.message).not.toContain(key);
      }),
    );
  });

  it('after options, says that the command comes first', () => {
    expect(usage(['--port', '0', 'hash-key'])).toBe('unexpected argument "hash-key": a command comes first, as in events-server hash-key');
  });
});

describe('the rules of the JavaScript API', () => {
  it('takes a number for --seed, --rate and --stacks exactly when createSimulatedCloud takes it', () => {
    const decimal = fc
      .oneof(fc.integer({ min: -2_000, max: 200_000 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, 1000, 1001, 100_000, 100_000.5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER))
      // What a person types: the flag takes no exponent.
      .filter((n) => /^-?\d+(\.\d+)?$/.test(String(n)));
    fc.assert(
      fc.property(fc.constantFrom('seed', 'rate', 'stacks'), decimal, (flag, n) => {
        const fromCli = parseCliOptions([`--${flag}`, String(n)]);
        let fromCode: string | undefined;
        try {
          createSimulatedCloud({ seed: 1, rate: 0, namespaces: ['acme'], manual: true, [flag]: n });
        } catch (error) {
          fromCode = (error as Error).message;
        }
        expect(fromCli.kind === 'run').toBe(fromCode === undefined);
        // And both say the same range.
        if (fromCli.kind === 'usage-error') expect(fromCode?.replace(' or Infinity (flat out)', '')).toContain(fromCli.message.replace(` or "max"`, '').replace(/^--/, '').replace(/, got .*$/, ''));
      }),
    );
  });
});

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['500ms', 500],
    ['90s', 90_000],
    ['10m', 600_000],
    ['1.5h', 5_400_000],
    ['2d', 172_800_000],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'm', '-1s', '1 s', '1.s', '1w', '99999999999999999d'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatConnectionInfo', () => {
  it('prints the URLs, the generated credentials and the environment lines to export', () => {
    const text = formatConnectionInfo({
      host: '127.0.0.1',
      port: 8080,
      source: 'simulator',
      seed: 7,
      rate: 2,
      users: { kind: 'generated', username: 'admin', apikey: 'k3y' },
    });
    expect(text).toBe(
      [
        'events-server listening on http://127.0.0.1:8080/ (source: simulator, seed 7, rate 2/s)',
        '',
        'Username: admin',
        'API key:  k3y',
        '',
        'Point Docker Cloud clients at it:',
        '  export DOCKERCLOUD_REST_HOST=http://127.0.0.1:8080/',
        '  export DOCKERCLOUD_STREAM_HOST=ws://127.0.0.1:8080/',
        '  export DOCKERCLOUD_USER=admin',
        '  export DOCKERCLOUD_APIKEY=k3y',
        '',
        'Event stream: ws://127.0.0.1:8080/api/audit/v1/events/   REST: http://127.0.0.1:8080/api/app/v1/stack/',
        '',
      ].join('\n'),
    );
  });

  it('never prints a key from a users file', () => {
    const text = formatConnectionInfo({
      host: '0.0.0.0',
      port: 9000,
      source: 'simulator',
      seed: 1,
      rate: 'max',
      users: { kind: 'file', file: 'users.json', usernames: ['alice', 'bob'] },
    });
    expect(text).toContain('listening on http://127.0.0.1:9000/ (source: simulator, seed 1, rate max)');
    expect(text).toContain('Users from users.json: alice, bob');
    expect(text).toContain("  export DOCKERCLOUD_APIKEY=YOUR_API_KEY   # alice's key in users.json");
    expect(text).not.toContain('API key:');
  });

  it('reaches wildcard and IPv6 addresses in a form a URL can hold', () => {
    expect(connectHost('0.0.0.0')).toBe('127.0.0.1');
    expect(connectHost('::')).toBe('[::1]');
    expect(connectHost('::1')).toBe('[::1]');
    expect(connectHost('localhost')).toBe('localhost');
  });
});
