import Docker from 'dockerode';
import { EventsError } from '@events/core';
import type { EngineJob } from './docker-mapper.js';

/**
 * The engine calls the Docker source makes: a port, so the source's reconnect and resync logic
 * runs in tests against a fake engine. {@link createDockerEngineClient} fills it with dockerode.
 */
export interface DockerEngineClient {
  /** Where the engine is, for messages: `unix:///var/run/docker.sock`, `tcp://host:2375`. */
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
  /** Runs one engine call of an operation. Already done (304) and already gone (404 on removal) succeed. */
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
   * `unix:///path/docker.sock`, `tcp://host:2375` (https when the port is 2376 or
   * DOCKER_TLS_VERIFY=1, certificates from DOCKER_CERT_PATH) or `ssh://user@host`. Default: the
   * DOCKER_HOST environment variable, else the local socket.
   */
  readonly dockerHost?: string;
  /** Longest an ordinary API call may take. Default 30 s. */
  readonly requestTimeoutMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The dockerode options for a `DOCKER_HOST`-style address. Without one, dockerode reads
 * DOCKER_HOST itself (and falls back to the local socket).
 *
 * @example
 * dockerodeOptionsFor('unix:///tmp/x/docker.sock') // { socketPath: '/tmp/x/docker.sock', host: undefined }
 * dockerodeOptionsFor('tcp://10.0.0.5:2375') // { host: '10.0.0.5', port: '2375', protocol: 'http', socketPath: undefined }
 */
export function dockerodeOptionsFor(dockerHost: string | undefined, env: Readonly<Record<string, string | undefined>> = {}): Docker.DockerOptions {
  if (dockerHost === undefined || dockerHost === '') return {};
  // An explicit host must win over DOCKER_HOST, which dockerode merges in underneath our options:
  // hence the explicit undefineds.
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length), host: undefined };
  if (dockerHost.startsWith('npipe://')) return { socketPath: dockerHost.slice('npipe://'.length), host: undefined };
  if (dockerHost.startsWith('/')) return { socketPath: dockerHost, host: undefined };
  let url: URL;
  try {
    url = new URL(dockerHost.includes('//') ? dockerHost : `tcp://${dockerHost}`);
  } catch (error) {
    throw new EventsError('invalid-config', `--docker-host ${JSON.stringify(dockerHost)} is not an address like unix:///var/run/docker.sock or tcp://host:2375`, { cause: error });
  }
  if (url.protocol === 'ssh:') {
    return { protocol: 'ssh', host: url.hostname, port: url.port || '22', username: url.username || undefined, socketPath: undefined, sshOptions: { agent: env.SSH_AUTH_SOCK } };
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EventsError('invalid-config', `--docker-host ${JSON.stringify(dockerHost)}: unknown scheme ${url.protocol} (expected unix, tcp, ssh)`);
  }
  const port = url.port || (url.protocol === 'https:' ? '2376' : '2375');
  const tls = url.protocol === 'https:' || env.DOCKER_TLS_VERIFY === '1' || port === '2376';
  return { host: url.hostname, port, protocol: tls ? 'https' : 'http', socketPath: undefined };
}

/** A readable name for where the engine is. */
export function describeDockerHost(dockerHost: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  return dockerHost || env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Turns dockerode's errors into DockerApiError (with the engine's message) or EventsError `connection`. */
function wrap(error: unknown, what: string): Error {
  const status = statusOf(error);
  if (status !== undefined) {
    const json = (error as { json?: { message?: unknown } }).json;
    const message = typeof json?.message === 'string' ? json.message : error instanceof Error ? error.message : String(error);
    return new DockerApiError(status, `${what}: ${message}`, { cause: error });
  }
  return new EventsError('connection', `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

async function orUndefinedOn404<T>(call: () => Promise<T>, what: string): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw wrap(error, what);
  }
}

/** Service updates race with the orchestrator's own; the engine says so with this message. */
const OUT_OF_SEQUENCE = /update out of sequence|version .* out of date/i;

/**
 * A {@link DockerEngineClient} on dockerode.
 *
 * @example
 * const client = createDockerEngineClient({ dockerHost: 'unix:///var/run/docker.sock' });
 * await client.ping();
 */
export function createDockerEngineClient(options: DockerEngineClientOptions = {}): DockerEngineClient {
  const env = options.env ?? process.env;
  const timeout = options.requestTimeoutMs ?? 30_000;
  const docker = new Docker({ ...dockerodeOptionsFor(options.dockerHost, env), timeout });
  // The event stream stays open for hours: it must not share the per-request timeout.
  const streaming = new Docker({ ...dockerodeOptionsFor(options.dockerHost, env) });

  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw wrap(error, what);
    }
  };

  const updateService = async (id: string, change: (spec: Record<string, unknown>) => Record<string, unknown>): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const service = docker.getService(id);
      const current = (await call(`inspect service ${id}`, () => service.inspect())) as { Version?: { Index?: number }; Spec?: Record<string, unknown> };
      try {
        await service.update({ _query: { version: current.Version?.Index ?? 0 }, _body: change(current.Spec ?? {}) });
        return;
      } catch (error) {
        const wrapped = wrap(error, `update service ${id}`);
        if (attempt < 3 && OUT_OF_SEQUENCE.test(wrapped.message)) continue;
        throw wrapped;
      }
    }
  };

  const tolerate = async (what: string, fn: () => Promise<unknown>, ok: readonly number[]): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      const status = statusOf(error);
      if (status !== undefined && ok.includes(status)) return;
      throw wrap(error, what);
    }
  };

  return {
    endpoint: describeDockerHost(options.dockerHost, env),
    ping: () => call('ping', () => docker.ping()).then(() => undefined),
    info: () => call('info', () => docker.info()),
    listNodes: () => call('list nodes', () => docker.listNodes()),
    listServices: () => call('list services', () => docker.listServices()),
    listContainers: () => call('list containers', () => docker.listContainers({ all: true })),
    inspectContainer: (id) => orUndefinedOn404(() => docker.getContainer(id).inspect(), `inspect container ${id}`),
    inspectService: (id) => orUndefinedOn404(() => docker.getService(id).inspect(), `inspect service ${id}`),
    inspectNode: (id) => orUndefinedOn404(() => docker.getNode(id).inspect(), `inspect node ${id}`),

    async streamEvents(onLine, onEnd) {
      // The engine filters for us: network, image, volume, plugin and daemon events are not part
      // of the Docker Cloud model, and on a busy engine they are most of the stream.
      const filters = { type: ['container', 'service', 'node'] };
      const stream = (await call('open the event stream', () => streaming.getEvents({ filters: JSON.stringify(filters) }))) as NodeJS.ReadableStream & {
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
          return tolerate(`start container ${job.id}`, () => docker.getContainer(job.id).start(), [304]);
        case 'container-stop':
          return tolerate(`stop container ${job.id}`, () => docker.getContainer(job.id).stop(), [304]);
        case 'container-restart':
          return tolerate(`restart container ${job.id}`, () => docker.getContainer(job.id).restart(), []);
        case 'container-remove':
          return tolerate(`remove container ${job.id}`, () => docker.getContainer(job.id).remove({ force: true }), [404, 409]);
        case 'service-remove':
          return tolerate(`remove service ${job.id}`, () => docker.getService(job.id).remove(), [404]);
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
