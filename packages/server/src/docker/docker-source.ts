import {
  type BackoffPolicy,
  computeBackoffDelay,
  DEFAULT_BACKOFF_POLICY,
  EventsError,
  type ObjectType,
  type RestObjectByType,
} from '@events/core';
import { type Logger, silentLogger } from '../logger.js';
import type { CloudSource, OperationRequest, OperationResult, SourceEvent, SourceHealth } from '../source.js';
import { createDockerEngineClient, DockerApiError, type DockerEngineClient } from './docker-engine-client.js';
import { DockerMapper, type MapperEffect, type MapperOutput } from './docker-mapper.js';
import { createEventUuids } from './docker-uuid.js';
import {
  type EngineContainer,
  type EngineSnapshot,
  parseEngineInfo,
  parseEngineNode,
  parseEngineService,
  parseInspectedContainer,
  parseListedContainer,
} from './docker-model.js';

/** Timers, injected so tests drive reconnects and deadlines without waiting. */
export interface DockerSourceTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real timers that never keep the process alive on their own (the HTTP server does that). */
export const REAL_TIMERS: DockerSourceTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface DockerSourceOptions {
  /** Every object goes into this one namespace (the CLI passes the first user's). */
  readonly namespace: string;
  /**
   * `unix:///var/run/docker.sock`, `tcp://host:2375`, ...: it alone decides the transport. Default:
   * DOCKER_HOST, else the local socket. See DockerEngineClientOptions.dockerHost.
   */
  readonly dockerHost?: string;
  /** Where DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, ... are read; the ssh program's environment. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Longest an ordinary engine call may take (a stop gets the container's stop timeout on top). Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** For an `ssh://` engine: the ssh program and its leading arguments. See DockerEngineClientOptions.sshCommand. */
  readonly sshCommand?: readonly [string, ...string[]];
  /** Instead of the HTTP client (tests pass a fake engine). `dockerHost`, `env`, `requestTimeoutMs` and `sshCommand` are then ignored. */
  readonly client?: DockerEngineClient;
  readonly now?: () => number;
  /** One draw in [0, 1) per backoff delay. */
  readonly random?: () => number;
  /** Event and action uuids. Default: createEventUuids() (random per source, then a counter). */
  readonly randomUuid?: () => string;
  readonly timers?: DockerSourceTimers;
  /** Delays between reconnection attempts. Default: core's DEFAULT_BACKOFF_POLICY (250 ms … 30 s). */
  readonly backoff?: BackoffPolicy;
  /** See DockerMapperOptions.settleTimeoutMs. Default 60 s. */
  readonly settleTimeoutMs?: number;
  /** While live, the engine is pinged this often; a ping that fails or times out counts as losing it. Default 10 s. */
  readonly pingIntervalMs?: number;
  /** Longest a ping may take, the first one at start included. Default 5 s. */
  readonly pingTimeoutMs?: number;
  /**
   * Resolve `start()` even when the engine cannot be reached, and keep retrying in the background.
   * Default false: `start()` rejects with EventsError `connection`, so a mistyped `--docker-host`
   * fails loudly.
   */
  readonly startOffline?: boolean;
  /** Containers inspected at once while listing. Default 8. */
  readonly inspectConcurrency?: number;
  readonly logger?: Logger;
}

/** The source's link to the engine, with the reason it is not live. */
export type DockerConnectionState =
  | { readonly status: 'idle' }
  | { readonly status: 'connecting'; readonly attempt: number; readonly lastError: string | null }
  | { readonly status: 'live'; readonly since: number }
  | { readonly status: 'backoff'; readonly failures: number; readonly retryAt: number; readonly lastError: string }
  | { readonly status: 'stopped' };

/** A {@link CloudSource} over a real Docker Engine, plus what its operators and tests look at. */
export interface DockerSource extends CloudSource {
  readonly namespace: string;
  /** Where the engine is, e.g. `unix:///var/run/docker.sock`. */
  readonly endpoint: string;
  connection(): DockerConnectionState;
  /** Re-lists the engine now and emits the differences, as after an interruption. */
  resync(): Promise<void>;
}

