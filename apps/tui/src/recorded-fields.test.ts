import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRecordedFields, NOT_RECORDED } from './recorded-fields.js';
import type { RecordedStep, Recording } from './recording.js';

const START = Date.UTC(2026, 10, 27, 9, 0, 0);
const HOST = 'http://127.0.0.1:8080';
const WEB = '/api/app/v1/demo/service/5e000000-0000-4000-8000-000000000001/';
const DB = '/api/app/v1/demo/service/5e000000-0000-4000-8000-000000000002/';
const NEW = '/api/app/v1/demo/container/c0000000-0000-4000-8000-000000000009/';

const get = (t: number, url: string, body: unknown, status = 200): RecordedStep => ({
  t,
  kind: 'http',
  method: 'GET',
  url: `${HOST}${url}`,
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

function recording(steps: RecordedStep[]): Recording {
  return { header: { recording: 'events', version: 2, startedAt: new Date(START).toISOString(), streamHost: 'ws://127.0.0.1:8080/', restHost: `${HOST}/` }, steps };
}

/** A demo-like session: listed at the start, a container the recorded view fetched after its create event, a later GET of a service. */
const session = recording([
  { t: 0, kind: 'connect', socket: 1, url: 'ws://127.0.0.1:8080/api/audit/v1/events/', protocols: [] },
  get(200, '/api/app/v1/service/?limit=1000', {
    meta: { next: null },
    objects: [
      { resource_uri: WEB, name: 'web', state: 'Running', target_num_containers: 2 },
      { resource_uri: DB, name: 'db', state: 'Running' },
    ],
  }),
  { t: 900, kind: 'frame', socket: 1, text: '{"type":"container","action":"create"}' },
  get(910, NEW, { resource_uri: NEW, name: 'web-3', state: 'Starting' }),
  get(3_000, WEB, { resource_uri: WEB, name: 'web', state: 'Running', target_num_containers: 3 }),
  get(4_000, WEB, { detail: 'Not found' }, 404),
  { t: 5_000, kind: 'http', method: 'GET', url: `${HOST}${DB}`, failure: 'fetch failed' },
]);

describe('createRecordedFields', () => {
  it('gives an object as the recording last saw it by the time asked, from a list or a GET, with that time', () => {
    const fieldsAt = createRecordedFields(session);
    expect(fieldsAt(WEB, START + 1_000)).toEqual({ status: 'ok', at: START + 200, fields: expect.objectContaining({ target_num_containers: 2 }), listed: true });
    expect(fieldsAt(WEB, START + 3_000)).toEqual({ status: 'ok', at: START + 3_000, fields: expect.objectContaining({ target_num_containers: 3 }) });
    // A failed answer (404, no answer) is no sight of the object: the last good one stays.
    expect(fieldsAt(WEB, START + 60_000)).toMatchObject({ at: START + 3_000, fields: { target_num_containers: 3 } });
    expect(fieldsAt(DB, START + 60_000)).toMatchObject({ status: 'ok', at: START + 200, listed: true });
  });

  it('gives the first sight to a question asked before it: a new container whose GET followed its event', () => {
    const fieldsAt = createRecordedFields(session);
    expect(fieldsAt(NEW, START + 900)).toEqual({ status: 'ok', at: START + 910, fields: { resource_uri: NEW, name: 'web-3', state: 'Starting' } });
  });

  it('says calmly that an object the recording never saw is not in it, as of the time asked', () => {
    const fieldsAt = createRecordedFields(session);
    expect(fieldsAt('/api/app/v1/demo/container/c0000000-0000-4000-8000-000000000077/', START + 5)).toEqual({ status: 'unavailable', at: START + 5, reason: NOT_RECORDED });
    expect(createRecordedFields(recording([]))(WEB, START)).toMatchObject({ status: 'unavailable' });
  });

  it('answers the same question with the same object, so that a cache publishes nothing new', () => {
    const fieldsAt = createRecordedFields(session);
    expect(fieldsAt(WEB, START + 3_500)).toBe(fieldsAt(WEB, START + 3_900));
  });

  it('never answers with fields newer than the time asked, once the recording has seen the object', () => {
    const fieldsAt = createRecordedFields(session);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(WEB, DB, NEW), (offset, uri) => {
        const answer = fieldsAt(uri, START + offset);
        if (answer.status !== 'ok') return false;
        const first = fieldsAt(uri, START).at;
        // At or before the time asked, or the first sight when asked before it.
        return answer.at <= START + offset || answer.at === first;
      }),
    );
  });
});
