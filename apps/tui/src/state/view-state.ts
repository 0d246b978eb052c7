import { EventsError, type ObjectOperation, type ObjectType, OPERATIONS_OF_TYPE } from '@events/core';
import { TYPE_LABEL } from './format.js';
import { isExpandedByDefault, type Row, type RowList, SORT_KEYS, type SortKey } from './rows.js';
import { VIEW_MODES, type ViewMode } from './view-modes.js';

/** An operation the user asked for, with what the confirmation and status line call it. */
export interface OperationRequest {
  readonly uri: string;
  readonly operation: ObjectOperation;
  /** e.g. `service api`. */
  readonly label: string;
  readonly targetNumContainers?: number;
}

/** What keys mean right now. */
export type InputMode =
  | { readonly kind: 'normal' }
  | { readonly kind: 'filter' } // typing the filter
  /** The help overlay, on `page` (from 0; more than one only when the terminal is too small for all of it). */
  | { readonly kind: 'help'; readonly page: number }
  | { readonly kind: 'confirm'; readonly request: OperationRequest }
  | {
      readonly kind: 'scale';
      readonly uri: string;
      readonly label: string;
      readonly text: string;
      /** The text is the current target, shown selected: the first digit typed replaces it. */
      readonly selected: boolean;
      /** Why Enter did not scale, shown in the prompt until the text changes. */
      readonly problem: string | null;
    };

export type InputModeKind = InputMode['kind'];

/** The selected object of a view: by URI, with the last index to fall back on when it goes away. */
export interface Selection {
  readonly uri: string | null;
  readonly index: number;
}

export interface StatusMessage {
  readonly text: string;
  readonly tone: 'info' | 'error';
}

/** Everything the user controls; the data itself lives in the LiveTree. */
export interface ViewState {
  readonly view: ViewMode;
  readonly selection: Readonly<Record<ViewMode, Selection>>;
  /** Rows whose open/closed state differs from the default for their type. */
  readonly toggled: ReadonlySet<string>;
  readonly filter: string;
  readonly sort: SortKey;
  readonly paused: boolean;
  /** The events pane shows only failures and degraded states. */
  readonly faultsOnly: boolean;
  readonly mode: InputMode;
  readonly status: StatusMessage | null;
}

/** What the keymap (and the app, for `status`) asks the view to do. */
export type Command =
  | { readonly type: 'move'; readonly by: number }
  | { readonly type: 'page'; readonly by: 1 | -1 }
  | { readonly type: 'top' }
  | { readonly type: 'bottom' }
  | { readonly type: 'expand' }
  | { readonly type: 'collapse' }
  | { readonly type: 'toggle' }
  | { readonly type: 'view'; readonly view: ViewMode }
  | { readonly type: 'next-view'; readonly by: 1 | -1 }
  | { readonly type: 'filter-start' }
  | { readonly type: 'filter-input'; readonly text: string }
  | { readonly type: 'filter-backspace' }
  | { readonly type: 'filter-accept' }
  | { readonly type: 'filter-cancel' }
  | { readonly type: 'escape' }
  | { readonly type: 'sort-next' }
  | { readonly type: 'pause' }
  | { readonly type: 'faults' }
  | { readonly type: 'help' }
  | { readonly type: 'help-close' }
  /** Turns the help's pages by `by` (±Infinity: to the first or last), within `UpdateContext.helpPages`. */
  | { readonly type: 'help-page'; readonly by: number }
  | { readonly type: 'yank' }
  | { readonly type: 'operate'; readonly operation: Exclude<ObjectOperation, 'scale'> }
  | { readonly type: 'scale-by'; readonly by: number }
  | { readonly type: 'scale-prompt' }
  | { readonly type: 'scale-input'; readonly text: string }
  | { readonly type: 'scale-backspace' }
  | { readonly type: 'scale-accept' }
  | { readonly type: 'confirm' }
  | { readonly type: 'cancel' }
  /** The object a confirmation asks about is gone or terminated (the app watches for it). */
  | { readonly type: 'confirm-void'; readonly why: 'gone' | 'terminated' }
  | { readonly type: 'reconnect' }
  | { readonly type: 'quit' }
  | { readonly type: 'status'; readonly text: string; readonly tone: StatusMessage['tone'] };

