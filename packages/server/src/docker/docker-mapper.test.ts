import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DockerCloudEvent, type ObjectType, parseEvent, type RestContainer, type RestService, type RestStack, typeOfUri, uuidOfUri } from '@events/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retainTerminatedObjects } from '../retain-terminated-objects.js';
import { parseRestPath, TERMINABLE_TYPES } from '../rest-route.js';
import type { CloudSource, OperationRequest, SourceEvent } from '../source.js';
import { DockerMapper } from './docker-mapper.js';
import {
  type EngineContainer,
  type EngineContainerStatus,
  type EngineInfo,
  type EngineService,
  type EngineSnapshot,
  parseEngineInfo,
  parseEngineNode,
  parseInspectedContainer,
  placementOf,
} from './docker-model.js';

const FIXTURES = join(import.meta.dirname, '../../test/docker/fixtures');
const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);

function createMapper(options: { settleTimeoutMs?: number; maxActions?: number } = {}) {
  const clock = { now: T0 };
  let n = 0;
  const mapper = new DockerMapper({
    namespace: 'acme',
    now: () => clock.now,
    randomUuid: () => `00000000-0000-4000-8000-${String(n++).padStart(12, '0')}`,
    ...options,
  });
  return { mapper, clock };
}

// ---- a recorded session of a real engine (test/docker/record-engine-events.ts) ---------------------

interface Recorded {
  readonly lines: string[];
  readonly inspects: Record<string, { kind: 'service' | 'node'; id: string; json: unknown }[]>;
  readonly initial: { info: unknown; nodes: unknown[] };
}

function loadFixture(): Recorded {
  return {
    lines: readFileSync(join(FIXTURES, 'engine-events.ndjson'), 'utf8').trim().split('\n'),
    inspects: JSON.parse(readFileSync(join(FIXTURES, 'engine-inspects.json'), 'utf8')),
    initial: JSON.parse(readFileSync(join(FIXTURES, 'engine-initial.json'), 'utf8')),
  };
}

function initialSnapshot(recorded: Recorded): EngineSnapshot {
  return {
    info: parseEngineInfo(recorded.initial.info),
    nodes: recorded.initial.nodes.flatMap((json) => parseEngineNode(json) ?? []),
    services: [],
    containers: [],
  };
}

/** Replays the session as the source would: each line, then the inspects it asked for. */
function replay() {
  const recorded = loadFixture();
  const { mapper, clock } = createMapper();
  const events: DockerCloudEvent[] = [...mapper.applySnapshot(initialSnapshot(recorded)).events];
  recorded.lines.forEach((line, i) => {
    clock.now += 250;
    const output = mapper.applyEvent(JSON.parse(line));
    events.push(...output.events);
    for (const effect of output.effects) {
      if (effect.kind === 'resync') throw new Error(`unexpected resync: ${effect.reason}`);
      // The recording has no container inspects (they only teach a stop timeout).
      if (effect.kind === 'inspect-container') continue;
      const answer = recorded.inspects[i]?.find((r) => r.id === effect.id)?.json ?? undefined;
      const applied = effect.kind === 'inspect-service' ? mapper.applyServiceInspect(effect.id, answer) : mapper.applyNodeInspect(effect.id, answer);
      events.push(...applied.events);
    }
  });
  return { mapper, events, recorded };
}

/** Replays with a name lookup that works for deleted objects too. */
function replayNamed() {
  const recorded = loadFixture();
  const { mapper, clock } = createMapper();
  const events: (DockerCloudEvent & { name: string })[] = [];
  const names = new Map<string, string>();
  const take = (batch: DockerCloudEvent[]) => {
    for (const event of batch) {
      const object = mapper.get(event.type, uuidOfUri(event.resource_uri)) as { name?: string; external_fqdn?: string } | undefined;
      const name = object?.name ?? object?.external_fqdn;
      if (name) names.set(event.resource_uri, name);
      events.push({ ...event, name: names.get(event.resource_uri) ?? '?' });
    }
  };
  take(mapper.applySnapshot(initialSnapshot(recorded)).events);
  recorded.lines.forEach((line, i) => {
    clock.now += 250;
    const output = mapper.applyEvent(JSON.parse(line));
    take(output.events);
    for (const effect of output.effects) {
      if (effect.kind === 'resync') throw new Error(`unexpected resync: ${effect.reason}`);
      // The recording has no container inspects (they only teach a stop timeout).
      if (effect.kind === 'inspect-container') continue;
      const answer = recorded.inspects[i]?.find((r) => r.id === effect.id)?.json ?? undefined;
      take(effect.kind === 'inspect-service' ? mapper.applyServiceInspect(effect.id, answer).events : mapper.applyNodeInspect(effect.id, answer).events);
    }
  });
  return { mapper, events, recorded };
}

/** Array.prototype.findLastIndex is ES2023; the lib here is ES2022. */
function lastIndexOf<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i] as T)) return i;
  return -1;
}

const lifeOf = (events: readonly (DockerCloudEvent & { name: string })[], type: ObjectType, name: string) =>
  events.filter((e) => e.type === type && e.name === name).map((e) => (e.action === 'update' ? e.state : `${e.action} ${e.state}`));

describe('DockerMapper on a recorded engine session', () => {
  it('emits only valid events, and names only parents that exist', () => {
    const { events } = replay();
    const live = new Set<string>();
    for (const event of events) {
      expect(parseEvent(JSON.parse(JSON.stringify(event))).ok).toBe(true);
      for (const parent of event.parents) expect(live.has(parent), `${event.type} ${event.action} names a parent unknown then`).toBe(true);
      if (event.action === 'create') {
        expect(live.has(event.resource_uri)).toBe(false);
        live.add(event.resource_uri);
      } else {
        expect(live.has(event.resource_uri), `${event.action} of an object never created`).toBe(true);
        if (event.action === 'delete') live.delete(event.resource_uri);
      }
    }
    expect(new Set(events.map((e) => e.uuid)).size).toBe(events.length);
  });

  it('follows a plain container through create, stop, start, restart, kill and rm', () => {
    const { events } = replayNamed();
    expect(lifeOf(events, 'container', 'plain-1')).toEqual([
      'create Starting', 'Running',
      'Stopping', 'Stopped', 'Running', // docker stop, docker start
      'Stopping', 'Stopped', 'Running', // docker restart
      'Stopping', 'Stopped', // docker kill
      'Terminated', 'delete Terminated', // docker rm
    ]);
    // A container outside any service: parents node and node cluster only.
    const create = events.find((e) => e.name === 'plain-1' && e.action === 'create');
    expect(create?.parents.map((p) => typeOfUri(p))).toEqual(['node', 'nodecluster']);
  });

  it('turns Compose labels into a stack and services', () => {
    const { events } = replayNamed();
    expect(lifeOf(events, 'stack', 'blog')).toEqual([
      'create Starting', 'Running', // blog-web-1 created, started
      'Partly running', 'Running', // blog-web-2
      'Starting', 'Running', // blog-db-1: service db Starting (so the stack too, not a resting Partly running), then Running
      'Partly running', 'Running', // blog-web-2 stopped, then removed
      'Partly running', 'Stopped', // docker rm -f of the rest: web dies, then db
      'Terminated', 'delete Terminated',
    ]);
    expect(lifeOf(events, 'service', 'web')).toEqual(['create Starting', 'Running', 'Partly running', 'Running', 'Partly running', 'Running', 'Stopped', 'Terminated', 'delete Terminated']);
    const create = events.find((e) => e.name === 'blog-db-1' && e.action === 'create');
    expect(create?.parents.map((p) => typeOfUri(p))).toEqual(['service', 'stack', 'node', 'nodecluster']);
  });

  it('brackets a swarm service scale and a forced update with Scaling and Redeploying', () => {
    const { events } = replayNamed();
    expect(lifeOf(events, 'service', 'solo')).toEqual([
      'create Starting', 'Running',
      'Scaling', 'Running', // scale to 3
      'Scaling', 'Running', // scale to 1: Running once the two extra containers died
      'Redeploying', 'Running', // service update --force
      'Terminating', 'Terminated', 'delete Terminated', // service rm: gone once its containers are
    ]);
  });

  it('follows a stack deploy, a killed task replaced by swarm, and stack rm', () => {
    const { events } = replayNamed();
    // Starting until both services run (not a resting Partly running while the second one starts).
    expect(lifeOf(events, 'stack', 'shop')).toEqual(['create Starting', 'Running', 'Partly running', 'Running', 'Terminating', 'Terminated', 'delete Terminated']);
    expect(lifeOf(events, 'service', 'shop_worker')).toEqual(['create Starting', 'Running', 'Not running', 'Running', 'Terminating', 'Terminated', 'delete Terminated']);
    // The stack goes last, after every container and service of it.
    const stackDelete = events.findIndex((e) => e.type === 'stack' && e.name === 'shop' && e.action === 'delete');
    const lastChild = lastIndexOf(events, (e) => e.parents.some((p) => p.includes('/stack/')) && e.name.startsWith('shop'));
    expect(stackDelete).toBeGreaterThan(lastChild);
  });

  it('ends with only the node cluster and its node, and a re-list of that engine changes nothing', () => {
    const { mapper, recorded } = replay();
    expect((['stack', 'service', 'container'] as const).map((t) => mapper.list(t).length)).toEqual([0, 0, 0]);
    expect(mapper.list('nodecluster').map((c) => [c.name, c.state, c.current_num_nodes])).toEqual([['default', 'Deployed', 1]]);
    const lastNode = Object.values(recorded.inspects).flat().filter((r) => r.kind === 'node').at(-1)?.json;
    const output = mapper.applySnapshot({ ...initialSnapshot(recorded), nodes: [parseEngineNode(lastNode) ?? []].flat() });
    expect(output.events).toEqual([]);
  });
});

