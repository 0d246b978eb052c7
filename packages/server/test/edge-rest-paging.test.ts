import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LIMIT, parsePaging } from '../src/rest-paging.js';
import { makeStack, type RestFixture, startRestFixture } from './rest-fixture.js';

let fx: RestFixture;

beforeAll(async () => {
  fx = await startRestFixture();
  for (let i = 0; i < 3; i++) fx.source.add('acme', 'stack', makeStack('acme', `s${i}`));
});
afterAll(async () => {
  await fx.close();
});

// "A larger limit is clamped" (Tastypie's int() then min()): whatever its length. A script that
// wants everything writes the largest integer it knows, sys.maxsize or math.MaxInt64.
describe('a limit of any length', () => {
  it.each(['9223372036854775807', '1'.padEnd(40, '0'), '0000000000000000000000042'])('limit=%s is read, and clamped when over the maximum', (limit) => {
    expect(parsePaging(new URLSearchParams(`limit=${limit}`))).toEqual({ ok: true, value: { limit: Math.min(Number(limit), MAX_LIMIT), offset: 0 } });
  });

  it('lists with the clamped limit over HTTP', async () => {
    const res = await fetch(`${fx.url}/api/app/v1/acme/stack/?limit=9223372036854775807`, { headers: { Authorization: fx.auth('alice') } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { meta: unknown }).meta).toEqual({ limit: MAX_LIMIT, next: null, offset: 0, previous: null, total_count: 3 });
  });

  it('still refuses an offset it could not read exactly, and leading zeros do not count', () => {
    expect(parsePaging(new URLSearchParams('offset=99999999999999999')).ok).toBe(false);
    expect(parsePaging(new URLSearchParams('offset=00000000000000000007'))).toEqual({ ok: true, value: { limit: 25, offset: 7 } });
  });
});
