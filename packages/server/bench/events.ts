// The bench workload: one namespace's objects, a cycle of event templates over them, and the
// subscriber filters. Everything is derived from a seed, so the server children, the client
// children and the orchestrator compute the same events, filters and expected counts apart.
import {
  type DockerCloudEvent,
  type EventFilter,
  matchesFilter,
  type ObjectType,
  parseFilter,
  resourceUriFor,
  STATES,
} from '@events/core';
import { createSeededRandom } from '@events/core/testing';

export const NAMESPACE = 'bench';
export const USER = { username: 'bench', apikey: 'bench-api-key' } as const;
export const SEED = 20_260_127;

/** Distinct event templates; the publishers cycle through them. */
const TEMPLATE_COUNT = 1_000;

/** One subscriber: the query its stream URL carries (without `?`) and the parsed filter. */
export interface SubscriberSpec {
  readonly kind: 'all' | 'type' | 'parent' | 'object';
  readonly query: string;
  readonly filter: EventFilter;
}

export interface Workload {
  readonly templates: readonly DockerCloudEvent[];
  /** How many of the first `subscriberCount` subscribers each template reaches. */
  readonly deliveriesPerTemplate: readonly number[];
  readonly subscribers: readonly SubscriberSpec[];
  /** A one-line description of the filter mix, for the report. */
  readonly mix: string;
}

const hex = (rand: () => number, digits: number) => {
  let out = '';
  for (let i = 0; i < digits; i++) out += Math.floor(rand() * 16).toString(16);
  return out;
};
const uuidOf = (rand: () => number) => `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-8${hex(rand, 3)}-${hex(rand, 12)}`;
const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;

interface Topology {
  readonly nodeclusters: string[];
  readonly nodes: { uri: string; cluster: string }[];
  readonly stacks: string[];
  readonly services: { uri: string; stack: string }[];
  readonly containers: { uri: string; service: string; stack: string; node: string; cluster: string }[];
}

/** 2 node clusters × 5 nodes; 10 stacks × 4 services × 5 containers (200 containers). */
function topology(rand: () => number): Topology {
  const uri = (type: ObjectType) => resourceUriFor(type, uuidOf(rand), NAMESPACE);
  const nodeclusters = [uri('nodecluster'), uri('nodecluster')];
  const nodes = Array.from({ length: 10 }, (_, i) => ({ uri: uri('node'), cluster: nodeclusters[i % 2] as string }));
  const stacks = Array.from({ length: 10 }, () => uri('stack'));
  const services = stacks.flatMap((stack) => Array.from({ length: 4 }, () => ({ uri: uri('service'), stack })));
  const containers = services.flatMap((service) =>
    Array.from({ length: 5 }, () => {
      const node = pick(rand, nodes);
      return { uri: uri('container'), service: service.uri, stack: service.stack, node: node.uri, cluster: node.cluster };
    }),
  );
  return { nodeclusters, nodes, stacks, services, containers };
}

/** The event mix of a busy account: mostly containers, then services, actions, the rest. */
function template(rand: () => number, t: Topology): DockerCloudEvent {
  const state = (type: ObjectType) => pick(rand, STATES[type]) as DockerCloudEvent['state'];
  const base = { action: pick(rand, ['create', 'update', 'update', 'update', 'delete'] as const), datetime: '2026-01-27T09:01:33Z' };
  // A placeholder of the final length: the publisher stamps each event's uuid with its send time.
  const uuid = '00000000-0000-4000-8000-000000000000';
  const r = rand();
  if (r < 0.6) {
    const c = pick(rand, t.containers);
    return { ...base, type: 'container', parents: [c.service, c.stack, c.node, c.cluster], resource_uri: c.uri, state: state('container'), uuid };
  }
  if (r < 0.75) {
    const s = pick(rand, t.services);
    return { ...base, type: 'service', parents: [s.stack], resource_uri: s.uri, state: state('service'), uuid };
  }
  if (r < 0.8) return { ...base, type: 'stack', parents: [], resource_uri: pick(rand, t.stacks), state: state('stack'), uuid };
  if (r < 0.85) {
    const n = pick(rand, t.nodes);
    return { ...base, type: 'node', parents: [n.cluster], resource_uri: n.uri, state: state('node'), uuid };
  }
  if (r < 0.87) return { ...base, type: 'nodecluster', parents: [], resource_uri: pick(rand, t.nodeclusters), state: state('nodecluster'), uuid };
  const s = pick(rand, t.services);
  const action = resourceUriFor('action', uuidOf(rand), null);
  return { ...base, type: 'action', parents: [s.uri, s.stack], resource_uri: action, state: state('action'), uuid };
}

