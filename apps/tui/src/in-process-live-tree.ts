import { type DockerCloudEvent, EventsError, OBJECT_TYPES, type SeedLists, typeOfUri, uuidOfUri } from '@events/core';
import type { CloudSource } from '@events/server';
import { createLocalLiveTree, type LocalLiveTree } from './local-live-tree.js';

export interface InProcessLiveTreeOptions {
  /** The cloud to read and operate on: the simulated cloud of `--demo`, or any CloudSource. */
  readonly source: CloudSource;
  readonly namespace: string;
  /** Delivers the namespace's events in order: the server's bus, or the source's emitter. */
  readonly subscribe: (listener: (event: DockerCloudEvent) => void) => () => void;
  /** Recorded as the operations' user. Default `demo`. */
  readonly user?: string;
  readonly now?: () => number;
  /** See createLocalLiveTree. Default 100 ms. */
  readonly publishIntervalMs?: number;
}

/**
 * A LiveTree over a CloudSource in the same process, without sockets: seeded from its lists,
 * fed by its events, operating through its `operate`. What `--demo` runs until the network
 * transport is wired in, and what the tests and the benchmark use.
 *
 * @example
 * const cloud = createSimulatedCloud({ seed: 1, rate: 0, namespaces: ['demo'], manual: true });
 * const tree = createInProcessLiveTree({ source: cloud, namespace: 'demo', subscribe: (l) => bus.subscribe('demo', (e) => l(e.event)) });
 */
export function createInProcessLiveTree(options: InProcessLiveTreeOptions): LocalLiveTree {
  const { source, namespace } = options;
  const user = options.user ?? 'demo';
  let unsubscribe: (() => void) | undefined;
  const tree = createLocalLiveTree({
    ...(options.now !== undefined ? { now: options.now } : {}),
    publishIntervalMs: options.publishIntervalMs ?? 100,
    async operate(resourceUri, operation, params) {
      const type = typeOfUri(resourceUri);
      if (type === undefined) throw new EventsError('invalid-uri', `not a resource URI: ${resourceUri}`);
      const result = source.operate({
        namespace,
        type,
        uuid: uuidOfUri(resourceUri),
        operation,
        ...(params?.targetNumContainers !== undefined ? { targetNumContainers: params.targetNumContainers } : {}),
        user,
        method: operation === 'terminate' ? 'DELETE' : 'POST',
        path: operation === 'terminate' ? resourceUri : `${resourceUri}${operation}/`,
      });
      if (!result.ok) throw new EventsError('http', `${result.status}: ${result.detail}`);
      return { actionUri: result.action.resource_uri };
    },
    async fetchObject(resourceUri) {
      const type = typeOfUri(resourceUri);
      const object = type === undefined ? undefined : source.get(namespace, type, uuidOfUri(resourceUri));
      if (object === undefined) throw new EventsError('http', `404: ${resourceUri} not found`);
      return object as unknown as Readonly<Record<string, unknown>>;
    },
    onReconnect() {
      reseed();
    },
    onClose() {
      unsubscribe?.();
    },
  });

  function reseed(): void {
    const lists: Record<string, unknown> = {};
    for (const type of OBJECT_TYPES) lists[type] = source.list(namespace, type);
    tree.seed(lists as SeedLists);
  }

  // One thread: nothing can be emitted between the lists and the subscription.
  reseed();
  unsubscribe = options.subscribe((event) => {
    tree.push(event);
  });
  return tree;
}
