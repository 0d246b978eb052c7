import type { Command, InputModeKind } from './state/view-state.js';

/** The fields of Ink's `Key` that name a key (a structural subset, so tests need no Ink). */
export interface KeyFlags {
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly tab?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly ctrl?: boolean;
  readonly shift?: boolean;
  readonly meta?: boolean;
}

/**
 * The name of a key press as the keymap spells it: a printable character as itself (`j`, `G`,
 * `/`, `+`), else `up`, `down`, `left`, `right`, `pageup`, `pagedown`, `home`, `end`, `enter`,
 * `escape`, `tab`, `shift-tab`, `backspace`, `delete`, `space`, `ctrl-<letter>`. Null for
 * pasted text (several characters at once).
 *
 * Terminals send 0x7f for the Backspace key, which Ink reports as `delete`, so Backspace and
 * Delete are one key here.
 *
 * @example
 * keyNameOf('j', {}) // 'j'
 * keyNameOf('', { upArrow: true }) // 'up'
 * keyNameOf('c', { ctrl: true }) // 'ctrl-c'
 */
export function keyNameOf(input: string, key: KeyFlags): string | null {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'escape';
  if (key.tab) return key.shift ? 'shift-tab' : 'tab';
  if (key.backspace) return 'backspace';
  if (key.delete) return 'delete';
  if (key.ctrl && input.length === 1) return `ctrl-${input.toLowerCase()}`;
  if (input === ' ') return 'space';
  if ([...input].length === 1) return input;
  return null;
}

/** One key press: its name (see keyNameOf) and the text it typed. */
export interface KeyPress {
  readonly name: string | null;
  readonly input: string;
}

/** The name of one character typed in a burst: control characters by their key, the rest as themselves. */
function keyNameOfChar(char: string): string {
  const code = char.charCodeAt(0);
  if (char === '\r' || char === '\n') return 'enter';
  if (char === '\t') return 'tab';
  if (code === 0x7f) return 'delete'; // what the Backspace key sends, as Ink reads it
  if (code === 0x08) return 'backspace';
  if (code === 0x1b) return 'escape';
  if (char === ' ') return 'space';
  if (code >= 1 && code <= 26) return `ctrl-${String.fromCharCode(code + 96)}`;
  return char;
}

/** A C0 control or DEL: a key, never text typed into a prompt. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * The key presses in one chunk of input. Ink hands over a burst of typed keys (fast typing, key
 * repeat on a busy loop, tmux send-keys) as one string, like a paste (it splits off escape
 * sequences only); each character is then a key press of its own, so `jjl` moves twice and
 * unfolds and `web\r` types a filter and accepts it. A key Ink reports with meta (ESC and the
 * key, read in one chunk) is Escape, then the key.
 *
 * @example
 * keyPresses('jjl', {}) // [{ name: 'j', input: 'j' }, { name: 'j', input: 'j' }, { name: 'l', input: 'l' }]
 */
export function keyPresses(input: string, key: KeyFlags): readonly KeyPress[] {
  // Ink reads ESC and the key after it, when they come in one chunk (typed quickly, or read late
  // by a busy view), as one press of that key with meta, and drops the Escape: Esc y would
  // confirm the prompt it meant to cancel. Nothing here is bound to Alt (which terminals send as
  // that same ESC x): it is Escape, then the key.
  if (key.meta === true && key.escape !== true && [...input].length === 1 && !CONTROL_CHARACTER.test(input)) {
    return [{ name: 'escape', input: '' }, ...keyPresses(input, { ...key, meta: false })];
  }
  const name = keyNameOf(input, key);
  if (name !== null || [...input].length <= 1) return [{ name, input }];
  return [...input].map((char) => ({ name: keyNameOfChar(char), input: char }));
}

export type KeyGroup = 'Move' | 'Tree' | 'View' | 'Operate' | 'App';

/** One line of the keymap: the keys, what they do, and the help text the overlay shows. */
export interface KeyBinding {
  readonly keys: readonly string[];
  readonly command: Command;
  readonly help: string;
  readonly group: KeyGroup;
}

