import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventsError } from './events-error.js';
import {
  createFilter,
  decodeQueryComponent,
  encodeQueryComponent,
  type EventFilter,
  type FilterableEvent,
  formatFilterQuery,
  isMatchAll,
  MATCH_ALL,
  matchesFilter,
  parseFilter,
  readQuery,
} from './filter.js';
import { OBJECT_TYPES, type ObjectType } from './object-types.js';

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
    expect(matchesFilter(createFilter({ object: CONTAINER.slice(0, -1) }), containerEvent)).toBe(false);
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

describe('query components', () => {
  it('encodes like Go url.QueryEscape / Python quote_plus', () => {
    expect(encodeQueryComponent("a b/c,d+e!'()*~-_.é")).toBe('a+b%2Fc%2Cd%2Be%21%27%28%29%2A~-_.%C3%A9');
    expect(encodeQueryComponent('x\uD800')).toBe('x%EF%BF%BD');
  });

  it('decodes "+" as space and reports malformed input as undefined', () => {
    expect(decodeQueryComponent('a+b%2B%2C')).toBe('a b+,');
    expect(decodeQueryComponent('%zz')).toBeUndefined();
  });

  it('readQuery collects only the wanted keys, in order', () => {
    const result = readQuery('?b=2&a=1&b=3&c=%zz', new Set(['a', 'b']));
    expect(result.ok && [...result.value]).toEqual([
      ['b', ['2', '3']],
      ['a', ['1']],
    ]);
    expect(readQuery('a=%zz', new Set(['a']))).toEqual({ ok: false, error: { key: 'a', raw: '%zz' } });
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