// ---- re-listing: exactly the differences ----------------------------------------------------------

const INFO: EngineInfo = { engineId: 'ENG1', name: 'host1', version: '20.10.24', cpus: 2, memoryBytes: 4 * 1024 ** 3, swarm: null, systemTimeNano: null };
const SWARM_INFO: EngineInfo = { ...INFO, swarm: { nodeId: 'node1', clusterId: 'cl1', clusterName: 'default', manager: true } };

function container(id: string, status: EngineContainerStatus, labels: Record<string, string> = {}, extra: Partial<EngineContainer> = {}): EngineContainer {
  return {
    id,
    name: id,
    image: 'busybox:local',
    status,
    stopping: false,
    exitCode: status === 'exited' ? 137 : null,
    startedAt: T0 - 60_000,
    finishedAt: status === 'exited' ? T0 - 30_000 : null,
    placement: placementOf(labels),
    ...extra,
  };
}

function swarmService(id: string, replicas: number, stack: string | null = null): EngineService {
  return { id, name: stack ? `${stack}_${id}` : id, image: 'busybox:local', stack, mode: 'replicated', replicas, createdAt: T0 - 120_000 };
}

const task = (service: EngineService) => ({
  'com.docker.swarm.service.id': service.id,
  'com.docker.swarm.service.name': service.name,
  'com.docker.swarm.node.id': 'node1',
  ...(service.stack ? { 'com.docker.stack.namespace': service.stack } : {}),
});

const NODE1 = { id: 'node1', hostname: 'host1', state: 'ready', engineVersion: '20.10.24', cpus: 2, memoryBytes: 4 * 1024 ** 3, updatedAt: T0 - 600_000 };

/** Random engines that share ids, so two of them overlap the way an engine before and after an outage does. */
const engineArb: fc.Arbitrary<EngineSnapshot> = fc
  .record({
    swarm: fc.boolean(),
    services: fc.uniqueArray(fc.record({ id: fc.constantFrom('sa', 'sb', 'sc'), replicas: fc.integer({ min: 0, max: 3 }), stack: fc.constantFrom(null, 'shop', 'blog') }), { selector: (s) => s.id, maxLength: 3 }),
    containers: fc.uniqueArray(
      fc.record({
        id: fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c5', 'c6'),
        status: fc.constantFrom<EngineContainerStatus>('created', 'running', 'exited', 'paused', 'dead', 'restarting'),
        // stack-only: a Compose project label and no service label (a stack with no service of its own, or beside Compose's).
        kind: fc.constantFrom('plain', 'compose', 'task-a', 'task-b', 'task-gone', 'stack-only'),
        composeService: fc.constantFrom('web', 'db'),
        // Times apart by far more than the 2 s a re-list forgives.
        started: fc.integer({ min: 0, max: 5 }),
      }),
      { selector: (c) => c.id, maxLength: 6 },
    ),
  })
  .map(({ swarm, services, containers }) => {
    const engineServices = swarm ? services.map((s) => swarmService(s.id, s.replicas, s.stack)) : [];
    return {
      info: swarm ? SWARM_INFO : INFO,
      nodes: swarm ? [NODE1] : null,
      services: swarm ? engineServices : null,
      containers: containers.map((c) => {
        const service = c.kind === 'task-a' ? engineServices[0] : c.kind === 'task-b' ? engineServices[1] : undefined;
        const labels: Record<string, string> =
          c.kind === 'compose'
            ? { 'com.docker.compose.project': 'blog', 'com.docker.compose.service': c.composeService }
            : c.kind === 'stack-only'
              ? { 'com.docker.compose.project': 'blog' }
              : service
              ? task(service)
              : c.kind === 'task-gone' && swarm
                ? task(swarmService('gone', 1, 'shop'))
                : {};
        return container(c.id, c.status, labels, { startedAt: T0 - c.started * 10_000 });
      }),
    } satisfies EngineSnapshot;
  });

/** What a stream client holds after these events: state by resource URI. */
function clientView(events: readonly DockerCloudEvent[], start: Map<string, string> = new Map()): Map<string, string> {
  const view = new Map(start);
  for (const event of events) {
    if (event.action === 'delete') view.delete(event.resource_uri);
    else view.set(event.resource_uri, event.state);
  }
  return view;
}

function restView(mapper: DockerMapper): Map<string, string> {
  const view = new Map<string, string>();
  for (const type of ['nodecluster', 'node', 'stack', 'service', 'container'] as const) for (const o of mapper.list(type)) view.set(o.resource_uri, o.state);
  return view;
}

function restObjects(mapper: DockerMapper) {
  return (['nodecluster', 'node', 'stack', 'service', 'container'] as const).map((type) => [...mapper.list(type)].sort((a, b) => a.uuid.localeCompare(b.uuid)));
}

