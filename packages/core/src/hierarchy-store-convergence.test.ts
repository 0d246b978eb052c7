/**
 * Properties of the hierarchy store against a reference model: a plain fold of the event log
 * over a Map, with the trees, orphans, actions and counts computed from scratch.
 *
 * What a real stream may do to the log, and what the store must tolerate:
 * - duplicates: an event (same uuid, same content) delivered again, later than the first copy;
 * - reordering: any interleaving that keeps the order of the events of each object. A connection
 *   delivers in the order the server accepted events, but the server accepts events of different
 *   objects from different sources, so children before parents, actions before their targets and
 *   one object's burst inside another's are all normal. Events of ONE object are never reordered:
 *   state is last-writer-wins, so swapping two updates of one object changes the true answer;
 * - lost segments: events never delivered, followed by a re-seed from the REST lists of the true
 *   state at the end of the gap.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DockerCloudEvent } from './event-schema.js';
import { createHierarchyStore, type HierarchySnapshot, type HierarchyStore, type SeedLists, type StoredObject } from './hierarchy-store.js';
import { type EventAction, OBJECT_TYPES, type ObjectType, STATES, type State } from './object-types.js';
import { typeOfUri } from './resource-uri.js';
import { parentsOfRestObject, type RestObject, type RestObjectByType } from './rest-schema.js';

// --- the world: a fixed set of objects and how they hang together -------------------------------

interface World {
  readonly objects: readonly string[]; // every URI, actions last
  readonly parentsOf: ReadonlyMap<string, readonly string[]>; // event-style parents
}

const uriOf = (type: ObjectType, i: number) =>
  type === 'action' ? `/api/audit/v1/action/a${i}/` : `/api/${type === 'node' || type === 'nodecluster' ? 'infra' : 'app'}/v1/acme/${type}/${type[0]}${i}/`;

const worldArb: fc.Arbitrary<World> = fc
  .record({
    serviceStacks: fc.array(fc.option(fc.nat(2), { nil: null }), { minLength: 4, maxLength: 4 }),
    nodeClusters: fc.array(fc.option(fc.nat(1), { nil: null }), { minLength: 3, maxLength: 3 }),
    containers: fc.array(fc.record({ service: fc.option(fc.nat(3), { nil: null }), node: fc.option(fc.nat(2), { nil: null }) }), {
      minLength: 6,
      maxLength: 6,
    }),
    actionTargets: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
  })
  .map(({ serviceStacks, nodeClusters, containers, actionTargets }) => {
    const parentsOf = new Map<string, readonly string[]>();
    for (let i = 0; i < 3; i++) parentsOf.set(uriOf('stack', i), []);
    for (let i = 0; i < 2; i++) parentsOf.set(uriOf('nodecluster', i), []);
    serviceStacks.forEach((stack, i) => {
      parentsOf.set(uriOf('service', i), stack === null ? [] : [uriOf('stack', stack)]);
    });
    nodeClusters.forEach((cluster, i) => {
      parentsOf.set(uriOf('node', i), cluster === null ? [] : [uriOf('nodecluster', cluster)]);
    });
    containers.forEach(({ service, node }, i) => {
      const parents: string[] = [];
      if (service !== null) parents.push(uriOf('service', service), ...(parentsOf.get(uriOf('service', service)) ?? []));
      if (node !== null) parents.push(uriOf('node', node), ...(parentsOf.get(uriOf('node', node)) ?? []));
      parentsOf.set(uriOf('container', i), parents);
    });
    const targets = [...parentsOf.keys()];
    actionTargets.forEach((t, i) => {
      const target = targets[t % targets.length] as string;
      parentsOf.set(uriOf('action', i), [target, ...(parentsOf.get(target) ?? [])]);
    });
    return { objects: [...parentsOf.keys()], parentsOf };
  });

const typeOf = (uri: string) => typeOfUri(uri) as ObjectType;
const stateAt = (type: ObjectType, i: number) => STATES[type][i % STATES[type].length] as State;

/** How an event's uuid and position look: canonical uuids are stored packed, others as strings. */
interface EventStyle {
  readonly uuid: 'canonical' | 'other';
  readonly position: boolean;
}

