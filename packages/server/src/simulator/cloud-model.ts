import {
  type DockerCloudEvent,
  type EventAction,
  formatEventDatetime,
  formatRestDate,
  type ObjectType,
  type RestAction,
  type RestContainer,
  type RestNode,
  type RestNodeCluster,
  type RestObject,
  type RestObjectByType,
  type RestService,
  type RestStack,
  resourceUriFor,
  type StateOf,
  uuidOfUri,
} from '@events/core';
import { CATALOG, type ServiceTemplate } from './catalog.js';
import type { SeededRandom } from './seeded-random.js';

export interface CloudModelOptions {
  readonly namespace: string;
  /** Draws every uuid of the account and of its events. */
  readonly random: SeededRandom;
  readonly now: () => number;
  /** Finished actions beyond this many are forgotten, oldest first (an audit log's retention). */
  readonly maxActions?: number;
}

/** How an action was asked for: recorded on it as Docker Cloud did. */
export interface ActionRequest {
  readonly action: string;
  readonly method: string;
  readonly path: string;
  readonly user: string;
  readonly isUserAction: boolean;
}

export interface PopulateOptions {
  readonly stacks: number;
  readonly nodeClusters: number;
}

type Store = { [T in ObjectType]: Map<string, RestObjectByType[T]> };
type Patch<T> = { -readonly [K in keyof T]?: T[K] };

const NO_PARENTS: readonly string[] = Object.freeze([]);

/** A set of strings with O(1) add, delete and random pick (swap-remove). */
class IndexedSet {
  private readonly items: string[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.items.length;
  }

  add(item: string): void {
    if (this.index.has(item)) return;
    this.index.set(item, this.items.length);
    this.items.push(item);
  }

  delete(item: string): void {
    const i = this.index.get(item);
    if (i === undefined) return;
    const last = this.items.pop() as string;
    this.index.delete(item);
    if (last !== item) {
      this.items[i] = last;
      this.index.set(last, i);
    }
  }

  at(i: number): string | undefined {
    return this.items[i];
  }
}

/**
 * One namespace's account: the REST objects, their parents, and the primitives that change them.
 * Every primitive updates the objects first and then emits exactly one event, so the REST view
 * already agrees with an event when a subscriber receives it. Objects are immutable snapshots,
 * replaced on change, so a list handed out earlier never changes under its reader.
 *
 * @example
 * const model = createCloudModel({ namespace: 'acme', random: createSeededRandom(1, 'acme'), now: Date.now });
 * model.populate({ stacks: 4, nodeClusters: 2 });
 * model.setSink((event) => console.log(event.type, event.state));
 * const stack = model.createStack('web'); // logs "stack Not running"
 */
export class CloudModel {
  readonly namespace: string;
  private readonly random: SeededRandom;
  private readonly now: () => number;
  private readonly maxActions: number;
  private readonly store: Store = {
    stack: new Map(),
    service: new Map(),
    container: new Map(),
    nodecluster: new Map(),
    node: new Map(),
    action: new Map(),
  };
  private readonly lists: { [T in ObjectType]?: readonly RestObjectByType[T][] } = {};
  /** Parents by object uuid: fixed for an object's life, so one frozen array serves every event. */
  private readonly parents = new Map<string, readonly string[]>();
  private readonly stackIds = new IndexedSet();
  private readonly containerIds = new IndexedSet();
  private readonly nameUses = new Map<string, number>();
  private sink: ((event: DockerCloudEvent) => void) | null = null;
  private emittedCount = 0;
  private eventSecond = Number.NaN;
  private eventDatetime = '';
  private restSecond = Number.NaN;
  private restDatetime = '';

  constructor(options: CloudModelOptions) {
    this.namespace = options.namespace;
    this.random = options.random;
    this.now = options.now;
    this.maxActions = options.maxActions ?? 1000;
  }

