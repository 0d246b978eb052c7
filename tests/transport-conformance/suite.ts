// The transport conformance suite: what every transport must do against a REAL server on
// loopback. Both transports run it (packages/transport-*/test/conformance.test.ts):
//
//   import { runTransportConformance } from '../../../tests/transport-conformance/suite.js';
//   runTransportConformance('node', () => ({ createEventStream, createLiveTree, canPing: true, seesHandshakeStatus: true }));
//
// Each test starts its own server (and proxy) and closes everything it opened afterwards.
import {
  backoffRange,
  type Credentials,
  type DockerCloudEvent,
  type EventStream,
  type EventsError,
  type LiveTree,
  type LiveTreeHandle,
  type LiveTreeOptions,
  OBJECT_TYPES,
  type ObjectType,
  type ReconnectPolicy,
  resourceUriFor,
  type StreamClientOptions,
  type StreamSnapshot,
} from '@events/core';
import { createEventsServer, createSimulatedCloud, type EventsServer, type EventsServerOptions, type SimulatedCloud, silentLogger } from '@events/server';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScriptedSource, type ScriptedSource } from '../support/scripted-source.js';
import { createSilentRestHost } from '../support/silent-rest-host.js';
import { createTcpProxy } from '../support/tcp-proxy.js';
import { activeTimers, createPlainRelay, sleep, until } from './fixtures.js';
import { describeHostileServer } from './hostile-server.js';

/** What a transport package exports, as the suite uses it. */
export interface TransportUnderTest {
  createEventStream(options: StreamClientOptions): EventStream;
  /** As the transports take it: `restHost` defaults to the stream host's origin over http(s). */
  createLiveTree(options: Omit<LiveTreeOptions, 'restHost'> & { readonly restHost?: string }): LiveTreeHandle;
  /**
   * Whether the transport sees WebSocket control frames (pings/pongs), so that a silent plain
   * connection is detected too. Browsers cannot; Node can.
   */
  readonly canPing?: boolean;
  /**
   * Whether the transport sees the HTTP status of a refused upgrade (Node can; browsers see a
   * 1006 close). Without it, a plain server's 401 cannot be told from a network failure; the
   * extended protocol's close 4001 exists for exactly that.
   */
  readonly seesHandshakeStatus?: boolean;
}

const NS = 'acme';
const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: [NS] }];
const CREDENTIALS: Credentials = { username: 'alice', apikey: 'alice-key-123' };
/** Fast enough for tests, same shape as the defaults. */
const POLICY: Partial<ReconnectPolicy> = { baseMs: 60, capMs: 400, floorMs: 20, throttledFloorMs: 200, connectTimeoutMs: 3_000, stableMs: 300 };
const HEARTBEAT_MS = 150;