/** The keys of the main view, k9s/htop style. The help overlay is generated from this table. */
export const NORMAL_KEYMAP: readonly KeyBinding[] = [
  { keys: ['j', 'down'], command: { type: 'move', by: 1 }, help: 'next row', group: 'Move' },
  { keys: ['k', 'up'], command: { type: 'move', by: -1 }, help: 'previous row', group: 'Move' },
  { keys: ['ctrl-d', 'pagedown'], command: { type: 'page', by: 1 }, help: 'page down', group: 'Move' },
  { keys: ['ctrl-u', 'pageup'], command: { type: 'page', by: -1 }, help: 'page up', group: 'Move' },
  { keys: ['g', 'home'], command: { type: 'top' }, help: 'first row', group: 'Move' },
  { keys: ['G', 'end'], command: { type: 'bottom' }, help: 'last row', group: 'Move' },
  { keys: ['l', 'right'], command: { type: 'expand' }, help: 'unfold (or step into)', group: 'Tree' },
  { keys: ['h', 'left'], command: { type: 'collapse' }, help: 'fold (or go to parent)', group: 'Tree' },
  { keys: ['enter', 'space'], command: { type: 'toggle' }, help: 'fold / unfold', group: 'Tree' },
  { keys: ['1'], command: { type: 'view', view: 'stacks' }, help: 'stacks → services → containers', group: 'View' },
  { keys: ['2'], command: { type: 'view', view: 'nodes' }, help: 'node clusters → nodes → containers', group: 'View' },
  { keys: ['3'], command: { type: 'view', view: 'containers' }, help: 'all containers', group: 'View' },
  { keys: ['tab'], command: { type: 'next-view', by: 1 }, help: 'next view', group: 'View' },
  { keys: ['shift-tab'], command: { type: 'next-view', by: -1 }, help: 'previous view', group: 'View' },
  { keys: ['/'], command: { type: 'filter-start' }, help: 'filter (name, parent, state, type, id)', group: 'View' },
  { keys: ['escape'], command: { type: 'escape' }, help: 'clear filter / message', group: 'View' },
  { keys: ['o'], command: { type: 'sort-next' }, help: 'sort: name → state → age', group: 'View' },
  { keys: ['p'], command: { type: 'pause' }, help: 'pause / resume the view', group: 'View' },
  { keys: ['f'], command: { type: 'faults' }, help: 'events pane: only faults (✖ ◐) / all', group: 'View' },
  { keys: ['s'], command: { type: 'operate', operation: 'start' }, help: 'start', group: 'Operate' },
  { keys: ['S'], command: { type: 'operate', operation: 'stop' }, help: 'stop (asks)', group: 'Operate' },
  { keys: ['r'], command: { type: 'operate', operation: 'redeploy' }, help: 'redeploy (asks)', group: 'Operate' },
  { keys: ['+'], command: { type: 'scale-by', by: 1 }, help: 'scale service up by one', group: 'Operate' },
  { keys: ['-'], command: { type: 'scale-by', by: -1 }, help: 'scale service down by one', group: 'Operate' },
  { keys: ['='], command: { type: 'scale-prompt' }, help: 'scale service to N', group: 'Operate' },
  // Not on Delete: terminals send Backspace as 0x7f, which reads as Delete, and a user editing the
  // filter with Backspace must never land on a terminate prompt.
  { keys: ['T'], command: { type: 'operate', operation: 'terminate' }, help: 'terminate (asks)', group: 'Operate' },
  { keys: ['y'], command: { type: 'yank' }, help: 'copy resource URI (OSC 52)', group: 'App' },
  { keys: ['R'], command: { type: 'reconnect' }, help: 'reconnect now', group: 'App' },
  { keys: ['?'], command: { type: 'help' }, help: 'this help', group: 'App' },
  { keys: ['q', 'ctrl-c'], command: { type: 'quit' }, help: 'quit', group: 'App' },
];

/** Typing the filter: everything printable goes into it. */
export const FILTER_KEYMAP: readonly KeyBinding[] = [
  { keys: ['enter', 'down'], command: { type: 'filter-accept' }, help: 'keep the filter, back to the list', group: 'View' },
  { keys: ['escape'], command: { type: 'filter-cancel' }, help: 'clear the filter', group: 'View' },
  { keys: ['backspace', 'delete'], command: { type: 'filter-backspace' }, help: 'delete a character', group: 'View' },
  { keys: ['ctrl-c'], command: { type: 'quit' }, help: 'quit', group: 'App' },
];

