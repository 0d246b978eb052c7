import { type DockerCloudEvent, type ObjectType, type RestAction, type RestObjectByType, resourceUriFor } from '@events/core';
import { actionNameOf } from '../action-name-of.js';
import type { OperationRequest, OperationResult } from '../source.js';
import { DockerCloudView } from './docker-cloud-view.js';
import { Identities } from './identities.js';
import {
  type EngineEvent,
  type EngineSnapshot,
  parseEngineEvent,
  parseEngineNode,
  parseEngineService,
  parseInspectedContainer,
} from './docker-model.js';
import { type EngineJob, planOperation } from './docker-operations.js';
import {
  clusterKeyOf,
  containerFromEvent,
  FIRST_SEEN_STATUS,
  localNodeKeyOf,
  mergeListed,
  nodeKeys,
  runningOf,
  type ServiceRecord,
  withReplicas,
} from './docker-records.js';
import { isUp } from './docker-states.js';
import { EngineRecords } from './engine-records.js';
import { Transitions } from './transitions.js';

// The mapper in parts: the engine as last seen (engine-records.ts), what is under way and its
// deadlines (transitions.ts), the Docker Cloud objects and the flush that derives them
// (docker-cloud-view.ts), sharing names and dirty marks (identities.ts). Deriving one
// object lives in docker-derive.ts and planning operations in docker-operations.ts. This file
// takes each input, changes the parts, and flushes.

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

