import { toEventsError } from '@events/core';

/**
 * What the cache knows of an object's REST fields. `at` is on the cache's clock (`now`): when
 * the answer came, or for a looked-up answer the time its fields are of (a replay: when the
 * recording got them).
 */
export type FetchedFields =
  | { readonly status: 'pending'; readonly at: number }
  /** `listed`: from a REST list that held the object, not from a GET of it. */
  | { readonly status: 'ok'; readonly at: number; readonly fields: Readonly<Record<string, unknown>>; readonly listed?: boolean }
  | { readonly status: 'error'; readonly at: number; readonly message: string }
  /** Nothing can answer (a replay whose recording never saw the object): no request was made, and none is retried. */
  | { readonly status: 'unavailable'; readonly at: number; readonly reason: string };

/** An answer that needs no request (FieldsCacheOptions.lookup). */
export type StoredFields = Extract<FetchedFields, { readonly status: 'ok' | 'unavailable' }>;

/** What the cache holds at one publish: a new object each time, for React memos to depend on. */
export interface FieldsView {
  readonly version: number;
  get(uri: string): FetchedFields | undefined;
  /** The fields when fetched successfully. */
  fields(uri: string): Readonly<Record<string, unknown>> | undefined;
}

/**
 * REST objects fetched on demand (GET of the resource URI): the detail pane's fields, and the
 * names of objects the tree knows only from events (a container a scale just created). Bounded
 * concurrency, results kept, one publish per burst of answers.
 */
export interface FieldsCache {
  get(uri: string): FetchedFields | undefined;
  /** The fields when fetched successfully. */
  fields(uri: string): Readonly<Record<string, unknown>> | undefined;
  /**
   * Fetches `uri` unless it is pending, or was fetched less than `maxAgeMs` ago (default: never
   * refetch a success; errors are retried after 30 s). A URI the lookup answers is never
   * fetched: the lookup is asked again each time (it costs no request).
   */
  request(uri: string, maxAgeMs?: number): void;
  /** The clock of every `at` (FieldsCacheOptions.now): the view shows and compares those times on it. */
  readonly now: () => number;
  subscribe(listener: () => void): () => void;
  /** Grows with every answer. */
  getVersion(): number;
  /** A view that changes identity with every publish (useSyncExternalStore's snapshot). */
  getSnapshot(): FieldsView;
  close(): void;
}

export interface FieldsCacheOptions {
  /** The GET of a resource URI (LiveTree.fetchObject). */
  readonly fetch: (uri: string) => Promise<Readonly<Record<string, unknown>>>;
  /**
   * Answers without a request, asked before `fetch`; undefined: fetch it. A replay answers every
   * URI from its recording (createRecordedFields), so that it sends nothing that only a server
   * could answer.
   */
  readonly lookup?: (uri: string) => StoredFields | undefined;
  /** The clock of `at`, of the retry of errors and of `maxAgeMs`: the view's clock. Default Date.now. */
  readonly now?: () => number;
  /** Default 4. */
  readonly concurrency?: number;
  /** Default 5,000 entries; the oldest go first. */
  readonly maxEntries?: number;
  /** Default 100 ms. */
  readonly publishIntervalMs?: number;
}

const ERROR_RETRY_MS = 30_000;

/** Whether a looked-up answer is the one held already (then nothing is published). */
function sameAnswer(held: FetchedFields | undefined, next: StoredFields): boolean {
  if (held === undefined || held.status !== next.status || held.at !== next.at) return false;
  return held.status !== 'ok' || (next.status === 'ok' && held.fields === next.fields);
}

/**
 * @example
 * const cache = createFieldsCache({ fetch: (uri) => tree.fetchObject(uri), now: clock });
 * cache.request(uri);
 * cache.fields(uri)?.image_name;
 */
export function createFieldsCache(options: FieldsCacheOptions): FieldsCache {
  const now = options.now ?? Date.now;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const maxEntries = Math.max(1, options.maxEntries ?? 5_000);
  const interval = options.publishIntervalMs ?? 100;
  const entries = new Map<string, FetchedFields>();
  // Newest requests first: the rows on screen now matter more than those scrolled past.
  const queue: string[] = [];
  const listeners = new Set<() => void>();
  let running = 0;
  let version = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const makeView = (): FieldsView => ({
    version,
    get: (uri) => entries.get(uri),
    fields: (uri) => {
      const entry = entries.get(uri);
      return entry?.status === 'ok' ? entry.fields : undefined;
    },
  });
  let view: FieldsView;

  function publish(): void {
    timer = undefined;
    version++;
    view = makeView();
    for (const listener of [...listeners]) listener();
  }

  function changed(): void {
    if (closed) return;
    if (interval <= 0) publish();
    else timer ??= setTimeout(publish, interval);
  }

  function set(uri: string, value: FetchedFields): void {
    entries.delete(uri); // re-insert: Map order is then oldest-first for eviction
    entries.set(uri, value);
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
    }
  }

  function pump(): void {
    while (!closed && running < concurrency && queue.length > 0) {
      const uri = queue.shift() as string;
      running++;
      options.fetch(uri).then(
        (fields) => {
          set(uri, { status: 'ok', at: now(), fields });
        },
        (error: unknown) => {
          set(uri, { status: 'error', at: now(), message: toEventsError(error).message });
        },
      ).finally(() => {
        running--;
        changed();
        pump();
      });
    }
  }

  view = makeView();
  return {
    now,
    getSnapshot: () => view,
    get: (uri) => entries.get(uri),
    fields(uri) {
      const entry = entries.get(uri);
      return entry?.status === 'ok' ? entry.fields : undefined;
    },
    request(uri, maxAgeMs) {
      if (closed) return;
      const entry = entries.get(uri);
      const stored = options.lookup?.(uri);
      if (stored !== undefined) {
        if (!sameAnswer(entry, stored)) {
          set(uri, stored);
          changed();
        }
        return;
      }
      if (entry !== undefined) {
        if (entry.status === 'pending') return;
        const age = now() - entry.at;
        if (entry.status === 'error' && age < ERROR_RETRY_MS) return;
        if (entry.status === 'ok' && (maxAgeMs === undefined || age < maxAgeMs)) return;
      }
      set(uri, { status: 'pending', at: now() });
      queue.unshift(uri);
      // Requests scrolled far past are dropped (and forgotten, so that they can be asked again).
      while (queue.length > 64) entries.delete(queue.pop() as string);
      pump();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    getVersion: () => version,
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      listeners.clear();
    },
  };
}
