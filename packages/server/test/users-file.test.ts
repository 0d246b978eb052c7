import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventsError } from '@events/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apikeyProblem, checkUserConfigs, createUserDirectory, generateApiKey, generateDefaultUser, hashApiKey, loadUsersFile, parseUsersFile } from '../src/user-directory.js';

/** SHA-256 of "alice-secret-key" in hex, as `printf %s alice-secret-key | sha256sum` prints it. */
const ALICE_SHA256 = 'd85cc5e31c65548b64632af4304e20eb0f792b7280b1cf6fd73ffa0d9c745f5b';
const SHA256_RULE = 'the SHA-256 of the API key in 64 hex characters, as "events-server hash-key" prints it';
const NEITHER = `needs "apikeySha256" (${SHA256_RULE}) or "apikey" (the key itself, at least 8 characters)`;
const BOTH = 'has both "apikey" and "apikeySha256": keep one (the hash, so that the file holds no key)';

const errorOf = (fn: () => unknown): EventsError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EventsError);
    return error as EventsError;
  }
  throw new Error('expected a throw');
};

describe('parseUsersFile', () => {
  it('reads users, their keys and organisations; namespaces default to none', () => {
    const text = JSON.stringify({ users: [{ username: 'alice', apikey: 'alice-key-1', namespaces: ['acme'] }, { username: 'bob', apikey: 'bob-key-12' }] });
    expect(parseUsersFile(text, 'users.json')).toEqual([
      { username: 'alice', apikey: 'alice-key-1', namespaces: ['acme'] },
      { username: 'bob', apikey: 'bob-key-12', namespaces: [] },
    ]);
  });

  it('reads a user with the SHA-256 of their key instead of the key, in either case of hex', () => {
    const text = JSON.stringify({ users: [{ username: 'alice', apikeySha256: ALICE_SHA256 }, { username: 'bob', apikeySha256: ALICE_SHA256.toUpperCase(), namespaces: ['acme'] }, { username: 'carol', apikey: 'carol-key-1' }] });
    expect(parseUsersFile(text, 'users.json')).toEqual([
      { username: 'alice', apikeySha256: ALICE_SHA256, namespaces: [] },
      { username: 'bob', apikeySha256: ALICE_SHA256.toUpperCase(), namespaces: ['acme'] },
      { username: 'carol', apikey: 'carol-key-1', namespaces: [] },
    ]);
  });

  const EXAMPLE = '{ "username": "alice", "apikey": "...", "namespaces": ["acme"] }';
  it.each([
    ['{}', `users.json: users: is required (an array of users such as [${EXAMPLE}])`],
    ['[]', `users.json: (file): must be an object such as {"users": [${EXAMPLE}]}, got an array`],
    ['{"users":[]}', 'users.json: users: must list at least one user'],
    ['{"users":{"username":"a","apikey":"12345678"}}', `users.json: users: must be an array of users such as [${EXAMPLE}], got an object (write a single user in [ ])`],
    ['{"users":["alice"]}', `users.json: users.0: must be a user such as ${EXAMPLE}, got a string`],
    ['{"users":[{"username":"a b","apikey":"12345678"}]}', 'users.json: users.0.username: must be 1-64 characters of letters, digits, _ . -'],
    ['{"users":[{"username":"a","apikey":"short"}]}', 'users.json: users.0.apikey: must be at least 8 characters'],
    // Neither the key nor its hash, or both: which one counts would be a guess.
    ['{"users":[{"username":"a"}]}', `users.json: users.0: ${NEITHER}`],
    [`{"users":[{"username":"a","apikey":"12345678","apikeySha256":"${ALICE_SHA256}"}]}`, `users.json: users.0: ${BOTH}`],
    [`{"users":[{"username":"a","apikey":"12345678"},{"username":"b","apikey":"12345678","apikeySha256":"${ALICE_SHA256}"}]}`, `users.json: users.1: ${BOTH}`],
    // A wrong field does not hide the missing key: both are said at once.
    ['{"users":[{"username":"a","namespaces":"acme"}]}', `users.json: users.0.namespaces: must be an array of namespace names such as ["acme"], got a string; users.0: ${NEITHER}`],
    ['{"users":[{"username":"a","apikeySha256":"abc"}]}', `users.json: users.0.apikeySha256: must be ${SHA256_RULE}, got 3 characters (not shown: it may be a key)`],
    [`{"users":[{"username":"a","apikeySha256":"${ALICE_SHA256}0"}]}`, `users.json: users.0.apikeySha256: must be ${SHA256_RULE}, got 65 characters (not shown: it may be a key)`],
    [`{"users":[{"username":"a","apikeySha256":"${ALICE_SHA256.replace('d', 'g')}"}]}`, `users.json: users.0.apikeySha256: must be ${SHA256_RULE}, got 64 characters that are not all hex digits (0-9, a-f)`],
    // docker's and OCI's digests carry the algorithm as a prefix.
    [`{"users":[{"username":"a","apikeySha256":"sha256:${ALICE_SHA256}"}]}`, `users.json: users.0.apikeySha256: must be ${SHA256_RULE}, got one with a "sha256:" prefix: drop the prefix`],
    ['{"users":[{"username":"a","apikeySha256":""}]}', `users.json: users.0.apikeySha256: must be ${SHA256_RULE}, got 0 characters (not shown: it may be a key)`],
    ['{"users":[{"username":"a","apikeySha256":42}]}', `users.json: users.0.apikeySha256: must be a string: ${SHA256_RULE}, got a number`],
    [`{"users":[{"username":"a","apikeySHA256":"${ALICE_SHA256}"}]}`, `users.json: users.0: unknown key "apikeySHA256" (did you mean "apikeySha256"?); users.0: ${NEITHER}`],
    [`{"users":[{"username":"a","apikey_sha256":"${ALICE_SHA256}"}]}`, `users.json: users.0: unknown key "apikey_sha256" (did you mean "apikeySha256"?); users.0: ${NEITHER}`],
    [`{"users":[{"username":"a","sha256":"${ALICE_SHA256}"}]}`, `users.json: users.0: unknown key "sha256" (did you mean "apikeySha256"?); users.0: ${NEITHER}`],
    [`{"users":[{"username":"a","password_hash":"${ALICE_SHA256}"}]}`, `users.json: users.0: unknown key "password_hash" (did you mean "apikeySha256"?); users.0: ${NEITHER}`],
    // No client can send such a key (core refuses credentials with one): a key file's line ending, most often.
    ['{"users":[{"username":"a","apikey":"12345678\\n"}]}', 'users.json: users.0.apikey: must be an API key without control characters, got 9 characters (not shown: it is a secret) with a line feed (LF) at the end'],
    ['{"users":[{"username":"a","apikey":"1234\\t5678"}]}', 'users.json: users.0.apikey: must be an API key without control characters, got 9 characters (not shown: it is a secret) with a tab at character 5 of 9'],
    ['{"users":[{"username":"a","apikey":12345678}]}', 'users.json: users.0.apikey: must be a string of at least 8 characters, got a number'],
    ['{"users":[{"username":"a","apikey":"12345678","namespaces":["ok","no way"]}]}', 'users.json: users.0.namespaces.1: must be 1-64 characters of letters, digits, _ . -'],
    // URLs resolve "." and ".." away: /api/app/v1/../stack/ is /api/app/stack/, and /api/app/v1/./stack/
    // the user's own namespace, so such a namespace's resource URIs would never reach it.
    ['{"users":[{"username":"..","apikey":"12345678"}]}', 'users.json: users.0.username: must not be "." or "..", which URLs resolve away (its resource URIs would not reach it)'],
    ['{"users":[{"username":"a","apikey":"12345678","namespaces":["acme","."]}]}', 'users.json: users.0.namespaces.1: must not be "." or "..", which URLs resolve away (its resource URIs would not reach it)'],
    ['{"users":[{"username":"a","apikey":"12345678","namespaces":"acme"}]}', 'users.json: users.0.namespaces: must be an array of namespace names such as ["acme"], got a string'],
    ['{"users":[{"username":"a","apikey":"12345678"},{"username":"a","apikey":"87654321"}]}', 'users.json: user "a" is listed twice'],
    // A misspelt key would otherwise be dropped without a word, and its user lose access.
    ['{"users":[{"username":"a","apikey":"12345678","namespace":["acme"]}]}', 'users.json: users.0: unknown key "namespace" (did you mean "namespaces"?)'],
    ['{"users":[{"username":"a","api_key":"12345678"}]}', `users.json: users.0: unknown key "api_key" (did you mean "apikey"?); users.0: ${NEITHER}`],
    ['{"users":[{"username":"a","apikey":"12345678","organizations":["acme"],"admin":true}]}', 'users.json: users.0: unknown key "organizations" (did you mean "namespaces"?); users.0: unknown key "admin"'],
    [`{"users":[{"username":"a","apikey":"12345678","${'k'.repeat(500)}":1}]}`, `users.json: users.0: unknown key "${'k'.repeat(99)}…"`],
    [
      '{"user":[{"username":"a","apikey":"12345678"}]}',
      `users.json: (file): unknown key "user" (did you mean "users"?); users: is required (an array of users such as [${EXAMPLE}])`,
    ],
  ])('refuses %s precisely', (text, message) => {
    const error = errorOf(() => parseUsersFile(text, 'users.json'));
    expect(error.code).toBe('invalid-config');
    expect(error.message).toBe(message);
  });

  it('names the file and the JSON error, without echoing the content', () => {
    const error = errorOf(() => parseUsersFile('{"users": [{"apikey": "s3cret-key"', 'users.json'));
    expect(error.message).toMatch(/^users\.json: not valid JSON \(.+\)$/);
    expect(error.message).not.toContain('s3cret-key');
  });

  it('never echoes an API key in a validation error', () => {
    const error = errorOf(() => parseUsersFile('{"users":[{"username":"a b","apikey":"s3cret-key-42"}]}', 'u.json'));
    expect(error.message).not.toContain('s3cret-key-42');
    // Nor one of the wrong type, nor one under a misspelt key.
    for (const user of [
      { username: 'a', apikey: ['s3cret-key-42'] },
      { username: 'a', api_key: 's3cret-key-42' },
      { username: 'a', apikey: 's3c' },
      { username: 'a', apikey: 's3cret-key-42\n' },
      // The key itself where its hash belongs, alone or beside the key.
      { username: 'a', apikeySha256: 's3cret-key-42' },
      { username: 'a', apikey: 's3cret-key-42', apikeySha256: 's3cret-key-42' },
      { username: 'a', apikeySha256: `s3c${'0'.repeat(61)}` },
    ]) {
      const error = errorOf(() => parseUsersFile(JSON.stringify({ users: [user] }), 'u.json'));
      expect(error.message).not.toMatch(/s3c/);
      // Nor in the zod error kept as the cause, which a caller may log.
      expect(JSON.stringify(error.cause)).not.toMatch(/s3c/);
    }
  });
});

