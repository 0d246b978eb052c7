import {
  type DockerCloudEvent,
  type EventAction,
  formatEventDatetime,
  formatRestDate,
  type ObjectType,
  parentsOfRestObject,
  type RestAction,
  type RestContainer,
  type RestNode,
  type RestNodeCluster,
  type RestObject,
  type RestObjectByType,
  type RestService,
  type RestStack,
  resourceUriFor,
  type State,
  type StateOf,
} from '@events/core';
import { actionNameOf } from '../action-name-of.js';
import type { OperationName, OperationRequest, OperationResult } from '../source.js';
import { ChangeLog, DirtyQueue } from './change-log.js';
import {
  type EngineContainer,
  type EngineContainerStatus,
  type EngineEvent,
  type EngineInfo,
  type EngineNode,
  type EngineService,
  type EngineSnapshot,
  imageNameOf,
  parseEngineEvent,
  parseEngineNode,
  parseEngineService,
  placementOf,
} from './docker-model.js';
import { containerStateOf, isDown, isUp, labelServiceStateOf, stackStateOf, swarmServiceStateOf } from './docker-states.js';
import { dockerUuid } from './docker-uuid.js';

// ---- public types ---------------------------------------------------------------------------------

export interface DockerMapperOptions {
  /** Every object goes into this one namespace. */
  readonly namespace: string;
  /** Event `datetime`s, REST dates and the deadlines of transitional states. */
  readonly now: () => number;
  /** Event and action uuids (object uuids are derived from Docker ids instead). */
  readonly randomUuid: () => string;
  /**
   * How long a transitional state (`Scaling`, `Redeploying`, `Starting`, ...) waits for the engine
   * to converge before the object falls back to its resting state. Default 60 s.
   */
  readonly settleTimeoutMs?: number;
  /** Finished actions kept for the REST API (an audit log's retention). Default 1,000. */
  readonly maxActions?: number;
}

/** I/O the mapper needs done; the source does it and feeds the answer back. */
export type MapperEffect =
  | { readonly kind: 'inspect-service'; readonly id: string }
  | { readonly kind: 'inspect-node'; readonly id: string }
  | { readonly kind: 'resync'; readonly reason: string };

export interface MapperOutput {
  /** In emission order; the model already reflects all of them. */
  readonly events: DockerCloudEvent[];
  readonly effects: MapperEffect[];
}

/** One call to the engine that an operation needs. */
export type EngineJob =
  | { readonly kind: 'container-start' | 'container-stop' | 'container-restart' | 'container-remove'; readonly id: string }
  | { readonly kind: 'service-scale'; readonly id: string; readonly replicas: number }
  | { readonly kind: 'service-redeploy' | 'service-remove'; readonly id: string };

export interface OperationPlan {
  readonly result: OperationResult;
  /** The action's `create` and the objects' transitional states. */
  readonly events: DockerCloudEvent[];
  /** Run them all, then report with {@link DockerMapper.jobsDone}. */
  readonly jobs: readonly EngineJob[];
}

// ---- internal types -------------------------------------------------------------------------------

/** The derived types, in the order they are derived: each depends only on those before it. */
type Kind = 'container' | 'service' | 'stack' | 'node' | 'nodecluster';
const DERIVE_ORDER: readonly Kind[] = ['container', 'service', 'stack', 'node', 'nodecluster'];
/** Creates go out parents first, so a client never sees a child before its parent. */
const CREATE_ORDER: readonly Kind[] = ['nodecluster', 'node', 'stack', 'service', 'container'];
/** Updates: infrastructure first, then each object before the aggregates that count it. */
const UPDATE_ORDER: readonly Kind[] = ['node', 'nodecluster', 'container', 'service', 'stack'];
/** Removals go out children first. */
const REMOVE_ORDER: readonly Kind[] = ['container', 'service', 'stack', 'node', 'nodecluster'];

/** A container as the mapper keeps it: changed in place by its events (no copy per event). */
interface ContainerRecord {
  readonly id: string;
  name: string;
  readonly image: string;
  status: EngineContainerStatus;
  stopping: boolean;
  exitCode: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  readonly placement: EngineContainer['placement'];
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
type CountedAs = 'running' | 'stopped' | 'starting' | 'none';

function countedAs(status: EngineContainerStatus): CountedAs {
  return isUp(status) ? 'running' : isDown(status) ? 'stopped' : status === 'created' || status === 'restarting' ? 'starting' : 'none';
}

interface ServiceRecord {
  readonly key: string;
  /** `swarm`: listed or inspected on a manager; `labels`: known only from its containers' labels. */
  readonly origin: 'swarm' | 'labels';
  /** Removed from the swarm while some of its containers are still there: `Terminating`. */
  readonly removed: boolean;
  readonly service: EngineService;
}

/** What ends a transitional state, besides its deadline. */
type Until = 'running' | 'down' | 'restarted' | 'gone' | 'settled' | 'redeployed' | 'children-done';

interface Overlay {
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

interface ActionRecord {
  readonly uuid: string;
  readonly parents: readonly string[];
  jobsDone: boolean;
  readonly overlays: Set<string>;
}

type Store = { [T in ObjectType]: Map<string, RestObjectByType[T]> };

const TERMINAL_STATES = new Set<string>(['Terminating', 'Terminated']);
/** Signals whose `kill` event means the container is on its way down (docker stop, docker kill, Ctrl-C). */
const STOP_SIGNALS = new Set(['15', '9', '2', '3', 'SIGTERM', 'SIGKILL', 'SIGINT', 'SIGQUIT', 'TERM', 'KILL', 'INT', 'QUIT']);
const MIB = 1024 * 1024;
/** Event times and inspected times of one start differ by a little; a re-list keeps what we had. */
const SAME_INSTANT_MS = 2_000;

// ---- keys and comparisons ---------------------------------------------------------------------------

/** `swarm:<cluster id>` for a swarm, `engine:<engine id>` for a single engine (or a swarm worker). */
export function clusterKeyOf(info: EngineInfo): string {
  return info.swarm?.clusterId ? `swarm:${info.swarm.clusterId}` : `engine:${info.engineId}`;
}

/** The node that plain containers (and everything local) run on: the swarm node, else the engine. */
export function localNodeKeyOf(info: EngineInfo): string {
  return info.swarm?.nodeId ?? info.engineId;
}

/** Field by field; arrays element by element (derived objects have the same keys, in the same order). */
function sameObject(a: RestObject, b: RestObject): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  for (const key in y) {
    const p = x[key];
    const q = y[key];
    if (p === q) continue;
    if (!Array.isArray(p) || !Array.isArray(q) || p.length !== q.length) return false;
    for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return false;
  }
  return true;
}

// ---- the mapper -----------------------------------------------------------------------------------

/**
 * Maps a Docker Engine onto the Docker Cloud object model and its events. No I/O: the source
 * feeds it engine JSON (a listing, `/events` messages, inspects, the outcome of operations) and
 * emits what it returns. The REST view (`list`/`get`) always already reflects every returned
 * event.
 *
 * Every input marks the engine objects it touched; a flush re-derives exactly those Docker Cloud
 * objects (and what they count in) and emits the differences: creates parents first, updates,
 * then `Terminated` + `delete` children first. A re-list is one input that marks everything, so
 * after any outage clients get exactly what changed.
 *
 * @example
 * const mapper = new DockerMapper({ namespace: 'acme', now: Date.now, randomUuid: () => crypto.randomUUID() });
 * mapper.applySnapshot(snapshot).events; // creates for the node cluster, nodes, stacks, services, containers
 * mapper.applyEvent(JSON.parse(line)).events; // e.g. [{ type: 'container', action: 'update', state: 'Stopped', ... }]
 */
export class DockerMapper {
  readonly namespace: string;
  private readonly now: () => number;
  private readonly randomUuid: () => string;
  private readonly settleTimeoutMs: number;
  private readonly maxActions: number;

