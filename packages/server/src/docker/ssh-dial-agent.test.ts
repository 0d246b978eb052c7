import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshdUnavailable, startTestSshd, type TestSshd } from '../../test/helpers/test-sshd.js';
import { createDockerEngineClient } from './docker-engine-client.js';
import { sshDialArguments } from './ssh-dial-agent.js';

// ssh:// engines over the real OpenSSH client and a real sshd on loopback. The sshd's
// ForceCommand stands for the engine host's `docker system dial-stdio`: it records the command
// the client asked for and pipes the session to a fake engine's HTTP port. (A real engine behind
// a real `docker system dial-stdio`: test/docker/real-engine-connection.test.ts.)

const unavailable = sshdUnavailable();
const skipReason = unavailable !== undefined ? ` (skipped: ${unavailable})` : '';

let dir: string;
let engine: HttpServer;
let sshd: TestSshd;
/** What the engine was asked: method and path. */
const requests: string[] = [];
/** ssh sessions whose bridge to the engine is open now. */
let bridged = 0;

beforeAll(async () => {
  if (unavailable !== undefined) return;
  dir = mkdtempSync(join(tmpdir(), 'events-ssh-'));
  engine = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url === '/_ping') return res.end('OK');
    if (req.url?.startsWith('/events')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"Type":"container","Action":"start"}\n');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"page not found"}');
  });
  engine.on('connection', (socket) => {
    bridged++;
    socket.once('close', () => bridged--);
  });
  await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
  const enginePort = (engine.address() as AddressInfo).port;

  const bridge = join(dir, 'bridge.cjs');
  writeFileSync(
    bridge,
    `const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(join(dir, 'commands.log'))}, String(process.env.SSH_ORIGINAL_COMMAND) + '\\n');
const upstream = require('node:net').connect(${enginePort}, '127.0.0.1');
process.stdin.pipe(upstream).pipe(process.stdout);
upstream.on('close', () => process.exit(0));
process.stdin.on('end', () => upstream.end());
`,
  );
  sshd = await startTestSshd(join(dir, 'sshd'), { forceCommand: `${process.execPath} ${bridge}` });
}, 30_000);

afterAll(async () => {
  if (unavailable !== undefined) return;
  sshd.stop();
  engine.closeAllConnections();
  await new Promise((resolve) => engine.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** A connection error's message, or a failure of the test when the call succeeded. */
async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (reason: unknown) => reason as Error & { code?: string },
  );
}

describe('sshDialArguments', () => {
  it("gives ssh docker's CLI arguments, in batch mode, the host last before the command", () => {
    expect(sshDialArguments({ host: '[::1]', port: 2222, username: 'me', env: {} })).toEqual([
      ...['-o', 'ConnectTimeout=30', '-o', 'BatchMode=yes', '-T', '-l', 'me', '-p', '2222', '--', '::1'],
      ...['docker', 'system', 'dial-stdio'],
    ]);
    // No user: ssh's own default (~/.ssh/config, then the local user). A host starting with "-" is no option.
    expect(sshDialArguments({ host: '-oProxyCommand=x', port: 22, username: undefined, env: {} }).slice(-5)).toEqual(['--', '-oProxyCommand=x', 'docker', 'system', 'dial-stdio']);
  });
});

describe(`an ssh:// engine address, over OpenSSH${skipReason}`, () => {
  it.skipIf(skipReason !== '')('runs docker system dial-stdio on the host, pings and follows the event stream through it, and Node warns of nothing', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      requests.length = 0;
      const client = createDockerEngineClient({ dockerHost: `ssh://${sshd.user}@127.0.0.1:${sshd.port}`, env: process.env, sshCommand: ['ssh', '-F', sshd.configs.trusted] });
      expect(client.endpoint).toBe(`ssh://***@127.0.0.1:${sshd.port}`);
      await client.ping();
      expect(requests).toEqual(['GET /_ping']);
      expect(readFileSync(join(dir, 'commands.log'), 'utf8').trim().split('\n')).toEqual(['docker system dial-stdio']);
      // The engine's refusal comes back through ssh like any other answer.
      await expect(client.inspectNode('nope')).resolves.toBeUndefined();
      // Calls one after another share the session: no new login for each ping.
      for (let i = 0; i < 4; i++) await client.ping();
      expect(requests).toHaveLength(6);
      expect(readFileSync(join(dir, 'commands.log'), 'utf8').trim().split('\n')).toHaveLength(1);

      // The engine ends the kept connection (it restarted, say): ssh exits, and the next call logs in again.
      engine.closeAllConnections();
      await expect.poll(() => bridged, { timeout: 5_000 }).toBe(0);
      await client.ping();
      expect(readFileSync(join(dir, 'commands.log'), 'utf8').trim().split('\n')).toHaveLength(2);

      // The event stream comes through, for as long as it is open.
      const lines: string[] = [];
      const stream = await client.streamEvents((line) => lines.push(line), () => {});
      await expect.poll(() => lines).toEqual(['{"Type":"container","Action":"start"}']);
      expect(requests.at(-1)).toBe(`GET /events?filters=${encodeURIComponent('{"type":["container","service","node"]}')}`);
      stream.close();
      await client.ping();
      // disconnect() ends every session, the idle ones included.
      expect(bridged).toBeGreaterThan(0);
      client.disconnect?.();
      await expect.poll(() => bridged, { timeout: 5_000 }).toBe(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it.skipIf(skipReason !== '')('refuses a host whose key is not known: ssh says why, and the call is a connection error', async () => {
    const client = createDockerEngineClient({ dockerHost: `ssh://${sshd.user}@127.0.0.1:${sshd.port}`, env: process.env, sshCommand: ['ssh', '-F', sshd.configs.unknownHost] });
    const error = await failure(client.ping());
    expect(error).toMatchObject({ name: 'EventsError', code: 'connection' });
    expect(error.message).toMatch(/^ping: ssh: .*Host key verification failed\.$/);
  });

  it.skipIf(skipReason !== '')('a refused login is a connection error with what ssh said, and asks nobody for a password', async () => {
    const client = createDockerEngineClient({ dockerHost: `ssh://${sshd.user}@127.0.0.1:${sshd.port}`, env: process.env, sshCommand: ['ssh', '-F', sshd.configs.unauthorizedKey] });
    const started = Date.now();
    const error = await failure(client.ping());
    expect(error).toMatchObject({ name: 'EventsError', code: 'connection' });
    expect(error.message).toMatch(/^ping: ssh: .*Permission denied \(publickey\)\.$/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses an sshCommand that is not a program and its arguments', () => {
    for (const sshCommand of [[], [''], 'ssh -F x', ['ssh', 3]]) {
      expect(() => createDockerEngineClient({ dockerHost: 'ssh://me@box', env: {}, sshCommand: sshCommand as unknown as [string] })).toThrow(
        `sshCommand must be the ssh program and its arguments, as a list of strings (e.g. ["ssh", "-F", "/etc/events/ssh_config"]), got ${JSON.stringify(sshCommand)}`,
      );
    }
  });

  it('says so when there is no ssh program to run', async () => {
    const client = createDockerEngineClient({ dockerHost: 'ssh://me@127.0.0.1:1', env: {}, sshCommand: ['/nonexistent/events-ssh'] });
    const error = await failure(client.ping());
    expect(error).toMatchObject({ name: 'EventsError', code: 'connection' });
    expect(error.message).toBe('ping: cannot run /nonexistent/events-ssh: it is not installed (an OpenSSH client is needed for ssh:// addresses)');
  });
});
