import { type RestContainer, type RestService, type RestStack, uuidOfUri } from '@events/core';
import { actionNameOf } from '../action-name-of.js';
import type { OperationName } from '../source.js';
import { CATALOG } from './catalog.js';
import { type CloudModel, pickTemplates } from './cloud-model.js';
import type { SeededRandom } from './seeded-random.js';

/**
 * Where a scenario pauses. The background driver counts every pause as a step (about one event
 * each, which is what its rate is measured in); a user operation runs through `event` pauses at
 * once and waits 50-300 ms at `phase` and `wait` pauses, so its lifecycle unfolds at human pace
 * whatever the background rate.
 */
export type Pause =
  | { readonly kind: 'event' }
  | { readonly kind: 'phase' }
  /** Background only: do not advance this scenario for `steps` of the namespace's steps. */
  | { readonly kind: 'wait'; readonly steps: number };

/**
 * A lifecycle as a generator: each `next()` changes the model (emitting its events) up to the
 * next pause. Generators keep the lifecycle readable top to bottom, and a scenario can be run to
 * completion synchronously (`drain`) when an operation must not wait for it.
 *
 * @example
 * const scenario = terminateStack(ctx, stackUuid);
 * for (const pause of scenario) if (pause.kind === 'phase') await sleep(100);
 */
export type Scenario = Generator<Pause, void, void>;

export const EVENT: Pause = Object.freeze({ kind: 'event' });
export const PHASE: Pause = Object.freeze({ kind: 'phase' });

export function wait(steps: number): Pause {
  return { kind: 'wait', steps };
}

export interface ScenarioContext {
  readonly model: CloudModel;
  readonly random: SeededRandom;
}

/** The largest `target_num_containers` a scale accepts. */
export const MAX_CONTAINERS_PER_SERVICE = 50;


/** The method and path Docker Cloud's API took for an operation, recorded on background actions. */
export function requestOf(
  model: CloudModel,
  type: 'stack' | 'service' | 'container',
  uuid: string,
  operation: OperationName,
): { method: string; path: string } {
  const uri = model.get(type, uuid)?.resource_uri ?? `/api/app/v1/${model.namespace}/${type}/${uuid}/`;
  return operation === 'terminate' ? { method: 'DELETE', path: uri } : { method: 'POST', path: `${uri}${operation}/` };
}

// ---- one action around a lifecycle -------------------------------------------------------------

/**
 * Brackets a lifecycle with its action: `In progress` before the first change, `Success` after
 * the objects rest. The `Pending` create was emitted when the action was made.
 */
export function* withAction(ctx: ScenarioContext, actionUuid: string, body: Scenario): Scenario {
  ctx.model.setActionState(actionUuid, 'In progress');
  yield EVENT;
  yield PHASE;
  yield* body;
  yield PHASE;
  ctx.model.setActionState(actionUuid, 'Success');
  yield EVENT;
}

/** The lifecycle of a user operation, without its action; the target exists and is not terminating. */
export function operationBody(
  ctx: ScenarioContext,
  type: 'stack' | 'service' | 'container',
  uuid: string,
  operation: OperationName,
  targetNumContainers = 0,
): Scenario {
  switch (type) {
    case 'stack':
      switch (operation) {
        case 'start':
          return stackLifecycle(ctx, uuid, 'Starting', startService);
        case 'stop':
          return stackLifecycle(ctx, uuid, 'Stopping', stopService);
        case 'redeploy':
          return stackLifecycle(ctx, uuid, 'Redeploying', redeployService);
        case 'terminate':
          return terminateStack(ctx, uuid);
        case 'scale':
          throw new Error('a stack has no scale operation');
      }
      break;
    case 'service':
      switch (operation) {
        case 'start':
          return thenSettleStack(ctx, uuid, startService(ctx, uuid));
        case 'stop':
          return thenSettleStack(ctx, uuid, stopService(ctx, uuid));
        case 'redeploy':
          return thenSettleStack(ctx, uuid, redeployService(ctx, uuid));
        case 'scale':
          return thenSettleStack(ctx, uuid, scaleService(ctx, uuid, targetNumContainers));
        case 'terminate':
          return thenSettleStack(ctx, uuid, terminateService(ctx, uuid));
      }
      break;
    case 'container':
      switch (operation) {
        case 'start':
          return startContainer(ctx, uuid);
        case 'stop':
          return stopContainer(ctx, uuid);
        case 'redeploy':
          return redeployContainer(ctx, uuid);
        case 'terminate':
          return terminateContainer(ctx, uuid);
        case 'scale':
          throw new Error('a container has no scale operation');
      }
  }
}

