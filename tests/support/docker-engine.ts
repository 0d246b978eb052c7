import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, closeSync, constants, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A Docker Engine of our own for the integration tests: its own socket, data root, exec root and
 * containerd namespace in a temp folder, so a system engine is never touched, and (unless asked
 * not to) a one-node swarm on free loopback ports. Only root can run dockerd. The server's engine
 * tests (packages/server/test/docker) share one through their global setup; the TUI's end-to-end
 * test starts one of its own.
 */
export interface TestEngine {
  readonly dir: string;
  readonly socket: string;
  /** `unix://…/docker.sock`, for DOCKER_HOST or `--docker-host`. */
  readonly host: string;
  readonly pidfile: string;
  readonly logFile: string;
  readonly dockerdArgs: readonly string[];
}

/** The image every test container runs (only `sleep`), imported offline from busybox-static. */
export const TEST_IMAGE = 'busybox:local';

function onPath(binary: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/** Why the engine tests cannot run here, or undefined when they can. */
export function testEngineUnavailable(): string | undefined {
  if (process.env.EVENTS_SKIP_DOCKER_TESTS) return 'EVENTS_SKIP_DOCKER_TESTS is set';
  if (!onPath('dockerd')) return 'no dockerd on PATH (Debian: apt-get install docker.io)';
  if (!onPath('docker')) return 'no docker CLI on PATH (Debian: apt-get install docker.io)';
  if (process.getuid?.() !== 0) return 'dockerd needs root and these tests run as another user';
  if (!existsSync('/bin/busybox')) return 'no /bin/busybox to build the test image from (Debian: apt-get install busybox-static)';
  return undefined;
}

async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A free UDP port below 49152: swarm refuses data path ports outside 1024-49151. */
async function freeUdpPort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 29_000);
    const free = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (free || attempt > 50) return port;
  }
}

/** Runs the docker CLI against the test engine; rejects with its stderr on failure. */
export async function docker(engine: Pick<TestEngine, 'host'>, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
  try {
    const { stdout } = await run('docker', ['-H', engine.host, ...args], { timeout: options.timeoutMs ?? 60_000, env: { ...process.env, DOCKER_CLI_HINTS: 'false' } });
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`docker ${args.join(' ')} failed: ${stderr.trim() || (error as Error).message}`);
  }
}

