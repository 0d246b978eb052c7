// Baseline 2: socket.io with one room per filter key; each event is emitted once to each
// room it matches that has members. The workload's filters have a single key with a single
// value, so each client sits in exactly one room and no frame is sent twice.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EventFilter, parseFilter } from '@events/core';
import { Server } from 'socket.io';
import { runServerChild } from './server-child.js';

function roomOf(filter: EventFilter): string {
  const only = (values: ReadonlySet<string>) => {
    if (values.size !== 1) throw new Error('the socket.io baseline handles single-value filters only');
    return [...values][0] as string;
  };
  const keys = [filter.types, filter.parents, filter.objects].filter((v) => v !== null).length;
  if (keys > 1) throw new Error('the socket.io baseline handles single-key filters only');
  if (filter.types !== null) return `type:${only(filter.types)}`;
  if (filter.parents !== null) return `parent:${only(filter.parents)}`;
  if (filter.objects !== null) return `object:${only(filter.objects)}`;
  return 'all';
}

await runServerChild(async () => {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
  let joined = 0;
  io.on('connection', (socket) => {
    const query = socket.handshake.query.filter;
    const parsed = parseFilter(typeof query === 'string' ? query : '');
    if (!parsed.ok) return socket.disconnect(true);
    void socket.join(roomOf(parsed.value));
    joined++;
    socket.on('disconnect', () => joined--);
  });
  const rooms = io.of('/').adapter.rooms;
  const emitTo = (room: string, event: unknown) => {
    if (rooms.has(room)) io.to(room).emit('event', event);
  };
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    subscribers: () => joined,
    publish(event) {
      emitTo('all', event);
      emitTo(`type:${event.type}`, event);
      for (const parent of event.parents) emitTo(`parent:${parent}`, event);
      emitTo(`object:${event.resource_uri}`, event);
    },
    close: () =>
      new Promise<void>((resolve) => {
        io.disconnectSockets(true);
        void io.close(() => resolve());
      }),
  };
});