describe('checkUserConfigs (users from code)', () => {
  const outcome = (fn: () => unknown) => {
    try {
      return { ok: true, value: fn() };
    } catch (error) {
      expect(error).toBeInstanceOf(EventsError);
      return { ok: false, message: (error as EventsError).message };
    }
  };

  it('applies exactly the rules of the users file', () => {
    const key = fc.constantFrom('username', 'apikey', 'apikeySha256', 'namespaces', 'namespace', 'api_key', 'user', 'sha256');
    const value = fc.oneof(
      fc.constantFrom('alice', 'acme', 'a b', 'k', 'alice-key-1', '', 'alice-key-1\n', ALICE_SHA256, `sha256:${ALICE_SHA256}`),
      fc.integer(),
      fc.array(fc.constantFrom('acme', 'no way', 'bob')),
    );
    const user = fc.oneof(
      fc.dictionary(key, value),
      fc.record({ username: fc.constantFrom('alice', 'bob'), apikey: fc.constantFrom('alice-key-1', 'short') }),
      fc.record({ username: fc.constantFrom('alice', 'bob'), apikeySha256: fc.constantFrom(ALICE_SHA256, 'short') }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(user, { maxLength: 3 }), user, fc.constant('alice')), (users) => {
        const fromCode = outcome(() => checkUserConfigs(users));
        const fromFile = outcome(() => parseUsersFile(JSON.stringify({ users }), 'u.json'));
        expect(fromCode.ok).toBe(fromFile.ok);
        if (fromCode.ok) expect(fromCode.value).toEqual(fromFile.value);
        else expect(`u.json: ${fromCode.message}`).toBe(fromFile.message);
      }),
    );
  });

  it.each([
    [{ username: 'alice', apikey: 'alice-key-1' }, /^users: must be an array of users such as .*, got an object \(write a single user in \[ \]\)$/],
    [[{ username: 'alice', api_key: 'alice-key-1' }], /^users\.0: unknown key "api_key" \(did you mean "apikey"\?\); users\.0: needs "apikeySha256" /],
    [[{ username: 'alice', apikey: 'k' }], /^users\.0\.apikey: must be at least 8 characters$/],
    [[{ username: 'alice', apikey: 'alice-key-1', apikeySha256: ALICE_SHA256 }], /^users\.0: has both "apikey" and "apikeySha256"/],
    [[{ username: 'alice' }], /^users\.0: needs "apikeySha256" \(.*\) or "apikey" \(the key itself, at least 8 characters\)$/],
    [[{ username: 'alice', apikeySha256: 'alice-key-1' }], /^users\.0\.apikeySha256: must be the SHA-256 of the API key in 64 hex characters/],
    [[{ username: 'alice', apikey: 'alice-key-1', namespace: ['acme'] }], /^users\.0: unknown key "namespace" \(did you mean "namespaces"\?\)$/],
  ])('refuses %j as the users file would', (users, message) => {
    expect(outcome(() => checkUserConfigs(users))).toEqual({ ok: false, message: expect.stringMatching(message) });
    // createUserDirectory, the other way in from code, checks its users the same way.
    expect(outcome(() => createUserDirectory(users as never))).toEqual({ ok: false, message: expect.stringMatching(message) });
  });
});

