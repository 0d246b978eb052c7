import type { DockerCloudEvent } from '@events/core';
import { describe, expect, it, vi } from 'vitest';
import { createEventLog } from './event-log.js';

const event = (n: number): DockerCloudEvent => ({
  type: 'container', action: 'update', parents: [], resource_uri: `/api/app/v1/a/container/k${n % 2}/`, state: n % 2 === 0 ? 'Running' : 'Stopped', uuid: `e${n}`, datetime: '2026-11-27T09:00:00Z',
});

describe('createEventLog', () => {
  it('keeps the newest events, newest first, and counts all', () => {
    const log = createEventLog({ capacity: 3, publishIntervalMs: 0 });
    for (let i = 0; i < 5; i++) log.push(event(i), null);
    const snapshot = log.getSnapshot();
    expect(snapshot.total).toBe(5);
    expect(snapshot.events.map((e) => e.event.uuid)).toEqual(['e4', 'e3', 'e2']);
  });

  it('publishes at most once per interval', async () => {
    vi.useFakeTimers();
    const log = createEventLog({ publishIntervalMs: 100 });
    const listener = vi.fn();
    log.subscribe(listener);
    for (let i = 0; i < 100; i++) log.push(event(i));
    await vi.advanceTimersByTimeAsync(100);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(log.getSnapshot().total).toBe(100);
    log.close();
    vi.useRealTimers();
  });

  it('remembers the state before each event', () => {
    const log = createEventLog({ publishIntervalMs: 0 });
    const listeners: ((e: DockerCloudEvent) => void)[] = [];
    log.attach({
      onEvent: (listener) => {
        listeners.push(listener);
        return () => {};
      },
      getSnapshot: () => ({ tree: { get: () => undefined } }) as never,
    });
    for (let i = 0; i < 4; i++) for (const l of listeners) l(event(i));
    expect(log.getSnapshot().events.map((e) => e.previous)).toEqual(['Stopped', 'Running', null, null]);
  });
});
