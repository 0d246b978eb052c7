import type { Metrics } from './metrics.js';

/** The part of a `ws` WebSocket the queue uses. */
export interface QueueSocket {
  send(data: Buffer, options: { binary: boolean }): void;
  /** Bytes `ws` has handed to the net socket that are not yet in the kernel. */
  readonly bufferedAmount: number;
  readonly readyState: number;
}

/** The net socket under the WebSocket: corked while a batch is written so the frames leave in one write. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Something with pending frames to write once the current tick is over. */
export interface Flushable {
  flush(): void;
}

/**
 * Collects the queues that have frames waiting and flushes all of them once per event-loop turn.
 * One timer for the whole server, not one per connection.
 *
 * @example
 * const scheduler = createFlushScheduler();
 * scheduler.schedule(queue); // queue.flush() runs on the next setImmediate
 */
export interface FlushScheduler {
  schedule(target: Flushable): void;
}

export function createFlushScheduler(defer: (run: () => void) => void = (run) => setImmediate(run)): FlushScheduler {
  let dirty = new Set<Flushable>();
  let scheduled = false;
  const run = () => {
    scheduled = false;
    const batch = dirty;
    dirty = new Set();
    for (const target of batch) target.flush();
  };
  return {
    schedule(target) {
      dirty.add(target);
      if (!scheduled) {
        scheduled = true;
        defer(run);
      }
    },
  };
}

export interface OutboundQueueOptions {
  readonly socket: QueueSocket;
  /** The net socket under `socket`; without it frames are still batched, just not corked. */
  readonly raw?: Corkable;
  /** Most bytes that may wait for this client: queued here plus `socket.bufferedAmount`. */
  readonly byteBudget: number;
  readonly scheduler: FlushScheduler;
  /** Called once when a frame would exceed the budget; the queue has already dropped its frames. */
  readonly onOverflow: (dropped: { readonly frames: number; readonly bytes: number }) => void;
  /**
   * Queued bytes that trigger a flush at once instead of at the end of the tick. Default: the
   * smaller of 64 KiB and a quarter of the budget. The budget is about what the client has not
   * taken, not about our batching: without this, one large burst from the source would count
   * against every client, fast or slow, before a single byte had a chance to leave.
   */
  readonly flushThreshold?: number;
  readonly metrics?: Metrics;
}

/**
 * One connection's outbound frames. Frames are queued during a tick and written together on the
 * next one, inside cork()/uncork(), so N frames cost one write syscall instead of N: on Node that
 * syscall, not JSON or filtering, dominates the cost of a delivery (field-notes.md, fan-out).
 * The same Buffer is shared by every subscriber of an event; `ws` sends it as a text frame
 * because of `{binary: false}`, and does not modify it (server frames are not masked).
 *
 * A client that reads slower than events arrive fills its budget; the queue then drops what it
 * holds and reports the overflow once, so the connection can be closed (4008). Memory per
 * connection stays bounded by the budget and the server never waits for one client.
 *
 * @example
 * const queue = createOutboundQueue({ socket: ws, raw: netSocket, byteBudget: 1 << 20, scheduler, onOverflow: () => ws.close(4008) });
 * queue.enqueue(Buffer.from(formatEvent(event)));
 */
export interface OutboundQueue extends Flushable {
  /** Queues a frame; false when the queue is closed or the frame overflowed the budget. */
  enqueue(frame: Buffer): boolean;
  /** Bytes waiting for this client: queued here plus what `ws` holds. */
  readonly pendingBytes: number;
  readonly queuedFrames: number;
  /** Drops every queued frame and refuses new ones; returns how many were dropped. */
  close(): number;
  readonly closed: boolean;
}

const OPEN = 1;

export function createOutboundQueue(options: OutboundQueueOptions): OutboundQueue {
  const { socket, raw, byteBudget, scheduler, onOverflow, metrics } = options;
  const flushThreshold = options.flushThreshold ?? Math.min(64 * 1024, Math.floor(byteBudget / 4));
  let frames: Buffer[] = [];
  let bytes = 0;
  let closed = false;

  const drop = (): { frames: number; bytes: number } => {
    const dropped = { frames: frames.length, bytes };
    frames = [];
    bytes = 0;
    return dropped;
  };

  const queue: OutboundQueue = {
    enqueue(frame) {
      if (closed) return false;
      if (bytes + frame.length + socket.bufferedAmount > byteBudget) {
        closed = true;
        const dropped = drop();
        metrics?.framesDropped(dropped.frames + 1);
        onOverflow(dropped);
        return false;
      }
      frames.push(frame);
      bytes += frame.length;
      if (bytes >= flushThreshold) queue.flush();
      else if (frames.length === 1) scheduler.schedule(queue);
      return true;
    },
    flush() {
      if (frames.length === 0 || closed) return;
      const batch = frames;
      const batchBytes = bytes;
      frames = [];
      bytes = 0;
      if (socket.readyState !== OPEN) return;
      // ws corks around each frame's header+payload pair; cork counts nest, so the kernel sees
      // one writev for the whole batch when the outer uncork() runs.
      raw?.cork();
      try {
        for (const frame of batch) socket.send(frame, { binary: false });
      } finally {
        raw?.uncork();
      }
      metrics?.socketWrite(batch.length, batchBytes);
    },
    get pendingBytes() {
      return bytes + socket.bufferedAmount;
    },
    get queuedFrames() {
      return frames.length;
    },
    close() {
      closed = true;
      return drop().frames;
    },
    get closed() {
      return closed;
    },
  };
  return queue;
}
