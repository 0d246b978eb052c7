import {
  type DockerCloudEvent,
  EventsError,
  formatEventDatetime,
  isTransitionalState,
  OBJECT_TYPES,
  type ObjectType,
  parentsOfRestObject,
  parseEvent,
  parseRestObject,
  type RestAction,
  type RestContainer,
  type RestObject,
  type RestService,
  type RestStack,
  typeOfUri,
  uuidOfUri,
} from '@events/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { OperationName, OperationRequest, SourceEvent } from '../source.js';
import { createSimulatedCloud, type SimulatedCloud, type SimulatedCloudOptions } from './simulated-cloud.js';

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const clouds: SimulatedCloud[] = [];
afterEach(async () => {
  await Promise.all(clouds.splice(0).map((c) => c.stop()));
});

function makeCloud(options: Partial<SimulatedCloudOptions> = {}): SimulatedCloud {
  const cloud = createSimulatedCloud({ seed: 1, rate: 0, namespaces: ['acme'], manual: true, now: () => T0, ...options });
  clouds.push(cloud);
  return cloud;
}

function lookupIn(cloud: SimulatedCloud, namespace: string) {
  return (uri: string): RestObject | undefined => {
    const type = typeOfUri(uri);
    return type ? cloud.get(namespace, type, uuidOfUri(uri)) : undefined;
  };
}

interface Folded {
  readonly type: ObjectType;
  readonly state: string;
  readonly parents: readonly string[];
}

/**
 * Watches a namespace's events as they are emitted and checks each against the contract and
 * against the REST view at that very moment; keeps a fold of the events (uri → state, parents).
 */
function observe(cloud: SimulatedCloud, namespace: string, now: () => number = () => T0) {
  const lookup = lookupIn(cloud, namespace);
  const fold = new Map<string, Folded>();
  for (const type of OBJECT_TYPES) {
    for (const object of cloud.list(namespace, type)) {
      const parents =
        type === 'action'
          ? [(object as RestAction).object, ...(fold.get((object as RestAction).object)?.parents ?? [])]
          : parentsOfRestObject(object, type, lookup);
      fold.set(object.resource_uri, { type, state: object.state, parents });
    }
  }
  const events: DockerCloudEvent[] = [];
  const problems: string[] = [];
  const eventUuids = new Set<string>();
  let previous: DockerCloudEvent | undefined;

  const check = (event: DockerCloudEvent): void => {
    const where = `${event.type} ${event.action} ${event.state} ${event.resource_uri}`;
    const problem = (why: string) => problems.push(`${where}: ${why}`);
    const parsed = parseEvent(JSON.parse(JSON.stringify(event)));
    if (!parsed.ok) problem(parsed.error.message);
    else if (parsed.value.state !== event.state) problem('state not in its canonical form');
    if (Object.keys(event).length !== 7) problem(`has ${Object.keys(event).length} fields`);
    if (typeOfUri(event.resource_uri) !== event.type) problem('type does not match the URI');
    const ns = event.resource_uri.split('/')[4];
    if (event.type === 'action' ? !event.resource_uri.startsWith('/api/audit/v1/action/') : ns !== namespace) problem('wrong namespace in URI');
    if (!UUID_V4.test(event.uuid)) problem('event uuid is not a v4 uuid');
    if (eventUuids.has(event.uuid)) problem('event uuid repeated');
    if (event.uuid === uuidOfUri(event.resource_uri)) problem("event uuid is the object's");
    eventUuids.add(event.uuid);
    if (event.datetime !== formatEventDatetime(now())) problem(`datetime ${event.datetime}`);

    const uuid = uuidOfUri(event.resource_uri);
    const rest = cloud.get(namespace, event.type, uuid);
    const known = fold.get(event.resource_uri);
    switch (event.action) {
      case 'create': {
        if (known) problem('created twice');
        if (!rest) problem('not in REST when its create arrives');
        else if (rest.state !== event.state) problem(`REST says ${rest.state}`);
        const expected = rest
          ? event.type === 'action'
            ? [(rest as RestAction).object, ...(fold.get((rest as RestAction).object)?.parents ?? ['<unknown target>'])]
            : parentsOfRestObject(rest, event.type, lookup)
          : [];
        if (JSON.stringify(event.parents) !== JSON.stringify(expected)) problem(`parents ${JSON.stringify(event.parents)} ≠ ${JSON.stringify(expected)}`);
        if (event.type === 'action' && event.state !== 'Pending') problem('an action is created Pending');
        if (event.type === 'container' && event.state !== 'Starting') problem('a container is created Starting');
        if ((event.type === 'stack' || event.type === 'service') && event.state !== 'Not running') problem('created Not running');
        fold.set(event.resource_uri, { type: event.type, state: event.state, parents: event.parents });
        break;
      }
      case 'update': {
        if (!known) {
          problem('update of an unknown object');
          break;
        }
        if (!rest) problem('not in REST when its update arrives');
        else if (rest.state !== event.state) problem(`REST says ${rest.state}`);
        if (rest && event.type !== 'action') {
          const expected = parentsOfRestObject(rest, event.type, lookup);
          if (JSON.stringify(event.parents) !== JSON.stringify(expected)) problem(`parents ≠ REST ${JSON.stringify(expected)}`);
        }
        if (JSON.stringify(event.parents) !== JSON.stringify(known.parents)) problem('parents changed');
        if (known.state === event.state) problem(`no-op update (already ${known.state})`);
        if (known.state === 'Terminated') problem('update after Terminated');
        if (known.state === 'Terminating' && event.state !== 'Terminated') problem('Terminating must end Terminated');
        if (isTransitionalState(known.state) && isTransitionalState(event.state) && !(known.state === 'Pending' && event.state === 'In progress')) {
          problem(`transitional ${known.state} followed by transitional ${event.state}`);
        }
        if (event.type === 'action' && !['Pending→In progress', 'In progress→Success', 'In progress→Failed'].includes(`${known.state}→${event.state}`)) {
          problem(`action ${known.state} → ${event.state}`);
        }
        fold.set(event.resource_uri, { ...known, state: event.state });
        break;
      }
      case 'delete': {
        if (rest) problem('still in REST after its delete');
        if (!known) problem('delete of an unknown object');
        else if (known.state !== 'Terminated' || event.state !== 'Terminated') problem('delete must follow Terminated');
        if (previous?.resource_uri !== event.resource_uri || previous.state !== 'Terminated') problem('delete does not directly follow its Terminated');
        if (known && JSON.stringify(event.parents) !== JSON.stringify(known.parents)) problem('parents changed');
        fold.delete(event.resource_uri);
        break;
      }
    }
    previous = event;
  };

  return {
    fold,
    events,
    problems,
    onEvent: ({ namespace: ns, event }: SourceEvent) => {
      if (ns !== namespace) return;
      events.push(event);
      check(event);
    },
  };
}

