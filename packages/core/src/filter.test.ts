import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventsError } from './events-error.js';
import {
  createFilter,
  type EventFilter,
  type FilterableEvent,
  type FilterSpec,
  formatFilterQuery,
  isEventFilter,
  isMatchAll,
  MATCH_ALL,
  matchesFilter,
  parseFilter,
  resolveFilter,
} from './filter.js';
import { OBJECT_TYPES, type ObjectType } from './object-types.js';
import { encodeQueryComponent } from './read-query.js';
import { resourceUriFor } from './resource-uri.js';

const STACK = '/api/app/v1/acme/stack/9a2e/';
const SERVICE = '/api/app/v1/acme/service/5f1c/';
const NODE = '/api/infra/v1/acme/node/77b0/';
const CLUSTER = '/api/infra/v1/acme/nodecluster/03cd/';
const CONTAINER = '/api/app/v1/acme/container/0b0e/';

const containerEvent: FilterableEvent = { type: 'container', resource_uri: CONTAINER, parents: [SERVICE, STACK, NODE, CLUSTER] };

/** A filter as plain sorted arrays, for readable comparisons. */
function plain(filter: EventFilter) {
  const sorted = (set: ReadonlySet<string> | null) => (set === null ? null : [...set].sort());
  return { types: sorted(filter.types), objects: sorted(filter.objects), parents: sorted(filter.parents) };
}

function parsed(query: Parameters<typeof parseFilter>[0]) {
  const result = parseFilter(query);
  if (!result.ok) throw new Error(`expected ok, got ${result.error.message}`);
  return plain(result.value);
}

