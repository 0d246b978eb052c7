import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A program that prints one JSON value per line on stdout, read as the lines come. */
export interface JsonLinesProcess<Line> {
  /** Every line so far, parsed. */
  readonly lines: Line[];
  /** Resolves with the first line that satisfies `predicate`; rejects when the program exits first or after `timeoutMs`. */
  waitFor(predicate: (line: Line) => boolean, timeoutMs?: number): Promise<Line>;
  /** Resolves when the program has exited, with its code and everything it wrote on stderr. */
  finished(): Promise<{ code: number | null; stderr: string }>;
}

const running = new Set<ChildProcess>();

/** Kills every program started by {@link startJsonLines} that is still running (for afterEach). */
export function killJsonLinesProcesses(): void {
  for (const child of running) child.kill();
  running.clear();
}

/** Starts `command` with only PATH and `env` in its environment. */
export function startJsonLines<Line>(command: string, args: readonly string[], env: Record<string, string>): JsonLinesProcess<Line> {
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const lines: Line[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout }).on('line', (text) => {
    lines.push(JSON.parse(text) as Line);
    for (const check of [...waiters]) check();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const describe = () => `lines: ${JSON.stringify(lines)}; stderr: ${stderr}`;
  return {
    lines,
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(predicate);
          if (found !== undefined) finish(() => resolve(found));
        };
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms; ${describe()}`))), timeoutMs);
        waiters.add(check);
        // Lines still in the pipe at exit are read before 'close' of stdout: check once more then.
        void exited.then(() => setImmediate(() => waiters.has(check) && finish(() => reject(new Error(`the program exited; ${describe()}`)))));
        check();
      });
    },
    async finished() {
      const code = await exited;
      return { code, stderr };
    },
  };
}
