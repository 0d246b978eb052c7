import { describe, expect, it } from 'vitest';
import { createFlushScheduler, createOutboundQueue, type QueueSocket } from './outbound-queue.js';
import { createMetrics } from './metrics.js';

function fakeSocket() {
  const log: string[] = [];
  let corked = 0;
  const socket: QueueSocket & { bufferedAmount: number; readyState: number } = {
    bufferedAmount: 0,
    readyState: 1,
    send(data, options) {
      log.push(`${corked > 0 ? 'corked' : 'uncorked'}:${options.binary ? 'binary' : 'text'}:${data.toString()}`);
    },
  };
  const raw = {
    cork: () => {
      corked++;
      log.push('cork');
    },
    uncork: () => {
      corked--;
      log.push('uncork');
    },
  };
  return { socket, raw, log };
}

function manualScheduler() {
  const runs: (() => void)[] = [];
  return { scheduler: createFlushScheduler((run) => runs.push(run)), tick: () => {
      for (const run of runs.splice(0)) run();
    },
    runs,
  };
}

const frame = (text: string) => Buffer.from(text);

describe('createOutboundQueue', () => {
  it('writes a tick worth of frames as text frames inside one cork/uncork', () => {
    const { socket, raw, log } = fakeSocket();
    const { scheduler, tick, runs } = manualScheduler();
    const metrics = createMetrics();
    const queue = createOutboundQueue({ socket, raw, byteBudget: 1_000, scheduler, metrics, onOverflow: () => {} });
    queue.enqueue(frame('a'));
    queue.enqueue(frame('b'));
    queue.enqueue(frame('c'));
    expect(log).toEqual([]);
    expect(runs).toHaveLength(1); // one scheduled flush, not one per frame
    expect(queue.pendingBytes).toBe(3);
    tick();
    expect(log).toEqual(['cork', 'corked:text:a', 'corked:text:b', 'corked:text:c', 'uncork']);
    expect(metrics.snapshot()).toMatchObject({ socketWrites: 1, framesWritten: 3, bytesOut: 3 });
    expect(queue.queuedFrames).toBe(0);
  });

  it('one scheduler turn flushes every dirty queue', () => {
    const { scheduler, tick, runs } = manualScheduler();
    const sockets = [fakeSocket(), fakeSocket()];
    const queues = sockets.map(({ socket, raw }) => createOutboundQueue({ socket, raw, byteBudget: 100, scheduler, onOverflow: () => {} }));
    for (const q of queues) q.enqueue(frame('x'));
    expect(runs).toHaveLength(1);
    tick();
    expect(sockets.map((s) => s.log.filter((l) => l.includes(':x')).length)).toEqual([1, 1]);
  });

  it('flushes at once past the flush threshold, so a burst does not count against the budget', () => {
    const { socket, raw, log } = fakeSocket();
    const { scheduler } = manualScheduler();
    const queue = createOutboundQueue({ socket, raw, byteBudget: 100, flushThreshold: 10, scheduler, onOverflow: () => {} });
    for (let i = 0; i < 30; i++) expect(queue.enqueue(frame('12345'))).toBe(true);
    expect(log.filter((l) => l.startsWith('corked')).length).toBe(30);
  });

  it('over budget (queued + bufferedAmount): drops everything, reports once, refuses more', () => {
    const { socket, raw, log } = fakeSocket();
    const { scheduler, tick } = manualScheduler();
    const overflows: unknown[] = [];
    const metrics = createMetrics();
    const queue = createOutboundQueue({ socket, raw, byteBudget: 10, flushThreshold: 100, scheduler, metrics, onOverflow: (d) => overflows.push(d) });
    socket.bufferedAmount = 4;
    expect(queue.enqueue(frame('abc'))).toBe(true);
    expect(queue.enqueue(frame('def'))).toBe(true); // 3 + 3 + 4 = 10: at the budget, not over
    expect(queue.enqueue(frame('g'))).toBe(false);
    expect(queue.enqueue(frame('h'))).toBe(false);
    expect(overflows).toEqual([{ frames: 2, bytes: 6 }]);
    expect(queue.closed).toBe(true);
    expect(metrics.snapshot().framesDropped).toBe(3);
    tick();
    expect(log).toEqual([]);
  });

  it('drops frames for a socket that is no longer open', () => {
    const { socket, raw, log } = fakeSocket();
    const { scheduler, tick } = manualScheduler();
    const queue = createOutboundQueue({ socket, raw, byteBudget: 100, scheduler, onOverflow: () => {} });
    queue.enqueue(frame('a'));
    socket.readyState = 2;
    tick();
    expect(log).toEqual([]);
    expect(queue.close()).toBe(0);
    expect(queue.enqueue(frame('b'))).toBe(false);
  });
});
