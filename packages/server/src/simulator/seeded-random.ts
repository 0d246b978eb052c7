/**
 * A small, fast, deterministic PRNG (sfc32 seeded through the cyrb128 string hash). Every random
 * choice of the simulated cloud goes through one of these, so a `--seed` reproduces the same
 * account and the same event sequence, uuids included.
 *
 * @example
 * const random = createSeededRandom(42, 'acme');
 * random.uuid();      // '3f2a9c1e-...-4...' (the same string on every run)
 * random.int(6);      // 0..5
 */
export interface SeededRandom {
  /** A float in [0, 1). */
  next(): number;
  /** An unsigned 32-bit integer. */
  uint32(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** An integer in [min, max], both included. */
  between(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** An index into `weights`, chosen with probability proportional to its weight (all ≥ 0, sum > 0). */
  weighted(weights: readonly number[]): number;
  /** An RFC 4122 version 4 UUID string. */
  uuid(): string;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** cyrb128: a 128-bit hash of a string, used only to spread a seed over sfc32's four words. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/**
 * A PRNG seeded from the given parts (e.g. the `--seed` and a namespace): the same parts give the
 * same sequence, different parts independent-looking ones.
 */
export function createSeededRandom(...seedParts: readonly (string | number)[]): SeededRandom {
  let [a, b, c, d] = cyrb128(seedParts.map(String).join('\u0000'));

  const uint32 = (): number => {
    // sfc32
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm up: the first outputs of sfc32 still show the seed's structure.
  for (let i = 0; i < 12; i++) uint32();

  const next = (): number => uint32() / 4294967296;
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);

  return {
    next,
    uint32,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[int(items.length)] as T;
    },
    weighted(weights) {
      let total = 0;
      for (const w of weights) total += w;
      let r = next() * total;
      for (let i = 0; i < weights.length; i++) {
        r -= weights[i] as number;
        if (r < 0) return i;
      }
      // Rounding can leave r at exactly 0 after the last positive weight.
      for (let i = weights.length - 1; i >= 0; i--) if ((weights[i] as number) > 0) return i;
      throw new RangeError('weighted choice needs a positive weight');
    },
    uuid() {
      const w0 = uint32();
      const w1 = uint32();
      const w2 = uint32();
      const w3 = uint32();
      // Version nibble 4 in byte 6, variant bits 10 in byte 8 (RFC 4122 §4.4).
      const b6 = (((w1 >>> 8) & 0x0f) | 0x40) as number;
      const b8 = (((w2 >>> 24) & 0x3f) | 0x80) as number;
      return (
        `${HEX[w0 >>> 24]}${HEX[(w0 >>> 16) & 255]}${HEX[(w0 >>> 8) & 255]}${HEX[w0 & 255]}-` +
        `${HEX[w1 >>> 24]}${HEX[(w1 >>> 16) & 255]}-${HEX[b6]}${HEX[w1 & 255]}-` +
        `${HEX[b8]}${HEX[(w2 >>> 16) & 255]}-${HEX[(w2 >>> 8) & 255]}${HEX[w2 & 255]}` +
        `${HEX[w3 >>> 24]}${HEX[(w3 >>> 16) & 255]}${HEX[(w3 >>> 8) & 255]}${HEX[w3 & 255]}`
      );
    },
  };
}
