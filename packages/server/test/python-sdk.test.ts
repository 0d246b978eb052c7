import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DockerCloudEvent } from '@events/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScriptedSource, type ScriptedSource } from '../../../tests/support/scripted-source.js';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createSimulatedCloud } from '../src/simulator/simulated-cloud.js';
import { killJsonLinesProcesses, startJsonLines } from './helpers/json-lines-process.js';
import { basic } from './helpers/stream-client.js';

// The server against the libraries python-dockercloud was built on (websocket-client and
// requests, Debian's python3-websocket and python3-requests), driven the way the SDK drives them
// (test/python-sdk/docker_cloud_client.py): another WebSocket implementation than ours, with its
// own handshake, framing and keepalive pings.

const PYTHON = '/usr/bin/python3';
const CLIENT = fileURLToPath(new URL('./python-sdk/docker_cloud_client.py', import.meta.url));

function pythonUnavailable(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import websocket, requests'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `no ${PYTHON} (apt-get install python3-websocket python3-requests)`;
  if (probe.status !== 0) return `${PYTHON} lacks websocket-client or requests (apt-get install python3-websocket python3-requests)`;
  return undefined;
}

const why = pythonUnavailable();
const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];

afterEach(killJsonLinesProcesses);

type Line = { open?: true; event?: DockerCloudEvent; error?: string; closed?: string[]; auth_error?: true; count?: number; uris?: string[]; requests?: number; status?: number; body?: Record<string, unknown> };

/** The client running one command. */
const runClient = (args: readonly string[], env: Record<string, string>) => startJsonLines<Line>(PYTHON, [CLIENT, ...args], env);

describe.skipIf(why !== undefined)(`a python-dockercloud-style client (websocket-client, requests)${why === undefined ? '' : ` [SKIPPED: ${why}]`}`, () => {
  describe('on the stream', () => {
    let server: EventsServer;
    let source: ScriptedSource;
    let env: Record<string, string>;
    beforeAll(async () => {
      source = createScriptedSource();
      server = await createEventsServer({ source, users: USERS, logger: silentLogger });
      env = { DOCKERCLOUD_STREAM_HOST: server.url.replace('http://', 'ws://'), DOCKERCLOUD_USER: 'alice', DOCKERCLOUD_APIKEY: 'alice-key-123' };
    });
    afterAll(async () => {
      await server?.close();
    });

    it('gets every event of its own namespace, in order, one JSON object each, across its keepalive pings', async () => {
      // A ping every 1.5 s (the SDK's is 10 s), a pong due within 1 s: the same code path, sooner.
      const client = runClient(['stream', '30', '1.5'], env);
      await client.waitFor((line) => line.open === true);
      const sent: DockerCloudEvent[] = [];
      for (let i = 0; i < 20; i++) {
        sent.push(source.emit('alice'));
        source.emit('acme'); // another namespace: not on this connection
      }
      await client.waitFor(() => client.lines.filter((line) => line.event).length === 20);
      // Quiet for two pings and more: websocket-client closes the connection if a pong is late.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      for (let i = 0; i < 10; i++) sent.push(source.emit('alice', { type: 'service', state: 'Running' }));
      const { code, stderr } = await client.finished();
      expect(code, stderr).toBe(0);
      expect(client.lines.flatMap((line) => (line.event ? [line.event] : []))).toEqual(sent);
      expect(client.lines.filter((line) => line.error !== undefined)).toEqual([]);
      expect(client.lines.filter((line) => line.open).length).toBe(1);
    });

    it('reads a namespace named by DOCKERCLOUD_NAMESPACE, and only it', async () => {
      const client = runClient(['stream', '2'], { ...env, DOCKERCLOUD_NAMESPACE: 'acme' });
      await client.waitFor((line) => line.open === true);
      source.emit('alice');
      const sent = [source.emit('acme'), source.emit('acme')];
      expect((await client.finished()).code).toBe(0);
      expect(client.lines.flatMap((line) => (line.event ? [line.event] : []))).toEqual(sent);
    });

    it('hears a wrong API key as a 401 before the upgrade, and gets no event', async () => {
      const client = runClient(['stream', '1'], { ...env, DOCKERCLOUD_APIKEY: 'wrong-key-123' });
      await client.waitFor((line) => line.error !== undefined);
      expect(client.lines.find((line) => line.error)?.error).toMatch(/^WebSocketBadStatusException: Handshake status 401 Unauthorized/);
      expect((await client.finished()).code).toBe(0);
      expect(client.lines.filter((line) => line.open || line.event)).toEqual([]);
    });
  });

  describe('on the REST API', () => {
    let server: EventsServer;
    let env: Record<string, string>;
    beforeAll(async () => {
      const cloud = createSimulatedCloud({ seed: 3, rate: 0, namespaces: ['alice'], stacks: 12, manual: true });
      server = await createEventsServer({ source: cloud, users: USERS, logger: silentLogger });
      env = { DOCKERCLOUD_REST_HOST: server.url, DOCKERCLOUD_USER: 'alice', DOCKERCLOUD_APIKEY: 'alice-key-123' };
    });
    afterAll(async () => {
      await server?.close();
    });

    it('lists a type page by page as the SDK follows meta.next, and reads each object back at its resource_uri', async () => {
      const whole = (await (await fetch(`${server.url}/api/app/v1/container/?limit=1000`, { headers: { Authorization: basic('alice', 'alice-key-123') } })).json()) as {
        objects: { resource_uri: string }[];
      };
      // More than one page of 25 (the default limit), so that the paging is exercised.
      expect(whole.objects.length).toBeGreaterThan(25);
      const client = runClient(['list', 'app', 'container'], env);
      const listed = await client.waitFor((line) => line.count !== undefined);
      expect(listed.uris).toEqual(whole.objects.map((o) => o.resource_uri));
      expect(listed.requests).toBe(Math.ceil(whole.objects.length / 25));
      const uri = whole.objects[whole.objects.length - 1]?.resource_uri as string;
      const read = runClient(['get', uri], env);
      const answer = await read.waitFor((line) => line.status !== undefined);
      expect([answer.status, answer.body?.resource_uri]).toEqual([200, uri]);
    });
  });
});
