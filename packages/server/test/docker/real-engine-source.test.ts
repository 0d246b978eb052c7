import { join } from 'node:path';
import { typeOfUri } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  byName,
  cleanUp,
  clientView,
  createSocketProxy,
  deployStack,
  dockerServices,
  engine,
  lifeOf,
  requireEngine,
  restView,
  sameMap,
  suiteName,
  untilContainersMatch,
  type Watched,
  watchSource,
} from './docker-test-kit.js';
import { docker, startDockerd, stopDockerd, TEST_IMAGE, type TestEngine, until } from '../../../../tests/support/docker-engine.js';

// Every test compares what a client of the source's stream received with what `docker` itself
// reports afterwards. Engine operations take seconds: waits poll conditions, bounded in time.

/** Our services under `prefix`: name → [running, target], as `docker service ls` shows them. */
function ourServices(watched: Watched, prefix: string): Map<string, [number, number]> {
  return new Map(
    watched.source
      .list('u', 'service')
      .filter((s) => s.name.startsWith(prefix))
      .map((s) => [s.name, [s.running_num_containers, s.target_num_containers]]),
  );
}

async function untilServicesMatch(watched: Watched, host: TestEngine, prefix: string, expected: Record<string, [number, number]>): Promise<void> {
  await until(
    async () => {
      const theirs = new Map([...(await dockerServices(host))].filter(([name]) => name.startsWith(prefix)));
      const want = new Map(Object.entries(expected));
      const same = (a: Map<string, [number, number]>) => a.size === want.size && [...want].every(([k, [r, t]]) => a.get(k)?.[0] === r && a.get(k)?.[1] === t);
      return same(theirs) && same(ourServices(watched, prefix));
    },
    60_000,
    `services ${prefix}* at ${JSON.stringify(expected)}`,
    100,
  );
}

/** The client's picture (from events alone) is the REST picture, object for object. */
function expectClientMatchesRest(watched: Watched): void {
  expect(clientView(watched.events)).toEqual(restView(watched.source));
}

