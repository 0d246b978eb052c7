import { EventsError } from './events-error.js';

export interface EventQueueOptions {
  /** The most items held at once. Reaching it calls onFull; the producer must stop pushing. */
  readonly highWaterMark: number;
  /** Once full, onDrained is called when the consumer has taken it down to this. Default highWaterMark / 2. */
  readonly lowWaterMark?: number;
  /** The queue reached highWaterMark (called once until it drains). */
  readonly onFull?: () => void;
  /** A full queue went down to lowWaterMark. */
  readonly onDrained?: () => void;
  /** The consumer left early (`break` out of `for await`, or `iterator.return()`). */
  readonly onReturn?: () => void;
}

/**
 * A bounded FIFO between a push producer (socket frames) and one pull consumer (`for await`).
 * It never grows past its high-water mark: it tells the producer, which stops reading (the stream
 * client closes its socket and resumes later from its position). Items pushed past the mark are
 * refused (push returns false), never silently dropped and never kept.
 *
 * next() may be called again before an earlier call settled (`Promise.race([it.next(), timeout])`
 * in a loop): as with an async generator, the calls are answered in the order they were made.
 */
export interface EventQueue<T> extends AsyncIterableIterator<T> {
  /** Adds one item; false when the queue is full or finished (the item was not taken). */
  push(item: T): boolean;
  /** No more items: the consumer gets what is queued, then `done`. */
  end(): void;
  /** The consumer gets what is queued, then `error` is thrown from next(). */
  fail(error: unknown): void;
  readonly size: number;
  /** Whether the queue is at its high-water mark and waiting to drain to the low-water mark. */
  readonly full: boolean;
  /** The consumer returned or took the end/error: nothing more will be read. */
  readonly finished: boolean;
}

/**
 * @example
 * const queue = createEventQueue<DockerCloudEvent>({ highWaterMark: 1000, onFull: pause, onDrained: resume });
 * socket.onEvent = (event) => queue.push(event);
 * for await (const event of queue) console.log(event.type, event.state);
 */
export function createEventQueue<T>(options: EventQueueOptions): EventQueue<T> {
  const high = options.highWaterMark;
  if (!Number.isSafeInteger(high) || high < 1) throw new EventsError('invalid-config', `highWaterMark must be a positive integer, got ${String(high)}`);
  const low = options.lowWaterMark ?? Math.floor(high / 2);
  if (!Number.isSafeInteger(low) || low < 0 || low >= high) {
    throw new EventsError('invalid-config', `lowWaterMark must be an integer from 0 to highWaterMark - 1, got ${String(low)}`);
  }
  // An array with a moving head: shift() on a large array is O(n).
  let items: T[] = [];
  let head = 0;
  let full = false;
  let ending: { readonly error: unknown } | 'done' | null = null;
  let finished = false;
  /** next() calls not answered yet, oldest first. */
  const waiters: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }[] = [];

  const size = () => items.length - head;
  const settleWaiters = () => {
    while (waiters.length > 0 && size() > 0) waiters.shift()?.resolve({ done: false, value: take() });
    if (waiters.length === 0 || ending === null) return;
    // The end: the oldest call gets it (the error, if it failed), the later ones `done`.
    finished = true;
    const first = waiters.shift();
    if (ending === 'done') first?.resolve({ done: true, value: undefined });
    else first?.reject(ending.error);
    for (const w of waiters.splice(0)) w.resolve({ done: true, value: undefined });
  };
  const take = (): T => {
    const item = items[head] as T;
    items[head] = undefined as T; // let the item be collected
    head++;
    if (head === items.length) {
      items = [];
      head = 0;
    } else if (head > 1024 && head * 2 > items.length) {
      items = items.slice(head);
      head = 0;
    }
    if (full && size() <= low) {
      full = false;
      options.onDrained?.();
    }
    return item;
  };

  const queue: EventQueue<T> = {
    push(item) {
      if (ending !== null || finished || full) return false;
      items.push(item);
      if (size() >= high) {
        full = true;
        options.onFull?.();
      }
      settleWaiters();
      return true;
    },
    end() {
      if (ending !== null) return;
      ending = 'done';
      settleWaiters();
    },
    fail(error) {
      if (ending !== null) return;
      ending = { error };
      settleWaiters();
    },
    get size() {
      return size();
    },
    get full() {
      return full;
    },
    get finished() {
      return finished;
    },
    next() {
      if (size() > 0) return Promise.resolve({ done: false, value: take() });
      if (finished || ending === 'done') {
        finished = true;
        return Promise.resolve({ done: true, value: undefined });
      }
      if (ending !== null) {
        finished = true;
        return Promise.reject(ending.error);
      }
      return new Promise((resolve, reject) => {
        waiters.push({ resolve, reject });
      });
    },
    return() {
      const wasFinished = finished;
      finished = true;
      ending ??= 'done';
      items = [];
      head = 0;
      full = false;
      for (const w of waiters.splice(0)) w.resolve({ done: true, value: undefined });
      if (!wasFinished) options.onReturn?.();
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return queue;
    },
  };
  return queue;
}
