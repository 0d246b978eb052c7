import { describe, expect, it } from 'vitest';
import { createReconnectDriver, type ReconnectStepRecord } from './index.js';

describe('createReconnectDriver', () => {
  it('executes timer effects on its clock and reports every step, timer-driven ones included', () => {
    const records: ReconnectStepRecord[] = [];
    const d = createReconnectDriver({ onStep: (r) => records.push(r) });
    d.send({ type: 'start' });
    expect(d.liveSockets()).toEqual([1]);
    expect([...d.timers()]).toEqual([['connect', { at: 10_000, generation: 1 }]]);
    d.clock.advance(10_000); // connect timeout → backoff
    expect(d.liveSockets()).toEqual([]);
    expect(records.map((r) => r.input.type)).toEqual(['start', 'timer-fired']);
    expect(records[1]).toMatchObject({ now: 10_000, liveBefore: [1], timersBefore: [], before: { status: 'connecting' }, after: { status: 'backoff' } });
    d.clock.runNext(); // retry
    expect(d.state).toMatchObject({ status: 'connecting', generation: 2 });
    expect(d.liveSockets()).toEqual([2]);
    expect(d.effects.filter((e) => e.type === 'open-socket')).toHaveLength(2);
  });

  it('drops a socket the input reports ended, even if the machine ignores the news', () => {
    const d = createReconnectDriver();
    d.send({ type: 'start' });
    d.send({ type: 'socket-close', generation: 1, code: 1006, reason: '' });
    expect(d.liveSockets()).toEqual([]);
    expect(d.state.status).toBe('backoff');
  });
});
