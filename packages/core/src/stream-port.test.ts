import { describe, expect, it } from 'vitest';
import { EventsError } from './events-error.js';
import { type ByteStreamLike, type HttpRequest, readCappedBody } from './stream-port.js';

const request = (maxBodyBytes: number | undefined): HttpRequest => ({ method: 'GET', url: 'http://h:1/api/app/v1/acme/stack/?limit=1000&auth=secret', headers: {}, maxBodyBytes });

/** A byte stream of `chunks`, recording how many were pulled and whether it was cancelled. */
function streamOf(chunks: readonly Uint8Array[]) {
  const seen = { pulled: 0, cancelled: false };
  const body: ByteStreamLike = {
    getReader: () => ({
      read: async () => {
        const value = chunks[seen.pulled];
        if (value === undefined) return { done: true };
        seen.pulled++;
        return { done: false, value };
      },
      cancel: async () => {
        seen.cancelled = true;
      },
    }),
  };
  return { body, seen };
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('readCappedBody', () => {
  it('reads a body up to the cap exactly, a character split between chunks whole', async () => {
    const euro = bytes('€'); // 3 bytes, split 1 + 2
    const { body, seen } = streamOf([bytes('ab'), euro.slice(0, 1), euro.slice(1), bytes('c')]);
    expect(await readCappedBody(body, request(6), new TextDecoder())).toBe('ab€c');
    expect(seen).toEqual({ pulled: 4, cancelled: false });
  });

  it('stops at the chunk that passes the cap: cancels the stream, pulls nothing more, and names the URL without its query and the cap', async () => {
    const { body, seen } = streamOf([bytes('x'.repeat(4)), bytes('x'.repeat(4)), bytes('never read')]);
    const error = await readCappedBody(body, request(7), new TextDecoder()).catch((thrown: unknown) => thrown);
    expect(error).toEqual(new EventsError('protocol', "GET http://h:1/api/app/v1/acme/stack/ failed: its answer's body is over 7 bytes (maxRestBodyBytes); reading stopped there"));
    expect(seen).toEqual({ pulled: 2, cancelled: true });
  });

  it('reads any length without a cap', async () => {
    const { body } = streamOf([bytes('x'.repeat(100_000))]);
    expect(await readCappedBody(body, request(undefined), new TextDecoder())).toHaveLength(100_000);
  });
});
