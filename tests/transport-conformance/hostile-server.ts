// What every transport's clients do against a server that breaks the protocol, by bug or by
// malice: users point them at servers they do not control. Each test scripts the server on
// loopback (createHostileServer), and checks that the client neither hangs, loops, nor delivers
// wrong data, and says precisely what is wrong. Part of the conformance suite (suite.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DockerCloudEvent, EventsError, ReconnectPolicy } from '@events/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { makeEvent } from '../support/scripted-source.js';
import { createHostileServer, type HostileServer, type HostileServerOptions, restList, sleep, until } from './fixtures.js';
import type { TransportUnderTest } from './suite.js';

const NS = 'acme';
const CREDENTIALS = { username: 'alice', apikey: 'alice-key-123' };
const POLICY: Partial<ReconnectPolicy> = { baseMs: 60, capMs: 400, floorMs: 20, throttledFloorMs: 200, connectTimeoutMs: 3_000, stableMs: 300 };

const hello = (resume: 'fresh' | 'resumed' | 'gone', seq: number, heartbeatMs = 5_000) => JSON.stringify({ type: 'hello', resume, position: { epoch: 'e1', seq }, heartbeatMs });
const eventAt = (seq: number) => JSON.stringify({ ...makeEvent(NS, { type: 'service', uuid: `event-${seq}` }), position: { epoch: 'e1', seq } });
const stackObject = (id: string) => ({ uuid: id, resource_uri: `/api/app/v1/${NS}/stack/${id}/`, name: id, state: 'Running' });

