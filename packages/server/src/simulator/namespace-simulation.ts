import { EventsError, type ObjectType, OPERATIONS_OF_TYPE, type RestAction, uuidOfUri } from '@events/core';
import { actionNameOf } from '../action-name-of.js';
import type { OperationRequest, OperationResult } from '../source.js';
import { type CloudModel, createCloudModel } from './cloud-model.js';
import {
  BACKGROUND_KINDS,
  backgroundWeights,
  MAX_CONTAINERS_PER_SERVICE,
  operationBody,
  planBackground,
  type Scenario,
  type ScenarioContext,
  withAction,
} from './scenarios.js';
import { createSeededRandom, type SeededRandom } from './seeded-random.js';

export interface NamespaceSimulationOptions {
  readonly namespace: string;
  readonly seed: number;
  readonly now: () => number;
  readonly stacks: number;
  readonly nodeClusters: number;
  readonly maxActions?: number;
}

/** A scenario in flight: a background one, or the lifecycle of a user operation. */
export interface ScenarioRun {
  readonly origin: 'background' | 'operation';
  /** A background kind, or the operation name. */
  readonly kind: string;
  /** The uuid of the object it acts on. */
  readonly target: string;
  readonly terminates: boolean;
  readonly lockKey: string;
  readonly scenario: Scenario;
  /** Background only: the namespace step before which it is not advanced. */
  wakeAt: number;
  done: boolean;
}

export interface OperateOutcome {
  readonly result: OperationResult;
  /** The lifecycle to run, on success. */
  readonly run?: ScenarioRun;
}

// A step that makes no event (a scenario between phases, a target that vanished) is retried;
// this bounds the retries when nothing at all can happen.
const MAX_EMPTY_ADVANCES = 64;

/**
 * One namespace's independent account and what happens in it. Background scenarios and user
 * operations each hold a lock on the stack (or node) they change, so two lifecycles never
 * interleave on the same objects; an operation that finds its stack held finishes the holder
 * first, synchronously, instead of waiting behind it.
 *
 * @example
 * const sim = new NamespaceSimulation({ namespace: 'acme', seed: 1, now: Date.now, stacks: 4, nodeClusters: 2 });
 * sim.model.setSink(console.log);
 * sim.step(); // one background step: usually one event
 */
export class NamespaceSimulation {
  readonly namespace: string;
  readonly model: CloudModel;
  /** Background choices and every uuid: one stream, so a seed gives one event sequence. */
  private readonly random: SeededRandom;
  private readonly ctx: ScenarioContext;
  private readonly targetStacks: number;
  private readonly maxConcurrent: number;
  private readonly background: ScenarioRun[] = [];
  private readonly operations: ScenarioRun[] = [];
  private readonly locks = new Map<string, ScenarioRun>();
  private clock = 0;
  /** True while a lifecycle runs: its events are being emitted. */
  private busy = false;

  constructor(options: NamespaceSimulationOptions) {
    this.namespace = options.namespace;
    this.random = createSeededRandom(options.seed, options.namespace);
    this.model = createCloudModel({
      namespace: options.namespace,
      random: this.random,
      now: options.now,
      ...(options.maxActions === undefined ? {} : { maxActions: options.maxActions }),
    });
    this.ctx = { model: this.model, random: this.random };
    this.targetStacks = options.stacks;
    this.maxConcurrent = Math.min(8, Math.max(2, Math.ceil(options.stacks / 2)));
    this.model.populate({ stacks: options.stacks, nodeClusters: options.nodeClusters });
  }

  /** Operations whose lifecycle has not finished, oldest first. */
  get pendingOperations(): readonly ScenarioRun[] {
    return this.operations;
  }

  get activeBackground(): readonly ScenarioRun[] {
    return this.background;
  }

  /**
   * One background step: advances one scenario (starting a new one now and then) until at least
   * one event was emitted. Returns the number of events.
   */
  step(): number {
    return this.exclusive(() => {
      const before = this.model.emitted;
      for (let i = 0; i < MAX_EMPTY_ADVANCES && this.model.emitted === before; i++) this.advanceBackground();
      this.clock++;
      return this.model.emitted - before;
    });
  }

  /**
   * A user operation: validates it, creates its action (`Pending`, emitted now) and returns the
   * lifecycle for the caller to run. Statuses: 405 an operation the type does not have, 404 no
   * such object, 409 terminating or terminated, 400 a bad scale target.
   */
  operate(request: OperationRequest): OperateOutcome {
    return this.exclusive(() => this.operateNow(request));
  }

  private operateNow(request: OperationRequest): OperateOutcome {
    const { type, uuid, operation } = request;
    const fail = (status: 400 | 404 | 405 | 409, detail: string): OperateOutcome => ({ result: { ok: false, status, detail } });
    if (!OPERATIONS_OF_TYPE[type].includes(operation)) {
      return fail(405, `Method not allowed: a ${type} has no ${operation} operation.`);
    }
    const kind = type as 'stack' | 'service' | 'container';
    if (!this.model.get(kind, uuid)) return fail(404, 'Not found.');
    if (this.isTerminating(kind, uuid)) return fail(409, `The ${type} is being terminated.`);
    if (operation === 'scale') {
      const target = request.targetNumContainers;
      if (target === undefined || !Number.isInteger(target) || target < 0 || target > MAX_CONTAINERS_PER_SERVICE) {
        return fail(400, `target_num_containers must be an integer from 0 to ${MAX_CONTAINERS_PER_SERVICE}.`);
      }
    }

    const lockKey = this.model.lockKeyOf(kind, uuid);
    const holder = this.locks.get(lockKey);
    if (holder) this.complete(holder);
    if (!this.model.get(kind, uuid)) return fail(409, `The ${type} was terminated.`);

    const action: RestAction = this.model.createAction(kind, uuid, {
      action: actionNameOf(kind, operation),
      method: request.method,
      path: request.path,
      user: request.user,
      isUserAction: true,
    });
    const run: ScenarioRun = {
      origin: 'operation',
      kind: operation,
      target: uuid,
      terminates: operation === 'terminate',
      lockKey,
      scenario: withAction(this.ctx, action.uuid, operationBody(this.ctx, kind, uuid, operation, request.targetNumContainers)),
      wakeAt: 0,
      done: false,
    };
    this.locks.set(lockKey, run);
    this.operations.push(run);
    return { result: { ok: true, action }, run };
  }