/**
 * Turns a Docker Engine into the Docker Cloud stream and REST model (docs/docker-mapping.md):
 * lists everything at start, then follows `/events`. After any interruption it reconnects with
 * backoff, re-lists and emits exactly the differences (the engine's `since` replay keeps only 256
 * events, so it is never relied on). REST operations run on the engine and report through actions.
 *
 * @example
 * const source = createDockerSource({ namespace: 'alice', dockerHost: 'unix:///var/run/docker.sock' });
 * const server = await createEventsServer({ source, users: [{ username: 'alice', apikey: 'secret-key' }] });
 * source.health(); // { ok: true, detail: 'Docker engine at unix:///var/run/docker.sock: live since ...' }
 */
export function createDockerSource(options: DockerSourceOptions): DockerSource {
  return new DockerEngineSource(options);
}

class DockerEngineSource implements DockerSource {
  readonly name = 'docker';
  readonly namespace: string;
  readonly endpoint: string;
  private readonly client: DockerEngineClient;
  private readonly mapper: DockerMapper;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timers: DockerSourceTimers;
  private readonly backoff: BackoffPolicy;
  private readonly pingIntervalMs: number;
  private readonly pingTimeoutMs: number;
  private readonly startOffline: boolean;
  private readonly inspectConcurrency: number;
  private readonly logger: Logger;

  private state: DockerConnectionState = { status: 'idle' };
  private emit: ((event: SourceEvent) => void) | undefined;
  /** Grows with every connection attempt and loss: callbacks of an older one are ignored. */
  private generation = 0;
  private failures = 0;
  private lastError: string | null = null;
  private stream: { close(): void } | undefined;
  private retryTimer: unknown;
  private pingTimer: unknown;
  private deadlineTimer: unknown;
  private deadlineAt: number | undefined;
  /** Engine event lines not yet mapped, from `head` on. */
  private queue: string[] = [];
  private head = 0;
  private pumping = false;
  /** While listing, events wait in the queue: they are replayed against the new listing. */
  private listing = false;
  /** Events older than the last listing (by the engine's clock) are already in it. */
  private skipBeforeNano = 0;
  /** Grows with every listing: an inspect answered before a listing must not overwrite it. */
  private listings = 0;
  private emitFailures = 0;
  /** Whether the engine was ever reached: until then a failure is "cannot reach", not "lost". */
  private everLive = false;
  /** start()'s own attempt, when it is to fail rather than retry: no retry is scheduled or logged. */
  private failFast = false;

  constructor(options: DockerSourceOptions) {
    const timeouts = { pingIntervalMs: options.pingIntervalMs ?? 10_000, pingTimeoutMs: options.pingTimeoutMs ?? 5_000 };
    for (const [name, value] of Object.entries(timeouts)) {
      if (!Number.isFinite(value) || value <= 0) throw new EventsError('invalid-config', `docker source: ${name} must be a positive number, got ${value}`);
    }
    if (!/^[A-Za-z0-9_.~-]+$/.test(options.namespace)) {
      throw new EventsError('invalid-config', `docker source: bad namespace ${JSON.stringify(options.namespace)}`);
    }
    if (options.namespace === '.' || options.namespace === '..') {
      // URLs resolve these segments away: no resource URI of the namespace would reach it.
      throw new EventsError('invalid-config', `docker source: bad namespace ${JSON.stringify(options.namespace)}: "." and ".." are resolved away in URLs`);
    }
    this.namespace = options.namespace;
    this.client =
      options.client ??
      createDockerEngineClient({
        ...(options.dockerHost !== undefined ? { dockerHost: options.dockerHost } : {}),
        ...(options.env !== undefined ? { env: options.env } : {}),
        ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
        ...(options.sshCommand !== undefined ? { sshCommand: options.sshCommand } : {}),
      });
    this.endpoint = this.client.endpoint;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.timers = options.timers ?? REAL_TIMERS;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF_POLICY;
    this.pingIntervalMs = timeouts.pingIntervalMs;
    this.pingTimeoutMs = timeouts.pingTimeoutMs;
    this.startOffline = options.startOffline ?? false;
    this.inspectConcurrency = Math.max(1, options.inspectConcurrency ?? 8);
    this.logger = (options.logger ?? silentLogger).child({ source: 'docker', engine: this.endpoint });
    this.mapper = new DockerMapper({
      namespace: options.namespace,
      now: this.now,
      randomUuid: options.randomUuid ?? createEventUuids(),
      ...(options.settleTimeoutMs !== undefined ? { settleTimeoutMs: options.settleTimeoutMs } : {}),
    });
  }

