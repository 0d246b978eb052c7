import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventsError } from './events-error.js';
import { createFilter, type EventFilter, type FilterableEvent, MATCH_ALL, matchesFilter } from './filter.js';
import { createFilterIndex, type FilterIndex } from './filter-index.js';
import { OBJECT_TYPES } from './object-types.js';

const STACK = '/api/app/v1/acme/stack/9a2e/';
const SERVICE = '/api/app/v1/acme/service/5f1c/';
const NODE = '/api/infra/v1/acme/node/77b0/';
const CLUSTER = '/api/infra/v1/acme/nodecluster/03cd/';
const CONTAINER = '/api/app/v1/acme/container/0b0e/';

const containerEvent: FilterableEvent = { type: 'container', resource_uri: CONTAINER, parents: [SERVICE, STACK, NODE, CLUSTER] };

function visited<K>(index: FilterIndex<K>, event: FilterableEvent): K[] {
  const keys: K[] = [];
  index.match(event, (key) => keys.push(key));
  return keys;
}

describe('createFilterIndex', () => {
  it('finds subscriptions filed under every kind of key', () => {
    const index = createFilterIndex<string>();
    index.add('all', MATCH_ALL);
    index.add('containers', createFilter({ type: 'container' }));
    index.add('services', createFilter({ type: 'service' }));
    index.add('stack', createFilter({ parent: STACK }));
    index.add('stack-services', createFilter({ parent: STACK, type: 'service' }));
    index.add('object', createFilter({ object: CONTAINER }));
    index.add('object-wrong-type', createFilter({ object: CONTAINER, type: 'node' }));
    index.add('object-parent', createFilter({ object: CONTAINER, parent: NODE }));
    index.add('object-other-parent', createFilter({ object: CONTAINER, parent: '/api/infra/v1/acme/node/other/' }));
    expect(index.size).toBe(9);
    expect(visited(index, containerEvent).sort()).toEqual(['all', 'containers', 'object', 'object-parent', 'stack'].sort());
  });

  it('visits a key once when the event matches it under several parents', () => {
    const index = createFilterIndex<string>();
    index.add('k', createFilter({ parent: [STACK, NODE, CLUSTER] }));
    expect(visited(index, containerEvent)).toEqual(['k']);
    expect(visited(index, containerEvent)).toEqual(['k']);
  });

  it('replaces the filter when a key is added again', () => {
    const index = createFilterIndex<number>();
    index.add(1, createFilter({ type: 'stack' }));
    index.add(1, createFilter({ parent: SERVICE }));
    expect(index.size).toBe(1);
    expect(visited(index, containerEvent)).toEqual([1]);
    expect(visited(index, { type: 'stack', resource_uri: STACK, parents: [] })).toEqual([]);
  });

  it('removes keys, and ignores removing an absent key', () => {
    const index = createFilterIndex<number>();
    index.add(1, MATCH_ALL);
    index.add(2, createFilter({ object: CONTAINER }));
    index.remove(1);
    index.remove(3);
    expect(index.has(1)).toBe(false);
    expect(index.has(2)).toBe(true);
    expect(index.size).toBe(1);
    expect(visited(index, containerEvent)).toEqual([2]);
    index.remove(2);
    expect(visited(index, containerEvent)).toEqual([]);
  });

  it('counts but never visits a filter with an empty set', () => {
    const index = createFilterIndex<number>();
    index.add(1, { types: null, objects: null, parents: new Set() });
    index.add(2, { types: new Set(), objects: null, parents: null });
    expect(index.size).toBe(2);
    expect(visited(index, containerEvent)).toEqual([]);
  });

  it('does not visit a key twice when visit removes it and adds it back under another bucket', () => {
    // The shrunk counterexample of the property below (seed -783760257).
    const index = createFilterIndex<string>();
    const event: FilterableEvent = { type: 'nodecluster', resource_uri: '/api/app/v1/acme/stack/9a2e/', parents: ['/api/audit/v1/action/a1/'] };
    index.add('typed', createFilter({ type: 'nodecluster' }));
    index.add('parent', { types: null, objects: null, parents: new Set(['/api/audit/v1/action/a1/']) });
    const seen: string[] = [];
    index.match(event, (key) => {
      seen.push(key);
      if (key === 'parent') {
        index.remove('typed');
        index.add('typed', createFilter({ object: event.resource_uri }));
      }
    });
    expect(seen.sort()).toEqual(['parent', 'typed']);
    const after: string[] = [];
    index.match(event, (key) => after.push(key));
    expect(after.sort()).toEqual(['parent', 'typed']);
  });

  it('refuses a nested match() and keeps working afterwards', () => {
    const index = createFilterIndex<number>();
    index.add(1, MATCH_ALL);
    const nested = () => index.match(containerEvent, () => index.match(containerEvent, () => {}));
    expect(nested).toThrowError(expect.objectContaining({ name: 'EventsError', code: 'internal' }));
    expect(visited(index, containerEvent)).toEqual([1]);
  });

  it('recovers when visit throws', () => {
    const index = createFilterIndex<number>();
    index.add(1, MATCH_ALL);
    expect(() =>
      index.match(containerEvent, () => {
        throw new EventsError('connection', 'send failed');
      }),
    ).toThrowError('send failed');
    expect(visited(index, containerEvent)).toEqual([1]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: the index against testing every filter.

const uriPool = [STACK, SERVICE, NODE, CLUSTER, CONTAINER, '/api/app/v1/acme/stack/other/', '/api/audit/v1/action/a1/'];
const typeArb = fc.constantFrom(...OBJECT_TYPES);
const uriArb = fc.constantFrom(...uriPool);
const setOrNull = <T>(arb: fc.Arbitrary<T>) =>
  fc.option(
    fc.uniqueArray(arb, { maxLength: 3 }).map((values) => new Set(values)),
    { nil: null, freq: 2 },
  );

const filterArb: fc.Arbitrary<EventFilter> = fc.record({ types: setOrNull(typeArb), objects: setOrNull(uriArb), parents: setOrNull(uriArb) });
const eventArb: fc.Arbitrary<FilterableEvent> = fc.record({
  type: typeArb,
  resource_uri: uriArb,
  parents: fc.uniqueArray(uriArb, { maxLength: 4 }),
});
const keyArb = fc.integer({ min: 0, max: 15 });

type Op =
  | { readonly op: 'add'; readonly key: number; readonly filter: EventFilter }
  | { readonly op: 'remove'; readonly key: number }
  | { readonly op: 'match'; readonly event: FilterableEvent };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('add' as const), key: keyArb, filter: filterArb }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('remove' as const), key: keyArb }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('match' as const), event: eventArb }), weight: 3 },
);

