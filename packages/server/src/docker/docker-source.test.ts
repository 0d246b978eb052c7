import { backoffRange, DEFAULT_BACKOFF_POLICY, type DockerCloudEvent, EventsError } from '@events/core';
import { describe, expect, it } from 'vitest';
import type { SourceEvent } from '../source.js';
import { DockerApiError, type DockerEngineClient } from './docker-engine-client.js';
import type { EngineJob } from './docker-mapper.js';
import { createDockerSource, type DockerSourceTimers } from './docker-source.js';

// ---- a fake engine and a manual clock -------------------------------------------------------------

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);

class ManualClock implements DockerSourceTimers {
  now = T0;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private ids = 0;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.now + ms, callback, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Moves time on, running every timer that falls due (and what they start), in order. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const next = [...this.timers].sort((a, b) => a.at - b.at)[0];
      if (!next || next.at > end) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.now = next.at;
      next.callback();
    }
    this.now = end;
    await settle();
  }

  pending(): number[] {
    return this.timers.map((t) => t.at - this.now).sort((a, b) => a - b);
  }
}

/** Lets promise chains (the source's async steps over the fake engine) run to their next wait. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

interface FakeContainer {
  id: string;
  name: string;
  status: 'created' | 'running' | 'exited';
  labels: Record<string, string>;
  startedAt: string;
  /** `Config.StopTimeout` in seconds, when the container sets one. */
  stopTimeout?: number;
}

class FakeEngine implements DockerEngineClient {
  readonly endpoint = 'unix:///fake/docker.sock';
  up = true;
  containers = new Map<string, FakeContainer>();
  jobs: EngineJob[] = [];
  failJobs = false;
  /** When set, jobs fail with it (a 503: "This node is not a swarm manager."). */
  jobError: DockerApiError | undefined;
  infoCalls = 0;
  /** Ids of the containers inspected, in order. */
  inspected: string[] = [];
  /** The stop timeout (seconds) the next container created through `event('create')` gets. */
  nextStopTimeout: number | undefined;
  /** When set, listing containers waits for it (to deliver events mid-listing). */
  listGate: Promise<void> | undefined;
  /** When set, the next inspect of this container waits for the promise (an engine that hangs on it). */
  inspectGate: { id: string; until: Promise<void> } | undefined;
  private frozen: Map<string, FakeContainer> | undefined;
  private listeners: { onLine: (line: string) => void; onEnd: (error: Error) => void } | undefined;

  constructor(private readonly clock: ManualClock) {}

  private check(): void {
    if (!this.up) throw new EventsError('connection', 'connect ECONNREFUSED /fake/docker.sock');
  }

  add(id: string, status: FakeContainer['status'] = 'running', labels: Record<string, string> = {}): void {
    this.containers.set(id, { id, name: id, status, labels, startedAt: new Date(this.clock.now).toISOString() });
  }

