import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const pkg = (await import('../package.json', { with: { type: 'json' } })).default as { version: string };

interface Bin {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with stdout once it matches `pattern`; rejects if the process exits first. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const running = new Set<ChildProcess>();

/** The command line that runs the bin from its TypeScript source, as a user would run it (no build needed). */
const BIN = [process.execPath, '--conditions=@events/source', '--import', 'tsx', 'src/bin.ts'] as const;

/** The environment the bin runs in: this one, without the test runner's NODE_OPTIONS. */
function binEnv(extraEnv: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extraEnv };
  delete env.NODE_OPTIONS;
  return env;
}

/** The bin, started. `input`, when given, is written to its stdin, which then ends (else stdin is /dev/null). */
function startBin(args: readonly string[], extraEnv: Readonly<Record<string, string>> = {}, input?: string): Bin {
  const child = spawn(BIN[0], [...BIN.slice(1), ...args], { cwd: PACKAGE_DIR, env: binEnv(extraEnv), stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (input !== undefined) child.stdin?.end(input);
  running.add(child);
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const waiter of waiters) waiter();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, at: Date.now() });
      for (const waiter of waiters) waiter();
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no ${pattern} on stdout after ${timeoutMs} ms; stdout: ${out}; stderr: ${err}`)), timeoutMs);
        const finish = (error?: Error, match?: RegExpMatchArray) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolve(match as RegExpMatchArray);
        };
        const check = () => {
          const match = out.match(pattern);
          if (match) finish(undefined, match);
          else if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`exited (${child.exitCode}) before ${pattern}; stderr: ${err}`));
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs the bin to its end. */
async function runBin(args: readonly string[], env: Readonly<Record<string, string>> = {}, input?: string) {
  const bin = startBin(args, env, input);
  const { code } = await bin.exited;
  return { code, stdout: bin.stdout(), stderr: bin.stderr() };
}

const hashOf = (apikey: string) => createHash('sha256').update(apikey, 'utf8').digest('hex');
const basicAuth = (username: string, apikey: string) => `Basic ${Buffer.from(`${username}:${apikey}`).toString('base64')}`;
const logLines = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
});

describe('events-server (bin)', () => {
  it('prints how to connect, serves with those credentials, logs JSON lines without the key, and exits 0 on SIGTERM', async () => {
    const bin = startBin(['--port', '0', '--seed', '5', '--rate', '0']);
    const [, url] = await bin.waitForStdout(/export DOCKERCLOUD_REST_HOST=(http:\/\/127\.0\.0\.1:\d+\/)\n/);
    await bin.waitForStdout(/Event stream: /);
    const out = bin.stdout();
    expect(out).toMatch(/^events-server listening on http:\/\/127\.0\.0\.1:\d+\/ \(source: simulator, seed 5, rate 0\/s\)\n/);
    const username = /export DOCKERCLOUD_USER=(\S+)\n/.exec(out)?.[1];
    const apikey = /export DOCKERCLOUD_APIKEY=(\S+)\n/.exec(out)?.[1] as string;
    expect(username).toBe('admin');
    expect(out).toContain(`API key:  ${apikey}\n`);
    expect(out).toContain(`export DOCKERCLOUD_STREAM_HOST=${(url as string).replace('http', 'ws')}\n`);

    const auth = `Basic ${Buffer.from(`${username}:${apikey}`).toString('base64')}`;
    const res = await fetch(`${url}api/app/v1/stack/`, { headers: { Authorization: auth } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { meta: { total_count: number } }).meta.total_count).toBeGreaterThan(0);
    expect((await fetch(`${url}api/app/v1/stack/`, { headers: { Authorization: 'Basic YWRtaW46bm9wZQ==' } })).status).toBe(401);

    // A stream client is closed with 1001 (going away) on shutdown.
    const ws = new WebSocket(`${(url as string).replace('http', 'ws')}api/audit/v1/events/`, { headers: { Authorization: auth } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    const signalled = Date.now();
    bin.child.kill('SIGTERM');
    const { code, at } = await bin.exited;
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(3000);
    expect(await closed).toBe(1001);

    const lines = bin.stderr().trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain('shutting down');
    // The source has one name, on stdout and in the logs (and in /healthz and /metrics): the one --source takes.
    const listening = lines.map((line) => JSON.parse(line) as { msg: string; source?: string }).find((line) => line.msg === 'events server listening');
    expect(listening?.source).toBe('simulator');
    expect(bin.stderr()).not.toContain(apikey);
  });

  it('exits 0 on SIGINT too', async () => {
    const bin = startBin(['--port', '0', '--rate', '0']);
    await bin.waitForStdout(/Event stream: /);
    bin.child.kill('SIGINT');
    expect((await bin.exited).code).toBe(0);
  });

  it('prints the seed it picked, so a run can be repeated', async () => {
    const bin = startBin(['--port', '0', '--rate', '0']);
    const [, seed] = await bin.waitForStdout(/seed (\d+),/);
    expect(Number(seed)).toBeGreaterThan(0);
    bin.child.kill('SIGTERM');
    expect((await bin.exited).code).toBe(0);
  });

  it('--help and --version answer on stdout and exit 0', async () => {
    const help = await runBin(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: events-server \[options\]/);
    expect(help.stdout).toContain('--retention-age DUR');
    // Each namespace is simulated at the rate: three users' namespaces make three times the events.
    expect(help.stdout).toContain('Simulated events per second in each namespace');
    const version = await runBin(['--version']);
    expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it.each([
    [['--port', 'abc'], 'events-server: --port must be a whole number from 0 to 65535, got "abc"'],
    [['--verbose'], 'events-server: unknown option --verbose'],
    [['--users'], 'events-server: --users needs a value'],
    // A negative number is the flag's value, refused by the flag's own range.
    [['--rate', '-3'], 'events-server: --rate must be a number of events per second from 0 to 100000 or "max", got "-3"'],
    [['--port', '-1'], 'events-server: --port must be a whole number from 0 to 65535, got "-1"'],
    [['--source', 'docker', '--docker-host', 'tcp://127.0.0.1:99999'], 'events-server: --docker-host must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "tcp://127.0.0.1:99999": port 99999 is not from 1 to 65535'],
    [['--source', 'docker', '--docker-host', 'ssh://me:s3cret@box'], 'events-server: --docker-host must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "ssh://***@box": an ssh:// address cannot carry a password: log in with a key (ssh-agent, or IdentityFile in ~/.ssh/config)'],
    [['-h=yes'], 'events-server: -h takes no value'],
    [['--source', 'docker', '--seed', '5'], 'events-server: --seed cannot be used with --source docker: it is for the simulated cloud'],
    // Not the last one silently taken (it listened on 2).
    [['--port', '1', '--port', '2'], 'events-server: --port takes one value, got "1" and "2"'],
  ])('%j is a usage error: exit 2 with a precise message and nothing on stdout', async (args, message) => {
    const result = await runBin(args);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `${message}\nRun "events-server --help" for the options.\n` });
  });

  it('a bad EVENTS_SERVER_TRUSTED_PROXIES is a usage error naming the variable: exit 2', async () => {
    const result = await runBin(['--port', '0'], { EVENTS_SERVER_TRUSTED_PROXIES: '10.0.0.2, 10.0.0.256' });
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'events-server: EVENTS_SERVER_TRUSTED_PROXIES must be an IPv4 or IPv6 address, a CIDR range such as 10.0.0.0/8 or fd00::/8, or a named range (loopback, linklocal or uniquelocal), got "10.0.0.256": 256 is more than 255\nRun "events-server --help" for the options.\n',
    });
  });

  it.each([
    [['--trusted-proxies', '127.0.0.2'], {}],
    [[], { EVENTS_SERVER_TRUSTED_PROXIES: '127.0.0.2' }],
  ])('%j %j: the server trusts the proxy (X-Forwarded-For names the client in the logs)', async (args, env) => {
    const bin = startBin(['--port', '0', '--rate', '0', '--log-level', 'debug', ...args], env);
    const [, url] = await bin.waitForStdout(/export DOCKERCLOUD_REST_HOST=(http:\/\/127\.0\.0\.1:\d+\/)\n/);
    const { port } = new URL(url as string);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/app/v1/stack/', localAddress: '127.0.0.2', headers: { 'X-Forwarded-For': '203.0.113.7' }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
    bin.child.kill('SIGTERM');
    await bin.exited;
    const lines = bin.stderr().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((line) => line.msg === 'events server listening')).toMatchObject({ trustedProxies: ['127.0.0.2'] });
    expect(lines.find((line) => line.msg === 'login refused')).toMatchObject({ remote: '203.0.113.7', reason: 'missing' });
  });

  it('--source docker with an engine that cannot be reached: a clear message and exit 1', async () => {
    const result = await runBin(['--source', 'docker', '--docker-host', 'unix:///nonexistent/docker.sock', '--port', '0']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^events-server: cannot start: cannot reach the Docker engine at unix:\/\/\/nonexistent\/docker.sock/m);
  });

  describe('--source docker, connecting', () => {
    let hole: Server;
    let holePort: number;
    const held = new Set<Socket>();
    beforeAll(async () => {
      // Accepts connections and never answers: an engine that hangs.
      hole = createServer((socket) => {
        held.add(socket);
        socket.on('error', () => {});
      });
      await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
      holePort = (hole.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => hole.close(resolve));
    });

    it('an engine that never answers: "timed out" and exit 1 within seconds', async () => {
      const began = Date.now();
      const result = await runBin(['--source', 'docker', '--docker-host', `tcp://127.0.0.1:${holePort}`, '--port', '0']);
      expect(result.code).toBe(1);
      expect(Date.now() - began).toBeLessThan(12_000);
      expect(result.stderr).toContain(`events-server: cannot start: cannot reach the Docker engine at tcp://127.0.0.1:${holePort}: ping: timed out after 5 s waiting for the engine\n`);
      expect(result.stderr).not.toContain('lost');
    });

    it('a DOCKER_HOST that is not an address: exit 1 with a message naming DOCKER_HOST', async () => {
      const result = await runBin(['--source', 'docker', '--port', '0'], { DOCKER_HOST: '/tmp/nowhere/docker.sock' });
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'events-server: cannot start: DOCKER_HOST must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "/tmp/nowhere/docker.sock": it has no scheme: write unix:///tmp/nowhere/docker.sock for a socket\n',
      });
    });

    it('never prints the credentials of the engine address, masks them the same way for every scheme, and prints no Node warning', async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const { port } = blocker.address() as { port: number };
      await new Promise((resolve) => blocker.close(resolve));
      const shown: string[] = [];
      // ssh takes no password (refused, see above): its user, which may be a token, is masked all the same.
      for (const [scheme, userinfo] of [['tcp', 'user:s3cret'], ['ssh', 's3cret']]) {
        const result = await runBin(['--source', 'docker', '--docker-host', `${scheme}://${userinfo}@127.0.0.1:${port}`, '--port', '0', '--log-level', 'debug']);
        expect(result.code).toBe(1);
        expect(result.stdout + result.stderr).not.toContain('s3cret');
        expect(result.stderr).not.toMatch(/Warning|DEP0/);
        const where = /cannot reach the Docker engine at (\S+): ping: (connect ECONNREFUSED|ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused)/.exec(result.stderr)?.[1];
        expect(where, result.stderr).toBeDefined();
        shown.push(String(where).replace(`${scheme}://`, '<scheme>://'));
      }
      expect(shown).toEqual([`<scheme>://***@127.0.0.1:${port}`, `<scheme>://***@127.0.0.1:${port}`]);
    });
  });

  describe('users files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'events-bin-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('an unreadable users file: exit 1 naming the file and the reason', async () => {
      const path = join(dir, 'nope.json');
      const result = await runBin(['--users', path]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^events-server: cannot read users file ${path}: ENOENT.*\\n$`));
    });

    it('an invalid users file: exit 1 naming the field', async () => {
      const path = join(dir, 'bad.json');
      await writeFile(path, '{"users":[{"username":"alice","apikey":"short"}]}');
      const result = await runBin(['--users', path]);
      expect(result).toEqual({ code: 1, stdout: '', stderr: `events-server: ${path}: users.0.apikey: must be at least 8 characters\n` });
    });

    it('a users file with a misspelt key: exit 1 naming where it is and what was meant, rather than a user without access', async () => {
      const path = join(dir, 'misspelt.json');
      await writeFile(path, '{"users":[{"username":"alice","apikey":"alice-secret-key","namespace":["acme"]}]}');
      const result = await runBin(['--users', path]);
      expect(result).toEqual({ code: 1, stdout: '', stderr: `events-server: ${path}: users.0: unknown key "namespace" (did you mean "namespaces"?)\n` });
    });

    it('a valid users file: its users connect, and no key is printed', async () => {
      const path = join(dir, 'users.json');
      await writeFile(path, JSON.stringify({ users: [{ username: 'alice', apikey: 'alice-secret-key', namespaces: ['acme'] }] }));
      const bin = startBin(['--port', '0', '--rate', '0', '--users', path]);
      const [, url] = await bin.waitForStdout(/export DOCKERCLOUD_REST_HOST=(\S+)\n/);
      await bin.waitForStdout(/Event stream: /);
      expect(bin.stdout()).toContain(`Users from ${path}: alice\n`);
      expect(bin.stdout()).not.toContain('alice-secret-key');
      const res = await fetch(`${url}api/app/v1/acme/service/`, { headers: { Authorization: `Basic ${Buffer.from('alice:alice-secret-key').toString('base64')}` } });
      expect(res.status).toBe(200);
      bin.child.kill('SIGTERM');
      expect((await bin.exited).code).toBe(0);
      expect(bin.stderr()).not.toContain('alice-secret-key');
    });

    it('a users file with keys in plain text: served, with one warning at start naming the users and how to store hashes, never the keys', async () => {
      const path = join(dir, 'plain.json');
      await writeFile(
        path,
        JSON.stringify({
          users: [
            { username: 'alice', apikey: 'alice-secret-key' },
            { username: 'bob', apikeySha256: hashOf('bob-secret-key') },
            { username: 'carol', apikey: 'carol-secret-key' },
          ],
        }),
      );
      const bin = startBin(['--port', '0', '--rate', '0', '--users', path]);
      const [, url] = await bin.waitForStdout(/export DOCKERCLOUD_REST_HOST=(\S+)\n/);
      expect((await fetch(`${url}api/app/v1/stack/`, { headers: { Authorization: basicAuth('carol', 'carol-secret-key') } })).status).toBe(200);
      bin.child.kill('SIGTERM');
      expect((await bin.exited).code).toBe(0);
      const warnings = logLines(bin.stderr()).filter((line) => line.level === 'warn');
      expect(warnings).toEqual([
        {
          time: expect.any(String),
          level: 'warn',
          msg: 'users file holds API keys in plain text',
          file: path,
          users: ['alice', 'carol'],
          fix: 'store each key as "apikeySha256", its SHA-256, instead of "apikey": `events-server hash-key < KEYFILE` prints it',
        },
      ]);
      expect(bin.stderr() + bin.stdout()).not.toMatch(/alice-secret-key|carol-secret-key/);
    });

    it('a users file of hashes: the right key is let in over HTTP and the stream, a wrong one refused, and no warning', async () => {
      const path = join(dir, 'hashed.json');
      await writeFile(path, JSON.stringify({ users: [{ username: 'alice', apikeySha256: hashOf('alice-secret-key'), namespaces: ['acme'] }] }));
      const bin = startBin(['--port', '0', '--rate', '0', '--users', path]);
      const [, url] = await bin.waitForStdout(/export DOCKERCLOUD_REST_HOST=(\S+)\n/);
      await bin.waitForStdout(/Event stream: /);
      expect(bin.stdout()).toContain(`Users from ${path}: alice\n`);
      const right = await fetch(`${url}api/app/v1/acme/service/`, { headers: { Authorization: basicAuth('alice', 'alice-secret-key') } });
      expect(right.status).toBe(200);
      for (const apikey of ['alice-secret-kez', hashOf('alice-secret-key'), '']) {
        const wrong = await fetch(`${url}api/app/v1/acme/service/`, { headers: { Authorization: basicAuth('alice', apikey) } });
        expect(wrong.status).toBe(401);
      }
      // The Tutum-era query form reaches the same comparison.
      expect((await fetch(`${url}api/app/v1/acme/service/?user=alice&token=alice-secret-key`)).status).toBe(200);
      const ws = new WebSocket(`${(url as string).replace('http', 'ws')}api/audit/v1/acme/events/`, { headers: { Authorization: basicAuth('alice', 'alice-secret-key') } });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.close();
      const refused = new WebSocket(`${(url as string).replace('http', 'ws')}api/audit/v1/acme/events/`, { headers: { Authorization: basicAuth('alice', 'wrong-secret-key') } });
      const status = await new Promise<number | undefined>((resolve) => {
        refused.once('unexpected-response', (_request, response) => resolve(response.statusCode));
        refused.once('open', () => resolve(undefined));
        refused.once('error', () => {});
      });
      expect(status).toBe(401);
      refused.terminate();
      bin.child.kill('SIGTERM');
      expect((await bin.exited).code).toBe(0);
      expect(logLines(bin.stderr()).filter((line) => line.level === 'warn')).toEqual([]);
    });

    it('a users file with both a key and its hash for one user: exit 1 naming the entry', async () => {
      const path = join(dir, 'both.json');
      await writeFile(path, JSON.stringify({ users: [{ username: 'alice', apikeySha256: hashOf('alice-secret-key') }, { username: 'bob', apikey: 'bob-secret-key', apikeySha256: hashOf('bob-secret-key') }] }));
      const result = await runBin(['--users', path]);
      expect(result).toEqual({ code: 1, stdout: '', stderr: `events-server: ${path}: users.1: has both "apikey" and "apikeySha256": keep one (the hash, so that the file holds no key)\n` });
    });
  });

  describe('hash-key', () => {
    it('prints the SHA-256 of the key piped in, one line ending dropped', async () => {
      for (const input of ['alice-secret-key\n', 'alice-secret-key', 'alice-secret-key\r\n']) {
        expect(await runBin(['hash-key'], {}, input)).toEqual({ code: 0, stdout: `${hashOf('alice-secret-key')}\n`, stderr: '' });
      }
    });

    it.each([
      ['short\n', 'the key on standard input must be at least 8 characters'],
      ['alice\tsecret-key\n', 'the key on standard input must be an API key without control characters, got 16 characters (not shown: it is a secret) with a tab at character 6 of 16'],
      ['alice-secret-key\nsecond line\n', 'the key on standard input must be an API key without control characters, got 28 characters (not shown: it is a secret) with a line feed (LF) at character 17 of 28'],
      ['\n', 'the key on standard input must be at least 8 characters, got nothing: pipe it in (events-server hash-key < FILE), or run hash-key in a terminal to type it'],
    ])('refuses %j piped in: exit 1, worded as the users file words it, the key not repeated', async (input, message) => {
      const result = await runBin(['hash-key'], {}, input);
      expect(result).toEqual({ code: 1, stdout: '', stderr: `events-server: ${message}\n` });
    });

    it('with nothing on stdin (no pipe, no terminal): exit 1 saying how to give the key', async () => {
      expect(await runBin(['hash-key'])).toEqual({
        code: 1,
        stdout: '',
        stderr: 'events-server: the key on standard input must be at least 8 characters, got nothing: pipe it in (events-server hash-key < FILE), or run hash-key in a terminal to type it\n',
      });
    });

    it.each([
      // The key on the command line is what hash-key exists to avoid: counted, never repeated.
      [['hash-key', 'alice-secret-key'], 'hash-key takes no argument, got 1 argument (not shown: it may be a key): pipe the key in (events-server hash-key < FILE) or type it at the prompt, as a command line is visible to every user (ps)', 'hash-key'],
      [['hash-key', '--generat'], 'unknown option --generat (did you mean --generate?)', 'hash-key'],
      [['hash-key', '--generate=yes'], '--generate takes no value', 'hash-key'],
      [['hash-key', '--port', '0'], 'unknown option --port', 'hash-key'],
      [['--port', '0', 'hash-key'], 'unexpected argument "hash-key": a command comes first, as in events-server hash-key', undefined],
    ])('%j is a usage error: exit 2, pointing to the right help', async (args, message, command) => {
      const help = command === undefined ? 'events-server --help' : `events-server ${command} --help`;
      expect(await runBin(args, {}, 'alice-secret-key\n')).toEqual({ code: 2, stdout: '', stderr: `events-server: ${message}\nRun "${help}" for the options.\n` });
    });

    it('--help says how to give the key and what to do with the hash; the server\'s --help names the command', async () => {
      const help = await runBin(['hash-key', '--help']);
      expect(help.code).toBe(0);
      expect(help.stderr).toBe('');
      expect(help.stdout).toMatch(/^Usage: events-server hash-key \[--generate\]\n/);
      expect(help.stdout).toContain('"apikeySha256"');
      expect(help.stdout).toContain('events-server hash-key < alice.key');
      expect(help.stdout).toContain('--generate');
      expect(help.stdout).toContain('Exit codes: 0');
      expect((await runBin(['hash-key', '-h'])).stdout).toBe(help.stdout);
      const serverHelp = await runBin(['--help']);
      expect(serverHelp.stdout).toContain('       events-server hash-key [--generate]\n');
      expect(serverHelp.stdout).toContain('"apikeySha256"');
    });

    it('--generate: a new key, shown once, and its hash, which a users file takes and the server then accepts the key for', async () => {
      const generated = await runBin(['hash-key', '--generate']);
      expect(generated.code).toBe(0);
      expect(generated.stderr).toBe('');
      const [, apikey, hash] = /^API key: {6}([A-Za-z0-9_-]{24})\napikeySha256: ([0-9a-f]{64})\n$/.exec(generated.stdout) ?? [];
      expect(hash).toBe(hashOf(apikey as string));
      // Fresh every time.
      expect((await runBin(['hash-key', '--generate'])).stdout).not.toContain(apikey);

      const dir = await mkdtemp(join(tmpdir(), 'events-bin-'));
      try {
        const path = join(dir, 'users.json');
        await writeFile(path, JSON.stringify({ users: [{ username: 'dana', apikeySha256: hash }] }));
        const bin = startBin(['--port', '0', '--rate', '0', '--users', path]);
        const [, url] = await bin.waitForStdout(/export DOCKERCLOUD_REST_HOST=(\S+)\n/);
        expect((await fetch(`${url}api/app/v1/stack/`, { headers: { Authorization: basicAuth('dana', apikey as string) } })).status).toBe(200);
        expect((await fetch(`${url}api/app/v1/stack/`, { headers: { Authorization: basicAuth('dana', `${apikey}x`) } })).status).toBe(401);
        bin.child.kill('SIGTERM');
        expect((await bin.exited).code).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    describe('at a terminal (a real pseudo-terminal, through script(1))', () => {
      /**
       * `events-server hash-key` on a pty, then `rc=$?` and the terminal's echo setting. `answers`
       * are typed one by one, each once the prompt before it shows.
       */
      async function typeAtPrompts(answers: readonly string[]) {
        const shell = `${BIN.map((part) => `'${part}'`).join(' ')} hash-key; echo "rc=$?"; stty -a`;
        const child = spawn('script', ['-qefc', shell, '/dev/null'], { cwd: PACKAGE_DIR, env: binEnv({}), stdio: ['pipe', 'pipe', 'pipe'] });
        running.add(child);
        let screen = '';
        let prompts = 0;
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          screen += chunk;
          // The prompts go to stderr, which the pty shows as the terminal would.
          const shown = screen.match(/API key \(not shown\): |The same key again: /g)?.length ?? 0;
          while (prompts < shown && prompts < answers.length) child.stdin.write(answers[prompts++] as string);
        });
        await new Promise((resolve) => child.on('exit', resolve));
        running.delete(child);
        return screen;
      }

      it('asks twice without showing the key, then prints its hash', async () => {
        const screen = await typeAtPrompts(['alice-secret-key\r', 'alice-secret-key\r']);
        expect(screen).toContain(`API key (not shown): \r\nThe same key again: \r\n${hashOf('alice-secret-key')}\r\nrc=0\r\n`);
        expect(screen).not.toContain('alice-secret-key');
        // The terminal echoes again after.
        expect(screen).toMatch(/ echo /);
        expect(screen).not.toMatch(/ -echo /);
      });

      it('two different keys typed: exit 1, no hash', async () => {
        const screen = await typeAtPrompts(['alice-secret-key\r', 'alice-secret-kez\r']);
        expect(screen).toContain('events-server: the two keys typed differ: nothing printed\r\nrc=1\r\n');
        expect(screen).not.toMatch(/[0-9a-f]{64}/);
      });

      it('Ctrl-C at the prompt: exit 1, and the terminal echoes again', async () => {
        const screen = await typeAtPrompts(['\u0003']);
        expect(screen).toContain('events-server: cancelled: no key read\r\nrc=1\r\n');
        expect(screen).toMatch(/ echo /);
        expect(screen).not.toMatch(/ -echo /);
      });

      it('a short key typed: refused at once, worded as the users file words it', async () => {
        const screen = await typeAtPrompts(['short\r']);
        expect(screen).toContain('events-server: the key typed must be at least 8 characters\r\nrc=1\r\n');
        expect(screen).not.toContain('The same key again');
      });
    });
  });

  describe('a port in use', () => {
    let blocker: Server;
    let port: number;
    beforeAll(async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      port = (blocker.address() as { port: number }).port;
    });
    afterAll(async () => {
      await new Promise((resolve) => blocker.close(resolve));
    });

    it('is reported clearly, with exit 1', async () => {
      const result = await runBin(['--port', String(port), '--rate', '0']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`events-server: cannot start: port ${port} on 127.0.0.1 is already in use (choose another with --port, or --port 0 for any free port)\n`);
    });
  });
});
