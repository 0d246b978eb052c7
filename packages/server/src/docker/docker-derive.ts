import {
  parentsOfRestObject,
  type RestContainer,
  type RestNode,
  type RestNodeCluster,
  type RestObject,
  type RestService,
  type RestStack,
  type StateOf,
} from '@events/core';
import type { EngineInfo, EngineNode } from './docker-model.js';
import { type ContainerRecord, clusterKeyOf, type Kind, localNodeKeyOf, type MapperRecords, nodeKeys, type Overlay } from './docker-records.js';
import { containerStateOf, isDown, isUp, labelServiceStateOf, stackStateOf, swarmServiceStateOf } from './docker-states.js';

// How DockerMapper turns its engine records into Docker Cloud REST objects: one function per type,
// each a function of the records (and of the objects derived before it), so the mapper's flush
// can re-derive any object at any time and compare. They live outside the class because they need
// only a narrow view of its state, DeriveView, and never change a record; their few side effects
// (filling caches, and ending an overlay whose time is up) go through that interface and are
// named there.

const MIB = 1024 * 1024;

/**
 * What deriving reads of the mapper: its records, the objects it derived last (a stack counts its
 * services' states, a node cluster its nodes'), and its transitional states. Live: it always
 * shows the mapper's current state.
 *
 * Not quite read-only, and deliberately so: `memberUris`, `uri`, `uuidOf` and `restDate` fill
 * caches, and `overlayOf` ends an overlay whose deadline passed or whose condition holds (which
 * marks the other objects of its action for re-derivation).
 */
export interface DeriveView extends MapperRecords {
  /** The REST objects as last derived, by uuid. */
  readonly restServices: ReadonlyMap<string, RestService>;
  readonly restNodes: ReadonlyMap<string, RestNode>;
  /** Transitional states by resource URI. */
  readonly overlays: ReadonlyMap<string, Overlay>;
  /** A service's `containers` list, sorted by name: filled here, emptied by the mapper when its members change. */
  readonly memberUris: Map<string, readonly string[]>;
  /** The uuid of an engine identity (hashed once, then cached). */
  uuidOf(type: Kind, key: string): string;
  /** A REST date (whole seconds; cached per second). */
  restDate(ms: number): string;
  /** The live overlay of `uri`, ending it first if its deadline passed or `done` holds. */
  overlayOf(uri: string, done: (overlay: Overlay) => boolean): Overlay | undefined;
  /** Whether every other object of the overlay's action is only waiting for its own children. */
  childrenDone(overlay: Overlay, self: string): boolean;
}

/**
 * The Docker Cloud object of one engine identity as the records show it now, or undefined when it
 * is gone. A stack reads its services' derived states and a node cluster its nodes', so the
 * mapper derives containers, services, stacks, nodes, clusters in that order.
 *
 * @example
 * const next = deriveObject(view, 'service', 'c:shop/web', uri, uuid); // { state: 'Running', containers: [...], ... }
 */
export function deriveObject(view: DeriveView, type: Kind, key: string, uri: string, uuid: string): RestObject | undefined {
  switch (type) {
    case 'container':
      return deriveContainer(view, key, uri);
    case 'service':
      return deriveService(view, key, uri, uuid);
    case 'stack':
      return deriveStack(view, key, uri, uuid);
    case 'node':
      return deriveNode(view, key, uri, uuid);
    case 'nodecluster':
      return deriveCluster(view, key, uri, uuid);
  }
}

/**
 * The parents an event about this object carries (protocol.md §7).
 *
 * @example
 * parentsFor(records, 'service', 'c:shop/web', service); // [stack URI]
 */
export function parentsFor(records: MapperRecords, type: Kind, key: string, object: RestObject): readonly string[] {
  // A container's parents are not core's (which takes the stack from the service): the stack
  // comes from the container's own label, so it holds while the service is unknown.
  if (type === 'container') return records.containers.get(key)?.parents ?? [];
  // The other kinds' parents are their own link fields: nothing to look up.
  return parentsOfRestObject(object, type, () => undefined);
}

