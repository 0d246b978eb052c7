import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTrustedProxies, formatAddress, parseAddressRange, parseForwardedAddress, walkForwardedFor } from './trusted-proxies.js';

/** The client address of a request from `peer` with `forwardedFor`, behind `trusted`. */
const clientOf = (trusted: readonly string[], peer: string, forwardedFor?: string | string[]) =>
  createTrustedProxies(trusted).clientAddress({ headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }, socket: { remoteAddress: peer } });

describe('parseAddressRange', () => {
  it.each([
    ['10.0.0.1', true],
    ['10.0.0.0/8', true],
    ['0.0.0.0/0', true],
    ['fd00::/8', true],
    ['::1', true],
    ['::ffff:10.0.0.1', true],
    ['2001:db8::/32', true],
    ['::/0', true],
  ])('takes %s', (text) => {
    expect(parseAddressRange(text).ok).toBe(true);
  });

  it.each([
    ['', 'it is empty'],
    ['10.0.0.300', '300 is more than 255'],
    ['10.0.0', 'an IPv4 address is four numbers from 0 to 255 separated by dots'],
    ['010.0.0.1', '"010" has a leading zero'],
    ['10.0.0.1:80', 'write the address without a port'],
    ['proxy.internal', 'it is not an IP address (host names are not looked up)'],
    ['fd00::zz', 'it is not a valid IPv6 address'],
    ['1::2::3', 'it is not a valid IPv6 address'],
    ['[::1]', 'write an IPv6 address without brackets'],
    ['fe80::1%eth0', 'write the address without its zone (%…)'],
    ['10.0.0.0/33', 'the prefix length of an IPv4 range is a whole number from 0 to 32'],
    ['10.0.0.0/', 'the prefix length of an IPv4 range is a whole number from 0 to 32'],
    ['10.0.0.0/-1', 'the prefix length of an IPv4 range is a whole number from 0 to 32'],
    ['fd00::/129', 'the prefix length of an IPv6 range is a whole number from 0 to 128'],
    ['10.0.0.1/8', 'it has bits set past its /8 prefix: the range is 10.0.0.0/8'],
    ['fd00::1/64', 'it has bits set past its /64 prefix: the range is fd00::/64'],
  ])('refuses %j: %s', (text, why) => {
    expect(parseAddressRange(text)).toEqual({ ok: false, error: why });
  });
});

