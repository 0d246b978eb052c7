import type { DockerCloudEvent } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeLiveTree, type FakeLiveTree } from '../test/fake-live-tree.js';
import { createStateTracker, describeUri, formatEventJson, formatEventPlain, knownName, nameOf } from './event-format.js';

const event: DockerCloudEvent = {
  type: 'container',
  action: 'update',
  parents: ['/api/app/v1/a/service/5f1c/', '/api/app/v1/a/stack/9a2e/'],
  resource_uri: '/api/app/v1/a/container/0b0e3538-aaaa/',
  state: 'Running',
  uuid: 'e1',
  datetime: '2026-11-27T09:01:33Z',
  position: { epoch: 'x', seq: 4 },
};

describe('formatEventJson', () => {
  it('writes the seven documented fields in order, and nothing else', () => {
    const line = formatEventJson(event);
    expect(Object.keys(JSON.parse(line))).toEqual(['type', 'action', 'parents', 'resource_uri', 'state', 'uuid', 'datetime']);
    expect(line).not.toContain('\n');
    expect(line.startsWith('{"type":"container","action":"update","parents":[')).toBe(true);
  });
});

describe('formatEventPlain', () => {
  let fake: FakeLiveTree;
  beforeAll(async () => {
    fake = await createFakeLiveTree(7);
  });
  afterAll(() => fake.close());

  it('says time, type, action, name, old → new state and parents', () => {
    expect(formatEventPlain(event, 'Starting')).toBe(
      '2026-11-27T09:01:33Z container update 0b0e3538 Starting → Running  service/5f1c stack/9a2e',
    );
    expect(formatEventPlain(event, null)).toContain(' 0b0e3538 Running  ');
  });

  it('uses names from the tree', () => {
    const snapshot = fake.tree.getSnapshot().tree;
    const container = snapshot.ofType('container')[0];
    if (container === undefined) throw new Error('no container');
    const line = formatEventPlain({ ...event, resource_uri: container.resource_uri, parents: container.parents }, 'Stopped', snapshot);
    const name = (container.fields as { name: string }).name;
    expect(line).toContain(` ${name} Stopped → Running  service/`);
    expect(describeUri(container.parents[0] as string, snapshot)).toMatch(/^service\/[a-z]/);
  });
});

describe('knownName', () => {
  let fake: FakeLiveTree;
  beforeAll(async () => {
    fake = await createFakeLiveTree(7);
  });
  afterAll(() => fake.close());

  it('is the name the snapshot or fetched fields give, and null when only the id is known', () => {
    const snapshot = fake.tree.getSnapshot().tree;
    const service = snapshot.ofType('service')[0];
    if (service === undefined) throw new Error('no service');
    const name = (service.fields as { name: string }).name;
    expect(knownName(service.resource_uri, snapshot)).toBe(name);
    expect(knownName(event.resource_uri, snapshot)).toBeNull();
    expect(knownName(event.resource_uri)).toBeNull();
    expect(knownName(event.resource_uri, snapshot, () => ({ name: 'web-9' }))).toBe('web-9');
    expect(knownName(event.resource_uri, snapshot, () => ({ name: '' }))).toBeNull();
  });

  it('names an object the tree does not hold by its fetched fields, as its type names things', () => {
    // Under `--type container` the tree holds no services or nodes: their names come from GETs.
    const node = '/api/infra/v1/a/node/77aa-bb/';
    expect(knownName(node, fake.tree.getSnapshot().tree, () => ({ external_fqdn: 'edge-3.eu.example.com' }))).toBe('edge-3');
    expect(nameOf(node, null, fake.tree.getSnapshot().tree, () => ({ name: 'ignored for a node' }))).toBe('77aa');
    expect(knownName('/api/app/v1/a/action/1/', undefined, () => ({ action: 'Scale' }))).toBe('Scale');
  });

  it('is null for an object the tree knows only from events, until its fields are fetched', () => {
    fake.tree.push({ ...event, action: 'create', state: 'Starting', uuid: 'c1', parents: [] });
    fake.tree.flush();
    const snapshot = fake.tree.getSnapshot().tree;
    expect(snapshot.get(event.resource_uri)?.fields).toBeNull();
    expect(knownName(event.resource_uri, snapshot)).toBeNull();
    expect(knownName(event.resource_uri, snapshot, () => ({ name: 'web-9' }))).toBe('web-9');
    expect(nameOf(event.resource_uri, null, snapshot)).toBe('0b0e3538');
  });

  it('lets a name known before win over what the snapshot says now', () => {
    expect(nameOf(event.resource_uri, 'web-1')).toBe('web-1');
    expect(describeUri(event.resource_uri, undefined, undefined, 'web-1')).toBe('container/web-1');
    expect(describeUri('/api/infra/v1/a/nodecluster/1234abcd-x/')).toBe('cluster/1234abcd');
  });
});

describe('createStateTracker', () => {
  it('remembers each object state and forgets it on delete', () => {
    const tracker = createStateTracker((uri) => (uri === 'k' ? 'Stopped' : undefined));
    const e = (uri: string, state: string, action: DockerCloudEvent['action'] = 'update') => ({ ...event, resource_uri: uri, state, action }) as DockerCloudEvent;
    expect(tracker.advance(e('k', 'Starting'))).toBe('Stopped');
    expect(tracker.advance(e('k', 'Running'))).toBe('Starting');
    expect(tracker.advance(e('n', 'Running'))).toBeNull();
    expect(tracker.advance(e('n', 'Terminated', 'delete'))).toBe('Running');
    expect(tracker.advance(e('n', 'Starting', 'create'))).toBeNull();
  });
});
