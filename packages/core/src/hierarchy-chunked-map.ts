/**
 * A string-keyed map that can hand out immutable views of itself cheaply: the keys are spread
 * over hash chunks (kept in pages of 128), a view keeps the page array it was given, and the
 * first write to a chunk after a view was taken copies that chunk and its page (and, once per
 * view, the page array). Taking a view is O(1); the copying is paid by the writes in between,
 * one chunk (~8 entries) and at most one page each, so a snapshot of 100,000 entries with a few
 * hundred changes copies a few thousand slots, not the whole map. The hierarchy store keeps one
 * of these per index.
 *
 * A chunk is a flat array of (hash, key, value) triples: copying one is a single `slice`, and
 * the hash compare skips most string compares during the scan.
 *
 * @example
 * const map = new ChunkedMap<number>();
 * map.set('/api/app/v1/acme/stack/1/', hashKey('/api/app/v1/acme/stack/1/'), 1);
 * const view = map.view();
 * map.set('/api/app/v1/acme/stack/1/', hashKey('/api/app/v1/acme/stack/1/'), 2);
 * view.get('/api/app/v1/acme/stack/1/'); // 1: the view does not see later writes
 */
export class ChunkedMap<V> {
  /**
   * Chunks in pages of PAGE_SIZE: a write after a view copies the page array (pages.length
   * pointers), one page (PAGE_SIZE pointers) and one chunk, instead of a pointer array as long
   * as the chunk count (16,384 at 100,000 entries).
   */
  private pages: Chunk[][];
  private mask: number;
  /** pageOwned[p] / chunkOwned[i] === 1: created or copied since the last view, so mutable. */
  private pageOwned: Uint8Array;
  private chunkOwned: Uint8Array;
  /** Whether `pages` itself belongs to no view. */
  private topOwned = true;
  private lastView: ChunkedMapView<V> | null = null;
  private _size = 0;

  constructor(initialChunks = MIN_CHUNKS) {
    let count = MIN_CHUNKS;
    while (count < initialChunks) count *= 2;
    this.mask = count - 1;
    this.pages = Array.from({ length: pageCount(count) }, () => new Array<Chunk>(Math.min(count, PAGE_SIZE)).fill(EMPTY_CHUNK));
    this.pageOwned = new Uint8Array(this.pages.length).fill(1);
    // EMPTY_CHUNK is shared, so no chunk starts out owned.
    this.chunkOwned = new Uint8Array(count);
  }

  get size(): number {
    return this._size;
  }

  get(key: string, hash: number): V | undefined {
    const index = hash & this.mask;
    const chunk = (this.pages[index >>> PAGE_BITS] as Chunk[])[index & PAGE_MASK] as Chunk;
    const found = indexIn(chunk, key, hash);
    return found < 0 ? undefined : (chunk[found + 2] as V);
  }

  set(key: string, hash: number, value: V): void {
    const index = hash & this.mask;
    const chunk = (this.pages[index >>> PAGE_BITS] as Chunk[])[index & PAGE_MASK] as Chunk;
    const found = indexIn(chunk, key, hash);
    if (found >= 0) {
      if (chunk[found + 2] === value) return;
      this.writableChunk(index)[found + 2] = value;
      return;
    }
    this.writableChunk(index).push(hash, key, value);
    this._size++;
    if (this._size > (this.mask + 1) * LOAD) this.grow();
  }

  /** Returns whether the key was there. */
  delete(key: string, hash: number): boolean {
    const index = hash & this.mask;
    const found = indexIn((this.pages[index >>> PAGE_BITS] as Chunk[])[index & PAGE_MASK] as Chunk, key, hash);
    if (found < 0) return false;
    const chunk = this.writableChunk(index);
    // Swap-remove: order inside a chunk carries no meaning.
    const last = chunk.length - 3;
    chunk[found] = chunk[last];
    chunk[found + 1] = chunk[last + 1];
    chunk[found + 2] = chunk[last + 2];
    chunk.length = last;
    this._size--;
    return true;
  }

  /**
   * An immutable view of the current content. The same view object is returned until the map
   * changes, so callers can compare views by identity.
   */
  view(): ChunkedMapView<V> {
    if (this.lastView === null || this.topOwned) {
      this.lastView = new ChunkedMapView<V>(this.pages, this.mask, this._size);
      this.topOwned = false;
    }
    return this.lastView;
  }

  private writableChunk(index: number): Chunk {
    if (!this.topOwned) {
      this.pages = this.pages.slice();
      this.pageOwned.fill(0);
      this.chunkOwned.fill(0);
      this.topOwned = true;
    }
    const p = index >>> PAGE_BITS;
    let page = this.pages[p] as Chunk[];
    if (this.pageOwned[p] === 0) {
      page = page.slice();
      this.pages[p] = page;
      this.pageOwned[p] = 1;
    }
    const i = index & PAGE_MASK;
    if (this.chunkOwned[index] === 1) return page[i] as Chunk;
    const copy = (page[i] as Chunk).slice();
    page[i] = copy;
    this.chunkOwned[index] = 1;
    return copy;
  }

