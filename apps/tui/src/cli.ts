#!/usr/bin/env node
// The `events` command. A Ctrl-C, SIGTERM or closed terminal is a normal end (exit 0) from the
// first moment: the stop signals are listened to before the rest of `events` loads (seconds when
// run from source), which is why it is imported only then. SIGHUP is left alone when the process
// started with it ignored (nohup), as read here before anything of ours listens.
import { installStopSignals, startedWithHupIgnored } from './stop-signals.js';

const stop = installStopSignals(process, startedWithHupIgnored());
import('./main.js').then(
  ({ start }) => start(process.argv.slice(2), stop),
  (error: unknown) => {
    process.stderr.write(`events: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
