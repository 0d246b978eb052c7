import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONFIRM_KEYMAP, FILTER_KEYMAP, formatKey, HELP_KEYMAP, helpSections, keyNameOf, keyPresses, NORMAL_KEYMAP, PASTE_IS_NO_KEYS, pasteMarkerOf, resolveKey, resolvePaste, SCALE_KEYMAP } from './keymap.js';

describe('keyNameOf', () => {
  it('names special keys as Ink reports them', () => {
    expect(keyNameOf('', { upArrow: true })).toBe('up');
    expect(keyNameOf('', { pageDown: true })).toBe('pagedown');
    expect(keyNameOf('\r', { return: true })).toBe('enter');
    expect(keyNameOf('', { escape: true, meta: true } as never)).toBe('escape');
    expect(keyNameOf('', { tab: true, shift: true })).toBe('shift-tab');
    expect(keyNameOf('', { delete: true })).toBe('delete');
  });

  it('names ctrl combinations and printable characters', () => {
    expect(keyNameOf('c', { ctrl: true })).toBe('ctrl-c');
    expect(keyNameOf('G', { shift: true })).toBe('G');
    expect(keyNameOf(' ', {})).toBe('space');
    expect(keyNameOf('+', {})).toBe('+');
  });

  it('gives null for text of several characters (a paste)', () => {
    expect(keyNameOf('web', {})).toBeNull();
  });
});

describe('keyPresses', () => {
  it('splits a burst of typed keys into one press per character', () => {
    expect(keyPresses('jjl', {}).map((p) => p.name)).toEqual(['j', 'j', 'l']);
  });

  it('names the control characters of a burst by their key', () => {
    expect(keyPresses('web\rp', {}).map((p) => p.name)).toEqual(['w', 'e', 'b', 'enter', 'p']);
    expect(keyPresses('a\u007f\u001b', {}).map((p) => p.name)).toEqual(['a', 'delete', 'escape']);
    expect(keyPresses('x\u0004', {}).map((p) => p.name)).toEqual(['x', 'ctrl-d']);
  });

  it('reads a key that came with an Escape before it (Ink folds ESC x, read in one chunk, into x with meta) as Escape, then the key', () => {
    // Esc then y, typed quickly or read late by a busy view: the prompt is cancelled, and y does what y does after it.
    expect(keyPresses('y', { meta: true })).toEqual([
      { name: 'escape', input: '' },
      { name: 'y', input: 'y' },
    ]);
    expect(keyPresses('q', { meta: true }).map((p) => p.name)).toEqual(['escape', 'q']);
    expect(keyPresses('5', { meta: true }).map((p) => p.name)).toEqual(['escape', '5']);
    // Escape itself is reported with meta: one press.
    expect(keyPresses('', { escape: true, meta: true })).toEqual([{ name: 'escape', input: '' }]);
  });

  it('cancels a confirmation on Esc y read in one chunk, and never confirms it', () => {
    const [esc, y] = keyPresses('y', { meta: true });
    expect(resolveKey('confirm', esc?.name ?? null, esc?.input ?? '')).toEqual({ type: 'cancel' });
    expect(resolveKey('normal', y?.name ?? null, y?.input ?? '')).toEqual({ type: 'yank' });
  });

  it('keeps a single key as it is', () => {
    expect(keyPresses('', { upArrow: true })).toEqual([{ name: 'up', input: '' }]);
  });

  it('yields exactly one press per character of any plain burst', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 2, maxLength: 20, unit: fc.constantFrom(...'abcjkl/?+-=qpy0129 \r') }), (text) => {
        const presses = keyPresses(text, {});
        expect(presses.map((p) => p.input).join('')).toBe(text);
        expect(presses).toHaveLength([...text].length);
      }),
    );
  });
});

