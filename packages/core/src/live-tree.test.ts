import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DockerCloudEvent } from './event-schema.js';
import { EventsError } from './events-error.js';
import { RESUME_SUBPROTOCOL } from './extended-protocol.js';
import { createFilter, type EventFilter, MATCH_ALL, matchesFilter, parseFilter } from './filter.js';
import { createLiveTree, type LiveTreeOptions } from './live-tree.js';
import type { ObjectType } from './object-types.js';
import type { SocketHandlers } from './stream-port.js';
import { createFakeStreamPort, createSeededRandom, type FakeHttpCall, type FakeSocket, type FakeStreamPort } from './testing/index.js';

const EPOCH = 'ep1';
const NS = 'acme';
const BASIC = 'Basic YWxpY2U6YWxpY2Uta2V5LTEyMw==';
const uri = (type: ObjectType, id: string) =>
  type === 'action' ? `/api/audit/v1/action/${id}/` : `/api/${type === 'node' || type === 'nodecluster' ? 'infra' : 'app'}/v1/${NS}/${type}/${id}/`;

const STACK = uri('stack', 'st1');
const SERVICE = uri('service', 'sv1');
const CONTAINER = (n: number) => uri('container', `c${n}`);

/** A small account as the REST lists give it. */
function world(containers: Record<string, string> = { c1: 'Running', c2: 'Running' }) {
  return {
    nodecluster: [],
    node: [],
    stack: [{ uuid: 'st1', resource_uri: STACK, state: 'Running', name: 'web', services: [SERVICE] }],
    service: [{ uuid: 'sv1', resource_uri: SERVICE, state: 'Running', name: 'app', stack: STACK, target_num_containers: 2 }],
    container: Object.entries(containers).map(([id, state]) => ({ uuid: id, resource_uri: uri('container', id), state, name: id, service: SERVICE })),
    action: [],
  } as Record<ObjectType, unknown[]>;
}

let n = 0;
function containerEvent(c: number, state: string, seq: number | null, action: 'update' | 'create' | 'delete' = 'update'): DockerCloudEvent {
  n++;
  return {
    type: 'container',
    action,
    parents: [SERVICE, STACK],
    resource_uri: CONTAINER(c),
    state: state as DockerCloudEvent['state'],
    uuid: `ev${n}`,
    datetime: '2026-11-27T09:01:33Z',
    ...(seq !== null && { position: { epoch: EPOCH, seq } }),
  };
}

function setup(options: Partial<LiveTreeOptions> = {}, port: FakeStreamPort = createFakeStreamPort()) {
  const errors: EventsError[] = [];
  const tree = createLiveTree(
    {
      streamHost: 'ws://h:1/',
      restHost: 'http://h:1/',
      namespace: NS,
      credentials: { username: 'alice', apikey: 'alice-key-123' },
      onError: (e) => errors.push(e),
      ...options,
    },
    port,
  );
  let publishes = 0;
  tree.subscribe(() => publishes++);
  return { port, tree, errors, publishes: () => publishes };
}

/** Answers every pending list call from `lists`, with the position header when given. */
function answerLists(port: FakeStreamPort, lists: Record<ObjectType, unknown[]>, seq: number | null): void {
  for (const call of port.pending()) {
    const type = typeOfListCall(call);
    call.respond({
      status: 200,
      body: { meta: { limit: 1000, offset: 0, total_count: lists[type].length, next: null, previous: null }, objects: lists[type] },
      headers: seq === null ? {} : { 'X-Events-Position': `${EPOCH}:${seq}` },
    });
  }
}

function typeOfListCall(call: FakeHttpCall): ObjectType {
  const match = /\/(stack|service|container|nodecluster|node|action)\/(\?|$)/.exec(call.request.url);
  if (match === null) throw new Error(`not a list call: ${call.request.url}`);
  return match[1] as ObjectType;
}

const ticks = async (n = 10) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};
/** Keeps the stream alive as the server does (position markers) while the clock runs `ms`. */
const advanceLive = (port: FakeStreamPort, ms: number) => {
  for (let left = ms; left > 0; left -= 1_000) {
    port.last().send({ type: 'position', position: { epoch: EPOCH, seq: 1 } });
    port.clock.advance(Math.min(1_000, left));
  }
};
const listedTypes = (port: FakeStreamPort) => port.pending().map(typeOfListCall).sort();
const stateOf = (tree: ReturnType<typeof setup>['tree'], u: string) => tree.getSnapshot().tree.get(u)?.state;

