import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { authorizationHeader, EventsError, type EventFilter, type LiveTree, type LiveTreeHandle, MAX_TIMER_MS, type ObjectType, type StreamPort } from '@events/core';
import { createNodePort } from '@events/transport-node';
import type { RunOptions } from './cli-options.js';
import { type ConnectOptions, connectLiveTree } from './connect-live-tree.js';
import { createEventLog, type EventLog } from './event-log.js';
import { createFieldsCache, type FieldsCache, type StoredFields } from './fields-cache.js';
import { createRecordedFields } from './recorded-fields.js';
import { parseRecording, recordFilter, replayFilter } from './recording.js';
import { createRecordingPort } from './recording-port.js';
import { createReplayPort } from './replay-port.js';

/** A LiveTree ready to watch, with what the header calls it and how to let it go. */
export interface OpenedSource {
  readonly tree: LiveTree;
  /** For the header: `demo@127.0.0.1:41234`, `acme@ws.example.com`, `replay of s.ndjson ×2`. */
  readonly title: string;
  /** A first message for the status line (the demo says how to point other clients at it). */
  readonly notice?: string;
  /** Resolves when a replay has played to its end; never for a live source. */
  readonly ended: Promise<void>;
  /**
   * Reading the stream, paused while the output backs up (`tail` into a slow pipe): on a server
   * that resumes, the events wait there meanwhile. Absent for a replay, which keeps its own pace.
   */
  readonly flow?: { pause(): void; resume(): void };
  /** A recording played back, not a connection: the header says `replaying`, not `live`. */
  readonly replay?: boolean;
  /**
   * The time the data is of, for ages, "as of" and the times of fetched fields: Date.now for a
   * live source, a replay's recorded time (it stops at the recording's end). openSource always
   * sets it; absent (a source made by hand): Date.now. See clockOf.
   */
  readonly clock?: () => number;
  /**
   * A replay's REST fields of an object, from the recording as of the replay's clock (see
   * createRecordedFields): what a replay shows in place of a GET, which only a server could
   * answer. Absent for a live source.
   */
  readonly recordedFields?: (uri: string) => StoredFields;
  /**
   * The object types the view is about (`--type`, and for a replay the recorded `--type` too);
   * null or absent: every type. The view opens on the one that shows them.
   */
  readonly types?: ReadonlySet<ObjectType> | null;
  /**
   * For `watch`: the events pane's log, attached to the tree (with the command line's filter) as
   * soon as the tree was made, before anything could deliver an event, so that every event the
   * tree applies is logged and counted, also those that arrive while the view loads. close()
   * closes it. Absent for `tail`, which follows the tree itself.
   */
  readonly eventLog?: EventLog;
  /** Closes the tree (and the demo server, the event log). */
  close(): Promise<void>;
}

const never = new Promise<void>(() => {});

/**
 * A replay's client never gives a socket up on its own: the recording says when each ended. Its
 * silence timeouts, on real time, would take a recorded quiet spell played slowly (5 s at ×0.05
 * is 100 s) for a dead socket and reconnect, which a replay answers with the end of the recording.
 */
const REPLAY_POLICY = { idleTimeoutMs: null, heartbeatFactor: MAX_TIMER_MS, connectTimeoutMs: MAX_TIMER_MS } as const;

/**
 * The one clock of a source's view: its `clock`, else Date.now.
 *
 * @example
 * formatAge(clockOf(opened)() - since)
 */
export function clockOf(opened: Pick<OpenedSource, 'clock'>): () => number {
  return opened.clock ?? Date.now;
}

/**
 * The fields cache a view of the source reads names and details from: on the source's clock,
 * fetching over the tree's REST, or for a replay reading the recording and sending nothing.
 *
 * @example
 * const fields = fieldsCacheOf(opened);
 * render(<App tree={opened.tree} fields={fields} now={fields.now} … />);
 */
