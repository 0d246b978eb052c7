import {
  type DockerCloudEvent,
  EventsError,
  formatEventDatetime,
  type LiveTree,
  OBJECT_TYPES,
  type ObjectType,
  parseEvent,
  type SeedLists,
  type StoredObject,
  typeOfUri,
} from '@events/core';
import { createLocalLiveTree, LIVE_CONNECTION, type LocalLiveTree } from './local-live-tree.js';

/**
 * A recording is NDJSON: a header line, then `snapshot` lines (the whole tree, written when the
 * view first goes live and after every resync) and `event` lines, each with `t`, the
 * milliseconds since the recording started.
 *
 * ```
 * {"recording":"events","version":1,"startedAt":"2026-11-27T09:01:33.000Z"}
 * {"t":12,"snapshot":[{"type":"stack","resource_uri":"...","state":"Running","parents":[],"fields":{...}}, ...]}
 * {"t":530,"event":{"type":"container","action":"update",...}}
 * ```
 */
export type RecordingLine =
  | { readonly recording: 'events'; readonly version: 1; readonly startedAt: string }
  | { readonly t: number; readonly snapshot: readonly RecordedObject[] }
  | { readonly t: number; readonly event: DockerCloudEvent };

/** An object as a snapshot line keeps it. */
export interface RecordedObject {
  readonly type: ObjectType;
  readonly resource_uri: string;
  readonly state: string;
  readonly parents: readonly string[];
  readonly fields: Readonly<Record<string, unknown>> | null;
  readonly lastEventDatetime?: string | null;
}

export interface Recorder {
  /** Stops recording (the writer is not closed: it belongs to the caller). */
  stop(): void;
}

function recordedObject(object: StoredObject): RecordedObject {
  return {
    type: object.type,
    resource_uri: object.resource_uri,
    state: object.state,
    parents: object.parents,
    fields: object.fields as Readonly<Record<string, unknown>> | null,
    lastEventDatetime: object.lastEventDatetime,
  };
}

/**
 * Records a LiveTree's session through `write` (one line per call, without the newline).
 *
 * @example
 * const out = fs.createWriteStream('session.ndjson');
 * const recorder = createRecorder(tree, (line) => out.write(`${line}\n`));
 */
export function createRecorder(tree: LiveTree, write: (line: string) => void, now: () => number = Date.now): Recorder {
  const start = now();
  write(JSON.stringify({ recording: 'events', version: 1, startedAt: new Date(start).toISOString() }));
  let lastSnapshotOf: unknown = null;
  const snapshot = () => {
    const live = tree.getSnapshot();
    if (live.sync.status !== 'live') return;
    // Once when the view first goes live, then once per resync.
    const marker = live.lastResync ?? 'first';
    if (marker === lastSnapshotOf) return;
    lastSnapshotOf = marker;
    const objects: RecordedObject[] = [];
    for (const type of OBJECT_TYPES) for (const object of live.tree.ofType(type)) objects.push(recordedObject(object));
    write(JSON.stringify({ t: now() - start, snapshot: objects }));
  };
  snapshot();
  const unsubscribe = tree.subscribe(snapshot);
  const off = tree.onEvent((event) => {
    write(JSON.stringify({ t: now() - start, event }));
  });
  return {
    stop() {
      unsubscribe();
      off();
    },
  };
}

/** A recording read back: its start and its timeline. */
export interface Recording {
  readonly startedAt: string;
  readonly lines: readonly (
    | { readonly t: number; readonly kind: 'snapshot'; readonly objects: readonly RecordedObject[] }
    | { readonly t: number; readonly kind: 'event'; readonly event: DockerCloudEvent }
  )[];
}

/**
 * Parses a recording, validating every event; errors name the line. A last line cut short (the
 * recorder was killed mid-write) is ignored.
 *
 * @throws EventsError `invalid-config` for a file that is not a recording
 */
