import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSeededRandom } from './seeded-random.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createSeededRandom', () => {
  it('repeats its sequence for the same seed parts and differs for others', () => {
    const draw = (...parts: (string | number)[]) => {
      const r = createSeededRandom(...parts);
      return [r.uint32(), r.uint32(), r.uuid(), r.next()];
    };
    expect(draw(42, 'acme')).toEqual(draw(42, 'acme'));
    expect(draw(42, 'acme')).not.toEqual(draw(43, 'acme'));
    expect(draw(42, 'acme')).not.toEqual(draw(42, 'acme2'));
    // The separator keeps ('4', '2x') and ('42', 'x') apart.
    expect(draw('4', '2x')).not.toEqual(draw('42', 'x'));
  });

  it('makes RFC 4122 version 4 uuids, all distinct', () => {
    const r = createSeededRandom(1);
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const uuid = r.uuid();
      expect(uuid).toMatch(UUID_V4);
      seen.add(uuid);
    }
    expect(seen.size).toBe(5000);
  });

  it('keeps int, between, next and pick in range', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: -50, max: 50 }), (seed, max, min) => {
        const r = createSeededRandom(seed);
        for (let i = 0; i < 20; i++) {
          const n = r.int(max);
          expect(Number.isInteger(n) && n >= 0 && n < max).toBe(true);
          const b = r.between(min, min + max);
          expect(Number.isInteger(b) && b >= min && b <= min + max).toBe(true);
          const f = r.next();
          expect(f >= 0 && f < 1).toBe(true);
        }
        expect(['a', 'b', 'c']).toContain(r.pick(['a', 'b', 'c']));
      }),
    );
  });

  it('spreads values roughly evenly', () => {
    const r = createSeededRandom(7);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const k = r.int(10);
      buckets[k] = (buckets[k] ?? 0) + 1;
    }
    for (const count of buckets) expect(count).toBeGreaterThan(9_000);
    for (const count of buckets) expect(count).toBeLessThan(11_000);
  });

  it('chooses by weight and never a zero weight', () => {
    const r = createSeededRandom(3);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) {
      const k = r.weighted([1, 0, 3, 0]);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect(counts[1]).toBe(0);
    expect(counts[3]).toBe(0);
    const ratio = (counts[2] ?? 0) / (counts[0] ?? 1);
    expect(ratio).toBeGreaterThan(2.7);
    expect(ratio).toBeLessThan(3.3);
    expect(() => r.weighted([0, 0])).toThrow(RangeError);
  });
});
