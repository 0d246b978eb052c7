// Client ingest throughput: receive, parse, validate, dedupe and apply to the hierarchy store,
// against JSON.parse alone in the same run (ratios travel between machines, absolute numbers less).
// Ratios to three places: a target sits at 0.5, where two places would round 0.495 up to it.
//
//   npm run bench   (node --conditions=@events/source --import tsx bench/ingest.bench.ts; EVENTS=n to change the count)
//
// 1. In memory: the live tree over core's fake port (no socket): the whole client pipeline; also
//    without recent events, and in a steady state (after one lap of the store's event log). Each
//    timed loop's minor page faults are printed too: on a host where a fresh page costs tens of
//    microseconds (this repo's AMD VM: ~20 µs) they explain much of the run-to-run spread.
// 2. Over loopback: a ws server in a worker thread sends the same frames as fast as it can;
//    a raw ws client that only JSON.parses each frame, against createEventStream + the store.
import { cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import {
  createHierarchyStore,
  createLiveTree,
  type DockerCloudEvent,
  type HierarchyStoreOptions,
  formatEvent,
  type ObjectType,
  RESUME_SUBPROTOCOL,
  type RestObjectByType,
  STATES,
} from '@events/core';
import { createFakeStreamPort } from '@events/core/testing';
import { WebSocket } from 'ws';
import { createEventStream } from '../src/index.js';

const NS = 'acme';
const EPOCH = 'bench';
const EVENTS = Number(process.env.EVENTS ?? 200_000);
const RUNS = 5;

// --- an account of 10,000 containers and the frames that update them ----------------------------

const uri = (type: ObjectType, id: string) => `/api/${type === 'node' || type === 'nodecluster' ? 'infra' : 'app'}/v1/${NS}/${type}/${id}/`;
const hex = (n: number, width = 12) => n.toString(16).padStart(width, '0');
const stacks = Array.from({ length: 50 }, (_, i) => ({ uuid: `st${hex(i)}`, resource_uri: uri('stack', `st${hex(i)}`), state: 'Running', name: `s${i}` }));
const services = Array.from({ length: 500 }, (_, i) => ({
  uuid: `sv${hex(i)}`,
  resource_uri: uri('service', `sv${hex(i)}`),
  state: 'Running',
  name: `svc${i}`,
  stack: stacks[i % stacks.length]?.resource_uri,
}));
const clusters = Array.from({ length: 10 }, (_, i) => ({ uuid: `nc${hex(i)}`, resource_uri: uri('nodecluster', `nc${hex(i)}`), state: 'Deployed', name: `c${i}` }));
const nodes = Array.from({ length: 100 }, (_, i) => ({ uuid: `nd${hex(i)}`, resource_uri: uri('node', `nd${hex(i)}`), state: 'Deployed', node_cluster: clusters[i % 10]?.resource_uri }));
const containers = Array.from({ length: 10_000 }, (_, i) => ({
  uuid: `ct${hex(i)}`,
  resource_uri: uri('container', `ct${hex(i)}`),
  state: 'Running',
  name: `ct${i}`,
  service: services[i % services.length]?.resource_uri as string,
  node: nodes[i % nodes.length]?.resource_uri as string,
}));
const lists: Record<ObjectType, readonly unknown[]> = { stack: stacks, service: services, nodecluster: clusters, node: nodes, container: containers, action: [] };

function frames(count: number, firstSeq: number): string[] {
  const states = STATES.container;
  return Array.from({ length: count }, (_, i) => {
    const c = containers[(i * 7919) % containers.length] as (typeof containers)[number];
    const service = services.find((s) => s.resource_uri === c.service);
    const node = nodes.find((n) => n.resource_uri === c.node);
    const event: DockerCloudEvent = {
      type: 'container',
      action: 'update',
      parents: [c.service, service?.stack as string, c.node, node?.node_cluster as string],
      resource_uri: c.resource_uri,
      state: states[i % 4] as DockerCloudEvent['state'],
      uuid: `${hex(firstSeq + i, 8)}-1111-4222-8333-444455556666`,
      datetime: '2026-11-27T09:01:33Z',
      position: { epoch: EPOCH, seq: firstSeq + i },
    };
    return formatEvent(event);
  });
}

function seededStore() {
  // As the live tree makes it: the stream already drops repeats.
  const store = createHierarchyStore({ dedupeWindow: 0 });
  store.seed(lists as { [T in ObjectType]: RestObjectByType[T][] }, 0);
  store.publish();
  return store;
}

const perSecond = (count: number, ms: number) => (count * 1000) / ms;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12);
function line(label: string, value: string, note = ''): void {
  console.log(`${label.padEnd(62)} ${value}${note ? `   ${note}` : ''}`);
}

