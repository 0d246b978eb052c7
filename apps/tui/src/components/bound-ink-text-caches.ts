import { importInkInternal } from './import-ink-internal.js';

/** Ink's two text caches, found (see findInkTextCaches). */
export interface InkTextCaches {
  /** Texts the two caches hold. */
  readonly size: number;
  /** Empties each cache holding more than `limit` texts; returns how many texts were dropped. */
  trim(limit: number): number;
}

type MeasureText = (text: string) => unknown;
type WrapText = (text: string, maxWidth: number, wrapType: string) => string;

let probes = 0;

/**
 * Ink 6.8 remembers the size of every text it ever laid out (`measure-text.js`, a Map) and every
 * text it ever wrapped or truncated (`wrap-text.js`, a plain object), in module-level caches that
 * are never emptied (vadimdemedes/ink#986; bounded in Ink 7, which needs Node 22). A live view
 * lays out new texts all the time (event lines, ages that tick every second), so both grow for as
 * long as it runs. Neither is exported: each is found by running its function once on a probe
 * text while the one operation it does on a new key is watched (Map.prototype.set; a setter on
 * Object.prototype for the probe's key), then put back. Null when Ink is not the version this
 * was written for, or the probe did not reach a cache.
 */
export async function findInkTextCaches(): Promise<InkTextCaches | null> {
  const [measureModule, wrapModule] = await Promise.all([
    importInkInternal<{ default?: unknown }>('measure-text.js'),
    importInkInternal<{ default?: unknown }>('wrap-text.js'),
  ]);
  const measureText = measureModule?.default;
  const wrapText = wrapModule?.default;
  if (typeof measureText !== 'function' || typeof wrapText !== 'function') return null;
  const probe = `\u0000@events/tui probe ${probes++}`;

  let measured: Map<unknown, unknown> | null = null;
  const set = Map.prototype.set;
  Map.prototype.set = function (this: Map<unknown, unknown>, key: unknown, value: unknown) {
    if (key === probe) measured = this;
    return set.call(this, key, value);
  };
  try {
    (measureText as MeasureText)(probe);
  } finally {
    Map.prototype.set = set;
  }

  let wrapped: Record<string, unknown> | null = null;
  const wrapKey = `${probe}1000wrap`; // wrap-text.js keys by text + maxWidth + wrapType
  Object.defineProperty(Object.prototype, wrapKey, {
    configurable: true,
    set(this: Record<string, unknown>) {
      wrapped = this; // and nothing stored: the probe leaves no entry behind
    },
  });
  try {
    (wrapText as WrapText)(probe, 1000, 'wrap');
  } finally {
    delete (Object.prototype as Record<string, unknown>)[wrapKey];
  }

  const measure = measured as Map<unknown, unknown> | null;
  const wrap = wrapped as Record<string, unknown> | null;
  if (measure === null || wrap === null) return null;
  measure.delete(probe);
  return {
    get size() {
      return measure.size + countKeys(wrap, Number.POSITIVE_INFINITY);
    },
    trim(limit) {
      let dropped = 0;
      if (measure.size > limit) {
        dropped += measure.size;
        measure.clear();
      }
      const keys = countKeys(wrap, limit + 1);
      if (keys > limit) {
        for (const key in wrap) {
          delete wrap[key];
          dropped++;
        }
      }
      return dropped;
    },
  };
}

/** Own enumerable keys of `object`, counted up to `stop`. */
function countKeys(object: object, stop: number): number {
  let count = 0;
  for (const _ in object) if (++count >= stop) break;
  return count;
}

/**
 * Keeps Ink's text caches (see findInkTextCaches) under `limit` texts each, checking every
 * `everyMs`: a cache over the limit is emptied, which costs the next frame one measure of each
 * text on screen. Returns a function that stops it; the timer does not keep the process alive.
 * Resolves to null (and does nothing) when the caches could not be found.
 *
 * @example
 * const stop = await boundInkTextCaches();
 * // …
 * stop?.();
 */
export async function boundInkTextCaches(options: { limit?: number; everyMs?: number } = {}): Promise<(() => void) | null> {
  const caches = await findInkTextCaches();
  if (caches === null) return null;
  const limit = options.limit ?? 20_000;
  const timer = setInterval(() => caches.trim(limit), options.everyMs ?? 5_000);
  timer.unref();
  return () => clearInterval(timer);
}