describe('loadUsersFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'events-users-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a valid file', async () => {
    const path = join(dir, 'ok.json');
    await writeFile(path, '{"users":[{"username":"alice","apikey":"alice-key-1"}]}');
    expect(await loadUsersFile(path)).toEqual([{ username: 'alice', apikey: 'alice-key-1', namespaces: [] }]);
  });

  it('loads a file of hashes', async () => {
    const path = join(dir, 'hashed.json');
    await writeFile(path, JSON.stringify({ users: [{ username: 'alice', apikeySha256: ALICE_SHA256, namespaces: ['acme'] }] }));
    expect(await loadUsersFile(path)).toEqual([{ username: 'alice', apikeySha256: ALICE_SHA256, namespaces: ['acme'] }]);
  });

  it('says which file cannot be read and why', async () => {
    const path = join(dir, 'missing.json');
    await expect(loadUsersFile(path)).rejects.toMatchObject({ code: 'invalid-config', message: expect.stringMatching(new RegExp(`^cannot read users file ${path}: ENOENT`)) });
  });

  it('reports an invalid file with its path', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, '{"users":[]}');
    await expect(loadUsersFile(path)).rejects.toThrow(`${path}: users: must list at least one user`);
  });
});

describe('createUserDirectory', () => {
  const directory = createUserDirectory([
    { username: 'alice', apikey: 'alice-key-1', namespaces: ['acme', 'alice'] },
    { username: 'bob', apikey: 'bob-key-12', namespaces: ['acme'] },
  ]);

  it('authenticates the right key only', () => {
    expect(directory.authenticate('alice', 'alice-key-1')).toEqual({ username: 'alice', namespaces: ['alice', 'acme'] });
    expect(directory.authenticate('alice', 'alice-key-2')).toBeUndefined();
    expect(directory.authenticate('alice', 'bob-key-12')).toBeUndefined();
    expect(directory.authenticate('carol', 'alice-key-1')).toBeUndefined();
    expect(directory.authenticate('alice', '')).toBeUndefined();
  });

  it('refuses every key but the configured one', () => {
    fc.assert(
      fc.property(fc.string(), (key) => {
        expect(directory.authenticate('bob', key) !== undefined).toBe(key === 'bob-key-12');
      }),
    );
  });

  it('authenticates a user stored by the SHA-256 of their key with that key only', () => {
    const hashed = createUserDirectory([
      { username: 'alice', apikeySha256: ALICE_SHA256, namespaces: ['acme'] },
      // Upper-case hex is the same hash.
      { username: 'bob', apikeySha256: hashApiKey('bob-key-12').toUpperCase() },
    ]);
    expect(hashed.authenticate('alice', 'alice-secret-key')).toEqual({ username: 'alice', namespaces: ['alice', 'acme'] });
    expect(hashed.authenticate('bob', 'bob-key-12')).toEqual({ username: 'bob', namespaces: ['bob'] });
    // The hash is no key: sending it gets nothing.
    expect(hashed.authenticate('alice', ALICE_SHA256)).toBeUndefined();
    expect(hashed.authenticate('alice', 'alice-secret-kez')).toBeUndefined();
    expect(hashed.authenticate('alice', 'bob-key-12')).toBeUndefined();
    expect(hashed.authenticate('carol', 'alice-secret-key')).toBeUndefined();
    expect(hashed.authenticate('alice', '')).toBeUndefined();
  });

  it('takes a key and its SHA-256 as the same user: any key sent gets the same answer from either', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8 }).filter((key) => apikeyProblem(key) === undefined), fc.string({ unit: 'binary' }), (key, sent) => {
        const plain = createUserDirectory([{ username: 'alice', apikey: key }]);
        const hashed = createUserDirectory([{ username: 'alice', apikeySha256: hashApiKey(key) }]);
        expect(hashed.authenticate('alice', key)).toEqual(plain.authenticate('alice', key));
        expect(hashed.authenticate('alice', key)).toBeDefined();
        expect(hashed.authenticate('alice', sent) !== undefined).toBe(sent === key);
        expect(plain.authenticate('alice', sent) !== undefined).toBe(sent === key);
      }),
    );
  });

  it('lets a user read their own namespace and their organisations, nothing else', () => {
    const bob = directory.authenticate('bob', 'bob-key-12');
    if (!bob) throw new Error('bob should authenticate');
    expect(bob.namespaces).toEqual(['bob', 'acme']);
    expect(directory.canRead(bob, 'bob')).toBe(true);
    expect(directory.canRead(bob, 'acme')).toBe(true);
    expect(directory.canRead(bob, 'alice')).toBe(false);
    expect(directory.namespaces()).toEqual(['alice', 'acme', 'bob']);
  });
});

