// The live view under load: 10,000 objects, 1,000 events/s for 10 s, rendered by Ink to a fake
// TTY (120×40). Reports frame times, full-screen clears after the first frame, key-to-frame
// latency and output volume.
//
//   npm run bench -w @events/tui            (or: node --conditions=@events/source --import tsx bench/render.bench.ts)
//   options: --seconds N  --rate N  --view stacks|nodes|containers  --filter TEXT  --json
//   (--filter: the view with that `/` filter typed, e.g. `stack-04`, which a stack's name and,
//   through it, its services and containers match)

import { EventEmitter } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { StateOf } from '@events/core';
import { createSyntheticAccount } from '../test/synthetic-account.js';

// As the CLI does before it loads the view: Ink reads CI when first imported (and then draws
// nothing), React picks its build from NODE_ENV.
process.env.CI = 'false';
process.env.CONTINUOUS_INTEGRATION = 'false';
// Colours, as a user's terminal shows them (the fake TTY is no terminal chalk would detect, and
// the CI variable above would turn them off): FORCE_COLOR=0 measures the view without.
process.env.FORCE_COLOR ??= '1';
process.env.NODE_ENV ??= 'production';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    view: { type: 'string', default: 'containers' },
    filter: { type: 'string', default: '' },
    json: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const VIEW = values.view as 'stacks' | 'nodes' | 'containers';
const FILTER = values.filter;
const COLUMNS = 120;
const ROWS = 40;

/** A terminal that is not there: counts what Ink writes and when. */
class FakeTty extends Writable {
  readonly isTTY = true;
  readonly columns = COLUMNS;
  readonly rows = ROWS;
  bytes = 0;
  writes = 0;
  clearsAfterFirstFrame = 0;
  lastWriteAt = 0;
  private firstFrameDone = false;
  onWrite: ((at: number) => void) | null = null;

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    const text = chunk.toString();
    const at = performance.now();
    this.bytes += Buffer.byteLength(text);
    this.writes++;
    this.lastWriteAt = at;
    if (this.firstFrameDone) {
      // Erase-screen (2J), erase-scrollback (3J), and ansi-escapes' clearTerminal that holds both.
      this.clearsAfterFirstFrame += (text.match(/\u001b\[2J/g)?.length ?? 0) + (text.match(/\u001b\[3J/g)?.length ?? 0);
    }
    if (text.includes('events │')) this.firstFrameDone = true;
    this.onWrite?.(at);
    callback();
  }
}

/** A keyboard that is not there, shaped like ink-testing-library's. */
class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
  read(): string | null {
    const data = this.data;
    this.data = null;
    return data;
  }
  press(text: string): void {
    this.data = text;
    this.emit('readable');
  }
}

