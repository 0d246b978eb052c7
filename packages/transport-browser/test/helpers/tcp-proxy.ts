import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy that can fail the ways a network does: `dropAll` kills the connections
 * (both ends see them die at once), `blackhole` keeps them open but stops carrying bytes (a pulled
 * cable: no FIN, no close frame, nothing), so only a silence timeout can notice.
 */
export interface TcpProxy {
  readonly port: number;
  dropAll(): void;
  /** Stops forwarding on the current connections; new connections work normally. */
  blackhole(): void;
  close(): Promise<void>;
}

export async function createTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket; dead: boolean }>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, dead: false };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (!pair.dead) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!pair.dead) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const destroyAll = () => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  return {
    port: address.port,
    dropAll: destroyAll,
    blackhole() {
      for (const pair of pairs) pair.dead = true;
    },
    close() {
      destroyAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
