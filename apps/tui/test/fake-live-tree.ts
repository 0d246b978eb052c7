import type { DockerCloudEvent } from '@events/core';
import { createSimulatedCloud, type SimulatedCloud } from '@events/server';
import { createInProcessLiveTree } from '../src/in-process-live-tree.js';
import type { LocalLiveTree } from '../src/local-live-tree.js';

export interface FakeLiveTree {
  readonly cloud: SimulatedCloud;
  /** A real hierarchy store behind the LiveTree interface; publishes only on flush(). */
  readonly tree: LocalLiveTree;
  /** Advances the simulated cloud by `n` background steps and publishes. */
  step(n?: number): void;
  /** Runs pending operations (a scale, ...) to their end and publishes. */
  drain(): void;
  close(): Promise<void>;
}

/**
 * A LiveTree over the simulated cloud in manual mode: deterministic for a seed, moved by hand.
 *
 * @example
 * const fake = await createFakeLiveTree(7);
 * fake.step(10);
 * fake.tree.getSnapshot().tree.countsByType();
 */
export async function createFakeLiveTree(seed = 7, stacks?: number): Promise<FakeLiveTree> {
  const cloud = createSimulatedCloud({ seed, rate: 0, namespaces: ['demo'], manual: true, ...(stacks !== undefined ? { stacks } : {}) });
  const listeners = new Set<(event: DockerCloudEvent) => void>();
  await cloud.start(({ event }) => {
    for (const listener of listeners) listener(event);
  });
  const tree = createInProcessLiveTree({
    source: cloud,
    namespace: 'demo',
    publishIntervalMs: 0,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  });
  return {
    cloud,
    tree,
    step(n = 1) {
      for (let i = 0; i < n; i++) cloud.step();
      tree.flush();
    },
    drain() {
      cloud.drainOperations();
      tree.flush();
    },
    async close() {
      await tree.close();
      await cloud.stop();
    },
  };
}
