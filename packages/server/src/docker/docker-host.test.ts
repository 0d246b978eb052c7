import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { badDockerAddress, formatDockerAddress, parseDockerAddress, redactDockerAddress } from './docker-host.js';

const ok = (text: string) => {
  const parsed = parseDockerAddress(text);
  if (!parsed.ok) throw new Error(`expected ${text} to parse: ${parsed.reason}`);
  return parsed.address;
};
const reason = (text: string) => {
  const parsed = parseDockerAddress(text);
  if (parsed.ok) throw new Error(`expected ${text} to be refused, got ${JSON.stringify(parsed.address)}`);
  return parsed.reason;
};

describe('parseDockerAddress', () => {
  it('reads the schemes docker uses, with their default ports', () => {
    expect(ok('unix:///var/run/docker.sock')).toEqual({ kind: 'unix', path: '/var/run/docker.sock' });
    expect(ok('npipe:////./pipe/docker_engine')).toEqual({ kind: 'npipe', path: '//./pipe/docker_engine' });
    expect(ok('tcp://10.0.0.5')).toEqual({ kind: 'tcp', host: '10.0.0.5', port: 2375, https: false, username: undefined, password: undefined, pathPrefix: '' });
    expect(ok('tcp://docker_dind:2376/')).toMatchObject({ kind: 'tcp', host: 'docker_dind', port: 2376, https: false });
    expect(ok('https://engine.example.com')).toMatchObject({ kind: 'tcp', host: 'engine.example.com', port: 2376, https: true });
    expect(ok('tcp://[::1]:2375')).toMatchObject({ kind: 'tcp', host: '[::1]', port: 2375 });
    expect(ok('ssh://me@box')).toEqual({ kind: 'ssh', host: 'box', port: 22, username: 'me' });
    expect(ok('tcp://us%40er:p%3Aw@h:1')).toMatchObject({ username: 'us@er', password: 'p:w' });
    expect(ok('tcp://user:p@ss@h:1')).toMatchObject({ host: 'h', username: 'user', password: 'p@ss' });
  });

  it('takes a path after a tcp host as a prefix of every API path, as docker\'s CLI does', () => {
    expect(ok('tcp://proxy:8080/docker')).toMatchObject({ kind: 'tcp', host: 'proxy', port: 8080, pathPrefix: '/docker' });
    // Without its trailing "/", so that the prefix and "/containers/json" join with one.
    expect(ok('https://proxy/a/b-1/')).toMatchObject({ https: true, port: 2376, pathPrefix: '/a/b-1' });
    expect(ok('tcp://proxy:8080//')).toMatchObject({ pathPrefix: '' });
    expect(ok('tcp://u:pw@proxy/engine%20one')).toMatchObject({ username: 'u', password: 'pw', pathPrefix: '/engine%20one' });
    expect(formatDockerAddress(ok('tcp://u:pw@proxy:8080/docker/'))).toBe('tcp://***@proxy:8080/docker');
    expect(ok('ssh://me@box/')).toEqual({ kind: 'ssh', host: 'box', port: 22, username: 'me' });
  });

  it.each([
    ['/var/run/docker.sock', 'it has no scheme: write unix:///var/run/docker.sock for a socket'],
    ['bogus', 'it has no scheme'],
    ['10.0.0.5:2375', 'it has no scheme'],
    ['ftp://x', 'unknown scheme ftp://'],
    ['unix://', 'unix:// needs a path, as in unix:///var/run/docker.sock'],
    ['tcp://127.0.0.1:99999', 'port 99999 is not from 1 to 65535'],
    ['tcp://127.0.0.1:0', 'port 0 is not from 1 to 65535'],
    ['tcp://127.0.0.1:http', 'the port "http" is not a number from 1 to 65535'],
    ['tcp://exa mple:1', '"exa mple" is not a host name or an IP address'],
    ['tcp://999.1.1.1:2375', '"999.1.1.1" is not a host name or an IP address'],
    ['tcp://[zz]:2375', '"[zz]" is not a host name or an IP address'],
    ['tcp://:2375', 'it names no host'],
    ['ssh://me@box/home/me', 'an ssh:// address takes no path after the host'],
    ['tcp://host:2375/a?b=1', 'the path "/a?b=1" has a query or fragment: an address takes a path prefix only'],
    ['tcp://host:2375/a#top', 'the path "/a#top" has a query or fragment: an address takes a path prefix only'],
    ['tcp://host:2375?tls=1', '"?tls=1" is a query or fragment: an address takes neither'],
    ['tcp://u:p?w@host#top', '"#top" is a query or fragment: an address takes neither'],
    ['ssh://me@box?x', '"?x" is a query or fragment: an address takes neither'],
    ...['/a b', '/a//b', '/a/../b', '/./a', '/100%', '/%zz', '/a\u0000'].map((path) => [
      `tcp://host:2375${path}`,
      `the path ${JSON.stringify(path)} is not a URL path: segments of letters, digits, -._~!$&'()*+,;=: and %XX escapes, none empty, "." or ".."`,
    ]),
    // Not the part of the password before the "/" taken for a port: `the port "abc" is not a number`.
    ['tcp://user:abc/def@proxy:2375', 'a "/" in a user name or password must be written %2F'],
    ['ssh://me:abc/def@box', 'a "/" in a user name or password must be written %2F'],
    // The OpenSSH client takes no password: not accepted, then silently not sent.
    ['ssh://me:s3cret@box:2222', 'an ssh:// address cannot carry a password: log in with a key (ssh-agent, or IdentityFile in ~/.ssh/config)'],
  ])('%s is refused: %s', (text, why) => {
    expect(reason(text)).toBe(why);
  });

  it('never throws, and what it accepts formats back to an address it reads the same', () => {
    const piece = fc.constantFrom('tcp://', 'unix://', 'ssh://', 'https://', 'u:pw@', 'host', '[::1]', '127.0.0.1', ':', '2375', '99999', '/', ' ', '@', '%', 'a');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''))), (text) => {
        const parsed = parseDockerAddress(text);
        if (!parsed.ok) return;
        const again = parseDockerAddress(formatDockerAddress(parsed.address).replace('***', 'x'));
        expect(again.ok).toBe(true);
        if (again.ok && parsed.address.kind !== 'tcp' && parsed.address.kind !== 'ssh') expect(again.address).toEqual(parsed.address);
        if (again.ok && (parsed.address.kind === 'tcp' || parsed.address.kind === 'ssh')) {
          expect(again.address).toMatchObject({ kind: parsed.address.kind, host: parsed.address.host, port: parsed.address.port });
          if (parsed.address.kind === 'tcp') expect(again.address).toMatchObject({ pathPrefix: parsed.address.pathPrefix });
        }
      }),
    );
  });
});

