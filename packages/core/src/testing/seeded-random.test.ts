import { describe, expect, it } from 'vitest';
import { createSeededRandom } from './seeded-random.js';

describe('createSeededRandom', () => {
  it('replays the same sequence for the same seed and differs across seeds', () => {
    const a = createSeededRandom(42);
    const b = createSeededRandom(42);
    const draws = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(draws);
    expect(draws[0]).toBe(0.6011037519201636);
    const c = createSeededRandom(43);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(draws);
  });

  it('returns numbers in [0, 1), spread roughly evenly', () => {
    const random = createSeededRandom(7);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const x = random();
      expect(x >= 0 && x < 1).toBe(true);
      const bucket = Math.floor(x * 10);
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    for (const count of buckets) expect(count).toBeGreaterThan(1_800);
  });

  it('takes the seed as an unsigned 32-bit integer', () => {
    expect(createSeededRandom(2 ** 32 + 5)()).toBe(createSeededRandom(5)());
    expect(createSeededRandom(-1)()).toBe(createSeededRandom(2 ** 32 - 1)());
  });
});
