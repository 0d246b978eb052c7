import { createFilter, type DockerCloudEvent, type LiveTree, OBJECT_TYPES, type SeedLists } from '@events/core';
import { createSimulatedCloud } from '@events/server';
import { describe, expect, it, vi } from 'vitest';
import { createFakeLiveTree } from '../test/fake-live-tree.js';
import { createEventLog, type LoggedEvent } from './event-log.js';
import { createLocalLiveTree } from './local-live-tree.js';

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

  it('keeps the names a deleted object and its parents had when their events arrived', async () => {
    const fake = await createFakeLiveTree(7);
    const log = createEventLog({ publishIntervalMs: 0 });
    log.attach(fake.tree);
    const before = fake.tree.getSnapshot().tree;
    const stack = before.ofType('stack').find((s) => before.children(s.resource_uri).length > 1);
    if (stack === undefined) throw new Error('no stack with services');
    const services = before.children(stack.resource_uri);
    const containers = services.flatMap((service) => before.children(service.resource_uri, 'app'));
    expect(containers.length).toBeGreaterThan(0);
    const names = new Map<string, string>();
    for (const object of [stack, ...services, ...containers]) names.set(object.resource_uri, (object.fields as { name: string }).name);
    await fake.tree.operate(stack.resource_uri, 'terminate');
    fake.drain(); // the whole terminate, then one publish: the tree has forgotten the stack and its services
    const after = fake.tree.getSnapshot().tree;
    for (const uri of names.keys()) expect(after.get(uri)).toBeUndefined();
    const lines = log.getSnapshot().events.filter((e) => names.has(e.event.resource_uri));
    // Each service went Terminating, Terminated, then was deleted; the stack too.
    expect(lines.filter((e) => e.event.action === 'delete')).toHaveLength(names.size);
    expect(new Set(lines.map((e) => e.event.type))).toEqual(new Set(['stack', 'service', 'container']));
    for (const line of lines) {
      expect(line.name).toBe(names.get(line.event.resource_uri));
      const parent = line.event.parents[0];
      if (parent !== undefined && names.has(parent)) expect(line.parentName).toBe(names.get(parent));
    }
    log.close();
    await fake.close();
  });

  it('names the events that arrived while the tree was listing once the listing ends, and keeps those names after a delete', async () => {
    const cloud = createSimulatedCloud({ seed: 7, rate: 0, namespaces: ['demo'], manual: true });
    const lists: Record<string, unknown> = {};
    for (const type of OBJECT_TYPES) lists[type] = cloud.list('demo', type);
    const container = cloud.list('demo', 'container')[0];
    if (container === undefined) throw new Error('no container');
    const service = cloud.list('demo', 'service').find((s) => s.resource_uri === container.service);
    if (service === undefined) throw new Error('no service');
    const tree = createLocalLiveTree({ publishIntervalMs: 0 });
    expect(tree.getSnapshot().sync.status).toBe('listing');
    const log = createEventLog({ publishIntervalMs: 0 });
    log.attach(tree);
    const at = (state: DockerCloudEvent['state'], action: DockerCloudEvent['action'] = 'update', n = 0): DockerCloudEvent => ({
      type: 'container', action, parents: [service.resource_uri], resource_uri: container.resource_uri, state, uuid: `early-${state}-${n}`, datetime: '2026-11-27T09:00:00Z',
    });
    tree.push(at('Stopped'));
    tree.flush();
    // Nothing to name it from yet: the lists have not come.
    expect(log.getSnapshot().events[0]).toMatchObject({ name: null, parentName: null });
    tree.seed(lists as unknown as SeedLists);
    expect(log.getSnapshot().events[0]).toMatchObject({ name: container.name, parentName: service.name });
    tree.push(at('Terminated', 'delete', 1));
    tree.flush();
    expect(tree.getSnapshot().tree.get(container.resource_uri)).toBeUndefined();
    expect(log.getSnapshot().events.map((e) => e.name)).toEqual([container.name, container.name]);
    log.close();
  });

  it('takes the names a later listing gives (a resync), not those it knew before', () => {
    const cloud = createSimulatedCloud({ seed: 7, rate: 0, namespaces: ['demo'], manual: true });
    const lists = (rename: boolean) => {
      const out: Record<string, unknown> = {};
      for (const type of OBJECT_TYPES) out[type] = cloud.list('demo', type);
      if (rename) out.service = cloud.list('demo', 'service').map((s, i) => (i === 0 ? { ...s, name: 'renamed' } : s));
      return out as unknown as SeedLists;
    };
    const service = cloud.list('demo', 'service')[0];
    if (service === undefined) throw new Error('no service');
    const tree = createLocalLiveTree({ publishIntervalMs: 0 });
    const log = createEventLog({ publishIntervalMs: 0 });
    log.attach(tree);
    tree.seed(lists(false));
    const update = (n: number): DockerCloudEvent => ({
      type: 'service', action: 'update', parents: service.stack === null ? [] : [service.stack], resource_uri: service.resource_uri, state: n % 2 === 0 ? 'Stopped' : 'Running', uuid: `s${n}`, datetime: '2026-11-27T09:00:00Z',
    });
    tree.push(update(0));
    tree.flush();
    tree.setSync({ status: 'listing' });
    tree.seed(lists(true));
    tree.push(update(1));
    tree.flush();
    expect(log.getSnapshot().events.map((e) => e.name)).toEqual(['renamed', service.name]);
    log.close();
  });

  it('takes the state a resync lists for "old → new", not the last one an event said before the gap, and says no old state while it lists', () => {
    const cloud = createSimulatedCloud({ seed: 7, rate: 0, namespaces: ['demo'], manual: true });
    const service = cloud.list('demo', 'service')[0];
    if (service === undefined) throw new Error('no service');
    const lists = (state: string) => {
      const out: Record<string, unknown> = {};
      for (const type of OBJECT_TYPES) out[type] = cloud.list('demo', type);
      out.service = cloud.list('demo', 'service').map((s) => (s.resource_uri === service.resource_uri ? { ...s, state } : s));
      return out as unknown as SeedLists;
    };
    const tree = createLocalLiveTree({ publishIntervalMs: 0 });
    const log = createEventLog({ publishIntervalMs: 0 });
    log.attach(tree);
    tree.seed(lists('Running'));
    let n = 0;
    const update = (state: DockerCloudEvent['state']): DockerCloudEvent => ({
      type: 'service', action: 'update', parents: service.stack === null ? [] : [service.stack], resource_uri: service.resource_uri, state, uuid: `gap-${n++}`, datetime: '2026-11-27T09:00:00Z',
    });
    tree.push(update('Stopping'));
    tree.push(update('Stopped'));
    tree.flush();
    // The connection is lost; meanwhile the service is started again, unseen. The tree re-lists.
    tree.setSync({ status: 'listing' });
    // An event while it lists: what came before it is not known (the tree holds the state from before the gap).
    tree.push(update('Starting'));
    tree.seed(lists('Running'));
    tree.push(update('Stopping'));
    tree.flush();
    const seen = log.getSnapshot().events.map((e) => `${e.previous} → ${e.event.state}`).reverse();
    expect(seen).toEqual(['Running → Stopping', 'Stopping → Stopped', 'null → Starting', 'Running → Stopping']);
    log.close();
  });

  it('logs only what the filter matches, and stops on close', () => {
    const listeners = new Set<(e: DockerCloudEvent) => void>();
    const tree: Pick<LiveTree, 'onEvent' | 'getSnapshot'> = {
      onEvent: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      getSnapshot: () => ({ tree: { get: () => undefined } }) as never,
    };
    const log = createEventLog({ publishIntervalMs: 0 });
    log.attach(tree, { filter: createFilter({ object: ['/api/app/v1/a/container/k0/'] }) });
    for (let i = 0; i < 4; i++) for (const l of listeners) l(event(i));
    expect(log.getSnapshot().total).toBe(2);
    expect(log.getSnapshot().events.every((e: LoggedEvent) => e.event.resource_uri.endsWith('/k0/'))).toBe(true);
    log.close();
    expect(listeners.size).toBe(0);
  });
});