describe('DockerMapper re-list after an interruption', () => {
  it('emits exactly what a client needs to go from the old engine to the new one', () => {
    fc.assert(
      fc.property(engineArb, engineArb, (before, after) => {
        const { mapper } = createMapper();
        const first = mapper.applySnapshot(before).events;
        const second = mapper.applySnapshot(after).events;
        const fresh = createMapper().mapper;
        fresh.applySnapshot(after);
        // The client's view after both batches is the fresh engine's, state for state...
        expect(clientView(second, clientView(first))).toEqual(restView(fresh));
        // ...and the REST view of the mapper that lived through the change equals a fresh one's.
        expect(restObjects(mapper)).toEqual(restObjects(fresh));
        // Nothing is said twice: no update without a change of state, parents or name.
        const again = mapper.applySnapshot(after).events;
        expect(again).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('gives a stack whose containers belong to no service their state: it is not being terminated', () => {
    const { mapper } = createMapper();
    const labels = { 'com.docker.compose.project': 'tools' };
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [container('c1', 'running', labels), container('c2', 'exited', labels)] });
    expect(mapper.list('stack').map((s) => [s.name, s.state, s.services])).toEqual([['tools', 'Partly running', []]]);
    expect(states(mapper.applyEvent(engineEvent('container', 'start', 'c2', labels)).events)).toEqual(['container Running', 'stack Running']);
    expect(states(mapper.applyEvent(engineEvent('container', 'die', 'c1', { ...labels, exitCode: '0' })).events)).toEqual(['container Stopped', 'stack Partly running']);
    // A stack stop stops them, as a stack terminate removes them.
    const plan = mapper.beginOperation(request('stack', mapper.list('stack')[0]?.uuid as string, 'stop'));
    expect(plan.jobs).toEqual([{ kind: 'container-stop', id: 'c2' }]);
    expect(states(mapper.applyEvent(engineEvent('container', 'die', 'c2', { ...labels, exitCode: '0' })).events)).toEqual(['container Stopped', 'stack Stopped']);
    expect(states(mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, []).events)).toEqual(['action Success']);
    mapper.applyEvent(engineEvent('container', 'destroy', 'c1', labels));
    expect(states(mapper.applyEvent(engineEvent('container', 'destroy', 'c2', labels)).events)).toEqual(['container Terminated', 'container delete Terminated', 'stack Terminated', 'stack delete Terminated']);
  });

  it('shows a finished swarm job Stopped, and its stack as its other services are', () => {
    const { mapper } = createMapper();
    const web = swarmService('web', 1, 'shop');
    const job = { ...swarmService('migrate', 1, 'shop'), mode: 'job' as const, replicas: null };
    mapper.applySnapshot({
      info: SWARM_INFO,
      nodes: [NODE1],
      services: [web, job],
      containers: [container('c1', 'running', task(web)), container('c2', 'exited', task(job), { exitCode: 0 })],
    });
    const byName = (name: string) => mapper.list('service').find((s) => s.name === name);
    // A job's tasks run to completion: it is Stopped once they have, as a Compose service of exited containers.
    expect([byName('shop_migrate')?.state, byName('shop_migrate')?.target_num_containers]).toEqual(['Stopped', 1]);
    expect(mapper.list('stack').map((s) => s.state)).toEqual(['Running']);
    // Run again (docker service update --force): Running while it runs, and the stack with it.
    expect(states(mapper.applyEvent(engineEvent('container', 'start', 'c2', task(job))).events)).toEqual(['container Running', 'service Running']);
    expect(states(mapper.applyEvent(engineEvent('container', 'die', 'c1', { ...task(web), exitCode: '1' })).events)).toEqual([
      'container Stopped',
      'service Not running',
      'stack Partly running',
    ]);
    expect(mapper.beginOperation(request('service', byName('shop_migrate')?.uuid as string, 'scale', { targetNumContainers: 3 })).result).toEqual({
      ok: false,
      status: 405,
      detail: 'Method not allowed: a swarm job runs its tasks to completion and cannot be scaled.',
    });
    // A stack of finished jobs only is Stopped, not Terminating.
    const jobs = createMapper().mapper;
    jobs.applySnapshot({ info: SWARM_INFO, nodes: [NODE1], services: [job], containers: [container('c2', 'exited', task(job), { exitCode: 0 })] });
    expect(jobs.list('stack').map((s) => s.state)).toEqual(['Stopped']);
  });

  it('follows a swarm job created while it runs: Starting, Running, then Stopped once its task has run', () => {
    const { mapper } = createMapper();
    mapper.applySnapshot({ info: SWARM_INFO, nodes: [NODE1], services: [], containers: [] });
    const job = { ...swarmService('migrate', 1), mode: 'job' as const, replicas: null };
    expect(mapper.applyEvent(engineEvent('service', 'create', 'migrate', { name: 'migrate' })).effects).toEqual([{ kind: 'inspect-service', id: 'migrate' }]);
    const inspected = { ID: 'migrate', CreatedAt: new Date(T0).toISOString(), Spec: { Name: 'migrate', Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } }, TaskTemplate: { ContainerSpec: { Image: 'busybox:local' } } } };
    expect(states(mapper.applyServiceInspect('migrate', inspected).events)).toEqual(['service create Starting']);
    expect(states(mapper.applyEvent(engineEvent('container', 'create', 'c1', { ...task(job), name: 'migrate.1.x' })).events)).toEqual(['container create Starting']);
    expect(states(mapper.applyEvent(engineEvent('container', 'start', 'c1', { ...task(job), name: 'migrate.1.x' })).events)).toEqual(['container Running', 'service Running']);
    expect(states(mapper.applyEvent(engineEvent('container', 'die', 'c1', { ...task(job), name: 'migrate.1.x', exitCode: '0' })).events)).toEqual(['container Stopped', 'service Stopped']);
  });

  it('shows a service removed while its containers linger as Terminating, on a re-list too', () => {
    const { mapper } = createMapper();
    const gone = swarmService('gone', 1, 'shop');
    mapper.applySnapshot({ info: SWARM_INFO, nodes: [NODE1], services: [], containers: [container('c1', 'running', task(gone))] });
    expect(mapper.list('service').map((s) => [s.name, s.state, s.target_num_containers])).toEqual([['shop_gone', 'Terminating', 0]]);
    expect(mapper.list('stack').map((s) => [s.name, s.state])).toEqual([['shop', 'Terminating']]);
  });

  it('marks the engine node Unreachable while the engine is lost, and Deployed again after a re-list', () => {
    const { mapper } = createMapper();
    const snapshot: EngineSnapshot = { info: INFO, nodes: null, services: null, containers: [container('c1', 'running')] };
    mapper.applySnapshot(snapshot);
    const lost = mapper.engineLost().events;
    expect(lost.map((e) => [e.type, e.state])).toEqual([
      ['node', 'Unreachable'],
      ['nodecluster', 'Partly deployed'],
    ]);
    expect(mapper.engineLost().events).toEqual([]);
    const back = mapper.applySnapshot(snapshot).events;
    expect(back.map((e) => [e.type, e.state])).toEqual([
      ['node', 'Deployed'],
      ['nodecluster', 'Deployed'],
    ]);
  });

  it('re-lists on an event of a swarm node it has not listed: a new swarm (docker swarm leave, then init) says nothing else', () => {
    const { mapper } = createMapper();
    mapper.applySnapshot({ info: SWARM_INFO, nodes: [NODE1], services: [], containers: [container('c1', 'running')] });
    // Its own node's events are followed as ever.
    expect(mapper.applyEvent(engineEvent('node', 'update', 'node1', { name: 'host1', 'state.new': 'down', 'state.old': 'ready' })).effects).toEqual([{ kind: 'inspect-node', id: 'node1' }]);
    // The only event of a `docker swarm init` after a leave: the new swarm's node. Added to the old
    // cluster it left the old node Deployed beside it, and the plain containers on the old one.
    const init = mapper.applyEvent(engineEvent('node', 'update', 'node9', { name: 'host1', 'state.new': 'ready', 'state.old': 'unknown' }));
    expect(init).toEqual({ events: [], effects: [{ kind: 'resync', reason: 'a swarm node event for a node not listed (node9)' }] });
    expect(mapper.list('node').map((n) => n.uuid)).toHaveLength(1);
  });
});

// ---- operations -------------------------------------------------------------------------------------------

const request = (type: ObjectType, uuid: string, operation: OperationRequest['operation'], extra: Partial<OperationRequest> = {}): OperationRequest => ({
  namespace: 'acme',
  type,
  uuid,
  operation,
  user: 'alice',
  method: 'POST',
  path: `/api/app/v1/acme/${type}/${uuid}/${operation}/`,
  ...extra,
});

const engineEvent = (type: string, action: string, id: string, attributes: Record<string, string>, timeMs = T0) => ({
  Type: type,
  Action: action,
  Actor: { ID: id, Attributes: attributes },
  scope: 'local',
  time: Math.floor(timeMs / 1000),
  timeNano: timeMs * 1e6,
});

const states = (events: readonly DockerCloudEvent[]) => events.map((e) => `${e.type} ${e.action === 'update' ? '' : `${e.action} `}${e.state}`);

