import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunOptions } from './cli-options.js';
import { fieldsCacheOf, openSource } from './open-source.js';
import { parseRecording, recordingStart } from './recording.js';

const EVENTS = 40;

/** Waits, up to a second, for the log's next publishes (it publishes at most every 100 ms). */
async function settled(read: () => number): Promise<number> {
  let last = read();
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = read();
    if (now === last && i >= 5) return now;
    last = now;
  }
  return last;
}

/** The event frames of a recording (not hello, position, ... frames). */
function eventFrames(text: string): number {
  let n = 0;
  for (const step of parseRecording(text, 'test').steps) {
    if (step.kind !== 'frame') continue;
    const frame = JSON.parse(step.text) as { resource_uri?: unknown };
    if (typeof frame.resource_uri === 'string') n++;
  }
  return n;
}

describe('openSource', () => {
  let dir: string;
  let file: string;
  let recorded: number;
  /** A service the recorded session fetched with a GET, as the live view does for what it shows. */
  let fetchedUri: string;

  beforeAll(async () => {
    // A short demo session recorded through the same port a user's --record uses.
    dir = mkdtempSync(join(tmpdir(), 'events-open-source-'));
    file = join(dir, 'demo.ndjson');
    const lines: string[] = [];
    const opened = await openSource({ command: 'tail', source: { kind: 'demo', seed: 7, rate: 400 }, filter: null, format: 'json' }, { record: (line) => lines.push(line) });
    expect(opened.eventLog).toBeUndefined(); // tail follows the tree itself
    await new Promise<void>((resolve) => {
      let seen = 0;
      const off = opened.tree.onEvent(() => {
        if (++seen < EVENTS) return;
        off();
        resolve();
      });
    });
    expect(opened.clock).toBe(Date.now); // a live source's data is of now
    // Events can come before the lists are in (and published): wait for those, as a view would.
    for (let i = 0; i < 200 && opened.tree.getSnapshot().tree.ofType('service').length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    const service = opened.tree.getSnapshot().tree.ofType('service')[0];
    if (service === undefined) throw new Error('no service listed');
    fetchedUri = service.resource_uri;
    await opened.tree.fetchObject(fetchedUri);
    await opened.close();
    const text = `${lines.join('\n')}\n`;
    writeFileSync(file, text);
    recorded = eventFrames(text);
    expect(recorded).toBeGreaterThanOrEqual(EVENTS);
  }, 20_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives watch an event log attached before the first event: a replay nobody looked at while it played is logged and counted whole', async () => {
    const options: RunOptions = { command: 'watch', source: { kind: 'replay', file, speed: 0 }, filter: null, format: 'json' };
    const opened = await openSource(options);
    const log = opened.eventLog;
    if (log === undefined) throw new Error('watch got no event log');
    expect(opened.types).toBeNull(); // every type: the view opens on stacks
    // As the view does when it has loaded (late): nothing attached until the replay is over.
    await opened.ended;
    const total = await settled(() => log.getSnapshot().total);
    const { events } = log.getSnapshot();
    expect(total).toBe(recorded);
    expect(events).toHaveLength(recorded);
    expect(total).toBeGreaterThanOrEqual(opened.tree.getSnapshot().eventsApplied);
    expect(opened.tree.getSnapshot().eventsApplied).toBeGreaterThan(0);
    await opened.close();
    // Closed with the source: no timer left, nothing more logged.
    expect(log.getSnapshot().total).toBe(recorded);
  });

  it('replays as fast as it can in the recorded order: an event recorded after the REST lists arrives after them', async () => {
    const recording = parseRecording(readFileSync(file, 'utf8'), 'test');
    const listedAt = Math.max(...recording.steps.filter((s) => s.kind === 'http' && /\/(stack|service|container|nodecluster|node|action)\/\?/.test(s.url)).map((s) => s.t));
    const afterLists = new Set<string>();
    for (const step of recording.steps) {
      if (step.kind !== 'frame' || step.t <= listedAt) continue;
      const uuid = (JSON.parse(step.text) as { uuid?: unknown }).uuid;
      if (typeof uuid === 'string') afterLists.add(uuid);
    }
    expect(afterLists.size).toBeGreaterThan(0);
    const opened = await openSource({ command: 'tail', source: { kind: 'replay', file, speed: 0 }, filter: null, format: 'json' });
    // Delivered while the tree still lists, an event it applies later finds no name for a deleted object.
    const early: string[] = [];
    const off = opened.tree.onEvent((event) => {
      if (afterLists.has(event.uuid) && opened.tree.getSnapshot().sync.status === 'listing') early.push(event.uuid);
    });
    await opened.ended;
    off();
    await opened.close();
    expect(early).toEqual([]);
  });

  it("narrows watch's log with the command line's filter", async () => {
    const options: RunOptions = { command: 'watch', source: { kind: 'replay', file, speed: 0 }, filter: { types: new Set(['container']), objects: null, parents: null }, format: 'json' };
    const opened = await openSource(options);
    expect(opened.title).toMatch(/ · only type=container$/); // the view says what it leaves out
    expect(opened.types).toEqual(new Set(['container'])); // and opens on the view that lists them
    await opened.ended;
    const read = () => opened.eventLog?.getSnapshot() ?? { total: 0, events: [] };
    const total = await settled(() => read().total);
    const { events } = read();
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(recorded);
    expect(events.every((e) => e.event.type === 'container')).toBe(true);
    await opened.close();
  });

  it('gives a replay its REST fields from the recording, dated by the recording, and sends no request a server would have to answer', async () => {
    const recording = parseRecording(readFileSync(file, 'utf8'), 'test');
    const start = recordingStart(recording.header);
    const end = start + Math.max(...recording.steps.map((step) => step.t));
    const gotAt = recording.steps.find((step) => step.kind === 'http' && step.url.includes(fetchedUri))?.t;
    expect(gotAt).toBeDefined();
    const opened = await openSource({ command: 'watch', source: { kind: 'replay', file, speed: 0 }, filter: null, format: 'json' });
    await opened.ended;
    const fetch = vi.spyOn(opened.tree, 'fetchObject');
    const fields = fieldsCacheOf(opened, { publishIntervalMs: 0 });
    // One clock: the cache's is the replay's, stopped at the recording's end.
    expect(fields.now()).toBe(end);
    expect(opened.clock?.()).toBe(end);
    // What the recorded session fetched: that GET's answer, as of when it was recorded.
    fields.request(fetchedUri);
    expect(fields.get(fetchedUri)).toMatchObject({ status: 'ok', at: start + (gotAt as number), fields: { resource_uri: fetchedUri } });
    expect(fields.get(fetchedUri)).not.toHaveProperty('listed');
    // What it only listed: the list's fields, as of the listing.
    const container = opened.tree.getSnapshot().tree.ofType('container').find((object) => object.fields !== null);
    if (container === undefined) throw new Error('no listed container');
    fields.request(container.resource_uri, 1_000);
    const listed = fields.get(container.resource_uri);
    expect(listed).toMatchObject({ status: 'ok', listed: true, fields: { resource_uri: container.resource_uri } });
    expect(listed?.at).toBeGreaterThanOrEqual(start);
    expect(listed?.at).toBeLessThanOrEqual(end);
    // What the recording never saw: said so, calmly; not a failed GET.
    const unseen = '/api/app/v1/demo/container/00000000-0000-4000-8000-000000000000/';
    fields.request(unseen);
    expect(fields.get(unseen)).toEqual({ status: 'unavailable', at: end, reason: 'not in the recording' });
    expect(fetch).not.toHaveBeenCalled();
    fields.close();
    await opened.close();
  });
});

