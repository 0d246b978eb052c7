import { isTransitionalState } from '@events/core';

/**
 * How a state reads at a glance. Every kind has its own glyph as well as its own colour, so the
 * view still works with NO_COLOR, on a monochrome terminal, or for a colour-blind reader.
 */
export type StateKind = 'ok' | 'partial' | 'busy' | 'idle' | 'fault' | 'gone' | 'unknown';

export interface StateStyle {
  readonly kind: StateKind;
  readonly glyph: string;
  /** An Ink colour name; ignored when colours are off. */
  readonly color: string;
}

/** The style of each kind of state. */
export const KIND_STYLES: Readonly<Record<StateKind, StateStyle>> = {
  ok: { kind: 'ok', glyph: '●', color: 'green' },
  partial: { kind: 'partial', glyph: '◐', color: 'yellow' },
  busy: { kind: 'busy', glyph: '◌', color: 'cyan' },
  idle: { kind: 'idle', glyph: '○', color: 'gray' },
  fault: { kind: 'fault', glyph: '✖', color: 'red' },
  gone: { kind: 'gone', glyph: '⊘', color: 'gray' },
  unknown: { kind: 'unknown', glyph: '?', color: 'magenta' },
};

// Resting states by meaning; the transitional ones come from core's isTransitionalState.
const KIND_OF_STATE: ReadonlyMap<string, StateKind> = new Map<string, StateKind>([
  ['Running', 'ok'],
  ['Deployed', 'ok'],
  ['Success', 'ok'],
  ['Partly running', 'partial'],
  ['Partly deployed', 'partial'],
  ['Not running', 'idle'],
  ['Stopped', 'idle'],
  ['Empty cluster', 'idle'],
  ['Canceled', 'idle'],
  ['Failed', 'fault'],
  ['Unreachable', 'fault'],
  ['Terminated', 'gone'],
]);

/**
 * The style of a state string (exact, case-sensitive as the protocol says).
 *
 * @example
 * styleOfState('Running') // { kind: 'ok', glyph: '●', color: 'green' }
 * styleOfState('Scaling').glyph // '◌'
 */
export function styleOfState(state: string): StateStyle {
  const kind = KIND_OF_STATE.get(state) ?? (isTransitionalState(state) ? 'busy' : 'unknown');
  return KIND_STYLES[kind];
}

/** Every kind's style, in legend order (for the help overlay). */
export const STATE_LEGEND: readonly StateStyle[] = [KIND_STYLES.ok, KIND_STYLES.partial, KIND_STYLES.busy, KIND_STYLES.idle, KIND_STYLES.fault, KIND_STYLES.gone];

/** What each kind means, for the legend. */
export const STATE_KIND_HELP: Readonly<Record<StateKind, string>> = {
  ok: 'running / deployed / success',
  partial: 'partly running / deployed',
  busy: 'in transition (starting, scaling, ...)',
  idle: 'stopped / not running',
  fault: 'failed / unreachable',
  gone: 'terminated',
  unknown: 'a state this version does not know',
};

/** Whether an event or object in `state` counts as a fault for the faults-only events filter. */
export function isFaultState(state: string): boolean {
  const kind = styleOfState(state).kind;
  return kind === 'fault' || kind === 'partial';
}
