import { writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { DockerCloudEvent, ObjectType, RestObjectByType } from '@events/core';
import { inject } from 'vitest';
import { createDockerSource, type DockerSource } from '../../src/docker/docker-source.js';
import { docker, type TestEngine, until } from '../../../../tests/support/docker-engine.js';

/** The engine started by global-setup.ts, or null (the tests are then skipped, saying why). */
export const engine: TestEngine | null = inject('dockerEngine');
const skipReason = inject('dockerSkipReason');

/** A suite name that carries the skip reason, so a skipped run says why in its report. */
export function suiteName(name: string): string {
  return engine ? name : `${name} [SKIPPED: ${skipReason}]`;
}

export function requireEngine(): TestEngine {
  if (!engine) throw new Error(`no test engine: ${skipReason}`);
  return engine;
}

/** Backoff for tests: reconnect within a second instead of up to 30 s. */
export const FAST_BACKOFF = { baseMs: 200, capMs: 1_000, floorMs: 100, throttledFloorMs: 500, throttledBoost: 1, maxHintMs: 1_000 };

export interface Watched {
  readonly source: DockerSource;
  /** Everything the source emitted, in order. */
  readonly events: DockerCloudEvent[];
  stop(): Promise<void>;
}

/** Starts a Docker source on the test engine (or `host`) and records what it emits. */
export async function watchSource(host: string, options: { namespace?: string; pingIntervalMs?: number; settleTimeoutMs?: number } = {}): Promise<Watched> {
  const events: DockerCloudEvent[] = [];
  const source = createDockerSource({
    namespace: options.namespace ?? 'u',
    dockerHost: host,
    backoff: FAST_BACKOFF,
    settleTimeoutMs: options.settleTimeoutMs ?? 60_000,
    ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}),
  });
  await source.start(({ event }) => events.push(event));
  return { source, events, stop: () => source.stop() };
}

/** What a stream client knows after these events: the state of each live object, by resource URI. */
export function clientView(events: readonly DockerCloudEvent[]): Map<string, string> {
  const view = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'action') continue;
    if (event.action === 'delete') view.delete(event.resource_uri);
    else view.set(event.resource_uri, event.state);
  }
  return view;
}

/** The same from the REST side: every object the source lists now. */
export function restView(source: DockerSource, namespace = 'u'): Map<string, string> {
  const view = new Map<string, string>();
  for (const type of ['nodecluster', 'node', 'stack', 'service', 'container'] as const) for (const o of source.list(namespace, type)) view.set(o.resource_uri, o.state);
  return view;
}

export function byName<T extends 'stack' | 'service' | 'container'>(source: DockerSource, type: T, name: string): RestObjectByType[T] | undefined {
  return source.list('u', type).find((o) => o.name === name);
}

/** The states an object went through, as a client saw them. */
export function lifeOf(events: readonly DockerCloudEvent[], uri: string | undefined): string[] {
  return events.filter((e) => e.resource_uri === uri).map((e) => (e.action === 'update' ? e.state : `${e.action} ${e.state}`));
}

export const typeOf = (uri: string): ObjectType => uri.split('/').at(-3) as ObjectType;

/** Docker's own view of its containers whose name starts with `prefix`: name → our expected state. */
export async function dockerContainers(host: Pick<TestEngine, 'host'>, prefix: string): Promise<Map<string, string>> {
  const out = await docker(host, ['ps', '-a', '--no-trunc', '--format', '{{.Names}}\t{{.State}}']);
  const states: Record<string, string> = { running: 'Running', paused: 'Running', exited: 'Stopped', dead: 'Stopped', created: 'Starting', restarting: 'Starting', removing: 'Terminating' };
  const view = new Map<string, string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [name, state] = line.split('\t') as [string, string];
    if (name.startsWith(prefix)) view.set(name, states[state] ?? `?${state}`);
  }
  return view;
}

/** Our view of the same containers: name → state. */
export function ourContainers(source: DockerSource, prefix: string): Map<string, string> {
  return new Map(
    source
      .list('u', 'container')
      .filter((c) => c.name.startsWith(prefix))
      .map((c) => [c.name, c.state]),
  );
}

