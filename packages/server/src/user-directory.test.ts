import * as crypto from 'node:crypto';
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createUserDirectory, hashApiKey } from './user-directory.js';

// node:crypto's own timingSafeEqual, watched: every call still runs the real comparison. What this
// file checks is that each way through authenticate() ends in one constant-time comparison of two
// 32-byte hashes: a right key, a wrong one, an unknown user, a stored hash, any length sent.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);
const sha256 = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest();

describe('createUserDirectory: constant-time comparison', () => {
  const directory = createUserDirectory([
    { username: 'alice', apikey: 'alice-secret-key' },
    { username: 'bob', apikeySha256: hashApiKey('bob-secret-key') },
  ]);
  beforeEach(() => {
    timingSafeEqual.mockClear();
  });

  /** The one comparison authenticate() made: the stored hash and the hash of the key sent. */
  const comparison = (username: string, apikey: string) => {
    const user = directory.authenticate(username, apikey);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    const [stored, sent] = timingSafeEqual.mock.calls[0] as [Buffer, Buffer];
    timingSafeEqual.mockClear();
    return { user, stored: Buffer.from(stored), sent: Buffer.from(sent) };
  };

  it('compares the stored hash with the hash of the key sent, for a key or a stored hash alike', () => {
    expect(comparison('alice', 'alice-secret-key')).toEqual({ user: { username: 'alice', namespaces: ['alice'] }, stored: sha256('alice-secret-key'), sent: sha256('alice-secret-key') });
    expect(comparison('alice', 'wrong-key-1')).toEqual({ user: undefined, stored: sha256('alice-secret-key'), sent: sha256('wrong-key-1') });
    expect(comparison('bob', 'bob-secret-key')).toEqual({ user: { username: 'bob', namespaces: ['bob'] }, stored: sha256('bob-secret-key'), sent: sha256('bob-secret-key') });
    expect(comparison('bob', 'wrong-key-1')).toEqual({ user: undefined, stored: sha256('bob-secret-key'), sent: sha256('wrong-key-1') });
  });

  it("compares an unknown user against a dummy hash (no user's) so that timing does not tell which usernames exist", () => {
    const unknown = comparison('mallory', 'alice-secret-key');
    expect(unknown.user).toBeUndefined();
    expect(unknown.sent).toEqual(sha256('alice-secret-key'));
    expect(unknown.stored).toHaveLength(32);
    expect(unknown.stored).not.toEqual(sha256('alice-secret-key'));
    expect(unknown.stored).not.toEqual(sha256('bob-secret-key'));
    // The same dummy every time: an unknown user costs what a known one does, and no more.
    expect(comparison('eve', 'x').stored).toEqual(unknown.stored);
  });

  it('makes exactly one comparison of two 32-byte hashes whatever the username and key sent', () => {
    fc.assert(
      fc.property(fc.constantFrom('alice', 'bob', 'mallory', ''), fc.string({ unit: 'binary', maxLength: 300 }), (username, apikey) => {
        const { stored, sent } = comparison(username, apikey);
        // Equal lengths whatever was sent: timingSafeEqual throws on unequal ones, and the length of a key shows in no timing.
        expect([stored.length, sent.length]).toEqual([32, 32]);
        expect(sent).toEqual(sha256(apikey));
      }),
    );
  });
});
