import { createAbortHandle } from './abort-signal.js';
import { computeBackoffDelay, parseRetryAfter, serverWaitMs } from './backoff.js';
import { describeValue } from './describe-value.js';
import { detailOfBody, restListUrl, restObjectUrl, restOperationUrl } from './endpoint.js';
import type { DockerCloudEvent, StreamPosition } from './event-schema.js';
import { EventsError, type EventsErrorCode, toEventsError } from './events-error.js';
import { parsePosition, POSITION_HEADER } from './extended-protocol.js';
import type { EventFilter } from './filter.js';
import { notFoundDetail } from './not-found-detail.js';
import { encodeQueryComponent } from './read-query.js';
import { createHierarchyStore, type HierarchyStoreOptions, type ReseedDiff, type SeedLists, type StoredObject } from './hierarchy-store.js';
import { type ListingFailure, type LiveTree, type LiveTreeSnapshot, type LiveTreeSync, type ObjectOperation, OPERATIONS_OF_TYPE, type ResyncReport } from './live-tree-types.js';
import { OBJECT_TYPES, type ObjectType } from './object-types.js';
import { type ConnectionSummary, createReconnectPolicy } from './reconnect-machine.js';
import { typeOfUri } from './resource-uri.js';
import { parseRestList, type RestObject } from './rest-schema.js';
import { type ConnectedInfo, createStreamClient, type EventStream, resolveAuth, type StreamClientOptions, type StreamFilterInput, type StreamSnapshot, toFilter } from './stream-client.js';
import { bodyTooLargeError, DEFAULT_MAX_REST_BODY_BYTES, type HttpResponse, type StreamPort } from './stream-port.js';
import { quoted } from './schema-messages.js';
import { checkTimerOption } from './timer-delay.js';

// The live tree: REST lists seed the hierarchy store, the stream keeps it current.
//
// When it (re-)lists, and why:
// - on an extended connection, at the first hello that says `fresh` (the store has nothing, or
//   the stream starts over at the head and what happened since our last event is unknown);
// - on the machine's resync effect (hello `gone`, or a 4410): the events in between are lost;
// - on every plain connection: Docker Cloud's stream has no positions, so only a re-list tells
//   what happened while the socket was down.
// - at the first connection after a filter change (setFilter on the tree or on tree.stream), even
//   one that resumes: the new filter's types and parents may name objects the tree never listed,
//   or whose changes the old filter kept from it. Types the new filter leaves out are dropped.
// A failed listing attempt retries after the backoff of the stream's `policy`, no sooner than a
// 429/503 answer's Retry-After; one refused (401, 403) waits for reconnect(). A newer listing (a
// reconnect, a filter change) starts at once, cutting our own backoff short, but never the
// server's wait (serverWaitMs of a 429/503 answer, as the stream's machine holds its reconnects):
// asking sooner would only be refused again.
// While a listing runs, stream events are buffered. Each list carries X-Events-Position, the
// stream position it already reflects; buffered events of that type at or before it are skipped
// and the rest are applied in order. A list read over several pages takes its first page's
// position (the oldest), so no event it may lack is skipped; re-applying an event a later page
// already reflects is harmless for a state store. A newer listing supersedes an older one, and
// its buffer starts empty: events older than a list must never be applied on top of it.
//
// Every REST request carries a signal (HttpRequest.signal) that the tree aborts when it no longer
// wants the answer: a newer listing superseded the one it lists for, another list of the same
// attempt failed (the attempt is over: left running, they would pile up with each retry), it went
// unanswered for restTimeoutMs (a listing counts that as a failed attempt), or the tree closed.
// The tree settles its own promise then, so that a caller's operate() or fetchObject() rejects at
// close even through a port that ignores the signal.
//
// The store is published through port timers, at most every publishIntervalMs (100 ms: ≤ 10 Hz),
// never per event.

