import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DockerCloudEvent } from './event-schema.js';
import { EventsError } from './events-error.js';
import { createHierarchyStore, type HierarchySnapshot, type HierarchyStore } from './hierarchy-store.js';
import type { EventAction, ObjectType, State } from './object-types.js';
import type { RestObjectByType } from './rest-schema.js';

const S = '/api/app/v1/acme/stack/s1/';
const SV = '/api/app/v1/acme/service/sv1/';
const C = '/api/infra/v1/acme/nodecluster/c1/';
const N = '/api/infra/v1/acme/node/n1/';
const K = '/api/app/v1/acme/container/k1/';
const K2 = '/api/app/v1/acme/container/k2/';
const K3 = '/api/app/v1/acme/container/k3/';
const A1 = '/api/audit/v1/action/a1/';
const A2 = '/api/audit/v1/action/a2/';

let nextUuid = 0;
function event(type: ObjectType, action: EventAction, uri: string, state: string, parents: readonly string[] = []): DockerCloudEvent {
  nextUuid++;
  return {
    type,
    action,
    parents,
    resource_uri: uri,
    state: state as State,
    uuid: `00000000-0000-4000-8000-${String(nextUuid).padStart(12, '0')}`,
    datetime: `2026-11-27T09:${String(Math.floor(nextUuid / 60) % 60).padStart(2, '0')}:${String(nextUuid % 60).padStart(2, '0')}Z`,
  };
}

/** The events of one small account: a stack with a service, a cluster with a node, one container in both. */
function accountEvents(): DockerCloudEvent[] {
  return [
    event('stack', 'create', S, 'Running'),
    event('service', 'create', SV, 'Running', [S]),
    event('nodecluster', 'create', C, 'Deployed'),
    event('node', 'create', N, 'Deployed', [C]),
    event('container', 'create', K, 'Running', [SV, S, N, C]),
  ];
}

function storeWith(events: readonly DockerCloudEvent[], options?: Parameters<typeof createHierarchyStore>[0]): HierarchyStore {
  const store = createHierarchyStore(options);
  for (const e of events) store.apply(e, 1000);
  store.publish();
  return store;
}

const urisOf = (objects: readonly { resource_uri: string }[]) => objects.map((o) => o.resource_uri);
const sorted = (uris: readonly string[]) => [...uris].sort();

// REST objects as parseRestList returns them.
const uuidOf = (uri: string) => uri.split('/').at(-2) as string;
const restStack = (uri: string, state: RestObjectByType['stack']['state'] = 'Running'): RestObjectByType['stack'] => ({
  uuid: uuidOf(uri), resource_uri: uri, state, name: `stack ${uuidOf(uri)}`, services: [], deployed_datetime: null, destroyed_datetime: null,
});
const restService = (uri: string, stack: string | null, state: RestObjectByType['service']['state'] = 'Running'): RestObjectByType['service'] => ({
  uuid: uuidOf(uri), resource_uri: uri, state, name: 'web', image_name: 'nginx', stack, containers: [],
  target_num_containers: 1, current_num_containers: 1, running_num_containers: 1, stopped_num_containers: 0,
});
const restCluster = (uri: string, state: RestObjectByType['nodecluster']['state'] = 'Deployed'): RestObjectByType['nodecluster'] => ({
  uuid: uuidOf(uri), resource_uri: uri, state, name: 'cluster', nodes: [], target_num_nodes: 1, current_num_nodes: 1, region: null, node_type: null,
});
const restNode = (uri: string, cluster: string | null, state: RestObjectByType['node']['state'] = 'Deployed'): RestObjectByType['node'] => ({
  uuid: uuidOf(uri), resource_uri: uri, state, node_cluster: cluster, external_fqdn: null, docker_version: '1.11', cpu: 1, memory: 1024,
  current_num_containers: 1, last_seen: null,
});
const restContainer = (
  uri: string,
  service: string | null,
  node: string | null,
  state: RestObjectByType['container']['state'] = 'Running',
): RestObjectByType['container'] => ({
  uuid: uuidOf(uri), resource_uri: uri, state, name: `web-${uuidOf(uri)}`, image_name: 'nginx', service, node, exit_code: null,
  started_datetime: null, stopped_datetime: null,
});
const restAction = (uri: string, object: string, startDate: string | null, state: RestObjectByType['action']['state'] = 'Success'): RestObjectByType['action'] => ({
  uuid: uuidOf(uri), resource_uri: uri, state, object, action: 'Service Scale', method: 'POST', path: `${object}scale/`,
  start_date: startDate, end_date: null, user: 'alice', is_user_action: true, can_be_canceled: false,
});
const accountLists = () => ({
  stack: [restStack(S)],
  service: [restService(SV, S)],
  nodecluster: [restCluster(C)],
  node: [restNode(N, C)],
  container: [restContainer(K, SV, N)],
});

/** Everything a snapshot answers about `uris`, as plain data, to compare before and after. */
function answers(snapshot: HierarchySnapshot, uris: readonly string[]) {
  return JSON.parse(
    JSON.stringify({
      version: snapshot.version,
      size: snapshot.size,
      counts: snapshot.countsByType(),
      containerStates: snapshot.countsByState('container'),
      stacks: sorted(urisOf(snapshot.roots('stack'))),
      orphans: sorted(urisOf(snapshot.orphans('app'))),
      objects: uris.map((uri) => ({
        object: snapshot.get(uri) ?? null,
        children: urisOf(snapshot.children(uri)),
        actions: urisOf(snapshot.actionsOf(uri)),
        recent: snapshot.recentEvents(uri),
        ancestors: snapshot.ancestors(uri),
      })),
    }),
  );
}

