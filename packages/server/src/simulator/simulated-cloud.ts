import { performance } from 'node:perf_hooks';
import { describeValue, EventsError, MAX_TIMER_MS, type ObjectType, type RestObjectByType } from '@events/core';
import {
  checkOptions,
  describeRule,
  keepsRule,
  MAX_STACKS,
  type NumberRule,
  OPTION_RULES,
  type OptionSchema,
  optionalNumber,
  optionalOfType,
  required,
} from '../check-options.js';
import type { CloudSource, OperationRequest, OperationResult, SourceEvent, SourceHealth } from '../source.js';
import { NamespaceSimulation, type ScenarioRun } from './namespace-simulation.js';
import { createSeededRandom, type SeededRandom } from './seeded-random.js';

export interface SimulatedCloudOptions {
  /** Same seed (and namespaces and sizes) → same accounts and same background event sequence. */
  readonly seed: number;
  /** Background events per second per namespace; `Infinity` runs flat out (benchmarks), 0 none. */
  readonly rate: number;
  /** One independent account per namespace, seeded from (seed, namespace). */
  readonly namespaces: readonly string[];
  /** Stacks per namespace at start; the background keeps the count near it. Default 4. */
  readonly stacks?: number;
  /** Node clusters per namespace. Default 2. */
  readonly nodeClusters?: number;
  /** The clock for event and REST dates. Default Date.now. */
  readonly now?: () => number;
  /**
   * No timers: `start` only attaches the emitter and nothing moves until `step`,
   * `drainOperations` or `runUntilIdle` is called. For deterministic tests.
   */
  readonly manual?: boolean;
  /** Real-time pause between the phases of a user operation's lifecycle. Default [50, 300] ms. */
  readonly operationDelayMs?: readonly [min: number, max: number];
  /** Finished actions kept per namespace (an audit log's retention). Default 1,000. */
  readonly maxActions?: number;
}

/**
 * The simulated Docker Cloud: a {@link CloudSource} plus controls for tests and benchmarks.
 */
export interface SimulatedCloud extends CloudSource {
  readonly namespaces: readonly string[];
  readonly rate: number;
  /**
   * Advances the background by one step (usually one event) in `namespace`, or in each namespace
   * in order, synchronously. Returns the number of events emitted.
   */
  step(namespace?: string): number;
  /** Runs every pending user operation to its end now. Returns the number of events emitted. */
  drainOperations(namespace?: string): number;
  /** Finishes everything in flight (starting nothing new): afterwards every object rests. */
  runUntilIdle(namespace?: string): number;
  /** Events emitted so far (background and operations), in `namespace` or in all. */
  emitted(namespace?: string): number;
}

type DriverState =
  | { readonly status: 'idle' }
  | { readonly status: 'running'; readonly emit: (event: SourceEvent) => void }
  | { readonly status: 'stopped' };

const EMPTY: readonly never[] = Object.freeze([]);
const NAMESPACE = /^[A-Za-z0-9_.~-]+$/;
const DELAY_MS: NumberRule = { min: 0, max: MAX_TIMER_MS, whole: false, unit: 'milliseconds' };
const NAMESPACES = "an array of distinct namespace names (letters, digits, _ . ~ -) such as ['acme']";

/** The namespaces, or why they are not: a non-empty array of distinct names. */
function namespacesProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return `must be ${NAMESPACES}, got ${describeValue(value)}`;
  if (value.length === 0) return 'must list at least one namespace';
  const bad = value.findIndex((ns) => typeof ns !== 'string' || !NAMESPACE.test(ns));
  if (bad !== -1) return `must be ${NAMESPACES}; namespaces[${bad}] is ${describeValue(value[bad])}`;
  // Resource URIs carry the namespace as a path segment, and URLs resolve "." and ".." away.
  const dots = value.findIndex((ns) => ns === '.' || ns === '..');
  if (dots !== -1) return `must not hold "." or "..", which URLs resolve away (their resource URIs would not reach them); namespaces[${dots}] is ${JSON.stringify(value[dots])}`;
  const twice = value.find((ns, i) => value.indexOf(ns) !== i);
  if (twice !== undefined) return `must be distinct; ${JSON.stringify(twice)} is listed twice`;
  return undefined;
}