export function runTransportConformance(name: string, factory: () => TransportUnderTest | Promise<TransportUnderTest>): void {
  describe(`transport conformance: ${name}`, () => {
    let transport: TransportUnderTest;
    const cleanups: (() => unknown)[] = [];
    beforeAll(async () => {
      transport = await factory();
    });
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function startServer(options: Partial<EventsServerOptions> = {}): Promise<{ server: EventsServer; source: ScriptedSource }> {
      const source = createScriptedSource();
      const server = await createEventsServer({
        source,
        users: USERS,
        logger: silentLogger,
        heartbeatMs: HEARTBEAT_MS,
        loginThrottle: { maxFailures: 1_000 },
        ...options,
      });
      cleanups.push(() => server.close());
      return { server, source };
    }

    async function startSimulatedServer(options: Partial<EventsServerOptions> = {}): Promise<{ server: EventsServer; cloud: SimulatedCloud }> {
      const cloud = createSimulatedCloud({ seed: 3, rate: 0, namespaces: [NS], manual: true, stacks: 3, nodeClusters: 1 });
      const server = await createEventsServer({ source: cloud, users: USERS, logger: silentLogger, heartbeatMs: HEARTBEAT_MS, ...options });
      cleanups.push(() => server.close());
      return { server, cloud };
    }

    function openStream(streamHost: string, options: Partial<StreamClientOptions> = {}) {
      const stream = transport.createEventStream({ streamHost, namespace: NS, credentials: CREDENTIALS, policy: POLICY, ...options });
      cleanups.push(() => stream.close());
      const events: DockerCloudEvent[] = [];
      stream.onEvent((event) => events.push(event));
      return { stream, events };
    }

    function openTree(streamHost: string, restHost: string, options: Partial<LiveTreeOptions> = {}): LiveTreeHandle {
      const tree = transport.createLiveTree({ streamHost, restHost, namespace: NS, credentials: CREDENTIALS, policy: POLICY, publishIntervalMs: 20, ...options });
      cleanups.push(() => tree.close());
      return tree;
    }

    const isLive = (s: StreamSnapshot) => s.phase === 'live' && s.outcome !== null;
    const waitLive = (stream: EventStream, what = 'live') => until(() => isLive(stream.getSnapshot()), what, 5_000, () => stream.getSnapshot());

    describe('events and filters', () => {
      it('delivers exactly the events its filter matches, in order, with their positions', async () => {
        const { server, source } = await startServer();
        const { stream, events } = openStream(server.url, { filter: { type: 'service' } });
        const stack = resourceUriFor('stack', 'st-1', NS);
        const byParent = openStream(server.url, { filter: { parent: stack } });
        await waitLive(stream);
        await waitLive(byParent.stream);
        expect(stream.getSnapshot()).toMatchObject({ extended: true, outcome: 'fresh' });
        const sent = [
          source.emit(NS, { type: 'container' }),
          source.emit(NS, { type: 'service' }),
          source.emit(NS, { type: 'service', parents: [stack] }),
          source.emit(NS, { type: 'stack' }),
          source.emit(NS, { type: 'container', parents: [stack] }),
          source.emit(NS, { type: 'service' }),
        ];
        const services = sent.filter((e) => e.type === 'service');
        await until(() => events.length >= services.length && byParent.events.length >= 2, 'filtered events');
        await sleep(50);
        expect(events.map((e) => e.uuid)).toEqual(services.map((e) => e.uuid));
        expect(byParent.events.map((e) => e.uuid)).toEqual(sent.filter((e) => e.parents.includes(stack)).map((e) => e.uuid));
        const head = server.bus.head(NS);
        expect(events.at(-1)?.position).toEqual(head);
        expect(stream.getPosition()?.seq).toBe(head.seq);
      });

      it('is an async iterable that ends on close()', async () => {
        const { server, source } = await startServer();
        const { stream } = openStream(server.url);
        await waitLive(stream);
        const received: string[] = [];
        const loop = (async () => {
          for await (const event of stream) received.push(event.uuid);
        })();
        const sent = [source.emit(NS), source.emit(NS), source.emit(NS)];
        await until(() => received.length === 3, 'iterated events');
        await stream.close();
        await loop;
        expect(received).toEqual(sent.map((e) => e.uuid));
      });

      it('setFilter on a live stream reconnects with the new filter, resuming: nothing lost, nothing of the old filter after', async () => {
        const { server, source } = await startServer();
        const { stream, events } = openStream(server.url, { filter: { type: 'service' } });
        await waitLive(stream);
        const s1 = source.emit(NS, { type: 'service' });
        await until(() => events.length === 1, 'the first service event');
        // An invalid filter changes nothing: it throws, and the connection stays.
        expect(() => stream.setFilter({ type: 'servic' } as never)).toThrow(expect.objectContaining({ code: 'invalid-filter' }));
        expect(stream.getSnapshot()).toMatchObject({ phase: 'live', generation: 1 });
        stream.setFilter({ type: 'container' });
        // Sent while the stream reconnects: the resume picks them up under the new filter.
        const c2 = source.emit(NS, { type: 'container' });
        source.emit(NS, { type: 'service' });
        await until(() => isLive(stream.getSnapshot()) && stream.getSnapshot().generation === 2, 'live again with the new filter', 5_000, () => stream.getSnapshot());
        expect(stream.getSnapshot().outcome).toBe('resumed');
        const c3 = source.emit(NS, { type: 'container' });
        source.emit(NS, { type: 'service' });
        await until(() => events.length >= 3, 'the container events', 5_000, () => events.map((e) => e.type));
        await sleep(50);
        expect(events.map((e) => e.uuid)).toEqual([s1.uuid, c2.uuid, c3.uuid]);
      });

      it('reconnect() on a live stream replaces the connection and resumes: every event once, in order', async () => {
        const { server, source } = await startServer();
        const { stream, events } = openStream(server.url);
        await waitLive(stream);
        const sent = [source.emit(NS)];
        await until(() => events.length === 1, 'the first event');
        stream.reconnect();
        sent.push(source.emit(NS), source.emit(NS));
        await until(() => isLive(stream.getSnapshot()) && stream.getSnapshot().generation === 2, 'live on a new connection', 5_000, () => stream.getSnapshot());
        expect(stream.getSnapshot()).toMatchObject({ outcome: 'resumed', attempt: 0 });
        sent.push(source.emit(NS));
        await until(() => events.length >= sent.length, 'every event', 5_000, () => [events.length, sent.length]);
        await sleep(50);
        expect(events.map((e) => e.uuid)).toEqual(sent.map((e) => e.uuid));
        await until(() => server.connections === 1, 'the old connection gone', 3_000, () => server.connections);
      });

      it('pause() closes the connection and resume() picks up what the server kept: every event once, in order', async () => {
        const { server, source } = await startServer();
        const { stream, events } = openStream(server.url);
        await waitLive(stream);
        const sent = [source.emit(NS)];
        await until(() => events.length === 1, 'the first event');
        stream.pause();
        expect(stream.getSnapshot()).toMatchObject({ paused: true, phase: 'stopped' });
        await until(() => server.connections === 0, 'the connection closed', 3_000, () => server.connections);
        sent.push(source.emit(NS), source.emit(NS));
        await sleep(100);
        expect(events).toHaveLength(1); // nothing read while paused, nothing reconnected
        expect(server.connections).toBe(0);
        stream.resume();
        await until(() => isLive(stream.getSnapshot()), 'live again', 5_000, () => stream.getSnapshot());
        expect(stream.getSnapshot()).toMatchObject({ paused: false, outcome: 'resumed' });
        sent.push(source.emit(NS));
        await until(() => events.length >= sent.length, 'every event', 5_000, () => [events.length, sent.length]);
        await sleep(50);
        expect(events.map((e) => e.uuid)).toEqual(sent.map((e) => e.uuid));
      });

      it('a slow for-await loop pauses the stream at highWaterMark and resumes it: every event once, in order', async () => {
        const { server, source } = await startServer({ retention: { count: 10_000 } });
        const stream = transport.createEventStream({ streamHost: server.url, namespace: NS, credentials: CREDENTIALS, policy: POLICY, highWaterMark: 20 });
        cleanups.push(() => stream.close());
        let pauses = 0;
        stream.subscribe(() => {
          if (stream.getSnapshot().paused) pauses++;
        });
        await waitLive(stream);
        const sent = Array.from({ length: 150 }, () => source.emit(NS));
        const received: string[] = [];
        for await (const event of stream) {
          received.push(event.uuid);
          if (received.length % 10 === 0) await sleep(5); // slower than the socket
          if (received.length === sent.length) break;
        }
        expect(received).toEqual(sent.map((e) => e.uuid));
        expect(pauses).toBeGreaterThan(0);
        expect(stream.getSnapshot().closed).toBe(true); // break closed it
      });

      it('speaks the plain Docker Cloud protocol when extended is false', async () => {
        const { server, source } = await startServer();
        const { stream, events } = openStream(server.url, { extended: false });
        await waitLive(stream);
        expect(stream.getSnapshot()).toMatchObject({ extended: false, outcome: 'fresh' });
        const sent = source.emit(NS);
        await until(() => events.length === 1, 'plain event');
        expect(events[0]).toEqual(sent); // exactly the seven fields, no position
        expect(stream.getPosition()).toBeNull();
      });
    });

    describe('failures', () => {
      for (const extended of [true, false]) {
        it(`stops on bad credentials without a retry storm (${extended ? 'extended: close 4001' : 'plain: HTTP 401'})`, async (context) => {
          context.skip(!extended && !transport.seesHandshakeStatus, 'the transport cannot see the HTTP status of a refused upgrade');
          const { server } = await startServer();
          const { stream } = openStream(server.url, { extended, credentials: { username: 'alice', apikey: 'wrong-key' } });
          const errors: string[] = [];
          stream.onError((error) => errors.push(error.code));
          await expect(stream.runForever()).rejects.toMatchObject({ name: 'EventsError', code: 'auth' });
          expect(stream.getSnapshot()).toMatchObject({ phase: 'stopped', stopReason: 'auth', error: { code: 'auth' } });
          // The server's own words, over a refused upgrade (its body) as in a close frame.
          expect(stream.getSnapshot().error?.message).toMatch(/Invalid username\/API key\.$/);
          expect(stream.getSnapshot().lastClose?.reason).toBe('Invalid username/API key.');
          // Long enough for many retries under this policy, were there any.
          await sleep(1_000);
          expect(server.metrics.snapshot().authFailures.invalid).toBe(1);
          expect(errors).toEqual(['auth']);
          expect(server.connections).toBe(0);
        });
      }

      it('reconnects after a server restart with jittered backoff, and resyncs the new epoch', async () => {
        const first = await startServer();
        const port = first.server.port;
        const clients = Array.from({ length: 6 }, () => openStream(first.server.url));
        for (const { stream } of clients) await waitLive(stream);
        const delays = clients.map(({ stream }) => {
          const delay: number[] = [];
          stream.onState((s) => {
            if (s.status === 'backoff' && s.lastClose?.code === 1001 && delay.length === 0) delay.push((s.retryAt as number) - s.lastClose.at);
          });
          return delay;
        });
        await first.server.close();
        const second = await startServer({ port });
        await until(() => clients.every(({ stream }) => isLive(stream.getSnapshot())), 'all reconnected', 8_000);
        for (const { stream } of clients) expect(stream.getSnapshot().outcome).toBe('resynced'); // a new epoch: the old position is void
        const { min, max } = backoffRange({ failures: 1, kind: 'transient' }, { ...POLICY_DEFAULTS, ...POLICY });
        const firstDelays = delays.map((d) => d[0] as number);
        for (const delay of firstDelays) {
          expect(delay).toBeGreaterThanOrEqual(min);
          expect(delay).toBeLessThanOrEqual(max);
        }
        expect(new Set(firstDelays).size).toBeGreaterThan(1); // jitter: not all at the same instant
        const event = second.source.emit(NS);
        await until(() => clients.every(({ events }) => events.at(-1)?.uuid === event.uuid), 'event after restart');
      });

      it('delivers every event exactly once and in order while the network drops connections mid-stream', async () => {
        const { server, source } = await startServer({ retention: { count: 10_000 } });
        const proxy = await createTcpProxy(server.port);
        cleanups.push(() => proxy.close());
        const { stream, events } = openStream(proxy.url);
        await waitLive(stream);
        const outcomes = new Set<string>();
        stream.onState((s) => {
          if (s.outcome !== null) outcomes.add(s.outcome);
        });
        for (let round = 0; round < 8; round++) {
          for (let i = 0; i < 25; i++) {
            source.emit(NS);
            if (i === (round * 7) % 25) proxy.dropAll();
            if (i % 5 === 0) await sleep(round % 3);
          }
          await sleep(10);
        }
        const log = source.emitted.map((e) => e.event.uuid);
        await until(() => events.length >= log.length, 'all events', 10_000, () => [events.length, log.length]);
        await sleep(50);
        expect(events.map((e) => e.uuid)).toEqual(log);
        expect(outcomes.has('resumed')).toBe(true);
        expect(stream.getSnapshot().generation).toBeGreaterThan(1);
      });

      it('detects a silent server and replaces the connection (extended heartbeats)', async () => {
        const { server, source } = await startServer();
        const proxy = await createTcpProxy(server.port);
        cleanups.push(() => proxy.close());
        const { stream, events } = openStream(proxy.url);
        await waitLive(stream);
        proxy.freezeAll();
        const frozenAt = Date.now();
        await until(() => stream.getSnapshot().lastClose?.kind === 'idle-timeout', 'idle timeout', 3_000);
        // heartbeatFactor (2.5) × heartbeatMs, not much more.
        expect(Date.now() - frozenAt).toBeLessThan(HEARTBEAT_MS * 2.5 + 1_000);
        await until(() => isLive(stream.getSnapshot()) && stream.getSnapshot().generation >= 2, 'replaced', 3_000);
        const event = source.emit(NS);
        await until(() => events.at(-1)?.uuid === event.uuid, 'event on the new connection');
      });

      it('detects a silent plain connection through pings, where the transport can ping', async (context) => {
        context.skip(!transport.canPing, 'the transport cannot see WebSocket pings and pongs');
        const { server } = await startServer();
        const proxy = await createTcpProxy(server.port);
        cleanups.push(() => proxy.close());
        const { stream } = openStream(proxy.url, { extended: false, pingIntervalMs: 100, policy: { ...POLICY, idleTimeoutMs: 500 } });
        await waitLive(stream);
        await sleep(1_000); // twice the idle timeout without a single event: the pongs keep it up
        expect(stream.getSnapshot()).toMatchObject({ phase: 'live', generation: 1 });
        proxy.freezeAll();
        await until(() => stream.getSnapshot().lastClose?.kind === 'idle-timeout', 'idle timeout', 3_000);
        await until(() => isLive(stream.getSnapshot()) && stream.getSnapshot().generation >= 2, 'replaced', 3_000);
      });
    });

    describe('resync and the live tree', () => {
      it('resyncs when an outage outlasts the retention, to a store equal to the server REST state', async () => {
        const { server, cloud } = await startSimulatedServer({ retention: { count: 5 } });
        const proxy = await createTcpProxy(server.port);
        cleanups.push(() => proxy.close());
        const tree = openTree(proxy.url, server.url);
        await until(() => tree.getSnapshot().sync.status === 'live', 'seeded');
        for (let i = 0; i < 5; i++) cloud.step(NS);
        await until(() => tree.getSnapshot().eventsApplied >= 5, 'live events');
        proxy.block(true);
        proxy.dropAll();
        await until(() => tree.getSnapshot().connection.phase !== 'live', 'disconnected');
        expect(tree.getSnapshot().sync.status).toBe('stale');
        for (let i = 0; i < 60; i++) cloud.step(NS); // far more than the 5 retained
        proxy.block(false);
        await until(() => tree.getSnapshot().connection.resyncPending || tree.getSnapshot().lastResync !== null, 'resync started', 5_000);
        for (let i = 0; i < 5; i++) cloud.step(NS); // while it lists: buffered, then applied
        await until(() => tree.getSnapshot().lastResync !== null && tree.getSnapshot().sync.status === 'live', 'resynced', 5_000);
        expect(tree.getSnapshot().connection.outcome).toBe('resynced');
        const report = tree.getSnapshot().lastResync;
        expect((report?.created ?? 0) + (report?.updated ?? 0) + (report?.deleted ?? 0)).toBeGreaterThan(0);
        await expectTreeEqualsRest(tree, server);
      });

      it('re-lists on every reconnect to a Docker Cloud-style server that ignores the subprotocol', async () => {
        const { server, cloud } = await startSimulatedServer();
        const relay = await createPlainRelay(server.url);
        cleanups.push(() => relay.close());
        const { stream, events } = openStream(relay.url); // extended offered, not granted
        const phases = [stream.getSnapshot().phase];
        stream.subscribe(() => phases.push(stream.getSnapshot().phase));
        const tree = openTree(relay.url, server.url);
        await waitLive(stream);
        expect(stream.getSnapshot()).toMatchObject({ extended: false, outcome: 'fresh' });
        // A runtime that refuses the ungranted offer retries at once: still the first connection to the user.
        expect(phases).not.toContain('reconnecting');
        await until(() => tree.getSnapshot().sync.status === 'live', 'seeded');
        cloud.step(NS);
        await until(() => events.length > 0 && tree.getSnapshot().eventsApplied > 0, 'plain events');
        expect(events[0]?.position).toBeUndefined();
        expect(tree.getSnapshot().lastResync).toBeNull();
        relay.dropAll();
        for (let i = 0; i < 20; i++) cloud.step(NS); // lost by the stream: only a re-list recovers them
        await until(() => tree.getSnapshot().lastResync !== null && tree.getSnapshot().sync.status === 'live', 're-listed', 5_000);
        await expectTreeEqualsRest(tree, server);
      });

      it('runs operations over REST and sees their events', async () => {
        const { server, cloud } = await startSimulatedServer();
        const tree = openTree(server.url, server.url);
        await until(() => tree.getSnapshot().sync.status === 'live', 'seeded');
        const service = tree.getSnapshot().tree.ofType('service').find((s) => s.state === 'Running');
        expect(service).toBeDefined();
        const uri = service?.resource_uri as string;
        const { actionUri } = await tree.operate(uri, 'redeploy');
        expect(actionUri).toMatch(/^\/api\/audit\/v1\/action\/[0-9a-f-]+\/$/);
        cloud.drainOperations(NS);
        await until(() => tree.getSnapshot().tree.has(actionUri as string), 'the action reached the tree');
        const fetched = await tree.fetchObject(uri);
        expect(fetched).toMatchObject({ resource_uri: uri, name: (service?.fields as { name: string } | null)?.name });
        await expect(tree.operate(resourceUriFor('service', 'no-such-service', NS), 'stop')).rejects.toMatchObject({ code: 'http' });
      });
    });

    describe('hosts', () => {
      it('asks the REST API of the stream host when no REST host is named, and never assumes a host', async () => {
        const { server } = await startSimulatedServer();
        const tree = transport.createLiveTree({ streamHost: server.url.replace(/^http/, 'ws'), namespace: NS, credentials: CREDENTIALS, policy: POLICY, publishIntervalMs: 20 });
        cleanups.push(() => tree.close());
        await until(() => tree.getSnapshot().sync.status === 'live', 'seeded from the REST API beside the stream', 5_000);
        await expectTreeEqualsRest(tree, server);
        // Credentials and no host: an error at once, not a connection to Docker Cloud's old hosts.
        expect(() => transport.createEventStream({ credentials: CREDENTIALS } as StreamClientOptions)).toThrow(expect.objectContaining({ code: 'invalid-config', message: expect.stringMatching(/^no stream host/) }));
        expect(() => transport.createLiveTree({ credentials: CREDENTIALS } as LiveTreeOptions)).toThrow(/^no stream host/);
      });
    });

    describe('closing', () => {
      it('close() leaves no sockets and no timers behind, live or in backoff', async () => {
        const { server, source } = await startServer();
        const baseline = activeTimers();
        const { stream, events } = openStream(server.url);
        await waitLive(stream);
        source.emit(NS);
        await until(() => events.length === 1, 'event');
        expect(server.connections).toBe(1);
        await stream.close();
        await until(() => server.connections === 0, 'server connection gone');
        await until(() => activeTimers() <= baseline, 'timers back to baseline', 3_000, () => [activeTimers(), baseline]);
        expect(stream.getSnapshot()).toMatchObject({ closed: true, phase: 'stopped' });

        const proxy = await createTcpProxy(server.port);
        cleanups.push(() => proxy.close());
        proxy.block(true);
        const refused = openStream(proxy.url);
        await until(() => refused.stream.getSnapshot().status === 'backoff', 'backoff');
        await refused.stream.close();
        await until(() => activeTimers() <= baseline, 'no retry timer left', 3_000, () => [activeTimers(), baseline]);
      });

      it('an AbortSignal closes the stream and the live tree, and resolves runForever', async () => {
        const { server } = await startServer();
        const baseline = activeTimers();
        const controller = new AbortController();
        const { stream } = openStream(server.url, { signal: controller.signal });
        const tree = openTree(server.url, server.url, { signal: controller.signal });
        await waitLive(stream);
        await until(() => tree.getSnapshot().sync.status === 'live', 'tree live');
        const forever = stream.runForever();
        controller.abort();
        await forever;
        await tree.close();
        await until(() => server.connections === 0, 'server connections gone');
        await until(() => activeTimers() <= baseline, 'timers back to baseline', 3_000, () => [activeTimers(), baseline]);
        expect(stream.getSnapshot().closed).toBe(true);
      });
      for (const how of ['close()', 'its signal'] as const) {
        it(`a live tree closed by ${how} while it lists aborts its REST requests in flight, and reports nothing`, async () => {
          const { server } = await startServer();
          const rest = await createSilentRestHost();
          cleanups.push(() => rest.close());
          const controller = new AbortController();
          const errors: EventsError[] = [];
          const tree = openTree(server.url, rest.url, { signal: controller.signal, onError: (error) => errors.push(error) });
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
    });

    describeHostileServer(() => transport);

    describe('exactly once (property)', () => {
      type Action = { kind: 'emit'; count: number } | { kind: 'drop' } | { kind: 'outage'; count: number } | { kind: 'pause'; ms: number };
      const action: fc.Arbitrary<Action> = fc.oneof(
        { weight: 4, arbitrary: fc.record({ kind: fc.constant('emit' as const), count: fc.integer({ min: 1, max: 30 }) }) },
        { weight: 2, arbitrary: fc.constant({ kind: 'drop' as const }) },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant('outage' as const), count: fc.integer({ min: 0, max: 40 }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 30 }) }) },
      );

      it('random disconnects and server-side drops within the retention: the delivered uuids equal the server log', async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 12 }), async (actions) => {
            const { server, source } = await startServer({ retention: { count: 1_000 } });
            const proxy = await createTcpProxy(server.port);
            const { stream, events } = openStream(proxy.url);
            try {
              await waitLive(stream);
              for (const step of actions) {
                switch (step.kind) {
                  case 'emit':
                    for (let i = 0; i < step.count; i++) source.emit(NS);
                    break;
                  case 'drop':
                    proxy.dropAll();
                    break;
                  case 'outage':
                    // The network goes away, events happen, it comes back.
                    proxy.block(true);
                    proxy.dropAll();
                    for (let i = 0; i < step.count; i++) source.emit(NS);
                    await sleep(30);
                    proxy.block(false);
                    break;
                  case 'pause':
                    await sleep(step.ms);
                    break;
                }
              }
              const log = source.emitted.map((e) => e.event.uuid);
              await until(() => events.length >= log.length, 'all delivered', 8_000, () => [events.length, log.length]);
              await sleep(20);
              expect(events.map((e) => e.uuid)).toEqual(log);
            } finally {
              await stream.close();
              await proxy.close();
              await server.close();
            }
          }),
          { numRuns: 6, endOnFailure: true },
        );
      });
    });
  });
}

