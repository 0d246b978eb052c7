import {
  createFilterIndex,
  type EventFilter,
  type FilterIndex,
  formatEvent,
  matchesFilter,
  type ResumeOutcome,
  type StreamPosition,
} from '@events/core';
import type { EventBus, PositionedEvent } from './event-bus.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** Which frame a connection gets: Docker Cloud's exact JSON, or the same with `position` (extended protocol). */
export type FrameVariant = 'plain' | 'extended';

/**
 * One event's frames, each encoded at most once, on first use, and then shared by every
 * subscriber: a Buffer per variant, never a string per connection.
 */
export interface EncodedEvent {
  readonly positioned: PositionedEvent;
  frame(variant: FrameVariant): Buffer;
}

/**
 * Wraps an accepted event so each frame variant is encoded on first use and then reused.
 *
 * @example
 * const encoded = encodeEvent(positioned);
 * ws.send(encoded.frame('plain'), { binary: false }); // the same Buffer for every plain subscriber
 */
export function encodeEvent(positioned: PositionedEvent): EncodedEvent {
  let plain: Buffer | undefined;
  let extended: Buffer | undefined;
  return {
    positioned,
    frame(variant) {
      switch (variant) {
        case 'plain':
          plain ??= Buffer.from(formatEvent(positioned.event));
          return plain;
        case 'extended':
          extended ??= Buffer.from(formatEvent({ ...positioned.event, position: positioned.position }));
          return extended;
      }
    },
  };
}

/** Where a subscription's frames go: the connection's outbound queue. */
export interface SubscriberSink {
  /** Queues one frame; false when the connection is closing or the frame exceeded its byte budget. */
  enqueue(frame: Buffer): boolean;
  /** Bytes waiting for the client (queued plus buffered in the socket). */
  readonly pendingBytes: number;
  readonly byteBudget: number;
  /** Calls `then` once the client has taken enough that replay can go on (paces a large replay). */
  whenWritable(then: () => void): void;
  /** The connection is over budget while its resume is in progress: close it as a slow consumer. */
  overflow(): void;
}

export interface SubscribeOptions {
  readonly namespace: string;
  readonly filter: EventFilter;
  readonly variant: FrameVariant;
  readonly sink: SubscriberSink;
  /** Extended protocol: deliver the retained events after this position first. */
  readonly resumeFrom?: StreamPosition;
  /**
   * Called once before the first event frame: how the resume went and the position the stream
   * continues from (the resume position, or the head when fresh or gone). The hello frame goes here.
   */
  readonly onStart: (outcome: ResumeOutcome, position: StreamPosition) => void;
  /**
   * Called once the subscriber has caught up and receives live events (right after onStart when
   * fresh, before subscribe returns), with the position a marker may announce: every matching
   * event up to it has been queued.
   */
  readonly onLive?: (position: StreamPosition) => void;
  /** The bus failed to replay: the connection should close (1011). */
  readonly onError: (error: unknown) => void;
}

export interface Subscription {
  /**
   * The position up to which this subscriber has been sent every matching event, for position
   * markers; undefined until its resume has caught up with the live stream.
   */
  position(): StreamPosition | undefined;
  unsubscribe(): void;
}

/**
 * Delivers bus events to connections. Per namespace it holds one bus subscription (taken when
 * the first subscriber arrives, dropped with the last, as a broker-backed bus needs) and a filter
 * index, so an event visits only the subscriptions whose filters it matches.
 *
 * Resume without gap or duplicate: a resuming subscriber is indexed (live events are held for it)
 * before the replay is requested, then receives the replayed events, then the held ones whose
 * seq is past the last replayed one.
 *
 * @example
 * const fanOut = createFanOut({ bus, metrics, logger });
 * const sub = fanOut.subscribe({ namespace: 'acme', filter, variant: 'plain', sink, onStart, onError });
 * sub.unsubscribe();
 */
export interface FanOut {
  subscribe(options: SubscribeOptions): Subscription;
  /** Subscribers of one namespace, or of all. */
  subscriberCount(namespace?: string): number;
  /** Drops every subscription and bus listener. */
  close(): void;
}

interface Channel {
  readonly namespace: string;
  readonly index: FilterIndex<Sub>;
  head: StreamPosition;
  unsubscribe: () => void;
}

interface Sub {
  readonly options: SubscribeOptions;
  readonly channel: Channel;
  /** Live events held while the resume replay is in progress; null once live. */
  held: EncodedEvent[] | null;
  heldBytes: number;
  /** The seq of the last event this subscriber was sent or skipped (by filter) while catching up. */
  lastSeq: number;
  closed: boolean;
}

