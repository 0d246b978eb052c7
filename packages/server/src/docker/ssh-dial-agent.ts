import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { Agent, type ClientRequestArgs } from 'node:http';
import { Duplex } from 'node:stream';
import { bareHost } from './docker-host.js';

/** Where the engine's host is and who logs in: from an `ssh://[user@]host[:port]` address. */
export interface SshDialTarget {
  /** A name or an IP address; an IPv6 address with or without its brackets. */
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  /**
   * The ssh program and the arguments to put before docker's own, e.g. `['ssh', '-F', '/etc/events/ssh_config']`.
   * Default `['ssh']`: the OpenSSH client found on PATH.
   */
  readonly sshCommand?: readonly [string, ...string[]];
  /** The ssh program's environment (SSH_AUTH_SOCK, PATH, ...). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The arguments docker's CLI gives ssh for an `ssh://` host (cli/connhelper), in batch mode: a server has nobody to answer a prompt. */
export function sshDialArguments(target: SshDialTarget): string[] {
  return [
    ...['-o', 'ConnectTimeout=30', '-o', 'BatchMode=yes', '-T'],
    ...(target.username !== undefined ? ['-l', target.username] : []),
    ...['-p', String(target.port)],
    '--',
    bareHost(target.host),
    ...['docker', 'system', 'dial-stdio'],
  ];
}

/** What ssh said last on stderr, on one line: "Host key verification failed.", "Permission denied (publickey)." */
function lastWords(stderr: string): string {
  return stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^Warning: Permanently added/.test(line))
    .slice(-3)
    .join(' ')
    .slice(0, 300);
}

/**
 * One connection to the engine: the standard input and output of `ssh … docker system
 * dial-stdio`. Destroying it ends the ssh process; ssh exiting before it is done destroys it
 * with what ssh said. It has the few net.Socket methods an http.Agent that keeps connections
 * alive calls (ref, unref, setKeepAlive, setNoDelay, setTimeout).
 */
class SshChannel extends Duplex {
  readonly #child: ChildProcessWithoutNullStreams;
  #stderr = '';
  /** The idle timeout, as net.Socket has it: 0 for none. The agent reads it. */
  timeout = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #referenced = true;

  constructor(child: ChildProcessWithoutNullStreams, what: string) {
    super();
    this.#child = child;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-4096);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      this.#active();
      if (!this.push(chunk)) child.stdout.pause();
    });
    // EPIPE when ssh is gone: its exit says why.
    child.stdin.on('error', () => {});
    child.once('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'ENOENT' ? `cannot run ${what}: it is not installed (an OpenSSH client is needed for ssh:// addresses)` : `cannot run ${what}: ${error.message}`;
      this.destroy(new Error(reason, { cause: error }));
    });
    // The end of the output waits for ssh's exit: a failed login ends the output too, and the
    // request should fail with what ssh said, not with "socket hang up".
    child.once('close', (code, signal) => {
      if (this.destroyed) return;
      if (code === 0) {
        // Once what ssh passed on is read, the connection is over: closed, so that the agent
        // drops it (an agent listens for 'close', not 'end').
        this.once('end', () => this.destroy());
        this.push(null);
        return;
      }
      const said = lastWords(this.#stderr);
      // ssh prefixes some of its messages ("ssh: connect to host …"), not others ("Host key verification failed.").
      this.destroy(new Error(said !== '' ? said.replace(/^(ssh: )?/, 'ssh: ') : `ssh exited with ${code !== null ? `code ${code}` : signal}`));
    });
  }

  override _read(): void {
    this.#child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#active();
    this.#child.stdin.write(chunk, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    // ssh gone already: there is nothing left to end, and end() would never call back.
    if (this.#child.stdin.destroyed) callback();
    else this.#child.stdin.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#idleTimer);
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill();
    callback(error);
  }

  /** Emits 'timeout' after `ms` without a byte either way, as net.Socket does (the agent then ends an idle connection). */
  setTimeout(ms: number, onTimeout?: () => void): this {
    this.timeout = ms;
    if (onTimeout !== undefined) this.once('timeout', onTimeout);
    this.#active();
    return this;
  }

  #active(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (this.timeout > 0 && !this.destroyed) {
      this.#idleTimer = setTimeout(() => this.emit('timeout'), this.timeout);
      if (!this.#referenced) this.#idleTimer.unref();
    }
  }

  /** An idle connection kept by the agent does not keep the process alive: neither its ssh process nor its pipes. */
  unref(): this {
    return this.#reference(false);
  }

  ref(): this {
    return this.#reference(true);
  }

  #reference(on: boolean): this {
    this.#referenced = on;
    const method = on ? 'ref' : 'unref';
    this.#child[method]();
    for (const pipe of [this.#child.stdin, this.#child.stdout, this.#child.stderr]) (pipe as Partial<Record<'ref' | 'unref', () => void>>)[method]?.();
    this.#idleTimer?.[method]();
    return this;
  }

  /** No TCP socket of ours to tune: ssh has its own. */
  setKeepAlive(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }
}

/** How long an ssh connection is kept for the next call: longer than the source's 10 s between pings. */
export const SSH_IDLE_MS = 30_000;

/**
 * An http.Agent whose every connection is `docker system dial-stdio` run on the engine's host
 * by the OpenSSH client, as docker's CLI does for `ssh://`: the user's ~/.ssh/config, keys,
 * ssh-agent and known_hosts apply, so a host key that is unknown or changed is refused, never
 * trusted silently. Batch mode: a passphrase or a password is never asked for. Connections are
 * kept alive between calls ({@link SSH_IDLE_MS}), so that pings and a re-list's inspects do not
 * each log in again; `agent.destroy()` ends them all.
 *
 * @example
 * const agent = createSshDialAgent({ host: 'box', port: 22, username: 'me', env: process.env });
 * http.request({ host: 'box', path: '/_ping', agent });
 */
export function createSshDialAgent(target: SshDialTarget): Agent {
  const [program, ...leading] = target.sshCommand ?? ['ssh'];
  const args = [...leading, ...sshDialArguments(target)];
  const agent = new Agent({ keepAlive: true, timeout: SSH_IDLE_MS, scheduling: 'lifo' });
  agent.createConnection = (_options: ClientRequestArgs) => {
    const child = spawn(program, args, { env: target.env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    return new SshChannel(child, program) as unknown as ReturnType<Agent['createConnection']>;
  };
  return agent;
}
