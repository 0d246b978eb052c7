import { describe, expect, it, vi } from 'vitest';
import { createEventStream, createLiveTree } from '../src/index.js';

const CREDENTIALS = { username: 'alice', apikey: 'k1' };

/** The error a create call throws, or a failure when it throws none. */
function thrown(create: () => unknown): Error {
  try {
    create();
  } catch (error) {
    return error as Error;
  }
  throw new Error('no error');
}

describe('no stream host', () => {
  it('names the environment variable where the environment is read, the env option where it was given', () => {
    vi.stubEnv('DOCKERCLOUD_STREAM_HOST', undefined);
    vi.stubEnv('DOCKERCLOUD_STREAM_URL', undefined);
    try {
      expect(thrown(() => createEventStream({ credentials: CREDENTIALS }))).toMatchObject({ code: 'invalid-config' });
      expect(thrown(() => createEventStream({ credentials: CREDENTIALS })).message).toMatch(/^no stream host: pass streamHost or set DOCKERCLOUD_STREAM_HOST \(/);
      // With env given, process.env is not read: setting a variable there would change nothing.
      expect(thrown(() => createEventStream({ env: {}, credentials: CREDENTIALS })).message).toMatch(/^no stream host: pass streamHost or DOCKERCLOUD_STREAM_HOST in env \(/);
      expect(thrown(() => createLiveTree({ env: {}, credentials: CREDENTIALS })).message).toMatch(/^no stream host: pass streamHost or DOCKERCLOUD_STREAM_HOST in env \(/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('the options argument', () => {
  it('refuses anything but an object, naming what it got (a host string included)', () => {
    const host = 'ws://127.0.0.1:8080/';
    for (const create of [createEventStream, createLiveTree] as ((options: unknown) => unknown)[]) {
      expect(thrown(() => create(host))).toMatchObject({
        name: 'EventsError',
        code: 'invalid-config',
        message: `options must be an object, got the string "${host}" (a host goes in { streamHost: "${host}" })`,
      });
      expect(thrown(() => create(null))).toMatchObject({ code: 'invalid-config', message: 'options must be an object, got null' });
      expect(thrown(() => create(8080))).toMatchObject({ code: 'invalid-config', message: 'options must be an object, got number 8080' });
      expect(thrown(() => create([host]))).toMatchObject({ code: 'invalid-config', message: 'options must be an object, got an array' });
    }
  });

  it('refuses an env that is not an object of variables, rather than reading process.env or nothing', () => {
    const options = { streamHost: 'ws://127.0.0.1:1/', credentials: CREDENTIALS };
    for (const env of [null, 'DOCKERCLOUD_NAMESPACE=acme', ['acme']]) {
      expect(thrown(() => createEventStream({ ...options, env } as never))).toMatchObject({
        code: 'invalid-config',
        message: expect.stringMatching(/^env must be an object of DOCKERCLOUD_\* variables \(process\.env is the default; \{\} reads none\), got (null|the string|an array)/),
      });
      expect(thrown(() => createLiveTree({ ...options, env } as never))).toMatchObject({ code: 'invalid-config', message: expect.stringMatching(/^env must be an object/) });
    }
  });
});