describe.skipIf(!engine)(suiteName('Docker source on a real engine'), () => {
  let host: TestEngine;
  let watched: Watched;

  beforeAll(async () => {
    host = requireEngine();
    watched = await watchSource(host.host);
  });
  afterAll(async () => {
    await watched?.stop();
  });

  it('lists the engine at start: one node cluster, its node, Deployed', () => {
    const [cluster] = watched.source.list('u', 'nodecluster');
    const nodes = watched.source.list('u', 'node');
    expect([cluster?.state, cluster?.current_num_nodes, nodes.length, nodes[0]?.state]).toEqual(['Deployed', 1, 1, 'Deployed']);
    expect(nodes[0]?.docker_version).toMatch(/^\d+\.\d+/);
    expect(watched.source.health().ok).toBe(true);
  });

  it("follows a plain container's life: run, stop, start, rm", async () => {
    const name = 'life-plain';
    try {
      await docker(host, ['run', '-d', '--stop-timeout', '1', '--name', name, TEST_IMAGE, 'sleep', '600']);
      await untilContainersMatch(watched, host, name);
      const uri = byName(watched.source, 'container', name)?.resource_uri as string;
      await docker(host, ['stop', name]);
      await untilContainersMatch(watched, host, name);
      await docker(host, ['start', name]);
      await untilContainersMatch(watched, host, name);
      await docker(host, ['rm', '-f', name]);
      await until(() => lifeOf(watched.events, uri).at(-1) === 'delete Terminated', 20_000, `${name} deleted`);
      expect(lifeOf(watched.events, uri)).toEqual(['create Starting', 'Running', 'Stopping', 'Stopped', 'Running', 'Stopping', 'Stopped', 'Terminated', 'delete Terminated']);
      // In no service or stack: parents node and node cluster only.
      const create = watched.events.find((e) => e.resource_uri === uri);
      expect(create?.parents.map(typeOfUri)).toEqual(['node', 'nodecluster']);
      expect(await untilContainersMatch(watched, host, name)).toEqual(new Map());
      expectClientMatchesRest(watched);
    } finally {
      await cleanUp(host, { containers: name });
    }
  });

  describe('a two-service stack', () => {
    const stack = 'shop';
    afterAll(async () => {
      await cleanUp(host, { stacks: [stack] });
    });

    it('deploys: the stack, its services and containers, with their parents', async () => {
      await deployStack(host, stack, { web: 2, worker: 1 });
      await untilServicesMatch(watched, host, `${stack}_`, { shop_web: [2, 2], shop_worker: [1, 1] });
      await untilContainersMatch(watched, host, `${stack}_`);
      await until(() => byName(watched.source, 'stack', stack)?.state === 'Running', 20_000, 'stack Running');
      const object = byName(watched.source, 'stack', stack);
      expect(object?.services.length).toBe(2);
      const web = byName(watched.source, 'service', 'shop_web');
      expect([web?.state, web?.stack, web?.image_name]).toEqual(['Running', object?.resource_uri, TEST_IMAGE]);
      expect(lifeOf(watched.events, web?.resource_uri).at(0)).toBe('create Starting');
      expect(lifeOf(watched.events, web?.resource_uri).at(-1)).toBe('Running');
      for (const uri of web?.containers ?? []) {
        const create = watched.events.find((e) => e.resource_uri === uri && e.action === 'create');
        expect(create?.parents.map(typeOfUri)).toEqual(['service', 'stack', 'node', 'nodecluster']);
        expect(create?.parents.slice(0, 2)).toEqual([web?.resource_uri, object?.resource_uri]);
      }
      expectClientMatchesRest(watched);
    });

    it('scales a service: Scaling, then Running at the new size', async () => {
      const uri = byName(watched.source, 'service', 'shop_web')?.resource_uri;
      const before = lifeOf(watched.events, uri).length;
      await docker(host, ['service', 'scale', '--detach', 'shop_web=3']);
      await untilServicesMatch(watched, host, `${stack}_`, { shop_web: [3, 3], shop_worker: [1, 1] });
      await until(() => lifeOf(watched.events, uri).at(-1) === 'Running', 20_000, 'shop_web Running again');
      expect(lifeOf(watched.events, uri).slice(before)).toEqual(['Scaling', 'Running']);
      await untilContainersMatch(watched, host, `${stack}_`);
      expectClientMatchesRest(watched);
    });

    it('sees a killed container replaced by swarm', async () => {
      const worker = byName(watched.source, 'service', 'shop_worker');
      const [victim] = worker?.containers ?? [];
      const name = watched.source.list('u', 'container').find((c) => c.resource_uri === victim)?.name as string;
      const before = lifeOf(watched.events, worker?.resource_uri).length;
      await docker(host, ['kill', name]);
      await until(() => (byName(watched.source, 'service', 'shop_worker')?.containers.length ?? 0) >= 2 && byName(watched.source, 'service', 'shop_worker')?.state === 'Running', 45_000, 'a replacement running');
      expect(lifeOf(watched.events, victim)).toContain('Stopped');
      expect(lifeOf(watched.events, worker?.resource_uri).slice(before)).toEqual(['Not running', 'Running']);
      await untilServicesMatch(watched, host, `${stack}_`, { shop_web: [3, 3], shop_worker: [1, 1] });
      await untilContainersMatch(watched, host, `${stack}_`);
      expectClientMatchesRest(watched);
    });

    it('removes the stack: services and containers terminated, then the stack', async () => {
      const object = byName(watched.source, 'stack', stack);
      await docker(host, ['stack', 'rm', stack]);
      await until(() => lifeOf(watched.events, object?.resource_uri).at(-1) === 'delete Terminated', 60_000, 'stack deleted');
      expect(lifeOf(watched.events, object?.resource_uri).slice(-3)).toEqual(['Terminating', 'Terminated', 'delete Terminated']);
      // Nothing of the stack is left, for docker or for us, and the stack went last.
      expect(await untilContainersMatch(watched, host, `${stack}_`)).toEqual(new Map());
      expect(ourServices(watched, `${stack}_`)).toEqual(new Map());
      let last = -1;
      watched.events.forEach((e, i) => {
        if (e.parents.includes(object?.resource_uri as string)) last = i;
      });
      expect(watched.events.findIndex((e) => e.resource_uri === object?.resource_uri && e.action === 'delete')).toBeGreaterThan(last);
      expectClientMatchesRest(watched);
    });
  });

  it('after its event stream is cut, re-lists and emits exactly what changed meanwhile', async () => {
    const proxy = await createSocketProxy(host.socket, join(host.dir, 'proxy.sock'));
    const cut = await watchSource(proxy.host);
    try {
      for (const name of ['gap-keep', 'gap-stop', 'gap-rm']) await docker(host, ['run', '-d', '--stop-timeout', '1', '--name', name, TEST_IMAGE, 'sleep', '600']);
      await untilContainersMatch(cut, host, 'gap-');
      await proxy.cut();
      await until(() => cut.source.connection().status === 'backoff', 10_000, 'the source noticing');
      // Listed before: its model stays readable (REST reads keep agreeing with the stream), the node Unreachable.
      expect(cut.source.health()).toMatchObject({ ok: false, readable: true, detail: expect.stringContaining('unreachable') });
      expect(cut.source.list('u', 'node').map((n) => n.state)).toEqual(['Unreachable']);
      const seen = cut.events.length;
      // Changes the source cannot see: the engine's events for them are gone for it.
      await docker(host, ['stop', 'gap-stop']);
      await docker(host, ['rm', '-f', 'gap-rm']);
      await docker(host, ['run', '-d', '--stop-timeout', '1', '--name', 'gap-new', TEST_IMAGE, 'sleep', '600']);
      const removed = byName(cut.source, 'container', 'gap-rm')?.resource_uri;
      await proxy.restore();
      await until(() => cut.source.connection().status === 'live', 15_000, 'the source back');
      await untilContainersMatch(cut, host, 'gap-');
      const after = cut.events.slice(seen).filter((e) => e.type === 'container');
      const name = (uri: string) => cut.source.list('u', 'container').find((c) => c.resource_uri === uri)?.name ?? (uri === removed ? 'gap-rm' : uri);
      expect(after.map((e) => `${name(e.resource_uri)} ${e.action} ${e.state}`).sort()).toEqual(
        ['gap-new create Running', 'gap-rm delete Terminated', 'gap-rm update Terminated', 'gap-stop update Stopped'].sort(),
      );
      expect(cut.source.list('u', 'node')[0]?.state).toBe('Deployed');
      expectClientMatchesRest(cut);
      // A source started now sees the same objects, with the same ids.
      const fresh = await watchSource(host.host);
      expect(restView(fresh.source)).toEqual(restView(cut.source));
      await fresh.stop();
    } finally {
      await cut.stop();
      await proxy.close();
      await cleanUp(host, { containers: 'gap-' });
    }
  });

  it('when the engine restarts under it: reports it, reconnects, re-lists, and misses nothing', async () => {
    try {
      await docker(host, ['run', '-d', '--stop-timeout', '1', '--name', 'rs-plain', TEST_IMAGE, 'sleep', '600']);
      // Signalled by the engine's shutdown (Stopping), maybe not seen to die, and started again by
      // the engine when it is back: Running, from the listing's new start.
      await docker(host, ['run', '-d', '--restart', 'always', '--stop-timeout', '1', '--name', 'rs-always', TEST_IMAGE, 'sleep', '600']);
      await docker(host, ['service', 'create', '--detach', '--no-resolve-image', '--stop-grace-period', '1s', '--name', 'rs-svc', '--replicas', '1', TEST_IMAGE, 'sleep', '600']);
      await untilServicesMatch(watched, host, 'rs-', { 'rs-svc': [1, 1] });
      await untilContainersMatch(watched, host, 'rs-');
      const node = watched.source.list('u', 'node')[0]?.resource_uri;

      await stopDockerd(host);
      await until(() => !watched.source.health().ok, 15_000, 'health reporting the engine lost');
      expect(watched.source.health().detail).toMatch(/unreachable/);
      expect(lifeOf(watched.events, node).at(-1)).toBe('Unreachable');

      await startDockerd(host);
      await until(() => watched.source.health().ok, 30_000, 'the source back');
      expect(lifeOf(watched.events, node).at(-1)).toBe('Deployed');
      // The plain container was stopped with the engine; swarm replaced the service's task.
      await untilServicesMatch(watched, host, 'rs-', { 'rs-svc': [1, 1] });
      const theirs = await untilContainersMatch(watched, host, 'rs-');
      expect(theirs.get('rs-plain')).toBe('Stopped');
      expect(theirs.get('rs-always')).toBe('Running');
      expectClientMatchesRest(watched);
      const fresh = await watchSource(host.host);
      expect(sameMap(restView(fresh.source), restView(watched.source))).toBe(true);
      await fresh.stop();
    } finally {
      await cleanUp(host, { containers: 'rs-', services: ['rs-svc'] });
    }
  });
});