/** Polls `condition` until it returns something truthy; throws with `what` after `timeoutMs`. */
export async function until<T>(condition: () => T | Promise<T>, timeoutMs: number, what: string, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function pidOf(pidfile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts dockerd (detached, so it outlives the test worker that restarts it) and waits for its API. */
export async function startDockerd(engine: TestEngine): Promise<void> {
  const log = openSync(engine.logFile, 'a');
  const child: ChildProcess = spawn('dockerd', [...engine.dockerdArgs], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log); // the child has its own copy
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  child.unref();
  // A dockerd that exits ends the wait at once: `until` takes a thrown error for "not yet", so the
  // exit is a value that stops it, and is reported after.
  await until(
    async () => {
      if (exited !== null) return true;
      await docker(engine, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 5_000 });
      return true;
    },
    45_000,
    'dockerd answering',
    200,
  );
  if (exited !== null) {
    // Its last words: the folder with the log is removed when the start fails.
    const last = readFileSync(engine.logFile, 'utf8').trim().split('\n').at(-1) ?? '';
    throw new Error(`dockerd exited with ${exited}${last === '' ? '' : `: ${last}`}`);
  }
}

/** Stops dockerd (SIGTERM, then SIGKILL after 30 s) and waits until it and its containerd are gone. */
export async function stopDockerd(engine: TestEngine): Promise<void> {
  const pid = pidOf(engine.pidfile);
  const containerd = pidOf(join(engine.dir, 'exec', 'containerd', 'containerd.pid'));
  if (pid !== undefined && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    try {
      await until(() => !alive(pid), 30_000, 'dockerd exiting', 100);
    } catch {
      process.kill(pid, 'SIGKILL');
      await until(() => !alive(pid), 5_000, 'dockerd exiting after SIGKILL', 100);
    }
  }
  if (containerd !== undefined && alive(containerd)) {
    await until(() => !alive(containerd), 10_000, 'containerd exiting', 100).catch(() => process.kill(containerd, 'SIGKILL'));
  }
}

export interface StartTestEngineOptions {
  /**
   * Make the engine a one-node swarm (default true). A test of plain and Compose-labelled
   * containers only can skip it: `swarm init` takes seconds and two more listening ports.
   */
  readonly swarm?: boolean;
}

/** Creates the folder, starts dockerd, imports the test image and (by default) makes the engine a one-node swarm. */
export async function startTestEngine(options: StartTestEngineOptions = {}): Promise<TestEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'events-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const pidfile = join(dir, 'docker.pid');
  const config = join(dir, 'daemon.json');
  // Our own daemon.json: the machine's /etc/docker/daemon.json must not leak in, and the engine's
  // identity key (default /etc/docker/key.json) stays in our folder.
  writeFileSync(config, `${JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') })}\n`);
  const tag = dir.slice(dir.lastIndexOf('-') + 1).toLowerCase();
  const engine: TestEngine = {
    dir,
    socket,
    host: `unix://${socket}`,
    pidfile,
    logFile: join(dir, 'dockerd.log'),
    dockerdArgs: [
      '--host', `unix://${socket}`,
      '--data-root', join(dir, 'data'),
      '--exec-root', join(dir, 'exec'),
      '--pidfile', pidfile,
      '--config-file', config,
      '--containerd-namespace', `events-test-${tag}`,
      '--containerd-plugins-namespace', `events-test-${tag}-plugins`,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
    ],
  };
  try {
    await startDockerd(engine);
    await importTestImage(engine);
    if (options.swarm === false) return engine;
    const swarmPort = await freeTcpPort();
    const dataPathPort = await freeUdpPort();
    await docker(engine, [
      'swarm', 'init',
      '--advertise-addr', `127.0.0.1:${swarmPort}`,
      '--listen-addr', `127.0.0.1:${swarmPort}`,
      '--data-path-port', String(dataPathPort),
    ]);
    return engine;
  } catch (error) {
    await destroyTestEngine(engine).catch(() => {});
    throw error;
  }
}

async function importTestImage(engine: TestEngine): Promise<void> {
  const root = join(engine.dir, 'image');
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  symlinkSync('busybox', join(root, 'bin', 'sh'));
  symlinkSync('busybox', join(root, 'bin', 'sleep'));
  await run('sh', ['-c', `tar -C "${root}" -c . | docker -H "${engine.host}" import - ${TEST_IMAGE}`], { timeout: 60_000 });
}

/** Removes everything left in the engine, stops it and deletes its folder. */
export async function destroyTestEngine(engine: TestEngine): Promise<void> {
  const pid = pidOf(engine.pidfile);
  if (pid !== undefined && alive(pid)) {
    // Fast shutdown: nothing left for dockerd to stop one by one (a `sleep` ignores SIGTERM).
    await docker(engine, ['swarm', 'leave', '--force'], { timeoutMs: 30_000 }).catch(() => {});
    const ids = await docker(engine, ['ps', '-aq'], { timeoutMs: 10_000 }).catch(() => '');
    if (ids) await docker(engine, ['rm', '-f', ...ids.split('\n')], { timeoutMs: 60_000 }).catch(() => {});
  }
  await stopDockerd(engine);
  // dockerd unmounts what it mounted on a clean stop; after a SIGKILL some mounts may remain.
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  const ours = mounts
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((target) => target.startsWith(engine.dir))
    .sort((a, b) => b.length - a.length);
  for (const target of ours) await run('umount', ['-l', target]).catch(() => {});
  await rm(engine.dir, { recursive: true, force: true });
}
