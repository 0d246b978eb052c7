import { describeValue } from './describe-value.js';
import { didYouMeanHint } from './did-you-mean.js';
import type { DockerCloudEvent } from './event-schema.js';
import { EventsError } from './events-error.js';
import { ChunkedMap, hashKey } from './hierarchy-chunked-map.js';
import { EventLog, NO_RECORD } from './hierarchy-event-log.js';
import { NEVER_LOST, RepeatDetector } from './hierarchy-repeat-detector.js';
import { StringTable } from './hierarchy-string-table.js';
import {
  createSnapshot,
  type HierarchySnapshot,
  type HierarchyTree,
  ObjectRecord,
  type RecordSource,
  type SnapshotParts,
  type StoredObject,
} from './hierarchy-snapshot.js';
import { isEndedActionState, isTerminatedState, OBJECT_TYPES, type ObjectType, STATES } from './object-types.js';
import { typeOfUri, uuidOfUri } from './resource-uri.js';
import { parentsOfRestObject, type RestObject, type RestObjectByType } from './rest-schema.js';
import { quoted } from './schema-messages.js';

export type {
  HierarchySnapshot,
  HierarchyTree,
  RootType,
  StoredObject,
  StoredObjectByType,
  StoredObjectOf,
} from './hierarchy-snapshot.js';

export interface HierarchyStoreOptions {
  /** How long a `Terminated` object stays before prune() drops it. Default 60,000 ms. */
  readonly terminatedRetentionMs?: number;
  /** How many events recentEvents() lists per object at most. Default 20; 0 keeps none. */
  readonly recentEventsPerObject?: number;
  /**
   * How many of the latest events, of all objects, the store keeps for recentEvents(): at least
   * this many, and at least dedupeWindow (rounded up to a power of two; about 90 bytes each with
   * the uuid's text). An object whose last events are older than that lists fewer of them.
   * Default 262,144 (~22 MiB when full).
   */
  readonly eventHistory?: number;
  /**
   * How many of the latest events are remembered to drop duplicates: an event whose uuid came
   * with one of the last this many events applied is dropped, and so is a delete seen again
   * within as many events. Default 10,000; 0 disables duplicate detection.
   */
  readonly dedupeWindow?: number;
  /**
   * How many ended actions (`Success`, `Failed`, `Canceled`) prune() keeps, the latest to end;
   * older ones are dropped, as the server forgets them (it lists 1,000 per namespace). Actions
   * never get a delete event, so without this a long-running client would keep every action it
   * ever saw. Default 1,000; actions still running are always kept.
   */
  readonly endedActions?: number;
}

/** REST list snapshots by type; a type that is absent is left as it is. */
export type SeedLists = Partial<{ readonly [T in ObjectType]: readonly RestObjectByType[T][] }>;

/**
 * What a seed changed, against what the store held just before (not against the last publish).
 * `deleted` objects were absent from their list: the store never saw their end (client-go calls
 * them "final state unknown").
 */
export interface ReseedDiff {
  readonly created: readonly StoredObject[];
  readonly updated: readonly { readonly before: StoredObject; readonly after: StoredObject }[];
  readonly deleted: readonly StoredObject[];
}

/**
 * An informer-like cache of one Docker Cloud account: both trees, the actions on each object and
 * the recent events of each, fed by events and by REST list snapshots. Writes (apply, seed,
 * prune) only mark what changed; publish() turns that into a new immutable snapshot and tells
 * the subscribers, so many events cost one snapshot and one notification.
 *
 * @example
 * const store = createHierarchyStore();
 * store.seed({ stack: stacks, service: services, container: containers }, clock.now());
 * socket.onEvent = (event) => store.apply(event, clock.now());
 * setInterval(() => store.publish(), 100); // in the transport or UI, not in core
 * const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
 */
export interface HierarchyStore {
  /**
   * Applies one event; returns whether anything changed (false for a duplicate uuid, a delete of
   * an object the store does not hold, or an event whose resource_uri does not name its type).
   * `create` and `update` both upsert: a missed create is not an error.
   */
  apply(event: DockerCloudEvent, nowMs: number): boolean;
  /**
   * Replaces the content of every type in `lists` by its list and reports the difference. Objects
   * keep their recent events and actions; `parents` are derived from the REST fields (a
   * container's stack and node cluster through its service and node, from the lists or, for
   * types not given, from the store). The REST objects become the records' `fields` as they are:
   * do not mutate them afterwards. Throws EventsError('protocol') before changing anything if an
   * object's resource_uri does not name the type of its list.
   */
  seed(lists: SeedLists, nowMs: number): ReseedDiff;
  /**
   * Drops the objects that have been `Terminated` for the retention or longer, and the ended
   * actions beyond `endedActions` (the earliest to end first); returns them.
   */
  prune(nowMs: number): readonly StoredObject[];
  /** Publishes a new snapshot and notifies subscribers if anything changed; returns whether it did. */
  publish(): boolean;
  /** Calls `listener` after each publish; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** The last published snapshot: the same object until a publish changes something. */
  getSnapshot(): HierarchySnapshot;
}

