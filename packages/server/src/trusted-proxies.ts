import { describeValue, EventsError, type Result } from '@events/core';

// Behind a reverse proxy (nginx, Caddy, a Kubernetes ingress) every connection comes from the
// proxy, so the login throttle, which counts failures per client address, would lock everyone
// out for one client's mistakes, and the logs would name only the proxy. A proxy says who its
// client was in `X-Forwarded-For`, but any client can send that header too: it is believed only
// from the proxies the operator names, and only as far back as they wrote it (as nginx's
// `set_real_ip_from` with `real_ip_recursive on` and Express's `trust proxy` with a list do).
//
// `Forwarded: for=` (RFC 7239) is not read. The proxies in front of servers like this one
// (nginx's `$proxy_add_x_forwarded_for`, Caddy, Traefik, HAProxy's `option forwardfor`, Envoy,
// ingress-nginx) write X-Forwarded-For and pass a client's `Forwarded` header on untouched: read
// first, or as a fallback, it would let a client behind such a proxy pick its own address and
// slip out of the throttle. One header, the one they all write, cannot be played against another.

/**
 * An address as 128 bits; an IPv4 address as its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`), so
 * that one test covers both families and a peer that Node reports as `::ffff:127.0.0.1` (a
 * dual-stack socket) matches the entry `127.0.0.1`.
 */
export type AddressBits = bigint;

/** A range of addresses: the first `prefix` of the 128 bits of `base` (IPv4's /n is /96+n). */
export interface AddressRange {
  readonly base: AddressBits;
  readonly prefix: number;
}

/**
 * The ranges a trusted proxy entry may name instead of writing them out, by the names Express's
 * `trust proxy` (proxy-addr) gives them, so that a setting carried over from Express means the same.
 */
export const NAMED_RANGES = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
} as const satisfies Readonly<Record<string, readonly string[]>>;

/** A name of {@link NAMED_RANGES}. */
export type RangeName = keyof typeof NAMED_RANGES;

const RANGE_NAMES = Object.keys(NAMED_RANGES) as readonly RangeName[];
/** The names, for messages: `loopback, linklocal or uniquelocal`. */
const RANGE_NAME_CHOICES = `${RANGE_NAMES.slice(0, -1).join(', ')} or ${RANGE_NAMES.at(-1)}`;

/** Words people write for a named range, and the name they mean. */
const RANGE_NAME_NEAR_MISSES: Readonly<Record<string, RangeName>> = {
  localhost: 'loopback',
  local: 'loopback',
  'link-local': 'linklocal',
  link_local: 'linklocal',
  'unique-local': 'uniquelocal',
  unique_local: 'uniquelocal',
  private: 'uniquelocal',
};

/** What a trusted proxy entry takes, for messages: `NAME must be …, got …`. */
export const TRUSTED_PROXY_EXPECTED = `an IPv4 or IPv6 address, a CIDR range such as 10.0.0.0/8 or fd00::/8, or a named range (${RANGE_NAME_CHOICES})`;

const MAPPED = 0xffffn << 32n;
const ALL_BITS = (1n << 128n) - 1n;
const IPV4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/** A dotted-quad IPv4 address as 32 bits, or why it is none. */
function parseIPv4(text: string): Result<bigint, string> {
  const match = IPV4.exec(text);
  if (match === null) return { ok: false, error: 'an IPv4 address is four numbers from 0 to 255 separated by dots' };
  let bits = 0n;
  for (const part of match.slice(1) as string[]) {
    // `010` is 8 to some parsers (inet_aton) and 10 to others: refused, as Node's net.isIP refuses it.
    if (part.length > 1 && part.startsWith('0')) return { ok: false, error: `${JSON.stringify(part)} has a leading zero` };
    if (part.length > 3 || Number(part) > 255) return { ok: false, error: `${part} is more than 255` };
    bits = (bits << 8n) | BigInt(part);
  }
  return { ok: true, value: bits };
}

