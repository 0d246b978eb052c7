import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

// A real OpenSSH server on a free loopback port, with host and user keys of its own in a folder
// of the test's, and ssh client configs that use nothing from ~/.ssh: for the ssh:// engine tests.

const SSHD = '/usr/sbin/sshd';

/** Why there can be no test sshd here (for the skipped test's name), or undefined. */
export function sshdUnavailable(): string | undefined {
  const missing = [SSHD, '/usr/bin/ssh', '/usr/bin/ssh-keygen'].filter((path) => !existsSync(path));
  return missing.length > 0 ? `${missing.join(', ')} not installed; .ci/run installs openssh-server` : undefined;
}

export interface TestSshd {
  readonly port: number;
  /** The user to log in as: the one the tests run as (sshd, run by them, can log in no other). */
  readonly user: string;
  /** ssh client configs: `trusted` knows the host key and has an authorized key; the others lack one of the two. */
  readonly configs: { readonly trusted: string; readonly unknownHost: string; readonly unauthorizedKey: string };
  stop(): void;
}

function keygen(file: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'events-test', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(port, '127.0.0.1');
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Starts sshd in `dir` (which it fills with keys and configs). `forceCommand` replaces whatever
 * the client asks to run; `setEnv` is given to every session (e.g. the DOCKER_HOST of a test
 * engine, for a real `docker system dial-stdio`).
 */
export async function startTestSshd(dir: string, options: { forceCommand?: string; setEnv?: Record<string, string> } = {}): Promise<TestSshd> {
  mkdirSync(dir, { recursive: true });
  const hostKey = join(dir, 'host_key');
  const hostPublic = keygen(hostKey).split(' ').slice(0, 2).join(' ');
  const userKey = join(dir, 'user_key');
  writeFileSync(join(dir, 'authorized_keys'), `${keygen(userKey)}\n`);
  const strangerKey = join(dir, 'stranger_key');
  keygen(strangerKey);
  const port = await freePort();
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPublic}\n`);
  writeFileSync(join(dir, 'empty_known_hosts'), '');
  const clientConfig = (name: string, key: string, knownHosts: string): string => {
    const path = join(dir, name);
    writeFileSync(path, ['Host *', `  IdentityFile ${key}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${join(dir, knownHosts)}`, '  GlobalKnownHostsFile /dev/null', '  StrictHostKeyChecking yes', ''].join('\n'));
    return path;
  };
  const configs = {
    trusted: clientConfig('ssh_config', userKey, 'known_hosts'),
    unknownHost: clientConfig('ssh_config_unknown_host', userKey, 'empty_known_hosts'),
    unauthorizedKey: clientConfig('ssh_config_unauthorized_key', strangerKey, 'known_hosts'),
  };

  const sshdConfig = join(dir, 'sshd_config');
  writeFileSync(
    sshdConfig,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      ...(options.forceCommand !== undefined ? [`ForceCommand ${options.forceCommand}`] : []),
      ...(options.setEnv !== undefined ? [`SetEnv ${Object.entries(options.setEnv).map(([name, value]) => `${name}=${value}`).join(' ')}`] : []),
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // sshd's privilege separation folder, which the package's service script (never run) makes.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true });
  let log = '';
  const sshd: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', sshdConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
  sshd.stderr?.setEncoding('utf8');
  sshd.stderr?.on('data', (text: string) => {
    log = (log + text).slice(-8192);
  });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (sshd.exitCode !== null || Date.now() > deadline) {
      sshd.kill();
      throw new Error(`sshd did not start: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, user: userInfo().username, configs, stop: () => sshd.kill() };
}
