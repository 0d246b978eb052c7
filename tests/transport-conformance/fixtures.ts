// Test fixtures of the transport conformance suite: a hand-driven event source, a TCP proxy that
// can cut, freeze or refuse connections, and a relay that plays a Docker Cloud server ignoring
// the resume subprotocol. Node only (they stand in for the network and the server side).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type DockerCloudEvent, formatEventDatetime, type ObjectType, resourceUriFor, type State } from '@events/core';
import type { CloudSource, SourceEvent } from '@events/server';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

/** A CloudSource that emits only when told; its log is what deliveries are compared with. */
export interface ScriptedSource extends CloudSource {
  emit(namespace: string, overrides?: Partial<DockerCloudEvent>): DockerCloudEvent;
  readonly emitted: SourceEvent[];
}

const STATE_OF: Readonly<Record<ObjectType, State>> = {
  stack: 'Running',
  service: 'Running',
  container: 'Running',
  nodecluster: 'Deployed',
  node: 'Deployed',
  action: 'Success',
};

export function createScriptedSource(): ScriptedSource {
  let sink: ((event: SourceEvent) => void) | undefined;
  const emitted: SourceEvent[] = [];
  return {
    name: 'scripted',
    async start(emit) {
      sink = emit;
    },
    async stop() {
      sink = undefined;
    },
    list: () => [],
    get: () => undefined,
    operate: () => ({ ok: false, status: 404, detail: 'Not found.' }),
    health: () => ({ ok: true, detail: 'scripted' }),
    emit(namespace, overrides = {}) {
      if (sink === undefined) throw new Error('scripted source: not started');
      const type = overrides.type ?? 'container';
      const event: DockerCloudEvent = {
        type,
        action: 'update',
        parents: [],
        resource_uri: resourceUriFor(type, randomUUID(), namespace),
        state: STATE_OF[type],
        uuid: randomUUID(),
        datetime: formatEventDatetime(Date.now()),
        ...overrides,
      };
      emitted.push({ namespace, event });
      sink({ namespace, event });
      return event;
    },
    emitted,
  };
}

/** A loopback TCP proxy in front of a server, controlled like a bad network. */
export interface ControlledProxy {
  readonly port: number;
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  /** Connections currently proxied. */
  readonly connections: number;
  /** Destroys every proxied connection on both sides: both ends see the socket die, no close frame. */
  dropAll(): void;
  /** Stops forwarding on the current connections, keeping them open: a peer gone silent. */
  freezeAll(): void;
  /** While blocked, new connections are destroyed at once (the server looks down). */
  block(blocked: boolean): void;
  close(): Promise<void>;
}

export async function createControlledProxy(targetPort: number): Promise<ControlledProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let blocked = false;
  const server = createTcpServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
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
  return {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    get connections() {
      return pairs.size;
    },
    dropAll: destroyAll,
    freezeAll() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
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

/**
 * A Docker Cloud-style stream in front of our server: it accepts any subprotocol offer but
 * negotiates none (as Docker Cloud did) and relays the plain protocol from upstream. A refused
 * upstream upgrade is answered with the same HTTP status.
 */
export interface PlainRelay {
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  readonly connections: number;
  /** Closes every downstream connection abnormally (1006). */
  dropAll(): void;
  close(): Promise<void>;
}

export async function createPlainRelay(upstreamUrl: string): Promise<PlainRelay> {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => false });
  const live = new Set<{ down: WebSocket; up: WebSocket }>();
  const http: Server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const headers: Record<string, string> = {};
    if (req.headers.authorization !== undefined) headers.Authorization = req.headers.authorization;
    const up = new WebSocket(`${upstreamUrl.replace(/^http/, 'ws')}${req.url ?? '/'}`, { headers });
    up.on('error', () => socket.destroy());
    up.once('unexpected-response', (_r, response) => {
      socket.end(`HTTP/1.1 ${response.statusCode} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      up.terminate();
    });
    up.once('open', () => {
      wss.handleUpgrade(req, socket, head, (down) => {
        const pair = { down, up };
        live.add(pair);
        up.on('message', (data: RawData, isBinary: boolean) => down.send(data, { binary: isBinary }));
        up.on('close', (code) => {
          live.delete(pair);
          if (down.readyState === WebSocket.OPEN) down.close(code === 1005 || code === 1006 ? 1011 : code);
        });
        down.on('error', () => {});
        down.on('close', () => {
          live.delete(pair);
          up.terminate();
        });
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  const dropAll = () => {
    for (const { down, up } of live) {
      down.terminate();
      up.terminate();
    }
    live.clear();
  };
  return {
    url: `http://127.0.0.1:${address.port}`,
    get connections() {
      return live.size;
    },
    dropAll,
    close() {
      dropAll();
      wss.close();
      http.closeAllConnections();
      return new Promise((resolve) => http.close(() => resolve()));
    },
  };
}

/** Polls `condition` every 10 ms; throws after `timeoutMs` with `what` and the last `detail`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5_000, detail: () => unknown = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms ${JSON.stringify(detail())}`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Ref'd Node timers (what would keep a process alive). Unref'd ones are left out by Node. */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}
