import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, createSimulatedCloud, silentLogger } from '@events/server';
import { helpContent } from '../src/components/help-overlay.js';
import { parseRecording } from '../src/recording.js';
import { formatClock } from '../src/state/format.js';

// The real thing in a real terminal: `events watch` in a detached tmux session, driven with
// send-keys and read with capture-pane. No CI variables in the child, as in a user's terminal
// (the CLI itself tells Ink it is not in CI when both ends are a terminal).

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const SOCKET = `events-tui-e2e-${process.pid}`;
const EVENTS = `node --conditions=@events/source --import tsx ${join(PACKAGE, 'src/cli.ts')}`;

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const tmuxPresent = hasTmux();
if (!tmuxPresent) console.log('tmux-e2e: skipped, tmux is not installed (these tests need /usr/bin/tmux)');

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

class Session {
  constructor(readonly name: string) {}

  static start(name: string, command: string, columns: number, rows: number): Session {
    // The command runs under sh; its exit code is printed for the test to read after the view ends.
    // Without the test runner's NODE_ENV (test), FORCE_COLOR and CI variables: the view runs as a
    // user runs it (a CI variable, even CI=false, turns chalk's colours off).
    tmux('new-session', '-d', '-s', name, '-x', String(columns), '-y', String(rows), `cd ${PACKAGE} && env -u NODE_ENV -u FORCE_COLOR -u CI -u CONTINUOUS_INTEGRATION ${command}; echo "EXIT=$?"; sleep 600`);
    tmux('set-option', '-t', name, 'window-size', 'manual');
    return new Session(name);
  }

  capture(): string {
    return tmux('capture-pane', '-p', '-t', this.name);
  }

  /** The screen with lines the terminal wrapped joined again (what a program wrote as one line). */
  captureJoined(): string {
    return tmux('capture-pane', '-p', '-J', '-t', this.name);
  }

  /** The screen with its SGR sequences (colours, inverse). */
  captureStyled(): string {
    return tmux('capture-pane', '-p', '-e', '-t', this.name);
  }

  keys(...keys: string[]): void {
    tmux('send-keys', '-t', this.name, ...keys);
  }

  /** Literal text, not key names. */
  type(text: string): void {
    tmux('send-keys', '-t', this.name, '-l', text);
  }

  /** Pastes `text` as a terminal does, bracketed (ESC [200~ … ESC [201~) when the program asked for that. */
  paste(text: string): void {
    tmux('set-buffer', '-b', this.name, text);
    tmux('paste-buffer', '-p', '-d', '-b', this.name, '-t', this.name);
  }

  resize(columns: number, rows: number): void {
    tmux('resize-window', '-t', this.name, '-x', String(columns), '-y', String(rows));
  }

  alternateScreen(): boolean {
    return tmux('display-message', '-p', '-t', this.name, '#{alternate_on}').trim() === '1';
  }

  async waitFor(check: RegExp | ((screen: string) => boolean), what: string, timeoutMs = 20_000): Promise<string> {
    const test = typeof check === 'function' ? check : (screen: string) => check.test(screen);
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      screen = this.capture();
      if (test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    throw new Error(`timed out waiting for ${what}; the screen was:\n${screen}`);
  }

  /** The screen once it has stayed the same for `quietMs` (a view drawn whole, not mid-redraw). */
  async waitForStill(what: string, quietMs = 600, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = this.capture();
    let since = Date.now();
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const next = this.capture();
      if (next !== screen) {
        screen = next;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) return screen;
    }
    throw new Error(`timed out waiting for ${what} to stay still for ${quietMs} ms; the screen was:\n${screen}`);
  }

  kill(): void {
    try {
      tmux('kill-session', '-t', this.name);
    } catch {
      // already gone
    }
  }
}

/** The selected row: the one with the cursor mark. */
const selected = (screen: string) => screen.split('\n').find((line) => line.startsWith('▌')) ?? '';

/** A capture with what changes from run to run (times, ports, keys, ids, ages) replaced. */
function normalize(screen: string): string {
  return screen
    .replace(/\d\d:\d\d:\d\d/g, 'hh:mm:ss')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    .replace(/APIKEY=\S+/g, 'APIKEY=…')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
    .replace(/\b[0-9a-f]{8}\b/g, 'ID')
    .replace(/\b\d+s\b/g, 'Ns')
    .replace(/ +$/gm, '');
}