  async ping() {
    this.check();
  }
  async info() {
    this.check();
    this.infoCalls++;
    this.frozen = undefined;
    return { ID: 'FAKE:ENGINE', Name: 'fakehost', ServerVersion: '20.10.24', NCPU: 2, MemTotal: 2 ** 31, SystemTime: new Date(this.clock.now).toISOString(), Swarm: { LocalNodeState: 'inactive' } };
  }
  async listNodes(): Promise<unknown[]> {
    throw new DockerApiError(503, 'This node is not a swarm manager.');
  }
  async listServices(): Promise<unknown[]> {
    throw new DockerApiError(503, 'This node is not a swarm manager.');
  }
  async listContainers() {
    this.check();
    // What the listing sees is fixed now, whatever happens while it is held at the gate.
    this.frozen = new Map([...this.containers].map(([id, c]) => [id, { ...c }]));
    const listed = [...this.frozen.values()].map((c) => ({ Id: c.id, Names: [`/${c.name}`], Image: 'busybox:local', State: c.status, Status: '', Labels: c.labels }));
    if (this.listGate) await this.listGate;
    return listed;
  }
  async inspectContainer(id: string) {
    this.check();
    this.inspected.push(id);
    const gate = this.inspectGate;
    if (gate?.id === id) {
      this.inspectGate = undefined;
      await gate.until;
    }
    // A listing's inspects see what it listed; a later one (of a container created since) sees it now.
    const c = this.frozen?.get(id) ?? this.containers.get(id);
    if (!c) return undefined;
    return {
      Id: c.id,
      Name: `/${c.name}`,
      State: { Status: c.status, StartedAt: c.startedAt, FinishedAt: '0001-01-01T00:00:00Z', ExitCode: c.status === 'exited' ? 137 : 0 },
      Config: { Image: 'busybox:local', Labels: c.labels, ...(c.stopTimeout !== undefined ? { StopTimeout: c.stopTimeout } : {}) },
    };
  }
  async inspectService(): Promise<unknown> {
    return undefined;
  }
  async inspectNode(): Promise<unknown> {
    return undefined;
  }
  async streamEvents(onLine: (line: string) => void, onEnd: (error: Error) => void) {
    this.check();
    const listeners = { onLine, onEnd };
    this.listeners = listeners;
    return {
      close: () => {
        if (this.listeners === listeners) this.listeners = undefined;
      },
    };
  }
  async run(job: EngineJob) {
    this.check();
    this.jobs.push(job);
    if (this.jobError) throw this.jobError;
    if (this.failJobs) throw new DockerApiError(500, `${job.kind} ${job.id}: boom`);
  }