  /** Events emitted so far (also counted while no sink is attached). */
  get emitted(): number {
    return this.emittedCount;
  }

  setSink(sink: ((event: DockerCloudEvent) => void) | null): void {
    this.sink = sink;
  }

  // ---- reading ----------------------------------------------------------------------------

  list<T extends ObjectType>(type: T): readonly RestObjectByType[T][] {
    const cached = this.lists[type];
    if (cached) return cached;
    const fresh = Object.freeze(Array.from(this.store[type].values())) as readonly RestObjectByType[T][];
    (this.lists as Record<ObjectType, readonly RestObject[] | undefined>)[type] = fresh;
    return fresh;
  }

  get<T extends ObjectType>(type: T, uuid: string): RestObjectByType[T] | undefined {
    return this.store[type].get(uuid);
  }

  count(type: ObjectType): number {
    return this.store[type].size;
  }

  /** The parents every event about this object carries (protocol.md §7). */
  parentsOf(uuid: string): readonly string[] {
    return this.parents.get(uuid) ?? NO_PARENTS;
  }

  servicesOf(stackUuid: string): RestService[] {
    const stack = this.store.stack.get(stackUuid);
    if (!stack) return [];
    return stack.services.map((uri) => this.store.service.get(uuidOfUri(uri))).filter((s): s is RestService => s !== undefined);
  }

  containersOf(serviceUuid: string): RestContainer[] {
    const service = this.store.service.get(serviceUuid);
    if (!service) return [];
    return service.containers
      .map((uri) => this.store.container.get(uuidOfUri(uri)))
      .filter((c): c is RestContainer => c !== undefined);
  }

  /**
   * What an operation on this object must not run concurrently with: its stack (operations on a
   * stack's services and containers change the stack's state), or the node for node changes.
   */
  lockKeyOf(type: ObjectType, uuid: string): string {
    switch (type) {
      case 'container': {
        const service = this.store.container.get(uuid)?.service;
        return service ? this.lockKeyOf('service', uuidOfUri(service)) : uuid;
      }
      case 'service': {
        const stack = this.store.service.get(uuid)?.stack;
        return stack ? uuidOfUri(stack) : uuid;
      }
      case 'stack':
      case 'node':
      case 'nodecluster':
      case 'action':
        return uuid;
    }
  }

  /** A random stack accepted by `accept`, trying a few times (cheap even with thousands of stacks). */
  pickStack(random: SeededRandom, accept: (stack: RestStack) => boolean): RestStack | undefined {
    return this.pickFrom(this.stackIds, this.store.stack, random, accept);
  }

  pickContainer(random: SeededRandom, accept: (container: RestContainer) => boolean): RestContainer | undefined {
    return this.pickFrom(this.containerIds, this.store.container, random, accept);
  }

  pickNode(random: SeededRandom, accept: (node: RestNode) => boolean): RestNode | undefined {
    const nodes = this.list('node').filter(accept);
    return nodes.length > 0 ? random.pick(nodes) : undefined;
  }

  private pickFrom<T>(ids: IndexedSet, map: Map<string, T>, random: SeededRandom, accept: (item: T) => boolean): T | undefined {
    if (ids.size === 0) return undefined;
    for (let attempt = 0; attempt < 24; attempt++) {
      const item = map.get(ids.at(random.int(ids.size)) as string);
      if (item !== undefined && accept(item)) return item;
    }
    return undefined;
  }

  // ---- derived resting states -----------------------------------------------------------------

  /** The resting state a service's containers imply. */
  restingServiceState(service: RestService): StateOf<'service'> {
    const live = service.current_num_containers;
    const running = service.running_num_containers;
    if (live === 0) return service.state === 'Not running' ? 'Not running' : 'Stopped';
    if (running === live) return 'Running';
    if (running === 0) return 'Stopped';
    return 'Partly running';
  }

