import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { hupIgnored, installStopSignals, startedWithHupIgnored } from './stop-signals.js';

const STATUS = (sigIgn: string) => `Name:\tnode\nSigPnd:\t0000000000000000\nSigBlk:\t0000000000000000\nSigIgn:\t${sigIgn}\nSigCgt:\t0000000100004602\n`;

describe('hupIgnored', () => {
  it('reads bit 0 of the SigIgn mask (signal 1, SIGHUP), as nohup and `trap "" HUP` leave it', () => {
    expect(hupIgnored(STATUS('0000000000000001'))).toBe(true);
    expect(hupIgnored(STATUS('0000000001001001'))).toBe(true); // with SIGPIPE and SIGXFSZ, as Node ignores them
    expect(hupIgnored(STATUS('0000000001001000'))).toBe(false);
    expect(hupIgnored(STATUS('0000000000000002'))).toBe(false); // SIGINT only
    expect(hupIgnored('Name:\tnode\n')).toBe(false);
  });

  it('is false off Linux and when /proc cannot be read', () => {
    expect(startedWithHupIgnored('darwin', () => STATUS('1'))).toBe(false);
    expect(startedWithHupIgnored('linux', () => STATUS('1'))).toBe(true);
    expect(
      startedWithHupIgnored('linux', () => {
        throw new Error('ENOENT');
      }),
    ).toBe(false);
  });
});

describe('installStopSignals', () => {
  const fakeProcess = () => new EventEmitter() as unknown as NodeJS.Process & EventEmitter;

  it('aborts on the first of SIGINT, SIGTERM and SIGHUP, with its name, and stops listening on dispose', () => {
    const target = fakeProcess();
    const stop = installStopSignals(target, false);
    expect(stop.names).toEqual(['SIGINT', 'SIGTERM', 'SIGHUP']);
    expect(stop.signal.aborted).toBe(false);
    target.emit('SIGHUP');
    expect(stop.signal.aborted).toBe(true);
    expect(stop.signal.reason).toBe('SIGHUP');
    stop.dispose();
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) expect(target.listenerCount(name)).toBe(0);
  });

  it('leaves SIGHUP alone when it was ignored at start (nohup): no listener, so the inherited disposition stays', () => {
    const target = fakeProcess();
    const stop = installStopSignals(target, true);
    expect(stop.names).toEqual(['SIGINT', 'SIGTERM']);
    expect(target.listenerCount('SIGHUP')).toBe(0);
    target.emit('SIGINT');
    expect(stop.signal.reason).toBe('SIGINT');
  });
});