export function parseRecording(text: string, name = 'recording'): Recording {
  const raw = text.split('\n');
  const fail = (line: number, why: string): never => {
    throw new EventsError('invalid-config', `${name}:${line}: ${why}`);
  };
  let header: { startedAt: string } | null = null;
  const lines: Recording['lines'][number][] = [];
  for (let i = 0; i < raw.length; i++) {
    const text = (raw[i] as string).trim();
    if (text === '') continue;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(text) as Record<string, unknown>;
    } catch {
      if (i >= raw.length - 2) break; // a truncated last line
      return fail(i + 1, 'not JSON');
    }
    if (header === null) {
      if (value.recording !== 'events' || value.version !== 1) return fail(i + 1, 'not an events recording (expected a {"recording":"events","version":1} header)');
      header = { startedAt: String(value.startedAt) };
      continue;
    }
    const t = value.t;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) return fail(i + 1, '"t" must be a number of milliseconds');
    if (Array.isArray(value.snapshot)) {
      const objects = value.snapshot as RecordedObject[];
      for (const object of objects) {
        if (typeof object?.resource_uri !== 'string' || typeOfUri(object.resource_uri) !== object.type || typeof object.state !== 'string') {
          return fail(i + 1, `bad object in snapshot: ${JSON.stringify(object).slice(0, 120)}`);
        }
      }
      lines.push({ t, kind: 'snapshot', objects });
    } else if (value.event !== undefined) {
      const event = parseEvent(value.event);
      if (!event.ok) return fail(i + 1, event.error.message);
      lines.push({ t, kind: 'event', event: event.value });
    } else {
      return fail(i + 1, 'expected a "snapshot" or an "event"');
    }
  }
  if (header === null) throw new EventsError('invalid-config', `${name}: empty, not a recording`);
  return { startedAt: header.startedAt, lines };
}

/**
 * Seeds a store from a snapshot line: objects with REST fields through seed() (with the state
 * they had, which may be newer than their fields), the others as events.
 */
function applySnapshot(tree: LocalLiveTree, objects: readonly RecordedObject[], datetime: string): void {
  const lists = new Map<ObjectType, Record<string, unknown>[]>(OBJECT_TYPES.map((type) => [type, []]));
  const bare: RecordedObject[] = [];
  for (const object of objects) {
    if (object.fields === null) bare.push(object);
    else lists.get(object.type)?.push({ ...object.fields, state: object.state });
  }
  tree.seed(Object.fromEntries(lists) as SeedLists);
  let n = 0;
  for (const object of bare) {
    tree.push({
      type: object.type,
      action: 'update',
      parents: object.parents,
      resource_uri: object.resource_uri,
      state: object.state as DockerCloudEvent['state'],
      uuid: `replay-seed-${++n}-${datetime}`,
      datetime: object.lastEventDatetime ?? datetime,
    });
  }
}

export interface ReplayOptions {
  /** 1 = as recorded, 2 = twice as fast, 0 = as fast as possible. */
  readonly speed: number;
  /** Called once the last line has played. */
  readonly onEnd?: () => void;
  readonly publishIntervalMs?: number;
}

/**
 * A LiveTree that plays a recording back: it never connects anywhere and refuses operations.
 *
 * @example
 * const tree = createReplayLiveTree(parseRecording(readFileSync(file, 'utf8')), { speed: 2 });
 */
export function createReplayLiveTree(recording: Recording, options: ReplayOptions): LocalLiveTree {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const tree = createLocalLiveTree({
    publishIntervalMs: options.publishIntervalMs ?? 100,
    operate: async () => Promise.reject(new EventsError('invalid-config', 'a replay is read-only')),
    fetchObject: async () => Promise.reject(new EventsError('invalid-config', 'a replay has no REST API: fields are as recorded')),
    onClose() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  });
  tree.setConnection(LIVE_CONNECTION);
  const started = Date.now();
  const base = Date.parse(recording.startedAt);
  let at = 0;
  const play = () => {
    timer = undefined;
    const elapsed = options.speed === 0 ? Number.POSITIVE_INFINITY : (Date.now() - started) * options.speed;
    let budget = 2_000; // lines per turn of the event loop, so that keys and frames get their turn
    while (!closed && at < recording.lines.length && budget-- > 0) {
      const line = recording.lines[at] as Recording['lines'][number];
      if (line.t > elapsed) break;
      at++;
      if (line.kind === 'snapshot') applySnapshot(tree, line.objects, formatEventDatetime((Number.isNaN(base) ? started : base) + line.t));
      else tree.push(line.event);
    }
    if (closed) return;
    if (at >= recording.lines.length) {
      tree.flush();
      tree.setConnection({ ...LIVE_CONNECTION, phase: 'stopped', status: 'stopped', stopReason: 'stop' });
      options.onEnd?.();
      return;
    }
    const next = recording.lines[at] as Recording['lines'][number];
    const wait = options.speed === 0 ? 0 : Math.max(0, (next.t - elapsed) / options.speed);
    timer = setTimeout(play, Math.min(wait, 1_000));
  };
  timer = setTimeout(play, 0);
  return tree;
}
