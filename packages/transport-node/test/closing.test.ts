// What close() leaves behind, against a real server on loopback: a live tree's REST requests in
// flight go with it (a REST host that never answers held a closed tree's process open).
import { createEventsServer, silentLogger } from '@events/server';
import { afterEach, expect, it } from 'vitest';
import { createScriptedSource } from '../../../tests/support/scripted-source.js';
import { createSilentRestHost } from '../../../tests/support/silent-rest-host.js';
import { until } from '../../../tests/transport-conformance/fixtures.js';
import { createLiveTree, type EventsError } from '../src/index.js';

const NS = 'acme';
const CREDENTIALS = { username: 'alice', apikey: 'alice-key-123' };
const POLICY = { baseMs: 60, capMs: 400, floorMs: 20, throttledFloorMs: 200, connectTimeoutMs: 3_000, stableMs: 300 };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

for (const how of ['close()', 'its signal'] as const) {
  it(`a live tree closed by ${how} while it lists aborts its REST requests in flight, and reports nothing`, async () => {
    const source = createScriptedSource();
    const server = await createEventsServer({ source, users: [{ ...CREDENTIALS, namespaces: [NS] }], logger: silentLogger, heartbeatMs: 150 });
    cleanups.push(() => server.close());
    const rest = await createSilentRestHost();
    cleanups.push(() => rest.close());
    const controller = new AbortController();
    const errors: EventsError[] = [];
    const tree = createLiveTree({
      env: {},
      streamHost: server.url,
      restHost: rest.url,
      namespace: NS,
      credentials: CREDENTIALS,
      policy: POLICY,
      signal: controller.signal,
      onError: (error) => errors.push(error),
    });
    cleanups.push(() => tree.close());
    // One list per type, all sent, none answered.
    await until(() => rest.inFlight() === 6 && tree.getSnapshot().sync.status === 'listing', 'six list requests in flight', 5_000, () => rest.inFlight());
    // A request the caller made is aborted too: it rejects rather than hang.
    const fetched = tree.fetchObject(`/api/app/v1/${NS}/service/8b1f0c2e-0d4e-4a39-9a57-8e2f7c1d5b60/`).then(() => 'answered', (error: unknown) => error);
    await until(() => rest.inFlight() === 7, 'the fetchObject request in flight', 5_000, () => rest.inFlight());
    if (how === 'close()') await tree.close();
    else controller.abort();
    await until(() => rest.inFlight() === 0, 'the requests aborted', 2_000, () => rest.inFlight());
    expect(await fetched).toMatchObject({ name: 'EventsError', code: 'connection', message: expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:\d+\/api\/app\/v1\/acme\/service\/[\w-]+\/ failed: /) });
    expect(tree.getSnapshot().connection).toMatchObject({ phase: 'stopped' });
    expect(tree.stream.getSnapshot().closed).toBe(true); // the tree's connection is a ConnectionSummary, without the stream's flags
    expect(errors).toEqual([]);
  });
}