/** Answering "are you sure?". */
export const CONFIRM_KEYMAP: readonly KeyBinding[] = [
  { keys: ['y', 'Y'], command: { type: 'confirm' }, help: 'yes, do it', group: 'Operate' },
  { keys: ['n', 'N', 'escape', 'q'], command: { type: 'cancel' }, help: 'no', group: 'Operate' },
  { keys: ['ctrl-c'], command: { type: 'quit' }, help: 'quit', group: 'App' },
];

/** Typing a number of containers. */
export const SCALE_KEYMAP: readonly KeyBinding[] = [
  { keys: ['enter'], command: { type: 'scale-accept' }, help: 'scale to the number typed', group: 'Operate' },
  { keys: ['escape'], command: { type: 'cancel' }, help: 'cancel', group: 'Operate' },
  { keys: ['backspace', 'delete'], command: { type: 'scale-backspace' }, help: 'delete a digit', group: 'Operate' },
  { keys: ['ctrl-c'], command: { type: 'quit' }, help: 'quit', group: 'App' },
];

/** With the help overlay open: it pages when the terminal is too small for all of it at once. */
export const HELP_KEYMAP: readonly KeyBinding[] = [
  { keys: ['j', 'down', 'pagedown', 'space', 'ctrl-d'], command: { type: 'help-page', by: 1 }, help: 'next page of help', group: 'Move' },
  { keys: ['k', 'up', 'pageup', 'ctrl-u'], command: { type: 'help-page', by: -1 }, help: 'previous page of help', group: 'Move' },
  { keys: ['g', 'home'], command: { type: 'help-page', by: Number.NEGATIVE_INFINITY }, help: 'first page of help', group: 'Move' },
  { keys: ['G', 'end'], command: { type: 'help-page', by: Number.POSITIVE_INFINITY }, help: 'last page of help', group: 'Move' },
  { keys: ['?', 'escape', 'q', 'enter'], command: { type: 'help-close' }, help: 'close help', group: 'App' },
  { keys: ['ctrl-c'], command: { type: 'quit' }, help: 'quit', group: 'App' },
];

/**
 * While the terminal is too small to draw the view, which says "enlarge it, or q to quit": only
 * quitting works, whatever mode the view was in, so that no key acts on what nobody can see (a
 * stop asked and confirmed blind, a filter that takes the q).
 */
export const TOO_SMALL_KEYMAP: readonly KeyBinding[] = [{ keys: ['q', 'ctrl-c'], command: { type: 'quit' }, help: 'quit', group: 'App' }];

export const KEYMAPS: Readonly<Record<InputModeKind, readonly KeyBinding[]>> = {
  normal: NORMAL_KEYMAP,
  filter: FILTER_KEYMAP,
  confirm: CONFIRM_KEYMAP,
  scale: SCALE_KEYMAP,
  help: HELP_KEYMAP,
};

function index(bindings: readonly KeyBinding[]): ReadonlyMap<string, Command> {
  const map = new Map<string, Command>();
  for (const binding of bindings) {
    for (const key of binding.keys) {
      // Two bindings for one key would make the help overlay lie about one of them.
      if (map.has(key)) throw new Error(`keymap: ${JSON.stringify(key)} is bound twice`);
      map.set(key, binding.command);
    }
  }
  return map;
}

const INDEXES: Readonly<Record<InputModeKind, ReadonlyMap<string, Command>>> = {
  normal: index(NORMAL_KEYMAP),
  filter: index(FILTER_KEYMAP),
  confirm: index(CONFIRM_KEYMAP),
  scale: index(SCALE_KEYMAP),
  help: index(HELP_KEYMAP),
};
const TOO_SMALL_INDEX = index(TOO_SMALL_KEYMAP);

/**
 * The command for a key press in a mode, from the same tables the help overlay shows. In the
 * filter and scale prompts, printable text that is not bound becomes input. `too-small`: the
 * terminal cannot show the view (TOO_SMALL_KEYMAP).
 *
 * @example
 * resolveKey('normal', 'j', 'j') // { type: 'move', by: 1 }
 * resolveKey('filter', 'j', 'j') // { type: 'filter-input', text: 'j' }
 */