/** REST lists are consistent with one another, and with the fold of the events. */
function restProblems(cloud: SimulatedCloud, namespace: string, fold?: ReadonlyMap<string, Folded>, idle = false): string[] {
  const problems: string[] = [];
  const stacks = cloud.list(namespace, 'stack');
  const services = cloud.list(namespace, 'service');
  const containers = cloud.list(namespace, 'container');
  const nodes = cloud.list(namespace, 'node');
  const clusters = cloud.list(namespace, 'nodecluster');
  const same = (a: readonly string[], b: readonly string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

  for (const type of OBJECT_TYPES) {
    for (const object of cloud.list(namespace, type)) {
      const parsed = parseRestObject(type, JSON.parse(JSON.stringify(object)));
      if (!parsed.ok) problems.push(`${type} ${object.uuid}: ${parsed.error.message}`);
      if (!UUID_V4.test(object.uuid)) problems.push(`${type} uuid ${object.uuid} is not v4`);
      if (cloud.get(namespace, type, object.uuid) !== object) problems.push(`${type} ${object.uuid}: get ≠ list`);
      if (idle && isTransitionalState(object.state)) problems.push(`${type} ${object.uuid} rests in ${object.state}`);
    }
  }
  const groupBy = <T,>(items: readonly T[], key: (item: T) => string | null) => {
    const groups = new Map<string, T[]>();
    for (const item of items) {
      const k = key(item) ?? '';
      groups.set(k, [...(groups.get(k) ?? []), item]);
    }
    return (k: string): T[] => groups.get(k) ?? [];
  };
  const servicesOfStack = groupBy(services, (s) => s.stack);
  const containersOfService = groupBy(containers, (c) => c.service);
  const containersOnNode = groupBy(containers, (c) => c.node);
  const nodesOfCluster = groupBy(nodes, (n) => n.node_cluster);
  for (const stack of stacks) {
    const own = servicesOfStack(stack.resource_uri).map((s) => s.resource_uri);
    if (!same(stack.services, own)) problems.push(`stack ${stack.name}: services list ≠ services pointing at it`);
  }
  for (const service of services) {
    const own = containersOfService(service.resource_uri);
    if (!same(service.containers, own.map((c) => c.resource_uri))) problems.push(`service ${service.name}: containers list wrong`);
    const live = own.filter((c) => c.state !== 'Terminated');
    const counts = [live.length, live.filter((c) => c.state === 'Running').length, live.filter((c) => c.state === 'Stopped').length];
    const listed = [service.current_num_containers, service.running_num_containers, service.stopped_num_containers];
    if (JSON.stringify(counts) !== JSON.stringify(listed)) problems.push(`service ${service.name}: counts ${listed} ≠ ${counts}`);
    if (!service.stack || !cloud.get(namespace, 'stack', uuidOfUri(service.stack))) problems.push(`service ${service.name}: no stack`);
    if (idle && service.target_num_containers !== service.current_num_containers) problems.push(`service ${service.name}: target ≠ current at rest`);
  }
  for (const container of containers) {
    if (!container.service || !cloud.get(namespace, 'service', uuidOfUri(container.service))) problems.push(`container ${container.name}: no service`);
    if (!container.node || !cloud.get(namespace, 'node', uuidOfUri(container.node))) problems.push(`container ${container.name}: no node`);
  }
  for (const node of nodes) {
    const count = containersOnNode(node.resource_uri).filter((c) => c.state !== 'Terminated').length;
    if (node.current_num_containers !== count) problems.push(`node ${node.external_fqdn}: ${node.current_num_containers} ≠ ${count} containers`);
  }
  for (const cluster of clusters) {
    const own = nodesOfCluster(cluster.resource_uri).map((n) => n.resource_uri);
    if (!same(cluster.nodes, own) || cluster.current_num_nodes !== own.length) problems.push(`cluster ${cluster.name}: nodes wrong`);
  }
  if (idle) {
    for (const service of services) {
      const live = containersOfService(service.resource_uri);
      const running = live.filter((c) => c.state === 'Running').length;
      const expected =
        live.length === 0 ? ['Stopped', 'Not running'] : running === live.length ? ['Running'] : running === 0 ? ['Stopped'] : ['Partly running'];
      if (!expected.includes(service.state)) problems.push(`service ${service.name} rests ${service.state}, containers say ${expected}`);
    }
  }
  if (fold) {
    for (const type of OBJECT_TYPES) {
      const listed = cloud.list(namespace, type);
      const folded = [...fold].filter(([, f]) => f.type === type);
      for (const object of listed) {
        const f = fold.get(object.resource_uri);
        if (!f) problems.push(`${type} ${object.uuid} in REST but not in the events`);
        else if (f.state !== object.state) problems.push(`${type} ${object.uuid}: REST ${object.state}, events ${f.state}`);
      }
      if (type === 'action') {
        // The audit log keeps the newest actions: older ones may be gone from REST, finished.
        for (const [uri, f] of folded) {
          if (!cloud.get(namespace, 'action', uuidOfUri(uri)) && !['Success', 'Failed'].includes(f.state)) problems.push(`action ${uri} pruned unfinished`);
        }
      } else if (folded.length !== listed.length) {
        problems.push(`${type}: ${folded.length} in the events, ${listed.length} in REST`);
      }
    }
  }
  return problems;
}

const summary = (events: readonly DockerCloudEvent[]) => events.map((e) => `${e.type} ${e.action} ${e.state}`);

function request(partial: Partial<OperationRequest> & Pick<OperationRequest, 'type' | 'uuid' | 'operation'>): OperationRequest {
  return {
    namespace: 'acme',
    user: 'tester',
    method: partial.operation === 'terminate' ? 'DELETE' : 'POST',
    path: `/api/app/v1/acme/${partial.type}/${partial.uuid}/${partial.operation}/`,
    ...partial,
  };
}

function runningService(cloud: SimulatedCloud, accept: (s: RestService) => boolean = () => true): RestService {
  const service = cloud
    .list('acme', 'service')
    .find((s) => s.state === 'Running' && cloud.get('acme', 'stack', uuidOfUri(s.stack ?? ''))?.state === 'Running' && accept(s));
  if (!service) throw new Error('no running service in a running stack');
  return service;
}

describe('the initial account', () => {
  it('exists at start, without events, and reads like a real one', async () => {
    const cloud = makeCloud();
    const events: SourceEvent[] = [];
    await cloud.start((e) => events.push(e));
    expect(events).toEqual([]);
    expect(cloud.list('acme', 'stack')).toHaveLength(4);
    expect(cloud.list('acme', 'nodecluster')).toHaveLength(2);
    expect(cloud.list('acme', 'node').length).toBeGreaterThanOrEqual(4);
    expect(cloud.list('acme', 'container').length).toBeGreaterThanOrEqual(4);
    expect(restProblems(cloud, 'acme', undefined, true)).toEqual([]);
    const container = cloud.list('acme', 'container')[0] as RestContainer;
    expect(container.name).toMatch(/^[a-z]+-\d+$/);
    expect(container.resource_uri).toBe(`/api/app/v1/acme/container/${container.uuid}/`);
    expect(cloud.list('acme', 'node')[0]?.external_fqdn).toMatch(/^[0-9a-f]{8}\.node\.dockerapp\.io$/);
    expect(cloud.list('acme', 'nodecluster')[0]?.region).toMatch(/^\/api\/infra\/v1\/region\/[a-z]+\/[\w-]+\/$/);
    expect(cloud.list('acme', 'stack')[0]?.deployed_datetime).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(cloud.list('acme', 'action')).toEqual([]);
  });

  it('sizes to ~10,000 objects for a 1,000-stack benchmark account', () => {
    const started = performance.now();
    const cloud = makeCloud({ stacks: 1000 });
    const elapsed = performance.now() - started;
    const total = OBJECT_TYPES.reduce((n, type) => n + cloud.list('acme', type).length, 0);
    expect(total).toBeGreaterThan(7_000);
    expect(total).toBeLessThan(14_000);
    expect(new Set(cloud.list('acme', 'stack').map((s) => s.name)).size).toBe(1000);
    expect(elapsed).toBeLessThan(2_000);
    expect(restProblems(cloud, 'acme', undefined, true)).toEqual([]);
    // Containers spread over the nodes: none holds more than twice its share.
    const nodes = cloud.list('acme', 'node');
    const share = cloud.list('acme', 'container').length / nodes.length;
    for (const node of nodes) expect(node.current_num_containers).toBeLessThanOrEqual(Math.ceil(share * 2));
  });

  it('hands out the same list until something changes, and a new one after', async () => {
    const cloud = makeCloud();
    await cloud.start(() => {});
    const before = cloud.list('acme', 'container');
    expect(cloud.list('acme', 'container')).toBe(before);
    while (cloud.list('acme', 'container') === before) cloud.step();
    expect(Object.isFrozen(before)).toBe(true);
  });
});

describe('determinism', () => {
  const run = async (seed: number, namespaces: string[], steps: number, watch = namespaces[0] as string) => {
    const cloud = makeCloud({ seed, namespaces });
    const events: string[] = [];
    await cloud.start(({ namespace, event }) => {
      if (namespace === watch) events.push(JSON.stringify(event));
    });
    for (let i = 0; i < steps; i++) cloud.step();
    return { events, stacks: JSON.stringify(cloud.list(watch, 'stack')) };
  };

  it('gives the same events, uuids included, for the same seed', async () => {
    const a = await run(99, ['acme'], 1500);
    const b = await run(99, ['acme'], 1500);
    expect(a.events.length).toBeGreaterThanOrEqual(1500);
    expect(a.events).toEqual(b.events);
    expect(a.stacks).toBe(b.stacks);
  });

  it('gives a different sequence for another seed', async () => {
    const a = await run(99, ['acme'], 50);
    const b = await run(100, ['acme'], 50);
    expect(a.events).not.toEqual(b.events);
  });

  it('seeds each namespace from (seed, namespace), independent of the others', async () => {
    const alone = await run(5, ['acme'], 400);
    const together = await run(5, ['other', 'acme'], 400, 'acme');
    const other = await run(5, ['other', 'acme'], 400, 'other');
    expect(together.events).toEqual(alone.events);
    expect(other.events).not.toEqual(alone.events);
  });
});

describe('the background', () => {
  it('emits valid events with the right parents, and REST agrees with every one', async () => {
    const cloud = makeCloud({ seed: 11, stacks: 6 });
    const watch = observe(cloud, 'acme');
    await cloud.start(watch.onEvent);
    for (let i = 0; i < 6000; i++) {
      cloud.step();
      if (i % 500 === 0) expect(restProblems(cloud, 'acme', watch.fold)).toEqual([]);
    }
    expect(watch.problems.slice(0, 10)).toEqual([]);
    expect(restProblems(cloud, 'acme', watch.fold)).toEqual([]);

    // Every kind of background scenario happened.
    const seen = new Set(summary(watch.events));
    for (const kind of [
      'stack create Not running',
      'service create Not running',
      'container create Starting',
      'stack delete Terminated',
      'service update Scaling',
      'service update Redeploying',
      'service update Partly running',
      'stack update Stopping',
      'node update Unreachable',
      'nodecluster update Partly deployed',
      'action update Success',
    ]) {
      expect(seen, kind).toContain(kind);
    }
    const crashes = watch.events.filter((e) => e.type === 'container' && e.state === 'Stopped');
    expect(crashes.length).toBeGreaterThan(0);
    const users = new Set(cloud.list('acme', 'action').map((a) => a.user));
    expect(users.size).toBeGreaterThan(1);
  });

  it('keeps the account from emptying or overflowing', async () => {
    const cloud = makeCloud({ seed: 3, stacks: 4 });
    await cloud.start(() => {});
    const counts: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      cloud.step();
      if (i % 100 === 0) counts.push(cloud.list('acme', 'stack').length);
    }
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...counts)).toBeLessThanOrEqual(8);
    // The audit log is bounded.
    expect(cloud.list('acme', 'action').length).toBeLessThanOrEqual(1000);
  });

  it('brings every transitional state to rest', async () => {
    const cloud = makeCloud({ seed: 21 });
    const watch = observe(cloud, 'acme');
    await cloud.start(watch.onEvent);
    for (let i = 0; i < 3000; i++) cloud.step();
    cloud.runUntilIdle();
    expect(watch.problems).toEqual([]);
    expect(restProblems(cloud, 'acme', watch.fold, true)).toEqual([]);
    for (const [uri, f] of watch.fold) expect(isTransitionalState(f.state), `${uri} ${f.state}`).toBe(false);
  });

  it('drives the crash and restart of a container, its service and stack showing it', async () => {
    const cloud = makeCloud({ seed: 11 });
    const watch = observe(cloud, 'acme');
    await cloud.start(watch.onEvent);
    for (let i = 0; i < 3000; i++) cloud.step();
    cloud.runUntilIdle();
    const crash = watch.events.findIndex((e) => e.type === 'container' && e.state === 'Stopped' && cloud.get('acme', 'container', uuidOfUri(e.resource_uri)));
    expect(crash).toBeGreaterThanOrEqual(0);
    const uri = (watch.events[crash] as DockerCloudEvent).resource_uri;
    const own = watch.events.slice(crash).filter((e) => e.resource_uri === uri).map((e) => e.state);
    expect(own.slice(0, 3)).toEqual(['Stopped', 'Starting', 'Running']);
  });
});

