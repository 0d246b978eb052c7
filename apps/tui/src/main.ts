// What `events` runs once src/cli.ts has its stop signals in place (see there).
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { toEventsError } from '@events/core';
import { mustBe } from '@events/server/cli-rules';
import { ExitCode, HELP_TEXT, parseCliOptions, type RunOptions } from './cli-options.js';
import { type OpenedSource, openSource } from './open-source.js';
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

/**
 * Opens the file a session is recorded to: a new one (`wx`: an existing file is refused, and
 * nothing is created then), or with `overwrite` a replaced one.
 */
async function openRecordingFile(file: string, overwrite: boolean): Promise<WriteStream> {
  const stream = createWriteStream(file, { flags: overwrite ? 'w' : 'wx' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return stream;
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
  let recording: WriteStream | undefined;
  if (options.record !== undefined) {
    try {
      recording = await openRecordingFile(options.record, options.overwrite === true);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        // Refused as a command-line mistake (exit 2): a recording made earlier is not replaced unasked.
        return fail(mustBe('--record', 'a file that does not exist yet', options.record, ': it exists (add --overwrite to replace it)'), ExitCode.usage);
      }
      return fail(`cannot record to ${options.record}: ${(error as Error).message}`);
    }
  }
  const stopRecording = () => new Promise<void>((resolve) => (recording === undefined ? resolve() : recording.end(() => resolve())));
  let opened: OpenedSource;
  try {
    const stream = recording;
    opened = await openSource(options, stream === undefined ? {} : { record: (line) => stream.writable && stream.write(`${line}\n`) });
  } catch (error) {
    await stopRecording();
    const events = toEventsError(error);
    return fail(events.message, events.code === 'auth' || events.code === 'forbidden' ? ExitCode.auth : ExitCode.failure);
  }

  let code: number = ExitCode.failure;
  try {
    if (stopped(stop)) {
      code = ExitCode.ok;
    } else if (interactive) {
      const { runWatch } = await import('./run-watch.js');
      // Ink and React take a while to load: a Ctrl-C meanwhile ends here, the terminal untouched.
      if (stopped(stop)) return ExitCode.ok;
      code = await runWatch(opened, { filter: options.filter, stdout: process.stdout, stdin: process.stdin, stderr: process.stderr, color: colorFromEnv(process.env) });
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
    const closing = Promise.allSettled([opened.close()]).then(stopRecording);
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
  }
  return code;
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

