import { createHmac, randomBytes } from 'node:crypto';
import { type DockerCloudEvent, EventsError, type StreamPosition } from '@events/core';
import type { BusListener, EventBus, PositionedEvent, ReplayResult } from './event-bus.js';

export interface RetentionOptions {
  /** Events kept per namespace for resume. Default 10,000. */
  readonly count?: number;
  /** Events older than this (since accepted) are dropped. Default one hour. */
  readonly ageMs?: number;
}

export interface MemoryEventBusOptions {
  readonly retention?: RetentionOptions;
  readonly now?: () => number;
  /**
   * The bus incarnation, from which each namespace's epoch is derived. Default: random, so a
   * restarted server voids every old position.
   */
  readonly epoch?: string;
  /** Called when a listener throws; delivery to the other listeners goes on. */
  readonly onListenerError?: (error: unknown, namespace: string) => void;
}

export const DEFAULT_RETENTION = { count: 10_000, ageMs: 60 * 60 * 1000 } as const;

interface Stream {
  /** This namespace's epoch (epochOf): its positions are honoured by this stream only. */
  readonly epoch: string;
  seq: number;
  /** Retained events, oldest first, from index `start` (a ring without copying on every drop). */
  events: PositionedEvent[];
  acceptedAt: number[];
  start: number;
  listeners: Set<BusListener>;
}

/**
 * The in-process EventBus: per-namespace bounded streams held in memory, retention by count and
 * by age (measured with the injected clock when an event is accepted).
 *
 * @example
 * const bus = createMemoryEventBus({ retention: { count: 1000, ageMs: 600_000 } });
 * const { position } = bus.publish('acme', event); // position.seq === 1
 */
export function createMemoryEventBus(options: MemoryEventBusOptions = {}): EventBus & { retained(namespace: string): number } {
  const count = options.retention?.count ?? DEFAULT_RETENTION.count;
  const ageMs = options.retention?.ageMs ?? DEFAULT_RETENTION.ageMs;
  if (!Number.isInteger(count) || count < 0) throw new EventsError('invalid-config', `retention count must be a non-negative integer, got ${count}`);
  if (!(ageMs >= 0)) throw new EventsError('invalid-config', `retention age must be a non-negative number of milliseconds, got ${ageMs}`);
  const now = options.now ?? Date.now;
  const epoch = options.epoch ?? randomBytes(6).toString('base64url');
  const streams = new Map<string, Stream>();

  const streamOf = (namespace: string): Stream => {
    let stream = streams.get(namespace);
    if (!stream) {
      stream = { epoch: namespaceEpoch(epoch, namespace), seq: 0, events: [], acceptedAt: [], start: 0, listeners: new Set() };
      streams.set(namespace, stream);
    }
    return stream;
  };

  const prune = (stream: Stream) => {
    const oldest = now() - ageMs;
    let start = stream.start;
    const end = stream.events.length;
    if (end - start > count) start = end - count;
    while (start < end && (stream.acceptedAt[start] ?? 0) < oldest) start++;
    stream.start = start;
    // Compact once the dropped prefix dominates: amortised O(1) per event.
    if (start > 1024 && start * 2 > end) {
      stream.events = stream.events.slice(start);
      stream.acceptedAt = stream.acceptedAt.slice(start);
      stream.start = 0;
    }
  };

  return {
    epoch,
    publish(namespace, event: DockerCloudEvent) {
      const stream = streamOf(namespace);
      stream.seq += 1;
      // The source's object is not trusted to stay unchanged, and plain frames must not carry a position.
      const { position: _ignored, ...plain } = event;
      const positioned: PositionedEvent = { namespace, event: plain, position: { epoch: stream.epoch, seq: stream.seq } };
      stream.events.push(positioned);
      stream.acceptedAt.push(now());
      prune(stream);
      for (const listener of stream.listeners) {
        try {
          listener(positioned);
        } catch (error) {
          options.onListenerError?.(error, namespace);
        }
      }
      return positioned;
    },
    subscribe(namespace, listener) {
      const stream = streamOf(namespace);
      // A Set keeps each registration distinct even if the same function subscribes twice.
      const entry: BusListener = (event) => listener(event);
      stream.listeners.add(entry);
      return () => {
        stream.listeners.delete(entry);
      };
    },
    async replay(namespace, after: StreamPosition): Promise<ReplayResult> {
      const stream = streamOf(namespace);
      prune(stream);
      const head: StreamPosition = { epoch: stream.epoch, seq: stream.seq };
      // Another epoch: an older incarnation, or another namespace's stream (a position means
      // nothing outside the stream that gave it). Either way the position is unknown here.
      if (after.epoch !== stream.epoch || !Number.isInteger(after.seq) || after.seq < 0 || after.seq > stream.seq) {
        return { outcome: 'gone', head };
      }
      const retained = stream.events.length - stream.start;
      const firstSeq = stream.seq - retained + 1; // the seq of the oldest retained event
      if (after.seq + 1 < firstSeq) return { outcome: 'gone', head };
      const from = stream.start + (after.seq + 1 - firstSeq);
      return { outcome: 'resumed', events: stream.events.slice(from) };
    },
    head(namespace) {
      const stream = streams.get(namespace);
      // A namespace without events yet has no stream to keep: its epoch is derived, as its stream's will be.
      return stream === undefined ? { epoch: namespaceEpoch(epoch, namespace), seq: 0 } : { epoch: stream.epoch, seq: stream.seq };
    },
    retained(namespace) {
      const stream = streams.get(namespace);
      if (!stream) return 0;
      prune(stream);
      return stream.events.length - stream.start;
    },
  };
}

/**
 * The epoch of one namespace's stream: derived from the bus incarnation and the namespace, so
 * that a position is honoured only by the stream it came from. Sharing one epoch, a position of
 * namespace A (or of one user's own namespace) was "resumed" on B's stream from an unrelated seq.
 * Opaque, 8 base64url characters as the incarnation's own; the same inputs give the same epoch,
 * so X-Events-Position read before a namespace's first event stays good after it.
 * For example the incarnation `Xk3p9Q2a` gives `acme` the epoch `5t0gTqKN` and `other` `irxcfaWN`.
 */
function namespaceEpoch(incarnation: string, namespace: string): string {
  return createHmac('sha256', incarnation).update(namespace).digest('base64url').slice(0, 8);
}