/** Per 1,000 subscribers: how many of each filter kind, and over what. */
const TYPE_WEIGHTS: readonly (readonly [ObjectType, number])[] = [
  ['container', 100],
  ['service', 60],
  ['stack', 40],
  ['node', 40],
  ['nodecluster', 30],
  ['action', 30],
];

function subscriberSpecs(rand: () => number, t: Topology, count: number): SubscriberSpec[] {
  const one = (kind: SubscriberSpec['kind'], query: string): SubscriberSpec => {
    const parsed = parseFilter(query);
    if (!parsed.ok) throw parsed.error;
    return { kind, query, filter: parsed.value };
  };
  const block: SubscriberSpec[] = [];
  // 10 % match-all.
  for (let i = 0; i < 100; i++) block.push(one('all', ''));
  // 30 % by type.
  for (const [type, n] of TYPE_WEIGHTS) for (let i = 0; i < n; i++) block.push(one('type', `type=${type}`));
  // 30 % by parent: a stack, a service or a node (what a dashboard or a load balancer watches).
  const parentPool = [...t.stacks, ...t.services.map((s) => s.uri), ...t.nodes.map((n) => n.uri)];
  for (let i = 0; i < 300; i++) block.push(one('parent', `parent=${encodeURIComponent(parentPool[i % parentPool.length] as string)}`));
  // 30 % by object: one container, service or stack each.
  const objectPool = [...t.containers.map((c) => c.uri), ...t.services.map((s) => s.uri), ...t.stacks];
  for (let i = 0; i < 300; i++) block.push(one('object', `object=${encodeURIComponent(objectPool[i % objectPool.length] as string)}`));
  // Interleave the kinds so any slice of subscribers (one client process, a memory run) has the same mix.
  for (let i = block.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [block[i], block[j]] = [block[j] as SubscriberSpec, block[i] as SubscriberSpec];
  }
  return Array.from({ length: count }, (_, i) => block[i % block.length] as SubscriberSpec);
}

/**
 * The workload for `subscriberCount` subscribers (the 1,000-subscriber filter block repeats
 * beyond 1,000, for the idle-memory run).
 *
 * @example
 * const w = createWorkload(1000);
 * w.deliveriesPerTemplate[0]; // subscribers the first template reaches
 */
export function createWorkload(subscriberCount = 1_000): Workload {
  const rand = createSeededRandom(SEED);
  const t = topology(rand);
  const templates = Array.from({ length: TEMPLATE_COUNT }, () => template(rand, t));
  const subscribers = subscriberSpecs(rand, t, subscriberCount);
  const deliveriesPerTemplate = templates.map((event) => subscribers.reduce((n, s) => n + (matchesFilter(s.filter, event) ? 1 : 0), 0));
  return {
    templates,
    deliveriesPerTemplate,
    subscribers,
    mix:
      '10% match-all, 30% type= (container 100, service 60, stack 40, node 40, nodecluster 30, action 30), ' +
      '30% parent= (over 10 stacks, 40 services, 10 nodes), 30% object= (over 200 containers, 40 services, 10 stacks); ' +
      'events 60% container, 15% service, 13% action, 5% stack, 5% node, 2% nodecluster',
  };
}

/** Expected frames for each subscriber when events `first .. first+events-1` of the cycle are published. */
export function expectedPerSubscriber(workload: Workload, events: number, first = 0): number[] {
  const perTemplate = new Array<number>(workload.templates.length).fill(0);
  for (let i = first; i < first + events; i++) perTemplate[i % workload.templates.length]! += 1;
  return workload.subscribers.map((s) =>
    workload.templates.reduce((n, event, i) => n + (matchesFilter(s.filter, event) ? (perTemplate[i] as number) : 0), 0),
  );
}

/** The monotonic clock all processes share (CLOCK_MONOTONIC on Linux), in µs. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * The event's uuid carries its send time: the first 12 hex digits are µs on the shared
 * monotonic clock, the last 12 the event's sequence number. A client reads the time back from
 * the frame it receives, with no table shared between processes.
 */
export function stampUuid(sentUs: number, seq: number): string {
  const t = Math.floor(sentUs).toString(16).padStart(12, '0');
  const s = seq.toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-4000-8000-${s}`;
}

/** The event to publish as the `seq`-th (0-based) event of a run. */
export function stampedEvent(workload: Workload, seq: number, sentUs: number): DockerCloudEvent {
  const template = workload.templates[seq % workload.templates.length] as DockerCloudEvent;
  return { ...template, uuid: stampUuid(sentUs, seq) };
}
