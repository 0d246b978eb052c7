import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createEventsServer, createSimulatedCloud, type EventsServer } from '@events/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runSourceCli } from '../../../tests/support/run-source-cli.js';

// The CLI as a user runs it, piped (stdout is not a terminal), from source without a build.
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const SEVEN = ['type', 'action', 'parents', 'resource_uri', 'state', 'uuid', 'datetime'];

type Result = CliResult;

/** Runs the CLI to its end, or until `stopAfterMs`, when it gets SIGTERM (a user's Ctrl-C or kill). */
function events(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 25_000, stopAfterMs?: number): Promise<Result> {
  return runSourceCli(PACKAGE, 'src/cli.ts', args, { env, timeoutMs, ...(stopAfterMs === undefined ? {} : { stopAfterMs }) });
}

/** A spawned CLI's end and output, with a look at its output as it comes. */
function ended(
  child: ChildProcessByStdio<null, Readable, Readable>,
  onStderr?: (stderr: string) => void,
  onStdout?: (stdout: string) => void,
  timeoutMs = 25_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    onStdout?.(stdout);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    onStderr?.(stderr);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not end in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function jsonLines(text: string): Record<string, unknown>[] {
  const lines = text.split('\n');
  expect(lines.pop()).toBe(''); // ends with a newline, nothing after it
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('events tail (line mode)', () => {
  let server: EventsServer;
  const user = { username: 'ann', apikey: 'line-mode-key-1' };
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'events-tui-'));
    server = await createEventsServer({ source: createSimulatedCloud({ seed: 5, rate: 40, namespaces: ['ann'] }), users: [user] });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const hostEnv = () => ({ DOCKERCLOUD_STREAM_HOST: server.url.replace('http', 'ws'), DOCKERCLOUD_REST_HOST: `${server.url}/` });

  it('prints each event of a real server as one JSON line with exactly the seven fields, like docker-cloud event', async () => {
    const result = await events(['tail', '--type', 'container', '--count', '12'], { ...hostEnv(), DOCKERCLOUD_USER: user.username, DOCKERCLOUD_APIKEY: user.apikey });
    expect(result.code).toBe(0);
    const lines = jsonLines(result.stdout);
    expect(lines).toHaveLength(12);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(SEVEN);
      expect(line.type).toBe('container');
      expect(line.resource_uri).toMatch(/^\/api\/app\/v1\/ann\/container\/[0-9a-f-]+\/$/);
    }
  });

  it('exits 2 when the credentials are refused, as the Docker Cloud CLI did', async () => {
    const result = await events(['tail', '--user', user.username, '--apikey', 'wrong-key-123', '--host', server.url.replace('http', 'ws')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/authentication failed|401|credentials/i);
  });

  it('runs the demo, records it, and replays the recording to the same lines', async () => {
    const file = join(dir, 'session.ndjson');
    const live = await events(['tail', '--demo', '--rate', '200', '--seed', '3', '--count', '30', '--record', file]);
    expect(live.code).toBe(0);
    const recorded = jsonLines(live.stdout);
    expect(recorded).toHaveLength(30);
    for (const line of recorded) expect(Object.keys(line)).toEqual(SEVEN);
    expect(readFileSync(file, 'utf8').split('\n')[0]).toMatch(/^\{"recording":"events","version":2,/);

    const replay = await events(['tail', '--replay', file, '--speed', '0']);
    expect(replay.code).toBe(0);
    // The recording may hold a few events more than were printed (the recorder ran on until exit).
    expect(jsonLines(replay.stdout).slice(0, 30)).toEqual(recorded);
  });

  it('leaves no recording of a start that failed: refused credentials (2) or a host that is no events server (1) make no file, and an earlier one given to --overwrite stays as it was', async () => {
    const file = join(dir, 'refused-start.ndjson');
    const host = server.url.replace('http', 'ws');
    const refused = await events(['tail', '--user', user.username, '--apikey', 'wrong-key-123', '--host', host, '--record', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`events: stopped: authentication failed · Invalid username/API key.\nevents: ${file} not written: the connection never got through\n`);
    expect(existsSync(file)).toBe(false);
    // So the retry with the right key records to the name the user chose, without --overwrite.
    const retried = await events(['tail', '--user', user.username, '--apikey', user.apikey, '--host', host, '--count', '2', '--record', file]);
    expect(retried.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^\{"recording":"events","version":2,.*\n\{"t":/);

    // --overwrite replaces the file only once there is something to replace it with.
    const earlier = readFileSync(file, 'utf8');
    const again = await events(['tail', '--user', user.username, '--apikey', 'wrong-key-123', '--host', host, '--record', file, '--overwrite']);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`events: stopped: authentication failed · Invalid username/API key.\nevents: ${file} left as it was: the connection never got through\n`);
    expect(readFileSync(file, 'utf8')).toBe(earlier);

    // An HTTP server that is no events server: the stream's handshake gets 404, a failure (1).
    const web = createHttpServer((_request, response) => response.writeHead(404).end('not here'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    try {
      const nowhere = join(dir, 'no-events-server.ndjson');
      const result = await events(['tail', '--user', user.username, '--apikey', user.apikey, '--host', `ws://127.0.0.1:${(web.address() as AddressInfo).port}/`, '--record', nowhere]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^events: stopped: no events stream answered at .*\nevents: .*no-events-server\.ndjson not written: the connection never got through\n$/);
      expect(existsSync(nowhere)).toBe(false);
    } finally {
      await new Promise((resolve) => web.close(resolve));
    }
  });

  it('keeps the recording of a session refused after it was live (a key revoked while it was away), and replays it as it went: the refusal said, and a normal end', async () => {
    const file = join(dir, 'refused-later.ndjson');
    const first = await createEventsServer({ source: createSimulatedCloud({ seed: 5, rate: 40, namespaces: ['cid'] }), users: [{ username: 'cid', apikey: 'key-before-1' }] });
    const port = Number(new URL(first.url).port);
    let second: EventsServer | undefined;
    const child = spawn(process.execPath, ['--conditions=@events/source', '--import', 'tsx', 'src/cli.ts', 'tail', '--host', `ws://127.0.0.1:${port}/`, '--user', 'cid', '--apikey', 'key-before-1', '--record', file], {
      cwd: PACKAGE,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let restarting = false;
    try {
      const live = await ended(child, undefined, (stdout) => {
        if (restarting || stdout.split('\n').length <= 3) return;
        restarting = true;
        // The same server comes back with another key for cid: the reconnect is refused.
        void first.close().then(async () => {
          second = await createEventsServer({ source: createSimulatedCloud({ seed: 5, rate: 40, namespaces: ['cid'] }), users: [{ username: 'cid', apikey: 'key-after-2' }], port });
        });
      });
      expect(live.code).toBe(2);
      expect(live.stderr).toMatch(/events: stopped: authentication failed · Invalid username\/API key\.\n$/);
      expect(live.stderr).not.toContain('not written');
      const printed = jsonLines(live.stdout);
      expect(printed.length).toBeGreaterThanOrEqual(3);

      const replay = await events(['tail', '--replay', file, '--speed', '0']);
      expect(replay.code).toBe(0);
      expect(jsonLines(replay.stdout).slice(0, printed.length)).toEqual(printed);
      expect(replay.stderr).toMatch(/events: stopped: authentication failed · Invalid username\/API key\.\n$/);
    } finally {
      child.kill('SIGKILL');
      await first.close();
      await second?.close();
    }
  }, 40_000);

  it('prints no control character a server sent (names, a close reason): a plain line stays one line, and nothing reaches the terminal as an escape sequence', async () => {
    // A recorded demo session, its names and its end made hostile, then replayed through the real client:
    // names come from the server's REST answers (a Docker stack's name is a label's value, which may hold anything),
    // and a close reason is the server's text.
    const file = join(dir, 'hostile.ndjson');
    // At 10 events a second, the REST lists (which carry the names) are answered and recorded long
    // before the tenth event ends the session; at 100 a busy machine ended it with lists still in
    // flight, recorded as aborted, which the replay then reported on stderr.
    const recorded = await events(['tail', '--demo', '--rate', '10', '--seed', '3', '--count', '10', '--record', file]);
    expect(recorded.code).toBe(0);
    const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J\nrm -rf \u009b';
    const steps = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const step of steps) {
      if (step.kind !== 'http' || typeof step.body !== 'string') continue;
      const body = JSON.parse(step.body) as { objects?: Record<string, unknown>[] };
      for (const object of body.objects ?? []) if (typeof object.name === 'string') object.name = `${object.name}${HOSTILE}`;
      step.body = JSON.stringify(body);
    }
    const last = steps.at(-1) as Record<string, unknown>;
    expect(last).toMatchObject({ kind: 'close', code: 1000 }); // the recorder's own close, made the server's refusal
    Object.assign(last, { code: 4001, reason: `bye${HOSTILE}` });
    writeFileSync(file, `${steps.map((step) => JSON.stringify(step)).join('\n')}\n`);

    const replay = await events(['tail', '--replay', file, '--speed', '0', '--format', 'plain']);
    expect(replay.code).toBe(0);
    const lines = replay.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBeGreaterThanOrEqual(10); // one line per event, none split in two
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (stack|service|container|cluster|node|action) /);
    expect(replay.stdout).toContain('\uFFFD]0;pwned\uFFFD\uFFFD[2J\uFFFDrm -rf \uFFFD'); // the names are there, their control characters shown as �
    expect(replay.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(replay.stderr).toBe('events: stopped: authentication failed · bye\uFFFD]0;pwned\uFFFD\uFFFD[2J\uFFFDrm -rf \uFFFD\n');
  });

  it('falls back to lines when "watch" has no terminal, and formats plain lines', async () => {
    const result = await events(['watch', '--demo', '--rate', '200', '--count', '8', '--format', 'plain']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('not a terminal');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(8);
    for (const line of lines) {
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (stack|service|container|cluster|node|action) +(create|update|delete) \S+ /);
    }
  });

  it('names parents the --type leaves out in plain lines, by their REST fields as the live view does', async () => {
    const result = await events(['tail', '--type', 'container', '--format', 'plain', '--count', '8'], { ...hostEnv(), DOCKERCLOUD_USER: user.username, DOCKERCLOUD_APIKEY: user.apikey });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(8);
    for (const line of lines) {
      const parents = line.split('  ').at(-1)?.split(' ') ?? [];
      expect(parents.some((parent) => parent.startsWith('service/'))).toBe(true);
      // Names, not the short ids the tree alone could give (it holds no service, stack or cluster).
      for (const parent of parents) expect(parent).not.toMatch(/^(service|stack|cluster)\/[0-9a-f]{8}$/);
    }
  });

  it('reports every failed attempt while a server stays away, not only the first', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve)); // nothing listens there now
    // Attempts 1, 2 and 3 fail within ~5 s (backoff 1 s, 1 s, 2 s, with jitter).
    const result = await events(['tail', '--host', `ws://127.0.0.1:${port}`, '--user', 'ann', '--apikey', 'k'], {}, 25_000, 6_000);
    expect(result.code).toBe(0); // SIGTERM is a normal end
    const attempts = [...result.stderr.matchAll(/reconnecting in \d+ s \(attempt (\d+)\) · connect ECONNREFUSED/g)].map((m) => Number(m[1]));
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.slice(0, 3)).toEqual([1, 2, 3]);
  });

  it('ends quietly with 0 when the reader of its messages goes away (`events tail 2>&1 | head -n 1` while the server is down)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve)); // nothing listens there now
    // Only stderr is written to (one line per failed attempt): the second line meets a closed pipe.
    const script = `node --conditions=@events/source --import tsx src/cli.ts tail --host ws://127.0.0.1:${port} --user ann --apikey k 2>&1 | head -n 1; echo "events exited $\{PIPESTATUS[0]}"`;
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', script], { cwd: PACKAGE, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`did not end: ${stdout}`));
      }, 20_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout });
      });
    });
    expect(result.stdout).toMatch(/^events: reconnecting in \d+ s \(attempt 1\) · connect ECONNREFUSED .*\nevents exited 0\n$/);
  });

  it('refuses an Authorization header that cannot be sent at all before connecting, naming the variable but not its value', async () => {
    // Core's configFromEnv refuses it (it used to stop the client at connect time, exit 1; the
    // line mode's end on a tree stopped before it listened is tested in src/run-tail.test.ts).
    const result = await events(['tail', '--host', server.url.replace('http', 'ws')], { DOCKERCLOUD_AUTH: 'Basic a\nb' }, 10_000);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^events: DOCKERCLOUD_AUTH must be .*line feed.*\nRun "events --help" for the options\.\n$/);
    expect(result.stderr).not.toContain('Basic a');
  });

  it('stops reading the stream while nobody reads its output (lines do not pile up in memory), and picks it up again when they do', async () => {
    const busy = await createEventsServer({ source: createSimulatedCloud({ seed: 9, rate: 2_000, namespaces: ['bob'] }), users: [{ username: 'bob', apikey: 'line-mode-key-2' }] });
    const child = spawn(process.execPath, ['--conditions=@events/source', '--import', 'tsx', 'src/cli.ts', 'tail', '--format', 'json'], {
      cwd: PACKAGE,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DOCKERCLOUD_STREAM_HOST: busy.url.replace('http', 'ws'), DOCKERCLOUD_USER: 'bob', DOCKERCLOUD_APIKEY: 'line-mode-key-2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const until = async (test: () => boolean, what: string, ms = 15_000) => {
      const end = Date.now() + ms;
      while (!test()) {
        if (Date.now() > end) throw new Error(`${what} within ${ms} ms (connections ${busy.connections}; stderr: ${stderr})`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      // Nobody reads stdout (the test has not attached a reader): the pipe fills, and the tail lets go of the stream.
      await until(() => busy.connections === 1, 'connected');
      await until(() => busy.connections === 0, 'the stream let go while the output is full', 10_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(busy.connections).toBe(0); // not reconnecting meanwhile
      // A reader comes: the tail connects again and writes on.
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
      });
      await until(() => stdout.split('\n').length > 5_000, 'lines after the reader came');
      const lines = stdout.slice(0, stdout.lastIndexOf('\n')).split('\n');
      const uuids = lines.map((line) => (JSON.parse(line) as { uuid: string }).uuid);
      expect(new Set(uuids).size).toBe(uuids.length); // none twice
      expect(stderr).not.toMatch(/reconnecting/); // its own pauses are no lost connection
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
      await busy.close();
    }
  }, 45_000);

  it('refuses to record over an existing file (exit 2, the file untouched) unless told to with --overwrite', async () => {
    const file = join(dir, 'kept.ndjson');
    writeFileSync(file, 'a recording made earlier\n');
    const refused = await events(['tail', '--demo', '--rate', '200', '--count', '3', '--record', file]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(`events: --record must be a file that does not exist yet, got ${JSON.stringify(file)}: it exists (add --overwrite to replace it)\n`);
    expect(readFileSync(file, 'utf8')).toBe('a recording made earlier\n');

    const replaced = await events(['tail', '--demo', '--rate', '200', '--count', '3', '--record', file, '--overwrite']);
    expect(replaced.code).toBe(0);
    expect(jsonLines(replaced.stdout)).toHaveLength(3);
    expect(readFileSync(file, 'utf8')).toMatch(/^\{"recording":"events","version":2,/);

    // A new file is made as before, and --overwrite alone is a mistake.
    const fresh = join(dir, 'fresh.ndjson');
    expect((await events(['tail', '--demo', '--rate', '200', '--count', '1', '--record', fresh])).code).toBe(0);
    expect(existsSync(fresh)).toBe(true);
    const alone = await events(['tail', '--demo', '--overwrite']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toBe('events: --overwrite needs --record FILE\nRun "events --help" for the options.\n');
  });

  it('says a recording it could not write (a full disk: /dev/full) is incomplete, and exits 1 rather than 0', async () => {
    const result = await events(['tail', '--demo', '--rate', '200', '--count', '5', '--record', '/dev/full', '--overwrite']);
    expect(jsonLines(result.stdout)).toHaveLength(5); // the lines go on
    expect(result.stderr).toBe('events: the recording to /dev/full is incomplete: ENOSPC: no space left on device, write\n');
    expect(result.code).toBe(1);
  });

  it('refuses a directory given to --record as a command-line mistake, --overwrite or not (it was told to add --overwrite, which then failed)', async () => {
    for (const args of [[], ['--overwrite']]) {
      const result = await events(['tail', '--demo', '--count', '1', '--record', dir, ...args]);
      expect(result.stderr).toBe(`events: --record must be a file, got ${JSON.stringify(dir)}: it is a directory\n`); // as an existing file is refused
      expect(result.code).toBe(2);
    }
  });

  it('exits 2 when the server refuses the namespace (HTTP 403), as for refused credentials', async () => {
    const result = await events(['tail', '--namespace', 'bob'], { ...hostEnv(), DOCKERCLOUD_USER: user.username, DOCKERCLOUD_APIKEY: user.apikey });
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('events: stopped: You do not have permission to read the events of namespace "bob".\n');
    expect(result.code).toBe(2);
  });

  it('ends normally (0, nothing written) on a Ctrl-C while it is still loading', async () => {
    // slow-startup.mjs says when a module `events` needs starts loading, and holds it 1.5 s.
    const child = spawn(process.execPath, ['--conditions=@events/source', '--import', 'tsx', '--import', './test/fixtures/slow-startup.mjs', 'src/cli.ts', 'tail', '--demo', '--rate', 'max'], {
      cwd: PACKAGE,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = await ended(child, (stderr) => {
      if (stderr.includes('slow-startup: loading src/run-tail.ts\n')) child.kill('SIGINT');
    });
    expect(result).toEqual({ code: 0, signal: null, stdout: '', stderr: 'slow-startup: loading src/run-tail.ts\n' });
  });

  it('ends a recording tail normally on SIGHUP (a closed terminal), the recording finished with its close', async () => {
    const file = join(dir, 'hangup.ndjson');
    const child = spawn(process.execPath, ['--conditions=@events/source', '--import', 'tsx', 'src/cli.ts', 'tail', '--demo', '--rate', '50', '--record', file], {
      cwd: PACKAGE,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let hungUp = false;
    const result = await ended(child, undefined, (stdout) => {
      if (!hungUp && stdout.split('\n').length > 3) {
        hungUp = true;
        child.kill('SIGHUP');
      }
    });
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    const steps = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(JSON.parse(steps.at(-1) as string)).toMatchObject({ kind: 'close', socket: 1 });
  });

  it('leaves SIGHUP alone when started with it ignored (nohup) where Node keeps that, and ends normally on it where Node resets it (Node 20 does)', async () => {
    const file = join(dir, 'nohup.ndjson');
    const node = JSON.stringify(process.execPath);
    // What Node itself makes of an inherited "ignore SIGHUP": Node 20 resets it to the default while it starts.
    const kept = execFileSync('bash', ['-c', `trap "" HUP; exec ${node} -p "/^SigIgn:\\s*\\S*[13579bdfBDF]$/m.test(require('fs').readFileSync('/proc/self/status','utf8'))"`], { encoding: 'utf8' }).trim() === 'true';
    const child = spawn('bash', ['-c', `trap "" HUP; exec ${node} --conditions=@events/source --import tsx src/cli.ts tail --demo --rate 50 --record ${JSON.stringify(file)}`], {
      cwd: PACKAGE,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let hungUp = false;
    const result = await ended(child, undefined, (stdout) => {
      if (!hungUp && stdout.split('\n').length > 3) {
        hungUp = true;
        child.kill('SIGHUP');
        // Ignored, it runs on; told to stop after a while, it ends normally.
        if (kept) setTimeout(() => child.kill('SIGTERM'), 1_000);
      }
    });
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    if (kept) expect(result.stdout.slice(result.stdout.indexOf('\n', 200)).split('\n').length).toBeGreaterThan(20); // it wrote on after the hangup
    const steps = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(JSON.parse(steps.at(-1) as string)).toMatchObject({ kind: 'close', socket: 1 });
  });

  it('refuses a bad command line with a precise message and exit 2', async () => {
    const result = await events(['tail', '--type', 'volume']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('events: --type must be nodecluster, node, stack, service, container or action, got "volume"\nRun "events --help" for the options.\n');
  });
});