function expectedKeys(model: ReadonlyMap<number, EventFilter>, event: FilterableEvent): number[] {
  return [...model].filter(([, filter]) => matchesFilter(filter, event)).map(([key]) => key);
}

describe('filter index properties', () => {
  it('visits exactly the keys whose filter matches, each once, under random add/remove/re-add', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const index = createFilterIndex<number>();
        const model = new Map<number, EventFilter>();
        for (const op of ops) {
          switch (op.op) {
            case 'add':
              index.add(op.key, op.filter);
              model.set(op.key, op.filter);
              break;
            case 'remove':
              index.remove(op.key);
              model.delete(op.key);
              break;
            case 'match': {
              const keys = visited(index, op.event);
              expect(new Set(keys).size).toBe(keys.length);
              expect(keys.sort((a, b) => a - b)).toEqual(expectedKeys(model, op.event).sort((a, b) => a - b));
              break;
            }
          }
          expect(index.size).toBe(model.size);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('stays correct when visit adds, removes and re-adds keys', () => {
    const reactionArb = fc.array(
      fc.oneof(
        fc.record({ op: fc.constant('add' as const), key: keyArb, filter: filterArb }),
        fc.record({ op: fc.constant('remove' as const), key: keyArb }),
      ),
      { maxLength: 3 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(keyArb, filterArb), { maxLength: 16 }),
        eventArb,
        fc.array(reactionArb, { minLength: 16, maxLength: 16 }),
        (initial, event, reactions) => {
          const index = createFilterIndex<number>();
          const model = new Map<number, EventFilter>();
          for (const [key, filter] of initial) {
            index.add(key, filter);
            model.set(key, filter);
          }
          const matchingAtStart = new Set(expectedKeys(model, event));
          const touched = new Set<number>();
          const seen: number[] = [];
          let reaction = 0;
          index.match(event, (key) => {
            // Visited keys are present and match with their current filter...
            const filter = model.get(key);
            expect(filter).toBeDefined();
            expect(filter && matchesFilter(filter, event)).toBe(true);
            seen.push(key);
            for (const op of reactions[reaction++ % reactions.length] ?? []) {
              touched.add(op.key);
              if (op.op === 'add') {
                index.add(op.key, op.filter);
                model.set(op.key, op.filter);
              } else {
                index.remove(op.key);
                model.delete(op.key);
              }
            }
          });
          // ...each at most once, and no untouched matching key is missed.
          expect(new Set(seen).size).toBe(seen.length);
          for (const key of matchingAtStart) if (!touched.has(key)) expect(seen).toContain(key);
          expect(index.size).toBe(model.size);
          // Afterwards the index is exactly the model again.
          expect(visited(index, event).sort((a, b) => a - b)).toEqual(expectedKeys(model, event).sort((a, b) => a - b));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
