import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { createDockerSource } from './docker-source.js';

// The source's connection code against real sockets where no engine is needed: an engine address
// where nothing listens, and a server that accepts connections and never answers. (Against a real
// engine: test/docker/real-engine-connection.test.ts.)

const FAST_BACKOFF = { baseMs: 50, capMs: 100, floorMs: 20, throttledFloorMs: 50, throttledBoost: 1, maxHintMs: 100 };

function capture() {
  const lines: { level: string; msg: string; [key: string]: unknown }[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level: 'debug',
    write: (line) => {
      raw.push(line);
      lines.push(JSON.parse(line) as (typeof lines)[number]);
    },
  });
  return { logger, lines, raw };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function blackhole(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as { port: number }).port;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the docker source connecting', () => {
  it('fails the start-up ping of an engine that never answers within the ping timeout, saying it timed out', async () => {
    const port = await blackhole();
    const source = createDockerSource({ namespace: 'u', dockerHost: `tcp://127.0.0.1:${port}`, env: {}, pingTimeoutMs: 400 });
    const started = Date.now();
    await expect(source.start(() => {})).rejects.toThrow(`cannot reach the Docker engine at tcp://127.0.0.1:${port}: ping: timed out after 400 ms waiting for the engine`);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('says "cannot reach" until the engine was reached, never "lost", and logs no retry for a start that fails', async () => {
    const failing = capture();
    const source = createDockerSource({ namespace: 'u', dockerHost: 'unix:///nonexistent/events-test.sock', env: {}, logger: failing.logger });
    await expect(source.start(() => {})).rejects.toThrow(
      'cannot reach the Docker engine at unix:///nonexistent/events-test.sock: ping: connect ENOENT /nonexistent/events-test.sock (no such socket: is dockerd running, and is this the socket it listens on?)',
    );
    // The error is the start's to report (the CLI prints it): no warning promising a retry that never comes.
    expect(failing.lines.filter((line) => line.level !== 'debug')).toEqual([]);

    const offline = capture();
    const retrying = createDockerSource({ namespace: 'u', dockerHost: 'unix:///nonexistent/events-test.sock', env: {}, startOffline: true, backoff: FAST_BACKOFF, logger: offline.logger });
    closers.push(() => retrying.stop());
    await retrying.start(() => {});
    await expect.poll(() => offline.lines.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    expect(new Set(offline.lines.map((line) => line.msg))).toEqual(new Set(['cannot reach the docker engine']));
    expect(offline.lines.map((line) => line.failures).slice(0, 3)).toEqual([1, 2, 3]);
  });

  it('says in words why a socket that nothing listens on refuses (a dockerd that died leaves its socket behind)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-stale-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'docker.sock');
    // A process killed while it listens leaves its socket file, as a dockerd killed with SIGKILL does.
    const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(existsSync(path)).toBe(true);
    const source = createDockerSource({ namespace: 'u', dockerHost: `unix://${path}`, env: {} });
    await expect(source.start(() => {})).rejects.toThrow(`cannot reach the Docker engine at unix://${path}: ping: connect ECONNREFUSED ${path} (nothing listens on the socket: is dockerd running?)`);
    // Through a symbolic link, as Docker Desktop's /var/run/docker.sock is one: connect() follows it.
    const link = join(dir, 'link.sock');
    symlinkSync(path, link);
    const linked = createDockerSource({ namespace: 'u', dockerHost: `unix://${link}`, env: {} });
    await expect(linked.start(() => {})).rejects.toThrow(`ping: connect ECONNREFUSED ${link} (nothing listens on the socket: is dockerd running?)`);
  });

  it('says when the path is no socket at all, or too long to be one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-nosocket-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'docker.sock'), '');
    const refusal = (path: string) => createDockerSource({ namespace: 'u', dockerHost: `unix://${path}`, env: {} }).start(() => {});
    await expect(refusal(dir)).rejects.toThrow(`ping: connect ECONNREFUSED ${dir} (it is a directory, not a socket)`);
    await expect(refusal(join(dir, 'docker.sock'))).rejects.toThrow(`ping: connect ECONNREFUSED ${join(dir, 'docker.sock')} (it is a file, not a socket)`);
    // The kernel takes a socket path of at most 107 bytes (103 off Linux): a longer one is cut.
    const long = join(dir, 'x'.repeat(120), 'docker.sock');
    const longest = process.platform === 'linux' ? 107 : 103;
    await expect(refusal(long)).rejects.toThrow(
      `ping: connect ENOENT ${long} (a socket's path has at most ${longest} bytes, and this one has ${Buffer.byteLength(long)}: use a shorter one, or a symbolic link to it)`,
    );
  });

  it('never shows the credentials of the engine address: not in errors, logs or health', async () => {
    const port = await closedPort();
    const log = capture();
    const source = createDockerSource({ namespace: 'u', dockerHost: `tcp://user:s3cret@127.0.0.1:${port}`, env: {}, startOffline: true, backoff: FAST_BACKOFF, logger: log.logger });
    closers.push(() => source.stop());
    expect(source.endpoint).toBe(`tcp://***@127.0.0.1:${port}`);
    await source.start(() => {});
    await expect.poll(() => log.raw.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    expect(source.health().detail).toContain(`Docker engine at tcp://***@127.0.0.1:${port} unreachable`);
    for (const text of [...log.raw, source.health().detail]) expect(text).not.toContain('s3cret');

    const failing = createDockerSource({ namespace: 'u', dockerHost: `tcp://user:s3cret@127.0.0.1:${port}`, env: {} });
    const error = await failing.start(() => {}).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(new RegExp(`^cannot reach the Docker engine at tcp://\\*\\*\\*@127\\.0\\.0\\.1:${port}: ping: connect ECONNREFUSED`));
    expect(error?.message).not.toContain('s3cret');
  });

  it('refuses a DOCKER_HOST that is not an address, naming it', () => {
    expect(() => createDockerSource({ namespace: 'u', env: { DOCKER_HOST: '/var/run/docker.sock' } })).toThrow(
      'DOCKER_HOST must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "/var/run/docker.sock": it has no scheme: write unix:///var/run/docker.sock for a socket',
    );
  });
});
