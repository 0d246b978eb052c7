import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EventsError } from '@events/core';
import { currentDockerContext } from './docker-context.js';
import { badDockerAddress, bareHost, type DockerAddress, formatDockerAddress, parseDockerAddress } from './docker-host.js';
import type { EngineJob } from './docker-mapper.js';
import { type EngineConnection, readBody, requestEngine } from './engine-http.js';
import { readIfThere } from './read-if-there.js';
import { createSshDialAgent } from './ssh-dial-agent.js';

/**
 * The engine calls the Docker source makes: a port, so the source's reconnect and resync logic
 * runs in tests against a fake engine. {@link createDockerEngineClient} fills it over HTTP.
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
  /**
   * Ends the connections kept open between calls (an `ssh://` engine's ssh sessions); the next
   * call opens new ones. Optional, for clients that keep none.
   */
  disconnect?(): void;
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
   * CLI does. Default: the DOCKER_HOST environment variable, else the current docker context
   * (DOCKER_CONTEXT, else config.json's currentContext), else ~/.docker/run/docker.sock when it
   * exists (Docker Desktop, rootless), else unix:///var/run/docker.sock.
   */
  readonly dockerHost?: string;
  /**
   * Longest an ordinary API call may take, from request to answer. Default 30 s. A stop, restart or
   * removal gets the container's stop timeout on top; the event stream, once open, has none.
   * DOCKER_CLIENT_TIMEOUT is not read (see docs/docker-mapping.md).
   */
  readonly requestTimeoutMs?: number;
  /**
   * DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG, DOCKER_TLS_VERIFY, DOCKER_TLS, DOCKER_CERT_PATH, HOME; for an `ssh://` address,
   * the ssh program's whole environment (PATH, SSH_AUTH_SOCK). Default: process.env.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * For an `ssh://` address: the ssh program and the arguments to put before docker's own, e.g.
   * `['ssh', '-F', '/etc/events/ssh_config']`. Default `['ssh']`, the OpenSSH client on PATH, which
   * reads ~/.ssh/config, the keys, ssh-agent and known_hosts of the user it runs as.
   */
  readonly sshCommand?: readonly [string, ...string[]];
}

type Env = Readonly<Record<string, string | undefined>>;

/** How to reach the engine: the connection, and the address for messages (credentials masked). */
export interface ResolvedDockerEngine {
  /** e.g. `unix:///var/run/docker.sock`, `tcp://***@10.0.0.5:2375`: never a password. */
  readonly endpoint: string;
  /** Where the address came from, for messages. */
  readonly from: 'option' | 'DOCKER_HOST' | 'context' | 'default';
  readonly connection: EngineConnection;
}

const set = (env: Env, name: string): boolean => (env[name] ?? '') !== '';

/**
 * The connection an address stands for: files are read here, the environment only through `env`.
 * `contextTlsFolder`: the address is a docker context's, whose TLS files are its own (and whose
 * TLS the environment's DOCKER_TLS_VERIFY and DOCKER_CERT_PATH do not change, as for docker's CLI).
 */
function connectionTo(address: DockerAddress, env: Env, home: string, sshCommand: readonly [string, ...string[]] | undefined, contextTlsFolder?: string): EngineConnection {
  switch (address.kind) {
    case 'unix':
    case 'npipe':
      return { kind: 'socket', socketPath: address.path };
    case 'ssh': {
      const agent = createSshDialAgent({ host: address.host, port: address.port, username: address.username, env, ...(sshCommand !== undefined ? { sshCommand } : {}) });
      return { kind: 'agent', host: bareHost(address.host), agent };
    }
    case 'tcp': {
      const headers: Record<string, string> = {};
      if (address.username !== undefined || address.password !== undefined) {
        headers.Authorization = `Basic ${Buffer.from(`${address.username ?? ''}:${address.password ?? ''}`).toString('base64')}`;
      }
      const base = { kind: 'tcp', host: bareHost(address.host), port: address.port, pathPrefix: address.pathPrefix, headers } as const;
      const folder = contextTlsFolder ?? (env.DOCKER_CERT_PATH || join(home, '.docker'));
      const readPems = () => ['ca.pem', 'cert.pem', 'key.pem'].map((file) => readIfThere(join(folder, file)));
      const verify = contextTlsFolder === undefined && set(env, 'DOCKER_TLS_VERIFY');
      // A context speaks TLS when it was made with TLS files; otherwise the environment says.
      const contextPems = contextTlsFolder === undefined ? undefined : readPems();
      const tls = address.https || address.port === 2376 || (contextPems !== undefined ? contextPems.some((pem) => pem !== undefined) : verify || set(env, 'DOCKER_TLS'));
      if (!tls) return { ...base, tls: undefined };
      const [ca, cert, key] = contextPems ?? readPems();
      if (verify && ca === undefined) {
        throw new EventsError('invalid-config', `DOCKER_TLS_VERIFY is set but there is no ${join(folder, 'ca.pem')} (DOCKER_CERT_PATH names the folder of ca.pem, cert.pem and key.pem)`);
      }
      if ((cert === undefined) !== (key === undefined)) {
        throw new EventsError('invalid-config', `${join(folder, cert === undefined ? 'key.pem' : 'cert.pem')} has no ${cert === undefined ? 'cert.pem' : 'key.pem'} beside it`);
      }
      return { ...base, tls: { ca, cert, key } };
    }
  }
}