  /**
   * Runs an operation's lifecycle to its next phase boundary (emitting that phase's events).
   * Returns true when more remains.
   */
  advanceOperation(run: ScenarioRun): boolean {
    if (run.done) return false;
    return this.exclusive(() => {
      const before = this.model.emitted;
      for (;;) {
        const next = run.scenario.next();
        if (next.done) {
          this.release(run);
          return false;
        }
        if (next.value.kind !== 'event' && this.model.emitted > before) return true;
      }
    });
  }

  /** Finishes every pending operation now. Returns the number of events emitted. */
  drainOperations(): number {
    return this.exclusive(() => {
      const before = this.model.emitted;
      while (this.operations.length > 0) this.complete(this.operations[0] as ScenarioRun);
      return this.model.emitted - before;
    });
  }

  /**
   * Finishes every scenario in flight, background and operations, starting none: afterwards every
   * object rests. Returns the number of events emitted.
   */
  runUntilIdle(): number {
    const before = this.model.emitted;
    this.drainOperations();
    this.exclusive(() => {
      while (this.background.length > 0) this.complete(this.background[0] as ScenarioRun);
    });
    return this.model.emitted - before;
  }

  /**
   * Lifecycles are generators: one cannot be resumed from inside its own `next()`. A subscriber
   * that reacts to an event by operating must defer the call (e.g. queueMicrotask).
   */
  private exclusive<T>(body: () => T): T {
    if (this.busy) {
      throw new EventsError('internal', `simulated cloud ${this.namespace}: called back while emitting; defer the call (queueMicrotask)`);
    }
    this.busy = true;
    try {
      return body();
    } finally {
      this.busy = false;
    }
  }

  private advanceBackground(): void {
    const awake = this.background.filter((run) => run.wakeAt <= this.clock);
    const canStart = this.background.length < this.maxConcurrent;
    if (canStart && (awake.length === 0 || this.random.chance(0.3))) {
      const started = this.startBackground();
      if (started) {
        this.advance(started);
        return;
      }
    }
    if (awake.length > 0) {
      this.advance(this.random.pick(awake));
      return;
    }
    // Everything in flight is waiting and nothing new fits: skip the clock to the earliest waker.
    let earliest: ScenarioRun | undefined;
    for (const run of this.background) if (!earliest || run.wakeAt < earliest.wakeAt) earliest = run;
    if (earliest) {
      this.clock = Math.max(this.clock, earliest.wakeAt);
      this.advance(earliest);
    }
  }

  private startBackground(): ScenarioRun | undefined {
    const weights = backgroundWeights(this.model.count('stack'), this.targetStacks);
    const isFree = (key: string): boolean => !this.locks.has(key);
    for (let attempt = 0; attempt < 4; attempt++) {
      const kind = BACKGROUND_KINDS[this.random.weighted(weights)];
      if (kind === undefined) return undefined;
      const plan = planBackground(this.ctx, kind, isFree);
      if (!plan) continue;
      const run: ScenarioRun = {
        origin: 'background',
        kind: plan.kind,
        target: plan.target,
        terminates: plan.kind === 'terminate-stack',
        lockKey: plan.lockKey,
        scenario: plan.scenario,
        wakeAt: 0,
        done: false,
      };
      this.locks.set(run.lockKey, run);
      this.background.push(run);
      return run;
    }
    return undefined;
  }

  private advance(run: ScenarioRun): void {
    const next = run.scenario.next();
    if (next.done) this.release(run);
    else if (next.value.kind === 'wait') run.wakeAt = this.clock + next.value.steps;
  }

  private complete(run: ScenarioRun): void {
    if (run.done) return;
    while (!run.scenario.next().done) {
      // Runs the lifecycle through to its end; every change emits as it goes.
    }
    this.release(run);
  }

  private release(run: ScenarioRun): void {
    run.done = true;
    if (this.locks.get(run.lockKey) === run) this.locks.delete(run.lockKey);
    const list = run.origin === 'background' ? this.background : this.operations;
    const i = list.indexOf(run);
    if (i >= 0) list.splice(i, 1);
  }

  /** The object, its service or its stack is terminating or held by a termination. */
  private isTerminating(type: 'stack' | 'service' | 'container', uuid: string): boolean {
    const chain: { type: ObjectType; uuid: string }[] = [{ type, uuid }];
    if (type === 'container') {
      const service = this.model.get('container', uuid)?.service;
      if (service) chain.push({ type: 'service', uuid: uuidOfUri(service) });
    }
    const last = chain[chain.length - 1] as { type: ObjectType; uuid: string };
    if (last.type === 'service') {
      const stack = this.model.get('service', last.uuid)?.stack;
      if (stack) chain.push({ type: 'stack', uuid: uuidOfUri(stack) });
    }
    const holder = this.locks.get(this.model.lockKeyOf(type, uuid));
    for (const link of chain) {
      const state = this.model.get(link.type, link.uuid)?.state;
      if (state === 'Terminating' || state === 'Terminated') return true;
      if (holder?.terminates && holder.target === link.uuid) return true;
    }
    return false;
  }
}
