import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyTestEngine, docker, startTestEngine, TEST_IMAGE, type TestEngine, testEngineUnavailable, until } from '../../../tests/support/docker-engine.js';
import { hasTmux, selectedRow, TmuxSession } from './tmux-session.js';

// The product end to end on a real Docker Engine: a dockerd of our own (tests/support/docker-engine.ts,
// a busybox image made offline), `events-server --source docker` on it as a user runs it, and the
// `events` CLI against that server, in line mode and in tmux. What the engine did is done with
// docker's own CLI, and what the view did is checked on the engine with `docker inspect`.
// Containers run `sleep`, which ignores SIGTERM as PID 1: each gets --stop-timeout 1, so that a
// stop takes a second (then SIGKILL), not the engine's ten.

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const SERVER_PACKAGE = fileURLToPath(new URL('../../../packages/server', import.meta.url));
const EVENTS = `node --conditions=@events/source --import tsx ${join(PACKAGE, 'src/cli.ts')}`;

/** Why this cannot run here (no dockerd, not root, no busybox), or undefined: in the suite's name when it skips. */
const unavailable = testEngineUnavailable();
const tmuxPresent = hasTmux();

interface RunningServer {
  /** `ws://127.0.0.1:PORT/` and `http://127.0.0.1:PORT/`. */
  readonly streamHost: string;
  readonly restHost: string;
  readonly user: string;
  readonly apikey: string;
  readonly namespace: string;
  stderr(): string;
  stop(): Promise<number | null>;
}

