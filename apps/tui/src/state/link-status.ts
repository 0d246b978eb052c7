import type { LiveTreeSnapshot } from '@events/core';
import { isEndOfRecording } from '../recording.js';
import { formatClock, secondsUntil } from './format.js';

/** The connection as the header shows it. */
export interface LinkStatus {
  readonly glyph: string;
  readonly text: string;
  readonly tone: 'ok' | 'busy' | 'warn' | 'error' | 'idle';
  /** Not live: the data is as of `asOf` (dimmed, with the time shown). */
  readonly stale: boolean;
  readonly asOf: number | null;
}

/** How long "resynced" stays in the header after a re-list. */
const RESYNC_NOTICE_MS = 15_000;

/**
 * The two clocks a LiveTree snapshot uses: `wall` (epoch ms) for `sync.since` and
 * `lastResync.at`, `monotonic` for the reconnect machine's `retryAt` (performance.now() in
 * @events/transport-node).
 */
export interface LinkClock {
  readonly wall: number;
  readonly monotonic: number;
}

/**
 * The header's connection text for a LiveTree snapshot: `● live`, `◌ reconnecting in 3 s
 * (attempt 2)`, `● live · resynced 09:01:33 (+3 ~1 -2)`, `○ offline`, `✖ stopped: ...`; for a
 * recording played back (`replay`), `● replaying` and `○ replay finished`.
 *
 * @example
 * describeLink(snapshot, { wall: Date.now(), monotonic: performance.now() }).text // 'reconnecting in 3 s (attempt 2) · closed (1006)'
 */
export function describeLink(snapshot: LiveTreeSnapshot, clock: LinkClock, utc = false, replay = false): LinkStatus {
  const now = clock.wall;
  const { connection, sync, lastResync } = snapshot;
  const stale = sync.status === 'stale';
  const asOf = sync.status === 'stale' ? sync.since : null;
  const closedBy = connection.lastClose === null ? null : connection.lastClose.reason !== '' ? connection.lastClose.reason : `closed (${connection.lastClose.code})`;
  const why = closedBy === null ? '' : ` · ${closedBy}`;
  switch (connection.phase) {
    case 'live': {
      if (sync.status === 'listing') {
        if (sync.failure !== undefined) {
          const { attempts, message } = sync.failure;
          return { glyph: '◌', text: `cannot list objects (${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}): ${message} · retrying`, tone: 'warn', stale, asOf };
        }
        return { glyph: '◌', text: 'listing objects…', tone: 'busy', stale, asOf };
      }
      // A replay port answers as a server would, but nothing here is live.
      if (replay) return { glyph: '●', text: 'replaying', tone: 'ok', stale, asOf };
      let text = connection.outcome === 'resumed' ? 'live (resumed)' : 'live';
      if (lastResync !== null && now - lastResync.at < RESYNC_NOTICE_MS) {
        text += ` · resynced ${formatClock(lastResync.at, utc)} (+${lastResync.created} ~${lastResync.updated} -${lastResync.deleted})`;
      }
      return { glyph: '●', text, tone: 'ok', stale, asOf };
    }
    case 'connecting':
      return { glyph: '◌', text: 'connecting…', tone: 'busy', stale, asOf };
    case 'reconnecting': {
      const attempt = connection.attempt > 0 ? ` (attempt ${connection.attempt})` : '';
      const text =
        connection.retryAt !== null ? `reconnecting in ${secondsUntil(connection.retryAt, clock.monotonic)} s${attempt}${why}` : `reconnecting…${attempt}${why}`;
      return { glyph: '◌', text, tone: 'warn', stale, asOf };
    }
    case 'offline':
      return { glyph: '○', text: 'offline: waiting for the network', tone: 'warn', stale, asOf };
    case 'stopped':
      // A replay that played to its end stops the client the way a refused connection would.
      if (isEndOfRecording(connection.lastClose)) return { glyph: '○', text: 'replay finished', tone: 'idle', stale, asOf };
      switch (connection.stopReason) {
        case 'auth':
          return { glyph: '✖', text: `stopped: authentication failed${why}`, tone: 'error', stale, asOf };
        case 'fatal':
          // `stopped: WHY`, as the auth case says it: the reason is what stopped it, not an aside.
          return { glyph: '✖', text: `stopped: ${closedBy ?? 'the server refused the connection'}`, tone: 'error', stale, asOf };
        case 'stop':
        case null:
          return { glyph: '○', text: 'closed', tone: 'idle', stale, asOf };
      }
      break;
    case 'idle':
      return { glyph: '○', text: 'not connected', tone: 'idle', stale, asOf };
  }
  return { glyph: '?', text: connection.phase, tone: 'idle', stale, asOf };
}
