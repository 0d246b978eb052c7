import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { didYouMean, didYouMeanHint, editDistance } from './did-you-mean.js';

// Option names of events-server's createEventsServer, a realistic set of candidates.
const SERVER = ['source', 'users', 'host', 'port', 'retention', 'heartbeatMs', 'pingIntervalMs', 'logger'];

describe('didYouMean', () => {
  it.each([
    ['prot', 'port'],
    ['PORT', 'port'],
    ['hsot', 'host'],
    ['user', 'users'],
    ['heartbeat', 'heartbeatMs'],
    ['heartbeatms', 'heartbeatMs'],
    ['pingInterval', 'pingIntervalMs'],
    ['sources', 'source'],
    // The name it starts with.
    ['hostname', 'host'],
  ])('%s → %s', (typed, meant) => {
    expect(didYouMean(typed, SERVER)).toBe(meant);
  });

  it('takes a known near miss that no spelling rule would find', () => {
    expect(didYouMean('address', SERVER)).toBeUndefined();
    expect(didYouMean('address', SERVER, { address: 'host' })).toBe('host');
    // A near miss to a name that is not among the candidates is no hint.
    expect(didYouMean('address', ['port'], { address: 'host' })).toBeUndefined();
  });

  it('finds another case, as go-dockercloud spells filter keys', () => {
    expect(didYouMean('Type', ['type', 'object'])).toBe('type');
    expect(didYouMean('api_key', ['apikey', 'username'])).toBe('apikey');
  });

  it('offers nothing rather than a guess', () => {
    expect(didYouMean('colour', SERVER)).toBeUndefined();
    // Two letters are two edits from any other two letters.
    expect(didYouMean('xy', ['ab', 'port'])).toBeUndefined();
    // A prefix of two names names neither.
    expect(didYouMean('retention', ['retention-count', 'retention-age'])).toBeUndefined();
    expect(didYouMeanHint('colour', SERVER)).toBe('');
    expect(didYouMeanHint('prot', SERVER)).toBe(' (did you mean "port"?)');
  });

  it('always names a candidate, and a name one edit away from a single candidate is that candidate', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (typed) => {
        const match = didYouMean(typed, SERVER);
        if (match !== undefined) expect(SERVER).toContain(match);
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...SERVER), fc.nat(), fc.constantFrom('a', 'z', '_'), (name, at, char) => {
        const i = at % (name.length + 1);
        expect(didYouMean(name.slice(0, i) + char + name.slice(i), [name])).toBe(name);
      }),
    );
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and swaps of neighbours', () => {
    expect(editDistance('port', 'port')).toBe(0);
    expect(editDistance('prot', 'port')).toBe(1);
    expect(editDistance('api_key', 'apikey')).toBe(1);
    expect(editDistance('', 'host')).toBe(4);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('is symmetric, zero only between equal strings, and bounded by the lengths', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        expect(editDistance(a, b)).toBe(editDistance(b, a));
        expect(editDistance(a, b) === 0).toBe(a === b);
        expect(editDistance(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(editDistance(a, b)).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
      }),
    );
  });
});