function parseError(query: Parameters<typeof parseFilter>[0]): EventsError {
  const result = parseFilter(query);
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(plain(result.value))}`);
  return result.error;
}

describe('parseFilter', () => {
  it('reads an empty query, with or without "?", as match-all', () => {
    for (const query of ['', '?', '&&', '?&']) {
      const result = parseFilter(query);
      expect(result.ok && isMatchAll(result.value)).toBe(true);
    }
    expect(parsed([])).toEqual(plain(MATCH_ALL));
  });

  it('reads one type, and a comma-separated list as alternatives', () => {
    expect(parsed('type=container')).toEqual({ types: ['container'], objects: null, parents: null });
    expect(parsed('?type=service,container')).toEqual({ types: ['container', 'service'], objects: null, parents: null });
  });

  it('joins repeated keys into one list', () => {
    expect(parsed('type=stack&type=service,node&type=stack')).toEqual({ types: ['node', 'service', 'stack'], objects: null, parents: null });
    expect(parsed(`object=${STACK}&object=${SERVICE}`).objects).toEqual([SERVICE, STACK].sort());
  });

  it('treats parent and parents as one key', () => {
    expect(parsed(`parent=${STACK}&parents=${NODE}`).parents).toEqual([NODE, STACK].sort());
  });

  it('reads what go-dockercloud sends: url.Values.Encode with parents comma-joined and percent-encoded', () => {
    // v.Set("object", ...), v.Set("type", ...), v.Set("parents", strings.Join(parents, ",")); v.Encode()
    const query =
      'object=%2Fapi%2Fapp%2Fv1%2Facme%2Fcontainer%2F0b0e%2F' +
      '&parents=%2Fapi%2Fapp%2Fv1%2Facme%2Fstack%2F9a2e%2F%2C%2Fapi%2Finfra%2Fv1%2Facme%2Fnode%2F77b0%2F' +
      '&type=container';
    expect(parsed(query)).toEqual({ types: ['container'], objects: [CONTAINER], parents: [NODE, STACK].sort() });
    expect(parsed(`?${query}`)).toEqual(parsed(query));
  });

  it('reads what Python clients send: urlencode(doseq=True) repeats keys; requests encodes a joined list', () => {
    // urllib.urlencode({'type': ['container', 'service'], 'parent': [stack]}, doseq=True)
    expect(parsed('type=container&type=service&parent=%2Fapi%2Fapp%2Fv1%2Facme%2Fstack%2F9a2e%2F')).toEqual({
      types: ['container', 'service'],
      objects: null,
      parents: [STACK],
    });
    // requests.get(url, params={'type': 'container,service'})
    expect(parsed('type=container%2Cservice').types).toEqual(['container', 'service']);
  });

  it('reads the unencoded form of the docs', () => {
    expect(parsed(`?parent=${STACK}&type=service`)).toEqual({ types: ['service'], objects: null, parents: [STACK] });
  });

  it('splits on %2C after decoding', () => {
    expect(parsed('object=%2Fa%2F%2C%2Fb%2F').objects).toEqual(['/a/', '/b/']);
    expect(parsed('type=stack%2cnode').types).toEqual(['node', 'stack']);
  });

  it('ignores empty values', () => {
    expect(parsed('type=&type=,,container,&object=&parents=,&parent')).toEqual({ types: ['container'], objects: null, parents: null });
  });

  it('ignores unknown keys, even ones that do not decode', () => {
    expect(parsed('foo=bar&auth=Basic%20abc&resume=e1:5&x=%zz&%zz=1&type=node')).toEqual({ types: ['node'], objects: null, parents: null });
  });

  it('decodes percent-encoded keys', () => {
    expect(parsed(`par%65nts=${STACK}&%74ype=stack`)).toEqual({ types: ['stack'], objects: null, parents: [STACK] });
  });

  it('reads "+" as a space in the raw string, as URLSearchParams does, and %2B as "+"', () => {
    expect(parsed('object=%2Fa+b%2F&parent=%2Fc%2Bd%2F')).toEqual({ types: null, objects: ['/a b/'], parents: ['/c+d/'] });
    expect(parsed([['object', '/a+b/']]).objects).toEqual(['/a+b/']);
    expect(parsed(new URLSearchParams('object=%2Fa+b%2F')).objects).toEqual(['/a b/']);
  });

  it('keeps URIs exact: no trailing-slash or case normalisation', () => {
    expect(parsed('object=/api/app/v1/acme/stack/9a2e,/api/app/v1/acme/stack/9A2E/').objects).toEqual([
      '/api/app/v1/acme/stack/9A2E/',
      '/api/app/v1/acme/stack/9a2e',
    ]);
  });

  it('rejects an unknown type with a message naming it and the allowed types', () => {
    const error = parseError('type=container,volume');
    expect(error).toBeInstanceOf(EventsError);
    expect(error.code).toBe('invalid-filter');
    expect(error.message).toContain('"volume"');
    for (const type of OBJECT_TYPES) expect(error.message).toContain(type);
  });

  it('rejects "error" (a frame type, not an event type) and wrong case', () => {
    expect(parseError('type=error').message).toContain('"error"');
    expect(parseError('type=Container').message).toContain('"Container"');
    expect(parseError([['type', ' container']]).message).toContain('" container"');
  });

  it('answers malformed percent-encoding with invalid-filter, never a throw', () => {
    for (const query of ['object=%E0%A4%A', 'type=%', 'parents=%zz', 'parent=%FF', 'object=%ED%A0%80']) {
      const error = parseError(query);
      expect(error.code).toBe('invalid-filter');
      expect(error.message).toMatch(/malformed percent-encoding in "(object|type|parents|parent)"/);
    }
  });

  it('takes decoded pairs as they are: "%2C" in a pair value is no separator', () => {
    expect(parsed([['object', '/a%2C/']]).objects).toEqual(['/a%2C/']);
    expect(parsed([['parents', `${STACK},${NODE}`]]).parents).toEqual([NODE, STACK].sort());
    expect(parsed(new Map([['type', 'stack']])).types).toEqual(['stack']);
  });
});

describe('matchesFilter', () => {
  it('lets everything through MATCH_ALL', () => {
    expect(matchesFilter(MATCH_ALL, containerEvent)).toBe(true);
    expect(matchesFilter(MATCH_ALL, { type: 'stack', resource_uri: STACK, parents: [] })).toBe(true);
  });

  it('ORs within a key', () => {
    expect(matchesFilter(createFilter({ type: ['service', 'container'] }), containerEvent)).toBe(true);
    expect(matchesFilter(createFilter({ type: ['service', 'stack'] }), containerEvent)).toBe(false);
    expect(matchesFilter(createFilter({ object: [STACK, CONTAINER] }), containerEvent)).toBe(true);
    expect(matchesFilter(createFilter({ parent: ['/api/app/v1/acme/stack/other/', CLUSTER] }), containerEvent)).toBe(true);
  });

  it('ANDs across keys', () => {
    expect(matchesFilter(createFilter({ type: 'container', parent: STACK }), containerEvent)).toBe(true);
    expect(matchesFilter(createFilter({ type: 'container', parent: CONTAINER }), containerEvent)).toBe(false);
    expect(matchesFilter(createFilter({ type: 'service', parent: STACK }), containerEvent)).toBe(false);
    expect(matchesFilter(createFilter({ object: CONTAINER, type: 'node' }), containerEvent)).toBe(false);
  });

  it('needs a parent when filtering on parents: an event without parents fails', () => {
    expect(matchesFilter(createFilter({ parent: STACK }), { type: 'stack', resource_uri: STACK, parents: [] })).toBe(false);
  });

  it('compares URIs exactly, trailing slash included', () => {
    expect(matchesFilter({ types: null, objects: new Set([CONTAINER.slice(0, -1)]), parents: null }, containerEvent)).toBe(false);
  });

  it('matches nothing with an empty set', () => {
    expect(matchesFilter({ types: new Set(), objects: null, parents: null }, containerEvent)).toBe(false);
    expect(matchesFilter({ types: null, objects: null, parents: new Set() }, containerEvent)).toBe(false);
  });
});

describe('createFilter', () => {
  it('takes single values or arrays', () => {
    expect(plain(createFilter({ type: 'node', object: NODE, parent: [CLUSTER] }))).toEqual({ types: ['node'], objects: [NODE], parents: [CLUSTER] });
    expect(isMatchAll(createFilter({}))).toBe(true);
  });

  it('throws invalid-filter for unknown types, empty lists or values, and values with ","', () => {
    const bad = [{ type: 'volume' }, { type: ['stack', 'Stack'] }, { object: [] }, { parent: '' }, { object: `${STACK},${NODE}` }];
    for (const spec of bad) {
      expect(() => createFilter(spec)).toThrowError(expect.objectContaining({ name: 'EventsError', code: 'invalid-filter' }));
    }
  });
});

/** The error `fn` throws, which must be an invalid-filter EventsError. */
function thrown(fn: () => unknown): EventsError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EventsError);
    expect((error as EventsError).code).toBe('invalid-filter');
    return error as EventsError;
  }
  throw new Error('expected an invalid-filter EventsError, got no throw');
}

/** What resolveFilter says about input no TypeScript checked (a JavaScript caller's option). */
const refusal = (input: unknown) => thrown(() => resolveFilter(input as FilterSpec)).message;
const ALLOWED = OBJECT_TYPES.join(', ');

describe('createFilter and resolveFilter refuse what would silently match everything', () => {
  it('names an unknown key and the accepted ones, with a hint for near misses', () => {
    expect(refusal({ typ: 'service' })).toBe('filter: unknown key "typ" (did you mean "type"?); expected one of type, object, parent, parents');
    // go-dockercloud's field name
    expect(refusal({ Type: 'container' })).toBe('filter: unknown key "Type" (did you mean "type"?); expected one of type, object, parent, parents');
    expect(refusal({ objet: CONTAINER, Parent: STACK })).toBe(
      'filter: unknown keys "objet" (did you mean "object"?), "Parent" (did you mean "parent"?); expected one of type, object, parent, parents',
    );
    expect(refusal({ resource_uri: CONTAINER })).toContain('"resource_uri" (did you mean "object"?)');
    expect(refusal({ foo: 'bar' })).toBe('filter: unknown key "foo"; expected one of type, object, parent, parents');
    expect(refusal({ type: 'service', ok: true })).toBe('filter: unknown key "ok"; expected one of type, object, parent, parents');
  });

  it('refuses object and parent values that are no resource URI an event could carry', () => {
    expect(refusal({ parent: 'stack/9a2e' })).toBe(
      'filter "parent": invalid resource URI "stack/9a2e": must start with /api/; filters compare whole resource URIs, such as "/api/app/v1/acme/stack/9a2e…/"',
    );
    expect(refusal({ object: CONTAINER.slice(0, -1) })).toBe(`filter "object": ${JSON.stringify(CONTAINER.slice(0, -1))} needs its trailing slash, as events spell resource URIs`);
    expect(refusal({ parents: ['/api/audit/v1/action/a1/'] })).toBe('filter "parents": "/api/audit/v1/action/a1/" is an action, which is no object\'s parent');
    // An action is an object in its own right.
    expect(plain(createFilter({ object: '/api/audit/v1/action/a1/' })).objects).toEqual(['/api/audit/v1/action/a1/']);
  });

  it("says an EventFilter's own field names belong to a built filter", () => {
    expect(refusal({ types: 'service' })).toBe(
      'filter: unknown key "types" (did you mean "type"?; a built EventFilter has all of types, objects and parents, each a Set or null); expected one of type, object, parent, parents',
    );
    // Two of the three built keys: not a built filter, so a spec with unknown keys.
    expect(refusal({ types: new Set(['service']), objects: null })).toMatch(/^filter: unknown keys "types" \(did you mean "type"\?; .*\), "objects" \(did you mean "object"\?; /);
  });

  it('points a whole parseFilter result to its value', () => {
    expect(refusal(parseFilter('type=container'))).toBe('filter: got a parseFilter result ({ ok, value }), not a filter; pass result.value after checking result.ok');
    const failed = parseFilter('type=volume');
    const error = thrown(() => resolveFilter(failed as unknown as FilterSpec));
    expect(error.message).toBe(`filter: got a failed parseFilter result ({ ok: false, error }): unknown event type "volume" in filter "type"; expected one of ${ALLOWED}`);
    expect(error.cause).toBe(failed.ok ? undefined : failed.error);
    // A hand-made lookalike whose error is no Error (nor even has a prototype) is named, not stringified.
    expect(refusal({ ok: false, error: Object.create(null) })).toBe('filter: got a failed parseFilter result ({ ok: false, error }): an object');
  });

  it('refuses what is not a plain object, saying what to pass instead', () => {
    const expected = "filter: expected an object such as { type: 'container' }, got";
    expect(refusal(null)).toBe(`${expected} null; leave filter out to receive every event`);
    expect(refusal('type=service')).toBe(`${expected} the string "type=service"; for a query string use parseFilter(query) and pass result.value after checking result.ok`);
    expect(refusal(5)).toBe(`${expected} number 5`);
    expect(refusal(true)).toBe(`${expected} boolean true`);
    expect(refusal(() => 'service')).toBe(`${expected} a function`);
    expect(refusal(['service'])).toBe(`${expected} an array; lists go under a key: { type: ['container', 'service'] }`);
    expect(refusal(new URLSearchParams('type=service'))).toBe(
      `${expected} a URLSearchParams; for query pairs use parseFilter(pairs) and pass result.value after checking result.ok`,
    );
    expect(refusal(new Map([['type', 'service']]))).toContain(`${expected} a Map; for query pairs use parseFilter(pairs)`);
    expect(refusal(new Set(['service']))).toBe(`${expected} a Set`);
    expect(refusal(new Date(0))).toBe(`${expected} a Date`);
    // A long value is cut, so that a message stays readable.
    expect(refusal('x'.repeat(100))).toContain(`got the string "${'x'.repeat(57)}..."; `);
  });

  it('refuses a value that is not a string or an array of strings', () => {
    expect(refusal({ type: 5 })).toBe('filter: "type" must be a string or an array of strings, got number 5');
    expect(refusal({ type: null })).toBe('filter: "type" must be a string or an array of strings, got null');
    expect(refusal({ object: [CONTAINER, 7] })).toBe('filter: "object" must be a string or an array of strings, got number 7 at index 1');
    // biome-ignore lint/suspicious/noSparseArray: a hole is what a JavaScript caller may pass
    expect(refusal({ object: [CONTAINER, , STACK] })).toBe('filter: "object" must be a string or an array of strings, got undefined at index 1');
    expect(refusal({ parent: new Set([STACK]) })).toBe('filter: "parent" must be a string or an array of strings, got a Set; spread it into an array: [...set]');
    expect(refusal({ parent: { uri: STACK } })).toBe('filter: "parent" must be a string or an array of strings, got an object');
  });

  it('createFilter itself refuses the same input', () => {
    const bad: unknown[] = [{ typ: 'service' }, { types: 'service' }, { type: 5 }, null, 'type=service', parseFilter('type=stack')];
    for (const input of bad) expect(thrown(() => createFilter(input as FilterSpec)).message).toBe(refusal(input));
  });

  it('keeps the existing refusals: unknown type, empty list or value, ","', () => {
    expect(refusal({ type: 'volume' })).toBe(`unknown event type "volume"; expected one of ${ALLOWED}`);
    expect(refusal({ parents: [] })).toBe('filter "parents" is an empty list; omit the key to match any value');
    expect(refusal({ parents: `${STACK},${NODE}` })).toContain('contains ","');
  });
});

describe('the "parents" key of a spec', () => {
  it('is "parent" as the Go SDK spells it on the wire', () => {
    expect(plain(createFilter({ parents: STACK }))).toEqual({ types: null, objects: null, parents: [STACK] });
    expect(plain(resolveFilter({ type: 'service', parents: [STACK, NODE] }))).toEqual(plain(createFilter({ type: 'service', parent: [STACK, NODE] })));
    expect(formatFilterQuery(createFilter({ parents: [STACK] }))).toBe(formatFilterQuery(createFilter({ parent: STACK })));
  });

  it('may not be given together with "parent"', () => {
    expect(refusal({ parent: STACK, parents: NODE })).toBe('filter: "parent" and "parents" are the same key; give one of them');
    // An absent value is no key, as everywhere in the spec.
    expect(plain(createFilter({ parent: STACK, parents: undefined }))).toEqual({ types: null, objects: null, parents: [STACK] });
  });
});

describe('resolveFilter with a filter already built', () => {
  it('returns it as it is: MATCH_ALL, createFilter and parseFilter results, a hand-built one', () => {
    const parsedFilter = parseFilter(`type=container&parents=${encodeURIComponent(STACK)}`);
    if (!parsedFilter.ok) throw parsedFilter.error;
    const built: EventFilter[] = [
      MATCH_ALL,
      createFilter({ type: 'node', parents: CLUSTER }),
      parsedFilter.value,
      { types: new Set(['service']), objects: null, parents: new Set([STACK]) },
      Object.assign(Object.create(null) as object, { types: null, objects: new Set([CONTAINER]), parents: null }) as EventFilter,
    ];
    for (const filter of built) {
      expect(isEventFilter(filter)).toBe(true);
      expect(resolveFilter(filter)).toBe(filter);
    }
    expect(resolveFilter(undefined)).toBe(MATCH_ALL);
  });

  it('reads a filter with all three keys as built, and says what is wrong with it', () => {
    const built = (fields: Record<string, unknown>) => refusal({ types: null, objects: null, parents: null, ...fields });
    expect(built({ types: ['service'] })).toBe('filter: "types" of a built EventFilter must be a Set or null, got an array; for lists write { type: [...] }');
    expect(built({ parents: STACK })).toBe(`filter: "parents" of a built EventFilter must be a Set or null, got the string "${STACK}"; for lists write { parent: [...] }`);
    expect(built({ objects: undefined })).toBe('filter: "objects" of a built EventFilter must be a Set or null, got undefined; for lists write { object: [...] }');
    expect(built({ types: new Set(['volume']) })).toBe(`filter: "types" holds unknown event type "volume"; expected one of ${ALLOWED}`);
    expect(built({ objects: new Set([CONTAINER, 5]) })).toBe('filter: "objects" holds number 5; its values must be strings');
    expect(built({ parents: new Map([[STACK, true]]) })).toBe('filter: "parents" holds an array; its values must be strings');
    // A fourth key makes it no built filter: the spec's rules name every key they do not know.
    expect(built({ type: 'service' })).toMatch(/^filter: unknown keys "types" .*"objects" .*; expected one of type, object, parent, parents$/);
  });

  it('isEventFilter tells a built filter from a spec and from anything else', () => {
    for (const value of [{ type: 'node' }, { types: new Set(['node']) }, null, 'type=node', [], new Set(), { types: new Set(['Node']), objects: null, parents: null }]) {
      expect(isEventFilter(value)).toBe(false);
    }
    // A Set of another realm is no instance of this one's Set: what matters is that it reads as one.
    const setLike = { has: (v: string) => v === STACK, size: 1, [Symbol.iterator]: () => [STACK][Symbol.iterator]() };
    expect(isEventFilter({ types: null, objects: null, parents: setLike })).toBe(true);
  });
});

describe('formatFilterQuery', () => {
  it('writes what go-dockercloud would send: sorted keys, comma-joined, percent-encoded', () => {
    const filter = createFilter({ type: 'container', object: CONTAINER, parent: [STACK, NODE] });
    expect(formatFilterQuery(filter)).toBe(
      'object=%2Fapi%2Fapp%2Fv1%2Facme%2Fcontainer%2F0b0e%2F' +
        '&parents=%2Fapi%2Fapp%2Fv1%2Facme%2Fstack%2F9a2e%2F%2C%2Fapi%2Finfra%2Fv1%2Facme%2Fnode%2F77b0%2F' +
        '&type=container',
    );
    expect(formatFilterQuery(createFilter({ type: ['stack', 'service'] }))).toBe('type=stack%2Cservice');
  });

  it('writes nothing for match-all', () => {
    expect(formatFilterQuery(MATCH_ALL)).toBe('');
  });

  it('throws for a filter no query can express', () => {
    expect(() => formatFilterQuery({ types: new Set(), objects: null, parents: null })).toThrowError(/empty set/);
    expect(() => formatFilterQuery({ types: null, objects: new Set(['/a,b/']), parents: null })).toThrowError(/","/);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

/** The obvious model of protocol.md §4, on plain arrays. */
function referenceMatch(filter: { types: string[] | null; objects: string[] | null; parents: string[] | null }, event: FilterableEvent) {
  if (filter.types !== null && !filter.types.includes(event.type)) return false;
  if (filter.objects !== null && !filter.objects.includes(event.resource_uri)) return false;
  if (filter.parents !== null && !event.parents.some((p) => filter.parents?.includes(p))) return false;
  return true;
}

const uriPool = [STACK, SERVICE, NODE, CLUSTER, CONTAINER, STACK.slice(0, -1), '/api/audit/v1/action/a1/'];
const typeArb = fc.constantFrom(...OBJECT_TYPES);
const poolUriArb = fc.constantFrom(...uriPool);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

const eventArb: fc.Arbitrary<FilterableEvent> = fc.record({
  type: typeArb,
  resource_uri: poolUriArb,
  parents: fc.array(poolUriArb, { maxLength: 4 }),
});

const smallFilterArb = fc.record({
  types: maybe(fc.uniqueArray(typeArb, { maxLength: 3 })),
  objects: maybe(fc.uniqueArray(poolUriArb, { maxLength: 3 })),
  parents: maybe(fc.uniqueArray(poolUriArb, { maxLength: 3 })),
});

const toFilter = (f: { types: ObjectType[] | null; objects: string[] | null; parents: string[] | null }): EventFilter => ({
  types: f.types && new Set(f.types),
  objects: f.objects && new Set(f.objects),
  parents: f.parents && new Set(f.parents),
});

/** Any well-formed text without ","; `+`, `%`, `&`, `=`, `?`, `#` and spaces are kept likely. */
const valueArb = fc
  .oneof(fc.string({ unit: 'grapheme', minLength: 1 }), fc.stringMatching(/^[/a-z0-9+%&=?# ]{1,12}$/), poolUriArb)
  .filter((s) => s !== '' && !s.includes(','));

const wireFilterArb: fc.Arbitrary<EventFilter> = fc
  .record({
    types: maybe(fc.uniqueArray(typeArb, { minLength: 1, maxLength: 6 })),
    objects: maybe(fc.uniqueArray(valueArb, { minLength: 1, maxLength: 4 })),
    parents: maybe(fc.uniqueArray(valueArb, { minLength: 1, maxLength: 4 })),
  })
  .map(toFilter);

/** Strings made of the pieces that matter to the parser, so the interesting paths get hit. */
const queryLikeArb = fc
  .array(fc.constantFrom('?', '&', '=', ',', '+', '%', '%2C', '%2F', '%2', '%zz', '%E0%A4', '%C3%A9', 'type', 'object', 'parents', 'container', 'stack', '/api/'), {
    maxLength: 16,
  })
  .map((parts) => parts.join(''));

describe('filter properties', () => {
  it('(a) matchesFilter agrees with the reference model', () => {
    fc.assert(
      fc.property(smallFilterArb, eventArb, (f, event) => {
        expect(matchesFilter(toFilter(f), event)).toBe(referenceMatch(f, event));
      }),
      { numRuns: 2000 },
    );
  });

  it('(b) parseFilter(formatFilterQuery(f)) equals f', () => {
    fc.assert(
      fc.property(wireFilterArb, (filter) => {
        const query = formatFilterQuery(filter);
        const back = parseFilter(query);
        expect(back.ok && plain(back.value)).toEqual(plain(filter));
        // The pairs a server's URLSearchParams would hand over read back the same.
        expect(parsed(new URLSearchParams(query))).toEqual(plain(filter));
      }),
      { numRuns: 500 },
    );
  });

  const keyArb = fc.constantFrom('type', 'object', 'parent', 'parents', 'auth', 'x');
  const rawValueArb = fc.oneof(
    fc.constantFrom('container', 'stack,service', 'volume', '', ',', 'Node'),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    valueArb,
  );
  const pairsArb = fc.array(fc.tuple(keyArb, rawValueArb), { maxLength: 6 });
  const result = (query: Parameters<typeof parseFilter>[0]) => {
    const r = parseFilter(query);
    return r.ok ? { ok: plain(r.value) } : { error: r.error.message };
  };

  it('(c) the raw-string and decoded-pairs forms agree', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        // Encoded as Go does, and as a browser's URLSearchParams would: both must read as the pairs.
        const goStyle = pairs.map(([k, v]) => `${encodeQueryComponent(k)}=${encodeQueryComponent(v)}`).join('&');
        const browserStyle = new URLSearchParams(pairs).toString();
        const fromPairs = result(pairs);
        expect(result(goStyle)).toEqual(fromPairs);
        expect(result(`?${browserStyle}`)).toEqual(fromPairs);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), queryLikeArb, (junk, queryLike) => {
        for (const text of [junk, queryLike]) {
          const fromString = result(text);
          // URLSearchParams keeps malformed escapes literally where we refuse; where we accept, we must agree.
          if ('ok' in fromString) expect(result(new URLSearchParams(text))).toEqual(fromString);
        }
      }),
      { numRuns: 1000 },
    );
  });

  const specValuesArb = <T extends string>(arb: fc.Arbitrary<T>) =>
    fc.oneof(arb, fc.uniqueArray(arb, { minLength: 1, maxLength: 4 })) as fc.Arbitrary<T | T[]>;
  // What createFilter takes for object and parent: resource URIs as events spell them.
  const resourceUriArb = fc
    .record({
      type: fc.constantFrom<ObjectType>('stack', 'service', 'container', 'nodecluster', 'node'),
      namespace: fc.option(fc.stringMatching(/^[a-z0-9_.~-]{1,8}$/), { nil: null }),
      uuid: fc.stringMatching(/^[A-Za-z0-9_.~-]{1,12}$/),
    })
    .map(({ type, namespace, uuid }) => resourceUriFor(type, uuid, namespace));
  const specArb = fc.record(
    {
      type: specValuesArb(typeArb),
      object: specValuesArb(resourceUriArb),
      parentKey: fc.constantFrom('parent', 'parents'),
      parent: specValuesArb(resourceUriArb),
    },
    { requiredKeys: ['parentKey'] },
  );
  const asList = <T>(values: T | T[] | undefined) => (values === undefined ? null : [...new Set(Array.isArray(values) ? values : [values])].sort());

  it('(e) any valid spec resolves to its values, the result resolves to itself and round-trips through the query', () => {
    fc.assert(
      fc.property(specArb, ({ parentKey, parent, ...rest }) => {
        const spec: FilterSpec = { ...rest, ...(parent !== undefined && { [parentKey]: parent }) };
        const filter = resolveFilter(spec);
        expect(plain(filter)).toEqual({ types: asList(rest.type), objects: asList(rest.object), parents: asList(parent) });
        expect(isEventFilter(filter)).toBe(true);
        expect(resolveFilter(filter)).toBe(filter);
        const back = parseFilter(formatFilterQuery(filter));
        expect(back.ok && plain(back.value)).toEqual(plain(filter));
      }),
      { numRuns: 500 },
    );
  });

  const unknownKeyArb = fc.oneof(fc.string(), fc.constantFrom('Type', 'types', 'objects', 'typ', '__proto__', 'constructor', 'ok', 'value', 'toString')).filter(
    (key) => !['type', 'object', 'parent', 'parents'].includes(key),
  );

  it('(f) any plain object with a key other than type, object, parent, parents is refused, naming that key', () => {
    fc.assert(
      fc.property(
        fc.record({ type: specValuesArb(typeArb), object: specValuesArb(valueArb), parent: fc.anything() }, { requiredKeys: [] }),
        unknownKeyArb,
        fc.anything(),
        (known, key, value) => {
          // defineProperty semantics: "__proto__" becomes an own key, as JSON.parse would make it.
          const input = Object.fromEntries([...Object.entries(known), [key, value]]);
          const error = thrown(() => resolveFilter(input as FilterSpec));
          expect(error.message).toMatch(/^filter: unknown key /);
          expect(error.message).toContain(JSON.stringify(key));
          expect(error.message).toMatch(/; expected one of type, object, parent, parents$/);
        },
      ),
      { numRuns: 1000 },
    );
  });

  /** Inputs shaped like the option's, with arbitrary values in the places that matter. */
  const filterInputArb = fc.oneof(
    fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withBigInt: true, withDate: true, withSparseArray: true }),
    fc.record({ type: fc.anything(), object: fc.anything(), parent: fc.anything(), parents: fc.anything() }, { requiredKeys: [] }),
    fc.record({ types: fc.anything({ withSet: true }), objects: fc.anything({ withSet: true }), parents: fc.anything({ withSet: true }) }),
    fc.record({
      types: fc.option(fc.array(fc.oneof(typeArb, fc.string())).map((list) => new Set(list)), { nil: null }),
      objects: fc.option(fc.array(fc.oneof(valueArb, fc.integer())).map((list) => new Set(list)), { nil: null }),
      parents: fc.option(fc.array(valueArb).map((list) => new Set(list)), { nil: null }),
    }),
  );

  it('(g) resolveFilter answers any input with a well-formed filter or an invalid-filter EventsError, never a TypeError', () => {
    fc.assert(
      fc.property(filterInputArb, (input) => {
        let filter: EventFilter;
        try {
          filter = resolveFilter(input as FilterSpec);
        } catch (error) {
          expect(error).toBeInstanceOf(EventsError);
          expect((error as EventsError).code).toBe('invalid-filter');
          return;
        }
        expect(isEventFilter(filter)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('(d) parseFilter never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), queryLikeArb), (text) => {
        const r = parseFilter(text);
        expect(typeof r.ok).toBe('boolean');
        if (!r.ok) expect(r.error.code).toBe('invalid-filter');
      }),
      { numRuns: 2000 },
    );
  });
});