describe('seeding', () => {
  it('lists the six types once the stream says where it starts, with the Authorization header', async () => {
    const { port, tree } = setup();
    expect(port.calls).toHaveLength(0); // not before the hello: its position bounds the lists
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 10 }, heartbeatMs: 15_000 });
    expect(port.calls.map((c) => c.request.url).sort()).toEqual(
      [
        'http://h:1/api/app/v1/acme/container/?limit=1000',
        'http://h:1/api/app/v1/acme/service/?limit=1000',
        'http://h:1/api/app/v1/acme/stack/?limit=1000',
        'http://h:1/api/audit/v1/acme/action/?limit=1000',
        'http://h:1/api/infra/v1/acme/node/?limit=1000',
        'http://h:1/api/infra/v1/acme/nodecluster/?limit=1000',
      ].sort(),
    );
    for (const call of port.calls) expect(call.request).toMatchObject({ method: 'GET', headers: { Authorization: BASIC } });
    expect(tree.getSnapshot().sync).toEqual({ status: 'listing' });
    answerLists(port, world(), 10);
    await ticks();
    expect(tree.getSnapshot()).toMatchObject({ sync: { status: 'live' }, lastResync: null });
    expect(tree.getSnapshot().tree.size).toBe(4);
    expect(tree.getSnapshot().tree.children(SERVICE).map((c) => c.uuid)).toEqual(['c1', 'c2']);
  });

  it('buffers events while listing and skips those each list already reflects (X-Events-Position)', async () => {
    const { port, tree } = setup();
    const delivered: string[] = [];
    tree.onEvent((e) => delivered.push(e.uuid));
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 10 }, heartbeatMs: 15_000 });
    // Events 11 and 12 happened before the lists were read (the lists show their result), 13 after.
    const reflected = [containerEvent(1, 'Stopping', 11), containerEvent(1, 'Stopped', 12)];
    const after = containerEvent(2, 'Stopped', 13);
    for (const e of [...reflected, after]) port.last().send(e);
    expect(tree.getSnapshot().tree.size).toBe(0);
    // c1 is Stopped in the list; were event 11 re-applied it would go back to Stopping.
    answerLists(port, world({ c1: 'Stopped', c2: 'Running' }), 12);
    await ticks();
    expect(stateOf(tree, CONTAINER(1))).toBe('Stopped');
    expect(stateOf(tree, CONTAINER(2))).toBe('Stopped');
    // Listeners (line mode, the events pane) still see every event the stream delivered, in order;
    // only the store skipped the two its lists already reflected.
    expect(delivered).toEqual([...reflected, after].map((e) => e.uuid));
    expect(tree.getSnapshot().eventsApplied).toBe(1);
  });

  it("lists the followed namespace's actions, falling back to Docker Cloud's un-namespaced list on 404", async () => {
    const { port, tree } = setup({ filter: { type: 'action' } });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    expect(port.calls.map((c) => c.request.url)).toEqual(['http://h:1/api/audit/v1/acme/action/?limit=1000']);
    port.calls[0]?.respond({ status: 404, body: { detail: 'Not found.' } });
    await ticks();
    expect(port.calls[1]?.request.url).toBe('http://h:1/api/audit/v1/action/?limit=1000');
    answerLists(port, { ...world(), action: [] }, 1);
    await ticks();
    expect(tree.getSnapshot().sync).toEqual({ status: 'live' });
  });

  it('follows `next` pages under the host prefix, and keeps the oldest page position', async () => {
    const port = createFakeStreamPort();
    const { tree } = setup({ restHost: 'http://h:1/prefix/', filter: { type: 'container' } }, port);
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    expect(port.calls.map((c) => c.request.url)).toEqual(['http://h:1/prefix/api/app/v1/acme/container/?limit=1000']);
    const objects = world({ c1: 'Running', c2: 'Running', c3: 'Running' }).container;
    const page = (offset: number, next: string | null, seq: number) => ({
      status: 200,
      body: { meta: { limit: 2, offset, total_count: 3, next, previous: null }, objects: objects.slice(offset, offset + 2) },
      headers: { 'X-Events-Position': `${EPOCH}:${seq}` },
    });
    port.calls[0]?.respond(page(0, '/api/app/v1/acme/container/?limit=2&offset=2', 5));
    port.last().send(containerEvent(1, 'Stopped', 6)); // after page 1, before page 2: must not be skipped
    await ticks();
    expect(port.calls[1]?.request.url).toBe('http://h:1/prefix/api/app/v1/acme/container/?limit=2&offset=2');
    port.calls[1]?.respond(page(2, null, 9));
    await ticks();
    expect(tree.getSnapshot().tree.ofType('container')).toHaveLength(3);
    expect(stateOf(tree, CONTAINER(1))).toBe('Stopped');
  });

  it('puts the credentials in the query where the runtime cannot set headers', async () => {
    const port = createFakeStreamPort({ canSetHeaders: false });
    setup({ filter: { type: 'stack' } }, port);
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    expect(port.calls[0]?.request.url).toBe(`http://h:1/api/app/v1/acme/stack/?limit=1000&auth=${BASIC.replace(' ', '+').replace(/=/g, '%3D')}`);
    expect(port.calls[0]?.request.headers).toEqual({ Accept: 'application/json' });
  });

  it('retries a failed listing with backoff on the port timers, reporting the error', async () => {
    const { port, tree, errors } = setup({ filter: { type: 'stack' } });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    port.calls[0]?.respond({ status: 503, body: { detail: 'The simulator source is unavailable.' } });
    await ticks();
    expect(errors.map((e) => [e.code, e.message])).toEqual([['throttled', 'GET stack list: HTTP 503: The simulator source is unavailable.']]);
    // The snapshot says why the listing waits, so a UI need not show "listing…" with no reason.
    expect(tree.getSnapshot().sync).toEqual({ status: 'listing', failure: { message: 'GET stack list: HTTP 503: The simulator source is unavailable.', attempts: 1 } });
    expect(port.calls).toHaveLength(1);
    port.clock.advance(10_000);
    expect(port.calls).toHaveLength(2);
    // A network failure names its cause, as fetch hides it there.
    port.calls[1]?.fail('fetch failed', 'connect ECONNREFUSED 127.0.0.1:18799');
    await ticks();
    expect(tree.getSnapshot().sync).toMatchObject({ status: 'listing', failure: { attempts: 2, message: expect.stringMatching(/ failed: fetch failed \(connect ECONNREFUSED 127\.0\.0\.1:18799\)$/) } });
    // The next retry, the stream kept alive meanwhile by the server's position markers.
    for (let i = 0; i < 60 && port.calls.length < 3; i++) {
      port.last().send({ type: 'position', position: { epoch: EPOCH, seq: 1 } });
      port.clock.advance(1_000);
    }
    expect(port.calls).toHaveLength(3);
    answerLists(port, world(), 1);
    await ticks();
    expect(tree.getSnapshot().sync).toEqual({ status: 'live' });
  });

  it('retries a failed listing even when the onError callback throws; the exception surfaces outside', async () => {
    const rethrown: unknown[] = [];
    const collect = (error: unknown) => rethrown.push(error);
    process.on('unhandledRejection', collect);
    try {
      const { port, tree } = setup({
        filter: { type: 'stack' },
        onError: () => {
          throw new Error('a broken onError');
        },
      });
      port.last().open(RESUME_SUBPROTOCOL);
      port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
      port.calls[0]?.respond({ status: 500, body: { detail: 'boom' } });
      await ticks();
      expect(tree.getSnapshot().sync).toEqual({ status: 'listing', failure: { message: 'GET stack list: HTTP 500: boom', attempts: 1 } });
      advanceLive(port, 10_000);
      expect(port.calls).toHaveLength(2);
      answerLists(port, world(), 1);
      await ticks();
      expect(tree.getSnapshot().sync).toEqual({ status: 'live' });
      await new Promise((resolve) => setTimeout(resolve, 0)); // unhandled rejections are reported after the microtasks
      expect(rethrown).toEqual([new Error('a broken onError')]);
    } finally {
      process.off('unhandledRejection', collect);
    }
  });

  it('retries a failed listing with the reconnect policy of its options', async () => {
    const { port } = setup({ filter: { type: 'stack' }, policy: { floorMs: 2_000, baseMs: 3_000, capMs: 3_000, throttledFloorMs: 3_000 } });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    port.calls[0]?.respond({ status: 500, body: { detail: 'boom' } });
    await ticks();
    advanceLive(port, 1_999);
    expect(port.calls).toHaveLength(1); // the default policy's floor is 250 ms
    advanceLive(port, 1_001);
    expect(port.calls).toHaveLength(2);
  });

  it("honours a 429 or 503 answer's Retry-After: the retry comes no sooner", async () => {
    for (const status of [429, 503]) {
      const { port, errors } = setup({ filter: { type: 'stack' } });
      port.last().open(RESUME_SUBPROTOCOL);
      port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
      port.calls[0]?.respond({ status, headers: { 'Retry-After': '20' }, body: { detail: 'Busy.' } });
      await ticks();
      expect(errors.map((e) => e.code)).toEqual(['throttled']);
      advanceLive(port, 19_999);
      expect(port.calls).toHaveLength(1); // without the hint: within 10 s (the throttled ceiling)
      // The hint shifts the throttled jitter window (5 s wide) rather than replacing it.
      advanceLive(port, 5_001);
      expect(port.calls).toHaveLength(2);
    }
  });

  it("holds a listing that replaces one waiting out a Retry-After to the server's wait (setFilter, reconnect); our own backoff it cuts short", async () => {
    // setFilter during the wait: the listing of the new filter's first connection waits too.
    const { port, tree } = setup({ filter: { type: 'stack' } });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    port.calls[0]?.respond({ status: 429, headers: { 'Retry-After': '20' }, body: { detail: 'Busy.' } });
    await ticks();
    advanceLive(port, 2_000);
    tree.setFilter({ type: ['stack', 'service'] });
    port.clock.advance(0); // setFilter opens the new socket on a port timer of 0 ms
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'resumed', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    expect(port.calls).toHaveLength(1);
    // It says why it waits: the failure of the listing it replaced.
    expect(tree.getSnapshot().sync).toEqual({ status: 'listing', failure: { message: 'GET stack list: HTTP 429: Busy.', attempts: 1 } });
    advanceLive(port, 17_999);
    expect(port.calls).toHaveLength(1);
    // At the end of the server's wait exactly, without the jitter a retry adds: the user acted.
    advanceLive(port, 1);
    expect(listedTypes(port)).toEqual(['service', 'stack']);
    answerLists(port, world(), 1);
    await ticks();
    expect(tree.getSnapshot().sync).toEqual({ status: 'live' });

    // A plain server lists on every connection: reconnect() during the wait gives a listing that waits too.
    const plain = setup({ filter: { type: 'stack' } });
    plain.port.last().open(null);
    plain.port.calls[0]?.respond({ status: 503, headers: { 'Retry-After': '30' }, body: { detail: 'Busy.' } });
    await ticks();
    plain.tree.reconnect();
    plain.port.last().open(null);
    plain.port.clock.advance(29_999);
    expect(plain.port.calls).toHaveLength(1);
    plain.port.clock.advance(1);
    expect(plain.port.calls).toHaveLength(2);

    // Our own backoff (a 500 asks for no wait) the new listing cuts short.
    const ours = setup({ filter: { type: 'stack' } });
    ours.port.last().open(null);
    ours.port.calls[0]?.respond({ status: 500, body: { detail: 'boom' } });
    await ticks();
    ours.tree.reconnect();
    ours.port.last().open(null);
    expect(ours.port.calls).toHaveLength(2);
  });

  it('says, for a list answered 404 by a plain HTTP server, which URL it asked (without credentials) and what to check; still retried', async () => {
    const { port, tree, errors } = setup({ filter: { type: 'stack' } }, createFakeStreamPort({ canSetHeaders: false }));
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    expect(port.calls[0]?.request.url).toContain('auth=');
    port.calls[0]?.respond({ status: 404, body: '<html><body>404 Not Found</body></html>' });
    await ticks();
    const message = 'GET stack list: HTTP 404: no events API answered at http://h:1/api/app/v1/acme/stack/ (check the REST host, restHost or DOCKERCLOUD_REST_HOST, and the namespace)';
    expect(errors.map((e) => [e.code, e.message])).toEqual([['http', message]]);
    expect(tree.getSnapshot().sync).toEqual({ status: 'listing', failure: { message, attempts: 1 } });
    advanceLive(port, 10_000);
    expect(port.calls).toHaveLength(2); // a listing failure, as before: retried with backoff
    // An events server's own explanation is kept; an object's 404 (fetchObject) means no such object.
    port.calls[1]?.respond({ status: 404, body: { detail: 'Not found: no resource at /api/app/v1/acme/stack/.' } });
    await ticks();
    expect(errors[1]?.message).toBe('GET stack list: HTTP 404: Not found: no resource at /api/app/v1/acme/stack/.');
    const fetched = tree.fetchObject(STACK).catch((error: unknown) => error);
    port.pending().at(-1)?.respond({ status: 404, body: '' });
    expect(await fetched).toMatchObject({ code: 'http', message: `GET ${STACK}: HTTP 404` });
  });

  it('lists again on reconnect() after a listing refused with 401, also when the stream then resumes', async () => {
    const { port, tree, errors } = setup({ filter: { type: 'stack' } });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    port.calls[0]?.respond({ status: 401, body: { detail: 'Invalid username/API key.' } });
    await ticks();
    expect(errors.map((e) => e.code)).toEqual(['auth']);
    // No retry on its own: only the user can cure a refusal.
    port.clock.advance(10_000);
    expect(port.calls).toHaveLength(1);
    tree.reconnect();
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'resumed', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    expect(port.calls).toHaveLength(2);
    answerLists(port, world(), 1);
    await ticks();
    expect(tree.getSnapshot().sync).toEqual({ status: 'live' });
  });
});

