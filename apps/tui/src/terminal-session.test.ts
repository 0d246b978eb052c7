import { describe, expect, it } from 'vitest';
import { colorFromEnv, DISABLE_BRACKETED_PASTE, ENABLE_BRACKETED_PASTE, enterAlternateScreen, fallbackNote, fullScreenSupport, osc52 } from './terminal-session.js';

describe('fullScreenSupport', () => {
  it('draws the view in a terminal that says what it is', () => {
    expect(fullScreenSupport({ TERM: 'xterm-256color' }, true, true)).toEqual({ ok: true });
    expect(fullScreenSupport({ TERM: 'screen' }, true, true)).toEqual({ ok: true });
    // Windows terminals set no TERM.
    expect(fullScreenSupport({}, true, true, 'win32')).toEqual({ ok: true });
  });

  it('prints lines on TERM=dumb or without TERM, and says how to force the view', () => {
    for (const env of [{ TERM: 'dumb' }, { TERM: 'DUMB' }, {}, { TERM: '' }]) {
      const support = fullScreenSupport(env, true, true, 'linux');
      expect(support.ok).toBe(false);
      if (support.ok) continue;
      const note = fallbackNote(support);
      expect(note).toMatch(/^events: (TERM=dumb cannot draw|TERM=DUMB cannot draw|TERM is not set)/);
      expect(note).toContain('printing one event per line (events tail)');
      expect(note).toContain('TERM=xterm-256color events watch');
      expect(note.indexOf('\n')).toBe(note.length - 1); // one line
    }
  });

  it('prints lines when either end is not a terminal, whatever TERM says (nothing to force there)', () => {
    const note = (stdin: boolean, stdout: boolean) => {
      const support = fullScreenSupport({ TERM: 'xterm' }, stdin, stdout);
      return support.ok ? '' : fallbackNote(support);
    };
    expect(note(true, false)).toBe('events: stdout is not a terminal, printing one event per line (events tail)\n');
    expect(note(false, true)).toBe('events: stdin is not a terminal, printing one event per line (events tail)\n');
    expect(note(false, false)).toBe('events: stdin and stdout are not a terminal, printing one event per line (events tail)\n');
  });
});

describe('terminal helpers', () => {
  it('turns colours off with NO_COLOR or FORCE_COLOR=0', () => {
    expect(colorFromEnv({})).toBe(true);
    expect(colorFromEnv({ NO_COLOR: '1' })).toBe(false);
    expect(colorFromEnv({ NO_COLOR: '' })).toBe(true);
    expect(colorFromEnv({ FORCE_COLOR: '0' })).toBe(false);
  });

  it('asks for bracketed paste with the alternate screen, and gives it up when leaving, once', () => {
    const written: string[] = [];
    const screen = enterAlternateScreen({ write: (text: string) => written.push(text) }, { bracketedPaste: true });
    expect(written.join('')).toContain(ENABLE_BRACKETED_PASTE);
    screen.leave();
    screen.leave();
    expect(written.join('').split(DISABLE_BRACKETED_PASTE)).toHaveLength(2);
    expect(written.join('').endsWith('\u001b[?1049l\u001b[?25h')).toBe(true);
    // Only when asked: an input handler that does not know the markers would read them as keys.
    const plain: string[] = [];
    enterAlternateScreen({ write: (text: string) => plain.push(text) }).leave();
    expect(plain.join('')).not.toMatch(/2004/);
  });

  it('puts text on the clipboard with OSC 52', () => {
    expect(osc52('/api/x/')).toBe(`\u001b]52;c;${Buffer.from('/api/x/').toString('base64')}\u0007`);
  });
});
