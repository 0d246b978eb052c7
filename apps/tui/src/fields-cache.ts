import { toEventsError } from '@events/core';

export type FetchedFields =
  | { readonly status: 'pending'; readonly at: number }
  | { readonly status: 'ok'; readonly at: number; readonly fields: Readonly<Record<string, unknown>> }
  | { readonly status: 'error'; readonly at: number; readonly message: string };

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
   * refetch a success; errors are retried after 30 s).
   */
  request(uri: string, maxAgeMs?: number): void;
  subscribe(listener: () => void): () => void;
  /** Grows with every answer. */
  getVersion(): number;
  /** A view that changes identity with every publish (useSyncExternalStore's snapshot). */
  getSnapshot(): FieldsView;
  close(): void;
}

export interface FieldsCacheOptions {
  readonly fetch: (uri: string) => Promise<Readonly<Record<string, unknown>>>;
  readonly now?: () => number;
  /** Default 4. */
  readonly concurrency?: number;
  /** Default 5,000 entries; the oldest go first. */
  readonly maxEntries?: number;
  /** Default 100 ms. */
  readonly publishIntervalMs?: number;
}

const ERROR_RETRY_MS = 30_000;

/**
 * @example
 * const cache = createFieldsCache({ fetch: (uri) => tree.fetchObject(uri) });
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
    getSnapshot: () => view,
    get: (uri) => entries.get(uri),
    fields(uri) {
      const entry = entries.get(uri);
      return entry?.status === 'ok' ? entry.fields : undefined;
    },
    request(uri, maxAgeMs) {
      if (closed) return;
      const entry = entries.get(uri);
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
