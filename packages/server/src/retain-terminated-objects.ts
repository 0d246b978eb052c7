import { type ObjectType, type RestObject, type RestObjectByType, uuidOfUri } from '@events/core';
import type { CloudSource, SourceEvent } from './source.js';

export interface TerminatedRetentionOptions {
  /** How long an object stays readable at its resource_uri after its `delete` event. Default 1 hour; 0 keeps none. */
  readonly retentionMs?: number;
  /** Deleted objects kept at most, the oldest dropped first. Default 10,000. */
  readonly maxObjects?: number;
  readonly now?: () => number;
}

/**
 * Wraps a source so that an object stays readable at its `resource_uri` for a while after its
 * `delete` event, as it was when it turned `Terminated`. Docker Cloud's API kept terminated
 * objects, and programs GET the object of an event they just received (python-dockercloud's
 * `fetch_by_resource_uri`, the dockercloud/haproxy load balancer): they must not get a 404 for a
 * container that has just gone. Lists still drop an object at its delete, so that a listing stays
 * exactly the fold of the stream up to its position (protocol.md §8).
 *
 * The copy is read through `source.get()` while the object's `Terminated` update is emitted, so a
 * source must answer it then, as its contract says (its model reflects each event as it is
 * emitted): the simulator holds the object until its delete; the Docker mapper, which removes
 * objects and then emits `Terminated` + `delete` together, answers with its last fields until its
 * next input.
 *
 * @example
 * const source = retainTerminatedObjects(createSimulatedCloud(), { retentionMs: 15 * 60_000 });
 */
export function retainTerminatedObjects(source: CloudSource, options: TerminatedRetentionOptions = {}): CloudSource {
  const retentionMs = options.retentionMs ?? 60 * 60_000;
  const maxObjects = options.maxObjects ?? 10_000;
  const now = options.now ?? Date.now;
  if (retentionMs <= 0) return source;
  const keyOf = (namespace: string, type: ObjectType, uuid: string) => `${namespace}\u0000${type}\u0000${uuid}`;
  // Objects seen `Terminated` and not deleted yet: a source has already dropped an object when it emits the delete.
  const terminated = new Map<string, RestObject>();
  // Insertion order is deletion order, so the oldest is always first.
  const deleted = new Map<string, { readonly object: RestObject; readonly until: number }>();

  const forgetOldest = (map: Map<string, unknown>, keep: (key: string) => boolean) => {
    for (const key of map.keys()) {
      if (map.size <= maxObjects && keep(key)) return;
      map.delete(key);
    }
  };

  const observe = ({ namespace, event }: SourceEvent) => {
    if (event.type === 'action') return; // actions are never deleted
    const uuid = uuidOfUri(event.resource_uri);
    const key = keyOf(namespace, event.type, uuid);
    if (event.action === 'delete') {
      const object = terminated.get(key);
      terminated.delete(key);
      if (object === undefined) return;
      const t = now();
      deleted.delete(key);
      deleted.set(key, { object, until: t + retentionMs });
      forgetOldest(deleted, (oldest) => (deleted.get(oldest)?.until ?? 0) > t);
    } else if (event.state === 'Terminated') {
      const object = source.get(namespace, event.type, uuid);
      if (object === undefined) return;
      terminated.delete(key);
      terminated.set(key, object);
      forgetOldest(terminated, () => true);
    } else {
      terminated.delete(key);
    }
  };

  return {
    name: source.name,
    start: (emit) =>
      source.start((sourceEvent) => {
        observe(sourceEvent);
        emit(sourceEvent);
      }),
    stop: () => source.stop(),
    list: (namespace, type) => source.list(namespace, type),
    get<T extends ObjectType>(namespace: string, type: T, uuid: string): RestObjectByType[T] | undefined {
      const live = source.get(namespace, type, uuid);
      if (live !== undefined) return live;
      const key = keyOf(namespace, type, uuid);
      const gone = deleted.get(key);
      if (gone === undefined) return undefined;
      if (gone.until <= now()) {
        deleted.delete(key);
        return undefined;
      }
      return gone.object as RestObjectByType[T];
    },
    operate: (request) => source.operate(request),
    health: () => source.health(),
  };
}