  /** The resting state a stack's services imply. */
  restingStackState(stack: RestStack): StateOf<'stack'> {
    const services = this.servicesOf(stack.uuid);
    if (services.length === 0) return 'Not running';
    let running = 0;
    let notRunning = 0;
    let stopped = 0;
    for (const s of services) {
      if (s.state === 'Running') running++;
      else if (s.state === 'Not running') notRunning++;
      else if (s.state === 'Stopped') stopped++;
    }
    if (running === services.length) return 'Running';
    if (notRunning === services.length) return 'Not running';
    if (notRunning + stopped === services.length) return 'Stopped';
    return 'Partly running';
  }

  restingNodeClusterState(cluster: RestNodeCluster): StateOf<'nodecluster'> {
    if (cluster.nodes.length === 0) return 'Empty cluster';
    const deployed = cluster.nodes.filter((uri) => this.store.node.get(uuidOfUri(uri))?.state === 'Deployed').length;
    return deployed === cluster.nodes.length ? 'Deployed' : 'Partly deployed';
  }

  /** Moves a service to the resting state its containers imply; emits only when it changes. */
  settleService(uuid: string): boolean {
    const service = this.store.service.get(uuid);
    if (!service) return false;
    const state = this.restingServiceState(service);
    if (state === service.state) return false;
    this.setServiceState(uuid, state);
    return true;
  }

  settleStack(uuid: string): boolean {
    const stack = this.store.stack.get(uuid);
    if (!stack) return false;
    const state = this.restingStackState(stack);
    if (state === stack.state) return false;
    this.setStackState(uuid, state);
    return true;
  }

  settleNodeCluster(uuid: string): boolean {
    const cluster = this.store.nodecluster.get(uuid);
    if (!cluster) return false;
    const state = this.restingNodeClusterState(cluster);
    if (state === cluster.state) return false;
    this.setNodeClusterState(uuid, state);
    return true;
  }

  // ---- creating ---------------------------------------------------------------------------------

  /**
   * A fresh stack, `Not running`, with no services yet. Emits `create`. `uuid` lets a caller
   * claim the stack before it exists.
   */
  createStack(baseName: string, uuid?: string): RestStack {
    const stack = this.newStack(this.uniqueName(baseName), uuid);
    this.insert('stack', stack, NO_PARENTS, true);
    return stack;
  }

  /** A fresh service in a stack, `Not running` and without containers. Emits `create`. */
  createService(stackUuid: string, template: ServiceTemplate, target: number): RestService {
    const service = this.newService(stackUuid, template, target);
    this.insertService(service, true);
    return service;
  }

  /**
   * A fresh container of a service, `Starting`, on the emptiest deployed node (Docker Cloud's
   * default EMPTIEST_NODE strategy) or on `nodeUuid`. Emits `create`.
   */
  createContainer(serviceUuid: string, name?: string, nodeUuid?: string): RestContainer {
    const service = this.mustGet('service', serviceUuid);
    const node = (nodeUuid ? this.store.node.get(nodeUuid) : undefined) ?? this.emptiestNode();
    const container = this.newContainer(service, node, name ?? this.nextContainerName(service), 'Starting');
    this.insertContainer(container, true);
    return container;
  }

  /** Creates an action, `Pending`, on an object. Emits `create`. */
  createAction(targetType: ObjectType, targetUuid: string, request: ActionRequest): RestAction {
    const target = this.mustGet(targetType, targetUuid);
    const uuid = this.random.uuid();
    const action: RestAction = {
      uuid,
      resource_uri: resourceUriFor('action', uuid, null),
      state: 'Pending',
      object: target.resource_uri,
      action: request.action,
      method: request.method,
      path: request.path,
      start_date: null,
      end_date: null,
      user: request.user,
      is_user_action: request.isUserAction,
      can_be_canceled: false,
    };
    this.pruneActions();
    this.insert('action', action, Object.freeze([target.resource_uri, ...this.parentsOf(targetUuid)]), true);
    return action;
  }