let uuidSeq = 0;
function makeEvent(world: World, uri: string, action: EventAction, stateIndex: number, style: EventStyle): DockerCloudEvent {
  uuidSeq++;
  const hex = uuidSeq.toString(16).padStart(12, '0');
  return {
    type: typeOf(uri),
    action,
    parents: world.parentsOf.get(uri) ?? [],
    resource_uri: uri,
    state: stateAt(typeOf(uri), stateIndex),
    uuid: style.uuid === 'canonical' ? `${hex.slice(4)}-0000-4000-8000-${hex}` : `U-${uuidSeq}`,
    datetime: `2026-11-27T09:${String(Math.floor(uuidSeq / 60) % 60).padStart(2, '0')}:${String(uuidSeq % 60).padStart(2, '0')}Z`,
    // Sequences past 2^31 and 2^32 too: the store splits them to keep them in 32-bit integers.
    ...(style.position ? { position: { epoch: `epoch-${uuidSeq % 3}`, seq: uuidSeq * 2 ** 33 + 5 } } : {}),
  };
}

const styleArb: fc.Arbitrary<EventStyle> = fc.record({
  uuid: fc.constantFrom<EventStyle['uuid']>('canonical', 'canonical', 'canonical', 'other'),
  position: fc.boolean(),
});

/** Every object created once (in any order, children often first), then updates and a few deletes. */
const logArb = (world: World): fc.Arbitrary<DockerCloudEvent[]> =>
  fc
    .record({
      creation: fc.shuffledSubarray([...world.objects], { minLength: world.objects.length, maxLength: world.objects.length }),
      ops: fc.array(
        fc.record({
          uri: fc.constantFrom(...world.objects),
          action: fc.constantFrom<EventAction>('create', 'update', 'update', 'update', 'update', 'delete'),
          state: fc.nat(),
          style: styleArb,
        }),
        { maxLength: 60 },
      ),
    })
    .map(({ creation, ops }) => [
      ...creation.map((uri) => makeEvent(world, uri, 'create', 0, { uuid: 'canonical', position: false })),
      ...ops.map((op) => makeEvent(world, op.uri, op.action, op.state, op.style)),
    ]);

// --- the reference model ----------------------------------------------------------------------

interface ModelObject {
  readonly type: ObjectType;
  readonly state: string;
  readonly parents: readonly string[];
}

interface Model {
  readonly objects: Map<string, ModelObject>;
  /** Oldest first. */
  readonly recent: Map<string, DockerCloudEvent[]>;
  readonly seen: Set<string>;
}

const emptyModel = (): Model => ({ objects: new Map(), recent: new Map(), seen: new Set() });

/** The straightforward fold: every uuid once, in delivery order; delete removes, anything else upserts. */
/** Applies `events` to `store`, each at its position in the log plus `from` as the time. */
function applyAll(store: HierarchyStore, events: readonly DockerCloudEvent[], from: number): void {
  events.forEach((e, i) => {
    store.apply(e, from + i);
  });
}

function fold(events: readonly DockerCloudEvent[], model: Model = emptyModel()): Model {
  for (const e of events) {
    if (model.seen.has(e.uuid)) continue;
    model.seen.add(e.uuid);
    if (e.action === 'delete') {
      model.objects.delete(e.resource_uri);
      model.recent.delete(e.resource_uri);
      continue;
    }
    model.objects.set(e.resource_uri, { type: e.type, state: e.state, parents: e.parents });
    model.recent.set(e.resource_uri, [...(model.recent.get(e.resource_uri) ?? []), e]);
  }
  return model;
}

