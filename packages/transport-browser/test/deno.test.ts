import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { startEventsServer, type TestEventsServer, USER } from './helpers/events-server.js';
import { denoLauncher, spawnDeno } from '../../../tests/support/run-deno.js';
import { createSilentRestHost } from '../../../tests/support/silent-rest-host.js';
import { createTcpProxy, type TcpProxy } from '../../../tests/support/tcp-proxy.js';

// The browser transport under Deno, on Deno's own WebSocket, against the real server through a
// proxy that cuts the connection halfway: Deno's socket must report the loss, and the stream resume.

const here = dirname(fileURLToPath(import.meta.url));
const COUNT = 20;
const deno = denoLauncher();

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
  const { child, exited, output, stop } = spawnDeno(args, { cwd: join(here, '..') });
  onTestFinished(stop);
  const lines: Record<string, unknown>[] = [];
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
  expect(await exited, output().stderr).toBe(0);
  expect(lines).toEqual([
    { connected: 'fresh', runtime: 'deno' },
    { connected: 'resumed', runtime: 'deno' },
    { uuids: events.source.emitted.map(({ event }) => event.uuid) },
  ]);
}, 60_000);

it.skipIf(deno === undefined)(`${deno === undefined ? 'SKIPPED: the npm package deno is not installed: ' : ''}stops with invalid-config, not a retry loop, under Deno without --allow-net`, async () => {
  const args = [
    'run',
    '--quiet',
    '--no-prompt',
    '--unstable-sloppy-imports',
    '--conditions=@events/source',
    join(here, 'deno', 'deno-denied.ts'),
    `ws://127.0.0.1:${events.server.port}/`,
  ];
  const { exited, output, stop } = spawnDeno(args, { cwd: join(here, '..') });
  onTestFinished(stop);
  expect(await exited, output().stderr).toBe(0);
  const result = JSON.parse(output().stdout.trim()) as { code: string; message: string; phase: string };
  expect(result).toMatchObject({ code: 'invalid-config', phase: 'stopped' });
  expect(result.message).toMatch(/^the socket could not be opened: .*--allow-net/);
}, 60_000);

it.skipIf(deno === undefined)(`${deno === undefined ? 'SKIPPED: the npm package deno is not installed: ' : ''}exits once a live tree closed while its REST host never answered (close() aborts the requests)`, async () => {
  // A REST host that accepts and never answers: the tree's lists stay in flight until aborted.
  const silent = await createSilentRestHost();
  onTestFinished(() => silent.close());
  const restHost = silent.url;
  const args = [
    'run',
    '--quiet',
    '--no-prompt',
    '--unstable-sloppy-imports',
    '--conditions=@events/source',
    '--allow-net=127.0.0.1',
    join(here, 'deno', 'deno-tree-close.ts'),
    `ws://127.0.0.1:${events.server.port}/`,
    restHost,
  ];
  // Killed (exit code null) if the run outlives 15 s: the requests held it open.
  const { exited, output, stop } = spawnDeno(args, { cwd: join(here, '..'), timeoutMs: 15_000 });
  onTestFinished(stop);
  expect(await exited, output().stderr).toBe(0);
  expect(JSON.parse(output().stdout.trim())).toEqual({ sync: 'listing', closed: true });
}, 60_000);