describe('operations', () => {
  async function setup(seed = 1) {
    const cloud = makeCloud({ seed });
    const watch = observe(cloud, 'acme');
    await cloud.start(watch.onEvent);
    return { cloud, watch };
  }

  it('scales a service up: action, Scaling, new containers Starting then Running, Running, Success', async () => {
    const { cloud, watch } = await setup();
    const service = runningService(cloud);
    const n = service.current_num_containers;
    const result = cloud.operate(request({ type: 'service', uuid: service.uuid, operation: 'scale', targetNumContainers: n + 2 }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.action).toMatchObject({
      state: 'Pending',
      object: service.resource_uri,
      action: 'Service Scale',
      method: 'POST',
      path: `/api/app/v1/acme/service/${service.uuid}/scale/`,
      user: 'tester',
      is_user_action: true,
      can_be_canceled: false,
      start_date: null,
      end_date: null,
    });
    expect(result.action.resource_uri).toBe(`/api/audit/v1/action/${result.action.uuid}/`);
    expect(cloud.get('acme', 'action', result.action.uuid)).toEqual(result.action);
    expect(summary(watch.events)).toEqual(['action create Pending']);
    expect(watch.events[0]?.parents).toEqual([service.resource_uri, service.stack]);
    cloud.drainOperations();
    expect(summary(watch.events)).toEqual([
      'action create Pending',
      'action update In progress',
      'service update Scaling',
      'container create Starting',
      'container create Starting',
      'container update Running',
      'container update Running',
      'service update Running',
      'action update Success',
    ]);
    const after = cloud.get('acme', 'service', service.uuid);
    expect(after).toMatchObject({ target_num_containers: n + 2, current_num_containers: n + 2, running_num_containers: n + 2 });
    const names = cloud.list('acme', 'container').filter((c) => c.service === service.resource_uri).map((c) => c.name);
    expect(names).toContain(`${service.name}-${n + 2}`);
    const action = cloud.get('acme', 'action', result.action.uuid);
    expect(action?.state).toBe('Success');
    expect(action?.start_date).not.toBeNull();
    expect(action?.end_date).not.toBeNull();
    expect(watch.problems).toEqual([]);
    expect(restProblems(cloud, 'acme', watch.fold, true)).toEqual([]);
  });

  it('scales a service down, terminating the highest-numbered containers child-first', async () => {
    const { cloud, watch } = await setup();
    const service = runningService(cloud, (s) => s.current_num_containers >= 2);
    const n = service.current_num_containers;
    cloud.operate(request({ type: 'service', uuid: service.uuid, operation: 'scale', targetNumContainers: n - 1 }));
    cloud.drainOperations();
    expect(summary(watch.events)).toEqual([
      'action create Pending',
      'action update In progress',
      'service update Scaling',
      'container update Terminating',
      'container update Terminated',
      'container delete Terminated',
      'service update Running',
      'action update Success',
    ]);
    const gone = watch.events[3]?.resource_uri ?? '';
    expect(service.containers).toContain(gone);
    const names = cloud.list('acme', 'container').filter((c) => c.service === service.resource_uri).map((c) => c.name);
    expect(names).not.toContain(`${service.name}-${n}`);
    expect(cloud.get('acme', 'service', service.uuid)?.current_num_containers).toBe(n - 1);
    expect(watch.problems).toEqual([]);
  });

  it('stops and starts a service; the stack shows Partly running in between', async () => {
    const { cloud, watch } = await setup();
    const service = runningService(cloud, (s) => (cloud.get('acme', 'stack', uuidOfUri(s.stack ?? ''))?.services.length ?? 0) > 1);
    const n = service.current_num_containers;
    cloud.operate(request({ type: 'service', uuid: service.uuid, operation: 'stop' }));
    cloud.drainOperations();
    expect(summary(watch.events)).toEqual([
      'action create Pending',
      'action update In progress',
      'service update Stopping',
      ...Array<string>(n).fill('container update Stopping'),
      ...Array<string>(n).fill('container update Stopped'),
      'service update Stopped',
      'stack update Partly running',
      'action update Success',
    ]);
    expect(cloud.list('acme', 'container').filter((c) => c.service === service.resource_uri).map((c) => c.exit_code)).toEqual(Array(n).fill(0));
    watch.events.length = 0;
    cloud.operate(request({ type: 'service', uuid: service.uuid, operation: 'start' }));
    cloud.drainOperations();
    expect(summary(watch.events)).toEqual([
      'action create Pending',
      'action update In progress',
      'service update Starting',
      ...Array<string>(n).fill('container update Starting'),
      ...Array<string>(n).fill('container update Running'),
      'service update Running',
      'stack update Running',
      'action update Success',
    ]);
    expect(watch.problems).toEqual([]);
    expect(restProblems(cloud, 'acme', watch.fold, true)).toEqual([]);
  });

  it('redeploys a service by replacing each container with a new one of the same name', async () => {
    const { cloud, watch } = await setup();
    const service = runningService(cloud);
    const oldNames = cloud.list('acme', 'container').filter((c) => c.service === service.resource_uri).map((c) => c.name).sort();
    cloud.operate(request({ type: 'service', uuid: service.uuid, operation: 'redeploy' }));
    cloud.drainOperations();
    const perContainer = ['container update Terminating', 'container update Terminated', 'container delete Terminated', 'container create Starting', 'container update Running'];
    expect(summary(watch.events)).toEqual([
      'action create Pending',
      'action update In progress',
      'service update Redeploying',
      ...oldNames.flatMap(() => perContainer),
      'service update Running',
      'action update Success',
    ]);
    const now = cloud.list('acme', 'container').filter((c) => c.service === service.resource_uri);
    expect(now.map((c) => c.name).sort()).toEqual(oldNames);
    for (const c of now) expect(service.containers).not.toContain(c.resource_uri);
    expect(watch.problems).toEqual([]);
  });

  it('terminates a stack child-first and deletes each object right after Terminated', async () => {
    const { cloud, watch } = await setup();
    const stack = cloud.list('acme', 'stack').find((s) => s.services.length >= 2) as RestStack;
    const services = stack.services;
    const containers = cloud.list('acme', 'container').filter((c) => services.includes(c.service ?? '')).map((c) => c.resource_uri);
    const result = cloud.operate(request({ type: 'stack', uuid: stack.uuid, operation: 'terminate', method: 'DELETE', path: stack.resource_uri }));
    expect(result.ok && result.action).toMatchObject({ action: 'Stack Terminate', method: 'DELETE', path: stack.resource_uri });
    cloud.drainOperations();
    const at = (uri: string, state: string, action = 'update') =>
      watch.events.findIndex((e) => e.resource_uri === uri && e.state === state && e.action === action);
    const stackTerminating = at(stack.resource_uri, 'Terminating');
    const servicesTerminating = services.map((s) => at(s, 'Terminating'));
    const containersTerminating = containers.map((c) => at(c, 'Terminating'));
    const containersDeleted = containers.map((c) => at(c, 'Terminated', 'delete'));
    const servicesTerminated = services.map((s) => at(s, 'Terminated'));
    const servicesDeleted = services.map((s) => at(s, 'Terminated', 'delete'));
    const stackTerminated = at(stack.resource_uri, 'Terminated');
    const stackDeleted = at(stack.resource_uri, 'Terminated', 'delete');
    const all = [stackTerminating, ...servicesTerminating, ...containersTerminating, ...containersDeleted, ...servicesDeleted, stackTerminated, stackDeleted];
    for (const i of all) expect(i).toBeGreaterThanOrEqual(0);
    expect(stackTerminating).toBeLessThan(Math.min(...servicesTerminating));
    expect(Math.max(...servicesTerminating)).toBeLessThan(Math.min(...containersTerminating));
    expect(Math.max(...containersTerminating)).toBeLessThan(Math.min(...containersDeleted));
    expect(Math.max(...containersDeleted)).toBeLessThan(Math.min(...servicesTerminated));
    expect(Math.max(...servicesDeleted)).toBeLessThan(stackTerminated);
    expect(stackDeleted).toBe(stackTerminated + 1);
    expect(summary(watch.events).at(-1)).toBe('action update Success');
    // The action keeps its parents although its object is gone.
    expect(watch.events.at(-1)?.parents).toEqual([stack.resource_uri]);
    expect(cloud.get('acme', 'stack', stack.uuid)).toBeUndefined();
    for (const uri of [...services, ...containers]) expect(lookupIn(cloud, 'acme')(uri)).toBeUndefined();
    expect(watch.problems).toEqual([]);
    expect(restProblems(cloud, 'acme', watch.fold, true)).toEqual([]);
  });

  it('stops, starts and redeploys a stack through its services', async () => {
    const { cloud, watch } = await setup();
    const stack = cloud.list('acme', 'stack').find((s) => s.state === 'Running') as RestStack;
    for (const [operation, transitional, resting] of [
      ['stop', 'Stopping', 'Stopped'],
      ['start', 'Starting', 'Running'],
      ['redeploy', 'Redeploying', 'Running'],
    ] as const) {
      watch.events.length = 0;
      const result = cloud.operate(request({ type: 'stack', uuid: stack.uuid, operation }));
      expect(result.ok && result.action.action).toBe(`Stack ${operation[0]?.toUpperCase()}${operation.slice(1)}`);
      cloud.drainOperations();
      const own = watch.events.filter((e) => e.resource_uri === stack.resource_uri).map((e) => e.state);
      expect(own).toEqual([transitional, resting]);
      const serviceStates = watch.events.filter((e) => e.type === 'service').map((e) => e.state);
      expect(serviceStates).toContain(operation === 'stop' ? 'Stopping' : operation === 'start' ? 'Starting' : 'Redeploying');
      expect(summary(watch.events).slice(0, 3)).toEqual(['action create Pending', 'action update In progress', `stack update ${transitional}`]);
      expect(summary(watch.events).at(-1)).toBe('action update Success');
    }
    expect(watch.problems).toEqual([]);
    expect(restProblems(cloud, 'acme', watch.fold, true)).toEqual([]);
  });

  it.each([
    ['stop', ['container update Stopping', 'container update Stopped']],
    ['redeploy', ['container update Stopping', 'container update Stopped', 'container update Starting', 'container update Running']],
    ['terminate', ['container update Terminating', 'container update Terminated', 'container delete Terminated']],
  ] as const)('%s on a container', async (operation, containerEvents) => {
    const { cloud, watch } = await setup();
    const service = runningService(cloud, (s) => s.current_num_containers >= 2);
    const container = cloud.get('acme', 'container', uuidOfUri(service.containers[0] ?? '')) as RestContainer;
    cloud.operate(request({ type: 'container', uuid: container.uuid, operation }));
    cloud.drainOperations();
    const events = summary(watch.events);
    expect(events.slice(0, 2)).toEqual(['action create Pending', 'action update In progress']);
    expect(events.filter((e) => e.startsWith('container'))).toEqual(containerEvents);
    expect(events.at(-1)).toBe('action update Success');
    // One of several containers stopped or gone: the service is partly running after a stop only.
    const after = cloud.get('acme', 'service', service.uuid) as RestService;
    expect(after.state).toBe(operation === 'stop' ? 'Partly running' : 'Running');
    if (operation === 'terminate') expect(after.target_num_containers).toBe(service.target_num_containers - 1);
    expect(watch.events[0]?.parents).toEqual([container.resource_uri, service.resource_uri, service.stack, container.node, expect.any(String)]);
    expect(watch.problems).toEqual([]);
    expect(restProblems(cloud, 'acme', watch.fold, true)).toEqual([]);

    if (operation === 'stop') {
      watch.events.length = 0;
      cloud.operate(request({ type: 'container', uuid: container.uuid, operation: 'start' }));
      cloud.drainOperations();
      expect(summary(watch.events).filter((e) => !e.startsWith('action'))).toEqual([
        'container update Starting',
        'container update Running',
        'service update Running',
        'stack update Running',
      ]);
    }
  });

  it('answers 405, 404, 409 and 400 for operations that cannot run', async () => {
    const { cloud, watch } = await setup();
    const stack = cloud.list('acme', 'stack')[0] as RestStack;
    const service = cloud.get('acme', 'service', uuidOfUri(stack.services[0] ?? '')) as RestService;
    const container = cloud.get('acme', 'container', uuidOfUri(service.containers[0] ?? '')) as RestContainer;
    const node = cloud.list('acme', 'node')[0];
    const status = (r: ReturnType<SimulatedCloud['operate']>) => (r.ok ? 200 : r.status);

    expect(status(cloud.operate(request({ type: 'stack', uuid: stack.uuid, operation: 'scale', targetNumContainers: 2 })))).toBe(405);
    expect(status(cloud.operate(request({ type: 'container', uuid: container.uuid, operation: 'scale', targetNumContainers: 2 })))).toBe(405);
    for (const operation of ['start', 'stop', 'redeploy', 'terminate', 'scale'] as OperationName[]) {
      expect(status(cloud.operate(request({ type: 'node', uuid: node?.uuid ?? '', operation })))).toBe(405);
    }
    expect(status(cloud.operate(request({ type: 'action', uuid: 'x', operation: 'stop' })))).toBe(405);
    expect(status(cloud.operate(request({ type: 'service', uuid: '00000000-0000-4000-8000-000000000000', operation: 'stop' })))).toBe(404);
    expect(status(cloud.operate(request({ type: 'service', uuid: service.uuid, operation: 'stop', namespace: 'nobody' })))).toBe(404);
    for (const target of [-1, 51, 2.5, Number.NaN, undefined]) {
      const r = cloud.operate(request({ type: 'service', uuid: service.uuid, operation: 'scale', ...(target === undefined ? {} : { targetNumContainers: target }) }));
      expect(r.ok ? 200 : r.status, String(target)).toBe(400);
      expect(!r.ok && r.detail).toMatch(/target_num_containers/);
    }
    expect(watch.events).toEqual([]);

    // Terminating: the stack, its services and containers refuse everything else.
    expect(cloud.operate(request({ type: 'stack', uuid: stack.uuid, operation: 'terminate' })).ok).toBe(true);
    for (const [type, uuid] of [
      ['stack', stack.uuid],
      ['service', service.uuid],
      ['container', container.uuid],
    ] as const) {
      const r = cloud.operate(request({ type, uuid, operation: 'terminate' }));
      expect(r.ok ? 200 : r.status, `${type} while its stack is terminating`).toBe(409);
      expect(!r.ok && r.detail).toMatch(/terminat/);
    }
    cloud.drainOperations();
    expect(status(cloud.operate(request({ type: 'stack', uuid: stack.uuid, operation: 'start' })))).toBe(404);
    expect(watch.problems).toEqual([]);
    const detail = cloud.operate(request({ type: 'node', uuid: node?.uuid ?? '', operation: 'stop' }));
    expect(!detail.ok && detail.detail).toMatch(/node/);
  });

  it('finishes a background lifecycle on the same stack before starting the operation', async () => {
    const { cloud, watch } = await setup(4);
    // Step until a background action is under way on a service.
    let busy: DockerCloudEvent | undefined;
    for (let i = 0; i < 5000 && !busy; i++) {
      cloud.step();
      const last = watch.events.at(-1);
      if (last?.type === 'service' && ['Scaling', 'Redeploying'].includes(last.state)) busy = last;
    }
    expect(busy).toBeDefined();
    const serviceUri = busy?.resource_uri ?? '';
    const backgroundAction = [...watch.events].reverse().find((e) => e.type === 'action' && e.parents[0] === serviceUri);
    const mark = watch.events.length;
    const result = cloud.operate(request({ type: 'service', uuid: uuidOfUri(serviceUri), operation: 'stop' }));
    expect(result.ok).toBe(true);
    const between = watch.events.slice(mark);
    const finished = between.findIndex((e) => e.resource_uri === backgroundAction?.resource_uri && e.state === 'Success');
    const created = between.findIndex((e) => e.type === 'action' && e.action === 'create');
    expect(finished).toBeGreaterThanOrEqual(0);
    expect(created).toBe(between.length - 1);
    cloud.drainOperations();
    expect(cloud.get('acme', 'service', uuidOfUri(serviceUri))?.state).toBe('Stopped');
    expect(watch.problems).toEqual([]);
  });

  it('keeps every invariant under any mix of background steps and operations', async () => {
    const operationArb = fc.record({
      kind: fc.constantFrom('step', 'step', 'step', 'operate', 'drain'),
      type: fc.constantFrom('stack', 'service', 'container'),
      operation: fc.constantFrom<OperationName>('start', 'stop', 'redeploy', 'terminate', 'scale'),
      pick: fc.nat(),
      target: fc.integer({ min: 0, max: 6 }),
      count: fc.integer({ min: 1, max: 30 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 10_000 }), fc.array(operationArb, { minLength: 1, maxLength: 60 }), async (seed, script) => {
        const cloud = makeCloud({ seed, stacks: 3 });
        const watch = observe(cloud, 'acme');
        await cloud.start(watch.onEvent);
        for (const move of script) {
          if (move.kind === 'step') for (let i = 0; i < move.count; i++) cloud.step();
          else if (move.kind === 'drain') cloud.drainOperations();
          else {
            const objects = cloud.list('acme', move.type);
            const target = objects[move.pick % Math.max(1, objects.length)];
            if (!target) continue;
            const r = cloud.operate(request({ type: move.type, uuid: target.uuid, operation: move.operation, targetNumContainers: move.target }));
            if (!r.ok) expect([405, 409]).toContain(r.status);
            if (!r.ok && r.status === 405) expect(move.operation === 'scale' && move.type !== 'service').toBe(true);
          }
          expect(watch.problems).toEqual([]);
        }
        expect(restProblems(cloud, 'acme', watch.fold)).toEqual([]);
        cloud.runUntilIdle();
        expect(watch.problems).toEqual([]);
        expect(restProblems(cloud, 'acme', watch.fold, true)).toEqual([]);
        await cloud.stop();
      }),
      { numRuns: 60 },
    );
  });
});

describe('the real-time driver', () => {
  it('honours the rate roughly (200 events/s for 0.5 s)', async () => {
    const cloud = makeCloud({ manual: false, rate: 200, now: Date.now });
    let count = 0;
    await cloud.start(() => count++);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await cloud.stop();
    expect(count).toBeGreaterThan(50);
    expect(count).toBeLessThan(150);
    const after = count;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(count).toBe(after);
  });

  it('is calm at a demo pace (2 events/s)', async () => {
    const cloud = makeCloud({ manual: false, rate: 2, now: Date.now });
    let count = 0;
    await cloud.start(() => count++);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(count).toBeGreaterThanOrEqual(1);
    expect(count).toBeLessThanOrEqual(4);
  });

  it('runs an operation to Success on its own timers, whatever the background rate', async () => {
    const cloud = makeCloud({ manual: false, rate: 0, now: Date.now, operationDelayMs: [5, 15] });
    const watch = observe(cloud, 'acme', Date.now);
    const done = new Promise<number>((resolve) => {
      const started = performance.now();
      void cloud.start((e) => {
        watch.onEvent(e);
        if (e.event.type === 'action' && e.event.state === 'Success') resolve(performance.now() - started);
      });
    });
    const service = runningService(cloud);
    const result = cloud.operate(request({ type: 'service', uuid: service.uuid, operation: 'redeploy' }));
    expect(result.ok).toBe(true);
    // Pending now, the rest later: phases are spread in time.
    expect(summary(watch.events)).toEqual(['action create Pending']);
    const elapsed = await done;
    expect(elapsed).toBeLessThan(3_000);
    expect(summary(watch.events).at(-1)).toBe('action update Success');
    expect(watch.problems).toEqual([]);
  });

  it('saturates at tens of thousands of events per second and keeps the event loop responsive', async () => {
    // setTimeout(0) lag, sampled for `ms`: its median and maximum.
    const sampleLag = async (ms: number) => {
      const lags: number[] = [];
      const started = performance.now();
      while (performance.now() - started < ms) {
        const asked = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 0));
        lags.push(performance.now() - asked);
      }
      lags.sort((a, b) => a - b);
      return { median: lags[Math.floor(lags.length / 2)] ?? 0, max: lags.at(-1) ?? 0 };
    };
    // The machine may be busy with other work: compare with the lag of an idle loop right before.
    const idle = await sampleLag(150);
    const cloud = makeCloud({ manual: false, rate: Number.POSITIVE_INFINITY, now: Date.now, stacks: 50, namespaces: ['acme', 'globex'] });
    let count = 0;
    await cloud.start(() => count++);
    const started = performance.now();
    const busy = await sampleLag(600);
    const seconds = (performance.now() - started) / 1000;
    await cloud.stop();
    const perSecond = count / seconds;
    // A functional floor, not a benchmark (that is `npm run bench`): flat out is far above any paced rate.
    expect(perSecond).toBeGreaterThan(5_000);
    // Chunks last 5 ms, so a timer waits about that long; margins for a busy 2-core machine.
    expect(busy.median).toBeLessThan(idle.median + 20);
    expect(busy.max).toBeLessThan(idle.max + 250);
    // It keeps the REST view consistent at that pace too.
    expect(restProblems(cloud, 'acme')).toEqual([]);
    console.info(
      `saturation: ${Math.round(perSecond)} events/s over 2 namespaces; setTimeout(0) median ${busy.median.toFixed(1)} ms (idle ${idle.median.toFixed(1)} ms), max ${busy.max.toFixed(1)} ms`,
    );
  });
});

