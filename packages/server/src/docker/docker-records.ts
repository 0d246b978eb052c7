import type { State } from '@events/core';
import {
  type EngineContainer,
  type EngineContainerStatus,
  type EngineEvent,
  type EngineInfo,
  type EngineNode,
  type EngineService,
  imageNameOf,
  placementOf,
} from './docker-model.js';
import { isDown, isUp } from './docker-states.js';

// The shapes of what DockerMapper keeps of the engine (docker-model.ts is what the engine sends;
// engine-records.ts keeps the mapper's records of it, indexed for deriving), and MapperRecords:
// the read-only view of them that the derive (docker-derive.ts) and planning
// (docker-operations.ts) functions are given. Pure.

/** The Docker Cloud types derived from the engine (actions are not: they come from operations). */
export type Kind = 'container' | 'service' | 'stack' | 'node' | 'nodecluster';

/** A container as the mapper keeps it: changed in place by its events (no copy per event). */
export interface ContainerRecord {
  readonly id: string;
  name: string;
  readonly image: string;
  status: EngineContainerStatus;
  stopping: boolean;
  exitCode: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  readonly placement: EngineContainer['placement'];
  /**
   * What `docker stop` waits before SIGKILL, when known: from the listing's inspect, or the inspect
   * asked for when the container appeared; null: the engine's 10 s; Infinity: for ever.
   */
  stopTimeoutMs: number | null;
  /** It has a restart policy (from an inspect): after its `die` the engine may be about to start it again. */
  mayRestart: boolean;
  readonly uuid: string;
  readonly uri: string;
  /** `s:<swarm service id>` or `c:<compose project>/<compose service>`, or null. */
  readonly serviceKey: string | null;
  readonly nodeKey: string;
  /** How its service last counted it: a service is re-derived only when this changes. */
  counted: CountedAs;
  /** Its links never change (labels are fixed at creation): resolved once. */
  readonly serviceUri: string | null;
  readonly nodeUri: string;
  readonly parents: readonly string[];
}

/** What a container counts as in its service's numbers. */
export type CountedAs = 'running' | 'stopped' | 'starting' | 'none';

export function countedAs(status: EngineContainerStatus): CountedAs {
  return isUp(status) ? 'running' : isDown(status) ? 'stopped' : status === 'created' || status === 'restarting' ? 'starting' : 'none';
}

export interface ServiceRecord {
  readonly key: string;
  /** `swarm`: listed or inspected on a manager; `labels`: known only from its containers' labels. */
  readonly origin: 'swarm' | 'labels';
  /** Removed from the swarm while some of its containers are still there: `Terminating`. */
  readonly removed: boolean;
  readonly service: EngineService;
}

/** What ends a transitional state, besides its deadline. */
export type Until = 'running' | 'down' | 'restarted' | 'gone' | 'settled' | 'redeployed' | 'children-done';

/** A transitional state (`Scaling`, `Redeploying`, `Starting`, ...) laid over an object's resting state. */
export interface Overlay {
  readonly state: State;
  readonly until: Until;
  readonly deadline: number;
  /** The action it belongs to, or null when the engine started it (a `docker service scale`). */
  readonly action: string | null;
  /** Scaling: the target the service converges to. */
  readonly target?: number;
  /** Redeploying: the containers that were running when it began, all to be replaced. */
  readonly old?: ReadonlySet<string>;
  /** Restarting a container: its start time when it began. */
  readonly startedAt?: number | null;
}

/**
 * The mapper's engine model, read-only and live (it always shows the mapper's current state). The
 * mapper hands one out to the functions that derive objects and plan operations; they read it and
 * never change a record.
 *
 * @example
 * const running = runningOf(records, 's:x7gj…'); // ids of the service's containers that are up
 */
export interface MapperRecords {
  /** The engine's `/info` as last listed; null before the first listing. */
  readonly info: EngineInfo | null;
  /** The engine stopped answering since the last listing. */
  readonly lost: boolean;
  /** Swarm nodes, by id (listed on a manager only). */
  readonly nodes: ReadonlyMap<string, EngineNode>;
  readonly services: ReadonlyMap<string, ServiceRecord>;
  readonly containers: ReadonlyMap<string, Readonly<ContainerRecord>>;
  /** Container ids by service key, by stack name and by node key. */
  readonly serviceContainers: ReadonlyMap<string, ReadonlySet<string>>;
  readonly stackContainers: ReadonlyMap<string, ReadonlySet<string>>;
  readonly nodeContainers: ReadonlyMap<string, ReadonlySet<string>>;
  /** Service keys by stack name. */
  readonly stackServices: ReadonlyMap<string, ReadonlySet<string>>;
  /** The resource URI of an engine identity (formatted once, then cached). */
  uri(type: Kind, key: string): string;
}

// ---- keys ---------------------------------------------------------------------------------------

/** `swarm:<cluster id>` for a swarm, `engine:<engine id>` for a single engine (or a swarm worker). */
export function clusterKeyOf(info: EngineInfo): string {
  return info.swarm?.clusterId ? `swarm:${info.swarm.clusterId}` : `engine:${info.engineId}`;
}

