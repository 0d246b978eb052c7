// `npm run bench` in packages/server: the fan-out benchmark (issue 3). Our server and two
// baselines (a plain `ws` server; socket.io with rooms) take the same events to the same
// subscribers. Each server runs in its own child process and the subscribers in two others, so
// the server's CPU reading (process.cpuUsage in its own process) holds nothing of the clients'.
// Bounded: every wait has a timeout, and every child is killed on the way out.
//
// Knobs for investigating (the defaults are the benchmark):
//   BENCH_SERVERS=ours,plain-ws   run a subset of the contenders (labels as printed)
//   BENCH_ROUNDS=1                flood rounds (default 3)
//   BENCH_MEMORY=0                skip part 3
//   BENCH_SERVER_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"   node flags for every server child
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Child, compileChildren, killChildren } from './child.js';
import { createWorkload, expectedPerSubscriber, type Workload } from './events.js';
import type { ClientCommand, ClientReport, CpuSample, LoopHealth, MemorySample, ServerCommand, ServerKind, ServerReport } from './ipc.js';

const SUBSCRIBERS = 1_000;
/** Subscribers are split over this many client children (contiguous slices, each with the same filter mix). */
const CLIENT_PROCESSES = 2;
const WARMUP_EVENTS = 300;
const FLOOD_EVENTS = 2_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Events a flood publishes per event-loop turn: a source emitting in bursts, as the simulator does at full speed. */
const PER_TURN = 32;
/** Events in flight (published, not yet all received) before the flood waits for the clients. */
const WINDOW_EVENTS = 400;
const PACED_RATE = 100;
/** The latency run: 100 events/s in slices that alternate between the servers, so the machine's noise falls on all alike. */
const PACED_SLICES = 8;
const PACED_EVENTS_PER_SLICE = 125;
/** Slices during which other jobs kept fewer cores than this busy count as quiet. */
const QUIET_CORES = 0.5;
const IDLE_CONNECTIONS = 10_000;
/**
 * The clients are the measuring instrument: their GC must not stall on helper threads that a
 * busy machine has descheduled (see the single-threaded-GC contender below).
 */
const CLIENT_ARGS = ['--single-threaded-gc'];
const SERVER_ARGS = process.env.BENCH_SERVER_ARGS?.split(' ').filter(Boolean) ?? [];

interface Contender {
  readonly label: string;
  readonly kind: ServerKind;
  readonly serverArgs: readonly string[];
  /** Whether part 3 (idle memory) measures it. */
  readonly memory: boolean;
}

const ALL_CONTENDERS: readonly Contender[] = [
  { label: 'ours', kind: 'ours', serverArgs: [], memory: true },
  { label: 'plain-ws', kind: 'plain-ws', serverArgs: [], memory: true },
  { label: 'socketio', kind: 'socketio', serverArgs: [], memory: true },
  // The same server with V8's GC on the main thread only. On a 2-core machine shared with other
  // jobs, a parallel scavenge waits for helper threads the OS has descheduled: measured pauses
  // of 50–107 ms for a scavenge that takes 1–7 ms (the latency tail). This row shows the effect.
  { label: 'ours +single-threaded-gc', kind: 'ours', serverArgs: ['--single-threaded-gc'], memory: false },
];
const CONTENDERS = ALL_CONTENDERS.filter((c) => process.env.BENCH_SERVERS?.split(',').includes(c.label) ?? true);
const RUN_MEMORY = process.env.BENCH_MEMORY !== '0';

type ServerChild = Child<ServerCommand, ServerReport>;
type ClientChild = Child<ClientCommand, ClientReport>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cpuUs = (cpu: CpuSample) => cpu.userUs + cpu.systemUs;

async function startServer(contender: Contender, extraArgs: readonly string[] = []): Promise<{ server: ServerChild; port: number }> {
  const server: ServerChild = new Child(
    `servers/${contender.kind}.js`,
    [...contender.serverArgs, ...SERVER_ARGS, ...extraArgs],
    `${contender.label} server`,
  );
  const { port } = await server.next('listening', 20_000);
  return { server, port };
}

