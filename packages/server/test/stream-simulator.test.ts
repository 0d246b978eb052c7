import { request } from 'node:http';
import { parseEvent, parsePosition, RESUME_SUBPROTOCOL } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createSimulatedCloud, type SimulatedCloud } from '../src/simulator/simulated-cloud.js';
import { basic, openStream } from './helpers/stream-client.js';

const ALICE = { Authorization: basic('alice', 'alice-key-123') };

let server: EventsServer;
let cloud: SimulatedCloud;

beforeAll(async () => {
  cloud = createSimulatedCloud({ seed: 7, rate: 0, namespaces: ['acme'], manual: true });
  server = await createEventsServer({ source: cloud, users: [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }], logger: silentLogger });
});
afterAll(async () => {
  await server?.close();
});

function getJson(path: string): Promise<{ headers: Record<string, string | string[] | undefined>; body: { objects: { resource_uri: string }[] } }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: server.port, path, headers: ALICE }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ headers: res.headers, body: JSON.parse(text) }));
    })
      .on('error', reject)
      .end();
  });
}

describe('with the simulated cloud', () => {
  it('list, then resume from X-Events-Position: the documented resync gets every later event, filtered, in order', async () => {
    const stream = `${server.url.replace('http', 'ws')}/api/audit/v1/acme/events/`;
    const all = await openStream(stream, { headers: ALICE, protocols: [RESUME_SUBPROTOCOL] });
    const list = await getJson('/api/app/v1/acme/stack/?limit=100');
    const stack = list.body.objects[0]?.resource_uri as string;
    expect(stack).toMatch(/^\/api\/app\/v1\/acme\/stack\/.+\/$/);
    const listed = parsePosition(String(list.headers['x-events-position']));
    if (!listed.ok) throw listed.error;

    for (let i = 0; i < 150; i++) cloud.step('acme');
    // Connect in the middle of the activity, resuming from the list's position.
    const resumer = await openStream(`${stream}?parents=${encodeURIComponent(stack)}&resume=${listed.value.epoch}:${listed.value.seq}`, {
      headers: ALICE,
      protocols: [RESUME_SUBPROTOCOL],
    });
    for (let i = 0; i < 150; i++) cloud.step('acme');
    const total = cloud.emitted('acme');
    const isEvent = (f: Record<string, unknown>) => f.type !== 'hello' && f.type !== 'position';
    await all.waitFor(() => all.json().filter(isEvent).length >= total - listed.value.seq, 5_000);

    const everything = all.json().filter(isEvent);
    for (const frame of everything) expect(parseEvent(frame).ok).toBe(true);
    const seqs = everything.map((f) => (f.position as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_, i) => listed.value.seq + i + 1));
    const expected = everything.filter((f) => (f.parents as string[]).includes(stack)).map((f) => f.uuid);
    expect(expected.length).toBeGreaterThan(0);
    await resumer.waitFor(() => resumer.json().filter(isEvent).length >= expected.length, 5_000);
    expect(resumer.json()[0]).toMatchObject({ type: 'hello', resume: 'resumed', position: listed.value });
    expect(resumer.json().filter(isEvent).map((f) => f.uuid)).toEqual(expected);
    all.ws.close();
    resumer.ws.close();
  });
});
