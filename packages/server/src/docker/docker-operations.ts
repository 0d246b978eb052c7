import type { OperationName } from '../source.js';
import { type MapperRecords, type Overlay, runningOf, type ServiceRecord } from './docker-records.js';
import { isUp } from './docker-states.js';

// What an operation from the REST API (start, stop, scale, redeploy, terminate of a stack, service
// or container) means on a Docker Engine: which transitional states it puts objects in and which
// engine calls it takes. Planning only reads the mapper's records, so it lives here as a function
// of them; DockerMapper.beginOperation validates the request, opens the action (transitions.ts),
// applies the plan and flushes, and DockerMapper.jobsDone closes it.

/** One call to the engine that an operation needs. */
export type EngineJob =
  | { readonly kind: 'container-start' | 'container-stop' | 'container-restart' | 'container-remove'; readonly id: string }
  | { readonly kind: 'service-scale'; readonly id: string; readonly replicas: number }
  | { readonly kind: 'service-redeploy' | 'service-remove'; readonly id: string };

/** A transitional state to put an object in; the mapper adds the action and the deadline. */
export interface PlannedOverlay {
  uri: string;
  overlay: Omit<Overlay, 'action' | 'deadline'>;
}

/** What an allowed operation does: the objects' transitional states and the engine calls, in order. */
export interface PlannedOperation {
  overlays: PlannedOverlay[];
  jobs: EngineJob[];
}

/**
 * Plans an operation on one object, or says why the engine cannot do it (405), or why the request
 * is bad (400). Objects already where the operation would take them get no overlay and no job
 * (starting a running container), so an operation can plan nothing and succeed at once.
 *
 * @example
 * planOperation(records, 'service', 's:x7gj…', 'scale', 3);
 * // { overlays: [{ uri, overlay: { state: 'Scaling', until: 'settled', target: 3 } }], jobs: [{ kind: 'service-scale', id: 'x7gj…', replicas: 3 }] }
 */
export function planOperation(
  records: MapperRecords,
  type: 'stack' | 'service' | 'container',
  key: string,
  operation: OperationName,
  target: number | undefined,
): PlannedOperation | { status: 400 | 405; detail: string } {
  const overlays: PlannedOverlay[] = [];
  const jobs: EngineJob[] = [];
  const containerOp = (cid: string, op: Exclude<OperationName, 'scale'>) => {
    const c = records.containers.get(cid);
    if (!c) return;
    const uri = records.uri('container', cid);
    switch (op) {
      case 'start':
        if (isUp(c.status)) return;
        overlays.push({ uri, overlay: { state: 'Starting', until: 'running' } });
        jobs.push({ kind: 'container-start', id: cid });
        return;
      case 'stop':
        // A container waiting for its restart policy's next start is stopped too (it would run again).
        if (!isUp(c.status) && c.status !== 'restarting') return;
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
    for (const cid of records.serviceContainers.get(serviceKey) ?? []) containerOp(cid, op);
    const state = { start: 'Starting', stop: 'Stopping', redeploy: 'Redeploying', terminate: 'Terminating' } as const;
    overlays.push({ uri: records.uri('service', serviceKey), overlay: { state: state[op], until: op === 'terminate' ? 'gone' : 'children-done' } });
  };
  const notAllowed = (detail: string) => ({ status: 405 as const, detail });

  if (type === 'container') {
    if (operation === 'scale') return notAllowed('Method not allowed: a container has no scale operation.');
    containerOp(key, operation);
    return { overlays, jobs };
  }

  if (type === 'service') {
    const record = records.services.get(key);
    if (!record) return notAllowed('Method not allowed: the service is gone.');
    const uri = records.uri('service', key);
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
        if (record.service.mode === 'job') return notAllowed('Method not allowed: a swarm job runs its tasks to completion and cannot be scaled.');
        if (target === undefined || !Number.isInteger(target) || target < 0) {
          return { status: 400, detail: 'target_num_containers must be a whole number ≥ 0.' };
        }
        overlays.push({ uri, overlay: { state: 'Scaling', until: 'settled', target } });
        jobs.push({ kind: 'service-scale', id, replicas: target });
        return { overlays, jobs };
      }
      case 'redeploy':
        overlays.push({ uri, overlay: { state: 'Redeploying', until: 'redeployed', old: runningOf(records, key) } });
        jobs.push({ kind: 'service-redeploy', id });
        return { overlays, jobs };
      case 'terminate':
        overlays.push({ uri, overlay: { state: 'Terminating', until: 'gone' } });
        jobs.push({ kind: 'service-remove', id });
        return { overlays, jobs };
    }
  }

  // A stack.
  const serviceKeys = [...(records.stackServices.get(key) ?? [])];
  // Containers that carry the stack label but belong to no service: the stack's own.
  const serviceFree = () => {
    const ids: string[] = [];
    for (const cid of records.stackContainers.get(key) ?? []) if (records.containers.get(cid)?.serviceKey === null) ids.push(cid);
    return ids;
  };
  const swarmServices = serviceKeys.map((k) => records.services.get(k)).filter((r): r is ServiceRecord => r?.origin === 'swarm' && !r.removed);
  const stackUri = records.uri('stack', key);
  switch (operation) {
    case 'scale':
      return notAllowed('Method not allowed: a stack has no scale operation; scale its services.');
    case 'start':
    case 'stop':
      if (swarmServices.length > 0) {
        return notAllowed(`Method not allowed: a stack of swarm services cannot be ${operation === 'start' ? 'started' : 'stopped'}; scale its services instead.`);
      }
      for (const k of serviceKeys) groupOp(k, operation);
      for (const cid of serviceFree()) containerOp(cid, operation);
      overlays.push({ uri: stackUri, overlay: { state: operation === 'start' ? 'Starting' : 'Stopping', until: 'children-done' } });
      return { overlays, jobs };
    case 'redeploy':
      for (const k of serviceKeys) {
        const record = records.services.get(k);
        if (!record || record.removed) continue;
        if (record.origin === 'labels') groupOp(k, 'redeploy');
        else {
          overlays.push({ uri: records.uri('service', k), overlay: { state: 'Redeploying', until: 'redeployed', old: runningOf(records, k) } });
          jobs.push({ kind: 'service-redeploy', id: record.service.id });
        }
      }
      for (const cid of serviceFree()) containerOp(cid, 'redeploy');
      overlays.push({ uri: stackUri, overlay: { state: 'Redeploying', until: 'children-done' } });
      return { overlays, jobs };
    case 'terminate':
      for (const k of serviceKeys) {
        const record = records.services.get(k);
        if (!record) continue;
        if (record.origin === 'labels') groupOp(k, 'terminate');
        else if (!record.removed) {
          overlays.push({ uri: records.uri('service', k), overlay: { state: 'Terminating', until: 'gone' } });
          jobs.push({ kind: 'service-remove', id: record.service.id });
        }
      }
      for (const cid of serviceFree()) containerOp(cid, 'terminate');
      overlays.push({ uri: stackUri, overlay: { state: 'Terminating', until: 'gone' } });
      return { overlays, jobs };
  }
}
