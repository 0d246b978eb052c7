import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedMap, type ChunkedMapView, hashKey } from './hierarchy-chunked-map.js';

type Op = { kind: 'set'; key: string; value: number } | { kind: 'delete'; key: string } | { kind: 'view' };

// Few distinct keys so that sets, overwrites and deletes hit the same chunks; enough operations
// to make the map grow several times.
const key = fc.integer({ min: 0, max: 400 }).map((n) => `/api/app/v1/acme/container/${n}/`);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.integer() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'view' as const }) },
);

function contentOf(view: ChunkedMapView<number>): Map<string, number> {
  const keys = view.keys();
  const values = view.values();
  expect(keys.length).toBe(view.size);
  return new Map(keys.map((k, i) => [k, values[i] as number]));
}

describe('ChunkedMap', () => {
  it('answers like a Map, and every view keeps the content it was taken with', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 1500 }), fc.integer({ min: 1, max: 1024 }), (ops, initialChunks) => {
        const map = new ChunkedMap<number>(initialChunks);
        const model = new Map<string, number>();
        const views: { view: ChunkedMapView<number>; expected: Map<string, number> }[] = [];
        for (const o of ops) {
          if (o.kind === 'set') {
            map.set(o.key, hashKey(o.key), o.value);
            model.set(o.key, o.value);
          } else if (o.kind === 'delete') {
            expect(map.delete(o.key, hashKey(o.key))).toBe(model.delete(o.key));
          } else {
            views.push({ view: map.view(), expected: new Map(model) });
          }
          expect(map.size).toBe(model.size);
        }
        views.push({ view: map.view(), expected: new Map(model) });
        for (const { view, expected } of views) {
          expect(contentOf(view)).toEqual(expected);
          for (const [k, v] of expected) expect(view.get(k)).toBe(v);
        }
        for (const [k, v] of model) expect(map.get(k, hashKey(k))).toBe(v);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps views intact while it grows over many pages', () => {
    const map = new ChunkedMap<number>();
    const views: ChunkedMapView<number>[] = [];
    for (let i = 0; i < 20_000; i++) {
      const k = `/api/app/v1/acme/container/${i}/`;
      map.set(k, hashKey(k), i);
      if (i % 2000 === 1999) views.push(map.view());
    }
    for (let i = 0; i < 20_000; i += 3) {
      const k = `/api/app/v1/acme/container/${i}/`;
      map.delete(k, hashKey(k));
    }
    views.forEach((view, v) => {
      const expected = (v + 1) * 2000;
      expect(view.size).toBe(expected);
      expect(new Set(view.values()).size).toBe(expected);
      expect(view.get('/api/app/v1/acme/container/0/')).toBe(0);
      expect(view.get(`/api/app/v1/acme/container/${expected - 1}/`)).toBe(expected - 1);
      expect(view.get(`/api/app/v1/acme/container/${expected}/`)).toBeUndefined();
    });
    expect(map.view().get('/api/app/v1/acme/container/3/')).toBeUndefined();
    expect(map.view().size).toBe(20_000 - Math.ceil(20_000 / 3));
  });

  it('returns the same view until something is written', () => {
    const map = new ChunkedMap<number>();
    const a = map.view();
    expect(map.view()).toBe(a);
    map.set('k', hashKey('k'), 1);
    const b = map.view();
    expect(b).not.toBe(a);
    map.set('k', hashKey('k'), 1); // same value: no write
    map.delete('absent', hashKey('absent'));
    expect(map.view()).toBe(b);
    expect(a.get('k')).toBeUndefined();
    expect(b.get('k')).toBe(1);
  });

  it('spreads resource URIs that share a long prefix over the low bits', () => {
    const buckets = new Uint32Array(64);
    for (let i = 0; i < 64_000; i++) (buckets[hashKey(`/api/app/v1/acme/container/${i.toString(16)}/`) & 63] as number)++;
    // A uniform spread puts 1,000 in each; allow for chance but catch a hash that ignores the tail.
    expect(Math.max(...buckets)).toBeLessThan(1200);
    expect(Math.min(...buckets)).toBeGreaterThan(800);
  });

  it('changes when any one of the last 40 characters changes, at odd and even places alike', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 90 }), fc.nat(), fc.integer({ min: 1, max: 0xffff }), (key, at, delta) => {
        // Each lane is a chain of bijections and the lanes are mixed by a bijection: one changed
        // character changes the 32-bit hash; the 30 kept bits then collide with odds of ~2^-30.
        const place = key.length - 1 - (at % Math.min(40, key.length));
        const changed = key.slice(0, place) + String.fromCharCode((key.charCodeAt(place) + delta) & 0xffff) + key.slice(place + 1);
        expect(hashKey(changed)).not.toBe(hashKey(key));
      }),
      { numRuns: 2000 },
    );
  });
});