/** Creates an empty hierarchy store (snapshot version 0). */
export function createHierarchyStore(options: HierarchyStoreOptions = {}): HierarchyStore {
  checkOptionKeys(options);
  return new Store({
    terminatedRetentionMs: checkOption('terminatedRetentionMs', options.terminatedRetentionMs, 60_000, false),
    recentEventsPerObject: checkOption('recentEventsPerObject', options.recentEventsPerObject, 20, true),
    eventHistory: checkOption('eventHistory', options.eventHistory, 262_144, true),
    dedupeWindow: checkOption('dedupeWindow', options.dedupeWindow, 10_000, true),
    endedActions: checkOption('endedActions', options.endedActions, 1_000, true),
  });
}

const STORE_OPTION_KEYS: readonly (keyof HierarchyStoreOptions)[] = ['terminatedRetentionMs', 'recentEventsPerObject', 'eventHistory', 'dedupeWindow', 'endedActions'];

/** A misspelt option (`recentEvents: 0` to save memory) would otherwise be ignored without a word. */
function checkOptionKeys(options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new EventsError('invalid-config', `store options must be an object such as { recentEventsPerObject: 0 }, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!(STORE_OPTION_KEYS as readonly string[]).includes(key)) {
      throw new EventsError('invalid-config', `unknown store option ${JSON.stringify(key)}${didYouMeanHint(key, STORE_OPTION_KEYS)}; expected one of ${STORE_OPTION_KEYS.join(', ')}`);
    }
  }
}

function checkOption(name: string, value: number | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (!(value >= 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new EventsError('invalid-config', `${name} must be a non-negative ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

// What changed in an entry since the last publish.
const DIRTY_OBJECT = 1;
const DIRTY_RECENT = 2;
const DIRTY_CHILDREN = 4;
const DIRTY_ACTIONS = 8;
/** A parent of it appeared or went away, so whether it is an orphan may have changed. */
const DIRTY_ORPHAN = 16;
/** Its parents changed, so whether it is an orphan may have changed. */
const DIRTY_PARENTS = 32;

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * The store's mutable record for one URI: an object it holds (`exists`), or only a parent or
 * action target that others name (a "ghost": it carries their index so that lookups by parent
 * URI work before the parent arrives). Never handed out; publish() copies what changed into
 * frozen records.
 */
class Entry implements RecordSource {
  // Fields in the order apply() reads them: V8 lays them out in declaration order, and an
  // update touching the first two cache lines of the entry rather than four is measurable.
  readonly uri: string;
  readonly hash: number;
  readonly type: ObjectType | undefined;
  /** The type's place in OBJECT_TYPES (-1 for an entry whose URI names no type). */
  readonly typeIndex: number;
  exists = false;
  state = '';
  /** The state's place in STATES[type], -1 for a state that is not one of them. */
  stateIndex = -1;
  parents: readonly string[] = EMPTY;
  // The first four of `parents` and how many there are, compared with an event's parents (see
  // sameParents): a container has four, and reading them here rather than through the list
  // spares a dependent cache miss, ~0.08 µs per update at 100,000 objects.
  parentCount = 0;
  parent0 = '';
  parent1 = '';
  parent2 = '';
  parent3 = '';
  /** Its newest record in the event log (see hierarchy-event-log.ts). */
  newestRecord = NO_RECORD;
  /** For duplicate detection (see RepeatTracked). */
  recordsLostAt = NEVER_LOST;
  dirty = 0;
  /** The frozen record of the current content; null after a change until someone asks for it. */
  record: StoredObject | null = null;
  // updatedAt as two small integers (see the accessor below).
  private updatedHigh = 0;
  private updatedLow = 0;
  lastEventDatetime: string | null = null;
  createdAt: number | undefined = undefined;
  terminatedAt: number | undefined = undefined;
  /**
   * The direct parents the children indexes are keyed by (derived from `parents`). A linked
   * parent entry is never dropped (it has children), so holding it is safe.
   */
  appParent: Entry | null = null;
  infraParent: Entry | null = null;
  readonly uuid: string;
  fields: RestObject | null = null;
  /** For actions: the object the action applies to (`parents[0]`). */
  target: Entry | null = null;
  /** Held objects whose appParent or infraParent is this entry. */
  children: Set<Entry> | null = null;
  /** Held actions whose target is this entry, in the order the store first saw them. */
  actions: Set<Entry> | null = null;
  // Whether the published orphan index of each tree holds it.
  appOrphan = false;
  infraOrphan = false;

  constructor(uri: string, hash: number) {
    this.uri = uri;
    this.hash = hash;
    this.type = typeOfUri(uri);
    this.typeIndex = this.type === undefined ? -1 : OBJECT_TYPES.indexOf(this.type);
    this.uuid = uuidOfUri(uri);
  }

  /**
   * A wall-clock time (1.8e12 ms) is no small integer, and a field holding one points at a
   * separate number box: one more cache miss per update, ~0.07 µs at 10,000 objects (measured
   * with the live tree's clock against a small one). Split at 2^30, an integer time is two small
   * integers stored in the entry itself; any other number (-0 too) round-trips as it is.
   */
  get updatedAt(): number {
    // `0 * TIME_SPLIT + -0` would be 0.
    return this.updatedHigh === 0 ? this.updatedLow : this.updatedHigh * TIME_SPLIT + this.updatedLow;
  }

  set updatedAt(ms: number) {
    if (Number.isSafeInteger(ms) && (ms !== 0 || 1 / ms > 0)) {
      // `| 0` keeps both small integers to the engine: |high| < 2^23, 0 <= low < 2^30.
      const high = Math.floor(ms / TIME_SPLIT) | 0;
      this.updatedHigh = high;
      this.updatedLow = (ms - high * TIME_SPLIT) | 0;
    } else {
      this.updatedHigh = 0;
      this.updatedLow = ms;
    }
  }

  get isDead(): boolean {
    return !this.exists && (this.children === null || this.children.size === 0) && (this.actions === null || this.actions.size === 0);
  }
}

const TIME_SPLIT = 2 ** 30;

interface StoreConfig {
  readonly terminatedRetentionMs: number;
  readonly recentEventsPerObject: number;
  readonly eventHistory: number;
  readonly dedupeWindow: number;
  readonly endedActions: number;
}

const ACTION_TYPE_INDEX = OBJECT_TYPES.indexOf('action');

class Store implements HierarchyStore {
  private readonly config: StoreConfig;
  private readonly entries = new StringTable<Entry>();
  /** Held objects by type (for seeding and counting). */
  private readonly held: Record<ObjectType, Set<Entry>>;
  private readonly terminated = new Set<Entry>();
  /** Held actions in an ended state, in the order they ended (or were seeded, oldest first). */
  private readonly ended = new Set<Entry>();
  /**
   * Objects by type and state: [typeIndex * STATE_SLOTS + stateIndex] for the states of STATES,
   * a Map per type for any other state an event carried. Two array writes per state change
   * instead of four Map operations.
   */
  private readonly knownStateCounts = new Int32Array(OBJECT_TYPES.length * STATE_SLOTS);
  private readonly otherStateCounts: Map<string, number>[] = OBJECT_TYPES.map(() => new Map<string, number>());
  private countsChanged = true;
  private frozenCounts: StateCounts | null = null;
  /**
   * Every applied event has a record here when recent events are kept or duplicates dropped;
   * `recentLog` is the same log when records list recent events, else null.
   */
  private readonly log: EventLog | null;
  private readonly recentLog: EventLog | null;
  /** Null without duplicate detection; reads the uuids back from `log`. */
  private readonly repeats: RepeatDetector | null;
  // Events of one burst share their second and the stream's epoch: one copy of each string.
  private readonly datetimes = new RepeatedString();
  private readonly epochs = new RepeatedString();
  /** The distinct parents lists in use, by a hash of their URIs (see setParents). */
  private readonly parentLists = new Map<number, (readonly string[])[]>();
  /** Entries with a non-zero `dirty`, each once. */
  private dirty: Entry[] = [];

  // The published indexes (see ChunkedMap: a view per publish, copies only of chunks written since).
  private readonly objects: Record<ObjectType, ChunkedMap<StoredObject>>;
  private readonly childrenIndex = new ChunkedMap<readonly string[]>();
  private readonly actionsIndex = new ChunkedMap<readonly string[]>();
  private readonly orphanIndex: Record<HierarchyTree, ChunkedMap<StoredObject>> = {
    app: new ChunkedMap(),
    infra: new ChunkedMap(),
  };

  private version = 0;
  private snapshot: HierarchySnapshot;
  private lastViews: SnapshotViews;
  private readonly listeners = new Set<() => void>();

  constructor(config: StoreConfig) {
    this.config = config;
    const keepsRecent = config.recentEventsPerObject > 0 && config.eventHistory > 0;
    this.log =
      keepsRecent || config.dedupeWindow > 0
        ? new EventLog(Math.max(keepsRecent ? config.eventHistory : 0, config.dedupeWindow), keepsRecent ? config.recentEventsPerObject : 0)
        : null;
    this.recentLog = keepsRecent ? this.log : null;
    this.repeats = this.log !== null && config.dedupeWindow > 0 ? new RepeatDetector(this.log, config.dedupeWindow) : null;
    this.held = byType(() => new Set<Entry>());
    this.objects = byType(() => new ChunkedMap<StoredObject>());
    this.lastViews = this.collectViews();
    this.snapshot = createSnapshot({ version: 0, ...this.lastViews });
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  readonly getSnapshot = (): HierarchySnapshot => this.snapshot;

  apply(event: DockerCloudEvent, nowMs: number): boolean {
    const uri = event.resource_uri;
    const hash = hashKey(uri);
    let entry = this.entries.get(uri, hash);
    if (this.repeats?.isRepeat(entry, event.uuid)) return false;
    if (event.action === 'delete') {
      // A delete has no record of its own; remembered even when it finds nothing to delete, as
      // the object may exist by the time it comes again.
      this.repeats?.rememberApart(entry, event.uuid);
      if (entry === undefined || !entry.exists) return false;
      this.removeObject(entry);
      return true;
    }
    if (entry === undefined) {
      // Objects are indexed under the type their URI names; an event that disagrees could never be found.
      if (typeOfUri(uri) !== event.type) return false;
      entry = this.entryFor(uri, hash);
    } else if (entry.type !== event.type) {
      return false;
    }
    if (!entry.exists) {
      this.addObject(entry, event.state, event.parents, null, nowMs);
      if (event.action === 'create') entry.createdAt = nowMs;
    } else {
      if (!sameParents(entry, event.parents)) this.setParents(entry, event.parents);
      if (entry.state !== event.state) this.setState(entry, event.state, nowMs);
      if (event.action === 'create' && entry.createdAt === undefined) entry.createdAt = nowMs;
    }
    const datetime = this.datetimes.of(event.datetime);
    entry.updatedAt = nowMs;
    entry.lastEventDatetime = datetime;
    if (this.log !== null) {
      const epoch = event.position?.epoch;
      this.repeats?.beforeAppend();
      entry.newestRecord = this.log.append(entry.newestRecord, event, entry.state, datetime, entry.parents, epoch === undefined ? undefined : this.epochs.of(epoch));
    }
    this.markDirty(entry, DIRTY_OBJECT | DIRTY_RECENT);
    return true;
  }

  seed(lists: SeedLists, nowMs: number): ReseedDiff {
    // Validate everything first so that a bad list leaves the store untouched.
    const given = new Map<ObjectType, Map<string, RestObject>>();
    for (const type of OBJECT_TYPES) {
      const list = lists[type] as readonly RestObject[] | undefined;
      if (list === undefined) continue;
      const byUri = new Map<string, RestObject>();
      for (const object of list) {
        if (typeOfUri(object.resource_uri) !== type) {
          throw new EventsError('protocol', `seed: ${quoted(object.resource_uri)} in the ${type} list is not a ${type} URI`);
        }
        byUri.set(object.resource_uri, object); // a repeated object: the later copy wins
      }
      given.set(type, byUri);
    }
    // parentsOfRestObject resolves a container's stack and node cluster through its service and
    // node: from the lists given, else from what the store holds.
    const lookup = (uri: string): RestObject | undefined => {
      const type = typeOfUri(uri);
      if (type === undefined) return undefined;
      const list = given.get(type);
      if (list !== undefined) return list.get(uri);
      const entry = this.entries.get(uri, hashKey(uri));
      return entry?.exists ? restViewOf(entry) : undefined;
    };

    const created: StoredObject[] = [];
    const updated: { before: StoredObject; after: StoredObject }[] = [];
    const deleted: StoredObject[] = [];
    for (const [type, byUri] of given) {
      const objects = type === 'action' ? sortByStartDate([...byUri.values()]) : byUri.values();
      for (const object of objects) {
        const parents = parentsOfRestObject(object, type, lookup);
        const hash = hashKey(object.resource_uri);
        const entry = this.entries.get(object.resource_uri, hash) ?? this.entryFor(object.resource_uri, hash);
        if (!entry.exists) {
          this.addObject(entry, object.state, parents, object, nowMs);
          created.push(this.recordOf(entry));
          continue;
        }
        const unmoved = sameParents(entry, parents);
        if (entry.state === object.state && unmoved && jsonEqual(entry.fields, object)) continue;
        const before = this.recordOf(entry);
        if (!unmoved) this.setParents(entry, parents);
        this.setState(entry, object.state, nowMs);
        entry.fields = object;
        entry.updatedAt = nowMs;
        this.markDirty(entry, DIRTY_OBJECT);
        updated.push({ before, after: this.recordOf(entry) });
      }
      for (const entry of [...this.held[type]]) {
        if (!byUri.has(entry.uri)) deleted.push(this.removeObject(entry));
      }
    }
    return { created, updated, deleted };
  }

  prune(nowMs: number): readonly StoredObject[] {
    const removed: StoredObject[] = [];
    for (const entry of this.terminated) {
      if (entry.terminatedAt !== undefined && nowMs - entry.terminatedAt >= this.config.terminatedRetentionMs) {
        removed.push(this.removeObject(entry)); // deleting from a Set while iterating it is safe
      }
    }
    let excess = this.ended.size - this.config.endedActions;
    for (const entry of this.ended) {
      if (excess-- <= 0) break;
      removed.push(this.removeObject(entry));
    }
    return removed;
  }

  publish(): boolean {
    if (this.dirty.length === 0) return false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const entry of dirty) this.publishEntry(entry);
    const views = this.collectViews();
    if (sameViews(views, this.lastViews)) return false; // e.g. an object created and deleted in between
    this.lastViews = views;
    this.version++;
    this.snapshot = createSnapshot({ version: this.version, ...views });
    let failure: { error: unknown } | null = null;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        failure ??= { error }; // one broken subscriber must not starve the others
      }
    }
    if (failure !== null) throw failure.error;
    return true;
  }

  // --- writes to the working state -------------------------------------------------------------

  private entryFor(uri: string, hash: number): Entry {
    const entry = new Entry(uri, hash);
    this.repeats?.track(entry);
    this.entries.set(uri, hash, entry);
    return entry;
  }

  private markDirty(entry: Entry, flags: number): void {
    if (entry.dirty === 0) this.dirty.push(entry);
    entry.dirty |= flags;
    if ((flags & DIRTY_OBJECT) !== 0) entry.record = null;
  }

  private addObject(entry: Entry, state: string, parents: readonly string[], fields: RestObject | null, nowMs: number): void {
    const type = entry.type as ObjectType;
    entry.exists = true;
    entry.stateIndex = stateIndexOf(entry.typeIndex, state);
    entry.state = canonicalState(entry.typeIndex, entry.stateIndex, state);
    entry.fields = fields;
    entry.createdAt = undefined;
    entry.updatedAt = nowMs;
    entry.lastEventDatetime = null;
    entry.terminatedAt = undefined;
    this.held[type].add(entry);
    this.count(entry, 1);
    this.setParents(entry, parents);
    this.trackEnd(entry, nowMs);
    this.markChildrenOrphanDirty(entry);
    this.markDirty(entry, DIRTY_OBJECT);
  }

  /** Returns the record as it was. */
  private removeObject(entry: Entry): StoredObject {
    const before = this.recordOf(entry);
    const type = entry.type as ObjectType;
    this.setParents(entry, EMPTY);
    entry.exists = false;
    entry.fields = null;
    entry.terminatedAt = undefined;
    this.held[type].delete(entry);
    this.terminated.delete(entry);
    this.ended.delete(entry);
    this.count(entry, -1);
    this.repeats?.forgetRecords(entry);
    entry.newestRecord = NO_RECORD;
    this.markChildrenOrphanDirty(entry);
    this.markDirty(entry, DIRTY_OBJECT | DIRTY_RECENT);
    return before;
  }

  /** `state` as an event or a REST object carries it; the entry keeps the canonical string. */
  private setState(entry: Entry, state: string, nowMs: number): void {
    const index = stateIndexOf(entry.typeIndex, state);
    const canonical = canonicalState(entry.typeIndex, index, state);
    if (entry.state === canonical) return;
    this.count(entry, -1);
    entry.state = canonical;
    entry.stateIndex = index;
    this.count(entry, 1);
    this.trackEnd(entry, nowMs);
  }

  /** Keeps `terminated` (objects, dropped after the retention) and `ended` (actions, kept up to a count) current. */
  private trackEnd(entry: Entry, nowMs: number): void {
    if (entry.typeIndex === ACTION_TYPE_INDEX) {
      if (isEndedActionState(entry.state)) this.ended.add(entry);
      else this.ended.delete(entry);
      return;
    }
    if (isTerminatedState(entry.state)) {
      if (entry.terminatedAt === undefined) {
        entry.terminatedAt = nowMs;
        this.terminated.add(entry);
      }
    } else if (entry.terminatedAt !== undefined) {
      entry.terminatedAt = undefined;
      this.terminated.delete(entry);
    }
  }

  /** Sets `parents` and moves the entry between the children/actions indexes of its parents. */
  private setParents(entry: Entry, parents: readonly string[]): void {
    let app: string | null = null;
    let infra: string | null = null;
    let target: string | null = null;
    // Only the direct parent in each tree indexes a child: a container names its stack too, but
    // the stack's children are its services.
    switch (entry.type) {
      case 'service':
        app = firstOfType(parents, 'stack');
        break;
      case 'container':
        app = firstOfType(parents, 'service');
        infra = firstOfType(parents, 'node');
        break;
      case 'node':
        infra = firstOfType(parents, 'nodecluster');
        break;
      case 'action':
        target = parents[0] ?? null;
        break;
      case 'stack':
      case 'nodecluster':
      case undefined:
        break;
    }
    entry.appParent = this.relink(entry, entry.appParent, app, DIRTY_CHILDREN);
    entry.infraParent = this.relink(entry, entry.infraParent, infra, DIRTY_CHILDREN);
    entry.target = this.relink(entry, entry.target, target, DIRTY_ACTIONS);
    this.markDirty(entry, DIRTY_PARENTS);
    if (parents.length === 0) {
      setParentList(entry, EMPTY);
      return;
    }
    // Keep the URI strings the store already holds rather than the event's fresh copies, and one
    // array per distinct list (the containers of a service on one node share theirs): fewer
    // objects retained, and the next event's parents compare against memory that stays in cache.
    const shared = new Array<string>(parents.length);
    let listHash = parents.length;
    for (let i = 0; i < parents.length; i++) {
      const uri = parents[i] as string;
      const hash = hashKey(uri);
      shared[i] = this.entries.get(uri, hash)?.uri ?? uri;
      listHash = Math.imul(listHash ^ hash, 0x01000193);
    }
    setParentList(entry, this.sharedParentList(shared, listHash));
  }

  /** The frozen list equal to `list` that other entries already use, or `list`, frozen, from now on. */
  private sharedParentList(list: string[], hash: number): readonly string[] {
    let bucket = this.parentLists.get(hash);
    if (bucket === undefined) {
      // Lists of objects long gone stay until the table is cleared: when it outgrows the store.
      if (this.parentLists.size > 1024 + 2 * this.entries.size) this.parentLists.clear();
      bucket = [];
      this.parentLists.set(hash, bucket);
    }
    for (const known of bucket) if (sameList(known, list)) return known;
    const frozen = Object.freeze(list);
    bucket.push(frozen);
    return frozen;
  }

  /** Moves `entry` from the index of `from` to that of the entry for `to`; returns the latter. */
  private relink(entry: Entry, from: Entry | null, to: string | null, kind: typeof DIRTY_CHILDREN | typeof DIRTY_ACTIONS): Entry | null {
    if (from !== null) {
      if (from.uri === to) return from;
      (kind === DIRTY_CHILDREN ? from.children : from.actions)?.delete(entry);
      this.markDirty(from, kind);
    }
    if (to === null) return null;
    const hash = hashKey(to);
    const parent = this.entries.get(to, hash) ?? this.entryFor(to, hash);
    if (kind === DIRTY_CHILDREN) {
      parent.children ??= new Set();
      parent.children.add(entry);
    } else {
      parent.actions ??= new Set();
      parent.actions.add(entry);
    }
    this.markDirty(parent, kind);
    return parent;
  }

  private markChildrenOrphanDirty(entry: Entry): void {
    if (entry.children === null) return;
    for (const child of entry.children) this.markDirty(child, DIRTY_ORPHAN);
  }

  /** Counts the held entry in (+1) or out (-1) of its type and current state. */
  private count(entry: Entry, delta: number): void {
    this.countsChanged = true;
    if (entry.stateIndex >= 0) {
      (this.knownStateCounts[entry.typeIndex * STATE_SLOTS + entry.stateIndex] as number) += delta;
      return;
    }
    const counts = this.otherStateCounts[entry.typeIndex] as Map<string, number>;
    const next = (counts.get(entry.state) ?? 0) + delta;
    if (next === 0) counts.delete(entry.state);
    else counts.set(entry.state, next);
  }

  // --- publishing ------------------------------------------------------------------------------

  private recordOf(entry: Entry): StoredObject {
    entry.record ??= new ObjectRecord(entry, this.recentLog) as unknown as StoredObject;
    return entry.record;
  }

  private publishEntry(entry: Entry): void {
    const flags = entry.dirty;
    entry.dirty = 0;
    const { uri, hash, type } = entry;
    if (type !== undefined && (flags & (DIRTY_OBJECT | DIRTY_RECENT | DIRTY_ORPHAN | DIRTY_PARENTS)) !== 0) {
      if (entry.exists) {
        const record = this.recordOf(entry);
        if ((flags & (DIRTY_OBJECT | DIRTY_RECENT)) !== 0) {
          this.objects[type].set(uri, hash, record);
        }
        // Whether it is an orphan changes only with its parents; an orphan's new record replaces its old one.
        const relinked = (flags & (DIRTY_PARENTS | DIRTY_ORPHAN)) !== 0;
        if ((type === 'service' || type === 'container') && (relinked || entry.appOrphan)) this.publishOrphan('app', entry, record, entry.appParent);
        if ((type === 'node' || type === 'container') && (relinked || entry.infraOrphan)) this.publishOrphan('infra', entry, record, entry.infraParent);
      } else if ((flags & DIRTY_OBJECT) !== 0) {
        this.objects[type].delete(uri, hash);
        if (entry.appOrphan) this.orphanIndex.app.delete(uri, hash);
        if (entry.infraOrphan) this.orphanIndex.infra.delete(uri, hash);
        entry.appOrphan = false;
        entry.infraOrphan = false;
      }
    }
    if ((flags & DIRTY_CHILDREN) !== 0) {
      if (entry.children !== null && entry.children.size > 0) this.childrenIndex.set(uri, hash, urisOf(entry.children, false));
      else this.childrenIndex.delete(uri, hash);
    }
    if ((flags & DIRTY_ACTIONS) !== 0) {
      if (entry.actions !== null && entry.actions.size > 0) this.actionsIndex.set(uri, hash, urisOf(entry.actions, true));
      else this.actionsIndex.delete(uri, hash);
    }
    if (entry.isDead && this.entries.get(uri, hash) === entry) this.entries.delete(uri, hash);
  }

  /** Puts the entry in, or takes it out of, the orphan index of `tree`; writes only on a change. */
  private publishOrphan(tree: HierarchyTree, entry: Entry, record: StoredObject, parent: Entry | null): void {
    const orphan = parent === null || !parent.exists;
    const was = tree === 'app' ? entry.appOrphan : entry.infraOrphan;
    if (orphan) this.orphanIndex[tree].set(entry.uri, entry.hash, record); // no write if the record is the same
    else if (was) this.orphanIndex[tree].delete(entry.uri, entry.hash);
    if (tree === 'app') entry.appOrphan = orphan;
    else entry.infraOrphan = orphan;
  }

  /** The current view of every index (views are new only for indexes written since the last call). */
  private collectViews(): SnapshotViews {
    return {
      objects: byType((type) => this.objects[type].view()),
      children: this.childrenIndex.view(),
      actions: this.actionsIndex.view(),
      orphans: { app: this.orphanIndex.app.view(), infra: this.orphanIndex.infra.view() },
      stateCounts: this.currentCounts(),
    };
  }

  private currentCounts(): StateCounts {
    const previous = this.frozenCounts;
    if (previous !== null && !this.countsChanged) return previous;
    this.countsChanged = false;
    const counts = byType((type) => {
      const counts: Record<string, number> = {};
      const typeIndex = OBJECT_TYPES.indexOf(type);
      STATES[type].forEach((state, i) => {
        counts[state] = this.knownStateCounts[typeIndex * STATE_SLOTS + i] as number;
      });
      for (const [state, n] of this.otherStateCounts[typeIndex] as Map<string, number>) counts[state] = n;
      // Unchanged counts keep their identity, so that a batch that undid itself publishes nothing.
      return previous !== null && sameCounts(previous[type], counts) ? previous[type] : Object.freeze(counts);
    });
    if (previous !== null && OBJECT_TYPES.every((type) => counts[type] === previous[type])) return previous;
    this.frozenCounts = counts;
    return counts;
  }
}

