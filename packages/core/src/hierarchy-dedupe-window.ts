import { hashKey } from './hierarchy-chunked-map.js';
import { StringTable } from './hierarchy-string-table.js';
import { hashPackedUuid, PACKED_UUID_WORDS } from './hierarchy-uuid.js';

/**
 * Remembers at least the last `capacity` event uuids (at most twice as many) to drop duplicate
 * deliveries. Two generations: when the current one is full it becomes the previous one and the
 * oldest is dropped whole, which is cheaper than evicting one uuid per event. Canonical uuids are
 * kept packed (see hierarchy-uuid.ts), so a remembered uuid is no heap object; other strings are
 * kept as they are.
 *
 * @example
 * const window = new DedupeWindow(10_000);
 * const packed = new Int32Array(PACKED_UUID_WORDS);
 * const uuid = '0b0e3538-88df-4f07-9aed-3a3cc4175076';
 * window.add(uuid, packUuid(uuid, packed, 0) ? packed : null); // true: new
 * window.add(uuid, packUuid(uuid, packed, 0) ? packed : null); // false: seen
 */
export class DedupeWindow {
  private current: UuidGeneration;
  private previous: UuidGeneration;

  constructor(private readonly capacity: number) {
    this.current = new UuidGeneration(capacity);
    this.previous = new UuidGeneration(capacity);
  }

  /**
   * Remembers `uuid`; false when it is already remembered. `packed` must be what packUuid()
   * wrote for it when packUuid() succeeded, and null only when it failed: the caller packs once
   * for both this and the recent-events ring.
   */
  add(uuid: string, packed: Int32Array | null): boolean {
    if (packed !== null) {
      const hash = hashPackedUuid(packed, 0);
      if (this.current.hasPacked(packed, hash) || this.previous.hasPacked(packed, hash)) return false;
      this.makeRoom().addPacked(packed, hash);
      return true;
    }
    const hash = hashKey(uuid);
    if (this.current.strings.has(uuid, hash) || this.previous.strings.has(uuid, hash)) return false;
    this.makeRoom().strings.set(uuid, hash, true);
    return true;
  }

  /** The generation to add to, rotating first if the current one is full. */
  private makeRoom(): UuidGeneration {
    if (this.current.size >= this.capacity) {
      const oldest = this.previous;
      oldest.clear();
      this.previous = this.current;
      this.current = oldest;
    }
    return this.current;
  }
}

/**
 * One generation: an open-addressing set of packed uuids plus a string set. The probe table holds
 * only (hash, index) pairs, small enough to stay in cache, and the uuids themselves sit in
 * insertion order in `words`: a new uuid (the usual case) is settled without touching them.
 */
class UuidGeneration {
  /** Per slot: hash (0 = empty), 1 + the uuid's index in `words`. */
  private readonly slots: Int32Array;
  private readonly words: Int32Array;
  private readonly mask: number;
  private packedCount = 0;
  readonly strings = new StringTable<true>();

  constructor(capacity: number) {
    // Never more than `capacity` entries: a fixed table at load ≤ 1/2 needs no resizing.
    let count = 16;
    while (count < capacity * 2) count *= 2;
    this.slots = new Int32Array(count * 2);
    this.words = new Int32Array(capacity * PACKED_UUID_WORDS);
    this.mask = count - 1;
  }

  get size(): number {
    return this.packedCount + this.strings.size;
  }

  hasPacked(packed: Int32Array, hash: number): boolean {
    const { slots, words } = this;
    for (let i = (hash & this.mask) * 2; slots[i] !== 0; i = i + 2 === slots.length ? 0 : i + 2) {
      if (slots[i] !== hash) continue;
      const at = ((slots[i + 1] as number) - 1) * PACKED_UUID_WORDS;
      let same = true;
      for (let w = 0; w < PACKED_UUID_WORDS; w++) {
        if (words[at + w] !== packed[w]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    return false;
  }

  /** Adds a uuid hasPacked() did not find (room is the caller's business: size < capacity). */
  addPacked(packed: Int32Array, hash: number): void {
    const slots = this.slots;
    let i = (hash & this.mask) * 2;
    while (slots[i] !== 0) i = i + 2 === slots.length ? 0 : i + 2;
    const at = this.packedCount * PACKED_UUID_WORDS;
    for (let w = 0; w < PACKED_UUID_WORDS; w++) this.words[at + w] = packed[w] as number;
    slots[i] = hash;
    slots[i + 1] = ++this.packedCount;
  }

  clear(): void {
    this.slots.fill(0);
    this.packedCount = 0;
    this.strings.clear();
  }
}
