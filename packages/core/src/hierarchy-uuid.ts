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

const HEX_VALUE = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) table[48 + i] = i; // 0-9
  for (let i = 0; i < 6; i++) table[97 + i] = 10 + i; // a-f (lowercase only: the format must round-trip)
  return table;
})();

/**
 * Writes the five words of `uuid` to out[offset..offset+4]; returns false, writing nothing
 * meaningful, when `uuid` is not a canonical lowercase uuid (the caller keeps the string then).
 */
export function packUuid(uuid: string, out: Int32Array | number[], offset: number): boolean {
  if (uuid.length !== 36) return false;
  let word = 0;
  let digits = 0;
  let slot = offset;
  for (let i = 0; i < 36; i++) {
    const c = uuid.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false; // '-'
      continue;
    }
    const value = c < 128 ? (HEX_VALUE[c] as number) : -1;
    if (value < 0) return false;
    word = word * 16 + value;
    if (++digits === HEX_DIGITS_PER_WORD) {
      out[slot++] = word;
      word = 0;
      digits = 0;
    }
  }
  out[slot] = word; // the last four digits
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
