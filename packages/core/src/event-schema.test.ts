import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { eventSchema, formatErrorFrame, formatEvent, formatEventDatetime, formatRestDate, parseEvent, tryFastParseEvent } from './event-schema.js';
import { parseFrame } from './extended-protocol.js';
import { OBJECT_TYPES, STATES } from './object-types.js';

const sample = {
  type: 'container',
  action: 'update',
  parents: ['/api/app/v1/acme/service/5f1c/', '/api/app/v1/acme/stack/9a2e/', '/api/infra/v1/acme/node/77b0/', '/api/infra/v1/acme/nodecluster/03cd/'],
  resource_uri: '/api/app/v1/acme/container/0b0e3538/',
  state: 'Running',
  uuid: 'e1b6c1f2-5d2c-4a43-9b83-2b8b6d3f0c11',
  datetime: '2026-11-27T09:01:33Z',
};

describe('parseEvent', () => {
  it('accepts the protocol example', () => {
    expect(parseEvent(sample)).toEqual({ ok: true, value: sample });
  });

  it('normalises the documented state variants', () => {
    const r = parseEvent({ ...sample, type: 'service', state: 'Not Running' });
    expect(r.ok && r.value.state).toBe('Not running');
    const c = parseEvent({ ...sample, type: 'nodecluster', state: 'Empty' });
    expect(c.ok && c.value.state).toBe('Empty cluster');
  });

  it.each([
    [{ ...sample, type: 'volume' }, 'type:'],
    [{ ...sample, action: 'patch' }, 'action:'],
    [{ ...sample, state: 'Deployed' }, 'state: "Deployed" is not a container state'],
    [{ ...sample, state: 'running' }, 'state: "running" is not a container state'],
    [{ ...sample, parents: ['x'] }, 'parents.0'],
    [{ ...sample, datetime: 'yesterday' }, 'datetime: must be an ISO 8601 date-time'],
    [{ ...sample, uuid: undefined }, 'uuid:'],
    [{ ...sample, resource_uri: 5 }, 'resource_uri:'],
  ])('names the wrong field (%#)', (value, message) => {
    const r = parseEvent(value);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid-frame');
      expect(r.error.message).toContain(message);
    }
  });

  it('rejects an empty datetime in a fresh process, before any datetime passed', async () => {
    vi.resetModules();
    const fresh = await import('./event-schema.js');
    expect(fresh.tryFastParseEvent({ ...sample, datetime: '' })).toBeUndefined();
    expect(fresh.parseEvent({ ...sample, datetime: '' }).ok).toBe(false);
  });

  it('rejects an empty or malformed datetime after a valid one (the fast path remembers the last valid one)', () => {
    expect(parseEvent(sample).ok).toBe(true);
    for (const datetime of ['', '2026-11-27T09:01:33', `${sample.datetime} `, sample.datetime.slice(1)]) {
      expect(parseEvent({ ...sample, datetime }).ok).toBe(false);
    }
    expect(parseEvent(sample).ok).toBe(true);
  });

  it('accepts every canonical state of every type', () => {
    for (const type of OBJECT_TYPES) {
      for (const state of STATES[type]) expect(parseEvent({ ...sample, type, state }).ok).toBe(true);
    }
  });

  it('round-trips through formatEvent and parseFrame', () => {
    const event = fc.record({
      type: fc.constantFrom(...OBJECT_TYPES),
      action: fc.constantFrom('create' as const, 'update' as const, 'delete' as const),
      parents: fc.array(fc.stringMatching(/^\/api\/[a-z0-9/]{0,30}$/), { maxLength: 4 }),
      resource_uri: fc.stringMatching(/^\/api\/[a-z0-9/]{0,30}$/),
      uuid: fc.uuid(),
      datetime: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => formatEventDatetime(d.getTime())),
    }).chain((e) => fc.constantFrom(...STATES[e.type]).map((state) => ({ ...e, state })));
    fc.assert(
      fc.property(event, (e) => {
        const frame = parseFrame(formatEvent(e));
        expect(frame).toEqual({ ok: true, value: { kind: 'event', event: e } });
      }),
    );
  });
});

