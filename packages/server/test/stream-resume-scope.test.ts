import { formatPosition, type HelloFrame, POSITION_HEADER, parsePosition, RESUME_SUBPROTOCOL, type StreamPosition } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createScriptedSource, type ScriptedSource } from '../../../tests/support/scripted-source.js';
import { basic, openStream, type StreamClient } from './helpers/stream-client.js';

// docs/extended-protocol.md, Positions: each namespace has its own stream, and positions of
// different namespaces are unrelated. A position is honoured only on the stream it came from;
// one from another namespace (a user's own namespace included) is answered as any position the
// stream does not know: `resume: "gone"` with the head, so the client resyncs. Never "resumed",
// which would replay the other stream's events after an unrelated seq, nor a refusal.

const USERS = [
  { username: 'alice', apikey: 'alice-key-123', namespaces: ['acme', 'other'] },
  { username: 'bob', apikey: 'bob-key-1234', namespaces: ['acme'] },
  { username: 'carol', apikey: 'carol-key-123', namespaces: [] },
];
const ALICE = { Authorization: basic('alice', 'alice-key-123') };
const BOB = { Authorization: basic('bob', 'bob-key-1234') };
const CAROL = { Authorization: basic('carol', 'carol-key-123') };

let server: EventsServer;
let source: ScriptedSource;
let ws: string;

beforeAll(async () => {
  source = createScriptedSource();
  server = await createEventsServer({ source, users: USERS, logger: silentLogger });
  ws = server.url.replace('http://', 'ws://');
});
afterAll(async () => {
  await server?.close();
});

const streamUrl = (namespace: string | undefined, resume: StreamPosition) =>
  `${ws}/api/audit/v1/${namespace === undefined ? '' : `${namespace}/`}events/?resume=${encodeURIComponent(formatPosition(resume))}`;

async function helloOf(namespace: string | undefined, resume: StreamPosition, headers: Record<string, string>): Promise<{ hello: HelloFrame; client: StreamClient }> {
  const client = await openStream(streamUrl(namespace, resume), { headers, protocols: [RESUME_SUBPROTOCOL] });
  await client.waitForFrames(1);
  return { hello: client.json()[0] as unknown as HelloFrame, client };
}

/** The position of the first event of `namespace` as an extended client saw it, after `count` events there. */
async function positionAfter(namespace: string, count: number, headers: Record<string, string>, path = namespace): Promise<StreamPosition> {
  const client = await openStream(`${ws}/api/audit/v1/${path === '' ? '' : `${path}/`}events/`, { headers, protocols: [RESUME_SUBPROTOCOL] });
  await client.waitForFrames(2); // hello and its marker
  for (let i = 0; i < count; i++) source.emit(namespace);
  await client.waitFor(() => client.json().filter((f) => f.type === 'container').length === count);
  client.ws.close();
  return client.json().find((f) => f.type === 'container')?.position as StreamPosition;
}

describe('a resume position is honoured only on the stream it came from', () => {
  it('a position of namespace acme, sent to namespace other, is gone: the head of other, then its live events', async () => {
    const fromAcme = await positionAfter('acme', 3, ALICE);
    for (let i = 0; i < 3; i++) source.emit('other');
    const otherHead = server.bus.head('other');
    expect(otherHead.seq).toBeGreaterThan(fromAcme.seq);

    const { hello, client } = await helloOf('other', fromAcme, ALICE);
    expect(hello).toMatchObject({ type: 'hello', resume: 'gone', position: otherHead });
    const live = source.emit('other');
    await client.waitFor(() => client.json().some((f) => f.uuid === live.uuid));
    // Nothing of other's past was replayed: after hello, only markers and the live event.
    expect(client.json().filter((f) => f.type === 'container').map((f) => f.uuid)).toEqual([live.uuid]);
    client.ws.close();
  });

  it("a position of one user's own namespace, sent by another user to theirs, is gone", async () => {
    const fromAlice = await positionAfter('alice', 2, ALICE, '');
    for (let i = 0; i < 3; i++) source.emit('carol');
    const { hello, client } = await helloOf(undefined, fromAlice, CAROL);
    expect(hello).toMatchObject({ resume: 'gone', position: server.bus.head('carol') });
    client.ws.close();
  });

  it('on its own stream it resumes, for every user who may read that namespace', async () => {
    const fromAcme = await positionAfter('acme', 2, ALICE);
    for (const headers of [ALICE, BOB]) {
      const { hello, client } = await helloOf('acme', fromAcme, headers);
      expect(hello).toMatchObject({ resume: 'resumed', position: fromAcme });
      client.ws.close();
    }
  });

  it("a namespace's X-Events-Position resumes on that namespace only", async () => {
    source.emit('acme');
    source.emit('other');
    const answer = await fetch(`${server.url}/api/app/v1/other/container/`, { headers: ALICE });
    const listed = parsePosition(answer.headers.get(POSITION_HEADER) ?? '');
    if (!listed.ok) throw listed.error;
    const onOther = await helloOf('other', listed.value, ALICE);
    expect(onOther.hello.resume).toBe('resumed');
    const onAcme = await helloOf('acme', listed.value, ALICE);
    expect(onAcme.hello).toMatchObject({ resume: 'gone', position: server.bus.head('acme') });
    onOther.client.ws.close();
    onAcme.client.ws.close();
  });
});