export interface LiveTreeOptions extends Omit<StreamClientOptions, 'onEvent' | 'onState' | 'highWaterMark'> {
  /**
   * What the stream's onError hears, and each failed REST listing attempt too, though the tree
   * retries it by itself (`sync.failure` shows the last); `tree.stream.onError(fn)` hears the
   * stream's alone.
   */
  readonly onError?: (error: EventsError) => void;
  /** `http://` or `https://`, as DOCKERCLOUD_REST_HOST. */
  readonly restHost: string;
  /** Store options; dedupeWindow defaults to 0 here, as the stream already drops repeats. */
  readonly store?: HierarchyStoreOptions;
  /** Least time between two publishes of the store (100 ms; at most MAX_TIMER_MS). */
  readonly publishIntervalMs?: number;
  /** How often terminated objects past their retention are dropped (5 s; at most MAX_TIMER_MS). */
  readonly pruneIntervalMs?: number;
  /** Objects per REST page asked for (1,000; the server may serve fewer, and `next` is followed). */
  readonly pageSize?: number;
  /** Events buffered during a listing before it starts over with a fresh buffer (100,000). */
  readonly maxBufferedEvents?: number;
  /**
   * How long a REST request may go without its complete answer (status, headers and the whole
   * body) before it fails with `timeout` and is aborted (30 s; at most MAX_TIMER_MS). A timed-out
   * list is a failed listing attempt, retried with backoff.
   */
  readonly restTimeoutMs?: number;
  /**
   * The most bytes of a REST answer's body read (32 MiB, DEFAULT_MAX_REST_BODY_BYTES; a whole
   * number ≥ 1). The transport stops reading past it and the request fails with `protocol`: a list
   * that large is a failed listing attempt, retried with backoff. A hostile or broken server's
   * page of a million objects would otherwise take that much memory, and block the process while
   * it is parsed.
   */
  readonly maxRestBodyBytes?: number;
}

/** A LiveTree plus the stream under it (for its position, filters and errors). */
export interface LiveTreeHandle extends LiveTree {
  /** The stream under the tree; its setFilter is the tree's. */
  readonly stream: EventStream;
  /**
   * The stream's setFilter (it reconnects with the new filter, resuming), after which the tree
   * lists again at the next connection, even one that resumes: the objects of the types and
   * parents the new filter adds that exist already, and the changes the old filter kept from it.
   * The tree holds every object of the filter's types (REST lists whole types; `parent` and
   * `object` narrow only the events that keep them current), so the objects of types the new
   * filter leaves out are dropped. Throws `invalid-filter` as the stream's, keeping the old
   * filter; after close() it does nothing. `tree.stream.setFilter` is the same function.
   *
   * @example
   * tree.setFilter({ type: ['service', 'container'], parent: stack.resource_uri });
   */
  setFilter(filter: StreamFilterInput): void;
}

const DEFAULT_PUBLISH_INTERVAL_MS = 100;
const DEFAULT_PRUNE_INTERVAL_MS = 5_000;
const DEFAULT_PAGE_SIZE = 1_000;
const DEFAULT_MAX_BUFFERED = 100_000;
/** fetch has no timeout of its own worth the name (Node's: 300 s); a REST host that never answers would hold a listing for good. */
const DEFAULT_REST_TIMEOUT_MS = 30_000;
/** A paging loop that never ends (a server whose `next` goes in circles) stops here. */
const MAX_PAGES = 10_000;
const ACTION_URI_HEADER = 'x-dockercloud-action-uri';

interface Listing {
  readonly id: number;
  /** The connection whose hello or open started it. */
  readonly generation: number;
  buffer: DockerCloudEvent[];
  attempt: number;
  /**
   * The last attempt's error, shown in the snapshot while the listing waits to retry; for a
   * listing that waits out the server's wait before its first attempt, the one it replaced.
   */
  failure: ListingFailure | null;
  /** The longest `Retry-After` of the current attempt's 429/503 answers, in ms: the retry waits at least that. */
  retryAfterMs: number | undefined;
  retryTimer: unknown;
  /** Refused (auth, forbidden): no retry on its own; reconnect() starts it over. */
  halted: boolean;
  /** The types it lists: the filter's when it started. */
  readonly types: readonly ObjectType[];
  readonly waiters: (() => void)[];
}

/** A REST request not answered yet. */
interface InFlight {
  /** The listing it lists for; null for a caller's operate() or fetchObject(). */
  readonly listing: Listing | null;
  /** Rejects it now with an EventsError of `code` saying "{method} {url} failed: {reason}", and aborts it at the port. */
  readonly cancel: (code: EventsErrorCode, reason: string) => void;
}

interface ListResult {
  readonly objects: readonly RestObject[];
  /** The oldest position among its pages; null when the server sent none (a plain Docker Cloud). */
  readonly position: StreamPosition | null;
}

/**
 * Creates a live copy of an account and starts it: the stream connects at once, the lists are
 * read as soon as the stream says where it starts.
 *
 * @example
 * const tree = createLiveTree({ streamHost: 'ws://127.0.0.1:8080/', restHost: 'http://127.0.0.1:8080/', credentials }, port);
 * tree.subscribe(() => render(tree.getSnapshot()));
 * await tree.operate(service.resource_uri, 'scale', { targetNumContainers: 3 });
 */