export function createFanOut(deps: { bus: EventBus; metrics?: Metrics; logger?: Logger }): FanOut {
  const { bus, metrics, logger } = deps;
  const channels = new Map<string, Channel>();
  // Shares one encoding between the live path and replays (many clients resuming at once).
  const encodings = new WeakMap<PositionedEvent, EncodedEvent>();
  const encodingOf = (positioned: PositionedEvent): EncodedEvent => {
    let encoded = encodings.get(positioned);
    if (encoded === undefined) {
      encoded = encodeEvent(positioned);
      encodings.set(positioned, encoded);
    }
    return encoded;
  };

  const deliver = (sub: Sub, encoded: EncodedEvent): void => {
    if (sub.closed) return;
    if (sub.held !== null) {
      const frame = encoded.frame(sub.options.variant);
      sub.held.push(encoded);
      sub.heldBytes += frame.length;
      if (sub.heldBytes + sub.options.sink.pendingBytes > sub.options.sink.byteBudget) {
        remove(sub);
        sub.options.sink.overflow();
      }
      return;
    }
    if (sub.options.sink.enqueue(encoded.frame(sub.options.variant))) metrics?.eventsOut(1);
  };

  const channelOf = (namespace: string): Channel => {
    let channel = channels.get(namespace);
    if (channel !== undefined) return channel;
    const index = createFilterIndex<Sub>();
    const created: Channel = { namespace, index, head: bus.head(namespace), unsubscribe: () => {} };
    const visit = (encoded: EncodedEvent) => (sub: Sub) => deliver(sub, encoded);
    created.unsubscribe = bus.subscribe(namespace, (positioned) => {
      created.head = positioned.position;
      const encoded = encodingOf(positioned);
      index.match(positioned.event, visit(encoded));
    });
    channels.set(namespace, created);
    channel = created;
    return channel;
  };

  const remove = (sub: Sub) => {
    if (sub.closed) return;
    const channel = sub.channel;
    sub.closed = true;
    sub.held = null;
    channel.index.remove(sub);
    metrics?.setSubscribers(channel.namespace, channel.index.size);
    if (channel.index.size === 0 && channels.get(channel.namespace) === channel) {
      channel.unsubscribe();
      channels.delete(channel.namespace);
    }
  };

  /** Sends the replayed events (paced by the client's reading), then the held live ones. */
  const catchUp = (sub: Sub, events: readonly PositionedEvent[]) => {
    const { sink, filter, variant } = sub.options;
    let i = 0;
    const pump = () => {
      if (sub.closed) return;
      while (i < events.length) {
        if (sink.pendingBytes > sink.byteBudget / 2) {
          sink.whenWritable(pump);
          return;
        }
        const positioned = events[i++] as PositionedEvent;
        if (positioned.position.seq <= sub.lastSeq) continue;
        sub.lastSeq = positioned.position.seq;
        if (!matchesFilter(filter, positioned.event)) continue;
        if (!sink.enqueue(encodingOf(positioned).frame(variant))) return;
        metrics?.eventsOut(1);
      }
      goLive(sub);
    };
    pump();
  };

  const goLive = (sub: Sub) => {
    const held = sub.held ?? [];
    sub.held = null;
    sub.heldBytes = 0;
    for (const encoded of held) {
      if (sub.closed) return;
      // Held events up to the cut-over point were already replayed (or are covered by the resync).
      if (encoded.positioned.position.seq <= sub.lastSeq) continue;
      sub.lastSeq = encoded.positioned.position.seq;
      deliver(sub, encoded);
    }
    if (!sub.closed) sub.options.onLive?.(sub.channel.head);
  };

  return {
    subscribe(options) {
      const channel = channelOf(options.namespace);
      const sub: Sub = { options, channel, held: null, heldBytes: 0, lastSeq: 0, closed: false };
      const subscription: Subscription = {
        position() {
          if (sub.closed || sub.held !== null) return undefined;
          // Every event up to the channel head that matched was queued before this marker will be.
          return channel.head;
        },
        unsubscribe: () => remove(sub),
      };
      const resumeFrom = options.variant === 'extended' ? options.resumeFrom : undefined;
      if (resumeFrom === undefined) {
        channel.index.add(sub, options.filter);
        metrics?.setSubscribers(channel.namespace, channel.index.size);
        sub.lastSeq = channel.head.seq;
        options.onStart('fresh', channel.head);
        options.onLive?.(channel.head);
        return subscription;
      }
      // Hold live events from before the replay is asked for, so none falls between the two.
      sub.held = [];
      channel.index.add(sub, options.filter);
      metrics?.setSubscribers(channel.namespace, channel.index.size);
      bus.replay(options.namespace, resumeFrom).then(
        (result) => {
          if (sub.closed) return;
          switch (result.outcome) {
            case 'resumed':
              sub.lastSeq = resumeFrom.seq;
              options.onStart('resumed', resumeFrom);
              catchUp(sub, result.events);
              return;
            case 'gone':
              sub.lastSeq = result.head.seq;
              options.onStart('gone', result.head);
              goLive(sub);
              return;
          }
        },
        (error: unknown) => {
          if (sub.closed) return;
          logger?.error('bus replay failed', { namespace: options.namespace, error });
          remove(sub);
          options.onError(error);
        },
      );
      return subscription;
    },
    subscriberCount(namespace) {
      if (namespace !== undefined) return channels.get(namespace)?.index.size ?? 0;
      let total = 0;
      for (const channel of channels.values()) total += channel.index.size;
      return total;
    },
    close() {
      for (const channel of channels.values()) {
        channel.unsubscribe();
        metrics?.setSubscribers(channel.namespace, 0);
      }
      channels.clear();
    },
  };
}
