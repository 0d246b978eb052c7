import { isIPv4, isIPv6 } from 'node:net';
import { badAddress, maskCredentials } from '../cli-rules.js';

// Docker Engine addresses (`--docker-host`, DOCKER_HOST), parsed and checked in one place: the
// CLI refuses a bad one before anything starts, and the engine client connects to exactly what
// was checked. Pure: no file, no environment.

/** Where a Docker Engine listens, as `unix://`, `npipe://`, `tcp://` (`http://`, `https://`) or `ssh://` says. */
export type DockerAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'npipe'; readonly path: string }
  | {
      readonly kind: 'tcp';
      /** A name, an IPv4 address, or an IPv6 address in brackets (`[::1]`). */
      readonly host: string;
      readonly port: number;
      /** `https://`: TLS whatever the environment says. */
      readonly https: boolean;
      /** From `tcp://user:password@host`, sent as HTTP Basic auth (for an authenticating proxy). */
      readonly username: string | undefined;
      readonly password: string | undefined;
      /**
       * From `tcp://host:2375/prefix`: put before every API path, as docker's CLI does (an engine
       * behind a reverse proxy that serves it under a path). `''` when the address has none.
       */
      readonly pathPrefix: string;
    }
  | { readonly kind: 'ssh'; readonly host: string; readonly port: number; readonly username: string | undefined };

export type DockerAddressParse = { readonly ok: true; readonly address: DockerAddress } | { readonly ok: false; readonly reason: string };

/** What `--docker-host`, DOCKER_HOST and `dockerHost` take, to follow "must be". */
export const DOCKER_ADDRESS = 'a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://)';
/** Segments of URL path characters (RFC 3986 pchar, `@` aside: it reads as credentials), none empty, `.` or `..`. */
const PATH_PREFIX = /^(\/(?!\.{1,2}(\/|$))([A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})+)+$/;
const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;

