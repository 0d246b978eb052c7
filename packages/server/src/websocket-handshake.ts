import type { IncomingHttpHeaders } from 'node:http';
import { quoteValue } from './quote-value.js';

// The checks `ws` makes on an opening handshake (WebSocketServer.handleUpgrade in
// ws/lib/websocket-server.js, 8.x), made first, by us: ws refuses a bad handshake with a
// `text/html` body and a terse message ("Invalid Sec-WebSocket-Protocol header"), and protocol.md
// promises `{"detail": "..."}` for every error, with a message that says what is wrong. Anything
// that passes here passes ws; anything ws would refuse is refused here. In ws's order: method,
// Upgrade, Sec-WebSocket-Key, Sec-WebSocket-Version, Sec-WebSocket-Protocol. (ws looks at
// Sec-WebSocket-Extensions only with permessage-deflate on, which the stream leaves off.)

/** The parts of a request the handshake check reads (an `IncomingMessage` fits). */
export interface HandshakeRequest {
  readonly method?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** An acceptable handshake with the subprotocols it offers, or why it is refused. */
export type HandshakeCheck =
  | { readonly ok: true; readonly protocols: ReadonlySet<string> }
  | { readonly ok: false; readonly status: 400 | 405; readonly detail: string; readonly headers: Readonly<Record<string, string>> };

/** The versions ws speaks: 13 (RFC 6455) and 8 (the last draft, hybi-10). */
const SUPPORTED_VERSIONS = ['13', '8'];
/** 16 random bytes in base64 (RFC 6455 §4.1), exactly as ws checks it. */
const KEY = /^[+/0-9A-Za-z]{22}==$/;
/** RFC 7230 `tchar`: what a subprotocol name (a token) may contain. */
const TOKEN_CHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;

/**
 * Whether an `Upgrade` header offers a WebSocket: one of its comma-separated protocols is
 * `websocket` (any case, with or without a `/version`). A request whose Upgrade does not is served
 * as plain HTTP/1.1, the upgrade ignored (ignore-upgrade.ts); one that does goes to the handshake,
 * where anything but exactly `websocket` is refused as ws would.
 *
 * @example
 * offersWebSocket('websocket')      // true
 * offersWebSocket('h2c, WebSocket') // true (then refused by checkWebSocketHandshake)
 * offersWebSocket('h2c')            // false
 */
export function offersWebSocket(upgrade: string | undefined): boolean {
  if (upgrade === undefined) return false;
  return upgrade.split(',').some((protocol) => protocol.split('/')[0]?.trim().toLowerCase() === 'websocket');
}

/**
 * Checks an opening handshake as ws would, with precise messages. Header values are echoed cut
 * (quote-value.ts).
 *
 * @example
 * checkWebSocketHandshake(req)
 * // { ok: true, protocols: Set { 'events.resume.v1' } }
 * // { ok: false, status: 400, detail: 'Invalid Sec-WebSocket-Protocol header: the subprotocol "a" is listed twice.', headers: {} }
 */
export function checkWebSocketHandshake(req: HandshakeRequest): HandshakeCheck {
  const refuse = (status: 400 | 405, detail: string, headers: Record<string, string> = {}): HandshakeCheck => ({ ok: false, status, detail, headers });
  const method = req.method ?? 'GET';
  if (method !== 'GET') {
    return refuse(405, `Method ${quoteValue(method)} not allowed: a WebSocket handshake is a GET.`, { Allow: 'GET' });
  }
  const { upgrade, 'sec-websocket-key': key, 'sec-websocket-version': version, 'sec-websocket-protocol': protocol } = req.headers;
  if (upgrade === undefined || upgrade.trim() === '') {
    return refuse(400, 'Missing Upgrade header: a WebSocket handshake sends "Upgrade: websocket".');
  }
  if (upgrade.toLowerCase() !== 'websocket') {
    return refuse(400, `Invalid Upgrade header ${quoteValue(upgrade)}: this endpoint upgrades only to "websocket".`);
  }
  if (key === undefined) return refuse(400, 'Missing Sec-WebSocket-Key header.');
  if (!KEY.test(key)) {
    return refuse(400, `Invalid Sec-WebSocket-Key header ${quoteValue(key)}: expected 16 bytes in base64 (22 characters, then "==").`);
  }
  const versionHeaders = { 'Sec-WebSocket-Version': SUPPORTED_VERSIONS.join(', ') };
  if (version === undefined) return refuse(400, 'Missing Sec-WebSocket-Version header: this server speaks version 13.', versionHeaders);
  if (!SUPPORTED_VERSIONS.includes(version.trim())) {
    return refuse(400, `Unsupported Sec-WebSocket-Version ${quoteValue(version)}: this server speaks version 13 (or 8).`, versionHeaders);
  }
  if (protocol === undefined) return { ok: true, protocols: new Set() };
  const protocols = parseSubprotocols(protocol);
  if (typeof protocols === 'string') return refuse(400, `Invalid Sec-WebSocket-Protocol header: ${protocols}.`);
  return { ok: true, protocols };
}

/**
 * The subprotocols a `Sec-WebSocket-Protocol` header offers (RFC 6455 §4.1: tokens separated by
 * commas, with spaces or tabs around the commas), or why it is not one, read exactly as ws reads
 * it (ws/lib/subprotocol.js): an empty name, a character no token has, whitespace inside a name
 * or at either end, or a name given twice. Node joins repeated headers with ", ", so two headers
 * offering the same name are a duplicate too. Positions in the messages count from 1.
 *
 * @example
 * parseSubprotocols('events.resume.v1, chat') // Set { 'events.resume.v1', 'chat' }
 * parseSubprotocols('chat, chat')             // 'the subprotocol "chat" is listed twice'
 */
export function parseSubprotocols(header: string): ReadonlySet<string> | string {
  if (header === '') return 'it is empty (leave it out to ask for no subprotocol)';
  const shown = quoteValue(header);
  const protocols = new Set<string>();
  // As ws: `start` is where the current name began, `end` where whitespace after it began (-1: not yet).
  let start = -1;
  let end = -1;
  const add = (name: string): string | undefined => {
    if (protocols.has(name)) return `the subprotocol ${quoteValue(name)} is listed twice`;
    protocols.add(name);
    return undefined;
  };
  for (let i = 0; i < header.length; i++) {
    const char = String.fromCodePoint(header.codePointAt(i) as number);
    if (TOKEN_CHAR.test(char)) {
      if (end !== -1) return `whitespace inside a subprotocol name, at position ${end + 1} of ${shown}`;
      if (start === -1) start = i;
    } else if (char === ' ' || char === '\t') {
      if (i === 0) return `whitespace before the first subprotocol name of ${shown}`;
      if (end === -1 && start !== -1) end = i;
    } else if (char === ',') {
      if (start === -1) return `an empty subprotocol name before the comma at position ${i + 1} of ${shown}`;
      const duplicate = add(header.slice(start, end === -1 ? i : end));
      if (duplicate !== undefined) return duplicate;
      start = end = -1;
    } else {
      return `character ${JSON.stringify(char)} at position ${i + 1} of ${shown} may not be in a subprotocol name (letters, digits and !#$%&'*+-.^_\`|~ may)`;
    }
  }
  if (start === -1) return `an empty subprotocol name after the last comma of ${shown}`;
  if (end !== -1) return `whitespace after the last subprotocol name of ${shown}`;
  return add(header.slice(start)) ?? protocols;
}