/** The REST lists of a model's state: what the server would list (all six types). */
function toRest(model: Model): SeedLists {
  const lists: { [T in ObjectType]: RestObjectByType[T][] } = { nodecluster: [], node: [], stack: [], service: [], container: [], action: [] };
  const first = (parents: readonly string[], type: ObjectType) => parents.find((p) => typeOf(p) === type) ?? null;
  for (const [uri, o] of model.objects) {
    const base = { uuid: uri.split('/').at(-2) as string, resource_uri: uri };
    switch (o.type) {
      case 'stack':
        lists.stack.push({ ...base, state: o.state as RestObjectByType['stack']['state'], name: 'stack', services: [], deployed_datetime: null, destroyed_datetime: null });
        break;
      case 'service':
        lists.service.push({
          ...base, state: o.state as RestObjectByType['service']['state'], name: 'web', image_name: 'nginx', stack: first(o.parents, 'stack'), containers: [],
          target_num_containers: 1, current_num_containers: 1, running_num_containers: 1, stopped_num_containers: 0,
        });
        break;
      case 'container':
        lists.container.push({
          ...base, state: o.state as RestObjectByType['container']['state'], name: 'web-1', image_name: 'nginx', service: first(o.parents, 'service'),
          node: first(o.parents, 'node'), exit_code: null, started_datetime: null, stopped_datetime: null,
        });
        break;
      case 'nodecluster':
        lists.nodecluster.push({
          ...base, state: o.state as RestObjectByType['nodecluster']['state'], name: 'cluster', nodes: [], target_num_nodes: 1, current_num_nodes: 1,
          region: null, node_type: null,
        });
        break;
      case 'node':
        lists.node.push({
          ...base, state: o.state as RestObjectByType['node']['state'], node_cluster: first(o.parents, 'nodecluster'), external_fqdn: null,
          docker_version: null, cpu: null, memory: null, current_num_containers: 0, last_seen: null,
        });
        break;
      case 'action':
        lists.action.push({
          ...base, state: o.state as RestObjectByType['action']['state'], object: o.parents[0] as string, action: 'Service Scale', method: 'POST',
          path: '', start_date: null, end_date: null, user: 'alice', is_user_action: true, can_be_canceled: false,
        });
        break;
    }
  }
  return lists;
}

/** What a seed from `lists` (all six types given) must leave: parents as REST fields imply them. */
function derive(lists: SeedLists, model: Model): Model {
  const byUri = new Map<string, RestObject>();
  for (const type of OBJECT_TYPES) for (const o of (lists[type] ?? []) as readonly RestObject[]) byUri.set(o.resource_uri, o);
  model.objects.clear();
  for (const [uri, o] of byUri) {
    const type = typeOf(uri);
    model.objects.set(uri, { type, state: o.state, parents: parentsOfRestObject(o, type, (u) => byUri.get(u)) });
  }
  return model;
}

const DIRECT_PARENT: Record<'app' | 'infra', Partial<Record<ObjectType, ObjectType>>> = {
  app: { service: 'stack', container: 'service' },
  infra: { node: 'nodecluster', container: 'node' },
};

/** Everything a snapshot answers, as plain sorted data. */
function describeSnapshot(snapshot: HierarchySnapshot, universe: readonly string[], withRecent: boolean) {
  const uris = (objects: readonly StoredObject[]) => objects.map((o) => o.resource_uri).sort();
  return {
    size: snapshot.size,
    objects: universe.map((uri) => {
      const o = snapshot.get(uri);
      return {
        uri,
        object: o === undefined ? null : { type: o.type, state: o.state, parents: [...o.parents] },
        children: uris(snapshot.children(uri)),
        actions: uris(snapshot.actionsOf(uri)),
        ...(withRecent ? { recent: snapshot.recentEvents(uri).map((e) => ({ ...e, parents: [...e.parents] })) } : {}),
      };
    }),
    ofType: Object.fromEntries(OBJECT_TYPES.map((type) => [type, uris(snapshot.ofType(type))])),
    orphans: { app: uris(snapshot.orphans('app')), infra: uris(snapshot.orphans('infra')) },
    counts: snapshot.countsByType(),
    states: Object.fromEntries(OBJECT_TYPES.map((type) => [type, snapshot.countsByState(type)])),
  };
}

