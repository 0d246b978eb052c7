// A hand-driven event source for tests, shared by the server tests and the transport conformance
// suite. Node only.
import { randomUUID } from 'node:crypto';
import { type DockerCloudEvent, formatEventDatetime, type ObjectType, resourceUriFor, type State } from '@events/core';
import type { CloudSource, SourceEvent } from '@events/server';

/**
 * A hand-driven CloudSource for tests: nothing happens until the test calls `emit`.
 *
 * @example
 * const source = createScriptedSource();
 * const server = await createEventsServer({ source, ... });
 * const event = source.emit('acme'); // a container update in namespace acme
 * expect(received).toEqual(source.emitted.map((e) => e.event));
 */
export interface ScriptedSource extends CloudSource {
  /** Emits one event (a valid container update by default) and returns it. */
  emit(namespace: string, overrides?: Partial<DockerCloudEvent>): DockerCloudEvent;
  /** Every event emitted, in order: the log tests compare deliveries against. */
  readonly emitted: SourceEvent[];
  readonly started: boolean;
  readonly stopped: boolean;
}

const STATE_OF: Readonly<Record<ObjectType, State>> = {
  stack: 'Running',
  service: 'Running',
  container: 'Running',
  nodecluster: 'Deployed',
  node: 'Deployed',
  action: 'Success',
};

/**
 * A valid event of `type` in `namespace`: all seven fields, a fresh uuid.
 *
 * @example
 * makeEvent('acme', { type: 'service', action: 'create' });
 */
export function makeEvent(namespace: string, overrides: Partial<DockerCloudEvent> = {}): DockerCloudEvent {
  const type = overrides.type ?? 'container';
  return {
    type,
    action: 'update',
    parents: [],
    resource_uri: resourceUriFor(type, randomUUID(), namespace),
    state: STATE_OF[type],
    uuid: randomUUID(),
    datetime: formatEventDatetime(Date.now()),
    ...overrides,
  };
}

/** A new ScriptedSource; `emit` throws until the server has started it. */
export function createScriptedSource(): ScriptedSource {
  let emit: ((event: SourceEvent) => void) | undefined;
  let started = false;
  let stopped = false;
  const emitted: SourceEvent[] = [];
  return {
    name: 'scripted',
    async start(callback) {
      emit = callback;
      started = true;
    },
    async stop() {
      stopped = true;
      emit = undefined;
    },
    list: () => [],
    get: () => undefined,
    operate: () => ({ ok: false, status: 404, detail: 'Not found.' }),
    health: () => ({ ok: true, detail: 'scripted' }),
    emit(namespace, overrides) {
      if (emit === undefined) throw new Error('scripted source emitted before start or after stop');
      const event = makeEvent(namespace, overrides);
      emitted.push({ namespace, event });
      emit({ namespace, event });
      return event;
    },
    emitted,
    get started() {
      return started;
    },
    get stopped() {
      return stopped;
    },
  };
}
