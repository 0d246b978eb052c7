import { createFilter, type DockerCloudEvent, MATCH_ALL, type StreamPosition } from '@events/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../../tests/support/scripted-source.js';
import type { EventBus, ReplayResult } from './event-bus.js';
import { createFanOut, encodeEvent, type FrameVariant, type SubscriberSink } from './fan-out.js';
import { createMemoryEventBus } from './memory-event-bus.js';

function fakeSink(options: { budget?: number; pending?: () => number } = {}) {
  const frames: Buffer[] = [];
  const waiting: (() => void)[] = [];
  let overflows = 0;
  const sink: SubscriberSink = {
    enqueue(frame) {
      frames.push(frame);
      return true;
    },
    get pendingBytes() {
      return options.pending?.() ?? 0;
    },
    byteBudget: options.budget ?? 1 << 20,
    whenWritable: (then) => waiting.push(then),
    overflow: () => {
      overflows++;
    },
  };
  return {
    sink,
    frames,
    waiting,
    get overflows() {
      return overflows;
    },
    json: () => frames.map((f) => JSON.parse(f.toString()) as DockerCloudEvent & { position?: StreamPosition }),
  };
}

/** A bus whose replays wait until the test releases them, as a broker round trip would. */
function deferredReplayBus(inner: EventBus, computeAtRelease: boolean) {
  const pending: (() => void)[] = [];
  const bus: EventBus = {
    ...inner,
    epoch: inner.epoch,
    publish: inner.publish,
    subscribe: inner.subscribe,
    head: inner.head,
    replay(namespace, after) {
      const early = computeAtRelease ? undefined : inner.replay(namespace, after);
      return new Promise<ReplayResult>((resolve) => {
        pending.push(() => resolve(early ?? inner.replay(namespace, after)));
      });
    },
  };
  const release = () => {
    for (const go of pending.splice(0)) go();
  };
  return { bus, release };
}

const flushPromises = () => new Promise((resolve) => setImmediate(resolve));
const start = (variant: FrameVariant = 'plain') => ({
  onStart: () => {},
  onError: (error: unknown) => {
    throw error;
  },
  variant,
});

describe('encodeEvent', () => {
  it('encodes each variant once, lazily, as Docker Cloud JSON with or without position', () => {
    const event = makeEvent('acme');
    const encoded = encodeEvent({ namespace: 'acme', event, position: { epoch: 'e', seq: 7 } });
    const plain = encoded.frame('plain');
    expect(encoded.frame('plain')).toBe(plain);
    expect(JSON.parse(plain.toString())).toEqual(event);
    expect(JSON.parse(encoded.frame('extended').toString())).toEqual({ ...event, position: { epoch: 'e', seq: 7 } });
    expect(encoded.frame('extended')).toBe(encoded.frame('extended'));
  });
});

/** The epoch of namespace acme's stream on a bus whose incarnation is 'e' (each namespace has its own). */
const E = createMemoryEventBus({ epoch: 'e' }).head('acme').epoch;