  // The engine, as last seen.
  private info: EngineInfo | null = null;
  private lost = false;
  private readonly nodes = new Map<string, EngineNode>();
  private readonly services = new Map<string, ServiceRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly serviceContainers = new Map<string, Set<string>>();
  private readonly stackServices = new Map<string, Set<string>>();
  private readonly stackContainers = new Map<string, Set<string>>();
  private readonly nodeContainers = new Map<string, Set<string>>();
  /** A service's `containers` list, sorted by name: rebuilt only when its members change. */
  private readonly memberUris = new Map<string, readonly string[]>();
  /** Swarm services whose `create` event arrived and whose inspect has not. */
  private readonly pendingCreates = new Set<string>();

  // The Docker Cloud view.
  private readonly store: Store = {
    nodecluster: new Map(),
    node: new Map(),
    stack: new Map(),
    service: new Map(),
    container: new Map(),
    action: new Map(),
  };
  private readonly identities = new Map<string, { readonly type: Kind; readonly key: string }>();
  private readonly parentsByUri = new Map<string, readonly string[]>();
  /** uuid and resource URI of each engine identity: hashing and formatting once, not per event. */
  private readonly ids: Record<Kind, Map<string, { readonly uuid: string; readonly uri: string }>> = {
    container: new Map(),
    service: new Map(),
    stack: new Map(),
    node: new Map(),
    nodecluster: new Map(),
  };
  private readonly overlays = new Map<string, Overlay>();
  private readonly openActions = new Map<string, ActionRecord>();
  private readonly actionsToCheck = new Set<string>();
  private readonly dirty: Record<Kind, DirtyQueue> = {
    container: new DirtyQueue(),
    service: new DirtyQueue(),
    stack: new DirtyQueue(),
    node: new DirtyQueue(),
    nodecluster: new DirtyQueue(),
  };
  private flushNow = 0;
  /** One flush's changes; empty between flushes. */
  private readonly changes = new ChangeLog();
  private lastEventSecond = Number.NaN;
  private lastEventDatetime = '';
  private readonly restDates = new Map<number, string>();

  constructor(options: DockerMapperOptions) {
    this.namespace = options.namespace;
    this.now = options.now;
    this.randomUuid = options.randomUuid;
    this.settleTimeoutMs = options.settleTimeoutMs ?? 60_000;
    this.maxActions = options.maxActions ?? 1_000;
  }

  // ---- reading ---------------------------------------------------------------------------------

  list<T extends ObjectType>(type: T): RestObjectByType[T][] {
    return [...(this.store[type] as Map<string, RestObjectByType[T]>).values()];
  }

  get<T extends ObjectType>(type: T, uuid: string): RestObjectByType[T] | undefined {
    return (this.store[type] as Map<string, RestObjectByType[T]>).get(uuid);
  }

  /** The parents an event about this object carries (protocol.md §7). */
  parentsOf(uri: string): readonly string[] {
    return this.parentsByUri.get(uri) ?? [];
  }