  // ---- CloudSource -------------------------------------------------------------------------------

  async start(emit: (event: SourceEvent) => void): Promise<void> {
    if (this.state.status !== 'idle') throw new EventsError('internal', `docker source already ${this.state.status}`);
    this.emit = emit;
    this.failFast = !this.startOffline;
    try {
      await this.connect();
    } finally {
      this.failFast = false;
    }
    // connect() moved the state on: TypeScript still narrows it to 'idle' here.
    if (this.connection().status !== 'live' && !this.startOffline) {
      const why = this.lastError ?? 'unknown error';
      await this.stop();
      throw new EventsError('connection', `cannot reach the Docker engine at ${this.endpoint}: ${why}`);
    }
  }

  async stop(): Promise<void> {
    this.state = { status: 'stopped' };
    this.generation++;
    this.stream?.close();
    this.stream = undefined;
    this.client.disconnect?.();
    for (const timer of [this.retryTimer, this.pingTimer, this.deadlineTimer]) if (timer !== undefined) this.timers.clearTimeout(timer);
    this.retryTimer = this.pingTimer = this.deadlineTimer = undefined;
    this.queue = [];
    this.head = 0;
  }

  list<T extends ObjectType>(namespace: string, type: T): readonly RestObjectByType[T][] {
    return namespace === this.namespace ? this.mapper.list(type) : [];
  }

  get<T extends ObjectType>(namespace: string, type: T, uuid: string): RestObjectByType[T] | undefined {
    return namespace === this.namespace ? this.mapper.get(type, uuid) : undefined;
  }