export function fieldsCacheOf(opened: Pick<OpenedSource, 'tree' | 'clock' | 'recordedFields'>, options: { readonly publishIntervalMs?: number } = {}): FieldsCache {
  const { tree, recordedFields } = opened;
  return createFieldsCache({
    fetch: (uri) => tree.fetchObject(uri),
    now: clockOf(opened),
    ...(recordedFields !== undefined ? { lookup: recordedFields } : {}),
    ...(options.publishIntervalMs !== undefined ? { publishIntervalMs: options.publishIntervalMs } : {}),
  });
}

function hostOf(url: string): string {
  return url.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
}

export interface OpenSourceOptions {
  /** --record: every line of the recording (without the newline), from the header on. */
  readonly record?: (line: string) => void;
}

/** The Node port, wrapped by a recorder when the session is recorded. */
function networkPort(connect: ConnectOptions, record: ((line: string) => void) | undefined): StreamPort {
  const port = createNodePort();
  if (record === undefined) return port;
  return createRecordingPort(port, record, Date.now, {
    streamHost: connect.streamHost,
    restHost: connect.restHost,
    ...(connect.namespace !== undefined ? { namespace: connect.namespace } : {}),
    ...(connect.filter !== undefined ? { filter: recordFilter(connect.filter) } : {}),
  });
}

function connect(options: ConnectOptions, record: ((line: string) => void) | undefined): LiveTreeHandle {
  return connectLiveTree(options, networkPort(options, record));
}

/**
 * The command line's filter for the title, so that a view that shows only some types says so
 * (` · only type=container parent=stack/9a2e`); empty without one.
 */
function describeFilter(filter: EventFilter | null): string {
  if (filter === null) return '';
  const objects = (uris: ReadonlySet<string>) => [...uris].map((uri) => uri.split('/').filter((part) => part !== '').slice(-2).join('/')).join(',');
  const parts: string[] = [];
  if (filter.types !== null) parts.push(`type=${[...filter.types].join(',')}`);
  if (filter.objects !== null) parts.push(`object=${objects(filter.objects)}`);
  if (filter.parents !== null) parts.push(`parent=${objects(filter.parents)}`);
  return parts.length === 0 ? '' : ` · only ${parts.join(' ')}`;
}

/**
 * The types a view is about: those both filters let through (a replay holds what the recording
 * asked for, and the command line may narrow it further); null when neither names any.
 */
function typesOf(...filters: readonly (EventFilter | null | undefined)[]): ReadonlySet<ObjectType> | null {
  let types: ReadonlySet<ObjectType> | null = null;
  for (const filter of filters) {
    const more = filter?.types ?? null;
    if (more === null) continue;
    const both: ReadonlySet<ObjectType> = types === null ? more : new Set([...types].filter((type) => more.has(type)));
    // Filters that have no type in common: the tree holds what the first lets through.
    if (both.size > 0) types = both;
  }
  return types;
}

/**
 * The event log a watch needs, attached now: call it in the same turn as the tree is made (a
 * tree delivers events from a later turn at the earliest, when its port has answered).
 */
function eventLogFor(options: RunOptions, tree: LiveTree): EventLog | undefined {
  if (options.command !== 'watch') return undefined;
  const log = createEventLog();
  // The tree holds every object; the filter narrows the events pane (a remote tree is filtered at the server anyway).
  log.attach(tree, { filter: options.filter });
  return log;
}

/**
 * Opens the source the options name: the embedded demo server or a real server through the
 * network transport (connectLiveTree), or a recording played back through the same client over
 * a replay port.
 *
 * @throws EventsError `invalid-config` for an unreadable recording or a missing transport
 */
