import type { IncomingMessage } from 'node:http';
import { type ClientOptions, WebSocket } from 'ws';

/** A real `ws` client that records every frame it receives. */
export interface StreamClient {
  readonly ws: WebSocket;
  /** Every text frame received, in order. */
  readonly frames: string[];
  /** The frames parsed as JSON. */
  json(): Record<string, unknown>[];
  /** Resolves once `predicate(frames)` holds; rejects if the connection closes first or on timeout. */
  waitFor(predicate: (frames: readonly string[]) => boolean, timeoutMs?: number): Promise<void>;
  waitForFrames(count: number, timeoutMs?: number): Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
}

export interface OpenOptions extends ClientOptions {
  readonly protocols?: string | string[];
  /**
   * Called for every text frame from the first on. A listener added after `openStream` resolves
   * can miss frames that arrived in the same packet as the handshake answer.
   */
  readonly onFrame?: (text: string) => void;
}

export function openStream(url: string, options: OpenOptions = {}): Promise<StreamClient> {
  const { protocols, onFrame, ...clientOptions } = options;
  const ws = new WebSocket(url, protocols ?? [], clientOptions);
  const frames: string[] = [];
  const waiters = new Set<() => void>();
  let isClosed = false;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      isClosed = true;
      resolve({ code, reason: reason.toString() });
      for (const check of [...waiters]) check();
    });
  });
  ws.on('message', (data, isBinary) => {
    frames.push(isBinary ? `<binary ${(data as Buffer).length}>` : data.toString());
    if (!isBinary) onFrame?.(frames[frames.length - 1] as string);
    for (const check of [...waiters]) check();
  });
  const client: StreamClient = {
    ws,
    frames,
    json: () => frames.map((f) => JSON.parse(f) as Record<string, unknown>),
    waitFor(predicate, timeoutMs = 5_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting; ${frames.length} frames so far: ${frames.slice(-3).join(' | ')}`));
        }, timeoutMs);
        const check = () => {
          if (predicate(frames)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (isClosed) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`connection closed after ${frames.length} frames: ${frames.slice(-3).join(' | ')}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    waitForFrames(count, timeoutMs) {
      return client.waitFor((f) => f.length >= count, timeoutMs);
    },
    closed,
  };
  // A client error is followed by 'close', which the tests observe through `closed`.
  ws.on('error', () => {});
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

export interface RefusedUpgrade {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** Attempts an upgrade that the server is expected to refuse with an HTTP status. */
export function refusedUpgrade(url: string, options: OpenOptions = {}): Promise<RefusedUpgrade> {
  const { protocols, onFrame: _unused, ...clientOptions } = options;
  const ws = new WebSocket(url, protocols ?? [], clientOptions);
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', () => {});
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        req.destroy();
      });
      res.on('error', reject);
    });
    ws.once('error', reject);
  });
}

export function basic(username: string, apikey: string): string {
  return `Basic ${Buffer.from(`${username}:${apikey}`).toString('base64')}`;
}
