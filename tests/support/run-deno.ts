import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';

const require = createRequire(import.meta.url);

/**
 * The npm package `deno`'s launcher (its bin entry, a Node script that runs the binary it ships),
 * or undefined when the package is not installed.
 */
export function denoLauncher(): string | undefined {
  try {
    const pkgPath = require.resolve('deno/package.json');
    const pkg = require(pkgPath) as { bin: string | Record<string, string> };
    return join(dirname(pkgPath), typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin.deno as string));
  } catch {
    return undefined;
  }
}

/** A Deno run started by {@link spawnDeno}. */
export interface DenoRun {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Resolves with the exit code once the run ended and its output closed. */
  readonly exited: Promise<number | null>;
  /** What the run printed so far (stdout is also readable as a stream, e.g. line by line). */
  output(): { readonly stdout: string; readonly stderr: string };
  /** Ends the run: the launcher and the deno it started (idempotent). */
  stop(): void;
}

/**
 * Runs `deno <args>` through the npm launcher, in a process group of its own: the launcher runs
 * deno as its child, so killing the launcher alone (what `spawn`'s `timeout` does) would leave
 * deno running after a timed-out test. `stop()` kills the whole group. A fresh DENO_DIR per run
 * keeps runs from sharing a module cache; no update check.
 */
export function spawnDeno(args: readonly string[], options: { readonly cwd: string; readonly timeoutMs?: number }): DenoRun {
  const launcher = denoLauncher();
  if (launcher === undefined) throw new Error('the npm package deno is not installed');
  const child = spawn(process.execPath, [launcher, ...args], {
    cwd: options.cwd,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: mkdtempSync(join(tmpdir(), 'deno-')) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const stop = () => {
    clearTimeout(timer);
    if (ended || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  };
  const timer = setTimeout(stop, options.timeoutMs ?? 60_000);
  void exited.then(() => clearTimeout(timer));
  return { child, exited, output: () => ({ stdout, stderr }), stop };
}