export function createLiveTree(options: LiveTreeOptions, port: StreamPort): LiveTreeHandle {
  checkTimerOption('publishIntervalMs', options.publishIntervalMs, { min: 0, exclusiveMin: true });
  checkTimerOption('pruneIntervalMs', options.pruneIntervalMs, { min: 0, exclusiveMin: true });
  checkTimerOption('restTimeoutMs', options.restTimeoutMs, { min: 0, exclusiveMin: true });
  const publishIntervalMs = options.publishIntervalMs ?? DEFAULT_PUBLISH_INTERVAL_MS;
  const pruneIntervalMs = options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS;
  const restTimeoutMs = options.restTimeoutMs ?? DEFAULT_REST_TIMEOUT_MS;
  // A URL's `limit`: a fraction there would fail every listing, retried for good.
  const pageSize = positive('pageSize', options.pageSize ?? DEFAULT_PAGE_SIZE, { integer: true });
  const maxBuffered = positive('maxBufferedEvents', options.maxBufferedEvents ?? DEFAULT_MAX_BUFFERED);
  const maxRestBodyBytes = options.maxRestBodyBytes ?? DEFAULT_MAX_REST_BODY_BYTES;
  if (!(Number.isSafeInteger(maxRestBodyBytes) && maxRestBodyBytes >= 1)) {
    throw new EventsError(
      'invalid-config',
      `maxRestBodyBytes must be a whole number ≥ 1 (the most bytes of a REST answer's body read; default ${DEFAULT_MAX_REST_BODY_BYTES}, 32 MiB), got ${describeValue(maxRestBodyBytes)}`,
    );
  }
  /** The types the filter names (every type without `type`): what a listing lists. */
  let types = typesOf(toFilter(options.filter));
  const auth = resolveAuth(options, port.canSetHeaders);
  const restRoot = restRootOf(options.restHost); // validates the host now
  if (options.store !== undefined && !(typeof options.store === 'object' && options.store !== null && !Array.isArray(options.store))) {
    throw new EventsError('invalid-config', `store must be an object of hierarchy store options, such as { recentEventsPerObject: 0 }, got ${describeValue(options.store)}`);
  }
  // The stream already delivers each event once (exactly, by position, on extended servers): the
  // store's own uuid window would only repeat that work on every event.
  const store = createHierarchyStore({ dedupeWindow: 0, ...options.store });
  const client = createStreamClient(options, port);
  // The stream's policy, which also spaces the listing's retries (the client has validated it).
  const policy = createReconnectPolicy(options.policy ?? {});
  // tree.stream.setFilter must list the new filter's objects as tree.setFilter does.
  const stream: EventStream = { ...client, setFilter: (filter) => tree.setFilter(filter) };

  let closed = false;
  let seeded = false;
  /** The types the store holds: the last completed listing's. */
  let seededTypes: readonly ObjectType[] = [];
  /** The filter changed since the last connection met the stream: its first connection lists. */
  let filterChanged = false;
  let listing: Listing | null = null;
  let listingIds = 0;
  /** When the wait the REST server asked for (429/503, serverWaitMs) ends, on port.now(): no list is asked for before. */
  let restWaitEnd = Number.NEGATIVE_INFINITY;
  const inFlight = new Set<InFlight>();
  let eventsApplied = 0;
  let lastResync: ResyncReport | null = null;
  let connection: ConnectionSummary = summaryOf(stream.getSnapshot());
  let staleSince: number | null = null;
  let publishTimer: unknown = null;
  /** Events or prunes since the last publish. */
  let dirty = false;
  const treeListeners = new Set<() => void>();
  const eventListeners = new Set<(event: DockerCloudEvent) => void>();
  let snapshot = makeSnapshot();

  function makeSnapshot(): LiveTreeSnapshot {
    return Object.freeze({ tree: store.getSnapshot(), connection, sync: syncOf(), lastResync, eventsApplied });
  }

  function syncOf(): LiveTreeSync {
    if (!seeded || listing !== null) {
      return listing?.failure != null ? { status: 'listing', failure: listing.failure } : { status: 'listing' };
    }
    if (connection.phase !== 'live') return { status: 'stale', since: staleSince ?? port.wallClock() };
    return { status: 'live' };
  }

  /** Rebuilds the snapshot now and tells the subscribers. */
  function publishNow(): void {
    if (publishTimer !== null) {
      port.clearTimer(publishTimer);
      publishTimer = null;
    }
    dirty = false;
    store.publish();
    snapshot = makeSnapshot();
    for (const listener of [...treeListeners]) {
      try {
        listener();
      } catch (error) {
        void Promise.reject(error);
      }
    }
  }

  function schedulePublish(): void {
    dirty = true;
    if (publishTimer !== null || closed) return;
    publishTimer = port.setTimer(() => {
      publishTimer = null;
      if (dirty && !closed) publishNow();
    }, publishIntervalMs);
  }

  let pruneTimer: unknown = null;
  function schedulePrune(): void {
    pruneTimer = port.setTimer(() => {
      pruneTimer = null;
      if (closed) return;
      if (store.prune(port.wallClock()).length > 0) schedulePublish();
      schedulePrune();
    }, pruneIntervalMs);
  }

  // --- the stream ---------------------------------------------------------------------------------

  stream.onEvent((event) => {
    if (closed) return;
    // Listeners see every event the stream delivers, in order, even one a REST listing makes
    // redundant for the store: a line-mode client must print what `docker-cloud event` printed.
    for (const listener of eventListeners) {
      try {
        listener(event);
      } catch (error) {
        void Promise.reject(error); // a broken listener must not stop the tree; let it surface
      }
    }
    if (listing === null) {
      apply(event);
      schedulePublish();
      return;
    }
    listing.buffer.push(event);
    // A listing that cannot keep up must not hold unbounded memory: start it over, which is
    // correct because the new lists will reflect every event received so far.
    if (listing.buffer.length > maxBuffered) startListing(listing.generation);
  });

  stream.onConnected((info: ConnectedInfo) => {
    if (closed) return;
    const relist = filterChanged;
    filterChanged = false;
    // A resync effect of the same connection may have started one already (it runs first), with
    // the types of the filter as it is now.
    if (listing?.generation === info.generation) return;
    if (relist || !info.extended || info.resume === 'fresh') startListing(info.generation);
  });

  stream.onResync(({ generation }) => {
    if (closed) return;
    if (listing?.generation !== generation) startListing(generation);
    const current = listing as Listing | null;
    return current === null ? undefined : new Promise<void>((resolve) => current.waiters.push(resolve));
  });

  stream.subscribe(() => {
    const next = stream.getSnapshot();
    if (next.phase !== 'live' && connection.phase === 'live') staleSince = port.wallClock();
    connection = summaryOf(next);
    // The stream closed on its own (the signal of our options aborted, tree.stream.close(), a
    // `for await` over tree.stream left early): the tree is closed with it, or its timers run forever.
    if (next.closed && !closed) shutDown();
    // After close(), only the stream's own last word (its closed, stopped snapshot) is published:
    // a UI must not go on showing `live` for a closed tree.
    if (!closed || next.closed) publishNow();
  });

  function apply(event: DockerCloudEvent): void {
    store.apply(event, port.wallClock());
    eventsApplied++;
  }

  // --- listing ------------------------------------------------------------------------------------

  function startListing(generation: number): void {
    const previous = listing;
    if (previous !== null) {
      if (previous.retryTimer !== null) port.clearTimer(previous.retryTimer);
      cancelRequests(previous, 'aborted', 'a newer listing superseded it');
    }
    const next: Listing = { id: ++listingIds, generation, buffer: [], attempt: 0, failure: null, retryAfterMs: undefined, retryTimer: null, halted: false, types, waiters: previous?.waiters ?? [] };
    listing = next;
    if (previous === null) publishNow(); // sync: listing
    const wait = restWaitEnd - port.now();
    if (wait <= 0) {
      void runListing(next);
      return;
    }
    // Why it waits, so that a UI need not show "listing…" with no reason.
    next.failure = previous?.failure ?? null;
    // The server's wait, to its end exactly: no jitter on top, as for the stream (the user acted).
    next.retryTimer = port.setTimer(() => {
      next.retryTimer = null;
      if (!closed && listing === next) void runListing(next);
    }, wait);
  }

  async function runListing(current: Listing): Promise<void> {
    let lists: Map<ObjectType, ListResult>;
    let diff: ReseedDiff;
    let now: number;
    current.retryAfterMs = undefined;
    try {
      const results = await Promise.all(current.types.map(async (type) => [type, await listType(type, current)] as const));
      if (closed || listing !== current) return;
      lists = new Map(results);
      const seed: Record<string, readonly RestObject[]> = {};
      for (const [type, list] of lists) seed[type] = list.objects;
      now = port.wallClock();
      // In the try: lists the store refuses (it checks them all before it changes anything) fail
      // the attempt as an invalid answer does. Thrown from here, the error would reject no one's
      // promise (an unhandled rejection, which ends a Node process), and the listing would never end.
      diff = reportable(store.seed(seed as SeedLists, now), seededTypes);
    } catch (error) {
      if (closed || listing !== current) return;
      const failure = toEventsError(error, 'http');
      current.attempt++; // before the lists still running see it: they stop (listType)
      cancelRequests(current, 'aborted', 'another list of the attempt failed');
      report(failure);
      current.failure = Object.freeze({ message: failure.message, attempts: current.attempt });
      publishNow();
      if (failure.code === 'auth' || failure.code === 'forbidden') {
        current.halted = true; // retrying cannot cure it; reconnect() starts over
        return;
      }
      const kind = failure.code === 'throttled' ? 'throttled' : 'transient';
      // Another list of the attempt may have been throttled for longer than the failure reported.
      const delay = Math.max(computeBackoffDelay({ failures: current.attempt, kind, hintMs: current.retryAfterMs }, policy, port.random()), restWaitEnd - port.now());
      current.retryTimer = port.setTimer(() => {
        current.retryTimer = null;
        if (!closed && listing === current) void runListing(current);
      }, delay);
      return;
    }
    // A type the filter no longer names gets no events: its objects go rather than freeze. After
    // the lists, so that a container still finds its stack through the service it held.
    const dropped = seededTypes.filter((type) => !lists.has(type));
    if (dropped.length > 0) store.seed(Object.fromEntries(dropped.map((type) => [type, []])) as SeedLists, now);
    for (const event of current.buffer) {
      const reflected = lists.get(event.type)?.position ?? null;
      const position = event.position;
      if (reflected !== null && position !== undefined && position.epoch === reflected.epoch && position.seq <= reflected.seq) continue;
      apply(event);
    }
    if (seeded) {
      lastResync = Object.freeze({ at: now, created: diff.created.length, updated: diff.updated.length, deleted: diff.deleted.length, diff });
    }
    seeded = true;
    seededTypes = current.types;
    listing = null;
    publishNow();
    for (const resolve of current.waiters.splice(0)) resolve();
  }

  async function listType(type: ObjectType, current: Listing): Promise<ListResult> {
    // By resource URI, the later copy winning as in the store's seed: objects that offset paging
    // shows twice (one created in between sorted ahead of them, moving them to the next page), or
    // a server repeats on every page, are held once.
    const objects = new Map<string, RestObject>();
    /** The addresses of the pages read: a `next` back to one of them would loop until MAX_PAGES. */
    const read = new Set<string>();
    let position: StreamPosition | null | undefined;
    const namespace = options.namespace;
    // Docker Cloud never namespaced actions: its un-namespaced list is the user's own namespace.
    // Our server also serves /api/audit/v1/{ns}/action/, the only way to list the actions of the
    // namespace the stream follows; a server that does not know that path answers 404.
    const namespacedActions = type === 'action' && namespace !== undefined && namespace !== '';
    const first = (namespaced: boolean) =>
      withQueryAuth(
        namespaced
          ? `${restRoot}/api/audit/v1/${encodeQueryComponent(namespace as string)}/action/?limit=${pageSize}`
          : restListUrl(options.restHost, type, { ...(namespace !== undefined && { namespace }), limit: pageSize }),
      );
    const attempt = current.attempt;
    // Once the attempt is over (superseded, failed elsewhere, closed), no further page is asked for.
    const get = async (url: string) => {
      const response = await request('GET', url, undefined, current);
      if (closed || listing !== current || current.attempt !== attempt) throw new EventsError('aborted', 'listing attempt over');
      return response;
    };
    let url = first(namespacedActions);
    for (let page = 0; ; page++) {
      if (page >= MAX_PAGES) throw new EventsError('protocol', `${type} list: more than ${MAX_PAGES} pages; the server's "next" links do not end`);
      let response = await get(url);
      if (page === 0 && namespacedActions && response.status === 404) {
        url = first(false);
        response = await get(url);
      }
      read.add(url);
      if (response.status !== 200) {
        const hint = retryAfterOf(response);
        if (hint !== undefined) current.retryAfterMs = Math.max(hint, current.retryAfterMs ?? 0);
        if (response.status === 429 || response.status === 503) {
          restWaitEnd = Math.max(restWaitEnd, port.now() + serverWaitMs({ kind: 'throttled', hintMs: hint }, policy));
        }
        throw httpError(response, `GET ${type} list`, url);
      }
      const parsed = parseRestList(type, parseJson(response, `${type} list`));
      if (!parsed.ok) throw parsed.error;
      // One by one: a spread of a page of 200,000 objects (a server that ignores `limit`) overflows the stack.
      const pageObjects = parsed.value.objects as readonly RestObject[];
      for (let i = 0; i < pageObjects.length; i++) {
        const object = pageObjects[i] as RestObject;
        // Checked here, where the page and index can be named: the store would refuse the whole seed.
        if (typeOfUri(object.resource_uri) !== type) {
          throw new EventsError('protocol', `invalid ${type} list: objects.${i}.resource_uri: ${quoted(object.resource_uri)} is not a ${type} URI${page > 0 ? ` (page ${page + 1})` : ''}`);
        }
        objects.set(object.resource_uri, object);
      }
      // The first page's position: the oldest this list may be. No header (Docker Cloud): null.
      if (position === undefined) position = positionOf(response);
      const next = parsed.value.meta.next;
      if (next === null) break;
      if (!next.startsWith('/api/')) throw new EventsError('protocol', `${type} list: "next" ${JSON.stringify(next.slice(0, 80))} is not a path starting with /api/`);
      url = withQueryAuth(`${restRoot}${next}`);
      if (read.has(url)) {
        throw new EventsError('protocol', `${type} list: "next" of page ${page + 1}, ${JSON.stringify(next.slice(0, 80))}, is a page already read; the server's "next" links go in circles`);
      }
    }
    return { objects: [...objects.values()], position: position ?? null };
  }

  // --- REST ---------------------------------------------------------------------------------------

  function withQueryAuth(url: string): string {
    const query = auth.query;
    if (query === undefined || /[?&](auth|user)=/.test(url)) return url;
    const param =
      query.mode === 'query-token'
        ? `user=${encodeQueryComponent(query.credentials.username)}&token=${encodeQueryComponent(query.credentials.apikey)}`
        : `auth=${encodeQueryComponent('authorization' in query ? query.authorization : '')}`;
    return `${url}${url.includes('?') ? '&' : '?'}${param}`;
  }

  /**
   * A REST request through the port, which cancelRequests() (close, a superseded or failed
   * listing) ends, and which fails with `timeout` after restTimeoutMs.
   */
  function request(method: 'GET' | 'POST' | 'DELETE', url: string, body?: string, owner: Listing | null = null): Promise<HttpResponse> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (auth.header !== undefined) headers.Authorization = auth.header;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const what = `${method} ${stripQuery(url)}`;
    // As a request in flight at close(): a closed tree sends nothing more (nor arms its timer).
    if (closed) return Promise.reject(new EventsError('connection', `${what} failed: the live tree was closed`));
    const { signal, abort } = createAbortHandle();
    return new Promise<HttpResponse>((resolve, reject) => {
      // In the set while unanswered: whichever settles it first (answer, failure, cancel, timeout) takes it out.
      const settle = () => {
        if (!inFlight.delete(entry)) return false;
        port.clearTimer(timer);
        return true;
      };
      const entry: InFlight = {
        listing: owner,
        cancel(code, reason) {
          if (!settle()) return;
          abort();
          reject(new EventsError(code, `${what} failed: ${reason}`));
        },
      };
      inFlight.add(entry);
      const timer = port.setTimer(() => entry.cancel('timeout', `no complete answer in ${restTimeoutMs} ms (restTimeoutMs)`), restTimeoutMs);
      const answered = (response: HttpResponse) => {
        if (!settle()) return;
        // A port that ignored maxBodyBytes read it all, but it goes no further. `length` counts
        // UTF-16 units, never more than the UTF-8 bytes: a body over the cap by it is over in bytes.
        if (response.body.length > maxRestBodyBytes) reject(bodyTooLargeError(httpRequest));
        else resolve(response);
      };
      const failed = (error: unknown) => {
        if (!settle()) return;
        // The port's bodyTooLargeError names the request and the cap already: as it is.
        if (error instanceof EventsError && error.code === 'protocol' && error.message.startsWith(`${what} failed: `)) return reject(error);
        // fetch says only "fetch failed"; why (ECONNREFUSED, ENOTFOUND, …) is in its cause.
        const reason = toEventsError(error).message;
        const cause = error instanceof Error && error.cause instanceof Error && error.cause.message !== reason ? ` (${error.cause.message})` : '';
        reject(new EventsError('connection', `${what} failed: ${reason}${cause}`, { cause: error }));
      };
      const httpRequest = { method, url, headers, ...(body !== undefined && { body }), signal, maxBodyBytes: maxRestBodyBytes };
      try {
        port.request(httpRequest).then(answered, failed);
      } catch (error) {
        failed(error); // a port that throws instead of rejecting
      }
    });
  }

  /** Ends the requests in flight of `owner` (undefined: every one), as InFlight.cancel. */
  function cancelRequests(owner: Listing | undefined, code: EventsErrorCode, reason: string): void {
    for (const entry of [...inFlight]) if (owner === undefined || entry.listing === owner) entry.cancel(code, reason);
  }

  /** A 429 or 503 answer's `Retry-After`, in ms (RFC 9110 gives it no meaning on the other failures we see). */
  function retryAfterOf(response: HttpResponse): number | undefined {
    const header = response.headers['retry-after'];
    if (header === undefined || (response.status !== 429 && response.status !== 503)) return undefined;
    return parseRetryAfter(header, port.wallClock());
  }

  function report(error: EventsError): void {
    try {
      options.onError?.(error);
    } catch (thrown) {
      // As the stream's callbacks: a broken listener must not stop the tree (here, the listing's
      // retry, armed after the report), nor vanish: let it surface outside.
      void Promise.reject(thrown);
    }
  }

  // --- the LiveTree -------------------------------------------------------------------------------

  const tree: LiveTreeHandle = {
    stream,
    subscribe(listener) {
      treeListeners.add(listener);
      return () => {
        treeListeners.delete(listener);
      };
    },
    getSnapshot: () => snapshot,
    onEvent(listener) {
      eventListeners.add(listener);
      return () => {
        eventListeners.delete(listener);
      };
    },
    async operate(resourceUri, operation, params) {
      checkOperation(resourceUri, operation);
      const response = await runOperation(resourceUri, operation, params?.targetNumContainers);
      return { actionUri: response.headers[ACTION_URI_HEADER] ?? null };
    },
    async fetchObject(resourceUri) {
      const response = await request('GET', withQueryAuth(restObjectUrl(options.restHost, resourceUri)));
      if (response.status !== 200) throw httpError(response, `GET ${resourceUri}`);
      const value = parseJson(response, resourceUri);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EventsError('protocol', `GET ${resourceUri}: the answer is not a JSON object`);
      return value as Readonly<Record<string, unknown>>;
    },
    setFilter(filter) {
      // Checked as the stream checks it, so that a refused filter changes nothing here either.
      const next = typesOf(toFilter(filter));
      if (closed) {
        client.setFilter(filter); // a no-op after close(), which still throws for an invalid filter
        return;
      }
      const before = { types, filterChanged };
      // Before the stream's setFilter: a transport may report the new connection from inside it.
      types = next;
      filterChanged = true;
      try {
        client.setFilter(filter);
      } catch (error) {
        ({ types, filterChanged } = before);
        throw error;
      }
    },
    reconnect() {
      if (closed) return;
      // A refused listing waits for the user: the stream may well resume (no new listing then).
      if (listing?.halted === true) startListing(listing.generation);
      stream.reconnect();
    },
    async close() {
      if (closed) return stream.close();
      shutDown();
      await stream.close();
    },
  };

  /** Stops the tree's own timers and listing for good (close(), or its stream closed). */
  function shutDown(): void {
    closed = true;
    // As a connection lost: a caller's pending operate() or fetchObject() rejects with `connection`.
    cancelRequests(undefined, 'connection', 'the live tree was closed');
    for (const timer of [publishTimer, pruneTimer, listing?.retryTimer ?? null]) if (timer !== null) port.clearTimer(timer);
    publishTimer = null;
    pruneTimer = null;
    listing = null;
  }

  async function runOperation(resourceUri: string, operation: ObjectOperation, target: number | undefined): Promise<HttpResponse> {
    let response: HttpResponse;
    switch (operation) {
      case 'terminate':
        response = await request('DELETE', withQueryAuth(restObjectUrl(options.restHost, resourceUri)));
        break;
      case 'scale':
        if (target !== undefined && !(Number.isSafeInteger(target) && target >= 0)) {
          throw new EventsError('invalid-config', `targetNumContainers must be a non-negative integer, got ${describeValue(target)}`);
        }
        // Without a target, Docker Cloud's scale/ scales to the service's current target.
        response = await request(
          'POST',
          withQueryAuth(restOperationUrl(options.restHost, resourceUri, 'scale')),
          target === undefined ? undefined : JSON.stringify({ target_num_containers: target }),
        );
        break;
      case 'start':
      case 'stop':
      case 'redeploy':
        response = await request('POST', withQueryAuth(restOperationUrl(options.restHost, resourceUri, operation)));
        break;
      default:
        throw new EventsError('invalid-config', `unknown operation ${JSON.stringify(operation)}`);
    }
    if (response.status < 200 || response.status >= 300) throw httpError(response, `${operation} ${resourceUri}`);
    return response;
  }

  // A signal aborted before we were created closed the stream before we subscribed.
  if (stream.getSnapshot().closed) shutDown();
  else schedulePrune();
  // A port may report the upgrade (and a plain server's stream starts there) from inside
  // openSocket, so before onConnected above was listening: that first connection lists as any.
  // A stream that stopped in there (refused) shows it in the snapshot already; its error reached
  // options.onError, and reaches a later tree.stream.onError.
  if (!closed && connection.phase === 'live' && listing === null) startListing(connection.generation);
  return tree;
}