describe('formatDockerAddress and redactDockerAddress', () => {
  it('never show a password, nor a user (it may be a token), and mask every scheme the same way', () => {
    expect(formatDockerAddress(ok('tcp://user:s3cret@127.0.0.1:2375'))).toBe('tcp://***@127.0.0.1:2375');
    expect(formatDockerAddress(ok('tcp://t0ken@127.0.0.1'))).toBe('tcp://***@127.0.0.1:2375');
    expect(formatDockerAddress(ok('https://user:s3cret@h'))).toBe('https://***@h:2376');
    expect(formatDockerAddress(ok('ssh://me@box:2222'))).toBe('ssh://***@box:2222');
    expect(formatDockerAddress(ok('ssh://me@box'))).toBe('ssh://***@box');
    expect(formatDockerAddress(ok('ssh://box'))).toBe('ssh://box');
    expect(formatDockerAddress(ok('https://h'))).toBe('https://h:2376');
    expect(redactDockerAddress('tcp://user:s3cret@host:99999')).toBe('tcp://***@host:99999');
    expect(redactDockerAddress('ssh://me:s3cret@box:99999')).toBe('ssh://***@box:99999');
    expect(redactDockerAddress('SSH://me:s3cret@box')).toBe('SSH://***@box');
    expect(redactDockerAddress('tcp://me:s3@cret@bad host')).toBe('tcp://***@bad host');
    expect(redactDockerAddress('unix:///var/run/docker.sock')).toBe('unix:///var/run/docker.sock');
    // A "/" in the password, and no scheme at all: masked all the same.
    expect(redactDockerAddress('tcp://user:abc/def@proxy:2375')).toBe('tcp://***@proxy:2375');
    expect(redactDockerAddress('user:s3cret@proxy:2375')).toBe('***@proxy:2375');
    // A path is no address with credentials.
    expect(redactDockerAddress('unix:///run/a@b.sock')).toBe('unix:///run/a@b.sock');
    expect(redactDockerAddress('/run/a@b.sock')).toBe('/run/a@b.sock');
  });

  it('mask the same credentials the same way whatever the scheme', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{1,8}(:[A-Za-z0-9@]{1,8})?$/), fc.constantFrom('127.0.0.1:2222', 'box:2222', '[::1]:2222', 'bad host:1'), (userinfo, rest) => {
        const masked = ['tcp', 'https', 'ssh'].map((scheme) => redactDockerAddress(`${scheme}://${userinfo}@${rest}`).replace(/^\w+:/, ''));
        expect(new Set(masked).size).toBe(1);
        const formatted = ['tcp', 'https', 'ssh'].flatMap((scheme) => {
          const parsed = parseDockerAddress(`${scheme}://${userinfo}@${rest}`);
          return parsed.ok ? [formatDockerAddress(parsed.address).replace(/^\w+:/, '')] : [];
        });
        expect(new Set(formatted).size).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('keep a password out of whatever they return', () => {
    // Z, so that no piece of a password is a scheme, a host or a port of the cases, nor in a
    // reason; with a "/" or ":" in it (a base64 token has "/"), no piece of it either.
    const secret = fc.stringMatching(/^Z[A-Za-z0-9]{6,12}([/:]Z[A-Za-z0-9]{1,6})?$/);
    const pieces = (password: string) => password.split(/[/:]/);
    fc.assert(
      fc.property(
        fc.constantFrom('tcp://', 'ssh://', 'https://', ''),
        fc.stringMatching(/^[a-z]{1,6}$/),
        secret,
        fc.constantFrom('h', '127.0.0.1:99999', 'bad host', '[::1]:1', 'x@h', 'x@bad host'),
        (scheme, user, password, rest) => {
          const text = `${scheme}${user}:${password}@${rest}`;
          const parsed = parseDockerAddress(text);
          const shown = [redactDockerAddress(text), parsed.ok ? formatDockerAddress(parsed.address) : badDockerAddress('DOCKER_HOST', text, parsed.reason)];
          for (const piece of pieces(password)) for (const one of shown) expect(one).not.toContain(piece);
        },
      ),
    );
  });
});

describe('badDockerAddress', () => {
  it('words a refused address as the command lines word a bad value, by the name that gave it, credentials masked', () => {
    expect(badDockerAddress('--docker-host', 'x', 'it has no scheme')).toBe('--docker-host must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "x": it has no scheme');
    expect(badDockerAddress('DOCKER_HOST', 'tcp://me:s3cret@h:0', 'port 0 is not from 1 to 65535')).toBe(
      'DOCKER_HOST must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "tcp://***@h:0": port 0 is not from 1 to 65535',
    );
  });
});
