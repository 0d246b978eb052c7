import {
  createHierarchyStore,
  type DockerCloudEvent,
  formatEventDatetime,
  type HierarchySnapshot,
  isTransitionalState,
  type ObjectType,
  resourceUriFor,
  type State,
  type StoredObject,
  typeOfUri,
} from '@events/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeLiveTree, type FakeLiveTree } from '../../test/fake-live-tree.js';
import { createSyntheticAccount } from '../../test/synthetic-account.js';
import { nameOf as nameOfUri } from '../event-format.js';
import { displayName, type FieldsLookup, parentOfType, stateSince, TYPE_LABEL } from './format.js';
import {
  buildRows,
  countsOf,
  formatCounts,
  isExpandedByDefault,
  type Row,
  type RowOptions,
  type SortKey,
} from './rows.js';
import { createRowCache, type RowCache } from './row-cache.js';
import type { ViewMode } from './view-modes.js';
import { type StateKind, styleOfState } from './state-style.js';

const all = (): boolean => true;
const byDefault = (_uri: string, type: ObjectType) => isExpandedByDefault(type);
const options = (view: ViewMode, overrides: Partial<RowOptions> = {}): RowOptions => ({ view, sort: 'name', filter: '', isExpanded: byDefault, ...overrides });

let fake: FakeLiveTree;
let snapshot: HierarchySnapshot;

beforeAll(async () => {
  fake = await createFakeLiveTree(7);
  fake.step(40);
  snapshot = fake.tree.getSnapshot().tree;
});
afterAll(() => fake.close());

/** The parent a row must sit under in each tree view. */
function treeParent(object: StoredObject, view: ViewMode): string | null {
  const want: Partial<Record<ObjectType, ObjectType>> =
    view === 'stacks' ? { service: 'stack', container: 'service' } : view === 'nodes' ? { node: 'nodecluster', container: 'node' } : {};
  const type = want[object.type];
  return type === undefined ? null : (object.parents.find((uri) => typeOfUri(uri) === type) ?? null);
}