  /** The earliest time at which {@link tick} has something to do, if any. */
  nextDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const overlay of this.overlays.values()) if (earliest === undefined || overlay.deadline < earliest) earliest = overlay.deadline;
    return earliest;
  }

  // ---- inputs from the engine --------------------------------------------------------------------

  /**
   * A full listing: replaces everything known about the engine and emits the differences from
   * what clients were last told. Used at start and after every interruption of the event stream.
   */
  applySnapshot(snapshot: EngineSnapshot): MapperOutput {
    for (const { type, key } of this.identities.values()) this.dirty[type].add(key);
    const previous = new Map(this.containers);
    const previousServices = new Map(this.services);
    this.info = snapshot.info;
    this.lost = false;
    this.nodes.clear();
    this.services.clear();
    this.containers.clear();
    this.serviceContainers.clear();
    this.stackServices.clear();
    this.stackContainers.clear();
    this.nodeContainers.clear();
    this.memberUris.clear();
    this.pendingCreates.clear();
    for (const node of snapshot.nodes ?? []) this.nodes.set(node.id, node);
    for (const service of snapshot.services ?? []) {
      const key = `s:${service.id}`;
      const before = previousServices.get(key);
      // A listing a moment after a `replicas` event can still show the old count; our own record
      // is newer while a Scaling it started is in flight.
      this.putService({ key, origin: 'swarm', removed: false, service: before && this.overlays.has(this.uri('service', key)) ? withReplicas(service, before.service.replicas) : service });
    }
    for (const container of snapshot.containers) this.addContainer(mergeListed(previous.get(container.id), container));
    this.dirty.nodecluster.add(clusterKeyOf(snapshot.info));
    for (const key of this.nodeKeys()) this.dirty.node.add(key);
    for (const key of this.services.keys()) this.dirty.service.add(key);
    for (const key of this.stackServices.keys()) this.dirty.stack.add(key);
    for (const key of this.stackContainers.keys()) this.dirty.stack.add(key);
    for (const key of this.containers.keys()) this.dirty.container.add(key);
    return { events: this.flush(), effects: [] };
  }

  /** The engine stopped answering: the node we talk to becomes `Unreachable` until a re-list. */
  engineLost(): MapperOutput {
    if (this.lost || !this.info) return { events: [], effects: [] };
    this.lost = true;
    this.dirty.node.add(localNodeKeyOf(this.info));
    this.dirty.nodecluster.add(clusterKeyOf(this.info));
    return { events: this.flush(), effects: [] };
  }

  /**
   * One `/events` message (decoded JSON). Container events carry all the labels we need; service
   * and node events carry only names, so those ask for an inspect (see {@link MapperOutput.effects}).
   */
  applyEvent(message: unknown): MapperOutput {
    const event = parseEngineEvent(message);
    if (!event || !this.info) return { events: [], effects: [] };
    const effects: MapperEffect[] = [];
    switch (event.type) {
      case 'container':
        this.onContainerEvent(event);
        break;
      case 'service':
        this.onServiceEvent(event, effects);
        break;
      case 'node':
        this.onNodeEvent(event, effects);
        break;
      default:
        // network, image, volume, plugin, daemon, config, secret: not part of the Docker Cloud model.
        return { events: [], effects };
    }
    return { events: this.flush(), effects };
  }

  /** The answer to an `inspect-service` effect: the service's JSON, or undefined when it is gone (404). */
  applyServiceInspect(id: string, json: unknown): MapperOutput {
    const key = `s:${id}`;
    const created = this.pendingCreates.delete(id);
    const service = json === undefined ? undefined : parseEngineService(json);
    const record = this.services.get(key);
    if (!service) {
      if (record) this.markServiceRemoved(record);
      return { events: this.flush(), effects: [] };
    }
    this.putService({ key, origin: 'swarm', removed: false, service });
    if (created && !record) this.setOverlay(this.uri('service', key), { state: 'Starting', until: 'settled', action: null });
    this.dirty.service.add(key);
    return { events: this.flush(), effects: [] };
  }

  /** The answer to an `inspect-node` effect: the node's JSON, or undefined when it is gone (404). */
  applyNodeInspect(id: string, json: unknown): MapperOutput {
    const node = json === undefined ? undefined : parseEngineNode(json);
    if (node) this.nodes.set(id, node);
    else this.nodes.delete(id);
    this.dirty.node.add(id);
    if (this.info) this.dirty.nodecluster.add(clusterKeyOf(this.info));
    return { events: this.flush(), effects: [] };
  }

  /** Ends transitional states whose deadline has passed. */
  tick(): MapperOutput {
    const now = this.now();
    for (const [uri, overlay] of this.overlays) {
      if (overlay.deadline > now) continue;
      const identity = this.identities.get(uri);
      if (identity) this.dirty[identity.type].add(identity.key);
      else this.endOverlay(uri, overlay);
    }
    return { events: this.flush(), effects: [] };
  }

  // ---- operations ----------------------------------------------------------------------------------

  /**
   * Validates an operation from the REST API and plans it: the action (`Pending`, then
   * `In progress`), the transitional states it puts objects in, and the engine calls to make.
   * Statuses: 404 unknown object, 405 an operation this object cannot have on an engine, 409
   * terminating, 400 a bad scale target.
   */
  beginOperation(request: OperationRequest): OperationPlan {
    const fail = (status: 400 | 404 | 405 | 409, detail: string): OperationPlan => ({ result: { ok: false, status, detail }, events: [], jobs: [] });
    const { type, uuid, operation } = request;
    if (request.namespace !== this.namespace) return fail(404, 'Not found.');
    if (type !== 'stack' && type !== 'service' && type !== 'container') {
      return fail(405, `Method not allowed: a ${type} has no ${operation} operation.`);
    }
    const object = this.store[type].get(uuid);
    if (!object) return fail(404, 'Not found.');
    if (TERMINAL_STATES.has(object.state)) return fail(409, `The ${type} is being terminated.`);
    const identity = this.identities.get(object.resource_uri);
    if (!identity) return fail(404, 'Not found.');
    const plan = this.planOperation(type, identity.key, operation, request.targetNumContainers);
    if ('status' in plan) return fail(plan.status, plan.detail);

    const now = this.now();
    this.flushNow = now;
    const actionUuid = this.randomUuid();
    const parents = [object.resource_uri, ...this.parentsOf(object.resource_uri)];
    const pending: RestAction = {
      uuid: actionUuid,
      resource_uri: resourceUriFor('action', actionUuid, null),
      state: 'Pending',
      object: object.resource_uri,
      action: actionNameOf(type, operation),
      method: request.method,
      path: request.path,
      start_date: null,
      end_date: null,
      user: request.user,
      is_user_action: true,
      can_be_canceled: false,
    };
    const inProgress: RestAction = { ...pending, state: 'In progress', start_date: this.restDate(now) };
    this.store.action.set(actionUuid, inProgress);
    this.parentsByUri.set(inProgress.resource_uri, parents);
    this.pruneActions();
    const record: ActionRecord = { uuid: actionUuid, parents, jobsDone: plan.jobs.length === 0, overlays: new Set() };
    this.openActions.set(actionUuid, record);
    for (const { uri, overlay } of plan.overlays) {
      this.setOverlay(uri, { ...overlay, action: actionUuid });
      record.overlays.add(uri);
      const identity = this.identities.get(uri);
      if (identity) this.dirty[identity.type].add(identity.key);
    }
    this.actionsToCheck.add(actionUuid);
    const datetime = this.eventDatetime(now);
    const prefix = [
      this.event('action', 'create', pending.resource_uri, 'Pending', parents, datetime),
      this.event('action', 'update', pending.resource_uri, 'In progress', parents, datetime),
    ];
    return { result: { ok: true, action: inProgress }, events: this.flush(prefix), jobs: plan.jobs };
  }

  /**
   * Every engine call of an action has returned. With failures the action fails at once and its
   * objects drop their transitional states; otherwise it succeeds when they have all settled.
   */
  jobsDone(actionUuid: string, failures: readonly string[]): MapperOutput {
    const record = this.openActions.get(actionUuid);
    if (!record) return { events: [], effects: [] };
    record.jobsDone = true;
    if (failures.length > 0) {
      for (const uri of [...record.overlays]) {
        const overlay = this.overlays.get(uri);
        if (overlay) this.endOverlay(uri, overlay);
        const identity = this.identities.get(uri);
        if (identity) this.dirty[identity.type].add(identity.key);
      }
      this.openActions.delete(actionUuid);
      this.flushNow = this.now();
      const events = this.flush();
      events.push(...this.finishAction(record, 'Failed'));
      return { events, effects: [] };
    }
    this.actionsToCheck.add(actionUuid);
    return { events: this.flush(), effects: [] };
  }

  private planOperation(
    type: 'stack' | 'service' | 'container',
    key: string,
    operation: OperationName,
    target: number | undefined,
  ): { overlays: { uri: string; overlay: Omit<Overlay, 'action' | 'deadline'> }[]; jobs: EngineJob[] } | { status: 400 | 405; detail: string } {
    const overlays: { uri: string; overlay: Omit<Overlay, 'action' | 'deadline'> }[] = [];
    const jobs: EngineJob[] = [];
    const containerOp = (cid: string, op: Exclude<OperationName, 'scale'>) => {
      const c = this.containers.get(cid);
      if (!c) return;
      const uri = this.uri('container', cid);
      switch (op) {
        case 'start':
          if (isUp(c.status)) return;
          overlays.push({ uri, overlay: { state: 'Starting', until: 'running' } });
          jobs.push({ kind: 'container-start', id: cid });
          return;
        case 'stop':
          if (!isUp(c.status)) return;
          overlays.push({ uri, overlay: { state: 'Stopping', until: 'down' } });
          jobs.push({ kind: 'container-stop', id: cid });
          return;
        case 'redeploy':
          overlays.push({ uri, overlay: { state: isUp(c.status) ? 'Stopping' : 'Starting', until: 'restarted', startedAt: c.startedAt } });
          jobs.push({ kind: 'container-restart', id: cid });
          return;
        case 'terminate':
          overlays.push({ uri, overlay: { state: 'Terminating', until: 'gone' } });
          jobs.push({ kind: 'container-remove', id: cid });
          return;
      }
    };
    const groupOp = (serviceKey: string, op: Exclude<OperationName, 'scale'>) => {
      for (const cid of this.serviceContainers.get(serviceKey) ?? []) containerOp(cid, op);
      const state = { start: 'Starting', stop: 'Stopping', redeploy: 'Redeploying', terminate: 'Terminating' } as const;
      overlays.push({ uri: this.uri('service', serviceKey), overlay: { state: state[op], until: op === 'terminate' ? 'gone' : 'children-done' } });
    };
    const notAllowed = (detail: string) => ({ status: 405 as const, detail });

    if (type === 'container') {
      if (operation === 'scale') return notAllowed('Method not allowed: a container has no scale operation.');
      containerOp(key, operation);
      return { overlays, jobs };
    }

    if (type === 'service') {
      const record = this.services.get(key);
      if (!record) return notAllowed('Method not allowed: the service is gone.');
      const uri = this.uri('service', key);
      if (record.origin === 'labels') {
        if (operation === 'scale') {
          return notAllowed('Method not allowed: a service known only from its containers (Compose, or a swarm worker) cannot be scaled through the engine API.');
        }
        groupOp(key, operation);
        return { overlays, jobs };
      }
      const id = record.service.id;
      switch (operation) {
        case 'start':
        case 'stop':
          return notAllowed(`Method not allowed: a swarm service cannot be ${operation === 'start' ? 'started' : 'stopped'}; scale it instead.`);
        case 'scale': {
          if (record.service.mode === 'global') return notAllowed('Method not allowed: a global swarm service runs one container per node and cannot be scaled.');
          if (target === undefined || !Number.isInteger(target) || target < 0) {
            return { status: 400, detail: 'target_num_containers must be a whole number ≥ 0.' };
          }
          overlays.push({ uri, overlay: { state: 'Scaling', until: 'settled', target } });
          jobs.push({ kind: 'service-scale', id, replicas: target });
          return { overlays, jobs };
        }
        case 'redeploy':
          overlays.push({ uri, overlay: { state: 'Redeploying', until: 'redeployed', old: this.runningOf(key) } });
          jobs.push({ kind: 'service-redeploy', id });
          return { overlays, jobs };
        case 'terminate':
          overlays.push({ uri, overlay: { state: 'Terminating', until: 'gone' } });
          jobs.push({ kind: 'service-remove', id });
          return { overlays, jobs };
      }
    }

    // A stack.
    const serviceKeys = [...(this.stackServices.get(key) ?? [])];
    const swarmServices = serviceKeys.map((k) => this.services.get(k)).filter((r): r is ServiceRecord => r?.origin === 'swarm' && !r.removed);
    const stackUri = this.uri('stack', key);
    switch (operation) {
      case 'scale':
        return notAllowed('Method not allowed: a stack has no scale operation; scale its services.');
      case 'start':
      case 'stop':
        if (swarmServices.length > 0) {
          return notAllowed(`Method not allowed: a stack of swarm services cannot be ${operation === 'start' ? 'started' : 'stopped'}; scale its services instead.`);
        }
        for (const k of serviceKeys) groupOp(k, operation);
        overlays.push({ uri: stackUri, overlay: { state: operation === 'start' ? 'Starting' : 'Stopping', until: 'children-done' } });
        return { overlays, jobs };
      case 'redeploy':
        for (const k of serviceKeys) {
          const record = this.services.get(k);
          if (!record || record.removed) continue;
          if (record.origin === 'labels') groupOp(k, 'redeploy');
          else {
            overlays.push({ uri: this.uri('service', k), overlay: { state: 'Redeploying', until: 'redeployed', old: this.runningOf(k) } });
            jobs.push({ kind: 'service-redeploy', id: record.service.id });
          }
        }
        overlays.push({ uri: stackUri, overlay: { state: 'Redeploying', until: 'children-done' } });
        return { overlays, jobs };
      case 'terminate':
        for (const k of serviceKeys) {
          const record = this.services.get(k);
          if (!record) continue;
          if (record.origin === 'labels') groupOp(k, 'terminate');
          else if (!record.removed) {
            overlays.push({ uri: this.uri('service', k), overlay: { state: 'Terminating', until: 'gone' } });
            jobs.push({ kind: 'service-remove', id: record.service.id });
          }
        }
        // Containers that carry the stack label but belong to no service.
        for (const cid of this.stackContainers.get(key) ?? []) if (this.containers.get(cid)?.serviceKey === null) containerOp(cid, 'terminate');
        overlays.push({ uri: stackUri, overlay: { state: 'Terminating', until: 'gone' } });
        return { overlays, jobs };
    }
  }

  // ---- engine events --------------------------------------------------------------------------------

  private onContainerEvent(event: EngineEvent): void {
    const { id, attributes, action } = event;
    let c = this.containers.get(id);
    if (action === 'destroy') {
      if (c) this.removeContainer(c);
      return;
    }
    if (!c) {
      // Missed its create (or it predates a listing that raced with it): the event's attributes
      // carry its name, image and every label, and the action tells roughly what it is doing.
      const status = FIRST_SEEN_STATUS.get(action);
      if (status === undefined) return;
      c = this.addContainer(containerFromEvent(event, status));
    }
    switch (action) {
      case 'create':
        return;
      case 'start':
        c.status = 'running';
        c.stopping = false;
        c.exitCode = null;
        c.startedAt = event.timeMs;
        break;
      case 'restart':
      case 'unpause':
        // Its `start` came first: a `restart` (or an `unpause` of a running container) changes nothing.
        if (c.status === 'running') return;
        if (c.status !== 'paused') c.startedAt ??= event.timeMs;
        c.status = 'running';
        c.stopping = false;
        c.exitCode = null;
        break;
      case 'die': {
        const code = Number(attributes.exitCode);
        c.status = 'exited';
        c.stopping = false;
        if (Number.isFinite(code)) c.exitCode = code;
        c.finishedAt = event.timeMs;
        break;
      }
      case 'stop':
        // `die` came first; a `stop` of a container still up means we missed it.
        if (!isUp(c.status)) return;
        c.status = 'exited';
        c.stopping = false;
        c.finishedAt = event.timeMs;
        break;
      case 'kill':
        if (!isUp(c.status) || c.stopping || !STOP_SIGNALS.has(attributes.signal ?? '')) return;
        c.stopping = true;
        break;
      case 'pause':
        c.status = 'paused';
        break;
      case 'rename':
        if (!attributes.name || attributes.name === c.name) return;
        c.name = attributes.name;
        if (c.serviceKey) this.memberUris.delete(c.serviceKey);
        break;
      default:
        return;
    }
    this.dirty.container.add(id);
  }

  private onServiceEvent(event: EngineEvent, effects: MapperEffect[]): void {
    if (!this.info?.swarm) {
      effects.push({ kind: 'resync', reason: 'a swarm service event from an engine we saw outside a swarm' });
      return;
    }
    if (!this.info.swarm.manager) return;
    const { id, attributes } = event;
    const key = `s:${id}`;
    const record = this.services.get(key);
    switch (event.action) {
      case 'create':
        this.pendingCreates.add(id);
        effects.push({ kind: 'inspect-service', id });
        return;
      case 'update': {
        if (record && record.origin === 'swarm' && !record.removed) {
          const uri = this.uri('service', key);
          const current = this.overlays.get(uri);
          const replicas = Number(attributes['replicas.new']);
          if (attributes['replicas.new'] !== undefined && Number.isInteger(replicas) && replicas >= 0) {
            this.services.set(key, { key, origin: record.origin, removed: record.removed, service: withReplicas(record.service, replicas) });
            if (!current || current.action === null) this.setOverlay(uri, { state: 'Scaling', until: 'settled', action: null });
          }
          const update = attributes['updatestate.new'];
          if ((update === 'updating' || update === 'rollback_started') && !current) {
            this.setOverlay(uri, { state: 'Redeploying', until: 'redeployed', action: null, old: this.runningOf(key) });
          } else if (update && update !== 'updating' && update !== 'rollback_started' && current?.action === null && current.state === 'Redeploying') {
            this.endOverlay(uri, current);
          }
          this.dirty.service.add(key);
        }
        effects.push({ kind: 'inspect-service', id });
        return;
      }
      case 'remove':
        this.pendingCreates.delete(id);
        if (record) this.markServiceRemoved(record);
        return;
    }
  }

  private onNodeEvent(event: EngineEvent, effects: MapperEffect[]): void {
    if (!this.info?.swarm) {
      effects.push({ kind: 'resync', reason: 'a swarm node event from an engine we saw outside a swarm' });
      return;
    }
    if (!this.info.swarm.manager) return;
    const { id, attributes } = event;
    if (event.action === 'remove') {
      this.nodes.delete(id);
      this.dirty.node.add(id);
      this.dirty.nodecluster.add(clusterKeyOf(this.info));
      return;
    }
    const known = this.nodes.get(id);
    const state = attributes['state.new'];
    if (known && state && state !== known.state) {
      this.nodes.set(id, {
        id,
        hostname: known.hostname,
        state,
        engineVersion: known.engineVersion,
        cpus: known.cpus,
        memoryBytes: known.memoryBytes,
        updatedAt: known.updatedAt,
      });
      this.dirty.node.add(id);
    }
    effects.push({ kind: 'inspect-node', id });
  }

  // ---- the engine model ------------------------------------------------------------------------------

  private nodeKeys(): string[] {
    if (!this.info) return [];
    return this.info.swarm?.manager ? [...this.nodes.keys()] : [localNodeKeyOf(this.info)];
  }

  /** A container the mapper did not know: it joins its service, stack and node. */
  private addContainer(container: EngineContainer): ContainerRecord {
    const info = this.info as EngineInfo;
    const { placement } = container;
    const serviceKey = placement.swarmServiceId
      ? `s:${placement.swarmServiceId}`
      : placement.composeProject
        ? `c:${placement.composeProject}/${placement.composeService}`
        : null;
    const nodeKey = placement.swarmNodeId ?? localNodeKeyOf(info);
    const { uuid, uri } = this.id('container', container.id);
    // A literal, not a spread: one hidden class for every record, so reading them stays fast.
    const record: ContainerRecord = {
      id: container.id,
      name: container.name,
      image: container.image,
      status: container.status,
      stopping: container.stopping,
      exitCode: container.exitCode,
      startedAt: container.startedAt,
      finishedAt: container.finishedAt,
      placement: container.placement,
      uuid,
      uri,
      serviceKey,
      nodeKey,
      counted: countedAs(container.status),
      serviceUri: serviceKey ? this.uri('service', serviceKey) : null,
      nodeUri: this.uri('node', nodeKey),
      parents: this.containerParents(serviceKey, placement.stack, nodeKey, info),
    };
    this.containers.set(container.id, record);
    this.dirty.container.add(container.id);
    // A new member: everything that counts it changes.
    if (serviceKey) {
      addTo(this.serviceContainers, serviceKey, container.id);
      this.memberUris.delete(serviceKey);
      if (!this.services.has(serviceKey)) {
        const swarm = placement.swarmServiceId !== null;
        this.putService({
          key: serviceKey,
          origin: 'labels',
          // On a manager every live swarm service is listed: one we do not know was removed.
          removed: swarm && info.swarm?.manager === true,
          service: {
            id: swarm ? (placement.swarmServiceId as string) : serviceKey,
            name: (swarm ? placement.swarmServiceName : placement.composeService) ?? serviceKey,
            image: container.image,
            stack: placement.stack,
            mode: 'replicated',
            replicas: null,
            createdAt: null,
          },
        });
      }
      this.dirty.service.add(serviceKey);
    }
    if (placement.stack) {
      addTo(this.stackContainers, placement.stack, container.id);
      this.dirty.stack.add(placement.stack);
    }
    addTo(this.nodeContainers, nodeKey, container.id);
    this.dirty.node.add(nodeKey);
    return record;
  }

  private removeContainer(record: ContainerRecord): void {
    this.containers.delete(record.id);
    this.dirty.container.add(record.id);
    if (record.serviceKey) {
      removeFrom(this.serviceContainers, record.serviceKey, record.id);
      this.memberUris.delete(record.serviceKey);
      this.dirty.service.add(record.serviceKey);
      const service = this.services.get(record.serviceKey);
      if (service && (service.removed || service.origin === 'labels') && !this.serviceContainers.has(record.serviceKey)) this.dropService(service);
    }
    if (record.placement.stack) {
      removeFrom(this.stackContainers, record.placement.stack, record.id);
      this.dirty.stack.add(record.placement.stack);
    }
    removeFrom(this.nodeContainers, record.nodeKey, record.id);
    this.dirty.node.add(record.nodeKey);
  }

  private putService(record: ServiceRecord): void {
    const known = this.services.get(record.key);
    this.services.set(record.key, record);
    this.dirty.service.add(record.key);
    const before = known?.service.stack ?? null;
    const after = record.service.stack;
    if (known && before === after) {
      // A stack's deployed_datetime is its oldest service's creation.
      if (after && known.service.createdAt !== record.service.createdAt) this.dirty.stack.add(after);
      return;
    }
    if (known && before) {
      removeFrom(this.stackServices, before, record.key);
      this.dirty.stack.add(before);
    }
    if (after) {
      addTo(this.stackServices, after, record.key);
      this.dirty.stack.add(after);
    }
  }

  private markServiceRemoved(record: ServiceRecord): void {
    const uri = this.uri('service', record.key);
    const overlay = this.overlays.get(uri);
    if (overlay && overlay.until !== 'gone') this.endOverlay(uri, overlay);
    if (!this.serviceContainers.has(record.key)) this.dropService(record);
    else if (!record.removed) this.putService({ key: record.key, origin: record.origin, removed: true, service: record.service });
    this.dirty.service.add(record.key);
  }

  private dropService(record: ServiceRecord): void {
    this.services.delete(record.key);
    this.dirty.service.add(record.key);
    const stack = record.service.stack;
    if (stack) {
      removeFrom(this.stackServices, stack, record.key);
      this.dirty.stack.add(stack);
    }
  }

  /** The ids of the service's containers that are up now. */
  private runningOf(serviceKey: string): ReadonlySet<string> {
    const running = new Set<string>();
    for (const cid of this.serviceContainers.get(serviceKey) ?? []) {
      const c = this.containers.get(cid);
      if (c && isUp(c.status)) running.add(cid);
    }
    return running;
  }

  // ---- overlays ------------------------------------------------------------------------------------

  private setOverlay(uri: string, overlay: Omit<Overlay, 'deadline'>): void {
    const previous = this.overlays.get(uri);
    if (previous) this.endOverlay(uri, previous);
    const deadline = this.now() + this.settleTimeoutMs;
    this.overlays.set(uri, {
      state: overlay.state,
      until: overlay.until,
      action: overlay.action,
      deadline,
      ...(overlay.target !== undefined ? { target: overlay.target } : {}),
      ...(overlay.old !== undefined ? { old: overlay.old } : {}),
      ...(overlay.startedAt !== undefined ? { startedAt: overlay.startedAt } : {}),
    });
  }

  /** Ends a transitional state; the others of its action may now be done, so they are re-derived. */
  private endOverlay(uri: string, overlay: Overlay): void {
    if (this.overlays.get(uri) === overlay) this.overlays.delete(uri);
    if (overlay.action === null) return;
    const record = this.openActions.get(overlay.action);
    if (!record) return;
    record.overlays.delete(uri);
    this.actionsToCheck.add(record.uuid);
    for (const other of record.overlays) {
      const identity = this.identities.get(other);
      if (identity) this.dirty[identity.type].add(identity.key);
    }
  }

  /** The live overlay of `uri`, ending it first if its deadline passed or `done` holds. */
  private overlayOf(uri: string, done: (overlay: Overlay) => boolean): Overlay | undefined {
    const overlay = this.overlays.get(uri);
    if (!overlay) return undefined;
    if (this.flushNow >= overlay.deadline || done(overlay)) {
      this.endOverlay(uri, overlay);
      return undefined;
    }
    return overlay;
  }

  private childrenDone(overlay: Overlay, self: string): boolean {
    if (overlay.action === null) return true;
    const record = this.openActions.get(overlay.action);
    if (!record) return true;
    for (const uri of record.overlays) {
      if (uri === self) continue;
      if (this.overlays.get(uri)?.until !== 'children-done') return false;
    }
    return true;
  }

  // ---- deriving the Docker Cloud objects -------------------------------------------------------------

  private id(type: Kind, key: string): { readonly uuid: string; readonly uri: string } {
    const cache = this.ids[type];
    let id = cache.get(key);
    if (id === undefined) {
      const name = type === 'nodecluster' ? key : key.startsWith('c:') ? `compose:${key.slice(2)}` : key.startsWith('s:') ? key.slice(2) : key;
      const uuid = dockerUuid(type, name);
      id = { uuid, uri: resourceUriFor(type, uuid, this.namespace) };
      cache.set(key, id);
    }
    return id;
  }

  private uuidOf(type: Kind, key: string): string {
    return this.id(type, key).uuid;
  }

  private uri(type: Kind, key: string): string {
    return this.id(type, key).uri;
  }

  private deriveContainer(key: string, uri: string): RestContainer | undefined {
    const c = this.containers.get(key);
    if (!c) return undefined;
    const overlay = !this.overlays.has(uri) ? undefined : this.overlayOf(uri, (o) => {
      switch (o.until) {
        case 'running':
          return c.status === 'running' && !c.stopping;
        case 'down':
          return !isUp(c.status) && c.status !== 'restarting';
        case 'restarted':
          return c.status === 'running' && !c.stopping && c.startedAt !== o.startedAt;
        default:
          return false;
      }
    });
    let state: StateOf<'container'> = containerStateOf(c.status, c.stopping);
    if (overlay) {
      state = overlay.until === 'restarted' ? (isUp(c.status) && c.startedAt === overlay.startedAt ? 'Stopping' : 'Starting') : (overlay.state as StateOf<'container'>);
    }
    const down = isDown(c.status);
    return {
      uuid: c.uuid,
      resource_uri: uri,
      state,
      name: c.name,
      image_name: c.image,
      service: c.serviceUri,
      node: c.nodeUri,
      exit_code: down ? c.exitCode : null,
      started_datetime: c.startedAt === null ? null : this.restDate(c.startedAt),
      stopped_datetime: down && c.finishedAt !== null ? this.restDate(c.finishedAt) : null,
    };
  }

  private deriveService(key: string, uri: string, uuid: string): RestService | undefined {
    const record = this.services.get(key);
    if (!record) return undefined;
    let members = 0;
    let running = 0;
    let stopped = 0;
    let starting = 0;
    const ids = this.serviceContainers.get(key);
    for (const cid of ids ?? []) {
      const c = this.containers.get(cid);
      if (!c) continue;
      members++;
      if (isUp(c.status)) running++;
      else if (isDown(c.status)) stopped++;
      else if (c.status === 'created' || c.status === 'restarting') starting++;
    }
    const { service } = record;
    const restingTarget = record.removed ? 0 : record.origin === 'labels' ? members : (service.replicas ?? this.readyNodes());
    const overlay = !this.overlays.has(uri) ? undefined : this.overlayOf(uri, (o) => {
      const target = o.target ?? restingTarget;
      switch (o.until) {
        case 'settled':
          return running === target;
        case 'redeployed': {
          if (running !== target) return false;
          for (const cid of ids ?? []) if (o.old?.has(cid) && isUp((this.containers.get(cid) as ContainerRecord).status)) return false;
          return true;
        }
        case 'children-done':
          return this.childrenDone(o, uri);
        default:
          return false;
      }
    });
    const target = overlay?.target ?? restingTarget;
    const state: StateOf<'service'> = overlay
      ? (overlay.state as StateOf<'service'>)
      : record.removed
        ? 'Terminating'
        : record.origin === 'labels'
          ? labelServiceStateOf(members, running, starting)
          : swarmServiceStateOf(target, running);
    return {
      uuid,
      resource_uri: uri,
      state,
      name: service.name,
      image_name: service.image || this.firstImage(ids),
      stack: service.stack ? this.uri('stack', service.stack) : null,
      containers: this.membersOf(key, ids),
      target_num_containers: target,
      current_num_containers: members,
      running_num_containers: running,
      stopped_num_containers: stopped,
    };
  }

  private membersOf(key: string, ids: ReadonlySet<string> | undefined): readonly string[] {
    let uris = this.memberUris.get(key);
    if (uris === undefined) {
      const members: ContainerRecord[] = [];
      for (const cid of ids ?? []) {
        const c = this.containers.get(cid);
        if (c) members.push(c);
      }
      uris = members.sort(byName).map((c) => c.uri);
      this.memberUris.set(key, uris);
    }
    return uris;
  }

  private firstImage(ids: ReadonlySet<string> | undefined): string {
    for (const cid of ids ?? []) {
      const c = this.containers.get(cid);
      if (c?.image) return c.image;
    }
    return '';
  }

  private deriveStack(name: string, uri: string, uuid: string): RestStack | undefined {
    const serviceKeys = this.stackServices.get(name);
    const containers = this.stackContainers.get(name);
    if (!serviceKeys && !containers) return undefined;
    const services: string[] = [];
    const states: string[] = [];
    let deployed: number | null = null;
    for (const key of serviceKeys ?? []) {
      const object = this.store.service.get(this.uuidOf('service', key));
      if (!object) continue;
      services.push(object.resource_uri);
      states.push(object.state);
      const createdAt = this.services.get(key)?.service.createdAt ?? null;
      if (createdAt !== null && (deployed === null || createdAt < deployed)) deployed = createdAt;
    }
    services.sort();
    const overlay = !this.overlays.has(uri) ? undefined : this.overlayOf(uri, (o) => o.until === 'children-done' && this.childrenDone(o, uri));
    return {
      uuid,
      resource_uri: uri,
      state: overlay ? (overlay.state as StateOf<'stack'>) : stackStateOf(states),
      name,
      services,
      deployed_datetime: deployed === null ? null : this.restDate(deployed),
      destroyed_datetime: null,
    };
  }

  private readyNodes(): number {
    if (!this.info?.swarm?.manager) return 1;
    let ready = 0;
    for (const node of this.nodes.values()) if (node.state === 'ready') ready++;
    return ready;
  }

  private deriveNode(key: string, uri: string, uuid: string): RestNode | undefined {
    const info = this.info;
    if (!info) return undefined;
    let node: EngineNode | undefined;
    if (info.swarm?.manager) node = this.nodes.get(key);
    else if (key === localNodeKeyOf(info)) {
      node = {
        id: key,
        hostname: info.name,
        state: 'ready',
        engineVersion: info.version,
        cpus: info.cpus,
        memoryBytes: info.memoryBytes,
        updatedAt: null,
      };
    }
    if (!node) return undefined;
    const unreachable = (this.lost && key === localNodeKeyOf(info)) || node.state !== 'ready';
    return {
      uuid,
      resource_uri: uri,
      state: unreachable ? 'Unreachable' : 'Deployed',
      node_cluster: this.uri('nodecluster', clusterKeyOf(info)),
      external_fqdn: node.hostname,
      docker_version: node.engineVersion,
      cpu: node.cpus,
      memory: node.memoryBytes === null ? null : Math.round(node.memoryBytes / MIB),
      current_num_containers: this.nodeContainers.get(key)?.size ?? 0,
      last_seen: node.updatedAt === null ? null : this.restDate(node.updatedAt),
    };
  }

  private deriveCluster(key: string, uri: string, uuid: string): RestNodeCluster | undefined {
    const info = this.info;
    if (!info || key !== clusterKeyOf(info)) return undefined;
    const nodes: string[] = [];
    let deployed = 0;
    for (const nodeKey of this.nodeKeys()) {
      const node = this.store.node.get(this.uuidOf('node', nodeKey));
      if (!node) continue;
      nodes.push(node.resource_uri);
      if (node.state === 'Deployed') deployed++;
    }
    nodes.sort();
    return {
      uuid,
      resource_uri: uri,
      state: nodes.length === 0 ? 'Empty cluster' : deployed === nodes.length ? 'Deployed' : 'Partly deployed',
      name: info.swarm ? (info.swarm.clusterName ?? 'swarm') : info.name,
      nodes,
      target_num_nodes: nodes.length,
      current_num_nodes: deployed,
      region: null,
      node_type: null,
    };
  }

  private derive(type: Kind, key: string, uri: string, uuid: string): RestObject | undefined {
    switch (type) {
      case 'container':
        return this.deriveContainer(key, uri);
      case 'service':
        return this.deriveService(key, uri, uuid);
      case 'stack':
        return this.deriveStack(key, uri, uuid);
      case 'node':
        return this.deriveNode(key, uri, uuid);
      case 'nodecluster':
        return this.deriveCluster(key, uri, uuid);
    }
  }

  private parentsFor(type: Kind, key: string, object: RestObject): readonly string[] {
    // A container's parents are not core's (which takes the stack from the service): the stack
    // comes from the container's own label, so it holds while the service is unknown.
    if (type === 'container') return this.containers.get(key)?.parents ?? [];
    // The other kinds' parents are their own link fields: nothing to look up.
    return parentsOfRestObject(object, type, () => undefined);
  }

  /** Service, stack (from the container's own label: it holds while the service is unknown), node, node cluster. */
  private containerParents(serviceKey: string | null, stack: string | null, nodeKey: string, info: EngineInfo): readonly string[] {
    const parents: string[] = [];
    if (serviceKey) parents.push(this.uri('service', serviceKey));
    if (stack) parents.push(this.uri('stack', stack));
    parents.push(this.uri('node', nodeKey), this.uri('nodecluster', clusterKeyOf(info)));
    return parents;
  }

  // ---- flushing ----------------------------------------------------------------------------------------

  /**
   * Re-derives every dirty object, children before what counts them, and turns the differences into
   * events: creates parents first, then updates, then removals children first, then actions.
   */
  private flush(prefix: DockerCloudEvent[] = []): DockerCloudEvent[] {
    this.flushNow = this.now();
    const changes = this.changes;
    for (let pass = 0; pass < 8; pass++) {
      let work = false;
      for (const type of DERIVE_ORDER) {
        const keys = this.dirty[type];
        if (keys.size === 0) continue;
        work = true;
        for (let key = keys.next(); key !== undefined; key = keys.next()) this.refresh(type, key, changes);
      }
      if (!work) break;
    }

    const events = prefix;
    if (changes.count > 0) {
      const datetime = this.eventDatetime(this.flushNow);
      if (changes.creates > 0) {
        for (const type of CREATE_ORDER) {
          changes.eachCreated(type, (o) => events.push(this.event(type, 'create', o.resource_uri, o.state, this.parentsOf(o.resource_uri), datetime)));
        }
      }
      if (changes.updates > 0) {
        for (const type of UPDATE_ORDER) {
          changes.eachUpdated(type, (o) => events.push(this.event(type, 'update', o.resource_uri, o.state, this.parentsOf(o.resource_uri), datetime)));
        }
      }
      if (changes.removes > 0) {
        for (const type of REMOVE_ORDER) {
          changes.eachRemoved(type, (last) => {
            const uri = last.resource_uri;
            const parents = this.parentsOf(uri);
            if (last.state !== 'Terminated') events.push(this.event(type, 'update', uri, 'Terminated', parents, datetime));
            events.push(this.event(type, 'delete', uri, 'Terminated', parents, datetime));
            this.parentsByUri.delete(uri);
            changes.forget(uri);
          });
        }
      }
      changes.reset();
    }
    if (this.actionsToCheck.size > 0) {
      for (const uuid of this.actionsToCheck) {
        const record = this.openActions.get(uuid);
        if (record?.jobsDone && record.overlays.size === 0) {
          this.openActions.delete(uuid);
          events.push(...this.finishAction(record, 'Success'));
        }
      }
      this.actionsToCheck.clear();
    }
    return events;
  }

  /** Event dates have whole seconds: one formatting per second, not per event. */
  private eventDatetime(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.lastEventSecond) {
      this.lastEventSecond = second;
      this.lastEventDatetime = formatEventDatetime(second * 1000);
    }
    return this.lastEventDatetime;
  }

  /** REST dates have whole seconds too, and engine times repeat (a container's start, each derive). */
  private restDate(ms: number): string {
    const second = Math.floor(ms / 1000);
    let text = this.restDates.get(second);
    if (text === undefined) {
      if (this.restDates.size >= 4096) this.restDates.clear();
      text = formatRestDate(second * 1000);
      this.restDates.set(second, text);
    }
    return text;
  }

  private refresh(type: Kind, key: string, changes: ChangeLog): void {
    const { uuid, uri } = (type === 'container' ? this.containers.get(key) : undefined) ?? this.id(type, key);
    const next = this.derive(type, key, uri, uuid);
    const store = this.store[type] as Map<string, RestObject>;
    const previous = store.get(uuid);
    if (!next) {
      const overlay = this.overlays.get(uri);
      if (overlay) this.endOverlay(uri, overlay);
      if (!previous) return;
      store.delete(uuid);
      this.identities.delete(uri);
      if (type === 'container' || type === 'service') this.ids[type].delete(key);
      this.dirty[type].forget(key);
      // Born and gone within one flush: clients never heard of it.
      if (!changes.remove(type, previous)) {
        this.parentsByUri.delete(uri);
        changes.forget(uri);
      }
      this.propagate(type, key, previous);
      return;
    }
    if (type === 'container') this.recount(key);
    if (previous && sameObject(previous, next)) return;
    store.set(uuid, next);
    const before = this.parentsByUri.get(uri);
    // Parents follow from the links (service, stack, node, node cluster), which seldom change.
    const parents = before && previous && sameLinks(previous, next) ? before : this.parentsFor(type, key, next);
    if (parents !== before) this.parentsByUri.set(uri, parents);
    if (!previous) {
      this.identities.set(uri, { type, key });
      changes.create(type, next);
    } else changes.update(type, next, isNews(previous, next, before, parents));
    // What aggregates an object counts its state (its membership is marked where it changes).
    if (type !== 'container' && (!previous || previous.state !== next.state)) this.propagate(type, key, next);
  }

  /**
   * A service counts its containers as running, stopped or starting, by their engine status (a
   * stop under way, or a Terminating container still up, counts as before): it is re-derived only
   * when that changes.
   */
  private recount(key: string): void {
    const c = this.containers.get(key);
    if (!c?.serviceKey) return;
    const counted = countedAs(c.status);
    if (counted === c.counted) return;
    c.counted = counted;
    this.dirty.service.add(c.serviceKey);
  }

  /** A changed object changes what aggregates it. */
  private propagate(type: Kind, key: string, object: RestObject): void {
    switch (type) {
      case 'container':
        // Removed (recount covers the living): removeContainer marked its service already.
        return;
      case 'service': {
        const stack = this.services.get(key)?.service.stack;
        if (stack) this.dirty.stack.add(stack);
        else {
          const uri = (object as RestService).stack;
          if (uri) this.markByUri(uri);
        }
        return;
      }
      case 'node':
        if (this.info) this.dirty.nodecluster.add(clusterKeyOf(this.info));
        return;
      case 'stack':
      case 'nodecluster':
        return;
    }
  }

  private markByUri(uri: string): void {
    const identity = this.identities.get(uri);
    if (identity) this.dirty[identity.type].add(identity.key);
  }

  private finishAction(record: ActionRecord, state: 'Success' | 'Failed'): DockerCloudEvent[] {
    const action = this.store.action.get(record.uuid);
    if (!action) return [];
    const finished: RestAction = { ...action, state, end_date: this.restDate(this.flushNow) };
    this.store.action.set(record.uuid, finished);
    return [this.event('action', 'update', finished.resource_uri, state, record.parents, this.eventDatetime(this.flushNow))];
  }

  /** Keeps the newest finished actions; open ones are never dropped. */
  private pruneActions(): void {
    const actions = this.store.action;
    if (actions.size <= this.maxActions) return;
    for (const uuid of actions.keys()) {
      if (actions.size <= this.maxActions) break;
      if (this.openActions.has(uuid)) continue;
      actions.delete(uuid);
      this.parentsByUri.delete(resourceUriFor('action', uuid, null));
    }
  }

  private event(type: ObjectType, action: EventAction, uri: string, state: State, parents: readonly string[], datetime: string): DockerCloudEvent {
    return { type, action, parents, resource_uri: uri, state, uuid: this.randomUuid(), datetime };
  }
}

