// What the snapshots say, against a real server on loopback (QA findings F7, F9, F10): an extended
// connection is `live` only once its hello arrived, the first `stopped` already carries its
// error, setFilter while offline opens no socket, and a closed live tree says it stopped.
import type { StreamSnapshot } from '@events/core';
import { createEventsServer, type EventsServer, silentLogger } from '@events/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createScriptedSource, type ScriptedSource } from '../../../tests/support/scripted-source.js';
import { until } from '../../../tests/transport-conformance/fixtures.js';
import { createEventStream, createLiveTree } from '../src/index.js';

const NS = 'acme';
const CREDENTIALS = { username: 'alice', apikey: 'alice-key-123' };
const POLICY = { baseMs: 60, capMs: 400, floorMs: 20, throttledFloorMs: 200, connectTimeoutMs: 3_000, stableMs: 300 };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(): Promise<{ server: EventsServer; source: ScriptedSource }> {
  const source = createScriptedSource();
  const server = await createEventsServer({ source, users: [{ ...CREDENTIALS, namespaces: [NS] }], logger: silentLogger, heartbeatMs: 150 });
  cleanups.push(() => server.close());
  return { server, source };
}

type Seen = Pick<StreamSnapshot, 'phase' | 'status' | 'outcome'> & { readonly error: string | null };
const seen = (s: StreamSnapshot): Seen => ({ phase: s.phase, status: s.status, outcome: s.outcome, error: s.error?.code ?? null });

describe('honest snapshots (node, real server)', () => {
  it('never shows live for an extended connection refused after the upgrade; the first stopped carries the error', async () => {
    const { server } = await startServer();
    const states: Seen[] = [];
    const stream = createEventStream({
      env: {},
      streamHost: server.url,
      namespace: NS,
      credentials: { username: 'alice', apikey: 'wrong-key' },
      policy: POLICY,
      onState: (s) => states.push(seen(s)),
    });
    cleanups.push(() => stream.close());
    await expect(stream.runForever()).rejects.toMatchObject({ code: 'auth' });
    expect(stream.getSnapshot().lastClose).toMatchObject({ code: 4001 }); // accepted, then refused
    expect(states.map((s) => s.phase)).not.toContain('live');
    expect(states.filter((s) => s.phase === 'stopped')).toEqual([{ phase: 'stopped', status: 'stopped', outcome: null, error: 'auth' }]);
  });

  it('shows live on an extended connection only once the hello said how it met the stream', async () => {
    const { server } = await startServer();
    const states: Seen[] = [];
    const stream = createEventStream({ env: {}, streamHost: server.url, namespace: NS, credentials: CREDENTIALS, policy: POLICY, onState: (s) => states.push(seen(s)) });
    cleanups.push(() => stream.close());
    await until(() => stream.getSnapshot().phase === 'live', 'live');
    expect(stream.getSnapshot()).toMatchObject({ extended: true, outcome: 'fresh' });
    expect(states).toContainEqual({ phase: 'connecting', status: 'open', outcome: null, error: null });
    for (const s of states.filter((x) => x.phase === 'live')) expect(s.outcome).not.toBeNull();
  });

  it('keeps a filter set while offline and uses it once back online, with no socket in between', async () => {
    const { server, source } = await startServer();
    const stream = createEventStream({ env: {}, streamHost: server.url, namespace: NS, credentials: CREDENTIALS, policy: POLICY, online: false });
    cleanups.push(() => stream.close());
    const types: string[] = [];
    stream.onEvent((event) => types.push(event.type));
    stream.setFilter({ type: 'service' });
    expect(stream.getSnapshot()).toMatchObject({ phase: 'offline', generation: 0 });
    expect(server.connections).toBe(0);
    stream.setOnline(true);
    await until(() => stream.getSnapshot().phase === 'live', 'live');
    source.emit(NS, { type: 'container' });
    const service = source.emit(NS, { type: 'service' });
    await until(() => types.length > 0, 'the service event');
    expect(types).toEqual([service.type]);
  });

  it('publishes the closed live tree once, as stopped', async () => {
    const { server } = await startServer();
    const tree = createLiveTree({ env: {}, streamHost: server.url, restHost: server.url, namespace: NS, credentials: CREDENTIALS, policy: POLICY, publishIntervalMs: 20 });
    cleanups.push(() => tree.close());
    await until(() => tree.getSnapshot().sync.status === 'live', 'seeded');
    const phases: string[] = [];
    tree.subscribe(() => phases.push(tree.getSnapshot().connection.phase));
    await tree.close();
    expect(phases).toEqual(['stopped']);
    expect(tree.getSnapshot()).toMatchObject({ connection: { phase: 'stopped', stopReason: 'stop' }, sync: { status: 'stale' } });
  });
});
