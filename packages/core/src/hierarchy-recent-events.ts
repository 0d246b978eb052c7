import type { DockerCloudEvent, StreamPosition } from './event-schema.js';
import { formatUuid, PACKED_UUID_WORDS } from './hierarchy-uuid.js';
import type { ObjectType } from './object-types.js';

/**
 * The last events of each object, kept without a heap object per event: one ring array per
 * object holding, per event, its uuid packed into small integers (see hierarchy-uuid.ts), its
 * stream position as small integers, flags, and references to strings and arrays the store holds
 * anyway (canonical state, the shared datetime, the object's parents). At 100,000 objects an
 * object per event meant two million live objects for the garbage collector to trace and
 * promote, which cost more than the rest of apply(); events are rebuilt only when a snapshot is
 * asked for them. (Typed arrays for the numbers were slower: each is an off-heap allocation, and
 * a second array per object is a second cache miss per event.)
 *
 * Snapshots share the rings instead of copying them: a published view reads a fixed range of
 * positions, and the writer moves to a fresh array (copying the last `keep` events) before it
 * would overwrite a position some view reads. With room for keep + keep / 2 events that happens
 * at most once per keep / 2 events, so an object costs about two event copies per event, however
 * often it is published.
 */

// One event in the ring, 11 slots: packed uuid words; flags in the low 3 bits of the position
// seq's high part and its low 26 bits (so that both stay small integers: seq < 2^53); state,
// datetime, parents; extra (the position's epoch, or the whole event when its uuid is not
// canonical and could not be packed).
const SEQ_HIGH_FLAGS = PACKED_UUID_WORDS;
const SEQ_LOW = SEQ_HIGH_FLAGS + 1;
const STATE = SEQ_LOW + 1;
const DATETIME = STATE + 1;
const PARENTS = DATETIME + 1;
const EXTRA = PARENTS + 1;
const SLOTS = EXTRA + 1;
const SEQ_SPLIT = 2 ** 26;
const FLAG_CREATE = 1;
const FLAG_POSITION = 2;
const FLAG_RAW = 4;
const FLAG_BITS = 8;
/** Events a ring holds when it is first allocated; it doubles up to capacityFor(keep). */
const INITIAL_CAPACITY = 4;

/**
 * The most events a ring holds: `keep` plus slack. With a published view protecting the last
 * `keep`, the slack is how many events fit before the writer must move to a new ring, so
 * keep / 2 of it costs about two event copies per event and a third of the memory of 2 × keep
 * (at 100,000 objects with 20 events each, the rings are most of the heap).
 */
function capacityFor(keep: number): number {
  return keep + Math.max(4, Math.ceil(keep / 2));
}

/** The ring fields the store keeps on each object's entry. */
export interface RecentEventsBuffer {
  recentRing: unknown[] | null;
  /** Events appended to the current ring: positions 0 .. recentPos - 1, at slot position % capacity. */
  recentPos: number;
  /** The first position a published view of the current ring reads (Infinity: none). */
  recentProtectedFrom: number;
}

/**
 * Appends `event`, keeping at least the last `keep` events. `packedUuid` is its uuid from
 * packUuid(), or null when the uuid is not canonical; `state`, `datetime`, `parents` and `epoch`
 * are the store's shared copies of the event's values.
 */
export function recordRecentEvent(
  buffer: RecentEventsBuffer,
  keep: number,
  event: DockerCloudEvent,
  packedUuid: Int32Array | null,
  state: string,
  datetime: string,
  parents: readonly string[],
  epoch: string | undefined,
): void {
  let ring = buffer.recentRing;
  let capacity = ring === null ? 0 : ring.length / SLOTS;
  const overwritten = buffer.recentPos - capacity;
  // The slot to write holds position `overwritten`: move to a new ring if that position is among
  // the last `keep` (the ring is still growing) or a published view reads it.
  if (ring === null || (overwritten >= 0 && (capacity < keep || overwritten >= buffer.recentProtectedFrom))) {
    capacity = Math.min(capacityFor(keep), Math.max(INITIAL_CAPACITY, 2 * capacity));
    ring = reallocate(buffer, Math.min(keep, buffer.recentPos), capacity);
  }
  const at = (buffer.recentPos % capacity) * SLOTS;
  buffer.recentPos++;
  let flags = event.action === 'create' ? FLAG_CREATE : 0;
  if (packedUuid !== null) {
    for (let w = 0; w < PACKED_UUID_WORDS; w++) ring[at + w] = packedUuid[w];
  } else {
    flags |= FLAG_RAW;
  }
  const position = event.position;
  let seqHigh = 0;
  if (position !== undefined && packedUuid !== null) {
    flags |= FLAG_POSITION;
    seqHigh = Math.floor(position.seq / SEQ_SPLIT);
    ring[at + SEQ_LOW] = position.seq % SEQ_SPLIT;
  }
  ring[at + SEQ_HIGH_FLAGS] = seqHigh * FLAG_BITS + flags;
  ring[at + STATE] = state;
  ring[at + DATETIME] = datetime;
  ring[at + PARENTS] = parents;
  ring[at + EXTRA] = packedUuid === null ? event : epoch;
}

