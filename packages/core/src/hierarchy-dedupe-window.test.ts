import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DedupeWindow } from './hierarchy-dedupe-window.js';
import { PACKED_UUID_WORDS, packUuid } from './hierarchy-uuid.js';

function add(window: DedupeWindow, uuid: string): boolean {
  const packed = new Int32Array(PACKED_UUID_WORDS);
  return window.add(uuid, packUuid(uuid, packed, 0) ? packed : null);
}

describe('DedupeWindow', () => {
  it('refuses a uuid seen among the last `capacity`, accepts one not seen in the last 2 × capacity', () => {
    const uuids = fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 12 }));
    fc.assert(
      fc.property(fc.array(uuids, { maxLength: 300 }), fc.integer({ min: 1, max: 40 }), (stream, capacity) => {
        const window = new DedupeWindow(capacity);
        const accepted: string[] = [];
        for (const uuid of stream) {
          const lastAccepted = accepted.lastIndexOf(uuid);
          const result = add(window, uuid);
          if (lastAccepted >= 0 && accepted.length - lastAccepted <= capacity) expect(result).toBe(false);
          if (lastAccepted < 0 || accepted.length - lastAccepted > 2 * capacity) expect(result).toBe(true);
          if (result) accepted.push(uuid);
        }
      }),
    );
  });

  it('compares uuids by value, packed or not', () => {
    const window = new DedupeWindow(10);
    expect(add(window, '0b0e3538-88df-4f07-9aed-3a3cc4175076')).toBe(true);
    expect(add(window, '0b0e3538-88df-4f07-9aed-3a3cc4175076')).toBe(false);
    expect(add(window, '0B0E3538-88DF-4F07-9AED-3A3CC4175076')).toBe(true); // another string
    expect(add(window, '0B0E3538-88DF-4F07-9AED-3A3CC4175076')).toBe(false);
  });
});