  /** Changes a container and sends its event, as the engine would. */
  event(action: 'create' | 'start' | 'kill' | 'die' | 'destroy', id: string, timeMs = this.clock.now): void {
    if (action === 'create') {
      this.add(id, 'created');
      const created = this.containers.get(id);
      if (created && this.nextStopTimeout !== undefined) created.stopTimeout = this.nextStopTimeout;
    }
    const c = this.containers.get(id);
    if (c && action === 'start') c.status = 'running';
    if (c && action === 'die') c.status = 'exited';
    if (action === 'destroy') this.containers.delete(id);
    const attributes = { name: id, image: 'busybox:local', ...(c?.labels ?? {}), ...(action === 'die' ? { exitCode: '137' } : {}), ...(action === 'kill' ? { signal: '15' } : {}) };
    this.listeners?.onLine(JSON.stringify({ Type: 'container', Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local', time: Math.floor(timeMs / 1000), timeNano: timeMs * 1e6 }));
  }

  /** The engine goes away: the stream ends and calls fail until `up` is set again. */
  crash(): void {
    this.up = false;
    const listeners = this.listeners;
    this.listeners = undefined;
    listeners?.onEnd(new EventsError('connection', 'the engine closed the event stream'));
  }
}

function setup(options: { startOffline?: boolean; settleTimeoutMs?: number } = {}) {
  const clock = new ManualClock();
  const engine = new FakeEngine(clock);
  let n = 0;
  const source = createDockerSource({
    namespace: 'acme',
    client: engine,
    now: () => clock.now,
    random: () => 0.5,
    randomUuid: () => `00000000-0000-4000-8000-${String(n++).padStart(12, '0')}`,
    timers: clock,
    pingIntervalMs: 60_000,
    ...options,
  });
  const received: DockerCloudEvent[] = [];
  const emit = (e: SourceEvent) => {
    expect(e.namespace).toBe('acme');
    received.push(e.event);
  };
  return { clock, engine, source, received, emit };
}

const named = (source: ReturnType<typeof setup>['source']) =>
  source
    .list('acme', 'container')
    .map((c) => `${c.name} ${c.state}`)
    .sort();

const summary = (events: readonly DockerCloudEvent[], source: ReturnType<typeof setup>['source'], names: Map<string, string>) =>
  events.map((e) => {
    const object = source.get('acme', e.type, e.resource_uri.split('/').at(-2) as string) as { name?: string } | undefined;
    if (object?.name) names.set(e.resource_uri, object.name);
    return `${e.type} ${names.get(e.resource_uri) ?? ''} ${e.action} ${e.state}`.replace(/ {2}/g, ' ');
  });

describe('createDockerSource over a fake engine', () => {
  it('lists everything at start, so REST answers at once, then follows the event stream', async () => {
    const { engine, source, received, emit } = setup();
    engine.add('web-1');
    engine.add('old-1', 'exited');
    await source.start(emit);
    expect(named(source)).toEqual(['old-1 Stopped', 'web-1 Running']);
    expect(received.map((e) => `${e.type} ${e.action} ${e.state}`)).toEqual([
      'nodecluster create Deployed',
      'node create Deployed',
      'container create Stopped',
      'container create Running',
    ]);
    expect(source.health()).toMatchObject({ ok: true });
    expect(source.health().detail).toMatch(/live since .*2 containers/);
    engine.event('die', 'web-1');
    await settle();
    expect(named(source)).toEqual(['old-1 Stopped', 'web-1 Stopped']);
    expect(source.list('other', 'container')).toEqual([]);
    await source.stop();
    expect(source.health()).toEqual({ ok: false, detail: 'docker source stopped' });
  });

  it('after losing the engine, reconnects with backoff, re-lists and emits exactly what changed meanwhile', async () => {
    const { clock, engine, source, received, emit } = setup();
    engine.add('keep');
    engine.add('dies');
    engine.add('goes');
    await source.start(emit);
    const names = new Map<string, string>();
    summary(received, source, names);
    received.length = 0;

    engine.crash();
    await settle();
    expect(source.connection().status).toBe('backoff');
    expect(source.health()).toMatchObject({ ok: false });
    expect(source.health().detail).toMatch(/unreachable: the engine closed the event stream; retry 2 in 1 s/);
    expect(summary(received, source, names)).toEqual(['node update Unreachable', 'nodecluster fakehost update Partly deployed']);
    received.length = 0;

    // While we are away: one container dies, one is removed, one is born. The engine's `since`
    // replay would not be asked for: only a re-list tells.
    engine.containers.get('dies')!.status = 'exited';
    engine.containers.delete('goes');
    engine.add('born');
    // Still down at the first retry: the second comes after a longer delay.
    const first = backoffRange({ failures: 1, kind: 'transient' }, DEFAULT_BACKOFF_POLICY);
    expect(clock.pending()[0]).toBe(Math.floor(first.min + 0.5 * (first.max - first.min)));
    await clock.advance(clock.pending()[0] as number);
    expect(source.connection()).toMatchObject({ status: 'backoff', failures: 2 });
    const second = backoffRange({ failures: 2, kind: 'transient' }, DEFAULT_BACKOFF_POLICY);
    expect(clock.pending()[0]).toBe(Math.floor(second.min + 0.5 * (second.max - second.min)));
    expect(received).toEqual([]);

    engine.up = true;
    await clock.advance(clock.pending()[0] as number);
    expect(source.connection().status).toBe('live');
    expect(summary(received, source, names)).toEqual([
      'container born create Running',
      'node update Deployed',
      'nodecluster fakehost update Deployed',
      'container dies update Stopped',
      'container goes update Terminated',
      'container goes delete Terminated',
    ]);
    expect(named(source)).toEqual(['born Running', 'dies Stopped', 'keep Running']);
    await source.stop();
  });

  it('replays the events that arrived while listing, but only those the listing may not contain', async () => {
    const { clock, engine, source, received, emit } = setup();
    engine.add('early');
    engine.add('late');
    let open: () => void = () => {};
    engine.listGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const started = source.start(emit);
    await settle();
    // Before the listing's clock (already in it) and after it (maybe not).
    engine.event('create', 'ghost', clock.now - 1000);
    engine.event('die', 'late', clock.now + 1);
    open();
    await started;
    await settle();
    expect(named(source)).toEqual(['early Running', 'late Stopped']);
    expect(received.filter((e) => e.type === 'container').map((e) => `${e.action} ${e.state}`)).toEqual(['create Running', 'create Running', 'update Stopped']);
    await source.stop();
  });

  it('refuses a namespace no resource URI could reach: another path segment, or "." and ".." (URLs resolve them away)', () => {
    const engine = new FakeEngine(new ManualClock());
    for (const namespace of ['a/b', '.', '..']) {
      expect(() => createDockerSource({ namespace, client: engine })).toThrowError(expect.objectContaining({ code: 'invalid-config', message: expect.stringContaining(`bad namespace ${JSON.stringify(namespace)}`) as string }));
    }
    expect(() => createDockerSource({ namespace: '..', client: engine })).toThrowError('"." and ".." are resolved away in URLs');
  });

  it('rejects start when the engine cannot be reached, unless told to start offline', async () => {
    const down = setup();
    down.engine.up = false;
    await expect(down.source.start(down.emit)).rejects.toThrow(/cannot reach the Docker engine at unix:\/\/\/fake\/docker.sock: connect ECONNREFUSED/);
    expect(down.clock.pending()).toEqual([]);

    const offline = setup({ startOffline: true });
    offline.engine.up = false;
    offline.engine.add('web-1');
    await offline.source.start(offline.emit);
    expect(offline.source.health().ok).toBe(false);
    expect(offline.source.list('acme', 'container')).toEqual([]);
    offline.engine.up = true;
    await offline.clock.advance(offline.clock.pending()[0] as number);
    expect(named(offline.source)).toEqual(['web-1 Running']);
    await offline.source.stop();
  });

  it('notices a silent engine through its pings', async () => {
    const { clock, engine, source, emit } = setup();
    await source.start(emit);
    engine.up = false;
    await clock.advance(60_000);
    expect(source.connection()).toMatchObject({ status: 'backoff', lastError: expect.stringMatching(/ECONNREFUSED/) });
    await source.stop();
  });

  it('runs operations on the engine, and refuses them while the engine is away', async () => {
    const { engine, source, received, emit } = setup();
    engine.add('web-1');
    await source.start(emit);
    const uuid = source.list('acme', 'container')[0]?.uuid as string;
    const base = { namespace: 'acme', type: 'container' as const, uuid, user: 'alice', method: 'POST', path: '/x/' };
    received.length = 0;

    const result = source.operate({ ...base, operation: 'stop' });
    expect(result.ok && result.action.state).toBe('In progress');
    await settle();
    expect(engine.jobs).toEqual([{ kind: 'container-stop', id: 'web-1' }]);
    engine.event('die', 'web-1');
    await settle();
    expect(received.map((e) => `${e.type} ${e.state}`)).toEqual(['action Pending', 'action In progress', 'container Stopping', 'container Stopped', 'action Success']);

    engine.failJobs = true;
    received.length = 0;
    source.operate({ ...base, operation: 'start' });
    await settle();
    expect(received.map((e) => `${e.type} ${e.state}`)).toEqual(['action Pending', 'action In progress', 'container Starting', 'container Stopped', 'action Failed']);

    engine.crash();
    await settle();
    const refused = source.operate({ ...base, operation: 'start' });
    expect(refused).toMatchObject({ ok: false, status: 503, retryAfterSeconds: 5, detail: expect.stringMatching(/unreachable/) });
    await source.stop();
  });

  it('re-lists when an operation finds the engine no swarm manager (left the swarm unseen), not on other failures', async () => {
    const { engine, source, emit } = setup();
    engine.add('web-1');
    await source.start(emit);
    const uuid = source.list('acme', 'container')[0]?.uuid as string;
    const base = { namespace: 'acme', type: 'container' as const, uuid, user: 'alice', method: 'POST', path: '/x/' };
    const listings = engine.infoCalls;
    engine.failJobs = true;
    source.operate({ ...base, operation: 'redeploy' });
    await settle();
    expect(engine.infoCalls).toBe(listings); // an ordinary failure is the action's, nothing to re-list
    engine.jobError = new DockerApiError(503, 'This node is not a swarm manager.');
    source.operate({ ...base, operation: 'redeploy' });
    await settle();
    expect(engine.infoCalls).toBe(listings + 1);
    await source.stop();
  });

  it('maps the events that arrived during the re-list an operation asked for, without waiting for another event', async () => {
    const { clock, engine, source, emit } = setup();
    engine.add('web-1');
    engine.add('db-1');
    await source.start(emit);
    const uuid = source.list('acme', 'container').find((c) => c.name === 'web-1')?.uuid as string;
    engine.jobError = new DockerApiError(503, 'This node is not a swarm manager.');
    let open: () => void = () => {};
    engine.listGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    source.operate({ namespace: 'acme', type: 'container', uuid, operation: 'redeploy', user: 'alice', method: 'POST', path: '/x/' });
    await settle();
    // Mid-listing: the listing has db-1 running, its death comes after.
    engine.event('die', 'db-1', clock.now + 1);
    open();
    await settle();
    expect(named(source)).toEqual(['db-1 Stopped', 'web-1 Running']);
    await source.stop();
  });

  it('maps the events of a new connection while an inspect of the lost one still hangs', async () => {
    const { clock, engine, source, emit } = setup();
    engine.add('web-1');
    await source.start(emit);
    let answer: () => void = () => {};
    engine.inspectGate = { id: 'late', until: new Promise<void>((resolve) => (answer = resolve)) };
    // Its inspect (for its stop timeout) hangs; the engine is lost meanwhile, and comes back.
    engine.event('create', 'late');
    await settle();
    engine.crash();
    await settle();
    engine.up = true;
    await clock.advance(clock.pending()[0] as number);
    expect(source.connection().status).toBe('live');
    engine.event('die', 'web-1');
    await settle();
    // The lost connection's inspect answers at last: the new connection's events go on being mapped.
    answer();
    await settle();
    expect(named(source)).toEqual(['late Starting', 'web-1 Stopped']);
    await source.stop();
  });

  it('inspects a container created while it runs, so that a kill waits for its own stop timeout', async () => {
    const { clock, engine, source, received, emit } = setup({ settleTimeoutMs: 5_000 });
    await source.start(emit);
    engine.inspected.length = 0;
    engine.nextStopTimeout = 40;
    engine.event('create', 'late');
    engine.event('start', 'late');
    engine.event('kill', 'late');
    await settle();
    expect(engine.inspected).toEqual(['late']);
    expect(received.map((e) => `${e.type} ${e.action} ${e.state}`).slice(-3)).toEqual(['container create Starting', 'container update Running', 'container update Stopping']);
    received.length = 0;
    // Not the engine's 10 s: the container's own 40 s, then a margin.
    await clock.advance(44_999);
    expect(received).toEqual([]);
    await clock.advance(1);
    expect(received.map((e) => `${e.type} ${e.state}`)).toEqual(['container Running']);
    await source.stop();
  });

  it('ends transitional states at their deadline with the injected clock', async () => {
    const { clock, engine, source, received, emit } = setup({ settleTimeoutMs: 10_000 });
    engine.add('web-1');
    await source.start(emit);
    const uuid = source.list('acme', 'container')[0]?.uuid as string;
    source.operate({ namespace: 'acme', type: 'container', uuid, operation: 'stop', user: 'alice', method: 'POST', path: '/x/' });
    await settle();
    received.length = 0;
    // The engine accepted the stop but never reported the container's death. The settle timeout
    // (10 s) is not the deadline: the engine's SIGKILL comes after the stop timeout (10 s by
    // default), and the stop may not fall back before that and a margin.
    await clock.advance(14_999);
    expect(received).toEqual([]);
    await clock.advance(1);
    expect(received.map((e) => `${e.type} ${e.state}`)).toEqual(['container Running', 'action Success']);
    await source.stop();
  });
});
