import type { DockerCloudEvent } from './event-schema.js';
import { type ChunkedMapView, hashKey } from './hierarchy-chunked-map.js';
import { type EventLog, NO_RECORD } from './hierarchy-event-log.js';
import { OBJECT_TYPES, type ObjectType, type StateOf } from './object-types.js';
import { typeOfUri } from './resource-uri.js';
import type { RestObject, RestObjectByType } from './rest-schema.js';

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * The two trees of an account: `app` is stack → service → container, `infra` is node cluster →
 * node → container. A container belongs to both.
 */
export type HierarchyTree = 'app' | 'infra';

/** The root type of each tree. */
export type RootType = 'stack' | 'nodecluster';

/**
 * One object as the store knows it. Records are frozen and replaced, never changed: a snapshot
 * may hold on to one for as long as it likes.
 */
export interface StoredObjectOf<T extends ObjectType> {
  readonly type: T;
  /** The object's id: the last segment of resource_uri (not an event uuid). */
  readonly uuid: string;
  readonly resource_uri: string;
  readonly state: StateOf<T>;
  /** As events carry them (protocol.md §7); for seeded objects derived from the REST fields. */
  readonly parents: readonly string[];
  /** The last REST object seen for it (for detail panes), or null when known only from events. */
  readonly fields: RestObjectByType[T] | null;
  /** When the store applied the object's `create` event; undefined when it never saw one. */
  readonly createdAt?: number;
  /** When the store last changed this object (the injected `nowMs`). */
  readonly updatedAt: number;
  /** `datetime` of the last event applied to it; null when known only from REST. */
  readonly lastEventDatetime: string | null;
  /** When the store first saw it `Terminated`; it is dropped by prune() after the retention. */
  readonly terminatedAt?: number;
}

/** StoredObjectOf by type; indexing it with a union of types gives the union of their records. */
export type StoredObjectByType = { [T in ObjectType]: StoredObjectOf<T> };

/** A stored object of any type; `switch (object.type)` narrows `state` and `fields`. */
export type StoredObject = StoredObjectByType[ObjectType];

/**
 * An immutable view of the store at one publish. Nothing the store does later changes what a
 * snapshot answers; list results are frozen arrays.
 *
 * @example
 * const snapshot = store.getSnapshot();
 * for (const stack of snapshot.roots('stack')) {
 *   for (const service of snapshot.children(stack.resource_uri)) {
 *     console.log(stack.state, service.state, snapshot.children(service.resource_uri).length);
 *   }
 * }
 */
export interface HierarchySnapshot {
  /** 0 for the empty store; grows by one with every publish that changed something. */
  readonly version: number;
  /** How many objects the store holds. */
  readonly size: number;
  get(uri: string): StoredObject | undefined;
  has(uri: string): boolean;
  /**
   * The direct children of `uri`: stack → services, service → containers (app tree), node cluster
   * → nodes, node → containers (infra tree). Works for a parent the store has not seen (yet):
   * children are indexed by the parent URI they name. With `tree`, children in the other tree
   * are left out. Insertion order.
   */
  children(uri: string, tree?: HierarchyTree): readonly StoredObject[];
  /** The object's `parents` as last seen (URIs; the store may not hold them). */
  parentsOf(uri: string): readonly string[];
  /** `parentsOf(uri)`, then the parents of those the store holds, and so on, without repeats. */
  ancestors(uri: string): readonly string[];
  /** Every stack or every node cluster. No particular order. */
  roots<T extends RootType>(type: T): readonly StoredObjectByType[T][];
  /** Every object of `type`. No particular order. */
  ofType<T extends ObjectType>(type: T): readonly StoredObjectByType[T][];
  /**
   * What walking the tree from its roots misses: in `app`, services without a stack the store
   * holds and containers without a service it holds; in `infra`, nodes without a node cluster
   * and containers without a node. No particular order.
   */
  orphans(tree?: HierarchyTree): readonly StoredObject[];
  /** The actions whose target (first parent) is `uri`, newest first (by when the store first saw them). */
  actionsOf(uri: string): readonly StoredObjectOf<'action'>[];
  /**
   * The last events applied to `uri` up to this snapshot, newest first: at most
   * `recentEventsPerObject`, and only those still among the last `eventHistory` events the store
   * received (the list is fixed at its first request).
   */
  recentEvents(uri: string): readonly DockerCloudEvent[];
  countsByType(): Readonly<Record<ObjectType, number>>;
  /** Every state of `type` (zero included), plus any non-standard state an event carried. */
  countsByState<T extends ObjectType>(type: T): Readonly<Record<StateOf<T>, number>>;
}

