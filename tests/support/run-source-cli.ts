import { spawn } from 'node:child_process';

/** How a command line run from source ended. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunSourceCliOptions {
  /** Variables besides PATH and HOME: nothing else of the machine's environment reaches the run. */
  readonly env?: Readonly<Record<string, string>>;
  /** Past this, the run is killed and the promise rejects (20 s). */
  readonly timeoutMs?: number;
  /** Sends SIGTERM (a user's Ctrl-C or kill) after this long. */
  readonly stopAfterMs?: number;
}

/**
 * Runs a package's command line as a user runs it from source (`node --conditions=@events/source
 * --import tsx script ...args`, piped, no build), to its end. The environment is PATH and HOME
 * plus `env`, so no DOCKERCLOUD_* or DOCKER_HOST of the machine running the tests changes what
 * it does.
 *
 * @example
 * const { code, stderr } = await runSourceCli(PACKAGE, 'src/cli.ts', ['tail', '--rate', '-1']);
 */
export function runSourceCli(cwd: string, script: string, args: readonly string[], options: RunSourceCliOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@events/source', '--import', 'tsx', script, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const stop = options.stopAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), options.stopAfterMs);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not end in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(stop);
      resolve({ code, stdout, stderr });
    });
  });
}
