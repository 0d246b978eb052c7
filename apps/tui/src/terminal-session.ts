/** Switches to the alternate screen (xterm 1049: saves the cursor, clears) and homes the cursor. */
export const ENTER_ALTERNATE_SCREEN = '\u001b[?1049h\u001b[H';
/** Back to the normal screen as it was, cursor visible again. */
export const LEAVE_ALTERNATE_SCREEN = '\u001b[?1049l\u001b[?25h';
/**
 * Bracketed paste (xterm 2004): the terminal marks pasted text (ESC [200~ … ESC [201~), so that
 * the view takes it as text, never as keys: unmarked, a pasted `https://…` was h, t, t, p (pause)
 * and s (start the selected object).
 */
export const ENABLE_BRACKETED_PASTE = '\u001b[?2004h';
export const DISABLE_BRACKETED_PASTE = '\u001b[?2004l';

export interface ScreenSession {
  /** Leaves the alternate screen; safe to call any number of times, from any exit path. */
  leave(): void;
  readonly active: boolean;
}

/**
 * Enters the alternate screen by hand (Ink 6 does not) so the view does not scroll the user's
 * shell away, and leaves it exactly once. With `bracketedPaste`, asks for bracketed paste too
 * (for an input handler that knows its markers, as the App does: any other would read them as
 * keys), and gives it up when leaving.
 *
 * @example
 * const screen = enterAlternateScreen(process.stdout, { bracketedPaste: true });
 * process.on('exit', () => screen.leave());
 */
export function enterAlternateScreen(stream: { write(text: string): unknown }, options: { readonly bracketedPaste?: boolean } = {}): ScreenSession {
  let active = true;
  const paste = options.bracketedPaste === true;
  stream.write(ENTER_ALTERNATE_SCREEN + (paste ? ENABLE_BRACKETED_PASTE : ''));
  return {
    leave() {
      if (!active) return;
      active = false;
      try {
        stream.write((paste ? DISABLE_BRACKETED_PASTE : '') + LEAVE_ALTERNATE_SCREEN);
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

/** Whether `events watch` can draw its full-screen view here, and if not, why (for the note on stderr). */
export type FullScreenSupport = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly force?: string };

/**
 * Whether the full-screen view can work: stdin and stdout must be terminals (keys are read raw,
 * the screen is drawn with escape sequences), and the terminal must be one that takes them:
 * TERM=dumb (Emacs' shell, some IDE consoles) and an unset TERM say it is not. Otherwise
 * `watch` prints one event per line, as `tail` does. Pure: the environment is passed in.
 *
 * @example
 * fullScreenSupport({ TERM: 'dumb' }, true, true) // { ok: false, reason: 'TERM=dumb cannot draw the full-screen view', force: ... }
 * fullScreenSupport({ TERM: 'xterm-256color' }, true, true) // { ok: true }
 */
export function fullScreenSupport(env: Readonly<Record<string, string | undefined>>, stdinIsTerminal: boolean, stdoutIsTerminal: boolean, platform: string = 'linux'): FullScreenSupport {
  if (!stdinIsTerminal || !stdoutIsTerminal) {
    const which = stdoutIsTerminal ? 'stdin is' : stdinIsTerminal ? 'stdout is' : 'stdin and stdout are';
    return { ok: false, reason: `${which} not a terminal` };
  }
  const term = env.TERM?.trim() ?? '';
  // The user's terminal may well draw it: they can say so by naming its type.
  const force = "to force the view, set TERM to your terminal's type (e.g. TERM=xterm-256color events watch)";
  if (term.toLowerCase() === 'dumb') return { ok: false, reason: `TERM=${term} cannot draw the full-screen view`, force };
  // Windows terminals set no TERM and draw it all the same.
  if (term === '' && platform !== 'win32') return { ok: false, reason: 'TERM is not set, so the terminal may not draw the full-screen view', force };
  return { ok: true };
}

/**
 * The one line `watch` writes on stderr when it prints lines instead of its view.
 *
 * @example
 * fallbackNote({ ok: false, reason: 'stdout is not a terminal' }) // 'events: stdout is not a terminal, printing one event per line (events tail)\n'
 */
export function fallbackNote(support: Extract<FullScreenSupport, { ok: false }>): string {
  return `events: ${support.reason}, printing one event per line (events tail)${support.force === undefined ? '' : `; ${support.force}`}\n`;
}