  nextContainerName(service: RestService): string {
    let highest = 0;
    const prefix = `${service.name}-`;
    for (const c of this.containersOf(service.uuid)) {
      const n = c.name.startsWith(prefix) ? Number(c.name.slice(prefix.length)) : 0;
      if (n > highest) highest = n;
    }
    return `${prefix}${highest + 1}`;
  }

  // ---- changing state -----------------------------------------------------------------------------

  setStackState(uuid: string, state: StateOf<'stack'>): RestStack {
    const old = this.mustGet('stack', uuid);
    const patch: Patch<RestStack> = { state };
    if (state === 'Running' && old.deployed_datetime === null) patch.deployed_datetime = this.restDate();
    if (state === 'Terminated') patch.destroyed_datetime = this.restDate();
    return this.update('stack', old, patch);
  }

  setServiceState(uuid: string, state: StateOf<'service'>, patch: Patch<RestService> = {}): RestService {
    return this.update('service', this.mustGet('service', uuid), { ...patch, state });
  }

  /**
   * Moves a container and keeps its service's counts and its node's container count right.
   * `exitCode` applies to `Stopped` (default 0).
   */
  setContainerState(uuid: string, state: StateOf<'container'>, exitCode = 0): RestContainer {
    const old = this.mustGet('container', uuid);
    const patch: Patch<RestContainer> = { state };
    switch (state) {
      case 'Starting':
        patch.exit_code = null;
        break;
      case 'Running':
        patch.started_datetime = this.restDate();
        break;
      case 'Stopped':
        patch.exit_code = exitCode;
        patch.stopped_datetime = this.restDate();
        break;
      case 'Terminated':
        if (old.stopped_datetime === null || old.state === 'Running') patch.stopped_datetime = this.restDate();
        break;
      case 'Stopping':
      case 'Terminating':
        break;
    }
    const next = { ...old, ...patch } as RestContainer;
    this.put('container', next);
    if (old.service) this.recountService(uuidOfUri(old.service));
    if (state === 'Terminated' && old.state !== 'Terminated' && old.node) this.adjustNodeCount(uuidOfUri(old.node), -1);
    this.emit('container', 'update', next);
    return next;
  }

  setNodeState(uuid: string, state: StateOf<'node'>): RestNode {
    const patch: Patch<RestNode> = { state };
    if (state === 'Deployed') patch.last_seen = this.restDate();
    return this.update('node', this.mustGet('node', uuid), patch);
  }

  setNodeClusterState(uuid: string, state: StateOf<'nodecluster'>): RestNodeCluster {
    return this.update('nodecluster', this.mustGet('nodecluster', uuid), { state });
  }

  setActionState(uuid: string, state: StateOf<'action'>): RestAction {
    const patch: Patch<RestAction> = { state };
    if (state === 'In progress') patch.start_date = this.restDate();
    if (state === 'Success' || state === 'Failed' || state === 'Canceled') patch.end_date = this.restDate();
    return this.update('action', this.mustGet('action', uuid), patch);
  }

  /**
   * Changes a service's target without an event: terminating one container lowers its service's
   * target, as Docker Cloud did, and no service event marks that.
   */
  setServiceTarget(uuid: string, target: number): void {
    this.put('service', { ...this.mustGet('service', uuid), target_num_containers: target });
  }