// --- 1. in memory -------------------------------------------------------------------------------

/** A full garbage collection, also without --expose-gc (the bench runs without flags). */
function collectGarbage(): void {
  if (typeof globalThis.gc !== 'function') setFlagsFromString('--expose-gc');
  const gc = typeof globalThis.gc === 'function' ? globalThis.gc : (runInNewContext('gc') as () => void);
  gc();
}

/**
 * A run's frames, made before the clock starts and moved out of the young generation by a full
 * collection, so that neither the baseline nor the client pays, inside its timed loop, for the
 * collector copying 80 MB of frames it has not read yet.
 */
function framesForRun(first: number): string[] {
  const texts = frames(EVENTS, first);
  collectGarbage();
  return texts;
}

/**
 * Events the steady-state runs apply before the clock starts: one lap of the store's event log
 * (its default eventHistory), so that the timed events overwrite records as a client that has
 * run for a while does, rather than growing the log.
 */
const LOG_LAP = 262_144;

/** A timed loop: its milliseconds and the minor page faults the process took meanwhile. */
interface Timed {
  readonly ms: number;
  readonly faults: number;
}

const minorPageFaults = () => process.resourceUsage().minorPageFault;

/**
 * The baseline: JSON.parse alone over frames made exactly as the live tree's are, each parsed
 * once, as a stream parses each frame once. (Parsing strings parsed before is ~25 % faster in
 * V8 than parsing new ones, so re-parsing one set of frames would flatter the baseline.)
 * One run; returns its milliseconds.
 */
function jsonParseAlone(run: number): Timed {
  const texts = framesForRun(run * EVENTS + 1);
  let sink = 0;
  const faultsBefore = minorPageFaults();
  const start = performance.now();
  for (const text of texts) sink += (JSON.parse(text) as { position: { seq: number } }).position.seq;
  const ms = performance.now() - start;
  const faults = minorPageFaults() - faultsBefore;
  if (sink === 0) throw new Error('unreachable');
  return { ms, faults };
}

/**
 * One run of the live tree in memory; `store` as createLiveTree's option of that name; `warm`
 * events applied before the clock starts (see LOG_LAP).
 */
async function liveTreeInMemory(run: number, { store, warm = 0 }: { store?: HierarchyStoreOptions; warm?: number } = {}): Promise<Timed> {
  const first = run * (warm + EVENTS) + 1;
  const texts = framesForRun(first + warm);
  const port = createFakeStreamPort({
    http: (request) => {
      const type = /\/(stack|service|container|nodecluster|node|action)\/\?/.exec(request.url)?.[1] as ObjectType;
      const objects = lists[type];
      return { status: 200, body: { meta: { limit: 1000, offset: 0, total_count: objects.length, next: null, previous: null }, objects }, headers: { 'X-Events-Position': `${EPOCH}:0` } };
    },
  });
  const tree = createLiveTree({ streamHost: 'ws://h/', restHost: 'http://h/', namespace: NS, credentials: { username: 'b', apikey: 'k' }, ...(store ? { store } : {}) }, port);
  const socket = port.last();
  socket.open(RESUME_SUBPROTOCOL);
  socket.send({ type: 'hello', resume: 'fresh', position: { epoch: EPOCH, seq: first - 1 }, heartbeatMs: 15_000 });
  await new Promise((resolve) => setTimeout(resolve, 0)); // the REST answers land
  if (tree.getSnapshot().sync.status !== 'live') throw new Error('not seeded');
  // Made a few at a time, so that they die young as a stream's frames do, and the heap holds no
  // more frames than the other runs' when the clock starts.
  for (let sent = 0; sent < warm; sent += 1024) {
    for (const text of frames(Math.min(1024, warm - sent), first + sent)) socket.send(text);
    port.clock.advance(100); // a publish every 1,024 events
  }
  let publishes = 0;
  const unsubscribe = tree.subscribe(() => publishes++);
  const faultsBefore = minorPageFaults();
  const start = performance.now();
  let clockAt = start;
  for (let i = 0; i < texts.length; i++) {
    socket.send(texts[i]);
    // The test clock follows the real one, so the live tree's 100 ms publish timer fires as it
    // would in production: ten publishes per second of ingest, whatever the ingest rate. In
    // whole milliseconds, as the wall clock (Date.now) the transports give the store moves.
    if ((i & 255) === 255) {
      const elapsed = Math.floor(performance.now() - clockAt);
      if (elapsed > 0) {
        port.clock.advance(elapsed);
        clockAt += elapsed;
      }
    }
  }
  const ms = performance.now() - start;
  const faults = minorPageFaults() - faultsBefore;
  port.clock.advance(100); // the last publish, after the clock stopped
  unsubscribe();
  if (tree.getSnapshot().eventsApplied !== warm + EVENTS) throw new Error(`applied ${tree.getSnapshot().eventsApplied} of ${warm + EVENTS}`);
  if (publishes < 3) throw new Error(`only ${publishes} publishes`);
  const closing = tree.close();
  port.clock.runAll(); // the fake socket reports its close on the test clock
  await closing;
  return { ms, faults };
}