describe('resolveKey', () => {
  it('maps the k9s/htop keys of the main view', () => {
    expect(resolveKey('normal', 'j', 'j')).toEqual({ type: 'move', by: 1 });
    expect(resolveKey('normal', 'up', '')).toEqual({ type: 'move', by: -1 });
    expect(resolveKey('normal', 'G', 'G')).toEqual({ type: 'bottom' });
    expect(resolveKey('normal', '/', '/')).toEqual({ type: 'filter-start' });
    expect(resolveKey('normal', 'T', 'T')).toEqual({ type: 'operate', operation: 'terminate' });
    // Backspace reads as Delete (0x7f): neither may open a terminate prompt.
    expect(resolveKey('normal', 'delete', '')).toBeNull();
    expect(resolveKey('normal', 'backspace', '')).toBeNull();
    expect(resolveKey('normal', 'ctrl-c', 'c')).toEqual({ type: 'quit' });
    expect(resolveKey('normal', 'x', 'x')).toBeNull();
  });

  it('types printable keys into the filter, but keeps its own keys', () => {
    expect(resolveKey('filter', 'j', 'j')).toEqual({ type: 'filter-input', text: 'j' });
    expect(resolveKey('filter', 'q', 'q')).toEqual({ type: 'filter-input', text: 'q' });
    expect(resolveKey('filter', null, 'web')).toEqual({ type: 'filter-input', text: 'web' });
    expect(resolveKey('filter', 'enter', '\r')).toEqual({ type: 'filter-accept' });
    expect(resolveKey('filter', 'delete', '')).toEqual({ type: 'filter-backspace' });
    expect(resolveKey('filter', 'up', '')).toBeNull();
  });

  it('takes only digits in the scale prompt', () => {
    expect(resolveKey('scale', '7', '7')).toEqual({ type: 'scale-input', text: '7' });
    expect(resolveKey('scale', 'x', 'x')).toBeNull();
    expect(resolveKey('scale', 'enter', '\r')).toEqual({ type: 'scale-accept' });
  });

  it('asks y or n in the confirmation', () => {
    expect(resolveKey('confirm', 'y', 'y')).toEqual({ type: 'confirm' });
    expect(resolveKey('confirm', 'escape', '')).toEqual({ type: 'cancel' });
    expect(resolveKey('confirm', 'j', 'j')).toBeNull();
  });

  it('closes the help with ? or Esc, turns its pages with j k PgDn PgUp Space, and ignores the other keys', () => {
    expect(resolveKey('help', '?', '?')).toEqual({ type: 'help-close' });
    expect(resolveKey('help', 'j', 'j')).toEqual({ type: 'help-page', by: 1 });
    expect(resolveKey('help', 'space', ' ')).toEqual({ type: 'help-page', by: 1 });
    expect(resolveKey('help', 'pageup', '')).toEqual({ type: 'help-page', by: -1 });
    expect(resolveKey('help', 'G', 'G')).toEqual({ type: 'help-page', by: Number.POSITIVE_INFINITY });
    expect(resolveKey('help', 's', 's')).toBeNull();
  });

  it('lets Ctrl-C quit from every mode', () => {
    for (const mode of ['normal', 'filter', 'confirm', 'scale', 'help'] as const) {
      expect(resolveKey(mode, 'ctrl-c', 'c')).toEqual({ type: 'quit' });
    }
  });
});

describe('the keymap tables', () => {
  it('bind every key once per mode', () => {
    for (const table of [NORMAL_KEYMAP, FILTER_KEYMAP, CONFIRM_KEYMAP, SCALE_KEYMAP, HELP_KEYMAP]) {
      const keys = table.flatMap((binding) => binding.keys);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it('resolve every key of the main table to its own command (the handler uses the table)', () => {
    for (const binding of NORMAL_KEYMAP) {
      for (const key of binding.keys) expect(resolveKey('normal', key, key.length === 1 ? key : '')).toBe(binding.command);
    }
  });

  it('generate the help from the table: every binding, with its keys, in the overlay', () => {
    const entries = helpSections().flatMap((section) => section.entries);
    for (const binding of NORMAL_KEYMAP) {
      expect(entries).toContainEqual({ keys: binding.keys.map(formatKey).join(' '), help: binding.help });
    }
    for (const binding of [...FILTER_KEYMAP, ...SCALE_KEYMAP, ...CONFIRM_KEYMAP].filter((b) => b.command.type !== 'quit')) {
      expect(entries).toContainEqual({ keys: binding.keys.map(formatKey).join(' '), help: binding.help });
    }
  });

  it('writes keys the way help screens do', () => {
    expect(formatKey('ctrl-d')).toBe('^D');
    expect(formatKey('down')).toBe('↓');
    expect(formatKey('G')).toBe('G');
  });
});

describe('resolvePaste', () => {
  it('knows the markers of a bracketed paste as Ink hands them over', () => {
    expect(pasteMarkerOf('[200~')).toBe('start');
    expect(pasteMarkerOf('[201~')).toBe('end');
    expect(pasteMarkerOf('j')).toBeNull();
  });

  it('gives the prompts that take text the first line pasted, and runs no key anywhere', () => {
    expect(resolvePaste('filter', 'cron\rpostgres\r')).toEqual({ type: 'filter-input', text: 'cron' });
    expect(resolvePaste('filter', '\r  web-1 \n')).toEqual({ type: 'filter-input', text: 'web-1' });
    expect(resolvePaste('filter', '\r')).toBeNull();
    expect(resolvePaste('scale', '3\r')).toEqual({ type: 'scale-input', text: '3' });
    expect(resolvePaste('scale', '3 containers')).toBeNull();
    expect(resolvePaste('normal', 'https://x')).toEqual({ type: 'status', tone: 'info', text: PASTE_IS_NO_KEYS });
    // A y pasted at a prompt that asks is no answer; nor is anything in the help or on a screen too small.
    for (const mode of ['confirm', 'help', 'too-small'] as const) expect(resolvePaste(mode, 'y')).toBeNull();
  });
});
