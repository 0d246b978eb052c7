import { type DockerCloudEvent, type EventFilter, type HierarchySnapshot, type LiveTree, type LiveTreeSnapshot, matchesFilter } from '@events/core';
import { createTreeStateTracker, knownName } from './event-format.js';

/**
 * The names a line shows, as they were known when its event was logged: a later delete must not
 * turn them back into ids (the tree forgets a deleted object, the log does not).
 */
export interface EventNames {
  /** The object's name; null when only its id was known. */
  readonly name: string | null;
  /** The name of its first parent (`parents[0]`); null when only its id was known, or it has none. */
  readonly parentName: string | null;
}

/**
 * An event, the state its object was in before it, and the names of the object and its first
 * parent when it was logged (for an event logged while the tree was still listing, when that
 * listing ended). A null name is looked up when the line is drawn: fields fetched later may
 * name an object the tree knows only from events.
 */
export interface LoggedEvent extends EventNames {
  readonly event: DockerCloudEvent;
  readonly previous: string | null;
}

export interface EventLogSnapshot {
  /** The most recent events, newest first, at most `capacity`. */
  readonly events: readonly LoggedEvent[];
  /** Events seen since start (also those the ring has dropped). */
  readonly total: number;
}

/**
 * The events pane's source: a ring of the last events, outside React, published at most every
 * `publishIntervalMs` (so 1,000 events/s cost ten renders a second, not a thousand).
 */
export interface EventLog {
  push(event: DockerCloudEvent, previous?: string | null, names?: EventNames): void;
  subscribe(listener: () => void): () => void;
  getSnapshot(): EventLogSnapshot;
  /**
   * Follows a LiveTree's events (only those `filter` matches, when given), each with the state
   * and the names the tree's snapshot holds when the event arrives: the tree tells its event
   * listeners before it publishes what the event changed, so a deleted object is still there.
   * Attach before anything can deliver an event, or the log misses it. Returns the function
   * that stops it.
   */
  attach(tree: AttachableTree, options?: AttachOptions): () => void;
  /** Stops publishing and detaches from every tree. */
  close(): void;
}

/** What attach needs of a LiveTree. */
export type AttachableTree = Pick<LiveTree, 'onEvent' | 'getSnapshot'> & Partial<Pick<LiveTree, 'subscribe'>>;

export interface AttachOptions {
  /** Log only the events this filter matches (null or absent: all). */
  readonly filter?: EventFilter | null;
}

export interface EventLogOptions {
  /** Default 500. */
  readonly capacity?: number;
  /**
   * Longest an event waits to be published (default 100 ms; 0: at once, for tests). Attached
   * to a tree that publishes (has `subscribe`), the log publishes whenever the tree does, in the
   * same turn, and waits twice as long on its own: only for events the tree does not publish.
   */
  readonly publishIntervalMs?: number;
}

const EMPTY: EventLogSnapshot = Object.freeze({ events: Object.freeze([]), total: 0 });
/** Bounds attach's cache of names (an account of 10,000 objects fits twice). */
const MAX_CACHED_NAMES = 20_000;
const NO_NAMES: EventNames = Object.freeze({ name: null, parentName: null });

/** Whether the tree is reading its REST lists (a tree without a sync status never is). */
function isListing(snapshot: Partial<Pick<LiveTreeSnapshot, 'sync'>>): boolean {
  return snapshot.sync?.status === 'listing';
}

/**
 * @example
 * const log = createEventLog();
 * const detach = log.attach(tree);
 * const { events } = useSyncExternalStore(log.subscribe, log.getSnapshot);
 */