describe('frames', () => {
  it('parses the error frame', () => {
    expect(parseFrame(formatErrorFrame('boom'))).toEqual({ ok: true, value: { kind: 'error', frame: { type: 'error', data: { errorMessage: 'boom' } } } });
  });

  it('reports non-JSON and non-object frames without throwing', () => {
    const bad = parseFrame('{nope');
    expect(!bad.ok && bad.error.message).toMatch(/^frame is not JSON/);
    const arr = parseFrame('[1]');
    expect(!arr.ok && arr.error.message).toBe('frame must be a JSON object');
    fc.assert(fc.property(fc.string(), (s) => typeof parseFrame(s).ok === 'boolean'));
    fc.assert(fc.property(fc.jsonValue(), (v) => typeof parseFrame(JSON.stringify(v)).ok === 'boolean'));
  });

  it('keeps a message short whatever the server sent: the first five issues, the rest counted; a long value cut', () => {
    const parents = parseEvent({ ...sample, parents: Array.from({ length: 100_000 }, (_, i) => `p${i}`) });
    expect(!parents.ok && parents.error.message).toBe(
      `invalid event: ${[0, 1, 2, 3, 4].map((i) => `parents.${i}: each parent must be a resource URI starting with /api/`).join('; ')}; and 99995 more issues`,
    );
    const six = parseEvent({ ...sample, parents: Array.from({ length: 6 }, (_, i) => `p${i}`) });
    expect(!six.ok && six.error.message).toMatch(/; and 1 more issue$/);
    const state = parseEvent({ ...sample, state: 'R'.repeat(10_000_000) });
    expect(!state.ok && state.error.message).toBe(`invalid event: state: "${'R'.repeat(40)}…" is not a container state`);
    const error = parseFrame(formatErrorFrame(`gone ${'!'.repeat(1_000_000)}`));
    expect(error.ok && error.value.kind === 'error' && error.value.frame.data.errorMessage).toBe(`gone ${'!'.repeat(294)}…`);
  });
});

describe('dates', () => {
  it('formats event dates as ISO 8601 to the second and REST dates as RFC 2822', () => {
    const ms = Date.UTC(2026, 10, 27, 9, 1, 33, 456);
    expect(formatEventDatetime(ms)).toBe('2026-11-27T09:01:33Z');
    expect(formatRestDate(ms)).toBe('Fri, 27 Nov 2026 09:01:33 +0000');
  });
});

describe('tryFastParseEvent', () => {
  // Values near the boundary of validity: each field drawn from valid and invalid candidates.
  const nearEvent = fc.record(
    {
      type: fc.constantFrom('container', 'service', 'node', 'volume', 5, null),
      action: fc.constantFrom('create', 'update', 'delete', 'patch', undefined),
      parents: fc.oneof(fc.array(fc.constantFrom('/api/app/v1/a/stack/1/', '/api/', '/api', '/apix/', '/API/', 'x', 3), { maxLength: 3 }), fc.constant('nope')),
      resource_uri: fc.constantFrom('/api/app/v1/a/container/1/', '/api/', '/ap/', '/apI/x', 'api/x', 7),
      state: fc.constantFrom('Running', 'Not Running', 'Not running', 'Deployed', 'Empty', 'running', 'constructor', 'toString', '', 1),
      uuid: fc.constantFrom('u1', '', 9),
      // Whatever came before: the fast path remembers the last datetime that passed.
      datetime: fc.constantFrom('2026-11-27T09:01:33Z', '2026-11-27T09:01:33.123+01:00', '2026-11-27', 'x', '', '2026-11-27T09:01:33Z ', 5),
      position: fc.constantFrom(undefined, { epoch: 'e', seq: 1 }, { epoch: '', seq: 1 }, { epoch: 'e', seq: -1 }, { epoch: 'e', seq: 1.5 }, 'p'),
      extra: fc.constantFrom(undefined, 'ignored'),
    },
    { requiredKeys: [] },
  );

  it('accepts exactly what the zod schema accepts and builds the same event', () => {
    fc.assert(
      fc.property(nearEvent, (value) => {
        const fast = tryFastParseEvent(value);
        const slow = eventSchema.safeParse(value);
        expect(fast !== undefined).toBe(slow.success);
        if (fast && slow.success) expect(fast).toEqual(slow.data);
      }),
      { numRuns: 5000 },
    );
  });
});