describe('publishing', () => {
  it("shows the connection as its type says, a ConnectionSummary: the stream's own flags are on tree.stream", async () => {
    const { port, tree } = setup();
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
    const summaryKeys = ['attempt', 'generation', 'lastClose', 'outcome', 'phase', 'resyncPending', 'retryAt', 'status', 'stopReason'];
    expect(Object.keys(tree.getSnapshot().connection).sort()).toEqual(summaryKeys);
    expect(tree.getSnapshot().connection).toMatchObject({ phase: 'live', outcome: 'fresh' });
    expect(tree.stream.getSnapshot()).toMatchObject({ phase: 'live', extended: true, closed: false, paused: false });
    const closing = tree.close();
    expect(Object.keys(tree.getSnapshot().connection).sort()).toEqual(summaryKeys);
    port.clock.runAll();
    await closing;
  });

  it('publishes the store at most every 100 ms, not per event', async () => {
    const { port, tree, publishes } = setup();
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
    answerLists(port, world(), 0);
    await ticks();
    const before = publishes();
    const version = tree.getSnapshot().tree.version;
    for (let i = 1; i <= 50; i++) port.last().send(containerEvent(1, i % 2 === 0 ? 'Running' : 'Stopped', i));
    expect(publishes()).toBe(before);
    expect(tree.getSnapshot().tree.version).toBe(version);
    port.clock.advance(100);
    expect(publishes()).toBe(before + 1);
    expect(tree.getSnapshot()).toMatchObject({ eventsApplied: 50 });
    expect(stateOf(tree, CONTAINER(1))).toBe('Running');
    // A snapshot is the same object until something changes (useSyncExternalStore relies on it).
    expect(tree.getSnapshot()).toBe(tree.getSnapshot());
  });

  it('prunes terminated objects after their retention', async () => {
    const { port, tree } = setup({ store: { terminatedRetentionMs: 1_000 }, pruneIntervalMs: 500 });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
    answerLists(port, world(), 0);
    await ticks();
    port.last().send(containerEvent(1, 'Terminated', 1));
    port.clock.advance(100);
    expect(stateOf(tree, CONTAINER(1))).toBe('Terminated');
    port.clock.advance(1_500);
    expect(tree.getSnapshot().tree.has(CONTAINER(1))).toBe(false);
  });

  it('keeps at most store.endedActions ended actions, however long it runs: actions get no delete event', async () => {
    const { port, tree } = setup({ store: { endedActions: 3 }, pruneIntervalMs: 500 });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
    answerLists(port, world(), 0);
    await ticks();
    let seq = 0;
    const action = (id: string, state: string, eventAction: 'create' | 'update'): DockerCloudEvent => ({
      type: 'action', action: eventAction, parents: [SERVICE, STACK], resource_uri: uri('action', id), state: state as DockerCloudEvent['state'],
      uuid: `act-${id}-${state}`, datetime: '2026-11-27T09:01:33Z', position: { epoch: EPOCH, seq: ++seq },
    });
    port.last().send(action('running', 'In progress', 'create'));
    for (let i = 0; i < 10; i++) {
      port.last().send(action(`a${i}`, 'Pending', 'create'));
      port.last().send(action(`a${i}`, 'Success', 'update'));
    }
    port.clock.advance(100);
    expect(tree.getSnapshot().tree.actionsOf(SERVICE)).toHaveLength(11); // only a prune drops them
    port.clock.advance(500);
    const kept = tree.getSnapshot().tree.actionsOf(SERVICE).map((a) => a.uuid);
    expect(kept.sort()).toEqual(['a7', 'a8', 'a9', 'running']);
  });
});

