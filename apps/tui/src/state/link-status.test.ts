import { type ConnectionSummary, createHierarchyStore, type LiveTreeSnapshot } from '@events/core';
import { describe, expect, it } from 'vitest';
import { LIVE_CONNECTION } from '../local-live-tree.js';
import { END_OF_RECORDING } from '../recording.js';
import { describeLink } from './link-status.js';

const tree = createHierarchyStore().getSnapshot();
const snap = (connection: Partial<ConnectionSummary>, extra: Partial<LiveTreeSnapshot> = {}): LiveTreeSnapshot => ({
  tree,
  connection: { ...LIVE_CONNECTION, ...connection },
  sync: { status: 'live' },
  lastResync: null,
  eventsApplied: 0,
  ...extra,
});
const at = (wall: number, monotonic = wall) => ({ wall, monotonic });
const close = { kind: 'close', code: 1006, reason: '', class: 'transient', at: 0 } as const;

describe('describeLink', () => {
  it('says live', () => {
    expect(describeLink(snap({}), at(0))).toMatchObject({ glyph: '●', text: 'live', tone: 'ok', stale: false });
  });

  it('counts down to the next attempt, with the attempt and why', () => {
    const link = describeLink(snap({ phase: 'reconnecting', status: 'backoff', attempt: 2, retryAt: 13_200, lastClose: close }, { sync: { status: 'stale', since: 5_000 } }), at(99_999, 10_000));
    expect(link.text).toBe('reconnecting in 4 s (attempt 2) · closed (1006)');
    expect(link).toMatchObject({ tone: 'warn', stale: true, asOf: 5_000 });
  });

  it('says resynced for a while after a re-list, with what changed', () => {
    const lastResync = { at: Date.UTC(2026, 10, 27, 9, 1, 33), created: 3, updated: 1, deleted: 2, diff: { created: [], updated: [], deleted: [] } };
    expect(describeLink(snap({}, { lastResync }), at(lastResync.at + 1_000), true).text).toBe('live · resynced 09:01:33 (+3 ~1 -2)');
    expect(describeLink(snap({}, { lastResync }), at(lastResync.at + 60_000), true).text).toBe('live');
  });

  it('says offline, listing, stopped', () => {
    expect(describeLink(snap({ phase: 'offline', status: 'suspended' }), at(0)).text).toMatch(/^offline/);
    expect(describeLink(snap({}, { sync: { status: 'listing' } }), at(0)).text).toBe('listing objects…');
    const failing = describeLink(snap({}, { sync: { status: 'listing', failure: { message: 'GET stack list: connect ECONNREFUSED 127.0.0.1:18799', attempts: 3 } } }), at(0));
    expect(failing).toMatchObject({ text: 'cannot list objects (3 attempts): GET stack list: connect ECONNREFUSED 127.0.0.1:18799 · retrying', tone: 'warn' });
    expect(describeLink(snap({ phase: 'stopped', status: 'stopped', stopReason: 'auth', lastClose: { ...close, kind: 'http', code: 401, reason: 'Incorrect authentication credentials.' } }), at(0))).toMatchObject({
      tone: 'error',
      text: 'stopped: authentication failed · Incorrect authentication credentials.',
    });
    expect(describeLink(snap({ phase: 'stopped', status: 'stopped', stopReason: 'stop' }), at(0)).text).toBe('closed');
  });

  it('says replaying, not live, while a recording plays', () => {
    expect(describeLink(snap({}), at(0), false, true)).toMatchObject({ glyph: '●', text: 'replaying', tone: 'ok' });
    // A replay that reconnects (the recording has a reconnect) says so as a live one would.
    expect(describeLink(snap({ phase: 'reconnecting', status: 'backoff', attempt: 1, retryAt: null, lastClose: close }), at(0), false, true).text).toBe('reconnecting… (attempt 1) · closed (1006)');
  });

  it('says a replay that played to its end is finished, not stopped by the server', () => {
    const end = { ...close, code: END_OF_RECORDING.code, reason: END_OF_RECORDING.reason };
    const link = describeLink(snap({ phase: 'stopped', status: 'stopped', stopReason: 'fatal', lastClose: end }, { sync: { status: 'stale', since: 5_000 } }), at(9_000));
    expect(link).toEqual({ glyph: '○', text: 'replay finished', tone: 'idle', stale: true, asOf: 5_000 });
    // The same code for another reason is a refusal, and says so.
    const refused = describeLink(snap({ phase: 'stopped', status: 'stopped', stopReason: 'fatal', lastClose: { ...end, reason: 'bad filter' } }), at(0));
    // `stopped: WHY`, as an authentication failure says it (not `stopped · WHY`).
    expect(refused).toMatchObject({ tone: 'error', text: 'stopped: bad filter' });
    const noClose = describeLink(snap({ phase: 'stopped', status: 'stopped', stopReason: 'fatal' }), at(0));
    expect(noClose.text).toBe('stopped: the server refused the connection');
  });
});
