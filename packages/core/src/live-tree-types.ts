import type { DockerCloudEvent } from './event-schema.js';
import type { ObjectType } from './object-types.js';
import type { HierarchySnapshot, ReseedDiff } from './hierarchy-store.js';
import type { ConnectionSummary } from './reconnect-machine.js';

/** The operations the REST API runs on an object (protocol.md §7, issue "server"). */
export type ObjectOperation = 'start' | 'stop' | 'redeploy' | 'terminate' | 'scale';

/**
 * The operations Docker Cloud's REST API had for each type; node clusters, nodes and actions have
 * none (the server answers 405). Servers and UIs read this one table.
 */
export const OPERATIONS_OF_TYPE: Readonly<Record<ObjectType, readonly ObjectOperation[]>> = {
  stack: ['start', 'stop', 'redeploy', 'terminate'],
  service: ['start', 'stop', 'redeploy', 'terminate', 'scale'],
  container: ['start', 'stop', 'redeploy', 'terminate'],
  nodecluster: [],
  node: [],
  action: [],
};

/** How far the local copy is from the server's state. */
export type LiveTreeSync =
  // Reading the REST lists (first start or after "gone"). `failure`: the last attempt failed and
  // the listing waits to retry (absent until an attempt fails), so a UI can say why it waits.
  | { readonly status: 'listing'; readonly failure?: ListingFailure }
  | { readonly status: 'live' } // seeded and applying the stream
  | { readonly status: 'stale'; readonly since: number }; // disconnected: data "as of" `since`

/** Why the REST listing has not completed yet: its last failure and how many attempts failed. */
export interface ListingFailure {
  readonly message: string;
  readonly attempts: number;
}

/** What changed while the client was away, from the last re-list. */
export interface ResyncReport {
  readonly at: number;
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  readonly diff: ReseedDiff;
}

export interface LiveTreeSnapshot {
  readonly tree: HierarchySnapshot;
  /**
   * The stream's connection as a UI shows it (phase, retries, why it last closed). Only that, as
   * every LiveTree can give it: a tree over a stream has the client's own flags (closed, paused,
   * error, extended) on `tree.stream.getSnapshot()`.
   */
  readonly connection: ConnectionSummary;
  readonly sync: LiveTreeSync;
  readonly lastResync: ResyncReport | null;
  /** Events applied since start. */
  readonly eventsApplied: number;
}

/**
 * A live copy of an account: REST lists seed core's hierarchy store, then the stream keeps it
 * current, across reconnects (resume, or re-list and diff). Every UI reads it through
 * subscribe/getSnapshot (React: useSyncExternalStore).
 */
export interface LiveTree {
  subscribe(listener: () => void): () => void;
  getSnapshot(): LiveTreeSnapshot;
  /**
   * Every event the stream delivers, in order, once each (for an events pane, a recorder, a
   * log), including events a REST listing already reflected and the store therefore skips.
   */
  onEvent(listener: (event: DockerCloudEvent) => void): () => void;
  /** Runs an operation over REST; resolves with the action's URI from X-DockerCloud-Action-URI. */
  operate(resourceUri: string, operation: ObjectOperation, params?: { readonly targetNumContainers?: number }): Promise<{ readonly actionUri: string | null }>;
  /** GET of the object's resource URI (all REST fields). */
  fetchObject(resourceUri: string): Promise<Readonly<Record<string, unknown>>>;
  /**
   * The stream's reconnect(); a REST listing refused with 401 or 403, which does not retry on its
   * own, starts over too.
   */
  reconnect(): void;
  /**
   * Stops the stream and the timers for good. The snapshot then shows the stopped connection
   * (`phase: 'stopped'`, `stopReason: 'stop'`; `sync` no longer `live`), subscribers are told
   * once, and it never changes again. Its REST requests in flight are aborted (an operate() or
   * fetchObject() not yet answered rejects with `connection`), and one called later rejects alike,
   * sending nothing. Aborting the `signal` of its options, or closing the stream under it, closes
   * it as well.
   */
  close(): Promise<void>;
}