export async function openSource(options: RunOptions, extra: OpenSourceOptions = {}): Promise<OpenedSource> {
  const source = options.source;
  switch (source.kind) {
    case 'demo': {
      // Loaded only for --demo: the server and its simulator are no part of watching a real one.
      const { startDemoServer } = await import('./demo-server.js');
      const demo = await startDemoServer({ rate: source.rate, ...(source.seed !== undefined ? { seed: source.seed } : {}) });
      // Over the network like any other server, so the demo shows the real client at work
      // (reconnects included); createInProcessLiveTree is the socket-free variant for tests.
      const credentials = { username: demo.username, apikey: demo.apikey };
      let tree: LiveTreeHandle;
      let eventLog: EventLog | undefined;
      try {
        tree = connect(
          {
            streamHost: `${demo.url.replace(/^http/, 'ws')}/`,
            restHost: `${demo.url}/`,
            credentials,
            authorization: authorizationHeader(credentials),
            ...(options.filter !== null ? { filter: options.filter } : {}),
          },
          extra.record,
        );
        eventLog = eventLogFor(options, tree);
      } catch (error) {
        await demo.close();
        throw error;
      }
      return {
        tree,
        title: `demo ${demo.username}@${hostOf(demo.url)} · seed ${demo.seed}${describeFilter(options.filter)}`,
        types: typesOf(options.filter),
        notice: `demo server ${demo.url}/ · DOCKERCLOUD_USER=${demo.username} DOCKERCLOUD_APIKEY=${demo.apikey}`,
        ended: never,
        clock: Date.now,
        flow: tree.stream,
        ...(eventLog !== undefined ? { eventLog } : {}),
        async close() {
          eventLog?.close();
          await tree.close();
          await demo.close();
        },
      };
    }
    case 'replay': {
      let text: string;
      try {
        text = await readFile(source.file, 'utf8');
      } catch (error) {
        // A file past V8's largest string (~512 MiB) fails with "Invalid string length".
        const why = error instanceof RangeError ? 'too large to replay (a recording is read whole, and this one is over 500 MB)' : (error as Error).message;
        throw new EventsError('invalid-config', `cannot read ${source.file}: ${why}`, { cause: error });
      }
      const recording = parseRecording(text, source.file);
      const { header } = recording;
      const port = createReplayPort(recording, { speed: source.speed });
      // The recorded client's options; the credentials were never recorded, nor are they needed.
      const filter: EventFilter | undefined = header.filter !== undefined ? replayFilter(header.filter) : undefined;
      const tree = connectLiveTree(
        {
          streamHost: header.streamHost,
          restHost: header.restHost,
          authorization: 'Replay',
          ...(header.namespace !== undefined ? { namespace: header.namespace } : {}),
          ...(filter !== undefined ? { filter } : {}),
          policy: REPLAY_POLICY,
        },
        port,
      );
      const eventLog = eventLogFor(options, tree);
      const fieldsAt = createRecordedFields(recording);
      return {
        tree,
        title: `replay of ${basename(source.file)} ×${source.speed === 0 ? '∞' : source.speed} (recorded ${header.startedAt.slice(0, 19).replace('T', ' ')})${describeFilter(options.filter)}`,
        ended: port.ended,
        replay: true,
        clock: port.recordedTime,
        recordedFields: (uri) => fieldsAt(uri, port.recordedTime()),
        types: typesOf(filter, options.filter),
        ...(eventLog !== undefined ? { eventLog } : {}),
        close: () => {
          eventLog?.close();
          return tree.close();
        },
      };
    }
    case 'remote': {
      const tree = connect(
        {
          streamHost: source.streamHost,
          restHost: source.restHost,
          authorization: source.authorization,
          ...(source.namespace !== undefined ? { namespace: source.namespace } : {}),
          ...(source.credentials !== undefined ? { credentials: source.credentials } : {}),
          ...(options.filter !== null ? { filter: options.filter } : {}),
        },
        extra.record,
      );
      const eventLog = eventLogFor(options, tree);
      // user@host as in a shell prompt, then the namespace when it is not the user's own.
      const user = source.credentials?.username ?? 'events';
      const namespace = source.namespace !== undefined && source.namespace !== user ? ` · namespace ${source.namespace}` : '';
      return {
        tree,
        title: `${user}@${hostOf(source.streamHost)}${namespace}${describeFilter(options.filter)}`,
        types: typesOf(options.filter),
        ended: never,
        clock: Date.now,
        flow: tree.stream,
        ...(eventLog !== undefined ? { eventLog } : {}),
        close: () => {
          eventLog?.close();
          return tree.close();
        },
      };
    }
  }
}