describe('DockerMapper operations', () => {
  function withContainer(status: EngineContainerStatus = 'running') {
    const setup = createMapper({ settleTimeoutMs: 30_000 });
    setup.mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [container('c1', status, {}, { name: 'web-1' })] });
    const uuid = setup.mapper.list('container')[0]?.uuid as string;
    return { ...setup, uuid };
  }

  it('stops a container: action In progress, Stopping, Stopped, then Success (engine answer first)', () => {
    const { mapper, uuid } = withContainer();
    const plan = mapper.beginOperation(request('container', uuid, 'stop'));
    expect(plan.result.ok && plan.result.action.state).toBe('In progress');
    expect(plan.jobs).toEqual([{ kind: 'container-stop', id: 'c1' }]);
    expect(states(plan.events)).toEqual(['action create Pending', 'action In progress', 'container Stopping']);
    const action = plan.events[0] as DockerCloudEvent;
    expect(action.resource_uri).toMatch(/^\/api\/audit\/v1\/action\/[0-9a-f-]+\/$/);
    expect(action.parents[0]).toBe(mapper.get('container', uuid)?.resource_uri);
    expect(states(mapper.applyEvent(engineEvent('container', 'kill', 'c1', { name: 'web-1', signal: '15' })).events)).toEqual([]);
    expect(states(mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, []).events)).toEqual([]);
    expect(states(mapper.applyEvent(engineEvent('container', 'die', 'c1', { name: 'web-1', exitCode: '137' })).events)).toEqual(['container Stopped', 'action Success']);
    const done = mapper.get('action', (plan.result.ok && plan.result.action.uuid) as string);
    expect([done?.state, done?.action, done?.user, done?.end_date !== null]).toEqual(['Success', 'Container Stop', 'alice', true]);
  });

  it('waits for the engine answer when the engine events come first', () => {
    const { mapper, uuid } = withContainer('exited');
    const plan = mapper.beginOperation(request('container', uuid, 'start'));
    expect(states(plan.events)).toEqual(['action create Pending', 'action In progress', 'container Starting']);
    expect(states(mapper.applyEvent(engineEvent('container', 'start', 'c1', { name: 'web-1' })).events)).toEqual(['container Running']);
    expect(states(mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, []).events)).toEqual(['action Success']);
  });

  it('keeps every open action beyond maxActions readable, and prunes finished ones oldest first', () => {
    const { mapper } = createMapper({ settleTimeoutMs: 30_000, maxActions: 1 });
    const listed = [container('c1', 'running', {}, { name: 'web-1' }), container('c2', 'running', {}, { name: 'web-2' })];
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: listed });
    const [one, two] = mapper.list('container').map((c) => c.uuid) as [string, string];
    const actionOf = (plan: ReturnType<DockerMapper['beginOperation']>) => (plan.result.ok ? plan.result.action.uuid : 'refused');
    const first = actionOf(mapper.beginOperation(request('container', one, 'stop')));
    const second = actionOf(mapper.beginOperation(request('container', two, 'stop')));
    // Both open: over the limit, and neither may go.
    expect([mapper.get('action', first)?.state, mapper.get('action', second)?.state]).toEqual(['In progress', 'In progress']);
    expect(states(mapper.jobsDone(first, ['refused']).events)).toEqual(['container Running', 'action Failed']);
    expect(states(mapper.jobsDone(second, ['refused']).events)).toEqual(['container Running', 'action Failed']);
    const third = actionOf(mapper.beginOperation(request('container', one, 'stop')));
    expect(mapper.list('action').map((a) => a.uuid)).toEqual([third]);
  });

  it('fails the action and drops the transitional state when the engine refuses', () => {
    const { mapper, uuid } = withContainer();
    const plan = mapper.beginOperation(request('container', uuid, 'stop'));
    const output = mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, ['stop container c1: boom']);
    expect(states(output.events)).toEqual(['container Running', 'action Failed']);
  });

  it('restarts a container: Stopping until it went down, Starting until it runs again', () => {
    const { mapper, uuid, clock } = withContainer();
    const plan = mapper.beginOperation(request('container', uuid, 'redeploy'));
    expect(states(plan.events).at(-1)).toBe('container Stopping');
    expect(states(mapper.applyEvent(engineEvent('container', 'die', 'c1', { exitCode: '137' })).events)).toEqual(['container Starting']);
    clock.now += 1000;
    expect(states(mapper.applyEvent(engineEvent('container', 'start', 'c1', {}, clock.now)).events)).toEqual(['container Running']);
    expect(states(mapper.applyEvent(engineEvent('container', 'restart', 'c1', {}, clock.now)).events)).toEqual([]);
    expect(states(mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, []).events)).toEqual(['action Success']);
  });

  it('terminates a container: Terminating, then Terminated, delete and Success once it is gone', () => {
    const { mapper, uuid } = withContainer();
    const plan = mapper.beginOperation(request('container', uuid, 'terminate', { method: 'DELETE' }));
    expect(states(plan.events).at(-1)).toBe('container Terminating');
    mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, []);
    mapper.applyEvent(engineEvent('container', 'die', 'c1', { exitCode: '137' }));
    const gone = mapper.applyEvent(engineEvent('container', 'destroy', 'c1', {}));
    expect(states(gone.events)).toEqual(['container Terminated', 'container delete Terminated', 'action Success']);
    expect(mapper.list('container')).toEqual([]);
    expect(mapper.get('action', (plan.result.ok && plan.result.action.uuid) as string)?.state).toBe('Success');
  });

  it('scales a swarm service: Scaling with the new target until the containers run', () => {
    const { mapper } = createMapper();
    const s = swarmService('sa', 1, 'shop');
    mapper.applySnapshot({ info: SWARM_INFO, nodes: [NODE1], services: [s], containers: [container('c1', 'running', task(s))] });
    const service = mapper.list('service')[0];
    const plan = mapper.beginOperation(request('service', service?.uuid as string, 'scale', { targetNumContainers: 2 }));
    expect(plan.jobs).toEqual([{ kind: 'service-scale', id: 'sa', replicas: 2 }]);
    expect(states(plan.events)).toEqual(['action create Pending', 'action In progress', 'service Scaling']);
    expect(mapper.list('service')[0]?.target_num_containers).toBe(2);
    mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, []);
    expect(states(mapper.applyEvent(engineEvent('service', 'update', 'sa', { name: s.name, 'replicas.new': '2', 'replicas.old': '1' })).events)).toEqual([]);
    expect(states(mapper.applyEvent(engineEvent('container', 'create', 'c2', { name: 'c2', ...task(s) })).events)).toEqual(['container create Starting']);
    expect(states(mapper.applyEvent(engineEvent('container', 'start', 'c2', { name: 'c2', ...task(s) })).events)).toEqual(['container Running', 'service Running', 'action Success']);
  });

  it('redeploys a swarm service until every old container is replaced', () => {
    const { mapper } = createMapper();
    const s = swarmService('sa', 1);
    mapper.applySnapshot({ info: SWARM_INFO, nodes: [NODE1], services: [s], containers: [container('c1', 'running', task(s))] });
    const plan = mapper.beginOperation(request('service', mapper.list('service')[0]?.uuid as string, 'redeploy'));
    expect(states(plan.events).at(-1)).toBe('service Redeploying');
    mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, []);
    mapper.applyEvent(engineEvent('container', 'create', 'c2', { name: 'c2', ...task(s) }));
    mapper.applyEvent(engineEvent('container', 'die', 'c1', { exitCode: '137' }));
    expect(mapper.list('service')[0]?.state).toBe('Redeploying');
    expect(states(mapper.applyEvent(engineEvent('container', 'start', 'c2', { name: 'c2', ...task(s) })).events)).toEqual(['container Running', 'service Running', 'action Success']);
  });

  it('falls back to the resting state when the engine does not converge before the deadline', () => {
    const { mapper, clock } = createMapper({ settleTimeoutMs: 5_000 });
    const s = swarmService('sa', 1);
    mapper.applySnapshot({ info: SWARM_INFO, nodes: [NODE1], services: [s], containers: [container('c1', 'running', task(s))] });
    const plan = mapper.beginOperation(request('service', mapper.list('service')[0]?.uuid as string, 'scale', { targetNumContainers: 3 }));
    mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, []);
    expect(mapper.nextDeadline()).toBe(T0 + 5_000);
    clock.now += 4_999;
    expect(mapper.tick().events).toEqual([]);
    clock.now += 1;
    // The engine never reported the new replicas (only one runs): the target falls back to what it says.
    expect(states(mapper.tick().events)).toEqual(['service Running', 'action Success']);
    expect(mapper.nextDeadline()).toBeUndefined();
  });

  it('terminates a stack of swarm services: each service removed, the stack gone with its last container', () => {
    const { mapper } = createMapper();
    const web = swarmService('sa', 1, 'shop');
    const worker = swarmService('sb', 1, 'shop');
    mapper.applySnapshot({ info: SWARM_INFO, nodes: [NODE1], services: [web, worker], containers: [container('c1', 'running', task(web)), container('c2', 'running', task(worker))] });
    const stack = mapper.list('stack')[0];
    const plan = mapper.beginOperation(request('stack', stack?.uuid as string, 'terminate', { method: 'DELETE' }));
    expect(plan.jobs).toEqual([
      { kind: 'service-remove', id: 'sa' },
      { kind: 'service-remove', id: 'sb' },
    ]);
    expect(states(plan.events)).toEqual(['action create Pending', 'action In progress', 'service Terminating', 'service Terminating', 'stack Terminating']);
    mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, []);
    mapper.applyEvent(engineEvent('service', 'remove', 'sa', { name: 'shop_sa' }));
    mapper.applyEvent(engineEvent('service', 'remove', 'sb', { name: 'shop_sb' }));
    expect(states(mapper.applyEvent(engineEvent('container', 'destroy', 'c1', {})).events)).toEqual(['container Terminated', 'container delete Terminated', 'service Terminated', 'service delete Terminated']);
    expect(states(mapper.applyEvent(engineEvent('container', 'destroy', 'c2', {})).events)).toEqual([
      'container Terminated', 'container delete Terminated', 'service Terminated', 'service delete Terminated', 'stack Terminated', 'stack delete Terminated', 'action Success',
    ]);
  });

  it('answers 404, 405, 409 and 400 as the REST API expects', () => {
    const { mapper, uuid } = withContainer();
    const status = (r: OperationRequest) => {
      const { result } = mapper.beginOperation(r);
      return result.ok ? 202 : result.status;
    };
    expect(status(request('container', 'nope', 'stop'))).toBe(404);
    expect(status(request('container', uuid, 'stop', { namespace: 'other' }))).toBe(404);
    expect(status(request('node', uuid, 'stop'))).toBe(405);
    expect(status(request('container', uuid, 'scale', { targetNumContainers: 2 }))).toBe(405);
    mapper.beginOperation(request('container', uuid, 'terminate'));
    expect(status(request('container', uuid, 'stop'))).toBe(409);

    const swarm = createMapper().mapper;
    const s = swarmService('sa', 1);
    swarm.applySnapshot({ info: SWARM_INFO, nodes: [NODE1], services: [s, { ...s, id: 'sg', name: 'global', mode: 'global', replicas: null }], containers: [] });
    const [replicated, global] = ['sa', 'global'].map((name) => swarm.list('service').find((x) => x.name === name)?.uuid as string);
    const swarmStatus = (r: OperationRequest) => {
      const { result } = swarm.beginOperation(r);
      return result.ok ? 202 : result.status;
    };
    expect(swarmStatus(request('service', replicated as string, 'stop'))).toBe(405);
    expect(swarmStatus(request('service', global as string, 'scale', { targetNumContainers: 2 }))).toBe(405);
    expect(swarmStatus(request('service', replicated as string, 'scale', { targetNumContainers: -1 }))).toBe(400);
    expect(swarmStatus(request('service', replicated as string, 'scale', { targetNumContainers: 0 }))).toBe(202);
  });

  it('keeps a service counting a container that dies while Terminating', () => {
    const { mapper } = createMapper();
    const labels = { 'com.docker.compose.project': 'blog', 'com.docker.compose.service': 'web' };
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [container('c1', 'running', labels), container('c2', 'running', labels)] });
    const uuid = mapper.list('container').find((c) => c.name === 'c1')?.uuid as string;
    mapper.beginOperation(request('container', uuid, 'terminate', { method: 'DELETE' }));
    // The container stays Terminating (its overlay) while its engine status changes under it.
    const output = mapper.applyEvent(engineEvent('container', 'die', 'c1', { ...labels, exitCode: '137' }));
    expect(states(output.events)).toEqual(['service Partly running', 'stack Partly running']);
    expect(mapper.list('service')[0]?.running_num_containers).toBe(1);
    expect(mapper.list('container').find((c) => c.name === 'c1')?.state).toBe('Terminating');
  });

  it('runs Compose service operations on its containers', () => {
    const { mapper } = createMapper();
    const labels = (service: string) => ({ 'com.docker.compose.project': 'blog', 'com.docker.compose.service': service });
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [container('c1', 'running', labels('web')), container('c2', 'exited', labels('web'))] });
    const web = mapper.list('service')[0];
    expect([web?.name, web?.state, web?.target_num_containers]).toEqual(['web', 'Partly running', 2]);
    const plan = mapper.beginOperation(request('service', web?.uuid as string, 'start'));
    expect(plan.jobs).toEqual([{ kind: 'container-start', id: 'c2' }]);
    expect(states(plan.events)).toEqual(['action create Pending', 'action In progress', 'container Starting', 'service Starting', 'stack Starting']);
    mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, []);
    expect(states(mapper.applyEvent(engineEvent('container', 'start', 'c2', labels('web'))).events)).toEqual(['container Running', 'service Running', 'stack Running', 'action Success']);
  });
});

