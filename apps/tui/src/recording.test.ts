import { OBJECT_TYPES } from '@events/core';
import { describe, expect, it } from 'vitest';
import { createFakeLiveTree } from '../test/fake-live-tree.js';
import { createRecorder, createReplayLiveTree, parseRecording } from './recording.js';

describe('recording and replay', () => {
  it('plays a session back to the same tree', async () => {
    const fake = await createFakeLiveTree(11);
    const lines: string[] = [];
    let clock = 1_000;
    const recorder = createRecorder(fake.tree, (line) => lines.push(line), () => clock);
    for (let i = 0; i < 30; i++) {
      clock += 50;
      fake.step(1);
    }
    recorder.stop();
    const original = fake.tree.getSnapshot().tree;
    await fake.close();

    const recording = parseRecording(lines.join('\n'));
    expect(recording.lines[0]?.kind).toBe('snapshot');
    expect(recording.lines.filter((l) => l.kind === 'event').length).toBe(fake.tree.getSnapshot().eventsApplied);
    const replayed = await new Promise<ReturnType<typeof createReplayLiveTree>>((resolve) => {
      const tree = createReplayLiveTree(recording, { speed: 0, publishIntervalMs: 0, onEnd: () => resolve(tree) });
    });
    const copy = replayed.getSnapshot().tree;
    for (const type of OBJECT_TYPES) {
      const want = new Map(original.ofType(type).map((o) => [o.resource_uri, o.state]));
      const got = new Map(copy.ofType(type).map((o) => [o.resource_uri, o.state]));
      expect(got).toEqual(want);
    }
    expect(replayed.getSnapshot().connection.phase).toBe('stopped');
    await expect(replayed.operate('/api/app/v1/demo/stack/x/', 'start')).rejects.toThrow(/read-only/);
    await replayed.close();
  });

  it('names the line of a broken recording', () => {
    expect(() => parseRecording('')).toThrow(/empty, not a recording/);
    expect(() => parseRecording('{"hello":1}\n', 'f.ndjson')).toThrow(/^f\.ndjson:1: not an events recording/);
    const header = '{"recording":"events","version":1,"startedAt":"2026-11-27T09:00:00.000Z"}';
    expect(() => parseRecording(`${header}\n{"t":1,"event":{"type":"volume"}}\n{"t":2}\n`, 'f')).toThrow(/^f:2: invalid event/);
    expect(() => parseRecording(`${header}\n{"t":-1,"snapshot":[]}\n`, 'f')).toThrow(/^f:2: "t"/);
    // A last line cut short by a killed recorder is ignored.
    expect(parseRecording(`${header}\n{"t":1,"snapshot":[]}\n{"t":2,"ev`).lines).toHaveLength(1);
  });
});