/** `events-server --source docker` from source, as packages/server/test/docker/real-engine-bin.test.ts runs it; resolves once it printed where it listens. */
async function startServer(host: TestEngine): Promise<RunningServer> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.DOCKER_HOST;
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(
    process.execPath,
    ['--conditions=@events/source', '--import', 'tsx', 'src/bin.ts', '--source', 'docker', '--docker-host', host.host, '--port', '0', '--log-level', 'warn'],
    { cwd: SERVER_PACKAGE, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`events-server printed no connection details in 40 s; stdout: ${out}; stderr: ${err}`)), 40_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('Event stream: ')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`events-server exited with ${code}; stderr: ${err}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const line = (name: string) => {
    const value = new RegExp(`export ${name}=(\\S+)\\n`).exec(out)?.[1];
    if (value === undefined) throw new Error(`events-server printed no ${name}: ${out}`);
    return value;
  };
  const user = line('DOCKERCLOUD_USER');
  return {
    streamHost: line('DOCKERCLOUD_STREAM_HOST'),
    restHost: line('DOCKERCLOUD_REST_HOST'),
    user,
    apikey: line('DOCKERCLOUD_APIKEY'),
    // One engine is one account: its objects are in the (generated) first user's namespace.
    namespace: user,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The stream connections the server has open now, from its /metrics. */
async function openStreams(server: RunningServer): Promise<number> {
  const text = await (await fetch(`${server.restHost}metrics`)).text();
  return [...text.matchAll(/^events_connections\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/**
 * The resource URI the server gives a container (docs/docker-mapping.md): its id's first 32 hex
 * digits as an RFC 9562 version 8 uuid, the version in the 13th digit and the variant's two bits
 * in the 17th; it starts with the short id `docker ps` shows.
 */
function containerUri(namespace: string, id: string): string {
  const digits = [...id.slice(0, 32)];
  digits[12] = '8';
  digits[16] = ((Number.parseInt(digits[16] as string, 16) & 0b0011) | 0b1000).toString(16);
  const hex = digits.join('');
  return `/api/app/v1/${namespace}/container/${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}/`;
}

function jsonLines(text: string): Record<string, unknown>[] {
  const lines = text.split('\n');
  expect(lines.pop()).toBe(''); // ends with a newline, nothing after it
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** `promise`, or a rejection saying `why` after `timeoutMs`. */
async function within<T>(promise: Promise<T>, timeoutMs: number, why: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(why())), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
  }
}

const typeOfUri = (uri: string) => uri.split('/').at(-3);

describe.skipIf(unavailable !== undefined)(`events on a real Docker engine${unavailable === undefined ? '' : ` [SKIPPED: ${unavailable}]`}`, () => {
  let host: TestEngine | undefined;
  /** Why the engine did not start: each test is then skipped with it, as the server's docker suite skips. */
  let startFailure: string | undefined;
  let server: RunningServer | undefined;
  const sessions: TmuxSession[] = [];

  // In a hook, not while the file is collected: a run that selects none of these tests (-t) starts no engine.
  // No swarm: a Compose-labelled container makes a stack and a service without one.
  beforeAll(async () => {
    try {
      host = await startTestEngine({ swarm: false });
    } catch (error) {
      startFailure = `could not start a test dockerd: ${error instanceof Error ? error.message : String(error)}`;
      console.warn(`\n[docker tests] SKIPPED: ${startFailure}\n`);
    }
  }, 120_000);

  afterAll(async () => {
    for (const session of sessions) session.kill();
    await server?.stop();
    // Every container, dockerd and its folder.
    if (host) await destroyTestEngine(host);
  }, 120_000);

  /** The engine, or the test skipped saying why there is none. */
  const engineOf = (skip: (note: string) => never): TestEngine => host ?? skip(startFailure ?? 'no test engine');

  /** The server, started by the first test that needs it. */
  const serverOn = async (engine: TestEngine) => {
    server ??= await startServer(engine);
    return server;
  };

  it('events tail prints the docker run, stop and rm of a container as JSON lines: its types, actions and states, in order', async ({ skip }) => {
    const host = engineOf(skip);
    const running = await serverOn(host);
    const name = 'tail-x';
    const child = spawn(process.execPath, ['--conditions=@events/source', '--import', 'tsx', 'src/cli.ts', 'tail', '--type', 'container', '--count', '6'], {
      cwd: PACKAGE,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DOCKERCLOUD_STREAM_HOST: running.streamHost, DOCKERCLOUD_USER: running.user, DOCKERCLOUD_APIKEY: running.apikey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      // Nothing is printed before the first event: the server says when the stream is open.
      await until(async () => (await openStreams(running)) === 1, 30_000, 'events tail connected', 100);
      const id = await docker(host, ['run', '-d', '--stop-timeout', '1', '--name', name, TEST_IMAGE, 'sleep', '1000']);
      await docker(host, ['stop', name]);
      await docker(host, ['rm', name]);
      const code = await within(ended, 30_000, () => `events tail did not end after 6 lines in 30 s; stdout: ${stdout}; stderr: ${stderr}; the server's: ${running.stderr()}`);
      expect(code).toBe(0);
      const uri = containerUri(running.namespace, id);
      const lines = jsonLines(stdout);
      expect(lines.map((line) => [line.type, line.action, line.state, line.resource_uri])).toEqual([
        ['container', 'create', 'Starting', uri],
        ['container', 'update', 'Running', uri],
        ['container', 'update', 'Stopping', uri],
        ['container', 'update', 'Stopped', uri],
        ['container', 'update', 'Terminated', uri],
        ['container', 'delete', 'Terminated', uri],
      ]);
      for (const line of lines) {
        expect(Object.keys(line)).toEqual(['type', 'action', 'parents', 'resource_uri', 'state', 'uuid', 'datetime']);
        // A plain container: in no service or stack, under the engine's node and node cluster.
        expect((line.parents as string[]).map(typeOfUri)).toEqual(['node', 'nodecluster']);
      }
      expect(new Set(lines.map((line) => line.uuid)).size).toBe(6);
      expect(lines.map((line) => line.datetime)).toEqual([...lines.map((line) => line.datetime as string)].sort());
      expect(stderr).toBe('');
    } finally {
      child.kill('SIGKILL');
      await docker(host, ['rm', '-f', name]).catch(() => {});
    }
  }, 60_000);

  it.skipIf(!tmuxPresent)(
    `events watch shows a Compose-labelled container under its stack and service as docker runs it, and stops it with S then y: Stopped on the screen and in the engine${tmuxPresent ? '' : ' [SKIPPED: tmux is not installed]'}`,
    async ({ skip }) => {
      const host = engineOf(skip);
      const running = await serverOn(host);
      const [stack, service, name] = ['shop', 'web', 'shop-web-1'];
      const session = TmuxSession.start(
        `events-docker-e2e-${process.pid}`,
        'watch',
        PACKAGE,
        `${EVENTS} watch --host ${running.streamHost} --user ${running.user} --apikey ${running.apikey}`,
        120,
        40,
      );
      sessions.push(session);
      await session.waitFor(/● live/, 'the view live', 40_000);
      await until(async () => (await openStreams(running)) === 1, 20_000, 'the view connected', 100);

      // Made while the view watches, as docker compose would (its labels), without compose installed.
      await docker(host, ['run', '-d', '--stop-timeout', '1', '--name', name, '--label', `com.docker.compose.project=${stack}`, '--label', `com.docker.compose.service=${service}`, TEST_IMAGE, 'sleep', '1000']);
      let screen = await session.waitFor(
        (s) => new RegExp(`▾ ● ${stack} +stack +Running +1/1 `).test(s) && new RegExp(`^ {3}▸ ● ${service} +service +Running +1/1 `, 'm').test(s),
        'the stack and its service, live',
        20_000,
      );
      // The stack is the first row, selected; unfold its service, go down to the container.
      await session.waitFor((s) => new RegExp(`▾ ● ${stack} +stack`).test(selectedRow(s)), 'the stack selected');
      session.keys('j');
      await session.waitFor((s) => new RegExp(`▸ ● ${service} +service`).test(selectedRow(s)), 'the service selected');
      session.keys('l');
      await session.waitFor(new RegExp(` {7}● ${name} +container +Running `), 'the container under its service');
      session.keys('j');
      screen = await session.waitFor((s) => new RegExp(`● ${name} +container +Running`).test(selectedRow(s)), 'the container selected');

      session.keys('S');
      await session.waitFor(new RegExp(`STOP container ${name}\\?`), 'the stop asking first');
      expect(await docker(host, ['inspect', '-f', '{{.State.Running}}', name])).toBe('true'); // nothing done before the yes
      session.keys('y');
      screen = await session.waitFor((s) => new RegExp(`○ ${name} +container +Stopped `).test(selectedRow(s)), 'the container Stopped', 30_000);
      expect(screen).toMatch(new RegExp(`update ${name} Stopping → Stopped`));
      // The action ends once its objects rest: the service and the stack with nothing running.
      await session.waitFor(
        (s) => /action +update Container Stop In progress → Success/.test(s) && new RegExp(`▾ ○ ${stack} +stack +Stopped +0/1 `).test(s) && new RegExp(`▾ ○ ${service} +service +Stopped +0/1 `).test(s),
        'the stop action succeeded, the service and stack Stopped',
      );
      // The engine agrees: the container is not running, it exited (SIGKILL after its 1 s), and it is still there.
      expect(await docker(host, ['inspect', '-f', '{{.State.Status}} {{.State.Running}}', name])).toBe('exited false');

      session.keys('q');
      screen = await session.waitFor(/EXIT=\d+/, 'the exit code');
      expect(screen).toMatch(/EXIT=0/);
    },
    60_000,
  );
});