  /** Doubles the chunk count so chunks stay short; every chunk is rebuilt (amortized O(1) per set). */
  private grow(): void {
    const count = (this.mask + 1) * 2;
    const mask = count - 1;
    const pages = Array.from({ length: pageCount(count) }, () => Array.from({ length: Math.min(count, PAGE_SIZE) }, (): Chunk => []));
    for (const page of this.pages) {
      for (const chunk of page) {
        for (let i = 0; i < chunk.length; i += 3) {
          const hash = chunk[i] as number;
          const index = hash & mask;
          ((pages[index >>> PAGE_BITS] as Chunk[])[index & PAGE_MASK] as Chunk).push(hash, chunk[i + 1], chunk[i + 2]);
        }
      }
    }
    this.pages = pages;
    this.mask = mask;
    this.pageOwned = new Uint8Array(pages.length).fill(1);
    this.chunkOwned = new Uint8Array(count).fill(1);
    this.topOwned = true;
  }
}

/** A read-only, never-changing view of a ChunkedMap at one moment. */
export class ChunkedMapView<V> {
  constructor(
    private readonly pages: readonly (readonly Chunk[])[],
    private readonly mask: number,
    readonly size: number,
  ) {}

  get(key: string, hash: number = hashKey(key)): V | undefined {
    const index = hash & this.mask;
    const chunk = (this.pages[index >>> PAGE_BITS] as Chunk[])[index & PAGE_MASK] as Chunk;
    const found = indexIn(chunk, key, hash);
    return found < 0 ? undefined : (chunk[found + 2] as V);
  }

  /** Every value, in chunk order (no meaningful order). */
  values(): V[] {
    const out = new Array<V>(this.size);
    let n = 0;
    for (const page of this.pages) {
      for (const chunk of page) {
        for (let i = 2; i < chunk.length; i += 3) out[n++] = chunk[i] as V;
      }
    }
    return out;
  }

  /** Every key, in chunk order (no meaningful order). */
  keys(): string[] {
    const out = new Array<string>(this.size);
    let n = 0;
    for (const page of this.pages) {
      for (const chunk of page) {
        for (let i = 1; i < chunk.length; i += 3) out[n++] = chunk[i] as string;
      }
    }
    return out;
  }
}

/**
 * A 30-bit string hash, never 0: FNV-1a over the length and the last 40 characters, in two
 * interleaved lanes (even and odd characters) that are mixed at the end, with a murmur finaliser
 * so the low bits, which pick the chunk, are well mixed. Resource URIs differ in their tail (the
 * uuid and the type before it) and share long prefixes, so the prefix adds nothing but time:
 * this is on the path of every event (a third of the cost of hashing all of a 64-character URI).
 * Two lanes because each step waits for the multiply before it; two chains run side by side
 * (~0.074 against ~0.092 µs for a URI fresh from JSON.parse, measured here). Keys that differ
 * only before their last 40 characters collide, which the tables resolve by comparing keys.
 * 30 bits keep it a small integer in V8.
 */
export function hashKey(key: string): number {
  const length = key.length;
  let even = Math.imul(0x811c9dc5 ^ length, 0x01000193);
  let odd = 0x2545f491 ^ length;
  let i = length > HASHED_TAIL ? length - HASHED_TAIL : 0;
  for (; i + 1 < length; i += 2) {
    even = Math.imul(even ^ key.charCodeAt(i), 0x01000193);
    odd = Math.imul(odd ^ key.charCodeAt(i + 1), 0x01000193);
  }
  if (i < length) even = Math.imul(even ^ key.charCodeAt(i), 0x01000193);
  let h = even ^ Math.imul(odd, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  // Never 0: StringTable marks empty slots with 0.
  return h & 0x3fffffff || 1;
}

/** Characters hashKey reads, from the end: a uuid, its slash and a few of the type before it. */
const HASHED_TAIL = 40;

type Chunk = unknown[];

/** Average entries per chunk before the chunk count doubles. */
const LOAD = 8;
const MIN_CHUNKS = 16;
const PAGE_BITS = 7;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

function pageCount(chunks: number): number {
  return Math.max(1, chunks >>> PAGE_BITS);
}
const EMPTY_CHUNK: Chunk = Object.freeze([]) as unknown as Chunk;

function indexIn(chunk: Chunk, key: string, hash: number): number {
  for (let i = 0; i < chunk.length; i += 3) {
    if (chunk[i] === hash && chunk[i + 1] === key) return i;
  }
  return -1;
}