/** The documented defaults of the backoff fields (for backoffRange). */
const POLICY_DEFAULTS = { baseMs: 800, capMs: 30_000, floorMs: 250, throttledFloorMs: 5_000, throttledBoost: 2, maxHintMs: 300_000 };

/** Waits until every object of the tree has the state the server's REST lists give it, and no more. */
async function expectTreeEqualsRest(tree: LiveTree, server: EventsServer): Promise<void> {
  const auth = `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.apikey}`).toString('base64')}`;
  const rest = new Map<ObjectType, string[]>();
  for (const type of OBJECT_TYPES) {
    const path = type === 'action' ? `/api/audit/v1/${NS}/action/` : `/api/${type === 'node' || type === 'nodecluster' ? 'infra' : 'app'}/v1/${NS}/${type}/`;
    const response = await fetch(`${server.url}${path}?limit=1000`, { headers: { Authorization: auth } });
    const body = (await response.json()) as { objects: { resource_uri: string; state: string }[] };
    rest.set(type, body.objects.map((o) => `${o.resource_uri} ${o.state}`).sort());
  }
  const local = () => new Map(OBJECT_TYPES.map((type) => [type, tree.getSnapshot().tree.ofType(type).map((o) => `${o.resource_uri} ${o.state}`).sort()]));
  const same = () => OBJECT_TYPES.every((type) => JSON.stringify(local().get(type)) === JSON.stringify(rest.get(type)));
  await until(same, 'tree equals the REST state', 5_000, () =>
    OBJECT_TYPES.filter((type) => JSON.stringify(local().get(type)) !== JSON.stringify(rest.get(type))).map((type) => {
      const mine = new Set(local().get(type));
      const theirs = new Set(rest.get(type));
      return { type, onlyInTree: [...mine].filter((x) => !theirs.has(x)), onlyInRest: [...theirs].filter((x) => !mine.has(x)) };
    }),
  );
  for (const type of OBJECT_TYPES) expect(local().get(type)).toEqual(rest.get(type));
}