// ---- helpers ------------------------------------------------------------------------------------------

/**
 * Whether a change is worth an `update` event: a new state, new parents or a new name. Counters,
 * member lists and dates change silently (the REST view has them), as Docker Cloud's stream and
 * the simulator do: consumers act on states, and a node's container count is no news.
 */
function isNews(previous: RestObject, next: RestObject, parentsBefore: readonly string[] | undefined, parents: readonly string[]): boolean {
  if (previous.state !== next.state) return true;
  if ((previous as { name?: unknown }).name !== (next as { name?: unknown }).name) return true;
  if (!parentsBefore || parentsBefore.length !== parents.length) return true;
  for (let i = 0; i < parents.length; i++) if (parents[i] !== parentsBefore[i]) return true;
  return false;
}

/** The fields an object's parents derive from. */
function sameLinks(a: RestObject, b: RestObject): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  return x.service === y.service && x.stack === y.stack && x.node === y.node && x.node_cluster === y.node_cluster;
}

function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  let set = index.get(key);
  if (!set) {
    set = new Set();
    index.set(key, set);
  }
  set.add(value);
}

function removeFrom(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

function byName(a: ContainerRecord, b: ContainerRecord): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.uuid < b.uuid ? -1 : 1;
}

/** A container first seen in an event: its attributes carry its name, image and every label. */
function containerFromEvent(event: EngineEvent, status: EngineContainerStatus): EngineContainer {
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
function withReplicas(service: EngineService, replicas: number | null): EngineService {
  return {
    id: service.id,
    name: service.name,
    image: service.image,
    stack: service.stack,
    mode: service.mode,
    replicas,
    createdAt: service.createdAt,
  };
}

/** What a container is doing when the first event we see of it is this action. */
const FIRST_SEEN_STATUS: ReadonlyMap<string, EngineContainerStatus> = new Map([
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
 * reconnect), and a stop already signalled stays `Stopping`.
 */
function mergeListed(previous: ContainerRecord | undefined, listed: EngineContainer): EngineContainer {
  if (!previous || previous.status !== listed.status) return listed;
  const close = (a: number | null, b: number | null) => a !== null && b !== null && Math.abs(a - b) < SAME_INSTANT_MS;
  return {
    ...listed,
    stopping: previous.stopping && isUp(listed.status),
    startedAt: close(previous.startedAt, listed.startedAt) || listed.startedAt === null ? previous.startedAt : listed.startedAt,
    finishedAt: close(previous.finishedAt, listed.finishedAt) || listed.finishedAt === null ? previous.finishedAt : listed.finishedAt,
    exitCode: listed.exitCode ?? previous.exitCode,
  };
}