async function connectClients(contender: Contender, server: ServerChild, port: number, count: number): Promise<ClientChild[]> {
  const clients: ClientChild[] = [];
  try {
    const per = Math.ceil(count / CLIENT_PROCESSES);
    await Promise.all(
      Array.from({ length: CLIENT_PROCESSES }, async (_, i) => {
        const client: ClientChild = new Child('clients/subscribers.js', CLIENT_ARGS, `${contender.label} clients ${i + 1}`);
        clients[i] = client;
        const range = { from: i * per, to: Math.min(count, (i + 1) * per) };
        const connected = await client.request({ cmd: 'connect', kind: contender.kind, port, ...range, workloadSize: count }, 'connected', 90_000);
        if (connected.failed > 0) throw new Error(`${connected.failed} of ${range.to - range.from} connections failed (first: ${connected.firstError})`);
      }),
    );
    // Connected on the client side; wait until the server has subscribed them all too.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { n } = await server.request({ cmd: 'subscribers' }, 'subscribers');
      if (n === count) return clients;
      if (Date.now() > deadline) throw new Error(`server has ${n} of ${count} subscribers`);
      await sleep(50);
    }
  } catch (error) {
    await stopClients(clients);
    throw error;
  }
}

async function stopClients(clients: readonly (ClientChild | undefined)[]): Promise<void> {
  await Promise.all(clients.map((client) => client?.stop({ cmd: 'close' })));
}

interface Slice {
  readonly latenciesUs: readonly number[];
  readonly otherCores: number;
}

interface DeliveryResult {
  readonly delivered: number;
  readonly expected: number;
  /** Subscribers whose count differs from the expected one. */
  readonly mismatched: number;
  /** Connections the server closed during the run (there should be none). */
  readonly closed: number;
  /** From the first event published to the last frame received. */
  readonly wallS: number;
  readonly serverCpuUs: number;
  readonly clientCpuUs: number;
  readonly latenciesUs: readonly number[];
  readonly windowWaits: number;
  readonly serverLoop: LoopHealth;
  readonly clientLoop: LoopHealth;
  /**
   * CPU cores busy with work that is not the bench's (other jobs on the machine) during the run:
   * machine busy time (/proc/stat) minus the server's, the clients' and the orchestrator's.
   */
  readonly otherCores: number;
  /** Per run (latency slice), to see the machine's noise next to the tail. */
  readonly slices: readonly Slice[];
}

/** CPU seconds the whole machine has spent busy (user, nice, system, steal; not idle or irq). */
function machineBusyS(): number {
  try {
    const fields = readFileSync('/proc/stat', 'latin1').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const [user = 0, nice = 0, system = 0, , , , , steal = 0] = fields;
    return (user + nice + system + steal) / 100; // USER_HZ
  } catch {
    return Number.NaN;
  }
}

/** Whether `promise` settled within `ms` (the timer is cleared either way). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = await Promise.race([promise.then(() => true as const), expired]);
  clearTimeout(timer);
  return settled;
}

const mergeLoop = (a: LoopHealth, b: LoopHealth): LoopHealth => ({
  delayP99Ms: Math.max(a.delayP99Ms, b.delayP99Ms),
  delayMaxMs: Math.max(a.delayMaxMs, b.delayMaxMs),
  gcPauses: a.gcPauses + b.gcPauses,
  gcMaxMs: Math.max(a.gcMaxMs, b.gcMaxMs),
  gcTotalMs: a.gcTotalMs + b.gcTotalMs,
});

/** One run: reset the clients, publish, wait for every expected frame, read CPU, check every subscriber's count. */
async function deliveryRun(
  server: ServerChild,
  clients: readonly ClientChild[],
  workload: Workload,
  command: Extract<ServerCommand, { cmd: 'flood' | 'paced' }>,
  timeoutMs: number,
): Promise<DeliveryResult> {
  await Promise.all(clients.map((client) => client.request({ cmd: 'reset', latency: command.cmd === 'paced' }, 'reset-done')));
  const expectedCounts = expectedPerSubscriber(workload, command.events, command.first);
  const expected = expectedCounts.reduce((a, b) => a + b, 0);
  const received = clients.map(() => 0);
  const lastUs = clients.map(() => 0);
  const unlisten: (() => void)[] = [];
  const allIn = new Promise<void>((resolve) => {
    clients.forEach((client, i) => {
      unlisten.push(
        client.on((report) => {
          if (report.type !== 'progress') return;
          received[i] = report.received;
          lastUs[i] = report.lastUs;
          const total = received.reduce((a, b) => a + b, 0);
          // The flood's flow control: the publisher keeps a bounded number of deliveries in flight.
          // Paced runs need none, and relayed messages would cost the server CPU.
          if (command.cmd === 'flood') server.send({ cmd: 'progress', received: total });
          if (total >= expected) resolve();
        }),
      );
    });
  });
  const published = server.next('published', timeoutMs);
  const machine0 = machineBusyS();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  server.send(command);
  const allReceived = await within(allIn, timeoutMs);
  const stopped = await server.request({ cmd: 'stop' }, 'stopped');
  const machineS = machineBusyS() - machine0;
  const own = process.cpuUsage(own0);
  const elapsedS = (performance.now() - t0) / 1000;
  for (const off of unlisten) off();
  await published.catch(() => undefined);
  // Anything beyond the expected frames (a duplicate) would arrive in this pause.
  await sleep(200);
  const reports = await Promise.all(clients.map((client) => client.request({ cmd: 'report' }, 'report', 30_000)));
  const counts = reports.flatMap((report) => report.counts);
  const delivered = counts.reduce((a, b) => a + b, 0);
  if (!allReceived) console.error(`  ! timed out with ${delivered} of ${expected} deliveries`);
  const clientCpuUs = reports.reduce((n, report) => n + cpuUs(report.cpu), 0);
  const otherCores = Math.max(0, (machineS - (own.user + own.system + cpuUs(stopped.cpu) + clientCpuUs) / 1e6) / elapsedS);
  const latenciesUs = reports.flatMap((report) => report.latenciesUs);
  return {
    delivered,
    expected,
    mismatched: counts.filter((n, i) => n !== expectedCounts[i]).length,
    closed: reports.reduce((n, report) => n + report.closed, 0),
    wallS: (Math.max(...lastUs) - stopped.startUs) / 1e6,
    serverCpuUs: cpuUs(stopped.cpu),
    clientCpuUs,
    latenciesUs,
    windowWaits: stopped.windowWaits,
    serverLoop: stopped.loop,
    clientLoop: reports.map((report) => report.loop).reduce(mergeLoop),
    otherCores,
    slices: [{ latenciesUs, otherCores }],
  };
}