/** What the app must do after an update: the reducer decides, the app runs it. */
export type Effect =
  | { readonly type: 'quit' }
  | { readonly type: 'yank'; readonly uri: string }
  | { readonly type: 'operate'; readonly request: OperationRequest }
  | { readonly type: 'reconnect' };

/** What an update needs to know beyond the state: the rows on screen and the data behind them. */
export interface UpdateContext {
  readonly rows: RowList;
  /** Rows per page (the tree pane's height). */
  readonly pageSize: number;
  /** The service's current target number of containers, when known. */
  readonly targetOf: (uri: string) => number | null;
  /** The object's state in the live tree, null when the tree no longer has it. */
  readonly stateOf: (uri: string) => string | null;
  /** Why operations cannot run at all (a replay has no server to act on); absent when they can. */
  readonly readOnly?: string;
  /** Why R cannot reconnect (a replay: the next socket it opens is the end of its recording); absent when it can. */
  readonly cannotReconnect?: string;
  /** How many pages the help overlay has at the terminal's size. Default 1. */
  readonly helpPages?: number;
  /** The views that can show anything of what the tree holds (see viewsShowing): Tab skips the others. Default: all. */
  readonly views?: readonly ViewMode[];
}


/** Operations that interrupt running work: they ask before they run. */
export const DESTRUCTIVE: ReadonlySet<ObjectOperation> = new Set(['stop', 'redeploy', 'terminate']);

/** Largest target a scale may ask for (the server refuses more). */
export const MAX_SCALE = 100;

/** What the scale prompt says of a number typed past MAX_SCALE; null for one within it. */
function tooMany(digits: string): string | null {
  return Number(digits) > MAX_SCALE ? `at most ${MAX_SCALE}` : null;
}

const NO_SELECTION: Selection = Object.freeze({ uri: null, index: 0 });

/**
 * The state at start: the stacks view, nothing selected yet (the first row is shown selected),
 * sorted by name.
 */
export function createViewState(overrides: Partial<ViewState> = {}): ViewState {
  return {
    view: 'stacks',
    selection: { stacks: NO_SELECTION, nodes: NO_SELECTION, containers: NO_SELECTION },
    toggled: new Set(),
    filter: '',
    sort: 'name',
    paused: false,
    faultsOnly: false,
    mode: { kind: 'normal' },
    status: null,
    ...overrides,
  };
}

/** Whether a row is open, given its type's default and the user's toggles. */
export function isExpanded(state: ViewState, uri: string, type: ObjectType): boolean {
  return isExpandedByDefault(type) !== state.toggled.has(uri);
}

/**
 * The index of the selected row: the row of the selected object wherever it moved, else (it
 * went away or was never chosen) the row now at the remembered index, clamped. -1 when empty.
 *
 * @example
 * const i = selectedIndex(state, rows); // rows.at(i) is what the cursor is on
 */
export function selectedIndex(state: ViewState, rows: RowList): number {
  const count = rows.length;
  if (count === 0) return -1;
  const selection = state.selection[state.view];
  if (selection.uri !== null) {
    const index = rows.indexOf(selection.uri);
    if (index !== -1) return index;
  }
  return Math.min(Math.max(selection.index, 0), count - 1);
}

/** The selected row, if any. */
export function selectedRow(state: ViewState, rows: RowList): Row | undefined {
  const index = selectedIndex(state, rows);
  return index === -1 ? undefined : rows.at(index);
}

function select(state: ViewState, rows: RowList, index: number): ViewState {
  const count = rows.length;
  if (count === 0) return state;
  const clamped = Math.min(Math.max(index, 0), count - 1);
  const row = rows.at(clamped) as Row;
  return { ...state, selection: { ...state.selection, [state.view]: { uri: row.uri, index: clamped } } };
}

function setOpen(state: ViewState, row: Row, open: boolean): ViewState {
  const toggled = new Set(state.toggled);
  if (open === isExpandedByDefault(row.object.type)) toggled.delete(row.uri);
  else toggled.add(row.uri);
  return { ...state, toggled };
}

function info(state: ViewState, text: string): ViewState {
  return { ...state, status: { text, tone: 'info' } };
}

