import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { engine, requireEngine, suiteName } from './docker-test-kit.js';
import type { TestEngine } from '../../../../tests/support/docker-engine.js';

// `events-server --source docker` as a user runs it, on the test engine: what it prints about the
// engine it found, and what /healthz says.

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** Forwards `listen` (a tcp port on loopback, or a unix socket path) to the engine's socket. */
async function forward(socket: string, listen: number | string): Promise<{ port: number; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(socket);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => (typeof listen === 'number' ? server.listen(listen, '127.0.0.1', resolve) : server.listen(listen, resolve)));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const children = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

/** Starts the bin and resolves with its stdout once it printed the connection details. */
async function startBin(args: readonly string[], env: Record<string, string | undefined>): Promise<{ stdout: string; stderr: () => string; stop(): Promise<number | null> }> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--conditions=@events/source', '--import', 'tsx', 'src/bin.ts', ...args], { cwd: PACKAGE_DIR, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection details after 30 s; stdout: ${out}; stderr: ${err}`)), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('Event stream: ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}; stderr: ${err}`));
    });
  });
  return {
    stdout: out,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs the bin to its exit (a failed start), as another user when `user` says so. */
async function runBin(args: readonly string[], env: Record<string, string | undefined>, user?: { uid: number; gid: number }): Promise<{ code: number | null; stderr: string }> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--conditions=@events/source', '--import', 'tsx', 'src/bin.ts', ...args], { cwd: PACKAGE_DIR, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'], ...user });
  children.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  return { code, stderr };
}

describe.skipIf(!engine)(suiteName('events-server --source docker on a real engine'), () => {
  let host: TestEngine;
  beforeAll(() => {
    host = requireEngine();
  });

  it('prints and reports the engine without the credentials of its address', async () => {
    const proxy = await forward(host.socket, 0);
    try {
      const bin = await startBin(['--source', 'docker', '--docker-host', `tcp://user:s3cret@127.0.0.1:${proxy.port}`, '--port', '0', '--log-level', 'debug'], {});
      expect(bin.stdout).toMatch(new RegExp(`^events-server listening on http://127\\.0\\.0\\.1:\\d+/ \\(source: docker, engine tcp://\\*\\*\\*@127\\.0\\.0\\.1:${proxy.port}\\)\\n`));
      const url = /export DOCKERCLOUD_REST_HOST=(\S+)\n/.exec(bin.stdout)?.[1] as string;
      const healthz = await (await fetch(`${url}healthz`)).text();
      expect(healthz).toContain(`Docker engine at tcp://***@127.0.0.1:${proxy.port}: live since`);
      expect(await (await fetch(`${url}metrics`)).text()).toContain('events_source_up{source="docker"} 1\n');
      expect(await bin.stop()).toBe(0);
      for (const text of [bin.stdout, bin.stderr(), healthz]) expect(text).not.toContain('s3cret');
    } finally {
      await proxy.close();
    }
  });

  it("follows the docker context that docker's own CLI made current, and refuses one that does not exist", async () => {
    // The context files are written by `docker context create` / `use` themselves, not by hand.
    const config = join(host.dir, 'bin-docker-config');
    mkdirSync(config, { recursive: true });
    const cli = (...args: string[]) => run('docker', ['--config', config, ...args], { env: { ...process.env, DOCKER_HOST: '' }, timeout: 30_000 });
    await cli('context', 'create', 'events-test', '--docker', `host=${host.host}`);
    await cli('context', 'use', 'events-test');
    const bin = await startBin(['--source', 'docker', '--port', '0'], { DOCKER_CONFIG: config, DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined });
    expect(bin.stdout).toContain(`(source: docker, engine ${host.host})\n`);
    expect(await bin.stop()).toBe(0);
    // A context that is not there: docker's CLI says it does not exist, and so do we, before listening.
    const gone = await runBin(['--source', 'docker', '--port', '0'], { DOCKER_CONFIG: config, DOCKER_HOST: undefined, DOCKER_CONTEXT: 'nowhere' });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^events-server: cannot start: docker context "nowhere" \(DOCKER_CONTEXT\) does not exist: there is no .*meta\.json \("docker context ls" lists the contexts\)\n$/);
  });

  it('says why a socket it may not use refuses it, and who may', async () => {
    // The engine's socket through one that only root may use (0600), and the bin run as nobody.
    const dir = mkdtempSync(join(tmpdir(), 'events-denied-'));
    const socket = join(dir, 'docker.sock');
    const proxy = await forward(host.socket, socket);
    try {
      chmodSync(socket, 0o600);
      // HOME and TMPDIR (tsx's cache) in the folder removed after, which nobody may write to.
      chmodSync(dir, 0o777);
      const denied = await runBin(['--source', 'docker', '--port', '0', '--docker-host', `unix://${socket}`], { HOME: dir, TMPDIR: dir }, { uid: 65534, gid: 65534 });
      expect(denied.code).toBe(1);
      expect(denied.stderr).toBe(
        `events-server: cannot start: cannot reach the Docker engine at unix://${socket}: ping: connect EACCES ${socket} (permission denied: the user this runs as may not use the socket; docker grants it to root and to its group, often "docker")\n`,
      );
    } finally {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the socket it really uses when it falls back to ~/.docker/run/docker.sock', async () => {
    const home = join(host.dir, 'bin-home');
    mkdirSync(join(home, '.docker', 'run'), { recursive: true });
    const socket = join(home, '.docker', 'run', 'docker.sock');
    const proxy = await forward(host.socket, socket);
    try {
      const bin = await startBin(['--source', 'docker', '--port', '0'], { HOME: home, DOCKER_HOST: undefined });
      expect(bin.stdout).toContain(`(source: docker, engine unix://${socket})\n`);
      expect(await bin.stop()).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