/**
 * `Terminated` and then `delete` in one step, so no other event comes between them (a consumer
 * that sees Terminated can expect the delete next).
 */
function terminated(model: CloudModel, type: 'stack' | 'service' | 'container', uuid: string): void {
  if (type === 'stack') model.setStackState(uuid, 'Terminated');
  else if (type === 'service') model.setServiceState(uuid, 'Terminated');
  else model.setContainerState(uuid, 'Terminated');
  model.remove(type, uuid);
}

// ---- services ---------------------------------------------------------------------------------

const live = (c: RestContainer): boolean => c.state !== 'Terminated';

/** Service `Starting`: stopped containers start, missing ones are created, then `Running`. */
export function* startService(ctx: ScenarioContext, uuid: string): Scenario {
  const { model } = ctx;
  const service = model.setServiceState(uuid, 'Starting');
  yield EVENT;
  yield PHASE;
  const starting: string[] = [];
  for (const c of model.containersOf(uuid)) {
    if (c.state !== 'Stopped') continue;
    model.setContainerState(c.uuid, 'Starting');
    starting.push(c.uuid);
    yield EVENT;
  }
  const missing = service.target_num_containers - model.containersOf(uuid).filter(live).length;
  for (let i = 0; i < missing; i++) {
    starting.push(model.createContainer(uuid).uuid);
    yield EVENT;
  }
  yield PHASE;
  for (const id of starting) {
    model.setContainerState(id, 'Running');
    yield EVENT;
  }
  yield PHASE;
  if (model.settleService(uuid)) yield EVENT;
}

/** Service `Stopping`: its containers go `Stopping` then `Stopped` (exit 0), then the service rests. */
export function* stopService(ctx: ScenarioContext, uuid: string): Scenario {
  const { model } = ctx;
  model.setServiceState(uuid, 'Stopping');
  yield EVENT;
  yield PHASE;
  const stopping: string[] = [];
  for (const c of model.containersOf(uuid)) {
    if (c.state !== 'Running' && c.state !== 'Starting') continue;
    model.setContainerState(c.uuid, 'Stopping');
    stopping.push(c.uuid);
    yield EVENT;
  }
  yield PHASE;
  for (const id of stopping) {
    model.setContainerState(id, 'Stopped', 0);
    yield EVENT;
  }
  yield PHASE;
  if (model.settleService(uuid)) yield EVENT;
}

/**
 * Service `Redeploying`: a rolling replacement. Each container in turn is terminated and deleted,
 * and a new one (new uuid, same name, same node when it is up) is created and started.
 */
export function* redeployService(ctx: ScenarioContext, uuid: string): Scenario {
  const { model } = ctx;
  model.setServiceState(uuid, 'Redeploying');
  yield EVENT;
  yield PHASE;
  for (const old of model.containersOf(uuid).filter(live)) {
    model.setContainerState(old.uuid, 'Terminating');
    yield EVENT;
    yield PHASE;
    terminated(model, 'container', old.uuid);
    yield EVENT;
    const node = old.node ? model.get('node', uuidOfUri(old.node)) : undefined;
    const fresh = model.createContainer(uuid, old.name, node?.state === 'Deployed' ? node.uuid : undefined);
    yield EVENT;
    yield PHASE;
    model.setContainerState(fresh.uuid, 'Running');
    yield EVENT;
  }
  yield PHASE;
  if (model.settleService(uuid)) yield EVENT;
}

/** Service `Scaling` to `target`: new containers start, or the highest-numbered ones are terminated. */
export function* scaleService(ctx: ScenarioContext, uuid: string, target: number): Scenario {
  const { model } = ctx;
  model.setServiceState(uuid, 'Scaling', { target_num_containers: target });
  yield EVENT;
  yield PHASE;
  const current = model.containersOf(uuid).filter(live);
  if (target > current.length) {
    const created: string[] = [];
    for (let i = current.length; i < target; i++) {
      created.push(model.createContainer(uuid).uuid);
      yield EVENT;
    }
    yield PHASE;
    for (const id of created) {
      model.setContainerState(id, 'Running');
      yield EVENT;
    }
  } else if (target < current.length) {
    const victims = current.sort((a, b) => containerNumber(b) - containerNumber(a)).slice(0, current.length - target);
    for (const c of victims) {
      model.setContainerState(c.uuid, 'Terminating');
      yield EVENT;
    }
    yield PHASE;
    for (const c of victims) {
      terminated(model, 'container', c.uuid);
      yield EVENT;
    }
  }
  yield PHASE;
  if (model.settleService(uuid)) yield EVENT;
}

