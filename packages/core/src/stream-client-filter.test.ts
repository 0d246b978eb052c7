import { describe, expect, it } from 'vitest';
import { EventsError } from './events-error.js';
import { createFilter, type FilterSpec, parseFilter, resolveFilter } from './filter.js';
import { createLiveTree } from './live-tree.js';
import { createStreamClient, type StreamClientOptions, type StreamFilterInput } from './stream-client.js';
import { createFakeStreamPort } from './testing/index.js';

// The `filter` option as JavaScript callers pass it (no TypeScript to catch a slip): through
// createStreamClient, setFilter and createLiveTree, every shape either filters as asked or is
// refused with the message resolveFilter gives. Before, a misspelt key delivered every event and
// other shapes crashed with unrelated TypeErrors.

const HOST = 'ws://127.0.0.1:8080/';
const EVENTS_URL = 'ws://127.0.0.1:8080/api/audit/v1/acme/events/';
const STACK = '/api/app/v1/acme/stack/9a2e/';
const ENCODED_STACK = '%2Fapi%2Fapp%2Fv1%2Facme%2Fstack%2F9a2e%2F';

const options = (filter: unknown): StreamClientOptions => ({ streamHost: HOST, namespace: 'acme', filter: filter as StreamFilterInput });

/** What a JavaScript caller may pass, and what each must be refused with. */
const REFUSED: readonly (readonly [string, unknown, string])[] = [
  ['a misspelt key', { typ: 'service' }, 'filter: unknown key "typ" (did you mean "type"?); expected one of type, object, parent, parents'],
  ["go-dockercloud's field name", { Type: 'container' }, 'filter: unknown key "Type" (did you mean "type"?); expected one of type, object, parent, parents'],
  ['a whole parseFilter result', parseFilter('type=container'), 'filter: got a parseFilter result ({ ok, value }), not a filter; pass result.value after checking result.ok'],
  [
    "an EventFilter's field name in a spec",
    { types: 'service' },
    'filter: unknown key "types" (did you mean "type"?; a built EventFilter has all of types, objects and parents, each a Set or null); expected one of type, object, parent, parents',
  ],
  [
    'a query string',
    'type=service',
    "filter: expected an object such as { type: 'container' }, got the string \"type=service\"; for a query string use parseFilter(query) and pass result.value after checking result.ok",
  ],
  ['null', null, "filter: expected an object such as { type: 'container' }, got null; leave filter out to receive every event"],
  ['a number as type', { type: 5 }, 'filter: "type" must be a string or an array of strings, got number 5'],
  ['both parent and parents', { parent: STACK, parents: STACK }, 'filter: "parent" and "parents" are the same key; give one of them'],
  ['a built filter with a list', { types: ['service'], objects: null, parents: null }, 'filter: "types" of a built EventFilter must be a Set or null, got an array; for lists write { type: [...] }'],
];

/** What a JavaScript caller may pass that is a filter, and the query it must send. */
const ACCEPTED: readonly (readonly [string, unknown, string])[] = [
  ['parents, as the Go SDK sends it', { parents: STACK }, `parents=${ENCODED_STACK}`],
  ['type with parents', { type: 'service', parents: [STACK] }, `parents=${ENCODED_STACK}&type=service`],
  ['a parseFilter value', (parseFilter('type=node') as { value: unknown }).value, 'type=node'],
  ['a createFilter result', createFilter({ object: STACK }), `object=${ENCODED_STACK}`],
  ['an empty spec', {}, ''],
];

const thrownBy = (fn: () => unknown): EventsError => {
  try {
    fn();
  } catch (error) {
    return error as EventsError;
  }
  throw new Error('expected a throw');
};

describe('the filter option of createStreamClient', () => {
  it.each(REFUSED)('refuses %s with a precise invalid-filter error, opening no socket', (_, filter, message) => {
    const port = createFakeStreamPort();
    const error = thrownBy(() => createStreamClient(options(filter), port));
    expect(error).toBeInstanceOf(EventsError);
    expect(error).toMatchObject({ code: 'invalid-filter', message });
    expect(thrownBy(() => resolveFilter(filter as FilterSpec)).message).toBe(message);
    expect(port.sockets).toHaveLength(0);
  });

  it.each(ACCEPTED)('accepts %s', (_, filter, query) => {
    const port = createFakeStreamPort();
    createStreamClient(options(filter), port);
    expect(port.last().request.url).toBe(query === '' ? EVENTS_URL : `${EVENTS_URL}?${query}`);
  });
});

describe('setFilter', () => {
  it.each(REFUSED)('refuses %s with the same error and keeps the old filter', (_, filter, message) => {
    const port = createFakeStreamPort();
    const stream = createStreamClient(options({ type: 'container' }), port);
    port.last().open(null);
    const error = thrownBy(() => stream.setFilter(filter as StreamFilterInput));
    expect(error).toBeInstanceOf(EventsError);
    expect(error).toMatchObject({ code: 'invalid-filter', message });
    expect(port.sockets).toHaveLength(1); // no reconnect for a refused filter
    expect(port.last().closedBy).toBeNull();
    stream.reconnect();
    expect(port.sockets).toHaveLength(2);
    expect(port.last().request.url).toBe(`${EVENTS_URL}?type=container`);
  });

  it('takes parents as parent', () => {
    const port = createFakeStreamPort();
    const stream = createStreamClient(options(undefined), port);
    port.last().open(null);
    stream.setFilter({ parents: [STACK] });
    port.clock.advance(0); // setFilter opens the new socket on a port timer of 0 ms
    expect(port.last().request.url).toBe(`${EVENTS_URL}?parents=${ENCODED_STACK}`);
  });
});

describe('the filter option of createLiveTree', () => {
  const treeOptions = (filter: unknown) => ({ ...options(filter), restHost: 'http://127.0.0.1:8080/' });

  it.each(REFUSED)('refuses %s with the same error, before any request', (_, filter, message) => {
    const port = createFakeStreamPort();
    const error = thrownBy(() => createLiveTree(treeOptions(filter), port));
    expect(error).toMatchObject({ name: 'EventsError', code: 'invalid-filter', message });
    expect(port.sockets).toHaveLength(0);
    expect(port.calls).toHaveLength(0);
  });

  it('takes parents as parent', () => {
    const port = createFakeStreamPort();
    const tree = createLiveTree(treeOptions({ type: 'service', parents: STACK }), port);
    expect(port.last().request.url).toBe(`${EVENTS_URL}?parents=${ENCODED_STACK}&type=service`);
    void tree.close();
  });
});
