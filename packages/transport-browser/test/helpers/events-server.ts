import { createEventsServer, type EventsServer, silentLogger } from '@events/server';
import { createScriptedSource, type ScriptedSource } from '../../../../tests/support/scripted-source.js';

export const USER = { username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] } as const;

/** A real events server on loopback over a scripted source, restartable on the same port. */
export interface TestEventsServer {
  readonly server: EventsServer;
  readonly source: ScriptedSource;
  /** `http://127.0.0.1:port`: the same across restarts. */
  readonly url: string;
  /** Closes the server (stream connections get 1001) and starts a new one on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startEventsServer(options: { readonly heartbeatMs?: number } = {}): Promise<TestEventsServer> {
  const source = createScriptedSource();
  const start = (port: number) =>
    // closeTimeoutMs: a black-holed connection never answers the 1001 of a restart.
    createEventsServer({ source, users: [{ ...USER, namespaces: [...USER.namespaces] }], logger: silentLogger, port, heartbeatMs: options.heartbeatMs ?? 500, closeTimeoutMs: 500 });
  let server = await start(0);
  const port = server.port;
  return {
    get server() {
      return server;
    },
    source,
    url: server.url,
    async restart() {
      await server.close();
      server = await start(port);
    },
    close: () => server.close(),
  };
}
