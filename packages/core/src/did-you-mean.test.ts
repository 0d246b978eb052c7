import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { didYouMean, didYouMeanHint, editDistance } from './did-you-mean.js';

describe('didYouMean', () => {
  it('finds another case, a known near miss, a typo two edits away, or the one name a prefix picks', () => {
    expect(didYouMean('Type', ['type', 'object'])).toBe('type');
    expect(didYouMean('hostname', ['host', 'port'], { hostname: 'host' })).toBe('host');
    expect(didYouMean('prot', ['host', 'port'])).toBe('port');
    expect(didYouMean('api_key', ['apikey', 'username'])).toBe('apikey');
    expect(didYouMean('heartbeat', ['heartbeatMs', 'port'])).toBe('heartbeatMs');
    expect(didYouMean('colour', ['host', 'port'])).toBeUndefined();
    // Two letters are two edits from any other two letters: no guess.
    expect(didYouMean('ab', ['cd'])).toBeUndefined();
    expect(didYouMeanHint('prot', ['port'])).toBe(' (did you mean "port"?)');
    expect(didYouMeanHint('colour', ['port'])).toBe('');
  });

  it('edit distance is a metric with swaps of neighbours as one edit (property)', () => {
    expect(editDistance('hsot', 'host')).toBe(1);
    const word = fc.string({ maxLength: 8 });
    fc.assert(
      fc.property(word, word, (a, b) => {
        expect(editDistance(a, b)).toBe(editDistance(b, a));
        expect(editDistance(a, b) === 0).toBe(a === b);
        expect(editDistance(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(editDistance(a, b)).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
      }),
    );
  });
});
