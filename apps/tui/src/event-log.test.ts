import type { DockerCloudEvent, LiveTree } from '@events/core';
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

  it('publishes with a tree that tells its listeners before it arms its publish timer, and on its own only for what the tree does not publish', async () => {
    vi.useFakeTimers();
    // As core's live tree: listeners hear of an event, then the publish timer is armed.
    const eventListeners = new Set<(e: DockerCloudEvent) => void>();
    const treeListeners = new Set<() => void>();
    let treePublishes = 0;
    let armed = false;
    const tree: Pick<LiveTree, 'onEvent' | 'getSnapshot' | 'subscribe'> = {
      onEvent: (listener) => {
        eventListeners.add(listener);
        return () => eventListeners.delete(listener);
      },
      subscribe: (listener) => {
        treeListeners.add(listener);
        return () => treeListeners.delete(listener);
      },
      getSnapshot: () => ({ tree: { get: () => undefined } }) as never,
    };
    const deliver = (e: DockerCloudEvent, publishes: boolean) => {
      for (const listener of eventListeners) listener(e);
      if (!publishes) return;
      if (armed) return;
      armed = true;
      setTimeout(() => {
        armed = false;
        treePublishes++;
        for (const listener of treeListeners) listener();
      }, 100);
    };
    const log = createEventLog({ publishIntervalMs: 100 });
    log.attach(tree);
    const seen: { at: number; logged: number; treePublishes: number }[] = [];
    log.subscribe(() => seen.push({ at: Date.now(), logged: log.getSnapshot().total, treePublishes }));
    const start = Date.now();
    for (let i = 0; i < 10; i++) deliver(event(i), true);
    await vi.advanceTimersByTimeAsync(100);
    // Published by the tree's timer, in its turn: the events the tree published are all there.
    expect(seen).toEqual([{ at: start + 100, logged: 10, treePublishes: 1 }]);
    deliver(event(10), false); // a duplicate: the tree does not publish
    await vi.advanceTimersByTimeAsync(150);
    expect(seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(seen.at(-1)).toMatchObject({ logged: 11, treePublishes: 1 });
    log.close();
    vi.useRealTimers();
  });
});
