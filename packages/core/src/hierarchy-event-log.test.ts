import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DockerCloudEvent } from './event-schema.js';
import { EventLog, NO_RECORD } from './hierarchy-event-log.js';

const OBJECTS = ['a', 'b', 'c', 'd', 'e'].map((id) => `/api/app/v1/acme/container/${id}/`);

function eventFor(uri: string, n: number, options: { canonical: boolean; position: boolean; create: boolean }): DockerCloudEvent {
  const hex = n.toString(16).padStart(12, '0');
  return {
    type: 'container',
    action: options.create ? 'create' : 'update',
    parents: [`/api/app/v1/acme/service/s${n % 3}/`],
    resource_uri: uri,
    state: n % 2 === 0 ? 'Running' : 'Stopped',
    uuid: options.canonical ? `${hex.slice(-8)}-4bbb-4ccc-8ddd-${hex}` : `Event-${n}`,
    datetime: `2026-11-27T09:00:${String(n % 60).padStart(2, '0')}Z`,
    // Seqs beyond 2^26 and 2^32 exercise the split into two small integers.
    ...(options.position ? { position: { epoch: `e${n % 2}`, seq: n * 70_001 + 2 ** 33 } } : {}),
  };
}

describe('EventLog', () => {
  it('reads back, per object, the last `keep` events among the last `capacity` appended, newest first', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ object: fc.integer({ min: 0, max: OBJECTS.length - 1 }), canonical: fc.boolean(), position: fc.boolean(), create: fc.boolean() }), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 9_000 }),
        (script, keep, filler) => {
          const log = new EventLog(4096, keep);
          const heads = new Map<string, number>();
          const appended: DockerCloudEvent[] = [];
          /** Per record: the object's previous record. */
          const previous: number[] = [];
          const append = (event: DockerCloudEvent) => {
            const before = heads.get(event.resource_uri) ?? NO_RECORD;
            const head = log.append(before, event, event.state, event.datetime, event.parents, event.position?.epoch);
            expect(head).toBe(appended.length);
            heads.set(event.resource_uri, head);
            appended.push(event);
            previous.push(before);
          };
          // A run of another object's events pushes the script's first events out of the ring
          // when it is longer than the capacity.
          const half = script.length >> 1;
          for (const [n, step] of script.slice(0, half).entries()) append(eventFor(OBJECTS[step.object] as string, n, step));
          for (let n = 0; n < filler; n++) append(eventFor('/api/app/v1/acme/container/filler/', n, { canonical: n % 3 === 0, position: false, create: false }));
          for (const [n, step] of script.slice(half).entries()) append(eventFor(OBJECTS[step.object] as string, 1000 + n, step));

          const kept = appended.slice(-log.capacity);
          for (const uri of OBJECTS) {
            const head = heads.get(uri);
            const expected = kept
              .filter((event) => event.resource_uri === uri)
              .slice(-keep)
              .reverse();
            const actual = head === undefined ? [] : log.read(head, 'container', uri);
            expect(actual).toEqual(expected);
            if (head !== undefined) expect(Object.isFrozen(actual)).toBe(true);
          }
          // What duplicate detection reads: each kept record's uuid and its object's previous record.
          expect(log.appended).toBe(appended.length);
          for (let seq = Math.max(0, appended.length - log.capacity); seq < appended.length; seq += 1 + (seq % 7)) {
            const uuid = (appended[seq] as DockerCloudEvent).uuid;
            expect(log.uuidOf(seq)).toBe(uuid);
            expect(log.hasUuid(seq, `${uuid}`)).toBe(true);
            expect(log.hasUuid(seq, `${uuid}x`)).toBe(false);
            expect(log.hasUuid(seq, uuid.slice(1))).toBe(false);
            expect(log.hasUuid(seq, `x${uuid.slice(1)}`)).toBe(false);
            expect(log.hasUuid(seq, `${uuid.slice(0, -1)}${uuid.endsWith('y') ? 'z' : 'y'}`)).toBe(false);
            const before = previous[seq] as number;
            expect(log.previousOf(seq)).toBe(before === NO_RECORD || seq - before > log.capacity ? NO_RECORD : before);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads a uuid kept as text from the previous lap of the segment being written again', () => {
    const log = new EventLog(4096, 5); // one segment: the second lap rewrites the one being read
    const uri = OBJECTS[0] as string;
    const filler = '/api/app/v1/acme/container/filler/';
    let head = NO_RECORD;
    const mine: DockerCloudEvent[] = [];
    for (let n = 0; n < 4096 + 10; n++) {
      const event = eventFor(n % 1000 === 999 ? uri : filler, n, { canonical: n % 2 === 0, position: false, create: false });
      const seq = log.append(event.resource_uri === uri ? head : NO_RECORD, event, event.state, event.datetime, event.parents, undefined);
      if (event.resource_uri === uri) {
        head = seq;
        mine.unshift(event);
      }
    }
    // Records 999 to 3999 are still kept (the last 4,096 are 10 to 4,105); 999's slot and later
    // ones were written in the first lap, 4,096 onwards in the second.
    expect(log.read(head, 'container', uri)).toEqual(mine.slice(0, 4));
    const first = mine[3] as DockerCloudEvent; // record 999, from the first lap
    expect(log.uuidOf(999)).toBe(first.uuid);
    expect(log.hasUuid(999, first.uuid)).toBe(true);
    expect(log.hasUuid(999, (mine[2] as DockerCloudEvent).uuid)).toBe(false);
  });

  it('keeps at least the history asked for, and says how much it keeps', () => {
    expect(new EventLog(1, 1).capacity).toBe(4096);
    expect(new EventLog(4097, 1).capacity).toBe(8192);
    expect(new EventLog(262_144, 20).capacity).toBe(262_144);
  });

  it('starts a new chain at NO_RECORD and reads nothing for it', () => {
    const log = new EventLog(4096, 5);
    const event = eventFor(OBJECTS[0] as string, 1, { canonical: true, position: false, create: true });
    const first = log.append(NO_RECORD, event, event.state, event.datetime, event.parents, undefined);
    const second = log.append(NO_RECORD, event, event.state, event.datetime, event.parents, undefined);
    expect(log.read(second, 'container', event.resource_uri)).toEqual([event]); // not linked to `first`
    expect(log.read(first, 'container', event.resource_uri)).toEqual([event]);
  });
});