describe('createHierarchyStore', () => {
  it('starts empty at version 0 and rejects bad options', () => {
    const snapshot = createHierarchyStore().getSnapshot();
    expect(snapshot.version).toBe(0);
    expect(snapshot.size).toBe(0);
    expect(snapshot.countsByType()).toEqual({ nodecluster: 0, node: 0, stack: 0, service: 0, container: 0, action: 0 });
    expect(snapshot.countsByState('node')).toEqual({ Deploying: 0, Deployed: 0, Unreachable: 0, Upgrading: 0, Terminating: 0, Terminated: 0 });
    expect(() => createHierarchyStore({ recentEventsPerObject: 1.5 })).toThrow(EventsError);
    expect(() => createHierarchyStore({ terminatedRetentionMs: -1 })).toThrow(/terminatedRetentionMs/);
    expect(() => createHierarchyStore({ dedupeWindow: Number.NaN })).toThrow(/dedupeWindow/);
    // A misspelt option was ignored without a word.
    expect(() => createHierarchyStore({ endedAction: 10 } as never)).toThrow(/^unknown store option "endedAction" \(did you mean "endedActions"\?\); expected one of /);
    expect(() => createHierarchyStore(null as never)).toThrow(/^store options must be an object such as \{ recentEventsPerObject: 0 \}, got null$/);
  });

  it('builds both trees from events, with the container in both', () => {
    const snapshot = storeWith(accountEvents()).getSnapshot();
    expect(snapshot.version).toBe(1);
    expect(snapshot.size).toBe(5);
    expect(urisOf(snapshot.roots('stack'))).toEqual([S]);
    expect(urisOf(snapshot.children(S))).toEqual([SV]);
    expect(urisOf(snapshot.children(SV))).toEqual([K]);
    expect(urisOf(snapshot.roots('nodecluster'))).toEqual([C]);
    expect(urisOf(snapshot.children(C))).toEqual([N]);
    expect(urisOf(snapshot.children(N))).toEqual([K]);
    // The stack's children are its services only, although the container names it as a parent.
    expect(snapshot.children(S)).toHaveLength(1);
    expect(urisOf(snapshot.children(SV, 'app'))).toEqual([K]);
    expect(snapshot.children(SV, 'infra')).toEqual([]);
    expect(urisOf(snapshot.children(N, 'infra'))).toEqual([K]);
    expect(snapshot.children(K)).toEqual([]);
    expect(snapshot.parentsOf(K)).toEqual([SV, S, N, C]);
    expect(snapshot.ancestors(K)).toEqual([SV, S, N, C]);
    expect(snapshot.orphans('app')).toEqual([]);
    expect(snapshot.orphans('infra')).toEqual([]);
    expect(snapshot.get(K)).toMatchObject({ type: 'container', uuid: 'k1', resource_uri: K, state: 'Running', fields: null, updatedAt: 1000 });
    expect(snapshot.countsByType()).toEqual({ nodecluster: 1, node: 1, stack: 1, service: 1, container: 1, action: 0 });
    expect(snapshot.countsByState('container')).toEqual({ Starting: 0, Running: 1, Stopping: 0, Stopped: 0, Terminating: 0, Terminated: 0 });
    expect(urisOf(snapshot.ofType('container'))).toEqual([K]);
  });

  it('gives back exactly the time an object was last updated at, whatever the clock reads', () => {
    // Times are kept split in two small integers (hierarchy-store.ts, Entry.updatedAt).
    const time = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.constantFrom(1.8e12, 1_795_000_000_123, 0, -0, 2 ** 30 - 1, 2 ** 30, 2 ** 30 + 1, -1, -(2 ** 30) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
      fc.maxSafeInteger(),
      fc.double({ noNaN: false }),
    );
    fc.assert(
      fc.property(fc.array(time, { minLength: 1, maxLength: 5 }), (times) => {
        const store = createHierarchyStore();
        times.forEach((nowMs, i) => {
          store.apply({ ...event('container', 'update', K, i % 2 ? 'Running' : 'Stopped'), uuid: `u${i}` }, nowMs);
        });
        store.publish();
        expect(Object.is(store.getSnapshot().get(K)?.updatedAt, times.at(-1))).toBe(true);
      }),
    );
  });

  it('counts a state that is not one of its type as well, and forgets it when no object is in it', () => {
    const store = storeWith(accountEvents());
    store.apply(event('container', 'update', K, 'Exploded', [SV, S, N, C]), 2000);
    store.apply(event('container', 'create', K2, 'Exploded', [SV, S, N, C]), 2000);
    store.publish();
    expect(store.getSnapshot().countsByState('container')).toEqual({ Starting: 0, Running: 0, Stopping: 0, Stopped: 0, Terminating: 0, Terminated: 0, Exploded: 2 });
    store.apply(event('container', 'update', K, 'Stopped', [SV, S, N, C]), 3000);
    store.apply(event('container', 'delete', K2, 'Exploded', [SV, S, N, C]), 3000);
    store.publish();
    expect(store.getSnapshot().countsByState('container')).toEqual({ Starting: 0, Running: 0, Stopping: 0, Stopped: 1, Terminating: 0, Terminated: 0 });
    expect(store.getSnapshot().get(K)?.state).toBe('Stopped');
  });

  it('links objects whose parents it has not seen yet, and finds them by the parent URI', () => {
    const store = createHierarchyStore();
    store.apply(event('container', 'create', K, 'Starting', [SV, S, N, C]), 1);
    store.publish();
    let snapshot = store.getSnapshot();
    expect(snapshot.get(SV)).toBeUndefined();
    expect(snapshot.size).toBe(1); // no placeholder objects
    expect(urisOf(snapshot.children(SV))).toEqual([K]);
    expect(urisOf(snapshot.children(N))).toEqual([K]);
    expect(urisOf(snapshot.orphans('app'))).toEqual([K]);
    expect(urisOf(snapshot.orphans('infra'))).toEqual([K]);

    store.apply(event('service', 'create', SV, 'Starting', [S]), 2);
    store.apply(event('node', 'create', N, 'Deployed', [C]), 2);
    store.publish();
    snapshot = store.getSnapshot();
    expect(urisOf(snapshot.orphans('app'))).toEqual([SV]); // its stack is still unknown
    expect(urisOf(snapshot.orphans('infra'))).toEqual([N]);
    expect(urisOf(snapshot.children(S))).toEqual([SV]);

    store.apply(event('stack', 'create', S, 'Starting'), 3);
    store.apply(event('nodecluster', 'create', C, 'Deployed'), 3);
    store.publish();
    snapshot = store.getSnapshot();
    expect(snapshot.orphans('app')).toEqual([]);
    expect(snapshot.orphans('infra')).toEqual([]);
    expect(urisOf(snapshot.roots('stack'))).toEqual([S]);
    expect(urisOf(snapshot.children(SV))).toEqual([K]);
  });

  it('lists services outside a stack and containers outside a service as orphans', () => {
    const store = storeWith([
      event('service', 'create', SV, 'Running', []),
      event('node', 'create', N, 'Deployed', []),
      event('container', 'create', K, 'Running', [N]),
    ]);
    const snapshot = store.getSnapshot();
    expect(sorted(urisOf(snapshot.orphans('app')))).toEqual(sorted([SV, K]));
    expect(urisOf(snapshot.orphans('infra'))).toEqual([N]);
    expect(urisOf(snapshot.orphans())).toEqual(urisOf(snapshot.orphans('app')));
  });

  it('drops duplicates by event uuid', () => {
    const store = createHierarchyStore();
    const first = event('stack', 'create', S, 'Starting');
    expect(store.apply(first, 1)).toBe(true);
    expect(store.apply(first, 2)).toBe(false);
    // Same uuid, other content: still the same event delivered twice.
    expect(store.apply({ ...first, state: 'Running' }, 3)).toBe(false);
    store.publish();
    expect(store.getSnapshot().get(S)?.state).toBe('Starting');
    expect(store.getSnapshot().recentEvents(S)).toHaveLength(1);
  });

  it('remembers the uuids of the last dedupeWindow events, and forgets older ones', () => {
    const store = createHierarchyStore({ dedupeWindow: 3 });
    const old = event('stack', 'update', S, 'Running');
    store.apply(old, 1);
    for (let i = 0; i < 2; i++) store.apply(event('stack', 'update', S, 'Running'), 1);
    expect(store.apply(old, 1)).toBe(false); // among the last 3 events: remembered
    for (let i = 0; i < 6; i++) store.apply(event('stack', 'update', S, 'Running'), 1);
    expect(store.apply(old, 1)).toBe(true); // 8 newer events: forgotten
    const noDedupe = createHierarchyStore({ dedupeWindow: 0 });
    expect(noDedupe.apply(old, 1)).toBe(true);
    expect(noDedupe.apply(old, 1)).toBe(true);
  });

  it('drops every repeat of one of the last dedupeWindow events, and nothing else, whatever the objects went through', () => {
    // Few objects with long histories: an object's own records answer most repeats, and beyond the
    // few the store compares, a repeat is found among the uuids it put aside; deletes, re-creations,
    // an entry dropped at a publish and made again, re-seeds and prunes all lose records.
    const objects = [K, K2, K3];
    const step = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('event' as const), object: fc.nat(3), action: fc.constantFrom<EventAction>('create', 'update', 'update', 'delete'), state: fc.constantFrom('Running', 'Stopped', 'Terminated') }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('repeat' as const), back: fc.nat(30) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('publish' as const, 'publish' as const, 'prune' as const, 'reseed' as const), object: fc.nat(2) }) },
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 150, size: 'max' }), fc.integer({ min: 1, max: 20 }), (steps, window) => {
        const store = createHierarchyStore({ dedupeWindow: window, recentEventsPerObject: 50, terminatedRetentionMs: 0 });
        // The same store without duplicate detection, given the same events except the repeats dropped.
        const plain = createHierarchyStore({ dedupeWindow: 0, recentEventsPerObject: 50, terminatedRetentionMs: 0 });
        /** Events applied so far that were no delete (each took a record), and when each uuid came first. */
        let records = 0;
        const firstAt = new Map<string, number>();
        const delivered: DockerCloudEvent[] = [];
        const deliver = (e: DockerCloudEvent, repeat: boolean) => {
          const applied = store.apply(e, 1);
          const at = firstAt.get(e.uuid);
          if (!repeat) expect(applied).toBe(plain.apply(e, 1)); // a new uuid is never taken for a repeat
          // Also the repeat of a delete that found nothing to delete: the object may exist now.
          else if (at !== undefined && records - at <= window) expect(applied).toBe(false);
          else if (applied) expect(plain.apply(e, 1)).toBe(true); // an older repeat may go through: both take it
          if (!repeat) firstAt.set(e.uuid, records);
          if (applied && e.action !== 'delete') records++;
          delivered.push(e);
        };
        for (const s of steps) {
          if (s.kind === 'event') {
            // Object 0 gets half the events: long runs of one object's records.
            deliver(event('container', s.action, objects[s.object % 3] as string, s.state, [SV, S]), false);
          } else if (s.kind === 'repeat') {
            const original = delivered[delivered.length - 1 - (s.back % Math.max(1, delivered.length))];
            if (original !== undefined) deliver({ ...original }, true);
          } else if (s.kind === 'publish') {
            store.publish(); // drops entries of deleted objects nothing refers to
            plain.publish();
          } else if (s.kind === 'prune') {
            expect(urisOf(store.prune(2))).toEqual(urisOf(plain.prune(2)));
          } else {
            // A re-seed from a list that lacks one object: removed without a delete event.
            const list = objects.filter((uri, i) => i !== s.object && plain.getSnapshot().get(uri) !== undefined);
            const rest = list.map((uri) => restContainer(uri, SV, null, 'Running'));
            expect(urisOf(store.seed({ container: rest }, 1).deleted)).toEqual(urisOf(plain.seed({ container: rest }, 1).deleted));
          }
        }
        store.publish();
        plain.publish();
        for (const uri of objects) {
          expect(store.getSnapshot().get(uri)?.state).toBe(plain.getSnapshot().get(uri)?.state);
          expect(store.getSnapshot().recentEvents(uri)).toEqual(plain.getSnapshot().recentEvents(uri));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the parents of the last event, whichever of them changed and however many there are', () => {
    // Parent lists of up to six that mostly differ from a base list in one place only.
    const base = [SV, S, N, C, '/api/app/v1/acme/service/sv2/', '/api/infra/v1/acme/node/n2/'];
    const other = '/api/app/v1/acme/stack/s2/';
    const list = fc
      .record({ length: fc.integer({ min: 0, max: 6 }), changed: fc.integer({ min: -1, max: 5 }) })
      .map(({ length, changed }) => base.slice(0, length).map((uri, i) => (i === changed ? other : uri)));
    fc.assert(
      fc.property(fc.array(fc.record({ object: fc.constantFrom(A1, K), parents: list }), { minLength: 1, maxLength: 40, size: 'max' }), (steps) => {
        const store = createHierarchyStore();
        for (const { object, parents } of steps) {
          store.apply(event(object === K ? 'container' : 'action', 'update', object, object === K ? 'Running' : 'Pending', parents), 1);
          store.publish();
          expect(store.getSnapshot().get(object)?.parents).toEqual(parents);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('ignores a delete of an object it does not hold', () => {
    const store = storeWith(accountEvents());
    const before = store.getSnapshot();
    expect(store.apply(event('container', 'delete', K2, 'Terminated', [SV, S, N, C]), 5)).toBe(false);
    expect(store.publish()).toBe(false);
    expect(store.getSnapshot()).toBe(before);
    expect(urisOf(before.children(SV))).toEqual([K]);
  });

  it('removes a deleted object from its parents and counts', () => {
    const store = storeWith(accountEvents());
    expect(store.apply(event('container', 'delete', K, 'Terminated', [SV, S, N, C]), 5)).toBe(true);
    store.publish();
    const snapshot = store.getSnapshot();
    expect(snapshot.get(K)).toBeUndefined();
    expect(snapshot.children(SV)).toEqual([]);
    expect(snapshot.children(N)).toEqual([]);
    expect(snapshot.recentEvents(K)).toEqual([]);
    expect(snapshot.countsByType().container).toBe(0);
    expect(snapshot.countsByState('container').Running).toBe(0);
    expect(snapshot.size).toBe(4);
  });

  it('keeps the children of a deleted parent under its URI and lists them as orphans', () => {
    const store = storeWith(accountEvents());
    store.apply(event('service', 'delete', SV, 'Terminated', [S]), 5);
    store.publish();
    const snapshot = store.getSnapshot();
    expect(snapshot.get(SV)).toBeUndefined();
    expect(snapshot.children(S)).toEqual([]);
    expect(urisOf(snapshot.children(SV))).toEqual([K]); // the container still names it
    expect(urisOf(snapshot.orphans('app'))).toEqual([K]);
    expect(snapshot.orphans('infra')).toEqual([]);
  });

  it('moves a child when its parents change', () => {
    const SV2 = '/api/app/v1/acme/service/sv2/';
    const store = storeWith([...accountEvents(), event('service', 'create', SV2, 'Running', [S])]);
    store.apply(event('container', 'update', K, 'Running', [SV2, S, N, C]), 5);
    store.publish();
    const snapshot = store.getSnapshot();
    expect(snapshot.children(SV)).toEqual([]);
    expect(urisOf(snapshot.children(SV2))).toEqual([K]);
    expect(snapshot.parentsOf(K)).toEqual([SV2, S, N, C]);
    expect(urisOf(snapshot.children(N))).toEqual([K]);
  });

  it('upserts: an update for an unknown object creates it; createdAt only comes from a create', () => {
    const store = storeWith([event('container', 'update', K, 'Running', [SV, S, N, C]), event('container', 'create', K2, 'Starting', [SV, S, N, C])]);
    const snapshot = store.getSnapshot();
    expect(snapshot.get(K)?.createdAt).toBeUndefined();
    expect(snapshot.get(K2)?.createdAt).toBe(1000);
    expect(snapshot.get(K)?.lastEventDatetime).toMatch(/^2026-11-27T/);
  });

  it('ignores an event whose resource_uri names another type', () => {
    const store = createHierarchyStore();
    expect(store.apply(event('container', 'create', SV, 'Running', []), 1)).toBe(false);
    store.apply(event('service', 'create', SV, 'Running', []), 1);
    expect(store.apply(event('container', 'update', SV, 'Stopped', []), 1)).toBe(false);
    store.publish();
    expect(store.getSnapshot().get(SV)?.type).toBe('service');
  });

  it('handles pre-namespace URIs and action URIs', () => {
    const oldStack = '/api/app/v1/stack/legacy/';
    const store = storeWith([event('stack', 'create', oldStack, 'Running'), event('action', 'create', A1, 'Pending', [oldStack])]);
    const snapshot = store.getSnapshot();
    expect(snapshot.get(oldStack)?.uuid).toBe('legacy');
    expect(snapshot.get(A1)?.uuid).toBe('a1');
    expect(urisOf(snapshot.actionsOf(oldStack))).toEqual([A1]);
  });

  describe('terminated objects', () => {
    it('keeps them for the retention, then prune drops them', () => {
      const store = createHierarchyStore({ terminatedRetentionMs: 1000 });
      for (const e of accountEvents()) store.apply(e, 0);
      store.apply(event('container', 'update', K, 'Terminated', [SV, S, N, C]), 5000);
      store.apply(event('container', 'update', K, 'Terminated', [SV, S, N, C]), 5500); // still the first time
      store.publish();
      expect(store.getSnapshot().get(K)?.terminatedAt).toBe(5000);
      expect(store.prune(5999)).toEqual([]);
      expect(store.publish()).toBe(false);
      const pruned = store.prune(6000);
      expect(urisOf(pruned)).toEqual([K]);
      expect(pruned[0]?.state).toBe('Terminated');
      store.publish();
      expect(store.getSnapshot().get(K)).toBeUndefined();
      expect(store.getSnapshot().children(SV)).toEqual([]);
      expect(store.getSnapshot().countsByState('container').Terminated).toBe(0);
    });

    it('forgets the termination when the object comes back, and times seeded terminations too', () => {
      const store = createHierarchyStore({ terminatedRetentionMs: 10 });
      store.apply(event('node', 'update', N, 'Terminated', [C]), 100);
      store.apply(event('node', 'update', N, 'Deployed', [C]), 105);
      store.seed({ stack: [restStack(S, 'Terminated')] }, 200);
      store.publish();
      expect(store.getSnapshot().get(N)?.terminatedAt).toBeUndefined();
      expect(store.getSnapshot().get(S)?.terminatedAt).toBe(200);
      expect(urisOf(store.prune(1000))).toEqual([S]);
    });
  });

  describe('actions', () => {
    it('attaches actions to their target, newest first', () => {
      const store = storeWith([
        ...accountEvents(),
        event('action', 'create', A1, 'Pending', [SV, S]),
        event('action', 'create', A2, 'Pending', [SV, S]),
        event('action', 'update', A1, 'Success', [SV, S]),
      ]);
      const snapshot = store.getSnapshot();
      expect(urisOf(snapshot.actionsOf(SV))).toEqual([A2, A1]);
      expect(snapshot.actionsOf(SV)[1]?.state).toBe('Success');
      expect(snapshot.actionsOf(S)).toEqual([]); // only the first parent is the target
      expect(snapshot.children(SV).map((o) => o.type)).toEqual(['container']);
      expect(snapshot.ancestors(A1)).toEqual([SV, S]);
      expect(snapshot.countsByState('action')).toMatchObject({ Pending: 1, Success: 1 });
    });

    it('keeps the actions of an object that goes away, and drops a deleted action', () => {
      const store = storeWith([...accountEvents(), event('action', 'create', A1, 'Success', [K, SV, S, N, C])]);
      store.apply(event('container', 'delete', K, 'Terminated', [SV, S, N, C]), 2000);
      store.publish();
      expect(urisOf(store.getSnapshot().actionsOf(K))).toEqual([A1]);
      store.apply(event('action', 'delete', A1, 'Success', [K, SV, S, N, C]), 3000);
      store.publish();
      expect(store.getSnapshot().actionsOf(K)).toEqual([]);
    });
  });

  describe('ended actions', () => {
    const action = (i: number) => `/api/audit/v1/action/e${i}/`;

    it('are kept up to endedActions at a prune, the earliest to end dropped first, and a running one never', () => {
      expect(() => createHierarchyStore({ endedActions: 1.5 })).toThrow(new EventsError('invalid-config', 'endedActions must be a non-negative integer, got 1.5'));
      const store = storeWith(accountEvents(), { endedActions: 2 });
      for (let i = 0; i < 4; i++) store.apply(event('action', 'create', action(i), 'Pending', [SV, S]), 1);
      // They end in another order than they began: 2, 0, 3; 1 still runs.
      for (const [i, state] of [[2, 'Success'], [0, 'Failed'], [3, 'Canceled']] as const) store.apply(event('action', 'update', action(i), state, [SV, S]), 1);
      store.publish();
      expect(store.getSnapshot().actionsOf(SV)).toHaveLength(4); // only prune() drops them
      expect(urisOf(store.prune(1))).toEqual([action(2)]);
      store.publish();
      expect(sorted(urisOf(store.getSnapshot().actionsOf(SV)))).toEqual(sorted([action(0), action(1), action(3)]));
      expect(store.getSnapshot().get(action(2))).toBeUndefined();
      expect(store.getSnapshot().countsByState('action')).toMatchObject({ Pending: 1, Failed: 1, Canceled: 1, Success: 0 });
      store.apply(event('action', 'update', action(1), 'Success', [SV, S]), 1);
      expect(urisOf(store.prune(1))).toEqual([action(0)]);
      expect(store.prune(1)).toEqual([]);
    });

    it('seeded ones count from the earliest started, and a deleted one no longer counts', () => {
      const store = createHierarchyStore({ endedActions: 1 });
      store.seed(
        {
          service: [restService(SV, null)],
          action: [restAction(action(1), SV, 'Fri, 27 Nov 2026 10:00:00 +0000'), restAction(action(0), SV, 'Fri, 27 Nov 2026 09:00:00 +0000')],
        },
        1,
      );
      store.apply(event('action', 'delete', action(1), 'Success', [SV]), 1);
      expect(store.prune(1)).toEqual([]);
      store.apply(event('action', 'create', action(2), 'Success', [SV]), 1);
      expect(urisOf(store.prune(1))).toEqual([action(0)]);
    });

    it('hold exactly the running actions and the last endedActions to end, whatever the events and prunes', () => {
      const step = fc.oneof(
        { weight: 8, arbitrary: fc.record({ kind: fc.constant('event' as const), action: fc.nat(7), delete: fc.boolean(), state: fc.constantFrom('Pending', 'In progress', 'Canceling', 'Canceled', 'Success', 'Failed') }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('prune' as const) }) },
      );
      fc.assert(
        fc.property(fc.array(step, { maxLength: 120 }), fc.nat(4), (steps, cap) => {
          const store = createHierarchyStore({ endedActions: cap, dedupeWindow: 0 });
          store.apply(event('service', 'create', SV, 'Running'), 1);
          // The model: each held action's state, and the ended ones in the order they ended.
          const held = new Map<string, string>();
          let endedOrder: string[] = [];
          const isEnded = (state: string | undefined) => state === 'Success' || state === 'Failed' || state === 'Canceled';
          for (const s of steps) {
            if (s.kind === 'prune') {
              const dropped = endedOrder.slice(0, Math.max(0, endedOrder.length - cap));
              expect(sorted(urisOf(store.prune(1)))).toEqual(sorted(dropped));
              endedOrder = endedOrder.slice(dropped.length);
              for (const uri of dropped) held.delete(uri);
              continue;
            }
            const uri = action(s.action);
            if (s.delete) {
              store.apply(event('action', 'delete', uri, s.state, [SV]), 1);
              held.delete(uri);
              endedOrder = endedOrder.filter((u) => u !== uri);
              continue;
            }
            store.apply(event('action', held.has(uri) ? 'update' : 'create', uri, s.state, [SV]), 1);
            const was = held.get(uri);
            held.set(uri, s.state);
            if (isEnded(s.state) && !(was !== undefined && isEnded(was))) endedOrder.push(uri);
            if (!isEnded(s.state)) endedOrder = endedOrder.filter((u) => u !== uri);
          }
          store.publish();
          expect(sorted(urisOf(store.getSnapshot().actionsOf(SV)))).toEqual(sorted([...held.keys()]));
          for (const [uri, state] of held) expect(store.getSnapshot().get(uri)?.state).toBe(state);
        }),
        { numRuns: 300 },
      );
    });
  });

  it('keeps the last events of each object, newest first and bounded', () => {
    const store = createHierarchyStore({ recentEventsPerObject: 3 });
    const events = ['Starting', 'Running', 'Stopping', 'Stopped', 'Starting'].map((state) => event('container', 'update', K, state, [SV, S, N, C]));
    for (const e of events.slice(0, 2)) store.apply(e, 1);
    store.publish();
    expect(store.getSnapshot().recentEvents(K)).toEqual([events[1], events[0]]);
    for (const e of events.slice(2)) store.apply(e, 1);
    store.publish();
    expect(store.getSnapshot().recentEvents(K)).toEqual([events[4], events[3], events[2]]);
    const none = storeWith(events, { recentEventsPerObject: 0 });
    expect(none.getSnapshot().recentEvents(K)).toEqual([]);
  });

  it('keeps each event its own datetime and epoch when bursts repeat them (the store shares one copy)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ object: fc.constantFrom(K, K2, K3), datetime: fc.constantFrom('2026-11-27T09:00:00Z', '2026-11-27T09:00:01Z', '', '__proto__', '7'), epoch: fc.constantFrom('e1', 'epoch-two-longer-than-ten', '0') }), { minLength: 1, maxLength: 30 }),
        (steps) => {
          const store = createHierarchyStore();
          // Fresh strings for every event, as JSON.parse makes them.
          const events = steps.map((step, i) => JSON.parse(JSON.stringify({ ...event('container', 'update', step.object, 'Running', [SV]), datetime: step.datetime, position: { epoch: step.epoch, seq: i } })) as DockerCloudEvent);
          for (const e of events) store.apply(e, 1);
          store.publish();
          const snapshot = store.getSnapshot();
          for (const uri of [K, K2, K3]) {
            const mine = events.filter((e) => e.resource_uri === uri).reverse();
            expect(snapshot.get(uri)?.lastEventDatetime ?? null).toBe(mine[0]?.datetime ?? null);
            expect(snapshot.recentEvents(uri)).toEqual(mine.slice(0, 20));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('forgets the events that fell out of the event history, and only those', () => {
    expect(() => createHierarchyStore({ eventHistory: -1 })).toThrow(/eventHistory must be a non-negative integer/);
    const store = createHierarchyStore({ recentEventsPerObject: 3, eventHistory: 4096, dedupeWindow: 4096 });
    const mine = ['Starting', 'Running'].map((state) => event('container', 'update', K, state, [SV, S, N, C]));
    for (const e of mine) store.apply(e, 1);
    store.publish();
    const before = store.getSnapshot();
    // 4,095 events of another object: the oldest of K's two is now out of the 4,096 kept.
    for (let i = 0; i < 4095; i++) store.apply(event('container', 'update', K2, i % 2 ? 'Running' : 'Stopped', [SV, S, N, C]), 2);
    store.publish();
    expect(store.getSnapshot().recentEvents(K)).toEqual([mine[1]]);
    expect(store.getSnapshot().get(K)?.state).toBe('Running'); // the object itself stays
    expect(store.getSnapshot().recentEvents(K2)).toHaveLength(3);
    expect(before.recentEvents(K)).toEqual([mine[1]]); // older snapshots read the same history
    store.apply(event('container', 'update', K2, 'Stopped', [SV, S, N, C]), 3);
    expect(store.getSnapshot().recentEvents(K)).toEqual([mine[1]]); // fixed at its first request
  });

  it('keeps the recent events of every published snapshot, however events and publishes interleave', () => {
    // Snapshots share the event log with the store (see hierarchy-event-log.ts): this is
    // the property that sharing must not break.
    const step = fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('event' as const), object: fc.nat(1), canonical: fc.boolean(), position: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('publish' as const) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), object: fc.nat(1) }) },
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), fc.integer({ min: 1, max: 5 }), (steps, keep) => {
        const store = createHierarchyStore({ recentEventsPerObject: keep });
        const objects = [K, K2];
        const history = new Map<string, DockerCloudEvent[]>(objects.map((uri) => [uri, []]));
        const published: { snapshot: HierarchySnapshot; expected: DockerCloudEvent[][] }[] = [];
        steps.forEach((s, i) => {
          if (s.kind === 'publish') {
            if (store.publish()) published.push({ snapshot: store.getSnapshot(), expected: objects.map((uri) => (history.get(uri) ?? []).slice(-keep).reverse()) });
            return;
          }
          const uri = objects[s.object] as string;
          if (s.kind === 'delete') {
            store.apply(event('container', 'delete', uri, 'Terminated', [SV, S, N, C]), i);
            history.set(uri, []);
            return;
          }
          const e = event('container', 'update', uri, i % 2 ? 'Running' : 'Stopped', [SV, S, N, C]);
          const styled: DockerCloudEvent = {
            ...e,
            uuid: s.canonical ? e.uuid : `id-${i}`,
            ...(s.position ? { position: { epoch: 'e1', seq: 2 ** 32 + i } } : {}),
          };
          store.apply(styled, i);
          history.get(uri)?.push(styled);
        });
        for (const { snapshot, expected } of published) {
          expect(objects.map((uri) => snapshot.recentEvents(uri))).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  describe('snapshots', () => {
    it('never change after they are published', () => {
      const store = storeWith([...accountEvents(), event('action', 'create', A1, 'Pending', [SV, S])]);
      const old = store.getSnapshot();
      const watched = [S, SV, N, C, K, K2, A1, A2];
      const before = answers(old, watched);

      const SV2 = '/api/app/v1/acme/service/sv2/';
      store.apply(event('container', 'update', K, 'Stopped', [SV2, S, N, C]), 2000);
      store.apply(event('container', 'create', K2, 'Starting', [SV, S, N, C]), 2000);
      store.apply(event('action', 'update', A1, 'Success', [SV, S]), 2000);
      store.apply(event('action', 'create', A2, 'Pending', [SV, S]), 2000);
      store.apply(event('stack', 'delete', S, 'Terminated'), 2000);
      store.seed({ node: [restNode(N, C, 'Unreachable')] }, 2000);
      store.publish();
      for (let i = 0; i < 50; i++) store.apply(event('container', 'create', `/api/app/v1/acme/container/x${i}/`, 'Running', [SV, S, N, C]), 3000);
      store.publish();

      expect(store.getSnapshot()).not.toBe(old);
      expect(answers(store.getSnapshot(), watched)).not.toEqual(before);
      expect(answers(old, watched)).toEqual(before);
    });

    it('hand out frozen records and lists', () => {
      const snapshot = storeWith(accountEvents()).getSnapshot();
      const record = snapshot.get(K);
      const children = snapshot.children(SV);
      expect(Object.isFrozen(record)).toBe(true);
      expect(Object.isFrozen(record?.parents)).toBe(true);
      expect(Object.isFrozen(children)).toBe(true);
      expect(Object.isFrozen(snapshot.ofType('container'))).toBe(true);
      expect(Object.isFrozen(snapshot.recentEvents(K))).toBe(true);
      expect(() => (children as unknown[]).push(1)).toThrow(TypeError);
    });

    it('keep their identity until a publish changes something', () => {
      const store = createHierarchyStore();
      const first = store.getSnapshot();
      expect(store.getSnapshot()).toBe(first);
      expect(store.publish()).toBe(false);
      store.apply(event('stack', 'create', S, 'Running'), 1);
      expect(store.getSnapshot()).toBe(first); // applied, not yet published
      expect(store.publish()).toBe(true);
      const second = store.getSnapshot();
      expect(second).not.toBe(first);
      expect(second.version).toBe(1);
      expect(store.publish()).toBe(false);
      expect(store.getSnapshot()).toBe(second);
      // Created and deleted between two publishes: nothing to publish.
      store.apply(event('container', 'create', K, 'Running', [SV, S, N, C]), 2);
      store.apply(event('container', 'delete', K, 'Terminated', [SV, S, N, C]), 2);
      expect(store.publish()).toBe(false);
      expect(store.getSnapshot()).toBe(second);
    });
  });

  describe('batching', () => {
    it('notifies once per publish, however many events came in between', () => {
      const store = createHierarchyStore();
      const seen: number[] = [];
      const unsubscribe = store.subscribe(() => seen.push(store.getSnapshot().version));
      for (let i = 0; i < 1000; i++) store.apply(event('container', 'update', `/api/app/v1/acme/container/c${i % 100}/`, 'Running', [SV]), i);
      expect(seen).toEqual([]); // apply never notifies
      store.publish();
      expect(seen).toEqual([1]);
      expect(store.getSnapshot().size).toBe(100);
      store.publish();
      expect(seen).toEqual([1]);
      unsubscribe();
      store.apply(event('stack', 'create', S, 'Running'), 2000);
      store.publish();
      expect(seen).toEqual([1]);
    });

    it('calls every subscriber even if one throws, then rethrows', () => {
      const store = createHierarchyStore();
      const calls: string[] = [];
      store.subscribe(() => {
        calls.push('a');
        throw new Error('broken view');
      });
      store.subscribe(() => calls.push('b'));
      store.apply(event('stack', 'create', S, 'Running'), 1);
      expect(() => store.publish()).toThrow('broken view');
      expect(calls).toEqual(['a', 'b']);
      expect(store.getSnapshot().version).toBe(1);
    });
  });

  describe('seed', () => {
    it('fills both trees from REST lists, deriving event-style parents and keeping the fields', () => {
      const store = createHierarchyStore();
      const diff = store.seed(accountLists(), 500);
      expect(sorted(urisOf(diff.created))).toEqual(sorted([S, SV, C, N, K]));
      expect(diff.updated).toEqual([]);
      expect(diff.deleted).toEqual([]);
      store.publish();
      const snapshot = store.getSnapshot();
      expect(snapshot.parentsOf(K)).toEqual([SV, S, N, C]);
      expect(snapshot.parentsOf(SV)).toEqual([S]);
      expect(urisOf(snapshot.children(N))).toEqual([K]);
      expect(snapshot.get(K)).toMatchObject({ state: 'Running', fields: { name: 'web-k1' }, lastEventDatetime: null, updatedAt: 500 });
      expect(snapshot.get(K)?.createdAt).toBeUndefined();
      expect(diff.created.find((o) => o.resource_uri === K)).toBe(snapshot.get(K));
    });

    it('lets events update state and parents while the fields stay', () => {
      const store = createHierarchyStore();
      store.seed(accountLists(), 500);
      store.apply(event('container', 'update', K, 'Stopped', [SV, S, N, C]), 600);
      store.publish();
      expect(store.getSnapshot().get(K)).toMatchObject({ state: 'Stopped', fields: { name: 'web-k1', state: 'Running' }, updatedAt: 600 });
    });

    it('reports what a re-seed created, updated and deleted, and leaves missing types alone', () => {
      const store = createHierarchyStore();
      store.seed(accountLists(), 500);
      store.apply(event('container', 'create', K2, 'Running', [SV, S, N, C]), 600);
      store.apply(event('node', 'update', N, 'Unreachable', [C]), 600);
      store.publish();
      const before = store.getSnapshot();

      const diff = store.seed({ container: [restContainer(K, SV, N, 'Stopped'), restContainer(K3, SV, N)] }, 700);
      expect(urisOf(diff.created)).toEqual([K3]);
      expect(diff.updated).toHaveLength(1);
      expect(diff.updated[0]?.before).toBe(before.get(K));
      expect(diff.updated[0]?.after).toMatchObject({ resource_uri: K, state: 'Stopped', updatedAt: 700 });
      expect(diff.deleted).toEqual([before.get(K2)]); // final state unknown
      store.publish();
      const after = store.getSnapshot();
      expect(after.get(N)).toBe(before.get(N)); // nodes were not in the lists
      expect(after.get(N)?.state).toBe('Unreachable');
      expect(sorted(urisOf(after.children(SV)))).toEqual(sorted([K, K3]));
    });

    it('reports nothing and publishes nothing when the lists match the store', () => {
      const store = createHierarchyStore();
      store.seed(accountLists(), 500);
      store.publish();
      const snapshot = store.getSnapshot();
      const diff = store.seed(accountLists(), 900); // equal content, new objects
      expect(diff).toEqual({ created: [], updated: [], deleted: [] });
      expect(store.publish()).toBe(false);
      expect(store.getSnapshot()).toBe(snapshot);
    });

    it('reports a change of REST fields alone as an update', () => {
      const store = createHierarchyStore();
      store.seed(accountLists(), 500);
      const diff = store.seed({ container: [{ ...restContainer(K, SV, N), exit_code: 137 }] }, 600);
      expect(diff.updated.map((u) => [u.before.fields, u.after.fields])).toEqual([
        [expect.objectContaining({ exit_code: null }), expect.objectContaining({ exit_code: 137 })],
      ]);
    });

    it('resolves a container’s stack and node cluster through held objects when their lists are not given', () => {
      const store = createHierarchyStore();
      store.seed({ stack: [restStack(S)], service: [restService(SV, S)], nodecluster: [restCluster(C)], node: [restNode(N, C)] }, 1);
      store.seed({ container: [restContainer(K, SV, N)] }, 2);
      // A service known only from events resolves through the parents its events carried.
      const SV2 = '/api/app/v1/acme/service/sv2/';
      store.apply(event('service', 'create', SV2, 'Running', [S]), 3);
      store.seed({ container: [restContainer(K, SV, N), restContainer(K2, SV2, null)] }, 4);
      store.publish();
      expect(store.getSnapshot().parentsOf(K)).toEqual([SV, S, N, C]);
      expect(store.getSnapshot().parentsOf(K2)).toEqual([SV2, S]);
    });

    it('attaches seeded actions newest first by start date', () => {
      const store = createHierarchyStore();
      store.seed(
        {
          ...accountLists(),
          action: [
            restAction(A1, SV, 'Fri, 27 Nov 2026 09:00:00 +0000'),
            restAction(A2, SV, 'Fri, 27 Nov 2026 10:00:00 +0000'),
            restAction('/api/audit/v1/action/a0/', SV, 'Fri, 27 Nov 2026 08:00:00 +0000'),
          ].reverse(),
        },
        1,
      );
      store.publish();
      const snapshot = store.getSnapshot();
      expect(urisOf(snapshot.actionsOf(SV))).toEqual([A2, A1, '/api/audit/v1/action/a0/']);
      expect(snapshot.parentsOf(A1)).toEqual([SV, S]);
    });

    it('throws before changing anything when a list holds an object of another type', () => {
      const store = createHierarchyStore();
      const bad = { stack: [restStack(S)], container: [restContainer(K, SV, N), restService(SV, S) as unknown as RestObjectByType['container']] };
      expect(() => store.seed(bad, 1)).toThrow(expect.objectContaining({ code: 'protocol' }));
      expect(store.publish()).toBe(false);
      expect(store.getSnapshot().size).toBe(0);
    });
  });
});
