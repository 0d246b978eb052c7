import { type EventFilter, matchesFilter } from '@events/core';
import { ExitCode, type OutputFormat } from './cli-options.js';
import { createStateTracker, formatEventJson, formatEventPlain } from './event-format.js';
import type { OpenedSource } from './open-source.js';
import { describeLink } from './state/link-status.js';

export interface TailOptions {
  readonly format: OutputFormat;
  /** Applied here too: a local source (demo, replay) has no server to filter for it. */
  readonly filter: EventFilter | null;
  /** Stop after this many events. */
  readonly count?: number;
  /** One line, newline included. */
  readonly write: (text: string) => void;
  /** Connection news for stderr (never mixed into the event lines). */
  readonly warn: (text: string) => void;
  /** Aborted on SIGINT/SIGTERM or a closed stdout: a normal end. */
  readonly signal?: AbortSignal;
}

/**
 * Line mode: every event of the source as one line, until the count, the end of a replay, a
 * stop signal, or a connection that gave up. Resolves with the exit code: 0 for a normal end, 2
 * when the credentials were refused (as `docker-cloud event` did), 1 for other fatal ends.
 *
 * @example
 * const code = await runTail(opened, { format: 'json', filter: null, write: (s) => process.stdout.write(s), warn: (s) => process.stderr.write(s) });
 */
export function runTail(opened: OpenedSource, options: TailOptions): Promise<number> {
  const { tree } = opened;
  return new Promise<number>((resolve) => {
    let written = 0;
    let done = false;
    /** A replay played to its end: its final close (a fatal one, so that the client stops) is no failure. */
    let sourceEnded = false;
    const tracker = createStateTracker((uri) => tree.getSnapshot().tree.get(uri)?.state);
    const finish = (code: number) => {
      if (done) return;
      done = true;
      offEvent();
      offTree();
      options.signal?.removeEventListener('abort', onAbort);
      resolve(code);
    };
    const offEvent = tree.onEvent((event) => {
      if (done) return;
      const previous = tracker.advance(event);
      if (options.filter !== null && !matchesFilter(options.filter, event)) return;
      options.write(`${options.format === 'json' ? formatEventJson(event) : formatEventPlain(event, previous, tree.getSnapshot().tree)}\n`);
      written++;
      if (options.count !== undefined && written >= options.count) finish(ExitCode.ok);
    });
    let lastPhase = tree.getSnapshot().connection.phase;
    let lastAttempt = 0;
    let wasLive = lastPhase === 'live';
    let listingFailure: string | null = null;
    const offTree = tree.subscribe(() => {
      const snapshot = tree.getSnapshot();
      const { connection, sync } = snapshot;
      // Without the REST lists, lines name objects by id: say why, once per new reason, and when it recovers.
      const failure = sync.status === 'listing' ? (sync.failure?.message ?? null) : null;
      if (failure !== null && failure !== listingFailure) options.warn(`events: cannot list objects, so lines show ids until it works: ${failure} · retrying\n`);
      else if (failure === null && listingFailure !== null && sync.status !== 'listing') options.warn('events: objects listed\n');
      if (failure !== null || sync.status !== 'listing') listingFailure = failure;
      // Each failed attempt is news (the phase stays `reconnecting` from one to the next): a
      // server that stays away shows as attempts counting up, not one line and then silence.
      const nextAttempt = connection.phase === 'reconnecting' && connection.retryAt !== null && connection.attempt !== lastAttempt;
      if (connection.phase === lastPhase && !nextAttempt) return;
      lastPhase = connection.phase;
      lastAttempt = connection.phase === 'reconnecting' ? connection.attempt : 0;
      const link = describeLink(snapshot, { wall: Date.now(), monotonic: performance.now() });
      if (connection.phase === 'stopped') {
        if (sourceEnded) return;
        if (connection.stopReason === 'auth') {
          options.warn(`events: ${link.text}\n`);
          finish(ExitCode.auth);
        } else if (connection.stopReason === 'fatal') {
          options.warn(`events: ${link.text}\n`);
          finish(ExitCode.failure);
        }
        // 'stop': the replay ended or we closed it; `ended` or the signal finishes.
        return;
      }
      // The first connection is not news; losing it, and getting it back, are.
      if (connection.phase === 'live' && !wasLive) {
        wasLive = true;
        return;
      }
      if (connection.phase === 'connecting') return;
      options.warn(`events: ${link.text}\n`);
    });
    const onAbort = () => finish(ExitCode.ok);
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort);
    // A replay's end: let the last lines out first.
    opened.ended.then(() => {
      sourceEnded = true;
      setImmediate(() => finish(ExitCode.ok));
    });
  });
}
