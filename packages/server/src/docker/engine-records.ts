import { containerParents } from './docker-derive.js';
import type { Identities } from './identities.js';
import type { EngineContainer, EngineInfo, EngineNode } from './docker-model.js';
import { type ContainerRecord, countedAs, type Kind, localNodeKeyOf, type MapperRecords, type ServiceRecord } from './docker-records.js';

/**
 * The engine as last seen: its `/info`, swarm nodes, services and containers, with the indexes
 * that tie them together (a service's, a stack's and a node's containers, a stack's services).
 * Each change marks what it touches in {@link Identities}, so the next flush re-derives exactly
 * those Docker Cloud objects and what counts them.
 *
 * @example
 * records.reset(info);
 * const c = records.addContainer(listed); // marks the container, its service, stack and node
 * records.removeContainer(c);
 */
export class EngineRecords implements MapperRecords {
  info: EngineInfo | null = null;
  lost = false;
  readonly nodes = new Map<string, EngineNode>();
  readonly services = new Map<string, ServiceRecord>();
  readonly containers = new Map<string, ContainerRecord>();
  readonly serviceContainers = new Map<string, Set<string>>();
  readonly stackServices = new Map<string, Set<string>>();
  readonly stackContainers = new Map<string, Set<string>>();
  readonly nodeContainers = new Map<string, Set<string>>();
  /** A service's `containers` list, sorted by name: rebuilt only when its members change. */
  readonly memberUris = new Map<string, readonly string[]>();
  /** Swarm services whose `create` event arrived and whose inspect has not. */
  readonly pendingCreates = new Set<string>();

  constructor(private readonly identities: Identities) {}

  uri(type: Kind, key: string): string {
    return this.identities.uri(type, key);
  }

  /** Forgets everything before a full listing from this engine. */
  reset(info: EngineInfo): void {
    this.info = info;
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
  }

  /** A container the mapper did not know: it joins its service, stack and node. */
  addContainer(container: EngineContainer): ContainerRecord {
    const info = this.info as EngineInfo;
    const marks = this.identities;
    const { placement } = container;
    const serviceKey = placement.swarmServiceId
      ? `s:${placement.swarmServiceId}`
      : placement.composeProject
        ? `c:${placement.composeProject}/${placement.composeService}`
        : null;
    const nodeKey = placement.swarmNodeId ?? localNodeKeyOf(info);
    const { uuid, uri } = marks.id('container', container.id);
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
      mayRestart: container.mayRestart ?? false,
      uuid,
      uri,
      serviceKey,
      nodeKey,
      counted: countedAs(container.status),
      serviceUri: serviceKey ? marks.uri('service', serviceKey) : null,
      nodeUri: marks.uri('node', nodeKey),
      parents: containerParents(this, serviceKey, placement.stack, nodeKey, info),
    };
    this.containers.set(container.id, record);
    marks.mark('container', container.id);
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
      marks.mark('service', serviceKey);
    }
    if (placement.stack) {
      addTo(this.stackContainers, placement.stack, container.id);
      marks.mark('stack', placement.stack);
    }
    addTo(this.nodeContainers, nodeKey, container.id);
    marks.mark('node', nodeKey);
    return record;
  }

  /** The container is gone; so is a service it alone kept (one known from labels, or removed). */
  removeContainer(record: ContainerRecord): void {
    const marks = this.identities;
    this.containers.delete(record.id);
    marks.mark('container', record.id);
    if (record.serviceKey) {
      removeFrom(this.serviceContainers, record.serviceKey, record.id);
      this.memberUris.delete(record.serviceKey);
      marks.mark('service', record.serviceKey);
      const service = this.services.get(record.serviceKey);
      if (service && (service.removed || service.origin === 'labels') && !this.serviceContainers.has(record.serviceKey)) this.dropService(service);
    }
    if (record.placement.stack) {
      removeFrom(this.stackContainers, record.placement.stack, record.id);
      marks.mark('stack', record.placement.stack);
    }
    removeFrom(this.nodeContainers, record.nodeKey, record.id);
    marks.mark('node', record.nodeKey);
  }

  putService(record: ServiceRecord): void {
    const marks = this.identities;
    const known = this.services.get(record.key);
    this.services.set(record.key, record);
    marks.mark('service', record.key);
    const before = known?.service.stack ?? null;
    const after = record.service.stack;
    if (known && before === after) {
      // A stack's deployed_datetime is its oldest service's creation.
      if (after && known.service.createdAt !== record.service.createdAt) marks.mark('stack', after);
      return;
    }
    if (known && before) {
      removeFrom(this.stackServices, before, record.key);
      marks.mark('stack', before);
    }
    if (after) {
      addTo(this.stackServices, after, record.key);
      marks.mark('stack', after);
    }
  }

  dropService(record: ServiceRecord): void {
    this.services.delete(record.key);
    this.identities.mark('service', record.key);
    const stack = record.service.stack;
    if (stack) {
      removeFrom(this.stackServices, stack, record.key);
      this.identities.mark('stack', stack);
    }
  }
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
