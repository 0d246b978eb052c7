import type { DockerCloudEvent } from '@events/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEventLog } from './event-log.js';
import { createLocalLiveTree } from './local-live-tree.js';

const event = (n: number, state = 'Running'): DockerCloudEvent => ({
  type: 'stack',
  action: n === 0 ? 'create' : 'update',
  parents: [],
  resource_uri: `/api/app/v1/a/stack/s${n % 3}/`,
  state: state as DockerCloudEvent['state'],
  uuid: `e${n}`,
  datetime: '2026-11-27T09:00:00Z',
});

afterEach(() => {
  vi.useRealTimers();
});

describe('createLocalLiveTree', () => {
  it('batches a burst of events into one publish per interval', async () => {
    vi.useFakeTimers();
    const tree = createLocalLiveTree({ publishIntervalMs: 100 });
    tree.seed({ stack: [] });
    const notified = vi.fn();
    tree.subscribe(notified);
    const seen: string[] = [];
    tree.onEvent((e) => seen.push(e.uuid));
    for (let i = 0; i < 50; i++) tree.push(event(i));
    expect(seen).toHaveLength(50); // every event goes out at once to onEvent listeners
    expect(notified).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(100);
    expect(notified).toHaveBeenCalledTimes(1);
    expect(tree.getSnapshot().eventsApplied).toBe(50);
    expect(tree.getSnapshot().tree.size).toBe(3);
    await tree.close();
  });

  it('publishes in the same turn as an event log fed by it: one batch of notifications, not two', async () => {
    vi.useFakeTimers();
    const tree = createLocalLiveTree({ publishIntervalMs: 100 });
    tree.seed({ stack: [] });
    const log = createEventLog({ publishIntervalMs: 100 });
    log.attach(tree);
    // As the app's combined store: notifications in one turn are one batch (one React commit).
    const batches: { events: number; logged: number }[] = [];
    let queued = false;
    const notify = () => {
      if (queued) return;
      queued = true;
      queueMicrotask(() => {
        queued = false;
        batches.push({ events: tree.getSnapshot().eventsApplied, logged: log.getSnapshot().total });
      });
    };
    tree.subscribe(notify);
    log.subscribe(notify);
    for (let i = 0; i < 20; i++) tree.push(event(i));
    await vi.advanceTimersByTimeAsync(250);
    expect(batches).toEqual([{ events: 20, logged: 20 }]);
    log.close();
    await tree.close();
  });

  it('arms its publish timer before it tells listeners of an event', async () => {
    vi.useFakeTimers();
    const tree = createLocalLiveTree({ publishIntervalMs: 100 });
    tree.seed({ stack: [] });
    const order: string[] = [];
    tree.subscribe(() => order.push('tree'));
    // A listener that batches on a timer of the same length: it must come second.
    let armed = false;
    tree.onEvent(() => {
      if (armed) return;
      armed = true;
      setTimeout(() => order.push('listener'), 100);
    });
    tree.push(event(0));
    await vi.advanceTimersByTimeAsync(100);
    expect(order).toEqual(['tree', 'listener']);
    await tree.close();
  });

  it('returns the same snapshot until something changes (useSyncExternalStore needs that)', () => {
    const tree = createLocalLiveTree({ publishIntervalMs: 0 });
    const a = tree.getSnapshot();
    expect(tree.getSnapshot()).toBe(a);
    tree.push(event(0));
    expect(tree.getSnapshot()).toBe(a); // not published yet
    tree.flush();
    expect(tree.getSnapshot()).not.toBe(a);
  });

  it('drops duplicate events (same uuid) and reports resyncs after the first seed', () => {
    const tree = createLocalLiveTree({ publishIntervalMs: 0, now: () => 5 });
    tree.seed({ stack: [] });
    expect(tree.getSnapshot()).toMatchObject({ sync: { status: 'live' }, lastResync: null });
    expect(tree.push(event(0))).toBe(true);
    expect(tree.push(event(0))).toBe(false);
    tree.seed({ stack: [] });
    expect(tree.getSnapshot().lastResync).toMatchObject({ at: 5, created: 0, deleted: 1 });
  });

  it('refuses operations when it has no server', async () => {
    const tree = createLocalLiveTree();
    await expect(tree.operate('/api/app/v1/a/stack/s1/', 'start')).rejects.toThrow(/read-only/);
    await tree.close();
  });
});