describe('resync', () => {
  it('re-lists when the position is gone, reports what changed while away, then completes the resync', async () => {
    const { port, tree } = setup();
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
    answerLists(port, world(), 0);
    await ticks();
    port.last().close(1006);
    expect(tree.getSnapshot().sync).toMatchObject({ status: 'stale' });
    port.clock.runNext();
    expect(port.last().request.url).toContain('resume=ep1%3A0');
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'gone', position: { epoch: EPOCH, seq: 500 }, heartbeatMs: 15_000 });
    expect(tree.getSnapshot()).toMatchObject({ sync: { status: 'listing' }, connection: { resyncPending: true, outcome: null } });
    port.last().send(containerEvent(3, 'Running', 501, 'create'));
    // Meanwhile c1 stopped, c2 went away, c3 was created.
    answerLists(port, world({ c1: 'Stopped', c3: 'Starting' }), 500);
    await ticks();
    const snapshot = tree.getSnapshot();
    expect(snapshot.lastResync).toMatchObject({ created: 1, updated: 1, deleted: 1 });
    expect(snapshot.lastResync?.diff.deleted.map((o) => o.uuid)).toEqual(['c2']);
    expect(stateOf(tree, CONTAINER(3))).toBe('Running'); // the buffered event after the lists' position
    expect(snapshot.connection).toMatchObject({ outcome: 'resynced', resyncPending: false });
    expect(snapshot.sync).toEqual({ status: 'live' });
  });

  it('re-lists on every reconnect to a plain server, and applies everything buffered', async () => {
    const { port, tree } = setup({ extended: false });
    port.last().open(null);
    expect(port.calls).toHaveLength(6);
    port.last().send(containerEvent(2, 'Stopped', null));
    answerLists(port, world(), null);
    await ticks();
    expect(stateOf(tree, CONTAINER(2))).toBe('Stopped');
    expect(tree.getSnapshot().lastResync).toBeNull();
    port.last().close(1001);
    port.clock.runNext();
    port.last().open(null);
    expect(port.calls).toHaveLength(12);
    answerLists(port, world({ c1: 'Running' }), null);
    await ticks();
    expect(tree.getSnapshot().lastResync).toMatchObject({ created: 0, deleted: 1 });
    expect(tree.getSnapshot().connection.outcome).toBe('fresh');
  });

  it('starts a newer listing over with an empty buffer, ignoring the older answers', async () => {
    const { port, tree } = setup({ filter: { type: 'container' } });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
    const stale = port.calls[0] as FakeHttpCall;
    port.last().send(containerEvent(1, 'Starting', 1)); // older than what the next lists show
    port.last().close(1006);
    port.clock.runNext();
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'gone', position: { epoch: 'ep2', seq: 3 }, heartbeatMs: 15_000 });
    stale.respond({ status: 200, body: { meta: { limit: 1000, offset: 0, total_count: 0, next: null, previous: null }, objects: [] } });
    await ticks();
    expect(tree.getSnapshot().sync).toEqual({ status: 'listing' });
    answerLists(port, world({ c1: 'Stopped' }), null);
    await ticks();
    expect(stateOf(tree, CONTAINER(1))).toBe('Stopped');
  });
});

describe('aborting requests', () => {
  it('aborts the requests of a listing that a newer listing supersedes', async () => {
    const { port } = setup({ filter: { type: ['stack', 'service'] } });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
    const first = [...port.calls];
    expect(first.map((c) => c.request.signal?.aborted)).toEqual([false, false]);
    port.last().close(1006);
    port.clock.runNext(); // the stream's retry
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'gone', position: { epoch: 'ep2', seq: 3 }, heartbeatMs: 15_000 });
    expect(first.map((c) => c.request.signal?.aborted)).toEqual([true, true]);
    expect(port.pending().slice(2).map((c) => c.request.signal?.aborted)).toEqual([false, false]);
  });

  it("aborts the rest of a failed attempt's requests: they would pile up with each retry", async () => {
    const { port, tree } = setup({ filter: { type: ['stack', 'service'] } });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
    const [failing, other] = port.calls as [FakeHttpCall, FakeHttpCall];
    failing.respond({ status: 500, body: { detail: 'boom' } });
    await ticks();
    expect(tree.getSnapshot().sync).toMatchObject({ status: 'listing', failure: { attempts: 1 } });
    expect(other.request.signal?.aborted).toBe(true);
  });
});

describe('request timeout', () => {

  it('times a list out after restTimeoutMs: a failed attempt, shown in the snapshot, retried with backoff', async () => {
    const { port, tree, errors } = setup({ filter: { type: 'stack' }, restTimeoutMs: 5_000 });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    const silent = port.calls[0] as FakeHttpCall;
    port.clock.advance(4_999);
    await ticks();
    expect(tree.getSnapshot().sync).toEqual({ status: 'listing' });
    port.clock.advance(1);
    await ticks();
    expect(silent.request.signal?.aborted).toBe(true);
    const message = 'GET http://h:1/api/app/v1/acme/stack/ failed: no complete answer in 5000 ms (restTimeoutMs)';
    expect(errors.map((e) => [e.code, e.message])).toEqual([['timeout', message]]);
    expect(tree.getSnapshot().sync).toEqual({ status: 'listing', failure: { message, attempts: 1 } });
    // The first retry comes within the default policy's first ceiling (baseMs, 800 ms).
    advanceLive(port, 800);
    expect(port.calls).toHaveLength(2);
    // The timed-out request's answer comes after all (the fake port ignores the signal): ignored.
    silent.respond({ status: 200, body: { meta: { limit: 1000, offset: 0, total_count: 0, next: null, previous: null }, objects: [] } });
    await ticks();
    expect(tree.getSnapshot().sync).toMatchObject({ status: 'listing' });
    answerLists(port, world(), 1);
    await ticks();
    expect(tree.getSnapshot().sync).toEqual({ status: 'live' });
    expect(tree.getSnapshot().tree.size).toBe(1);
  });

  it('waits 30 s by default, and times out a caller\'s request too', async () => {
    const { port, tree } = setup({ filter: { type: 'stack' } });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    const fetched = tree.fetchObject(STACK).then(
      () => 'answered',
      (error: unknown) => error,
    );
    advanceLive(port, 29_999);
    await ticks();
    expect(tree.getSnapshot().sync).toEqual({ status: 'listing' });
    advanceLive(port, 1);
    await ticks();
    expect(tree.getSnapshot().sync).toMatchObject({ status: 'listing', failure: { attempts: 1 } });
    expect(await fetched).toMatchObject({ name: 'EventsError', code: 'timeout', message: `GET http://h:1${STACK} failed: no complete answer in 30000 ms (restTimeoutMs)` });
  });

  it('leaves no request timer behind once answered or closed', async () => {
    const { port, tree } = setup({ filter: { type: 'stack' }, restTimeoutMs: 7_777 });
    const requestTimers = () => port.clock.pending().filter((timer) => timer.at === port.clock.now() + 7_777);
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    expect(requestTimers()).toHaveLength(1);
    answerLists(port, world(), 1);
    await ticks();
    expect(requestTimers()).toHaveLength(0);
    void tree.fetchObject(STACK).catch(() => {});
    expect(requestTimers()).toHaveLength(1);
    const closing = tree.close();
    expect(requestTimers()).toHaveLength(0);
    port.clock.runAll();
    await closing;
    expect(port.clock.pending()).toEqual([]);
  });
});

