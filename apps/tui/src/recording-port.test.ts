import { authorizationHeader, type LiveTree, type LiveTreeHandle, OBJECT_TYPES, type SocketHandlers, type StreamPort } from '@events/core';
import { createEventsServer, createSimulatedCloud, type EventsServer, silentLogger } from '@events/server';
import { createNodePort } from '@events/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLiveTree } from './connect-live-tree.js';
import { parseRecording, type Recording } from './recording.js';
import { createRecordingPort } from './recording-port.js';
import { createReplayPort, END_OF_RECORDING, type ReplayPort } from './replay-port.js';

const user = { username: 'rita', apikey: 'recording-port-key-7f3a' };

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every object of the tree: type, uri → state and parents. */
function contents(tree: LiveTree): Record<string, Record<string, string>> {
  const { tree: store } = tree.getSnapshot();
  const out: Record<string, Record<string, string>> = {};
  for (const type of OBJECT_TYPES) {
    out[type] = Object.fromEntries(store.ofType(type).map((object) => [object.resource_uri, `${object.state} ${object.parents.join(',')}`]));
  }
  return out;
}

/** A port that stops passing frames on once frozen: the session ends, for the tree and the recorder alike, at one point. */
function freezable(inner: StreamPort): { port: StreamPort; freeze(): void } {
  let frozen = false;
  return {
    freeze: () => {
      frozen = true;
    },
    port: {
      ...inner,
      openSocket: (request, handlers) =>
        inner.openSocket(request, {
          ...handlers,
          onMessage: (text) => (frozen ? undefined : handlers.onMessage(text)),
        } satisfies SocketHandlers),
    },
  };
}

interface Recorded {
  readonly text: string;
  readonly recording: Recording;
  readonly contents: Record<string, Record<string, string>>;
  readonly uuids: readonly string[];
  readonly durationMs: number;
}

function replay(recording: Recording, speed: number): { tree: LiveTreeHandle; uuids: string[]; ended: Promise<void>; port: ReplayPort } {
  const port = createReplayPort(recording, { speed });
  const { header } = recording;
  const tree = connectLiveTree({ streamHost: header.streamHost, restHost: header.restHost, authorization: 'Replay' }, port);
  const uuids: string[] = [];
  tree.onEvent((event) => uuids.push(event.uuid));
  return { tree, uuids, ended: port.ended, port };
}

