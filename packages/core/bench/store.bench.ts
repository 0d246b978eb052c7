import { createHierarchyStore, type DockerCloudEvent, formatEvent, type RestObjectByType, STATES } from '../src/index.js';
import { fmt, line } from './measure.js';

/**
 * The hierarchy store at 100,000 objects: 100 node clusters × 10 nodes, 100 stacks × 10 services,
 * 97,800 containers spread over them. Measures apply() on state updates of existing containers
 * (events decoded with JSON.parse, as a transport hands them over, so no string is shared with
 * the store) and publish() with N objects changed since the previous publish, against the cost of
 * copying one 100k-entry Map (what a snapshot that copies the store would pay at least).
 */
export default async function benchStore(): Promise<void> {
  console.log('\nhierarchy store, 100,000 objects');
  const random = lcg(7);
  const world = buildWorld();
  const store = createHierarchyStore();

  let t = performance.now();
  store.seed(world.lists, 0);
  const seedMs = performance.now() - t;
  t = performance.now();
  store.publish();
  const firstPublishMs = performance.now() - t;
  line('seed 100k objects from REST lists', `${fmt(seedMs, 0)} ms`);
  line('first publish (everything dirty)', `${fmt(firstPublishMs, 0)} ms`);

  // Decoded events, prepared up front so only apply() is timed.
  const states = STATES.container;
  let seq = 0;
  const decodedUpdate = (): DockerCloudEvent => {
    const c = world.containers[Math.floor(random() * world.containers.length)] as (typeof world.containers)[number];
    const event: DockerCloudEvent = {
      type: 'container',
      action: 'update',
      parents: c.parents,
      resource_uri: c.uri,
      state: states[seq % 4] as DockerCloudEvent['state'], // Starting, Running, Stopping, Stopped
      uuid: `e${(seq++).toString(16).padStart(8, '0')}-1111-4222-8333-444455556666`,
      datetime: '2026-11-27T09:01:33Z',
    };
    return JSON.parse(formatEvent(event)) as DockerCloudEvent;
  };
  const warmup = Array.from({ length: 100_000 }, decodedUpdate);
  for (const event of warmup) store.apply(event, 1);
  store.publish();

  const runs = 5;
  const perRun = 100_000;
  const batches = Array.from({ length: runs }, () => Array.from({ length: perRun }, decodedUpdate));
  let best = Number.POSITIVE_INFINITY;
  for (const batch of batches) {
    const start = performance.now();
    for (const event of batch) store.apply(event, 2);
    best = Math.min(best, ((performance.now() - start) * 1000) / batch.length);
    store.publish();
  }
  line('apply: container state update, µs/event (best of 5 × 100k)', fmt(best, 3), 'target ≤ 1 µs');

  // The 10 Hz loop a UI runs: 1,000 events then one publish.
  const ticks = Array.from({ length: 50 }, () => Array.from({ length: 1000 }, decodedUpdate));
  let applyMs = 0;
  let publishMs = 0;
  for (const tick of ticks) {
    let start = performance.now();
    for (const event of tick) store.apply(event, 3);
    applyMs += performance.now() - start;
    start = performance.now();
    store.publish();
    publishMs += performance.now() - start;
  }
  line('10 Hz loop, 1,000 events per tick: apply µs/event', fmt((applyMs * 1000) / 50_000, 3));
  line('10 Hz loop, 1,000 events per tick: publish ms/tick', fmt(publishMs / 50, 3));

  // publish() with N distinct objects changed since the last publish.
  let n = 0;
  const cheapUpdate = (index: number): DockerCloudEvent => {
    const c = world.containers[index % world.containers.length] as (typeof world.containers)[number];
    return {
      type: 'container',
      action: 'update',
      parents: c.parents,
      resource_uri: c.uri,
      state: (n % 2 === 0 ? 'Running' : 'Stopped') as DockerCloudEvent['state'],
      uuid: `p${n++}`,
      datetime: '2026-11-27T09:01:33Z',
    };
  };
  for (const dirty of [1, 10, 100, 1000, 10_000, 97_800]) {
    const repeats = dirty >= 10_000 ? 5 : 30;
    const samples: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const offset = Math.floor(random() * world.containers.length);
      for (let i = 0; i < dirty; i++) store.apply(cheapUpdate(offset + i), 4);
      const start = performance.now();
      store.publish();
      samples.push((performance.now() - start) * 1000);
    }
    line(`publish with ${dirty.toLocaleString('en')} dirty, µs (median)`, fmt(median(samples), 1));
  }

  const big = new Map<string, unknown>(world.containers.map((c) => [c.uri, c] as const));
  for (const c of world.stacksAndServices) big.set(c, c);
  const copies: number[] = [];
  for (let r = 0; r < 10; r++) {
    const start = performance.now();
    const copy = new Map(big);
    copies.push((performance.now() - start) * 1000);
    if (copy.size === 0) throw new Error('unreachable');
  }
  line('baseline: copying one 100k-entry Map, µs (median)', fmt(median(copies), 1));
  const snapshot = store.getSnapshot();
  line('snapshot size / version', `${snapshot.size} / ${snapshot.version}`);
  if (typeof globalThis.gc === 'function') globalThis.gc();
  line('heap used (20 recent events per object retained)', `${fmt(process.memoryUsage().heapUsed / 2 ** 20, 0)} MiB`);
}