function error(state: ViewState, text: string): ViewState {
  return { ...state, status: { text, tone: 'error' } };
}

const labelOf = (row: Row) => `${TYPE_LABEL[row.object.type]} ${row.name}`;

function operable(state: ViewState, row: Row | undefined, operation: ObjectOperation, context: UpdateContext): [ViewState, Row | null] {
  if (context.readOnly !== undefined) return [error(state, context.readOnly), null];
  if (row === undefined) return [error(state, 'nothing selected'), null];
  if (!OPERATIONS_OF_TYPE[row.object.type].includes(operation)) {
    return [error(state, `a ${TYPE_LABEL[row.object.type]} has no ${operation} operation`), null];
  }
  if (row.object.state === 'Terminated') return [error(state, `${labelOf(row)} is terminated`), null];
  return [state, row];
}

type Update = readonly [ViewState, readonly Effect[]];
const NONE: readonly Effect[] = Object.freeze([]);

/**
 * The one place view state changes: a pure function of the state, a command and the rows on
 * screen, returning the next state and the effects for the app to run (quit, yank, operate,
 * reconnect). Commands that make no sense in the current state leave it as it is.
 *
 * @example
 * const [next, effects] = update(state, { type: 'move', by: 1 }, { rows, pageSize: 30, targetOf: () => null });
 */
