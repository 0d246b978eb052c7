// A loopback TCP proxy for tests, shared by the server, transport and conformance tests. Node only.
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of a server, controlled like a bad network. `dropAll` kills the
 * connections (both ends see the socket die, no close frame), `freezeAll` and `blackhole` keep
 * them open but stop carrying bytes (a peer gone silent: only a silence timeout can notice), and
 * `block` makes the server look down to new connections.
 *
 * @example
 * const proxy = await createTcpProxy(server.port);
 * const stream = openStream(proxy.url);
 * proxy.dropAll(); // the client must reconnect and resume
 * await proxy.close();
 */
export interface TcpProxy {
  readonly port: number;
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  /** Connections currently proxied. */
  readonly connections: number;
  /** Destroys every proxied connection on both sides: both ends see the socket die, no close frame. */
  dropAll(): void;
  /**
   * Stops forwarding on the current connections and stops reading them, keeping them open: the
   * sender's writes back up in TCP buffers. New connections work normally.
   */
  freezeAll(): void;
  /**
   * Stops forwarding on the current connections but keeps reading and discarding what arrives (a
   * pulled cable: no FIN, no close frame, nothing). New connections work normally.
   */
  blackhole(): void;
  /** While blocked, new connections are destroyed at once (the server looks down). */
  block(blocked: boolean): void;
  close(): Promise<void>;
}

/** Starts a proxy on an ephemeral loopback port forwarding to `targetHost:targetPort`. */
export async function createTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let blocked = false;
  const server: Server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const destroyAll = () => {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  const unpipeAll = () => {
    for (const [client, upstream] of pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
    }
  };
  const discard = () => {};
  return {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    get connections() {
      return pairs.size;
    },
    dropAll: destroyAll,
    freezeAll() {
      unpipeAll();
      for (const [client, upstream] of pairs) {
        client.pause();
        upstream.pause();
      }
    },
    blackhole() {
      unpipeAll();
      // unpipe pauses a stream left with no destination: read on so the peers' writes drain.
      for (const [client, upstream] of pairs) {
        client.on('data', discard).resume();
        upstream.on('data', discard).resume();
      }
    },
    block(value) {
      blocked = value;
    },
    close() {
      destroyAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
