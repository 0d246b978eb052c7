// The part every server child shares: the IPC loop, the publisher (flood with a delivery window,
// or paced), and the CPU and memory readings, all in the server's own process.
import type { DockerCloudEvent } from '@events/core';
import { createWorkload, nowUs, stampedEvent, type Workload } from '../events.js';
import type { LoopHealth, ServerCommand, ServerReport } from '../ipc.js';
import { watchLoopHealth } from '../loop-health.js';

/** What a server under test offers the harness. */
export interface BenchServer {
  readonly port: number;
  /** Subscribers connected and subscribed (so the run can start). */
  subscribers(): number;
  /** Hands one event to the server, as its event source would. */
  publish(event: DockerCloudEvent): void;
  close(): Promise<void>;
}

const send = (report: ServerReport) => process.send?.(report);

/**
 * Runs a server child: starts the server, then obeys the orchestrator until told to close.
 * Exits by itself when the orchestrator goes away.
 */
export async function runServerChild(start: (workload: Workload) => Promise<BenchServer>): Promise<void> {
  const workload = createWorkload(1_000);
  const server = await start(workload);
  const perTemplate = workload.deliveriesPerTemplate;
  const templates = perTemplate.length;

  let run:
    | { cpu0: NodeJS.CpuUsage; startUs: number; lastPublishUs: number; published: number; windowWaits: number; loop: () => LoopHealth }
    | undefined;
  let received = 0;
  let publishedDeliveries = 0;
  let resumeFlood: (() => void) | undefined;

  let first = 0;
  const publishOne = () => {
    if (run === undefined) return;
    const seq = first + run.published++;
    const sent = nowUs();
    server.publish(stampedEvent(workload, seq, sent));
    run.lastPublishUs = sent;
    publishedDeliveries += perTemplate[seq % templates] as number;
  };

  const begin = (from: number) => {
    first = from;
    received = 0;
    publishedDeliveries = 0;
    run = { cpu0: process.cpuUsage(), startUs: nowUs(), lastPublishUs: 0, published: 0, windowWaits: 0, loop: watchLoopHealth() };
    return run;
  };

  const flood = (from: number, events: number, perTurn: number, windowEvents: number) => {
    const current = begin(from);
    const avg = perTemplate.reduce((a, b) => a + b, 0) / templates;
    const window = windowEvents * avg;
    const turn = () => {
      resumeFlood = undefined;
      for (let n = 0; n < perTurn && current.published < events; n++) {
        if (publishedDeliveries - received > window) break;
        publishOne();
      }
      if (current.published >= events) {
        send({ type: 'published', events: current.published, deliveries: publishedDeliveries });
        return;
      }
      if (publishedDeliveries - received > window) {
        current.windowWaits++;
        resumeFlood = turn; // the next progress report resumes the flood
      } else setImmediate(turn);
    };
    setImmediate(turn);
  };

  const paced = (from: number, events: number, rate: number) => {
    const current = begin(from);
    const periodUs = 1e6 / rate;
    const tick = () => {
      publishOne();
      if (current.published >= events) {
        send({ type: 'published', events: current.published, deliveries: publishedDeliveries });
        return;
      }
      const dueUs = current.startUs + current.published * periodUs;
      setTimeout(tick, Math.max(0, (dueUs - nowUs()) / 1000));
    };
    tick();
  };

  process.on('message', (message: ServerCommand) => {
    switch (message.cmd) {
      case 'subscribers':
        send({ type: 'subscribers', n: server.subscribers() });
        return;
      case 'flood':
        flood(message.first, message.events, message.perTurn, message.windowEvents);
        return;
      case 'paced':
        paced(message.first, message.events, message.rate);
        return;
      case 'progress': {
        received = message.received;
        const resume = resumeFlood;
        if (resume !== undefined) setImmediate(resume);
        resumeFlood = undefined;
        return;
      }
      case 'stop': {
        if (run === undefined) return;
        const cpu = process.cpuUsage(run.cpu0);
        send({
          type: 'stopped',
          cpu: { userUs: cpu.user, systemUs: cpu.system },
          startUs: run.startUs,
          lastPublishUs: run.lastPublishUs,
          published: run.published,
          windowWaits: run.windowWaits,
          loop: run.loop(),
        });
        run = undefined;
        return;
      }
      case 'memory': {
        // Several passes: weak maps and finalizers release more on the second and third.
        for (let i = 0; i < 4; i++) globalThis.gc?.();
        const m = process.memoryUsage();
        send({ type: 'memory', sample: { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers } });
        return;
      }
      case 'close':
        void server.close().finally(() => process.exit(0));
        // A server that does not close promptly must not hold the bench up.
        setTimeout(() => process.exit(0), 3_000).unref();
        return;
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'listening', port: server.port });
}