export function update(state: ViewState, command: Command, context: UpdateContext): Update {
  const { rows } = context;
  const index = selectedIndex(state, rows);
  const row = index === -1 ? undefined : rows.at(index);
  const filtering = state.filter.trim() !== '';
  switch (command.type) {
    case 'move':
      return [select(state, rows, index + command.by), NONE];
    case 'page':
      return [select(state, rows, index + command.by * Math.max(1, context.pageSize - 1)), NONE];
    case 'top':
      return [select(state, rows, 0), NONE];
    case 'bottom':
      return [select(state, rows, rows.length - 1), NONE];
    case 'expand':
      if (row === undefined || !row.expandable) return [state, NONE];
      if (row.expanded) return [select(state, rows, index + 1), NONE]; // already open: step into it
      if (filtering) return [info(state, 'folding follows the filter; Esc clears it'), NONE];
      return [setOpen(state, row, true), NONE];
    case 'collapse':
      if (row === undefined) return [state, NONE];
      if (row.expanded && !filtering) return [setOpen(state, row, false), NONE];
      if (row.parentUri !== null) {
        const parent = rows.indexOf(row.parentUri);
        if (parent !== -1) return [select(state, rows, parent), NONE];
      }
      return [state, NONE];
    case 'toggle':
      if (row === undefined || !row.expandable) return [state, NONE];
      if (filtering) return [info(state, 'folding follows the filter; Esc clears it'), NONE];
      return [setOpen(state, row, !row.expanded), NONE];
    case 'view':
      return [{ ...state, view: command.view }, NONE];
    case 'next-view': {
      // Round the views in key order, past those that cannot show anything under --type (1 2 3 still go to any).
      const views = context.views !== undefined && context.views.length > 0 ? context.views : VIEW_MODES;
      let at = VIEW_MODES.indexOf(state.view);
      for (let step = 0; step < VIEW_MODES.length; step++) {
        at = (at + command.by + VIEW_MODES.length) % VIEW_MODES.length;
        const next = VIEW_MODES[at] as ViewMode;
        if (views.includes(next)) return [{ ...state, view: next }, NONE];
      }
      return [state, NONE];
    }
    case 'filter-start':
      return [{ ...state, mode: { kind: 'filter' } }, NONE];
    case 'filter-input': {
      // Pasted text may carry newlines or escapes; a filter is one plain line.
      const text = command.text.replace(/[\u0000-\u001f\u007f]/g, '');
      return text === '' ? [state, NONE] : [keepSelection({ ...state, filter: state.filter + text }, row, index), NONE];
    }
    case 'filter-backspace':
      // One code point: slice(0, -1) would leave half of a character outside the BMP (an emoji).
      return [keepSelection({ ...state, filter: state.filter.replace(/[\s\S]$/u, '') }, row, index), NONE];
    case 'filter-accept':
      return [{ ...state, mode: { kind: 'normal' } }, NONE];
    case 'filter-cancel':
      return [keepSelection({ ...state, filter: '', mode: { kind: 'normal' } }, row, index), NONE];
    case 'escape':
      if (state.mode.kind !== 'normal') return [{ ...state, mode: { kind: 'normal' } }, NONE];
      if (state.filter !== '') return [keepSelection({ ...state, filter: '' }, row, index), NONE];
      return [{ ...state, status: null }, NONE];
    case 'sort-next': {
      const sort = SORT_KEYS[(SORT_KEYS.indexOf(state.sort) + 1) % SORT_KEYS.length] as SortKey;
      return [info({ ...state, sort }, `sorted by ${sort}`), NONE];
    }
    case 'pause':
      return [{ ...state, paused: !state.paused, status: null }, NONE];
    case 'faults':
      return [info({ ...state, faultsOnly: !state.faultsOnly }, state.faultsOnly ? 'events: all' : 'events: faults only'), NONE];
    case 'help':
      return [{ ...state, mode: state.mode.kind === 'help' ? { kind: 'normal' } : { kind: 'help', page: 0 } }, NONE];
    case 'help-close':
      return [{ ...state, mode: { kind: 'normal' } }, NONE];
    case 'help-page': {
      if (state.mode.kind !== 'help') return [state, NONE];
      const last = Math.max(1, context.helpPages ?? 1) - 1;
      const page = Math.min(last, Math.max(0, state.mode.page + command.by));
      return page === state.mode.page ? [state, NONE] : [{ ...state, mode: { kind: 'help', page } }, NONE];
    }
    case 'yank':
      if (row === undefined) return [error(state, 'nothing selected'), NONE];
      return [info(state, `copied ${row.uri}`), [{ type: 'yank', uri: row.uri }]];
    case 'operate': {
      const [checked, target] = operable(state, row, command.operation, context);
      if (target === null) return [checked, NONE];
      const request: OperationRequest = { uri: target.uri, operation: command.operation, label: labelOf(target) };
      if (DESTRUCTIVE.has(command.operation)) return [{ ...state, mode: { kind: 'confirm', request }, status: null }, NONE];
      return [info(state, `${command.operation} ${request.label}…`), [{ type: 'operate', request }]];
    }
    case 'scale-by': {
      const [checked, target] = operable(state, row, 'scale', context);
      if (target === null) return [checked, NONE];
      const current = context.targetOf(target.uri);
      if (current === null) return [error(state, `the target of ${labelOf(target)} is not known yet; press = to type one`), NONE];
      const next = Math.min(MAX_SCALE, Math.max(0, current + command.by));
      if (next === current) return [info(state, `${labelOf(target)} stays at ${current}`), NONE];
      const request: OperationRequest = { uri: target.uri, operation: 'scale', label: labelOf(target), targetNumContainers: next };
      // To 0 removes every container of the service: destructive, so it asks first.
      if (next === 0) return [{ ...state, mode: { kind: 'confirm', request }, status: null }, NONE];
      return [info(state, `scale ${request.label} to ${next}…`), [{ type: 'operate', request }]];
    }
    case 'scale-prompt': {
      const [checked, target] = operable(state, row, 'scale', context);
      if (target === null) return [checked, NONE];
      const current = context.targetOf(target.uri);
      const text = current === null ? '' : String(current);
      return [{ ...state, status: null, mode: { kind: 'scale', uri: target.uri, label: labelOf(target), text, selected: text !== '', problem: null } }, NONE];
    }
    case 'scale-input': {
      if (state.mode.kind !== 'scale') return [state, NONE];
      const digits = command.text.replace(/[^0-9]/g, '');
      if (digits === '') return [state, NONE];
      // One digit more than MAX_SCALE has, so that a number too big is seen; it is refused as it
      // is typed, so the cut of longer ones goes not unsaid.
      const typed = (state.mode.selected ? digits : state.mode.text + digits).replace(/^0+(?=\d)/, '');
      const text = typed.slice(0, String(MAX_SCALE).length + 1);
      return [{ ...state, mode: { ...state.mode, text, selected: false, problem: tooMany(typed) } }, NONE];
    }
    case 'scale-backspace': {
      if (state.mode.kind !== 'scale') return [state, NONE];
      const text = state.mode.selected ? '' : state.mode.text.slice(0, -1);
      return [{ ...state, mode: { ...state.mode, text, selected: false, problem: tooMany(text) } }, NONE];
    }
    case 'scale-accept': {
      if (state.mode.kind !== 'scale') return [state, NONE];
      const { uri, label, text } = state.mode;
      const target = Number(text);
      if (text === '' || !Number.isInteger(target) || target > MAX_SCALE) {
        const problem = text === '' ? 'type a number' : (tooMany(text) ?? 'type a number');
        return [{ ...state, mode: { ...state.mode, problem } }, NONE];
      }
      const request: OperationRequest = { uri, operation: 'scale', label, targetNumContainers: target };
      if (target === 0) return [{ ...state, mode: { kind: 'confirm', request }, status: null }, NONE];
      return [info({ ...state, mode: { kind: 'normal' } }, `scale ${label} to ${target}…`), [{ type: 'operate', request }]];
    }
    case 'confirm': {
      if (state.mode.kind !== 'confirm') return [state, NONE];
      const request = state.mode.request;
      const objectState = context.stateOf(request.uri);
      if (objectState === null || objectState === 'Terminated') {
        return update(state, { type: 'confirm-void', why: objectState === null ? 'gone' : 'terminated' }, context);
      }
      return [info({ ...state, mode: { kind: 'normal' } }, `${request.operation} ${request.label}…`), [{ type: 'operate', request }]];
    }
    case 'confirm-void': {
      if (state.mode.kind !== 'confirm') return [state, NONE];
      const { label } = state.mode.request;
      return [error({ ...state, mode: { kind: 'normal' } }, `${label} was ${command.why === 'gone' ? 'deleted' : 'terminated'} meanwhile: nothing done`), NONE];
    }
    case 'cancel':
      if (state.mode.kind === 'normal') return [state, NONE];
      return [info({ ...state, mode: { kind: 'normal' } }, 'cancelled'), NONE];
    case 'reconnect':
      if (context.cannotReconnect !== undefined) return [error(state, context.cannotReconnect), NONE];
      // No message: the header shows the link's progress, and a message would outlive it.
      return [{ ...state, status: null }, [{ type: 'reconnect' }]];
    case 'quit':
      return [state, [{ type: 'quit' }]];
    case 'status':
      return [{ ...state, status: { text: command.text, tone: command.tone } }, NONE];
    default:
      return assertNever(command);
  }
}

