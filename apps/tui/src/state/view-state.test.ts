import { createHierarchyStore, type DockerCloudEvent, type HierarchyStore } from '@events/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRows, type RowList } from './rows.js';
import type { ViewMode } from './view-modes.js';
import { type Command, createViewState, type Effect, isExpanded, selectedIndex, selectedRow, update, type ViewState, windowStart } from './view-state.js';

let seq = 0;
const stackUri = (id: string) => `/api/app/v1/a/stack/${id}/`;
const serviceUri = (id: string) => `/api/app/v1/a/service/${id}/`;

function event(type: 'stack' | 'service', uri: string, action: 'create' | 'delete', state: string, parents: string[] = []): DockerCloudEvent {
  seq++;
  return { type, action, parents, resource_uri: uri, state: state as DockerCloudEvent['state'], uuid: `ev-${seq}`, datetime: '2026-11-27T09:00:00Z' };
}

/** Stacks s0..s(n-1), each with two services, named so that they sort by number. */
function account(n: number): HierarchyStore {
  const store = createHierarchyStore({ dedupeWindow: 0 });
  for (let i = 0; i < n; i++) {
    const id = `s${String(i).padStart(3, '0')}`;
    store.apply(event('stack', stackUri(id), 'create', 'Running'), 1);
    store.apply(event('service', serviceUri(`${id}a`), 'create', 'Running', [stackUri(id)]), 1);
    store.apply(event('service', serviceUri(`${id}b`), 'create', i % 3 === 0 ? 'Scaling' : 'Running', [stackUri(id)]), 1);
  }
  store.publish();
  return store;
}

const rowsOf = (store: HierarchyStore, state: ViewState): RowList =>
  buildRows(store.getSnapshot(), { view: state.view, sort: state.sort, filter: state.filter, isExpanded: (uri, type) => isExpanded(state, uri, type) });

function run(state: ViewState, store: HierarchyStore, command: Command, targetOf: (uri: string) => number | null = () => null): readonly [ViewState, readonly Effect[]] {
  const stateOf = (uri: string) => store.getSnapshot().get(uri)?.state ?? null;
  return update(state, command, { rows: rowsOf(store, state), pageSize: 10, targetOf, stateOf });
}

function runAll(state: ViewState, store: HierarchyStore, commands: Command[]): ViewState {
  for (const command of commands) [state] = run(state, store, command);
  return state;
}