/**
 * The stream's snapshot without the client's own flags (extended, paused, closed, error): the
 * ConnectionSummary that LiveTreeSnapshot promises, and the most a tree without a stream (the
 * TUI's in-process and replayed trees) can give. The flags are on tree.stream.getSnapshot().
 */
function summaryOf(s: StreamSnapshot): ConnectionSummary {
  const { phase, status, attempt, retryAt, lastClose, outcome, resyncPending, generation, stopReason } = s;
  return Object.freeze({ phase, status, attempt, retryAt, lastClose, outcome, resyncPending, generation, stopReason });
}

function typesOf(filter: EventFilter): readonly ObjectType[] {
  return filter.types === null ? OBJECT_TYPES : OBJECT_TYPES.filter((type) => filter.types?.has(type));
}

/**
 * A re-list's diff as the resync report tells it: only the types the tree held before. The
 * objects of a type a filter change added are new to the tree, not news from the server.
 */
function reportable(diff: ReseedDiff, held: readonly ObjectType[]): ReseedDiff {
  const kept = (object: StoredObject) => held.includes(object.type);
  if (diff.created.every(kept) && diff.deleted.every(kept) && diff.updated.every((u) => kept(u.after))) return diff;
  return { created: diff.created.filter(kept), updated: diff.updated.filter((u) => kept(u.after)), deleted: diff.deleted.filter(kept) };
}