// ---- what a REST client reads of removed objects -------------------------------------------------------

/** The smallest source over a mapper: emits each output at once, as docker-source.ts publishes it. */
function mapperSource(mapper: DockerMapper) {
  let emit: (event: SourceEvent) => void = () => {};
  const source: CloudSource = {
    name: 'docker',
    start: async (sink) => {
      emit = sink;
    },
    stop: async () => {},
    list: (_namespace, type) => mapper.list(type),
    get: (_namespace, type, uuid) => mapper.get(type, uuid),
    operate: () => ({ ok: false, status: 404, detail: 'none' }),
    health: () => ({ ok: true, detail: 'ok' }),
  };
  return {
    source,
    publish(output: { events: DockerCloudEvent[] }) {
      for (const event of output.events) emit({ namespace: 'acme', event });
    },
  };
}

describe('DockerMapper removed objects', () => {
  const compose = (service: string) => ({ 'com.docker.compose.project': 'blog', 'com.docker.compose.service': service });

  function blog() {
    const setup = createMapper();
    setup.mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [container('c1', 'running', compose('web'), { name: 'blog-web-1' })] });
    const [c, s, k] = (['container', 'service', 'stack'] as const).map((type) => setup.mapper.list(type)[0]);
    return { ...setup, container: c as RestContainer, service: s as RestService, stack: k as RestStack };
  }

  it('answers get() with the last fields, Terminated, while the removal is emitted; lists never show them', () => {
    const { mapper, clock, container: c, service, stack } = blog();
    mapper.applyEvent(engineEvent('container', 'die', 'c1', { ...compose('web'), exitCode: '0' }));
    const stopped = mapper.get('container', c.uuid);
    clock.now += 2_000;
    const gone = mapper.applyEvent(engineEvent('container', 'destroy', 'c1', compose('web')));
    expect(states(gone.events)).toEqual([
      'container Terminated', 'container delete Terminated', 'service Terminated', 'service delete Terminated', 'stack Terminated', 'stack delete Terminated',
    ]);
    expect(mapper.get('container', c.uuid)).toEqual({ ...stopped, state: 'Terminated' });
    expect(mapper.get('service', service.uuid)).toMatchObject({ name: 'web', state: 'Terminated', stack: stack.resource_uri });
    // A stack's destruction is dated, as Docker Cloud's and the simulator's are.
    expect(mapper.get('stack', stack.uuid)).toEqual({ ...stack, state: 'Terminated', destroyed_datetime: 'Fri, 27 Nov 2026 09:00:02 +0000' });
    expect((['container', 'service', 'stack'] as const).map((type) => mapper.list(type).length)).toEqual([0, 0, 0]);
    // The next input forgets them: the retention wrapper has kept its copy by then.
    mapper.tick();
    expect([mapper.get('container', c.uuid), mapper.get('service', service.uuid), mapper.get('stack', stack.uuid)]).toEqual([undefined, undefined, undefined]);
  });

  it('stays readable through retainTerminatedObjects after its delete, for a container, its service and its stack', async () => {
    const { mapper, container: c, service, stack } = blog();
    const { source, publish } = mapperSource(mapper);
    const retained = retainTerminatedObjects(source, { now: () => 0 });
    const seen: string[] = [];
    await retained.start(({ event }) => seen.push(`${event.type} ${event.action} ${event.state}`));
    publish(mapper.applyEvent(engineEvent('container', 'kill', 'c1', { ...compose('web'), signal: '9' })));
    publish(mapper.applyEvent(engineEvent('container', 'die', 'c1', { ...compose('web'), exitCode: '137' })));
    const last = mapper.get('container', c.uuid);
    publish(mapper.applyEvent(engineEvent('container', 'destroy', 'c1', compose('web'))));
    publish(mapper.tick());
    expect(seen.slice(-6)).toEqual([
      'container update Terminated', 'container delete Terminated', 'service update Terminated', 'service delete Terminated', 'stack update Terminated', 'stack delete Terminated',
    ]);
    expect(last?.exit_code).toBe(137);
    expect(retained.get('acme', 'container', c.uuid)).toEqual({ ...last, state: 'Terminated' });
    expect(retained.get('acme', 'service', service.uuid)).toMatchObject({ uuid: service.uuid, name: 'web', state: 'Terminated' });
    expect(retained.get('acme', 'stack', stack.uuid)).toMatchObject({ uuid: stack.uuid, name: 'blog', state: 'Terminated' });
    expect(retained.list('acme', 'container')).toEqual([]);
  });
});