/** Every option createSimulatedCloud takes; seed, rate and stacks by the rules of `events-server`'s flags. */
const SIMULATED_CLOUD_OPTIONS: OptionSchema = {
  seed: required(optionalNumber(OPTION_RULES.seed), 'a whole number such as 7: the same seed gives the same cloud'),
  rate: required(
    optionalNumber(OPTION_RULES.rate, { value: Number.POSITIVE_INFINITY, words: 'Infinity (flat out)' }),
    `background events per second per namespace: ${describeRule(OPTION_RULES.rate)}, or Infinity`,
  ),
  namespaces: required(namespacesProblem, NAMESPACES),
  stacks: optionalNumber(OPTION_RULES.stacks),
  nodeClusters: optionalNumber({ min: 1, max: MAX_STACKS, whole: true }),
  now: optionalOfType('function', 'a function returning the time in milliseconds, such as Date.now'),
  manual: optionalOfType('boolean', 'true or false'),
  operationDelayMs: (value) => {
    if (value === undefined) return undefined;
    const ok = Array.isArray(value) && value.length === 2 && value.every((ms) => keepsRule(ms as number, DELAY_MS)) && (value[0] as number) <= (value[1] as number);
    return ok ? undefined : `must be [min, max] milliseconds with 0 ≤ min ≤ max ≤ ${MAX_TIMER_MS}, got ${Array.isArray(value) ? JSON.stringify(value) : describeValue(value)}`;
  },
  maxActions: optionalNumber({ min: 0, max: Number.POSITIVE_INFINITY, whole: true, unit: 'actions' }),
};

/** Longest a finite-rate tick works before giving the event loop back. */
const TICK_BUDGET_MS = 20;
/** Longest a saturation chunk works before giving the event loop back. */
const CHUNK_BUDGET_MS = 5;

/**
 * A source that behaves like a Docker Cloud account: node clusters with nodes, stacks with
 * services with containers placed on nodes, and actions, going through realistic lifecycles.
 * Deterministic for a seed; `rate` events per second per namespace in the background; user
 * operations from the REST API run their lifecycle at human pace whatever the rate. The REST
 * view always agrees with the events already emitted.
 *
 * @example
 * const cloud = createSimulatedCloud({ seed: 7, rate: 2, namespaces: ['acme'] });
 * await cloud.start(({ namespace, event }) => console.log(namespace, event.type, event.state));
 * cloud.list('acme', 'stack').map((s) => s.name); // ['web', 'billing', ...]
 * await cloud.stop();
 * @throws EventsError `invalid-config` for options that are missing, misspelt (with "did you mean")
 * or out of range; seed, rate and stacks by the rules of `events-server`'s flags
 */
export function createSimulatedCloud(options: SimulatedCloudOptions): SimulatedCloud {
  return new SimulatedCloudSource(options);
}

class SimulatedCloudSource implements SimulatedCloud {
  readonly name = 'simulator';
  readonly namespaces: readonly string[];
  readonly rate: number;
  private readonly sims = new Map<string, NamespaceSimulation>();
  private readonly manual: boolean;
  private readonly delay: readonly [number, number];
  /** Delays only: kept apart from the namespaces' generators so timing never shifts their sequences. */
  private readonly delayRandom: SeededRandom;
  private driver: DriverState = { status: 'idle' };
  private tickTimer: NodeJS.Timeout | undefined;
  private chunkImmediate: NodeJS.Immediate | undefined;
  private readonly operationTimers = new Map<ScenarioRun, NodeJS.Timeout>();
  private readonly tokens = new Map<string, number>();
  private lastTick = 0;
  private rotation = 0;
  private emitFailures = 0;
  private lastEmitFailure: unknown;