function describeModel(model: Model, universe: readonly string[], withRecent: boolean, recentPerObject: number) {
  const all = [...model.objects];
  const directParent = (o: ModelObject, tree: 'app' | 'infra') => {
    const parentType = DIRECT_PARENT[tree][o.type];
    return parentType === undefined ? undefined : (o.parents.find((p) => typeOf(p) === parentType) ?? null);
  };
  const orphans = (tree: 'app' | 'infra') =>
    all
      .filter(([, o]) => {
        const parent = directParent(o, tree);
        return parent !== undefined && (parent === null || !model.objects.has(parent));
      })
      .map(([uri]) => uri)
      .sort();
  return {
    size: model.objects.size,
    objects: universe.map((uri) => {
      const o = model.objects.get(uri);
      return {
        uri,
        object: o === undefined ? null : { type: o.type, state: o.state, parents: [...o.parents] },
        children: all
          .filter(([, c]) => directParent(c, 'app') === uri || directParent(c, 'infra') === uri)
          .map(([u]) => u)
          .sort(),
        actions: all
          .filter(([, a]) => a.type === 'action' && a.parents[0] === uri)
          .map(([u]) => u)
          .sort(),
        ...(withRecent
          ? {
              recent: (model.recent.get(uri) ?? [])
                .slice(-recentPerObject)
                .reverse()
                .map((e) => ({ ...e, parents: [...e.parents] })),
            }
          : {}),
      };
    }),
    ofType: Object.fromEntries(OBJECT_TYPES.map((type) => [type, all.filter(([, o]) => o.type === type).map(([u]) => u).sort()])),
    orphans: { app: orphans('app'), infra: orphans('infra') },
    counts: Object.fromEntries(OBJECT_TYPES.map((type) => [type, all.filter(([, o]) => o.type === type).length])) as Record<ObjectType, number>,
    states: Object.fromEntries(
      OBJECT_TYPES.map((type) => {
        const counts: Record<string, number> = Object.fromEntries(STATES[type].map((s) => [s, 0]));
        for (const [, o] of all) if (o.type === type) counts[o.state] = (counts[o.state] ?? 0) + 1;
        return [type, counts];
      }),
    ),
  };
}

// --- delivery perturbations -------------------------------------------------------------------