/** An IPv6 address (zone removed) as 128 bits, or undefined. Takes a dotted IPv4 tail (`::ffff:1.2.3.4`). */
function parseIPv6(text: string): AddressBits | undefined {
  let hex = text;
  const lastColon = text.lastIndexOf(':');
  if (lastColon === -1) return undefined;
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (!v4.ok) return undefined;
    hex = `${text.slice(0, lastColon + 1)}${(v4.value >> 16n).toString(16)}:${(v4.value & 0xffffn).toString(16)}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':'));
  const head = groupsOf(halves[0] as string);
  const rest = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  const count = head.length + rest.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  if (![...head, ...rest].every((group) => HEX_GROUP.test(group))) return undefined;
  const groups = [...head, ...Array<string>(8 - count).fill('0'), ...rest];
  return groups.reduce((bits, group) => (bits << 16n) | BigInt(`0x${group}`), 0n);
}

/** An IPv4 or IPv6 address as 128 bits, with its family, or why it is none. */
function parseAddress(text: string): Result<{ readonly bits: AddressBits; readonly family: 4 | 6 }, string> {
  if (text === '') return { ok: false, error: 'it is empty' };
  if (text.startsWith('[')) return { ok: false, error: 'write an IPv6 address without brackets' };
  if (text.includes('%')) return { ok: false, error: 'write the address without its zone (%…)' };
  if (/^[\d.]+:\d*$/.test(text)) return { ok: false, error: 'write the address without a port' };
  if (text.includes(':')) {
    const bits = parseIPv6(text);
    return bits === undefined ? { ok: false, error: 'it is not a valid IPv6 address' } : { ok: true, value: { bits, family: 6 } };
  }
  if (/^[\d.]+$/.test(text)) {
    const v4 = parseIPv4(text);
    return v4.ok ? { ok: true, value: { bits: MAPPED | v4.value, family: 4 } } : v4;
  }
  return { ok: false, error: 'it is not an IP address (host names are not looked up)' };
}

/**
 * An address in its usual text: IPv4 (an IPv4-mapped IPv6 address too) dotted, IPv6 as RFC 5952
 * writes it (lower case, no leading zeros, the longest run of two or more zero groups as `::`).
 *
 * @example
 * formatAddress(parseForwardedAddress('2001:DB8:0:0::1')!) // '2001:db8::1'
 */
export function formatAddress(bits: AddressBits): string {
  if (bits >> 32n === 0xffffn) return [24n, 16n, 8n, 0n].map((shift) => String((bits >> shift) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((bits >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestAt = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestAt, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((group) => group.toString(16)).join(':');
  return bestAt === -1 ? hex(0, 8) : `${hex(0, bestAt)}::${hex(bestAt + bestLength, 8)}`;
}

/**
 * A trusted proxy entry: an address (`10.0.0.1`, `fd00::1`) or a CIDR range (`10.0.0.0/8`,
 * `fd00::/8`). An IPv4 entry also matches its IPv4-mapped IPv6 form (`::ffff:10.0.0.1`). A range
 * with bits set past its prefix (`10.0.0.1/8`) is refused with the range it is in: it is a typo
 * as often as not, and this list decides whom to believe.
 *
 * @example
 * parseAddressRange('10.0.0.0/8') // { ok: true, value: { base: …, prefix: 104 } }
 * parseAddressRange('10.0.0.1/8') // { ok: false, error: 'it has bits set past its /8 prefix: the range is 10.0.0.0/8' }
 */
export function parseAddressRange(text: string): Result<AddressRange, string> {
  const slash = text.indexOf('/');
  const address = parseAddress(slash === -1 ? text : text.slice(0, slash));
  if (!address.ok) return address;
  const { bits, family } = address.value;
  if (slash === -1) return { ok: true, value: { base: bits, prefix: 128 } };
  const max = family === 4 ? 32 : 128;
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return { ok: false, error: `the prefix length of an IPv${family} range is a whole number from 0 to ${max}` };
  }
  const length = Number(prefixText);
  const prefix = length + (family === 4 ? 96 : 0);
  const hostBits = ALL_BITS >> BigInt(prefix);
  if ((bits & hostBits) !== 0n) {
    return { ok: false, error: `it has bits set past its /${length} prefix: the range is ${formatAddress(bits & ~hostBits)}/${length}` };
  }
  return { ok: true, value: { base: bits, prefix } };
}

const isRangeName = (text: string): text is RangeName => Object.hasOwn(NAMED_RANGES, text);

/**
 * A trusted proxy entry as the ranges it stands for: an address or CIDR range
 * ({@link parseAddressRange}), or a named range ({@link NAMED_RANGES}): `loopback`
 * (127.0.0.0/8, ::1/128), `linklocal` (169.254.0.0/16, fe80::/10) or `uniquelocal` (10.0.0.0/8,
 * 172.16.0.0/12, 192.168.0.0/16, fc00::/7). Names are lower case, as Express takes them; a word
 * that is neither is refused with the names there are.
 *
 * @example
 * parseTrustedProxy('loopback')  // { ok: true, value: [127.0.0.0/8, ::1/128] }
 * parseTrustedProxy('localhost') // { ok: false, error: 'it is no named range: did you mean "loopback"?' }
 */
export function parseTrustedProxy(text: string): Result<readonly AddressRange[], string> {
  if (isRangeName(text)) return { ok: true, value: NAMED_RANGES[text].map(knownRange) };
  const slash = text.indexOf('/');
  const word = slash === -1 ? text : text.slice(0, slash);
  // A letter outside an IPv6 address (which has colons): a name, or a host name, never an address.
  if (!word.includes(':') && /[a-z]/i.test(word)) {
    if (slash !== -1 && isRangeName(word)) return { ok: false, error: `a named range takes no prefix length: write ${word}` };
    const lower = word.toLowerCase();
    const meant = isRangeName(lower) ? lower : Object.hasOwn(RANGE_NAME_NEAR_MISSES, lower) ? RANGE_NAME_NEAR_MISSES[lower] : undefined;
    // The messages that use this name the ranges already (TRUSTED_PROXY_EXPECTED).
    if (meant !== undefined) return { ok: false, error: `it is no named range: did you mean ${JSON.stringify(meant)}?` };
    return { ok: false, error: 'it is neither an IP address (host names are not looked up) nor a named range' };
  }
  const range = parseAddressRange(text);
  return range.ok ? { ok: true, value: [range.value] } : range;
}

/** A range of NAMED_RANGES, which are all valid. */
function knownRange(text: string): AddressRange {
  const range = parseAddressRange(text);
  if (!range.ok) throw new Error(`named range ${text}: ${range.error}`);
  return range.value;
}

/**
 * One entry of `X-Forwarded-For` as 128 bits, or undefined for anything else. Takes what proxies
 * write: an IPv4 or IPv6 address, an IPv4 address with a port (`1.2.3.4:5678`, as some cloud load
 * balancers write it) and an IPv6 one in brackets, with or without a port (`[2001:db8::1]:443`).
 * A host name, `unknown`, an obfuscated identifier (`_hidden`), `unix:` or an address with a zone
 * is none: the walk stops there (see {@link walkForwardedFor}).
 */
export function parseForwardedAddress(entry: string): AddressBits | undefined {
  let text = entry;
  const bracketed = /^\[([^\]]*)\](?::\d{1,5})?$/.exec(text);
  if (bracketed !== null) text = bracketed[1] as string;
  else if (/^[\d.]+:\d{1,5}$/.test(text)) text = text.slice(0, text.indexOf(':'));
  if (text.includes('%') || text.startsWith('[')) return undefined;
  const address = parseAddress(text);
  return address.ok && (bracketed === null || address.value.family === 6) ? address.value.bits : undefined;
}

/**
 * A socket's peer address as Node reports it (`127.0.0.1`, `::ffff:127.0.0.1`, `fe80::1%eth0`), or
 * a client address as `clientAddress` gives it, as 128 bits; undefined for anything else (`unknown`).
 */
export function parsePeer(address: string): AddressBits | undefined {
  const zone = address.indexOf('%');
  const parsed = parseAddress(zone === -1 ? address : address.slice(0, zone));
  return parsed.ok ? parsed.value.bits : undefined;
}

/**
 * The client behind `peer`, the address that connected: `peer` itself unless it is trusted;
 * then `forwardedFor` (the X-Forwarded-For header, every line of it joined with commas, as Node
 * joins them) is walked from the right, each proxy having appended the address it was connected
 * from, and the first untrusted address is the client (if all are trusted, the leftmost).
 *
 * - Entries left of the first untrusted one were written by someone no trusted proxy vouches for
 *   (the client, say), so they are never read: forging them changes nothing.
 * - Empty entries (`a, , b`) are skipped, as RFC 9110 §5.6.1 has lists read.
 * - An entry that is no address (see {@link parseForwardedAddress}) ends the walk: the client is
 *   the last address walked, the trusted hop that passed the garbage on (the peer when it is the
 *   rightmost entry). Garbage is never an address: it cannot pick a fresh throttle key.
 *
 * An address from the header comes back in its usual text ({@link formatAddress}); the peer as Node
 * gave it.
 *
 * @example
 * const trusted = (bits: bigint) => bits === parseForwardedAddress('10.0.0.2');
 * walkForwardedFor('10.0.0.2', '6.6.6.6, 203.0.113.7', trusted) // '203.0.113.7'
 * walkForwardedFor('10.0.0.9', '203.0.113.7', trusted)          // '10.0.0.9': not a trusted peer
 */
export function walkForwardedFor(peer: string, forwardedFor: string | undefined, isTrusted: (address: AddressBits) => boolean): string {
  const peerBits = parsePeer(peer);
  if (peerBits === undefined || !isTrusted(peerBits) || forwardedFor === undefined) return peer;
  let client = peer;
  const entries = forwardedFor.split(',');
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = (entries[i] as string).trim();
    if (entry === '') continue;
    const bits = parseForwardedAddress(entry);
    if (bits === undefined) return client;
    client = formatAddress(bits);
    if (!isTrusted(bits)) return client;
  }
  return client;
}

/** The parts of a request the client address is read from (an `IncomingMessage` fits). */
export interface AddressedRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

/**
 * The proxies whose `X-Forwarded-For` the server believes, and the client address of a request.
 *
 * @example
 * const proxies = createTrustedProxies(['10.0.0.2', '172.16.0.0/12']);
 * proxies.clientAddress(req) // '203.0.113.7' for a request from 10.0.0.2 with X-Forwarded-For: 203.0.113.7
 */
export interface TrustedProxies {
  /** The entries as given, for the start-up log. */
  readonly entries: readonly string[];
  /** Whether `address` (a peer address as Node reports it) is a trusted proxy. */
  isTrusted(address: string): boolean;
  /**
   * The address the login throttle counts and the logs name: the peer, or, when the peer is a
   * trusted proxy, the client its X-Forwarded-For names ({@link walkForwardedFor}). `unknown`
   * when the socket has no peer address (it was closed).
   */
  clientAddress(req: AddressedRequest): string;
}

/**
 * Trusted proxies from their addresses, CIDR ranges and named ranges ({@link parseTrustedProxy}),
 * in any mix (`['loopback', '10.1.2.3']`); none by default, and then every request's client
 * address is its peer's, whatever headers it sends. `name` names the list in errors.
 *
 * @throws EventsError `invalid-config` naming the entry, what it takes, what it got and why:
 * `trustedProxies[1] must be an IPv4 or IPv6 address, a CIDR range such as 10.0.0.0/8 or fd00::/8, or a named range (loopback, linklocal or uniquelocal), got the string "10.0.0.300": 300 is more than 255`
 */
export function createTrustedProxies(entries: readonly unknown[], name = 'trustedProxies'): TrustedProxies {
  const ranges = entries.flatMap((entry, i) => {
    const parsed = typeof entry === 'string' ? parseTrustedProxy(entry) : undefined;
    if (parsed?.ok) return parsed.value;
    throw new EventsError('invalid-config', `${name}[${i}] must be ${TRUSTED_PROXY_EXPECTED}, got ${describeValue(entry)}${parsed === undefined ? '' : `: ${parsed.error}`}`);
  });
  const isTrustedBits = (bits: AddressBits) => ranges.some((range) => (bits ^ range.base) >> BigInt(128 - range.prefix) === 0n);
  return {
    entries: [...(entries as readonly string[])],
    isTrusted(address) {
      const bits = parsePeer(address);
      return bits !== undefined && isTrustedBits(bits);
    },
    clientAddress(req) {
      const peer = req.socket.remoteAddress;
      if (peer === undefined) return 'unknown';
      // No proxies (the default): the peer, without reading a header.
      if (ranges.length === 0) return peer;
      const header = req.headers['x-forwarded-for'];
      return walkForwardedFor(peer, Array.isArray(header) ? header.join(',') : header, isTrustedBits);
    },
  };
}
