import { describe, expect, it, vi } from 'vitest';
import { createFieldsCache, type StoredFields } from './fields-cache.js';

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

  it('asks the lookup first and sends nothing for what it answers, a missing recording entry included, calmly and on the injected clock', () => {
    let now = 1_000;
    const fetch = vi.fn(async () => ({ name: 'from the server' }));
    const recorded = { name: 'web' };
    const answers = new Map<string, StoredFields>([
      ['a', { status: 'ok', at: 400, fields: recorded, listed: true }],
      ['gone', { status: 'unavailable', at: 1_000, reason: 'not in the recording' }],
    ]);
    const cache = createFieldsCache({ fetch, lookup: (uri) => answers.get(uri), now: () => now, publishIntervalMs: 0 });
    expect(cache.now()).toBe(1_000);
    const published = vi.fn();
    cache.subscribe(published);
    cache.request('a');
    cache.request('gone');
    // Answered at once, in this turn: nothing to wait for, nothing pending.
    expect(cache.get('a')).toEqual({ status: 'ok', at: 400, fields: recorded, listed: true });
    expect(cache.fields('a')).toBe(recorded);
    expect(cache.get('gone')).toEqual({ status: 'unavailable', at: 1_000, reason: 'not in the recording' });
    expect(cache.fields('gone')).toBeUndefined();
    expect(published).toHaveBeenCalledTimes(2);
    // Asked again (a refresh after 60 s on its clock): the same answer publishes nothing, and no GET goes out.
    now = 61_000;
    cache.request('a', 1_000);
    cache.request('gone');
    expect(published).toHaveBeenCalledTimes(2);
    // A newer recorded answer replaces the older one.
    const newer = { name: 'web', target_num_containers: 3 };
    answers.set('a', { status: 'ok', at: 60_500, fields: newer });
    cache.request('a', 1_000);
    expect(cache.get('a')).toEqual({ status: 'ok', at: 60_500, fields: newer });
    expect(published).toHaveBeenCalledTimes(3);
    // What the lookup leaves (undefined) is fetched as before.
    cache.request('b');
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledWith('b');
    expect(cache.get('b')).toEqual({ status: 'pending', at: 61_000 });
    cache.close();
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