/** Service `Terminating`, its containers `Terminating`, then deleted child-first. */
export function* terminateService(ctx: ScenarioContext, uuid: string): Scenario {
  const { model } = ctx;
  model.setServiceState(uuid, 'Terminating');
  yield EVENT;
  yield PHASE;
  yield* terminateContainersOf(ctx, [uuid]);
  terminated(model, 'service', uuid);
  yield EVENT;
}

function* thenSettleStack(ctx: ScenarioContext, serviceUuid: string, body: Scenario): Scenario {
  const stack = ctx.model.get('service', serviceUuid)?.stack;
  yield* body;
  if (stack && ctx.model.settleStack(uuidOfUri(stack))) yield EVENT;
}

// ---- stacks ---------------------------------------------------------------------------------

/** Stack in a transitional state, then each service through `serviceBody`, then the stack rests. */
export function* stackLifecycle(
  ctx: ScenarioContext,
  uuid: string,
  state: 'Starting' | 'Stopping' | 'Redeploying',
  serviceBody: (ctx: ScenarioContext, serviceUuid: string) => Scenario,
): Scenario {
  const { model } = ctx;
  model.setStackState(uuid, state);
  yield EVENT;
  yield PHASE;
  for (const service of model.servicesOf(uuid)) yield* serviceBody(ctx, service.uuid);
  yield PHASE;
  if (model.settleStack(uuid)) yield EVENT;
}

/**
 * Child-first, as Docker Cloud did: stack `Terminating`, its services `Terminating`, their
 * containers `Terminating`, then containers `Terminated` + deleted, services `Terminated` +
 * deleted, and the stack `Terminated` + deleted last.
 */
export function* terminateStack(ctx: ScenarioContext, uuid: string): Scenario {
  const { model } = ctx;
  model.setStackState(uuid, 'Terminating');
  yield EVENT;
  yield PHASE;
  const services = model.servicesOf(uuid).map((s) => s.uuid);
  for (const id of services) {
    model.setServiceState(id, 'Terminating');
    yield EVENT;
  }
  yield PHASE;
  yield* terminateContainersOf(ctx, services);
  for (const id of services) {
    terminated(model, 'service', id);
    yield EVENT;
  }
  yield PHASE;
  terminated(model, 'stack', uuid);
  yield EVENT;
}

function* terminateContainersOf(ctx: ScenarioContext, serviceUuids: readonly string[]): Scenario {
  const { model } = ctx;
  const containers = serviceUuids.flatMap((id) => model.containersOf(id).filter(live)).map((c) => c.uuid);
  for (const id of containers) {
    model.setContainerState(id, 'Terminating');
    yield EVENT;
  }
  yield PHASE;
  for (const id of containers) {
    terminated(model, 'container', id);
    yield EVENT;
  }
  yield PHASE;
}

// ---- containers -----------------------------------------------------------------------------

function* settleParentsOf(ctx: ScenarioContext, serviceUuid: string | undefined): Scenario {
  if (!serviceUuid) return;
  const { model } = ctx;
  if (model.settleService(serviceUuid)) yield EVENT;
  const stack = model.get('service', serviceUuid)?.stack;
  if (stack && model.settleStack(uuidOfUri(stack))) yield EVENT;
}

function serviceUuidOf(ctx: ScenarioContext, containerUuid: string): string | undefined {
  const service = ctx.model.get('container', containerUuid)?.service;
  return service ? uuidOfUri(service) : undefined;
}

export function* startContainer(ctx: ScenarioContext, uuid: string): Scenario {
  const { model } = ctx;
  const service = serviceUuidOf(ctx, uuid);
  model.setContainerState(uuid, 'Starting');
  yield EVENT;
  yield PHASE;
  model.setContainerState(uuid, 'Running');
  yield EVENT;
  yield* settleParentsOf(ctx, service);
}

