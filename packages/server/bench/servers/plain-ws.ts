// Baseline 1: a `ws` server written the plain way. On each event: loop over the clients, test
// each filter, `send(JSON.stringify(event))` per subscriber. No auth, no queues, no budgets.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EventFilter, matchesFilter, parseFilter } from '@events/core';
import { type WebSocket, WebSocketServer } from 'ws';
import { runServerChild } from './server-child.js';

await runServerChild(async () => {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const clients = new Set<{ ws: WebSocket; filter: EventFilter }>();
  wss.on('connection', (ws, req) => {
    const parsed = parseFilter(new URL(req.url ?? '/', 'http://localhost').search);
    if (!parsed.ok) return ws.close(4000, parsed.error.message);
    const client = { ws, filter: parsed.value };
    clients.add(client);
    ws.on('close', () => clients.delete(client));
    ws.on('error', () => {});
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    subscribers: () => clients.size,
    publish(event) {
      for (const client of clients) {
        if (matchesFilter(client.filter, event)) client.ws.send(JSON.stringify(event));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.close(() => resolve());
      }),
  };
});