/**
 * The state with the selection pinned to `row`'s object, when it was not pinned yet (at start,
 * the first row is selected by position; from the first frame on it is followed by URI).
 */
export function pinSelection(state: ViewState, rows: RowList): ViewState {
  if (state.selection[state.view].uri !== null) return state;
  const index = selectedIndex(state, rows);
  return index === -1 ? state : keepSelection(state, rows.at(index), index);
}

/**
 * Pins the selection to the object it is on before a change that reorders or hides rows (the
 * filter): if the object is filtered out, the cursor lands at the same place in the new list.
 */
function keepSelection(state: ViewState, row: Row | undefined, index: number): ViewState {
  if (row === undefined) return state;
  // The selected object is filtered out already (the cursor shows a stand-in): keep waiting for it.
  const current = state.selection[state.view].uri;
  if (current !== null && current !== row.uri) return state;
  return { ...state, selection: { ...state.selection, [state.view]: { uri: row.uri, index } } };
}

function assertNever(value: never): never {
  throw new EventsError('internal', `unexpected command ${JSON.stringify(value)}`);
}

/**
 * The first row to draw so that the selected row is in a window of `height` rows, moving the
 * window as little as possible from where it was (no jumping while the cursor stays inside).
 *
 * @example
 * windowStart(0, 40, 25, 100) // 16: the selection is on the window's last line
 */
export function windowStart(previous: number, selected: number, height: number, total: number): number {
  if (height <= 0 || total <= height) return 0;
  let top = previous;
  if (selected < top) top = selected;
  else if (selected >= top + height) top = selected - height + 1;
  return Math.min(Math.max(top, 0), total - height);
}
