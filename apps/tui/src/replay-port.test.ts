import type { SocketHandlers } from '@events/core';
import { describe, expect, it } from 'vitest';
import type { RecordedStep, Recording } from './recording.js';
import { createReplayPort, END_OF_RECORDING } from './replay-port.js';

const HOST = 'http://127.0.0.1:8080';
const LIST = `${HOST}/api/app/v1/service/?limit=1000`;
const objectUrl = (i: number) => `${HOST}/api/app/v1/demo/container/c0000000-0000-4000-8000-${String(i).padStart(12, '0')}/`;

const answer = (t: number, url: string, body: unknown): RecordedStep => ({ t, kind: 'http', method: 'GET', url, status: 200, headers: {}, body: JSON.stringify(body) });
const frame = (t: number, n: number): RecordedStep => ({ t, kind: 'frame', socket: 1, text: `{"n":${n}}` });

function recording(steps: RecordedStep[]): Recording {
  const start: RecordedStep[] = [
    { t: 0, kind: 'connect', socket: 1, url: 'ws://127.0.0.1:8080/api/audit/v1/events/', protocols: [] },
    { t: 1, kind: 'open', socket: 1, protocol: null },
  ];
  return { header: { recording: 'events', version: 2, startedAt: '2026-11-27T09:00:00.000Z', streamHost: 'ws://127.0.0.1:8080/', restHost: `${HOST}/` }, steps: [...start, ...steps] };
}

/** Opens the one recorded socket; `frames` collects what it delivers, `closes` how it closed. */
function play(port: ReturnType<typeof createReplayPort>): { frames: string[]; closes: [number, string][] } {
  const frames: string[] = [];
  const closes: [number, string][] = [];
  const ignore = () => {};
  const handlers: SocketHandlers = {
    onOpen: ignore,
    onMessage: (text) => frames.push(text),
    onClose: (code, reason) => closes.push([code, reason]),
    onHandshakeFailed: ignore,
    onError: ignore,
    onPong: ignore,
    onSubprotocolRefused: ignore,
  };
  port.openSocket({ url: 'ws://127.0.0.1:8080/api/audit/v1/events/', protocols: [], headers: {}, pingIntervalMs: null }, handlers);
  return { frames, closes };
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

describe('createReplayPort', () => {
  it('holds a frame recorded after a list back until the client asks for that list, as it did live', async () => {
    const port = createReplayPort(recording([frame(5, 1), answer(10, LIST, { meta: { next: null }, objects: [] }), frame(20, 2)]), { speed: 0 });
    const { frames } = play(port);
    await turns(5);
    expect(frames).toEqual(['{"n":1}']);
    const response = await port.request({ method: 'GET', url: LIST, headers: {} });
    expect(response.status).toBe(200);
    await port.ended;
    expect(frames).toEqual(['{"n":1}', '{"n":2}']);
  });

  it("plays a server's close of the last socket as recorded (a refusal), and has played to its end", async () => {
    const refusal = '{"type":"error","data":{"errorMessage":"Invalid username/API key.","code":4001}}';
    const port = createReplayPort(recording([{ t: 2, kind: 'frame', socket: 1, text: refusal }, { t: 3, kind: 'close', socket: 1, code: 4001, reason: 'Invalid username/API key.' }]), { speed: 0 });
    const { frames, closes } = play(port);
    await port.ended;
    await turns(2);
    expect(frames).toEqual([refusal]);
    expect(closes).toEqual([[4001, 'Invalid username/API key.']]);
  });

  it("gives the recorder's own close at its exit way to the end of the recording", async () => {
    const port = createReplayPort(recording([frame(2, 1), { t: 3, kind: 'close', socket: 1, code: 1000, reason: 'stopped' }]), { speed: 0 });
    const { frames, closes } = play(port);
    await port.ended;
    await turns(2);
    expect(frames).toEqual(['{"n":1}']);
    expect(closes).toEqual([[END_OF_RECORDING.code, END_OF_RECORDING.reason]]);
  });

  it('does not hold frames back for GETs of one object, which only the recorded view asked for', async () => {
    // A session recorded by the live view: every event followed by the GET of a name it fetched.
    const steps: RecordedStep[] = [];
    for (let i = 0; i < 60; i++) steps.push(answer(10 + 2 * i, objectUrl(i), { resource_uri: `/api/app/v1/demo/container/${i}/` }), frame(11 + 2 * i, i));
    const port = createReplayPort(recording(steps), { speed: 0 });
    const started = performance.now();
    const { frames } = play(port);
    await port.ended;
    expect(frames).toHaveLength(60);
    // Waiting for each GET (20 turns of at least 1 ms) took over a second; without waiting, a few turns.
    expect(performance.now() - started).toBeLessThan(500);
  });
});