describe('createFanOut', () => {
  it('shares one Buffer per variant between all subscribers and filters by the index', () => {
    const bus = createMemoryEventBus({ epoch: 'e' });
    const fanOut = createFanOut({ bus });
    const [a, b, c, d] = [fakeSink(), fakeSink(), fakeSink(), fakeSink()];
    fanOut.subscribe({ namespace: 'acme', filter: MATCH_ALL, sink: a!.sink, ...start('plain') });
    fanOut.subscribe({ namespace: 'acme', filter: createFilter({ type: 'container' }), sink: b!.sink, ...start('plain') });
    fanOut.subscribe({ namespace: 'acme', filter: MATCH_ALL, sink: c!.sink, ...start('extended') });
    fanOut.subscribe({ namespace: 'acme', filter: createFilter({ type: 'service' }), sink: d!.sink, ...start('plain') });
    bus.publish('acme', makeEvent('acme', { type: 'container' }));
    bus.publish('other', makeEvent('other', { type: 'container' }));
    expect(a!.frames).toHaveLength(1);
    expect(b!.frames[0]).toBe(a!.frames[0]);
    expect(c!.json()[0]?.position).toEqual({ epoch: E, seq: 1 });
    expect(a!.json()[0]).not.toHaveProperty('position');
    expect(d!.frames).toEqual([]);
  });

  it('holds one bus subscription per namespace while it has subscribers', () => {
    const inner = createMemoryEventBus();
    let listeners = 0;
    const bus: EventBus = {
      ...inner,
      epoch: inner.epoch,
      publish: inner.publish,
      replay: inner.replay,
      head: inner.head,
      subscribe(namespace, listener) {
        listeners++;
        const off = inner.subscribe(namespace, listener);
        return () => {
          listeners--;
          off();
        };
      },
    };
    const fanOut = createFanOut({ bus });
    const subs = [1, 2, 3].map(() => fanOut.subscribe({ namespace: 'acme', filter: MATCH_ALL, sink: fakeSink().sink, ...start() }));
    expect(listeners).toBe(1);
    expect(fanOut.subscriberCount('acme')).toBe(3);
    subs[0]!.unsubscribe();
    subs[0]!.unsubscribe(); // idempotent
    subs[1]!.unsubscribe();
    expect(listeners).toBe(1);
    subs[2]!.unsubscribe();
    expect(listeners).toBe(0);
    expect(fanOut.subscriberCount()).toBe(0);
  });

  it('fresh extended subscribers start at the head and report it as their marker position', () => {
    const bus = createMemoryEventBus({ epoch: 'e' });
    bus.publish('acme', makeEvent('acme'));
    const fanOut = createFanOut({ bus });
    const starts: unknown[] = [];
    const sub = fanOut.subscribe({
      namespace: 'acme',
      filter: createFilter({ type: 'stack' }),
      sink: fakeSink().sink,
      ...start('extended'),
      onStart: (...args) => starts.push(args),
    });
    expect(starts).toEqual([['fresh', { epoch: E, seq: 1 }]]);
    bus.publish('acme', makeEvent('acme', { type: 'container' }));
    expect(sub.position()).toEqual({ epoch: E, seq: 2 });
  });

  it('property: a resume delivers exactly the events after the position, once each, in order, whatever the timing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 20 }), // events before the resume
        fc.nat(), // where the client left off (mod before+1)
        fc.integer({ min: 0, max: 10 }), // events while the replay is in flight
        fc.integer({ min: 0, max: 5 }), // events after
        fc.boolean(), // does the replay see the in-flight events too (a broker read later)?
        fc.boolean(), // filter to containers?
        async (before, leftAt, during, after, computeAtRelease, containersOnly) => {
          const inner = createMemoryEventBus({ epoch: 'e' });
          const { bus, release } = deferredReplayBus(inner, computeAtRelease);
          const types = ['container', 'service', 'stack'] as const;
          const all: { seq: number; type: string }[] = [];
          const publish = () => {
            const type = types[all.length % 3]!;
            all.push({ seq: bus.publish('acme', makeEvent('acme', { type })).position.seq, type });
          };
          for (let i = 0; i < before; i++) publish();
          const from = leftAt % (before + 1);
          const fanOut = createFanOut({ bus });
          const out = fakeSink();
          const outcomes: string[] = [];
          const sub = fanOut.subscribe({
            namespace: 'acme',
            filter: containersOnly ? createFilter({ type: 'container' }) : MATCH_ALL,
            sink: out.sink,
            resumeFrom: { epoch: E, seq: from },
            ...start('extended'),
            onStart: (outcome) => outcomes.push(outcome),
          });
          for (let i = 0; i < during; i++) publish();
          expect(sub.position()).toBeUndefined();
          release();
          await flushPromises();
          for (let i = 0; i < after; i++) publish();
          expect(outcomes).toEqual(['resumed']);
          const expected = all.filter((e) => e.seq > from && (!containersOnly || e.type === 'container')).map((e) => e.seq);
          expect(out.json().map((f) => f.position?.seq)).toEqual(expected);
          expect(sub.position()).toEqual({ epoch: E, seq: all.length });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gone: starts from the head the bus gave and delivers only what follows it', async () => {
    const inner = createMemoryEventBus({ epoch: 'e', retention: { count: 2 } });
    const { bus, release } = deferredReplayBus(inner, false);
    for (let i = 0; i < 5; i++) bus.publish('acme', makeEvent('acme'));
    const fanOut = createFanOut({ bus });
    const out = fakeSink();
    const starts: unknown[] = [];
    fanOut.subscribe({
      namespace: 'acme',
      filter: MATCH_ALL,
      sink: out.sink,
      resumeFrom: { epoch: E, seq: 1 },
      ...start('extended'),
      onStart: (...args) => starts.push(args),
    });
    bus.publish('acme', makeEvent('acme')); // 6: after the head the replay saw
    release();
    await flushPromises();
    bus.publish('acme', makeEvent('acme')); // 7
    expect(starts).toEqual([['gone', { epoch: E, seq: 5 }]]);
    expect(out.json().map((f) => f.position?.seq)).toEqual([6, 7]);
  });

  it('paces a large replay by the client: waits whenever half the budget is pending', async () => {
    const bus = createMemoryEventBus({ epoch: 'e' });
    for (let i = 0; i < 10; i++) bus.publish('acme', makeEvent('acme'));
    let pending = 0;
    const out = fakeSink({ budget: 1_000, pending: () => pending });
    out.sink.enqueue = (frame) => {
      out.frames.push(frame);
      pending += 300;
      return true;
    };
    createFanOut({ bus }).subscribe({ namespace: 'acme', filter: MATCH_ALL, sink: out.sink, resumeFrom: { epoch: E, seq: 0 }, ...start('extended') });
    await flushPromises();
    expect(out.frames).toHaveLength(2); // 600 > 500: wait
    expect(out.waiting).toHaveLength(1);
    pending = 0;
    out.waiting.shift()!();
    expect(out.frames).toHaveLength(4);
    while (out.waiting.length > 0) {
      pending = 0;
      out.waiting.shift()!();
    }
    expect(out.json().map((f) => f.position?.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('closes a resuming subscriber whose held live events exceed its budget', async () => {
    const inner = createMemoryEventBus({ epoch: 'e' });
    const { bus } = deferredReplayBus(inner, false);
    const out = fakeSink({ budget: 2_000 });
    createFanOut({ bus }).subscribe({ namespace: 'acme', filter: MATCH_ALL, sink: out.sink, resumeFrom: { epoch: E, seq: 0 }, ...start('extended') });
    for (let i = 0; i < 20; i++) bus.publish('acme', makeEvent('acme'));
    expect(out.overflows).toBe(1);
    expect(out.frames).toEqual([]);
  });

  it('reports a failed replay and drops the subscriber', async () => {
    const inner = createMemoryEventBus();
    const bus: EventBus = { ...inner, epoch: inner.epoch, publish: inner.publish, subscribe: inner.subscribe, head: inner.head, replay: () => Promise.reject(new Error('broker down')) };
    const fanOut = createFanOut({ bus });
    const errors: unknown[] = [];
    fanOut.subscribe({
      namespace: 'acme',
      filter: MATCH_ALL,
      sink: fakeSink().sink,
      resumeFrom: { epoch: 'x', seq: 1 },
      ...start('extended'),
      onError: (error) => errors.push(error),
    });
    await flushPromises();
    expect(errors).toMatchObject([{ message: 'broker down' }]);
    expect(fanOut.subscriberCount()).toBe(0);
  });
});