describe('the cap on a REST answer\'s body (maxRestBodyBytes)', () => {
  const listOf = (objects: unknown[]) => ({ meta: { limit: 1000, offset: 0, total_count: objects.length, next: null, previous: null }, objects });

  it('asks the port for at most 32 MiB by default, or maxRestBodyBytes, on every request', async () => {
    const { port, tree } = setup({ filter: { type: 'stack' } });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    void tree.fetchObject(STACK).catch(() => {});
    expect(port.calls.map((call) => call.request.maxBodyBytes)).toEqual([33_554_432, 33_554_432]);
    const small = setup({ filter: { type: 'stack' }, maxRestBodyBytes: 4_096 });
    small.port.last().open(RESUME_SUBPROTOCOL);
    small.port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    expect(small.port.calls.map((call) => call.request.maxBodyBytes)).toEqual([4_096]);
  });

  it('reports a list over the cap as a failed attempt naming the URL and the cap, and retries it with backoff', async () => {
    const { port, tree, errors } = setup({ filter: { type: 'stack' }, maxRestBodyBytes: 200 });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    const stacks = Array.from({ length: 5 }, (_, i) => ({ uuid: `s${i}`, resource_uri: uri('stack', `s${i}`), state: 'Running', name: `s${i}` }));
    (port.calls[0] as FakeHttpCall).respond({ status: 200, body: listOf(stacks) });
    await ticks();
    const message = "GET http://h:1/api/app/v1/acme/stack/ failed: its answer's body is over 200 bytes (maxRestBodyBytes); reading stopped there";
    expect(errors.map((e) => [e.code, e.message])).toEqual([['protocol', message]]);
    expect(tree.getSnapshot().sync).toEqual({ status: 'listing', failure: { message, attempts: 1 } });
    advanceLive(port, 800); // the default policy's first ceiling (baseMs)
    expect(port.calls).toHaveLength(2);
    (port.calls[1] as FakeHttpCall).respond({ status: 200, body: listOf(stacks.slice(0, 1)) });
    await ticks();
    expect(tree.getSnapshot().sync).toEqual({ status: 'live' });
    expect(tree.getSnapshot().tree.size).toBe(1);
  });

  it('refuses a body over the cap from a port that ignored it, with the same error', async () => {
    const port = createFakeStreamPort();
    const { tree } = setup({ filter: { type: 'stack' }, maxRestBodyBytes: 10 }, { ...port, request: (request) => port.request({ ...request, maxBodyBytes: undefined }) });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 1 }, heartbeatMs: 15_000 });
    const fetched = tree.fetchObject(STACK).then(
      () => 'answered',
      (error: unknown) => error,
    );
    (port.calls[1] as FakeHttpCall).respond({ status: 200, body: 'x'.repeat(11) });
    expect(await fetched).toMatchObject({ code: 'protocol', message: `GET http://h:1${STACK} failed: its answer's body is over 10 bytes (maxRestBodyBytes); reading stopped there` });
  });

  it('refuses a cap that is not a whole number of bytes ≥ 1, saying so', () => {
    const expected = "maxRestBodyBytes must be a whole number ≥ 1 (the most bytes of a REST answer's body read; default 33554432, 32 MiB), got ";
    for (const [value, got] of [
      [0, 'number 0'],
      [-1, 'number -1'],
      [1.5, 'number 1.5'],
      [Number.POSITIVE_INFINITY, 'number Infinity'],
      ['32MiB', 'the string "32MiB"'],
    ] as const) {
      expect(() => setup({ maxRestBodyBytes: value as never })).toThrow(new EventsError('invalid-config', `${expected}${got}`));
    }
  });
});

describe('filter changes', () => {
  const STACK2 = uri('stack', 'st2');
  /** A tree with `filter`, live after its first listing of `lists`. */
  const liveTree = async (filter: LiveTreeOptions['filter'], lists = world(), options: Partial<LiveTreeOptions> = {}) => {
    const t = setup({ filter, ...options });
    t.port.last().open(RESUME_SUBPROTOCOL);
    t.port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 10 }, heartbeatMs: 15_000 });
    answerLists(t.port, lists, 10);
    await ticks();
    expect(t.tree.getSnapshot().sync).toEqual({ status: 'live' });
    return t;
  };
  const listed = (port: FakeStreamPort) => port.pending().map(typeOfListCall).sort();

  it('lists the types a wider filter adds, at the next connection, though the stream resumes', async () => {
    const { port, tree } = await liveTree({ type: 'service' });
    expect(tree.getSnapshot().tree.ofType('container')).toHaveLength(0);
    tree.stream.setFilter({ type: ['service', 'container'] });
    port.clock.advance(0); // setFilter opens the new socket on a port timer of 0 ms
    expect(port.last().request.url).toContain('type=service%2Ccontainer&resume=ep1%3A10');
    expect(port.pending()).toEqual([]); // not before the stream says where it starts
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'resumed', position: { epoch: EPOCH, seq: 12 }, heartbeatMs: 15_000 });
    expect(tree.getSnapshot().sync).toEqual({ status: 'listing' });
    expect(listed(port)).toEqual(['container', 'service']);
    port.last().send(containerEvent(2, 'Stopped', 13)); // after the lists: applied on top of them
    answerLists(port, world(), 12);
    await ticks();
    expect(tree.getSnapshot().sync).toEqual({ status: 'live' });
    expect(stateOf(tree, CONTAINER(1))).toBe('Running');
    expect(stateOf(tree, CONTAINER(2))).toBe('Stopped');
    // The containers are new to the tree, not news from the server: no resync report counts them.
    expect(tree.getSnapshot().lastResync).toMatchObject({ created: 0, updated: 0, deleted: 0 });
  });

  it('re-lists for a new parent: objects that changed while the old filter hid them are current again', async () => {
    const { port, tree } = await liveTree({ type: 'container', parent: STACK2 });
    // Every container is listed (lists are whole types), but the stream sends only those under STACK2.
    expect(stateOf(tree, CONTAINER(1))).toBe('Running');
    tree.setFilter({ type: 'container', parent: STACK });
    port.clock.advance(0); // setFilter opens the new socket on a port timer of 0 ms
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'resumed', position: { epoch: EPOCH, seq: 20 }, heartbeatMs: 15_000 });
    expect(listed(port)).toEqual(['container']);
    answerLists(port, world({ c1: 'Stopped', c2: 'Running' }), 20); // c1 stopped at seq 15, hidden then
    await ticks();
    expect(stateOf(tree, CONTAINER(1))).toBe('Stopped');
    expect(tree.getSnapshot().lastResync).toMatchObject({ created: 0, updated: 1, deleted: 0 });
  });

  it('drops the types a narrower filter leaves out', async () => {
    const { port, tree } = await liveTree(undefined);
    expect(tree.getSnapshot().tree.size).toBe(4);
    tree.setFilter({ type: 'container' });
    port.clock.advance(0); // setFilter opens the new socket on a port timer of 0 ms
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'resumed', position: { epoch: EPOCH, seq: 10 }, heartbeatMs: 15_000 });
    expect(listed(port)).toEqual(['container']);
    answerLists(port, world(), 10);
    await ticks();
    const snapshot = tree.getSnapshot();
    expect(snapshot.tree.has(STACK)).toBe(false);
    expect(snapshot.tree.has(SERVICE)).toBe(false);
    expect(snapshot.tree.ofType('container').map((c) => c.uuid).sort()).toEqual(['c1', 'c2']);
    expect(snapshot.lastResync).toMatchObject({ created: 0, updated: 0, deleted: 0 });
  });

  it('re-lists with the new filter on a plain server too (it lists on every connection)', async () => {
    const { port, tree } = await liveTree({ type: 'service' }, world(), { extended: false });
    tree.stream.setFilter({ type: 'container' });
    port.clock.advance(0); // setFilter opens the new socket on a port timer of 0 ms
    port.last().open(null);
    expect(listed(port)).toEqual(['container']);
    answerLists(port, world(), null);
    await ticks();
    expect(tree.getSnapshot().tree.ofType('container')).toHaveLength(2);
    expect(tree.getSnapshot().tree.has(SERVICE)).toBe(false);
  });

  it('opens one socket and lists once for several filter changes in a row', async () => {
    const { port, tree } = await liveTree({ type: 'service' });
    tree.setFilter({ type: 'container' });
    tree.stream.setFilter({ type: 'stack' });
    tree.setFilter({ type: ['stack', 'node'] });
    port.clock.advance(0);
    expect(port.sockets).toHaveLength(2);
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'resumed', position: { epoch: EPOCH, seq: 10 }, heartbeatMs: 15_000 });
    expect(listed(port)).toEqual(['node', 'stack']);
    answerLists(port, world(), 10);
    await ticks();
    expect(tree.getSnapshot().sync).toEqual({ status: 'live' });
    expect(tree.getSnapshot().tree.has(SERVICE)).toBe(false);
    expect(tree.getSnapshot().tree.has(STACK)).toBe(true);
  });

  it('re-lists at the connection after an offline spell, when a filter changed while offline', async () => {
    const { port, tree } = await liveTree({ type: 'service' });
    tree.stream.setOnline(false);
    tree.setFilter({ type: 'container' });
    expect(port.live()).toEqual([]);
    tree.stream.setOnline(true);
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'resumed', position: { epoch: EPOCH, seq: 10 }, heartbeatMs: 15_000 });
    expect(listed(port)).toEqual(['container']);
  });

  it('supersedes a listing still running with one of the new types', async () => {
    const { port, tree } = setup({ filter: { type: 'service' } });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 10 }, heartbeatMs: 15_000 });
    const old = port.pending()[0] as FakeHttpCall;
    tree.setFilter({ type: 'container' });
    port.clock.advance(0); // setFilter opens the new socket on a port timer of 0 ms
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'resumed', position: { epoch: EPOCH, seq: 10 }, heartbeatMs: 15_000 });
    answerLists(port, world(), 10); // also the old service list: ignored, as superseded
    await ticks();
    expect(old.answered).toBe(true);
    expect(tree.getSnapshot().sync).toEqual({ status: 'live' });
    expect(tree.getSnapshot().tree.ofType('service')).toHaveLength(0);
    expect(tree.getSnapshot().tree.ofType('container')).toHaveLength(2);
    expect(tree.getSnapshot().lastResync).toBeNull(); // the first listing to complete
  });

  it('refuses an invalid filter as the stream does, keeping the old one and listing nothing; does nothing after close()', async () => {
    const { port, tree } = await liveTree({ type: 'service' });
    expect(() => tree.setFilter({ typ: 'container' } as never)).toThrow(/^filter: unknown key "typ"/);
    expect(() => tree.stream.setFilter({ type: [] })).toThrow(/empty list/);
    expect(port.sockets).toHaveLength(1);
    tree.reconnect();
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'resumed', position: { epoch: EPOCH, seq: 10 }, heartbeatMs: 15_000 });
    expect(port.pending()).toEqual([]);
    const closing = tree.close();
    tree.setFilter({ type: 'container' });
    expect(() => tree.setFilter({ typ: 'container' } as never)).toThrow(/unknown key/);
    port.clock.runAll();
    await closing;
    expect(port.sockets).toHaveLength(2);
  });
});