  /**
   * Deletes a `Terminated` object and emits `delete`. A container leaves its service's list, a
   * service its stack's list.
   */
  remove(type: 'stack' | 'service' | 'container', uuid: string): void {
    const object = this.mustGet(type, uuid);
    if (object.state !== 'Terminated') throw new Error(`cannot delete ${type} ${uuid} in state ${object.state}`);
    switch (type) {
      case 'container': {
        const container = object as RestContainer;
        if (container.service) {
          const serviceUuid = uuidOfUri(container.service);
          const service = this.store.service.get(serviceUuid);
          if (service) {
            this.put('service', { ...service, containers: service.containers.filter((u) => u !== container.resource_uri) });
            this.recountService(serviceUuid);
          }
        }
        this.containerIds.delete(uuid);
        break;
      }
      case 'service': {
        const service = object as RestService;
        const stack = service.stack ? this.store.stack.get(uuidOfUri(service.stack)) : undefined;
        if (stack) this.put('stack', { ...stack, services: stack.services.filter((u) => u !== service.resource_uri) });
        break;
      }
      case 'stack':
        this.stackIds.delete(uuid);
        break;
    }
    this.store[type].delete(uuid);
    this.lists[type] = undefined;
    this.emit(type, 'delete', object);
    this.parents.delete(uuid);
  }

  // ---- the initial account ----------------------------------------------------------------------

  /**
   * Creates the account as it stands when the simulation starts, silently (REST lists it; no
   * events). Mostly running stacks, a few stopped or partly running ones.
   */
  populate(options: PopulateOptions): void {
    const random = this.random;
    const start = this.now();
    const nodesPerCluster = (): number => random.between(2, 4) + Math.floor(options.stacks / 50);
    for (let i = 0; i < options.nodeClusters; i++) {
      const provider = random.pick(CATALOG.providers);
      const region = random.pick(provider.regions);
      const nodeType = random.pick(provider.nodeTypes);
      const uuid = random.uuid();
      const clusterUri = resourceUriFor('nodecluster', uuid, this.namespace);
      const nodes: RestNode[] = [];
      const count = nodesPerCluster();
      for (let n = 0; n < count; n++) {
        const nodeUuid = random.uuid();
        nodes.push({
          uuid: nodeUuid,
          resource_uri: resourceUriFor('node', nodeUuid, this.namespace),
          state: 'Deployed',
          node_cluster: clusterUri,
          external_fqdn: `${nodeUuid.slice(0, 8)}.node.dockerapp.io`,
          docker_version: random.pick(CATALOG.dockerVersions),
          cpu: nodeType.cpu,
          memory: nodeType.memory,
          current_num_containers: 0,
          last_seen: this.restDate(),
        });
      }
      this.insert(
        'nodecluster',
        {
          uuid,
          resource_uri: clusterUri,
          state: 'Deployed',
          name: this.uniqueName(CATALOG.nodeClusterNames[i % CATALOG.nodeClusterNames.length] as string),
          nodes: nodes.map((n) => n.resource_uri),
          target_num_nodes: count,
          current_num_nodes: count,
          region: `/api/infra/v1/region/${provider.provider}/${region}/`,
          node_type: `/api/infra/v1/nodetype/${provider.provider}/${nodeType.name}/`,
        },
        NO_PARENTS,
        false,
      );
      for (const node of nodes) this.insert('node', node, Object.freeze([clusterUri]), false);
    }

    for (let i = 0; i < options.stacks; i++) {
      const kind = random.next();
      const stopped = kind < 0.1;
      const partly = !stopped && kind < 0.16;
      const ageMs = random.between(60, 30 * 24 * 3600) * 1000;
      const deployed = formatRestDate(start - ageMs);
      const stack = this.newStack(this.uniqueName(random.pick(CATALOG.stackNames)));
      this.insert('stack', stack, NO_PARENTS, false);
      for (const template of pickTemplates(random)) {
        const target = random.between(template.containers[0], template.containers[1]);
        const service = this.newService(stack.uuid, template, target);
        this.insertService(service, false);
        for (let c = 0; c < target; c++) {
          const down = stopped || (partly && c === 0);
          const container: RestContainer = {
            ...this.newContainer(service, this.emptiestNode(), `${template.name}-${c + 1}`, down ? 'Stopped' : 'Running'),
            started_datetime: deployed,
            stopped_datetime: down ? formatRestDate(start - random.int(ageMs)) : null,
            exit_code: down ? (stopped ? 0 : random.pick(CATALOG.crashExitCodes)) : null,
          };
          this.insertContainer(container, false);
        }
        this.put('service', { ...this.mustGet('service', service.uuid), state: this.restingServiceState(this.mustGet('service', service.uuid)) });
      }
      this.put('stack', { ...this.mustGet('stack', stack.uuid), state: this.restingStackState(stack), deployed_datetime: deployed });
    }
  }

