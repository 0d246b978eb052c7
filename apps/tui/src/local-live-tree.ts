import {
  type ConnectionSummary,
  createHierarchyStore,
  type DockerCloudEvent,
  EventsError,
  type HierarchyStoreOptions,
  type LiveTree,
  type LiveTreeSnapshot,
  type LiveTreeSync,
  type ReseedDiff,
  type ResyncReport,
  type SeedLists,
} from '@events/core';

/** A connection that is up: what a tree fed in-process (or replayed) reports. */
export const LIVE_CONNECTION: ConnectionSummary = Object.freeze({
  phase: 'live',
  status: 'open',
  attempt: 0,
  retryAt: null,
  lastClose: null,
  outcome: 'fresh',
  resyncPending: false,
  generation: 1,
  stopReason: null,
});

export interface LocalLiveTreeOptions {
  /** The clock the store and the sync marks use. Default Date.now. */
  readonly now?: () => number;
  /**
   * Events are batched and published at most this often (ms): 100 = 10 Hz. 0 publishes only on
   * flush() (tests drive it by hand).
   */
  readonly publishIntervalMs?: number;
  readonly store?: HierarchyStoreOptions;
  /** Default: reject, this tree has no server to ask. */
  readonly operate?: LiveTree['operate'];
  readonly fetchObject?: LiveTree['fetchObject'];
  readonly onReconnect?: () => void;
  readonly onClose?: () => void | Promise<void>;
}

/**
 * A LiveTree whose data is pushed in by its owner: seed() with REST lists, push() events. The
 * in-process demo, the replay of a recording and the tests build on it; the network transport
 * has its own. Publishes at most every `publishIntervalMs`, so a burst of events costs one
 * snapshot and one render.
 */
export interface LocalLiveTree extends LiveTree {
  /** Replaces the content with the lists and reports the difference; the sync becomes `live`. */
  seed(lists: SeedLists): ReseedDiff;
  /** Applies one event; returns whether it changed anything (duplicates do not). */
  push(event: DockerCloudEvent): boolean;
  setConnection(connection: ConnectionSummary): void;
  setSync(sync: LiveTreeSync): void;
  /** Publishes pending changes now. */
  flush(): void;
}

/**
 * @example
 * const tree = createLocalLiveTree({ publishIntervalMs: 100 });
 * tree.seed({ stack: stacks, service: services, container: containers });
 * tree.push(event);
 * const { tree: snapshot } = tree.getSnapshot();
 */
export function createLocalLiveTree(options: LocalLiveTreeOptions = {}): LocalLiveTree {
  const now = options.now ?? Date.now;
  const interval = options.publishIntervalMs ?? 100;
  const store = createHierarchyStore(options.store);
  const listeners = new Set<() => void>();
  const eventListeners = new Set<(event: DockerCloudEvent) => void>();
  let connection: ConnectionSummary = LIVE_CONNECTION;
  let sync: LiveTreeSync = { status: 'listing' };
  let lastResync: ResyncReport | null = null;
  let seeded = false;
  let eventsApplied = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let snapshot: LiveTreeSnapshot = compose();

  function compose(): LiveTreeSnapshot {
    return Object.freeze({ tree: store.getSnapshot(), connection, sync, lastResync, eventsApplied });
  }

  function notify(): void {
    snapshot = compose();
    for (const listener of [...listeners]) listener();
  }

  function flush(): void {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    store.prune(now());
    // The store notifies only when something changed; the counter may have moved regardless.
    if (!store.publish() && snapshot.eventsApplied !== eventsApplied) notify();
  }

  function schedule(): void {
    if (closed || interval <= 0 || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      flush();
    }, interval);
  }

  store.subscribe(notify);

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    getSnapshot: () => snapshot,
    onEvent(listener) {
      eventListeners.add(listener);
      return () => {
        eventListeners.delete(listener);
      };
    },
    operate: options.operate ?? (async () => Promise.reject(new EventsError('invalid-config', 'this view is read-only: it has no server to send operations to'))),
    fetchObject: options.fetchObject ?? (async () => Promise.reject(new EventsError('invalid-config', 'no REST API behind this view'))),
    reconnect() {
      options.onReconnect?.();
    },
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await options.onClose?.();
    },
    seed(lists) {
      const at = now();
      const diff = store.seed(lists, at);
      // The first seed is the start, not a resync: only later ones report what changed meanwhile.
      if (seeded) lastResync = { at, created: diff.created.length, updated: diff.updated.length, deleted: diff.deleted.length, diff };
      seeded = true;
      sync = { status: 'live' };
      if (!store.publish()) notify();
      return diff;
    },
    push(event) {
      if (closed) return false;
      const changed = store.apply(event, now());
      if (!changed) return false;
      eventsApplied++;
      // The publish is scheduled before the listeners hear of the event: an event log fed by them
      // arms its own timer after this one, so the tree publishes first and the log, which
      // publishes with the tree (EventLog.attach), goes out in the same turn: one frame, not two.
      schedule();
      for (const listener of [...eventListeners]) listener(event);
      return true;
    },
    setConnection(next) {
      connection = next;
      notify();
    },
    setSync(next) {
      sync = next;
      notify();
    },
    flush,
  };
}
