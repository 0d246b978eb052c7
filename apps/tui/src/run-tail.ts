import { type ConnectionSummary, type DockerCloudEvent, type EventFilter, errorOfClose, type LiveTreeSnapshot, matchesFilter } from '@events/core';
import { ExitCode, type OutputFormat } from './cli-options.js';
import { createTreeStateTracker, formatEventJson, formatEventPlain, knownName } from './event-format.js';
import type { FieldsCache } from './fields-cache.js';
import { clockOf, fieldsCacheOf, type OpenedSource } from './open-source.js';
import { describeLink } from './state/link-status.js';
import { printable } from './state/text-width.js';

/**
 * Longest a plain line waits for the names of objects the tree does not name (new ones, parents
 * under --type): it is then written with ids for what did not come.
 */
export const NAME_WAIT_MS = 1_500;

/**
 * The exit code of a connection that stopped on its own: 2 when the server refused the
 * credentials or the access (a namespace the user may not read: HTTP 403 or close code 4003), as
 * a script tells "fix your login or permissions" apart from a failure; 1 for any other fatal end.
 *
 * @example
 * exitCodeOfStop(tree.getSnapshot().connection) // 2 after `--namespace someone-else`
 */
export function exitCodeOfStop(connection: Pick<ConnectionSummary, 'stopReason' | 'lastClose'>): number {
  if (connection.stopReason === 'auth') return ExitCode.auth;
  if (connection.stopReason === 'fatal' && connection.lastClose !== null && errorOfClose(connection.lastClose).code === 'forbidden') return ExitCode.auth;
  return ExitCode.failure;
}

/** A plain line waiting for names: the names known when its event came, and the URIs fetched for the rest. */
interface PendingLine {
  readonly event: DockerCloudEvent;
  readonly previous: string | null;
  readonly names: Map<string, string>;
  readonly waits: readonly string[];
  readonly deadline: number;
}

export interface TailOptions {
  readonly format: OutputFormat;
  /** Applied here too: a local source (demo, replay) has no server to filter for it. */
  readonly filter: EventFilter | null;
  /** Stop after this many events. */
  readonly count?: number;
  /**
   * One line, newline included. `false` (as a Node stream's write says it is full) pauses
   * reading the source until `onDrain`'s listener is called, so a slow reader of the output
   * does not pile lines up in memory; the server keeps the events meanwhile.
   */
  readonly write: (text: string) => unknown;
  /** Calls the listener once when the output took what it held (a Node stream's 'drain'). */
  readonly onDrain?: (listener: () => void) => void;
  /** Connection news for stderr (never mixed into the event lines). */
  readonly warn: (text: string) => void;
  /** Aborted on SIGINT/SIGTERM or a closed stdout: a normal end. */
  readonly signal?: AbortSignal;
  /** Names for plain lines (default: the live view's, fieldsCacheOf: the tree's REST, or a replay's recording); absent for json. */
  readonly fields?: FieldsCache;
  /** The clock of NAME_WAIT_MS. Default performance.now. */
  readonly now?: () => number;
}

/**
 * Line mode: every event of the source as one line, until the count, the end of a replay, a
 * stop signal, or a connection that gave up. Resolves with the exit code: 0 for a normal end, 2
 * when the credentials or the namespace were refused (as `docker-cloud event` did for
 * credentials), 1 for other fatal ends.
 *
 * Plain lines name objects as the live view does: from the tree, else from the fields cache
 * (a GET of each object the tree cannot name, once: a container a scale just created, the
 * parents a --type leaves out). A line whose names are being fetched waits for them, at most
 * NAME_WAIT_MS, and the lines after it wait their turn, so lines keep the events' order.
 *
 * @example
 * const code = await runTail(opened, { format: 'json', filter: null, write: (s) => process.stdout.write(s), warn: (s) => process.stderr.write(s) });
 */