/** The node that plain containers (and everything local) run on: the swarm node, else the engine. */
export function localNodeKeyOf(info: EngineInfo): string {
  return info.swarm?.nodeId ?? info.engineId;
}

// ---- reading the records ------------------------------------------------------------------------

/** The keys of the nodes the engine shows: every swarm node on a manager, else the engine itself. */
export function nodeKeys(records: MapperRecords): string[] {
  const info = records.info;
  if (!info) return [];
  return info.swarm?.manager ? [...records.nodes.keys()] : [localNodeKeyOf(info)];
}

/** The ids of the service's containers that are up now. */
export function runningOf(records: MapperRecords, serviceKey: string): ReadonlySet<string> {
  const running = new Set<string>();
  for (const cid of records.serviceContainers.get(serviceKey) ?? []) {
    const c = records.containers.get(cid);
    if (c && isUp(c.status)) running.add(cid);
  }
  return running;
}

/** What `docker stop` waits before its SIGKILL when a container sets no stop timeout; swarm too, for a service without a grace period. */
export const ENGINE_STOP_TIMEOUT_MS = 10_000;

/**
 * The longest a stop of this container may take before the engine kills it: its own stop timeout
 * (what `docker stop` waits) or, for a swarm task, its service's stop grace period (what swarm
 * waits when it stops the task), whichever is longer. Infinity when `docker stop` waits for ever.
 *
 * @example
 * stopGraceOf(records, c) // 10_000 for a plain container that sets no stop timeout
 */
export function stopGraceOf(records: MapperRecords, c: Readonly<ContainerRecord>): number {
  const own = c.stopTimeoutMs ?? ENGINE_STOP_TIMEOUT_MS;
  if (c.serviceKey === null || !c.serviceKey.startsWith('s:')) return own;
  return Math.max(own, records.services.get(c.serviceKey)?.service.stopGracePeriodMs ?? ENGINE_STOP_TIMEOUT_MS);
}

// ---- building records ---------------------------------------------------------------------------

/** Event times and inspected times of one start differ by a little; a re-list keeps what we had. */
const SAME_INSTANT_MS = 2_000;

/** A container first seen in an event: its attributes carry its name, image and every label. */
export function containerFromEvent(event: EngineEvent, status: EngineContainerStatus): EngineContainer {
  const { id, attributes } = event;
  return {
    id,
    name: attributes.name ?? id.slice(0, 12),
    image: imageNameOf(attributes.image ?? ''),
    status,
    stopping: false,
    exitCode: null,
    startedAt: null,
    finishedAt: null,
    placement: placementOf(attributes),
  };
}

/**
 * Records are built as literals, never spread: a spread copy can take another hidden class, and
 * then every read of it is slower (measured: 7× on a container's create).
 */
export function withReplicas(service: EngineService, replicas: number | null): EngineService {
  return {
    id: service.id,
    name: service.name,
    image: service.image,
    stack: service.stack,
    mode: service.mode,
    replicas,
    createdAt: service.createdAt,
    stopGracePeriodMs: service.stopGracePeriodMs ?? null,
  };
}

/** What a container is doing when the first event we see of it is this action. */
export const FIRST_SEEN_STATUS: ReadonlyMap<string, EngineContainerStatus> = new Map([
  ['create', 'created'],
  ['start', 'running'],
  ['restart', 'running'],
  ['unpause', 'running'],
  ['kill', 'running'],
  ['rename', 'running'],
  ['pause', 'paused'],
  ['die', 'exited'],
  ['stop', 'exited'],
]);

/**
 * A listed container against what we knew: start and finish times from events and from inspects
 * differ by the moment between the change and its event, so a re-list keeps ours when the state is
 * the same and the times agree within {@link SAME_INSTANT_MS} (no spurious updates after a
 * reconnect), and a stop already signalled stays `Stopping` while the container is up from the
 * same start.
 */
export function mergeListed(previous: ContainerRecord | undefined, listed: EngineContainer): EngineContainer {
  if (!previous || previous.status !== listed.status) return listed;
  const close = (a: number | null, b: number | null) => a !== null && b !== null && Math.abs(a - b) < SAME_INSTANT_MS;
  // Up with another start than ours: it died and started again while we were away (a restart
  // policy, an engine restart), so the stop we saw signalled is over.
  const sameStart = previous.startedAt === null || listed.startedAt === null || close(previous.startedAt, listed.startedAt);
  return {
    ...listed,
    stopping: previous.stopping && isUp(listed.status) && sameStart,
    startedAt: close(previous.startedAt, listed.startedAt) || listed.startedAt === null ? previous.startedAt : listed.startedAt,
    finishedAt: close(previous.finishedAt, listed.finishedAt) || listed.finishedAt === null ? previous.finishedAt : listed.finishedAt,
    exitCode: listed.exitCode ?? previous.exitCode,
  };
}
