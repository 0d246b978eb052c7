import { describe, expect, it } from 'vitest';
import { createTestClock } from './test-clock.js';

describe('createTestClock', () => {
  it('moves only when told, and runs timers at their own due time', () => {
    const clock = createTestClock(1_000);
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 300);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 100);
    expect(clock.now()).toBe(1_000);
    expect(clock.advance(99)).toBe(0);
    expect(clock.advance(250)).toBe(2);
    expect(fired).toEqual([
      ['a', 1_100],
      ['b', 1_300],
    ]);
    expect(clock.now()).toBe(1_349);
  });

  it('runs ties in scheduling order and also timers scheduled during advance', () => {
    const clock = createTestClock();
    const order: string[] = [];
    clock.setTimeout(() => {
      order.push('first');
      clock.setTimeout(() => order.push('nested'), 0);
    }, 10);
    clock.setTimeout(() => order.push('second'), 10);
    clock.advance(10);
    expect(order).toEqual(['first', 'second', 'nested']);
  });

  it('clearTimeout cancels; unknown handles are ignored', () => {
    const clock = createTestClock();
    let ran = false;
    const handle = clock.setTimeout(() => {
      ran = true;
    }, 5);
    clock.clearTimeout(handle);
    clock.clearTimeout(undefined);
    clock.clearTimeout(12345);
    clock.advance(100);
    expect(ran).toBe(false);
    expect(clock.pending()).toEqual([]);
  });

  it('treats negative and missing delays as 0, never running synchronously', () => {
    const clock = createTestClock(50);
    let ran = 0;
    clock.setTimeout(() => ran++, -20);
    clock.setTimeout(() => ran++);
    expect(ran).toBe(0);
    expect(clock.pending().map((t) => t.at)).toEqual([50, 50]);
    clock.advance(0);
    expect(ran).toBe(2);
  });

  it('runNext jumps to the earliest timer; runAll drains the queue', () => {
    const clock = createTestClock();
    clock.setTimeout(() => {}, 500);
    clock.setTimeout(() => {}, 200);
    expect(clock.runNext()).toBe(true);
    expect(clock.now()).toBe(200);
    expect(clock.runAll()).toBe(1);
    expect(clock.now()).toBe(500);
    expect(clock.runNext()).toBe(false);
  });

  it('refuses to go back in time and stops a timer that reschedules itself forever', () => {
    const clock = createTestClock(100);
    expect(() => clock.advanceTo(50)).toThrow(/cannot go back/);
    const loop = () => {
      clock.setTimeout(loop, 0);
    };
    clock.setTimeout(loop, 0);
    expect(() => clock.advance(1)).toThrow(/keeps rescheduling itself/);
  });
});
