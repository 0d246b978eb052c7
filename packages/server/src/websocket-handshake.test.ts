import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkWebSocketHandshake, offersWebSocket, parseSubprotocols } from './websocket-handshake.js';

// ws's own parser, which its package does not export: what ours must agree with.
const require = createRequire(import.meta.url);
const wsSubprotocol = require(join(dirname(require.resolve('ws')), 'lib', 'subprotocol.js')) as { parse(header: string): Set<string> };
const wsParse = (header: string): Set<string> | 'refused' => {
  try {
    return wsSubprotocol.parse(header);
  } catch {
    return 'refused';
  }
};

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const handshake = (headers: Record<string, string>, method = 'GET') =>
  checkWebSocketHandshake({ method, headers: { upgrade: 'websocket', 'sec-websocket-key': KEY, 'sec-websocket-version': '13', ...headers } });

describe('parseSubprotocols', () => {
  it('reads the names a header offers', () => {
    expect(parseSubprotocols('events.resume.v1')).toEqual(new Set(['events.resume.v1']));
    expect(parseSubprotocols('chat,events.resume.v1 ,\tsuperchat')).toEqual(new Set(['chat', 'events.resume.v1', 'superchat']));
  });

  it('says precisely what is wrong', () => {
    expect(parseSubprotocols('a, a')).toBe('the subprotocol "a" is listed twice');
    expect(parseSubprotocols('')).toBe('it is empty (leave it out to ask for no subprotocol)');
    expect(parseSubprotocols('a,,b')).toBe('an empty subprotocol name before the comma at position 3 of "a,,b"');
    expect(parseSubprotocols('a,')).toBe('an empty subprotocol name after the last comma of "a,"');
    expect(parseSubprotocols('a b')).toBe('whitespace inside a subprotocol name, at position 2 of "a b"');
    expect(parseSubprotocols('a ')).toBe('whitespace after the last subprotocol name of "a "');
    expect(parseSubprotocols(' a')).toBe('whitespace before the first subprotocol name of " a"');
    expect(parseSubprotocols('chat/1')).toBe(
      'character "/" at position 5 of "chat/1" may not be in a subprotocol name (letters, digits and !#$%&\'*+-.^_`|~ may)',
    );
    expect(parseSubprotocols('é')).toMatch(/^character "é" at position 1 of "é"/);
    // A long header is echoed cut.
    expect(parseSubprotocols(`${'a'.repeat(5000)},`)).toBe(`an empty subprotocol name after the last comma of "${'a'.repeat(99)}…"`);
  });

  it('accepts exactly the headers ws accepts, with the same names', () => {
    const piece = fc.constantFrom('a', 'b', 'chat', 'events.resume.v1', ' ', '\t', ',', ', ', '"', '/', 'é', '😀', '!', '~', '');
    const header = fc.oneof(fc.array(piece, { maxLength: 8 }).map((parts) => parts.join('')), fc.string({ maxLength: 20 }));
    fc.assert(
      fc.property(header, (text) => {
        const ours = parseSubprotocols(text);
        const theirs = wsParse(text);
        if (theirs === 'refused') expect(typeof ours).toBe('string');
        else expect(ours).toEqual(theirs);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('checkWebSocketHandshake', () => {
  it('accepts a valid handshake with its subprotocols', () => {
    expect(handshake({})).toEqual({ ok: true, protocols: new Set() });
    expect(handshake({ 'sec-websocket-protocol': 'events.resume.v1' })).toEqual({ ok: true, protocols: new Set(['events.resume.v1']) });
    expect(handshake({ upgrade: 'WebSocket', 'sec-websocket-version': '8' }).ok).toBe(true);
  });

  it('refuses, in ws’s order, with a status, a precise detail and the headers that help', () => {
    expect(handshake({}, 'POST')).toEqual({ ok: false, status: 405, detail: 'Method "POST" not allowed: a WebSocket handshake is a GET.', headers: { Allow: 'GET' } });
    expect(handshake({ upgrade: '' })).toMatchObject({ status: 400, detail: 'Missing Upgrade header: a WebSocket handshake sends "Upgrade: websocket".' });
    expect(handshake({ upgrade: 'h2c' })).toMatchObject({ status: 400, detail: 'Invalid Upgrade header "h2c": this endpoint upgrades only to "websocket".' });
    expect(checkWebSocketHandshake({ method: 'GET', headers: { upgrade: 'websocket', 'sec-websocket-version': '13' } })).toMatchObject({
      status: 400,
      detail: 'Missing Sec-WebSocket-Key header.',
    });
    expect(handshake({ 'sec-websocket-key': 'abc' })).toMatchObject({
      status: 400,
      detail: 'Invalid Sec-WebSocket-Key header "abc": expected 16 bytes in base64 (22 characters, then "==").',
    });
    expect(handshake({ 'sec-websocket-version': '12' })).toEqual({
      ok: false,
      status: 400,
      detail: 'Unsupported Sec-WebSocket-Version "12": this server speaks version 13 (or 8).',
      headers: { 'Sec-WebSocket-Version': '13, 8' },
    });
    expect(handshake({ 'sec-websocket-protocol': 'a, a' })).toMatchObject({ status: 400, detail: 'Invalid Sec-WebSocket-Protocol header: the subprotocol "a" is listed twice.' });
    // Method first, as ws.
    expect(handshake({ upgrade: 'h2c', 'sec-websocket-protocol': 'a, a' }, 'PUT')).toMatchObject({ status: 405 });
  });

  it('accepts no version or key that ws would refuse', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom('13', '8', '13.0', '0x0d', '+13', '1.3e1', '013', ' 13', '7'), fc.string({ maxLength: 6 })), fc.oneof(fc.constant(KEY), fc.string({ maxLength: 26 })), (version, key) => {
        const ours = handshake({ 'sec-websocket-version': version, 'sec-websocket-key': key });
        const wsAccepts = /^[+/0-9A-Za-z]{22}==$/.test(key) && (+version === 13 || +version === 8);
        if (ours.ok) expect(wsAccepts).toBe(true);
      }),
    );
  });
});

describe('offersWebSocket', () => {
  it('is true when one of the protocols is websocket, in any case, with or without a version', () => {
    for (const upgrade of ['websocket', 'WebSocket', 'h2c, websocket', 'websocket , h2c', 'websocket/13', 'foo,WEBSOCKET']) expect(offersWebSocket(upgrade)).toBe(true);
  });

  it('is false for any other upgrade, or none', () => {
    for (const upgrade of [undefined, '', ' ', 'h2c', 'HTTP/2.0', 'websockets', 'web socket', 'h2c, TLS/1.0', 'xwebsocket']) expect(offersWebSocket(upgrade)).toBe(false);
  });

  it('everything it turns away, the handshake check would have refused', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('w', 'e', 'b', 's', 'o', 'c', 'k', 't', 'W', ',', ' ', '/', '1', 'h') }), (upgrade) => {
        if (!offersWebSocket(upgrade)) expect(handshake({ upgrade }).ok).toBe(false);
      }),
    );
  });
});