describe('recording and replay at the port', () => {
  let server: EventsServer;
  let recorded: Recorded;

  beforeAll(async () => {
    server = await createEventsServer({ source: createSimulatedCloud({ seed: 11, rate: 60, namespaces: [user.username] }), users: [user], host: '127.0.0.1', port: 0, logger: silentLogger });
    // A real session over the Node port: listed, live, reconnected (resumed), live again.
    const lines: string[] = [];
    const gate = freezable(createNodePort());
    const streamHost = `${server.url.replace(/^http/, 'ws')}/`;
    const restHost = `${server.url}/`;
    const port = createRecordingPort(gate.port, (line) => lines.push(line), Date.now, { streamHost, restHost });
    const tree = connectLiveTree({ streamHost, restHost, credentials: user, authorization: authorizationHeader(user) }, port);
    const uuids: string[] = [];
    tree.onEvent((event) => uuids.push(event.uuid));
    const live = () => tree.getSnapshot().sync.status === 'live' && tree.getSnapshot().connection.phase === 'live';
    await until(() => live() && uuids.length >= 15, 'a first live stretch');
    tree.reconnect();
    await until(() => uuids.length >= 25, 'events after the reconnect');
    await until(() => live() && uuids.length >= 40, 'a second live stretch');
    gate.freeze();
    await new Promise((resolve) => setTimeout(resolve, 250)); // the last publish
    const text = `${lines.join('\n')}\n`;
    const recording = parseRecording(text);
    recorded = { text, recording, contents: contents(tree), uuids: [...uuids], durationMs: recording.steps.at(-1)?.t ?? 0 };
    await tree.close();
  }, 30_000);

  afterAll(async () => {
    await server.close();
  });

  it('writes a header, two socket sessions, the frames and the REST answers, and no credentials', () => {
    const { recording, text } = recorded;
    expect(recording.header).toMatchObject({ recording: 'events', version: 2, streamHost: `${server.url.replace(/^http/, 'ws')}/` });
    expect(recording.steps.filter((step) => step.kind === 'connect')).toHaveLength(2);
    expect(Object.values(recorded.contents.container ?? {}).length).toBeGreaterThan(0);
    expect(recording.steps.filter((step) => step.kind === 'frame').length).toBeGreaterThanOrEqual(recorded.uuids.length);
    const lists = recording.steps.filter((step) => step.kind === 'http');
    expect(lists.length).toBeGreaterThanOrEqual(OBJECT_TYPES.length);
    for (const list of lists) if ('status' in list) expect(Object.keys(list.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(text).not.toContain(user.apikey);
    expect(text).not.toContain('Basic ');
    expect(text).not.toContain(authorizationHeader(user).slice('Basic '.length));
    expect(text.toLowerCase()).not.toContain('authorization');
  });

  it('replays as fast as possible through core to the same tree and the same events', async () => {
    const started = performance.now();
    const { tree, uuids, ended } = replay(recorded.recording, 0);
    await ended;
    await until(() => tree.getSnapshot().connection.phase === 'stopped', 'the stop at the end of the recording');
    expect(performance.now() - started).toBeLessThan(recorded.durationMs + 5_000);
    expect(uuids).toEqual(recorded.uuids);
    expect(contents(tree)).toEqual(recorded.contents);
    const { connection } = tree.getSnapshot();
    expect(connection.lastClose).toMatchObject({ code: END_OF_RECORDING.code, reason: END_OF_RECORDING.reason });
    // Stopped for good: no reconnect follows the end.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(tree.getSnapshot().connection.phase).toBe('stopped');
    // Nothing but the recording answers: an operation fails clearly.
    const service = tree.getSnapshot().tree.ofType('service')[0];
    expect(service).toBeDefined();
    await expect(tree.operate(service?.resource_uri ?? '', 'stop')).rejects.toThrow(/not in the recording/);
    await tree.close();
  });

  it("dates a replay by the recording's clock: data as of the recording's end, a clock that stops there", async () => {
    // Recorded two days and a bit ago, as far as the replay can tell.
    const startedAt = Date.parse(recorded.recording.header.startedAt) - 2 * 86_400_000 - 3_600_000;
    const recording: Recording = { ...recorded.recording, header: { ...recorded.recording.header, startedAt: new Date(startedAt).toISOString() } };
    const end = startedAt + Math.max(...recording.steps.map((step) => step.t));
    const { tree, ended, port } = replay(recording, 4);
    const seen: number[] = [];
    const sample = setInterval(() => seen.push(port.recordedTime()), 5);
    await ended;
    await until(() => tree.getSnapshot().connection.phase === 'stopped', 'the stop at the end of the recording');
    clearInterval(sample);
    // While it played: the recording's times, in order, never past its end.
    expect(seen.length).toBeGreaterThan(3);
    for (const [i, t] of seen.entries()) {
      expect(t).toBeGreaterThanOrEqual(startedAt);
      expect(t).toBeLessThanOrEqual(end);
      if (i > 0) expect(t).toBeGreaterThanOrEqual(seen[i - 1] as number);
    }
    // The tree's "as of" is the recording's end, and so is the clock, from then on.
    const { sync } = tree.getSnapshot();
    expect(sync).toEqual({ status: 'stale', since: end });
    expect(port.recordedTime()).toBe(end);
    expect(port.wallClock()).toBe(end);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(port.recordedTime()).toBe(end);
    await tree.close();
  });

  it('replays at a given speed at the recorded pace, to the same result', async () => {
    const speed = 4;
    const started = performance.now();
    const { tree, uuids, ended } = replay(recorded.recording, speed);
    await ended;
    await until(() => tree.getSnapshot().connection.phase === 'stopped', 'the stop at the end of the recording');
    // Frames wait for their time: a replay can be late (reconnect back-off), never early.
    const sockets = recorded.recording.steps.filter((step) => step.kind !== 'http');
    const first = sockets.find((step) => step.kind === 'connect' && step.socket === 1)?.t ?? 0;
    const lastOfFirst = sockets.filter((step) => step.socket === 1 && step.kind === 'frame').at(-1)?.t ?? 0;
    expect(performance.now() - started).toBeGreaterThanOrEqual(((lastOfFirst - first) / speed) * 0.9);
    expect(uuids).toEqual(recorded.uuids);
    expect(contents(tree)).toEqual(recorded.contents);
    await tree.close();
  });
});
