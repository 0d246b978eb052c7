// A REST host that never answers, for tests of what a client leaves in flight. Node only.
import { createServer, type Server, type Socket } from 'node:net';

export interface SilentRestHost {
  /** `http://127.0.0.1:port/`. */
  readonly url: string;
  /**
   * The connections that carried a request and are still open (after an abort, fetch may open
   * idle connections that carry none).
   */
  inFlight(): number;
  close(): Promise<void>;
}

/**
 * Accepts every connection and never answers: the requests a client sends stay in flight until
 * the client gives them up.
 *
 * @example
 * const rest = await createSilentRestHost();
 * const tree = createLiveTree({ restHost: rest.url, ... });
 * await tree.close(); // then rest.inFlight() drops to 0
 */
export async function createSilentRestHost(): Promise<SilentRestHost> {
  const accepted: Socket[] = [];
  const carrying = new Set<Socket>();
  const server: Server = createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => {});
    socket.once('data', () => carrying.add(socket));
    socket.on('close', () => carrying.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    inFlight: () => carrying.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of accepted) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
