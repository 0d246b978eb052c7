import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { startEventsServer, type TestEventsServer, USER } from './helpers/events-server.js';
import { createTcpProxy, type TcpProxy } from '../../../tests/support/tcp-proxy.js';

// The browser transport under Deno, on Deno's own WebSocket, against the real server through a
// proxy that cuts the connection halfway: Deno's socket must report the loss, and the stream resume.

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const COUNT = 20;

/** The npm package `deno` ships the runtime; its bin entry is the launcher. undefined when it is not installed. */
function denoBinary(): string | undefined {
  try {
    const pkgPath = require.resolve('deno/package.json');
    const pkg = require(pkgPath) as { bin: string | Record<string, string> };
    return join(dirname(pkgPath), typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin.deno as string));
  } catch {
    return undefined;
  }
}
const deno = denoBinary();

let events: TestEventsServer;
let proxy: TcpProxy;
beforeAll(async () => {
  events = await startEventsServer();
  proxy = await createTcpProxy(events.server.port);
});
afterAll(async () => {
  await proxy?.close();
  await events?.close();
});

it.skipIf(deno === undefined)(`${deno === undefined ? 'SKIPPED: the npm package deno is not installed: ' : ''}receives ${COUNT} events under Deno across a cut connection, exactly the server's`, async () => {
  const args = [
    deno as string,
    'run',
    '--quiet',
    '--no-prompt',
    '--unstable-sloppy-imports',
    // Sibling packages resolve to their TypeScript sources, as in the other tests.
    '--conditions=@events/source',
    '--allow-net=127.0.0.1',
    join(here, 'deno', 'deno-client.ts'),
    `ws://127.0.0.1:${proxy.port}/`,
    'acme',
    USER.username,
    USER.apikey,
    String(COUNT),
  ];
  const child = spawn(process.execPath, args, {
    cwd: join(here, '..'),
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: mkdtempSync(join(tmpdir(), 'deno-')) },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  onTestFinished(() => {
    if (child.exitCode === null) child.kill();
  });
  for await (const line of createInterface({ input: child.stdout })) {
    const message = JSON.parse(line) as Record<string, unknown>;
    lines.push(message);
    // Events emitted before the first hello are not in the stream: wait for it.
    if (message.connected === 'fresh') {
      for (let i = 0; i < COUNT / 2; i++) events.source.emit('acme');
      proxy.dropAll();
      for (let i = 0; i < COUNT / 2; i++) events.source.emit('acme');
    }
  }
  expect(await exited, stderr).toBe(0);
  expect(lines).toEqual([
    { connected: 'fresh', runtime: 'deno' },
    { connected: 'resumed', runtime: 'deno' },
    { uuids: events.source.emitted.map(({ event }) => event.uuid) },
  ]);
}, 60_000);

it.skipIf(deno === undefined)(`${deno === undefined ? 'SKIPPED: the npm package deno is not installed: ' : ''}stops with invalid-config, not a retry loop, under Deno without --allow-net`, async () => {
  const args = [
    deno as string,
    'run',
    '--quiet',
    '--no-prompt',
    '--unstable-sloppy-imports',
    '--conditions=@events/source',
    join(here, 'deno', 'deno-denied.ts'),
    `ws://127.0.0.1:${events.server.port}/`,
  ];
  const child = spawn(process.execPath, args, {
    cwd: join(here, '..'),
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: mkdtempSync(join(tmpdir(), 'deno-')) },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code, stderr).toBe(0);
  const result = JSON.parse(stdout.trim()) as { code: string; message: string; phase: string };
  expect(result).toMatchObject({ code: 'invalid-config', phase: 'stopped' });
  expect(result.message).toMatch(/^the socket could not be opened: .*--allow-net/);
}, 60_000);