  constructor(options: SimulatedCloudOptions) {
    checkOptions(options, SIMULATED_CLOUD_OPTIONS, {
      what: 'createSimulatedCloud',
      prefix: 'simulated cloud: ',
      expected: "an object such as { seed: 7, rate: 2, namespaces: ['acme'] }",
      nearMisses: { namespace: 'namespaces', clusters: 'nodeClusters', seconds: 'rate', clock: 'now' },
    });
    const stacks = options.stacks ?? 4;
    const nodeClusters = options.nodeClusters ?? 2;
    const delay = options.operationDelayMs ?? [50, 300];

    this.namespaces = Object.freeze([...options.namespaces]);
    this.rate = options.rate;
    this.manual = options.manual ?? false;
    this.delay = delay;
    this.delayRandom = createSeededRandom(options.seed, 'operation-delays');
    const now = options.now ?? Date.now;
    for (const namespace of this.namespaces) {
      this.sims.set(
        namespace,
        new NamespaceSimulation({
          namespace,
          seed: options.seed,
          now,
          stacks,
          nodeClusters,
          ...(options.maxActions === undefined ? {} : { maxActions: options.maxActions }),
        }),
      );
    }
  }

  // ---- CloudSource ------------------------------------------------------------------------------

  async start(emit: (event: SourceEvent) => void): Promise<void> {
    if (this.driver.status !== 'idle') throw new EventsError('internal', `simulated cloud already ${this.driver.status}`);
    this.driver = { status: 'running', emit };
    for (const [namespace, sim] of this.sims) {
      sim.model.setSink((event) => {
        try {
          emit({ namespace, event });
        } catch (error) {
          // The model has already changed; a throwing subscriber must not tear a lifecycle apart.
          this.emitFailures++;
          this.lastEmitFailure = error;
        }
      });
    }
    if (this.manual) return;
    for (const sim of this.sims.values()) for (const run of sim.pendingOperations) this.scheduleOperation(sim, run);
    if (this.rate === Number.POSITIVE_INFINITY) this.chunkImmediate = setImmediate(this.chunk);
    else if (this.rate > 0) {
      this.lastTick = performance.now();
      // One token up front: the first event comes at the first tick, not a whole period later.
      for (const namespace of this.sims.keys()) this.tokens.set(namespace, 1);
      this.tickTimer = setTimeout(this.tick, this.tickInterval());
    }
  }