export function runTail(opened: OpenedSource, options: TailOptions): Promise<number> {
  const { tree } = opened;
  const now = options.now ?? (() => performance.now());
  const plain = options.format === 'plain';
  const ownsFields = plain && options.fields === undefined;
  const fields = plain ? (options.fields ?? fieldsCacheOf(opened, { publishIntervalMs: 0 })) : undefined;
  // The data's clock (a replay's: the recording's), for "resynced" in what is said on stderr.
  const wallClock = clockOf(opened);
  const lookup = fields === undefined ? undefined : (uri: string) => fields.fields(uri);
  /** Connection news on stderr; a close reason or a listing failure is the server's text, shown as the view shows it. */
  const say = (text: string) => options.warn(`events: ${printable(text)}\n`);
  return new Promise<number>((resolve) => {
    /** Events taken (the count's), and lines written. */
    let taken = 0;
    let written = 0;
    let done = false;
    /** No more events will come (the replay ended): finish once the waiting lines are out. */
    let draining = false;
    /** A replay played to its end: its final close (a fatal one, so that the client stops) is no failure. */
    let sourceEnded = false;
    const queue: PendingLine[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Old states from the events, else the tree's; forgotten when the tree re-lists after a gap.
    const states = createTreeStateTracker(tree);
    const tracker = states.tracker;

    /** Whether reading waits for the output to drain. */
    let held = false;
    /** Reading was paused for the output since the link was last live: a resync then is news. */
    let pausedForOutput = false;
    const output = (text: string) => {
      const accepted = options.write(text);
      written++;
      const { flow } = opened;
      if (accepted !== false || held || flow === undefined || options.onDrain === undefined) return;
      held = true;
      pausedForOutput = true;
      flow.pause();
      options.onDrain(() => {
        held = false;
        if (!done) flow.resume();
      });
    };
    // A name is the server's text (a Docker stack's is a label's value): its control characters are
    // shown as �, so that a line stays one line and nothing reaches the terminal as an escape.
    const write = (line: PendingLine) => output(`${printable(formatEventPlain(line.event, line.previous, tree.getSnapshot().tree, lookup, line.names))}\n`);
    /** Whether every name the line waits for has come (or failed); a request dropped from the cache's queue is asked again. */
    const settled = (line: PendingLine) =>
      line.waits.every((uri) => {
        const entry = fields?.get(uri);
        if (entry === undefined) fields?.request(uri);
        return entry !== undefined && entry.status !== 'pending';
      });
    /** Writes the lines at the head that are ready (or waited long enough); all of them when `force`. */
    const flush = (force = false) => {
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      while (queue.length > 0) {
        const head = queue[0] as PendingLine;
        const wait = head.deadline - now();
        if (!force && wait > 0 && !settled(head)) {
          timer = setTimeout(() => flush(), wait);
          return;
        }
        queue.shift();
        write(head);
      }
      if (done) return;
      if (options.count !== undefined && written >= options.count) finish(ExitCode.ok);
      else if (draining) finish(ExitCode.ok);
    };
    const offFields = fields?.subscribe(() => flush()) ?? (() => {});
    const finish = (code: number) => {
      if (done) return;
      done = true;
      flush(true); // what came before the end is written, with ids for names still missing
      offEvent();
      offTree();
      offFields();
      states.close();
      if (ownsFields) fields?.close();
      options.signal?.removeEventListener('abort', onAbort);
      resolve(code);
    };
    const offEvent = tree.onEvent((event) => {
      if (done) return;
      const previous = tracker.advance(event);
      if (options.filter !== null && !matchesFilter(options.filter, event)) return;
      if (options.count !== undefined && taken >= options.count) return;
      taken++;
      if (!plain || fields === undefined) {
        output(`${formatEventJson(event)}\n`);
        if (options.count !== undefined && written >= options.count) finish(ExitCode.ok);
        return;
      }
      // Names as the tree has them now (a deleted object is still there: the tree tells its
      // listeners first); what it cannot name is fetched.
      const snapshot = tree.getSnapshot().tree;
      const names = new Map<string, string>();
      const waits: string[] = [];
      for (const uri of [event.resource_uri, ...event.parents]) {
        const name = knownName(uri, snapshot, lookup);
        if (name !== null) names.set(uri, name);
        else if (!waits.includes(uri)) {
          fields.request(uri);
          waits.push(uri);
        }
      }
      queue.push({ event, previous, names, waits, deadline: now() + NAME_WAIT_MS });
      flush();
    });
    /**
     * The link as news goes: its phase, with a live link that is still listing apart from one
     * that is done (a reconnect that re-lists ends when the listing does, not when the socket opens).
     */
    const linkOf = (snapshot: LiveTreeSnapshot) => (snapshot.connection.phase === 'live' && snapshot.sync.status === 'listing' ? 'listing' : snapshot.connection.phase);
    let lastLink: ReturnType<typeof linkOf> | null = null;
    let lastAttempt = 0;
    /** Something was said of a lost connection: its return (and its re-list) is news too. The first connection is not. */
    let lost = false;
    let listingFailure: string | null = null;
    /** The last re-list: one after a pause for the output (no lost connection to tell of) is news too. */
    let lastResync = tree.getSnapshot().lastResync;
    const onTree = () => {
      if (done) return;
      const snapshot = tree.getSnapshot();
      const { connection, sync } = snapshot;
      // Without the REST lists, lines name objects by id: say why, once per new reason, and when it recovers.
      const failure = sync.status === 'listing' ? (sync.failure?.message ?? null) : null;
      if (failure !== null && failure !== listingFailure) say(`cannot list objects, so lines show ids until it works: ${failure} · retrying`);
      else if (failure === null && listingFailure !== null && sync.status !== 'listing') say('objects listed');
      if (failure !== null || sync.status !== 'listing') listingFailure = failure;
      // Each failed attempt is news (the phase stays `reconnecting` from one to the next): a
      // server that stays away shows as attempts counting up, not one line and then silence.
      const link = linkOf(snapshot);
      if (snapshot.lastResync !== lastResync) {
        lastResync = snapshot.lastResync;
        if (pausedForOutput && !lost && link === 'live' && lastResync !== null) {
          pausedForOutput = false;
          say(`${describeLink(snapshot, { wall: wallClock(), monotonic: performance.now() }).text} · the stream could not be resumed, so lines of what changed meanwhile are missing`);
        }
      }
      // Resumed: nothing was missed. Any other way back re-lists, and the resync above says so.
      if (link === 'live' && !held && snapshot.connection.outcome === 'resumed') pausedForOutput = false;
      const nextAttempt = connection.phase === 'reconnecting' && connection.retryAt !== null && connection.attempt !== lastAttempt;
      if (link === lastLink && !nextAttempt) return;
      lastLink = link;
      lastAttempt = connection.phase === 'reconnecting' ? connection.attempt : 0;
      const text = () => describeLink(snapshot, { wall: wallClock(), monotonic: performance.now() }).text;
      switch (link) {
        case 'stopped':
          if (sourceEnded) return;
          if (connection.stopReason === 'auth' || connection.stopReason === 'fatal') {
            say(text());
            // A replay shows a recorded refusal as it went, and ends there: normally, as nothing refused the replay.
            finish(opened.replay === true ? ExitCode.ok : exitCodeOfStop(connection));
          }
          // 'stop': the replay ended or we closed it; `ended` or the signal finishes.
          return;
        case 'connecting':
        case 'idle':
          return;
        case 'listing':
        case 'live':
          // The first connection and its listing are not news; getting a lost one back is, until it is done.
          if (!lost) return;
          if (link === 'live') lost = false;
          say(text());
          return;
        case 'reconnecting':
          // The connection that ends a pause for the output is no lost one; a retry after it fails is.
          if (pausedForOutput && !lost && connection.retryAt === null) return;
          lost = true;
          say(text());
          return;
        case 'offline':
          lost = true;
          say(text());
          return;
      }
    };
    const offTree = tree.subscribe(onTree);
    const onAbort = () => finish(ExitCode.ok);
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort);
    // The connection may have stopped already, in the turn the tree was made (a header no socket
    // can send): no publish would come to say so.
    onTree();
    // A replay's end: let the last lines out first (those waiting for names, as long as they wait).
    opened.ended.then(() => {
      sourceEnded = true;
      setImmediate(() => {
        draining = true;
        flush();
      });
    });
  });
}