  operate(request: OperationRequest): OperationResult {
    if (request.namespace !== this.namespace) return { ok: false, status: 404, detail: 'Not found.' };
    if (this.state.status !== 'live') {
      // 503, not 409: nothing is wrong with the request or the object, the engine is away.
      return {
        ok: false,
        status: 503,
        detail: `The Docker engine at ${this.endpoint} is unreachable (${this.lastError ?? 'not connected'}); try again when it is back.`,
        retryAfterSeconds: 5,
      };
    }
    const plan = this.mapper.beginOperation(request);
    if (!plan.result.ok) return plan.result;
    const action = plan.result.action;
    this.publish({ events: plan.events, effects: [] });
    this.logger.info('operation started', { action: action.action, object: action.object, jobs: plan.jobs.length });
    const generation = this.generation;
    void Promise.allSettled(plan.jobs.map((job) => this.client.run(job))).then((results) => {
      if (this.state.status === 'stopped') return;
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [describeError(r.reason)] : []));
      if (failures.length > 0) this.logger.warn('operation failed', { action: action.action, object: action.object, errors: failures });
      this.publish(this.mapper.jobsDone(action.uuid, failures));
      // A failure may come from losing the engine under the call: the stream's end says so too.
      if (failures.length > 0 && generation === this.generation) void this.checkAlive(generation);
      // 503 from the engine: it left the swarm or lost its manager role (`docker swarm leave`
      // sends no event the source sees), so the swarm objects it still shows are gone: re-list.
      const notManager = results.some((r) => r.status === 'rejected' && r.reason instanceof DockerApiError && r.reason.statusCode === 503);
      if (notManager && generation === this.generation) {
        // The pump stops while a listing runs and nothing else restarts it: the events that
        // arrived meanwhile would wait for the next one.
        void this.runEffect(generation, { kind: 'resync', reason: 'an operation found the engine no swarm manager' }).then(() => this.pump(generation));
      }
    });
    return plan.result;
  }

  health(): SourceHealth {
    const where = `Docker engine at ${this.endpoint}`;
    const failed = this.emitFailures > 0 ? `; ${this.emitFailures} emits threw` : '';
    switch (this.state.status) {
      case 'idle':
        return { ok: false, detail: 'docker source not started' };
      case 'stopped':
        return { ok: false, detail: 'docker source stopped' };
      // Once listed, the model (its node Unreachable) stays readable while the engine is away.
      case 'connecting':
        return {
          ok: false,
          readable: this.everLive,
          detail: `connecting to the ${where} (attempt ${this.state.attempt})${this.state.lastError ? `; last error: ${this.state.lastError}` : ''}`,
        };
      case 'backoff': {
        const seconds = Math.max(0, Math.ceil((this.state.retryAt - this.now()) / 1000));
        return { ok: false, readable: this.everLive, detail: `${where} unreachable: ${this.state.lastError}; retry ${this.state.failures + 1} in ${seconds} s` };
      }
      case 'live': {
        const counts = (['stack', 'service', 'container'] as const).map((type) => `${this.mapper.list(type).length} ${type}s`).join(', ');
        return { ok: true, detail: `${where}: live since ${new Date(this.state.since).toISOString()}; ${counts}${failed}` };
      }
    }
  }

  // ---- DockerSource ---------------------------------------------------------------------------------

  connection(): DockerConnectionState {
    return this.state;
  }

  async resync(): Promise<void> {
    if (this.state.status !== 'live') return;
    const generation = this.generation;
    try {
      await this.relist(generation);
    } catch (error) {
      this.lose(generation, error);
    }
    void this.pump(generation);
  }

  // ---- the connection ----------------------------------------------------------------------------------

  /** One attempt: open the event stream first, then list, so nothing between the two is missed. */
  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    const generation = ++this.generation;
    this.state = { status: 'connecting', attempt: this.failures + 1, lastError: this.lastError };
    this.queue = [];
    this.head = 0;
    try {
      // Under the ping's own deadline: an engine that accepts connections and never answers
      // must not hold the start for the request timeout.
      await this.withTimeout(this.client.ping(), this.pingTimeoutMs, 'ping');
      if (generation !== this.generation) return;
      const stream = await this.client.streamEvents(
        (line) => this.onLine(generation, line),
        (error) => this.lose(generation, error),
      );
      if (generation !== this.generation) {
        stream.close();
        return;
      }
      this.stream = stream;
      await this.relist(generation);
      if (generation !== this.generation) return;
      const reconnected = this.everLive;
      this.failures = 0;
      this.lastError = null;
      this.everLive = true;
      this.state = { status: 'live', since: this.now() };
      this.logger.info(reconnected ? 'docker engine back: re-listed and caught up' : 'following the docker engine');
      this.armPing(generation);
      void this.pump(generation);
    } catch (error) {
      this.lose(generation, error);
    }
  }

  /** The engine is gone (stream ended, ping failed, listing failed): report it and retry later. */
  private lose(generation: number, error: unknown): void {
    if (generation !== this.generation || this.state.status === 'stopped') return;
    const wasLive = this.state.status === 'live';
    this.generation++;
    this.lastError = describeError(error);
    this.stream?.close();
    this.stream = undefined;
    if (this.pingTimer !== undefined) this.timers.clearTimeout(this.pingTimer);
    this.pingTimer = undefined;
    this.listing = false;
    this.failures++;
    const delay = computeBackoffDelay({ failures: this.failures, kind: 'transient' }, this.backoff, this.random());
    this.state = { status: 'backoff', failures: this.failures, retryAt: this.now() + delay, lastError: this.lastError };
    // start() is about to fail with this error: no retry to announce.
    if (this.failFast) return;
    // "lost" once, when a live engine goes; a failed attempt after that, or before the engine was
    // ever reached, says so instead.
    const message = wasLive ? 'docker engine lost' : this.everLive ? 'docker engine still unreachable' : 'cannot reach the docker engine';
    this.logger.warn(message, { error: this.lastError, failures: this.failures, retryInMs: delay });
    this.publish(this.mapper.engineLost());
    this.retryTimer = this.timers.setTimeout(() => void this.connect(), delay);
  }

  private async checkAlive(generation: number): Promise<void> {
    try {
      await this.withTimeout(this.client.ping(), this.pingTimeoutMs, 'ping');
    } catch (error) {
      this.lose(generation, error);
    }
  }

  private armPing(generation: number): void {
    this.pingTimer = this.timers.setTimeout(async () => {
      this.pingTimer = undefined;
      if (generation !== this.generation) return;
      try {
        await this.withTimeout(this.client.ping(), this.pingTimeoutMs, 'ping');
        if (generation === this.generation) this.armPing(generation);
      } catch (error) {
        this.lose(generation, error);
      }
    }, this.pingIntervalMs);
  }

  private withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => reject(new EventsError('timeout', `${what}: timed out after ${formatMs(ms)} waiting for the engine`)), ms);
      promise.then(
        (value) => {
          this.timers.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.timers.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  // ---- listing and events ---------------------------------------------------------------------------

  private async relist(generation: number): Promise<void> {
    this.listing = true;
    this.listings++;
    try {
      const snapshot = await readEngineSnapshot(this.client, this.inspectConcurrency);
      if (generation !== this.generation) return;
      if (snapshot.info.systemTimeNano !== null) this.skipBeforeNano = snapshot.info.systemTimeNano;
      this.publish(this.mapper.applySnapshot(snapshot));
    } finally {
      if (generation === this.generation) this.listing = false;
    }
  }

  private onLine(generation: number, line: string): void {
    if (generation !== this.generation) return;
    this.queue.push(line);
    if (this.state.status === 'live' && !this.listing) void this.pump(generation);
  }

  /**
   * Maps queued engine events one at a time, in order, doing each one's inspects before the next
   * (a container's, when it appears, before its `kill` can come: the kill's deadline needs its
   * stop timeout).
   */
  private async pump(generation: number): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (generation === this.generation && !this.listing && this.head < this.queue.length) {
        const line = this.queue[this.head++] as string;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        let message: unknown;
        try {
          message = JSON.parse(line);
        } catch {
          this.logger.warn('unreadable engine event', { line: line.slice(0, 200) });
          continue;
        }
        const timeNano = (message as { timeNano?: unknown } | null)?.timeNano;
        if (typeof timeNano === 'number' && timeNano < this.skipBeforeNano) continue;
        const output = this.mapper.applyEvent(message);
        this.publish(output);
        for (const effect of output.effects) await this.runEffect(generation, effect);
      }
    } finally {
      this.pumping = false;
    }
    // Lines that arrived while the last effect ran, after the loop looked; or a newer connection's,
    // whose pump found this one still waiting on an effect of the lost connection (an inspect
    // that hung) and left its lines to it.
    if (!this.listing && this.head < this.queue.length && this.state.status === 'live') void this.pump(this.generation);
  }

  private async runEffect(generation: number, effect: MapperEffect): Promise<void> {
    const listings = this.listings;
    const current = () => generation === this.generation && listings === this.listings;
    try {
      switch (effect.kind) {
        case 'inspect-container': {
          const json = await this.client.inspectContainer(effect.id);
          if (current()) this.publish(this.mapper.applyContainerInspect(effect.id, json));
          return;
        }
        case 'inspect-service': {
          const json = await this.client.inspectService(effect.id);
          if (current()) this.publish(this.mapper.applyServiceInspect(effect.id, json));
          return;
        }
        case 'inspect-node': {
          const json = await this.client.inspectNode(effect.id);
          if (current()) this.publish(this.mapper.applyNodeInspect(effect.id, json));
          return;
        }
        case 'resync':
          this.logger.info('re-listing the docker engine', { reason: effect.reason });
          await this.relist(generation);
          return;
      }
    } catch (error) {
      if (error instanceof DockerApiError && error.statusCode === 503) {
        // The engine left the swarm or lost its manager role: only a listing tells what it is now.
        await this.runEffect(generation, { kind: 'resync', reason: error.message }).catch((e: unknown) => this.lose(generation, e));
      } else if (error instanceof DockerApiError) {
        this.logger.warn('engine call failed', { error: error.message });
      } else {
        this.lose(generation, error);
      }
    }
  }

  private publish(output: MapperOutput): void {
    const emit = this.emit;
    if (emit && this.state.status !== 'stopped') {
      for (const event of output.events) {
        try {
          emit({ namespace: this.namespace, event });
        } catch (error) {
          // The model has already changed; one throwing subscriber must not stop the engine's stream.
          this.emitFailures++;
          this.logger.error('emit failed', { error });
        }
      }
    }
    this.armDeadline();
  }

  private armDeadline(): void {
    const at = this.mapper.nextDeadline();
    if (at === this.deadlineAt) return;
    if (this.deadlineTimer !== undefined) this.timers.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.deadlineAt = at;
    if (at === undefined || this.state.status === 'stopped') return;
    this.deadlineTimer = this.timers.setTimeout(
      () => {
        this.deadlineTimer = undefined;
        this.deadlineAt = undefined;
        this.publish(this.mapper.tick());
      },
      Math.max(0, at - this.now()),
    );
  }
}

