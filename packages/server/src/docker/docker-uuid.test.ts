import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEventUuids, DOCKER_UUID_NAMESPACE, dockerUuid } from './docker-uuid.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('dockerUuid', () => {
  it('is a standard version 5 uuid of kind/key in our namespace', () => {
    // uuid.uuid5(UUID('a5856f3c-48fd-45d7-babc-3fbe4fa8c3f2'), 'stack/shop') in Python.
    expect(DOCKER_UUID_NAMESPACE).toBe('a5856f3c-48fd-45d7-babc-3fbe4fa8c3f2');
    expect(dockerUuid('stack', 'shop')).toBe('36cdf9ea-fec5-519d-90cd-a922428ee786');
  });

  it('keeps a container id readable: its short id starts the uuid', () => {
    const id = 'fa1d5a7446024ace45a48257e95fdd93e0ef7444841193dfea8a6308abdaf651';
    expect(dockerUuid('container', id)).toBe('fa1d5a74-4602-8ace-85a4-8257e95fdd93');
    expect(dockerUuid('container', id).replaceAll('-', '').slice(0, 12)).toBe(id.slice(0, 12));
  });

  it('is stable, UUID-shaped, and apart across kinds', () => {
    fc.assert(
      fc.property(fc.constantFrom('nodecluster', 'node', 'stack', 'service', 'container') as fc.Arbitrary<'node'>, fc.string({ minLength: 1 }), (kind, key) => {
        const uuid = dockerUuid(kind, key);
        expect(uuid).toMatch(UUID);
        expect(dockerUuid(kind, key)).toBe(uuid);
      }),
    );
    expect(dockerUuid('node', 'ENGINE')).not.toBe(dockerUuid('nodecluster', 'ENGINE'));
  });
});

describe('createEventUuids', () => {
  it('gives well-formed, distinct uuids, and distinct sequences for distinct seeds', () => {
    const a = createEventUuids(new Uint8Array(16).fill(7));
    const b = createEventUuids(new Uint8Array(16).fill(9));
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const [x, y] = [a(), b()];
      expect(x).toMatch(UUID);
      expect(x.charAt(14)).toBe('4');
      seen.add(x);
      seen.add(y);
    }
    expect(seen.size).toBe(2000);
  });
});
