// Loaded before anything else of `events` (src/cli.ts imports the rest only after this is in
// place): nothing but Node built-ins here, so that a Ctrl-C while the rest loads (seconds, run
// from source) is already ours, a normal end, not Node's default death by signal (exit 130).
import { readFileSync } from 'node:fs';

/** The signals that end `events` normally (exit 0), as a user's Ctrl-C, kill or a closed terminal. */
export type StopSignalName = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/**
 * Whether SIGHUP is in the ignored set of a /proc/PID/status text (its `SigIgn:` line, a hex mask
 * in which bit N-1 is signal N; SIGHUP is 1): what `nohup` or `trap "" HUP` leaves a process
 * it starts. False when the line is missing or unreadable.
 *
 * @example
 * hupIgnored('SigIgn:\t0000000000001001\n') // true
 */
export function hupIgnored(status: string): boolean {
  const match = /^SigIgn:\s*([0-9a-fA-F]+)\s*$/m.exec(status);
  if (match === null) return false;
  const last = (match[1] as string).at(-1) as string;
  return (Number.parseInt(last, 16) & 1) === 1;
}

/**
 * Whether this process started with SIGHUP ignored, on Linux (elsewhere: false). Read before
 * anything of ours installs a handler. Node 20 resets an inherited "ignore" to the default while
 * it starts, before any JavaScript runs, so on it this says false under `nohup` too; a Node or
 * embedder that keeps the inherited disposition is honoured.
 */
export function startedWithHupIgnored(platform: NodeJS.Platform = process.platform, read: () => string = () => readFileSync('/proc/self/status', 'utf8')): boolean {
  if (platform !== 'linux') return false;
  try {
    return hupIgnored(read());
  } catch {
    return false;
  }
}

export interface StopSignals {
  /** Aborted by the first of the signals; its reason is the signal's name. */
  readonly signal: AbortSignal;
  /** The signals listened to: SIGHUP only when it was not ignored at start. */
  readonly names: readonly StopSignalName[];
  /** Stops listening (the signals get Node's default again, unless someone else listens). */
  dispose(): void;
}

/**
 * Listens to SIGINT, SIGTERM and, unless it was ignored when the process started (`nohup`),
 * SIGHUP, each a request to stop normally: the signal aborts. Listening keeps Node from dying
 * of them, from the moment this is called.
 *
 * @example
 * const stop = installStopSignals(process, startedWithHupIgnored());
 * stop.signal.addEventListener('abort', () => finish(0));
 */
export function installStopSignals(target: Pick<NodeJS.Process, 'on' | 'off'>, hupWasIgnored: boolean): StopSignals {
  const controller = new AbortController();
  const names: StopSignalName[] = hupWasIgnored ? ['SIGINT', 'SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const listeners = names.map((name) => {
    const listener = () => controller.abort(name);
    target.on(name, listener);
    return [name, listener] as const;
  });
  return {
    signal: controller.signal,
    names,
    dispose: () => {
      for (const [name, listener] of listeners) target.off(name, listener);
    },
  };
}
