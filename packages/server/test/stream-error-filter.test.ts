import { RESUME_SUBPROTOCOL } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createScriptedSource, type ScriptedSource } from '../../../tests/support/scripted-source.js';
import { basic, openStream, refusedUpgrade } from './helpers/stream-client.js';
import { settle } from './helpers/wait.js';

// protocol.md §5 lists `error` among the values of `type`, so a client may name it in its filter
// (§4). Error frames reach every connection the server closes for a reason, whatever its filter:
// naming `error` adds nothing, and `type=error` alone lets no event through.

const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];
const ALICE = { Authorization: basic('alice', 'alice-key-123') };

let server: EventsServer;
let source: ScriptedSource;
let url: string;

beforeAll(async () => {
  source = createScriptedSource();
  server = await createEventsServer({ source, users: USERS, logger: silentLogger });
  url = `${server.url.replace('http', 'ws')}/api/audit/v1/acme/events/`;
});
afterAll(async () => {
  await server?.close();
});

describe('type=error in a stream filter', () => {
  it('is accepted; alone it lets no event through, beside other types it changes nothing', async () => {
    const errorsOnly = await openStream(`${url}?type=error`, { headers: ALICE });
    const containers = await openStream(`${url}?type=container,error`, { headers: ALICE });
    const reference = await openStream(`${url}?type=container`, { headers: ALICE });
    const sent = [source.emit('acme', { type: 'service' }), source.emit('acme', { type: 'container' }), source.emit('acme', { type: 'stack' })];
    await reference.waitForFrames(1);
    await containers.waitForFrames(1);
    await settle(100);
    expect(errorsOnly.frames).toEqual([]);
    expect(containers.json().map((f) => f.uuid)).toEqual([sent[1]?.uuid]);
    expect(containers.frames).toEqual(reference.frames);
    for (const client of [errorsOnly, containers, reference]) client.ws.close();
  });

  it('an extended type=error client gets its hello, markers and the error frame before a close', async () => {
    const own = await createEventsServer({ source: createScriptedSource(), users: USERS, logger: silentLogger });
    try {
      const ownUrl = `${own.url.replace('http', 'ws')}/api/audit/v1/acme/events/?type=error`;
      const fresh = await openStream(ownUrl, { headers: ALICE, protocols: [RESUME_SUBPROTOCOL] });
      await fresh.waitFor((frames) => frames.some((f) => f.includes('"position"')));
      expect(fresh.json()[0]).toMatchObject({ type: 'hello', resume: 'fresh' });
      fresh.ws.close();
      // A bus that fails its replay closes the connection with 1011, after an error frame.
      const bus = own.bus as { replay: unknown };
      bus.replay = () => Promise.reject(new Error('broker down'));
      const failing = await openStream(`${ownUrl}&resume=abc:1`, { headers: ALICE, protocols: [RESUME_SUBPROTOCOL] });
      const closed = await failing.closed;
      expect(closed.code).toBe(1011);
      expect(failing.json()).toEqual([{ type: 'error', data: { errorMessage: 'The event stream failed; reconnect.', code: 1011 } }]);
    } finally {
      await own.close();
    }
  });
});

describe('an unknown type in a stream filter', () => {
  // Every type the stream takes, error included: the list a client reads to fix its filter.
  const detail = 'Unknown event type "volume" in filter "type"; expected one of nodecluster, node, stack, service, container, action, error.';

  it('is refused with 400 naming every type the stream takes, error included', async () => {
    for (const query of ['?type=volume', '?type=error,volume', '?type=container&type=volume']) {
      const refused = await refusedUpgrade(`${url}${query}`, { headers: ALICE });
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.body)).toEqual({ detail });
    }
  });

  it('closes an extended connection with 4000 after an error frame that says the same', async () => {
    const client = await openStream(`${url}?type=volume`, { headers: ALICE, protocols: [RESUME_SUBPROTOCOL] });
    expect((await client.closed).code).toBe(4000);
    expect(client.json()).toEqual([{ type: 'error', data: { errorMessage: detail, code: 4000 } }]);
  });
});
