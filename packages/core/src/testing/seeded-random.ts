/**
 * A small seeded PRNG (mulberry32) returning numbers in [0, 1): the `random` to inject into the
 * reconnect machine in tests, so a failing run can be replayed from its seed. Not for secrets.
 * The seed is taken as an unsigned 32-bit integer (`seed >>> 0`).
 *
 * @example
 * const random = createSeededRandom(42);
 * random(); // 0.6011037519201636, every time for seed 42
 */
export function createSeededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
