import { type Agent, type ClientRequest, type IncomingMessage, request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';

// The Docker Engine API over HTTP, with nothing but Node: a unix socket, tcp (TLS with the
// certificates it is given), or an agent that dials each connection itself (ssh).
// It reads no environment variable: the connection it is given is all it knows.

/** How to reach the engine, decided once by resolveDockerEngine. */
export type EngineConnection =
  | { readonly kind: 'socket'; readonly socketPath: string }
  | {
      readonly kind: 'tcp';
      /** A name, an IPv4 address, or an IPv6 address without brackets. */
      readonly host: string;
      readonly port: number;
      /** Put before every request's path (`tcp://host:port/prefix`): `''` or `/a/b`, no trailing "/". */
      readonly pathPrefix: string;
      /** Sent with every request: Basic auth from the address's credentials. */
      readonly headers: Readonly<Record<string, string>>;
      /** TLS, with these files' contents (undefined: the system's CAs, no client certificate). */
      readonly tls: { readonly ca: Buffer | undefined; readonly cert: Buffer | undefined; readonly key: Buffer | undefined } | undefined;
    }
  | {
      readonly kind: 'agent';
      /** For the Host header only: the agent makes every connection. */
      readonly host: string;
      readonly agent: Agent;
    };

export interface EngineRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path and query, e.g. `/containers/json?all=1`: unversioned, so the engine answers in its own API version. */
  readonly path: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Aborts the request, or the reading of its answer. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Sends one request and resolves with the engine's answer once its head has arrived, whatever
 * its status: the body is left to read (or, for `/events`, to follow for hours). Rejects with
 * Node's error when the engine cannot be reached.
 */
export function requestEngine(connection: EngineConnection, { method, path, body, signal }: EngineRequest): Promise<IncomingMessage> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string | number> = { Accept: 'application/json', ...(connection.kind === 'tcp' ? connection.headers : {}) };
  if (payload !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = payload.length;
  }
  const common: RequestOptions = { method, path, headers, ...(signal !== undefined ? { signal } : {}) };
  return new Promise<IncomingMessage>((resolve, reject) => {
    let sent: ClientRequest;
    switch (connection.kind) {
      case 'socket':
        sent = httpRequest({ ...common, socketPath: connection.socketPath });
        break;
      case 'agent':
        sent = httpRequest({ ...common, host: connection.host, agent: connection.agent });
        break;
      case 'tcp': {
        const where = { ...common, path: connection.pathPrefix + path, host: connection.host, port: connection.port };
        const { tls } = connection;
        sent = tls === undefined ? httpRequest(where) : httpsRequest({ ...where, ca: tls.ca, cert: tls.cert, key: tls.key });
        break;
      }
    }
    sent.once('response', resolve);
    sent.once('error', reject);
    sent.end(payload);
  });
}

/** The whole body of an answer; rejects when the connection breaks (or the request is aborted) before its end. */
export function readBody(response: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(Buffer.concat(chunks)));
    response.once('error', reject);
    // Node 20 ends an aborted answer with 'aborted' and 'close', not always an 'error'.
    response.once('close', () => {
      if (!response.complete) reject(new Error('the connection closed before the whole answer arrived'));
    });
  });
}