describe('openSource: a replay', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'events-open-source-slow-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A session whose server sent a heartbeat every 20 ms: its client took 50 ms of silence for a dead socket. */
  function quickHeartbeatRecording(): string {
    const host = 'http://127.0.0.1:8080';
    const event = (seq: number) =>
      JSON.stringify({
        type: 'stack',
        action: 'update',
        parents: [],
        resource_uri: '/api/app/v1/demo/stack/5a000000-0000-4000-8000-000000000001/',
        state: seq % 2 === 0 ? 'Running' : 'Stopped',
        uuid: `00000000-0000-4000-8000-00000000000${seq}`,
        datetime: '2026-11-27T09:00:01Z',
        position: { epoch: 'E', seq },
      });
    const list = (t: number, path: string) => ({
      t,
      kind: 'http',
      method: 'GET',
      url: `${host}${path}?limit=1000`,
      status: 200,
      headers: { 'content-type': 'application/json', 'x-events-position': 'E:0' },
      body: JSON.stringify({ meta: { limit: 1000, next: null, offset: 0, previous: null, total_count: 0 }, objects: [] }),
    });
    const lines = [
      { recording: 'events', version: 2, startedAt: '2026-11-27T09:00:00.000Z', streamHost: 'ws://127.0.0.1:8080/', restHost: `${host}/` },
      { t: 0, kind: 'connect', socket: 1, url: 'ws://127.0.0.1:8080/api/audit/v1/events/', protocols: ['events.resume.v1'] },
      { t: 1, kind: 'open', socket: 1, protocol: 'events.resume.v1' },
      { t: 2, kind: 'frame', socket: 1, text: JSON.stringify({ type: 'hello', resume: 'fresh', position: { epoch: 'E', seq: 0 }, heartbeatMs: 20 }) },
      ...['/api/infra/v1/nodecluster/', '/api/infra/v1/node/', '/api/app/v1/stack/', '/api/app/v1/service/', '/api/app/v1/container/', '/api/audit/v1/action/'].map((path, i) => list(3 + i, path)),
      // Never a silence of 50 ms, as recorded.
      { t: 40, kind: 'frame', socket: 1, text: event(1) },
      { t: 80, kind: 'frame', socket: 1, text: event(2) },
      { t: 120, kind: 'frame', socket: 1, text: event(3) },
    ];
    return `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
  }

  it('plays a slow replay to its end: the client takes no recorded silence, however stretched, for a dead socket', async () => {
    const file = join(dir, 'heartbeat.ndjson');
    writeFileSync(file, quickHeartbeatRecording());
    // At a tenth of the speed, 40 ms between two frames is 400 ms: eight heartbeats' worth of silence.
    const opened = await openSource({ command: 'tail', source: { kind: 'replay', file, speed: 0.1 }, filter: null, format: 'json' });
    const seen: number[] = [];
    const phases = new Set<string>();
    const off = opened.tree.onEvent((event) => seen.push(Number(event.uuid.slice(-1))));
    const offTree = opened.tree.subscribe(() => phases.add(opened.tree.getSnapshot().connection.phase));
    await opened.ended;
    off();
    offTree();
    await opened.close();
    expect(seen).toEqual([1, 2, 3]);
    expect(phases.has('reconnecting')).toBe(false);
  }, 10_000);
});
