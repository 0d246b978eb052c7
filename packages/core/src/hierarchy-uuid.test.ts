import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatUuid, hashPackedUuid, PACKED_UUID_WORDS, packUuid } from './hierarchy-uuid.js';

describe('packUuid / formatUuid', () => {
  it('round-trips every canonical lowercase uuid', () => {
    fc.assert(
      fc.property(fc.uuid(), (uuid) => {
        const packed = new Array<number>(8).fill(-7);
        expect(packUuid(uuid, packed, 1)).toBe(true);
        expect(formatUuid(packed, 1)).toBe(uuid);
        expect([packed[0], packed[6], packed[7]]).toEqual([-7, -7, -7]); // writes exactly five words
        // Small non-negative integers (V8 keeps up to 2^30 unboxed), so a plain array stores them as they are.
        for (const word of packed.slice(1, 6)) expect(word >= 0 && word < 2 ** 28 && Number.isInteger(word)).toBe(true);
        expect(hashPackedUuid(packed, 1)).toBeGreaterThan(0);
      }),
    );
  });

  it('refuses what it could not give back exactly', () => {
    const packed = new Int32Array(PACKED_UUID_WORDS);
    for (const uuid of ['0B0E3538-88DF-4F07-9AED-3A3CC4175076', '0b0e3538-88df-4f07-9aed-3a3cc417507', '0b0e3538_88df-4f07-9aed-3a3cc4175076', 'u-1', '', '0b0e3538-88df-4f07-9aed-3a3cc417507g', '0b0e3538-88df-4f07-9aed-3a3cc41750é6']) {
      expect(packUuid(uuid, packed, 0)).toBe(false);
    }
  });

  it('accepts exactly the canonical lowercase form, whatever the characters around it', () => {
    // Mostly valid digits, with now and then a character that is not one: an uppercase digit, a
    // dash, code units whose low byte is a digit or a dash (U+0130, U+012D), a non-BMP half.
    const char = fc.oneof(
      { weight: 30, arbitrary: fc.constantFrom(...'0123456789abcdef') },
      { weight: 1, arbitrary: fc.constantFrom('A', 'F', 'g', '-', '\u0130', '\u0161', '\u012d', '\ud83d', ' ') },
    );
    const canonical = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    fc.assert(
      fc.property(fc.array(char, { minLength: 32, maxLength: 32 }), fc.array(fc.oneof(fc.constant('-'), char), { minLength: 4, maxLength: 4 }), (digits, dashes) => {
        const text = [digits.slice(0, 8), dashes[0], digits.slice(8, 12), dashes[1], digits.slice(12, 16), dashes[2], digits.slice(16, 20), dashes[3], digits.slice(20)]
          .flat()
          .join('');
        const packed = new Int32Array(PACKED_UUID_WORDS);
        expect(packUuid(text, packed, 0)).toBe(canonical.test(text));
        if (canonical.test(text)) expect(formatUuid(packed, 0)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('spreads sequential uuids over the hash range', () => {
    const packed = new Int32Array(PACKED_UUID_WORDS);
    const buckets = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      packUuid(`00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, packed, 0);
      buckets.add(hashPackedUuid(packed, 0) & 1023);
    }
    expect(buckets.size).toBeGreaterThan(550); // ~632 expected for a uniform hash
  });
});
