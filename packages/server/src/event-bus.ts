import type { DockerCloudEvent, StreamPosition } from '@events/core';

/** An event the bus accepted, with the position it assigned in its namespace's stream. */
export interface PositionedEvent {
  readonly namespace: string;
  /** The event as the source emitted it: never carries `position` (plain clients must not see it). */
  readonly event: DockerCloudEvent;
  readonly position: StreamPosition;
}

/**
 * The answer to a resume request. Recovery is all-or-nothing: either every event after the
 * position is still retained and returned in order, or the answer is `gone` with the head the
 * client continues from after re-reading the REST lists.
 */
export type ReplayResult =
  | { readonly outcome: 'resumed'; readonly events: readonly PositionedEvent[] }
  | { readonly outcome: 'gone'; readonly head: StreamPosition };

export type BusListener = (event: PositionedEvent) => void;

/**
 * Where accepted events live between the source and the subscribers: one ordered, bounded stream
 * per namespace. Positions are `{epoch, seq}`: `seq` grows by one per event within a namespace
 * and the epoch names that namespace's stream and its incarnation (a new epoch voids every older
 * position). Each namespace has an epoch of its own, so a position is honoured only by the stream
 * that gave it: `replay` answers one of another namespace `gone`, as any epoch it does not know.
 *
 * The interface is what a multi-instance deployment needs, so a broker can fill it later:
 *
 * - **Redis Streams.** One stream per namespace (`events:{ns}`), capped with
 *   `XADD ... MAXLEN ~ count` / `MINID` for age. The single publishing instance is the sequencer:
 *   it assigns `seq` synchronously (so `publish` stays synchronous) and writes the entry with an
 *   explicit ID `0-{seq}`; Redis refuses an ID that does not grow, which exposes a second writer.
 *   The epoch lives in `events:{ns}:epoch` (`SET NX` with a random value); losing the stream
 *   (a flush, a restart without persistence) loses that key too, so a new epoch is minted.
 *   `subscribe` is an `XREAD BLOCK` loop started only for namespaces that have local
 *   subscribers (the socket.io adapter pattern: never subscribe to everything); `replay` is an
 *   `XRANGE events:{ns} (0-{seq} +` that answers `gone` when the first returned ID is not
 *   `seq + 1`; `head` is the last ID the instance has seen on that stream.
 * - **NATS JetStream.** One stream with subjects `events.{ns}`, `max_msgs_per_subject` and
 *   `max_age` for retention. The publisher sends with `Nats-Expected-Last-Subject-Sequence` so
 *   a concurrent writer is refused; the epoch is stored in the stream's metadata and changes when
 *   the stream is recreated. `subscribe` is an ordered push consumer with `deliver_policy=new`
 *   filtered to the subject; `replay` an ordered consumer with `opt_start_seq` (gone when the
 *   first message's sequence is not the next one). One stream holds every namespace, so a
 *   namespace's epoch is derived from the stream's and the namespace (as the memory bus does).
 *
 * `replay` is the only call that must reach the broker, so it alone returns a promise.
 *
 * @example
 * const off = bus.subscribe('acme', (e) => console.log(e.position.seq, e.event.type));
 * const { epoch } = bus.head('acme');  // acme's own epoch
 * bus.publish('acme', event);          // → { namespace: 'acme', event, position: { epoch, seq: 1 } }
 * await bus.replay('acme', { epoch, seq: 0 });  // → { outcome: 'resumed', events: [that event] }
 * await bus.replay('other', { epoch, seq: 0 }); // → { outcome: 'gone', head: other's head }
 * off();
 */
export interface EventBus {
  /** Accepts an event: assigns the next position in its namespace and delivers it to subscribers, in order. */
  publish(namespace: string, event: DockerCloudEvent): PositionedEvent;
  /**
   * Calls `listener` for every event published to `namespace` from now on, synchronously and in
   * order. A listener that throws does not stop delivery to the others.
   */
  subscribe(namespace: string, listener: BusListener): () => void;
  /** Every retained event after `after` in `namespace`, or `gone` when some are no longer retained. */
  replay(namespace: string, after: StreamPosition): Promise<ReplayResult>;
  /** The position of the last event accepted in `namespace` (`seq` 0 before the first one). */
  head(namespace: string): StreamPosition;
  /**
   * The incarnation of this bus. The positions of a namespace carry that namespace's own epoch
   * (see `head`), which changes with it.
   */
  readonly epoch: string;
}
