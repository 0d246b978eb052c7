import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../../tests/support/scripted-source.js';
import type { PositionedEvent } from './event-bus.js';
import { createMemoryEventBus } from './memory-event-bus.js';

describe('createMemoryEventBus', () => {
  it('assigns consecutive positions per namespace, each namespace in an epoch of its own', () => {
    const bus = createMemoryEventBus({ epoch: 'e1' });
    const acme = bus.head('acme').epoch;
    const other = bus.head('other').epoch;
    expect(acme).not.toBe(other);
    expect(bus.head('acme')).toEqual({ epoch: acme, seq: 0 });
    expect(bus.publish('acme', makeEvent('acme')).position).toEqual({ epoch: acme, seq: 1 });
    expect(bus.publish('other', makeEvent('other')).position).toEqual({ epoch: other, seq: 1 });
    expect(bus.publish('acme', makeEvent('acme')).position).toEqual({ epoch: acme, seq: 2 });
    expect(bus.head('acme')).toEqual({ epoch: acme, seq: 2 });
    // Derived from the incarnation: the same for the same bus epoch, another for another.
    expect(createMemoryEventBus({ epoch: 'e1' }).head('acme').epoch).toBe(acme);
    expect(createMemoryEventBus({ epoch: 'e2' }).head('acme').epoch).not.toBe(acme);
    expect(acme).toMatch(/^[\w-]{8}$/);
  });

  it('honours a position only in its own namespace: one of another is gone, whatever its seq', async () => {
    const bus = createMemoryEventBus();
    for (let i = 0; i < 3; i++) bus.publish('acme', makeEvent('acme'));
    for (let i = 0; i < 5; i++) bus.publish('other', makeEvent('other'));
    const fromAcme = { epoch: bus.head('acme').epoch, seq: 2 };
    expect((await bus.replay('acme', fromAcme)).outcome).toBe('resumed');
    expect(await bus.replay('other', fromAcme)).toEqual({ outcome: 'gone', head: bus.head('other') });
    expect(await bus.replay('alice', fromAcme)).toEqual({ outcome: 'gone', head: { epoch: bus.head('alice').epoch, seq: 0 } });
  });

  it('picks a fresh random epoch per incarnation', () => {
    const epochs = new Set(Array.from({ length: 20 }, () => createMemoryEventBus().epoch));
    expect(epochs.size).toBe(20);
  });

  it('strips a position the source may have put on the event', () => {
    const bus = createMemoryEventBus({ epoch: 'e' });
    const published = bus.publish('acme', { ...makeEvent('acme'), position: { epoch: 'x', seq: 99 } });
    expect('position' in published.event).toBe(false);
    expect(published.position).toEqual({ epoch: bus.head('acme').epoch, seq: 1 });
  });

  it('delivers to subscribers of the namespace only, in order, until they unsubscribe', () => {
    const bus = createMemoryEventBus();
    const seen: number[] = [];
    const off = bus.subscribe('acme', (e) => seen.push(e.position.seq));
    bus.publish('other', makeEvent('other'));
    bus.publish('acme', makeEvent('acme'));
    bus.publish('acme', makeEvent('acme'));
    off();
    bus.publish('acme', makeEvent('acme'));
    expect(seen).toEqual([1, 2]);
  });

  it('keeps delivering to the others when a listener throws', () => {
    const errors: unknown[] = [];
    const bus = createMemoryEventBus({ onListenerError: (error) => errors.push(error) });
    const seen: number[] = [];
    bus.subscribe('acme', () => {
      throw new Error('boom');
    });
    bus.subscribe('acme', (e) => seen.push(e.position.seq));
    bus.publish('acme', makeEvent('acme'));
    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  it('replays exactly the events after a position, or says gone past retention by count', async () => {
    const bus = createMemoryEventBus({ epoch: 'e', retention: { count: 3 } });
    const e = bus.head('acme').epoch;
    const published = Array.from({ length: 5 }, () => bus.publish('acme', makeEvent('acme')));
    const seqs = (r: Awaited<ReturnType<typeof bus.replay>>) => (r.outcome === 'resumed' ? r.events.map((e) => e.position.seq) : r);
    expect(seqs(await bus.replay('acme', { epoch: e, seq: 2 }))).toEqual([3, 4, 5]);
    expect(seqs(await bus.replay('acme', { epoch: e, seq: 4 }))).toEqual([5]);
    expect(seqs(await bus.replay('acme', { epoch: e, seq: 5 }))).toEqual([]);
    expect(await bus.replay('acme', { epoch: e, seq: 1 })).toEqual({ outcome: 'gone', head: { epoch: e, seq: 5 } });
    expect(await bus.replay('acme', { epoch: 'other', seq: 4 })).toEqual({ outcome: 'gone', head: { epoch: e, seq: 5 } });
    expect(await bus.replay('acme', { epoch: e, seq: 6 })).toEqual({ outcome: 'gone', head: { epoch: e, seq: 5 } });
    const replayed = await bus.replay('acme', { epoch: e, seq: 4 });
    expect(replayed.outcome === 'resumed' && replayed.events[0]).toBe(published[4]);
  });

  it('drops events older than the retention age, measured with the injected clock', async () => {
    let now = 0;
    const bus = createMemoryEventBus({ epoch: 'e', retention: { ageMs: 1_000 }, now: () => now });
    const e = bus.head('acme').epoch;
    bus.publish('acme', makeEvent('acme')); // at 0
    now = 600;
    bus.publish('acme', makeEvent('acme')); // at 600
    now = 1_000;
    expect((await bus.replay('acme', { epoch: e, seq: 0 })).outcome).toBe('resumed');
    now = 1_001;
    expect((await bus.replay('acme', { epoch: e, seq: 0 })).outcome).toBe('gone');
    expect(await bus.replay('acme', { epoch: e, seq: 1 })).toMatchObject({ outcome: 'resumed', events: [{ position: { seq: 2 } }] });
    now = 1_601;
    expect(bus.retained('acme')).toBe(0);
    expect((await bus.replay('acme', { epoch: e, seq: 2 })).outcome).toBe('resumed');
  });

  const event = makeEvent('ns');
  it('property: a replay is the exact suffix after the position, or gone exactly when part of it was dropped', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 1_500 }), fc.integer({ min: 0, max: 1_600 }), async (count, published, after) => {
        const bus = createMemoryEventBus({ epoch: 'e', retention: { count } });
        const e = bus.head('ns').epoch;
        const all: PositionedEvent[] = [];
        for (let i = 0; i < published; i++) all.push(bus.publish('ns', event));
        const result = await bus.replay('ns', { epoch: e, seq: after });
        const oldestRetained = published - Math.min(count, published) + 1;
        if (after > published || after + 1 < oldestRetained) {
          expect(result).toEqual({ outcome: 'gone', head: { epoch: e, seq: published } });
        } else {
          expect(result).toEqual({ outcome: 'resumed', events: all.slice(after) });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('rejects nonsense retention', () => {
    expect(() => createMemoryEventBus({ retention: { count: -1 } })).toThrow(/retention count/);
    expect(() => createMemoryEventBus({ retention: { ageMs: Number.NaN } })).toThrow(/retention age/);
  });
});
