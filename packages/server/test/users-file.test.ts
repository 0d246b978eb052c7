import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventsError } from '@events/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserDirectory, generateDefaultUser, loadUsersFile, parseUsersFile } from '../src/user-directory.js';

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

  it.each([
    ['{}', 'users.json: users: Invalid input: expected array, received undefined'],
    ['[]', 'users.json: (file): Invalid input: expected object, received array'],
    ['{"users":[]}', 'users.json: users: must list at least one user'],
    ['{"users":[{"username":"a b","apikey":"12345678"}]}', 'users.json: users.0.username: must be 1-64 characters of letters, digits, _ . -'],
    ['{"users":[{"username":"a","apikey":"short"}]}', 'users.json: users.0.apikey: must be at least 8 characters'],
    ['{"users":[{"username":"a"}]}', 'users.json: users.0.apikey: Invalid input: expected string, received undefined'],
    ['{"users":[{"username":"a","apikey":"12345678","namespaces":["ok","no way"]}]}', 'users.json: users.0.namespaces.1: must be 1-64 characters of letters, digits, _ . -'],
    ['{"users":[{"username":"a","apikey":"12345678"},{"username":"a","apikey":"87654321"}]}', 'users.json: user "a" is listed twice'],
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
