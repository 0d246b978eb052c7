import { createFilter, createFilterIndex, type EventFilter, type FilterableEvent, matchesFilter, MATCH_ALL, type ObjectType } from '../src/index.js';
import { bestOfNs, fmt, line } from './measure.js';

/**
 * One namespace shaped like a busy Docker Cloud account: 20 stacks × 5 services × 10 containers
 * on 10 nodes in 2 clusters. A seeded generator keeps every run on the same data.
 */
function world(seed: number) {
  let state = seed >>> 0;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const uri = (api: string, type: string, id: number) => `/api/${api}/v1/acme/${type}/${type}-${id.toString(16).padStart(8, '0')}-4bbb-8ccc-000000000000/`;

  const clusters = [0, 1].map((i) => uri('infra', 'nodecluster', i));
  const nodes = Array.from({ length: 10 }, (_, i) => ({ uri: uri('infra', 'node', i), cluster: clusters[i % 2] as string }));
  const stacks = Array.from({ length: 20 }, (_, i) => uri('app', 'stack', i));
  const services = Array.from({ length: 100 }, (_, i) => ({ uri: uri('app', 'service', i), stack: stacks[Math.floor(i / 5)] as string }));
  const containers = Array.from({ length: 1000 }, (_, i) => {
    const service = services[Math.floor(i / 10)]!;
    const node = pick(nodes);
    return { uri: uri('app', 'container', i), parents: [service.uri, service.stack, node.uri, node.cluster] };
  });

  const event = (): FilterableEvent => {
    const r = random();
    if (r < 0.7) {
      const c = pick(containers);
      return { type: 'container', resource_uri: c.uri, parents: c.parents };
    }
    if (r < 0.85) {
      const s = pick(services);
      return { type: 'service', resource_uri: s.uri, parents: [s.stack] };
    }
    if (r < 0.9) return { type: 'stack', resource_uri: pick(stacks), parents: [] };
    if (r < 0.95) {
      const n = pick(nodes);
      return { type: 'node', resource_uri: n.uri, parents: [n.cluster] };
    }
    if (r < 0.97) return { type: 'nodecluster', resource_uri: pick(clusters), parents: [] };
    const c = pick(containers);
    return { type: 'action', resource_uri: `/api/audit/v1/action/a${Math.floor(random() * 1e6)}/`, parents: [c.uri, ...c.parents] };
  };

  // The mix of a real server: dashboards and load balancers watch stacks/services (parents),
  // detail views watch one object, a few tools watch a type or everything.
  const types: ObjectType[] = ['stack', 'service', 'container', 'nodecluster', 'node', 'action'];
  const subscription = (): EventFilter => {
    const r = random();
    if (r < 0.02) return MATCH_ALL;
    if (r < 0.12) return createFilter({ type: random() < 0.5 ? pick(types) : [pick(types), pick(types)] });
    if (r < 0.35) return createFilter({ parent: pick(stacks), ...(random() < 0.5 ? { type: 'container' } : {}) });
    if (r < 0.45) return createFilter({ parent: pick(services).uri });
    if (r < 0.5) return createFilter({ parent: [pick(nodes).uri, pick(nodes).uri] });
    if (r < 0.9) return createFilter({ object: pick(containers).uri });
    return createFilter({ object: [pick(services).uri, pick(stacks)], type: ['service', 'stack'] });
  };

  return { event, subscription };
}

/** Filter matching cost per pair, then fan-out with 1,000 subscriptions: the index vs testing each filter. */
export default async function benchFilters(): Promise<void> {
  const { event, subscription } = world(42);
  const events = Array.from({ length: 4096 }, event);
  console.log('\n# filters (one namespace: 20 stacks, 100 services, 1,000 containers, 10 nodes)');

  // Pairs of (filter, event) cycled so that branch prediction cannot memorise one answer.
  const filters = Array.from({ length: 1000 }, subscription);
  let k = 0;
  let sink = 0;
  const pairNs = bestOfNs(5, () => {
    if (matchesFilter(filters[k % 1000] as EventFilter, events[k % 4093] as FilterableEvent)) sink++;
    k++;
  }, { batch: 10_000 });
  line('matchesFilter, mixed filters × mixed events', `${fmt(pairNs, 1)} ns/pair`);

  for (const count of [1000, 10_000]) {
    const subs = count === 1000 ? filters : Array.from({ length: count }, subscription);
    const index = createFilterIndex<number>();
    for (let key = 0; key < subs.length; key++) index.add(key, subs[key] as EventFilter);
    let visits = 0;
    const visit = () => {
      visits++;
    };

    // Same answers first: the comparison is only fair if both do the same deliveries.
    const checked = events.slice(0, count === 1000 ? 4096 : 1024);
    let naiveHits = 0;
    let indexHits = 0;
    for (const e of checked) {
      for (const f of subs) if (matchesFilter(f, e)) naiveHits++;
      index.match(e, () => indexHits++);
    }
    if (naiveHits !== indexHits) throw new Error(`index found ${indexHits} deliveries, testing each filter ${naiveHits}`);

    let n = 0;
    const naiveNs = bestOfNs(5, () => {
      const e = events[n++ & 4095] as FilterableEvent;
      for (let i = 0; i < subs.length; i++) if (matchesFilter(subs[i] as EventFilter, e)) visit();
    }, { batch: count === 1000 ? 200 : 20 });
    const indexNs = bestOfNs(5, () => {
      index.match(events[n++ & 4095] as FilterableEvent, visit);
    }, { batch: 1000 });
    const label = count.toLocaleString('en-US');
    line(`fan-out, ${label} subs: test each filter`, `${fmt(naiveNs / 1000, 2)} µs/event`);
    line(`fan-out, ${label} subs: FilterIndex.match`, `${fmt(indexNs / 1000, 3)} µs/event  (${fmt(naiveHits / checked.length, 1)} deliveries/event)`);
    line(`fan-out, ${label} subs: speed-up of the index`, `${fmt(naiveNs / indexNs, 1)}×`, count === 1000 ? 'target ≥ 10×' : undefined);
    sink += visits;
  }
  if (sink < 0) console.log(sink);
}
