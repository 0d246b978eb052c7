// A client child: many subscribers on raw TCP sockets, each doing its own WebSocket handshake
// and reading frames with a minimal parser. No WebSocket library on this side, so the clients
// cost little CPU and the same for every server: a frame is counted from its header, and read
// only in latency runs (the event's uuid carries its send time, see events.ts).
import { connect, type Socket } from 'node:net';
import { createWorkload, NAMESPACE, nowUs, USER } from '../events.js';
import type { ClientCommand, ClientReport, LoopHealth, ServerKind } from '../ipc.js';
import { watchLoopHealth } from '../loop-health.js';

interface Conn {
  readonly socket: Socket;
  upgraded: boolean;
  ready: boolean;
  closed: boolean;
  pending: Buffer | null;
  count: number;
  onReady: (() => void) | undefined;
}

const CONCURRENT_CONNECTS = 200;
const UUID_KEY = Buffer.from('"uuid":"');
const AUTH = `Basic ${Buffer.from(`${USER.username}:${USER.apikey}`).toString('base64')}`;

const send = (report: ClientReport) => process.send?.(report);

let conns: Conn[] = [];
let kind: ServerKind = 'ours';
let received = 0;
let reported = 0;
let lastUs = 0;
let closed = 0;
let latency = false;
let latencies: number[] = [];
let cpu0 = process.cpuUsage();
let stopLoopWatch: (() => LoopHealth) | undefined;

/** A client frame: masked (required of clients), with a zero key so the payload is unchanged. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | payload.length;
  payload.copy(frame, 6);
  return frame;
}
const SIO_CONNECT = clientFrame(1, Buffer.from('40'));
const SIO_PONG = clientFrame(1, Buffer.from('3'));

function pathFor(query: string): string {
  switch (kind) {
    case 'ours':
    case 'plain-ws':
      return `/api/audit/v1/${NAMESPACE}/events/${query === '' ? '' : `?${query}`}`;
    case 'socketio':
      return `/socket.io/?EIO=4&transport=websocket&filter=${encodeURIComponent(query)}`;
  }
}

function handshake(path: string, port: number): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: ${AUTH}\r\n\r\n`
  );
}

function markReady(conn: Conn): void {
  conn.ready = true;
  conn.onReady?.();
  conn.onReady = undefined;
}

/** Counts an event frame; in latency runs, reads its send time back from the uuid. */
function onEvent(conn: Conn, buf: Buffer, start: number, end: number, at: number): void {
  conn.count++;
  received++;
  if (!latency) return;
  const key = buf.indexOf(UUID_KEY, start);
  if (key < 0 || key >= end) return;
  const u = key + UUID_KEY.length;
  const sentUs = Number.parseInt(buf.toString('latin1', u, u + 8) + buf.toString('latin1', u + 9, u + 13), 16);
  latencies.push(at - sentUs);
}

function onFrame(conn: Conn, opcode: number, buf: Buffer, start: number, end: number, at: number): void {
  switch (opcode) {
    case 1:
    case 2:
      // engine.io packets: 4 = message (42 = socket.io event, 40 = connected), 0 = open, 2 = ping.
      if (kind !== 'socketio' || (buf[start] === 0x34 && buf[start + 1] === 0x32)) onEvent(conn, buf, start, end, at);
      else if (buf[start] === 0x30) conn.socket.write(SIO_CONNECT);
      else if (buf[start] === 0x34 && buf[start + 1] === 0x30) markReady(conn);
      else if (buf[start] === 0x32 && end - start === 1) conn.socket.write(SIO_PONG);
      return;
    case 8:
      if (!conn.closed) closed++;
      conn.closed = true;
      return;
    case 9:
      conn.socket.write(clientFrame(10, buf.subarray(start, end)));
      return;
  }
}