describe('operations', () => {
  it('scales with a POST and a JSON body, terminates with DELETE, and returns the action URI', async () => {
    const port = createFakeStreamPort({
      http: (request) => ({ status: 202, body: {}, headers: { 'X-DockerCloud-Action-URI': `/api/audit/v1/action/${request.method}/` } }),
    });
    const { tree } = setup({}, port);
    await expect(tree.operate(SERVICE, 'scale', { targetNumContainers: 3 })).resolves.toEqual({ actionUri: '/api/audit/v1/action/POST/' });
    await expect(tree.operate(CONTAINER(1), 'terminate')).resolves.toEqual({ actionUri: '/api/audit/v1/action/DELETE/' });
    await tree.operate(SERVICE, 'redeploy');
    expect(port.calls.map((c) => [c.request.method, c.request.url, c.request.body])).toEqual([
      ['POST', 'http://h:1/api/app/v1/acme/service/sv1/scale/', '{"target_num_containers":3}'],
      ['DELETE', 'http://h:1/api/app/v1/acme/container/c1/', undefined],
      ['POST', 'http://h:1/api/app/v1/acme/service/sv1/redeploy/', undefined],
    ]);
    expect(port.calls[0]?.request.headers).toMatchObject({ Authorization: BASIC, 'Content-Type': 'application/json' });
  });

  it('turns refusals into EventsErrors with the server detail', async () => {
    const port = createFakeStreamPort({ http: () => ({ status: 409, body: { detail: 'The service is terminated.' } }) });
    const { tree } = setup({}, port);
    await expect(tree.operate(SERVICE, 'start')).rejects.toMatchObject({ code: 'http', message: `start ${SERVICE}: HTTP 409: The service is terminated.` });
    await expect(tree.fetchObject(SERVICE)).rejects.toMatchObject({ code: 'http' });
    const denied = setup({}, createFakeStreamPort({ http: () => ({ status: 401, body: { detail: 'Invalid username/API key.' } }) }));
    await expect(denied.tree.operate(SERVICE, 'stop')).rejects.toMatchObject({ code: 'auth' });
  });

  it('refuses, before any request, an operation no server runs on that object', async () => {
    const port = createFakeStreamPort({ http: () => ({ status: 202, body: {} }) });
    const { tree } = setup({}, port);
    await expect(tree.operate(SERVICE, 'restart' as never)).rejects.toMatchObject({
      code: 'invalid-config',
      message: 'unknown operation "restart"; expected one of start, stop, redeploy, terminate, scale',
    });
    await expect(tree.operate(CONTAINER(1), 'scale')).rejects.toMatchObject({
      message: `scale ${CONTAINER(1)}: a container has no scale operation; its operations are start, stop, redeploy, terminate`,
    });
    await expect(tree.operate('/api/infra/v1/acme/node/n1/', 'stop')).rejects.toMatchObject({ message: 'stop /api/infra/v1/acme/node/n1/: a node has no operations' });
    // A JavaScript caller's wrong kinds of value are named, not a TypeError from deep inside.
    await expect(tree.operate(undefined as never, 'stop')).rejects.toMatchObject({ code: 'invalid-uri', message: 'invalid resource URI undefined: not a string' });
    await expect(tree.operate(SERVICE, 'scale', { targetNumContainers: '3' as never })).rejects.toMatchObject({
      code: 'invalid-config',
      message: 'targetNumContainers must be a non-negative integer, got the string "3"',
    });
    expect(port.calls).toEqual([]);
  });

  it('refuses, at creation, a page size no URL can carry and store options it does not know', () => {
    const port = createFakeStreamPort();
    // A fractional limit failed every listing, retried for good.
    expect(() => setup({ pageSize: 1.5 }, port)).toThrow(new EventsError('invalid-config', 'pageSize must be a positive whole number, got number 1.5'));
    // A misspelt store option was ignored: the memory it was to save was not saved.
    expect(() => setup({ store: { recentEvents: 0 } as never }, port)).toThrow(
      new EventsError('invalid-config', 'unknown store option "recentEvents" (did you mean "recentEventsPerObject"?); expected one of terminatedRetentionMs, recentEventsPerObject, eventHistory, dedupeWindow, endedActions'),
    );
    expect(() => setup({ store: 'lean' as never }, port)).toThrow(new EventsError('invalid-config', 'store must be an object of hierarchy store options, such as { recentEventsPerObject: 0 }, got the string "lean"'));
    expect(() => setup({ store: null as never }, port)).toThrow(/^store must be an object .*, got null$/);
    expect(port.sockets).toHaveLength(0); // refused before anything connects
    expect(() => setup({ pageSize: 250, store: { recentEventsPerObject: 0 } }, port)).not.toThrow();
  });

  it('fetches an object', async () => {
    const port = createFakeStreamPort({ http: () => ({ status: 200, body: { uuid: 'sv1', name: 'app' } }) });
    const { tree } = setup({}, port);
    await expect(tree.fetchObject(SERVICE)).resolves.toEqual({ uuid: 'sv1', name: 'app' });
    expect(port.calls[0]?.request).toMatchObject({ method: 'GET', url: 'http://h:1/api/app/v1/acme/service/sv1/' });
  });
});

