import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DockerCloudEvent } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer } from '../../src/create-events-server.js';
import { createDockerEngineClient } from '../../src/docker/docker-engine-client.js';
import { createDockerSource, type DockerSource, type DockerSourceOptions } from '../../src/docker/docker-source.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { sshdUnavailable, startTestSshd } from '../helpers/test-sshd.js';
import { cleanUp, createEngineProxy as engineProxy, engine, FAST_BACKOFF, requireEngine, suiteName } from './docker-test-kit.js';
import { docker, TEST_IMAGE, type TestEngine, until } from '../../../../tests/support/docker-engine.js';

// How the Docker source connects to a real engine, with proxies in front of its socket: over tcp
// (plain, with Basic-auth credentials, or TLS with client certificates), with the environment of a
// docker-compose or Docker Desktop user, and through an engine that goes away and comes back.

const run = promisify(execFile);

/**
 * A reverse proxy that serves the engine under `/prefix/` only, as an ingress in front of a
 * remote engine may: answers stream through (the event stream stays open), anything else is 404.
 */
async function prefixProxy(socket: string, prefix: string): Promise<{ readonly port: number; readonly paths: string[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const server = createHttpServer((req, res) => {
    const url = req.url ?? '';
    paths.push(url.replace(/\?.*/, ''));
    if (!url.startsWith(`${prefix}/`)) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ message: `no route ${url}` }));
    }
    const upstream = httpRequest({ socketPath: socket, method: req.method, path: url.slice(prefix.length), headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      // Now, as the engine does: the event stream's head comes long before any event.
      res.flushHeaders();
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    paths,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}


/** Restores the variables it changes in process.env (the source reads it by default: these tests check what it makes of it). */
function setEnv(values: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

interface Started {
  readonly source: DockerSource;
  readonly events: DockerCloudEvent[];
  readonly logs: { level: string; msg: string; [key: string]: unknown }[];
  readonly rawLogs: string[];
}

const started: DockerSource[] = [];

/** A source with its logs recorded; `start()` it, or hand it to a server that does. */
function makeSource(options: Omit<DockerSourceOptions, 'namespace'>): Started {
  const events: DockerCloudEvent[] = [];
  const logs: Started['logs'] = [];
  const rawLogs: string[] = [];
  const logger = createLogger({
    level: 'debug',
    write: (line) => {
      rawLogs.push(line);
      logs.push(JSON.parse(line) as Started['logs'][number]);
    },
  });
  const source = createDockerSource({ namespace: 'u', backoff: FAST_BACKOFF, logger, ...options });
  started.push(source);
  return { source, events, logs, rawLogs };
}

async function startSource(options: Omit<DockerSourceOptions, 'namespace'>): Promise<Started> {
  const made = makeSource(options);
  await made.source.start(({ event }) => made.events.push(event));
  return made;
}

/** Runs an operation as the REST API does and waits for its action to end; returns the action's last state and how long it took. */
async function operate(source: DockerSource, events: readonly DockerCloudEvent[], type: 'container' | 'stack', name: string, operation: 'stop' | 'redeploy') {
  const object = source.list('u', type).find((o) => o.name === name);
  expect(object, `${type} ${name}`).toBeDefined();
  const began = Date.now();
  const result = source.operate({ namespace: 'u', type, uuid: object?.uuid as string, operation, user: 'u', method: 'POST', path: `/x/${operation}/` });
  if (!result.ok) throw new Error(`operate refused: ${result.status} ${result.detail}`);
  const uri = result.action.resource_uri;
  const end = (await until(() => events.find((e) => e.resource_uri === uri && (e.state === 'Success' || e.state === 'Failed')), 60_000, `action ${operation} of ${name} ending`)) as DockerCloudEvent;
  return { state: end.state, ms: Date.now() - began };
}

describe.skipIf(!engine)(suiteName('connecting to a real engine'), () => {
  let host: TestEngine;
  let certs: string | undefined;
  let serverTls: { key: Buffer; cert: Buffer; ca: Buffer } | undefined;

  beforeAll(async () => {
    host = requireEngine();
    // A CA, a server certificate for 127.0.0.1 and a client certificate, as `docker context` / docker-machine make them.
    const dir = join(host.dir, 'tls');
    mkdirSync(dir, { recursive: true });
    const sh = (script: string) => run('sh', ['-c', script], { cwd: dir, timeout: 30_000 });
    try {
      const key = (name: string) => `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ${name}`;
      writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
      writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
      await sh(`${key('ca-key.pem')} && openssl req -x509 -new -key ca-key.pem -out ca.pem -days 1 -subj /CN=events-test-ca`);
      await sh(`${key('server-key.pem')} && openssl req -new -key server-key.pem -out server.csr -subj /CN=127.0.0.1 && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 1 -extfile server.ext`);
      await sh(`${key('key.pem')} && openssl req -new -key key.pem -out client.csr -subj /CN=client && openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 1 -extfile client.ext`);
      mkdirSync(join(dir, 'client'));
      mkdirSync(join(dir, 'ca-only'));
      mkdirSync(join(dir, 'no-ca'));
      for (const file of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, 'client', file), readFileSync(join(dir, file)));
      for (const file of ['cert.pem', 'key.pem']) writeFileSync(join(dir, 'no-ca', file), readFileSync(join(dir, file)));
      writeFileSync(join(dir, 'ca-only', 'ca.pem'), readFileSync(join(dir, 'ca.pem')));
      certs = dir;
      serverTls = { key: readFileSync(join(dir, 'server-key.pem')), cert: readFileSync(join(dir, 'server-cert.pem')), ca: readFileSync(join(dir, 'ca.pem')) };
    } catch {
      // No openssl: the TLS test says so.
    }
  });
  afterAll(async () => {
    for (const source of started.splice(0)) await source.stop();
    await cleanUp(host, { containers: 'conn-' });
  });

  it('keeps the event stream open with DOCKER_CLIENT_TIMEOUT set (compose users set seconds; dockerode read ms)', async () => {
    const proxy = await engineProxy(host.socket, { port: 0 });
    const restore = setEnv({ DOCKER_HOST: `tcp://127.0.0.1:${proxy.port}`, DOCKER_CLIENT_TIMEOUT: '150' });
    try {
      // From DOCKER_HOST, and from an explicit address with credentials: dockerode merged the timeout into both.
      const fromEnv = await startSource({});
      const explicit = await startSource({ dockerHost: `tcp://user:s3cret@127.0.0.1:${proxy.port}` });
      const since = [fromEnv, explicit].map((s) => s.source.connection());
      // Quiet for much longer than 150 ms: the stream must stay as it is.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      for (const [i, s] of [fromEnv, explicit].entries()) {
        expect(s.source.connection()).toEqual(since[i]);
        expect(s.events.filter((e) => e.state === 'Unreachable')).toEqual([]);
        expect(s.logs.filter((line) => line.level === 'warn')).toEqual([]);
      }
      expect(explicit.source.endpoint).toBe(`tcp://***@127.0.0.1:${proxy.port}`);
      for (const text of [...explicit.rawLogs, explicit.source.health().detail]) expect(text).not.toContain('s3cret');
      // And it still delivers: a container started now is seen by both.
      await docker(host, ['run', '-d', '--name', 'conn-quiet', TEST_IMAGE, 'sleep', '600']);
      for (const s of [fromEnv, explicit]) {
        await until(() => s.source.list('u', 'container').find((c) => c.name === 'conn-quiet')?.state === 'Running', 20_000, 'conn-quiet Running');
      }
      for (const s of [fromEnv, explicit]) await s.source.stop();
    } finally {
      restore();
      await proxy.close();
    }
  });

  it('talks to an explicit unix socket without TLS while DOCKER_HOST and DOCKER_TLS_VERIFY name a TLS engine', async () => {
    const restore = setEnv({ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CLIENT_TIMEOUT: '150' });
    try {
      const { source } = await startSource({ dockerHost: host.host });
      expect(source.health()).toMatchObject({ ok: true });
      expect(source.endpoint).toBe(host.host);
      await source.stop();
    } finally {
      restore();
    }
    // dockerode parsed DOCKER_HOST, and read DOCKER_CERT_PATH's files, even when told where to go:
    // neither a DOCKER_HOST it cannot parse nor certificates that are not there stop an explicit address.
    for (const env of [{ DOCKER_HOST: 'tcp://exa mple:1' } as Record<string, string>, { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_CERT_PATH: join(host.dir, 'no-such-certs') }]) {
      const restoreAgain = setEnv(env);
      try {
        const { source } = await startSource({ dockerHost: host.host });
        expect(source.health()).toMatchObject({ ok: true });
        await source.stop();
      } finally {
        restoreAgain();
      }
    }
  });

  it('reaches a TLS engine at tcp://host:port with the client certificate and CA of DOCKER_CERT_PATH', async (context) => {
    if (!certs || !serverTls) return context.skip('no openssl to make certificates with');
    const proxy = await engineProxy(host.socket, { port: 0 }, serverTls);
    try {
      const address = `tcp://127.0.0.1:${proxy.port}`;
      const viaVerify = await startSource({ dockerHost: address, env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(certs, 'client') } });
      expect(viaVerify.source.health()).toMatchObject({ ok: true });
      expect(viaVerify.source.list('u', 'node')).toHaveLength(1);
      // https:// says TLS by itself; the certificates come from ~/.docker when DOCKER_CERT_PATH is unset.
      const home = join(certs, 'home');
      mkdirSync(join(home, '.docker'), { recursive: true });
      for (const file of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(home, '.docker', file), readFileSync(join(certs, 'client', file)));
      const viaHome = await startSource({ dockerHost: `https://127.0.0.1:${proxy.port}`, env: { HOME: home } });
      expect(viaHome.source.health()).toMatchObject({ ok: true });
      for (const s of [viaVerify, viaHome]) await s.source.stop();
      // Without a client certificate the engine refuses us: the certificate above is what let us in.
      const refused = createDockerSource({ namespace: 'u', dockerHost: address, env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(certs, 'ca-only') }, pingTimeoutMs: 3_000 });
      await expect(refused.start(() => {})).rejects.toThrow(/^cannot reach the Docker engine at tcp:\/\/127\.0\.0\.1:\d+: ping: /);
      // DOCKER_TLS alone (docker's CLI then skips the check): the engine's certificate is still
      // verified, and one signed by a CA we were not given is refused.
      const unverified = createDockerSource({ namespace: 'u', dockerHost: address, env: { DOCKER_TLS: '1', DOCKER_CERT_PATH: join(certs, 'no-ca') }, pingTimeoutMs: 3_000 });
      await expect(unverified.start(() => {})).rejects.toThrow(/^cannot reach the Docker engine at tcp:\/\/127\.0\.0\.1:\d+: ping: .*(self-signed|unable to (get|verify)).*certificate/i);
    } finally {
      await proxy.close();
    }
  });

  it('reaches the engine at ssh://user@host:port through OpenSSH and the host\'s own docker system dial-stdio, and follows it', async (context) => {
    const why = sshdUnavailable();
    if (why !== undefined) return context.skip(why);
    // The engine's host: an sshd whose sessions have DOCKER_HOST set to the engine, as a remote
    // Docker host's shell would, and the docker CLI installed.
    const sshd = await startTestSshd(join(host.dir, 'sshd'), { setEnv: { DOCKER_HOST: host.host } });
    try {
      const { source } = await startSource({ dockerHost: `ssh://${sshd.user}@127.0.0.1:${sshd.port}`, sshCommand: ['ssh', '-F', sshd.configs.trusted] });
      expect(source.endpoint).toBe(`ssh://***@127.0.0.1:${sshd.port}`);
      expect(source.health()).toMatchObject({ ok: true });
      expect(source.list('u', 'node')).toHaveLength(1);
      // The event stream comes through ssh too: a container started now is seen.
      await docker(host, ['run', '-d', '--name', 'conn-ssh', TEST_IMAGE, 'sleep', '600']);
      await until(() => source.list('u', 'container').find((c) => c.name === 'conn-ssh')?.state === 'Running', 20_000, 'conn-ssh Running');
      // Its ssh sessions (the stream's, and the ones kept between calls) end with it.
      const sshRunning = () => run('pgrep', ['-f', sshd.configs.trusted]).then(() => true, () => false);
      expect(await sshRunning()).toBe(true);
      await source.stop();
      await until(async () => !(await sshRunning()), 5_000, 'no ssh process left');
      // A host whose key is not known is refused, in ssh's words.
      const refused = createDockerSource({ namespace: 'u', dockerHost: `ssh://${sshd.user}@127.0.0.1:${sshd.port}`, sshCommand: ['ssh', '-F', sshd.configs.unknownHost], pingTimeoutMs: 10_000 });
      await expect(refused.start(() => {})).rejects.toThrow(/^cannot reach the Docker engine at ssh:\/\/\*\*\*@127\.0\.0\.1:\d+: ping: ssh: .*Host key verification failed\.$/);
    } finally {
      sshd.stop();
    }
  });

  it('reaches an engine served under a path (tcp://host:port/prefix) as docker\'s CLI does, and follows it', async () => {
    const proxy = await prefixProxy(host.socket, '/engines/one');
    try {
      const address = `tcp://127.0.0.1:${proxy.port}/engines/one/`;
      // The same address works for docker's own CLI: our reading of it is docker's.
      expect(await docker({ host: address }, ['version', '--format', '{{.Server.Version}}'])).toMatch(/^\d+\.\d+/);
      const { source } = await startSource({ dockerHost: address });
      expect(source.endpoint).toBe(`tcp://127.0.0.1:${proxy.port}/engines/one`);
      expect(source.list('u', 'node')).toHaveLength(1);
      await docker(host, ['run', '-d', '--name', 'conn-prefix', TEST_IMAGE, 'sleep', '600']);
      await until(() => source.list('u', 'container').find((c) => c.name === 'conn-prefix')?.state === 'Running', 20_000, 'conn-prefix Running');
      await source.stop();
      expect(proxy.paths.length).toBeGreaterThan(3);
      expect(proxy.paths.filter((path) => !path.startsWith('/engines/one/'))).toEqual([]);
      expect(proxy.paths).toContain('/engines/one/events');
    } finally {
      await proxy.close();
    }
  });

  it('reports the socket it uses when it falls back to ~/.docker/run/docker.sock', async () => {
    const home = join(host.dir, 'h');
    mkdirSync(join(home, '.docker', 'run'), { recursive: true });
    const socket = join(home, '.docker', 'run', 'docker.sock');
    const proxy = await engineProxy(host.socket, { path: socket });
    try {
      const { source } = await startSource({ env: { HOME: home } });
      expect(source.endpoint).toBe(`unix://${socket}`);
      expect(source.health()).toMatchObject({ ok: true, detail: expect.stringContaining(`Docker engine at unix://${socket}: live since`) });
      await source.stop();
    } finally {
      await proxy.close();
    }
  });

  it('stops and restarts a container whose stop timeout is longer than the request timeout, and says when it times out itself', async () => {
    await docker(host, ['run', '-d', '--stop-timeout', '4', '--name', 'conn-slow', TEST_IMAGE, 'sleep', '600']);
    const id = await docker(host, ['inspect', '-f', '{{.Id}}', 'conn-slow']);
    // `sleep` as PID 1 ignores SIGTERM: the stop takes the whole 4 s, longer than a 1.5 s request timeout.
    const client = createDockerEngineClient({ dockerHost: host.host, requestTimeoutMs: 1_500, env: {} });
    let began = Date.now();
    await client.run({ kind: 'container-stop', id });
    expect(Date.now() - began).toBeGreaterThan(3_500);
    expect(await docker(host, ['inspect', '-f', '{{.State.Status}}', 'conn-slow'])).toBe('exited');
    await docker(host, ['start', 'conn-slow']);
    began = Date.now();
    await client.run({ kind: 'container-restart', id });
    expect(Date.now() - began).toBeGreaterThan(3_500);
    expect(await docker(host, ['inspect', '-f', '{{.State.Status}}', 'conn-slow'])).toBe('running');
    // A call our deadline cuts short is reported as our timeout, not as the engine failing: with the
    // engine frozen, the stop's first call (the inspect for its stop timeout) runs out.
    const pid = Number(readFileSync(host.pidfile, 'utf8').trim());
    process.kill(pid, 'SIGSTOP');
    try {
      await expect(client.run({ kind: 'container-stop', id })).rejects.toMatchObject({ code: 'timeout', message: `inspect container ${id}: timed out after 1.5 s waiting for the engine` });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('stops a Compose stack whose containers take longer to stop than the request timeout: the action succeeds', async () => {
    const labels = ['--label', 'com.docker.compose.project=connslow', '--label', 'com.docker.compose.service=db'];
    await docker(host, ['run', '-d', '--stop-timeout', '4', ...labels, '--name', 'conn-slow-db-1', TEST_IMAGE, 'sleep', '600']);
    await docker(host, ['run', '-d', '--stop-timeout', '4', ...labels, '--name', 'conn-slow-db-2', TEST_IMAGE, 'sleep', '600']);
    const { source, events } = await startSource({ dockerHost: host.host, requestTimeoutMs: 1_500 });
    const stack = await operate(source, events, 'stack', 'connslow', 'stop');
    expect(stack).toMatchObject({ state: 'Success' });
    expect(stack.ms).toBeGreaterThan(3_500);
    expect(await docker(host, ['ps', '-a', '--filter', 'name=^conn-slow-db-', '--format', '{{.State}}'])).toBe('exited\nexited');
    await source.stop();
  });

  it('shows the engine in /metrics and /healthz as it goes and comes back, logging "lost" once, without the address\'s credentials', async () => {
    const proxy = await engineProxy(host.socket, { port: 0 });
    const { source, logs, rawLogs } = makeSource({ dockerHost: `tcp://user:s3cret@127.0.0.1:${proxy.port}`, pingIntervalMs: 500, pingTimeoutMs: 500 });
    const server = await createEventsServer({ source, users: [{ username: 'u', apikey: 'k'.repeat(16) }], logger: silentLogger });
    const up = async () => /^events_source_up\{source="docker"\} (\d)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1];
    const healthz = async () => (await fetch(`${server.url}/healthz`)).text();
    try {
      expect(await up()).toBe('1');
      await proxy.cut();
      await until(async () => (await up()) === '0', 10_000, 'events_source_up 0');
      // Still cut through at least one more attempt: that one is not "lost" again.
      await until(() => logs.some((line) => line.msg === 'docker engine still unreachable'), 10_000, 'a failed retry logged');
      const body = await healthz();
      expect(body).toContain(`Docker engine at tcp://***@127.0.0.1:${proxy.port} unreachable`);
      await proxy.restore();
      await until(async () => (await up()) === '1', 15_000, 'events_source_up 1 again');
      expect(logs.filter((line) => line.msg === 'docker engine lost')).toHaveLength(1);
      expect(logs.some((line) => line.msg === 'cannot reach the docker engine')).toBe(false);
      expect(logs.at(-1)?.msg).toBe('docker engine back: re-listed and caught up');
      for (const text of [...rawLogs, body, await healthz()]) expect(text).not.toContain('s3cret');
    } finally {
      await server.close();
      await proxy.close();
    }
  });
});