// --- 2. over loopback ---------------------------------------------------------------------------

// A ws server in a worker: on each connection, hello then every frame, as fast as ws takes them.
const SENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, handleProtocols: (p) => (p.has('${RESUME_SUBPROTOCOL}') ? '${RESUME_SUBPROTOCOL}' : false) });
const frames = workerData.frames.map((f) => Buffer.from(f));
wss.on('listening', () => parentPort.postMessage(wss.address().port));
wss.on('connection', (ws) => {
  ws.send(JSON.stringify({ type: 'hello', resume: 'fresh', position: { epoch: '${EPOCH}', seq: workerData.first - 1 }, heartbeatMs: 60000 }));
  let i = 0;
  const pump = () => {
    while (i < frames.length) {
      ws.send(frames[i++], { binary: false });
      if (ws.bufferedAmount > 4 * 1024 * 1024) return setImmediate(pump);
    }
  };
  pump();
});
parentPort.on('message', () => wss.close(() => process.exit(0)));
`;

async function withSender<T>(texts: readonly string[], first: number, body: (url: string) => Promise<T>): Promise<T> {
  const worker = new Worker(SENDER, { eval: true, workerData: { frames: texts, first } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  try {
    return await body(`ws://127.0.0.1:${port}`);
  } finally {
    worker.postMessage('stop');
    await new Promise((resolve) => worker.once('exit', resolve));
  }
}