type SnapshotViews = Omit<SnapshotParts, 'version'>;
type StateCounts = SnapshotParts['stateCounts'];

/** Whether nothing changed between two collectViews() calls. */
function sameViews(a: SnapshotViews, b: SnapshotViews): boolean {
  if (a.children !== b.children || a.actions !== b.actions) return false;
  if (a.orphans.app !== b.orphans.app || a.orphans.infra !== b.orphans.infra) return false;
  if (a.stateCounts !== b.stateCounts) return false;
  return OBJECT_TYPES.every((type) => a.objects[type] === b.objects[type]);
}

function sameCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function byType<V>(make: (type: ObjectType) => V): Record<ObjectType, V> {
  const out = {} as Record<ObjectType, V>;
  for (const type of OBJECT_TYPES) out[type] = make(type);
  return out;
}

/**
 * One copy of a string that events repeat (a burst's datetime, the stream's epoch), so that
 * the store holds one string where it would hold one per event. From its second use on, the
 * copy is the engine's internalized one: V8 keeps those in the old generation, so entries and
 * the event log point at it without every write recording an old-to-young pointer for the next
 * scavenge (a fresh string from JSON.parse is young). Measured at 100,000 objects: ~0.1 µs less
 * per update without recent events and dedupe (with them, within the noise). Other engines lose
 * nothing: it is a plain copy.
 */
