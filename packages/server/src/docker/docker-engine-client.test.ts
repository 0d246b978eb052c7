import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventsError } from '@events/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDockerEngineClient, resolveDockerEngine } from './docker-engine-client.js';
import type { EngineConnection } from './engine-http.js';

let dir: string;
let certs: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'events-engine-client-'));
  certs = join(dir, 'certs');
  mkdirSync(certs);
  for (const file of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(certs, file), `-- ${file} --`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = (value: unknown) => (value === undefined ? undefined : String(value));

/** The tcp connection an address resolves to; fails the test for any other kind. */
function tcp(connection: EngineConnection): Extract<EngineConnection, { kind: 'tcp' }> {
  if (connection.kind !== 'tcp') throw new Error(`expected a tcp connection, got ${connection.kind}`);
  return connection;
}

describe('resolveDockerEngine', () => {
  it('lets an explicit unix socket decide the transport, whatever DOCKER_HOST and the TLS variables say', () => {
    const env = { DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs, DOCKER_CLIENT_TIMEOUT: '120' };
    const engine = resolveDockerEngine('unix:///tmp/x/docker.sock', env, dir);
    expect(engine).toEqual({ endpoint: 'unix:///tmp/x/docker.sock', from: 'option', connection: { kind: 'socket', socketPath: '/tmp/x/docker.sock' } });
  });

  it('speaks TLS over tcp on port 2376, https://, or with DOCKER_TLS_VERIFY, with the certificates of DOCKER_CERT_PATH', () => {
    const tls = tcp(resolveDockerEngine('tcp://10.0.0.5:2376', { DOCKER_CERT_PATH: certs }, dir).connection);
    expect([tls.host, tls.port, text(tls.tls?.ca), text(tls.tls?.cert), text(tls.tls?.key)]).toEqual(['10.0.0.5', 2376, '-- ca.pem --', '-- cert.pem --', '-- key.pem --']);
    expect(tcp(resolveDockerEngine('tcp://10.0.0.5:2375', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs }, dir).connection).tls).toBeDefined();
    expect(tcp(resolveDockerEngine('https://10.0.0.5:9999', { DOCKER_CERT_PATH: certs }, dir).connection).tls).toBeDefined();
    // Plain tcp reads no certificate, even with DOCKER_CERT_PATH set.
    expect(tcp(resolveDockerEngine('tcp://10.0.0.5:2375', { DOCKER_CERT_PATH: certs }, dir).connection).tls).toBeUndefined();
    // An IPv6 address is connected to without its brackets.
    expect(tcp(resolveDockerEngine('tcp://[::1]:2375', {}, dir).connection).host).toBe('::1');
  });

  it('reads the certificates from ~/.docker by default, and refuses DOCKER_TLS_VERIFY without a CA', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.docker'), { recursive: true });
    expect(() => resolveDockerEngine('tcp://h:2375', { DOCKER_TLS_VERIFY: '1' }, home)).toThrow(
      new EventsError('invalid-config', `DOCKER_TLS_VERIFY is set but there is no ${join(home, '.docker', 'ca.pem')} (DOCKER_CERT_PATH names the folder of ca.pem, cert.pem and key.pem)`),
    );
    writeFileSync(join(home, '.docker', 'ca.pem'), 'home ca');
    writeFileSync(join(home, '.docker', 'cert.pem'), 'home cert');
    expect(() => resolveDockerEngine('tcp://h:2376', {}, home)).toThrow(/cert.pem has no key.pem beside it/);
    writeFileSync(join(home, '.docker', 'key.pem'), 'home key');
    const { tls } = tcp(resolveDockerEngine('tcp://h:2375', { DOCKER_TLS_VERIFY: '1' }, home).connection);
    expect([text(tls?.ca), text(tls?.cert), text(tls?.key)]).toEqual(['home ca', 'home cert', 'home key']);
  });

  it('reads DOCKER_HOST when no address is given, naming it when it is not an address', () => {
    expect(resolveDockerEngine(undefined, { DOCKER_HOST: 'tcp://a:1' }, dir)).toMatchObject({ endpoint: 'tcp://a:1', from: 'DOCKER_HOST' });
    expect(() => resolveDockerEngine(undefined, { DOCKER_HOST: '/run/docker.sock' }, dir)).toThrow(
      new EventsError(
        'invalid-config',
        'DOCKER_HOST must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "/run/docker.sock": it has no scheme: write unix:///run/docker.sock for a socket',
      ),
    );
    expect(() => resolveDockerEngine(undefined, { DOCKER_HOST: 'bogus' }, dir)).toThrow(/^DOCKER_HOST must be a Docker engine address \(.*\), got "bogus": it has no scheme$/);
    // The JavaScript API's option, by its name.
    expect(() => resolveDockerEngine('ftp://x', {}, dir)).toThrow(/^dockerHost must be a Docker engine address \(.*\), got "ftp:\/\/x": unknown scheme ftp:\/\/$/);
  });

  it('falls back to ~/.docker/run/docker.sock when it exists, else /var/run/docker.sock, and says which', () => {
    const home = join(dir, 'desktop');
    expect(resolveDockerEngine(undefined, {}, home)).toMatchObject({ endpoint: 'unix:///var/run/docker.sock', from: 'default', connection: { socketPath: '/var/run/docker.sock' } });
    mkdirSync(join(home, '.docker', 'run'), { recursive: true });
    writeFileSync(join(home, '.docker', 'run', 'docker.sock'), '');
    const socket = join(home, '.docker', 'run', 'docker.sock');
    expect(resolveDockerEngine(undefined, {}, home)).toMatchObject({ endpoint: `unix://${socket}`, from: 'default', connection: { socketPath: socket } });
    expect(resolveDockerEngine(undefined, { HOME: home })).toMatchObject({ endpoint: `unix://${socket}` });
  });

  describe('docker contexts', () => {
    /** A docker config folder with these contexts (name → host; `tls`: TLS files of its own). */
    function configFolder(name: string, contexts: Record<string, { host?: string; tls?: boolean }>, currentContext?: string): string {
      const folder = join(dir, name);
      mkdirSync(folder, { recursive: true });
      if (currentContext !== undefined) writeFileSync(join(folder, 'config.json'), JSON.stringify({ auths: {}, currentContext }));
      for (const [context, { host, tls }] of Object.entries(contexts)) {
        const id = createHash('sha256').update(context).digest('hex');
        mkdirSync(join(folder, 'contexts', 'meta', id), { recursive: true });
        const endpoint = host === undefined ? {} : { docker: { Host: host, SkipTLSVerify: false } };
        writeFileSync(join(folder, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Name: context, Metadata: {}, Endpoints: endpoint }));
        if (tls) {
          mkdirSync(join(folder, 'contexts', 'tls', id, 'docker'), { recursive: true });
          for (const file of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(folder, 'contexts', 'tls', id, 'docker', file), `${context} ${file}`);
        }
      }
      return folder;
    }

    it("talks to the current context's engine, as docker's CLI does, after an explicit address and DOCKER_HOST", () => {
      const folder = configFolder('ctx-current', { remote: { host: 'ssh://me@box:2222' }, secure: { host: 'tcp://10.0.0.5:2375', tls: true } }, 'remote');
      const env = { DOCKER_CONFIG: folder };
      expect(resolveDockerEngine(undefined, env, dir)).toMatchObject({ endpoint: 'ssh://***@box:2222', from: 'context', connection: { kind: 'agent', host: 'box' } });
      // DOCKER_CONTEXT over config.json; the context's own TLS files, whatever DOCKER_CERT_PATH says.
      const secure = resolveDockerEngine(undefined, { ...env, DOCKER_CONTEXT: 'secure', DOCKER_CERT_PATH: certs }, dir);
      expect(secure).toMatchObject({ endpoint: 'tcp://10.0.0.5:2375', from: 'context' });
      const { tls } = tcp(secure.connection);
      expect([text(tls?.ca), text(tls?.cert), text(tls?.key)]).toEqual(['secure ca.pem', 'secure cert.pem', 'secure key.pem']);
      // DOCKER_HOST and an explicit address come first; the default context is no context.
      expect(resolveDockerEngine(undefined, { ...env, DOCKER_HOST: 'tcp://h:1' }, dir)).toMatchObject({ endpoint: 'tcp://h:1', from: 'DOCKER_HOST' });
      expect(resolveDockerEngine('unix:///x.sock', env, dir)).toMatchObject({ from: 'option' });
      expect(resolveDockerEngine(undefined, { ...env, DOCKER_CONTEXT: 'default' }, dir)).toMatchObject({ from: 'default' });
      // ~/.docker when DOCKER_CONFIG is not set.
      const home = join(dir, 'ctx-home');
      const dotDocker = configFolder(join('ctx-home', '.docker'), { box: { host: 'unix:///run/box.sock' } }, 'box');
      expect(dotDocker).toBe(join(home, '.docker'));
      expect(resolveDockerEngine(undefined, {}, home)).toMatchObject({ endpoint: 'unix:///run/box.sock', from: 'context' });
    });

    it('says which context, and why it is current, when it cannot be used', () => {
      const folder = configFolder('ctx-bad', { empty: {}, odd: { host: 'bogus' } }, 'gone');
      const meta = (name: string) => join(folder, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'), 'meta.json');
      expect(() => resolveDockerEngine(undefined, { DOCKER_CONFIG: folder }, dir)).toThrow(
        new EventsError('invalid-config', `docker context "gone" (currentContext in ${join(folder, 'config.json')}) does not exist: there is no ${meta('gone')} ("docker context ls" lists the contexts)`),
      );
      expect(() => resolveDockerEngine(undefined, { DOCKER_CONFIG: folder, DOCKER_CONTEXT: 'empty' }, dir)).toThrow(
        `docker context "empty" (DOCKER_CONTEXT) names no engine: ${meta('empty')} has no Endpoints.docker.Host`,
      );
      expect(() => resolveDockerEngine(undefined, { DOCKER_CONFIG: folder, DOCKER_CONTEXT: 'odd' }, dir)).toThrow(
        'the host of docker context "odd" (DOCKER_CONTEXT) must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "bogus": it has no scheme',
      );
      writeFileSync(join(folder, 'config.json'), '{ not json');
      expect(() => resolveDockerEngine(undefined, { DOCKER_CONFIG: folder }, dir)).toThrow(new RegExp(`^${join(folder, 'config.json').replaceAll('/', '\\/')} is not JSON: `));
      // None of it stands in the way of an address given outright.
      expect(resolveDockerEngine(undefined, { DOCKER_CONFIG: folder, DOCKER_HOST: 'tcp://h:1' }, dir)).toMatchObject({ from: 'DOCKER_HOST' });
    });
  });

  it('sends the credentials of a tcp address as Basic auth, and never shows them', () => {
    const engine = resolveDockerEngine('tcp://user:s3cret@127.0.0.1:2375', {}, dir);
    expect(engine.endpoint).toBe('tcp://***@127.0.0.1:2375');
    expect(tcp(engine.connection).headers).toEqual({ Authorization: `Basic ${Buffer.from('user:s3cret').toString('base64')}` });
    expect(() => resolveDockerEngine('tcp://user:s3cret@127.0.0.1:99999', {}, dir)).toThrow(
      'dockerHost must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "tcp://***@127.0.0.1:99999": port 99999 is not from 1 to 65535',
    );
    // A "/" in the password: neither its start (taken for a port) nor its whole.
    expect(() => resolveDockerEngine(undefined, { DOCKER_HOST: 'tcp://user:s3c/ret@127.0.0.1' }, dir)).toThrow(
      'DOCKER_HOST must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "tcp://***@127.0.0.1": a "/" in a user name or password must be written %2F',
    );
  });
});

