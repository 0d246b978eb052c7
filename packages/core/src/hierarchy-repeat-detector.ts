import { DedupeWindow } from './hierarchy-dedupe-window.js';
import { type EventLog, NO_RECORD } from './hierarchy-event-log.js';

/** What the detector reads and marks on the store's entry for one URI. */
export interface RepeatTracked {
  /** The URI's newest record in the event log (NO_RECORD for none). */
  readonly newestRecord: number;
  /**
   * The log's `appended` when uuids of this URI last went where the walk from `newestRecord`
   * does not reach: at a removal of the object, a delete, or the entry's creation (the URI may
   * have had an entry before, dropped with its records). NEVER_LOST at first.
   */
  recordsLostAt: number;
}

/** Below any horizon of the window that matters, and a small integer. */
export const NEVER_LOST = -(2 ** 30);

/**
 * How many of an object's newest records a check compares: a bound on the work per event,
 * however many events of the object the window holds.
 */
const WALKED_RECORDS = 4;

/**
 * The store's duplicate detection: is an event's uuid among those of the last `window` events
 * applied (or of a delete)? Duplicates are deliveries of the same event, so of the same object:
 * its own records in the event log answer for it, and at 100,000 objects an object rarely has
 * any among the last 10,000 events, which the entry's newest record tells without reading the
 * log. That spares most events a set of all recent uuids (two probes into tables that the
 * store's working set pushes out of cache, and packing the uuid to keep it small: ~0.25 µs of
 * a 1.15 µs update at 100,000 objects, measured).
 *
 * At most WALKED_RECORDS records are compared. The record a new event pushes beyond them goes
 * into `past`, a DedupeWindow, as do the records of a removed object and the uuids of deletes
 * (which take no record), so `past` holds every recent uuid the walk does not reach; it is
 * asked only when the walk may have missed something, and stays small when objects are many.
 *
 * @example
 * const repeats = new RepeatDetector(log, 10_000);
 * if (repeats.isRepeat(entry, event.uuid)) return false;
 * repeats.beforeAppend();
 * entry.newestRecord = log.append(entry.newestRecord, event, state, datetime, parents, epoch);
 */
export class RepeatDetector {
  private readonly past: DedupeWindow;
  /** Set by isRepeat(): the record the next check of the same URI will no longer reach. */
  private leaving = NO_RECORD;

  /** `log` keeps at least `window` records. */
  constructor(
    private readonly log: EventLog,
    private readonly window: number,
  ) {
    this.past = new DedupeWindow(window);
  }

  /** Whether `uuid` is a repeat, for an event of the URI `tracked` is the entry of (undefined: none). */
  isRepeat(tracked: RepeatTracked | undefined, uuid: string): boolean {
    const log = this.log;
    const horizon = log.appended - this.window;
    this.leaving = NO_RECORD;
    if (tracked === undefined) return this.past.has(uuid); // dropped, or never seen
    let seq = tracked.newestRecord;
    for (let walked = 1; seq !== NO_RECORD && seq >= horizon; walked++) {
      if (log.hasUuid(seq, uuid)) return true;
      if (walked === WALKED_RECORDS) {
        this.leaving = seq;
        break;
      }
      seq = log.previousOf(seq);
    }
    return (this.leaving !== NO_RECORD || tracked.recordsLostAt >= horizon) && this.past.has(uuid);
  }

  /**
   * Right before the event isRepeat() just passed is appended to the log as the URI's newest
   * record (the append may overwrite the oldest record the window reaches).
   */
  beforeAppend(): void {
    if (this.leaving !== NO_RECORD) this.past.add(this.log.uuidOf(this.leaving), this.log.appended);
  }

  /** Right before the URI's records stop being reachable from its newest record (a removal). */
  forgetRecords(tracked: RepeatTracked): void {
    const log = this.log;
    const horizon = log.appended - this.window;
    let seq = tracked.newestRecord;
    // The older ones went to `past` as new events pushed them beyond the walk.
    for (let walked = 0; seq !== NO_RECORD && seq >= horizon && walked < WALKED_RECORDS; walked++) {
      this.past.add(log.uuidOf(seq), log.appended);
      seq = log.previousOf(seq);
    }
    tracked.recordsLostAt = log.appended;
  }

  /** Remembers the uuid of an event of the URI that takes no record (a delete). */
  rememberApart(tracked: RepeatTracked | undefined, uuid: string): void {
    this.past.add(uuid, this.log.appended);
    if (tracked !== undefined) tracked.recordsLostAt = this.log.appended;
  }

  /** A new entry: the URI may have had one before, dropped with its records. */
  track(tracked: RepeatTracked): void {
    tracked.recordsLostAt = this.log.appended;
  }
}