export function resolveKey(mode: InputModeKind | 'too-small', name: string | null, input: string): Command | null {
  if (mode === 'too-small') return (name === null ? undefined : TOO_SMALL_INDEX.get(name)) ?? null;
  const bound = name === null ? undefined : INDEXES[mode].get(name);
  if (bound !== undefined) return bound;
  const printable = input !== '' && !CONTROL_CHARACTER.test(input) && (name === null || name === 'space' || [...name].length === 1);
  if (mode === 'filter' && printable) return { type: 'filter-input', text: input };
  if (mode === 'scale' && printable && /^[0-9]+$/.test(input)) return { type: 'scale-input', text: input };
  return null;
}

/**
 * Where a bracketed paste starts and ends (ESC [200~, ESC [201~), as Ink hands the markers over:
 * on their own, without the ESC. Null for anything else.
 */
export function pasteMarkerOf(input: string): 'start' | 'end' | null {
  if (input === '[200~') return 'start';
  if (input === '[201~') return 'end';
  return null;
}

/** What the list says of text pasted where no prompt takes it. */
export const PASTE_IS_NO_KEYS = 'pasted text is not keys: press / to filter, then paste';

/**
 * The command for text pasted (bracketed) in a mode: text for the prompt that takes text (its
 * first non-blank line, trimmed: a name copied with its line break, or two lines copied by
 * mistake), and never keys: in the list, pasted text would otherwise run a key per character.
 *
 * @example
 * resolvePaste('filter', 'cron\rpostgres\r') // { type: 'filter-input', text: 'cron' }
 * resolvePaste('normal', 'https://x') // { type: 'status', tone: 'info', text: PASTE_IS_NO_KEYS }
 */
export function resolvePaste(mode: InputModeKind | 'too-small', text: string): Command | null {
  const line = text.split(/[\r\n]/).find((part) => part.trim() !== '')?.trim() ?? '';
  switch (mode) {
    case 'filter':
      return line === '' ? null : { type: 'filter-input', text: line };
    case 'scale':
      return /^[0-9]+$/.test(line) ? { type: 'scale-input', text: line } : null;
    case 'normal':
      return line === '' ? null : { type: 'status', tone: 'info', text: PASTE_IS_NO_KEYS };
    default:
      // A prompt that asks y or n, the help, a screen too small: a paste answers none of them.
      return null;
  }
}

/** How a key is written in help: `↓` for down, `^D` for ctrl-d. */
export function formatKey(name: string): string {
  const names: Readonly<Record<string, string>> = {
    up: '↑',
    down: '↓',
    left: '←',
    right: '→',
    pageup: 'PgUp',
    pagedown: 'PgDn',
    home: 'Home',
    end: 'End',
    enter: 'Enter',
    escape: 'Esc',
    tab: 'Tab',
    'shift-tab': 'S-Tab',
    backspace: 'Bksp',
    delete: 'Del',
    space: 'Space',
  };
  if (name.startsWith('ctrl-')) return `^${name.slice(5).toUpperCase()}`;
  return names[name] ?? name;
}

export interface HelpSection {
  readonly title: string;
  readonly entries: readonly { readonly keys: string; readonly help: string }[];
}

/**
 * The help overlay's content, generated from the keymap tables so it cannot drift from what the
 * keys do.
 *
 * @example
 * helpSections()[0] // { title: 'Move', entries: [{ keys: 'j ↓', help: 'next row' }, ...] }
 */
export function helpSections(): readonly HelpSection[] {
  const groups = new Map<string, { keys: string; help: string }[]>();
  for (const binding of NORMAL_KEYMAP) {
    const list = groups.get(binding.group) ?? [];
    list.push({ keys: binding.keys.map(formatKey).join(' '), help: binding.help });
    groups.set(binding.group, list);
  }
  const sections: HelpSection[] = [...groups].map(([title, entries]) => ({ title, entries }));
  const prompt = (title: string, bindings: readonly KeyBinding[]) => ({
    title,
    entries: bindings.filter((b) => b.command.type !== 'quit').map((b) => ({ keys: b.keys.map(formatKey).join(' '), help: b.help })),
  });
  sections.push(prompt('Filter prompt', FILTER_KEYMAP));
  sections.push(prompt('Scale prompt', SCALE_KEYMAP));
  sections.push(prompt('Confirmation (S r T ask)', CONFIRM_KEYMAP));
  return sections;
}