async function rawWsJsonParse(texts: readonly string[]): Promise<number> {
  return withSender(texts, 1, (url) => {
    return new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${url}/api/audit/v1/${NS}/events/`, [RESUME_SUBPROTOCOL], { perMessageDeflate: false });
      let received = -1; // the hello
      let start = 0;
      ws.on('message', (data) => {
        JSON.parse(data.toString());
        if (received++ === 0) start = performance.now();
        if (received === texts.length) {
          const ms = performance.now() - start;
          ws.terminate();
          resolve(perSecond(texts.length - 1, ms));
        }
      });
      ws.on('error', reject);
    });
  });
}

async function transportIngest(texts: readonly string[], first: number, withStore: boolean): Promise<number> {
  const store = withStore ? seededStore() : null;
  return withSender(texts, first, (url) => {
    return new Promise<number>((resolve, reject) => {
      const stream = createEventStream({ env: {}, streamHost: url, namespace: NS, credentials: { username: 'b', apikey: 'k' } });
      let received = 0;
      let start = 0;
      let published = 0;
      let publishedAt = 0;
      stream.onEvent((event) => {
        store?.apply(event, 1);
        if (received++ === 0) start = publishedAt = performance.now();
        // A UI's 10 Hz publish: checked every 256 events (reading the clock per event would cost
        // more than what it measures).
        if ((received & 255) === 0 && performance.now() - publishedAt >= 100) {
          store?.publish();
          publishedAt = performance.now();
          published++;
        }
        if (received === texts.length) {
          const ms = performance.now() - start;
          if (published === 0 || (store !== null && store.getSnapshot().version < published)) reject(new Error('never published'));
          void stream.close();
          resolve(perSecond(texts.length - 1, ms));
        }
      });
      stream.onError(reject);
    });
  });
}

// --- run ----------------------------------------------------------------------------------------

console.log(`@events/transport-node ingest — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
console.log(`${EVENTS.toLocaleString('en-US')} container updates (~${Math.round(frames(1, 1)[0]?.length ?? 0)} bytes each) on a store of 10,000 containers\n`);

const texts = frames(EVENTS, 1);
// Interleaved (baseline, tree, lean tree, steady tree; five times), not five of each in a row:
// this machine's speed drifts by 10-20 % over a minute, and a drift between two blocks of runs
// moved the ratio by as much as a code change would. Each rate is the best of its five runs.
const parseRuns: Timed[] = [];
const treeRuns: Timed[] = [];
const leanTreeRuns: Timed[] = [];
const steadyTreeRuns: Timed[] = [];
for (let run = 0; run < RUNS; run++) {
  parseRuns.push(jsonParseAlone(run));
  treeRuns.push(await liveTreeInMemory(run));
  // What the recent events of each object (the store's event log: every event recorded) cost: a
  // client that never reads recentEvents() can turn them off.
  leanTreeRuns.push(await liveTreeInMemory(run, { store: { recentEventsPerObject: 0 } }));
  steadyTreeRuns.push(await liveTreeInMemory(run, { warm: LOG_LAP }));
}
const bestRate = (runs: readonly Timed[]) => perSecond(EVENTS, Math.min(...runs.map((r) => r.ms)));
const parseRate = bestRate(parseRuns);
const treeRate = bestRate(treeRuns);
const leanTreeRate = bestRate(leanTreeRuns);
const steadyTreeRate = bestRate(steadyTreeRuns);
line('in memory: JSON.parse alone, events/s', fmt(parseRate));
line('in memory: live tree (parse, validate, dedupe, apply, publish), events/s', fmt(treeRate), `${(treeRate / parseRate).toFixed(3)}× JSON.parse (target ≥ 0.5×)`);
line('in memory: the same, store: { recentEventsPerObject: 0 }, events/s', fmt(leanTreeRate), `${(leanTreeRate / parseRate).toFixed(3)}× JSON.parse`);
line('in memory: the same, after one lap of the event log (steady state), events/s', fmt(steadyTreeRate), `${(steadyTreeRate / parseRate).toFixed(3)}× JSON.parse`);
// Each run's tree against the baseline run just before it: the spread a single ratio hides.
line('in memory: live tree ÷ JSON.parse, run by run', treeRuns.map((r, run) => ((parseRuns[run] as Timed).ms / r.ms).toFixed(3)).join(' '));
line('in memory: steady-state tree ÷ JSON.parse, run by run', steadyTreeRuns.map((r, run) => ((parseRuns[run] as Timed).ms / r.ms).toFixed(3)).join(' '));
// Where touching a fresh page costs tens of microseconds (some virtual machines), a run that
// grows the heap pays for it inside its timed loop: these explain much of the spread.
const faultsOf = (runs: readonly Timed[]) => runs.map((r) => r.faults).join(' ');
line('minor page faults per timed loop: JSON.parse alone', faultsOf(parseRuns));
line('minor page faults per timed loop: live tree', faultsOf(treeRuns));
line('minor page faults per timed loop: steady state', faultsOf(steadyTreeRuns));

let rawBest = 0;
let streamBest = 0;
let clientBest = 0;
for (let run = 0; run < 3; run++) {
  const first = (run + 1) * EVENTS + 1;
  const batch = frames(EVENTS, first);
  rawBest = Math.max(rawBest, await rawWsJsonParse(texts));
  streamBest = Math.max(streamBest, await transportIngest(batch, first, false));
  clientBest = Math.max(clientBest, await transportIngest(batch, first, true));
}
line('loopback: raw ws + JSON.parse, events/s', fmt(rawBest));
line('loopback: createEventStream (receive, parse, validate, dedupe), events/s', fmt(streamBest), `${(streamBest / rawBest).toFixed(3)}× raw ws + JSON.parse`);
line('loopback: createEventStream + store.apply, events/s', fmt(clientBest), `${(clientBest / rawBest).toFixed(3)}× raw ws + JSON.parse (target ≥ 0.5×)`);