describe('lifecycle and options', () => {
  it('is healthy only while running', async () => {
    const cloud = makeCloud();
    expect(cloud.health().ok).toBe(false);
    await cloud.start(() => {});
    expect(cloud.health()).toMatchObject({ ok: true });
    await expect(cloud.start(() => {})).rejects.toThrow(/already running/);
    await cloud.stop();
    expect(cloud.health()).toEqual({ ok: false, detail: 'simulator stopped' });
  });

  it('survives a subscriber that throws, and reports it', async () => {
    const cloud = makeCloud();
    await cloud.start(() => {
      throw new Error('boom');
    });
    for (let i = 0; i < 200; i++) cloud.step();
    cloud.runUntilIdle();
    expect(restProblems(cloud, 'acme', undefined, true)).toEqual([]);
    expect(cloud.health().detail).toMatch(/boom/);
  });

  it('refuses an operation called back from inside an emit, and accepts it deferred', async () => {
    const cloud = makeCloud();
    const service = runningService(cloud);
    const outcomes: string[] = [];
    await cloud.start(({ event }) => {
      if (event.type !== 'container' || outcomes.length > 0) return;
      const operate = () => cloud.operate(request({ type: 'service', uuid: service.uuid, operation: 'stop' }));
      try {
        operate();
        outcomes.push('ran inside');
      } catch (error) {
        outcomes.push(String(error));
        queueMicrotask(() => outcomes.push(operate().ok ? 'deferred ok' : 'deferred refused'));
      }
    });
    while (outcomes.length === 0) cloud.step();
    await Promise.resolve();
    expect(outcomes[0]).toMatch(/called back while emitting/);
    expect(outcomes[1]).toBe('deferred ok');
    cloud.runUntilIdle();
    expect(restProblems(cloud, 'acme', undefined, true)).toEqual([]);
  });

  /** The EventsError `invalid-config` that `fn` throws. */
  const thrownBy = (fn: () => unknown): EventsError => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(EventsError);
      expect((error as EventsError).code).toBe('invalid-config');
      return error as EventsError;
    }
    throw new Error('expected a throw');
  };
  const RATE = 'a number of events per second from 0 to 100000 or Infinity (flat out)';
  it.each([
    [{ seed: Number.NaN }, `seed must be a whole number from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, got number NaN`],
    [{ seed: 1.5 }, `seed must be a whole number from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, got number 1.5`],
    [{ rate: -1 }, `rate must be ${RATE}, got number -1`],
    [{ rate: Number.NaN }, `rate must be ${RATE}, got number NaN`],
    [{ rate: 'fast' }, `rate must be ${RATE}, got the string "fast"`],
    // The CLI's ceiling: beyond it, Infinity says "flat out" plainly.
    [{ rate: 1_000_000 }, `rate must be ${RATE}, got number 1000000`],
    [{ namespaces: [] }, 'namespaces must list at least one namespace'],
    [{ namespaces: 'acme' }, `namespaces must be an array of distinct namespace names (letters, digits, _ . ~ -) such as ['acme'], got the string "acme"`],
    [{ namespaces: ['ok', 'a/b'] }, `namespaces must be an array of distinct namespace names (letters, digits, _ . ~ -) such as ['acme']; namespaces[1] is the string "a/b"`],
    [{ namespaces: ['a', 7] }, `namespaces must be an array of distinct namespace names (letters, digits, _ . ~ -) such as ['acme']; namespaces[1] is number 7`],
    [{ namespaces: ['a', 'a'] }, 'namespaces must be distinct; "a" is listed twice'],
    // URLs resolve these path segments away: their resource URIs would reach no namespace, or another.
    [{ namespaces: ['acme', '..'] }, 'namespaces must not hold "." or "..", which URLs resolve away (their resource URIs would not reach them); namespaces[1] is ".."'],
    [{ stacks: 1.5 }, 'stacks must be a whole number from 0 to 1000, got number 1.5'],
    [{ stacks: 5000 }, 'stacks must be a whole number from 0 to 1000, got number 5000'],
    [{ nodeClusters: 0 }, 'nodeClusters must be a whole number from 1 to 1000, got number 0'],
    [{ operationDelayMs: [10, 5] as const }, 'operationDelayMs must be [min, max] milliseconds with 0 ≤ min ≤ max ≤ 2147483647, got [10,5]'],
    [{ manual: 'yes' }, 'manual must be true or false, got the string "yes"'],
    [{ now: 0 }, 'now must be a function returning the time in milliseconds, such as Date.now, got number 0'],
    [{ namespace: ['acme'] }, /^unknown option "namespace" \(did you mean "namespaces"\?\); createSimulatedCloud takes seed, rate, namespaces, stacks, /],
    [{ stack: 3 }, /^unknown option "stack" \(did you mean "stacks"\?\)/],
  ])('refuses bad options %#: %j', (options, message) => {
    const error = thrownBy(() => createSimulatedCloud({ seed: 1, rate: 1, namespaces: ['acme'], ...(options as object) }));
    if (typeof message === 'string') expect(error.message).toBe(`simulated cloud: ${message}`);
    else expect(error.message.replace('simulated cloud: ', '')).toMatch(message);
  });

  it.each([
    [undefined, /^simulated cloud: options must be an object such as \{ seed: 7, rate: 2, namespaces: \['acme'\] \}, got undefined$/],
    [null, /^simulated cloud: options must be an object .*, got null$/],
    [{ seed: 7 }, /^simulated cloud: rate is required: background events per second per namespace: /],
    [{ rate: 2, namespaces: ['a'] }, /^simulated cloud: seed is required: a whole number such as 7/],
    [{ seed: 7, rate: 2 }, /^simulated cloud: namespaces is required: an array of distinct namespace names/],
  ])('refuses options %j that lack what it needs, as an EventsError rather than a TypeError', (options, message) => {
    expect(thrownBy(() => (createSimulatedCloud as (options?: unknown) => SimulatedCloud)(options)).message).toMatch(message);
  });

  it('takes Infinity (flat out), 0 and a negative seed', () => {
    for (const options of [{ rate: Number.POSITIVE_INFINITY }, { rate: 0 }, { seed: -5 }, { rate: 100_000, stacks: 1000 }]) {
      expect(createSimulatedCloud({ seed: 1, rate: 1, namespaces: ['acme'], manual: true, ...options }).namespaces).toEqual(['acme']);
    }
  });

  it('returns nothing for an unknown namespace', () => {
    const cloud = makeCloud();
    expect(cloud.list('nobody', 'stack')).toEqual([]);
    expect(cloud.get('nobody', 'stack', 'x')).toBeUndefined();
    expect(() => cloud.step('nobody')).toThrow(/no namespace/);
  });
});
