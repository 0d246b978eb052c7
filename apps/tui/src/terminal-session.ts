/** Switches to the alternate screen (xterm 1049: saves the cursor, clears) and homes the cursor. */
export const ENTER_ALTERNATE_SCREEN = '\u001b[?1049h\u001b[H';
/** Back to the normal screen as it was, cursor visible again. */
export const LEAVE_ALTERNATE_SCREEN = '\u001b[?1049l\u001b[?25h';

export interface ScreenSession {
  /** Leaves the alternate screen; safe to call any number of times, from any exit path. */
  leave(): void;
  readonly active: boolean;
}

/**
 * Enters the alternate screen by hand (Ink 6 does not) so the view does not scroll the user's
 * shell away, and leaves it exactly once.
 *
 * @example
 * const screen = enterAlternateScreen(process.stdout);
 * process.on('exit', () => screen.leave());
 */
export function enterAlternateScreen(stream: { write(text: string): unknown }): ScreenSession {
  let active = true;
  stream.write(ENTER_ALTERNATE_SCREEN);
  return {
    leave() {
      if (!active) return;
      active = false;
      try {
        stream.write(LEAVE_ALTERNATE_SCREEN);
      } catch {
        // stdout may already be gone (a closed terminal): nothing left to restore.
      }
    },
    get active() {
      return active;
    },
  };
}

/**
 * The OSC 52 sequence that puts `text` on the system clipboard (terminals and tmux with
 * set-clipboard on honour it; others ignore it).
 *
 * @example
 * osc52('/api/app/v1/demo/service/5f1c/') // '\u001b]52;c;L2FwaS9...\u0007'
 */
export function osc52(text: string): string {
  return `\u001b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\u0007`;
}

/**
 * Whether colours are wanted: NO_COLOR set to anything non-empty turns them off, as the
 * convention says; FORCE_COLOR=0 too.
 *
 * @example
 * colorFromEnv({ NO_COLOR: '1' }) // false
 */
export function colorFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  return true;
}
