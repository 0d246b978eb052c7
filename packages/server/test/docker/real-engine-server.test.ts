import type { DockerCloudEvent, ObjectType, RestObjectByType } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../../src/create-events-server.js';
import { createDockerSource, type DockerSource } from '../../src/docker/docker-source.js';
import { silentLogger } from '../../src/logger.js';
import { basic, openStream, type StreamClient } from '../helpers/stream-client.js';
import { cleanUp, deployStack, dockerContainers, dockerServices, engine, FAST_BACKOFF, requireEngine, suiteName } from './docker-test-kit.js';
import { docker, TEST_IMAGE, type TestEngine, until } from '../../../../tests/support/docker-engine.js';

// End to end: a real `ws` client on loopback and REST calls against createEventsServer over the
// Docker source, compared with what `docker` reports.

const USER = { username: 'u', apikey: 'k'.repeat(16) };
const AUTH = basic(USER.username, USER.apikey);

describe.skipIf(!engine)(suiteName('events server over a real engine'), () => {
  let host: TestEngine;
  let source: DockerSource;
  let server: EventsServer;
  let client: StreamClient;

  const rest = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { Authorization: AUTH, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  const list = async <T extends ObjectType>(type: T): Promise<RestObjectByType[T][]> => {
    const api = type === 'node' || type === 'nodecluster' ? 'infra' : 'app';
    const { status, json } = await rest('GET', `/api/${api}/v1/u/${type}/?limit=1000`);
    expect(status).toBe(200);
    return json.objects as RestObjectByType[T][];
  };

  const find = async <T extends 'stack' | 'service' | 'container'>(type: T, name: string) => (await list(type)).find((o) => o.name === name);

  const frames = (): DockerCloudEvent[] => client.json() as unknown as DockerCloudEvent[];
  const lifeOf = (uri: string | undefined) => frames().filter((e) => e.resource_uri === uri).map((e) => (e.action === 'update' ? e.state : `${e.action} ${e.state}`));

  /** Runs a REST operation and waits for its action to finish on the stream; returns the action's states. */
  const operate = async (method: string, path: string, body?: unknown): Promise<{ action: string; states: string[] }> => {
    const answer = await rest(method, path, body);
    expect(answer.status, JSON.stringify(answer.json)).toBe(202);
    const action = answer.headers.get('X-DockerCloud-Action-URI') as string;
    expect(action).toMatch(/^\/api\/audit\/v1\/action\/[0-9a-f-]+\/$/);
    await client.waitFor(() => frames().some((e) => e.resource_uri === action && (e.state === 'Success' || e.state === 'Failed')), 60_000);
    return { action, states: lifeOf(action) };
  };

  beforeAll(async () => {
    host = requireEngine();
    source = createDockerSource({ namespace: 'u', dockerHost: host.host, backoff: FAST_BACKOFF });
    server = await createEventsServer({ source, users: [USER], logger: silentLogger });
    client = await openStream(`${server.url.replace('http://', 'ws://')}/api/audit/v1/events/`, { headers: { Authorization: AUTH } });
  });
  afterAll(async () => {
    client?.ws.close();
    await server?.close();
  });

  it('answers /healthz from the source and lists the engine over REST', async () => {
    const health = await fetch(`${server.url}/healthz`);
    const body = (await health.json()) as { status: string; source: { name: string; ok: boolean; detail: string } };
    expect([health.status, body.status, body.source.name, body.source.ok]).toEqual([200, 'ok', 'docker', true]);
    expect(body.source.detail).toContain(host.host);
    const [cluster] = await list('nodecluster');
    expect([cluster?.state, cluster?.nodes.length]).toEqual(['Deployed', 1]);
  });

  it('streams a container started with docker, and runs stop, start, redeploy and terminate on the engine', async () => {
    const name = 'e2e-web';
    try {
      await docker(host, ['run', '-d', '--stop-timeout', '1', '--name', name, TEST_IMAGE, 'sleep', '600']);
      await until(async () => (await find('container', name))?.state === 'Running', 20_000, `${name} Running over REST`);
      const container = (await find('container', name)) as RestObjectByType['container'];
      const uri = container.resource_uri;
      await client.waitFor(() => lifeOf(uri).includes('Running'), 10_000);
      expect(lifeOf(uri).slice(0, 2)).toEqual(['create Starting', 'Running']);

      let done = await operate('POST', `${uri}stop/`);
      expect(done.states).toEqual(['create Pending', 'In progress', 'Success']);
      expect(lifeOf(uri).slice(-2)).toEqual(['Stopping', 'Stopped']);
      expect((await dockerContainers(host, name)).get(name)).toBe('Stopped');
      // The action went Success only after the container rested.
      const at = (pred: (e: DockerCloudEvent) => boolean) => frames().findIndex(pred);
      expect(at((e) => e.resource_uri === done.action && e.state === 'Success')).toBeGreaterThan(at((e) => e.resource_uri === uri && e.state === 'Stopped'));
      const action = (await rest('GET', done.action)).json;
      expect([action.state, action.action, action.object, action.user, action.method]).toEqual(['Success', 'Container Stop', uri, 'u', 'POST']);

      done = await operate('POST', `${uri}start/`);
      expect(done.states.at(-1)).toBe('Success');
      expect((await dockerContainers(host, name)).get(name)).toBe('Running');
      const startedBefore = await docker(host, ['inspect', '--format', '{{.State.StartedAt}}', name]);

      done = await operate('POST', `${uri}redeploy/`);
      expect(done.states.at(-1)).toBe('Success');
      expect(await docker(host, ['inspect', '--format', '{{.State.StartedAt}}', name])).not.toBe(startedBefore);
      expect(lifeOf(uri).slice(-3)).toEqual(['Stopping', 'Starting', 'Running']);

      done = await operate('DELETE', uri);
      expect(done.states.at(-1)).toBe('Success');
      expect(lifeOf(uri).slice(-3)).toEqual(['Terminating', 'Terminated', 'delete Terminated']);
      expect(await dockerContainers(host, name)).toEqual(new Map());
      // Still readable after its delete, as Docker Cloud kept terminated objects (README).
      const gone = await rest('GET', uri);
      expect([gone.status, gone.json.state, gone.json.name]).toEqual([200, 'Terminated', name]);
    } finally {
      await cleanUp(host, { containers: name });
    }
  });

  it('scales and redeploys a swarm service and terminates its stack through REST', async () => {
    const stack = 'e2e';
    try {
      await deployStack(host, stack, { api: 1 });
      await until(async () => (await find('service', 'e2e_api'))?.state === 'Running', 45_000, 'e2e_api Running over REST');
      const service = (await find('service', 'e2e_api')) as RestObjectByType['service'];

      let done = await operate('POST', `${service.resource_uri}scale/`, { target_num_containers: 2 });
      expect(done.states).toEqual(['create Pending', 'In progress', 'Success']);
      expect(lifeOf(service.resource_uri).slice(-2)).toEqual(['Scaling', 'Running']);
      // Swarm counts a task running once its agent reported it, a moment after the container's start.
      await until(async () => (await dockerServices(host)).get('e2e_api')?.join('/') === '2/2', 10_000, 'docker reporting 2/2');
      expect((await find('service', 'e2e_api'))?.running_num_containers).toBe(2);

      const running = async () => (await docker(host, ['ps', '-q', '--no-trunc', '--filter', 'label=com.docker.swarm.service.name=e2e_api'])).split('\n').sort();
      const before = await running();
      done = await operate('POST', `${service.resource_uri}redeploy/`);
      expect(done.states.at(-1)).toBe('Success');
      expect(lifeOf(service.resource_uri).slice(-2)).toEqual(['Redeploying', 'Running']);
      const after = await running();
      expect(after.length).toBe(2);
      expect(after.filter((id) => before.includes(id))).toEqual([]);
      expect(await docker(host, ['service', 'inspect', '--format', '{{.Spec.TaskTemplate.ForceUpdate}}', 'e2e_api'])).toBe('1');

      const object = (await find('stack', stack)) as RestObjectByType['stack'];
      done = await operate('DELETE', object.resource_uri);
      expect(done.states.at(-1)).toBe('Success');
      expect(lifeOf(object.resource_uri).slice(-3)).toEqual(['Terminating', 'Terminated', 'delete Terminated']);
      expect([...(await dockerServices(host)).keys()].filter((n) => n.startsWith('e2e_'))).toEqual([]);
      expect(await dockerContainers(host, 'e2e_')).toEqual(new Map());
      expect((await list('container')).filter((c) => c.name.startsWith('e2e_'))).toEqual([]);
    } finally {
      await cleanUp(host, { stacks: [stack] });
    }
  });

  it('refuses what a swarm service cannot do on an engine', async () => {
    const name = 'e2e-solo';
    try {
      await docker(host, ['service', 'create', '--detach', '--no-resolve-image', '--stop-grace-period', '1s', '--name', name, '--replicas', '1', TEST_IMAGE, 'sleep', '600']);
      await until(async () => (await find('service', name))?.state === 'Running', 45_000, `${name} Running`);
      const service = (await find('service', name)) as RestObjectByType['service'];
      const answer = await rest('POST', `${service.resource_uri}stop/`);
      expect([answer.status, answer.json.detail]).toEqual([405, expect.stringContaining('scale it instead')]);
    } finally {
      await cleanUp(host, { services: [name], containers: `${name}.` });
    }
  });
});
