import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyFromPipedInput, MAX_PIPED_BYTES, runHashKeyCommand } from './hash-key-command.js';
import { apikeyProblem, hashApiKey, parseUsersFile } from './user-directory.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('keyFromPipedInput', () => {
  it.each([
    ['a-long-secret-key', 'a-long-secret-key'],
    ['a-long-secret-key\n', 'a-long-secret-key'],
    // A file saved on Windows, or `echo` in a Windows shell.
    ['a-long-secret-key\r\n', 'a-long-secret-key'],
    ['clé-secrète', 'clé-secrète'],
    // An editor's byte order mark is no part of the key.
    ['\uFEFFa-long-secret-key\n', 'a-long-secret-key'],
    // Spaces are characters a key may hold: only the line ending goes.
    [' a long key \n', ' a long key '],
  ])('takes %j as the key %j', (input, key) => {
    expect(keyFromPipedInput(bytes(input))).toEqual({ ok: true, key });
  });

  it.each([
    ['', 'the key on standard input must be at least 8 characters, got nothing: pipe it in (events-server hash-key < FILE), or run hash-key in a terminal to type it'],
    ['\n', 'the key on standard input must be at least 8 characters, got nothing: pipe it in (events-server hash-key < FILE), or run hash-key in a terminal to type it'],
    ['short\n', 'the key on standard input must be at least 8 characters'],
    // One line ending is dropped, not two: a second line is no part of one key.
    ['a-long-secret-key\n\n', 'the key on standard input must be an API key without control characters, got 18 characters (not shown: it is a secret) with a line feed (LF) at the end'],
    ['a-long\nsecret-key', 'the key on standard input must be an API key without control characters, got 17 characters (not shown: it is a secret) with a line feed (LF) at character 7 of 17'],
    ['a-long\tsecret-key\n', 'the key on standard input must be an API key without control characters, got 17 characters (not shown: it is a secret) with a tab at character 7 of 17'],
  ])('refuses %j: %s', (input, message) => {
    expect(keyFromPipedInput(bytes(input))).toEqual({ ok: false, message });
  });

  it('refuses bytes that are no UTF-8, which would be hashed as a key no client sends', () => {
    expect(keyFromPipedInput(Buffer.from([0x61, 0x62, 0xff, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68]))).toEqual({
      ok: false,
      message: 'the key on standard input must be UTF-8 text, got 9 bytes that are not (not shown: it is a secret)',
    });
  });

  const keyText = fc.string({ unit: 'binary' }).filter((key) => !/\p{Cs}/u.test(key) && !key.startsWith('\uFEFF') && !key.endsWith('\r'));
  it('takes exactly the keys the users file takes as "apikey", and never repeats one it refuses', () => {
    fc.assert(
      // What a pipe can carry as one key: UTF-8 text (no lone surrogate), without a byte order mark
      // or a CR before the line ending (both dropped: see above).
      fc.property(keyText, fc.constantFrom('', '\n', '\r\n'), (key, ending) => {
        const result = keyFromPipedInput(bytes(key + ending));
        const inFile = apikeyProblem(key) === undefined;
        expect(result.ok).toBe(inFile);
        if (result.ok) {
          expect(result.key).toBe(key);
          expect(parseUsersFile(JSON.stringify({ users: [{ username: 'a', apikey: result.key }] }), 'u.json')).toHaveLength(1);
        } else {
          // The refusal never depends on the key's text, only on its length and the place of its
          // control characters and white space (a message may well contain a short key such as
          // "key" as a word of its own): the same for another key of that shape.
          const sameShape = key.replace(/[^\p{Cc}\s]/gu, (c) => (c.length === 2 ? (c === '😀' ? '😁' : '😀') : c === 'Z' ? 'Y' : 'Z'));
          expect(keyFromPipedInput(bytes(sameShape + ending))).toEqual(result);
        }
      }),
    );
  });
});

describe('runHashKeyCommand (piped)', () => {
  const run = async (options: { generate: boolean }, input: string | Buffer) => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    stdin.end(input);
    const code = await runHashKeyCommand(options, { stdin, stdout, stderr });
    return { code, stdout: out, stderr: err };
  };

  it('prints the hex SHA-256 of the key read, and nothing else', async () => {
    expect(await run({ generate: false }, 'alice-secret-key\n')).toEqual({
      code: 0,
      stdout: 'd85cc5e31c65548b64632af4304e20eb0f792b7280b1cf6fd73ffa0d9c745f5b\n',
      stderr: '',
    });
  });

  it('refuses a bad key with exit 1, saying why on stderr and printing no hash', async () => {
    expect(await run({ generate: false }, 'short\n')).toEqual({ code: 1, stdout: '', stderr: 'events-server: the key on standard input must be at least 8 characters\n' });
  });

  it('stops reading past the most a key takes', async () => {
    const result = await run({ generate: false }, Buffer.alloc(MAX_PIPED_BYTES + 1, 'k'));
    expect(result).toEqual({ code: 1, stdout: '', stderr: `events-server: the key on standard input must be one line, got more than ${MAX_PIPED_BYTES} bytes\n` });
    // The most is no key rule of its own: one byte fewer is read, and hashed.
    expect((await run({ generate: false }, Buffer.alloc(MAX_PIPED_BYTES, 'k'))).stdout).toBe(`${hashApiKey('k'.repeat(MAX_PIPED_BYTES))}\n`);
  });

  it('--generate: a new key and its hash, without reading stdin', async () => {
    const result = await run({ generate: true }, 'ignored-key-1\n');
    const match = /^API key: {6}([A-Za-z0-9_-]{24})\napikeySha256: ([0-9a-f]{64})\n$/.exec(result.stdout);
    expect(match, result.stdout).not.toBeNull();
    const [, key, hash] = match as RegExpExecArray;
    expect(hash).toBe(hashApiKey(key as string));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect((await run({ generate: true }, '')).stdout).not.toContain(key);
  });
});
