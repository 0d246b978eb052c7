import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyCloseCode, classifyHttpStatus, CloseCode, formatPosition, isAfter, parseFrame, parsePosition } from './extended-protocol.js';

describe('positions', () => {
  it('round-trips <epoch>:<seq>, including epochs that contain colons', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(), (epoch, seq) => {
        expect(parsePosition(formatPosition({ epoch, seq }))).toEqual({ ok: true, value: { epoch, seq } });
      }),
    );
  });

  it.each(['', '12', ':5', 'e:', 'e:-1', 'e:1.5', 'e:x'])('rejects %j', (text) => {
    const r = parsePosition(text);
    expect(!r.ok && r.error.message).toContain('expected <epoch>:<sequence>');
  });

  it('orders positions only within one epoch', () => {
    expect(isAfter({ epoch: 'a', seq: 2 }, { epoch: 'a', seq: 1 })).toBe(true);
    expect(isAfter({ epoch: 'a', seq: 1 }, { epoch: 'a', seq: 1 })).toBe(false);
    expect(isAfter({ epoch: 'b', seq: 9 }, { epoch: 'a', seq: 1 })).toBe(false);
  });
});

describe('extended frames', () => {
  it('parses hello and position frames and names a bad field', () => {
    expect(parseFrame('{"type":"hello","resume":"gone","position":{"epoch":"e","seq":3},"heartbeatMs":15000}')).toMatchObject({
      ok: true,
      value: { kind: 'hello', frame: { resume: 'gone' } },
    });
    expect(parseFrame('{"type":"position","position":{"epoch":"e","seq":3}}')).toMatchObject({ ok: true, value: { kind: 'position' } });
    const bad = parseFrame('{"type":"position","position":{"epoch":"e","seq":-3}}');
    expect(!bad.ok && bad.error.message).toContain('position.seq');
  });
});

describe('close classification', () => {
  it('separates the five classes the protocol requires', () => {
    expect(classifyCloseCode(CloseCode.normal)).toBe('transient');
    expect(classifyCloseCode(CloseCode.goingAway)).toBe('transient');
    expect(classifyCloseCode(1006)).toBe('transient');
    expect(classifyCloseCode(CloseCode.slowConsumer)).toBe('throttled');
    expect(classifyCloseCode(CloseCode.tryAgainLater)).toBe('throttled');
    expect(classifyCloseCode(CloseCode.tooManyLogins)).toBe('throttled');
    expect(classifyCloseCode(CloseCode.unauthorized)).toBe('auth');
    expect(classifyCloseCode(CloseCode.forbidden)).toBe('fatal');
    expect(classifyCloseCode(CloseCode.badRequest)).toBe('fatal');
    expect(classifyCloseCode(CloseCode.positionGone)).toBe('resync');
  });

  it('classifies refused upgrades by HTTP status', () => {
    expect(classifyHttpStatus(401)).toBe('auth');
    expect(classifyHttpStatus(403)).toBe('fatal');
    expect(classifyHttpStatus(400)).toBe('fatal');
    expect(classifyHttpStatus(429)).toBe('throttled');
    expect(classifyHttpStatus(503)).toBe('throttled');
    expect(classifyHttpStatus(502)).toBe('transient');
  });
});