/** Waits until our containers under `prefix` are exactly docker's, state for state. */
export async function untilContainersMatch(watched: Watched, host: Pick<TestEngine, 'host'>, prefix: string, timeoutMs = 45_000): Promise<Map<string, string>> {
  let theirs = new Map<string, string>();
  await until(
    async () => {
      theirs = await dockerContainers(host, prefix);
      const ours = ourContainers(watched.source, prefix);
      return sameMap(ours, theirs);
    },
    timeoutMs,
    `containers ${prefix}* as docker reports them`,
    100,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n  docker: ${JSON.stringify([...theirs])}\n  ours:   ${JSON.stringify([...ourContainers(watched.source, prefix)])}`);
  });
  return theirs;
}

export function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

/** Docker's swarm services: name → [running, target]. */
export async function dockerServices(host: Pick<TestEngine, 'host'>): Promise<Map<string, [number, number]>> {
  const out = await docker(host, ['service', 'ls', '--format', '{{.Name}}\t{{.Replicas}}']);
  const view = new Map<string, [number, number]>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [name, replicas] = line.split('\t') as [string, string];
    const [running, target] = replicas.split(' ')[0]?.split('/').map(Number) ?? [];
    view.set(name, [running ?? -1, target ?? -1]);
  }
  return view;
}

/** `docker stack deploy` of `services` (each running only `sleep`), with short stop grace periods. */
export async function deployStack(host: TestEngine, name: string, services: Record<string, number>): Promise<void> {
  const lines = ['version: "3.8"', 'services:'];
  for (const [service, replicas] of Object.entries(services)) {
    lines.push(`  ${service}:`, '    image: busybox:local', '    command: ["sleep", "600"]', '    stop_grace_period: 1s', '    deploy:', `      replicas: ${replicas}`);
  }
  const file = `${host.dir}/${name}.yml`;
  writeFileSync(file, `${lines.join('\n')}\n`);
  await docker(host, ['stack', 'deploy', '--resolve-image', 'never', '-c', file, name]);
}

/** Removes what a test left behind (containers whose name starts with `prefix`, services, stacks). */
export async function cleanUp(host: TestEngine, what: { containers?: string; stacks?: string[]; services?: string[] }): Promise<void> {
  for (const stack of what.stacks ?? []) await docker(host, ['stack', 'rm', stack]).catch(() => {});
  for (const service of what.services ?? []) await docker(host, ['service', 'rm', service]).catch(() => {});
  if (what.containers) {
    const ids = await docker(host, ['ps', '-aq', '--filter', `name=^${what.containers}`]).catch(() => '');
    if (ids) await docker(host, ['rm', '-f', ...ids.split('\n')]).catch(() => {});
  }
  for (const stack of what.stacks ?? []) {
    await until(async () => (await docker(host, ['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${stack}`])) === '', 30_000, `stack ${stack} gone`, 200).catch(() => {});
  }
}

/** A tcp (or TLS) listener, or a unix socket, in front of the engine's socket; it can be cut and restored. */
export async function createEngineProxy(
  socket: string,
  listen: { port: number } | { path: string },
  tls?: { key: Buffer; cert: Buffer; ca: Buffer },
): Promise<{ readonly port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const open = new Set<Socket>();
  let server: Server | undefined;
  let port = 'port' in listen ? listen.port : 0;
  const onClient = (client: Socket) => {
    const upstream = connect(socket);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const s = tls ? createTlsServer({ ...tls, requestCert: true, rejectUnauthorized: true }, onClient) : createServer(onClient);
      s.on('tlsClientError', () => {});
      s.once('error', reject);
      const done = () => {
        server = s;
        if ('port' in listen) port = (s.address() as { port: number }).port;
        resolve();
      };
      if ('path' in listen) s.listen(listen.path, done);
      else s.listen(port, '127.0.0.1', done);
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      for (const o of open) o.destroy();
      if (!s) return resolve();
      s.close(() => resolve());
    });
  await start();
  return {
    get port() {
      return port;
    },
    cut,
    restore: start,
    close: cut,
  };
}

/**
 * A unix socket in front of the engine's, that a test can cut (every connection dropped, new ones
 * refused) and restore: an interruption of the event stream without touching the engine.
 */
export async function createSocketProxy(target: string, path: string): Promise<{ readonly host: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const proxy = await createEngineProxy(target, { path });
  return { host: `unix://${path}`, cut: proxy.cut, restore: proxy.restore, close: proxy.close };
}
