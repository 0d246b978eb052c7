import { STATES } from '@events/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containerStateOf, labelServiceStateOf, stackStateOf, swarmServiceStateOf } from './docker-states.js';

describe('docker states', () => {
  it('always answer a state of the protocol', () => {
    fc.assert(
      fc.property(fc.nat(5), fc.nat(5), fc.nat(5), (a, b, c) => {
        expect(STATES.service).toContain(swarmServiceStateOf(a, b));
        expect(STATES.service).toContain(labelServiceStateOf(a + b, b, c));
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATES.service)), (states) => {
        expect(STATES.stack).toContain(stackStateOf(states));
      }),
    );
  });

  it('read a container from its engine status', () => {
    expect(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'].map((s) => containerStateOf(s as 'running', false))).toEqual([
      'Starting', 'Running', 'Running', 'Starting', 'Terminating', 'Stopped', 'Stopped',
    ]);
    expect(containerStateOf('running', true)).toBe('Stopping');
  });

  it('read services from their counts', () => {
    expect([swarmServiceStateOf(3, 3), swarmServiceStateOf(3, 1), swarmServiceStateOf(3, 0), swarmServiceStateOf(0, 0)]).toEqual(['Running', 'Partly running', 'Not running', 'Stopped']);
    expect([labelServiceStateOf(2, 2, 0), labelServiceStateOf(2, 1, 0), labelServiceStateOf(1, 0, 1), labelServiceStateOf(1, 0, 0)]).toEqual(['Running', 'Partly running', 'Starting', 'Stopped']);
  });

  it('read a stack from its services', () => {
    expect(stackStateOf([])).toBe('Terminating');
    expect(stackStateOf(['Running', 'Redeploying'])).toBe('Running');
    expect(stackStateOf(['Starting', 'Starting'])).toBe('Starting');
    expect(stackStateOf(['Stopped', 'Not running'])).toBe('Stopped');
    expect(stackStateOf(['Running', 'Terminating'])).toBe('Running');
    expect(stackStateOf(['Running', 'Not running'])).toBe('Partly running');
  });

  it('keep a stack Starting while one of its services starts, never a resting Partly running', () => {
    expect(stackStateOf(['Running', 'Starting'])).toBe('Starting');
    expect(stackStateOf(['Partly running', 'Starting', 'Stopped'])).toBe('Starting');
    expect(stackStateOf(['Starting', 'Terminating'])).toBe('Starting');
    // Every stack state is resting or transitional as the protocol has it: Starting only with a service Starting.
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATES.service)), (states) => {
        const live = states.filter((s) => s !== 'Terminating' && s !== 'Terminated');
        expect(stackStateOf(states) === 'Starting').toBe(live.includes('Starting') && !live.every((s) => s === 'Running' || s === 'Scaling' || s === 'Redeploying'));
      }),
    );
  });
});