describe('parseForwardedAddress and formatAddress', () => {
  it('reads every address Node reads, and nothing else', () => {
    const chars = fc.constantFrom(...'0123456789abcdefABCDEF:.'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ unit: chars, maxLength: 45 })), (text) => {
        expect(parseForwardedAddress(text) !== undefined).toBe(isIPv4(text) || isIPv6(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes IPv6 as RFC 5952 (and the URL standard) does, and reads back what it writes', () => {
    const bits = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
    // Runs of zero groups are what the compression is about: make them common.
    const sparse = fc.array(fc.constantFrom(0n, 0n, 0n, 1n, 0xffffn, 0xdb8n), { minLength: 8, maxLength: 8 }).map((groups) => groups.reduce<bigint>((all, group) => (all << 16n) | group, 0n));
    fc.assert(
      fc.property(fc.oneof(bits, sparse), (value) => {
        const text = formatAddress(value);
        expect(parseForwardedAddress(text)).toBe(value);
        if (value >> 32n !== 0xffffn) expect(text).toBe(new URL(`http://[${text.toUpperCase()}]/`).hostname.slice(1, -1));
      }),
      { numRuns: 2_000 },
    );
    expect(formatAddress(parseForwardedAddress('2001:DB8:0:0:1:0:0:1') as bigint)).toBe('2001:db8::1:0:0:1');
    expect(formatAddress(parseForwardedAddress('::ffff:7f00:2') as bigint)).toBe('127.0.0.2');
  });

  it('takes a port on IPv4 and brackets (with or without a port) on IPv6, as proxies write them', () => {
    const read = (entry: string) => {
      const bits = parseForwardedAddress(entry);
      return bits === undefined ? undefined : formatAddress(bits);
    };
    expect(read('203.0.113.7:41234')).toBe('203.0.113.7');
    expect(read('[2001:db8::7]')).toBe('2001:db8::7');
    expect(read('[2001:db8::7]:443')).toBe('2001:db8::7');
    expect(read('[::ffff:203.0.113.7]')).toBe('203.0.113.7');
    for (const garbage of ['unknown', '_hidden', 'unix:', 'client.example', '[203.0.113.7]', '2001:db8::7:443:1:2:3:4', 'fe80::1%eth0', '1.2.3.4:', '"1.2.3.4"', '']) {
      expect(read(garbage), garbage).toBeUndefined();
    }
  });
});

describe('walkForwardedFor', () => {
  const PROXY = '10.0.0.2';
  const TRUSTED = ['10.0.0.0/24'];

  it('ignores the header of a peer that is not trusted, and reads none when nothing is trusted', () => {
    expect(clientOf(TRUSTED, '203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
    expect(clientOf([], PROXY, '198.51.100.1')).toBe(PROXY);
    fc.assert(
      fc.property(fc.string(), (header) => {
        expect(clientOf(TRUSTED, '203.0.113.9', header)).toBe('203.0.113.9');
      }),
    );
  });

  it('walks from the right past trusted addresses to the first untrusted one', () => {
    expect(clientOf(TRUSTED, PROXY, '198.51.100.1')).toBe('198.51.100.1');
    expect(clientOf(TRUSTED, PROXY, '6.6.6.6, 198.51.100.1, 10.0.0.3')).toBe('198.51.100.1');
    // Every line of the header, in order (Node joins repeated lines with ", ").
    expect(clientOf(TRUSTED, PROXY, ['6.6.6.6, 198.51.100.1', '10.0.0.3'])).toBe('198.51.100.1');
    // All trusted: the leftmost. No header: the peer.
    expect(clientOf(TRUSTED, PROXY, '10.0.0.5, 10.0.0.3')).toBe('10.0.0.5');
    expect(clientOf(TRUSTED, PROXY)).toBe(PROXY);
    expect(clientOf(TRUSTED, PROXY, '')).toBe(PROXY);
  });

  it('skips empty entries, and ends the walk at one that is no address: the hop that passed it on is the client', () => {
    expect(clientOf(TRUSTED, PROXY, '198.51.100.1, , 10.0.0.3,')).toBe('198.51.100.1');
    expect(clientOf(TRUSTED, PROXY, '198.51.100.1, unknown, 10.0.0.3')).toBe('10.0.0.3');
    expect(clientOf(TRUSTED, PROXY, '198.51.100.1, not-an-ip')).toBe(PROXY);
    expect(clientOf(TRUSTED, PROXY, '198.51.100.1:4242, [2001:db8::1]:443')).toBe('2001:db8::1');
  });

  it('matches an IPv4-mapped IPv6 peer against an IPv4 entry, and a peer with a zone without it', () => {
    expect(clientOf([PROXY], `::ffff:${PROXY}`, '198.51.100.1')).toBe('198.51.100.1');
    expect(clientOf(['::ffff:10.0.0.2'], PROXY, '198.51.100.1')).toBe('198.51.100.1');
    expect(clientOf(['fe80::/10'], 'fe80::1%eth0', '2001:db8::9')).toBe('2001:db8::9');
    expect(clientOf(['fd00::/8'], 'fd12::1', '2001:DB8:0::9')).toBe('2001:db8::9');
    // A range matches its own addresses only.
    expect(clientOf(['10.0.0.0/31'], '10.0.0.1', '198.51.100.1')).toBe('198.51.100.1');
    expect(clientOf(['10.0.0.0/31'], '10.0.0.2', '198.51.100.1')).toBe('10.0.0.2');
    expect(createTrustedProxies(['0.0.0.0/0']).isTrusted('::1')).toBe(false);
    expect(createTrustedProxies(['::/0']).isTrusted('127.0.0.1')).toBe(true);
  });

  it('never lets what the client wrote decide: the client is the address the first trusted hop saw', () => {
    const trusted = fc.integer({ min: 0, max: 255 }).map((n) => `10.0.0.${n}`);
    const outside = fc.ipV4().filter((address) => !address.startsWith('10.0.0.'));
    fc.assert(
      fc.property(fc.array(fc.string()), outside, fc.array(trusted, { maxLength: 4 }), trusted, (forged, client, hops, peer) => {
        const header = [...forged, client, ...hops].join(', ');
        expect(clientOf(TRUSTED, peer, header)).toBe(client);
      }),
      { numRuns: 1_000 },
    );
  });

  it('answers the peer or an address for any header, never the garbage in it', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.constant('10.0.0.7'))), (entries) => {
        const client = walkForwardedFor(PROXY, entries.join(','), () => true);
        expect(client === PROXY || parseForwardedAddress(client) !== undefined).toBe(true);
      }),
    );
  });
});

describe('createTrustedProxies', () => {
  it('names the entry that is wrong, what it takes, what it got and why', () => {
    const expected = 'an IPv4 or IPv6 address or a CIDR range such as 10.0.0.0/8 or fd00::/8';
    expect(() => createTrustedProxies(['10.0.0.1', '10.0.0.300'])).toThrow(`trustedProxies[1] must be ${expected}, got the string "10.0.0.300": 300 is more than 255`);
    expect(() => createTrustedProxies([10])).toThrow(`trustedProxies[0] must be ${expected}, got number 10`);
    expect(() => createTrustedProxies(['proxy'], 'proxies')).toThrow(`proxies[0] must be ${expected}, got the string "proxy": it is not an IP address (host names are not looked up)`);
  });

  it('answers "unknown" for a socket without a peer address (closed)', () => {
    expect(createTrustedProxies(['10.0.0.2']).clientAddress({ headers: { 'x-forwarded-for': '198.51.100.1' }, socket: {} })).toBe('unknown');
  });
});
