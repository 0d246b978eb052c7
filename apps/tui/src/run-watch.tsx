// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import type { EventFilter, LiveTree } from '@events/core';
import { render } from 'ink';
import { ExitCode } from './cli-options.js';
import { App } from './components/app.js';
import { boundInkTextCaches } from './components/bound-ink-text-caches.js';
import { installInkOutputCache } from './components/install-ink-output-cache.js';
import { ThemeContext } from './components/theme.js';
import { createEventLog } from './event-log.js';
import { exitCodeOfStop } from './run-tail.js';
import { initialViewFor } from './state/view-modes.js';
import { fieldsCacheOf, type OpenedSource } from './open-source.js';
import { enterAlternateScreen, osc52 } from './terminal-session.js';

export interface WatchOptions {
  /** Narrows the events pane of a source opened without an event log (openSource attaches its own with the same filter). */
  readonly filter: EventFilter | null;
  readonly stdout: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly stderr: NodeJS.WriteStream;
  readonly color: boolean;
}

/** The exit code a view ends with: what the connection says when the user leaves (a replay played to its end is no failure). */
function exitCodeOf(tree: LiveTree, sourceEnded: boolean): number {
  const { connection } = tree.getSnapshot();
  if (connection.phase !== 'stopped' || sourceEnded) return ExitCode.ok;
  return connection.stopReason === 'auth' || connection.stopReason === 'fatal' ? exitCodeOfStop(connection) : ExitCode.ok;
}

/**
 * Runs the live view on a terminal until the user quits (q, Ctrl-C) or a signal ends it, and
 * always gives the terminal back as it was: alternate screen left on every path, normal exit,
 * crash, SIGINT, SIGTERM, SIGHUP. Resolves with the exit code.
 */
export async function runWatch(opened: OpenedSource, options: WatchOptions): Promise<number> {
  const { tree } = opened;
  const { stdout } = options;
  let sourceEnded = false;
  void opened.ended.then(() => {
    sourceEnded = true;
  });
  // openSource attached the log when it made the tree: events arrive while this module, React
  // and Ink load, and each must be in the pane and its count. A source opened without one (a
  // test, an embedder) gets one now, and owns it here.
  const ownsLog = opened.eventLog === undefined;
  const log = opened.eventLog ?? createEventLog();
  if (ownsLog) log.attach(tree, { filter: options.filter });
  // On the source's clock (a replay's: the recording's), as the view is: the times of fields and ages agree.
  // A replay reads fields from the recording and sends no GET that only a server could answer.
  const fields = fieldsCacheOf(opened);

  // The App takes a bracketed paste as text (keymap.ts resolvePaste), never as keys.
  const screen = enterAlternateScreen(stdout, { bracketedPaste: true });
  let settle: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    settle = resolve;
  });
  const onExit = () => screen.leave();
  const onSignal = () => settle(ExitCode.ok);
  const onCrash = (error: unknown) => {
    screen.leave();
    options.stderr.write(`events: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    settle(ExitCode.failure);
  };
  // A terminal that went away (SIGHUP, a closed tmux pane) fails writes with EIO: end quietly.
  const onStdoutError = () => settle(ExitCode.ok);
  stdout.on('error', onStdoutError);
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  // Ink redoes the text of every row on every frame; this keeps the rows that did not change.
  await installInkOutputCache();
  // Ink 6.8 never forgets a text it laid out: a view that runs for days must trim that.
  await boundInkTextCaches();
  const instance = render(
    <ThemeContext.Provider value={{ color: options.color }}>
      <App
        tree={tree}
        eventLog={log}
        fields={fields}
        title={opened.title}
        replay={opened.replay === true}
        // One clock for the view and its fields: a replay's ages, "as of" and fetch times are of the recording's time, not of today's.
        now={fields.now}
        {...(opened.notice !== undefined ? { notice: opened.notice } : {})}
        types={opened.types ?? null}
        // A run with --type opens on the view that shows its types (--type node: the nodes view).
        initialState={{ view: initialViewFor(opened.types ?? null), ...(opened.notice !== undefined ? { status: { text: opened.notice, tone: 'info' } } : {}) }}
        onQuit={() => settle(exitCodeOf(tree, sourceEnded))}
        onYank={(uri) => stdout.write(osc52(uri))}
      />
    </ThemeContext.Provider>,
    {
      stdout,
      stdin: options.stdin,
      stderr: options.stderr,
      exitOnCtrlC: false, // Ctrl-C is a key of ours (quit), so the screen is restored first
      patchConsole: true,
      incrementalRendering: false,
      // Frames are paced by the stores (≤ 10 Hz each); this only bounds the wait of a key press.
      maxFps: 60,
    },
  );
  instance.waitUntilExit().then(
    () => settle(exitCodeOf(tree, sourceEnded)),
    (error: unknown) => onCrash(error),
  );

  const code = await finished;
  try {
    instance.unmount();
  } catch {
    // Already unmounted (Ink exited on its own).
  }
  screen.leave();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  process.off('exit', onExit);
  // onStdoutError stays: writes still queued for a dead terminal may fail after this.
  if (ownsLog) log.close();
  fields.close();
  return code;
}
