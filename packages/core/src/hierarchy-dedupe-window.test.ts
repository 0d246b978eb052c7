import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DedupeWindow } from './hierarchy-dedupe-window.js';

describe('DedupeWindow', () => {
  it('has a uuid for at least `span` ticks after it was added, and not one never added', () => {
    const step = fc.record({ uuid: fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 12 })), ticks: fc.nat(5), add: fc.boolean() });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), fc.integer({ min: 1, max: 40 }), (steps, span) => {
        const window = new DedupeWindow(span);
        const addedAt = new Map<string, number>();
        let now = 0;
        for (const { uuid, ticks, add } of steps) {
          now += ticks;
          const at = addedAt.get(uuid);
          const has = window.has(uuid);
          if (at === undefined) expect(has).toBe(false);
          else if (now - at <= span) expect(has).toBe(true);
          if (add) {
            window.add(uuid, now);
            addedAt.set(uuid, now);
          }
        }
      }),
    );
  });

  it('forgets a uuid once two spans have passed and adds go on', () => {
    const window = new DedupeWindow(10);
    window.add('a', 0);
    window.add('b', 10); // the generation holding `a` becomes the previous one
    expect(window.has('a')).toBe(true);
    window.add('c', 20); // ... and is dropped
    expect(window.has('a')).toBe(false);
    expect(window.has('b')).toBe(true);
  });

  it('compares uuids by value', () => {
    const window = new DedupeWindow(10);
    window.add('0b0e3538-88df-4f07-9aed-3a3cc4175076', 0);
    expect(window.has(['0b0e3538', '88df-4f07-9aed-3a3cc4175076'].join('-'))).toBe(true);
    expect(window.has('0B0E3538-88DF-4F07-9AED-3A3CC4175076')).toBe(false); // another string
  });
});