/**
 * Lists the engine in one pass: `/info` first (its clock marks which queued events the listing
 * already contains), then nodes and services on a swarm manager, then every container, inspected
 * for its start and finish times.
 */
export async function readEngineSnapshot(client: DockerEngineClient, concurrency = 8): Promise<EngineSnapshot> {
  let info = parseEngineInfo(await client.info());
  let nodes: EngineSnapshot['nodes'] = null;
  let services: EngineSnapshot['services'] = null;
  if (info.swarm?.manager) {
    try {
      const [nodeList, serviceList] = await Promise.all([client.listNodes(), client.listServices()]);
      nodes = nodeList.flatMap((json) => parseEngineNode(json) ?? []);
      services = serviceList.flatMap((json) => parseEngineService(json) ?? []);
    } catch (error) {
      if (!(error instanceof DockerApiError && error.statusCode === 503)) throw error;
      info = { ...info, swarm: { ...info.swarm, manager: false } };
    }
  }
  const listed = await client.listContainers();
  const containers: EngineContainer[] = [];
  let next = 0;
  const worker = async () => {
    while (next < listed.length) {
      const entry = listed[next++] as { Id?: unknown };
      if (typeof entry?.Id !== 'string') continue;
      const json = await client.inspectContainer(entry.Id);
      // Gone between the list and the inspect: as if it had not been listed.
      if (json === undefined) continue;
      const container = parseInspectedContainer(json) ?? parseListedContainer(entry);
      if (container) containers.push(container);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, listed.length) }, worker));
  // Inspects finish in any order; a stable order gives the same events for the same engine.
  containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
  return { info, nodes, services, containers };
}

/** `5 s`, `1.5 s`, `300 ms`. */
function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    // Node's errno codes (ECONNREFUSED, ENOENT) say what went wrong; EventsError codes do not.
    const code = (error as NodeJS.ErrnoException).code;
    return typeof code === 'string' && /^E[A-Z]+$/.test(code) && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