/** Latency slices of one server as one result. */
function mergeRuns(a: DeliveryResult, b: DeliveryResult): DeliveryResult {
  return {
    delivered: a.delivered + b.delivered,
    expected: a.expected + b.expected,
    mismatched: a.mismatched + b.mismatched,
    closed: Math.max(a.closed, b.closed),
    wallS: a.wallS + b.wallS,
    serverCpuUs: a.serverCpuUs + b.serverCpuUs,
    clientCpuUs: a.clientCpuUs + b.clientCpuUs,
    latenciesUs: a.latenciesUs.concat(b.latenciesUs),
    windowWaits: a.windowWaits + b.windowWaits,
    serverLoop: mergeLoop(a.serverLoop, b.serverLoop),
    clientLoop: mergeLoop(a.clientLoop, b.clientLoop),
    otherCores: (a.otherCores * a.wallS + b.otherCores * b.wallS) / (a.wallS + b.wallS),
    slices: [...a.slices, ...b.slices],
  };
}

interface Rig {
  readonly contender: Contender;
  readonly server: ServerChild;
  readonly clients: ClientChild[];
}

/** A server child with its 1,000 subscribers connected, warmed up. */
async function startRig(contender: Contender, workload: Workload): Promise<Rig> {
  const { server, port } = await startServer(contender);
  try {
    const clients = await connectClients(contender, server, port, SUBSCRIBERS);
    // The same flood, shorter, so the JIT has seen the hot paths of every server before timing.
    await deliveryRun(server, clients, workload, { cmd: 'flood', first: 0, events: WARMUP_EVENTS, perTurn: PER_TURN, windowEvents: WINDOW_EVENTS }, 30_000);
    return { contender, server, clients };
  } catch (error) {
    await server.stop({ cmd: 'close' });
    throw error;
  }
}

async function stopRig(rig: Rig): Promise<void> {
  await stopClients(rig.clients);
  await rig.server.stop({ cmd: 'close' });
}

interface IdleMemory {
  readonly connections: number;
  readonly before: MemorySample;
  readonly after: MemorySample;
}

async function benchMemory(contender: Contender): Promise<IdleMemory> {
  const { server, port } = await startServer(contender, ['--expose-gc']);
  let clients: ClientChild[] = [];
  try {
    const { sample: before } = await server.request({ cmd: 'memory' }, 'memory');
    clients = await connectClients(contender, server, port, IDLE_CONNECTIONS);
    await sleep(500);
    const { sample: after } = await server.request({ cmd: 'memory' }, 'memory');
    return { connections: IDLE_CONNECTIONS, before, after };
  } finally {
    await stopClients(clients);
    await server.stop({ cmd: 'close' });
  }
}

