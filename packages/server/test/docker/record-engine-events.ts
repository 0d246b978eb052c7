// Records the fixtures of the Docker mapper's tests and benchmark from a real engine:
//
//   cd packages/server && node --import tsx test/docker/record-engine-events.ts
//
// (as root, with docker.io and busybox-static installed). It starts its own engine (see
// tests/support/docker-engine.ts), follows `/events`, runs a scripted session (a plain container's life,
// Compose-labelled containers, a swarm service scaled and redeployed, a two-service stack deployed,
// scaled, a task killed and replaced, the stack removed) and writes:
//
// - fixtures/engine-events.ndjson: every `/events` line, as the engine sent it;
// - fixtures/engine-inspects.json: for each service or node event, the inspect taken right after
//   it (what the source would have fed the mapper), keyed by line number;
// - fixtures/engine-initial.json: `/info` and `/nodes` before the session (trimmed to the fields
//   the mapper reads).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EngineConnection, readBody, requestEngine } from '../../src/docker/engine-http.js';
import { destroyTestEngine, docker, startTestEngine, TEST_IMAGE, testEngineUnavailable, until } from '../../../../tests/support/docker-engine.js';

const reason = testEngineUnavailable();
if (reason) {
  console.error(`cannot record: ${reason}`);
  process.exit(1);
}

const fixtures = join(import.meta.dirname, 'fixtures');
const engine = await startTestEngine();
const connection: EngineConnection = { kind: 'socket', socketPath: engine.socket };
/** A GET's JSON answer; null for a refusal (an object gone by the time it is inspected). */
const get = async (path: string): Promise<unknown> => {
  const response = await requestEngine(connection, { method: 'GET', path });
  const body = await readBody(response);
  return response.statusCode === 200 ? (JSON.parse(body.toString('utf8')) as unknown) : null;
};
const lines: string[] = [];
const inspects: Record<number, { kind: 'service' | 'node'; id: string; json: unknown }[]> = {};
let pending = Promise.resolve();