const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function main(): Promise<void> {
  const [{ createElement }, { render }, { App }, { ThemeContext }, { createLocalLiveTree }, { createEventLog }, { createFieldsCache }, { installInkOutputCache }] = await Promise.all([
    import('react'),
    import('ink'),
    import('../src/components/app.js'),
    import('../src/components/theme.js'),
    import('../src/local-live-tree.js'),
    import('../src/event-log.js'),
    import('../src/fields-cache.js'),
    import('../src/components/install-ink-output-cache.js'),
  ]);
  const { boundInkTextCaches, findInkTextCaches } = await import('../src/components/bound-ink-text-caches.js');
  // As runWatch does before it renders.
  const outputCache = await installInkOutputCache();
  const stopTrimming = await boundInkTextCaches();
  const textCaches = await findInkTextCaches(); // to report how many texts Ink holds at the end

  const account = createSyntheticAccount(100, 5, 19);
  const tree = createLocalLiveTree({ publishIntervalMs: 100 });
  const seedStarted = performance.now();
  tree.seed(account.lists);
  const seedMs = performance.now() - seedStarted;
  const objects = tree.getSnapshot().tree.size;

  // Frame time: the work of one update, from a store telling React to the frame being written
  // (React render + commit in the microtasks that follow, Yoga layout, Ink's output), timed from
  // the listener call to the next macrotask: the check phase (setImmediate), or one of this
  // script's own timers when it runs first. Node runs the microtasks (where React and Ink make
  // the frame) before any other callback, and by the time they are done the feeder's 10 ms timer
  // is usually due too: the events it pushes and the keys it presses are not the frame's work.
  // Stores that publish in the same turn make one frame, timed once.
  const frames: number[] = [];
  /** CPU time of the same windows: what a frame costs, whatever else the machine is doing. */
  const frameCpu: number[] = [];
  let frameStarted: number | null = null;
  /** Closes the open frame's window, if one is open. */
  let endFrame: () => void = () => {};
  const timed = <T extends { subscribe(listener: () => void): () => void }>(store: T): T => {
    const subscribe = store.subscribe.bind(store);
    return Object.assign(Object.create(store) as T, {
      subscribe: (listener: () => void) =>
        subscribe(() => {
          if (frameStarted === null) {
            const started = performance.now();
            const cpuStarted = process.cpuUsage();
            frameStarted = started;
            const end = () => {
              if (frameStarted !== started) return; // closed already
              frames.push(performance.now() - started);
              const cpu = process.cpuUsage(cpuStarted);
              frameCpu.push((cpu.user + cpu.system) / 1000);
              frameStarted = null;
            };
            endFrame = end;
            setImmediate(end);
          }
          listener();
        }),
    });
  };
  const log = createEventLog();
  const detach = log.attach(tree);
  const fields = createFieldsCache({ fetch: (uri) => tree.fetchObject(uri) });
  const inkRenders: number[] = [];

  const stdout = new FakeTty();
  const stdin = new FakeStdin();
  const instance = render(
    createElement(
      ThemeContext.Provider,
      { value: { color: true } },
      createElement(App, {
        tree: timed(tree),
        eventLog: timed(log),
        fields,
        title: `bench · ${objects} objects`,
        initialState: { view: VIEW, filter: FILTER },
        onQuit: () => {},
      }),
    ),
    {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      stderr: new FakeTty() as unknown as NodeJS.WriteStream,
      exitOnCtrlC: false,
      patchConsole: false,
      incrementalRendering: false,
      maxFps: 60,
      onRender: ({ renderTime }) => inkRenders.push(renderTime),
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  frames.length = 0; // the first frame (mount) is not a steady-state frame
  frameCpu.length = 0;

  // 1,000 events/s as 10 every 10 ms, flipping containers between states.
  const states: StateOf<'container'>[] = ['Running', 'Stopping', 'Stopped', 'Starting'];
  let sent = 0;
  const started = performance.now();
  const feeder = setInterval(() => {
    endFrame();
    const due = Math.floor(((performance.now() - started) / 1000) * RATE);
    while (sent < due) {
      tree.push(account.event(sent * 7919, states[sent % states.length] as StateOf<'container'>, Date.now()));
      sent++;
    }
  }, 10);

  // Key presses every 250 ms: the time from the key to the next write of a frame.
  const latencies: number[] = [];
  let pending: number | null = null;
  stdout.onWrite = (at) => {
    if (pending !== null) {
      latencies.push(at - pending);
      pending = null;
    }
  };
  let key = 0;
  const keys = setInterval(() => {
    endFrame();
    if (pending !== null) return; // still waiting for the last one
    pending = performance.now();
    stdin.press(key++ % 2 === 0 ? 'j' : 'k');
  }, 250);

  const heap: number[] = [];
  const sampler = setInterval(() => {
    endFrame();
    (globalThis as { gc?: () => void }).gc?.();
    heap.push(process.memoryUsage().heapUsed / 1024 / 1024);
  }, 2_000);
  const bytesBefore = stdout.bytes;
  const cpuBefore = process.cpuUsage();
  const rendersBefore = inkRenders.length;
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  clearInterval(feeder);
  clearInterval(keys);
  clearInterval(sampler);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const renders = inkRenders.length - rendersBefore;
  instance.unmount();
  stopTrimming?.();
  detach();
  log.close();
  fields.close();
  await tree.close();

  const result = {
    objects,
    seedMs: Number(seedMs.toFixed(1)),
    view: VIEW,
    filter: FILTER,
    seconds: Number(elapsed.toFixed(2)),
    eventsPerSecond: Math.round(sent / elapsed),
    eventsApplied: tree.getSnapshot().eventsApplied,
    frames: frames.length,
    frameP50Ms: Number(percentile(frames, 50).toFixed(2)),
    frameP95Ms: Number(percentile(frames, 95).toFixed(2)),
    frameMaxMs: Number(Math.max(...frames).toFixed(2)),
    frameCpuP50Ms: Number(percentile(frameCpu, 50).toFixed(2)),
    frameCpuP95Ms: Number(percentile(frameCpu, 95).toFixed(2)),
    inkOutputP95Ms: Number(percentile(inkRenders, 95).toFixed(2)),
    /** Whether installInkOutputCache took (runWatch installs it too): rows Ink drew in the last frame are not drawn again. */
    inkOutputCache: outputCache,
    clearsAfterFirstFrame: stdout.clearsAfterFirstFrame,
    keys: latencies.length,
    keyToFrameP50Ms: Number(percentile(latencies, 50).toFixed(2)),
    keyToFrameP95Ms: Number(percentile(latencies, 95).toFixed(2)),
    keyToFrameMaxMs: Number(Math.max(...latencies).toFixed(2)),
    outputKiBPerSecond: Number(((stdout.bytes - bytesBefore) / 1024 / elapsed).toFixed(1)),
    inkRenders: renders,
    /** All CPU of the process (feeding events, the store, React, Ink) over the run, per second. */
    cpuPercent: Number((((cpu.user + cpu.system) / 1000 / (elapsed * 1000)) * 100).toFixed(1)),
    loadAverage: Number(loadavg()[0]?.toFixed(2)),
    cpus: cpus().length,
    /** Heap in use every 2 s (after a full GC when run with --expose-gc): flat means no leak. */
    heapMiB: heap.map((n) => Math.round(n)),
    /** Texts in Ink's never-emptied measure and wrap caches (events watch trims them at 20,000). */
    inkTextCacheSize: textCaches?.size ?? null,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const lines = [
    `@events/tui render benchmark: ${result.objects} objects (seeded in ${result.seedMs} ms), ${result.view} view${result.filter === '' ? '' : ` filtered by /${result.filter}`}, ${COLUMNS}×${ROWS}`,
    `  load            ${result.eventsPerSecond} events/s for ${result.seconds} s (${result.eventsApplied} applied)`,
    `  frames          ${result.frames} updates (${(result.frames / result.seconds).toFixed(1)}/s), ${result.inkRenders} Ink renders`,
    `  frame time      p50 ${ms(result.frameP50Ms)}  p95 ${ms(result.frameP95Ms)}  max ${ms(result.frameMaxMs)}   target p95 ≤ 16 ms: ${verdict(result.frameP95Ms <= 16)}`,
    `  frame CPU       p50 ${ms(result.frameCpuP50Ms)}  p95 ${ms(result.frameCpuP95Ms)} (CPU time in the same windows: the cost, whatever the load)`,
    `  ink output      p95 ${ms(result.inkOutputP95Ms)} (of the frame time; unchanged rows kept between frames: ${result.inkOutputCache ? 'yes' : 'NO'})`,
    `  full clears     ${result.clearsAfterFirstFrame} after the first frame                   target 0: ${verdict(result.clearsAfterFirstFrame === 0)}`,
    `  key → frame     p50 ${ms(result.keyToFrameP50Ms)}  p95 ${ms(result.keyToFrameP95Ms)}  max ${ms(result.keyToFrameMaxMs)} (${result.keys} keys)   target ≤ 50 ms: ${verdict(result.keyToFrameP95Ms <= 50)}`,
    `  output          ${result.outputKiBPerSecond} KiB/s`,
    `  process CPU     ${result.cpuPercent}% of one core (events, store, React, Ink)`,
    `  ink text caches ${result.inkTextCacheSize ?? 'not found'} texts held after the run (Ink 6.8 never empties them; trimmed at 20,000)`,
    `  heap in use     ${result.heapMiB.join(' → ')} MiB (every 2 s${typeof (globalThis as { gc?: unknown }).gc === 'function' ? ', after a full GC' : '; --expose-gc for exact numbers'})`,
    `  machine         load average ${result.loadAverage} on ${result.cpus} CPUs${result.loadAverage > result.cpus ? ' (busy: times above are inflated)' : ''}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