/**
 * Keeps a capture as a readable example in test/fixtures (written when missing, or with
 * UPDATE_FIXTURES=1) and checks the live screen has the fixture's shape: same height, same
 * title, column header and pane rules. Exact text varies with time; the shape must not.
 */
function checkFixture(name: string, screen: string): void {
  const file = join(FIXTURES, name);
  const current = normalize(screen);
  if (!existsSync(file) || process.env.UPDATE_FIXTURES === '1') writeFileSync(file, current);
  const fixture = readFileSync(file, 'utf8');
  const shape = (text: string) =>
    text.split('\n').map((line) => (/^ events │|^ NAME |─ Events ·|^ +1 Stacks/.test(line) ? line.replace(/ · .*$/, '').slice(0, 60) : ''));
  expect(shape(current)).toEqual(shape(fixture));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

describe.skipIf(!tmuxPresent)('events watch in tmux', () => {
  const sessions: Session[] = [];
  const servers: ChildProcess[] = [];
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'events-tui-e2e-'));
  });

  afterAll(() => {
    let socket: string | undefined;
    try {
      socket = tmux('display-message', '-p', '#{socket_path}').trim();
    } catch {
      // no server left to ask
    }
    // Each session by name: the tmux server of this socket ends by itself with its last session.
    for (const session of sessions) session.kill();
    for (const server of servers) if (server.exitCode === null) server.kill('SIGKILL');
    if (socket !== undefined && socket !== '') rmSync(socket, { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('navigates, unfolds, filters, pauses, helps, scales, resizes and quits cleanly', async () => {
    const session = Session.start('demo', `${EVENTS} watch --demo --seed 7 --rate 0`, 120, 40);
    sessions.push(session);
    let screen = await session.waitFor(/● live/, 'the live tree', 40_000);
    screen = await session.waitFor(/▾ ● notifications/, 'the stacks');
    expect(session.alternateScreen()).toBe(true);
    expect(screen.split('\n')[0]).toMatch(/^ events │ demo demo@127\.0\.0\.1:\d+ · seed 7 +● live$/);
    checkFixture('watch-120x40.txt', screen);
    // Colours in a terminal that has them (tmux's TERM), a glyph beside each: a green `●` for live.
    const styled = session.captureStyled().split('\n');
    expect(styled[0]).toMatch(/\u001b\[32m● live/);
    expect(styled.find((line) => line.includes('▾') && line.includes('notifications'))).toMatch(/\u001b\[32m●/);

    session.keys('j');
    screen = await session.waitFor((s) => /cron/.test(selected(s)), 'the cursor on cron');
    session.keys('l');
    screen = await session.waitFor(/ {7}● cron-1 /, 'cron unfolded');
    expect(selected(screen)).toMatch(/▾ ● cron/);

    session.keys('?');
    screen = await session.waitFor(/Help · keys/, 'the help overlay');
    expect(screen).toContain('next row');
    expect(screen).toContain('terminate (asks)');
    session.keys('Escape');
    await session.waitFor((s) => !s.includes('Help · keys'), 'the help closed');

    session.keys('/');
    session.type('post');
    screen = await session.waitFor(/filter \/post▏/, 'the filter typed');
    expect(screen).toMatch(/● postgres/);
    expect(screen).not.toMatch(/● cron /);
    session.keys('Escape');
    screen = await session.waitFor((s) => !s.includes('filter /') && /cron/.test(selected(s)), 'the filter cleared, cursor back on cron');

    session.keys('p');
    await session.waitFor(/‖ PAUSED · 0 events held back/, 'the PAUSED marker');
    session.keys('p');
    await session.waitFor((s) => !s.includes('PAUSED'), 'resumed');

    session.keys('+');
    screen = await session.waitFor(/ {7}[●◌] cron-2 /, 'a new container from the scale', 20_000);
    screen = await session.waitFor(/scale service cron.*Success/, 'the scale action succeeded', 20_000);
    expect(selected(screen)).toMatch(/cron +service +(Running|Scaling) +[12]\/2 /);

    session.resize(80, 24);
    screen = await session.waitFor((s) => s.split('\n').length <= 25 && /SERVICE cron/.test(s) && /─ Events/.test(s), 'the 80×24 layout');
    for (const line of screen.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    expect(screen.split('\n')[0]).toMatch(/^ events │ demo/);
    checkFixture('watch-80x24.txt', screen);

    session.keys('q');
    screen = await session.waitFor(/EXIT=\d+/, 'the exit code');
    expect(screen).toMatch(/EXIT=0/);
    expect(session.alternateScreen()).toBe(false);
    expect(screen).not.toContain('events │'); // the view went away with the alternate screen
  }, 120_000);

  it('cancels a confirmation on Esc and a key read in one chunk (ESC y), and never confirms it', async () => {
    const session = Session.start('escape-then-key', `${EVENTS} watch --demo --seed 7 --rate 0`, 120, 40);
    sessions.push(session);
    await session.waitFor((s) => /notifications +stack +Running/.test(selected(s)), 'the stack selected', 40_000);
    session.keys('S');
    await session.waitFor(/STOP stack notifications\?/, 'the stop asking first');
    // One send-keys: the view reads ESC and y in one chunk, as it does from a quick hand or when busy.
    session.keys('Escape', 'y');
    let screen = await session.waitFor(/copied \/api\/app\/v1\/demo\/stack\//, 'y copying the URI once the prompt is gone');
    expect(screen).not.toMatch(/stop stack notifications: accepted/);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    screen = session.capture();
    expect(selected(screen)).toMatch(/notifications +stack +Running/);
    expect(screen).not.toMatch(/Stopping|stop stack notifications/);
    session.keys('q');
    screen = await session.waitFor(/EXIT=\d+/, 'the exit code');
    expect(screen).toMatch(/EXIT=0/);
  }, 120_000);

  it('takes pasted text as text: into the filter (its first line), never as keys (a paste of "cron\\npostgres" paused, started and asked to redeploy)', async () => {
    const session = Session.start('paste', `${EVENTS} watch --demo --seed 7 --rate 0`, 120, 40);
    sessions.push(session);
    await session.waitFor((s) => /notifications +stack +Running/.test(selected(s)), 'the stack selected', 40_000);
    session.keys('/');
    await session.waitFor(/filter \/▏/, 'the filter open');
    session.paste('cron\npostgres\n');
    let screen = await session.waitFor(/filter \/cron▏ \d+ match/, 'the first line pasted into the filter');
    // Still typing the filter: nothing after the line break was read as keys.
    session.keys('Enter');
    screen = await session.waitFor((s) => /filter \/cron \d+ match/.test(s), 'the filter kept');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    screen = session.capture();
    expect(screen).not.toMatch(/PAUSED|REDEPLOY|start (stack|service|container) |accepted|sorted by/);
    // In the list, a paste is no keys either: "https://x" would have folded, paused and started.
    session.paste('https://x');
    screen = await session.waitFor(/pasted text is not keys/, 'the paste refused');
    expect(screen).not.toMatch(/PAUSED|start (stack|service|container) |accepted|Starting/);
    session.keys('q');
    screen = await session.waitFor(/EXIT=\d+/, 'the exit code');
    expect(screen).toMatch(/EXIT=0/);
  }, 120_000);

  it('pages the help at 80×24 so that every key can be read, and shows it all at once on a large terminal', async () => {
    const session = Session.start('help-80x24', `${EVENTS} watch --demo --seed 7 --rate 0`, 80, 24);
    sessions.push(session);
    await session.waitFor(/▾ ● notifications/, 'the stacks', 40_000);
    // Each entry as the overlay shows it: its keys, then the first word of its text.
    const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const entries = helpContent().flatMap((section) => section.entries.map((entry) => ({ entry, shown: new RegExp(`(^| )${literal(entry.keys)} +${literal(entry.help.split(' ')[0] as string)}`, 'm') })));
    const missing = (pages: string[]) => entries.filter(({ shown }) => !pages.some((page) => shown.test(page))).map(({ entry }) => `${entry.keys} ${entry.help}`);

    session.keys('?');
    // The footer is the overlay's last row: a capture taken while the frame is still being written (a busy machine) has the title without it.
    let screen = await session.waitFor((s) => /Help · keys/.test(s) && /page 1 of \d/.test(s), 'the help overlay, drawn to its footer');
    expect(screen).toMatch(/↓ more: j ↓ PgDn Space · page 1 of (\d)/);
    const count = Number(/page 1 of (\d)/.exec(screen)?.[1]);
    const pages = [screen];
    for (let page = 2; page <= count; page++) {
      session.keys(page % 2 === 0 ? 'Space' : 'PageDown');
      screen = await session.waitFor(new RegExp(`page ${page} of ${count}`), `help page ${page}`);
      pages.push(screen);
    }
    expect(screen).toMatch(/↑ back: k ↑ PgUp/);
    expect(missing(pages)).toEqual([]);
    for (const page of pages) for (const line of page.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    // Back to the first page, and out.
    session.keys('g');
    await session.waitFor(/page 1 of/, 'the first help page again');

    session.resize(200, 60);
    screen = await session.waitFor((s) => /Help · keys/.test(s) && !/page \d of/.test(s) && /⊘ terminated/.test(s), 'the whole help on one screen');
    expect(missing([screen])).toEqual([]);
    session.keys('Escape');
    await session.waitFor((s) => !s.includes('Help · keys'), 'the help closed');
    session.keys('q');
    screen = await session.waitFor(/EXIT=\d+/, 'the exit code');
    expect(screen).toMatch(/EXIT=0/);
  }, 120_000);

  it('opens a single-type run on the view that lists the type, and says where it is from the others', async () => {
    const session = Session.start('type-node', `${EVENTS} watch --demo --seed 7 --rate 0 --type node`, 100, 30);
    sessions.push(session);
    // The nodes view, active (its tab inverse), its rows the demo's five nodes.
    let screen = await session.waitFor(/rows 1-5 of 5/, 'the nodes listed', 40_000);
    expect(selected(screen)).toMatch(/^▌ +● \S+ +Deployed/);
    const tabs = session.captureStyled().split('\n')[2] ?? '';
    expect(tabs).toMatch(/\u001b\[(\d+;)*7m 2 Nodes /);
    // The views that list no node are dimmed.
    expect(tabs).toMatch(/\u001b\[2m 1 Stacks /);
    session.keys('1');
    screen = await session.waitFor(/nothing here under --type node: press 2 \(Nodes\)/, 'the stacks view saying why it is empty');
    session.keys('Tab');
    screen = await session.waitFor((s) => /rows 1-5 of 5/.test(s) && /Deployed/.test(selected(s)), 'Tab back on the nodes view');
    session.keys('q');
    screen = await session.waitFor(/EXIT=\d+/, 'the exit code');
    expect(screen).toMatch(/EXIT=0/);
  }, 120_000);

  it("finds containers by their stack's name with /, in the flat view and down the stack's path in the tree", async () => {
    const session = Session.start('search-parents', `${EVENTS} watch --demo --seed 7 --rate 0`, 120, 40);
    sessions.push(session);
    await session.waitFor(/▾ ● notifications/, 'the stacks', 40_000);
    session.keys('3', '/');
    session.type('notif');
    let screen = await session.waitFor(/filter \/notif▏ \d+ match/, 'the filter typed in the containers view');
    const count = Number(/(\d+) match/.exec(screen)?.[1]);
    expect(count).toBeGreaterThan(0);
    // Every container listed is one of the stack's (its STACK column), none is named after it.
    const rows = screen.split('\n').slice(4, 4 + count);
    for (const row of rows) expect(row).toMatch(/^[▌ ] +[●◐◌○✖⊘] \S+ +notifica/);
    session.keys('Enter', '1');
    screen = await session.waitFor((s) => /▾ ● notifications/.test(s) && / {7}[●◐◌○✖⊘] \S+-\d+ +container /.test(s), 'the stack, its services and their containers');
    expect(screen).toMatch(new RegExp(`rows 1-${count + 4} of ${count + 4}`)); // the stack, three services, their containers
    session.keys('q');
    screen = await session.waitFor(/EXIT=\d+/, 'the exit code');
    expect(screen).toMatch(/EXIT=0/);
  }, 120_000);

  it('ends normally on a Ctrl-C pressed while the view is still loading: exit 0, the terminal as it was', async () => {
    // slow-startup.mjs says when a module `events` needs starts loading, and holds it 1.5 s.
    const session = Session.start('early-ctrl-c', `${EVENTS.replace(' --import tsx ', ' --import tsx --import ./test/fixtures/slow-startup.mjs ')} watch --demo --seed 7 --rate 0`, 100, 30);
    sessions.push(session);
    await session.waitFor(/slow-startup: loading src\/run-tail\.ts/, 'events to be loading');
    session.keys('C-c');
    const screen = await session.waitFor(/EXIT=\d+/, 'the exit code');
    expect(screen).toMatch(/EXIT=0/);
    expect(screen).not.toContain('events │');
    expect(session.alternateScreen()).toBe(false);
  }, 60_000);

  it('prints lines instead of the view on TERM=dumb, and says why and how to force the view', async () => {
    const session = Session.start('term-dumb', `TERM=dumb ${EVENTS} watch --demo --seed 7 --rate 50 --count 3 --format plain`, 100, 30);
    sessions.push(session);
    await session.waitFor(/EXIT=\d+/, 'the line mode to end after 3 events', 40_000);
    const screen = session.captureJoined();
    expect(screen).toMatch(/EXIT=0/);
    expect(screen).toContain('events: TERM=dumb cannot draw the full-screen view, printing one event per line (events tail); to force the view, set TERM');
    expect(screen.split('\n').filter((line) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \w+ +(create|update|delete) /.test(line))).toHaveLength(3);
    expect(screen).not.toContain('events │');
    expect(session.alternateScreen()).toBe(false);
  }, 120_000);

  it('logs and counts every event of a replay played at full speed while the view was still loading', async () => {
    const file = join(dir, 'replay.ndjson');
    // A short demo session, recorded by the line mode (no terminal needed). Slow enough for its
    // six REST lists to be in before the 30th event ends it, even on a busy machine: a session
    // that stopped while listing replays as it was, an empty tree with no "as of".
    execFileSync(process.execPath, ['--conditions=@events/source', '--import', 'tsx', 'src/cli.ts', 'tail', '--demo', '--seed', '7', '--rate', '40', '--count', '30', '--record', file], {
      cwd: PACKAGE,
      stdio: 'ignore',
      timeout: 60_000,
    });
    const recorded = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"kind":"frame"'))
      .filter((line) => typeof (JSON.parse((JSON.parse(line) as { text: string }).text) as { resource_uri?: unknown }).resource_uri === 'string').length;
    expect(recorded).toBeGreaterThanOrEqual(30);
    expect(readFileSync(file, 'utf8').split('\n').filter((line) => line.includes('"kind":"http"'))).toHaveLength(6);
    // At --speed 0 the whole recording plays while React and Ink load: the pane must still have it all.
    const session = Session.start('replay', `${EVENTS} watch --replay ${file} --speed 0`, 120, 40);
    sessions.push(session);
    let screen = await session.waitFor((s) => /○ replay finished/.test(s) && new RegExp(`─ Events · ${recorded} seen`).test(s), `replay finished and ${recorded} events seen`, 40_000);
    expect(screen).not.toContain('waiting for events');
    expect(screen.split('\n').filter((line) => /^ \d\d:\d\d:\d\d [●◐◌○✖⊘] /.test(line)).length).toBeGreaterThan(0);
    // Data as of the recording's end (its last line), not of the replay's: the header says so,
    // and ages are of that time and stay as they are.
    const recording = parseRecording(readFileSync(file, 'utf8'), file);
    const end = Date.parse(recording.header.startedAt) + Math.max(...recording.steps.map((step) => step.t));
    expect(screen.split('\n')[0]).toContain(`○ replay finished · data as of ${formatClock(end)}`);
    // The selected stack's fields come from the recording (this session's lists; it sent no GET of
    // one object), dated by it; a replay sends no request that only a server could answer.
    screen = await session.waitFor(/Fields \((listed|GET) \d\d:\d\d:\d\d\)/, 'the fields of the selected stack');
    expect(screen).not.toContain('GET failed');
    const note = /Fields \((listed|GET) (\d\d:\d\d:\d\d)\)/.exec(screen);
    expect(note?.[1]).toBe('listed');
    const start = Date.parse(recording.header.startedAt);
    expect(recording.steps.filter((step) => step.kind === 'http').map((step) => formatClock(start + step.t))).toContain(note?.[2]);
    session.keys('3');
    await session.waitFor((s) => /STACK +SERVICE/.test(s), 'the containers view');
    // On a busy machine the capture can land mid-redraw, with the last rows not yet drawn.
    const before = await session.waitForStill('the containers view');
    const ages = (s: string) => s.split('\n').slice(4, 20).map((line) => line.replace(/│.*$/, ''));
    expect(ages(before).some((line) => /\b\d+[sm]$/.test(line.trimEnd()))).toBe(true); // objects changed while recording
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(ages(session.capture())).toEqual(ages(before));
    session.keys('q');
    screen = await session.waitFor(/EXIT=\d+/, 'the exit code');
    expect(screen).toMatch(/EXIT=0/);
  }, 120_000);

  it('keeps playing a replay when R is pressed: there is no server to reconnect to, and a new socket would end it', async () => {
    const file = join(dir, 'replay-r.ndjson');
    execFileSync(process.execPath, ['--conditions=@events/source', '--import', 'tsx', 'src/cli.ts', 'tail', '--demo', '--seed', '7', '--rate', '50', '--count', '60', '--record', file], {
      cwd: PACKAGE,
      stdio: 'ignore',
      timeout: 60_000,
    });
    // About a second recorded, played over ten.
    const session = Session.start('replay-r', `${EVENTS} watch --replay ${file} --speed 0.1`, 120, 40);
    sessions.push(session);
    await session.waitFor((s) => /● replaying/.test(s) && /─ Events · [1-9]\d* seen/.test(s), 'the replay playing', 40_000);
    session.keys('R');
    let screen = await session.waitFor(/a replay has no server to reconnect to/, 'R refused');
    expect(screen.split('\n')[0]).toMatch(/● replaying$/);
    const seen = (s: string) => Number(/─ Events · (\d+) seen/.exec(s)?.[1]);
    const before = seen(screen);
    screen = await session.waitFor((s) => seen(s) > before, 'more events played');
    expect(screen).not.toContain('replay finished');
    session.keys('q');
    screen = await session.waitFor(/EXIT=\d+/, 'the exit code');
    expect(screen).toMatch(/EXIT=0/);
  }, 120_000);

  it('leaves no recording of a view whose start was refused: q ends it with 2, and the file it made is gone', async () => {
    const server = await createEventsServer({ source: createSimulatedCloud({ seed: 7, rate: 0, namespaces: ['ann'] }), users: [{ username: 'ann', apikey: 'e2e-right-key' }], logger: silentLogger });
    try {
      const file = join(dir, 'refused-view.ndjson');
      const session = Session.start('refused-record', `${EVENTS} watch --host ${server.url.replace('http', 'ws')}/ --user ann --apikey e2e-wrong-key --record ${file}`, 160, 24);
      sessions.push(session);
      await session.waitFor(/✖ stopped: authentication failed/, 'the refusal', 40_000);
      session.keys('q');
      const screen = await session.waitFor(/EXIT=\d+/, 'the exit code');
      expect(screen).toContain(`events: ${file} not written: the connection never got through`);
      expect(screen).toMatch(/EXIT=2/);
      expect(existsSync(file)).toBe(false);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('counts down to the next attempt while the server is down, and goes live again when it is back', async () => {
    const port = await freePort();
    const users = join(dir, 'users.json');
    const apikey = 'e2e-reconnect-key';
    writeFileSync(users, JSON.stringify({ users: [{ username: 'ann', apikey }] }));
    const startServer = async () => {
      const child = spawn(process.execPath, ['--conditions=@events/source', '--import', 'tsx', 'packages/server/src/bin.ts', '--port', String(port), '--users', users, '--seed', '7', '--rate', '0', '--log-level', 'silent'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      servers.push(child);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('events-server did not start')), 30_000);
        child.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('listening on')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`events-server exited with ${code}`)));
      });
      return child;
    };

    let server = await startServer();
    const session = Session.start('reconnect', `${EVENTS} watch --host ws://127.0.0.1:${port} --user ann --apikey ${apikey}`, 120, 40);
    sessions.push(session);
    await session.waitFor(/● live/, 'live', 40_000);
    const first = await session.waitFor(/▾ [●◐◌○] \w/, 'the stacks');
    const stack = /▾ [●◐◌○] (\S+)/.exec(first)?.[1] as string;

    server.kill('SIGKILL');
    let screen = await session.waitFor(/◌ reconnecting in \d+ s \(attempt \d+\)/, 'the reconnect countdown');
    expect(screen.split('\n')[0]).toMatch(/data as of \d\d:\d\d:\d\d/);
    checkFixture('reconnecting-120x40.txt', screen);

    server = await startServer();
    screen = await session.waitFor(/● live/, 'live again', 40_000);
    expect(screen).toContain(` ${stack} `);
    expect(screen.split('\n')[0]).not.toContain('as of');

    session.keys('q');
    screen = await session.waitFor(/EXIT=\d+/, 'the exit code');
    expect(screen).toMatch(/EXIT=0/);
    server.kill('SIGTERM');
  }, 120_000);
});
