import { randomInt } from 'node:crypto';
import { createEventsServer, createSimulatedCloud, type EventsServer, generateDefaultUser, type SimulatedCloud, silentLogger } from '@events/server';

/** An events server over a simulated cloud, in this process, for `--demo`. */
export interface DemoServer {
  readonly server: EventsServer;
  readonly cloud: SimulatedCloud;
  /** `http://127.0.0.1:PORT`, the stream and the REST API on one port. */
  readonly url: string;
  readonly username: string;
  readonly apikey: string;
  /** The user's namespace, the one the cloud simulates. */
  readonly namespace: string;
  readonly seed: number;
  close(): Promise<void>;
}

export interface DemoServerOptions {
  /** Default: random. */
  readonly seed?: number;
  /** Background events per second, or `max` for flat out (`events-server --rate max`). */
  readonly rate: number | 'max';
  /** Default `demo`. */
  readonly username?: string;
  /** Default 0: any free port. */
  readonly port?: number;
}

/**
 * Starts `createEventsServer` with `createSimulatedCloud` on 127.0.0.1 (a free port) with one
 * user and a random API key. The server logs nothing: the terminal belongs to the view.
 *
 * @example
 * const demo = await startDemoServer({ rate: 3 });
 * console.log(`DOCKERCLOUD_REST_HOST=${demo.url}/ DOCKERCLOUD_USER=${demo.username} DOCKERCLOUD_APIKEY=${demo.apikey}`);
 * await demo.close();
 */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const user = generateDefaultUser(options.username ?? 'demo');
  const seed = options.seed ?? randomInt(1, 1_000_000_000);
  const cloud = createSimulatedCloud({ seed, rate: options.rate === 'max' ? Number.POSITIVE_INFINITY : options.rate, namespaces: [user.username] });
  const server = await createEventsServer({ source: cloud, users: [user], host: '127.0.0.1', port: options.port ?? 0, logger: silentLogger });
  return {
    server,
    cloud,
    url: server.url,
    username: user.username,
    apikey: user.apikey,
    namespace: user.username,
    seed,
    close: () => server.close(),
  };
}