/** Moves the last `count` events to a new ring of `capacity` events, at positions 0 .. count - 1. */
function reallocate(buffer: RecentEventsBuffer, count: number, capacity: number): unknown[] {
  const ring = new Array<unknown>(capacity * SLOTS).fill(0);
  const old = buffer.recentRing;
  if (old !== null) {
    const oldCapacity = old.length / SLOTS;
    for (let k = 0; k < count; k++) {
      const from = ((buffer.recentPos - count + k) % oldCapacity) * SLOTS;
      for (let j = 0; j < SLOTS; j++) ring[k * SLOTS + j] = old[from + j];
    }
  }
  buffer.recentRing = ring;
  buffer.recentPos = count;
  buffer.recentProtectedFrom = Number.POSITIVE_INFINITY;
  return ring;
}

/** Forgets every event (the object was deleted). Published views keep the old ring. */
export function clearRecentEvents(buffer: RecentEventsBuffer): void {
  buffer.recentRing = null;
  buffer.recentPos = 0;
  buffer.recentProtectedFrom = Number.POSITIVE_INFINITY;
}

/**
 * A view of the last `keep` events for a snapshot, or null when there are none. Shares the
 * ring; from now on the writer leaves the positions it reads alone.
 */
export function freezeRecentEvents(buffer: RecentEventsBuffer, keep: number, type: ObjectType, uri: string): FrozenRecentEvents | null {
  const { recentRing: ring, recentPos: end } = buffer;
  if (ring === null || end === 0) return null;
  const count = Math.min(keep, end);
  buffer.recentProtectedFrom = Math.min(buffer.recentProtectedFrom, end - count);
  return new FrozenRecentEvents(ring, end, count, type, uri);
}

/** The last events of one object at one publish; rebuilt as event objects on first request. */
export class FrozenRecentEvents {
  private events: readonly DockerCloudEvent[] | null = null;

  constructor(
    private readonly ring: readonly unknown[],
    /** The position after the newest event this view reads. */
    private readonly end: number,
    private readonly count: number,
    private readonly type: ObjectType,
    private readonly uri: string,
  ) {}

  /** Newest first. */
  list(): readonly DockerCloudEvent[] {
    if (this.events !== null) return this.events;
    const capacity = this.ring.length / SLOTS;
    const out = new Array<DockerCloudEvent>(this.count);
    for (let k = 0; k < this.count; k++) out[k] = this.eventAt(((this.end - 1 - k) % capacity) * SLOTS);
    this.events = Object.freeze(out);
    return this.events;
  }

  private eventAt(at: number): DockerCloudEvent {
    const ring = this.ring;
    const seqHighFlags = ring[at + SEQ_HIGH_FLAGS] as number;
    const flags = seqHighFlags % FLAG_BITS;
    const raw = (flags & FLAG_RAW) !== 0 ? (ring[at + EXTRA] as DockerCloudEvent) : null;
    let position: StreamPosition | undefined;
    if (raw !== null) position = raw.position;
    else if ((flags & FLAG_POSITION) !== 0) {
      const seqHigh = Math.floor(seqHighFlags / FLAG_BITS);
      position = Object.freeze({ epoch: ring[at + EXTRA] as string, seq: seqHigh * SEQ_SPLIT + (ring[at + SEQ_LOW] as number) });
    }
    const event: DockerCloudEvent = {
      type: this.type,
      action: (flags & FLAG_CREATE) !== 0 ? 'create' : 'update',
      parents: ring[at + PARENTS] as readonly string[],
      resource_uri: this.uri,
      state: ring[at + STATE] as DockerCloudEvent['state'],
      uuid: raw !== null ? raw.uuid : formatUuid(ring as readonly number[], at),
      datetime: ring[at + DATETIME] as string,
      ...(position === undefined ? {} : { position }),
    };
    return Object.freeze(event);
  }
}