describe('buildRows', () => {
  it('opens stacks by default and lists their services, closed, sorted by name', () => {
    const { rows } = buildRows(snapshot, options('stacks'));
    const stacks = rows.filter((row) => row.depth === 0);
    expect(stacks.map((row) => row.object.type)).toEqual(stacks.map(() => 'stack'));
    const names = stacks.map((row) => row.name.toLowerCase());
    expect(names).toEqual([...names].sort());
    for (const row of rows.filter((r) => r.depth === 1)) {
      expect(row.object.type).toBe('service');
      expect(row.expanded).toBe(false);
      expect(row.parentUri).toBe(treeParent(row.object, 'stacks'));
    }
    expect(rows.some((row) => row.object.type === 'container')).toBe(false);
  });

  it('lists every object of a tree view exactly once, under its parent, when all is open', () => {
    for (const view of ['stacks', 'nodes'] as const) {
      const { rows } = buildRows(snapshot, options(view, { isExpanded: all }));
      const types: ObjectType[] = view === 'stacks' ? ['stack', 'service', 'container'] : ['nodecluster', 'node', 'container'];
      const expected = types.flatMap((type) => snapshot.ofType(type).map((object) => object.resource_uri));
      expect(rows.map((row) => row.uri).sort()).toEqual([...expected].sort());
      for (const [i, row] of rows.entries()) {
        const parent = treeParent(row.object, view);
        if (parent === null || !snapshot.has(parent)) continue;
        expect(row.parentUri).toBe(parent);
        // The parent row comes before its children, one level up.
        const at = rows.findIndex((r) => r.uri === parent);
        expect(at).toBeLessThan(i);
        expect(rows[at]?.depth).toBe(row.depth - 1);
      }
    }
  });

  it('lists all containers flat in the containers view', () => {
    const list = buildRows(snapshot, options('containers'));
    expect(list.rows).toHaveLength(snapshot.ofType('container').length);
    expect(list.rows.every((row) => row.depth === 0 && !row.expandable)).toBe(true);
    expect(list.matches).toBe(snapshot.ofType('container').length);
  });

  it('answers indexOf for every row and -1 for others', () => {
    const list = buildRows(snapshot, options('stacks', { isExpanded: all }));
    list.rows.forEach((row, i) => {
      expect(list.indexOf(row.uri)).toBe(i);
    });
    expect(list.indexOf('/api/app/v1/demo/stack/nope/')).toBe(-1);
  });

  it('keeps the ancestors of filter matches, opened and marked as context', () => {
    const service = snapshot.ofType('service')[0] as StoredObject;
    const name = displayName(service);
    const list = buildRows(snapshot, options('stacks', { filter: name.toUpperCase() }));
    const uris = new Set(list.rows.map((row) => row.uri));
    expect(uris.has(service.resource_uri)).toBe(true);
    const byUri = new Map(list.rows.map((row) => [row.uri, row]));
    for (const row of list.rows) {
      // A match by its own name, state or id, or by the name of a row above it (its path).
      const pathMatches = (r: Row | undefined): boolean => r !== undefined && (r.name.toLowerCase().includes(name.toLowerCase()) || pathMatches(r.parentUri === null ? undefined : byUri.get(r.parentUri)));
      const matches = pathMatches(row) || row.object.state.toLowerCase().includes(name.toLowerCase());
      if (!row.context) expect(matches || row.object.uuid.includes(name.toLowerCase())).toBe(true);
      if (row.parentUri !== null) expect(uris.has(row.parentUri)).toBe(true);
    }
    const stack = list.rows.find((row) => row.uri === treeParent(service, 'stacks'));
    expect(stack?.expanded).toBe(true);
  });

  it("finds containers by their stack's, service's or node's name in the flat view", () => {
    const stack = snapshot.ofType('stack').find((candidate) => snapshot.children(candidate.resource_uri, 'app').some((service) => snapshot.children(service.resource_uri, 'app').length > 0)) as StoredObject;
    const name = displayName(stack);
    const services = snapshot.children(stack.resource_uri, 'app');
    const expected = services.flatMap((service) => snapshot.children(service.resource_uri, 'app')).map((container) => container.resource_uri);
    const list = buildRows(snapshot, options('containers', { filter: name.toUpperCase() }));
    const listed = list.rows.map((row) => row.uri);
    for (const uri of expected) expect(listed).toContain(uri);
    expect(list.matches).toBe(list.length);
    // By a node's name: every container on it.
    const node = snapshot.ofType('node').find((candidate) => snapshot.children(candidate.resource_uri, 'infra').length > 0) as StoredObject;
    const onNode = buildRows(snapshot, options('containers', { filter: displayName(node) })).rows.map((row) => row.uri);
    for (const container of snapshot.children(node.resource_uri, 'infra')) expect(onNode).toContain(container.resource_uri);
  });

  it("keeps the path of a parent's match in a tree: a stack's name lists its services and their containers under it", () => {
    const stack = snapshot.ofType('stack').find((candidate) => snapshot.children(candidate.resource_uri, 'app').some((service) => snapshot.children(service.resource_uri, 'app').length > 0)) as StoredObject;
    const list = buildRows(snapshot, options('stacks', { filter: displayName(stack) }));
    const row = (uri: string) => list.rows.find((r) => r.uri === uri);
    expect(row(stack.resource_uri)).toMatchObject({ depth: 0, expanded: true, context: false });
    for (const service of snapshot.children(stack.resource_uri, 'app')) {
      expect(row(service.resource_uri)).toMatchObject({ depth: 1, parentUri: stack.resource_uri, context: false });
      for (const container of snapshot.children(service.resource_uri, 'app')) {
        expect(row(container.resource_uri)).toMatchObject({ depth: 2, parentUri: service.resource_uri, context: false });
      }
    }
  });

  it('names parents the store does not hold (--type container) by their fetched fields, and finds containers by them', () => {
    const store = createHierarchyStore();
    const service = '/api/app/v1/a/service/5e000000-0000-4000-8000-000000000001/';
    const stack = '/api/app/v1/a/stack/5a000000-0000-4000-8000-000000000001/';
    const node = '/api/infra/v1/a/node/40000000-0000-4000-8000-000000000001/';
    const container = (id: string, parents: string[]) =>
      ({ type: 'container', action: 'create', parents, resource_uri: `/api/app/v1/a/container/${id}/`, state: 'Running', uuid: `e-${id}`, datetime: '2026-11-27T09:00:00Z' }) as DockerCloudEvent;
    // The first names its stack; the second only its service, whose fields name the stack.
    store.apply(container('c1', [service, stack, node]), 1);
    store.apply(container('c2', [service]), 1);
    store.apply(container('c3', ['/api/app/v1/a/service/other/']), 1);
    store.publish();
    const fetched: Record<string, Record<string, unknown>> = { [service]: { name: 'billing', stack }, [stack]: { name: 'shop' }, [node]: { external_fqdn: 'edge-1.example.com' } };
    const fields: FieldsLookup = (uri) => fetched[uri];
    const find = (filter: string) => buildRows(store.getSnapshot(), options('containers', { filter, fields })).rows.map((row) => row.object.uuid);
    expect(find('billing')).toEqual(['c1', 'c2']);
    expect(find('shop')).toEqual(['c1', 'c2']);
    expect(find('edge-1')).toEqual(['c1']);
    expect(find('zzz')).toEqual([]);
    // Without the fields, the rows show the parents' short ids, and those are what matches.
    expect(buildRows(store.getSnapshot(), options('containers', { filter: '5e000000' })).rows).toHaveLength(2);
    // A service the store holds, under a stack it does not (--type service,container).
    const held = '/api/app/v1/a/service/5e000000-0000-4000-8000-000000000002/';
    store.apply({ type: 'service', action: 'create', parents: [stack], resource_uri: held, state: 'Running', uuid: 'e-s2', datetime: '2026-11-27T09:00:00Z' }, 1);
    store.apply(container('c4', [held]), 1);
    store.publish();
    expect(find('shop')).toEqual(['c1', 'c2', 'c4']);
  });

  it('shows exactly the matches and their ancestors for any filter (property)', () => {
    const words = [...new Set(snapshot.ofType('container').map((c) => displayName(c).slice(0, 3)))];
    fc.assert(
      fc.property(fc.constantFrom(...words, 'run', 'stop', 'zzz'), fc.constantFrom<ViewMode>('stacks', 'nodes', 'containers'), (filter, view) => {
        const list = buildRows(snapshot, options(view, { filter }));
        const shown = new Set(list.rows.map((row) => row.uri));
        const matched = list.rows.filter((row) => !row.context);
        expect(matched).toHaveLength(list.matches);
        for (const row of list.rows) if (row.parentUri !== null) expect(shown.has(row.parentUri)).toBe(true);
        for (const row of list.rows.filter((r) => r.context)) {
          // A context row is there for a match below it.
          expect(list.rows.some((r) => !r.context && r.parentUri !== null && (r.parentUri === row.uri || list.rows.find((p) => p.uri === r.parentUri)?.parentUri === row.uri))).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('sorts problems first by state, and the latest change first by age', () => {
    const store = createHierarchyStore();
    const at = (n: number) => `2026-11-27T09:00:0${n}Z`;
    const event = (uri: string, state: string, n: number): DockerCloudEvent => ({
      type: typeOfUri(uri) as ObjectType, action: 'create', parents: [], resource_uri: uri, state: state as State, uuid: `e${n}`, datetime: at(n),
    });
    store.apply(event('/api/app/v1/a/stack/s1/', 'Running', 1), 1);
    store.apply(event('/api/app/v1/a/stack/s2/', 'Partly running', 2), 1);
    store.apply(event('/api/app/v1/a/stack/s3/', 'Stopped', 3), 1);
    store.publish();
    const snap = store.getSnapshot();
    expect(buildRows(snap, options('stacks', { sort: 'state' })).rows.map((r) => r.object.state)).toEqual(['Partly running', 'Stopped', 'Running']);
    expect(buildRows(snap, options('stacks', { sort: 'age' })).rows.map((r) => r.object.uuid)).toEqual(['s3', 's2', 's1']);
  });

  it('puts objects whose parent is not known at the top level', () => {
    const store = createHierarchyStore();
    store.apply(
      { type: 'container', action: 'create', parents: ['/api/app/v1/a/service/gone/'], resource_uri: '/api/app/v1/a/container/k1/', state: 'Running', uuid: 'e1', datetime: '2026-11-27T09:00:00Z' },
      1,
    );
    store.publish();
    const { rows } = buildRows(store.getSnapshot(), options('stacks'));
    expect(rows.map((row) => [row.uri, row.depth])).toEqual([['/api/app/v1/a/container/k1/', 0]]);
  });

  it('uses names fetched later for objects known only from events', () => {
    const store = createHierarchyStore();
    store.apply({ type: 'stack', action: 'create', parents: [], resource_uri: '/api/app/v1/a/stack/abcdef12-0000/', state: 'Running', uuid: 'e1', datetime: '2026-11-27T09:00:00Z' }, 1);
    store.publish();
    expect(buildRows(store.getSnapshot(), options('stacks')).rows[0]?.name).toBe('abcdef12');
    expect(buildRows(store.getSnapshot(), options('stacks', { fields: () => ({ name: 'shop' }) })).rows[0]?.name).toBe('shop');
  });

  it('builds 10,000 objects in well under a frame budget per view', () => {
    const account = createSyntheticAccount(100, 5, 19);
    const store = createHierarchyStore();
    store.seed(account.lists, 0);
    store.publish();
    const snap = store.getSnapshot();
    expect(snap.size).toBeGreaterThan(10_000);
    for (const view of ['stacks', 'nodes', 'containers'] as const) buildRows(snap, options(view)); // warm up
    const started = performance.now();
    const list = buildRows(snap, options('containers'));
    const elapsed = performance.now() - started;
    expect(list.rows).toHaveLength(9_500);
    expect(elapsed).toBeLessThan(250); // typically ~10 ms; generous for a loaded CI machine
  });
});

/** What a row says, for comparing two builds. */
interface RowShape {
  readonly uri: string;
  readonly name: string;
  readonly depth: number;
  readonly parentUri: string | null;
  readonly expanded: boolean;
  readonly expandable: boolean;
  readonly context: boolean;
}

const shapeOf = (row: Row): RowShape => ({
  uri: row.uri,
  name: row.name,
  depth: row.depth,
  parentUri: row.parentUri,
  expanded: row.expanded,
  expandable: row.expandable,
  context: row.context,
});

const VIEW_SHAPES: Readonly<Record<ViewMode, { tree: 'app' | 'infra' | null; types: readonly ObjectType[] }>> = {
  stacks: { tree: 'app', types: ['stack', 'service', 'container'] },
  nodes: { tree: 'infra', types: ['nodecluster', 'node', 'container'] },
  containers: { tree: null, types: ['container'] },
};
const RANK: Readonly<Record<StateKind, number>> = { fault: 0, partial: 1, busy: 2, unknown: 3, idle: 4, ok: 5, gone: 6 };

/**
 * The rows of a view as the README describes them, built the plain way (every row made, every
 * list sorted with a comparator): the oracle buildRows is checked against.
 */
function referenceRows(snapshot: HierarchySnapshot, options: RowOptions): { rows: RowShape[]; matches: number } {
  const shape = VIEW_SHAPES[options.view];
  const nameOf = (object: StoredObject) => displayName(object, object.fields === null ? options.fields?.(object.resource_uri) : undefined);
  const filter = options.filter.trim().toLowerCase();
  const all = shape.types.flatMap((type) => snapshot.ofType(type));
  const parentIn = (object: StoredObject): string | null => {
    const want = shape.types[shape.types.indexOf(object.type) - 1];
    return want === undefined ? null : (object.parents.find((uri) => typeOfUri(uri) === want) ?? null);
  };
  // The names a row shows of its parents: in a tree the rows above it (the ancestors the store
  // holds), in the flat view its stack, service and node columns.
  const shownName = (uri: string) => nameOfUri(uri, null, snapshot, options.fields).toLowerCase();
  const parentNames = (object: StoredObject): string[] => {
    if (shape.tree === null) {
      return (['stack', 'service', 'node'] as const).flatMap((type) => {
        const uri = parentOfType(snapshot, object.parents, type, options.fields);
        return uri === undefined ? [] : [shownName(uri)];
      });
    }
    const names: string[] = [];
    for (let parent = parentIn(object); parent !== null && snapshot.has(parent); parent = parentIn(snapshot.get(parent) as StoredObject)) names.push(shownName(parent));
    return names;
  };
  const matchesFilter = (object: StoredObject) =>
    `${nameOf(object)}\n${object.state}\n${TYPE_LABEL[object.type]}\n${object.uuid}`.toLowerCase().includes(filter) || parentNames(object).some((name) => name.includes(filter));
  const matched = new Set(filter === '' ? [] : all.filter(matchesFilter).map((object) => object.resource_uri));
  const visible = new Set(matched);
  if (shape.tree !== null) {
    for (const uri of matched) {
      let parent = parentIn(snapshot.get(uri) as StoredObject);
      while (parent !== null && snapshot.has(parent)) {
        visible.add(parent);
        parent = parentIn(snapshot.get(parent) as StoredObject);
      }
    }
  }
  const compare = (a: StoredObject, b: StoredObject): number => {
    const na = nameOf(a).toLowerCase();
    const nb = nameOf(b).toLowerCase();
    const byUri = a.resource_uri < b.resource_uri ? -1 : 1;
    const byName = na < nb ? -1 : na > nb ? 1 : 0;
    switch (options.sort) {
      case 'name':
        return byName || byUri;
      case 'state':
        return RANK[styleOfState(a.state).kind] - RANK[styleOfState(b.state).kind] || byName || byUri;
      case 'age': {
        const ta = stateSince(a) ?? Number.NEGATIVE_INFINITY;
        const tb = stateSince(b) ?? Number.NEGATIVE_INFINITY;
        return ta !== tb ? tb - ta : byName || byUri;
      }
    }
  };
  const rows: RowShape[] = [];
  const walk = (list: readonly StoredObject[], depth: number, parentUri: string | null) => {
    const shown = filter === '' ? [...list] : list.filter((object) => visible.has(object.resource_uri));
    for (const object of shown.sort(compare)) {
      const uri = object.resource_uri;
      const children = shape.tree === null ? [] : snapshot.children(uri, shape.tree);
      const expanded = filter === '' ? options.isExpanded(uri, object.type) && children.length > 0 : children.some((child) => visible.has(child.resource_uri));
      rows.push({ uri, name: nameOf(object), depth, parentUri, expanded, expandable: children.length > 0, context: filter !== '' && !matched.has(uri) });
      if (expanded) walk(children, depth + 1, uri);
    }
  };
  walk(snapshot.ofType(shape.types[0] as ObjectType), 0, null);
  if (shape.tree !== null) {
    const orphans = snapshot.orphans(shape.tree);
    walk(orphans.filter((object) => object.type === shape.types[1]), 0, null);
    walk(orphans.filter((object) => object.type === shape.types[2]), 0, null);
  }
  return { rows, matches: filter === '' ? all.length : matched.size };
}

describe('buildRows, windowed', () => {
  const NAMES = ['web', 'Web', 'api', 'db', 'x', 'ab', 'web-2'];
  const STATES = ['Running', 'Stopped', 'Starting', 'Stopping', 'Partly running'] as const;
  const change = fc.record({
    kind: fc.constantFrom('state', 'state', 'state', 'create', 'delete', 'orphan'),
    at: fc.nat(10_000),
    state: fc.constantFrom(...STATES),
  });
  const step = fc.record({
    view: fc.constantFrom<ViewMode>('stacks', 'nodes', 'containers'),
    sort: fc.constantFrom<SortKey>('name', 'state', 'age'),
    filter: fc.constantFrom('', '', 'w', 'web', 'run', 'stop', 'a', 'zz', ' B ', 'svc'),
    toggles: fc.array(fc.nat(10_000), { maxLength: 6 }),
    changes: fc.oneof(fc.constant([]), fc.array(change, { maxLength: 8 })),
    /** Names for objects known only from events: none, or a lookup (a new function each time, as when fetched fields arrive, naming them anew). */
    lookup: fc.option(fc.nat(6), { nil: undefined }),
    window: fc.tuple(fc.nat(60), fc.nat(40)),
  });

  it('equals the rows built the plain way, window by window, build after build with one cache per view (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.array(fc.constantFrom(...NAMES), { minLength: 40, maxLength: 40 }), fc.array(step, { minLength: 1, maxLength: 6 }), (stacks, services, containers, names, steps) => {
        const account = createSyntheticAccount(stacks, services, containers, 'p');
        // Names that repeat (ties are broken by URI) and states that differ, so that every sort gives its own order.
        const rename = <T extends { name?: string | null; state?: string }>(list: readonly T[] | undefined, offset: number): T[] =>
          (list ?? []).map((item, i) => ({ ...item, name: names[(i + offset) % names.length], state: (i + offset) % 3 === 0 ? 'Stopped' : item.state }));
        const store = createHierarchyStore({ dedupeWindow: 0 });
        store.seed(
          {
            ...account.lists,
            stack: rename(account.lists.stack, 0),
            service: rename(account.lists.service, 7),
            container: rename(account.lists.container, 13),
            nodecluster: (account.lists.nodecluster ?? []).slice(0, 2),
            node: (account.lists.node ?? []).filter((node) => [account.lists.nodecluster?.[0]?.resource_uri, account.lists.nodecluster?.[1]?.resource_uri].includes(node.node_cluster as string)).slice(0, 6),
          },
          0,
        );
        store.publish();
        const caches = new Map<ViewMode, RowCache>();
        const toggled = new Set<string>();
        let n = 0;
        for (const s of steps) {
          for (const c of s.changes) {
            const containersNow = store.getSnapshot().ofType('container');
            const datetime = formatEventDatetime(Date.UTC(2026, 10, 27, 9, 0, 0) + c.at * 1000);
            const target = containersNow[c.at % Math.max(1, containersNow.length)];
            if ((c.kind === 'state' || c.kind === 'delete') && target !== undefined) {
              store.apply({ type: 'container', action: c.kind === 'delete' ? 'delete' : 'update', parents: [...target.parents], resource_uri: target.resource_uri, state: c.kind === 'delete' ? 'Terminated' : c.state, uuid: `ev-${n++}`, datetime }, 1);
            } else if (c.kind === 'create' || c.kind === 'orphan') {
              // Known only from events: no fields, so its name is its short id or comes from the lookup.
              const service = store.getSnapshot().ofType('service')[c.at % Math.max(1, store.getSnapshot().ofType('service').length)];
              const parents = c.kind === 'orphan' || service === undefined ? [resourceUriFor('service', `gone-${c.at % 3}`, 'p')] : [service.resource_uri, ...service.parents];
              const uuid = `${(c.at % 4096).toString(16).padStart(8, '0')}-0000-4000-8000-${String(n).padStart(12, '0')}`;
              store.apply({ type: 'container', action: 'create', parents, resource_uri: resourceUriFor('container', uuid, 'p'), state: c.state, uuid: `ev-${n++}`, datetime }, 1);
            }
          }
          store.publish();
          const snapshot = store.getSnapshot();
          const uris = VIEW_SHAPES[s.view].types.flatMap((type) => snapshot.ofType(type).map((object) => object.resource_uri));
          for (const t of s.toggles) {
            const uri = uris[t % Math.max(1, uris.length)];
            if (uri === undefined) continue;
            if (toggled.has(uri)) toggled.delete(uri);
            else toggled.add(uri);
          }
          let cache = caches.get(s.view);
          if (cache === undefined) {
            cache = createRowCache();
            caches.set(s.view, cache);
          }
          const seed = s.lookup;
          const fields: FieldsLookup | undefined =
            seed === undefined ? undefined : (uri) => (uri.charCodeAt(uri.length - 2) % 3 !== 0 ? { name: names[(uri.charCodeAt(uri.length - 3) + seed) % names.length] } : undefined);
          const options: RowOptions = { view: s.view, sort: s.sort, filter: s.filter, isExpanded: (uri, type) => isExpandedByDefault(type) !== toggled.has(uri), fields, cache };
          const list = buildRows(snapshot, options);
          const expected = referenceRows(snapshot, options);
          expect(list.length).toBe(expected.rows.length);
          expect(list.matches).toBe(expected.matches);
          const [start, size] = s.window;
          expect(list.slice(start, start + size).map(shapeOf)).toEqual(expected.rows.slice(start, start + size));
          expected.rows.forEach((row, i) => {
            expect(shapeOf(list.at(i) as Row)).toEqual(row);
            expect(list.indexOf(row.uri)).toBe(i);
          });
          expect(list.at(-1)).toBeUndefined();
          expect(list.at(list.length)).toBeUndefined();
          expect(list.indexOf(resourceUriFor('container', 'nope', 'p'))).toBe(-1);
          expect(list.rows.map(shapeOf)).toEqual(expected.rows);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('sorts again when a kept record takes its name from a lookup that changed', () => {
    // A flat list whose second member loses its fields between builds (same URI, same name),
    // then the lookup names it anew: the kept order must not be reused.
    const record = (id: string, fields: Record<string, unknown> | null) =>
      ({ type: 'container', uuid: `${id}-0000-4000-8000-000000000000`, resource_uri: `/api/app/v1/p/container/${id}/`, state: 'Running', parents: [], fields, lastEventDatetime: null }) as unknown as StoredObject;
    const snapshotOf = (objects: StoredObject[]) =>
      ({ ofType: (type: ObjectType) => (type === 'container' ? objects : []), countsByType: () => ({ container: objects.length }) }) as unknown as HierarchySnapshot;
    const cache = createRowCache();
    const a = record('aaaa', { name: 'b-first' });
    const unnamed = record('bbbb', null);
    const build = (objects: StoredObject[], fields: FieldsLookup) => buildRows(snapshotOf(objects), options('containers', { cache, fields })).rows.map((row) => row.name);
    expect(build([a, record('bbbb', { name: 'c-second' })], () => ({ name: 'c-second' }))).toEqual(['b-first', 'c-second']);
    expect(build([a, unnamed], () => ({ name: 'c-second' }))).toEqual(['b-first', 'c-second']);
    expect(build([a, unnamed], () => ({ name: 'a-now-first' }))).toEqual(['a-now-first', 'b-first']);
  });

  it('filters again a kept record that takes its name from a lookup that changed, and keeps the answers for the others', () => {
    const store = createHierarchyStore();
    const container = (id: string) =>
      ({ type: 'container', action: 'create', parents: [], resource_uri: `/api/app/v1/p/container/${id}/`, state: 'Running', uuid: `e-${id}`, datetime: '2026-11-27T09:00:00Z' }) as DockerCloudEvent;
    store.apply(container('aaaa0000'), 1);
    store.apply(container('bbbb0000'), 1);
    store.publish();
    const snap = store.getSnapshot();
    for (const view of ['containers', 'stacks'] as const) {
      const cache = createRowCache();
      const find = (names: Record<string, string>) =>
        buildRows(snap, options(view, { cache, filter: 'web', fields: (uri) => ({ name: names[uri.split('/')[6] as string] ?? 'x' }) })).rows.map((row) => row.object.uuid);
      expect(find({ aaaa0000: 'web-1', bbbb0000: 'db-1' })).toEqual(['aaaa0000']);
      expect(find({ aaaa0000: 'api-1', bbbb0000: 'web-2' })).toEqual(['bbbb0000']);
      expect(find({ aaaa0000: 'web-1', bbbb0000: 'web-2' })).toEqual(['aaaa0000', 'bbbb0000']);
    }
  });

  it('makes rows only for the window it is asked for', () => {
    const account = createSyntheticAccount(20, 5, 19);
    const store = createHierarchyStore();
    store.seed(account.lists, 0);
    store.publish();
    const list = buildRows(store.getSnapshot(), options('containers', { cache: createRowCache() }));
    expect(list.length).toBe(1_900);
    const window = list.slice(100, 130);
    expect(window).toHaveLength(30);
    expect(list.at(100)).toBe(window[0]); // the same Row, not a second one
  });
});

describe('countsOf', () => {
  it('counts running children, and a service target only while it moves', () => {
    // Every service, not the first one found: which one a listing gives first is no contract.
    const services = snapshot.ofType('service').filter((s) => snapshot.children(s.resource_uri).length > 0);
    expect(services.some((s) => !isTransitionalState(s.state))).toBe(true); // the "at rest" case is exercised
    for (const service of services) {
      const counts = countsOf(snapshot, service, 'stacks', 9);
      const children = snapshot.children(service.resource_uri).filter((c) => c.state !== 'Terminated');
      expect(counts?.total).toBe(children.length);
      expect(counts?.up).toBe(children.filter((c) => c.state === 'Running').length);
      expect(counts?.target, service.state).toBe(isTransitionalState(service.state) && children.length !== 9 ? 9 : null);
    }
    expect(countsOf(snapshot, snapshot.ofType('container')[0] as StoredObject, 'stacks')).toBeNull();
  });

  it('shows a listed target only while no event came after the listing', () => {
    const store = createHierarchyStore();
    const stack = '/api/app/v1/a/stack/st1/';
    const service = (uuid: string, state: string, target: number) => ({
      uuid, resource_uri: `/api/app/v1/a/service/${uuid}/`, name: uuid, image_name: 'x', state, stack, containers: [],
      target_num_containers: target, current_num_containers: 1, running_num_containers: 1, stopped_num_containers: 0,
    });
    store.seed({ stack: [{ uuid: 'st1', resource_uri: stack, name: 's', state: 'Running', services: [], deployed_datetime: null, destroyed_datetime: null }], service: [service('listed', 'Scaling', 3), service('moved', 'Running', 1)] } as never, 0);
    // Another client scales "moved" to 3: the stream says Scaling, nothing about the target.
    store.apply({ type: 'service', action: 'update', parents: [stack], resource_uri: '/api/app/v1/a/service/moved/', state: 'Scaling', uuid: 'e1', datetime: '2026-11-27T09:00:00Z' }, 1);
    store.publish();
    const snap = store.getSnapshot();
    expect(countsOf(snap, snap.get('/api/app/v1/a/service/listed/') as StoredObject, 'stacks')?.target).toBe(3);
    expect(countsOf(snap, snap.get('/api/app/v1/a/service/moved/') as StoredObject, 'stacks')?.target).toBeNull();
    // A target the caller knows (its own scale, fresh fields) still shows.
    expect(countsOf(snap, snap.get('/api/app/v1/a/service/moved/') as StoredObject, 'stacks', 3)?.target).toBe(3);
  });

  it('formats as up/total, with the target when heading for one', () => {
    expect(formatCounts({ up: 2, total: 3, target: null })).toBe('2/3');
    expect(formatCounts({ up: 2, total: 3, target: 5 })).toBe('2/3→5');
    expect(formatCounts(null)).toBe('');
  });
});
