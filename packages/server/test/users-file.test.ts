import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventsError } from '@events/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkUserConfigs, createUserDirectory, generateDefaultUser, loadUsersFile, parseUsersFile } from '../src/user-directory.js';

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

  const EXAMPLE = '{ "username": "alice", "apikey": "...", "namespaces": ["acme"] }';
  it.each([
    ['{}', `users.json: users: is required (an array of users such as [${EXAMPLE}])`],
    ['[]', `users.json: (file): must be an object such as {"users": [${EXAMPLE}]}, got an array`],
    ['{"users":[]}', 'users.json: users: must list at least one user'],
    ['{"users":{"username":"a","apikey":"12345678"}}', `users.json: users: must be an array of users such as [${EXAMPLE}], got an object (write a single user in [ ])`],
    ['{"users":["alice"]}', `users.json: users.0: must be a user such as ${EXAMPLE}, got a string`],
    ['{"users":[{"username":"a b","apikey":"12345678"}]}', 'users.json: users.0.username: must be 1-64 characters of letters, digits, _ . -'],
    ['{"users":[{"username":"a","apikey":"short"}]}', 'users.json: users.0.apikey: must be at least 8 characters'],
    ['{"users":[{"username":"a"}]}', 'users.json: users.0.apikey: is required (at least 8 characters)'],
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
    [
      '{"users":[{"username":"a","api_key":"12345678"}]}',
      'users.json: users.0: unknown key "api_key" (did you mean "apikey"?); users.0.apikey: is required (at least 8 characters)',
    ],
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
    for (const user of [{ username: 'a', apikey: ['s3cret-key-42'] }, { username: 'a', api_key: 's3cret-key-42' }, { username: 'a', apikey: 's3c' }]) {
      expect(errorOf(() => parseUsersFile(JSON.stringify({ users: [user] }), 'u.json')).message).not.toMatch(/s3c/);
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
    const key = fc.constantFrom('username', 'apikey', 'namespaces', 'namespace', 'api_key', 'user');
    const value = fc.oneof(fc.constantFrom('alice', 'acme', 'a b', 'k', 'alice-key-1', ''), fc.integer(), fc.array(fc.constantFrom('acme', 'no way', 'bob')));
    const user = fc.oneof(fc.dictionary(key, value), fc.record({ username: fc.constantFrom('alice', 'bob'), apikey: fc.constantFrom('alice-key-1', 'short') }));
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
    [[{ username: 'alice', api_key: 'alice-key-1' }], /^users\.0: unknown key "api_key" \(did you mean "apikey"\?\); users\.0\.apikey: is required/],
    [[{ username: 'alice', apikey: 'k' }], /^users\.0\.apikey: must be at least 8 characters$/],
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
