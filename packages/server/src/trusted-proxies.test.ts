import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTrustedProxies, formatAddress, NAMED_RANGES, parseAddressRange, parseForwardedAddress, parseTrustedProxy, walkForwardedFor } from './trusted-proxies.js';

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

describe('named ranges', () => {
  const ranges = (text: string) => {
    const parsed = parseTrustedProxy(text);
    return parsed.ok ? parsed.value.map((range) => `${formatAddress(range.base)}/${range.prefix - (range.base >> 32n === 0xffffn ? 96 : 0)}`) : parsed.error;
  };

  it('stand for the ranges Express (proxy-addr) gives them', () => {
    expect(ranges('loopback')).toEqual(['127.0.0.0/8', '::1/128']);
    expect(ranges('linklocal')).toEqual(['169.254.0.0/16', 'fe80::/10']);
    expect(ranges('uniquelocal')).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']);
    expect(Object.keys(NAMED_RANGES)).toEqual(['loopback', 'linklocal', 'uniquelocal']);
    expect(ranges('10.1.2.3')).toEqual(['10.1.2.3/32']);
  });

  it.each([
    ['localhost', 'it is no named range: did you mean "loopback"?'],
    ['Loopback', 'it is no named range: did you mean "loopback"?'],
    ['link-local', 'it is no named range: did you mean "linklocal"?'],
    ['private', 'it is no named range: did you mean "uniquelocal"?'],
    ['loopback/8', 'a named range takes no prefix length: write loopback'],
    ['internal', 'it is neither an IP address (host names are not looked up) nor a named range'],
    ['constructor', 'it is neither an IP address (host names are not looked up) nor a named range'],
    ['proxy.internal', 'it is neither an IP address (host names are not looked up) nor a named range'],
    ['10.0.0.300', '300 is more than 255'],
  ])('refuses %j: %s', (text, why) => {
    expect(parseTrustedProxy(text)).toEqual({ ok: false, error: why });
  });

  // An oracle written from the RFCs, apart from the CIDR arithmetic under test.
  const octets = (address: string) => address.split('.').map(Number) as [number, number, number, number];
  const IPV4_ORACLE: Readonly<Record<keyof typeof NAMED_RANGES, (address: string) => boolean>> = {
    loopback: (address) => octets(address)[0] === 127,
    linklocal: (address) => octets(address)[0] === 169 && octets(address)[1] === 254,
    uniquelocal: (address) => {
      const [a, b] = octets(address);
      return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
    },
  };
  const firstGroup = (address: string) => Number.parseInt(formatAddress(parseForwardedAddress(address) as bigint).split(':')[0] || '0', 16);
  const IPV6_ORACLE: Readonly<Record<keyof typeof NAMED_RANGES, (address: string) => boolean>> = {
    loopback: (address) => parseForwardedAddress(address) === 1n,
    linklocal: (address) => (firstGroup(address) & 0xffc0) === 0xfe80,
    uniquelocal: (address) => (firstGroup(address) & 0xfe00) === 0xfc00,
  };
  const names = fc.constantFrom(...(Object.keys(NAMED_RANGES) as (keyof typeof NAMED_RANGES)[]));
  // Addresses near the edges of the ranges, where an off-by-one prefix would show.
  const edgyV4 = fc
    .tuple(fc.constantFrom(9, 10, 11, 126, 127, 128, 168, 169, 170, 171, 172, 173, 191, 192, 193), fc.constantFrom(0, 15, 16, 31, 32, 167, 168, 169, 253, 254, 255), fc.nat(255), fc.nat(255))
    .map((parts) => parts.join('.'));
  const edgyV6 = fc
    .tuple(fc.constantFrom(0, 0xfbff, 0xfc00, 0xfd12, 0xfdff, 0xfe00, 0xfe7f, 0xfe80, 0xfebf, 0xfec0, 0xffff), fc.constantFrom(0n, 1n, 2n, 0xffffn))
    .map(([group, low]) => formatAddress((BigInt(group) << 112n) | low));

  it('trust an IPv4 peer, and its IPv4-mapped IPv6 form, exactly when it is in the range', () => {
    fc.assert(
      fc.property(names, fc.oneof(fc.ipV4(), edgyV4), (name, address) => {
        const proxies = createTrustedProxies([name]);
        const inside = IPV4_ORACLE[name](address);
        expect(proxies.isTrusted(address)).toBe(inside);
        expect(proxies.isTrusted(`::ffff:${address}`)).toBe(inside);
        const bits = parseForwardedAddress(address) as bigint;
        expect(proxies.isTrusted(`::ffff:${((bits >> 16n) & 0xffffn).toString(16)}:${(bits & 0xffffn).toString(16)}`)).toBe(inside);
      }),
      { numRuns: 2_000 },
    );
  });

  it('trust an IPv6 peer exactly when it is in the range, with or without a zone', () => {
    // IPv4-mapped ones are the IPv4 property's.
    const ipV6 = fc.oneof(fc.ipV6(), edgyV6, fc.constant('::1')).filter((address) => (parseForwardedAddress(address) as bigint) >> 32n !== 0xffffn);
    fc.assert(
      fc.property(names, ipV6, (name, address) => {
        const inside = IPV6_ORACLE[name](address);
        const proxies = createTrustedProxies([name]);
        expect(proxies.isTrusted(address)).toBe(inside);
        if (!address.includes('.')) expect(proxies.isTrusted(`${address}%eth0`)).toBe(inside);
      }),
      { numRuns: 2_000 },
    );
  });

  it('mix with addresses and ranges in one list', () => {
    const proxies = createTrustedProxies(['loopback', '10.1.2.3', 'fd00::/8']);
    expect(['127.0.0.1', '::ffff:127.9.9.9', '::1', '10.1.2.3', '::ffff:10.1.2.3', 'fd00::5'].filter((peer) => !proxies.isTrusted(peer))).toEqual([]);
    expect(['10.1.2.4', '128.0.0.1', '::2', 'fe80::1', '192.168.1.1'].filter((peer) => proxies.isTrusted(peer))).toEqual([]);
    expect(proxies.entries).toEqual(['loopback', '10.1.2.3', 'fd00::/8']);
    expect(clientOf(['uniquelocal'], '::ffff:192.168.7.7', '203.0.113.9, 172.31.0.1')).toBe('203.0.113.9');
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
    const expected = 'an IPv4 or IPv6 address, a CIDR range such as 10.0.0.0/8 or fd00::/8, or a named range (loopback, linklocal or uniquelocal)';
    expect(() => createTrustedProxies(['10.0.0.1', '10.0.0.300'])).toThrow(`trustedProxies[1] must be ${expected}, got the string "10.0.0.300": 300 is more than 255`);
    expect(() => createTrustedProxies([10])).toThrow(`trustedProxies[0] must be ${expected}, got number 10`);
    expect(() => createTrustedProxies(['loopback', 'localhost'])).toThrow(`trustedProxies[1] must be ${expected}, got the string "localhost": it is no named range: did you mean "loopback"?`);
    expect(() => createTrustedProxies(['proxy'], 'proxies')).toThrow(`proxies[0] must be ${expected}, got the string "proxy": it is neither an IP address (host names are not looked up) nor a named range`);
  });

  it('answers "unknown" for a socket without a peer address (closed)', () => {
    expect(createTrustedProxies(['10.0.0.2']).clientAddress({ headers: { 'x-forwarded-for': '198.51.100.1' }, socket: {} })).toBe('unknown');
  });
});