  async stop(): Promise<void> {
    this.driver = { status: 'stopped' };
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.chunkImmediate) clearImmediate(this.chunkImmediate);
    this.tickTimer = undefined;
    this.chunkImmediate = undefined;
    for (const timer of this.operationTimers.values()) clearTimeout(timer);
    this.operationTimers.clear();
    for (const sim of this.sims.values()) sim.model.setSink(null);
  }

  list<T extends ObjectType>(namespace: string, type: T): readonly RestObjectByType[T][] {
    return this.sims.get(namespace)?.model.list(type) ?? EMPTY;
  }

  get<T extends ObjectType>(namespace: string, type: T, uuid: string): RestObjectByType[T] | undefined {
    return this.sims.get(namespace)?.model.get(type, uuid);
  }

  operate(request: OperationRequest): OperationResult {
    const sim = this.sims.get(request.namespace);
    if (!sim) return { ok: false, status: 404, detail: 'Not found.' };
    const { result, run } = sim.operate(request);
    if (run) this.scheduleOperation(sim, run);
    return result;
  }

  health(): SourceHealth {
    switch (this.driver.status) {
      case 'idle':
        return { ok: false, detail: 'simulator not started' };
      case 'stopped':
        return { ok: false, detail: 'simulator stopped' };
      case 'running': {
        const rate = this.manual ? 'manually stepped' : this.rate === Number.POSITIVE_INFINITY ? 'saturation' : `${this.rate} events/s`;
        const failures = this.emitFailures > 0 ? `; ${this.emitFailures} emits threw (last: ${String(this.lastEmitFailure)})` : '';
        return { ok: true, detail: `simulating ${this.sims.size} namespace(s), ${rate}${failures}` };
      }
    }
  }

  // ---- controls ---------------------------------------------------------------------------------

  step(namespace?: string): number {
    let events = 0;
    for (const sim of this.select(namespace)) events += sim.step();
    return events;
  }

  drainOperations(namespace?: string): number {
    let events = 0;
    for (const sim of this.select(namespace)) events += sim.drainOperations();
    return events;
  }

  runUntilIdle(namespace?: string): number {
    let events = 0;
    for (const sim of this.select(namespace)) events += sim.runUntilIdle();
    return events;
  }

  emitted(namespace?: string): number {
    let events = 0;
    for (const sim of this.select(namespace)) events += sim.model.emitted;
    return events;
  }

  // ---- the real-time driver -------------------------------------------------------------------------

  private select(namespace: string | undefined): NamespaceSimulation[] {
    if (namespace === undefined) return [...this.sims.values()];
    const sim = this.sims.get(namespace);
    if (!sim) throw new EventsError('invalid-config', `simulated cloud has no namespace ${JSON.stringify(namespace)}`);
    return [sim];
  }

  private tickInterval(): number {
    return Math.min(250, Math.max(5, 1000 / this.rate));
  }

  /**
   * Finite rate: a token bucket per namespace, filled by the real time elapsed. A step that
   * emits several events leaves the bucket negative, so the average holds; the bucket is capped so
   * a stalled event loop is not followed by a burst of catch-up.
   */
  private readonly tick = (): void => {
    this.tickTimer = undefined;
    if (this.driver.status !== 'running') return;
    const now = performance.now();
    const earned = ((now - this.lastTick) * this.rate) / 1000;
    this.lastTick = now;
    const cap = Math.max(1, this.rate / 4);
    const deadline = now + TICK_BUDGET_MS;
    const sims = [...this.sims.values()];
    this.rotation = (this.rotation + 1) % sims.length;
    for (let i = 0; i < sims.length; i++) {
      const sim = sims[(i + this.rotation) % sims.length] as NamespaceSimulation;
      let tokens = Math.min(cap, (this.tokens.get(sim.namespace) ?? 0) + earned);
      while (tokens >= 1 && performance.now() < deadline) tokens -= sim.step() || 1;
      this.tokens.set(sim.namespace, Math.min(cap, tokens));
    }
    this.tickTimer = setTimeout(this.tick, this.tickInterval());
  };

  /**
   * Saturation: steps as fast as possible in short chunks, each followed by setImmediate, so
   * timers (keepalive pings, other servers' I/O) still run between chunks.
   */
  private readonly chunk = (): void => {
    this.chunkImmediate = undefined;
    if (this.driver.status !== 'running') return;
    const deadline = performance.now() + CHUNK_BUDGET_MS;
    const sims = [...this.sims.values()];
    do {
      for (const sim of sims) for (let i = 0; i < 16; i++) sim.step();
    } while (performance.now() < deadline);
    this.chunkImmediate = setImmediate(this.chunk);
  };

  private scheduleOperation(sim: NamespaceSimulation, run: ScenarioRun): void {
    if (this.manual || this.driver.status !== 'running' || run.done) return;
    const [min, max] = this.delay;
    const timer = setTimeout(
      () => {
        this.operationTimers.delete(run);
        if (this.driver.status !== 'running') return;
        if (sim.advanceOperation(run)) this.scheduleOperation(sim, run);
      },
      min + this.delayRandom.next() * (max - min),
    );
    this.operationTimers.set(run, timer);
  }
}