// ---- over real sockets: a server that never answers, and one that is not a Docker engine -------------

/** A TCP server that accepts connections and never answers. */
async function blackhole(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

describe('createDockerEngineClient', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('reports an engine that is not there as a connection error', async () => {
    const client = createDockerEngineClient({ dockerHost: 'unix:///nonexistent/events-test.sock', env: {} });
    await expect(client.ping()).rejects.toMatchObject({ name: 'EventsError', code: 'connection' });
    await expect(client.inspectContainer('x')).rejects.toMatchObject({ code: 'connection' });
  });

  it('reports a call the engine never answers as its own timeout, stop included, not as the engine failing', async () => {
    const hole = await blackhole();
    closers.push(async () => {
      for (const socket of hole.sockets) socket.destroy();
      await new Promise((resolve) => hole.server.close(resolve));
    });
    const client = createDockerEngineClient({ dockerHost: `tcp://127.0.0.1:${hole.port}`, env: {}, requestTimeoutMs: 300 });
    const started = Date.now();
    await expect(client.ping()).rejects.toThrow(new EventsError('timeout', 'ping: timed out after 300 ms waiting for the engine'));
    expect(Date.now() - started).toBeLessThan(2_000);
    // A stop first asks for the container's stop timeout: that call times out the same way.
    await expect(client.run({ kind: 'container-stop', id: 'abc' })).rejects.toMatchObject({ code: 'timeout', message: 'inspect container abc: timed out after 300 ms waiting for the engine' });
  });

  describe('against an HTTP server that is not a Docker engine', () => {
    let server: HttpServer;
    let port: number;
    let seen: IncomingHttpHeaders[] = [];
    beforeAll(async () => {
      server = createHttpServer((req, res) => {
        seen.push(req.headers);
        if (req.url?.includes('/json')) {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          return res.end('{"error":"not docker"}');
        }
        res.writeHead(404, { 'Content-Type': 'text/html' });
        res.end('<h1>Not Found</h1>');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('says what came back instead of "[object Object]"', async () => {
      seen = [];
      const client = createDockerEngineClient({ dockerHost: `tcp://user:s3cret@127.0.0.1:${port}`, env: {} });
      const ping = client.ping();
      await expect(ping).rejects.toThrow('ping: HTTP 404: <h1>Not Found</h1> (not an answer of the Docker Engine API)');
      await expect(client.inspectContainer('abc')).rejects.toThrow('inspect container abc: HTTP 500 (not an answer of the Docker Engine API)');
      // The address's credentials went to the server as Basic auth, and nowhere else.
      expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('user:s3cret').toString('base64')}`);
      expect(client.endpoint).toBe(`tcp://***@127.0.0.1:${port}`);
    });

    it('puts the path of tcp://host:port/prefix before every API path, the event stream included', async () => {
      const urls: string[] = [];
      const proxy = createHttpServer((req, res) => {
        urls.push(`${req.method} ${req.url}`);
        if (req.url === '/under/engine/_ping') return res.end('OK');
        if (req.url?.startsWith('/under/engine/events?')) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          return res.end('{"Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{}},"time":1,"timeNano":1}\n');
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(req.url?.startsWith('/under/engine/containers/json') ? '[]' : '{}');
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      closers.push(() => new Promise((resolve) => proxy.close(() => resolve())));
      const client = createDockerEngineClient({ dockerHost: `tcp://127.0.0.1:${(proxy.address() as { port: number }).port}/under/engine/`, env: {} });
      expect(client.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+\/under\/engine$/);
      await client.ping();
      await expect(client.listContainers()).resolves.toEqual([]);
      await client.inspectContainer('a b');
      const lines: string[] = [];
      const ended = await new Promise<Error>((resolve, reject) => {
        client.streamEvents((line) => lines.push(line), resolve).catch(reject);
      });
      expect(ended.message).toBe('the engine closed the event stream');
      expect(lines.map((line) => JSON.parse(line).Action)).toEqual(['start']);
      expect(urls.map((url) => url.replace(/\?.*/, ''))).toEqual([
        'GET /under/engine/_ping',
        'GET /under/engine/containers/json',
        'GET /under/engine/containers/a%20b/json',
        'GET /under/engine/events',
      ]);
    });

    it('refuses a server that answers 200 to anything but is not a Docker engine', async () => {
      const everything = createHttpServer((_req, res) => res.end('<html>welcome</html>'));
      await new Promise<void>((resolve) => everything.listen(0, '127.0.0.1', resolve));
      closers.push(() => new Promise((resolve) => everything.close(() => resolve())));
      const other = createDockerEngineClient({ dockerHost: `tcp://127.0.0.1:${(everything.address() as { port: number }).port}`, env: {} });
      await expect(other.ping()).rejects.toThrow(new EventsError('connection', 'ping: the server answered "<html>welcome</html>", not a Docker engine\'s "OK"'));
    });
  });
});

// ---- what is sent: each job's method, path and body, against a fake engine ----------------------

describe('the requests of each call', () => {
  let server: HttpServer;
  let socketPath: string;
  const sent: string[] = [];
  let updates = 0;
  beforeAll(async () => {
    socketPath = join(dir, 'requests.sock');
    server = createHttpServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        sent.push(`${req.method} ${req.url}${body ? ` ${req.headers['content-type']} ${body}` : ''}`);
        const answer = (status: number, json?: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(json === undefined ? undefined : JSON.stringify(json));
        };
        const route = `${req.method} ${req.url}`;
        if (route === 'GET /containers/abc/json') return answer(200, { Id: 'abc', Config: { StopTimeout: 1 } });
        if (route === 'POST /containers/abc/start') return answer(304);
        if (route === 'POST /containers/abc/stop' || route === 'POST /containers/abc/restart') return answer(204);
        if (route === 'DELETE /containers/abc?force=1') return answer(404, { message: 'No such container: abc' });
        if (route === 'GET /services/s1') return answer(200, { Version: { Index: 7 + updates }, Spec: { Name: 'web', TaskTemplate: { ForceUpdate: 2 } } });
        if (route.startsWith('POST /services/s1/update')) {
          updates++;
          // The first update loses a race with the orchestrator, as a real one may.
          return updates === 1 ? answer(500, { message: 'rpc error: update out of sequence' }) : answer(200, { Warnings: null });
        }
        if (route === 'DELETE /services/s1') return answer(404, { message: 'service s1 not found' });
        if (route === 'GET /containers/json?all=1') return answer(200, [{ Id: 'abc' }]);
        return answer(404, { message: `no route ${route}` });
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('asks the Engine API what docker\'s CLI asks, takes already-done and already-gone as done, and retries an update that lost a race', async () => {
    const client = createDockerEngineClient({ dockerHost: `unix://${socketPath}`, env: {} });
    await expect(client.listContainers()).resolves.toEqual([{ Id: 'abc' }]);
    await client.run({ kind: 'container-start', id: 'abc' });
    await client.run({ kind: 'container-stop', id: 'abc' });
    await client.run({ kind: 'container-restart', id: 'abc' });
    await client.run({ kind: 'container-remove', id: 'abc' });
    await client.run({ kind: 'service-scale', id: 's1', replicas: 3 });
    await client.run({ kind: 'service-redeploy', id: 's1' });
    await client.run({ kind: 'service-remove', id: 's1' });
    // An id is one path segment, whatever it holds.
    await expect(client.inspectContainer('a/b?c')).resolves.toBeUndefined();
    const json = 'application/json';
    expect(sent).toEqual([
      'GET /containers/json?all=1',
      'POST /containers/abc/start',
      'GET /containers/abc/json',
      'POST /containers/abc/stop',
      'GET /containers/abc/json',
      'POST /containers/abc/restart',
      'GET /containers/abc/json',
      'DELETE /containers/abc?force=1',
      'GET /services/s1',
      `POST /services/s1/update?version=7 ${json} {"Name":"web","TaskTemplate":{"ForceUpdate":2},"Mode":{"Replicated":{"Replicas":3}}}`,
      'GET /services/s1',
      `POST /services/s1/update?version=8 ${json} {"Name":"web","TaskTemplate":{"ForceUpdate":2},"Mode":{"Replicated":{"Replicas":3}}}`,
      'GET /services/s1',
      `POST /services/s1/update?version=9 ${json} {"Name":"web","TaskTemplate":{"ForceUpdate":3}}`,
      'DELETE /services/s1',
      'GET /containers/a%2Fb%3Fc/json',
    ]);
  });

  it("gives the engine's own message when it refuses", async () => {
    const client = createDockerEngineClient({ dockerHost: `unix://${socketPath}`, env: {} });
    await expect(client.listNodes()).rejects.toMatchObject({ name: 'DockerApiError', statusCode: 404, message: 'list nodes: no route GET /nodes' });
  });
});

// ---- the environment: read through `env` only ------------------------------------------------

/** Runs `fn` with these variables in process.env (undefined: absent), then puts process.env back as it was. */
function withProcessEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  set(vars);
  try {
    return fn();
  } finally {
    set(saved);
  }
}

describe('the environment', () => {
  it('never reads process.env, nor changes it, while the client is made', () => {
    const reads: string[] = [];
    const writes: string[] = [];
    const real = process.env;
    process.env = new Proxy(real, {
      get: (target, name) => {
        if (typeof name === 'string') reads.push(name);
        return Reflect.get(target, name);
      },
      set: (target, name, value) => {
        writes.push(String(name));
        return Reflect.set(target, name, value);
      },
      deleteProperty: (target, name) => {
        writes.push(String(name));
        return Reflect.deleteProperty(target, name);
      },
    });
    try {
      for (const dockerHost of ['unix:///tmp/x/docker.sock', 'tcp://127.0.0.1:2375', 'ssh://me@box']) createDockerEngineClient({ dockerHost, env: { HOME: dir } });
    } finally {
      process.env = real;
    }
    expect(reads.filter((name) => /^DOCKER_|^SSH_/.test(name))).toEqual([]);
    expect(writes).toEqual([]);
  });

  describe('against a fake engine on a unix socket', () => {
    let server: HttpServer;
    let socketPath: string;
    beforeAll(async () => {
      socketPath = join(dir, 'engine.sock');
      server = createHttpServer((req, res) => {
        res.writeHead(req.url?.endsWith('/_ping') ? 200 : 404, { 'Content-Type': 'text/plain' });
        res.end(req.url?.endsWith('/_ping') ? 'OK' : 'no');
      });
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it.each([
      ['a DOCKER_HOST that is not an address', { DOCKER_HOST: 'tcp://exa mple:1' }],
      ['a DOCKER_CERT_PATH without certificates', { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_CERT_PATH: '/nonexistent/events-no-certs', DOCKER_TLS_VERIFY: '1' }],
      ['a DOCKER_CLIENT_TIMEOUT of 1 ms', { DOCKER_HOST: 'tcp://127.0.0.1:9', DOCKER_CLIENT_TIMEOUT: '1' }],
    ])('reaches an explicit address whatever process.env holds: %s', async (_name, vars) => {
      const client = withProcessEnv(vars, () => createDockerEngineClient({ dockerHost: `unix://${socketPath}`, env: {} }));
      await withProcessEnv(vars, () => client.ping());
      expect(client.endpoint).toBe(`unix://${socketPath}`);
    });
  });
});