function buildWorld() {
  const uri = (api: string, type: string, id: number) =>
    `/api/${api}/v1/acme/${type}/${id.toString(16).padStart(8, '0')}-4bbb-4ccc-8ddd-${type.length.toString().padStart(12, '0')}/`;
  const nodeclusters: RestObjectByType['nodecluster'][] = [];
  const nodes: RestObjectByType['node'][] = [];
  const stacks: RestObjectByType['stack'][] = [];
  const services: RestObjectByType['service'][] = [];
  const containers: { uri: string; parents: string[] }[] = [];
  const restContainers: RestObjectByType['container'][] = [];
  for (let i = 0; i < 100; i++) {
    const cluster = uri('infra', 'nodecluster', i);
    const stack = uri('app', 'stack', i);
    const nodeUris = Array.from({ length: 10 }, (_, j) => uri('infra', 'node', i * 10 + j));
    const serviceUris = Array.from({ length: 10 }, (_, j) => uri('app', 'service', i * 10 + j));
    nodeclusters.push({
      uuid: uuidOf(cluster), resource_uri: cluster, state: 'Deployed', name: `cluster-${i}`, nodes: nodeUris,
      target_num_nodes: 10, current_num_nodes: 10, region: null, node_type: null,
    });
    stacks.push({ uuid: uuidOf(stack), resource_uri: stack, state: 'Running', name: `stack-${i}`, services: serviceUris, deployed_datetime: null, destroyed_datetime: null });
    for (const node of nodeUris) {
      nodes.push({
        uuid: uuidOf(node), resource_uri: node, state: 'Deployed', node_cluster: cluster, external_fqdn: null, docker_version: '1.11',
        cpu: 2, memory: 4096, current_num_containers: 98, last_seen: null,
      });
    }
    for (const service of serviceUris) {
      services.push({
        uuid: uuidOf(service), resource_uri: service, state: 'Running', name: 'web', image_name: 'nginx', stack, containers: [],
        target_num_containers: 98, current_num_containers: 98, running_num_containers: 98, stopped_num_containers: 0,
      });
    }
  }
  for (let i = 0; i < 97_800; i++) {
    const container = uri('app', 'container', i);
    const service = services[i % services.length] as RestObjectByType['service'];
    const node = nodes[(i * 7) % nodes.length] as RestObjectByType['node'];
    containers.push({ uri: container, parents: [service.resource_uri, service.stack as string, node.resource_uri, node.node_cluster as string] });
    restContainers.push({
      uuid: uuidOf(container), resource_uri: container, state: 'Running', name: `web-${i}`, image_name: 'nginx',
      service: service.resource_uri, node: node.resource_uri, exit_code: null, started_datetime: null, stopped_datetime: null,
    });
  }
  return {
    lists: { nodecluster: nodeclusters, node: nodes, stack: stacks, service: services, container: restContainers },
    containers,
    stacksAndServices: [...stacks, ...services, ...nodes, ...nodeclusters].map((o) => o.resource_uri),
  };
}

function uuidOf(uri: string): string {
  return uri.split('/').at(-2) as string;
}

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