  // ---- internals ----------------------------------------------------------------------------------

  /** REST dates are RFC 2822 to the second; the string is cached per second (hot at saturation). */
  restDate(): string {
    const ms = this.now();
    const second = Math.floor(ms / 1000);
    if (second !== this.restSecond) {
      this.restSecond = second;
      this.restDatetime = formatRestDate(ms);
    }
    return this.restDatetime;
  }

  private eventDate(): string {
    const ms = this.now();
    const second = Math.floor(ms / 1000);
    if (second !== this.eventSecond) {
      this.eventSecond = second;
      this.eventDatetime = formatEventDatetime(ms);
    }
    return this.eventDatetime;
  }

  private uniqueName(base: string): string {
    const uses = (this.nameUses.get(base) ?? 0) + 1;
    this.nameUses.set(base, uses);
    return uses === 1 ? base : `${base}-${uses}`;
  }

  private newStack(name: string, uuid = this.random.uuid()): RestStack {
    return {
      uuid,
      resource_uri: resourceUriFor('stack', uuid, this.namespace),
      state: 'Not running',
      name,
      services: [],
      deployed_datetime: null,
      destroyed_datetime: null,
    };
  }

  private newService(stackUuid: string, template: ServiceTemplate, target: number): RestService {
    const stack = this.mustGet('stack', stackUuid);
    const uuid = this.random.uuid();
    return {
      uuid,
      resource_uri: resourceUriFor('service', uuid, this.namespace),
      state: 'Not running',
      name: template.name,
      image_name: template.image,
      stack: stack.resource_uri,
      containers: [],
      target_num_containers: target,
      current_num_containers: 0,
      running_num_containers: 0,
      stopped_num_containers: 0,
    };
  }

  private newContainer(service: RestService, node: RestNode | undefined, name: string, state: StateOf<'container'>): RestContainer {
    const uuid = this.random.uuid();
    return {
      uuid,
      resource_uri: resourceUriFor('container', uuid, this.namespace),
      state,
      name,
      image_name: service.image_name,
      service: service.resource_uri,
      node: node ? node.resource_uri : null,
      exit_code: null,
      started_datetime: null,
      stopped_datetime: null,
    };
  }

  private insertService(service: RestService, emit: boolean): void {
    const stack = service.stack ? this.store.stack.get(uuidOfUri(service.stack)) : undefined;
    if (stack) this.put('stack', { ...stack, services: [...stack.services, service.resource_uri] });
    this.insert('service', service, Object.freeze(stack ? [stack.resource_uri] : []), emit);
  }

  private insertContainer(container: RestContainer, emit: boolean): void {
    const parents: string[] = [];
    if (container.service) {
      const serviceUuid = uuidOfUri(container.service);
      const service = this.mustGet('service', serviceUuid);
      parents.push(container.service);
      if (service.stack) parents.push(service.stack);
      this.put('service', { ...service, containers: [...service.containers, container.resource_uri] });
    }
    if (container.node) {
      const node = this.mustGet('node', uuidOfUri(container.node));
      parents.push(container.node);
      if (node.node_cluster) parents.push(node.node_cluster);
    }
    this.containerIds.add(container.uuid);
    // Counts before the event: REST must already agree with it.
    this.store.container.set(container.uuid, container);
    if (container.service) this.recountService(uuidOfUri(container.service));
    if (container.node) this.adjustNodeCount(uuidOfUri(container.node), 1);
    this.insert('container', container, Object.freeze(parents), emit);
  }