describe('hashApiKey', () => {
  it('is the SHA-256 of the UTF-8 bytes in lower-case hex, as sha256sum prints it', () => {
    expect(hashApiKey('alice-secret-key')).toBe(ALICE_SHA256);
    // `printf %s 'clé-secrète' | sha256sum`: UTF-8, not Latin-1 or UTF-16.
    expect(hashApiKey('clé-secrète')).toBe('c69ebab72fa8e13b7e7ef35d5a0e41e72ea175f4323b7017ab9f9c26b2b6e3b5');
  });
});

describe('apikeyProblem', () => {
  it('says what the users file says of a bad "apikey", never repeating it', () => {
    expect(apikeyProblem('a-long-key')).toBeUndefined();
    expect(apikeyProblem('')).toBe('must be at least 8 characters');
    expect(apikeyProblem('short')).toBe('must be at least 8 characters');
    expect(apikeyProblem('a-long-key\r')).toBe('must be an API key without control characters, got 11 characters (not shown: it is a secret) with a carriage return (CR) at the end');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (key) => {
        const problem = apikeyProblem(key);
        const file = JSON.stringify({ users: [{ username: 'a', apikey: key }] });
        if (problem === undefined) expect(parseUsersFile(file, 'u.json')).toHaveLength(1);
        else expect(errorOf(() => parseUsersFile(file, 'u.json')).message).toBe(`u.json: users.0.apikey: ${problem}`);
      }),
    );
  });
});

describe('generateApiKey', () => {
  it('makes a fresh 24-character key that the users file takes', () => {
    const keys = new Set(Array.from({ length: 50 }, generateApiKey));
    expect(keys.size).toBe(50);
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(apikeyProblem(key)).toBeUndefined();
    }
  });
});

describe('generateDefaultUser', () => {
  it('makes "admin" with a fresh random key long enough to resist guessing', () => {
    const a = generateDefaultUser();
    const b = generateDefaultUser();
    expect(a.username).toBe('admin');
    expect(a.apikey).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(a.apikey).not.toBe(b.apikey);
    // A generated user passes the users-file rules, so it could be written out as one.
    expect(parseUsersFile(JSON.stringify({ users: [a] }), 'x')).toEqual([a]);
  });
});
