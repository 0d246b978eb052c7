import type { DockerCloudEvent, RestObjectByType } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../../src/create-events-server.js';
import { createDockerSource } from '../../src/docker/docker-source.js';
import { silentLogger } from '../../src/logger.js';
import { basic, openStream, type StreamClient } from '../helpers/stream-client.js';
import { byName, cleanUp, dockerContainers, engine, FAST_BACKOFF, lifeOf, requireEngine, suiteName, watchSource } from './docker-test-kit.js';
import { docker, TEST_IMAGE, type TestEngine, until } from '../../../../tests/support/docker-engine.js';

// What a Docker Cloud client reads of a real engine where the QA audit found the mapping wrong:
// objects gone after their delete (GET 404), a container left Stopping by a signal it handled,
// Compose one-off containers counted as replicas, and the status of an operation a type lacks.

const USER = { username: 'u', apikey: 'k'.repeat(16) };
const AUTH = basic(USER.username, USER.apikey);
const PROJECT = 'mapfix';
const compose = (service: string, oneoff: 'True' | 'False') => [
  '--label', `com.docker.compose.project=${PROJECT}`,
  '--label', `com.docker.compose.service=${service}`,
  '--label', `com.docker.compose.oneoff=${oneoff}`,
];

describe.skipIf(!engine)(suiteName('Docker mapping over a real engine'), () => {
  let host: TestEngine;
  let server: EventsServer;
  let client: StreamClient;

  const rest = async (method: string, path: string) => {
    const response = await fetch(`${server.url}${path}`, { method, headers: { Authorization: AUTH } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const find = async <T extends 'stack' | 'service' | 'container'>(type: T, name: string) => {
    const { json } = await rest('GET', `/api/app/v1/u/${type}/?limit=1000`);
    return (json.objects as RestObjectByType[T][]).find((o) => o.name === name);
  };
  const frames = (): DockerCloudEvent[] => client.json() as unknown as DockerCloudEvent[];

  beforeAll(async () => {
    host = requireEngine();
    const source = createDockerSource({ namespace: 'u', dockerHost: host.host, backoff: FAST_BACKOFF });
    server = await createEventsServer({ source, users: [USER], logger: silentLogger });
    client = await openStream(`${server.url.replace('http://', 'ws://')}/api/audit/v1/events/`, { headers: { Authorization: AUTH } });
  });
  afterAll(async () => {
    client?.ws.close();
    await server?.close();
  });

  it('keeps a container, its Compose service and its stack readable, Terminated, right after their deletes', async () => {
    const name = `${PROJECT}-api-1`;
    try {
      await docker(host, ['run', '-d', '--stop-timeout', '1', '--name', name, ...compose('api', 'False'), TEST_IMAGE, 'sleep', '600']);
      await until(async () => (await find('stack', PROJECT))?.state === 'Running', 20_000, `stack ${PROJECT} Running`);
      const objects = [await find('container', name), await find('service', 'api'), await find('stack', PROJECT)];
      const uris = objects.map((o) => o?.resource_uri as string);
      await docker(host, ['rm', '-f', name]);
      // The stack's delete comes last: by then every one of them has had its delete.
      await client.waitFor(() => frames().some((e) => e.resource_uri === uris[2] && e.action === 'delete'), 20_000);
      const answers = await Promise.all(uris.map((uri) => rest('GET', uri)));
      expect(answers.map((a) => [a.status, a.json.state, a.json.name])).toEqual([
        [200, 'Terminated', name],
        [200, 'Terminated', 'api'],
        [200, 'Terminated', PROJECT],
      ]);
      expect(answers[0]?.json.exit_code).toBe(137);
      expect(answers[2]?.json.destroyed_datetime).toEqual(expect.stringMatching(/^\w{3}, \d{2} \w{3} \d{4} /));
      // Lists drop them at their delete.
      expect(await Promise.all([find('container', name), find('service', 'api'), find('stack', PROJECT)])).toEqual([undefined, undefined, undefined]);
    } finally {
      await cleanUp(host, { containers: name });
    }
  });

  it('counts no Compose one-off container in its service, and a stack start does not run the job again', async () => {
    const member = `${PROJECT}-web-1`;
    const oneOff = `${PROJECT}-web-run-1`;
    try {
      await docker(host, ['run', '-d', '--stop-timeout', '1', '--name', member, ...compose('web', 'False'), TEST_IMAGE, 'sleep', '600']);
      await docker(host, ['run', '--name', oneOff, ...compose('web', 'True'), TEST_IMAGE, 'sh', '-c', 'exit 0']);
      await until(async () => (await find('container', oneOff))?.state === 'Stopped', 20_000, `${oneOff} Stopped over REST`);
      const web = await find('service', 'web');
      expect([web?.state, web?.target_num_containers, web?.current_num_containers]).toEqual(['Running', 1, 1]);
      expect((await find('stack', PROJECT))?.state).toBe('Running');
      expect((await find('container', oneOff))?.service).toBeNull();

      const startedAt = await docker(host, ['inspect', '--format', '{{.State.StartedAt}}', oneOff]);
      const stack = (await find('stack', PROJECT)) as RestObjectByType['stack'];
      const answer = await rest('POST', `${stack.resource_uri}start/`);
      expect(answer.status).toBe(202);
      const action = answer.headers.get('X-DockerCloud-Action-URI') as string;
      await client.waitFor(() => frames().some((e) => e.resource_uri === action && (e.state === 'Success' || e.state === 'Failed')), 30_000);
      expect(frames().filter((e) => e.resource_uri === action).at(-1)?.state).toBe('Success');
      expect(await docker(host, ['inspect', '--format', '{{.State.Status}} {{.State.StartedAt}}', oneOff])).toBe(`exited ${startedAt}`);
    } finally {
      await cleanUp(host, { containers: `${PROJECT}-web-` });
    }
  });

  it('answers 404 for a scale of a container or a stack: Docker Cloud had no such endpoint (docs/docker-mapping.md)', async () => {
    const name = `${PROJECT}-db-1`;
    try {
      await docker(host, ['run', '-d', '--stop-timeout', '1', '--name', name, ...compose('db', 'False'), TEST_IMAGE, 'sleep', '600']);
      await until(async () => (await find('stack', PROJECT))?.state === 'Running', 20_000, `stack ${PROJECT} Running`);
      for (const object of [await find('container', name), await find('stack', PROJECT)]) {
        const answer = await rest('POST', `${object?.resource_uri}scale/`);
        expect([answer.status, answer.json.detail]).toEqual([404, expect.stringContaining('has no operation "scale"')]);
      }
    } finally {
      await cleanUp(host, { containers: name });
    }
  });
});

describe.skipIf(!engine)(suiteName('a kill signal on a real engine'), () => {
  it('shows a container that ignores SIGTERM Stopping, then Running again; docker stop still ends Stopped', async () => {
    const host = requireEngine();
    const name = 'sigterm-ignored';
    // Created before the source starts, so that its listing inspects it and knows its 1 s stop timeout.
    await docker(host, ['run', '-d', '--stop-timeout', '1', '--name', name, TEST_IMAGE, 'sleep', '600']);
    const watched = await watchSource(host.host, { settleTimeoutMs: 1_000 });
    try {
      const uri = byName(watched.source, 'container', name)?.resource_uri;
      expect(lifeOf(watched.events, uri)).toEqual(['create Running']);
      // busybox `sleep` as PID 1 has no handler for SIGTERM: the kernel drops it.
      const killedAt = Date.now();
      await docker(host, ['kill', '-s', 'TERM', name]);
      await until(() => lifeOf(watched.events, uri).at(-1) === 'Running', 20_000, `${name} Running again`);
      // Not before a `docker stop` of it would have had its SIGKILL and died (1 s + 5 s).
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(5_500);
      expect(lifeOf(watched.events, uri)).toEqual(['create Running', 'Stopping', 'Running']);
      expect((await dockerContainers(host, name)).get(name)).toBe('Running');
      // The same signal from `docker stop`, then its SIGKILL after 1 s: never Running in between.
      await docker(host, ['stop', name]);
      await until(() => lifeOf(watched.events, uri).at(-1) === 'Stopped', 20_000, `${name} Stopped`);
      expect(lifeOf(watched.events, uri)).toEqual(['create Running', 'Stopping', 'Running', 'Stopping', 'Stopped']);
    } finally {
      await watched.stop();
      await cleanUp(host, { containers: name });
    }
  });
});

describe.skipIf(!engine)(suiteName('restart policies and paused containers on a real engine'), () => {
  /** The engine's own view of a container: its status and how often its restart policy started it. */
  const inspectState = async (host: TestEngine, name: string) => {
    const [status, restarts, exitCode] = (await docker(host, ['inspect', '--format', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}', name])).split(' ');
    return { status, restarts: Number(restarts), exitCode: Number(exitCode) };
  };

  it('shows a crashing container its restart policy starts again Starting between its runs, as a listing does, and Stopped once docker stop ends the wait', async () => {
    const host = requireEngine();
    const name = 'crashloop';
    const watched = await watchSource(host.host);
    let listed: Awaited<ReturnType<typeof watchSource>> | undefined;
    try {
      await docker(host, ['run', '-d', '--restart', 'always', '--stop-timeout', '1', '--name', name, TEST_IMAGE, 'sh', '-c', 'sleep 1; exit 3']);
      const ours = (source = watched.source) => byName(source, 'container', name);
      // Between two runs the engine waits (restarting), longer each time: the stream shows what a listing shows.
      await until(async () => (await inspectState(host, name)).status === 'restarting' && ours()?.state === 'Starting', 30_000, `${name} Starting while the engine waits to restart it`);
      expect(lifeOf(watched.events, ours()?.resource_uri).slice(0, 4)).toEqual(['create Starting', 'Running', 'Stopped', 'Starting']);
      // Once the waits are seconds long, a source that lists it then sees it waiting too; `docker
      // stop` ends the wait with a `stop` event and no `die`.
      await until(async () => {
        const state = await inspectState(host, name);
        return state.status === 'restarting' && state.restarts >= 5;
      }, 30_000, `${name} waiting seconds for its restart`);
      listed = await watchSource(host.host);
      expect(ours(listed.source)?.state).toBe('Starting');
      await docker(host, ['stop', name]);
      expect(await inspectState(host, name)).toMatchObject({ status: 'exited', exitCode: 3 });
      for (const source of [watched.source, listed.source]) {
        await until(() => ours(source)?.state === 'Stopped', 10_000, `${name} Stopped`);
        expect(ours(source)?.exit_code).toBe(3);
      }
    } finally {
      await listed?.stop();
      await watched.stop();
      await cleanUp(host, { containers: name });
    }
  });

  it('keeps a paused container Stopping through its docker stop, which unpauses it to deliver the signal', async () => {
    const host = requireEngine();
    const name = 'paused-stop';
    await docker(host, ['run', '-d', '--stop-timeout', '1', '--name', name, TEST_IMAGE, 'sleep', '600']);
    await docker(host, ['pause', name]);
    const watched = await watchSource(host.host);
    try {
      const uri = byName(watched.source, 'container', name)?.resource_uri;
      await docker(host, ['stop', name]);
      await until(() => lifeOf(watched.events, uri).at(-1) === 'Stopped', 20_000, `${name} Stopped`);
      expect(lifeOf(watched.events, uri)).toEqual(['create Running', 'Stopping', 'Stopped']);
    } finally {
      await watched.stop();
      await cleanUp(host, { containers: name });
    }
  });
});