export function createEventLog(options: EventLogOptions = {}): EventLog {
  const capacity = Math.max(1, options.capacity ?? 500);
  const interval = options.publishIntervalMs ?? 100;
  const ring: LoggedEvent[] = [];
  let next = 0; // where the next event goes once the ring is full
  let total = 0;
  let snapshot = EMPTY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const listeners = new Set<() => void>();

  let dirty = false;

  function publish(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    dirty = false;
    const n = ring.length;
    const events = new Array<LoggedEvent>(n);
    const newest = (next - 1 + n) % n;
    for (let i = 0; i < n; i++) events[i] = ring[(newest - i + n) % n] as LoggedEvent;
    snapshot = Object.freeze({ events: Object.freeze(events), total });
    for (const listener of [...listeners]) listener();
  }

  const detachers = new Set<() => void>();
  let closed = false;

  /** Adds an event; it is published within `wait` ms at the latest. */
  function add(event: DockerCloudEvent, previous: string | null, name: string | null, parentName: string | null, wait: number): void {
    if (closed) return;
    total++;
    const entry: LoggedEvent = { event, previous, name, parentName };
    if (ring.length < capacity) {
      ring.push(entry);
      next = ring.length % capacity;
    } else {
      ring[next] = entry;
      next = (next + 1) % capacity;
    }
    dirty = true;
    if (interval <= 0) publish();
    else timer ??= setTimeout(publish, wait);
  }

  /**
   * Names the lines that were logged without a name and that `tree` can name now. Called when a
   * listing ends, the only time the tree learns names (events carry none): the events that
   * arrived during it (at the start, all of them) are named from the lists and keep those names
   * once their objects are deleted. An object created and deleted within the listing never had a
   * name the tree could give. One pass over the ring per listing, none per event or per frame.
   */
  function learnNames(tree: HierarchySnapshot): boolean {
    let learned = false;
    for (let i = 0; i < ring.length; i++) {
      const entry = ring[i] as LoggedEvent;
      const parent = entry.event.parents[0];
      const name = entry.name ?? knownName(entry.event.resource_uri, tree);
      const parentName = entry.parentName ?? (parent === undefined ? null : knownName(parent, tree));
      if (name === entry.name && parentName === entry.parentName) continue;
      ring[i] = { ...entry, name, parentName };
      learned = true;
    }
    return learned;
  }

  const log: EventLog = {
    push(event, previous = null, names = NO_NAMES) {
      add(event, previous, names.name, names.parentName, interval);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    getSnapshot: () => snapshot,
    attach(tree, attachOptions = {}) {
      const filter = attachOptions.filter ?? null;
      // Old states from the events, else the tree's; forgotten when the tree re-lists after a gap.
      const states = createTreeStateTracker(tree);
      const tracker = states.tracker;
      // Publish together with the tree when it has a subscribe: one render for both, not two. A
      // tree may tell its listeners of an event before it arms its own publish timer (core's
      // live tree does), so a timer of ours armed with the same delay would fire first and make
      // a frame of its own: ours waits twice as long, for events the tree never publishes.
      const wait = tree.subscribe === undefined ? interval : interval * 2;
      // The names the snapshot gave, by URI: most events are of objects seen before, and a Map
      // lookup costs a fraction of the snapshot's (which hashes the URI anew each time): 0.2 µs
      // an event for the names instead of 0.65. Names change only with a listing, whose end
      // empties this; a delete forgets its object, and the size is capped (for parents whose
      // delete the filter hides), so it never holds more than about the account.
      const names = new Map<string, string>();
      const nameOf = (uri: string, objects: HierarchySnapshot): string | null => {
        const cached = names.get(uri);
        if (cached !== undefined) return cached;
        const name = knownName(uri, objects);
        if (name !== null) {
          if (names.size >= MAX_CACHED_NAMES) names.clear();
          names.set(uri, name);
        }
        return name;
      };
      const offEvent = tree.onEvent((event) => {
        if (filter !== null && !matchesFilter(filter, event)) return;
        // Named now, from the snapshot the tree has published so far: for a delete, the object
        // (and its parents) are still in it.
        const objects = tree.getSnapshot().tree;
        const parent = event.parents[0];
        const previous = tracker.advance(event);
        const name = nameOf(event.resource_uri, objects);
        if (event.action === 'delete') names.delete(event.resource_uri);
        add(event, previous, name, parent === undefined ? null : nameOf(parent, objects), wait);
      });
      let listing = isListing(tree.getSnapshot());
      const offTree =
        tree.subscribe?.(() => {
          const live = tree.getSnapshot();
          const wasListing = listing;
          listing = isListing(live);
          if (wasListing && !listing) {
            names.clear();
            if (learnNames(live.tree)) dirty = true;
          }
          if (dirty) publish();
        }) ?? (() => {});
      const detach = () => {
        offEvent();
        offTree();
        states.close();
        detachers.delete(detach);
      };
      detachers.add(detach);
      return detach;
    },
    close() {
      closed = true;
      for (const detach of [...detachers]) detach();
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      listeners.clear();
    },
  };
  return log;
}
