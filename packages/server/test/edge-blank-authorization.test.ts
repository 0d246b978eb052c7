import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createScriptedSource, type ScriptedSource } from '../../../tests/support/scripted-source.js';
import { openStream, refusedUpgrade } from './helpers/stream-client.js';

const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];

let server: EventsServer;
let source: ScriptedSource;
let ws: string;

beforeAll(async () => {
  source = createScriptedSource();
  server = await createEventsServer({ source, users: USERS, logger: silentLogger, loginThrottle: { maxFailures: 2 } });
  ws = server.url.replace('http://', 'ws://');
});
afterAll(async () => {
  await server?.close();
});

// A client that always adds its Authorization header sends "Authorization: " when it holds no
// credentials: that is no credentials, as Docker Cloud's API (Django REST framework) read it.
describe('a blank Authorization header', () => {
  it('leaves the decision to the query credentials', async () => {
    const client = await openStream(`${ws}/api/audit/v1/acme/events/?user=alice&token=alice-key-123`, { headers: { Authorization: '' } });
    const event = source.emit('acme');
    await client.waitForFrames(1);
    expect(client.json().map((f) => f.uuid)).toEqual([event.uuid]);
    client.ws.close();
  });

  it('alone is "not provided" (401), and does not lock the address out', async () => {
    const options = { headers: { Authorization: ' ' }, localAddress: '127.0.0.60' };
    for (let i = 0; i < 3; i++) {
      const refused = await refusedUpgrade(`${ws}/api/audit/v1/acme/events/`, options);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body)).toEqual({ detail: 'Authentication credentials were not provided.' });
    }
    const rest = await fetch(`${server.url}/api/app/v1/acme/stack/`, { headers: { Authorization: '' } });
    expect(rest.status).toBe(401);
    expect(await rest.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
    const client = await openStream(`${ws}/api/audit/v1/acme/events/?user=alice&token=alice-key-123`, options);
    client.ws.close();
  });
});
