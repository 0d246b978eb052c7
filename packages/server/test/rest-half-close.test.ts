import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createSimulatedCloud, type SimulatedCloud } from '../src/simulator/simulated-cloud.js';
import { rawConnection } from './helpers/raw-http.js';

// HTTP/1.0-style clients, and tools such as `nc -N` or a script's `socket.shutdown(SHUT_WR)`,
// write their request and then half-close their side: "nothing more from me, now answer". The
// answer must still go out, also when the handler answers later (an operation reads its body
// first): the server closes its side after it, not on the client's FIN. (The handlers here
// answer within the tick that read the request, before Node reads the FIN; create-http-server.test.ts
// has one that answers later.)

const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];
const AUTH = `Basic ${Buffer.from('alice:alice-key-123').toString('base64')}`;

let cloud: SimulatedCloud;
let server: EventsServer;

beforeEach(async () => {
  cloud = createSimulatedCloud({ seed: 3, rate: 0, namespaces: ['acme'], manual: true });
  server = await createEventsServer({ source: cloud, users: USERS, logger: silentLogger });
});
afterEach(async () => {
  await server.close();
});

/** Sends `request` on a fresh connection, half-closes, and reads the answer the server writes before closing. */
async function halfClosed(request: string, bodiless = false) {
  const conn = await rawConnection(server.port);
  try {
    conn.socket.end(request);
    const answer = await conn.next({ bodiless });
    await conn.closed;
    return answer;
  } finally {
    conn.destroy();
  }
}

describe('a client that half-closes after its request', () => {
  it('gets the answer to an operation, whose handler reads the body first', async () => {
    const container = cloud.list('acme', 'container')[0];
    expect(container).toBeDefined();
    const body = '{}';
    const answer = await halfClosed(
      `POST ${container?.resource_uri}stop/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body)).toMatchObject({ resource_uri: container?.resource_uri });
  });

  it('gets the answer to a PATCH and an HTTP/1.0 DELETE', async () => {
    const service = cloud.list('acme', 'service')[0];
    expect(service).toBeDefined();
    const body = '{"target_num_containers": 2}';
    const patched = await halfClosed(`PATCH ${service?.resource_uri} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(patched.status).toBe(202);
    const deleted = await halfClosed(`DELETE ${service?.resource_uri} HTTP/1.0\r\nAuthorization: ${AUTH}\r\n\r\n`);
    expect(deleted.status).toBe(202);
  });

  it('gets the answers of reads, refusals and pipelined requests, in order, then the server closes', async () => {
    expect((await halfClosed(`GET /api/app/v1/acme/stack/ HTTP/1.0\r\nAuthorization: ${AUTH}\r\n\r\n`)).status).toBe(200);
    expect((await halfClosed('GET /api/app/v1/acme/stack/ HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBe(401);
    const container = cloud.list('acme', 'container')[0];
    const conn = await rawConnection(server.port);
    try {
      conn.socket.end(
        `POST ${container?.resource_uri}stop/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 2\r\n\r\n{}` +
          `GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      expect((await conn.next()).status).toBe(202);
      expect((await conn.next()).status).toBe(200);
      await conn.closed;
    } finally {
      conn.destroy();
    }
  });

  it('still has the connection closed when it half-closes with no request, or mid-way through one', async () => {
    const idle = await rawConnection(server.port);
    idle.socket.end();
    await idle.closed;
    const cut = await rawConnection(server.port);
    cut.socket.end(`POST /api/app/v1/acme/stack/x/stop/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 10\r\n\r\n{}`);
    await cut.closed;
    expect(cut.rest()).not.toMatch(/^HTTP\/1\.1 202/);
  });
});
