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