function onData(conn: Conn, chunk: Buffer): void {
  const buf = conn.pending === null ? chunk : Buffer.concat([conn.pending, chunk]);
  conn.pending = null;
  let off = 0;
  if (!conn.upgraded) {
    const headEnd = buf.indexOf('\r\n\r\n');
    if (headEnd < 0) {
      conn.pending = buf;
      return;
    }
    const status = buf.toString('latin1', 0, buf.indexOf('\r\n'));
    if (!status.startsWith('HTTP/1.1 101')) {
      conn.socket.emit('error', new Error(`upgrade refused: ${status}`));
      conn.socket.destroy();
      return;
    }
    conn.upgraded = true;
    if (kind !== 'socketio') markReady(conn);
    off = headEnd + 4;
  }
  const at = nowUs();
  const before = received;
  while (buf.length - off >= 2) {
    const b1 = buf[off + 1] as number;
    let len = b1 & 0x7f;
    let header = 2;
    if (len === 126) {
      if (buf.length - off < 4) break;
      len = buf.readUInt16BE(off + 2);
      header = 4;
    } else if (len === 127) {
      if (buf.length - off < 10) break;
      len = Number(buf.readBigUInt64BE(off + 2));
      header = 10;
    }
    if (buf.length - off < header + len) break;
    onFrame(conn, (buf[off] as number) & 0x0f, buf, off + header, off + header + len, at);
    off += header + len;
  }
  // Copied: a view would keep the whole 64 KiB read chunk alive.
  if (off < buf.length) conn.pending = Buffer.from(buf.subarray(off));
  if (received !== before) lastUs = at;
}

function open(port: number, query: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    const conn: Conn = { socket, upgraded: false, ready: false, closed: false, pending: null, count: 0, onReady: undefined };
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(conn);
    };
    // Ready means upgraded (and, for socket.io, joined to its namespace).
    conn.onReady = () => settle();
    const timer = setTimeout(() => settle(new Error('not ready after 15 s')), 15_000);
    socket.on('connect', () => socket.write(handshake(pathFor(query), port)));
    socket.on('data', (chunk: Buffer) => onData(conn, chunk));
    socket.on('error', (error) => settle(error));
    socket.on('close', () => {
      if (!conn.closed) closed++;
      conn.closed = true;
      settle(new Error('closed before ready'));
    });
  });
}

async function connectAll(message: Extract<ClientCommand, { cmd: 'connect' }>): Promise<void> {
  kind = message.kind;
  const workload = createWorkload(message.workloadSize);
  const specs = workload.subscribers.slice(message.from, message.to);
  conns = new Array<Conn>(specs.length);
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      try {
        conns[i] = await open(message.port, (specs[i] as { query: string }).query);
      } catch (error) {
        failed++;
        firstError ??= String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_CONNECTS }, worker));
  send({ type: 'connected', open: specs.length - failed, failed, ...(firstError !== undefined ? { firstError } : {}) });
}

// Progress for the publisher's flow control, and for the orchestrator to see the run end.
setInterval(() => {
  if (received === reported) return;
  reported = received;
  send({ type: 'progress', received, lastUs });
}, 5);

process.on('message', (message: ClientCommand) => {
  switch (message.cmd) {
    case 'connect':
      void connectAll(message);
      return;
    case 'reset':
      for (const conn of conns) if (conn) conn.count = 0;
      received = 0;
      reported = 0;
      latency = message.latency;
      latencies = [];
      cpu0 = process.cpuUsage();
      stopLoopWatch?.();
      stopLoopWatch = watchLoopHealth();
      send({ type: 'reset-done' });
      return;
    case 'report': {
      const cpu = process.cpuUsage(cpu0);
      send({
        type: 'report',
        counts: conns.map((c) => c?.count ?? -1),
        latenciesUs: latencies,
        closed,
        cpu: { userUs: cpu.user, systemUs: cpu.system },
        loop: stopLoopWatch?.() ?? { delayP99Ms: 0, delayMaxMs: 0, gcPauses: 0, gcMaxMs: 0, gcTotalMs: 0 },
      });
      stopLoopWatch = undefined;
      return;
    }
    case 'close':
      for (const conn of conns) conn?.socket.destroy();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