export function describeHostileServer(getTransport: () => TransportUnderTest): void {
  describe('a broken or hostile server', () => {
    const cleanups: (() => unknown)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function serve(options: HostileServerOptions): Promise<HostileServer> {
      const server = await createHostileServer(options);
      cleanups.push(() => server.close());
      return server;
    }

    /**
     * A stream that offers the resume subprotocol only to a server that grants it: against a plain
     * one, a runtime that refuses the ungranted offer drops the first socket, and the test's
     * script would run on two connections.
     */
    function openStream(server: HostileServer, options: { extended?: boolean; closeTimeoutMs?: number; policy?: Partial<ReconnectPolicy> } = {}) {
      const events: DockerCloudEvent[] = [];
      const errors: EventsError[] = [];
      const stream = getTransport().createEventStream({
        streamHost: server.url,
        namespace: NS,
        credentials: CREDENTIALS,
        policy: POLICY,
        extended: false,
        ...options,
        onEvent: (event) => events.push(event),
        onError: (error) => errors.push(error),
      });
      cleanups.push(() => stream.close());
      return { stream, events, errors };
    }

    function openTree(server: HostileServer, options: { restTimeoutMs?: number; maxRestBodyBytes?: number } = {}) {
      const errors: EventsError[] = [];
      const tree = getTransport().createLiveTree({
        ...options,
        streamHost: server.url,
        restHost: server.url,
        namespace: NS,
        credentials: CREDENTIALS,
        policy: POLICY,
        extended: false,
        publishIntervalMs: 20,
        onError: (error) => errors.push(error),
      });
      cleanups.push(() => tree.close());
      return { tree, errors };
    }

    describe('the stream', () => {
      it('reads binary frames as text, as the official SDKs read them, and reports one that is no JSON', async () => {
        const [first, second] = [makeEvent(NS), makeEvent(NS)];
        const server = await serve({
          onConnection(socket) {
            socket.send(Buffer.from(JSON.stringify(first)), { binary: true });
            socket.send(Buffer.from('\u00ff\u00fe not JSON', 'latin1'), { binary: true });
            socket.send(JSON.stringify(second));
          },
        });
        const { events, errors } = openStream(server);
        await until(() => events.length === 2 && errors.length === 1, 'both events and the error', 5_000, () => [events.length, errors.map((e) => e.message)]);
        expect(events.map((e) => e.uuid)).toEqual([first.uuid, second.uuid]);
        expect(errors[0]).toMatchObject({ code: 'invalid-frame', message: expect.stringMatching(/^frame is not JSON/) });
      });

      it('says what is wrong with an absurd event in a short message (a 10 MB state, 100,000 bad parents), and goes on', async () => {
        const last = makeEvent(NS);
        const server = await serve({
          onConnection(socket) {
            socket.send(JSON.stringify(makeEvent(NS, { type: 'service', state: 'Runnin'.repeat(2_000_000) as never })));
            socket.send(JSON.stringify(makeEvent(NS, { parents: Array.from({ length: 100_000 }, (_, i) => `stack-${i}`) })));
            socket.send(JSON.stringify(last));
          },
        });
        const { events, errors } = openStream(server);
        await until(() => events.length === 1 && errors.length === 2, 'the good event and two errors', 5_000, () => [events.length, errors.length]);
        expect(events[0]?.uuid).toBe(last.uuid);
        expect(errors[0]?.message).toBe(`invalid event frame: state: "${'Runnin'.repeat(7).slice(0, 40)}…" is not a service state`);
        expect(errors[1]?.message).toMatch(/^invalid event frame: parents\.0: each parent must be a resource URI starting with \/api\/; (parents\.\d: [^;]+; ){4}and 99995 more issues$/);
      });

      it('ends a connection whose server sent an error frame and never closed it, with that error as the reason', async () => {
        const server = await serve({
          onConnection(socket, _request, index) {
            // No close follows, and ws answers the client's pings: without a deadline it stays `live` for good.
            if (index === 0) socket.send(JSON.stringify({ type: 'error', data: { errorMessage: `database gone ${'!'.repeat(1_000_000)}`, code: 1011 } }));
          },
        });
        const { stream, errors } = openStream(server, { closeTimeoutMs: 300 });
        await until(() => stream.getSnapshot().generation >= 2 && stream.getSnapshot().phase === 'live', 'live on a second connection', 5_000, () => stream.getSnapshot());
        const lastClose = stream.getSnapshot().lastClose;
        expect(lastClose).toMatchObject({ kind: 'close', code: 1011, class: 'transient' });
        expect(lastClose?.reason).toMatch(/^database gone !+… \(the server sent this error and did not close the connection\)$/);
        expect(lastClose?.reason.length).toBeLessThan(400);
        expect(errors).toEqual([]); // retried by itself: the state says it, onError does not
      });

      const replays = {
        // Its resumed hello names a position behind the one asked for, and it replays from there.
        'a resumed hello behind the position asked for': (socket: WebSocket) => {
          socket.send(hello('resumed', 2));
          for (let seq = 3; seq <= 7; seq++) socket.send(eventAt(seq));
        },
        // A position marker that went back (5, then 2) made the client ask for 2: the server sends what follows it.
        'a position marker that went back': (socket: WebSocket, request: IncomingMessage) => {
          const asked = Number(new URL(request.url ?? '', 'http://x').searchParams.get('resume')?.split(':')[1]);
          socket.send(hello('resumed', asked));
          for (let seq = asked + 1; seq <= 7; seq++) socket.send(eventAt(seq));
        },
      };
      for (const [how, resumed] of Object.entries(replays)) {
        it(`delivers no event twice when a server replays from behind: ${how}`, async () => {
          const server = await serve({
            extended: true,
            onConnection(socket, request, index) {
              if (index > 0) return resumed(socket, request);
              socket.send(hello('fresh', 0));
              for (let seq = 1; seq <= 5; seq++) socket.send(eventAt(seq));
              socket.send(JSON.stringify({ type: 'position', position: { epoch: 'e1', seq: how.startsWith('a position') ? 2 : 5 } }));
              setTimeout(() => socket.close(1001, 'going away'), 50);
            },
          });
          const { stream, events } = openStream(server, { extended: true });
          await until(() => stream.getSnapshot().generation >= 2 && events.length >= 7, 'the second connection and its events', 5_000, () => events.map((e) => e.uuid));
          await sleep(100);
          expect(events.map((e) => e.uuid)).toEqual([1, 2, 3, 4, 5, 6, 7].map((seq) => `event-${seq}`));
          expect(stream.getPosition()).toEqual({ epoch: 'e1', seq: 7 });
        });
      }

      it('waits maxHintMs after a 429 whose Retry-After is absurdly long (10^12 s), not the throttled floor', async (context) => {
        context.skip(getTransport().seesHandshakeStatus !== true, 'the transport cannot see the HTTP status of a refused upgrade');
        const server = await serve({ refuse: { status: 429, headers: { 'Retry-After': '1000000000000' } } });
        const { stream } = openStream(server, { policy: { ...POLICY, maxHintMs: 2_000 } });
        await until(() => stream.getSnapshot().retryAt !== null, 'a retry planned', 3_000, () => stream.getSnapshot());
        const { retryAt, lastClose } = stream.getSnapshot();
        expect(lastClose).toMatchObject({ kind: 'http', code: 429, class: 'throttled' });
        // The server's 10^12 s, clamped to maxHintMs; read as no hint, it was the 200 ms floor.
        expect((retryAt as number) - (lastClose?.at as number)).toBeGreaterThanOrEqual(2_000);
      });

      it('replaces a connection whose hello promises a far-off heartbeat and that answers no ping, after idleTimeoutMs', async () => {
        const server = await serve({
          extended: true,
          autoPong: false,
          // "A position marker at least every 11 days", then silence.
          onConnection: (socket) => socket.send(hello('fresh', 0, 1_000_000_000)),
        });
        const { stream } = openStream(server, { extended: true, policy: { ...POLICY, idleTimeoutMs: 500 } });
        await until(() => stream.getSnapshot().lastClose?.kind === 'idle-timeout', 'the idle timeout', 3_000, () => stream.getSnapshot());
        expect(stream.getSnapshot().lastClose).toMatchObject({ class: 'transient', reason: 'idle timeout' });
      });
    });

    describe('the REST lists of a live tree', () => {
      /** A REST server whose stack list is `stacks`, every other list empty. */
      const restWith = (stacks: (request: IncomingMessage, response: ServerResponse) => void) => (request: IncomingMessage, response: ServerResponse) => {
        if (request.url?.startsWith(`/api/app/v1/${NS}/stack/`)) return stacks(request, response);
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(restList([]));
      };
      const json = (response: ServerResponse, body: string) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(body);
      };
      const stackRequests = (server: HostileServer) => server.requests.filter((path) => path.startsWith(`/api/app/v1/${NS}/stack/`)).length;

      it('stops at a "next" link back to a page it read, saying so, rather than loop', async () => {
        const server = await serve({
          rest: restWith((request, response) => {
            const second = request.url?.includes('offset=1') === true;
            // Page 2 links back to page 1: without a check, thousands of requests a second, and the objects piling up.
            json(response, restList([stackObject(second ? 'b' : 'a')], `/api/app/v1/${NS}/stack/?limit=1000${second ? '' : '&offset=1'}`));
          }),
        });
        const { tree, errors } = openTree(server);
        await until(() => errors.length >= 1, 'the listing failed', 5_000, () => stackRequests(server));
        expect(errors[0]).toMatchObject({ code: 'protocol', message: `stack list: "next" of page 2, "/api/app/v1/${NS}/stack/?limit=1000", is a page already read; the server's "next" links go in circles` });
        expect(stackRequests(server)).toBeLessThanOrEqual(2 * errors.length + 2); // two pages an attempt, not a loop
        expect(tree.getSnapshot().sync).toMatchObject({ status: 'listing', failure: { message: errors[0]?.message } });
      });

      it('refuses a list holding an object of another type, saying which, and retries until the server mends', async () => {
        let mended = false;
        const server = await serve({
          rest: restWith((_request, response) => {
            const stranger = { ...stackObject('x'), resource_uri: `/api/app/v1/${NS}/container/x/` };
            json(response, restList(mended ? [stackObject('a')] : [stackObject('a'), stranger]));
          }),
        });
        const { tree, errors } = openTree(server);
        await until(() => errors.length >= 2, 'two failed attempts', 5_000, () => errors.map((e) => e.message));
        expect(errors[0]).toMatchObject({ code: 'protocol', message: `invalid stack list: objects.1.resource_uri: "/api/app/v1/${NS}/container/x/" is not a stack URI` });
        mended = true;
        await until(() => tree.getSnapshot().sync.status === 'live', 'listed once the server mended', 5_000, () => tree.getSnapshot().sync);
        expect(tree.getSnapshot().tree.ofType('stack').map((o) => o.resource_uri)).toEqual([`/api/app/v1/${NS}/stack/a/`]);
      });

      it('lists a page far longer than it asked for (a server that ignores limit)', async () => {
        const stacks = Array.from({ length: 300_000 }, (_, i) => stackObject(`s${i}`));
        const body = restList(stacks);
        const server = await serve({ rest: restWith((_request, response) => json(response, body)) });
        const { tree, errors } = openTree(server);
        await until(() => tree.getSnapshot().sync.status === 'live' || errors.length > 0, 'listed', 15_000);
        expect(errors).toEqual([]);
        expect(tree.getSnapshot().tree.ofType('stack')).toHaveLength(300_000);
      }, 30_000);

      it('gives up a list whose body trickles in past restTimeoutMs, though its status came at once', async () => {
        let aborted = false;
        const server = await serve({
          rest: restWith((_request, response) => {
            response.writeHead(200, { 'Content-Type': 'application/json' });
            const body = restList([stackObject('a')]);
            let sent = 0;
            const trickle = setInterval(() => response.write(body[sent++] ?? ' '), 50);
            response.on('close', () => {
              clearInterval(trickle);
              aborted ||= !response.writableFinished;
            });
          }),
        });
        const { tree, errors } = openTree(server, { restTimeoutMs: 400 });
        await until(() => errors.length >= 1, 'the listing timed out', 5_000);
        expect(errors[0]).toMatchObject({ code: 'timeout', message: expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:\d+\/api\/app\/v1\/acme\/stack\/ failed: no complete answer in 400 ms \(restTimeoutMs\)$/) });
        expect(tree.getSnapshot().sync.status).toBe('listing');
        await until(() => aborted, 'the request aborted at the server', 2_000); // not left to trickle on
      });

      it('stops reading a list whose body passes maxRestBodyBytes, closing the connection, and says so naming the URL and the cap', async () => {
        const BODY_BYTES = 64 * 1024 * 1024;
        const chunk = Buffer.alloc(64 * 1024, ' ');
        let sent = 0;
        let closedEarly = false;
        const server = await serve({
          rest: restWith((_request, response) => {
            // Chunked (no Content-Length): only reading tells the client how big it is. Written as
            // fast as the client reads, no faster, so that `sent` is about what it took in.
            response.writeHead(200, { 'Content-Type': 'application/json' });
            response.write('{"meta": {"limit": 1000, "offset": 0, "total_count": 0, "next": null, "previous": null}, "objects": []');
            const pump = () => {
              while (sent < BODY_BYTES && !response.destroyed) {
                sent += chunk.length;
                if (!response.write(chunk)) return void response.once('drain', pump);
              }
              if (!response.destroyed) response.end('}');
            };
            response.on('close', () => {
              closedEarly ||= !response.writableFinished;
            });
            pump();
          }),
        });
        const { tree, errors } = openTree(server, { maxRestBodyBytes: 100_000 });
        await until(() => errors.length >= 1, 'the listing failed', 10_000, () => sent);
        expect(errors[0]).toMatchObject({
          code: 'protocol',
          message: expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:\d+\/api\/app\/v1\/acme\/stack\/ failed: its answer's body is over 100000 bytes \(maxRestBodyBytes\); reading stopped there$/),
        });
        expect(tree.getSnapshot().sync).toMatchObject({ status: 'listing', failure: { message: errors[0]?.message } });
        await until(() => closedEarly, 'the connection closed at the server before the body ended', 5_000, () => sent);
        // Socket buffers on both sides take a few MB at most: far from the 64 MiB offered.
        expect(sent).toBeLessThan(BODY_BYTES / 4);
      });

      it('says what came instead of JSON: a web page', async () => {
        const server = await serve({
          rest: restWith((_request, response) => {
            response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
            response.end('\n<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in</body></html>');
          }),
        });
        const { errors } = openTree(server);
        await until(() => errors.length >= 1, 'the listing failed', 5_000);
        expect(errors[0]).toMatchObject({ code: 'protocol', message: 'stack list: the answer is not JSON ("text/html", starting "<!DOCTYPE html><html><head><title>Sign i…")' });
      });
    });
  });
}