// ---- a kill's Stopping ----------------------------------------------------------------------------------

describe('DockerMapper Stopping after a kill', () => {
  function running(settleTimeoutMs: number, extra: Partial<EngineContainer> = {}) {
    const setup = createMapper({ settleTimeoutMs });
    setup.mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [container('c1', 'running', {}, { name: 'app', ...extra })] });
    const uuid = setup.mapper.list('container')[0]?.uuid as string;
    return { ...setup, uuid };
  }
  const kill = (signal: string) => engineEvent('container', 'kill', 'c1', { name: 'app', signal });

  it('goes back to Running when the container handled or ignored the signal (docker kill -s TERM)', () => {
    const { mapper, clock, uuid } = running(5_000);
    expect(states(mapper.applyEvent(kill('15')).events)).toEqual(['container Stopping']);
    // Not before a `docker stop` of it would have reached its SIGKILL (the engine's 10 s) and a margin.
    expect(mapper.nextDeadline()).toBe(T0 + 15_000);
    clock.now += 14_999;
    expect(mapper.tick().events).toEqual([]);
    clock.now += 1;
    expect(states(mapper.tick().events)).toEqual(['container Running']);
    expect(mapper.get('container', uuid)?.state).toBe('Running');
    expect(mapper.nextDeadline()).toBeUndefined();
    // And a second signal is a second Stopping.
    expect(states(mapper.applyEvent(kill('SIGINT')).events)).toEqual(['container Stopping']);
  });

  it('waits the settle timeout when it is longer, and the container’s own stop timeout when that is', () => {
    const settle = running(60_000);
    settle.mapper.applyEvent(kill('15'));
    expect(settle.mapper.nextDeadline()).toBe(T0 + 60_000);
    const slow = running(60_000, { stopTimeoutMs: 120_000 });
    slow.mapper.applyEvent(kill('15'));
    expect(slow.mapper.nextDeadline()).toBe(T0 + 125_000);
  });

  it('stays Stopping through a docker stop until the container dies, and never shows Running between', () => {
    const { mapper, clock } = running(1_000, { stopTimeoutMs: 3_000 });
    expect(states(mapper.applyEvent(kill('15')).events)).toEqual(['container Stopping']);
    clock.now += 3_000;
    expect(mapper.tick().events).toEqual([]);
    expect(states(mapper.applyEvent(kill('9')).events)).toEqual([]);
    expect(states(mapper.applyEvent(engineEvent('container', 'die', 'c1', { name: 'app', exitCode: '137' })).events)).toEqual(['container Stopped']);
    expect(states(mapper.applyEvent(engineEvent('container', 'stop', 'c1', { name: 'app' })).events)).toEqual([]);
    expect(mapper.nextDeadline()).toBeUndefined();
    clock.now += 60_000;
    expect(mapper.tick().events).toEqual([]);
  });

  it('stays Stopping through a docker stop of a paused container, which the engine unpauses after the SIGTERM', () => {
    const { mapper } = running(5_000, { status: 'paused' });
    // The engine's own order: kill 15, unpause, kill 9 after the stop timeout, die, stop.
    expect(states(mapper.applyEvent(kill('15')).events)).toEqual(['container Stopping']);
    expect(states(mapper.applyEvent(engineEvent('container', 'unpause', 'c1', { name: 'app' })).events)).toEqual([]);
    expect(states(mapper.applyEvent(kill('9')).events)).toEqual([]);
    expect(states(mapper.applyEvent(engineEvent('container', 'die', 'c1', { name: 'app', exitCode: '137' })).events)).toEqual(['container Stopped']);
    // An unpause of its own is no stop: Running, as it was.
    const paused = running(5_000, { status: 'paused' });
    expect(paused.mapper.applyEvent(engineEvent('container', 'unpause', 'c1', { name: 'app' })).events).toEqual([]);
    expect(paused.mapper.list('container').map((c) => c.state)).toEqual(['Running']);
  });

  it('keeps its deadline through a re-list that still shows it up, and drops it with one that shows it gone', () => {
    const { mapper, clock } = running(5_000);
    mapper.applyEvent(kill('15'));
    const snapshot = (status: EngineContainerStatus): EngineSnapshot => ({ info: INFO, nodes: null, services: null, containers: [container('c1', status, {}, { name: 'app' })] });
    expect(mapper.applySnapshot(snapshot('running')).events).toEqual([]);
    expect(mapper.nextDeadline()).toBe(T0 + 15_000);
    clock.now += 15_000;
    expect(states(mapper.tick().events)).toEqual(['container Running']);
    mapper.applyEvent(kill('15'));
    expect(states(mapper.applySnapshot(snapshot('exited')).events)).toEqual(['container Stopped']);
    expect(mapper.nextDeadline()).toBeUndefined();
  });

  it('drops it with a re-list that shows the container up from another start (restarted while the engine was away)', () => {
    const { mapper } = running(5_000);
    mapper.applyEvent(kill('15'));
    // The engine stopped with it and started it again (its restart policy): the stop we saw is over.
    const restarted = container('c1', 'running', {}, { name: 'app', startedAt: T0 + 20_000 });
    expect(states(mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [restarted] }).events)).toEqual(['container Running']);
    expect(mapper.nextDeadline()).toBeUndefined();
  });
});

// ---- stop timeouts: a kill's Stopping and an operation's transitional states last as long as a stop may ----