export function* stopContainer(ctx: ScenarioContext, uuid: string): Scenario {
  const { model } = ctx;
  const service = serviceUuidOf(ctx, uuid);
  model.setContainerState(uuid, 'Stopping');
  yield EVENT;
  yield PHASE;
  model.setContainerState(uuid, 'Stopped', 0);
  yield EVENT;
  yield* settleParentsOf(ctx, service);
}

/**
 * A container redeploy keeps the container (same uuid) and restarts it on a fresh pull: the
 * action's object must stay a live container, unlike a service redeploy, which replaces them.
 */
export function* redeployContainer(ctx: ScenarioContext, uuid: string): Scenario {
  const { model } = ctx;
  const service = serviceUuidOf(ctx, uuid);
  const running = model.get('container', uuid)?.state === 'Running';
  if (running) {
    model.setContainerState(uuid, 'Stopping');
    yield EVENT;
    yield PHASE;
    model.setContainerState(uuid, 'Stopped', 0);
    yield EVENT;
    yield PHASE;
  }
  model.setContainerState(uuid, 'Starting');
  yield EVENT;
  yield PHASE;
  model.setContainerState(uuid, 'Running');
  yield EVENT;
  yield* settleParentsOf(ctx, service);
}

/** Terminating one container also lowers its service's target by one, as Docker Cloud did. */
export function* terminateContainer(ctx: ScenarioContext, uuid: string): Scenario {
  const { model } = ctx;
  const serviceUuid = serviceUuidOf(ctx, uuid);
  const service = serviceUuid ? model.get('service', serviceUuid) : undefined;
  if (service) model.setServiceTarget(service.uuid, Math.max(0, service.target_num_containers - 1));
  model.setContainerState(uuid, 'Terminating');
  yield EVENT;
  yield PHASE;
  terminated(model, 'container', uuid);
  yield EVENT;
  yield* settleParentsOf(ctx, serviceUuid);
}

// ---- background scenarios -------------------------------------------------------------------

export const BACKGROUND_KINDS = [
  'deploy-stack',
  'terminate-stack',
  'scale-service',
  'redeploy-service',
  'crash-container',
  'node-unreachable',
  'toggle-stack',
] as const;
export type BackgroundKind = (typeof BACKGROUND_KINDS)[number];

/** A background scenario chosen and bound to its target, not yet started. */
export interface BackgroundPlan {
  readonly kind: BackgroundKind;
  /** The uuid of the object it acts on. */
  readonly target: string;
  /** What it holds while it runs (see CloudModel.lockKeyOf). */
  readonly lockKey: string;
  readonly scenario: Scenario;
}

/** How often each kind is chosen; deploys and terminations keep the stack count near its target. */
export function backgroundWeights(stackCount: number, targetStacks: number): readonly number[] {
  const deploy = stackCount < targetStacks ? 14 : stackCount < targetStacks * 1.25 + 1 ? 4 : 0;
  const terminate = stackCount > targetStacks ? 14 : stackCount > Math.max(1, targetStacks * 0.75) ? 4 : 0;
  // Same order as BACKGROUND_KINDS.
  return [deploy, terminate, 24, 12, 22, 7, 5];
}

/**
 * Binds a background scenario of `kind` to a random free target, or undefined when none fits.
 * `isFree(lockKey)` says whether another scenario or operation holds that key.
 */
