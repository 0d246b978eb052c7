// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import { render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeLiveTree, type FakeLiveTree } from '../../test/fake-live-tree.js';
import { createEventLog, type EventLog } from '../event-log.js';
import { createFieldsCache, type FieldsCache } from '../fields-cache.js';
import { NORMAL_KEYMAP } from '../keymap.js';
import { formatAge, stateSince } from '../state/format.js';
import { App, type AppProps } from './app.js';
import { ThemeContext } from './theme.js';

const NOW = Date.UTC(2026, 10, 27, 9, 30, 0);
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

/** Polls the last frame until `check` holds (a lone Esc, for one, is only flushed on the next turn). */
async function until(view: { lastFrame(): string | undefined }, check: (frame: string) => boolean): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const frame = plain(view.lastFrame());
    if (check(frame)) return frame;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return plain(view.lastFrame());
}
const plain = (text: string | undefined) => (text ?? '').replace(/\u001b\[[0-9;]*m/g, '');
const COLOR_SGR = /\u001b\[(3[0-7]|9[0-7])m/;

let fake: FakeLiveTree;
let log: EventLog;
let fields: FieldsCache;
let detach: () => void;
/** The one clock of the view: its fields cache's, which the App reads by default. Moved by hand. */
let clock: number;

beforeEach(async () => {
  fake = await createFakeLiveTree(7);
  log = createEventLog({ publishIntervalMs: 0 });
  detach = log.attach(fake.tree);
  clock = NOW;
  fields = createFieldsCache({ fetch: (uri) => fake.tree.fetchObject(uri), now: () => clock, publishIntervalMs: 0 });
});

afterEach(async () => {
  detach();
  fields.close();
  await fake.close();
});

function app(overrides: Partial<AppProps> = {}, color = true) {
  const props: AppProps = {
    tree: fake.tree,
    eventLog: log,
    fields,
    title: 'demo@test',
    size: { columns: 100, rows: 30 },
    monotonicNow: () => 0,
    tickMs: 0,
    utc: true,
    onQuit: () => {},
    ...overrides,
  };
  return render(
    <ThemeContext.Provider value={{ color }}>
      <App {...props} />
    </ThemeContext.Provider>,
  );
}

/** Tree rows: a cursor column, indentation and fold marks, a state glyph, a name. */
const treeRows = (frame: string | undefined) => plain(frame).split('\n').filter((line) => /^[ ▌][ ▾▸]*[●◐◌○✖⊘] \S/.test(line));

/** The line of the selected row (the one with the cursor mark). */
const selectedLine = (frame: string) => plain(frame).split('\n').find((line) => line.startsWith('▌')) ?? '';

describe('App', () => {
  it('draws the header, the tree with glyphs and counts, the detail and the events, one row under the height', async () => {
    const view = app();
    await settle();
    const frame = plain(view.lastFrame());
    const lines = frame.split('\n');
    expect(lines).toHaveLength(29);
    expect(lines[0]).toMatch(/^ events │ demo@test .*● live$/);
    expect(lines[1]).toMatch(/stacks 4 .*services \d+ .*containers \d+/);
    expect(lines[2]).toContain('1 Stacks');
    expect(frame).toMatch(/▾ [●◐◌○] notifications +Running +\d+\/\d+ +\S+ +│/);
    expect(frame).toContain('STACK notifications'); // the detail pane of the first row
    expect(frame).toContain('─ Events · 0 seen');
    view.unmount();
  });

  it('says replaying, not live, for a recording played back', async () => {
    const view = app({ replay: true });
    await settle();
    const top = plain(view.lastFrame()).split('\n')[0];
    expect(top).toMatch(/● replaying$/);
    expect(top).not.toContain('live');
    // Read-only: the detail pane says so where the operation keys would be, and T asks nothing.
    expect(plain(view.lastFrame())).toContain('a replay: no operations');
    expect(plain(view.lastFrame())).not.toContain('T terminate');
    view.stdin.write('T');
    const refused = await until(view, (f) => f.includes('read-only: operations act on a live server') && !f.includes('y to confirm'));
    expect(refused).not.toContain('TERMINATE');
    view.unmount();
  });

  it('moves with j/k, keeps the object selected while rows move, and unfolds with l', async () => {
    const view = app();
    await settle();
    view.stdin.write('j');
    await settle();
    const chosen = selectedLine(view.lastFrame() ?? '');
    expect(chosen).toMatch(/▸ ● cron/);
    view.stdin.write('l');
    await settle();
    expect(selectedLine(view.lastFrame() ?? '')).toMatch(/▾ ● cron/);
    expect(treeRows(view.lastFrame())).toContainEqual(expect.stringMatching(/^ {7}● cron-1 /));
    view.stdin.write('k');
    await settle();
    expect(selectedLine(view.lastFrame() ?? '')).toMatch(/notifications/);
    view.unmount();
  });

  it("names each container's stack in the containers view, where services of different stacks share names", async () => {
    const view = app({ size: { columns: 160, rows: 40 } });
    await settle();
    view.stdin.write('3');
    const frame = await until(view, (f) => f.includes(' SERVICE '));
    expect(frame).toMatch(/ NAME +STACK +SERVICE +NODE +STATE/);
    const tree = fake.tree.getSnapshot().tree;
    const rows = treeRows(frame);
    expect(rows.length).toBeGreaterThan(5);
    const stacksSeen = new Set<string>();
    for (const row of rows) {
      const name = /[●◐◌○✖⊘] (\S+)/.exec(row)?.[1] as string;
      // Every container of that name: the row is one of them, so its stack column is one of theirs.
      const stacks = tree
        .ofType('container')
        .filter((c) => c.fields?.name === name)
        .map((c) => (tree.get(c.parents.find((p) => p.includes('/stack/')) ?? '')?.fields as { name?: string } | null | undefined)?.name);
      expect(stacks.length).toBeGreaterThan(0);
      // The column is 13 wide: a longer name is cut to 11 characters and an ellipsis.
      const shown = stacks.find((stack) => stack !== undefined && row.includes(` ${stack.length > 12 ? `${stack.slice(0, 11)}…` : stack} `));
      expect(shown, row).toBeDefined();
      stacksSeen.add(shown as string);
    }
    expect(stacksSeen.size).toBeGreaterThan(1);
    view.unmount();
  });

  it('filters as you type, keeping the ancestors of matches', async () => {
    const view = app();
    await settle();
    view.stdin.write('/');
    view.stdin.write('redis');
    await settle();
    const frame = plain(view.lastFrame());
    expect(frame).toContain('filter /redis▏');
    const rows = treeRows(frame);
    expect(rows.filter((row) => row.includes('redis')).length).toBeGreaterThan(0);
    // Everything else is a stack above a match, there for context.
    for (const row of rows) if (!row.includes('redis')) expect(row).toMatch(/^[ ▌]▾ /);
    view.unmount();
  });

  it('shows the filter being typed on a narrow screen: the other tabs give up their titles first, then the rows and the sort', async () => {
    const tabsOf = (frame: string) => (frame.split('\n')[2] ?? '').trimEnd();
    // At the narrowest the view draws, the whole line did not fit even before a filter.
    const view = app({ size: { columns: 60, rows: 16 } });
    let tabs = tabsOf(await until(view, (f) => /rows \d/.test(f)));
    expect(tabs).toMatch(/^ {2}1 Stacks {3}2 {3}3 {3}sort name {2}rows 1-\d+ of \d+$/);
    view.stdin.write('/');
    view.stdin.write('postgres');
    tabs = tabsOf(await until(view, (f) => f.includes('postgres▏')));
    expect(tabs).toMatch(/^ {2}1 Stacks {3}2 {3}3 {3}sort name {2}filter \/postgres▏ \d+ match(es)?$/);
    // A filter too long for the line keeps its end: what was just typed, and the cursor after it.
    view.stdin.write('-and-then-a-lot-more-text-typed-into-it');
    tabs = tabsOf(await until(view, (f) => f.includes('typed-into-it▏')));
    expect([...tabs].length).toBeLessThanOrEqual(60);
    expect(tabs).toMatch(/^ {2}1 Stacks {3}2 {3}3 {3}\/….*-typed-into-it▏ 0$/);
    view.unmount();
    // Where everything fits, nothing is shortened.
    const wide = app({ size: { columns: 120, rows: 30 } });
    wide.stdin.write('/');
    wide.stdin.write('postgres');
    tabs = tabsOf(await until(wide, (f) => f.includes('postgres▏')));
    expect(tabs).toMatch(/^ {2}1 Stacks {3}2 Nodes {3}3 Containers {3}sort name {2}filter \/postgres▏ \d+ match(es)? {2}rows 1-\d+ of \d+$/);
    wide.unmount();
  });

  it('names every type in the counts line at 80 columns: the healthy counts give way first', async () => {
    const countsOf = (frame: string) => (frame.split('\n')[1] ?? '').trimEnd();
    const view = app({ size: { columns: 80, rows: 24 } });
    const counts = countsOf(await until(view, (f) => /stacks [1-9]/.test(f)));
    expect([...counts].length).toBeLessThanOrEqual(80);
    expect(counts).toMatch(/^ stacks \d+.* · services \d+.* · containers \d+.* · clusters \d+.* · nodes \d+[^…]*$/);
    expect(counts).not.toContain('●');
    view.unmount();
    // Where it fits, the healthy are counted too.
    const wide = app({ size: { columns: 140, rows: 30 } });
    expect(countsOf(await until(wide, (f) => /stacks [1-9]/.test(f)))).toMatch(/^ stacks \d+ ●\d+.* · nodes \d+ ●\d+/);
    wide.unmount();
  });

  it('pauses loudly, holds the view still and counts what is held back', async () => {
    const view = app();
    await settle();
    view.stdin.write('p');
    await settle();
    const before = plain(view.lastFrame());
    expect(before).toContain('PAUSED · 0 events held back');
    fake.step(15);
    await settle();
    const during = plain(view.lastFrame());
    const held = Number(/PAUSED · (\d+) events? held back/.exec(during)?.[1]);
    expect(held).toBeGreaterThan(0);
    expect(during).toContain('─ Events · 0 seen');
    view.stdin.write('p');
    await settle();
    expect(plain(view.lastFrame())).not.toContain('PAUSED');
    expect(plain(view.lastFrame())).toContain(`─ Events · ${held} seen`);
    view.unmount();
  });

  it('opens a help overlay generated from the keymap', async () => {
    const notice = 'demo server http://127.0.0.1:1/ · DOCKERCLOUD_USER=demo DOCKERCLOUD_APIKEY=k';
    const view = app({ size: { columns: 140, rows: 50 }, notice });
    await settle();
    view.stdin.write('?');
    await settle();
    const frame = plain(view.lastFrame());
    for (const binding of NORMAL_KEYMAP) expect(frame).toContain(binding.help);
    // The demo's URL and key stay at hand after the status line has moved on.
    expect(frame).toContain(notice);
    view.stdin.write('\u001b');
    expect(await until(view, (frame) => !frame.includes('Help ·'))).not.toContain('Help ·');
    view.unmount();
  });

  it('asks before terminating, then operates on the selected object', async () => {
    const operate = vi.spyOn(fake.tree, 'operate');
    const view = app();
    await settle();
    view.stdin.write('j');
    await settle();
    view.stdin.write('T');
    await settle();
    expect(plain(view.lastFrame())).toContain('TERMINATE service cron?');
    expect(operate).not.toHaveBeenCalled();
    view.stdin.write('y');
    await settle();
    expect(operate).toHaveBeenCalledWith(expect.stringContaining('/service/'), 'terminate', undefined);
    expect(plain(view.lastFrame())).toContain('terminate service cron: accepted');
    view.unmount();
  });

  it('scales with + and shows the new containers as they come', async () => {
    const view = app();
    await settle();
    view.stdin.write('jl'); // cron, unfolded
    await settle();
    const cron = (frame: string | undefined) => treeRows(frame).filter((row) => / cron-\d /.test(row)).length;
    const before = cron(view.lastFrame());
    view.stdin.write('+');
    await settle();
    fake.drain();
    await settle();
    const frame = plain(view.lastFrame());
    expect(frame).toMatch(/Service Scale/);
    expect(cron(view.lastFrame())).toBe(before + 1);
    view.unmount();
  });

  it('keeps saying how an operation ended once the tree forgets its action (ended actions are pruned, a re-list may drop them): not "Pending" again', async () => {
    const view = app();
    await settle();
    view.stdin.write('j+'); // scale cron up by one
    await until(view, (f) => f.includes('scale service cron: accepted'));
    fake.drain();
    let frame = await until(view, (f) => /● scale service cron: Success/.test(f));
    expect(frame).toMatch(/● scale service cron: Success/);
    // A re-list without the action: the tree no longer holds it.
    fake.tree.seed({ action: [] });
    await settle();
    frame = plain(view.lastFrame());
    expect(frame).toMatch(/● scale service cron: Success/);
    expect(frame).not.toMatch(/scale service cron: Pending/);
    view.unmount();
  });

  it('takes a bracketed paste as text, and does not wait forever for the end of one: keys work again after a moment', async () => {
    const onQuit = vi.fn();
    const view = app({ onQuit });
    await settle();
    view.stdin.write('/');
    view.stdin.write('\u001b[200~cron\rpostgres\r\u001b[201~');
    let frame = await until(view, (f) => f.includes('filter /cron▏'));
    expect(frame).toContain('filter /cron▏');
    view.stdin.write('\r');
    // A start marker whose end never comes (a terminal that lost it): the text is taken, and then keys are keys again.
    view.stdin.write('\u001b[200~https://x');
    frame = await until(view, (f) => f.includes('pasted text is not keys'));
    expect(frame).toContain('pasted text is not keys');
    view.stdin.write('q');
    await settle();
    expect(onQuit).toHaveBeenCalledTimes(1);
    view.unmount();
  });

  it('yanks the resource URI and quits through the app callbacks', async () => {
    const onYank = vi.fn();
    const onQuit = vi.fn();
    const view = app({ onYank, onQuit });
    await settle();
    view.stdin.write('y');
    await settle();
    expect(onYank).toHaveBeenCalledWith(expect.stringMatching(/^\/api\/app\/v1\/demo\/stack\/.+\/$/));
    expect(plain(view.lastFrame())).toContain('copied /api/app/v1/demo/stack/');
    view.stdin.write('q');
    expect(onQuit).toHaveBeenCalledTimes(1);
    view.unmount();
  });

  it('uses colour, and none with NO_COLOR, keeping every glyph', async () => {
    const colored = app({}, true);
    await settle();
    expect(colored.lastFrame()).toMatch(COLOR_SGR);
    colored.unmount();
    const mono = app({}, false);
    await settle();
    const frame = mono.lastFrame() ?? '';
    expect(frame).not.toMatch(COLOR_SGR);
    expect(plain(frame)).toMatch(/● notifications/);
    mono.unmount();
  });

  it('says so when the terminal is too small', async () => {
    const view = app({ size: { columns: 50, rows: 10 } });
    await settle();
    expect(plain(view.lastFrame())).toContain('terminal too small');
    expect(plain(view.lastFrame())).toContain('50×10, need 60×16');
    view.unmount();
  });

  it('only quits on the too-small screen, as it says ("q to quit"): no key acts on what it cannot show', async () => {
    const operate = vi.spyOn(fake.tree, 'operate');
    const onQuit = vi.fn();
    const view = app({ size: { columns: 50, rows: 10 }, onQuit });
    await settle();
    // Blind, a stop would be asked and confirmed where no prompt shows, and a filter opened would take the q.
    for (const key of ['S', 'y', '/', 'w', 'q']) {
      view.stdin.write(key);
      await settle();
    }
    expect(operate).not.toHaveBeenCalled();
    expect(onQuit).toHaveBeenCalledTimes(1);
    view.unmount();
  });

  it('dims the data and says "as of" when the connection is not live', async () => {
    fake.tree.setConnection({ ...fake.tree.getSnapshot().connection, phase: 'reconnecting', status: 'backoff', attempt: 3, retryAt: 4_000 });
    fake.tree.setSync({ status: 'stale', since: Date.UTC(2026, 10, 27, 9, 29, 1) });
    const view = app();
    await settle();
    expect(plain(view.lastFrame())).toContain('◌ reconnecting in 4 s (attempt 3) · data as of 09:29:01');
    view.unmount();
  });

  it('keeps "as of" and the countdown in a narrow header, paused or not: the title, the reason and the pause marker give way first', async () => {
    const lastClose = { kind: 'error', code: 1006, reason: 'connect ECONNREFUSED 127.0.0.1:18346', class: 'transient', at: 0 } as const;
    fake.tree.setConnection({ ...fake.tree.getSnapshot().connection, phase: 'reconnecting', status: 'backoff', attempt: 5, retryAt: 13_000, lastClose });
    fake.tree.setSync({ status: 'stale', since: Date.UTC(2026, 10, 27, 9, 29, 1) });
    const view = app({ size: { columns: 80, rows: 24 } });
    const headerOf = (frame: string) => (frame.split('\n')[0] ?? '').trimEnd();
    let header = headerOf(await until(view, (f) => f.includes('reconnecting')));
    expect([...header].length).toBeLessThanOrEqual(80);
    expect(header).toMatch(/◌ reconnecting in 13 s \(attempt 5\) · connect ECONN\S*… · data as of 09:29:01$/);
    view.stdin.write('p');
    header = headerOf(await until(view, (f) => f.includes('PAUSED')));
    expect([...header].length).toBeLessThanOrEqual(80);
    expect(header).toMatch(/PAUSED .*◌ reconnecting in 13 s .*· data as of 09:29:01$/);
    view.unmount();
    // At the narrowest the view draws, too.
    const narrow = app({ size: { columns: 60, rows: 16 } });
    narrow.stdin.write('p');
    header = headerOf(await until(narrow, (f) => f.includes('PAUSED')));
    expect([...header].length).toBeLessThanOrEqual(60);
    expect(header).toMatch(/PAUSED .*◌ reconnecting.* · data as of 09:29:01$/);
    narrow.unmount();
  });

  it("runs on one clock, its fields cache's: ages and the times of fetched fields alike, moved by the test without sleeping for it", async () => {
    const fetch = vi.spyOn(fake.tree, 'fetchObject');
    const view = app();
    await settle();
    view.stdin.write('3'); // the containers view: the first container selected
    let frame = await until(view, (f) => f.includes('CONTAINER cron-1') && f.includes('Fields (GET 09:30:00)'));
    expect(frame).toContain('Fields (GET 09:30:00)');
    expect(selectedLine(frame)).toMatch(/ cron-1 /);
    const named = fake.tree.getSnapshot().tree.ofType('container').filter((object) => (object.fields as { name?: unknown } | null)?.name === 'cron-1');
    expect(named).toHaveLength(1);
    const since = stateSince(named[0] as never);
    expect(since).not.toBeNull();
    // The age the row and the detail show is of the same clock.
    expect(selectedLine(frame).trimEnd()).toMatch(new RegExp(` ${formatAge(NOW - (since as number))} +│`));
    expect(frame).toContain(`for ${formatAge(NOW - (since as number))}`);
    // Five seconds on, by hand: the selection's fields are a refresh away (older than 1 s on that clock).
    const calls = fetch.mock.calls.length;
    clock = NOW + 5_000;
    view.stdin.write('j');
    await settle();
    view.stdin.write('k');
    frame = await until(view, (f) => f.includes('CONTAINER cron-1') && f.includes('Fields (GET 09:30:05)'));
    expect(frame).toContain('Fields (GET 09:30:05)');
    expect(fetch.mock.calls.length).toBeGreaterThan(calls);
    view.unmount();
  });
});