describe('DockerMapper and stop timeouts', () => {
  const inspect = (id: string, config: Record<string, unknown>) => ({ Id: id, Name: `/${id}`, State: { Status: 'running' }, Config: { Image: 'busybox:local', ...config } });
  const kill = (id: string) => engineEvent('container', 'kill', id, { name: id, signal: '15' });

  it('learns the stop timeout of a container created while it runs, from the inspect it asks for', () => {
    const { mapper, clock } = createMapper({ settleTimeoutMs: 5_000 });
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [] });
    const created = mapper.applyEvent(engineEvent('container', 'create', 'late', { name: 'late' }));
    expect(created.effects).toEqual([{ kind: 'inspect-container', id: 'late' }]);
    expect(mapper.applyContainerInspect('late', inspect('late', { StopTimeout: 120 }))).toEqual({ events: [], effects: [] });
    // Events of a container it knows ask for nothing more.
    expect(mapper.applyEvent(engineEvent('container', 'start', 'late', { name: 'late' })).effects).toEqual([]);
    expect(states(mapper.applyEvent(kill('late')).events)).toEqual(['container Stopping']);
    // A `docker stop` of it sends its SIGKILL after 120 s: Stopping until then and a margin, not 10 s + 5.
    expect(mapper.nextDeadline()).toBe(T0 + 125_000);
    clock.now += 124_999;
    expect(mapper.tick().events).toEqual([]);
    expect(states(mapper.applyEvent(engineEvent('container', 'die', 'late', { name: 'late', exitCode: '137' })).events)).toEqual(['container Stopped']);
  });

  it('asks for the inspect of a container first seen in another event, and moves a pending deadline when the answer comes', () => {
    const { mapper } = createMapper({ settleTimeoutMs: 5_000 });
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [] });
    expect(mapper.applyEvent(kill('seen')).effects).toEqual([{ kind: 'inspect-container', id: 'seen' }]);
    expect(mapper.list('container').map((c) => c.state)).toEqual(['Stopping']);
    expect(mapper.nextDeadline()).toBe(T0 + 15_000);
    mapper.applyContainerInspect('seen', inspect('seen', { StopTimeout: 40 }));
    expect(mapper.nextDeadline()).toBe(T0 + 45_000);
    // Gone before its inspect (404): nothing changes, its destroy event tells.
    expect(mapper.applyContainerInspect('seen', undefined)).toEqual({ events: [], effects: [] });
    expect(mapper.nextDeadline()).toBe(T0 + 45_000);
  });

  it('keeps a container whose docker stop waits for ever (stop timeout -1) Stopping until it dies', () => {
    const { mapper, clock } = createMapper({ settleTimeoutMs: 5_000 });
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [container('c1', 'running', {}, { stopTimeoutMs: Number.POSITIVE_INFINITY })] });
    expect(states(mapper.applyEvent(kill('c1')).events)).toEqual(['container Stopping']);
    expect(mapper.nextDeadline()).toBeUndefined();
    clock.now += 24 * 3_600_000;
    expect(mapper.tick().events).toEqual([]);
    expect(states(mapper.applyEvent(engineEvent('container', 'die', 'c1', { exitCode: '0' })).events)).toEqual(['container Stopped']);
  });

  it("gives a swarm task its service's stop grace period, which swarm waits when it stops the task", () => {
    const { mapper } = createMapper({ settleTimeoutMs: 5_000 });
    const s = { ...swarmService('sa', 1), stopGracePeriodMs: 30_000 };
    mapper.applySnapshot({ info: SWARM_INFO, nodes: [NODE1], services: [s], containers: [container('c1', 'running', task(s))] });
    mapper.applyEvent(engineEvent('container', 'kill', 'c1', { ...task(s), signal: '15' }));
    expect(mapper.nextDeadline()).toBe(T0 + 35_000);
  });

  it('holds a restart in Stopping, then Starting, for as long as its container may take to stop: never a resting Stopped between', () => {
    const { mapper, clock } = createMapper({ settleTimeoutMs: 5_000 });
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [container('c1', 'running', {}, { name: 'slow', stopTimeoutMs: 120_000 })] });
    const plan = mapper.beginOperation(request('container', mapper.list('container')[0]?.uuid as string, 'redeploy'));
    expect(states(plan.events).at(-1)).toBe('container Stopping');
    expect(mapper.nextDeadline()).toBe(T0 + 125_000);
    expect(mapper.applyEvent(kill('c1')).events).toEqual([]);
    clock.now += 60_000;
    expect(mapper.tick().events).toEqual([]);
    // SIGKILL after its 120 s.
    clock.now += 60_000;
    expect(states(mapper.applyEvent(engineEvent('container', 'die', 'c1', { exitCode: '137' }, clock.now)).events)).toEqual(['container Starting']);
    expect(states(mapper.applyEvent(engineEvent('container', 'start', 'c1', {}, clock.now + 500)).events)).toEqual(['container Running']);
    expect(states(mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, []).events)).toEqual(['action Success']);
  });

  it("holds a swarm scale down for the service's grace period, a scale up for the settle timeout only", () => {
    const { mapper } = createMapper({ settleTimeoutMs: 5_000 });
    const s = { ...swarmService('sa', 2), stopGracePeriodMs: 30_000 };
    mapper.applySnapshot({ info: SWARM_INFO, nodes: [NODE1], services: [s], containers: [container('c1', 'running', task(s)), container('c2', 'running', task(s))] });
    const uuid = mapper.list('service')[0]?.uuid as string;
    const down = mapper.beginOperation(request('service', uuid, 'scale', { targetNumContainers: 1 }));
    expect(mapper.nextDeadline()).toBe(T0 + 35_000);
    mapper.jobsDone((down.result.ok && down.result.action.uuid) as string, ['refused']);
    expect(mapper.nextDeadline()).toBeUndefined();
    mapper.beginOperation(request('service', uuid, 'scale', { targetNumContainers: 3 }));
    expect(mapper.nextDeadline()).toBe(T0 + 5_000);
  });
});

// ---- renamed containers -----------------------------------------------------------------------------------

describe('DockerMapper and renamed containers', () => {
  it('lists a renamed container in its service where a listing would: its members go by name', () => {
    const labels = { 'com.docker.compose.project': 'blog', 'com.docker.compose.service': 'web' };
    const { mapper } = createMapper();
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [container('c1', 'running', labels, { name: 'blog-web-1' }), container('c2', 'running', labels, { name: 'blog-web-2' })] });
    const renamed = mapper.applyEvent(engineEvent('container', 'rename', 'c1', { ...labels, name: 'blog-web-3', oldName: '/blog-web-1' }));
    // A new name is news; the service's member list changes without an event.
    expect(states(renamed.events)).toEqual(['container Running']);
    const fresh = createMapper().mapper;
    fresh.applySnapshot({ info: INFO, nodes: null, services: null, containers: [container('c1', 'running', labels, { name: 'blog-web-3' }), container('c2', 'running', labels, { name: 'blog-web-2' })] });
    expect(mapper.list('service')).toEqual(fresh.list('service'));
    expect(mapper.list('container').map((c) => c.name).sort()).toEqual(['blog-web-2', 'blog-web-3']);
  });
});

// ---- restart policies: a container the engine starts again by itself --------------------------------------

describe('DockerMapper and restart policies', () => {
  /** A container's inspect as the engine answers it, with a restart policy. */
  const inspect = (id: string, status: EngineContainerStatus, policy: string, extra: { exitCode?: number; finishedAt?: number } = {}) => ({
    Id: id,
    Name: `/${id}`,
    State: {
      Status: status,
      ExitCode: extra.exitCode ?? 0,
      StartedAt: new Date(T0 - 60_000).toISOString(),
      FinishedAt: extra.finishedAt === undefined ? '0001-01-01T00:00:00Z' : new Date(extra.finishedAt).toISOString(),
    },
    Config: { Image: 'busybox:local', Labels: {} },
    HostConfig: { RestartPolicy: { Name: policy, MaximumRetryCount: 0 } },
  });
  /** What a source started now would list for this inspect. */
  const freshListing = (json: unknown) => {
    const fresh = createMapper().mapper;
    fresh.applySnapshot({ info: INFO, nodes: null, services: null, containers: [parseInspectedContainer(json) as EngineContainer] });
    return fresh.list('container');
  };

  it('shows a container its policy restarts Starting after its die, as a listing shows it, and Stopped once a docker stop ends the wait', () => {
    const { mapper } = createMapper();
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [parseInspectedContainer(inspect('c1', 'running', 'always')) as EngineContainer] });
    const died = mapper.applyEvent(engineEvent('container', 'die', 'c1', { name: 'c1', exitCode: '3' }, T0 - 1_000));
    expect(states(died.events)).toEqual(['container Stopped']);
    // The event does not say whether the engine starts it again: its inspect does.
    expect(died.effects).toEqual([{ kind: 'inspect-container', id: 'c1' }]);
    const waiting = inspect('c1', 'restarting', 'always', { exitCode: 3, finishedAt: T0 - 1_000 });
    expect(states(mapper.applyContainerInspect('c1', waiting).events)).toEqual(['container Starting']);
    expect(mapper.list('container')).toEqual(freshListing(waiting));
    // `docker stop` of a container waiting for its restart sends a `stop` and no `die`.
    expect(states(mapper.applyEvent(engineEvent('container', 'stop', 'c1', { name: 'c1' }, T0)).events)).toEqual(['container Stopped']);
    expect(mapper.list('container')).toEqual(freshListing(inspect('c1', 'exited', 'always', { exitCode: 3, finishedAt: T0 - 1_000 })));
    // Started again by the engine: Running, as ever.
    mapper.applyEvent(engineEvent('container', 'die', 'c1', { name: 'c1', exitCode: '3' }));
    mapper.applyContainerInspect('c1', waiting);
    expect(states(mapper.applyEvent(engineEvent('container', 'start', 'c1', { name: 'c1' })).events)).toEqual(['container Running']);
  });

  it('keeps a container Stopped when its inspect after the die says the engine will not start it again, or already did', () => {
    const { mapper } = createMapper();
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [parseInspectedContainer(inspect('c1', 'running', 'on-failure')) as EngineContainer] });
    mapper.applyEvent(engineEvent('container', 'die', 'c1', { name: 'c1', exitCode: '0' }));
    expect(mapper.applyContainerInspect('c1', inspect('c1', 'exited', 'on-failure', { finishedAt: T0 })).events).toEqual([]);
    mapper.applyEvent(engineEvent('container', 'start', 'c1', { name: 'c1' }));
    mapper.applyEvent(engineEvent('container', 'die', 'c1', { name: 'c1', exitCode: '1' }));
    // Already running again: its `start` is still to be mapped, and tells.
    expect(mapper.applyContainerInspect('c1', inspect('c1', 'running', 'on-failure')).events).toEqual([]);
    expect(mapper.list('container').map((c) => c.state)).toEqual(['Stopped']);
  });

  it('asks for no inspect after the die of a container without a restart policy, until docker update gives it one', () => {
    const { mapper } = createMapper();
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [parseInspectedContainer(inspect('c1', 'running', 'no')) as EngineContainer] });
    expect(mapper.applyEvent(engineEvent('container', 'die', 'c1', { name: 'c1', exitCode: '3' })).effects).toEqual([]);
    mapper.applyEvent(engineEvent('container', 'start', 'c1', { name: 'c1' }));
    // `docker update --restart always`: the event says only that it changed.
    const updated = mapper.applyEvent(engineEvent('container', 'update', 'c1', { name: 'c1', image: 'busybox:local' }));
    expect(updated).toEqual({ events: [], effects: [{ kind: 'inspect-container', id: 'c1' }] });
    mapper.applyContainerInspect('c1', inspect('c1', 'running', 'always'));
    expect(mapper.applyEvent(engineEvent('container', 'die', 'c1', { name: 'c1', exitCode: '3' })).effects).toEqual([{ kind: 'inspect-container', id: 'c1' }]);
  });

  it('stops a listed container that waits for its restart, through REST too', () => {
    const { mapper } = createMapper();
    const waiting = parseInspectedContainer(inspect('c1', 'restarting', 'always', { exitCode: 3, finishedAt: T0 - 1_000 })) as EngineContainer;
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [waiting] });
    expect(mapper.list('container').map((c) => c.state)).toEqual(['Starting']);
    const plan = mapper.beginOperation(request('container', mapper.list('container')[0]?.uuid as string, 'stop'));
    expect(plan.jobs).toEqual([{ kind: 'container-stop', id: 'c1' }]);
    expect(states(mapper.applyEvent(engineEvent('container', 'stop', 'c1', { name: 'c1' })).events)).toEqual(['container Stopped']);
    expect(mapper.list('container').map((c) => [c.state, c.exit_code])).toEqual([['Stopped', 3]]);
    expect(states(mapper.jobsDone((plan.result.ok && plan.result.action.uuid) as string, []).events)).toEqual(['action Success']);
  });
});

