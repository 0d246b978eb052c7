import { type DockerCloudEvent, type ObjectType, type RestObject, resourceUriFor } from '@events/core';
import { describe, expect, it } from 'vitest';
import { retainTerminatedObjects } from './retain-terminated-objects.js';
import type { CloudSource, SourceEvent } from './source.js';

/** The smallest source that forgets an object at its delete, as the simulator and the Docker source do. */
function modelSource() {
  const objects = new Map<string, RestObject>();
  let emit: (event: SourceEvent) => void = () => {};
  const source: CloudSource = {
    name: 'model',
    start: async (sink) => {
      emit = sink;
    },
    stop: async () => {},
    list: (namespace, type) => [...objects.entries()].filter(([key]) => key.startsWith(`${namespace}/${type}/`)).map(([, o]) => o) as never,
    get: (namespace, type, uuid) => objects.get(`${namespace}/${type}/${uuid}`) as never,
    operate: () => ({ ok: false, status: 404, detail: 'none' }),
    health: () => ({ ok: true, detail: 'ok' }),
  };
  let n = 0;
  const event = (namespace: string, type: ObjectType, uuid: string, action: DockerCloudEvent['action'], state: string): SourceEvent => ({
    namespace,
    event: { type, action, parents: [], resource_uri: resourceUriFor(type, uuid, namespace), state, uuid: `e${n++}`, datetime: '2026-11-27T09:00:00Z' } as DockerCloudEvent,
  });
  return {
    source,
    /** Sets the object's state in the model, then emits the update (a source updates before it emits). */
    update(namespace: string, type: ObjectType, uuid: string, state: string) {
      objects.set(`${namespace}/${type}/${uuid}`, { uuid, resource_uri: resourceUriFor(type, uuid, namespace), state } as RestObject);
      emit(event(namespace, type, uuid, 'update', state));
    },
    remove(namespace: string, type: ObjectType, uuid: string) {
      objects.delete(`${namespace}/${type}/${uuid}`);
      emit(event(namespace, type, uuid, 'delete', 'Terminated'));
    },
  };
}

async function setUp(options: Parameters<typeof retainTerminatedObjects>[1]) {
  const model = modelSource();
  const source = retainTerminatedObjects(model.source, options);
  const emitted: SourceEvent[] = [];
  await source.start((e) => emitted.push(e));
  return { model, source, emitted };
}

describe('retainTerminatedObjects', () => {
  it('keeps a deleted object readable, Terminated, for retentionMs; lists drop it at once', async () => {
    let now = 0;
    const { model, source, emitted } = await setUp({ retentionMs: 1_000, now: () => now });
    model.update('acme', 'container', 'c1', 'Running');
    model.update('acme', 'container', 'c1', 'Terminated');
    model.remove('acme', 'container', 'c1');
    expect(emitted.map((e) => e.event.action)).toEqual(['update', 'update', 'delete']);
    expect(source.get('acme', 'container', 'c1')).toMatchObject({ uuid: 'c1', state: 'Terminated' });
    expect(source.list('acme', 'container')).toEqual([]);
    expect(source.get('other', 'container', 'c1')).toBeUndefined();
    now = 999;
    expect(source.get('acme', 'container', 'c1')).toMatchObject({ state: 'Terminated' });
    now = 1_000;
    expect(source.get('acme', 'container', 'c1')).toBeUndefined();
  });

  it('keeps nothing of an object deleted without being Terminated first, nor of one that came back', async () => {
    const { model, source } = await setUp({});
    model.update('acme', 'service', 's1', 'Running');
    model.remove('acme', 'service', 's1');
    expect(source.get('acme', 'service', 's1')).toBeUndefined();
    model.update('acme', 'service', 's2', 'Terminated');
    model.update('acme', 'service', 's2', 'Running'); // not a real transition, but nothing may linger
    model.remove('acme', 'service', 's2');
    expect(source.get('acme', 'service', 's2')).toBeUndefined();
  });

  it('keeps at most maxObjects, dropping the oldest deletes first', async () => {
    const { model, source } = await setUp({ maxObjects: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      model.update('acme', 'container', id, 'Terminated');
      model.remove('acme', 'container', id);
    }
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => source.get('acme', 'container', id)?.state ?? null)).toEqual([null, null, 'Terminated', 'Terminated', 'Terminated']);
  });

  it('keeps an object that a source removes first and answers only while its Terminated and delete go out', async () => {
    // How the Docker mapper works: a flush removes objects, then its events are emitted together.
    const objects = new Map<string, RestObject>();
    let justRemoved: RestObject | undefined;
    let emit: (event: SourceEvent) => void = () => {};
    const source: CloudSource = {
      name: 'batch',
      start: async (sink) => {
        emit = sink;
      },
      stop: async () => {},
      list: () => [...objects.values()] as never,
      get: (_namespace, _type, uuid) => (objects.get(uuid) ?? (justRemoved?.uuid === uuid ? justRemoved : undefined)) as never,
      operate: () => ({ ok: false, status: 404, detail: 'none' }),
      health: () => ({ ok: true, detail: 'ok' }),
    };
    const retained = retainTerminatedObjects(source, {});
    await retained.start(() => {});
    const uri = resourceUriFor('container', 'c1', 'acme');
    const frame = (action: DockerCloudEvent['action']) => ({
      namespace: 'acme',
      event: { type: 'container', action, parents: [], resource_uri: uri, state: 'Terminated', uuid: `e-${action}`, datetime: '2026-11-27T09:00:00Z' } as DockerCloudEvent,
    });
    objects.set('c1', { uuid: 'c1', resource_uri: uri, state: 'Stopped', name: 'web-1' } as RestObject);
    justRemoved = { ...(objects.get('c1') as RestObject), state: 'Terminated' } as RestObject;
    objects.delete('c1');
    emit(frame('update'));
    emit(frame('delete'));
    justRemoved = undefined; // the source's next input
    expect(retained.get('acme', 'container', 'c1')).toEqual({ uuid: 'c1', resource_uri: uri, state: 'Terminated', name: 'web-1' });
    expect(retained.list('acme', 'container')).toEqual([]);
  });

  it('is the source itself when retentionMs is 0', async () => {
    const model = modelSource();
    expect(retainTerminatedObjects(model.source, { retentionMs: 0 })).toBe(model.source);
  });
});
