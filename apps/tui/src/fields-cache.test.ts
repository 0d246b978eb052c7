import { describe, expect, it, vi } from 'vitest';
import { createFieldsCache } from './fields-cache.js';

describe('createFieldsCache', () => {
  it('fetches once, keeps the answer, and refetches when asked for fresher', async () => {
    let now = 0;
    const fetch = vi.fn(async (uri: string) => ({ name: `n${uri}` }));
    const cache = createFieldsCache({ fetch, now: () => now, publishIntervalMs: 0 });
    cache.request('a');
    cache.request('a');
    expect(cache.get('a')?.status).toBe('pending');
    await vi.waitFor(() => expect(cache.fields('a')).toEqual({ name: 'na' }));
    cache.request('a');
    expect(fetch).toHaveBeenCalledTimes(1);
    now = 5_000;
    cache.request('a', 1_000);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(cache.getVersion()).toBeGreaterThan(0);
  });

  it('keeps errors for a while instead of hammering the server', async () => {
    let now = 0;
    const fetch = vi.fn(async () => {
      throw new Error('404: gone');
    });
    const cache = createFieldsCache({ fetch, now: () => now, publishIntervalMs: 0 });
    cache.request('a');
    await vi.waitFor(() => expect(cache.get('a')).toMatchObject({ status: 'error', message: '404: gone' }));
    cache.request('a');
    expect(fetch).toHaveBeenCalledTimes(1);
    now = 31_000;
    cache.request('a');
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('runs at most `concurrency` fetches at a time, newest request first', async () => {
    const resolvers: (() => void)[] = [];
    const order: string[] = [];
    const fetch = vi.fn(
      (uri: string) =>
        new Promise<Record<string, unknown>>((resolve) => {
          order.push(uri);
          resolvers.push(() => resolve({}));
        }),
    );
    const cache = createFieldsCache({ fetch, concurrency: 2, publishIntervalMs: 0 });
    for (const uri of ['a', 'b', 'c', 'd']) cache.request(uri);
    expect(fetch).toHaveBeenCalledTimes(2);
    resolvers.shift()?.();
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(3));
    expect(order).toEqual(['a', 'b', 'd']);
  });
});
