/**
 * What we keep of a Docker Engine: the few fields of its containers, swarm services, swarm nodes
 * and `/info` that the Docker Cloud model is derived from, and the parsers that read them out of
 * the engine's JSON. Pure: no I/O, and nothing here throws on odd input (a field the engine did
 * not send becomes null or a neutral default).
 */

/** `State` of `/containers/json` and `State.Status` of an inspect. */
export type EngineContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

const CONTAINER_STATUSES = new Set<string>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);

/** The labels that place a container in the Docker Cloud hierarchy. */
export interface ContainerPlacement {
  /** `com.docker.stack.namespace`, else Compose's `com.docker.compose.project`. */
  readonly stack: string | null;
  /** `com.docker.swarm.service.id`: a swarm task's service. */
  readonly swarmServiceId: string | null;
  readonly swarmServiceName: string | null;
  /** `com.docker.swarm.node.id`: the swarm node a task runs on. */
  readonly swarmNodeId: string | null;
  /**
   * `com.docker.compose.project` and `com.docker.compose.service` (both, or neither). Neither for a
   * one-off container (`docker compose run`, `com.docker.compose.oneoff=True`): a job, not a member
   * of its service or project.
   */
  readonly composeProject: string | null;
  readonly composeService: string | null;
}

export interface EngineContainer {
  readonly id: string;
  /** Without the leading slash the engine puts on it. */
  readonly name: string;
  readonly image: string;
  readonly status: EngineContainerStatus;
  /** A stop is under way: the engine sent SIGTERM/SIGKILL and the container has not died yet. */
  readonly stopping: boolean;
  readonly exitCode: number | null;
  /** Epoch ms of the last start, or null if it never started. */
  readonly startedAt: number | null;
  /** Epoch ms of the last exit, or null if it never exited. */
  readonly finishedAt: number | null;
  readonly placement: ContainerPlacement;
  /**
   * `Config.StopTimeout` in ms (what `docker stop` waits before SIGKILL), when the container sets
   * one; Infinity for -1 (`docker stop` waits for ever); null or absent when it sets none (the
   * engine waits 10 s) or when we only saw its events. Swarm leaves it unset on task containers
   * and stops them after their service's {@link EngineService.stopGracePeriodMs}.
   */
  readonly stopTimeoutMs?: number | null;
  /**
   * Whether the engine may start it again by itself when it exits: a restart policy of `always`,
   * `unless-stopped` or `on-failure` (`HostConfig.RestartPolicy`). Only an inspect says; false or
   * absent when it has none or when we only saw its events.
   */
  readonly mayRestart?: boolean;
}

export interface EngineService {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly stack: string | null;
  /**
   * `job`: a swarm job (`--mode replicated-job` or `global-job`, a stack's `deploy.mode`), whose
   * tasks run to completion, as a migration does, rather than for ever.
   */
  readonly mode: 'replicated' | 'global' | 'job';
  /** Desired replicas of a replicated service; null for global services and jobs. */
  readonly replicas: number | null;
  /** Epoch ms. */
  readonly createdAt: number | null;
  /**
   * `Spec.TaskTemplate.ContainerSpec.StopGracePeriod` in ms (`--stop-grace-period`, a stack's
   * `stop_grace_period`): how long swarm waits after SIGTERM before it kills a task's container.
   * Null or absent when unset (swarm's 10 s) or unknown.
   */
  readonly stopGracePeriodMs?: number | null;
}

export interface EngineNode {
  readonly id: string;
  readonly hostname: string;
  /** Swarm's `Status.State`: ready, down, unknown or disconnected. */
  readonly state: string;
  readonly engineVersion: string | null;
  readonly cpus: number | null;
  readonly memoryBytes: number | null;
  /** Epoch ms of the node object's last change in the swarm. */
  readonly updatedAt: number | null;
}

export interface EngineSwarmInfo {
  readonly nodeId: string;
  /** Known on managers only. */
  readonly clusterId: string | null;
  readonly clusterName: string | null;
  /** `ControlAvailable`: this engine answers `/nodes` and `/services`. */
  readonly manager: boolean;
}

export interface EngineInfo {
  /** The engine's own id (`ID` of `/info`), stable across its restarts. */
  readonly engineId: string;
  readonly name: string;
  readonly version: string | null;
  readonly cpus: number | null;
  readonly memoryBytes: number | null;
  /** Null when the engine is not in an active swarm. */
  readonly swarm: EngineSwarmInfo | null;
  /** The engine's clock when it answered, in ns since the epoch (compared with event `timeNano`). */
  readonly systemTimeNano: number | null;
}

/**
 * Everything listed in one pass. `nodes` and `services` are null when the engine cannot list them
 * (not in a swarm, or a swarm worker).
 */