describe('closing', () => {
  it('sends no operate() or fetchObject() after close(): they reject as those in flight at close() do, leaving no timer', async () => {
    const port = createFakeStreamPort({ http: () => ({ status: 202, body: {} }) });
    const { tree } = setup({}, port);
    const closing = tree.close();
    port.clock.runAll();
    await closing;
    await expect(tree.operate(SERVICE, 'stop')).rejects.toMatchObject({
      name: 'EventsError',
      code: 'connection',
      message: `POST http://h:1${SERVICE}stop/ failed: the live tree was closed`,
    });
    await expect(tree.fetchObject(SERVICE)).rejects.toMatchObject({ code: 'connection', message: `GET http://h:1${SERVICE} failed: the live tree was closed` });
    expect(port.calls).toEqual([]);
    expect(port.clock.pending()).toEqual([]);
  });

  it('publishes the stopped connection once on close, and nothing after', async () => {
    const { port, tree, publishes } = setup();
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
    answerLists(port, world(), 0);
    await ticks();
    expect(tree.getSnapshot()).toMatchObject({ connection: { phase: 'live' }, sync: { status: 'live' } });
    const before = publishes();
    const closing = tree.close();
    expect(publishes()).toBe(before + 1);
    expect(tree.getSnapshot().connection).toMatchObject({ phase: 'stopped', stopReason: 'stop' });
    expect(tree.stream.getSnapshot().closed).toBe(true);
    expect(tree.getSnapshot().sync).toMatchObject({ status: 'stale' });
    port.clock.runAll();
    await closing;
    await tree.close();
    expect(publishes()).toBe(before + 1);
  });

  it('publishes the stopped connection also when closed from inside a stream callback', () => {
    const { port, tree, publishes } = setup();
    tree.onEvent(() => void tree.close());
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
    const before = publishes();
    port.last().send(containerEvent(1, 'Stopped', 1)); // the stream closes after this event's task
    expect(tree.getSnapshot().connection).toMatchObject({ phase: 'stopped', stopReason: 'stop' });
    expect(publishes()).toBe(before + 1);
  });

  it('leaves no timers behind and ignores answers that arrive later', async () => {
    const { port, tree } = setup();
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
    port.last().send(containerEvent(1, 'Stopped', 1));
    const closing = tree.close();
    port.clock.runAll();
    await closing;
    expect(port.clock.pending()).toEqual([]);
    answerLists(port, world(), 0);
    await ticks();
    expect(port.clock.pending()).toEqual([]);
    expect(tree.getSnapshot().tree.size).toBe(0);
  });

  it('closes as close() when its stream closes (the signal of its options aborted): no timers, later answers ignored', async () => {
    for (const how of ['signal', 'stream.close()'] as const) {
      const controller = new AbortController();
      const { port, tree } = setup({ signal: controller.signal });
      port.last().open(RESUME_SUBPROTOCOL);
      port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
      port.last().send(containerEvent(1, 'Stopped', 1));
      if (how === 'signal') controller.abort();
      else void tree.stream.close();
      port.clock.runAll();
      await ticks();
      expect(port.clock.pending()).toEqual([]);
      expect(tree.getSnapshot().connection).toMatchObject({ phase: 'stopped' });
      expect(tree.stream.getSnapshot().closed).toBe(true);
      answerLists(port, world(), 0);
      await ticks();
      expect(port.clock.pending()).toEqual([]);
      expect(tree.getSnapshot().tree.size).toBe(0);
      await tree.close();
    }
  });

  it("aborts its REST requests in flight, and a caller's pending request rejects with `connection`, even from a port that ignores the signal", async () => {
    const { port, tree, errors } = setup({ filter: { type: 'stack' } });
    port.last().open(RESUME_SUBPROTOCOL);
    port.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
    const fetched = tree.fetchObject(STACK).then(
      () => 'answered',
      (error: unknown) => error,
    );
    const [list, fetch] = port.calls as [FakeHttpCall, FakeHttpCall];
    expect([list.request.signal?.aborted, fetch.request.signal?.aborted]).toEqual([false, false]);
    const closing = tree.close();
    expect([list.request.signal?.aborted, fetch.request.signal?.aborted]).toEqual([true, true]);
    // The fake port goes on waiting for an answer: the tree does not wait with it.
    expect(await fetched).toMatchObject({ name: 'EventsError', code: 'connection', message: `GET http://h:1${STACK} failed: the live tree was closed` });
    port.clock.runAll();
    await closing;
    expect(errors).toEqual([]);
  });

  it('stopped inside createLiveTree (a socket the runtime refuses, a 401 reported from inside openSocket): the snapshot, a late onError and reconnect() all see it', async () => {
    const refusals = {
      'refused by the runtime': { open: () => { throw new Error('URL scheme not allowed'); }, stopReason: 'fatal', code: 'invalid-config', message: 'the socket could not be opened: URL scheme not allowed' },
      '401 at once': { open: (h: SocketHandlers) => h.onHandshakeFailed(401, undefined, 'Invalid username/API key.'), stopReason: 'auth', code: 'auth', message: 'the server refused the connection with HTTP 401: Invalid username/API key.' },
    } as const;
    for (const [what, refusal] of Object.entries(refusals)) {
      const fake = createFakeStreamPort();
      let refuse = true;
      const port: FakeStreamPort = {
        ...fake,
        openSocket(request, handlers) {
          if (!refuse) return fake.openSocket(request, handlers);
          refusal.open(handlers);
          return { close() {}, terminate() {} };
        },
      };
      const errors: EventsError[] = [];
      const tree = createLiveTree({ streamHost: 'ws://h:1/', restHost: 'http://h:1/', namespace: NS, credentials: { username: 'alice', apikey: 'alice-key-123' }, onError: (e) => errors.push(e) }, port);
      // Attached right after the call: the state is in the snapshot, the error reaches a late listener.
      const late: EventsError[] = [];
      tree.stream.onError((e) => late.push(e));
      let published = 0;
      tree.subscribe(() => published++);
      expect(tree.getSnapshot().connection, what).toMatchObject({ phase: 'stopped', stopReason: refusal.stopReason });
      expect(tree.getSnapshot().sync, what).toEqual({ status: 'listing' });
      expect(tree.stream.getSnapshot().error, what).toMatchObject({ code: refusal.code, message: refusal.message });
      expect(errors.map((e) => [e.code, e.message]), what).toEqual([[refusal.code, refusal.message]]);
      await ticks();
      expect(late.map((e) => e.code), what).toEqual([refusal.code]);
      fake.clock.advance(60_000);
      expect(fake.sockets, what).toEqual([]); // stopped: no retry of its own
      expect(tree.getSnapshot().connection.phase, what).toBe('stopped');
      // Not closed: reconnect() starts it over, and the tree lists as at a first connection.
      refuse = false;
      tree.reconnect();
      expect(published, what).toBeGreaterThan(0);
      fake.last().open(RESUME_SUBPROTOCOL);
      fake.last().send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: 0 }, heartbeatMs: 15_000 });
      answerLists(fake, world(), 0);
      await ticks();
      expect(tree.getSnapshot().sync, what).toEqual({ status: 'live' });
      const closing = tree.close();
      fake.clock.runAll();
      await closing;
    }
  });

  it('lists a plain server that a port reports open from inside openSocket, before createLiveTree returned', async () => {
    const fake = createFakeStreamPort();
    const port: FakeStreamPort = {
      ...fake,
      openSocket(request, handlers) {
        const handle = fake.openSocket(request, handlers);
        fake.last().open(null);
        return handle;
      },
    };
    const tree = createLiveTree({ streamHost: 'ws://h:1/', restHost: 'http://h:1/', namespace: NS, filter: { type: 'stack' } }, port);
    expect(tree.getSnapshot().connection.phase).toBe('live');
    expect(fake.pending().map(typeOfListCall)).toEqual(['stack']);
    answerLists(fake, world(), null);
    await ticks();
    expect(tree.getSnapshot().sync).toEqual({ status: 'live' });
    const closing = tree.close();
    fake.clock.runAll();
    await closing;
  });

  it('starts closed, with no timers, when the signal of its options is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { port, tree } = setup({ signal: controller.signal });
    expect(port.sockets).toEqual([]);
    expect(port.clock.pending()).toEqual([]);
    expect(tree.getSnapshot().connection).toMatchObject({ phase: 'stopped' });
    expect(tree.stream.getSnapshot().closed).toBe(true);
    await tree.close();
  });
});

