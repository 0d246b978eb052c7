import type { DockerCloudEvent, LiveTree } from '@events/core';
import { createStateTracker } from './event-format.js';

/** An event and the state its object was in before it. */
export interface LoggedEvent {
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
  push(event: DockerCloudEvent, previous?: string | null): void;
  subscribe(listener: () => void): () => void;
  getSnapshot(): EventLogSnapshot;
  /** Follows a LiveTree's events; returns the function that stops it. */
  attach(tree: Pick<LiveTree, 'onEvent' | 'getSnapshot'> & Partial<Pick<LiveTree, 'subscribe'>>): () => void;
  close(): void;
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

  /** Adds an event; it is published within `wait` ms at the latest. */
  function add(event: DockerCloudEvent, previous: string | null, wait: number): void {
    total++;
    const entry: LoggedEvent = { event, previous };
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

  const log: EventLog = {
    push(event, previous = null) {
      add(event, previous, interval);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    getSnapshot: () => snapshot,
    attach(tree) {
      // The published snapshot still holds the state from before this batch of events.
      const tracker = createStateTracker((uri) => tree.getSnapshot().tree.get(uri)?.state);
      // Publish together with the tree when it has a subscribe: one render for both, not two. A
      // tree may tell its listeners of an event before it arms its own publish timer (core's
      // live tree does), so a timer of ours armed with the same delay would fire first and make
      // a frame of its own: ours waits twice as long, for events the tree never publishes.
      const wait = tree.subscribe === undefined ? interval : interval * 2;
      const offEvent = tree.onEvent((event) => add(event, tracker.advance(event), wait));
      const offTree =
        tree.subscribe?.(() => {
          if (dirty) publish();
        }) ?? (() => {});
      return () => {
        offEvent();
        offTree();
      };
    },
    close() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      listeners.clear();
    },
  };
  return log;
}