/** `scheme://host[:port][/prefix]`: what a `next` path (starting with /api/) is appended to. */
function restRootOf(restHost: string): string {
  const url = restListUrl(restHost, 'action');
  return url.slice(0, url.length - '/api/audit/v1/action/'.length);
}

function positionOf(response: HttpResponse): StreamPosition | null {
  const header = response.headers[POSITION_HEADER.toLowerCase()];
  if (header === undefined) return null;
  const parsed = parsePosition(header);
  return parsed.ok ? parsed.value : null;
}

/**
 * A REST answer's JSON. One that is not says what came instead: a proxy's or a web UI's HTML page
 * (a REST host that names the wrong port or path), or nothing at all.
 */
function parseJson(response: HttpResponse, what: string): unknown {
  try {
    return JSON.parse(response.body);
  } catch (cause) {
    const contentType = response.headers['content-type']?.split(';')[0]?.trim();
    const start = response.body.trimStart();
    const came = `${contentType ? `${quoted(contentType)}, ` : ''}${start === '' ? 'an empty body' : `starting ${quoted(start)}`}`;
    throw new EventsError('protocol', `${what}: the answer is not JSON (${came})`, { cause });
  }
}

/**
 * A REST answer with an unexpected status, as an EventsError carrying the server's `detail`. With
 * `listUrl` (a list, where a 404 means no API at that path, not a missing object), a 404 the
 * server did not explain names that URL and what to check.
 */