export interface EngineSnapshot {
  readonly info: EngineInfo;
  readonly nodes: readonly EngineNode[] | null;
  readonly services: readonly EngineService[] | null;
  readonly containers: readonly EngineContainer[];
}

/** One `/events` message: `{Type, Action, Actor: {ID, Attributes}, scope, time, timeNano}`. */
export interface EngineEvent {
  readonly type: string;
  readonly action: string;
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** Epoch ms (from timeNano when present, else time). */
  readonly timeMs: number;
  /** Epoch ns, lossy above 2^53 (enough to order events against a listing). */
  readonly timeNano: number;
}

// ---- parsing helpers -----------------------------------------------------------------------------

type Json = Record<string, unknown>;

const EMPTY: Json = Object.freeze({});

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : EMPTY;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Engine timestamps are RFC 3339 with ns; Go's zero time (`0001-01-01T00:00:00Z`) means never. */
export function parseEngineTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** `busybox:1.36@sha256:…` → `busybox:1.36`: swarm pins images by digest; people name them by tag. */
export function imageNameOf(image: string): string {
  const at = image.indexOf('@sha256:');
  return at > 0 ? image.slice(0, at) : image;
}

/**
 * Reads a container's placement from its labels (all labels of a container event's attributes
 * are its labels, plus `image`, `name` and per-action extras, none of which collide).
 *
 * @example
 * placementOf({ 'com.docker.stack.namespace': 'shop', 'com.docker.swarm.service.id': 'x7gj…' }).stack // 'shop'
 */
export function placementOf(labels: Readonly<Record<string, unknown>>): ContainerPlacement {
  // A one-off (`docker compose run`) is a job, not a replica: counted in its service it raised the
  // target and left the service `Partly running` for good, and a stack start ran the job again.
  // It is a plain container, outside any service or stack.
  const oneOff = str(labels['com.docker.compose.oneoff'])?.toLowerCase() === 'true';
  const composeProject = oneOff ? null : str(labels['com.docker.compose.project']);
  const composeService = str(labels['com.docker.compose.service']);
  const hasCompose = composeProject !== null && composeService !== null;
  return {
    stack: str(labels['com.docker.stack.namespace']) ?? composeProject,
    swarmServiceId: str(labels['com.docker.swarm.service.id']),
    swarmServiceName: str(labels['com.docker.swarm.service.name']),
    swarmNodeId: str(labels['com.docker.swarm.node.id']),
    composeProject: hasCompose ? composeProject : null,
    composeService: hasCompose ? composeService : null,
  };
}

function statusOf(value: unknown): EngineContainerStatus {
  return typeof value === 'string' && CONTAINER_STATUSES.has(value) ? (value as EngineContainerStatus) : 'created';
}