// --- Formatting ------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
const ms = (us: number) => fmt(us / 1000, 2);
const row = (cells: readonly string[], widths: readonly number[]) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ');
function table(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  console.log(`  ${row(header, widths)}`);
  console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of rows) console.log(`  ${row(r, widths)}`);
}
const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
const sortedUs = (samples: readonly number[]) => [...samples].sort((a, b) => a - b);
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
const rate = (r: DeliveryResult | undefined) => (r === undefined ? Number.NaN : r.delivered / r.wallS);
const perDelivery = (r: DeliveryResult | undefined) => (r === undefined ? Number.NaN : r.serverCpuUs / r.delivered);
const checked = (r: DeliveryResult | undefined) =>
  r === undefined ? 'n/a' : r.mismatched === 0 && r.delivered === r.expected && r.closed === 0 ? 'yes' : `NO (${r.mismatched} subs off, ${r.closed} closed)`;

// --- The run ---------------------------------------------------------------------------------

const began = Date.now();
await compileChildren();
const workload = createWorkload(SUBSCRIBERS);
const floodDeliveries = expectedPerSubscriber(workload, FLOOD_EVENTS).reduce((a, b) => a + b, 0);
let ulimit = 'unknown';
try {
  ulimit = execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim();
} catch {
  // Reported as unknown.
}

console.log(`@events/server fan-out benchmark — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ulimit -n ${ulimit}`);
console.log(
  `Processes: each server in its own child (bundled JS, not tsx); subscribers on raw-TCP WebSocket clients (minimal frame parser) in ${CLIENT_PROCESSES} other children; 127.0.0.1 only.`,
);
console.log(`Subscribers: ${fmt(SUBSCRIBERS)} — ${workload.mix}.`);
console.log('Baselines: plain-ws = ws server, loop over clients, matchesFilter, send(JSON.stringify(event)) each;');
console.log('           socketio = socket.io 4, websocket transport, a room per filter key, one emit per matching room per event.');
console.log('');

const errors: string[] = [];
const floods = new Map<string, DeliveryResult[]>();
const paced = new Map<string, DeliveryResult>();
const memory = new Map<string, IdleMemory>();

// Every server is up at once and the rounds alternate between them, so the noise of a shared
// machine falls on all alike; the median flood round is reported, with the range.
const rigs: Rig[] = [];
for (const contender of CONTENDERS) {
  process.stdout.write(`starting ${contender.label} (${fmt(SUBSCRIBERS)} subscribers, warm-up)… `);
  try {
    rigs.push(await startRig(contender, workload));
    console.log('ok');
  } catch (error) {
    console.log('FAILED');
    errors.push(`${contender.label}: ${String(error)}`);
  }
}
try {
  const flood = { cmd: 'flood', first: 0, events: FLOOD_EVENTS, perTurn: PER_TURN, windowEvents: WINDOW_EVENTS } as const;
  for (let round = 1; round <= ROUNDS; round++) {
    process.stdout.write(`flood round ${round}/${ROUNDS}:`);
    for (const rig of rigs) {
      process.stdout.write(` ${rig.contender.label};`);
      const runs = floods.get(rig.contender.label) ?? [];
      runs.push(await deliveryRun(rig.server, rig.clients, workload, flood, 45_000));
      floods.set(rig.contender.label, runs);
    }
    console.log('');
  }
  for (let slice = 0; slice < PACED_SLICES; slice++) {
    process.stdout.write(`latency slice ${slice + 1}/${PACED_SLICES} (${PACED_EVENTS_PER_SLICE / PACED_RATE} s each):`);
    const command = { cmd: 'paced', first: slice * PACED_EVENTS_PER_SLICE, events: PACED_EVENTS_PER_SLICE, rate: PACED_RATE } as const;
    for (const rig of rigs) {
      process.stdout.write(` ${rig.contender.label};`);
      const result = await deliveryRun(rig.server, rig.clients, workload, command, 20_000);
      const before = paced.get(rig.contender.label);
      paced.set(rig.contender.label, before === undefined ? result : mergeRuns(before, result));
    }
    console.log('');
  }
} catch (error) {
  errors.push(String(error));
} finally {
  for (const rig of rigs) await stopRig(rig);
}
if (RUN_MEMORY) {
  process.stdout.write(`idle memory (${fmt(IDLE_CONNECTIONS)} connections each):`);
  for (const contender of CONTENDERS.filter((c) => c.memory)) {
    process.stdout.write(` ${contender.label};`);
    try {
      memory.set(contender.label, await benchMemory(contender));
    } catch (error) {
      errors.push(`${contender.label} memory: ${String(error)}`);
    }
  }
  console.log('');
}
console.log('');
for (const error of errors) console.log(`  ! ${error}`);

