import type { RestObject } from '@events/core';
import { describe, expect, it } from 'vitest';
import { filterRestList, ignoredListKeys } from '../src/rest-list-filter.js';
import { makeContainer, makeService, makeStack } from './rest-fixture.js';

const web = makeStack('acme', 'web');
const billing = makeStack('acme', 'billing', 'Stopped');
const api = makeService('acme', 'api', web);
const redis = makeService('acme', 'redis', billing, 'Not running');
const loose = makeService('acme', 'api', null);
const services = [api, redis, loose];
const byUri = new Map<string, RestObject>([web, billing, api, redis, loose].map((object) => [object.resource_uri, object]));
const lookup = (uri: string) => byUri.get(uri);
const names = (query: string) => filterRestList('service', services, new URLSearchParams(query), lookup).map((s) => `${s.name}:${s.uuid}`);

describe('filterRestList', () => {
  it('returns the list itself when no filter applies (limit, offset, credentials, unknown keys)', () => {
    expect(filterRestList('service', services, new URLSearchParams('limit=5&offset=0&user=a&token=b&colour=red'), lookup)).toBe(services);
  });

  it('matches documented fields exactly, and all of them together', () => {
    expect(names('name=api')).toEqual([`api:${api.uuid}`, `api:${loose.uuid}`]);
    expect(names(`name=api&stack=${encodeURIComponent(web.resource_uri)}`)).toEqual([`api:${api.uuid}`]);
    expect(names('name=ap')).toEqual([]);
  });

  it('accepts state variants on input (Not Running)', () => {
    expect(names('state=Not%20Running')).toEqual([`redis:${redis.uuid}`]);
  });

  it('supports the CLI lookups: uuid__startswith and stack__name', () => {
    // Fixture uuids differ only in their last digits: the shared prefix finds all three.
    expect(names(`uuid__startswith=${api.uuid.slice(0, 24)}`)).toHaveLength(3);
    expect(names(`uuid__startswith=${api.uuid}`)).toEqual([`api:${api.uuid}`]);
    expect(names('name=api&stack__name=web')).toEqual([`api:${api.uuid}`]);
    expect(names('stack__name=nope')).toEqual([]);
  });

  it('follows a container to its service and stack for service__stack__name', () => {
    const c1 = makeContainer('acme', 'api-1', api);
    const c2 = makeContainer('acme', 'redis-1', redis);
    const found = filterRestList('container', [c1, c2], new URLSearchParams('service__stack__name=billing'), (uri) => byUri.get(uri));
    expect(found).toEqual([c2]);
  });

  it('ignores fields a type does not document (a stack has no image_name filter)', () => {
    const stacks = [web, billing];
    expect(filterRestList('stack', stacks, new URLSearchParams('image_name=x'), lookup)).toBe(stacks);
  });

  it('names the keys a list ignores: neither a filter of its type nor paging or credentials', () => {
    const ignored = (type: Parameters<typeof ignoredListKeys>[0], query: string) => ignoredListKeys(type, new URLSearchParams(query));
    expect(ignored('service', 'name__contains=web&uuid__in=a,b&state=Running&name__contains=x')).toEqual(['name__contains', 'uuid__in']);
    expect(ignored('service', 'limit=5&offset=0&user=a&token=b&auth=c&uuid=u&uuid__startswith=u&name=n&name__startswith=n&stack=s&image_name=i&stack__name=w')).toEqual([]);
    expect(ignored('container', 'service__stack__name=w&service=s&node=n&image_name=i')).toEqual([]);
    // Documented for another type, or for another field: ignored here.
    expect(ignored('stack', 'image_name=x&stack__name=w&state__startswith=R')).toEqual(['image_name', 'stack__name', 'state__startswith']);
    expect(ignored('node', 'name=x&name__startswith=x&uuid__startswith=u')).toEqual(['name', 'name__startswith']);
    expect(ignored('service', 'service__stack__name=w')).toEqual(['service__stack__name']);
  });
});
