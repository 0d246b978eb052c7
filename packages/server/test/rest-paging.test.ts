import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMIT, formatPageLink, MAX_LIMIT, pageOf, parsePaging } from '../src/rest-paging.js';

const q = (text: string) => new URLSearchParams(text);

describe('parsePaging', () => {
  it('defaults to 25 from offset 0', () => {
    expect(parsePaging(q(''))).toEqual({ ok: true, value: { limit: DEFAULT_LIMIT, offset: 0 } });
  });

  it('reads limit and offset, the last value of a repeated key winning (Django)', () => {
    expect(parsePaging(q('limit=10&offset=20'))).toEqual({ ok: true, value: { limit: 10, offset: 20 } });
    expect(parsePaging(q('limit=10&limit=3&offset=1&offset=7'))).toEqual({ ok: true, value: { limit: 3, offset: 7 } });
  });

  it('treats limit=0 as the maximum and clamps larger limits to it (Tastypie)', () => {
    expect(parsePaging(q('limit=0'))).toEqual({ ok: true, value: { limit: MAX_LIMIT, offset: 0 } });
    expect(parsePaging(q(`limit=${MAX_LIMIT + 1}`))).toEqual({ ok: true, value: { limit: MAX_LIMIT, offset: 0 } });
    expect(parsePaging(q(`limit=${MAX_LIMIT}`))).toEqual({ ok: true, value: { limit: MAX_LIMIT, offset: 0 } });
  });

  it.each([
    ['limit=abc', 'Invalid limit "abc": expected a non-negative integer.'],
    ['limit=-1', 'Invalid limit "-1": expected a non-negative integer.'],
    ['limit=2.5', 'Invalid limit "2.5": expected a non-negative integer.'],
    ['limit=', 'Invalid limit "": expected a non-negative integer.'],
    ['limit=1e3', 'Invalid limit "1e3": expected a non-negative integer.'],
    ['offset=x', 'Invalid offset "x": expected a non-negative integer.'],
    ['offset=%201', 'Invalid offset " 1": expected a non-negative integer.'],
    ['offset=99999999999999999', 'Invalid offset "99999999999999999": expected a non-negative integer of at most 15 digits.'],
  ])('refuses %s with a precise message', (query, message) => {
    const result = parsePaging(q(query));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toBe(message);
  });
});

describe('formatPageLink', () => {
  it('keeps the path and the other parameters in order, then limit and offset', () => {
    expect(formatPageLink('/api/app/v1/acme/stack/', q(''), 25, 25)).toBe('/api/app/v1/acme/stack/?limit=25&offset=25');
    expect(formatPageLink('/api/app/v1/acme/service/', q('offset=0&state=Running&limit=5&name__startswith=we&state=Stopped'), 5, 10)).toBe(
      '/api/app/v1/acme/service/?state=Running&name__startswith=we&state=Stopped&limit=5&offset=10',
    );
  });

  it('re-encodes values so that they survive the round trip', () => {
    const link = formatPageLink('/api/app/v1/stack/', q('name=a%20b%26c&auth=Basic%20YTpi'), 2, 4);
    expect(link).toBe('/api/app/v1/stack/?name=a+b%26c&auth=Basic+YTpi&limit=2&offset=4');
    const back = new URL(link, 'http://x');
    expect(back.searchParams.get('name')).toBe('a b&c');
    expect(back.searchParams.get('auth')).toBe('Basic YTpi');
  });
});

describe('pageOf', () => {
  const items = Array.from({ length: 60 }, (_, i) => i);

  it('gives the exact Docker Cloud envelope for the first, a middle and the last page', () => {
    const path = '/api/app/v1/acme/stack/';
    expect(pageOf(items, { limit: 25, offset: 0 }, path, q(''))).toEqual({
      meta: { limit: 25, next: '/api/app/v1/acme/stack/?limit=25&offset=25', offset: 0, previous: null, total_count: 60 },
      objects: items.slice(0, 25),
    });
    expect(pageOf(items, { limit: 25, offset: 25 }, path, q('offset=25')).meta).toEqual({
      limit: 25,
      next: '/api/app/v1/acme/stack/?limit=25&offset=50',
      offset: 25,
      previous: '/api/app/v1/acme/stack/?limit=25&offset=0',
      total_count: 60,
    });
    const last = pageOf(items, { limit: 25, offset: 50 }, path, q(''));
    expect(last.meta.next).toBeNull();
    expect(last.objects).toEqual(items.slice(50));
  });

  it('points previous of a page that starts mid-way at the first page, and pages past the end are empty', () => {
    expect(pageOf(items, { limit: 25, offset: 10 }, '/p/', q('')).meta.previous).toBe('/p/?limit=25&offset=0');
    const beyond = pageOf(items, { limit: 25, offset: 100 }, '/p/', q(''));
    expect(beyond.objects).toEqual([]);
    expect(beyond.meta).toMatchObject({ next: null, previous: '/p/?limit=25&offset=75', total_count: 60 });
  });

  it('serialises meta with its keys in Docker Cloud order', () => {
    expect(JSON.stringify(pageOf([], { limit: 25, offset: 0 }, '/p/', q('')))).toBe(
      '{"meta":{"limit":25,"next":null,"offset":0,"previous":null,"total_count":0},"objects":[]}',
    );
  });

  it('following next from any page visits every later item exactly once, in order', () => {
    fc.assert(
      fc.property(fc.nat(300), fc.integer({ min: 1, max: 60 }), fc.nat(320), (total, limit, start) => {
        const all = Array.from({ length: total }, (_, i) => i);
        const seen: number[] = [];
        let link: string | null = formatPageLink('/p/', q('x=1'), limit, start);
        let pages = 0;
        while (link !== null) {
          const query: URLSearchParams = new URL(link, 'http://x').searchParams;
          expect(query.get('x')).toBe('1');
          const paging = parsePaging(query);
          if (!paging.ok) throw paging.error;
          const page = pageOf(all, paging.value, '/p/', query);
          seen.push(...page.objects);
          link = page.meta.next;
          pages += 1;
          expect(pages).toBeLessThanOrEqual(total + 1);
        }
        expect(seen).toEqual(all.slice(start));
      }),
    );
  });

  it('following previous from any page walks back to offset 0 without gaps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 50 }), (total, limit) => {
        const all = Array.from({ length: total }, (_, i) => i);
        const lastOffset = Math.floor((total - 1) / limit) * limit;
        let page = pageOf(all, { limit, offset: lastOffset }, '/p/', q(''));
        const seen = [...page.objects];
        while (page.meta.previous !== null) {
          const paging = parsePaging(new URL(page.meta.previous, 'http://x').searchParams);
          if (!paging.ok) throw paging.error;
          page = pageOf(all, paging.value, '/p/', q(''));
          seen.unshift(...page.objects);
        }
        expect(seen).toEqual(all);
      }),
    );
  });
});
