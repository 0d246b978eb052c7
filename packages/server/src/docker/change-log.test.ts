import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChangeLog, DirtyQueue } from './change-log.js';

const object = (uri: string, state = 'Running') => ({ uuid: uri, resource_uri: uri, state }) as never;

describe('DirtyQueue', () => {
  it('gives each key once, oldest first, and is reusable after draining', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 8 }), { maxLength: 6 }), (rounds) => {
        const queue = new DirtyQueue();
        for (const keys of rounds) {
          for (const key of keys) queue.add(key);
          expect(queue.size).toBe(new Set(keys).size);
          const drained: string[] = [];
          for (let key = queue.next(); key !== undefined; key = queue.next()) drained.push(key);
          expect(drained).toEqual([...new Set(keys)]);
          expect(queue.size).toBe(0);
        }
      }),
    );
  });

  it('queues a key again once it was taken (a flush may need it twice)', () => {
    const queue = new DirtyQueue();
    queue.add('a');
    expect(queue.next()).toBe('a');
    queue.add('a');
    expect(queue.next()).toBe('a');
    expect(queue.next()).toBeUndefined();
  });
});

describe('ChangeLog', () => {
  it('folds updates into a create, cancels a create by a removal, and tells each object once', () => {
    const log = new ChangeLog<'container' | 'service'>();
    log.create('container', object('/c1/', 'Starting'));
    log.update('container', object('/c1/', 'Running'), true);
    log.update('service', object('/s1/'), true);
    log.update('service', object('/s1/', 'Partly running'), true);
    log.update('service', object('/s2/'), false);
    log.create('container', object('/c2/'));
    expect(log.remove('container', object('/c2/'))).toBe(false);
    expect(log.remove('container', object('/c3/', 'Stopped'))).toBe(true);
    const seen: string[] = [];
    log.eachCreated('container', (o) => seen.push(`create ${o.resource_uri} ${o.state}`));
    log.eachUpdated('service', (o) => seen.push(`update ${o.resource_uri} ${o.state}`));
    log.eachRemoved('container', (o) => seen.push(`remove ${o.resource_uri} ${o.state}`));
    expect(seen).toEqual(['create /c1/ Running', 'update /s1/ Partly running', 'remove /c3/ Stopped']);
    log.reset();
    expect(log.count).toBe(0);
    // After a reset the same objects can change again.
    log.update('container', object('/c1/', 'Stopped'), true);
    const again: string[] = [];
    log.eachUpdated('container', (o) => again.push(o.state));
    expect(again).toEqual(['Stopped']);
  });
});
