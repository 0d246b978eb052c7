import { createHierarchyStore, type DockerCloudEvent, type HierarchySnapshot, type ObjectType, type State, type StoredObject, typeOfUri } from '@events/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeLiveTree, type FakeLiveTree } from '../../test/fake-live-tree.js';
import { createSyntheticAccount } from '../../test/synthetic-account.js';
import { displayName } from './format.js';
import { buildRows, countsOf, formatCounts, isExpandedByDefault, type RowOptions, type ViewMode } from './rows.js';

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
    for (const row of list.rows) {
      const matches = row.name.toLowerCase().includes(name.toLowerCase()) || row.object.state.toLowerCase().includes(name.toLowerCase());
      if (!row.context) expect(matches || row.object.uuid.includes(name.toLowerCase())).toBe(true);
      if (row.parentUri !== null) expect(uris.has(row.parentUri)).toBe(true);
    }
    const stack = list.rows.find((row) => row.uri === treeParent(service, 'stacks'));
    expect(stack?.expanded).toBe(true);
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

describe('countsOf', () => {
  it('counts running children, and a service target only while it moves', () => {
    const service = snapshot.ofType('service').find((s) => snapshot.children(s.resource_uri).length > 0) as StoredObject;
    const counts = countsOf(snapshot, service, 'stacks', 9);
    const children = snapshot.children(service.resource_uri).filter((c) => c.state !== 'Terminated');
    expect(counts?.total).toBe(children.length);
    expect(counts?.up).toBe(children.filter((c) => c.state === 'Running').length);
    expect(counts?.target).toBe(service.state === 'Scaling' || service.state === 'Starting' || service.state === 'Redeploying' ? 9 : null);
    expect(countsOf(snapshot, snapshot.ofType('container')[0] as StoredObject, 'stacks')).toBeNull();
  });

  it('formats as up/total, with the target when heading for one', () => {
    expect(formatCounts({ up: 2, total: 3, target: null })).toBe('2/3');
    expect(formatCounts({ up: 2, total: 3, target: 5 })).toBe('2/3→5');
    expect(formatCounts(null)).toBe('');
  });
});
