// What `events` runs once src/cli.ts has its stop signals in place (see there).
import { readFileSync, statSync } from 'node:fs';
import { toEventsError } from '@events/core';
import { mustBe } from '@events/server/cli-rules';
import { ExitCode, HELP_TEXT, parseCliOptions, type RunOptions } from './cli-options.js';
import { type OpenedSource, openSource } from './open-source.js';
import { openRecordingFile, type RecordingFile } from './recording-file.js';
import { runTail } from './run-tail.js';
import type { StopSignals } from './stop-signals.js';
import { colorFromEnv, fallbackNote, fullScreenSupport } from './terminal-session.js';

/** How long closing the source may take before we exit anyway. */
const CLOSE_GRACE_MS = 2_000;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const fail = (message: string, code: number = ExitCode.failure): number => {
  process.stderr.write(`events: ${message}\n`);
  return code;
};

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A stop requested (Ctrl-C, SIGTERM, SIGHUP) while `events` was starting: a normal end, before anything more starts. */
const stopped = (stop: StopSignals) => stop.signal.aborted;

async function run(options: RunOptions, stop: StopSignals): Promise<number> {
  if (stopped(stop)) return ExitCode.ok;
  // `watch` draws its view only where that can work; elsewhere it prints lines, as `tail` does.
  const support = fullScreenSupport(process.env, process.stdin.isTTY === true, process.stdout.isTTY === true, process.platform);
  const interactive = options.command === 'watch' && support.ok;
  if (interactive) {
    // chalk (which colours every line, ours and Ink's) decides once, when first loaded, how many
    // colours the terminal has, and any CI variable, even CI=false, makes it choose none: load
    // it while the environment is still the user's.
    await import('chalk');
    // Ink draws nothing until exit when it believes it runs in CI (it reads CI when first
    // imported, below). A terminal on both ends means a person is watching: draw.
    process.env.CI = 'false';
    process.env.CONTINUOUS_INTEGRATION = 'false';
    // React's development build checks every render; a terminal UI in use wants the production
    // one. Set before anything loads React: `react` and Ink's `react-reconciler` each pick their
    // build when first loaded, and a development `react` with a production reconciler hangs.
    process.env.NODE_ENV ??= 'production';
  }
  // The recording wraps the network port the tree is built over, so the file is open first.
  let recording: RecordingFile | undefined;
  if (options.record !== undefined) {
    try {
      recording = openRecordingFile(options.record, options.overwrite === true);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code === 'EEXIST' || code === 'EISDIR') && isDirectory(options.record)) {
        // Not "it exists (add --overwrite)": no flag makes a directory a recording.
        return fail(mustBe('--record', 'a file', options.record, ': it is a directory'), ExitCode.usage);
      }
      if (code === 'EEXIST') {
        // Refused as a command-line mistake (exit 2): a recording made earlier is not replaced unasked.
        return fail(mustBe('--record', 'a file that does not exist yet', options.record, ': it exists (add --overwrite to replace it)'), ExitCode.usage);
      }
      return fail(`cannot record to ${options.record}: ${(error as Error).message}`);
    }
  }
  /**
   * Ends the recording. It is kept once the source was live, or when `events` ends normally (a
   * stop while it connects: what the network said until then). A start that failed (refused
   * credentials, no events server there) leaves no file, or the one --overwrite named as it was,
   * and says so: a retry can record to the same name.
   */
  const stopRecording = async (code: number) => {
    if (recording === undefined) return;
    const end = await recording.close(code === ExitCode.ok);
    if (end !== 'written') process.stderr.write(`events: ${options.record} ${end === 'removed' ? 'not written' : 'left as it was'}: the connection never got through\n`);
    if (recording.failure !== null) process.stderr.write(`events: the recording to ${options.record} is incomplete: ${recording.failure.message}\n`);
  };
  let opened: OpenedSource;
  try {
    const file = recording;
    opened = await openSource(options, file === undefined ? {} : { record: (line) => file.write(line) });
  } catch (error) {
    const events = toEventsError(error);
    const code = fail(events.message, events.code === 'auth' || events.code === 'forbidden' ? ExitCode.auth : ExitCode.failure);
    await stopRecording(code);
    return code;
  }
  // Live once: the session got through, and its recording is kept whatever happens after.
  const keepOnceLive = () => {
    if (opened.tree.getSnapshot().connection.phase === 'live') recording?.keep();
  };
  const stopKeeping = recording === undefined ? () => {} : opened.tree.subscribe(keepOnceLive);
  keepOnceLive();

  let code: number = ExitCode.failure;
  try {
    if (stopped(stop)) {
      code = ExitCode.ok;
    } else if (interactive) {
      const { runWatch } = await import('./run-watch.js');
      // Ink and React take a while to load: a Ctrl-C meanwhile ends here, the terminal untouched.
      code = stopped(stop) ? ExitCode.ok : await runWatch(opened, { filter: options.filter, stdout: process.stdout, stdin: process.stdin, stderr: process.stderr, color: colorFromEnv(process.env) });
    } else {
      if (options.command === 'watch' && !support.ok) process.stderr.write(fallbackNote(support));
      // SIGINT, SIGTERM and SIGHUP (a closed terminal, unless started under nohup) end it
      // normally, the recording finished (src/cli.ts listens from the start).
      const closedOutput = new AbortController();
      const onClosed = () => closedOutput.abort();
      // `events tail | head` closes the pipe: a normal end, not a crash. So does `2>&1 | head`
      // while only connection news is written (a server that is down): stderr fails first.
      process.stdout.on('error', onClosed);
      process.stderr.on('error', onClosed);
      code = await runTail(opened, {
        format: options.format,
        filter: options.filter,
        ...(options.count !== undefined ? { count: options.count } : {}),
        write: (text) => process.stdout.write(text),
        onDrain: (listener) => process.stdout.once('drain', listener),
        warn: (text) => process.stderr.write(text),
        signal: AbortSignal.any([stop.signal, closedOutput.signal]),
      });
    }
  } finally {
    // The tree closes first, so the recording ends with what the network said until then.
    stopKeeping();
    const closing = Promise.allSettled([opened.close()]).then(() => stopRecording(code));
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
  }
  // A recording asked for and lost (a full disk) is no normal end: a script must not take it as whole.
  return code === ExitCode.ok && recording?.failure != null ? ExitCode.failure : code;
}

/**
 * Runs `events` with these arguments until its end, and exits with its code. `stop` is listening
 * already (src/cli.ts): a stop requested before here ends it normally.
 */
export function start(argv: readonly string[], stop: StopSignals): void {
  main(argv, stop).then(
    // Let what is written reach the pipe, then go, whatever handles (sockets, stdin) remain.
    (code) => {
      process.exitCode = code;
      process.stdout.write('', () => process.exit(code));
    },
    (error: unknown) => {
      process.stderr.write(`events: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(ExitCode.failure);
    },
  );
}

async function main(argv: readonly string[], stop: StopSignals): Promise<number> {
  const command = parseCliOptions(argv, process.env);
  switch (command.kind) {
    case 'help':
      process.stdout.write(HELP_TEXT);
      return ExitCode.ok;
    case 'version':
      process.stdout.write(`${version()}\n`);
      return ExitCode.ok;
    case 'usage-error':
      return fail(`${command.message}\nRun "events --help" for the options.`, ExitCode.usage);
    case 'run':
      return run(command.options, stop);
  }
}

