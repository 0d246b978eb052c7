import type { AbortSignalLike } from './stream-client-types.js';

/** A signal and the function that aborts it: what core hands a port with each REST request. */
export interface AbortHandle {
  readonly signal: AbortSignalLike;
  /** Aborts the signal and calls its listeners, once; later calls do nothing. */
  abort(): void;
}

/**
 * An AbortSignalLike that core aborts itself. Core's lib has no AbortController (no DOM or Node
 * types, so that no runtime's globals leak in), and a port needs only `aborted` and the `abort`
 * event: a transport ties them to a standard AbortController for its fetch.
 *
 * @example
 * const { signal, abort } = createAbortHandle();
 * void port.request({ method: 'GET', url, headers, signal });
 * abort(); // the port's fetch is aborted
 */
export function createAbortHandle(): AbortHandle {
  let aborted = false;
  const listeners = new Set<() => void>();
  const signal: AbortSignalLike = {
    get aborted() {
      return aborted;
    },
    // As AbortSignal's: a listener added after the abort is never called.
    addEventListener(_type, listener) {
      if (!aborted) listeners.add(listener);
    },
    removeEventListener(_type, listener) {
      listeners.delete(listener);
    },
  };
  return {
    signal,
    abort() {
      if (aborted) return;
      aborted = true;
      const called = [...listeners];
      listeners.clear();
      for (const listener of called) {
        try {
          listener();
        } catch (error) {
          void Promise.reject(error); // a port's broken listener must not stop the others; let it surface
        }
      }
    },
  };
}
