import { STATES } from '@events/core';
import { describe, expect, it } from 'vitest';
import { isFaultState, KIND_STYLES, STATE_LEGEND, styleOfState } from './state-style.js';

describe('styleOfState', () => {
  it('knows every protocol state (none falls through to unknown)', () => {
    for (const state of Object.values(STATES).flat()) expect(styleOfState(state).kind).not.toBe('unknown');
    expect(styleOfState('Exploded').kind).toBe('unknown');
  });

  it('gives every kind its own glyph and its own colour, so colour is never the only cue', () => {
    const styles = Object.values(KIND_STYLES);
    expect(new Set(styles.map((s) => s.glyph)).size).toBe(styles.length);
    expect(new Set(styles.map((s) => s.color)).size).toBeGreaterThanOrEqual(styles.length - 1); // idle and gone share grey, not their glyph
    expect(STATE_LEGEND.length).toBe(6);
  });

  it('classifies', () => {
    expect(styleOfState('Running')).toMatchObject({ kind: 'ok', glyph: '●' });
    expect(styleOfState('Scaling').kind).toBe('busy');
    expect(styleOfState('Terminating').kind).toBe('busy');
    expect(styleOfState('Terminated').kind).toBe('gone');
    expect(isFaultState('Failed')).toBe(true);
    expect(isFaultState('Partly running')).toBe(true);
    expect(isFaultState('Stopped')).toBe(false);
  });
});