export function httpError(response: HttpResponse, what: string, listUrl?: string): EventsError {
  const given = detailOfBody(response.body);
  const detail = (response.status === 404 && listUrl !== undefined ? notFoundDetail('rest', listUrl, given) : null) ?? given;
  const code: EventsErrorCode =
    response.status === 401 ? 'auth' : response.status === 403 ? 'forbidden' : response.status === 429 || response.status === 503 ? 'throttled' : 'http';
  return new EventsError(code, `${what}: HTTP ${response.status}${detail === null ? '' : `: ${detail}`}`);
}

function stripQuery(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? url : url.slice(0, at);
}

function positive(name: string, value: number, { integer = false } = {}): number {
  if (integer ? !(Number.isSafeInteger(value) && value > 0) : !(Number.isFinite(value) && value > 0)) {
    throw new EventsError('invalid-config', `${name} must be a positive ${integer ? 'whole number' : 'number'}, got ${describeValue(value)}`);
  }
  return value;
}

const ALL_OPERATIONS: readonly ObjectOperation[] = ['start', 'stop', 'redeploy', 'terminate', 'scale'];

/** Refuses, before any request, an operation that no server runs on this object (it would answer 405). */
function checkOperation(resourceUri: unknown, operation: unknown): asserts operation is ObjectOperation {
  if (!ALL_OPERATIONS.includes(operation as ObjectOperation)) {
    throw new EventsError('invalid-config', `unknown operation ${typeof operation === 'string' ? JSON.stringify(operation) : describeValue(operation)}; expected one of ${ALL_OPERATIONS.join(', ')}`);
  }
  // Not a string: restObjectUrl refuses it next, as invalid-uri.
  const type = typeof resourceUri === 'string' ? typeOfUri(resourceUri) : undefined;
  if (type === undefined || OPERATIONS_OF_TYPE[type].includes(operation as ObjectOperation)) return;
  const allowed = OPERATIONS_OF_TYPE[type];
  throw new EventsError(
    'invalid-config',
    allowed.length === 0
      ? `${operation as string} ${resourceUri}: a ${type} has no operations`
      : `${operation as string} ${resourceUri}: a ${type} has no ${operation as string} operation; its operations are ${allowed.join(', ')}`,
  );
}