// --- Part 1 ----------------------------------------------------------------------------------

/** The median round by deliveries/s, and the range over the rounds. */
const summary = (label: string) => {
  const runs = [...(floods.get(label) ?? [])].sort((a, b) => rate(a) - rate(b));
  const cpu = runs.map(perDelivery);
  return {
    runs,
    median: runs[Math.floor(runs.length / 2)],
    minRate: rate(runs[0]),
    maxRate: rate(runs.at(-1)),
    minCpu: Math.min(...cpu),
    maxCpu: Math.max(...cpu),
  };
};
console.log(
  `1. Throughput: ${fmt(FLOOD_EVENTS)} events as fast as possible (${PER_TURN} per event-loop turn, at most ${WINDOW_EVENTS} events in flight), ` +
    `${fmt(floodDeliveries)} deliveries per round; ${ROUNDS} rounds alternating between servers, median round shown [min–max]`,
);
table(
  [
    'server',
    'deliveries',
    'counts match',
    'deliveries/s',
    '[min–max]',
    'server CPU µs/delivery',
    '[min–max]',
    'deliveries per server CPU-s',
    'server CPU %',
    'clients CPU %',
    'other jobs (cores)',
  ],
  CONTENDERS.map(({ label }) => {
    const { runs, median: r, minRate, maxRate, minCpu, maxCpu } = summary(label);
    const allChecked = runs.length === 0 ? 'n/a' : runs.every((run) => checked(run) === 'yes') ? 'yes' : runs.map(checked).join(' / ');
    return [
      label,
      r ? fmt(r.delivered) : 'n/a',
      allChecked,
      fmt(rate(r)),
      `[${fmt(minRate)}–${fmt(maxRate)}]`,
      fmt(perDelivery(r), 2),
      `[${fmt(minCpu, 2)}–${fmt(maxCpu, 2)}]`,
      fmt(1e6 / perDelivery(r)),
      r ? fmt((100 * r.serverCpuUs) / 1e6 / r.wallS) : 'n/a',
      r ? fmt((100 * r.clientCpuUs) / 1e6 / r.wallS) : 'n/a',
      r ? fmt(r.otherCores, 2) : 'n/a',
    ];
  }),
);
const floodRuns = CONTENDERS.flatMap(({ label }) => floods.get(label) ?? []);
const countsEqual = floodRuns.length > 0 && floodRuns.every((run) => run.delivered === floodDeliveries && run.mismatched === 0 && run.closed === 0);
console.log(
  `  delivery counts: ${countsEqual ? `identical for every server and round (${fmt(floodDeliveries)}); every subscriber got exactly its expected count` : 'NOT all as expected, see above'}`,
);
const ours = summary('ours');
const plain = summary('plain-ws');
const sio = summary('socketio');
const ratioPlain = rate(ours.median) / rate(plain.median);
console.log(
  `  deliveries/s  ours / plain-ws = ${fmt(ratioPlain, 1)}× (worst pairing ${fmt(ours.minRate / plain.maxRate, 1)}×)  [target ≥ 4×: ${verdict(ratioPlain >= 4)}]` +
    `   ours / socketio = ${fmt(rate(ours.median) / rate(sio.median), 1)}× (worst pairing ${fmt(ours.minRate / sio.maxRate, 1)}×)`,
);
console.log(
  `  CPU/delivery  plain-ws / ours = ${fmt(perDelivery(plain.median) / perDelivery(ours.median), 1)}×   socketio / ours = ${fmt(perDelivery(sio.median) / perDelivery(ours.median), 1)}×`,
);
console.log('');

// --- Part 2 ----------------------------------------------------------------------------------

