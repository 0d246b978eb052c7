/**
 * Canonical event uuids (lowercase 8-4-4-4-12 hex, what Docker Cloud and our server send) packed
 * into five integers of up to 28 bits (seven hex digits each, the last one four). The store keeps the uuids
 * of the last events of every object and of the dedupe window; as small integers in arrays they
 * cost no heap object each, so keeping them adds no garbage-collector work per event (one
 * retained string per event cost more than the rest of apply() together, at 100,000 objects).
 * 28 bits keep every word a small integer in V8, which a plain array stores without boxing.
 *
 * @example
 * const packed = new Int32Array(PACKED_UUID_WORDS);
 * packUuid('0b0e3538-88df-4f07-9aed-3a3cc4175076', packed, 0); // true
 * formatUuid(packed, 0); // '0b0e3538-88df-4f07-9aed-3a3cc4175076'
 */

/** Words a packed uuid takes. */
export const PACKED_UUID_WORDS = 5;

const HEX_DIGITS_PER_WORD = 7;

/** Hex digit value by UTF-16 code unit, -1 for anything else (all 65,536, so no range check). */
const HEX_VALUE = (() => {
  const table = new Int8Array(65_536).fill(-1);
  for (let i = 0; i < 10; i++) table[48 + i] = i; // 0-9
  for (let i = 0; i < 6; i++) table[97 + i] = 10 + i; // a-f (lowercase only: the format must round-trip)
  return table;
})();

function digit(uuid: string, i: number): number {
  return HEX_VALUE[uuid.charCodeAt(i)] as number;
}

/**
 * Writes the five words of `uuid` to out[offset..offset+4]; returns false, writing nothing,
 * when `uuid` is not a canonical lowercase uuid (the caller keeps the string then). Unrolled:
 * it runs for every event, and straight-line code is twice as fast as a loop over the digits.
 */
export function packUuid(uuid: string, out: Int32Array | number[], offset: number): boolean {
  if (uuid.length !== 36 || uuid.charCodeAt(8) !== 45 || uuid.charCodeAt(13) !== 45 || uuid.charCodeAt(18) !== 45 || uuid.charCodeAt(23) !== 45) {
    return false;
  }
  // The 32 digits sit at 0-7, 9-12, 14-17, 19-22 and 24-35; words take 7, 7, 7, 7 and 4 of them.
  const w0 = (digit(uuid, 0) << 24) | (digit(uuid, 1) << 20) | (digit(uuid, 2) << 16) | (digit(uuid, 3) << 12) | (digit(uuid, 4) << 8) | (digit(uuid, 5) << 4) | digit(uuid, 6);
  const w1 = (digit(uuid, 7) << 24) | (digit(uuid, 9) << 20) | (digit(uuid, 10) << 16) | (digit(uuid, 11) << 12) | (digit(uuid, 12) << 8) | (digit(uuid, 14) << 4) | digit(uuid, 15);
  const w2 = (digit(uuid, 16) << 24) | (digit(uuid, 17) << 20) | (digit(uuid, 19) << 16) | (digit(uuid, 20) << 12) | (digit(uuid, 21) << 8) | (digit(uuid, 22) << 4) | digit(uuid, 24);
  const w3 = (digit(uuid, 25) << 24) | (digit(uuid, 26) << 20) | (digit(uuid, 27) << 16) | (digit(uuid, 28) << 12) | (digit(uuid, 29) << 8) | (digit(uuid, 30) << 4) | digit(uuid, 31);
  const w4 = (digit(uuid, 32) << 12) | (digit(uuid, 33) << 8) | (digit(uuid, 34) << 4) | digit(uuid, 35);
  // A non-digit is -1, which sets every bit above its place: a word out of its 28 (16) bits.
  if ((w0 | w1 | w2 | w3) >>> 28 !== 0 || w4 >>> 16 !== 0) return false;
  out[offset] = w0;
  out[offset + 1] = w1;
  out[offset + 2] = w2;
  out[offset + 3] = w3;
  out[offset + 4] = w4;
  return true;
}

/** The canonical text of the uuid packed at src[offset..offset+4]. */
export function formatUuid(src: ArrayLike<number>, offset: number): string {
  let hex = '';
  for (let i = 0; i < 4; i++) hex += (src[offset + i] as number).toString(16).padStart(HEX_DIGITS_PER_WORD, '0');
  hex += (src[offset + 4] as number).toString(16).padStart(4, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A 30-bit hash of a packed uuid, never 0 (mixes every word: test uuids are often sequential). */
export function hashPackedUuid(src: ArrayLike<number>, offset: number): number {
  let h = 0x9e3779b9;
  for (let i = 0; i < PACKED_UUID_WORDS; i++) h = Math.imul(h ^ (src[offset + i] as number), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 13;
  return h & 0x3fffffff || 1;
}
