import { type DockerCloudEvent, matchesFilter, parseFilter, resourceUriFor } from '@events/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStreamFilter } from './stream-filter.js';

const C = resourceUriFor('container', 'c1', 'acme');
const S = resourceUriFor('stack', 's1', 'acme');
const event = (type: DockerCloudEvent['type'], uri = C, parents: string[] = [S]) => ({ type, resource_uri: uri, parents });

describe('parseStreamFilter', () => {
  it('accepts error, the type of error frames, beside the object types', () => {
    const filter = parseStreamFilter('?type=container,error');
    expect(filter.ok && [...(filter.value.types ?? [])]).toEqual(['container']);
    const repeated = parseStreamFilter('?type=error&type=service');
    expect(repeated.ok && [...(repeated.value.types ?? [])]).toEqual(['service']);
  });

  it('lets no event through when error is the only type asked for; other keys still hold', () => {
    const only = parseStreamFilter('type=error');
    expect(only.ok).toBe(true);
    if (!only.ok) return;
    expect(only.value.types).toEqual(new Set());
    for (const type of ['container', 'service', 'stack', 'node', 'nodecluster', 'action'] as const) expect(matchesFilter(only.value, event(type))).toBe(false);
    const withObject = parseStreamFilter(`type=error,&object=${encodeURIComponent(C)}`);
    expect(withObject.ok && withObject.value.objects).toEqual(new Set([C]));
    expect(withObject.ok && matchesFilter(withObject.value, event('container'))).toBe(false);
  });

  it('refuses what parseFilter refuses, in its words', () => {
    for (const query of ['type=volume', 'type=error,volume', 'type=Error', 'object=%ZZ&type=error', 'type=%ZZ']) {
      const ours = parseStreamFilter(query);
      expect(ours.ok).toBe(false);
      if (!ours.ok) expect(ours.error.message).toMatch(/unknown event type|malformed percent-encoding/);
    }
    const volume = parseStreamFilter('type=error,volume');
    expect(!volume.ok && volume.error.message).toBe(
      'unknown event type "volume" in filter "type"; expected one of nodecluster, node, stack, service, container, action, error',
    );
  });

  it('is parseFilter on every query that does not name error, but for listing error among the types it takes', () => {
    const value = fc.constantFrom('container', 'service', 'stack', 'volume', '', C, encodeURIComponent(C), '%2C', '%ZZ', 'a+b');
    const query = fc
      .array(fc.tuple(fc.constantFrom('type', 'object', 'parent', 'parents', 'other'), fc.array(value, { maxLength: 3 })), { maxLength: 4 })
      .map((pairs) => pairs.map(([key, values]) => `${key}=${values.join(',')}`).join('&'));
    fc.assert(
      fc.property(query, (text) => {
        const theirs = parseFilter(text);
        const ours = parseStreamFilter(text);
        if (theirs.ok) {
          expect(ours).toEqual(theirs);
          return;
        }
        expect(ours.ok).toBe(false);
        if (ours.ok) return;
        expect(ours.error.code).toBe(theirs.error.code);
        // Core lists the six object types; the stream also takes error, so its message says so.
        expect(ours.error.message).toBe(theirs.error.message.replace(/(; expected one of .*)$/, '$1, error'));
      }),
    );
  });

  it('with error added to type, matches the same events as without it (when another type is left)', () => {
    const types = fc.subarray(['container', 'service', 'stack', 'node', 'nodecluster', 'action'], { minLength: 1 });
    fc.assert(
      fc.property(types, fc.nat({ max: 6 }), (chosen, at) => {
        const withError = [...chosen];
        withError.splice(Math.min(at, withError.length), 0, 'error');
        const ours = parseStreamFilter(`type=${withError.join(',')}`);
        const plain = parseFilter(`type=${chosen.join(',')}`);
        expect(ours).toEqual(plain);
      }),
    );
  });
});