class RepeatedString {
  private last = '';
  private internalized = false;

  of(text: string): string {
    if (text !== this.last) {
      this.last = text;
      this.internalized = false;
    } else if (!this.internalized) {
      // A property key is internalized; Object.keys hands back that copy (only once per string).
      this.last = Object.keys({ [text]: 0 })[0] as string;
      this.internalized = true;
    }
    return this.last;
  }
}

function firstOfType(uris: readonly string[], type: ObjectType): string | null {
  for (const uri of uris) if (typeOfUri(uri) === type) return uri;
  return null;
}

function setParentList(entry: Entry, list: readonly string[]): void {
  entry.parents = list;
  entry.parentCount = list.length;
  entry.parent0 = list[0] ?? '';
  entry.parent1 = list[1] ?? '';
  entry.parent2 = list[2] ?? '';
  entry.parent3 = list[3] ?? '';
}

/** Whether `list` equals the entry's parents. */
function sameParents(entry: Entry, list: readonly string[]): boolean {
  const n = list.length;
  if (n !== entry.parentCount) return false;
  if (n > 4) return sameList(entry.parents, list);
  return (n < 1 || entry.parent0 === list[0]) && (n < 2 || entry.parent1 === list[1]) && (n < 3 || entry.parent2 === list[2]) && (n < 4 || entry.parent3 === list[3]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The place of `state` in its type's STATES, -1 when it is not one of them. A scan, not a Map
 * lookup: a fresh string would have to be hashed for the Map, which costs more than ten short
 * compares.
 */
function stateIndexOf(typeIndex: number, state: string): number {
  return (STATES_BY_INDEX[typeIndex] as readonly string[]).indexOf(state);
}

/**
 * The string from STATES at `index` (events normally carry those states), else `state` itself:
 * the store keeps one copy of each, and later compares are by pointer.
 */
function canonicalState(typeIndex: number, index: number, state: string): string {
  return index >= 0 ? ((STATES_BY_INDEX[typeIndex] as readonly string[])[index] as string) : state;
}

/** STATES by the type's place in OBJECT_TYPES: an array access where a keyed lookup by type name was. */
const STATES_BY_INDEX: readonly (readonly string[])[] = OBJECT_TYPES.map((type) => STATES[type]);
/** Room for the states of any one type in knownStateCounts. */
const STATE_SLOTS = Math.max(...STATES_BY_INDEX.map((states) => states.length));

function urisOf(entries: ReadonlySet<Entry>, reversed: boolean): readonly string[] {
  const out = new Array<string>(entries.size);
  let i = reversed ? entries.size - 1 : 0;
  for (const entry of entries) {
    out[i] = entry.uri;
    i += reversed ? -1 : 1;
  }
  return Object.freeze(out);
}

/**
 * The relationship fields parentsOfRestObject reads, rebuilt from what the store holds: its
 * REST fields may be older than the parents events told it since.
 */
function restViewOf(entry: Entry): RestObject {
  const view: Record<string, unknown> = { uuid: entry.uuid, resource_uri: entry.uri, state: entry.state };
  switch (entry.type) {
    case 'service':
      view.stack = entry.appParent?.uri ?? null;
      break;
    case 'container':
      view.service = entry.appParent?.uri ?? null;
      view.node = entry.infraParent?.uri ?? null;
      break;
    case 'node':
      view.node_cluster = entry.infraParent?.uri ?? null;
      break;
    case 'action':
      view.object = entry.target?.uri ?? null;
      break;
    case 'stack':
    case 'nodecluster':
    case undefined:
      break;
  }
  return view as unknown as RestObject;
}

/** Oldest first, so the newest action of a target is the last one linked (actionsOf lists newest first). */
function sortByStartDate(actions: RestObject[]): RestObject[] {
  const time = (action: RestObject) => {
    const date = (action as RestObjectByType['action']).start_date;
    const ms = date === null || date === undefined ? Number.NaN : Date.parse(date);
    return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
  };
  // Array.prototype.sort is stable, so actions without a date keep their list order
  // (`|| 0`: -Infinity minus -Infinity is NaN).
  return actions.sort((a, b) => time(a) - time(b) || 0);
}

/** Structural equality of JSON values (REST objects). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const key of ka) {
    if (!Object.hasOwn(b, key) || !jsonEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}
