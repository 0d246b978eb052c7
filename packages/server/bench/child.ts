// The orchestrator's side of the child processes: compiling them, forking them, typed messages
// with waits that time out, and killing every one of them on the way out.
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The children run as plain JS bundles, here (gitignored: `.bench-out/`). */
const OUT = join(HERE, '..', '.bench-out');

const children = new Set<ChildProcess>();

/** Kills every child still running (SIGKILL: they hold nothing worth a graceful exit). */
export function killChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

/**
 * Bundles the children with esbuild (the workspace's sources in, npm packages left as imports).
 * Not through tsx: tsx compiles with esbuild's `keepNames`, which wraps every function in
 * `__name(fn, "x")`, and defining `name` on a closure gives it a 256-byte property dictionary.
 * Our server makes ~16 closures per connection, so under tsx an idle connection measured
 * ~4 KB more than the same code compiled by tsc. Bundled without keepNames, we measure what ships.
 */
export async function compileChildren(): Promise<void> {
  const entries = ['servers/ours', 'servers/plain-ws', 'servers/socketio', 'clients/subscribers'];
  await build({
    entryPoints: Object.fromEntries(entries.map((entry) => [entry, join(HERE, `${entry}.ts`)])),
    outdir: OUT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@events/source'],
    logLevel: 'warning',
    plugins: [
      {
        name: 'npm-packages-external',
        setup(esbuild) {
          // Bare imports other than the workspace's own packages load from node_modules at run time.
          esbuild.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@events/') ? undefined : { path: args.path, external: true }));
        },
      },
    ],
  });
}

type Report = { readonly type: string };

/**
 * A forked child (`file` relative to the bundle folder) with typed messages.
 *
 * @example
 * const server = new Child<ServerCommand, ServerReport>('servers/ours.js', ['--expose-gc'], 'ours server');
 * const { port } = await server.next('listening', 20_000);
 */
export class Child<C, R extends Report> {
  readonly proc: ChildProcess;
  private readonly waiters = new Set<(report: R) => boolean>();

  constructor(
    file: string,
    execArgv: readonly string[],
    readonly name: string,
  ) {
    this.proc = fork(join(OUT, file), [], { execArgv: [...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (report: R) => {
      for (const waiter of [...this.waiters]) if (waiter(report)) this.waiters.delete(waiter);
    });
    this.proc.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) console.error(`  ! ${name} exited with code ${code}`);
    });
    children.add(this.proc);
  }

  send(command: C): void {
    this.proc.send(command as object);
  }

  /** Listens until the returned function is called. */
  on(listener: (report: R) => void): () => void {
    const waiter = (report: R) => {
      listener(report);
      return false;
    };
    this.waiters.add(waiter);
    return () => this.waiters.delete(waiter);
  }

  /** The next report of `type`; rejects after `timeoutMs`. */
  next<T extends R['type']>(type: T, timeoutMs: number): Promise<Extract<R, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (report: R) => {
        if (report.type !== type) return false;
        clearTimeout(timer);
        resolve(report as Extract<R, { type: T }>);
        return true;
      };
      this.waiters.add(waiter);
    });
  }

  request<T extends R['type']>(command: C, type: T, timeoutMs = 10_000): Promise<Extract<R, { type: T }>> {
    const answer = this.next(type, timeoutMs);
    this.send(command);
    return answer;
  }

  /** Asks the child to close, and kills it if it has not exited within 4 s. */
  async stop(command: C): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    try {
      this.send(command);
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 4_000);
    await exited;
    clearTimeout(timer);
    children.delete(this.proc);
  }
}
