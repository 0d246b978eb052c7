import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEventQueue } from './event-queue.js';
import { createUuidWindow } from './uuid-window.js';

describe('createEventQueue', () => {
  it('hands items over in order, to a waiting consumer too', async () => {
    const queue = createEventQueue<number>({ highWaterMark: 10 });
    const first = queue.next();
    queue.push(1);
    queue.push(2);
    await expect(first).resolves.toEqual({ done: false, value: 1 });
    await expect(queue.next()).resolves.toEqual({ done: false, value: 2 });
  });

  it('answers next() calls made before earlier ones settled in the order they were made, as an async generator does', async () => {
    // A loop of Promise.race([it.next(), timeout]) leaves a call pending each time it times out.
    const queue = createEventQueue<number>({ highWaterMark: 10 });
    const calls = [queue.next(), queue.next(), queue.next()];
    queue.push(1);
    queue.push(2);
    await expect(Promise.all(calls.slice(0, 2))).resolves.toEqual([
      { done: false, value: 1 },
      { done: false, value: 2 },
    ]);
    queue.end();
    await expect(calls[2]).resolves.toEqual({ done: true, value: undefined });

    // A failure goes to the oldest call; the later ones are done, as after a generator threw.
    const failing = createEventQueue<number>({ highWaterMark: 10 });
    const pending = [failing.next(), failing.next()];
    failing.fail(new Error('auth'));
    await expect(pending[0]).rejects.toThrow('auth');
    await expect(pending[1]).resolves.toEqual({ done: true, value: undefined });

    // return() answers every pending call.
    const left = createEventQueue<number>({ highWaterMark: 10 });
    const waiting = [left.next(), left.next()];
    await left.return?.();
    await expect(Promise.all(waiting)).resolves.toEqual([
      { done: true, value: undefined },
      { done: true, value: undefined },
    ]);
  });

  it('signals full at the high-water mark, refuses more, and drained at the low-water mark', async () => {
    const signals: string[] = [];
    const queue = createEventQueue<number>({ highWaterMark: 4, onFull: () => signals.push('full'), onDrained: () => signals.push('drained') });
    for (let i = 0; i < 4; i++) expect(queue.push(i)).toBe(true);
    expect(signals).toEqual(['full']);
    expect(queue.push(99)).toBe(false);
    expect(queue.size).toBe(4);
    await queue.next();
    expect(signals).toEqual(['full']);
    await queue.next();
    expect(signals).toEqual(['full', 'drained']);
    expect(queue.push(4)).toBe(true);
  });

  it('delivers what is queued before ending or failing', async () => {
    const ended = createEventQueue<string>({ highWaterMark: 5 });
    ended.push('a');
    ended.end();
    const seen: string[] = [];
    for await (const item of ended) seen.push(item);
    expect(seen).toEqual(['a']);

    const failed = createEventQueue<string>({ highWaterMark: 5 });
    failed.push('b');
    failed.fail(new Error('auth'));
    await expect(failed.next()).resolves.toEqual({ done: false, value: 'b' });
    await expect(failed.next()).rejects.toThrow('auth');
    await expect(failed.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('calls onReturn once when the consumer leaves early, not when the queue ended', async () => {
    let returns = 0;
    const queue = createEventQueue<number>({ highWaterMark: 5, onReturn: () => returns++ });
    queue.push(1);
    for await (const _ of queue) break;
    await queue.return?.();
    expect(returns).toBe(1);
    expect(queue.push(2)).toBe(false);

    const ended = createEventQueue<number>({ highWaterMark: 5, onReturn: () => returns++ });
    ended.end();
    for await (const _ of ended) {
      // nothing: ended before the loop
    }
    expect(returns).toBe(1);
  });

  it('keeps FIFO order, holds at most the mark, and refuses exactly while full (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 3000 }), fc.integer({ min: 1, max: 50 }), async (ops, high) => {
        const low = Math.floor(high / 2);
        const queue = createEventQueue<number>({ highWaterMark: high });
        const model: number[] = [];
        let full = false;
        const taken: Promise<IteratorResult<number>>[] = [];
        const expected: number[] = [];
        let next = 0;
        for (const push of ops) {
          if (push) {
            expect(queue.push(next)).toBe(!full);
            if (!full) model.push(next);
            if (model.length >= high) full = true;
            next++;
          } else if (model.length > 0) {
            taken.push(queue.next()); // an available item is taken at once
            expected.push(model.shift() as number);
            if (full && model.length <= low) full = false;
          }
          expect(queue.size).toBe(model.length);
          expect(queue.full).toBe(full);
        }
        expect((await Promise.all(taken)).map((r) => r.value)).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects nonsense marks', () => {
    expect(() => createEventQueue({ highWaterMark: 0 })).toThrow(/highWaterMark/);
    expect(() => createEventQueue({ highWaterMark: 4, lowWaterMark: 4 })).toThrow(/lowWaterMark/);
  });
});

describe('createUuidWindow', () => {
  it('remembers at least `capacity` uuids', () => {
    const window = createUuidWindow(3);
    for (const id of ['a', 'b', 'c', 'd']) expect(window.add(id)).toBe(true);
    for (const id of ['b', 'c', 'd']) expect(window.add(id)).toBe(false);
    expect(createUuidWindow(0).add('a')).toBe(true);
  });
});
