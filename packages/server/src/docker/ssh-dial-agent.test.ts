import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { connect, type AddressInfo } from 'node:net';
import type * as Ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerEngineClient } from './docker-engine-client.js';

// A real ssh server on loopback (ssh2's, the library the client dials with) whose
// `docker system dial-stdio` pipes to a fake engine's HTTP port, as the docker CLI's does.
const fromModem = createRequire(createRequire(createRequire(import.meta.url).resolve('dockerode')).resolve('docker-modem'));
const ssh2 = fromModem('ssh2') as typeof Ssh2;

let engine: HttpServer;
let sshd: Ssh2.Server;
let sshPort: number;
/** What the engine was asked: method, path and Host. */
const requests: string[] = [];
/** What the ssh server saw: logins and commands. */
const seen: string[] = [];
/** ssh sessions open now. */
let sessions = 0;

beforeAll(async () => {
  engine = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url?.endsWith('/_ping')) return res.end('OK');
    if (req.url?.includes('/events')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"Type":"container","Action":"start"}\n');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
  const enginePort = (engine.address() as AddressInfo).port;

  sshd = new ssh2.Server({ hostKeys: [ssh2.utils.generateKeyPairSync('ed25519').private] }, (client) => {
    client.on('error', () => {});
    client.on('authentication', (context) => {
      if (context.method !== 'password') return context.reject(['password']);
      seen.push(`login ${context.username}:${context.password}`);
      if (context.username === 'user' && context.password === 's3cret') context.accept();
      else context.reject(['password']);
    });
    client.on('ready', () => {
      sessions++;
      client.once('close', () => sessions--);
      client.on('session', (acceptSession) => {
        acceptSession().once('exec', (acceptExec, _reject, info) => {
          seen.push(`exec ${info.command}`);
          const channel = acceptExec();
          const upstream = connect(enginePort, '127.0.0.1');
          upstream.on('error', () => channel.destroy());
          channel.on('error', () => upstream.destroy());
          channel.pipe(upstream).pipe(channel);
          upstream.once('close', () => channel.close());
        });
      });
    });
  });
  await new Promise<void>((resolve) => sshd.listen(0, '127.0.0.1', resolve));
  sshPort = (sshd.address() as AddressInfo).port;
});

afterAll(async () => {
  engine.closeAllConnections();
  await new Promise((resolve) => engine.close(resolve));
  await new Promise((resolve) => sshd.close(resolve));
});

describe('an ssh:// engine address', () => {
  it('logs in with the address credentials, runs docker system dial-stdio, and Node warns of nothing', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      requests.length = 0;
      seen.length = 0;
      const client = createDockerEngineClient({ dockerHost: `ssh://user:s3cret@127.0.0.1:${sshPort}`, env: {} });
      expect(client.endpoint).toBe(`ssh://***@127.0.0.1:${sshPort}`);
      await client.ping();
      expect(requests).toEqual(['GET /_ping']);
      expect(seen).toEqual(['login user:s3cret', 'exec docker system dial-stdio']);

      // The event stream: one ssh session for as long as it is open, ended with it.
      const lines: string[] = [];
      const stream = await client.streamEvents((line) => lines.push(line), () => {});
      await expect.poll(() => lines).toEqual(['{"Type":"container","Action":"start"}']);
      expect(requests[1]).toMatch(/^GET \/events\?filters=/);
      stream.close();
      await expect.poll(() => sessions).toBe(0);
      // DEP0170 is emitted on the next tick of the call that provoked it.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a refused login is a connection error that does not repeat the password', async () => {
    const client = createDockerEngineClient({ dockerHost: `ssh://user:wr0ng-pass@127.0.0.1:${sshPort}`, env: {} });
    const error = await client.ping().then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
    expect(error).toMatchObject({ name: 'EventsError', code: 'connection' });
    expect(error?.message).toMatch(/^ping: All configured authentication methods failed/);
    expect(error?.message).not.toContain('wr0ng-pass');
  });
});
