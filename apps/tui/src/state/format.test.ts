import { createHierarchyStore, type StoredObject } from '@events/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayName, failureReason, fit, fitRight, formatAge, formatClock, parentOfType, secondsUntil, shortId, stateSince } from './format.js';
import { columnsOf } from './text-width.js';

const object = (overrides: Partial<StoredObject>): StoredObject =>
  ({
    type: 'container',
    uuid: '0b0e3538-1111-4000-8000-000000000001',
    resource_uri: '/api/app/v1/a/container/0b0e3538-1111-4000-8000-000000000001/',
    state: 'Running',
    parents: [],
    fields: null,
    updatedAt: 0,
    lastEventDatetime: null,
    ...overrides,
  }) as StoredObject;

describe('format', () => {
  it('formats ages like k9s', () => {
    expect(formatAge(-5_000)).toBe('0s');
    expect(formatAge(59_999)).toBe('59s');
    expect(formatAge(60_000)).toBe('1m');
    expect(formatAge(3 * 3_600_000)).toBe('3h');
    expect(formatAge(47 * 3_600_000)).toBe('47h');
    expect(formatAge(72 * 3_600_000)).toBe('3d');
  });

  it('counts whole seconds down, never below zero', () => {
    expect(secondsUntil(10_400, 9_000)).toBe(2);
    expect(secondsUntil(9_000, 10_000)).toBe(0);
  });

  it('formats a clock time', () => {
    expect(formatClock(Date.UTC(2026, 10, 27, 9, 1, 33), true)).toBe('09:01:33');
  });

  it('fits text to a width', () => {
    expect(fit('redeploying', 6)).toBe('redep…');
    expect(fit('ok', 4)).toBe('ok  ');
    expect(fit('x', 0)).toBe('');
    expect(fitRight('5m', 4)).toBe('  5m');
  });

  it('fits in terminal columns: wide characters take two, so the next column stays in place', () => {
    expect(fit('日本語', 8)).toBe('日本語  ');
    expect(fit('日本語サービス', 6)).toBe('日本… ');
    expect(fit('日本語サービス', 7)).toBe('日本語…');
    expect(fitRight('日本', 5)).toBe(' 日本');
    // Any text, any width: the result is exactly `width` columns.
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'é', '日', 'サ', '·', '✓') }), fc.integer({ min: 1, max: 30 }), (text, width) => {
        expect(columnsOf(fit(text, width))).toBe(width);
        expect(columnsOf(fitRight(text, width))).toBeLessThanOrEqual(width);
      }),
    );
  });

  it('names objects by what people call them', () => {
    expect(displayName(object({ fields: { name: 'web-1' } as never }))).toBe('web-1');
    expect(displayName(object({}))).toBe('0b0e3538');
    expect(displayName(object({}), { name: 'fetched-1' })).toBe('fetched-1');
    expect(displayName(object({ type: 'node', fields: { external_fqdn: 'a1b2.node.dockerapp.io' } as never }))).toBe('a1b2');
    expect(displayName(object({ type: 'action', fields: { action: 'Service Scale' } as never }))).toBe('Service Scale');
    expect(shortId('nodash')).toBe('nodash');
  });

  it('dates a state by the last event, else by the REST field that matches it', () => {
    expect(stateSince(object({ lastEventDatetime: '2026-11-27T09:01:33Z' }))).toBe(Date.UTC(2026, 10, 27, 9, 1, 33));
    expect(stateSince(object({ fields: { started_datetime: 'Fri, 27 Nov 2026 09:00:00 +0000', stopped_datetime: null } as never }))).toBe(Date.UTC(2026, 10, 27, 9));
    expect(stateSince(object({ type: 'service', fields: { name: 'x' } as never }))).toBeNull();
    expect(stateSince(object({}))).toBeNull();
  });
});

describe('failureReason', () => {
  const uri = '/api/app/v1/demo/container/5caf4374-3247-4cae-a518-2b7a252d45f9/';
  it('drops the request line before the reason', () => {
    expect(failureReason(`stop ${uri}: HTTP 409: The container is terminated.`, uri)).toBe('HTTP 409: The container is terminated.');
    expect(failureReason(`POST http://127.0.0.1:18765${uri}start/: connect ECONNREFUSED 127.0.0.1:18765`, uri)).toBe('connect ECONNREFUSED 127.0.0.1:18765');
  });
  it('keeps a message that does not name the object, or has nothing after it', () => {
    expect(failureReason('the link is down', uri)).toBe('the link is down');
    expect(failureReason(`gone ${uri}`, uri)).toBe(`gone ${uri}`);
  });
});

describe('stateSince', () => {
  it('does not date a node by last_seen (the agent check-in), only by its last event', () => {
    const node = { type: 'node', state: 'Deployed', lastEventDatetime: null, fields: { last_seen: 'Fri, 27 Nov 2026 23:33:43 +0000' } } as unknown as StoredObject;
    expect(stateSince(node)).toBeNull();
    expect(stateSince({ ...node, lastEventDatetime: '2026-11-27T09:00:00Z' } as StoredObject)).toBe(Date.UTC(2026, 10, 27, 9));
  });
});

const service = '/api/app/v1/a/service/5f1c-01/';
const stack = '/api/app/v1/a/stack/9a2e-01/';
const node = '/api/infra/v1/a/node/77aa-01/';

describe('parentOfType', () => {
  const empty = createHierarchyStore().getSnapshot();

  it('takes the parent of the type from the parents the object came with', () => {
    expect(parentOfType(empty, [service, stack, node], 'stack', undefined)).toBe(stack);
    expect(parentOfType(empty, [service, stack, node], 'node', undefined)).toBe(node);
    expect(parentOfType(empty, [service], 'node', undefined)).toBeUndefined();
  });

  it("finds a container's stack through its service's fetched fields when its parents lack it", () => {
    // A container listed under `--type container`: the tree holds no service to resolve the stack through.
    const fields = (uri: string) => (uri === service ? { name: 'web', stack } : undefined);
    expect(parentOfType(empty, [service, node], 'stack', fields)).toBe(stack);
    expect(parentOfType(empty, [service, node], 'stack', undefined)).toBeUndefined();
    // A field that is no stack URI is not taken for one.
    expect(parentOfType(empty, [service], 'stack', () => ({ stack: node }))).toBeUndefined();
    expect(parentOfType(empty, [service], 'stack', () => ({ stack: null }))).toBeUndefined();
  });
});