/** A random interleaving that keeps each object's events in their order (see the file comment). */
function interleave(log: readonly DockerCloudEvent[], keys: readonly number[]): DockerCloudEvent[] {
  const positions = new Map<string, number[]>();
  log.forEach((e, i) => {
    positions.set(e.resource_uri, [...(positions.get(e.resource_uri) ?? []), i]);
  });
  const assigned = new Array<number>(log.length);
  for (const list of positions.values()) {
    const sortedKeys = list.map((i) => keys[i] ?? 0).sort((a, b) => a - b);
    list.forEach((position, j) => {
      assigned[position] = sortedKeys[j] as number;
    });
  }
  return log
    .map((event, i) => ({ event, key: assigned[i] as number, i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map(({ event }) => event);
}

/** Copies of some events delivered again, each some time after its first copy. */
function withDuplicates(events: readonly DockerCloudEvent[], dups: readonly { from: number; delay: number }[]): DockerCloudEvent[] {
  if (events.length === 0) return [];
  const keyed = events.map((event, i) => ({ event, key: 2 * i }));
  for (const { from, delay } of dups) {
    const i = from % events.length;
    keyed.push({ event: { ...(events[i] as DockerCloudEvent) }, key: 2 * (i + delay) + 1 });
  }
  return keyed.sort((a, b) => a.key - b.key).map(({ event }) => event);
}

const RECENT = 3;

describe('hierarchy store properties', () => {
  it('converges to the fold of the event log under duplicates and reorderings, and old snapshots never change', () => {
    const scenario = worldArb.chain((world) =>
      logArb(world).chain((log) =>
        fc.record({
          world: fc.constant(world),
          log: fc.constant(log),
          keys: fc.array(fc.nat(1000), { minLength: log.length, maxLength: log.length }),
          dups: fc.array(fc.record({ from: fc.nat(), delay: fc.nat(30) }), { maxLength: 15 }),
          publishEvery: fc.integer({ min: 1, max: 40 }),
        }),
      ),
    );
    fc.assert(
      fc.property(scenario, ({ world, log, keys, dups, publishEvery }) => {
        const delivered = withDuplicates(interleave(log, keys), dups);
        const store = createHierarchyStore({ recentEventsPerObject: RECENT });
        const published: { snapshot: HierarchySnapshot; model: ReturnType<typeof describeModel> }[] = [];
        delivered.forEach((e, i) => {
          store.apply(e, i);
          if (i % publishEvery === publishEvery - 1 && store.publish()) {
            published.push({ snapshot: store.getSnapshot(), model: describeModel(fold(delivered.slice(0, i + 1)), world.objects, true, RECENT) });
          }
        });
        store.publish();
        expect(describeSnapshot(store.getSnapshot(), world.objects, true)).toEqual(describeModel(fold(log), world.objects, true, RECENT));
        for (const { snapshot, model } of published) expect(describeSnapshot(snapshot, world.objects, true)).toEqual(model);
      }),
      { numRuns: 200 },
    );
  });

  it('converges after a lost segment and a re-seed from the true state', () => {
    const scenario = worldArb.chain((world) =>
      logArb(world).chain((log) =>
        fc.record({
          world: fc.constant(world),
          log: fc.constant(log),
          gap: fc.tuple(fc.nat(log.length), fc.nat(log.length)).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
        }),
      ),
    );
    let closedRuns = 0;
    let runs = 0;
    fc.assert(
      fc.property(scenario, ({ world, log, gap: [lostFrom, lostTo] }) => {
        runs++;
        const store = createHierarchyStore();
        applyAll(store, log.slice(0, lostFrom), 0);
        store.publish(); // a snapshot taken before the gap, as a UI would hold it
        // log[lostFrom, lostTo) never arrives; the client re-lists at lostTo.
        const trueAtGap = fold(log.slice(0, lostTo));
        const lists = toRest(trueAtGap);
        store.seed(lists, lostTo);
        applyAll(store, log.slice(lostTo), lostTo);
        store.publish();

        const expected = fold(log.slice(lostTo), derive(lists, fold(log.slice(0, lostTo))));
        const actual = describeSnapshot(store.getSnapshot(), world.objects, false);
        expect(actual).toEqual(describeModel(expected, world.objects, false, RECENT));
        // When the REST lists carry what the events did (every container's service and node and
        // every action's target still exist), that is exactly the fold of the whole log.
        const rederived = derive(lists, emptyModel());
        if (JSON.stringify([...rederived.objects].sort()) === JSON.stringify([...trueAtGap.objects].sort())) {
          closedRuns++;
          expect(actual).toEqual(describeModel(fold(log), world.objects, false, RECENT));
        }
      }),
      { numRuns: 200 },
    );
    // The exact-fold assertion above must actually run in a good share of cases.
    expect(closedRuns).toBeGreaterThan(runs / 5);
  });

  it('reports as a re-seed diff exactly the difference between the store before and after', () => {
    const scenario = worldArb.chain((world) =>
      fc.record({
        world: fc.constant(world),
        log: logArb(world),
        types: fc.subarray([...OBJECT_TYPES]),
        picks: fc.array(
          fc.record({ uri: fc.constantFrom(...world.objects), state: fc.nat(), name: fc.constantFrom('a', 'b'), detach: fc.boolean() }),
          { maxLength: 25 },
        ),
        seedFirst: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ world, log, types, picks, seedFirst }) => {
        const store = createHierarchyStore();
        const half = Math.floor(log.length / 2);
        applyAll(store, log.slice(0, half), 0);
        if (seedFirst) store.seed(toRest(fold(log.slice(0, half))), half);
        applyAll(store, log.slice(half), half);
        store.publish();
        const before = store.getSnapshot();

        // Lists for a random subset of types; objects get random states and names, and some lose
        // their service/node/stack/cluster (REST fields and parents both change).
        const lists: { [T in ObjectType]?: RestObjectByType[T][] } = {};
        for (const type of types) (lists as Record<ObjectType, unknown[]>)[type] = [];
        const truth = toRest({ ...emptyModel(), objects: new Map(world.objects.map((uri) => [uri, { type: typeOf(uri), state: '', parents: world.parentsOf.get(uri) ?? [] }])) });
        for (const pick of picks) {
          const type = typeOf(pick.uri);
          const list = (lists as Record<ObjectType, RestObject[] | undefined>)[type];
          const template = ((truth[type] ?? []) as readonly RestObject[]).find((o) => o.resource_uri === pick.uri);
          if (list === undefined || template === undefined) continue;
          const object: Record<string, unknown> = { ...template, state: stateAt(type, pick.state), name: pick.name };
          if (pick.detach) for (const key of ['stack', 'service', 'node', 'node_cluster']) if (key in object) object[key] = null;
          list.push(object as unknown as RestObject);
        }

        const diff = store.seed(lists, 10_000);
        store.publish();
        const after = store.getSnapshot();

        const held = (snapshot: HierarchySnapshot) => new Set(OBJECT_TYPES.flatMap((type) => snapshot.ofType(type).map((o) => o.resource_uri)));
        const inBefore = held(before);
        const inAfter = held(after);
        const createdUris = [...inAfter].filter((uri) => !inBefore.has(uri)).sort();
        const deletedUris = [...inBefore].filter((uri) => !inAfter.has(uri)).sort();
        const changedUris = [...inAfter].filter((uri) => inBefore.has(uri) && after.get(uri) !== before.get(uri)).sort();

        expect(diff.created.map((o) => o.resource_uri).sort()).toEqual(createdUris);
        expect(diff.deleted.map((o) => o.resource_uri).sort()).toEqual(deletedUris);
        expect(diff.updated.map((u) => u.after.resource_uri).sort()).toEqual(changedUris);
        for (const o of diff.created) expect(after.get(o.resource_uri)).toBe(o);
        for (const o of diff.deleted) expect(before.get(o.resource_uri)).toBe(o);
        for (const { before: b, after: a } of diff.updated) {
          expect(before.get(b.resource_uri)).toBe(b);
          expect(after.get(a.resource_uri)).toBe(a);
          // An update changed something a UI shows: state, parents or REST fields.
          expect({ state: a.state, parents: a.parents, fields: a.fields }).not.toEqual({ state: b.state, parents: b.parents, fields: b.fields });
        }
        // Types without a list are untouched; types with one now hold exactly their list.
        for (const type of OBJECT_TYPES) {
          const list = (lists as Record<ObjectType, RestObject[] | undefined>)[type];
          if (list === undefined) {
            expect(after.ofType(type).map((o) => o.resource_uri).sort()).toEqual(before.ofType(type).map((o) => o.resource_uri).sort());
            for (const o of before.ofType(type)) expect(after.get(o.resource_uri)).toBe(o);
          } else {
            const last = new Map(list.map((o) => [o.resource_uri, o]));
            expect(after.ofType(type).map((o) => o.resource_uri).sort()).toEqual([...last.keys()].sort());
            for (const [uri, o] of last) expect(after.get(uri)).toMatchObject({ state: o.state, fields: o });
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