/**
 * Works out which engine to talk to and how, as docker's CLI would: the explicit address, else
 * DOCKER_HOST, else the current docker context (DOCKER_CONTEXT, else `currentContext` in
 * config.json), else Docker Desktop's `~/.docker/run/docker.sock` when it exists, else
 * `/var/run/docker.sock`. The address alone decides the transport (see
 * {@link DockerEngineClientOptions.dockerHost}). Throws EventsError `invalid-config` naming
 * `dockerHost`, DOCKER_HOST or the context for an address that is not one, for a context that
 * does not exist, or for missing TLS files.
 *
 * @example
 * resolveDockerEngine('unix:///tmp/x/docker.sock', { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' })
 * // { endpoint: 'unix:///tmp/x/docker.sock', from: 'option', connection: { kind: 'socket', socketPath: '/tmp/x/docker.sock' } }
 */
export function resolveDockerEngine(
  dockerHost: string | undefined,
  env: Env = {},
  home: string = env.HOME || homedir(),
  sshCommand?: readonly [string, ...string[]],
): ResolvedDockerEngine {
  let from: ResolvedDockerEngine['from'];
  let text: string;
  let name: string;
  const explicit = dockerHost !== undefined && dockerHost !== '';
  // Read only when neither names an engine: a broken context must not stop an explicit address.
  const context = explicit || set(env, 'DOCKER_HOST') ? undefined : currentDockerContext(env, home);
  if (explicit) {
    from = 'option';
    // The option of the JavaScript API (events-server checks --docker-host itself).
    name = 'dockerHost';
    text = dockerHost as string;
  } else if (set(env, 'DOCKER_HOST')) {
    from = 'DOCKER_HOST';
    name = 'DOCKER_HOST';
    text = env.DOCKER_HOST as string;
  } else if (context !== undefined) {
    from = 'context';
    name = `the host of docker context ${JSON.stringify(context.name)} (${context.chosenBy})`;
    text = context.host;
  } else {
    const desktop = join(home, '.docker', 'run', 'docker.sock');
    const address: DockerAddress = { kind: 'unix', path: existsSync(desktop) ? desktop : '/var/run/docker.sock' };
    return { endpoint: formatDockerAddress(address), from: 'default', connection: connectionTo(address, env, home, sshCommand) };
  }
  const parsed = parseDockerAddress(text);
  if (!parsed.ok) throw new EventsError('invalid-config', badDockerAddress(name, text, parsed.reason));
  return { endpoint: formatDockerAddress(parsed.address), from, connection: connectionTo(parsed.address, env, home, sshCommand, context?.tlsFolder) };
}

/** `30 s`, `1.5 s`, `250 ms`. */
function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/**
 * The engine's refusal: its own message (`{"message": "..."}`), else what came back, for a server
 * that is not a Docker engine.
 */
function refusal(status: number, body: Buffer, what: string): DockerApiError {
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const engineMessage = (json as { message?: unknown } | null | undefined)?.message;
  if (typeof engineMessage === 'string') return new DockerApiError(status, `${what}: ${engineMessage}`);
  const shown = json === undefined && text.trim() !== '' ? `: ${text.replace(/\s+/g, ' ').trim().slice(0, 120)}` : '';
  return new DockerApiError(status, `${what}: HTTP ${status}${shown} (not an answer of the Docker Engine API)`);
}

/**
 * What a unix socket's refusal means, in words: Node says only `connect EACCES /var/run/docker.sock`,
 * and the fix is the user's (a group, a running dockerd, the right path). Nothing for tcp, whose
 * errors (`connect ECONNREFUSED 10.0.0.5:2375`, `getaddrinfo ENOTFOUND box`) say enough.
 */
