import { existsSync, readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { EventsError } from '@events/core';
import { badDockerAddress, type DockerAddress, formatDockerAddress, parseDockerAddress } from './docker-host.js';
import type { EngineJob } from './docker-mapper.js';
import { createSshDialAgent } from './ssh-dial-agent.js';

/**
 * The engine calls the Docker source makes: a port, so the source's reconnect and resync logic
 * runs in tests against a fake engine. {@link createDockerEngineClient} fills it with dockerode.
 */
export interface DockerEngineClient {
  /** Where the engine is, for messages: `unix:///var/run/docker.sock`, `tcp://host:2375`; credentials masked (`tcp://***@host:2375`). */
  readonly endpoint: string;
  ping(): Promise<void>;
  info(): Promise<unknown>;
  /** Rejects with {@link DockerApiError} 503 on an engine that is not a swarm manager. */
  listNodes(): Promise<unknown[]>;
  listServices(): Promise<unknown[]>;
  /** All containers, stopped ones included. */
  listContainers(): Promise<unknown[]>;
  /** undefined when there is no such object (404). */
  inspectContainer(id: string): Promise<unknown>;
  inspectService(id: string): Promise<unknown>;
  inspectNode(id: string): Promise<unknown>;
  /**
   * Opens `/events` and resolves once the engine answered, so that every event from then on
   * reaches `onLine` (one JSON text per call). `onEnd` is called once, when the stream ends for
   * any reason other than `close()`.
   */
  streamEvents(onLine: (line: string) => void, onEnd: (error: Error) => void): Promise<{ close(): void }>;
  /**
   * Runs one engine call of an operation. Already done (304) and already gone (404 on removal)
   * succeed. A stop, restart or removal may take the container's stop timeout: see
   * {@link DockerEngineClientOptions.requestTimeoutMs}. A call past its deadline rejects with
   * EventsError `timeout` ("timed out after N s waiting for the engine").
   */
  run(job: EngineJob): Promise<void>;
}

/** An engine answer with an HTTP status: 404 no such object, 409 conflict, 503 not a swarm manager. */
export class DockerApiError extends Error {
  override readonly name = 'DockerApiError';
  readonly statusCode: number;

  constructor(statusCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.statusCode = statusCode;
  }
}

export interface DockerEngineClientOptions {
  /**
   * `unix:///path/docker.sock`, `tcp://host:2375` or `ssh://user@host`: it alone says how to
   * connect (a unix socket never speaks TLS, whatever DOCKER_HOST or DOCKER_TLS_VERIFY say). Over
   * tcp, TLS when the scheme is `https://`, the port 2376, or DOCKER_TLS_VERIFY (or DOCKER_TLS) is
   * set, with ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH (default ~/.docker), as docker's
   * CLI does. Default: the DOCKER_HOST environment variable, else ~/.docker/run/docker.sock when it
   * exists (Docker Desktop, rootless), else unix:///var/run/docker.sock.
   */
  readonly dockerHost?: string;
  /**
   * Longest an ordinary API call may take, from request to answer. Default 30 s. A stop, restart or
   * removal gets the container's stop timeout on top; the event stream, once open, has none.
   * DOCKER_CLIENT_TIMEOUT is not read (see docs/docker-mapping.md).
   */
  readonly requestTimeoutMs?: number;
  /** DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_TLS, DOCKER_CERT_PATH, SSH_AUTH_SOCK, HOME. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** dockerode's options, with the three docker-modem reads that @types/dockerode leaves out. */
export type DockerodeOptions = Docker.DockerOptions & { pathPrefix?: string | undefined; password?: string | undefined; agent?: Agent | undefined };

/** How to reach the engine: the modem's options, and the address for messages (credentials masked). */
export interface ResolvedDockerEngine {
  /** e.g. `unix:///var/run/docker.sock`, `tcp://***@10.0.0.5:2375`: never a password. */
  readonly endpoint: string;
  /** Where the address came from, for messages. */
  readonly from: 'option' | 'DOCKER_HOST' | 'default';
  readonly options: DockerodeOptions;
}

/** Reads a file; undefined when it does not exist. Other errors throw. */
function readIfThere(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EventsError('invalid-config', `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

const set = (env: Env, name: string): boolean => (env[name] ?? '') !== '';

/**
 * Every option the modem reads, set explicitly: dockerode merges what it derives from
 * DOCKER_HOST, DOCKER_CERT_PATH and DOCKER_CLIENT_TIMEOUT underneath whatever it is given, so an
 * option left out would come from the environment (a unix socket spoken to over TLS, an event
 * stream with a 120 ms timeout). `timeout: 0`: no idle timeout on any request, the event stream's
 * above all; the client puts its own deadline on each call.
 */
function modemOptions(address: DockerAddress, env: Env, home: string): DockerodeOptions {
  const none = { host: undefined, port: undefined, socketPath: undefined, ca: undefined, cert: undefined, key: undefined, username: undefined, password: undefined, pathPrefix: undefined, headers: {}, timeout: 0 };
  switch (address.kind) {
    case 'unix':
    case 'npipe':
      return { ...none, socketPath: address.path, protocol: 'http' };
    case 'ssh': {
      // Plain http through an agent that dials over ssh, not the modem's `protocol: 'ssh'`, whose
      // URL Node warns about on every call (see createSshDialAgent). The login stays in the agent.
      const agent = createSshDialAgent({ host: address.host, port: address.port, username: address.username, password: address.password, agentSocket: env.SSH_AUTH_SOCK });
      return { ...none, protocol: 'http', host: address.host, port: String(address.port), pathPrefix: '/', agent };
    }
    case 'tcp': {
      const verify = set(env, 'DOCKER_TLS_VERIFY');
      const tls = address.https || verify || set(env, 'DOCKER_TLS') || address.port === 2376;
      const headers: Record<string, string> = {};
      if (address.username !== undefined || address.password !== undefined) {
        headers.Authorization = `Basic ${Buffer.from(`${address.username ?? ''}:${address.password ?? ''}`).toString('base64')}`;
      }
      const base = { ...none, host: address.host, port: String(address.port), pathPrefix: '/', headers };
      if (!tls) return { ...base, protocol: 'http' };
      const folder = env.DOCKER_CERT_PATH || join(home, '.docker');
      const [ca, cert, key] = ['ca.pem', 'cert.pem', 'key.pem'].map((file) => readIfThere(join(folder, file)));
      if (verify && ca === undefined) {
        throw new EventsError('invalid-config', `DOCKER_TLS_VERIFY is set but there is no ${join(folder, 'ca.pem')} (DOCKER_CERT_PATH names the folder of ca.pem, cert.pem and key.pem)`);
      }
      if ((cert === undefined) !== (key === undefined)) {
        throw new EventsError('invalid-config', `${join(folder, cert === undefined ? 'key.pem' : 'cert.pem')} has no ${cert === undefined ? 'cert.pem' : 'key.pem'} beside it`);
      }
      return { ...base, protocol: 'https', ca, cert, key };
    }
  }
}

/**
 * Works out which engine to talk to and how, as docker's CLI would: the explicit address, else
 * DOCKER_HOST, else Docker Desktop's `~/.docker/run/docker.sock` when it exists, else
 * `/var/run/docker.sock`. The address alone decides the transport (see
 * {@link DockerEngineClientOptions.dockerHost}). Throws EventsError `invalid-config` naming
 * `dockerHost` or DOCKER_HOST for an address that is not one, or for missing TLS files.
 *
 * @example
 * resolveDockerEngine('unix:///tmp/x/docker.sock', { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' })
 * // { endpoint: 'unix:///tmp/x/docker.sock', from: 'option', options: { socketPath: '/tmp/x/docker.sock', protocol: 'http', ca: undefined, timeout: 0, ... } }
 */
export function resolveDockerEngine(dockerHost: string | undefined, env: Env = {}, home: string = env.HOME || homedir()): ResolvedDockerEngine {
  let from: ResolvedDockerEngine['from'];
  let text: string;
  if (dockerHost !== undefined && dockerHost !== '') {
    from = 'option';
    text = dockerHost;
  } else if (set(env, 'DOCKER_HOST')) {
    from = 'DOCKER_HOST';
    text = env.DOCKER_HOST as string;
  } else {
    // What dockerode would pick, decided here so that messages name the socket actually used.
    const desktop = join(home, '.docker', 'run', 'docker.sock');
    const address: DockerAddress = { kind: 'unix', path: existsSync(desktop) ? desktop : '/var/run/docker.sock' };
    return { endpoint: formatDockerAddress(address), from: 'default', options: modemOptions(address, env, home) };
  }
  const parsed = parseDockerAddress(text);
  if (!parsed.ok) {
    // Named as given: the option of the JavaScript API (events-server checks --docker-host itself), or the variable.
    throw new EventsError('invalid-config', badDockerAddress(from === 'option' ? 'dockerHost' : 'DOCKER_HOST', text, parsed.reason));
  }
  return { endpoint: formatDockerAddress(parsed.address), from, options: modemOptions(parsed.address, env, home) };
}

/** The part of docker-modem's Modem that building one takes: its prototype, which holds dial(). */
type ModemClass = { readonly prototype: object };

let modemClass: ModemClass | undefined;

/**
 * docker-modem's Modem, the very one dockerode loads: resolved from dockerode's own folder, so
 * it is dockerode's dependency (whatever version dockerode brings), not one of ours.
 */
function modemClassOfDockerode(): ModemClass {
  modemClass ??= createRequire(createRequire(import.meta.url).resolve('dockerode'))('docker-modem') as ModemClass;
  return modemClass;
}

/**
 * A docker-modem on exactly `options`, made without running its constructor. That constructor
 * reads the environment whatever it is given (docker-modem 5, lib/modem.js `defaultOpts`):
 * with DOCKER_HOST set it parses it, and reads DOCKER_CERT_PATH's certificate files, throwing on
 * a value it cannot read, so a broken DOCKER_HOST would stop an explicit `--docker-host`, and the
 * `env` option could not keep process.env out. No option turns that off, so the fields the
 * constructor would set from `options` are set here, and nothing reads the environment but
 * {@link resolveDockerEngine}, from `env`. The test "builds the modem that docker-modem's
 * constructor builds" compares the two field by field, so a docker-modem that adds a field
 * fails it rather than leaving the field unset.
 */
export function createModem(given: DockerodeOptions): object {
  // What the modem reads beyond dockerode's declared options.
  const options = given as DockerodeOptions & { connectionTimeout?: number; checkServerIdentity?: unknown; agentForward?: unknown };
  const sshOptions: Record<string, unknown> = { ...options.sshOptions };
  if (sshOptions.agentForward === undefined) sshOptions.agentForward = options.agentForward;
  const fields = {
    host: options.host,
    ...(options.host ? {} : { socketPath: options.socketPath }),
    port: options.port,
    pathPrefix: options.pathPrefix,
    username: options.username,
    password: options.password,
    version: options.version,
    key: options.key,
    cert: options.cert,
    ca: options.ca,
    timeout: options.timeout,
    connectionTimeout: options.connectionTimeout,
    checkServerIdentity: options.checkServerIdentity,
    agent: options.agent,
    headers: options.headers || {},
    sshOptions,
    protocol: options.protocol || (options.key && options.cert && options.ca ? 'https' : 'http'),
  };
  return Object.assign(Object.create(modemClassOfDockerode().prototype) as object, fields);
}

/** dockerode over {@link createModem}'s modem: neither reads DOCKER_HOST nor any other variable. */
function dockerodeOn(options: DockerodeOptions): Docker {
  return new Docker({ modem: createModem(options) } as Docker.DockerOptions);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** `30 s`, `1.5 s`, `250 ms`. */
function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/** Turns dockerode's errors into DockerApiError (with the engine's message) or EventsError `connection`. */
function wrap(error: unknown, what: string): Error {
  if (error instanceof DockerApiError || error instanceof EventsError) return error;
  const status = statusOf(error);
  if (status !== undefined) {
    const json = (error as { json?: unknown }).json;
    const engineMessage = (json as { message?: unknown } | null)?.message;
    // dockerode words a body that is not the engine's JSON as "[object Object]": say what came back.
    const message =
      typeof engineMessage === 'string'
        ? engineMessage
        : `HTTP ${status}${Buffer.isBuffer(json) || typeof json === 'string' ? `: ${String(json).replace(/\s+/g, ' ').trim().slice(0, 120)}` : ''} (not an answer of the Docker Engine API)`;
    return new DockerApiError(status, `${what}: ${message}`, { cause: error });
  }
  return new EventsError('connection', `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/**
 * Runs one engine call under a deadline (`null`: none). A call still unanswered at its deadline is
 * aborted and reported as our timeout, `timeout` EventsError, never as the engine failing: the
 * engine may well finish it.
 */
async function withDeadline<T>(what: string, ms: number | null, fn: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (ms === null) {
    try {
      return await fn(undefined);
    } catch (error) {
      throw wrap(error, what);
    }
  }
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ms);
  timer.unref();
  try {
    return await fn(controller.signal);
  } catch (error) {
    if (timedOut) throw new EventsError('timeout', `${what}: timed out after ${duration(ms)} waiting for the engine`, { cause: error });
    throw wrap(error, what);
  } finally {
    clearTimeout(timer);
  }
}

/** Service updates race with the orchestrator's own; the engine says so with this message. */
const OUT_OF_SEQUENCE = /update out of sequence|version .* out of date/i;

/** A container's stop timeout in ms from its inspect: `Config.StopTimeout`, else the engine's 10 s; null for -1 (wait forever). */
function stopTimeoutMsOf(inspect: unknown): number | null {
  const seconds = (inspect as { Config?: { StopTimeout?: unknown } } | undefined)?.Config?.StopTimeout;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return 10_000;
  return seconds < 0 ? null : seconds * 1000;
}

/**
 * A {@link DockerEngineClient} on dockerode. Throws EventsError `invalid-config` for an address
 * that is not one (see {@link resolveDockerEngine}).
 *
 * @example
 * const client = createDockerEngineClient({ dockerHost: 'unix:///var/run/docker.sock' });
 * await client.ping();
 */
export function createDockerEngineClient(options: DockerEngineClientOptions = {}): DockerEngineClient {
  const env = options.env ?? process.env;
  const timeout = options.requestTimeoutMs ?? 30_000;
  if (!Number.isFinite(timeout) || timeout <= 0) throw new EventsError('invalid-config', `requestTimeoutMs must be a positive number, got ${timeout}`);
  const engine = resolveDockerEngine(options.dockerHost, env);
  // One modem without any idle timeout (see modemOptions): the event stream stays open for hours,
  // and every other call gets its own deadline below.
  const docker = dockerodeOn(engine.options);
  // ping and info take options (an abortSignal) at run time, as every other call; their types say not.
  const untyped = docker as unknown as { ping(opts: object): Promise<unknown>; info(opts: object): Promise<unknown> };

  const call = <T>(what: string, fn: (opts: { abortSignal?: AbortSignal }) => Promise<T>, ms: number | null = timeout): Promise<T> =>
    withDeadline(what, ms, (signal) => fn(signal === undefined ? {} : { abortSignal: signal }));

  const orUndefinedOn404 = async <T>(what: string, fn: (opts: { abortSignal?: AbortSignal }) => Promise<T>): Promise<T | undefined> => {
    try {
      return await call(what, fn);
    } catch (error) {
      if (error instanceof DockerApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  };

  const updateService = async (id: string, change: (spec: Record<string, unknown>) => Record<string, unknown>): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const service = docker.getService(id);
      const current = (await call(`inspect service ${id}`, (opts) => service.inspect(opts))) as { Version?: { Index?: number }; Spec?: Record<string, unknown> };
      try {
        await call(`update service ${id}`, (opts) => service.update({ ...opts, _query: { version: current.Version?.Index ?? 0 }, _body: change(current.Spec ?? {}) }));
        return;
      } catch (error) {
        if (attempt < 3 && error instanceof DockerApiError && OUT_OF_SEQUENCE.test(error.message)) continue;
        throw error;
      }
    }
  };

  const tolerate = async (what: string, fn: (opts: { abortSignal?: AbortSignal }) => Promise<unknown>, ok: readonly number[], ms: number | null = timeout): Promise<void> => {
    try {
      await call(what, fn, ms);
    } catch (error) {
      if (error instanceof DockerApiError && ok.includes(error.statusCode)) return;
      throw error;
    }
  };

  /**
   * The deadline of a call that waits for a container to stop: the engine gives it its stop
   * timeout (`--stop-timeout`, a stack's `stop_grace_period`) before it kills it, so the call gets
   * that plus the ordinary timeout. None for a stop timeout of -1 (the engine waits for ever too).
   */
  const stopDeadline = async (id: string): Promise<number | null> => {
    const inspect = await orUndefinedOn404(`inspect container ${id}`, (opts) => docker.getContainer(id).inspect(opts));
    const stop = stopTimeoutMsOf(inspect);
    return stop === null ? null : stop + timeout;
  };

  return {
    endpoint: engine.endpoint,
    async ping() {
      const answer = await call('ping', (opts) => untyped.ping(opts));
      // An HTTP server that is not a Docker engine may answer 200 to anything: the engine says OK.
      const text = Buffer.isBuffer(answer) || typeof answer === 'string' ? String(answer).trim() : JSON.stringify(answer);
      if (text !== 'OK') throw new EventsError('connection', `ping: the server answered ${JSON.stringify(text.slice(0, 80))}, not a Docker engine's "OK"`);
    },
    info: () => call('info', (opts) => untyped.info(opts)),
    listNodes: () => call('list nodes', (opts) => docker.listNodes(opts)),
    listServices: () => call('list services', (opts) => docker.listServices(opts)),
    listContainers: () => call('list containers', (opts) => docker.listContainers({ ...opts, all: true })),
    inspectContainer: (id) => orUndefinedOn404(`inspect container ${id}`, (opts) => docker.getContainer(id).inspect(opts)),
    inspectService: (id) => orUndefinedOn404(`inspect service ${id}`, (opts) => docker.getService(id).inspect(opts)),
    inspectNode: (id) => orUndefinedOn404(`inspect node ${id}`, (opts) => docker.getNode(id).inspect(opts)),

    async streamEvents(onLine, onEnd) {
      // The engine filters for us: network, image, volume, plugin and daemon events are not part
      // of the Docker Cloud model, and on a busy engine they are most of the stream.
      const filters = { type: ['container', 'service', 'node'] };
      // The deadline covers the engine's answer only: once open, the stream may stay quiet for
      // hours (the source's pings notice an engine gone silent).
      const stream = (await call('open the event stream', (opts) => docker.getEvents({ ...opts, filters: JSON.stringify(filters) }))) as NodeJS.ReadableStream & {
        destroy(): void;
      };
      let buffer = '';
      let done = false;
      const end = (error: Error) => {
        if (done) return;
        done = true;
        stream.destroy();
        onEnd(error);
      };
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffer += chunk;
        let newline = buffer.indexOf('\n');
        while (newline >= 0 && !done) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line.length > 0) onLine(line);
          newline = buffer.indexOf('\n');
        }
      });
      stream.on('end', () => end(new EventsError('connection', 'the engine closed the event stream')));
      stream.on('close', () => end(new EventsError('connection', 'the event stream was closed')));
      stream.on('error', (error: Error) => end(new EventsError('connection', `event stream: ${error.message}`, { cause: error })));
      return {
        close() {
          done = true;
          stream.destroy();
        },
      };
    },

    async run(job) {
      switch (job.kind) {
        case 'container-start':
          return tolerate(`start container ${job.id}`, (opts) => docker.getContainer(job.id).start(opts), [304]);
        case 'container-stop':
          return tolerate(`stop container ${job.id}`, (opts) => docker.getContainer(job.id).stop(opts), [304], await stopDeadline(job.id));
        case 'container-restart':
          return tolerate(`restart container ${job.id}`, (opts) => docker.getContainer(job.id).restart(opts), [], await stopDeadline(job.id));
        case 'container-remove':
          // `docker rm -f` kills at once, but the removal may wait on the container like a stop.
          return tolerate(`remove container ${job.id}`, (opts) => docker.getContainer(job.id).remove({ ...opts, force: true }), [404, 409], await stopDeadline(job.id));
        case 'service-remove':
          return tolerate(`remove service ${job.id}`, (opts) => docker.getService(job.id).remove(opts), [404]);
        case 'service-scale':
          return updateService(job.id, (spec) => ({ ...spec, Mode: { Replicated: { Replicas: job.replicas } } }));
        case 'service-redeploy':
          // `docker service update --force`: a new ForceUpdate counter replaces every task.
          return updateService(job.id, (spec) => {
            const template = (spec.TaskTemplate ?? {}) as Record<string, unknown>;
            const force = typeof template.ForceUpdate === 'number' ? template.ForceUpdate : 0;
            return { ...spec, TaskTemplate: { ...template, ForceUpdate: force + 1 } };
          });
      }
    },
  };
}
