// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import type { HierarchySnapshot } from '@events/core';
import { render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeLiveTree, type FakeLiveTree } from '../../test/fake-live-tree.js';
import { createEventLog, type EventLog, type LoggedEvent } from '../event-log.js';
import { EventsPane, visibleEvents } from './events-pane.js';
import { ThemeContext } from './theme.js';

const plain = (text: string | undefined) => (text ?? '').replace(/\u001b\[[0-9;]*m/g, '');

let fake: FakeLiveTree;
let log: EventLog;

beforeEach(async () => {
  fake = await createFakeLiveTree(7);
  log = createEventLog({ publishIntervalMs: 0 });
  log.attach(fake.tree);
});

afterEach(async () => {
  log.close();
  await fake.close();
});

function pane(events: readonly LoggedEvent[], snapshot: HierarchySnapshot, height = 40, width = 110): string {
  const view = render(
    <ThemeContext.Provider value={{ color: false }}>
      <EventsPane events={events} total={log.getSnapshot().total} snapshot={snapshot} faultsOnly={false} filter="" width={width} height={height} utc stale={false} />
    </ThemeContext.Provider>,
  );
  const frame = plain(view.lastFrame());
  view.unmount();
  return frame;
}

/** Terminates a stack of the fake cloud to its end; returns the names its services had. */
async function terminateStack(): Promise<{ stack: string; services: string[] }> {
  const snapshot = fake.tree.getSnapshot().tree;
  const stack = snapshot.ofType('stack').find((s) => snapshot.children(s.resource_uri).length > 1);
  if (stack === undefined) throw new Error('no stack with services');
  const services = snapshot.children(stack.resource_uri).map((s) => (s.fields as { name: string }).name);
  await fake.tree.operate(stack.resource_uri, 'terminate');
  fake.drain();
  expect(fake.tree.getSnapshot().tree.get(stack.resource_uri)).toBeUndefined();
  return { stack: (stack.fields as { name: string }).name, services };
}

describe('EventsPane', () => {
  it('waits for events while they may come, and says why none will once the source ended', () => {
    const empty = (ended: string | null) => {
      const view = render(
        <ThemeContext.Provider value={{ color: false }}>
          <EventsPane events={[]} total={0} snapshot={fake.tree.getSnapshot().tree} faultsOnly={false} filter="" width={80} height={5} utc stale={false} ended={ended} />
        </ThemeContext.Provider>,
      );
      const frame = plain(view.lastFrame());
      view.unmount();
      return frame;
    };
    expect(empty(null)).toContain('waiting for events…');
    expect(empty('the replay finished')).toContain('no events: the replay finished');
    expect(empty('the replay finished')).not.toContain('waiting');
  });

  it('keeps the names of a deleted stack, its services and their parents on every line, its delete included', async () => {
    const { stack, services } = await terminateStack();
    const events = log.getSnapshot().events.filter((e) => e.event.type === 'service');
    expect(events.length).toBeGreaterThanOrEqual(services.length * 2);
    const lines = pane(events, fake.tree.getSnapshot().tree).split('\n').slice(1).filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(events.length);
    for (const name of services) {
      expect(lines.some((line) => new RegExp(` service +delete ${name} Terminated  stack/${stack}$`).test(line))).toBe(true);
      expect(lines.some((line) => new RegExp(` service +update ${name} Terminating → Terminated  stack/${stack}$`).test(line))).toBe(true);
    }
    // No line fell back on an 8-hex id.
    for (const line of lines) expect(line).not.toMatch(/ update [0-9a-f]{8} | delete [0-9a-f]{8} |stack\/[0-9a-f]{8}$/);
  });

  it('keeps the name and the change in a narrow pane (40 columns, as an 80-column terminal gives it)', async () => {
    const { services } = await terminateStack();
    const events = log.getSnapshot().events.filter((e) => e.event.type === 'service');
    const lines = pane(events, fake.tree.getSnapshot().tree, 40, 40).split('\n').slice(1).filter((line) => line.trim() !== '');
    for (const name of services) {
      expect(lines.some((line) => line.includes(`delete ${name} Terminated`))).toBe(true);
      // The whole change where it fits; else the state it came to, never the one it left alone.
      expect(lines.some((line) => line.includes(` ${name} Terminating → Terminated`) || line.includes(` ${name} → Terminated`))).toBe(true);
    }
    for (const line of lines) expect(line).not.toMatch(/ service +(update|delete) /);
  });

  it('shows the new state when the old one does not fit beside it: a cut change must not read as the state it left', () => {
    const snapshot = fake.tree.getSnapshot().tree;
    const entry: LoggedEvent = {
      event: { type: 'node', action: 'update', parents: [], resource_uri: '/api/infra/v1/demo/node/ed31b26b-aaaa/', state: 'Unreachable', uuid: 'e1', datetime: '2026-11-27T09:01:33Z' },
      previous: 'Deployed',
      name: null,
      parentName: null,
    };
    // 30 columns: a 60-column terminal's pane.
    const line = pane([entry], snapshot, 2, 30).split('\n')[1] ?? '';
    expect(line.trimEnd()).toBe(' 09:01:33 ✖ ed31b26b → Unreac…');
    // Where it fits, the whole change.
    expect(pane([entry], snapshot, 2, 45).split('\n')[1]?.trimEnd()).toBe(' 09:01:33 ✖ ed31b26b Deployed → Unreachable');
  });

  it('still finds a deleted object by its name with the filter', async () => {
    const { services } = await terminateStack();
    const name = services[0] as string;
    const shown = visibleEvents(log.getSnapshot().events, { faultsOnly: false, filter: name, limit: 50, snapshot: fake.tree.getSnapshot().tree });
    expect(shown.some((e) => e.event.type === 'service' && e.event.action === 'delete' && e.name === name)).toBe(true);
  });

  it("finds lines by the name of the parent they show, also once the parent is gone", async () => {
    const { stack, services } = await terminateStack();
    const shown = visibleEvents(log.getSnapshot().events, { faultsOnly: false, filter: stack.toUpperCase(), limit: 500, snapshot: fake.tree.getSnapshot().tree });
    // The services' lines show the stack as their parent: the stack's name finds them.
    const found = new Set(shown.filter((e) => e.event.type === 'service').map((e) => e.name));
    for (const service of services) expect(found).toContain(service);
    for (const entry of shown) expect(`${entry.name} ${entry.parentName}`.toLowerCase()).toContain(stack.toLowerCase());
    // A second look (the text is kept per line) finds the same.
    expect(visibleEvents(log.getSnapshot().events, { faultsOnly: false, filter: stack, limit: 500, snapshot: fake.tree.getSnapshot().tree })).toEqual(shown);
  });

  it('looks up, when it draws, a name the log did not know: fields fetched later', () => {
    const snapshot = fake.tree.getSnapshot().tree;
    const container = snapshot.ofType('container')[0];
    if (container === undefined) throw new Error('no container');
    const entry: LoggedEvent = {
      event: { type: 'container', action: 'update', parents: [], resource_uri: '/api/app/v1/demo/container/0b0e3538-aaaa/', state: 'Running', uuid: 'e1', datetime: '2026-11-27T09:01:33Z' },
      previous: 'Starting',
      name: null,
      parentName: null,
    };
    expect(pane([entry], snapshot, 2)).toContain(' container update 0b0e3538 Starting → Running');
    const view = render(
      <EventsPane events={[entry]} total={1} snapshot={snapshot} faultsOnly={false} filter="" width={110} height={2} utc stale={false} fields={() => ({ name: 'web-9' })} />,
    );
    expect(plain(view.lastFrame())).toContain(' container update web-9 Starting → Running');
    view.unmount();
  });
});