  private insert<T extends ObjectType>(type: T, object: RestObjectByType[T], parents: readonly string[], emit: boolean): void {
    this.parents.set(object.uuid, parents);
    this.put(type, object);
    if (type === 'stack') this.stackIds.add(object.uuid);
    if (emit) this.emit(type, 'create', object);
  }

  private update<T extends ObjectType>(type: T, old: RestObjectByType[T], patch: Patch<RestObjectByType[T]>): RestObjectByType[T] {
    const next = { ...old, ...patch } as RestObjectByType[T];
    this.put(type, next);
    this.emit(type, 'update', next);
    return next;
  }

  private put<T extends ObjectType>(type: T, object: RestObjectByType[T]): void {
    this.store[type].set(object.uuid, object);
    this.lists[type] = undefined;
  }

  private mustGet<T extends ObjectType>(type: T, uuid: string): RestObjectByType[T] {
    const object = this.store[type].get(uuid);
    if (!object) throw new Error(`no ${type} ${uuid} in ${this.namespace}`);
    return object;
  }

  private recountService(uuid: string): void {
    const service = this.store.service.get(uuid);
    if (!service) return;
    let current = 0;
    let running = 0;
    let stopped = 0;
    for (const uri of service.containers) {
      const c = this.store.container.get(uuidOfUri(uri));
      if (!c || c.state === 'Terminated') continue;
      current++;
      if (c.state === 'Running') running++;
      else if (c.state === 'Stopped') stopped++;
    }
    if (
      current !== service.current_num_containers ||
      running !== service.running_num_containers ||
      stopped !== service.stopped_num_containers
    ) {
      this.put('service', { ...service, current_num_containers: current, running_num_containers: running, stopped_num_containers: stopped });
    }
  }

  private adjustNodeCount(uuid: string, delta: number): void {
    const node = this.store.node.get(uuid);
    if (node) this.put('node', { ...node, current_num_containers: node.current_num_containers + delta });
  }

  private emptiestNode(): RestNode | undefined {
    let best: RestNode | undefined;
    let fallback: RestNode | undefined;
    for (const node of this.store.node.values()) {
      if (node.state === 'Terminated' || node.state === 'Terminating') continue;
      if (!fallback || node.current_num_containers < fallback.current_num_containers) fallback = node;
      if (node.state !== 'Deployed') continue;
      if (!best || node.current_num_containers < best.current_num_containers) best = node;
    }
    return best ?? fallback;
  }

  private pruneActions(): void {
    const actions = this.store.action;
    if (actions.size < this.maxActions) return;
    for (const [uuid, action] of actions) {
      if (actions.size < this.maxActions) break;
      if (action.state === 'Success' || action.state === 'Failed' || action.state === 'Canceled') {
        actions.delete(uuid);
        this.parents.delete(uuid);
      }
    }
    this.lists.action = undefined;
  }

  private emit(type: ObjectType, action: EventAction, object: RestObject): void {
    this.emittedCount++;
    const event: DockerCloudEvent = {
      type,
      action,
      parents: this.parents.get(object.uuid) ?? NO_PARENTS,
      resource_uri: object.resource_uri,
      state: object.state,
      uuid: this.random.uuid(),
      datetime: this.eventDate(),
    };
    this.sink?.(event);
  }
}

/** 1-4 different service templates, like a real compose file. */
export function pickTemplates(random: SeededRandom): ServiceTemplate[] {
  const count = random.between(1, 4);
  const chosen: ServiceTemplate[] = [];
  const taken = new Set<string>();
  while (chosen.length < count) {
    const template = random.pick(CATALOG.services);
    if (taken.has(template.name)) continue;
    taken.add(template.name);
    chosen.push(template);
  }
  return chosen;
}

/** A model for one namespace; see {@link CloudModel}. */
export function createCloudModel(options: CloudModelOptions): CloudModel {
  return new CloudModel(options);
}
