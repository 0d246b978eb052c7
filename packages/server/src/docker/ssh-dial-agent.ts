import { Agent, type ClientRequestArgs } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';

/** Where the engine's host is and who logs in: from an `ssh://user[:password]@host[:port]` address. */
export interface SshDialTarget {
  /** A name or an IP address; an IPv6 address with or without its brackets. */
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** The ssh agent's socket (SSH_AUTH_SOCK), for key logins. */
  readonly agentSocket: string | undefined;
}

let clientClass: (new () => Client) | undefined;

/**
 * ssh2's Client, the very one docker-modem dials with: resolved from docker-modem's folder (itself
 * resolved from dockerode's), so it is dockerode's dependency, not one of ours.
 */
function sshClientClass(): new () => Client {
  if (clientClass === undefined) {
    const fromDockerode = createRequire(createRequire(import.meta.url).resolve('dockerode'));
    clientClass = (createRequire(fromDockerode.resolve('docker-modem'))('ssh2') as { Client: new () => Client }).Client;
  }
  return clientClass;
}

/**
 * An http.Agent whose every connection is `docker system dial-stdio` run on the engine's host, over
 * an ssh session of its own that ends with the connection: what docker's CLI does for `ssh://`, and
 * what docker-modem's `protocol: 'ssh'` does. The modem is given it as its `agent` over plain http
 * because its own ssh path formats the engine's URL as `ssh:HOST:PORTHOST` (no `//`: `ssh` is not
 * one of url.format's slashed protocols) and Node warns on every run that it is invalid (DEP0170).
 * The login is kept in a closure, not a field: nothing that prints the agent (util.inspect,
 * docker-modem's debug output) can show the password.
 *
 * @example
 * const agent = createSshDialAgent({ host: 'box', port: 22, username: 'me', password: undefined, agentSocket: process.env.SSH_AUTH_SOCK });
 * new Docker({ protocol: 'http', host: 'box', port: 22, agent });
 */
export function createSshDialAgent(target: SshDialTarget): Agent {
  const config: ConnectConfig = {
    // net.connect takes an IPv6 address without brackets.
    host: target.host.replace(/^\[(.*)\]$/, '$1'),
    port: target.port,
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
    ...(target.agentSocket !== undefined && target.agentSocket !== '' ? { agent: target.agentSocket } : {}),
  };

  const dial = (callback: (error: Error | null, stream?: Duplex) => void): void => {
    const connection = new (sshClientClass())();
    let channel: ClientChannel | undefined;
    let settled = false;
    const settle = (error: Error | null, stream?: Duplex) => {
      if (settled) return;
      settled = true;
      callback(error, stream);
    };
    connection.on('error', (error: Error) => {
      connection.end();
      settle(error);
    });
    // The session gone (the host rebooted, the network dropped): so is the connection on it.
    connection.on('close', () => {
      channel?.destroy();
      settle(new Error('the ssh connection closed before the engine answered'));
    });
    connection.once('ready', () => {
      connection.exec('docker system dial-stdio', (error, opened) => {
        if (error) {
          connection.end();
          settle(error);
          return;
        }
        channel = opened;
        opened.once('close', () => connection.end());
        settle(null, opened);
      });
    });
    try {
      connection.connect(config);
    } catch (error) {
      settle(error instanceof Error ? error : new Error(String(error)));
    }
  };

  const agent = new Agent();
  // Node's Agent takes the stream from the callback when createConnection returns nothing.
  agent.createConnection = (_options: ClientRequestArgs, callback?: (error: Error | null, stream: Duplex) => void) => {
    dial((error, stream) => callback?.(error, stream as Duplex));
    return undefined;
  };
  return agent;
}
