#!/usr/bin/env node
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { toEventsError } from '@events/core';
import { ExitCode, HELP_TEXT, parseCliOptions, type RunOptions } from './cli-options.js';
import { type OpenedSource, openSource } from './open-source.js';
import { runTail } from './run-tail.js';
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

async function openRecordingFile(file: string): Promise<WriteStream> {
  const stream = createWriteStream(file, { flags: 'w' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return stream;
}

async function run(options: RunOptions): Promise<number> {
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
      recording = await openRecordingFile(options.record);
    } catch (error) {
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
    return fail(events.message, events.code === 'auth' ? ExitCode.auth : ExitCode.failure);
  }

  let code: number = ExitCode.failure;
  try {
    if (interactive) {
      const { runWatch } = await import('./run-watch.js');
      code = await runWatch(opened, { filter: options.filter, stdout: process.stdout, stdin: process.stdin, stderr: process.stderr, color: colorFromEnv(process.env) });
    } else {
      if (options.command === 'watch' && !support.ok) process.stderr.write(fallbackNote(support));
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // `events tail | head` closes the pipe: a normal end, not a crash. So does `2>&1 | head`
      // while only connection news is written (a server that is down): stderr fails first.
      process.stdout.on('error', onSignal);
      process.stderr.on('error', onSignal);
      code = await runTail(opened, {
        format: options.format,
        filter: options.filter,
        ...(options.count !== undefined ? { count: options.count } : {}),
        write: (text) => process.stdout.write(text),
        onDrain: (listener) => process.stdout.once('drain', listener),
        warn: (text) => process.stderr.write(text),
        signal: stop.signal,
      });
    }
  } finally {
    // The tree closes first, so the recording ends with what the network said until then.
    const closing = Promise.allSettled([opened.close()]).then(stopRecording);
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
  }
  return code;
}

async function main(argv: readonly string[]): Promise<number> {
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
      return run(command.options);
  }
}

main(process.argv.slice(2)).then(
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
