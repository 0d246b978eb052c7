import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashKey } from './hierarchy-chunked-map.js';
import { StringTable } from './hierarchy-string-table.js';

type Op = { kind: 'set'; key: number; value: number } | { kind: 'delete'; key: number } | { kind: 'clear' };

const op = (keys: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 120, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.nat(keys), value: fc.integer() }) },
    { weight: 80, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(keys) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  );

describe('StringTable', () => {
  // `spread` limits the hashes to a few values at both ends of the range, so probe runs collide,
  // start in the last slots, wrap around into runs that start in the first slots and get holes
  // punched in them: the cases backward-shift deletion must get right.
  it('answers like a Map, whatever the collisions', () => {
    fc.assert(
      fc.property(fc.array(op(300), { maxLength: 500 }), fc.constantFrom(1, 3, 64, 2 ** 30 - 1), (ops, spread) => {
        const table = new StringTable<number>();
        const model = new Map<string, number>();
        const hashOf = (key: string) => {
          const h = hashKey(key) % spread;
          return h % 2 === 0 ? 0x3fffffff - h : h + 1; // never 0
        };
        for (const o of ops) {
          if (o.kind === 'clear') {
            table.clear();
            model.clear();
            continue;
          }
          const key = `/api/app/v1/acme/container/${o.key}/`;
          if (o.kind === 'set') {
            table.set(key, hashOf(key), o.value);
            model.set(key, o.value);
          } else {
            expect(table.delete(key, hashOf(key))).toBe(model.delete(key));
          }
          expect(table.size).toBe(model.size);
        }
        for (let k = 0; k <= 300; k++) {
          const key = `/api/app/v1/acme/container/${k}/`;
          expect(table.get(key, hashOf(key))).toBe(model.get(key));
          expect(table.has(key, hashOf(key))).toBe(model.has(key));
        }
      }),
      { numRuns: 100 },
    );
  });

  // A small table (16 slots until it holds 9 keys) with homes on both sides of its end: runs that
  // wrap from the last slots into runs that start at slot 0 or 1.
  it('keeps wrapped probe runs intact through deletes', () => {
    const homes = [15, 31, 47, 16, 32, 1, 14, 30];
    fc.assert(
      fc.property(fc.array(op(11), { maxLength: 200 }), (ops) => {
        const table = new StringTable<number>();
        const model = new Map<string, number>();
        const hashOf = (key: number) => homes[key % homes.length] as number;
        for (const o of ops) {
          if (o.kind === 'clear') continue;
          const key = `k${o.key}`;
          if (o.kind === 'set') {
            table.set(key, hashOf(o.key), o.value);
            model.set(key, o.value);
          } else {
            expect(table.delete(key, hashOf(o.key))).toBe(model.delete(key));
          }
          for (let k = 0; k <= 11; k++) expect(table.get(`k${k}`, hashOf(k))).toBe(model.get(`k${k}`));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('compares keys, not only hashes', () => {
    const table = new StringTable<string>();
    table.set('a', 7, 'first');
    table.set('b', 7, 'second');
    expect(table.get('a', 7)).toBe('first');
    expect(table.get('b', 7)).toBe('second');
    expect(table.get('c', 7)).toBeUndefined();
  });
});
