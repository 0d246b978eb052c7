import {
  type DockerCloudEvent,
  type EventAction,
  formatEventDatetime,
  formatRestDate,
  type ObjectType,
  type RestAction,
  type RestObject,
  type RestObjectByType,
  type RestService,
  type RestStack,
  resourceUriFor,
  type State,
} from '@events/core';
import { actionNameOf } from '../action-name-of.js';
import type { OperationRequest, OperationResult } from '../source.js';
import { ChangeLog, DirtyQueue } from './change-log.js';
import { containerParents, type DeriveView, deriveObject, parentsFor } from './docker-derive.js';
import {
  type EngineContainer,
  type EngineEvent,
  type EngineInfo,
  type EngineNode,
  type EngineSnapshot,
  parseEngineEvent,
  parseEngineNode,
  parseEngineService,
  parseInspectedContainer,
} from './docker-model.js';
import { type EngineJob, planOperation } from './docker-operations.js';
import {
  type ContainerRecord,
  clusterKeyOf,
  containerFromEvent,
  countedAs,
  FIRST_SEEN_STATUS,
  type Kind,
  localNodeKeyOf,
  mergeListed,
  nodeKeys,
  type Overlay,
  runningOf,
  type ServiceRecord,
  stopGraceOf,
  withReplicas,
} from './docker-records.js';
import { isUp } from './docker-states.js';
import { dockerUuid } from './docker-uuid.js';

// Deriving the REST objects lives in docker-derive.ts, planning operations in docker-operations.ts,
// and the records both read in docker-records.ts; this file keeps the state and everything that
// changes it: the inputs, the transitional states, the actions and the flush.

export type { EngineJob } from './docker-operations.js';
export { clusterKeyOf, localNodeKeyOf } from './docker-records.js';

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
  /** A container that appeared while we follow the engine: its stop timeout is in its inspect only. */
  | { readonly kind: 'inspect-container'; readonly id: string }
  | { readonly kind: 'inspect-service'; readonly id: string }
  | { readonly kind: 'inspect-node'; readonly id: string }
  | { readonly kind: 'resync'; readonly reason: string };

export interface MapperOutput {
  /** In emission order; the model already reflects all of them. */
  readonly events: DockerCloudEvent[];
  readonly effects: MapperEffect[];
}

export interface OperationPlan {
  readonly result: OperationResult;
  /** The action's `create` and the objects' transitional states. */
  readonly events: DockerCloudEvent[];
  /** Run them all, then report with {@link DockerMapper.jobsDone}. */
  readonly jobs: readonly EngineJob[];
}

// ---- internal types -------------------------------------------------------------------------------

/** The derived types, in the order they are derived: each depends only on those before it. */
const DERIVE_ORDER: readonly Kind[] = ['container', 'service', 'stack', 'node', 'nodecluster'];
/** Creates go out parents first, so a client never sees a child before its parent. */
const CREATE_ORDER: readonly Kind[] = ['nodecluster', 'node', 'stack', 'service', 'container'];
/** Updates: infrastructure first, then each object before the aggregates that count it. */
const UPDATE_ORDER: readonly Kind[] = ['node', 'nodecluster', 'container', 'service', 'stack'];
/** Removals go out children first. */
const REMOVE_ORDER: readonly Kind[] = ['container', 'service', 'stack', 'node', 'nodecluster'];

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
/** After the SIGKILL of a `docker stop` the container's `die` follows within moments. */
const STOP_MARGIN_MS = 5_000;