function stripSlash(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

// ---- parsers -------------------------------------------------------------------------------------

/** `GET /info`. */
export function parseEngineInfo(json: unknown): EngineInfo {
  const info = obj(json);
  const swarm = obj(info.Swarm);
  const nodeId = str(swarm.NodeID);
  const active = swarm.LocalNodeState === 'active' && nodeId !== null;
  const cluster = obj(swarm.Cluster);
  return {
    engineId: str(info.ID) ?? str(info.Name) ?? 'docker-engine',
    name: str(info.Name) ?? 'docker',
    version: str(info.ServerVersion),
    cpus: num(info.NCPU),
    memoryBytes: num(info.MemTotal),
    swarm: active
      ? {
          nodeId,
          clusterId: str(cluster.ID),
          clusterName: str(obj(cluster.Spec).Name),
          manager: swarm.ControlAvailable === true,
        }
      : null,
    systemTimeNano: parseEngineTimeNano(info.SystemTime),
  };
}

/** RFC 3339 with up to 9 fraction digits → ns since the epoch (as a double: ~256 ns resolution). */
export function parseEngineTimeNano(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return null;
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  const subMs = Number(fraction.slice(3, 9).padEnd(6, '0'));
  return Math.floor(ms) * 1e6 + subMs;
}

/** One entry of `GET /nodes`, or `GET /nodes/{id}`. */
export function parseEngineNode(json: unknown): EngineNode | undefined {
  const node = obj(json);
  const id = str(node.ID);
  if (id === null) return undefined;
  const description = obj(node.Description);
  const resources = obj(description.Resources);
  const nanoCpus = num(resources.NanoCPUs);
  return {
    id,
    hostname: str(description.Hostname) ?? id,
    state: str(obj(node.Status).State) ?? 'unknown',
    engineVersion: str(obj(description.Engine).EngineVersion),
    cpus: nanoCpus === null ? null : nanoCpus / 1e9,
    memoryBytes: num(resources.MemoryBytes),
    updatedAt: parseEngineTime(node.UpdatedAt),
  };
}

/** One entry of `GET /services`, or `GET /services/{id}`. */
export function parseEngineService(json: unknown): EngineService | undefined {
  const service = obj(json);
  const id = str(service.ID);
  if (id === null) return undefined;
  const spec = obj(service.Spec);
  const mode = obj(spec.Mode);
  const replicated = obj(mode.Replicated);
  const isGlobal = mode.Global !== undefined && mode.Replicated === undefined;
  const isJob = mode.ReplicatedJob !== undefined || mode.GlobalJob !== undefined;
  return {
    id,
    name: str(spec.Name) ?? id,
    image: imageNameOf(str(obj(obj(spec.TaskTemplate).ContainerSpec).Image) ?? ''),
    stack: str(obj(spec.Labels)['com.docker.stack.namespace']),
    mode: isJob ? 'job' : isGlobal ? 'global' : 'replicated',
    replicas: isGlobal || isJob ? null : (num(replicated.Replicas) ?? 1),
    createdAt: parseEngineTime(service.CreatedAt),
    stopGracePeriodMs: nanosToMs(num(obj(obj(spec.TaskTemplate).ContainerSpec).StopGracePeriod)),
  };
}

/** `GET /containers/{id}/json`. */
export function parseInspectedContainer(json: unknown): EngineContainer | undefined {
  const container = obj(json);
  const id = str(container.Id);
  if (id === null) return undefined;
  const state = obj(container.State);
  const config = obj(container.Config);
  const status = statusOf(state.Status);
  const restartPolicy = str(obj(obj(container.HostConfig).RestartPolicy).Name);
  return {
    id,
    name: stripSlash(str(container.Name) ?? id.slice(0, 12)),
    image: imageNameOf(str(config.Image) ?? ''),
    status,
    stopping: false,
    // The engine reports 0 for a container that never exited; only a stopped one has an exit code,
    // or one waiting for its restart (kept for when a `docker stop` ends the wait).
    exitCode: status === 'exited' || status === 'dead' || status === 'restarting' ? num(state.ExitCode) : null,
    startedAt: parseEngineTime(state.StartedAt),
    finishedAt: parseEngineTime(state.FinishedAt),
    placement: placementOf(obj(config.Labels)),
    stopTimeoutMs: stopTimeoutOf(config.StopTimeout),
    mayRestart: restartPolicy !== null && restartPolicy !== 'no',
  };
}

/** `Config.StopTimeout` (seconds) in ms; null when unset; Infinity when negative (-1: `docker stop` waits for ever). */
function stopTimeoutOf(value: unknown): number | null {
  const seconds = num(value);
  if (seconds === null) return null;
  return seconds < 0 ? Number.POSITIVE_INFINITY : seconds * 1000;
}

/** A swarm duration (nanoseconds) in ms; null when absent or negative. */
function nanosToMs(nanos: number | null): number | null {
  return nanos === null || nanos < 0 ? null : nanos / 1e6;
}

/**
 * One entry of `GET /containers/json?all=1`: no start or finish time there, and the exit code only
 * inside `Status` ("Exited (137) 5 seconds ago"). The source inspects each container instead;
 * this is the fallback for a container that vanished between the list and its inspect.
 */
export function parseListedContainer(json: unknown): EngineContainer | undefined {
  const container = obj(json);
  const id = str(container.Id);
  if (id === null) return undefined;
  const names = Array.isArray(container.Names) ? container.Names : [];
  const exit = /\((-?\d+)\)/.exec(typeof container.Status === 'string' ? container.Status : '');
  const status = statusOf(container.State);
  return {
    id,
    name: stripSlash(str(names[0]) ?? id.slice(0, 12)),
    image: imageNameOf(str(container.Image) ?? ''),
    status,
    stopping: false,
    exitCode: exit && (status === 'exited' || status === 'dead') ? Number(exit[1]) : null,
    startedAt: null,
    finishedAt: null,
    placement: placementOf(obj(container.Labels)),
  };
}

/**
 * One line of `GET /events`, already JSON-decoded; undefined for anything without a type, an
 * action and an actor id.
 */
export function parseEngineEvent(json: unknown): EngineEvent | undefined {
  const event = obj(json);
  const type = event.Type;
  const action = event.Action;
  const actor = obj(event.Actor);
  const id = actor.ID;
  if (typeof type !== 'string' || typeof action !== 'string' || typeof id !== 'string') return undefined;
  const timeNano = num(event.timeNano) ?? (num(event.time) ?? 0) * 1e9;
  return {
    type,
    action,
    id,
    attributes: obj(actor.Attributes) as Record<string, string>,
    timeMs: Math.floor(timeNano / 1e6),
    timeNano,
  };
}