function decode(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Parses a Docker Engine address the way docker's CLI reads DOCKER_HOST: a scheme is required,
 * the host and port are checked (a port from 1 to 65535), and `tcp://` defaults to port 2375
 * (2376 for `https://`), `ssh://` to 22. A tcp address may end in a path, which prefixes every API
 * path, as with docker's CLI. The reason, when it fails, never repeats a password.
 *
 * @example
 * parseDockerAddress('tcp://10.0.0.5:2376') // { ok: true, address: { kind: 'tcp', host: '10.0.0.5', port: 2376, https: false, ... } }
 * parseDockerAddress('tcp://proxy:8080/docker/') // { ok: true, address: { kind: 'tcp', host: 'proxy', port: 8080, pathPrefix: '/docker', ... } }
 * parseDockerAddress('tcp://127.0.0.1:99999') // { ok: false, reason: 'port 99999 is not from 1 to 65535' }
 */
export function parseDockerAddress(text: string): DockerAddressParse {
  const fail = (reason: string): DockerAddressParse => ({ ok: false, reason });
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (text.startsWith('/')) return fail(`it has no scheme: write unix://${text} for a socket`);
    return fail('it has no scheme');
  }
  const rest = text.slice(scheme.length + 3);
  switch (scheme) {
    case 'unix':
    case 'npipe':
      if (rest === '') return fail(`${scheme}:// needs a path, as in ${scheme === 'unix' ? 'unix:///var/run/docker.sock' : 'npipe:////./pipe/docker_engine'}`);
      if (/[\0\n]/.test(rest)) return fail('the path has a control character in it');
      return { ok: true, address: { kind: scheme, path: rest } };
    case 'tcp':
    case 'http':
    case 'https':
    case 'ssh':
      break;
    default:
      return fail(`unknown scheme ${scheme}://`);
  }
  // A "/" ends the host part, so a "/" in a password (a base64 token has them) would make the
  // rest of it a path and the part before it a port, which a reason would repeat: said as such.
  if (/\/.*@/s.test(rest)) return fail('a "/" in a user name or password must be written %2F');
  // A query or fragment right after the host or port would read as part of it ("the port
  // "2375?x=1" is not a number"): said as what it is. (After a path, the path's check says it.)
  const hostAndPort = (rest.slice(rest.lastIndexOf('@') + 1).split('/')[0] as string);
  const query = hostAndPort.search(/[?#]/);
  if (query >= 0) return fail(`${JSON.stringify(hostAndPort.slice(query))} is a query or fragment: an address takes neither`);
  // authority [/]: userinfo@host:port, the host possibly an [IPv6] address; the userinfo runs to
  // the last @, so a password with an @ in it is never taken for the host (and echoed).
  const match = /^(?:([^/]*)@)?(\[[^\]/@]*\]|[^:/[\]@]*)(?::([^/]*))?(\/.*)?$/.exec(rest);
  if (!match) return fail('it is not an address of the form host:port');
  const [, userinfo, host = '', portText, path] = match;
  if (host === '') return fail('it names no host');
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (host.startsWith('[') ? !isIPv6(bare) : !(isIPv4(host) || (HOST_NAME.test(host) && !/^[\d.]+$/.test(host)))) {
    return fail(`${JSON.stringify(host)} is not a host name or an IP address`);
  }
  const defaultPort = scheme === 'ssh' ? 22 : scheme === 'https' ? 2376 : 2375;
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return fail(`the port ${JSON.stringify(portText)} is not a number from 1 to 65535`);
    port = Number(portText);
    if (port < 1 || port > 65535) return fail(`port ${port} is not from 1 to 65535`);
  }
  // docker's CLI takes a path as a prefix of every API path (tcp only; ssh refuses one). Its
  // trailing "/" goes, so that the prefix and an API path join with exactly one.
  const pathPrefix = (path ?? '').replace(/\/+$/, '');
  if (pathPrefix !== '') {
    if (scheme === 'ssh') return fail('an ssh:// address takes no path after the host');
    if (/[?#]/.test(pathPrefix)) return fail(`the path ${JSON.stringify(path)} has a query or fragment: an address takes a path prefix only`);
    if (!PATH_PREFIX.test(pathPrefix)) {
      return fail(`the path ${JSON.stringify(path)} is not a URL path: segments of letters, digits, -._~!$&'()*+,;=: and %XX escapes, none empty, "." or ".."`);
    }
  }
  const colon = userinfo?.indexOf(':') ?? -1;
  const username = decode(colon >= 0 ? userinfo?.slice(0, colon) : userinfo);
  const password = decode(colon >= 0 ? userinfo?.slice(colon + 1) : undefined);
  if (scheme === 'ssh') {
    // The OpenSSH client takes no password from its command line, and docker's CLI refuses one too.
    if (password !== undefined) return fail('an ssh:// address cannot carry a password: log in with a key (ssh-agent, or IdentityFile in ~/.ssh/config)');
    return { ok: true, address: { kind: 'ssh', host, port, username } };
  }
  return { ok: true, address: { kind: 'tcp', host, port, https: scheme === 'https', username, password, pathPrefix } };
}

/**
 * A host as a socket connects to it: an IPv6 address without its brackets (net.connect, ssh).
 *
 * @example
 * bareHost('[::1]') // '::1'
 * bareHost('box')   // 'box'
 */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * The address to show in messages, logs, `/healthz` and stdout: canonical, with any credentials
 * (user and password: a user may be a token) replaced by `***`, the same for every scheme.
 *
 * @example
 * formatDockerAddress({ kind: 'tcp', host: 'box', port: 2375, https: false, username: 'u', password: 'pw' }) // 'tcp://***@box:2375'
 * formatDockerAddress({ kind: 'ssh', host: 'box', port: 2222, username: 'u' }) // 'ssh://***@box:2222'
 */
export function formatDockerAddress(address: DockerAddress): string {
  switch (address.kind) {
    case 'unix':
    case 'npipe':
      return `${address.kind}://${address.path}`;
    case 'tcp':
    case 'ssh': {
      const credentials = address.username !== undefined || (address.kind === 'tcp' && address.password !== undefined) ? '***@' : '';
      const scheme = address.kind === 'ssh' ? 'ssh' : address.https ? 'https' : 'tcp';
      const port = address.kind === 'ssh' && address.port === 22 ? '' : `:${address.port}`;
      return `${scheme}://${credentials}${address.host}${port}${address.kind === 'tcp' ? address.pathPrefix : ''}`;
    }
  }
}

/**
 * An address as typed, with its credentials masked as {@link formatDockerAddress} masks them: for
 * messages about an address that did not parse (so formatDockerAddress cannot be used). Everything
 * before the last `@` goes, so that a password with a `/` in it, or one without a scheme before
 * it, is masked too ({@link maskCredentials}, as the TUI masks its hosts).
 *
 * @example
 * redactDockerAddress('tcp://user:pw@host:99999') // 'tcp://***@host:99999'
 */
export function redactDockerAddress(text: string): string {
  return maskCredentials(text);
}

/**
 * Why an address is refused, by the name of what gave it (`--docker-host`, `DOCKER_HOST`,
 * `dockerHost`), in the command lines' words, credentials masked.
 *
 * @example
 * badDockerAddress('DOCKER_HOST', 'tcp://u:pw@h:0', 'port 0 is not from 1 to 65535')
 * // 'DOCKER_HOST must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "tcp://***@h:0": port 0 is not from 1 to 65535'
 */
export function badDockerAddress(name: string, text: string, reason: string): string {
  return badAddress(name, DOCKER_ADDRESS, text, reason);
}
