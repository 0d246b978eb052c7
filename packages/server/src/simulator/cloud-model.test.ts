import { type DockerCloudEvent, type RestService, uuidOfUri } from '@events/core';
import { describe, expect, it } from 'vitest';
import type { ServiceTemplate } from './catalog.js';
import { createCloudModel } from './cloud-model.js';
import { createSeededRandom } from './seeded-random.js';

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);

function setup(maxActions?: number) {
  const model = createCloudModel({
    namespace: 'acme',
    random: createSeededRandom(1, 'acme'),
    now: () => T0,
    ...(maxActions === undefined ? {} : { maxActions }),
  });
  model.populate({ stacks: 0, nodeClusters: 1 });
  const events: DockerCloudEvent[] = [];
  model.setSink((e) => events.push(e));
  return { model, events };
}

const redis: ServiceTemplate = { name: 'redis', image: 'redis:7', containers: [1, 1] };

describe('CloudModel', () => {
  it('keeps service counts, lists and node counts right as containers change', () => {
    const { model, events } = setup();
    const stack = model.createStack('web');
    const service = model.createService(stack.uuid, redis, 2);
    expect(model.get('stack', stack.uuid)?.services).toEqual([service.resource_uri]);
    const a = model.createContainer(service.uuid);
    const b = model.createContainer(service.uuid);
    expect([a.name, b.name]).toEqual(['redis-1', 'redis-2']);
    const counts = (s: RestService | undefined) => [s?.current_num_containers, s?.running_num_containers, s?.stopped_num_containers];
    expect(counts(model.get('service', service.uuid))).toEqual([2, 0, 0]);
    model.setContainerState(a.uuid, 'Running');
    model.setContainerState(b.uuid, 'Running');
    expect(counts(model.get('service', service.uuid))).toEqual([2, 2, 0]);
    model.setContainerState(b.uuid, 'Stopped', 137);
    expect(model.get('container', b.uuid)).toMatchObject({ exit_code: 137, stopped_datetime: 'Fri, 27 Nov 2026 09:00:00 +0000' });
    expect(counts(model.get('service', service.uuid))).toEqual([2, 1, 1]);
    const onNodes = () => model.list('node').reduce((n, node) => n + node.current_num_containers, 0);
    expect(onNodes()).toBe(2);
    model.setContainerState(b.uuid, 'Terminating');
    model.setContainerState(b.uuid, 'Terminated');
    expect(onNodes()).toBe(1);
    expect(counts(model.get('service', service.uuid))).toEqual([1, 1, 0]);
    model.remove('container', b.uuid);
    expect(model.get('service', service.uuid)?.containers).toEqual([a.resource_uri]);
    expect(model.get('container', b.uuid)).toBeUndefined();
    // Emptiest node first: the two containers went to different nodes.
    expect(a.node).not.toBe(b.node);
    expect(events.map((e) => `${e.type} ${e.action} ${e.state}`)).toEqual([
      'stack create Not running',
      'service create Not running',
      'container create Starting',
      'container create Starting',
      'container update Running',
      'container update Running',
      'container update Stopped',
      'container update Terminating',
      'container update Terminated',
      'container delete Terminated',
    ]);
    expect(events[0]?.datetime).toBe('2026-11-27T09:00:00Z');
  });

  it('refuses to delete an object that is not Terminated', () => {
    const { model } = setup();
    const stack = model.createStack('web');
    expect(() => model.remove('stack', stack.uuid)).toThrow(/Not running/);
  });

  it('derives resting states from the children', () => {
    const { model } = setup();
    const stack = model.createStack('web');
    const one = model.createService(stack.uuid, redis, 1);
    const two = model.createService(stack.uuid, redis, 1);
    expect(model.restingStackState(model.get('stack', stack.uuid) ?? stack)).toBe('Not running');
    const c1 = model.createContainer(one.uuid);
    const c2 = model.createContainer(two.uuid);
    model.setContainerState(c1.uuid, 'Running');
    model.setContainerState(c2.uuid, 'Running');
    expect(model.settleService(one.uuid)).toBe(true);
    expect(model.settleService(one.uuid)).toBe(false);
    model.settleService(two.uuid);
    expect(model.settleStack(stack.uuid)).toBe(true);
    expect(model.get('stack', stack.uuid)?.state).toBe('Running');
    expect(model.get('stack', stack.uuid)?.deployed_datetime).not.toBeNull();
    model.setContainerState(c2.uuid, 'Stopped');
    model.settleService(two.uuid);
    expect(model.get('service', two.uuid)?.state).toBe('Stopped');
    model.settleStack(stack.uuid);
    expect(model.get('stack', stack.uuid)?.state).toBe('Partly running');
  });

  it('gives an action its target and the target’s parents', () => {
    const { model, events } = setup();
    const stack = model.createStack('web');
    const service = model.createService(stack.uuid, redis, 1);
    const container = model.createContainer(service.uuid);
    const request = { action: 'Container Stop', method: 'POST', path: `${container.resource_uri}stop/`, user: 'alice', isUserAction: true };
    const action = model.createAction('container', container.uuid, request);
    expect(action.resource_uri).toBe(`/api/audit/v1/action/${action.uuid}/`);
    const node = model.get('node', uuidOfUri(container.node ?? ''));
    expect(events.at(-1)?.parents).toEqual([container.resource_uri, service.resource_uri, stack.resource_uri, container.node, node?.node_cluster]);
    model.setActionState(action.uuid, 'In progress');
    model.setActionState(action.uuid, 'Success');
    expect(model.get('action', action.uuid)).toMatchObject({ state: 'Success', start_date: expect.any(String), end_date: expect.any(String) });
  });

  it('forgets the oldest finished actions beyond maxActions, never an unfinished one', () => {
    const { model } = setup(3);
    const stack = model.createStack('web');
    const request = { action: 'Stack Stop', method: 'POST', path: '/x/', user: 'bob', isUserAction: true };
    const pending = model.createAction('stack', stack.uuid, request);
    const finished = [1, 2, 3, 4].map(() => {
      const action = model.createAction('stack', stack.uuid, request);
      model.setActionState(action.uuid, 'In progress');
      model.setActionState(action.uuid, 'Success');
      return action.uuid;
    });
    const kept = model.list('action').map((a) => a.uuid);
    expect(kept).toContain(pending.uuid);
    expect(kept).toContain(finished[3]);
    expect(kept).not.toContain(finished[0]);
    expect(kept.length).toBeLessThanOrEqual(3);
  });

  it('counts events also without a sink, so a seed gives the same uuids either way', () => {
    const a = createCloudModel({ namespace: 'acme', random: createSeededRandom(9, 'acme'), now: () => T0 });
    const b = createCloudModel({ namespace: 'acme', random: createSeededRandom(9, 'acme'), now: () => T0 });
    const seen: string[] = [];
    b.setSink((e) => seen.push(e.uuid));
    a.createStack('web');
    b.createStack('web');
    expect(a.emitted).toBe(1);
    expect(a.createStack('x').uuid).toBe(b.createStack('x').uuid);
    expect(seen).toHaveLength(2);
  });
});
