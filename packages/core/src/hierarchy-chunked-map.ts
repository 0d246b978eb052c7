/**
 * A string-keyed map that can hand out immutable views of itself cheaply: the keys are spread
 * over hash chunks, a view keeps the chunk array it was given, and the first write to a chunk
 * after a view was taken copies that chunk (and, once per view, the array of chunk pointers).
 * Publishing a view is O(1); the copying cost is one small chunk per chunk written in between,
 * so a snapshot of 100,000 entries with a few hundred changes copies a few thousand slots, not
 * the whole map. The hierarchy store keeps one of these per index.
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
  private chunks: Chunk[];
  private mask: number;
  /** owned[i] === 1: chunks[i] was created or copied after the last view, so it may be mutated. */
  private owned: Uint8Array;
  /** Whether `chunks` itself (the pointer array) belongs to no view. */
  private topOwned = true;
  private lastView: ChunkedMapView<V> | null = null;
  private _size = 0;

  constructor(initialChunks = MIN_CHUNKS) {
    const count = powerOfTwoAtLeast(initialChunks);
    this.chunks = new Array<Chunk>(count).fill(EMPTY_CHUNK);
    this.mask = count - 1;
    // EMPTY_CHUNK is shared, so no chunk starts out owned.
    this.owned = new Uint8Array(count);
  }

  get size(): number {
    return this._size;
  }

  get(key: string, hash: number): V | undefined {
    const chunk = this.chunks[hash & this.mask] as Chunk;
    for (let i = 0; i < chunk.length; i += 3) {
      if (chunk[i] === hash && chunk[i + 1] === key) return chunk[i + 2] as V;
    }
    return undefined;
  }

  set(key: string, hash: number, value: V): void {
    const index = hash & this.mask;
    const found = indexIn(this.chunks[index] as Chunk, key, hash);
    if (found >= 0) {
      if ((this.chunks[index] as Chunk)[found + 2] === value) return;
      this.writableChunk(index)[found + 2] = value;
      return;
    }
    this.writableChunk(index).push(hash, key, value);
    this._size++;
    if (this._size > this.chunks.length * LOAD) this.grow();
  }

  /** Returns whether the key was there. */
  delete(key: string, hash: number): boolean {
    const index = hash & this.mask;
    const found = indexIn(this.chunks[index] as Chunk, key, hash);
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
      this.lastView = new ChunkedMapView<V>(this.chunks, this.mask, this._size);
      this.topOwned = false;
    }
    return this.lastView;
  }

  private writableChunk(index: number): Chunk {
    if (!this.topOwned) {
      this.chunks = this.chunks.slice();
      this.owned.fill(0);
      this.topOwned = true;
    }
    if (this.owned[index] === 1) return this.chunks[index] as Chunk;
    const copy = (this.chunks[index] as Chunk).slice();
    this.chunks[index] = copy;
    this.owned[index] = 1;
    return copy;
  }

  /** Doubles the chunk count so chunks stay short; every chunk is rebuilt (amortized O(1) per set). */
  private grow(): void {
    const count = this.chunks.length * 2;
    const mask = count - 1;
    const chunks = new Array<Chunk>(count);
    for (let i = 0; i < count; i++) chunks[i] = [];
    for (const chunk of this.chunks) {
      for (let i = 0; i < chunk.length; i += 3) {
        const hash = chunk[i] as number;
        (chunks[hash & mask] as Chunk).push(hash, chunk[i + 1], chunk[i + 2]);
      }
    }
    this.chunks = chunks;
    this.mask = mask;
    this.owned = new Uint8Array(count).fill(1);
    this.topOwned = true;
  }
}

/** A read-only, never-changing view of a ChunkedMap at one moment. */
export class ChunkedMapView<V> {
  constructor(
    private readonly chunks: readonly Chunk[],
    private readonly mask: number,
    readonly size: number,
  ) {}

  get(key: string, hash: number = hashKey(key)): V | undefined {
    const chunk = this.chunks[hash & this.mask] as Chunk;
    for (let i = 0; i < chunk.length; i += 3) {
      if (chunk[i] === hash && chunk[i + 1] === key) return chunk[i + 2] as V;
    }
    return undefined;
  }

  /** Every value, in chunk order (no meaningful order). */
  values(): V[] {
    const out = new Array<V>(this.size);
    let n = 0;
    for (const chunk of this.chunks) {
      for (let i = 2; i < chunk.length; i += 3) out[n++] = chunk[i] as V;
    }
    return out;
  }

  /** Every key, in chunk order (no meaningful order). */
  keys(): string[] {
    const out = new Array<string>(this.size);
    let n = 0;
    for (const chunk of this.chunks) {
      for (let i = 1; i < chunk.length; i += 3) out[n++] = chunk[i] as string;
    }
    return out;
  }
}

/**
 * A 30-bit string hash (FNV-1a with a murmur finaliser so the low bits, which pick the chunk,
 * are well mixed even though resource URIs share long prefixes). 30 bits keep it a small integer
 * in V8, so the chunk arrays stay cheap to scan.
 */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h & 0x3fffffff;
}

type Chunk = unknown[];

/** Average entries per chunk before the chunk count doubles. */
const LOAD = 8;
const MIN_CHUNKS = 16;
const EMPTY_CHUNK: Chunk = Object.freeze([]) as unknown as Chunk;

function indexIn(chunk: Chunk, key: string, hash: number): number {
  for (let i = 0; i < chunk.length; i += 3) {
    if (chunk[i] === hash && chunk[i + 1] === key) return i;
  }
  return -1;
}

function powerOfTwoAtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