/** What a record is made of: the store's working copy of one object. */
export type RecordSource = Pick<ObjectRecord, 'uuid' | 'state' | 'parents' | 'fields' | 'createdAt' | 'updatedAt' | 'lastEventDatetime' | 'terminatedAt'> & {
  readonly type: ObjectType | undefined;
  readonly uri: string;
  /** Its newest record in the event log. */
  readonly newestRecord: number;
};

/**
 * The frozen record the store publishes for one object. It also knows where the object's recent
 * events are in the store's event log, in private fields (not part of the record's data), so that
 * a changed object costs one allocation per publish; the events are read on first request, then
 * kept.
 */
export class ObjectRecord {
  readonly type: ObjectType;
  readonly uuid: string;
  readonly resource_uri: string;
  readonly state: string;
  readonly parents: readonly string[];
  readonly fields: RestObject | null;
  readonly createdAt: number | undefined;
  readonly updatedAt: number;
  readonly lastEventDatetime: string | null;
  readonly terminatedAt: number | undefined;
  readonly #log: EventLog | null;
  readonly #newest: number;
  #recent: readonly DockerCloudEvent[] | null = null;

  constructor(source: RecordSource, log: EventLog | null) {
    this.type = source.type as ObjectType;
    this.uuid = source.uuid;
    this.resource_uri = source.uri;
    this.state = source.state;
    this.parents = source.parents;
    this.fields = source.fields;
    this.createdAt = source.createdAt;
    this.updatedAt = source.updatedAt;
    this.lastEventDatetime = source.lastEventDatetime;
    this.terminatedAt = source.terminatedAt;
    this.#log = log;
    this.#newest = source.newestRecord;
    Object.freeze(this);
  }