/**
 * A container's parents: service, stack (from the container's own label: it holds while the
 * service is unknown), node, node cluster. Its labels never change, so the mapper resolves them once.
 *
 * @example
 * containerParents(records, 'c:shop/web', 'shop', nodeKey, info); // [service, stack, node, nodecluster URIs]
 */
export function containerParents(records: MapperRecords, serviceKey: string | null, stack: string | null, nodeKey: string, info: EngineInfo): readonly string[] {
  const parents: string[] = [];
  if (serviceKey) parents.push(records.uri('service', serviceKey));
  if (stack) parents.push(records.uri('stack', stack));
  parents.push(records.uri('node', nodeKey), records.uri('nodecluster', clusterKeyOf(info)));
  return parents;
}

// ---- one type each ------------------------------------------------------------------------------

function deriveContainer(view: DeriveView, key: string, uri: string): RestContainer | undefined {
  const c = view.containers.get(key);
  if (!c) return undefined;
  const overlay = !view.overlays.has(uri) ? undefined : view.overlayOf(uri, (o) => {
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
    started_datetime: c.startedAt === null ? null : view.restDate(c.startedAt),
    stopped_datetime: down && c.finishedAt !== null ? view.restDate(c.finishedAt) : null,
  };
}

function deriveService(view: DeriveView, key: string, uri: string, uuid: string): RestService | undefined {
  const record = view.services.get(key);
  if (!record) return undefined;
  const ids = view.serviceContainers.get(key);
  const { members, running, stopped, starting } = countContainers(view, ids);
  const { service } = record;
  // A swarm job's tasks run to completion: like a Compose service, it is what its containers are
  // (a finished job `Stopped`, not `Not running`), with no replica count to reach.
  const byMembers = record.origin === 'labels' || service.mode === 'job';
  const restingTarget = record.removed ? 0 : byMembers ? members : (service.replicas ?? readyNodes(view));
  const overlay = !view.overlays.has(uri) ? undefined : view.overlayOf(uri, (o) => {
    const target = o.target ?? restingTarget;
    switch (o.until) {
      case 'settled':
        // A job has settled once its containers exist and none is still to start (they may all
        // have run and exited by then).
        return service.mode === 'job' && o.target === undefined ? members > 0 && starting === 0 : running === target;
      case 'redeployed': {
        if (running !== target) return false;
        for (const cid of ids ?? []) if (o.old?.has(cid) && isUp((view.containers.get(cid) as ContainerRecord).status)) return false;
        return true;
      }
      case 'children-done':
        return view.childrenDone(o, uri);
      default:
        return false;
    }
  });
  const target = overlay?.target ?? restingTarget;
  const state: StateOf<'service'> = overlay
    ? (overlay.state as StateOf<'service'>)
    : record.removed
      ? 'Terminating'
      : byMembers
        ? labelServiceStateOf(members, running, starting)
        : swarmServiceStateOf(target, running);
  return {
    uuid,
    resource_uri: uri,
    state,
    name: service.name,
    image_name: service.image || firstImage(view, ids),
    stack: service.stack ? view.uri('stack', service.stack) : null,
    containers: membersOf(view, key, ids),
    target_num_containers: target,
    current_num_containers: members,
    running_num_containers: running,
    stopped_num_containers: stopped,
  };
}

function membersOf(view: DeriveView, key: string, ids: ReadonlySet<string> | undefined): readonly string[] {
  let uris = view.memberUris.get(key);
  if (uris === undefined) {
    const members: ContainerRecord[] = [];
    for (const cid of ids ?? []) {
      const c = view.containers.get(cid);
      if (c) members.push(c);
    }
    uris = members.sort(byName).map((c) => c.uri);
    view.memberUris.set(key, uris);
  }
  return uris;
}

function firstImage(view: DeriveView, ids: ReadonlySet<string> | undefined): string {
  for (const cid of ids ?? []) {
    const c = view.containers.get(cid);
    if (c?.image) return c.image;
  }
  return '';
}

function deriveStack(view: DeriveView, name: string, uri: string, uuid: string): RestStack | undefined {
  const serviceKeys = view.stackServices.get(name);
  const containers = view.stackContainers.get(name);
  if (!serviceKeys && !containers) return undefined;
  const services: string[] = [];
  const states: string[] = [];
  let deployed: number | null = null;
  for (const key of serviceKeys ?? []) {
    const object = view.restServices.get(view.uuidOf('service', key));
    if (!object) continue;
    services.push(object.resource_uri);
    const record = view.services.get(key);
    // A finished job (a stack's migration) leaves the stack as its other services are.
    if (!(record?.service.mode === 'job' && object.state === 'Stopped')) states.push(object.state);
    const createdAt = record?.service.createdAt ?? null;
    if (createdAt !== null && (deployed === null || createdAt < deployed)) deployed = createdAt;
  }
  services.sort();
  const overlay = !view.overlays.has(uri) ? undefined : view.overlayOf(uri, (o) => o.until === 'children-done' && view.childrenDone(o, uri));
  return {
    uuid,
    resource_uri: uri,
    state: overlay
      ? (overlay.state as StateOf<'stack'>)
      : services.length === 0
        ? serviceFreeStackState(view, containers)
        : states.length === 0
          ? 'Stopped' // finished jobs only
          : stackStateOf(states),
    name,
    services,
    deployed_datetime: deployed === null ? null : view.restDate(deployed),
    destroyed_datetime: null,
  };
}

/**
 * A stack with containers and no service: they carry its label and no service's (a
 * `com.docker.compose.project` without `com.docker.compose.service`, a stack label set by hand).
 * Its state is theirs, as a Compose service's is its containers'; a stack whose services were
 * removed keeps them, `Terminating`, until their last container is gone.
 */
function serviceFreeStackState(view: DeriveView, ids: ReadonlySet<string> | undefined): StateOf<'stack'> {
  const { members, running, starting } = countContainers(view, ids);
  return labelServiceStateOf(members, running, starting);
}

/**
 * Containers by engine status, as a service (or a stack of containers outside any service)
 * counts them: running or paused, exited or dead, or still to start (created, or waiting for the
 * start its restart policy will make).
 */
function countContainers(view: DeriveView, ids: ReadonlySet<string> | undefined): { members: number; running: number; stopped: number; starting: number } {
  let members = 0;
  let running = 0;
  let stopped = 0;
  let starting = 0;
  for (const cid of ids ?? []) {
    const c = view.containers.get(cid);
    if (!c) continue;
    members++;
    if (isUp(c.status)) running++;
    else if (isDown(c.status)) stopped++;
    else if (c.status === 'created' || c.status === 'restarting') starting++;
  }
  return { members, running, stopped, starting };
}

function readyNodes(view: DeriveView): number {
  if (!view.info?.swarm?.manager) return 1;
  let ready = 0;
  for (const node of view.nodes.values()) if (node.state === 'ready') ready++;
  return ready;
}

function deriveNode(view: DeriveView, key: string, uri: string, uuid: string): RestNode | undefined {
  const info = view.info;
  if (!info) return undefined;
  let node: EngineNode | undefined;
  if (info.swarm?.manager) node = view.nodes.get(key);
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
  const unreachable = (view.lost && key === localNodeKeyOf(info)) || node.state !== 'ready';
  return {
    uuid,
    resource_uri: uri,
    state: unreachable ? 'Unreachable' : 'Deployed',
    node_cluster: view.uri('nodecluster', clusterKeyOf(info)),
    external_fqdn: node.hostname,
    docker_version: node.engineVersion,
    cpu: node.cpus,
    memory: node.memoryBytes === null ? null : Math.round(node.memoryBytes / MIB),
    current_num_containers: view.nodeContainers.get(key)?.size ?? 0,
    last_seen: node.updatedAt === null ? null : view.restDate(node.updatedAt),
  };
}

function deriveCluster(view: DeriveView, key: string, uri: string, uuid: string): RestNodeCluster | undefined {
  const info = view.info;
  if (!info || key !== clusterKeyOf(info)) return undefined;
  const nodes: string[] = [];
  let deployed = 0;
  for (const nodeKey of nodeKeys(view)) {
    const node = view.restNodes.get(view.uuidOf('node', nodeKey));
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

function byName(a: ContainerRecord, b: ContainerRecord): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.uuid < b.uuid ? -1 : 1;
}