describe('converges (property)', () => {
  // A model server: three containers (two in one stack, one in another), one log per epoch,
  // lists built when asked for (two pages, each with its own X-Events-Position) and answered
  // later, in any order, or refused with 500; each connection gets the events its filter matches.
  // Whatever the interleaving with drops, restarts, retention, buffer overflows and filter
  // changes, the tree ends with the server's state of every container its filter follows.
  type Step =
    | { kind: 'emit'; container: number; state: number }
    | { kind: 'filter'; index: number; onStream: boolean }
    | { kind: 'drop' }
    | { kind: 'restart' }
    | { kind: 'marker' }
    | { kind: 'wait'; ms: number }
    | { kind: 'answer' }
    | { kind: 'answer-one'; index: number }
    | { kind: 'refuse-one'; index: number };
  const STATES = ['Starting', 'Running', 'Stopping', 'Stopped'] as const;
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('emit' as const), container: fc.integer({ min: 1, max: 3 }), state: fc.integer({ min: 0, max: 3 }) }) },
    fc.constant({ kind: 'drop' as const }),
    fc.constant({ kind: 'restart' as const }),
    fc.constant({ kind: 'marker' as const }),
    fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
    { weight: 2, arbitrary: fc.constant({ kind: 'answer' as const }) },
    fc.record({ kind: fc.constant('answer-one' as const), index: fc.nat(10) }),
    fc.record({ kind: fc.constant('refuse-one' as const), index: fc.nat(10) }),
    fc.record({ kind: fc.constant('filter' as const), index: fc.nat(2), onStream: fc.boolean() }),
  );
  const STACK2 = uri('stack', 'st2');
  const SERVICE2 = uri('service', 'sv2');
  const serviceOf = (c: number) => (c === 3 ? SERVICE2 : SERVICE);
  const parentsOf = (c: number) => (c === 3 ? [SERVICE2, STACK2] : [SERVICE, STACK]);
  const FILTERS = [createFilter({ type: 'container' }), createFilter({ type: 'container', parent: STACK }), createFilter({ type: 'container', parent: STACK2 })] as const;

  it('ends with the server state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 40 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.nat(2), fc.integer(), async (steps, maxBufferedEvents, retained, initialFilter, seed) => {
        const port = createFakeStreamPort({ random: createSeededRandom(seed) });
        let filter: EventFilter = FILTERS[initialFilter] ?? MATCH_ALL;
        const { tree } = setup({ filter, maxBufferedEvents }, port);
        const world = new Map<number, string>([
          [1, 'Running'],
          [2, 'Running'],
          [3, 'Running'],
        ]);
        let epoch = 'ep1';
        let epochs = 1;
        const log: DockerCloudEvent[] = [];
        const built = new Map<FakeHttpCall, { objects: unknown[]; position: string }>();
        let socket = null as FakeSocket | null; // assigned in serve(): keep TS from narrowing it to null
        let sent = 0;
        // The server builds a list (and its position) when the request arrives.
        const build = () => {
          for (const call of port.pending()) {
            if (built.has(call)) continue;
            const objects = [...world].map(([c, state]) => ({ uuid: `c${c}`, resource_uri: CONTAINER(c), state, name: `c${c}`, service: serviceOf(c) }));
            built.set(call, { objects, position: `${epoch}:${log.length}` });
          }
        };
        const respond = (call: FakeHttpCall) => {
          const list = built.get(call);
          if (list === undefined) throw new Error('a list answered before it was built');
          const second = call.request.url.includes('offset=2');
          const next = second ? null : `/api/app/v1/${NS}/container/?limit=1000&offset=2`;
          call.respond({
            status: 200,
            body: { meta: { limit: 2, offset: second ? 2 : 0, total_count: 3, next, previous: null }, objects: second ? list.objects.slice(2) : list.objects.slice(0, 2) },
            headers: { 'X-Events-Position': list.position },
          });
        };
        /** The filter of the socket serving, as its URL asks for it. */
        let served: EventFilter = MATCH_ALL;
        /** Sends the socket what the log holds past `sent` that its filter matches. */
        const flush = () => {
          for (; sent < log.length && socket?.status === 'open'; sent++) {
            const event = log[sent] as DockerCloudEvent;
            if (matchesFilter(served, event)) socket.send(event);
            build();
          }
        };
        const serve = () => {
          const last = port.last();
          if (last === socket || last.status !== 'connecting') return;
          socket = last;
          const query = parseFilter(new URL(last.request.url).search);
          if (!query.ok) throw query.error;
          served = query.value;
          socket.open(RESUME_SUBPROTOCOL);
          const asked = /resume=([^%]+)%3A(\d+)/.exec(last.request.url);
          const from = asked === null ? null : asked[1] === epoch ? Number(asked[2]) : -1;
          const resumed = from !== null && from >= 0 && from >= log.length - retained;
          sent = resumed ? from : log.length;
          socket.send({ type: 'hello', resume: resumed ? 'resumed' : from === null ? 'fresh' : 'gone', position: { epoch, seq: sent }, heartbeatMs: 15_000 });
          build();
          flush();
        };
        serve();
        for (const step of steps) {
          switch (step.kind) {
            case 'emit': {
              const state = STATES[step.state] ?? 'Running';
              world.set(step.container, state);
              log.push({ ...containerEvent(step.container, state, null), parents: parentsOf(step.container), position: { epoch, seq: log.length + 1 } });
              flush();
              build();
              break;
            }
            case 'filter':
              filter = FILTERS[step.index] ?? MATCH_ALL;
              if (step.onStream) tree.stream.setFilter(filter);
              else tree.setFilter(filter);
              break;
            case 'drop':
              if (socket?.status === 'open') socket.close(1006);
              break;
            case 'restart':
              if (socket?.status === 'open') socket.close(1001);
              epoch = `ep${++epochs}`;
              log.length = 0;
              sent = 0;
              break;
            case 'marker':
              if (socket?.status === 'open') socket.send({ type: 'position', position: { epoch, seq: log.length } });
              break;
            case 'wait':
              port.clock.advance(step.ms);
              break;
            case 'answer':
              build();
              for (const call of port.pending()) respond(call);
              break;
            case 'answer-one':
            case 'refuse-one': {
              build();
              const pending = port.pending();
              const call = pending[step.index % Math.max(1, pending.length)];
              if (call !== undefined && step.kind === 'answer-one') respond(call);
              if (call !== undefined && step.kind === 'refuse-one') call.respond({ status: 500, body: { detail: 'boom' } });
              break;
            }
          }
          await ticks();
          serve();
        }
        // Then a quiet network: connect, answer every list, until live.
        for (let i = 0; i < 200; i++) {
          if (port.last() === socket || port.last().status !== 'connecting') port.clock.runNext();
          serve();
          flush();
          build();
          for (const call of port.pending()) respond(call);
          await ticks();
          if (port.pending().length === 0 && tree.getSnapshot().sync.status === 'live' && socket?.status === 'open') break;
        }
        port.clock.advance(100); // the store is published at most every 100 ms
        expect(tree.getSnapshot().sync).toEqual({ status: 'live' });
        for (const [c, state] of world) {
          if (matchesFilter(filter, { type: 'container', resource_uri: CONTAINER(c), parents: parentsOf(c) })) expect(stateOf(tree, CONTAINER(c)), `c${c}`).toBe(state);
        }
        const closing = tree.close();
        port.clock.runAll();
        await closing;
      }),
      { numRuns: 300 },
    );
  });
});