  /** The recent events of the record's object as of the record, newest first. */
  static recentEvents(record: StoredObject): readonly DockerCloudEvent[] {
    if (!(#recent in record)) return EMPTY; // not made by the store
    if (record.#recent === null) {
      const log = record.#log;
      record.#recent = log === null || record.#newest === NO_RECORD ? EMPTY : log.read(record.#newest, record.type, record.resource_uri);
    }
    return record.#recent;
  }
}

/** What a snapshot is built from: frozen views of the store's indexes. */
export interface SnapshotParts {
  readonly version: number;
  readonly objects: Readonly<Record<ObjectType, ChunkedMapView<StoredObject>>>;
  /** Parent URI → child URIs (direct children only). */
  readonly children: ChunkedMapView<readonly string[]>;
  /** Target URI → action URIs, newest first. */
  readonly actions: ChunkedMapView<readonly string[]>;
  readonly orphans: Readonly<Record<HierarchyTree, ChunkedMapView<StoredObject>>>;
  readonly stateCounts: Readonly<Record<ObjectType, Readonly<Record<string, number>>>>;
}

/** The tree a parent type's children belong to; types without children are absent. */
const TREE_OF_PARENT: Readonly<Partial<Record<ObjectType, HierarchyTree>>> = {
  stack: 'app',
  service: 'app',
  nodecluster: 'infra',
  node: 'infra',
};


/** Builds the snapshot for `parts`. Internal to the store; exported for it and its tests. */
export function createSnapshot(parts: SnapshotParts): HierarchySnapshot {
  return new Snapshot(parts);
}

class Snapshot implements HierarchySnapshot {
  readonly version: number;
  readonly size: number;
  private readonly parts: SnapshotParts;
  private readonly typeCounts: Readonly<Record<ObjectType, number>>;
  // Lazily built, then kept: the snapshot never changes, so neither do these.
  private readonly ofTypeCache = new Map<ObjectType, readonly StoredObject[]>();
  private readonly orphanCache = new Map<HierarchyTree, readonly StoredObject[]>();

  constructor(parts: SnapshotParts) {
    this.parts = parts;
    this.version = parts.version;
    const counts = {} as Record<ObjectType, number>;
    let size = 0;
    for (const type of OBJECT_TYPES) {
      counts[type] = parts.objects[type].size;
      size += counts[type];
    }
    this.typeCounts = Object.freeze(counts);
    this.size = size;
  }

  get(uri: string): StoredObject | undefined {
    return this.published(uri);
  }

  has(uri: string): boolean {
    return this.get(uri) !== undefined;
  }

  children(uri: string, tree?: HierarchyTree): readonly StoredObject[] {
    if (tree !== undefined) {
      const type = typeOfUri(uri);
      if (type === undefined || TREE_OF_PARENT[type] !== tree) return EMPTY;
    }
    return this.objectsAt(this.parts.children.get(uri));
  }

  parentsOf(uri: string): readonly string[] {
    return this.get(uri)?.parents ?? EMPTY;
  }

  ancestors(uri: string): readonly string[] {
    const seen = new Set<string>([uri]);
    const out: string[] = [];
    // Breadth first, so a container lists [service, stack, node, nodecluster] as its event does.
    for (let i = -1; i < out.length; i++) {
      const from = i < 0 ? uri : (out[i] as string);
      for (const parent of this.parentsOf(from)) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        out.push(parent);
      }
    }
    return Object.freeze(out);
  }

  roots<T extends RootType>(type: T): readonly StoredObjectByType[T][] {
    return this.ofType(type);
  }

  ofType<T extends ObjectType>(type: T): readonly StoredObjectByType[T][] {
    let list = this.ofTypeCache.get(type);
    if (list === undefined) {
      list = Object.freeze(this.parts.objects[type].values());
      this.ofTypeCache.set(type, list);
    }
    return list as readonly StoredObjectByType[T][];
  }

  orphans(tree: HierarchyTree = 'app'): readonly StoredObject[] {
    let list = this.orphanCache.get(tree);
    if (list === undefined) {
      list = Object.freeze(this.parts.orphans[tree].values());
      this.orphanCache.set(tree, list);
    }
    return list;
  }

  actionsOf(uri: string): readonly StoredObjectOf<'action'>[] {
    return this.objectsAt(this.parts.actions.get(uri)) as readonly StoredObjectOf<'action'>[];
  }

  recentEvents(uri: string): readonly DockerCloudEvent[] {
    const record = this.published(uri);
    return record === undefined ? EMPTY : ObjectRecord.recentEvents(record);
  }

  countsByType(): Readonly<Record<ObjectType, number>> {
    return this.typeCounts;
  }

  countsByState<T extends ObjectType>(type: T): Readonly<Record<StateOf<T>, number>> {
    return this.parts.stateCounts[type] as Readonly<Record<StateOf<T>, number>>;
  }

  private published(uri: string): StoredObject | undefined {
    const type = typeOfUri(uri);
    return type === undefined ? undefined : this.parts.objects[type].get(uri, hashKey(uri));
  }

  private objectsAt(uris: readonly string[] | undefined): readonly StoredObject[] {
    if (uris === undefined) return EMPTY;
    const out: StoredObject[] = [];
    for (const uri of uris) {
      // The store indexes only objects it holds, so this is always found; the guard is for types.
      const record = this.published(uri);
      if (record !== undefined) out.push(record);
    }
    return Object.freeze(out);
  }
}
