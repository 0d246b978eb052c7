import { describe, expect, it } from 'vitest';
import { createAbortHandle } from './abort-signal.js';

describe('createAbortHandle', () => {
  it('aborts once, calling each listener once; listeners removed or added after the abort are not called', () => {
    const { signal, abort } = createAbortHandle();
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    signal.addEventListener('abort', () => calls.push('a'), { once: true });
    signal.addEventListener('abort', removed);
    signal.removeEventListener?.('abort', removed);
    expect(signal.aborted).toBe(false);
    abort();
    abort();
    signal.addEventListener('abort', () => calls.push('late'));
    expect(signal.aborted).toBe(true);
    expect(calls).toEqual(['a']);
  });
});