console.log(
  `2. Latency: ${fmt(PACED_RATE)} events/s to the same ${fmt(SUBSCRIBERS)} subscribers, ${PACED_SLICES} slices of ${PACED_EVENTS_PER_SLICE / PACED_RATE} s per server ` +
    'alternating between servers (publish → frame read by the client; one CLOCK_MONOTONIC for all processes)',
);
table(
  [
    'server',
    'deliveries',
    'counts match',
    'p50 ms',
    'p99 ms',
    'p99.9 ms',
    'max ms',
    'server CPU µs/delivery',
    'server loop delay p99/max ms',
    'server GC pause max/total ms',
    'clients loop delay p99/max ms',
    'other jobs (cores)',
  ],
  CONTENDERS.map(({ label }) => {
    const r = paced.get(label);
    const sorted = sortedUs(r?.latenciesUs ?? []);
    return [
      label,
      r ? fmt(r.delivered) : 'n/a',
      checked(r),
      ms(percentile(sorted, 50)),
      ms(percentile(sorted, 99)),
      ms(percentile(sorted, 99.9)),
      ms(sorted.at(-1) ?? Number.NaN),
      fmt(perDelivery(r), 2),
      r ? `${fmt(r.serverLoop.delayP99Ms, 1)} / ${fmt(r.serverLoop.delayMaxMs, 1)}` : 'n/a',
      r ? `${fmt(r.serverLoop.gcMaxMs, 1)} / ${fmt(r.serverLoop.gcTotalMs, 0)}` : 'n/a',
      r ? `${fmt(r.clientLoop.delayP99Ms, 1)} / ${fmt(r.clientLoop.delayMaxMs, 1)}` : 'n/a',
      r ? fmt(r.otherCores, 2) : 'n/a',
    ];
  }),
);
const quietP99 = (label: string) => {
  const quiet = (paced.get(label)?.slices ?? []).filter((slice) => slice.otherCores < QUIET_CORES);
  return { count: quiet.length, p99Us: percentile(sortedUs(quiet.flatMap((slice) => slice.latenciesUs)), 99) };
};
for (const { label } of CONTENDERS) {
  const slices = paced.get(label)?.slices ?? [];
  const perSlice = slices.map((x) => `${fmt(percentile(sortedUs(x.latenciesUs), 99) / 1000, 1)} (${fmt(x.otherCores, 1)})`).join(', ');
  const quiet = quietP99(label);
  console.log(
    `  ${label}: p99 ms per slice (other jobs' cores): ${perSlice}; quiet slices (< ${QUIET_CORES} cores): ${quiet.count}${quiet.count > 0 ? `, p99 ${ms(quiet.p99Us)} ms` : ''}`,
  );
}
const oursP99 = percentile(sortedUs(paced.get('ours')?.latenciesUs ?? []), 99);
const oursQuiet = quietP99('ours');
console.log(
  `  ours p99 = ${ms(oursP99)} ms over all slices [target ≤ 10 ms: ${verdict(oursP99 <= 10_000)}]; ` +
    (oursQuiet.count > 0
      ? `${ms(oursQuiet.p99Us)} ms over its ${oursQuiet.count} quiet slices [${verdict(oursQuiet.p99Us <= 10_000)}]`
      : 'no quiet slice (other jobs kept the machine busy throughout)'),
);
console.log('');

// --- Part 3 ----------------------------------------------------------------------------------

if (RUN_MEMORY) {
  console.log(`3. Memory per idle connection: ${fmt(IDLE_CONNECTIONS)} connections (same filter mix), server process, after forced GC`);
  const kb = (bytes: number, n: number) => fmt(bytes / n / 1024, 1);
  table(
    ['server', 'connections', 'RSS Δ KB/conn', 'heap Δ KB/conn', 'external Δ KB/conn', 'RSS before MB', 'RSS after MB'],
    CONTENDERS.filter((c) => c.memory).map(({ label }) => {
      const m = memory.get(label);
      if (m === undefined) return [label, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
      return [
        label,
        fmt(m.connections),
        kb(m.after.rss - m.before.rss, m.connections),
        kb(m.after.heapUsed - m.before.heapUsed, m.connections),
        kb(m.after.external - m.before.external, m.connections),
        fmt(m.before.rss / 2 ** 20, 1),
        fmt(m.after.rss / 2 ** 20, 1),
      ];
    }),
  );
  const oursMemory = memory.get('ours');
  if (oursMemory) {
    const perConn = (oursMemory.after.rss - oursMemory.before.rss) / oursMemory.connections / 1024;
    console.log(`  ours RSS Δ = ${fmt(perConn, 1)} KB/connection  [target ≤ 16 KB: ${verdict(perConn <= 16)}]`);
  }
  console.log('');
}
console.log(`Total time ${fmt((Date.now() - began) / 1000, 1)} s.`);
if (errors.length > 0) process.exitCode = 1;
killChildren();