export function planBackground(ctx: ScenarioContext, kind: BackgroundKind, isFree: (lockKey: string) => boolean): BackgroundPlan | undefined {
  const { model, random } = ctx;
  const restingStack = (s: RestStack): boolean =>
    isFree(s.uuid) && s.state !== 'Terminating' && s.state !== 'Terminated' && s.services.length > 0;
  switch (kind) {
    case 'deploy-stack': {
      const uuid = random.uuid();
      return { kind, target: uuid, lockKey: uuid, scenario: deployStack(ctx, uuid) };
    }
    case 'terminate-stack': {
      const stack = model.pickStack(random, restingStack);
      if (!stack) return undefined;
      return { kind, target: stack.uuid, lockKey: stack.uuid, scenario: backgroundOperation(ctx, 'stack', stack.uuid, 'terminate') };
    }
    case 'toggle-stack': {
      const stack = model.pickStack(random, restingStack);
      if (!stack) return undefined;
      const operation = stack.state === 'Stopped' || stack.state === 'Not running' ? 'start' : 'stop';
      return { kind, target: stack.uuid, lockKey: stack.uuid, scenario: backgroundOperation(ctx, 'stack', stack.uuid, operation) };
    }
    case 'scale-service':
    case 'redeploy-service': {
      const stack = model.pickStack(random, (s) => restingStack(s) && s.state !== 'Stopped' && s.state !== 'Not running');
      if (!stack) return undefined;
      const service = random.pick(model.servicesOf(stack.uuid));
      const scenario =
        kind === 'redeploy-service'
          ? backgroundOperation(ctx, 'service', service.uuid, 'redeploy')
          : backgroundOperation(ctx, 'service', service.uuid, 'scale', nextScaleTarget(random, service));
      return { kind, target: service.uuid, lockKey: stack.uuid, scenario };
    }
    case 'crash-container': {
      const container = model.pickContainer(random, (c) => c.state === 'Running' && isFree(model.lockKeyOf('container', c.uuid)));
      if (!container) return undefined;
      return { kind, target: container.uuid, lockKey: model.lockKeyOf('container', container.uuid), scenario: crashContainer(ctx, container.uuid) };
    }
    case 'node-unreachable': {
      const node = model.pickNode(random, (n) => n.state === 'Deployed' && isFree(n.uuid));
      if (!node) return undefined;
      return { kind, target: node.uuid, lockKey: node.uuid, scenario: nodeUnreachable(ctx, node.uuid) };
    }
  }
}

function nextScaleTarget(random: SeededRandom, service: RestService): number {
  const current = service.target_num_containers;
  const step = random.between(1, 2);
  const up = current <= 1 || (current < 6 && random.chance(0.5));
  return up ? current + step : Math.max(1, current - step);
}

/** A teammate's or a robot's operation: the action is part of the background stream. */
function* backgroundOperation(
  ctx: ScenarioContext,
  type: 'stack' | 'service' | 'container',
  uuid: string,
  operation: OperationName,
  targetNumContainers?: number,
): Scenario {
  const { model, random } = ctx;
  const { method, path } = requestOf(model, type, uuid, operation);
  const action = model.createAction(type, uuid, {
    action: actionNameOf(type, operation),
    method,
    path,
    user: random.pick(CATALOG.users),
    isUserAction: true,
  });
  yield EVENT;
  yield* withAction(ctx, action.uuid, operationBody(ctx, type, uuid, operation, targetNumContainers));
}

/** `docker-cloud stack up`: the stack and its services are created `Not running`, then started. */
function* deployStack(ctx: ScenarioContext, uuid: string): Scenario {
  const { model, random } = ctx;
  model.createStack(random.pick(CATALOG.stackNames), uuid);
  yield EVENT;
  for (const template of pickTemplates(random)) {
    model.createService(uuid, template, random.between(template.containers[0], template.containers[1]));
    yield EVENT;
  }
  yield wait(random.between(1, 3));
  yield* backgroundOperation(ctx, 'stack', uuid, 'start');
}

/** A container exits on its own, its service and stack show it, and the autorestart brings it back. */
function* crashContainer(ctx: ScenarioContext, uuid: string): Scenario {
  const { model, random } = ctx;
  const service = serviceUuidOf(ctx, uuid);
  model.setContainerState(uuid, 'Stopped', random.pick(CATALOG.crashExitCodes));
  yield EVENT;
  yield* settleParentsOf(ctx, service);
  yield wait(random.between(2, 12));
  model.setContainerState(uuid, 'Starting');
  yield EVENT;
  model.setContainerState(uuid, 'Running');
  yield EVENT;
  yield* settleParentsOf(ctx, service);
}

/** A node stops answering for a while; its cluster is `Partly deployed` until it is back. */
function* nodeUnreachable(ctx: ScenarioContext, uuid: string): Scenario {
  const { model, random } = ctx;
  const clusterUri = model.get('node', uuid)?.node_cluster;
  const cluster = clusterUri ? uuidOfUri(clusterUri) : undefined;
  model.setNodeState(uuid, 'Unreachable');
  yield EVENT;
  if (cluster && model.settleNodeCluster(cluster)) yield EVENT;
  yield wait(random.between(5, 25));
  model.setNodeState(uuid, 'Deployed');
  yield EVENT;
  if (cluster && model.settleNodeCluster(cluster)) yield EVENT;
}

function containerNumber(c: RestContainer): number {
  const n = Number(c.name.slice(c.name.lastIndexOf('-') + 1));
  return Number.isFinite(n) ? n : 0;
}