function socketHint(error: unknown): string {
  const { code, syscall, port, address } = error as NodeJS.ErrnoException & { port?: unknown; address?: unknown };
  if (syscall !== 'connect' || port !== undefined) return '';
  switch (code) {
    case 'EACCES':
      return ' (permission denied: the user this runs as may not use the socket; docker grants it to root and to its group, often "docker")';
    case 'ENOENT': {
      // A socket's path must fit in sockaddr_un (108 bytes with its NUL on Linux, 104 elsewhere):
      // a longer one is cut, and what is not there is the cut path.
      const longest = process.platform === 'linux' ? 107 : 103;
      const bytes = typeof address === 'string' ? Buffer.byteLength(address) : 0;
      if (bytes > longest) return ` (a socket's path has at most ${longest} bytes, and this one has ${bytes}: use a shorter one, or a symbolic link to it)`;
      return ' (no such socket: is dockerd running, and is this the socket it listens on?)';
    }
    case 'ECONNREFUSED': {
      const kind = typeof address === 'string' ? kindOfPath(address) : 'socket';
      return kind === 'socket' ? ' (nothing listens on the socket: is dockerd running?)' : ` (it is ${kind}, not a socket)`;
    }
    default:
      return '';
  }
}

/** `socket`, `a directory`, `a file`, ... for a path the connection was refused at. */
function kindOfPath(path: string): string {
  try {
    // stat, not lstat: connect() follows a symbolic link (Docker Desktop's /var/run/docker.sock is one).
    const stats = statSync(path);
    if (stats.isSocket()) return 'socket';
    if (stats.isDirectory()) return 'a directory';
    if (stats.isFile()) return 'a file';
    if (stats.isFIFO()) return 'a named pipe';
    return 'a device';
  } catch {
    return 'socket';
  }
}