const TERMINAL_STATES = new Set<string>(['Terminating', 'Terminated']);
/** Signals whose `kill` event means the container is on its way down (docker stop, docker kill, Ctrl-C). */
const STOP_SIGNALS = new Set(['15', '9', '2', '3', 'SIGTERM', 'SIGKILL', 'SIGINT', 'SIGQUIT', 'TERM', 'KILL', 'INT', 'QUIT']);
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
  private readonly identities: Identities;
  private readonly records: EngineRecords;
  private readonly transitions: Transitions;
  private readonly cloud: DockerCloudView;

  constructor(options: DockerMapperOptions) {
    this.namespace = options.namespace;
    this.now = options.now;
    this.randomUuid = options.randomUuid;
    this.identities = new Identities(options.namespace);
    this.records = new EngineRecords(this.identities);
    this.transitions = new Transitions(this.identities, this.records, options.now, options.settleTimeoutMs ?? 60_000);
    this.cloud = new DockerCloudView(this.identities, this.records, this.transitions, options.randomUuid, options.maxActions ?? 1_000);
  }

  // ---- reading ---------------------------------------------------------------------------------

  list<T extends ObjectType>(type: T): RestObjectByType[T][] {
    return this.cloud.list(type);
  }

  /** A live object; or, until the next input, one the last input removed (state `Terminated`). */
  get<T extends ObjectType>(type: T, uuid: string): RestObjectByType[T] | undefined {
    return this.cloud.get(type, uuid);
  }

  /** The parents an event about this object carries (protocol.md §7). */
  parentsOf(uri: string): readonly string[] {
    return this.cloud.parentsOf(uri);
  }

  /** The earliest time at which {@link tick} has something to do, if any (a wait for ever has none). */
  nextDeadline(): number | undefined {
    return this.transitions.nextDeadline();
  }

  // ---- inputs from the engine --------------------------------------------------------------------

  /**
   * A full listing: replaces everything known about the engine and emits the differences from
   * what clients were last told. Used at start and after every interruption of the event stream.
   */
  applySnapshot(snapshot: EngineSnapshot): MapperOutput {
    const records = this.records;
    const marks = this.identities;
    marks.markAllExisting();
    const previous = new Map(records.containers);
    const previousServices = new Map(records.services);
    records.reset(snapshot.info);
    for (const node of snapshot.nodes ?? []) records.nodes.set(node.id, node);
    for (const service of snapshot.services ?? []) {
      const key = `s:${service.id}`;
      const before = previousServices.get(key);
      // A listing a moment after a `replicas` event can still show the old count; our own record
      // is newer while a Scaling it started is in flight.
      const scaling = before && this.transitions.overlays.has(marks.uri('service', key));
      records.putService({ key, origin: 'swarm', removed: false, service: scaling ? withReplicas(service, before.service.replicas) : service });
    }
    for (const container of snapshot.containers) records.addContainer(mergeListed(previous.get(container.id), container));
    // A kill's `Stopping` survives a re-list that still shows the container up (mergeListed), and with it its deadline.
    this.transitions.keepKillsOfStopping();
    marks.mark('nodecluster', clusterKeyOf(snapshot.info));
    for (const key of nodeKeys(records)) marks.mark('node', key);
    for (const key of records.services.keys()) marks.mark('service', key);
    for (const key of records.stackServices.keys()) marks.mark('stack', key);
    for (const key of records.stackContainers.keys()) marks.mark('stack', key);
    for (const key of records.containers.keys()) marks.mark('container', key);
    return this.flushed();
  }

  /** The engine stopped answering: the node we talk to becomes `Unreachable` until a re-list. */
  engineLost(): MapperOutput {
    const info = this.records.info;
    if (this.records.lost || !info) return { events: [], effects: [] };
    this.records.lost = true;
    this.identities.mark('node', localNodeKeyOf(info));
    this.identities.mark('nodecluster', clusterKeyOf(info));
    return this.flushed();
  }

  /**
   * One `/events` message (decoded JSON). Container events carry all the labels we need; service
   * and node events carry only names, so those ask for an inspect (see {@link MapperOutput.effects}).
   */
  applyEvent(message: unknown): MapperOutput {
    const event = parseEngineEvent(message);
    if (!event || !this.records.info) return { events: [], effects: [] };
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
    return { events: this.cloud.flush(this.now()), effects };
  }

  /**
   * The answer to an `inspect-container` effect: the container's JSON, or undefined when it is gone
   * (404; its `destroy` event tells). Its stop timeout and restart policy are taken; its state is
   * the events' to tell (the inspect is as new as the events mapped so far, or newer), with one
   * exception: a container that exited and that the engine is about to start again (`restarting`,
   * its restart policy's delay) says so only here, and no event ends that wait but a `start`, a
   * `stop` or a `destroy`.
   */
  applyContainerInspect(id: string, json: unknown): MapperOutput {
    const c = this.records.containers.get(id);
    const inspected = json === undefined ? undefined : parseInspectedContainer(json);
    if (!c || !inspected || inspected.id !== id) return { events: [], effects: [] };
    c.stopTimeoutMs = inspected.stopTimeoutMs ?? null;
    c.mayRestart = inspected.mayRestart ?? false;
    if (inspected.status !== 'restarting' || c.status !== 'exited') {
      // Nothing clients see changes; a kill's deadline may have (the source re-arms its timer).
      return { events: [], effects: [] };
    }
    c.status = 'restarting';
    this.identities.mark('container', id);
    return this.flushed();
  }

  /** The answer to an `inspect-service` effect: the service's JSON, or undefined when it is gone (404). */
  applyServiceInspect(id: string, json: unknown): MapperOutput {
    const key = `s:${id}`;
    const created = this.records.pendingCreates.delete(id);
    const service = json === undefined ? undefined : parseEngineService(json);
    const record = this.records.services.get(key);
    if (!service) {
      if (record) this.markServiceRemoved(record);
      return this.flushed();
    }
    this.records.putService({ key, origin: 'swarm', removed: false, service });
    if (created && !record) this.transitions.set(this.identities.uri('service', key), { state: 'Starting', until: 'settled', action: null });
    return this.flushed();
  }

  /** The answer to an `inspect-node` effect: the node's JSON, or undefined when it is gone (404). */
  applyNodeInspect(id: string, json: unknown): MapperOutput {
    const node = json === undefined ? undefined : parseEngineNode(json);
    if (node) this.records.nodes.set(id, node);
    else this.records.nodes.delete(id);
    this.identities.mark('node', id);
    if (this.records.info) this.identities.mark('nodecluster', clusterKeyOf(this.records.info));
    return this.flushed();
  }

  /** Ends transitional states whose deadline has passed. */
  tick(): MapperOutput {
    const now = this.now();
    this.transitions.expire(now);
    return { events: this.cloud.flush(now), effects: [] };
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
    const object = this.cloud.store[type].get(uuid);
    if (!object) return fail(404, 'Not found.');
    if (TERMINAL_STATES.has(object.state)) return fail(409, `The ${type} is being terminated.`);
    const identity = this.identities.identityOf(object.resource_uri);
    if (!identity) return fail(404, 'Not found.');
    const plan = planOperation(this.cloud.view, type, identity.key, operation, request.targetNumContainers);
    if ('status' in plan) return fail(plan.status, plan.detail);

    const now = this.now();
    const actionUuid = this.randomUuid();
    const parents = [object.resource_uri, ...this.cloud.parentsOf(object.resource_uri)];
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
    const inProgress: RestAction = { ...pending, state: 'In progress', start_date: this.cloud.restDate(now) };
    // Opened first: pruning the finished actions never drops an open one.
    const action = this.transitions.open(actionUuid, parents, plan.jobs.length === 0);
    this.cloud.putAction(inProgress, parents);
    // Its objects stay in their transitional states as long as the engine may take to stop its containers.
    const holdMs = this.transitions.stopHoldOf(plan.jobs);
    for (const { uri, overlay } of plan.overlays) {
      this.transitions.set(uri, { ...overlay, action: actionUuid }, holdMs);
      action.overlays.add(uri);
      this.identities.markUri(uri);
    }
    const datetime = this.cloud.eventDatetime(now);
    const prefix = [
      this.cloud.event('action', 'create', pending.resource_uri, 'Pending', parents, datetime),
      this.cloud.event('action', 'update', pending.resource_uri, 'In progress', parents, datetime),
    ];
    // One clock reading for the action's start and the objects it changes (two could straddle a second).
    return { result: { ok: true, action: inProgress }, events: this.cloud.flush(now, prefix), jobs: plan.jobs };
  }

  /**
   * Every engine call of an action has returned. With failures the action fails at once and its
   * objects drop their transitional states; otherwise it succeeds when they have all settled.
   */
  jobsDone(actionUuid: string, failures: readonly string[]): MapperOutput {
    const action = this.transitions.openActions.get(actionUuid);
    if (!action) return { events: [], effects: [] };
    action.jobsDone = true;
    if (failures.length > 0) {
      for (const uri of [...action.overlays]) {
        this.transitions.endAny(uri);
        this.identities.markUri(uri);
      }
      this.transitions.openActions.delete(actionUuid);
      const events = this.cloud.flush(this.now());
      events.push(...this.cloud.finishAction(action, 'Failed'));
      return { events, effects: [] };
    }
    this.transitions.check(actionUuid);
    return this.flushed();
  }

  // ---- engine events --------------------------------------------------------------------------------

  private onContainerEvent(event: EngineEvent, effects: MapperEffect[]): void {
    const { id, attributes, action } = event;
    let c = this.records.containers.get(id);
    if (action === 'destroy') {
      if (c) {
        this.records.removeContainer(c);
        this.transitions.forgetKill(id);
      }
      return;
    }
    if (!c) {
      // Missed its create (or it predates a listing that raced with it): the event's attributes
      // carry its name, image and every label, and the action tells roughly what it is doing.
      const status = FIRST_SEEN_STATUS.get(action);
      if (status === undefined) return;
      c = this.records.addContainer(containerFromEvent(event, status));
      // Events do not carry its stop timeout (`--stop-timeout`), which a kill's deadline needs.
      effects.push({ kind: 'inspect-container', id });
    }
    switch (action) {
      case 'create':
        return;
      case 'start':
        c.status = 'running';
        this.transitions.notStopping(c);
        c.exitCode = null;
        c.startedAt = event.timeMs;
        break;
      case 'restart':
      case 'unpause':
        // Its `start` came first: a `restart` (or an `unpause` of a running container) changes nothing.
        if (c.status === 'running') return;
        if (c.status !== 'paused') c.startedAt ??= event.timeMs;
        c.status = 'running';
        // `docker stop` of a paused container unpauses it after its SIGTERM, so that the signal
        // arrives: the stop goes on.
        if (action === 'restart') this.transitions.notStopping(c);
        c.exitCode = null;
        break;
      case 'die': {
        const code = Number(attributes.exitCode);
        c.status = 'exited';
        this.transitions.notStopping(c);
        if (Number.isFinite(code)) c.exitCode = code;
        c.finishedAt = event.timeMs;
        // Its restart policy may have the engine start it again after a delay (`restarting`, as a
        // listing shows it), which the event does not say: the inspect does.
        if (c.mayRestart && !effects.some((effect) => effect.kind === 'inspect-container')) effects.push({ kind: 'inspect-container', id });
        break;
      }
      case 'stop':
        // A `docker stop` of a container waiting for its restart: no `die` (it is down already).
        if (c.status === 'restarting') {
          c.status = 'exited';
          break;
        }
        // `die` came first; a `stop` of a container still up means we missed it.
        if (!isUp(c.status)) return;
        c.status = 'exited';
        this.transitions.notStopping(c);
        c.finishedAt = event.timeMs;
        break;
      case 'kill':
        if (!isUp(c.status) || c.stopping || !STOP_SIGNALS.has(attributes.signal ?? '')) return;
        this.transitions.killed(c);
        break;
      case 'pause':
        c.status = 'paused';
        break;
      case 'update':
        // `docker update --restart …` may have given it a restart policy, or taken it away: only
        // its inspect says (the event carries no label, nor the policy).
        if (!effects.some((effect) => effect.kind === 'inspect-container')) effects.push({ kind: 'inspect-container', id });
        return;
      case 'rename':
        if (!attributes.name || attributes.name === c.name) return;
        c.name = attributes.name;
        if (c.serviceKey) {
          // Its service lists its containers by name.
          this.records.memberUris.delete(c.serviceKey);
          this.identities.mark('service', c.serviceKey);
        }
        break;
      default:
        return;
    }
    this.identities.mark('container', id);
  }

  private onServiceEvent(event: EngineEvent, effects: MapperEffect[]): void {
    const info = this.records.info;
    if (!info?.swarm) {
      effects.push({ kind: 'resync', reason: 'a swarm service event from an engine we saw outside a swarm' });
      return;
    }
    if (!info.swarm.manager) return;
    const { id, attributes } = event;
    const key = `s:${id}`;
    const record = this.records.services.get(key);
    switch (event.action) {
      case 'create':
        this.records.pendingCreates.add(id);
        effects.push({ kind: 'inspect-service', id });
        return;
      case 'update': {
        if (record && record.origin === 'swarm' && !record.removed) {
          const uri = this.identities.uri('service', key);
          const current = this.transitions.overlays.get(uri);
          const replicas = Number(attributes['replicas.new']);
          if (attributes['replicas.new'] !== undefined && Number.isInteger(replicas) && replicas >= 0) {
            this.records.services.set(key, { key, origin: record.origin, removed: record.removed, service: withReplicas(record.service, replicas) });
            // A scale down stops containers: swarm gives each its service's grace period.
            if (!current || current.action === null) {
              this.transitions.set(uri, { state: 'Scaling', until: 'settled', action: null }, this.transitions.serviceStopHold(key, replicas));
            }
          }
          const update = attributes['updatestate.new'];
          if ((update === 'updating' || update === 'rollback_started') && !current) {
            this.transitions.set(uri, { state: 'Redeploying', until: 'redeployed', action: null, old: runningOf(this.records, key) });
          } else if (update && update !== 'updating' && update !== 'rollback_started' && current?.action === null && current.state === 'Redeploying') {
            this.transitions.end(uri, current);
          }
          this.identities.mark('service', key);
        }
        effects.push({ kind: 'inspect-service', id });
        return;
      }
      case 'remove':
        this.records.pendingCreates.delete(id);
        if (record) this.markServiceRemoved(record);
        return;
    }
  }

  private onNodeEvent(event: EngineEvent, effects: MapperEffect[]): void {
    const info = this.records.info;
    if (!info?.swarm) {
      effects.push({ kind: 'resync', reason: 'a swarm node event from an engine we saw outside a swarm' });
      return;
    }
    if (!info.swarm.manager) return;
    const { id, attributes } = event;
    const nodes = this.records.nodes;
    if (event.action === 'remove') {
      nodes.delete(id);
      this.identities.mark('node', id);
      this.identities.mark('nodecluster', clusterKeyOf(info));
      return;
    }
    const known = nodes.get(id);
    if (!known) {
      // A node joined, or the engine left its swarm unseen and made or joined another (`docker
      // swarm leave` then `init` sends no event but this one): the node's inspect cannot tell
      // which, and in a new swarm the cluster, the local node and every service changed.
      effects.push({ kind: 'resync', reason: `a swarm node event for a node not listed (${id})` });
      return;
    }
    const state = attributes['state.new'];
    if (state && state !== known.state) {
      nodes.set(id, {
        id,
        hostname: known.hostname,
        state,
        engineVersion: known.engineVersion,
        cpus: known.cpus,
        memoryBytes: known.memoryBytes,
        updatedAt: known.updatedAt,
      });
      this.identities.mark('node', id);
    }
    effects.push({ kind: 'inspect-node', id });
  }

  /** Swarm removed the service: it goes when its last container does (at once if none is left). */
  private markServiceRemoved(record: ServiceRecord): void {
    const uri = this.identities.uri('service', record.key);
    const overlay = this.transitions.overlays.get(uri);
    if (overlay && overlay.until !== 'gone') this.transitions.end(uri, overlay);
    if (!this.records.serviceContainers.has(record.key)) this.records.dropService(record);
    else if (!record.removed) this.records.putService({ key: record.key, origin: record.origin, removed: true, service: record.service });
    this.identities.mark('service', record.key);
  }

  private flushed(): MapperOutput {
    return { events: this.cloud.flush(this.now()), effects: [] };
  }
}