try {
  const info = (await get('/info')) as Record<string, unknown>;
  const nodes = (await get('/nodes')) as Record<string, unknown>[];
  // Every event, unfiltered: the fixtures show the mapper the types it ignores too.
  const stream = await requestEngine(connection, { method: 'GET', path: '/events' });
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    for (let at = buffer.indexOf('\n'); at >= 0; at = buffer.indexOf('\n')) {
      const line = buffer.slice(0, at).trim();
      buffer = buffer.slice(at + 1);
      if (!line) continue;
      const index = lines.push(line) - 1;
      const event = JSON.parse(line) as { Type: string; Action: string; Actor: { ID: string } };
      if ((event.Type === 'service' && event.Action !== 'remove') || (event.Type === 'node' && event.Action !== 'remove')) {
        // Inspect at once and in order, as the source does.
        pending = pending.then(async () => {
          const json = await get(`/${event.Type === 'service' ? 'services' : 'nodes'}/${encodeURIComponent(event.Actor.ID)}`).catch(() => null);
          const answers = inspects[index] ?? [];
          answers.push({ kind: event.Type as 'service' | 'node', id: event.Actor.ID, json: json === null ? null : trim(json) });
          inspects[index] = answers;
        });
      }
    }
  });

  const sh = (...args: string[]) => docker(engine, args);
  const running = async (filter: string) => (await sh('ps', '-q', '--filter', filter)).split('\n').filter(Boolean);
  const settle = (what: string, check: () => Promise<boolean>) => until(check, 60_000, what, 200);

  // A plain container's life.
  await sh('run', '-d', '--stop-timeout', '1', '--name', 'plain-1', TEST_IMAGE, 'sleep', '300');
  await sh('stop', 'plain-1');
  await sh('start', 'plain-1');
  await sh('restart', '-t', '1', 'plain-1');
  await sh('kill', 'plain-1');
  await sh('rm', 'plain-1');

  // Compose-labelled containers: a Compose project "blog" with services web (2) and db.
  for (const [name, service] of [['blog-web-1', 'web'], ['blog-web-2', 'web'], ['blog-db-1', 'db']] as const) {
    await sh('run', '-d', '--stop-timeout', '1', '--name', name, '--label', 'com.docker.compose.project=blog', '--label', `com.docker.compose.service=${service}`, TEST_IMAGE, 'sleep', '300');
  }
  await sh('stop', 'blog-web-2');
  await sh('rm', '-f', 'blog-web-1', 'blog-web-2', 'blog-db-1');

  // A swarm service outside any stack: created, scaled up and down, redeployed, removed.
  await sh('service', 'create', '--detach', '--no-resolve-image', '--stop-grace-period', '1s', '--name', 'solo', '--replicas', '2', TEST_IMAGE, 'sleep', '300');
  await settle('solo running 2', async () => (await running('label=com.docker.swarm.service.name=solo')).length === 2);
  await sh('service', 'scale', '--detach', 'solo=3');
  await settle('solo running 3', async () => (await running('label=com.docker.swarm.service.name=solo')).length === 3);
  await sh('service', 'scale', '--detach', 'solo=1');
  await settle('solo running 1', async () => (await running('label=com.docker.swarm.service.name=solo')).length === 1);
  const [before] = await running('label=com.docker.swarm.service.name=solo');
  await sh('service', 'update', '--detach', '--force', 'solo');
  await settle('solo replaced', async () => {
    const now = await running('label=com.docker.swarm.service.name=solo');
    return now.length === 1 && now[0] !== before;
  });
  await sh('service', 'rm', 'solo');
  await settle('solo gone', async () => (await sh('ps', '-aq', '--filter', 'label=com.docker.swarm.service.name=solo')) === '');

  // A two-service stack: deployed, scaled, a task killed and replaced, removed.
  const compose = join(engine.dir, 'shop.yml');
  writeFileSync(
    compose,
    [
      'version: "3.8"',
      'services:',
      '  web:',
      `    image: ${TEST_IMAGE}`,
      '    command: ["sleep", "300"]',
      '    stop_grace_period: 1s',
      '    deploy:',
      '      replicas: 2',
      '  worker:',
      `    image: ${TEST_IMAGE}`,
      '    command: ["sleep", "300"]',
      '    stop_grace_period: 1s',
      '',
    ].join('\n'),
  );
  await sh('stack', 'deploy', '--resolve-image', 'never', '-c', compose, 'shop');
  await settle('shop running 3', async () => (await running('label=com.docker.stack.namespace=shop')).length === 3);
  await sh('service', 'scale', '--detach', 'shop_web=3');
  await settle('shop running 4', async () => (await running('label=com.docker.stack.namespace=shop')).length === 4);
  const [worker] = await running('label=com.docker.swarm.service.name=shop_worker');
  await sh('kill', worker as string);
  await settle('worker replaced', async () => {
    const now = await running('label=com.docker.swarm.service.name=shop_worker');
    return now.length === 1 && now[0] !== worker;
  });
  await sh('stack', 'rm', 'shop');
  await settle('shop gone', async () => (await sh('ps', '-aq', '--filter', 'label=com.docker.stack.namespace=shop')) === '');

  await new Promise((resolve) => setTimeout(resolve, 500));
  stream.destroy();
  await pending;

  writeFileSync(join(fixtures, 'engine-events.ndjson'), `${lines.join('\n')}\n`);
  writeFileSync(join(fixtures, 'engine-inspects.json'), `${JSON.stringify(inspects, null, 1)}\n`);
  writeFileSync(join(fixtures, 'engine-initial.json'), `${JSON.stringify({ info: trimInfo(info), nodes: nodes.map(trim) }, null, 1)}\n`);
  console.log(`recorded ${lines.length} events, ${Object.keys(inspects).length} inspects`);
} finally {
  await destroyTestEngine(engine);
}

/** Drops certificates and other bulk the mapper never reads. */
function trim(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(trim);
  if (typeof json !== 'object' || json === null) return json;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === 'TLSInfo' || key === 'Plugins' || key === 'Platform') continue;
    out[key] = trim(value);
  }
  return out;
}

function trimInfo(info: Record<string, unknown>): unknown {
  const swarm = (info.Swarm ?? {}) as Record<string, unknown>;
  const cluster = (swarm.Cluster ?? {}) as Record<string, unknown>;
  return {
    ID: info.ID,
    Name: info.Name,
    ServerVersion: info.ServerVersion,
    NCPU: info.NCPU,
    MemTotal: info.MemTotal,
    SystemTime: info.SystemTime,
    Swarm: {
      NodeID: swarm.NodeID,
      LocalNodeState: swarm.LocalNodeState,
      ControlAvailable: swarm.ControlAvailable,
      Cluster: { ID: cluster.ID, Spec: { Name: (cluster.Spec as Record<string, unknown> | undefined)?.Name } },
    },
  };
}