// ---- Compose one-off containers ---------------------------------------------------------------------------

describe('DockerMapper and Compose one-off containers', () => {
  const labels = (oneoff: 'True' | 'False') => ({ 'com.docker.compose.project': 'blog', 'com.docker.compose.service': 'web', 'com.docker.compose.oneoff': oneoff });

  it('lists a leftover `docker compose run` container as a plain one: it counts in no service, and a stack start leaves it alone', () => {
    const { mapper } = createMapper();
    mapper.applySnapshot({
      info: INFO,
      nodes: null,
      services: null,
      containers: [container('c1', 'running', labels('False'), { name: 'blog-web-1' }), container('c2', 'exited', labels('True'), { name: 'blog-web-run-1' })],
    });
    const web = mapper.list('service')[0];
    expect([web?.name, web?.state, web?.target_num_containers, web?.current_num_containers, web?.stopped_num_containers]).toEqual(['web', 'Running', 1, 1, 0]);
    expect(mapper.list('stack').map((s) => [s.name, s.state])).toEqual([['blog', 'Running']]);
    const oneOff = mapper.list('container').find((c) => c.name === 'blog-web-run-1');
    expect([oneOff?.state, oneOff?.service]).toEqual(['Stopped', null]);
    const plan = mapper.beginOperation(request('stack', mapper.list('stack')[0]?.uuid as string, 'start'));
    expect(plan.jobs).toEqual([]);
    expect(states(plan.events)).toEqual(['action create Pending', 'action In progress', 'action Success']);
  });

  it('leaves the service alone while a one-off runs and exits, seen from its events', () => {
    const { mapper } = createMapper();
    mapper.applySnapshot({ info: INFO, nodes: null, services: null, containers: [container('c1', 'running', labels('False'), { name: 'blog-web-1' })] });
    const attributes = { name: 'blog-web-run-1', image: 'busybox:local', ...labels('True') };
    const created = mapper.applyEvent(engineEvent('container', 'create', 'c2', attributes)).events;
    expect(states(created)).toEqual(['container create Starting']);
    expect(created[0]?.parents.map(typeOfUri)).toEqual(['node', 'nodecluster']);
    expect(states(mapper.applyEvent(engineEvent('container', 'start', 'c2', attributes)).events)).toEqual(['container Running']);
    expect(states(mapper.applyEvent(engineEvent('container', 'die', 'c2', { ...attributes, exitCode: '0' })).events)).toEqual(['container Stopped']);
    expect(mapper.list('service').map((s) => [s.state, s.target_num_containers])).toEqual([['Running', 1]]);
  });
});

// ---- docs/docker-mapping.md agrees ------------------------------------------------------------------------

describe('docs/docker-mapping.md Operations table', () => {
  /** `| Object | start | stop | ... |` rows of the table under `## Operations`: row label → column → cell. */
  function operationsTable(): Map<string, Map<string, string>> {
    const doc = readFileSync(join(import.meta.dirname, '../../../../docs/docker-mapping.md'), 'utf8');
    const section = doc.slice(doc.indexOf('\n## Operations'));
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
    const [header, , ...body] = rows;
    const table = new Map<string, Map<string, string>>();
    for (const row of body) table.set(row[0] as string, new Map((header ?? []).slice(1).map((op, i) => [op, row[i + 1] as string])));
    return table;
  }

  it('names the status the server answers wherever it names one', () => {
    const table = operationsTable();
    expect([...table.keys()]).toEqual(['container', 'swarm service', 'Compose service', 'stack']);
    // One object of each row's kind.
    const { mapper } = createMapper();
    const s = swarmService('sa', 1);
    const g = { ...swarmService('sg', 1), name: 'global', mode: 'global' as const, replicas: null };
    const compose = { 'com.docker.compose.project': 'blog', 'com.docker.compose.service': 'web' };
    mapper.applySnapshot({ info: SWARM_INFO, nodes: [NODE1], services: [s, g], containers: [container('c1', 'running', {}, { name: 'plain' }), container('c2', 'running', compose)] });
    const uuidOf = (type: 'container' | 'service' | 'stack', name: string) => mapper.list(type).find((o) => o.name === name)?.uuid as string;
    const objects: Record<string, { type: 'container' | 'service' | 'stack'; uuid: string }> = {
      container: { type: 'container', uuid: uuidOf('container', 'plain') },
      'swarm service': { type: 'service', uuid: uuidOf('service', 'sa') },
      'Compose service': { type: 'service', uuid: uuidOf('service', 'web') },
      stack: { type: 'stack', uuid: uuidOf('stack', 'blog') },
    };
    let checked = 0;
    for (const [row, cells] of table) {
      const { type, uuid } = objects[row] as { type: 'container' | 'service' | 'stack'; uuid: string };
      for (const [operation, cell] of cells) {
        const status = /^(\d{3})\b/.exec(cell)?.[1];
        if (status === undefined) continue;
        checked++;
        // Over HTTP an operation a type does not have is no endpoint at all (as on Docker Cloud): 404.
        const route = operation === 'terminate' ? (TERMINABLE_TYPES.has(type) ? { kind: 'operation' } : { kind: 'not-found' }) : parseRestPath(`/api/app/v1/acme/${type}/${uuid}/${operation}/`);
        const answer = route.kind === 'not-found' ? 404 : ((r) => (r.ok ? 202 : r.status))(mapper.beginOperation(request(type, uuid, operation as OperationRequest['operation'], { targetNumContainers: 2 })).result);
        expect(`${row} ${operation}: ${answer}`).toBe(`${row} ${operation}: ${status}`);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
    // The global service's own 405 is named in its cell's words.
    expect(table.get('swarm service')?.get('scale')).toContain('405 for a global service');
    expect(mapper.beginOperation(request('service', uuidOf('service', 'global'), 'scale', { targetNumContainers: 2 })).result).toMatchObject({ ok: false, status: 405 });
  });
});