describe('selection', () => {
  it('starts on the first row and moves within bounds', () => {
    const store = account(5);
    let state = createViewState();
    expect(selectedIndex(state, rowsOf(store, state))).toBe(0);
    state = runAll(state, store, [{ type: 'move', by: -1 }]);
    expect(selectedIndex(state, rowsOf(store, state))).toBe(0);
    state = runAll(state, store, [{ type: 'bottom' }]);
    expect(selectedIndex(state, rowsOf(store, state))).toBe(14);
    state = runAll(state, store, [{ type: 'move', by: 5 }]);
    expect(selectedIndex(state, rowsOf(store, state))).toBe(14);
    state = runAll(state, store, [{ type: 'top' }, { type: 'page', by: 1 }]);
    expect(selectedIndex(state, rowsOf(store, state))).toBe(9);
  });

  it('follows the object, not the row, when rows move or vanish (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 29 }),
        fc.array(fc.record({ insert: fc.boolean(), at: fc.integer({ min: 0, max: 999 }) }), { minLength: 1, maxLength: 30 }),
        (start, changes) => {
          const store = account(10);
          let state = runAll(createViewState(), store, [{ type: 'move', by: start }]);
          const chosen = selectedRow(state, rowsOf(store, state));
          if (chosen === undefined) return;
          state = runAll(state, store, [{ type: 'move', by: 0 }]); // pins the URI
          let alive = true;
          for (const change of changes) {
            const id = `x${String(change.at).padStart(3, '0')}`;
            if (change.insert) {
              // New objects sort before, between and after the others.
              const at = String(change.at % 12).padStart(3, '0');
              store.apply(event('stack', stackUri(`s${at}${id}`), 'create', 'Running'), 2);
            } else {
              const victims = store.getSnapshot().ofType('stack');
              const victim = victims[change.at % victims.length];
              if (victim === undefined) continue;
              if (victim.resource_uri === chosen.uri || victim.resource_uri === chosen.parentUri) alive = false;
              store.apply(event('stack', victim.resource_uri, 'delete', 'Terminated'), 2);
            }
            store.publish();
            const rows = rowsOf(store, state);
            const now = selectedRow(state, rows);
            if (alive && rows.indexOf(chosen.uri) !== -1) expect(now?.uri).toBe(chosen.uri);
            // Whatever happened, the selection is on a real row.
            if (rows.rows.length > 0) expect(now).toBeDefined();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('lands near where it was when the selected object goes away', () => {
    const store = account(5);
    let state = runAll(createViewState(), store, [{ type: 'move', by: 6 }]); // s002
    const before = selectedRow(state, rowsOf(store, state));
    expect(before?.uri).toBe(stackUri('s002'));
    store.apply(event('stack', stackUri('s002'), 'delete', 'Terminated'), 2);
    store.publish();
    state = { ...state };
    expect(selectedIndex(state, rowsOf(store, state))).toBe(6);
  });
});

describe('folding', () => {
  it('closes an open row, goes to the parent from a child, and opens again', () => {
    const store = account(3);
    let state = createViewState();
    state = runAll(state, store, [{ type: 'move', by: 1 }]); // s000a
    state = runAll(state, store, [{ type: 'collapse' }]);
    expect(selectedRow(state, rowsOf(store, state))?.uri).toBe(stackUri('s000'));
    state = runAll(state, store, [{ type: 'collapse' }]);
    expect(rowsOf(store, state).rows).toHaveLength(3 + 2 + 2);
    expect(isExpanded(state, stackUri('s000'), 'stack')).toBe(false);
    state = runAll(state, store, [{ type: 'expand' }]);
    expect(isExpanded(state, stackUri('s000'), 'stack')).toBe(true);
    expect(state.toggled.size).toBe(0); // back to the default, nothing remembered
    state = runAll(state, store, [{ type: 'expand' }]); // already open: step in
    expect(selectedRow(state, rowsOf(store, state))?.uri).toBe(serviceUri('s000a'));
  });

  it('does not fold while a filter decides what is open', () => {
    const store = account(3);
    const state = runAll(createViewState({ filter: 's001' }), store, [{ type: 'toggle' }]);
    expect(state.toggled.size).toBe(0);
    expect(state.status?.text).toMatch(/filter/);
  });
});

describe('filter', () => {
  it('types, keeps the selection on its object, accepts and clears', () => {
    const store = account(5);
    let state = runAll(createViewState(), store, [{ type: 'move', by: 6 }, { type: 'filter-start' }]);
    expect(state.mode.kind).toBe('filter');
    state = runAll(state, store, [{ type: 'filter-input', text: 's00' }, { type: 'filter-input', text: '2' }]);
    expect(state.filter).toBe('s002');
    expect(selectedRow(state, rowsOf(store, state))?.uri).toBe(stackUri('s002'));
    state = runAll(state, store, [{ type: 'filter-backspace' }, { type: 'filter-accept' }]);
    expect(state).toMatchObject({ filter: 's00', mode: { kind: 'normal' } });
    state = runAll(state, store, [{ type: 'escape' }]);
    expect(state.filter).toBe('');
    expect(selectedRow(state, rowsOf(store, state))?.uri).toBe(stackUri('s002'));
  });

  it('comes back to the selected object when a longer filter hid it and Esc clears it', () => {
    const store = account(5);
    let state = runAll(createViewState(), store, [{ type: 'move', by: 6 }, { type: 'filter-start' }]);
    state = runAll(state, store, [{ type: 'filter-input', text: 's00' }, { type: 'filter-input', text: '4' }, { type: 'filter-input', text: 'b' }]);
    expect(selectedRow(state, rowsOf(store, state))?.uri).not.toBe(stackUri('s002'));
    state = runAll(state, store, [{ type: 'filter-cancel' }]);
    expect(selectedRow(state, rowsOf(store, state))?.uri).toBe(stackUri('s002'));
  });

  it('deletes a whole character with Backspace, one outside the BMP too (not half of its surrogate pair)', () => {
    const store = account(1);
    const state = runAll(createViewState({ mode: { kind: 'filter' } }), store, [{ type: 'filter-input', text: 'db🐘' }, { type: 'filter-backspace' }]);
    expect(state.filter).toBe('db');
  });

  it('drops control characters from pasted text', () => {
    const store = account(1);
    const [state] = run(createViewState({ mode: { kind: 'filter' } }), store, { type: 'filter-input', text: 'a\nb\u001b' });
    expect(state.filter).toBe('ab');
  });
});

describe('operations', () => {
  it('asks before a destructive operation and runs it on yes', () => {
    const store = account(2);
    let [state, effects] = run(createViewState(), store, { type: 'operate', operation: 'terminate' });
    expect(effects).toEqual([]);
    expect(state.mode).toEqual({ kind: 'confirm', request: { uri: stackUri('s000'), operation: 'terminate', label: 'stack s000' } });
    [state, effects] = run(state, store, { type: 'confirm' });
    expect(effects).toEqual([{ type: 'operate', request: { uri: stackUri('s000'), operation: 'terminate', label: 'stack s000' } }]);
    expect(state.mode.kind).toBe('normal');
  });

  it('does nothing on yes when the object went away or was terminated meanwhile', () => {
    const store = account(3);
    let [state] = run(createViewState(), store, { type: 'operate', operation: 'stop' });
    expect(state.mode.kind).toBe('confirm');
    store.apply(event('stack', stackUri('s000'), 'delete', 'Terminated'), 2);
    store.publish();
    const [answered, effects] = run(state, store, { type: 'confirm' });
    expect(effects).toEqual([]);
    expect(answered.mode.kind).toBe('normal');
    expect(answered.status).toEqual({ text: 'stack s000 was deleted meanwhile: nothing done', tone: 'error' });
    [state] = run(createViewState(), store, { type: 'operate', operation: 'redeploy' }); // now on s001
    expect(state.mode).toMatchObject({ kind: 'confirm', request: { uri: stackUri('s001') } });
    store.apply(event('stack', stackUri('s001'), 'create', 'Terminated'), 3);
    store.publish();
    const [refused, none] = run(state, store, { type: 'confirm' });
    expect(none).toEqual([]);
    expect(refused.status).toEqual({ text: 'stack s001 was terminated meanwhile: nothing done', tone: 'error' });
  });

  it('cancels on no', () => {
    const store = account(2);
    const [asked] = run(createViewState(), store, { type: 'operate', operation: 'stop' });
    const [state, effects] = run(asked, store, { type: 'cancel' });
    expect(effects).toEqual([]);
    expect(state.status).toEqual({ text: 'cancelled', tone: 'info' });
  });

  it('refuses every operation, before any prompt, where there is no server to act on (a replay)', () => {
    const store = account(2);
    const state = runAll(createViewState(), store, [{ type: 'move', by: 1 }]);
    const context = { rows: rowsOf(store, state), pageSize: 10, targetOf: () => 3, stateOf: () => 'Running', readOnly: 'a replay is read-only' };
    for (const command of [{ type: 'operate', operation: 'terminate' }, { type: 'operate', operation: 'start' }, { type: 'scale-by', by: -1 }, { type: 'scale-prompt' }] as const) {
      const [next, effects] = update(state, command, context);
      expect(effects).toEqual([]);
      expect(next.mode).toEqual({ kind: 'normal' });
      expect(next.status).toEqual({ text: 'a replay is read-only', tone: 'error' });
    }
  });

  it('starts at once (not destructive)', () => {
    const store = account(2);
    const [, effects] = run(createViewState(), store, { type: 'operate', operation: 'start' });
    expect(effects).toEqual([{ type: 'operate', request: { uri: stackUri('s000'), operation: 'start', label: 'stack s000' } }]);
  });

  it('scales a service by one from its current target, not other types', () => {
    const store = account(2);
    let state = runAll(createViewState(), store, [{ type: 'move', by: 1 }]);
    let effects: readonly Effect[];
    [, effects] = run(state, store, { type: 'scale-by', by: 1 }, () => 3);
    expect(effects).toEqual([{ type: 'operate', request: { uri: serviceUri('s000a'), operation: 'scale', label: 'service s000a', targetNumContainers: 4 } }]);
    // Down to 0 with `-` asks first too.
    [state, effects] = run(state, store, { type: 'scale-by', by: -1 }, () => 1);
    expect(effects).toEqual([]);
    expect(state.mode).toMatchObject({ kind: 'confirm', request: { targetNumContainers: 0 } });
    state = { ...state, mode: { kind: 'normal' } };
    [state, effects] = run(state, store, { type: 'scale-by', by: -1 }, () => null);
    expect(effects).toEqual([]);
    expect(state.status?.tone).toBe('error');
    [state, effects] = run(runAll(createViewState(), store, []), store, { type: 'scale-by', by: 1 }, () => 3);
    expect(effects).toEqual([]);
    expect(state.status).toEqual({ text: 'a stack has no scale operation', tone: 'error' });
  });

  it('scales to a typed number, refusing nonsense', () => {
    const store = account(2);
    let state = runAll(createViewState(), store, [{ type: 'move', by: 1 }]);
    [state] = run(state, store, { type: 'scale-prompt' }, () => 2);
    expect(state.mode).toMatchObject({ kind: 'scale', text: '2', selected: true });
    state = runAll(state, store, [{ type: 'scale-backspace' }, { type: 'scale-input', text: '07' }]);
    expect(state.mode).toMatchObject({ kind: 'scale', text: '7', selected: false });
    let effects: readonly Effect[];
    [state, effects] = run(state, store, { type: 'scale-accept' });
    expect(effects).toEqual([{ type: 'operate', request: { uri: serviceUri('s000a'), operation: 'scale', label: 'service s000a', targetNumContainers: 7 } }]);
    // Too many, then nothing: the prompt stays and says why, in itself (its line hides the status).
    [state] = run(state, store, { type: 'scale-prompt' }, () => 2);
    state = runAll(state, store, [{ type: 'scale-input', text: '999999' }]);
    // Refused as typed: the digits past the fourth are not kept, and the prompt says why at once.
    expect(state.mode).toMatchObject({ kind: 'scale', text: '9999', problem: 'at most 100' });
    [state, effects] = run(state, store, { type: 'scale-accept' });
    expect(effects).toEqual([]);
    expect(state.mode).toMatchObject({ kind: 'scale', problem: 'at most 100' });
    state = runAll(state, store, [{ type: 'scale-backspace' }]);
    expect(state.mode).toMatchObject({ kind: 'scale', text: '999', problem: 'at most 100' });
    state = runAll(state, store, [{ type: 'scale-backspace' }, { type: 'scale-backspace' }]);
    expect(state.mode).toMatchObject({ kind: 'scale', text: '9', problem: null });
    state = runAll(state, store, [{ type: 'scale-backspace' }]);
    expect(state.mode).toMatchObject({ kind: 'scale', text: '', problem: null });
    [state, effects] = run(state, store, { type: 'scale-accept' });
    expect(effects).toEqual([]);
    expect(state.mode).toMatchObject({ kind: 'scale', problem: 'type a number' });
  });

  it('replaces the pre-filled target with the first digit typed, so 0 on a service at 4 scales to 0, not 40', () => {
    const store = account(2);
    let state = runAll(createViewState(), store, [{ type: 'move', by: 1 }]);
    [state] = run(state, store, { type: 'scale-prompt' }, () => 4);
    state = runAll(state, store, [{ type: 'scale-input', text: '0' }]);
    expect(state.mode).toMatchObject({ kind: 'scale', text: '0', selected: false });
    let effects: readonly Effect[];
    // 0 removes every container: it asks first, then scales on y.
    [state, effects] = run(state, store, { type: 'scale-accept' });
    expect(effects).toEqual([]);
    const toZero = { uri: serviceUri('s000a'), operation: 'scale', label: 'service s000a', targetNumContainers: 0 };
    expect(state.mode).toEqual({ kind: 'confirm', request: toZero });
    [state, effects] = run(state, store, { type: 'confirm' });
    expect(effects).toEqual([{ type: 'operate', request: toZero }]);
    // Digits after the first append as usual.
    [state] = run(state, store, { type: 'scale-prompt' }, () => 4);
    state = runAll(state, store, [{ type: 'scale-input', text: '1' }, { type: 'scale-input', text: '2' }]);
    expect(state.mode).toMatchObject({ kind: 'scale', text: '12' });
  });
});

describe('other commands', () => {
  it('yanks the selected URI, quits, reconnects as effects', () => {
    const store = account(1);
    expect(run(createViewState(), store, { type: 'yank' })[1]).toEqual([{ type: 'yank', uri: stackUri('s000') }]);
    expect(run(createViewState(), store, { type: 'quit' })[1]).toEqual([{ type: 'quit' }]);
    expect(run(createViewState(), store, { type: 'reconnect' })[1]).toEqual([{ type: 'reconnect' }]);
    // The header tells how the reconnect goes; an old message must not linger beside it.
    expect(run(createViewState({ status: { text: 'cancelled', tone: 'info' } }), store, { type: 'reconnect' })[0].status).toBeNull();
  });

  it('does not reconnect where a new connection would end what is shown (a replay: its next socket is its end)', () => {
    const store = account(1);
    const state = createViewState();
    const context = { rows: rowsOf(store, state), pageSize: 10, targetOf: () => null, stateOf: () => 'Running', cannotReconnect: 'a replay has no server to reconnect to' };
    const [next, effects] = update(state, { type: 'reconnect' }, context);
    expect(effects).toEqual([]);
    expect(next.status).toEqual({ text: 'a replay has no server to reconnect to', tone: 'error' });
  });

  it('toggles pause, faults, help, cycles views and sort', () => {
    const store = account(1);
    const state = runAll(createViewState(), store, [
      { type: 'pause' },
      { type: 'faults' },
      { type: 'next-view', by: -1 },
      { type: 'sort-next' },
      { type: 'help' },
    ]);
    expect(state).toMatchObject({ paused: true, faultsOnly: true, view: 'containers', sort: 'state', mode: { kind: 'help' } });
    expect(runAll(state, store, [{ type: 'help-close' }]).mode.kind).toBe('normal');
  });

  it('turns the pages of the help within the pages there are, and opens it on the first', () => {
    const store = account(1);
    const page = (state: ViewState, by: number, helpPages?: number) =>
      update(state, { type: 'help-page', by }, { rows: rowsOf(store, state), pageSize: 10, targetOf: () => null, stateOf: () => null, ...(helpPages !== undefined ? { helpPages } : {}) })[0];
    const open = runAll(createViewState(), store, [{ type: 'help' }]);
    expect(open.mode).toEqual({ kind: 'help', page: 0 });
    expect(page(open, 1, 3).mode).toEqual({ kind: 'help', page: 1 });
    expect(page(page(page(open, 1, 3), 1, 3), 1, 3).mode).toEqual({ kind: 'help', page: 2 });
    expect(page(open, Number.POSITIVE_INFINITY, 3).mode).toEqual({ kind: 'help', page: 2 });
    expect(page(page(open, 1, 3), Number.NEGATIVE_INFINITY, 3).mode).toEqual({ kind: 'help', page: 0 });
    expect(page(open, -1, 3)).toBe(open);
    // One page (a large terminal): nothing to turn.
    expect(page(open, 1)).toBe(open);
    // Not in the help: the command does nothing.
    const normal = createViewState();
    expect(page(normal, 1, 3)).toBe(normal);
    // Reopened, it starts on the first page again.
    expect(runAll(page(open, 1, 3), store, [{ type: 'help' }, { type: 'help' }]).mode).toEqual({ kind: 'help', page: 0 });
  });

  it('tabs past the views that list nothing under --type; the number keys still go anywhere', () => {
    const store = account(1);
    const tab = (state: ViewState, by: 1 | -1, views?: readonly ViewMode[]) =>
      update(state, { type: 'next-view', by }, { rows: rowsOf(store, state), pageSize: 10, targetOf: () => null, stateOf: () => null, ...(views !== undefined ? { views } : {}) })[0];
    const start = createViewState({ view: 'nodes' });
    expect(tab(start, 1).view).toBe('containers');
    expect(tab(start, 1, ['stacks', 'nodes']).view).toBe('stacks');
    expect(tab(start, -1, ['nodes', 'containers']).view).toBe('containers');
    expect(tab(start, 1, ['nodes']).view).toBe('nodes');
    // From a view the user went to by its key (2 under --type service), Tab goes on to one that lists something.
    expect(tab(start, 1, ['stacks']).view).toBe('stacks');
    expect(runAll(createViewState(), store, [{ type: 'view', view: 'nodes' }]).view).toBe('nodes');
  });

  it('keeps a selection per view', () => {
    const store = account(3);
    let state = runAll(createViewState(), store, [{ type: 'move', by: 2 }, { type: 'view', view: 'nodes' }]);
    expect(state.selection.nodes.uri).toBeNull();
    state = runAll(state, store, [{ type: 'view', view: 'stacks' }]);
    expect(selectedRow(state, rowsOf(store, state))?.uri).toBe(serviceUri('s000b'));
  });
});

describe('windowStart', () => {
  it('keeps the selection inside the window and moves as little as possible', () => {
    fc.assert(
      fc.property(fc.nat(200), fc.nat(200), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 200 }), (previous, selected, height, total) => {
        const sel = Math.min(selected, Math.max(0, total - 1));
        const top = windowStart(previous, sel, height, total);
        expect(top).toBeGreaterThanOrEqual(0);
        if (total > 0) {
          expect(sel).toBeGreaterThanOrEqual(top);
          expect(sel).toBeLessThan(top + height);
        }
        if (total > height) expect(top).toBeLessThanOrEqual(total - height);
        // A selection already inside a valid window does not move it.
        if (total > height && previous <= total - height && sel >= previous && sel < previous + height) expect(top).toBe(previous);
      }),
    );
  });
});
