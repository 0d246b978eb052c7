import { type DockerCloudEvent, formatPosition, POSITION_HEADER, type RestAction, type RestContainer, type RestList, type RestService } from '@events/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { ACTION_URI_HEADER } from '../src/rest-api.js';
import { createSimulatedCloud, type SimulatedCloud } from '../src/simulator/simulated-cloud.js';

const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];
const AUTH = `Basic ${Buffer.from('alice:alice-key-123').toString('base64')}`;

let cloud: SimulatedCloud;
let server: EventsServer;

beforeEach(async () => {
  // Manual: nothing moves until the test drains, so every count below is exact.
  cloud = createSimulatedCloud({ seed: 11, rate: 0, namespaces: ['alice', 'acme'], manual: true });
  server = await createEventsServer({ source: cloud, users: USERS, port: 0, logger: silentLogger });
});
afterEach(async () => {
  await server.close();
});

async function call(method: string, path: string, body?: string) {
  const res = await fetch(`${server.url}${path}`, { method, headers: { Authorization: AUTH }, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
}

/** A plain Docker Cloud stream client on `namespace`, recording every event. */
async function subscribe(namespace: string) {
  const events: DockerCloudEvent[] = [];
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/audit/v1/${namespace}/events/`, { headers: { Authorization: AUTH } });
  ws.on('message', (data) => events.push(JSON.parse(String(data)) as DockerCloudEvent));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waitFor = async (predicate: (events: readonly DockerCloudEvent[]) => boolean) => {
    const deadline = Date.now() + 5000;
    while (!predicate(events)) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${events.length} events`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { events, waitFor, close: () => ws.close() };
}

describe('REST over the simulated cloud', () => {
  it('a scale answers 202 and its action, events and final REST state all agree', async () => {
    const services = (await call('GET', '/api/app/v1/acme/service/?limit=0')).body as RestList<RestService>;
    const service = services.objects.find((s) => s.state === 'Running') as RestService;
    expect(service).toBeDefined();
    const target = service.target_num_containers + 2;
    const stream = await subscribe('acme');

    const answer = await call('POST', `${service.resource_uri}scale/`, JSON.stringify({ target_num_containers: target }));
    expect(answer.status).toBe(202);
    expect((answer.body as RestService).uuid).toBe(service.uuid);
    const actionUri = answer.headers.get(ACTION_URI_HEADER) as string;
    expect(actionUri).toMatch(/^\/api\/audit\/v1\/action\/[0-9a-f-]{36}\/$/);

    const pending = (await call('GET', actionUri)).body as RestAction;
    expect(pending).toMatchObject({ resource_uri: actionUri, object: service.resource_uri, action: 'Service Scale', user: 'alice', method: 'POST', path: `${service.resource_uri}scale/` });
    expect(['Pending', 'In progress']).toContain(pending.state);

    cloud.drainOperations('acme');
    await stream.waitFor((events) => events.some((e) => e.type === 'action' && e.resource_uri === actionUri && e.state === 'Success'));
    stream.close();

    const actionEvents = stream.events.filter((e) => e.resource_uri === actionUri).map((e) => e.state);
    expect(actionEvents[0]).toBe('Pending');
    expect(actionEvents.at(-1)).toBe('Success');
    expect(actionEvents.indexOf('Success')).toBe(actionEvents.length - 1);
    const serviceStates = stream.events.filter((e) => e.resource_uri === service.resource_uri).map((e) => e.state);
    expect(serviceStates[0]).toBe('Scaling');
    expect(serviceStates.at(-1)).toBe('Running');
    // Scaling up creates containers of this service.
    const created = stream.events.filter((e) => e.type === 'container' && e.action === 'create' && e.parents.includes(service.resource_uri));
    expect(created).toHaveLength(2);

    const after = (await call('GET', service.resource_uri)).body as RestService;
    expect(after).toMatchObject({ state: 'Running', target_num_containers: target, current_num_containers: target, running_num_containers: target });
    expect(((await call('GET', actionUri)).body as RestAction).state).toBe('Success');
  });

  it('the CLI’s service scale (PATCH target, then a body-less POST scale/) ends at the new target', async () => {
    const services = (await call('GET', '/api/app/v1/acme/service/?state=Running&limit=1')).body as RestList<RestService>;
    const service = services.objects[0] as RestService;
    const target = service.target_num_containers + 1;
    const patched = await call('PATCH', service.resource_uri, JSON.stringify({ target_num_containers: target }));
    expect(patched.status).toBe(202);
    // The answer already shows the new target (python-dockercloud's save() loads it).
    expect((patched.body as RestService).target_num_containers).toBe(target);
    const scaled = await call('POST', `${service.resource_uri}scale/`);
    expect(scaled.status).toBe(202);
    cloud.drainOperations('acme');
    expect(((await call('GET', service.resource_uri)).body as RestService).target_num_containers).toBe(target);
  });

  it('X-Events-Position is the bus head, and the list already reflects every event up to it', async () => {
    const containers = (await call('GET', '/api/app/v1/acme/container/?state=Running&limit=1')).body as RestList<RestContainer>;
    const container = containers.objects[0] as RestContainer;
    expect((await call('POST', `${container.resource_uri}stop/`)).status).toBe(202);
    cloud.drainOperations('acme');
    const list = await call('GET', '/api/app/v1/acme/container/?limit=0');
    expect(list.headers.get(POSITION_HEADER)).toBe(formatPosition(server.bus.head('acme')));
    expect(server.bus.head('acme').seq).toBeGreaterThan(0);
    const listed = (list.body as RestList<RestContainer>).objects.find((c) => c.uuid === container.uuid);
    expect(listed?.state).toBe('Stopped');
    // Another namespace's stream did not move.
    expect((await call('GET', '/api/app/v1/stack/')).headers.get(POSITION_HEADER)).toBe(formatPosition(server.bus.head('alice')));
    expect(server.bus.head('alice').seq).toBe(0);
  });

  it('terminating during a termination answers 409, and a Go SDK walk of the containers sees each exactly once', async () => {
    const stacks = (await call('GET', '/api/app/v1/acme/stack/')).body as RestList<{ resource_uri: string; uuid: string }>;
    const stack = stacks.objects[0] as { resource_uri: string; uuid: string };
    const stream = await subscribe('acme');
    expect((await call('DELETE', stack.resource_uri)).status).toBe(202);
    const again = await call('DELETE', stack.resource_uri);
    expect(again).toMatchObject({ status: 409, body: { detail: 'The stack is being terminated.' } });
    cloud.drainOperations('acme');
    await stream.waitFor((events) => events.some((e) => e.action === 'delete' && e.resource_uri === stack.resource_uri));
    stream.close();
    // Every object the stream said was deleted is still readable at its resource_uri, Terminated,
    // as Docker Cloud kept them (programs GET the object of an event they received); lists drop it.
    const deletedUris = stream.events.filter((e) => e.action === 'delete').map((e) => e.resource_uri);
    expect(deletedUris.length).toBeGreaterThan(2); // the stack, its services and their containers
    for (const uri of deletedUris) {
      const gone = await call('GET', uri);
      expect(gone.status).toBe(200);
      expect(gone.body).toMatchObject({ resource_uri: uri, state: 'Terminated' });
    }
    expect((await call('GET', stack.resource_uri)).body).toMatchObject({ destroyed_datetime: expect.any(String) });
    const listedStacks = ((await call('GET', '/api/app/v1/acme/stack/?limit=0')).body as RestList<{ uuid: string }>).objects;
    expect(listedStacks.map((s) => s.uuid)).not.toContain(stack.uuid);
    expect(await call('DELETE', stack.resource_uri)).toMatchObject({ status: 409 });

    const all = ((await call('GET', '/api/app/v1/acme/container/?limit=0')).body as RestList<RestContainer>).objects.map((c) => c.uuid);
    expect(all.length).toBeGreaterThan(5);
    const base = `${server.url}//api/`;
    const seen: string[] = [];
    let next: string | null = 'app/v1/acme/container/?limit=3';
    while (next !== null) {
      const page = (await (await fetch(base + next, { headers: { Authorization: AUTH } })).json()) as RestList<RestContainer>;
      seen.push(...page.objects.map((c) => c.uuid));
      next = page.meta.next === null ? null : page.meta.next.slice(5);
    }
    expect(seen).toEqual(all);
  });
});