/** Node's errors (the engine not there, the connection broken, ssh refused) as EventsError `connection`. */
function unreachable(error: unknown, what: string): Error {
  if (error instanceof DockerApiError || error instanceof EventsError) return error;
  return new EventsError('connection', `${what}: ${error instanceof Error ? error.message : String(error)}${socketHint(error)}`, { cause: error });
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
      throw unreachable(error, what);
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
    throw unreachable(error, what);
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

/** `/containers/abc/json`: each id as one path segment, whatever it holds. */
const at = (strings: TemplateStringsArray, ...ids: string[]): string => strings.reduce((path, part, i) => path + part + (i < ids.length ? encodeURIComponent(ids[i] as string) : ''), '');

/**
 * A {@link DockerEngineClient} over HTTP, with Node alone (see engine-http.ts). Throws EventsError
 * `invalid-config` for an address that is not one (see {@link resolveDockerEngine}).
 *
 * @example
 * const client = createDockerEngineClient({ dockerHost: 'unix:///var/run/docker.sock' });
 * await client.ping();
 */
export function createDockerEngineClient(options: DockerEngineClientOptions = {}): DockerEngineClient {
  const env = options.env ?? process.env;
  const timeout = options.requestTimeoutMs ?? 30_000;
  if (!Number.isFinite(timeout) || timeout <= 0) throw new EventsError('invalid-config', `requestTimeoutMs must be a positive number, got ${timeout}`);
  const { sshCommand } = options;
  if (sshCommand !== undefined && !(Array.isArray(sshCommand) && sshCommand.length > 0 && sshCommand.every((part) => typeof part === 'string' && part !== ''))) {
    throw new EventsError('invalid-config', `sshCommand must be the ssh program and its arguments, as a list of strings (e.g. ["ssh", "-F", "/etc/events/ssh_config"]), got ${JSON.stringify(sshCommand)}`);
  }
  const { endpoint, connection } = resolveDockerEngine(options.dockerHost, env, env.HOME || homedir(), sshCommand);

  /** One call, answered whole: the body of a 2xx answer; DockerApiError for any other status. */
  const send = (what: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, ms: number | null = timeout): Promise<Buffer> =>
    withDeadline(what, ms, async (signal) => {
      const response = await requestEngine(connection, { method, path, body, signal });
      const answer = await readBody(response);
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) throw refusal(status, answer, what);
      return answer;
    });

  const json = async (what: string, path: string): Promise<unknown> => {
    const answer = await send(what, 'GET', path);
    try {
      return JSON.parse(answer.toString('utf8')) as unknown;
    } catch {
      throw new EventsError('connection', `${what}: the answer is not JSON (${JSON.stringify(answer.toString('utf8').slice(0, 80))}): not a Docker engine`);
    }
  };

  const list = async (what: string, path: string): Promise<unknown[]> => {
    const answer = await json(what, path);
    if (!Array.isArray(answer)) throw new EventsError('connection', `${what}: the answer is not a list: not a Docker engine`);
    return answer;
  };

  const orUndefinedOn404 = async (what: string, path: string): Promise<unknown> => {
    try {
      return await json(what, path);
    } catch (error) {
      if (error instanceof DockerApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  };

  const updateService = async (id: string, change: (spec: Record<string, unknown>) => Record<string, unknown>): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const current = (await json(`inspect service ${id}`, at`/services/${id}`)) as { Version?: { Index?: number }; Spec?: Record<string, unknown> };
      try {
        await send(`update service ${id}`, 'POST', `${at`/services/${id}/update`}?version=${current.Version?.Index ?? 0}`, change(current.Spec ?? {}));
        return;
      } catch (error) {
        if (attempt < 3 && error instanceof DockerApiError && OUT_OF_SEQUENCE.test(error.message)) continue;
        throw error;
      }
    }
  };

  /** A call whose refusal with one of `ok` means it is already done (304) or already gone (404). */
  const tolerate = async (what: string, method: 'POST' | 'DELETE', path: string, ok: readonly number[], ms: number | null = timeout): Promise<void> => {
    try {
      await send(what, method, path, undefined, ms);
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
    const stop = stopTimeoutMsOf(await orUndefinedOn404(`inspect container ${id}`, at`/containers/${id}/json`));
    return stop === null ? null : stop + timeout;
  };

  return {
    endpoint,
    disconnect() {
      // The shared global agents of unix and tcp close their own idle sockets within seconds.
      if (connection.kind === 'agent') connection.agent.destroy();
    },
    async ping() {
      const text = (await send('ping', 'GET', '/_ping')).toString('utf8').trim();
      // An HTTP server that is not a Docker engine may answer 200 to anything: the engine says OK.
      if (text !== 'OK') throw new EventsError('connection', `ping: the server answered ${JSON.stringify(text.slice(0, 80))}, not a Docker engine's "OK"`);
    },
    info: () => json('info', '/info'),
    listNodes: () => list('list nodes', '/nodes'),
    listServices: () => list('list services', '/services'),
    listContainers: () => list('list containers', '/containers/json?all=1'),
    inspectContainer: (id) => orUndefinedOn404(`inspect container ${id}`, at`/containers/${id}/json`),
    inspectService: (id) => orUndefinedOn404(`inspect service ${id}`, at`/services/${id}`),
    inspectNode: (id) => orUndefinedOn404(`inspect node ${id}`, at`/nodes/${id}`),

    async streamEvents(onLine, onEnd) {
      // The engine filters for us: network, image, volume, plugin and daemon events are not part
      // of the Docker Cloud model, and on a busy engine they are most of the stream.
      const filters = encodeURIComponent(JSON.stringify({ type: ['container', 'service', 'node'] }));
      const what = 'open the event stream';
      // The deadline covers the engine's answer only: once open, the stream may stay quiet for
      // hours (the source's pings notice an engine gone silent).
      const stream = await withDeadline(what, timeout, async (signal) => {
        const response = await requestEngine(connection, { method: 'GET', path: `/events?filters=${filters}`, signal });
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 299) throw refusal(status, await readBody(response), what);
        return response;
      });
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
          return tolerate(`start container ${job.id}`, 'POST', at`/containers/${job.id}/start`, [304]);
        case 'container-stop':
          return tolerate(`stop container ${job.id}`, 'POST', at`/containers/${job.id}/stop`, [304], await stopDeadline(job.id));
        case 'container-restart':
          return tolerate(`restart container ${job.id}`, 'POST', at`/containers/${job.id}/restart`, [], await stopDeadline(job.id));
        case 'container-remove':
          // `docker rm -f` kills at once, but the removal may wait on the container like a stop.
          return tolerate(`remove container ${job.id}`, 'DELETE', `${at`/containers/${job.id}`}?force=1`, [404, 409], await stopDeadline(job.id));
        case 'service-remove':
          return tolerate(`remove service ${job.id}`, 'DELETE', at`/services/${job.id}`, [404]);
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
