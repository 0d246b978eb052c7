import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DockerCloudEvent, resourceUriFor } from '@events/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScriptedSource, type ScriptedSource } from '../../../tests/support/scripted-source.js';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { killJsonLinesProcesses, startJsonLines } from './helpers/json-lines-process.js';

// The stream against gorilla/websocket, the library go-dockercloud was built on (Debian's
// golang-github-gorilla-websocket-dev, compiled with Debian's golang-go), driven the way the SDK
// drives it (test/go-sdk/docker_cloud_client.go): an explicit port in the URL and the Host header,
// `parents` comma-joined and percent-encoded, pings from a goroutine of their own.

const GOPATH = '/usr/share/gocode';
const SOURCE = fileURLToPath(new URL('./go-sdk/docker_cloud_client.go', import.meta.url));

function goUnavailable(): string | undefined {
  const install = '(apt-get install golang-go golang-github-gorilla-websocket-dev)';
  const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return `no go compiler ${install}`;
  if (!existsSync(join(GOPATH, 'src/github.com/gorilla/websocket'))) return `no gorilla/websocket in ${GOPATH} ${install}`;
  return undefined;
}

const why = goUnavailable();
const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];

type Line = { open?: true; event?: DockerCloudEvent; error?: string; status?: number; pongs?: number };

afterEach(killJsonLinesProcesses);

describe.skipIf(why !== undefined)(`a go-dockercloud-style client (gorilla/websocket)${why === undefined ? '' : ` [SKIPPED: ${why}]`}`, () => {
  let dir: string;
  let client: string;
  let server: EventsServer;
  let source: ScriptedSource;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'events-go-client-'));
    client = join(dir, 'docker_cloud_client');
    const build = spawnSync('go', ['build', '-o', client, SOURCE], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: dir, GOPATH, GO111MODULE: 'off', GOCACHE: join(dir, 'cache'), GOFLAGS: '' },
      timeout: 120_000,
    });
    if (build.status !== 0) throw new Error(`go build failed: ${build.stderr || build.error?.message}`);
    source = createScriptedSource();
    server = await createEventsServer({ source, users: USERS, logger: silentLogger });
    env = { DOCKERCLOUD_STREAM_HOST: server.url.replace('http://', 'ws://'), DOCKERCLOUD_USER: 'alice', DOCKERCLOUD_APIKEY: 'alice-key-123' };
  }, 150_000);
  afterAll(async () => {
    await server?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('gets the events its filter names, in order, with every pong answered while the stream is quiet', async () => {
    const stack = resourceUriFor('stack', 'st-1', 'acme');
    const cluster = resourceUriFor('nodecluster', 'nc-1', 'acme');
    // A ping every 300 ms (the SDK's is 5 s); the connection fails if a pong is 600 ms late.
    const run = startJsonLines<Line>(client, ['6', '300'], {
      ...env,
      DOCKERCLOUD_NAMESPACE: 'acme',
      FILTER_TYPE: 'container',
      FILTER_PARENTS: `${stack} ${cluster}`,
    });
    await run.waitFor((line) => line.open === true);
    const sent: DockerCloudEvent[] = [];
    for (let i = 0; i < 3; i++) {
      sent.push(source.emit('acme', { type: 'container', parents: [resourceUriFor('service', 'sv', 'acme'), stack] }));
      source.emit('acme', { type: 'service', parents: [stack] }); // not a container
      source.emit('acme', { type: 'container', parents: [resourceUriFor('stack', 'other', 'acme')] }); // not under either parent
      source.emit('alice', { type: 'container', parents: [stack] }); // another namespace
    }
    await run.waitFor(() => run.lines.filter((line) => line.event).length === 3);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (let i = 0; i < 3; i++) sent.push(source.emit('acme', { type: 'container', parents: [resourceUriFor('node', 'n', 'acme'), cluster] }));
    const { code, stderr } = await run.finished();
    expect(code, stderr).toBe(0);
    expect(run.lines.filter((line) => line.error !== undefined)).toEqual([]);
    expect(run.lines.flatMap((line) => (line.event ? [line.event] : []))).toEqual(sent);
    // 1.5 s of quiet at one ping every 300 ms: each of them answered, else the read deadline ends the stream.
    expect(run.lines.find((line) => line.pongs !== undefined)?.pongs).toBeGreaterThanOrEqual(4);
  });

  it('is refused with 401 before the upgrade for a wrong API key', async () => {
    const run = startJsonLines<Line>(client, ['1', '300'], { ...env, DOCKERCLOUD_APIKEY: 'wrong-key-123' });
    expect((await run.finished()).code).toBe(0);
    expect(run.lines).toEqual([{ error: 'websocket: bad handshake', status: 401 }]);
  });
});