// ---- comparisons ----------------------------------------------------------------------------------

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
  /**
   * Containers `Stopping` since a `kill` with a stop signal, by id, and when the signal came. They
   * go back to `Running` if they still run at {@link killDeadline}. `docker stop` and `docker kill
   * -s TERM` send the same event; only the first is sure to end in a `die` (SIGKILL after the stop
   * timeout), so a container still up once that could have happened handled or ignored the
   * signal, as a fresh listing would say. The time is kept rather than the deadline: an inspect
   * may teach the container's stop timeout after its kill.
   */
  private readonly killedAt = new Map<string, number>();

  // The Docker Cloud view.
  private readonly store: Store = {
    nodecluster: new Map(),
    node: new Map(),
    stack: new Map(),
    service: new Map(),
    container: new Map(),
    action: new Map(),
  };
  /**
   * What the last flush removed, as clients last saw it: `get` still answers with it (state
   * `Terminated`) while that flush's `Terminated` and `delete` events go out, as the source
   * contract wants (a source's model reflects each event as it is emitted). That is when
   * retainTerminatedObjects copies an object to keep it readable after its delete; lists never
   * show it. Emptied by the next flush. Slots in arrays, copied only when read: Maps emptied at
   * every flush after a removal cost the replay benchmark a tenth of its speed.
   */
  private readonly removedObjects: (RestObject | undefined)[] = [];
  private readonly removedTypes: Kind[] = [];
  private removedCount = 0;
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
  /** This mapper as the derive and planning functions read it: built once, always current. */
  private readonly view: DeriveView;

  constructor(options: DockerMapperOptions) {
    this.namespace = options.namespace;
    this.now = options.now;
    this.randomUuid = options.randomUuid;
    this.settleTimeoutMs = options.settleTimeoutMs ?? 60_000;
    this.maxActions = options.maxActions ?? 1_000;
    this.view = this.createView();
  }

  // ---- reading ---------------------------------------------------------------------------------

  list<T extends ObjectType>(type: T): RestObjectByType[T][] {
    return [...(this.store[type] as Map<string, RestObjectByType[T]>).values()];
  }

  /** A live object; or, until the next input, one the last input removed (state `Terminated`). */
  get<T extends ObjectType>(type: T, uuid: string): RestObjectByType[T] | undefined {
    const live = (this.store[type] as Map<string, RestObjectByType[T]>).get(uuid);
    if (live !== undefined || this.removedCount === 0) return live;
    return this.removedObject(type, uuid) as RestObjectByType[T] | undefined;
  }

  /** The parents an event about this object carries (protocol.md §7). */
  parentsOf(uri: string): readonly string[] {
    return this.parentsByUri.get(uri) ?? [];
  }

  /** The earliest time at which {@link tick} has something to do, if any (a wait for ever has none). */
  nextDeadline(): number | undefined {
    let earliest: number | undefined;
    const consider = (deadline: number) => {
      if (Number.isFinite(deadline) && (earliest === undefined || deadline < earliest)) earliest = deadline;
    };
    for (const overlay of this.overlays.values()) consider(overlay.deadline);
    for (const [id, at] of this.killedAt) consider(this.killDeadline(id, at));
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
    // A kill's `Stopping` survives a re-list that still shows the container up (mergeListed), and with it its deadline.
    for (const id of this.killedAt.keys()) if (this.containers.get(id)?.stopping !== true) this.killedAt.delete(id);
    this.dirty.nodecluster.add(clusterKeyOf(snapshot.info));
    for (const key of nodeKeys(this.view)) this.dirty.node.add(key);
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
        this.onContainerEvent(event, effects);
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

  /**
   * The answer to an `inspect-container` effect: the container's JSON, or undefined when it is gone
   * (404; its `destroy` event tells). Only its stop timeout is taken: its state is the events' to
   * tell, and the inspect may be older or newer than the events mapped so far.
   */
  applyContainerInspect(id: string, json: unknown): MapperOutput {
    const c = this.containers.get(id);
    const inspected = json === undefined ? undefined : parseInspectedContainer(json);
    if (c && inspected && inspected.id === id) c.stopTimeoutMs = inspected.stopTimeoutMs ?? null;
    // Nothing clients see changes; a kill's deadline may have (the source re-arms its timer).
    return { events: [], effects: [] };
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
    for (const [id, at] of this.killedAt) {
      if (this.killDeadline(id, at) > now) continue;
      this.killedAt.delete(id);
      const c = this.containers.get(id);
      if (c?.stopping) {
        // Still up long after the signal: it handled or ignored it (a reload, a trapped SIGINT).
        c.stopping = false;
        this.dirty.container.add(id);
      }
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
    const plan = planOperation(this.view, type, identity.key, operation, request.targetNumContainers);
    if ('status' in plan) return fail(plan.status, plan.detail);

    const now = this.now();
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
    // Its objects stay in their transitional states as long as the engine may take to stop its containers.
    const holdMs = this.stopHoldOf(plan.jobs);
    for (const { uri, overlay } of plan.overlays) {
      this.setOverlay(uri, { ...overlay, action: actionUuid }, holdMs);
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
    // One clock reading for the action's start and the objects it changes (two could straddle a second).
    return { result: { ok: true, action: inProgress }, events: this.flush(prefix, now), jobs: plan.jobs };
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
      const events = this.flush();
      events.push(...this.finishAction(record, 'Failed'));
      return { events, effects: [] };
    }
    this.actionsToCheck.add(actionUuid);
    return { events: this.flush(), effects: [] };
  }

  // ---- engine events --------------------------------------------------------------------------------

  private onContainerEvent(event: EngineEvent, effects: MapperEffect[]): void {
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
      // Events do not carry its stop timeout (`--stop-timeout`), which a kill's deadline needs.
      effects.push({ kind: 'inspect-container', id });
    }
    switch (action) {
      case 'create':
        return;
      case 'start':
        c.status = 'running';
        this.notStopping(c);
        c.exitCode = null;
        c.startedAt = event.timeMs;
        break;
      case 'restart':
      case 'unpause':
        // Its `start` came first: a `restart` (or an `unpause` of a running container) changes nothing.
        if (c.status === 'running') return;
        if (c.status !== 'paused') c.startedAt ??= event.timeMs;
        c.status = 'running';
        this.notStopping(c);
        c.exitCode = null;
        break;
      case 'die': {
        const code = Number(attributes.exitCode);
        c.status = 'exited';
        this.notStopping(c);
        if (Number.isFinite(code)) c.exitCode = code;
        c.finishedAt = event.timeMs;
        break;
      }
      case 'stop':
        // `die` came first; a `stop` of a container still up means we missed it.
        if (!isUp(c.status)) return;
        c.status = 'exited';
        this.notStopping(c);
        c.finishedAt = event.timeMs;
        break;
      case 'kill':
        if (!isUp(c.status) || c.stopping || !STOP_SIGNALS.has(attributes.signal ?? '')) return;
        c.stopping = true;
        this.killedAt.set(id, this.now());
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
            // A scale down stops containers: swarm gives each its service's grace period.
            if (!current || current.action === null) this.setOverlay(uri, { state: 'Scaling', until: 'settled', action: null }, this.serviceStopHold(key, replicas));
          }
          const update = attributes['updatestate.new'];
          if ((update === 'updating' || update === 'rollback_started') && !current) {
            this.setOverlay(uri, { state: 'Redeploying', until: 'redeployed', action: null, old: runningOf(this.view, key) });
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
      stopTimeoutMs: container.stopTimeoutMs ?? null,
      uuid,
      uri,
      serviceKey,
      nodeKey,
      counted: countedAs(container.status),
      serviceUri: serviceKey ? this.uri('service', serviceKey) : null,
      nodeUri: this.uri('node', nodeKey),
      parents: containerParents(this.view, serviceKey, placement.stack, nodeKey, info),
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
            stopGracePeriodMs: null,
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

  /** The container died, stopped or started: a kill's `Stopping` is over. */
  private notStopping(c: ContainerRecord): void {
    if (!c.stopping) return;
    c.stopping = false;
    this.killedAt.delete(c.id);
  }

  /**
   * When a container signalled at `at` that still runs goes back to `Running`: once a `docker stop`
   * of it would have reached its SIGKILL and `die` (its stop timeout and a margin), and not before
   * the settle timeout, how long any transitional state may wait. Never, for a container whose
   * `docker stop` waits for ever.
   */
  private killDeadline(id: string, at: number): number {
    const c = this.containers.get(id);
    const grace = c ? stopGraceOf(this.view, c) + STOP_MARGIN_MS : 0;
    return at + Math.max(this.settleTimeoutMs, grace);
  }

  /**
   * How long the engine may take to stop what these jobs stop, plus the margin: a stop or restart
   * waits for its container's stop timeout, and a swarm scale, update or removal stops tasks after
   * their service's grace period. 0 for jobs that stop nothing (a start, a `docker rm -f`).
   */
  private stopHoldOf(jobs: readonly EngineJob[]): number {
    let hold = 0;
    for (const job of jobs) {
      switch (job.kind) {
        case 'container-stop':
        case 'container-restart': {
          const c = this.containers.get(job.id);
          if (c) hold = Math.max(hold, stopGraceOf(this.view, c) + STOP_MARGIN_MS);
          break;
        }
        case 'service-scale':
          hold = Math.max(hold, this.serviceStopHold(`s:${job.id}`, job.replicas));
          break;
        case 'service-redeploy':
        case 'service-remove':
          hold = Math.max(hold, this.serviceStopHold(`s:${job.id}`));
          break;
        case 'container-start':
        case 'container-remove':
          break;
      }
    }
    return hold;
  }

  /**
   * The longest grace any running container of the service gets when swarm stops it, plus the
   * margin; 0 when none runs, or when a scale to `replicas` stops none (a scale up).
   */
  private serviceStopHold(serviceKey: string, replicas = 0): number {
    let hold = 0;
    let up = 0;
    for (const cid of this.serviceContainers.get(serviceKey) ?? []) {
      const c = this.containers.get(cid);
      if (!c || !isUp(c.status)) continue;
      up++;
      hold = Math.max(hold, stopGraceOf(this.view, c) + STOP_MARGIN_MS);
    }
    return up > replicas ? hold : 0;
  }

  private removeContainer(record: ContainerRecord): void {
    this.containers.delete(record.id);
    this.killedAt.delete(record.id);
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

  // ---- overlays ------------------------------------------------------------------------------------

  /**
   * Puts an object in a transitional state until its condition holds, or until the settle timeout
   * has passed, or `holdMs` if that is longer (the time its containers may take to stop; Infinity
   * holds it until the condition).
   */
  private setOverlay(uri: string, overlay: Omit<Overlay, 'deadline'>, holdMs = 0): void {
    const previous = this.overlays.get(uri);
    if (previous) this.endOverlay(uri, previous);
    const deadline = this.now() + Math.max(this.settleTimeoutMs, holdMs);
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

  // ---- identities, and the view deriving reads (docker-derive.ts) -----------------------------------

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

  /**
   * The maps are handed over as they are (they are never replaced, only changed); `info` and
   * `lost` are reassigned, so they are read through getters.
   */
  private createView(): DeriveView {
    return new DockerMapper.View(this);
  }

  /**
   * What docker-derive.ts reads of a mapper. One class for every mapper, its methods on the
   * prototype: a view built per mapper from an object literal with getters and arrow functions
   * gave every mapper's view its own hidden class and closures, and the deriving functions' call
   * sites went megamorphic (a first listing of 1,000 containers took 7 ms instead of 2.7 in
   * bench/docker-mapper.bench.ts, which makes a mapper per listing). Declared in the class body so
   * that it may read the mapper's private members.
   */
  private static readonly View = class MapperView implements DeriveView {
    readonly nodes: DeriveView['nodes'];
    readonly services: DeriveView['services'];
    readonly containers: DeriveView['containers'];
    readonly serviceContainers: DeriveView['serviceContainers'];
    readonly stackContainers: DeriveView['stackContainers'];
    readonly nodeContainers: DeriveView['nodeContainers'];
    readonly stackServices: DeriveView['stackServices'];
    readonly restServices: DeriveView['restServices'];
    readonly restNodes: DeriveView['restNodes'];
    readonly overlays: DeriveView['overlays'];
    readonly memberUris: DeriveView['memberUris'];

    constructor(private readonly mapper: DockerMapper) {
      this.nodes = mapper.nodes;
      this.services = mapper.services;
      this.containers = mapper.containers;
      this.serviceContainers = mapper.serviceContainers;
      this.stackContainers = mapper.stackContainers;
      this.nodeContainers = mapper.nodeContainers;
      this.stackServices = mapper.stackServices;
      this.restServices = mapper.store.service;
      this.restNodes = mapper.store.node;
      this.overlays = mapper.overlays;
      this.memberUris = mapper.memberUris;
    }

    get info(): EngineInfo | null {
      return this.mapper.info;
    }

    get lost(): boolean {
      return this.mapper.lost;
    }

    uri(type: Kind, key: string): string {
      return this.mapper.uri(type, key);
    }

    uuidOf(type: Kind, key: string): string {
      return this.mapper.uuidOf(type, key);
    }

    restDate(ms: number): string {
      return this.mapper.restDate(ms);
    }

    overlayOf(uri: string, done: (overlay: Overlay) => boolean): Overlay | undefined {
      return this.mapper.overlayOf(uri, done);
    }

    childrenDone(overlay: Overlay, self: string): boolean {
      return this.mapper.childrenDone(overlay, self);
    }
  };

  // ---- flushing ----------------------------------------------------------------------------------------

  /**
   * Re-derives every dirty object, children before what counts them, and turns the differences into
   * events: creates parents first, then updates, then removals children first, then actions.
   */
  private flush(prefix: DockerCloudEvent[] = [], now: number = this.now()): DockerCloudEvent[] {
    this.flushNow = now;
    const changes = this.changes;
    if (this.removedCount > 0) {
      // Their events went out with the last flush.
      for (let i = 0; i < this.removedCount; i++) this.removedObjects[i] = undefined;
      this.removedCount = 0;
    }
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
            this.removedTypes[this.removedCount] = type;
            this.removedObjects[this.removedCount++] = last;
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

  /**
   * An object the last flush removed, as its `Terminated` event shows it: its last fields, and a
   * stack's destruction dated (still the removal's flush: the next one forgets them). A linear
   * search: read once per removal (by the retention, at its `Terminated`), and a flush removes few.
   */
  private removedObject(type: ObjectType, uuid: string): RestObject | undefined {
    for (let i = 0; i < this.removedCount; i++) {
      const object = this.removedObjects[i] as RestObject;
      if (this.removedTypes[i] !== type || object.uuid !== uuid) continue;
      // No derived state is `Terminated`: one that is is the copy.
      if (object.state === 'Terminated') return object;
      const copy: RestObject =
        type === 'stack' ? { ...(object as RestStack), state: 'Terminated', destroyed_datetime: this.restDate(this.flushNow) } : ({ ...object, state: 'Terminated' } as RestObject);
      this.removedObjects[i] = copy;
      return copy;
    }
    return undefined;
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
    const next = deriveObject(this.view, type, key, uri, uuid);
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
    const parents = before && previous && sameLinks(previous, next) ? before : parentsFor(this.view, type, key, next);
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
