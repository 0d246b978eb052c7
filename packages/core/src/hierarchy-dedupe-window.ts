import { hashKey } from './hierarchy-chunked-map.js';
import { StringTable } from './hierarchy-string-table.js';

/**
 * Remembers uuids for at least `span` ticks of a clock the caller passes, in two generations:
 * the first add once the current one is `span` old makes it the previous one and drops the
 * oldest whole, which is cheaper than evicting one uuid at a time (so a uuid goes within about
 * twice the span, if adds go on). The store clocks it by its event log's count and keeps here
 * only the uuids the log cannot answer for cheaply (see hierarchy-repeat-detector.ts); the
 * stream's uuid window (uuid-window.ts) clocks it by the uuids it adds.
 *
 * @example
 * const window = new DedupeWindow(10_000);
 * window.add('0b0e3538-88df-4f07-9aed-3a3cc4175076', eventCount);
 * window.has('0b0e3538-88df-4f07-9aed-3a3cc4175076'); // true until eventCount + 10,000 at least
 */
export class DedupeWindow {
  private current = new StringTable<true>();
  private previous = new StringTable<true>();
  /** The clock when the current generation took its first uuid. */
  private currentFrom = 0;

  constructor(private readonly span: number) {}

  has(uuid: string): boolean {
    if (this.current.size === 0 && this.previous.size === 0) return false; // no hashing
    const hash = hashKey(uuid);
    return this.current.has(uuid, hash) || this.previous.has(uuid, hash);
  }

  /** Remembers `uuid` from `now` on; `now` never goes back. */
  add(uuid: string, now: number): void {
    if (now - this.currentFrom >= this.span || this.current.size === 0) {
      // Whatever the previous generation holds was added more than `span` ago.
      if (this.current.size > 0) {
        const oldest = this.previous;
        oldest.clear();
        this.previous = this.current;
        this.current = oldest;
      }
      this.currentFrom = now;
    }
    this.current.set(uuid, hashKey(uuid), true);
  }
}
