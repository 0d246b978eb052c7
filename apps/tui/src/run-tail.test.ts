import type { ConnectionSummary, DockerCloudEvent, LastClose } from '@events/core';
import { describe, expect, it } from 'vitest';
import { createLocalLiveTree, LIVE_CONNECTION, type LocalLiveTree } from './local-live-tree.js';
import type { OpenedSource } from './open-source.js';
import { exitCodeOfStop, runTail } from './run-tail.js';

const STACK = '/api/app/v1/a/stack/5a000000-0000-4000-8000-000000000001/';
const SERVICE = '/api/app/v1/a/service/5e000000-0000-4000-8000-000000000001/';
const NEW = '/api/app/v1/a/container/c0000000-0000-4000-8000-000000000009/';
const OTHER = '/api/app/v1/a/container/c0000000-0000-4000-8000-000000000010/';

let seq = 0;
const event = (uri: string, action: DockerCloudEvent['action'], state: string, parents: string[]): DockerCloudEvent =>
  ({ type: 'container', action, parents, resource_uri: uri, state, uuid: `ev-${++seq}`, datetime: '2026-11-27T09:00:00Z' }) as DockerCloudEvent;

/** A tree holding only what its events said (as under --type container), with REST answers by hand. */
function source(answers: Record<string, () => Promise<Record<string, unknown>>>): { tree: LocalLiveTree; opened: OpenedSource; asked: string[] } {
  const asked: string[] = [];
  const tree = createLocalLiveTree({
    publishIntervalMs: 0,
    fetchObject: (uri) => {
      asked.push(uri);
      return answers[uri]?.() ?? Promise.reject(new Error(`404 ${uri}`));
    },
  });
  tree.seed({});
  return { tree, asked, opened: { tree, title: 'test', ended: new Promise(() => {}), close: () => tree.close() } };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('runTail --format plain', () => {
  it('names new objects and parents the tree does not hold by their REST fields, as the live view does', async () => {
    const { tree, opened, asked } = source({
      [NEW]: async () => ({ name: 'web-9' }),
      [SERVICE]: async () => ({ name: 'api', stack: STACK }),
      [STACK]: async () => ({ name: 'shop' }),
    });
    const lines: string[] = [];
    const done = runTail(opened, { format: 'plain', filter: null, count: 2, write: (line) => lines.push(line), warn: () => {} });
    tree.push(event(NEW, 'create', 'Starting', [SERVICE, STACK]));
    tree.push(event(NEW, 'update', 'Running', [SERVICE, STACK]));
    expect(await done).toBe(0);
    expect(lines).toEqual([
      '2026-11-27T09:00:00Z container create web-9 Starting  service/api stack/shop\n',
      '2026-11-27T09:00:00Z container update web-9 Starting → Running  service/api stack/shop\n',
    ]);
    // Each object is asked for once: the second line found the names fetched for the first.
    expect(asked.sort()).toEqual([NEW, SERVICE, STACK].sort());
  });

  it('keeps the order of events while a name is on its way, and writes ids for names that do not come in time', async () => {
    let clock = 0;
    let answer: (fields: Record<string, unknown>) => void = () => {};
    const { tree, opened } = source({
      [NEW]: () => new Promise((resolve) => (answer = resolve)),
      [OTHER]: () => new Promise(() => {}), // never answers
      [SERVICE]: async () => ({ name: 'api' }),
    });
    const lines: string[] = [];
    const stop = new AbortController();
    const done = runTail(opened, { format: 'plain', filter: null, write: (line) => lines.push(line), warn: () => {}, signal: stop.signal, now: () => clock });
    tree.push(event(NEW, 'create', 'Starting', [SERVICE]));
    await tick();
    // The service is named, the container not yet: the line waits, and so does the next one.
    tree.push(event(OTHER, 'create', 'Starting', [SERVICE]));
    await tick();
    expect(lines).toEqual([]);
    answer({ name: 'web-9' });
    await tick();
    await tick();
    expect(lines).toEqual(['2026-11-27T09:00:00Z container create web-9 Starting  service/api\n']);
    // The other container's name never comes: past the wait, its line goes out with its id.
    clock = 60_000;
    tree.push(event(NEW, 'update', 'Running', [SERVICE]));
    await tick();
    expect(lines.slice(1)).toEqual([
      '2026-11-27T09:00:00Z container create c0000000 Starting  service/api\n',
      '2026-11-27T09:00:00Z container update web-9 Starting → Running  service/api\n',
    ]);
    stop.abort();
    expect(await done).toBe(0);
  });

  it('writes what it holds when stopped, names missing or not', async () => {
    const { tree, opened } = source({ [NEW]: () => new Promise(() => {}) });
    const lines: string[] = [];
    const stop = new AbortController();
    const done = runTail(opened, { format: 'plain', filter: null, write: (line) => lines.push(line), warn: () => {}, signal: stop.signal });
    tree.push(event(NEW, 'create', 'Starting', []));
    await tick();
    expect(lines).toEqual([]);
    stop.abort();
    expect(await done).toBe(0);
    expect(lines).toEqual(['2026-11-27T09:00:00Z container create c0000000 Starting\n']);
  });

  it('says no old state it does not know after a gap: not the last one an event said before it', async () => {
    const { tree, opened } = source({});
    const lines: string[] = [];
    const stop = new AbortController();
    const done = runTail(opened, { format: 'plain', filter: null, write: (line) => lines.push(line), warn: () => {}, signal: stop.signal });
    tree.push(event(NEW, 'create', 'Starting', []));
    tree.push(event(NEW, 'update', 'Running', []));
    // The connection is lost and comes back without a resume: the tree lists again. The
    // container stopped and started meanwhile, unseen: its old state is not known.
    tree.setSync({ status: 'listing' });
    tree.push(event(NEW, 'update', 'Stopping', []));
    tree.push(event(NEW, 'update', 'Stopped', []));
    // Listed: the tree says what is true now (this one keeps what the events said while it listed).
    tree.seed({});
    tree.push(event(NEW, 'update', 'Starting', []));
    stop.abort();
    expect(await done).toBe(0);
    expect(lines.map((line) => line.replace(/^\S+ container +\w+ +c0000000 /, '').trimEnd())).toEqual(['Starting', 'Starting → Running', 'Stopping', 'Stopping → Stopped', 'Stopped → Starting']);
  });

  it('fetches nothing for json lines', async () => {
    const { tree, opened, asked } = source({});
    const lines: string[] = [];
    const done = runTail(opened, { format: 'json', filter: null, count: 1, write: (line) => lines.push(line), warn: () => {} });
    tree.push(event(NEW, 'create', 'Starting', [SERVICE]));
    expect(await done).toBe(0);
    expect(lines).toHaveLength(1);
    expect(asked).toEqual([]);
  });

  it('pauses reading the source while the output is full, and resumes it once the output drained', async () => {
    const { tree, opened } = source({});
    const calls: string[] = [];
    const flow = { pause: () => calls.push('pause'), resume: () => calls.push('resume') };
    const lines: string[] = [];
    let full = false;
    let drained: (() => void) | undefined;
    const stop = new AbortController();
    const done = runTail(
      { ...opened, flow },
      {
        format: 'json',
        filter: null,
        write: (line) => {
          lines.push(line);
          return !full;
        },
        onDrain: (listener) => {
          drained = listener;
        },
        warn: () => {},
        signal: stop.signal,
      },
    );
    tree.push(event(NEW, 'create', 'Starting', []));
    expect(calls).toEqual([]);
    full = true;
    tree.push(event(NEW, 'update', 'Running', []));
    // Events a frame already held still come while paused: written, and no second pause.
    tree.push(event(NEW, 'update', 'Stopping', []));
    expect(calls).toEqual(['pause']);
    expect(lines).toHaveLength(3);
    full = false;
    drained?.();
    expect(calls).toEqual(['pause', 'resume']);
    // Full again: paused again.
    full = true;
    tree.push(event(NEW, 'update', 'Stopped', []));
    expect(calls).toEqual(['pause', 'resume', 'pause']);
    stop.abort();
    expect(await done).toBe(0);
    // A drain after the end resumes nothing.
    drained?.();
    expect(calls).toEqual(['pause', 'resume', 'pause']);
  });

  it("names a replay's objects from its recording, in the same turn, and writes ids at once for what it never saw, asking no server", async () => {
    const { tree, opened, asked } = source({ [NEW]: async () => ({ name: 'from a server' }) });
    const recorded: Record<string, Record<string, unknown>> = { [NEW]: { name: 'web-9' }, [SERVICE]: { name: 'api' } };
    const replay = {
      ...opened,
      recordedFields: (uri: string) =>
        recorded[uri] !== undefined ? ({ status: 'ok', at: 0, fields: recorded[uri] } as const) : ({ status: 'unavailable', at: 0, reason: 'not in the recording' } as const),
    };
    const lines: string[] = [];
    const done = runTail(replay, { format: 'plain', filter: null, count: 2, write: (line) => lines.push(line), warn: () => {}, now: () => 0 });
    tree.push(event(NEW, 'create', 'Starting', [SERVICE]));
    // No name to wait for: the clock never moves, and the line is out in the event's turn.
    expect(lines).toEqual(['2026-11-27T09:00:00Z container create web-9 Starting  service/api\n']);
    tree.push(event(OTHER, 'create', 'Starting', [SERVICE]));
    expect(await done).toBe(0);
    expect(lines[1]).toBe('2026-11-27T09:00:00Z container create c0000000 Starting  service/api\n');
    expect(asked).toEqual([]);
  });
});

describe('runTail on stderr', () => {
  const closed = (reason: string, fatal: boolean): LastClose => ({ kind: 'error', code: 1006, reason, class: fatal ? 'fatal' : 'transient', at: 0 });
  const stopped = (stopReason: 'auth' | 'fatal', reason: string): ConnectionSummary => ({
    ...LIVE_CONNECTION,
    phase: 'stopped',
    status: 'stopped',
    attempt: 1,
    outcome: null,
    lastClose: closed(reason, true),
    stopReason,
  });

  it.each([
    ['fatal', 1, 'events: stopped: Invalid character in header content ["Authorization"]\n'],
    ['auth', 2, 'events: stopped: authentication failed · Invalid character in header content ["Authorization"]\n'],
  ] as const)('ends at once with the reason when the connection stopped (%s) before it started: a header no socket can send stops it in the turn the tree is made', async (reason, code, message) => {
    const { tree, opened } = source({});
    tree.setConnection(stopped(reason, 'Invalid character in header content ["Authorization"]'));
    const warnings: string[] = [];
    const ended = await Promise.race([
      runTail(opened, { format: 'json', filter: null, write: () => {}, warn: (text) => warnings.push(text) }),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 500)),
    ]);
    expect(ended).toBe(code);
    expect(warnings).toEqual([message]);
  });

  it.each([
    ['HTTP 403 before the upgrade', { kind: 'http', code: 403, reason: 'You do not have permission to read the events of namespace "bob".', class: 'fatal', at: 0 }, 2],
    ['close code 4003', { kind: 'close', code: 4003, reason: 'forbidden', class: 'fatal', at: 0 }, 2],
    ['HTTP 401', { kind: 'http', code: 401, reason: 'HTTP 401', class: 'auth', at: 0 }, 2],
    ['a bad request (close code 4000)', { kind: 'close', code: 4000, reason: 'bad filter', class: 'fatal', at: 0 }, 1],
  ] as const)('exits 2 for refused access as for refused credentials, 1 for other fatal ends: %s', async (_what, lastClose, code) => {
    const { tree, opened } = source({});
    tree.setConnection({ ...stopped(lastClose.class === 'auth' ? 'auth' : 'fatal', ''), lastClose: lastClose as LastClose });
    const ended = await Promise.race([
      runTail(opened, { format: 'json', filter: null, write: () => {}, warn: () => {} }),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 500)),
    ]);
    expect(ended).toBe(code);
    expect(exitCodeOfStop({ stopReason: lastClose.class === 'auth' ? 'auth' : 'fatal', lastClose: lastClose as LastClose })).toBe(code);
  });

  it('says the connection is live again once the re-list after a reconnect is done, not only that it is listing', async () => {
    const { tree, opened } = source({});
    const warnings: string[] = [];
    const stop = new AbortController();
    const done = runTail(opened, { format: 'json', filter: null, write: () => {}, warn: (text) => warnings.push(text), signal: stop.signal });
    // The server goes away: attempts until it is back.
    tree.setConnection({ ...LIVE_CONNECTION, phase: 'reconnecting', status: 'backoff', attempt: 1, retryAt: performance.now() + 1_000, outcome: null, lastClose: closed('closed (1006)', false) });
    // Back, with a fresh stream: the tree lists again (source() seeded it once: this seed is a resync), then is live.
    tree.setSync({ status: 'listing' });
    tree.setConnection({ ...LIVE_CONNECTION, outcome: 'fresh' });
    expect(warnings.at(-1)).toBe('events: listing objects…\n');
    tree.seed({});
    expect(warnings.at(-1)).toMatch(/^events: live · resynced \d\d:\d\d:\d\d \(\+0 ~0 -0\)\n$/);
    expect(warnings.filter((line) => line.startsWith('events: live'))).toHaveLength(1);
    stop.abort();
    expect(await done).toBe(0);
  });

  it('says so when the stream could not be resumed after a pause for the output: lines are missing', async () => {
    const { tree, opened } = source({});
    let drained: (() => void) | undefined;
    const flow = { pause: () => tree.setConnection({ ...LIVE_CONNECTION, phase: 'stopped', status: 'stopped', stopReason: 'stop' } as ConnectionSummary), resume: () => {} };
    const warnings: string[] = [];
    const stop = new AbortController();
    const done = runTail(
      { ...opened, flow },
      { format: 'json', filter: null, write: () => false, onDrain: (listener) => (drained = listener), warn: (text) => warnings.push(text), signal: stop.signal },
    );
    tree.push(event(NEW, 'create', 'Starting', []));
    drained?.();
    // Back, but the server no longer had the events: a re-list.
    tree.setConnection({ ...LIVE_CONNECTION, outcome: 'resynced' } as ConnectionSummary);
    tree.setSync({ status: 'listing' });
    tree.seed({});
    stop.abort();
    expect(await done).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^events: live · resynced \S+ \(\+0 ~0 -0\) · the stream could not be resumed, so lines of what changed meanwhile are missing\n$/);
  });

  it('says nothing of the first connection and its listing', async () => {
    const { tree, opened } = source({});
    tree.setConnection({ ...LIVE_CONNECTION, phase: 'connecting', status: 'connecting', outcome: null });
    tree.setSync({ status: 'listing' });
    const warnings: string[] = [];
    const stop = new AbortController();
    const done = runTail(opened, { format: 'json', filter: null, write: () => {}, warn: (text) => warnings.push(text), signal: stop.signal });
    tree.setConnection(LIVE_CONNECTION);
    tree.seed({});
    stop.abort();
    expect(await done).toBe(0);
    expect(warnings).toEqual([]);
  });
});
