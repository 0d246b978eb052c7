import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

// A program in a detached tmux session of its own server (socket), driven with send-keys and read
// with capture-pane: the real thing in a real terminal.

/** Whether tmux is installed (the tests that drive the view need it). */
export function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export class TmuxSession {
  private constructor(
    private readonly socket: string,
    readonly name: string,
  ) {}

  /**
   * Starts `command` under sh in `cwd`, in a window of `columns`×`rows`. Its exit code is printed
   * (`EXIT=n`) for the test to read after it ends. Without the test runner's NODE_ENV,
   * FORCE_COLOR and CI variables: the program runs as in a user's terminal.
   */
  static start(socket: string, name: string, cwd: string, command: string, columns: number, rows: number): TmuxSession {
    const session = new TmuxSession(socket, name);
    session.tmux('new-session', '-d', '-s', name, '-x', String(columns), '-y', String(rows), `cd ${cwd} && env -u NODE_ENV -u FORCE_COLOR -u CI -u CONTINUOUS_INTEGRATION ${command}; echo "EXIT=$?"; sleep 600`);
    session.tmux('set-option', '-t', name, 'window-size', 'manual');
    return session;
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  capture(): string {
    return this.tmux('capture-pane', '-p', '-t', this.name);
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  /** Polls the screen until `check` holds; throws with the last screen after `timeoutMs`. */
  async waitFor(check: RegExp | ((screen: string) => boolean), what: string, timeoutMs = 20_000): Promise<string> {
    const test = typeof check === 'function' ? check : (screen: string) => check.test(screen);
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      screen = this.capture();
      if (test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    throw new Error(`timed out waiting for ${what}; the screen was:\n${screen}`);
  }

  /** Ends the session and, as it is the only one on its socket, the tmux server; the socket file goes too. */
  kill(): void {
    let path = '';
    try {
      path = this.tmux('display-message', '-p', '#{socket_path}').trim();
      this.tmux('kill-session', '-t', this.name);
    } catch {
      // already gone
    }
    if (path !== '') rmSync(path, { force: true });
  }
}

/** The selected row of the view: the one with the cursor mark. */
export const selectedRow = (screen: string): string => screen.split('\n').find((line) => line.startsWith('▌')) ?? '';
