import { request } from 'node:http';
import { connect } from 'node:net';
import { createFilter, type DockerCloudEvent, resourceUriFor, streamUrl } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createScriptedSource, type ScriptedSource } from '../../../tests/support/scripted-source.js';
import { rawRequest } from './helpers/raw-http.js';
import { basic, openStream, refusedUpgrade, type StreamClient } from './helpers/stream-client.js';
import { settle, until } from './helpers/wait.js';

const USERS = [
  { username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] },
  { username: 'carol', apikey: 'carol-key-123', namespaces: ['other'] },
];
const ALICE = { Authorization: basic('alice', 'alice-key-123') };
const CAROL = { Authorization: basic('carol', 'carol-key-123') };
const EVENT_KEYS = ['action', 'datetime', 'parents', 'resource_uri', 'state', 'type', 'uuid'];



let server: EventsServer;
let source: ScriptedSource;
let ws: string;

beforeAll(async () => {
  source = createScriptedSource();
  server = await createEventsServer({ source, users: USERS, logger: silentLogger, loginThrottle: { maxFailures: 3 } });
  ws = server.url.replace('http://', 'ws://');
});
afterAll(async () => {
  await server?.close();
});

const uuidsOf = (client: StreamClient) => client.json().map((f) => f.uuid);

describe('the two URL forms of the official SDKs', () => {
  it('python-dockercloud: no trailing slash, Authorization header, own namespace by default', async () => {
    const client = await openStream(`${ws}/api/audit/v1/events`, { headers: ALICE });
    const ownClient = await openStream(`${ws}/api/audit/v1/acme/events`, { headers: ALICE });
    const a = source.emit('alice');
    const b = source.emit('acme');
    await client.waitForFrames(1);
    await ownClient.waitForFrames(1);
    await settle();
    expect(uuidsOf(client)).toEqual([a.uuid]);
    expect(uuidsOf(ownClient)).toEqual([b.uuid]);
    client.ws.close();
    ownClient.ws.close();
  });

  it('go-dockercloud: trailing slash, comma-joined percent-encoded parents, Host with a port', async () => {
    const stack = resourceUriFor('stack', 'stack-1', 'acme');
    const cluster = resourceUriFor('nodecluster', 'nc-1', 'acme');
    // url.Values{"parents": {stack + "," + cluster}}.Encode(), as the Go SDK sends it.
    const query = `parents=${encodeURIComponent(`${stack},${cluster}`)}`;
    expect(query).toContain('%2C');
    const client = await openStream(`${ws}/api/audit/v1/acme/events/?${query}`, {
      headers: { ...ALICE, Host: `cloud.example.com:443` },
    });
    // core's streamUrl builds the same shape.
    const built = streamUrl({ streamHost: `${ws}/`, namespace: 'acme', filter: createFilter({ parent: [stack, cluster] }) });
    const viaCore = await openStream(built, { headers: ALICE });
    const inStack = source.emit('acme', { type: 'service', parents: [stack] });
    source.emit('acme', { type: 'service', parents: [resourceUriFor('stack', 'stack-2', 'acme')] });
    const inCluster = source.emit('acme', { type: 'node', parents: [cluster] });
    await client.waitForFrames(2);
    await viaCore.waitForFrames(2);
    await settle();
    expect(uuidsOf(client)).toEqual([inStack.uuid, inCluster.uuid]);
    expect(uuidsOf(viaCore)).toEqual([inStack.uuid, inCluster.uuid]);
    client.ws.close();
    viaCore.ws.close();
  });

  it('tolerates doubled slashes from a stream host ending in "/"', async () => {
    const client = await openStream(`${ws}//api/audit/v1/acme/events/`, { headers: ALICE });
    const event = source.emit('acme');
    await client.waitForFrames(1);
    expect(uuidsOf(client)).toEqual([event.uuid]);
    client.ws.close();
  });
});

describe('filters (protocol.md §4)', () => {
  const ns = 'acme';
  const S = resourceUriFor('stack', 'f-stack', ns);
  const S2 = resourceUriFor('stack', 'f-stack-2', ns);
  const SV = resourceUriFor('service', 'f-service', ns);
  const SV2 = resourceUriFor('service', 'f-service-2', ns);
  const NC = resourceUriFor('nodecluster', 'f-cluster', ns);
  const N = resourceUriFor('node', 'f-node', ns);
  const C1 = resourceUriFor('container', 'f-c1', ns);
  const C2 = resourceUriFor('container', 'f-c2', ns);
  const A = resourceUriFor('action', 'f-action', ns);
  const script: [string, Partial<DockerCloudEvent>][] = [
    ['S', { type: 'stack', resource_uri: S, parents: [] }],
    ['SV', { type: 'service', resource_uri: SV, parents: [S] }],
    ['NC', { type: 'nodecluster', resource_uri: NC, parents: [] }],
    ['N', { type: 'node', resource_uri: N, parents: [NC] }],
    ['C1', { type: 'container', resource_uri: C1, parents: [SV, S, N, NC] }],
    ['C2', { type: 'container', resource_uri: C2, parents: [SV2, S2, N, NC] }],
    ['A', { type: 'action', resource_uri: A, parents: [SV, S] }],
    ['C1-delete', { type: 'container', action: 'delete', state: 'Terminated', resource_uri: C1, parents: [SV, S, N, NC] }],
  ];
  const e = encodeURIComponent;
  const cases: [string, string[]][] = [
    ['', ['S', 'SV', 'NC', 'N', 'C1', 'C2', 'A', 'C1-delete']],
    ['unknown=key&limit=3', ['S', 'SV', 'NC', 'N', 'C1', 'C2', 'A', 'C1-delete']],
    ['type=container', ['C1', 'C2', 'C1-delete']],
    ['type=container,service', ['SV', 'C1', 'C2', 'C1-delete']],
    ['type=stack&type=container', ['S', 'C1', 'C2', 'C1-delete']],
    [`object=${e(C1)}`, ['C1', 'C1-delete']],
    [`object=${e(C1)},${e(N)}`, ['N', 'C1', 'C1-delete']],
    [`object=${e(`${C1},${NC}`)}`, ['NC', 'C1', 'C1-delete']],
    [`parent=${e(S)}`, ['SV', 'C1', 'A', 'C1-delete']],
    [`parents=${e(`${S},${NC}`)}`, ['SV', 'N', 'C1', 'C2', 'A', 'C1-delete']],
    [`parent=${e(S2)}&parent=${e(SV)}`, ['C1', 'C2', 'A', 'C1-delete']],
    [`type=container&parent=${e(S)}`, ['C1', 'C1-delete']],
    [`type=action&parents=${e(SV)}`, ['A']],
    [`object=${e(C1)}&type=service`, []],
    [`object=${e(C2)}&parent=${e(S2)}&type=container`, ['C2']],
    [`object=${e(C2)}&parent=${e(S)}`, []],
    // Resource URIs compare exactly, trailing slash included.
    [`object=${e(C1.slice(0, -1))}`, []],
  ];

  it('delivers exactly the matching events, in order, for every key and combination', async () => {
    const clients = await Promise.all(cases.map(([query]) => openStream(`${ws}/api/audit/v1/acme/events/?${query}`, { headers: ALICE })));
    const names = new Map<string, string>();
    // The server subscribes a client before its handshake answer leaves, so no settling is needed here.
    for (const [name, overrides] of script) names.set(source.emit(ns, overrides).uuid, name);
    await Promise.all(clients.map((client, i) => client.waitForFrames(cases[i]![1].length)));
    await settle();
    const got = clients.map((client) => uuidsOf(client).map((uuid) => names.get(uuid as string)));
    expect(got).toEqual(cases.map(([, expected]) => expected));
    for (const client of clients) client.ws.close();
  });
});

describe('frames', () => {
  it('every event carries exactly the seven fields, in the documented order, as one text frame', async () => {
    const client = await openStream(`${ws}/api/audit/v1/acme/events/`, { headers: ALICE });
    const binary: boolean[] = [];
    client.ws.on('message', (_data, isBinary) => binary.push(isBinary));
    for (const type of ['stack', 'service', 'container', 'nodecluster', 'node', 'action'] as const) source.emit('acme', { type });
    await client.waitForFrames(6);
    for (const frame of client.json()) expect(Object.keys(frame)).toEqual(['type', 'action', 'parents', 'resource_uri', 'state', 'uuid', 'datetime']);
    for (const frame of client.json()) expect(Object.keys(frame).sort()).toEqual(EVENT_KEYS);
    expect(binary).toEqual([false, false, false, false, false, false]);
    expect(client.frames.some((f) => f.includes('"auth"'))).toBe(false);
    client.ws.close();
  });

  it('isolates namespaces: events of one never reach a subscriber of another', async () => {
    const acme = await openStream(`${ws}/api/audit/v1/acme/events/`, { headers: ALICE });
    const other = await openStream(`${ws}/api/audit/v1/other/events/`, { headers: CAROL });
    const own = await openStream(`${ws}/api/audit/v1/events/`, { headers: CAROL });
    const sent = { acme: [] as string[], other: [] as string[], carol: [] as string[] };
    for (let i = 0; i < 20; i++) {
      sent.acme.push(source.emit('acme').uuid);
      sent.other.push(source.emit('other').uuid);
      sent.carol.push(source.emit('carol').uuid);
      source.emit('nobody-listens');
    }
    await Promise.all([acme.waitForFrames(20), other.waitForFrames(20), own.waitForFrames(20)]);
    await settle();
    expect(uuidsOf(acme)).toEqual(sent.acme);
    expect(uuidsOf(other)).toEqual(sent.other);
    expect(uuidsOf(own)).toEqual(sent.carol);
    for (const c of [acme, other, own]) c.ws.close();
  });
});

describe('authentication and refusals before the upgrade', () => {
  const url = () => `${ws}/api/audit/v1/acme/events/`;

  it.each([
    ['missing credentials', {}, 'Authentication credentials were not provided.', '127.0.0.40'],
    ['a wrong API key', { Authorization: basic('alice', 'wrong-key-1') }, 'Invalid username/API key.', '127.0.0.41'],
    ['an unknown user', { Authorization: basic('mallory', 'alice-key-123') }, 'Invalid username/API key.', '127.0.0.42'],
    ['a non-Basic scheme', { Authorization: 'Bearer abc' }, 'Invalid Authorization header: scheme "Bearer" is not supported; expected Basic.', '127.0.0.43'],
    ['bad base64', { Authorization: 'Basic !!!notbase64' }, 'Invalid Authorization header: the credentials after "Basic" are not valid base64.', '127.0.0.44'],
    ['no colon', { Authorization: `Basic ${Buffer.from('alice').toString('base64')}` }, 'Invalid Authorization header: the decoded credentials have no ":" between username and API key.', '127.0.0.45'],
  ])('401 with WWW-Authenticate and a JSON detail for %s', async (_name, headers, detail, localAddress) => {
    // Each case from its own loopback address so that the login throttle of the other cases stays out of it.
    const refused = await refusedUpgrade(url(), { headers, localAddress });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Basic/);
    expect(refused.headers['content-type']).toBe('application/json');
    expect(JSON.parse(refused.body)).toEqual({ detail });
    // One failure does not lock the address out.
    (await openStream(url(), { headers: ALICE, localAddress })).ws.close();
  });

  it('accepts ?auth=<whole header value> and ?user=&token=, in that order after the header', async () => {
    const viaAuth = await openStream(`${url()}?auth=${encodeURIComponent(basic('alice', 'alice-key-123'))}`);
    const viaToken = await openStream(`${url()}?user=alice&token=alice-key-123&type=container`);
    // The header wins over the query, even when the query is wrong.
    const headerWins = await openStream(`${url()}?user=alice&token=wrong`, { headers: ALICE });
    const event = source.emit('acme');
    await Promise.all([viaAuth, viaToken, headerWins].map((c) => c.waitForFrames(1)));
    for (const c of [viaAuth, viaToken, headerWins]) {
      expect(uuidsOf(c)).toEqual([event.uuid]);
      c.ws.close();
    }
    const badQuery = await refusedUpgrade(`${url()}?auth=${encodeURIComponent('Basic %%%')}`, { localAddress: '127.0.0.21' });
    expect(badQuery.status).toBe(401);
    expect(JSON.parse(badQuery.body).detail).toMatch(/^Query parameter "auth": invalid Authorization header: .*base64/);
    const tokenOnly = await refusedUpgrade(`${url()}?token=alice-key-123`, { localAddress: '127.0.0.21' });
    expect(JSON.parse(tokenOnly.body).detail).toBe('Query parameter "token" given without "user".');
  });

  it('403 for a namespace the user cannot read, 400 for an unknown type', async () => {
    const forbidden = await refusedUpgrade(`${ws}/api/audit/v1/other/events/`, { headers: ALICE });
    expect(forbidden.status).toBe(403);
    expect(JSON.parse(forbidden.body)).toEqual({ detail: 'You do not have permission to read the events of namespace "other".' });
    const badType = await refusedUpgrade(`${url()}?type=container,volume`, { headers: ALICE });
    expect(badType.status).toBe(400);
    expect(JSON.parse(badType.body).detail).toMatch(/^Unknown event type "volume"/);
    // Authentication comes first: a bad filter from an anonymous client is a 401.
    const anonymous = await refusedUpgrade(`${url()}?type=volume`, { localAddress: '127.0.0.22' });
    expect(anonymous.status).toBe(401);
    // A namespace that does not decode: 400 to a plain client, after authentication like the rest.
    const undecodable = await refusedUpgrade(`${ws}/api/audit/v1/%ZZ/events/`, { headers: ALICE });
    expect(undecodable.status).toBe(400);
    expect(JSON.parse(undecodable.body)).toEqual({ detail: 'Malformed percent-encoding in the namespace.' });
    expect((await refusedUpgrade(`${ws}/api/audit/v1/%ZZ/events/`, { localAddress: '127.0.0.23' })).status).toBe(401);
  });

  it('429 after repeated failures from one address, whatever it sends; other addresses are unaffected', async () => {
    const opts = { localAddress: '127.0.0.30' };
    for (let i = 0; i < 3; i++) {
      expect((await refusedUpgrade(url(), { ...opts, headers: { Authorization: basic('alice', `guess-${i}`) } })).status).toBe(401);
    }
    const throttled = await refusedUpgrade(url(), { ...opts, headers: ALICE });
    expect(throttled.status).toBe(429);
    expect(JSON.parse(throttled.body)).toEqual({ detail: 'Too many login attempts.' });
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    const elsewhere = await openStream(url(), { headers: ALICE, localAddress: '127.0.0.31' });
    elsewhere.ws.close();
    expect(server.metrics.snapshot().authFailures.throttled).toBeGreaterThanOrEqual(1);
  });

  it('a plain GET on the stream path is 426 with a JSON detail; other paths 404', async () => {
    const get = await httpRequest('GET', '/api/audit/v1/events/');
    expect(get.status).toBe(426);
    expect(get.headers.upgrade).toBe('websocket');
    expect(JSON.parse(get.body).detail).toMatch(/WebSocket/);
    const elsewhere = await refusedUpgrade(`${ws}/api/audit/v1/evnts/`, { headers: ALICE });
    expect(elsewhere.status).toBe(404);
    expect(JSON.parse(elsewhere.body)).toEqual({ detail: 'Not found: no event stream at "/api/audit/v1/evnts/"; the event stream is at /api/audit/v1/[namespace/]events/.' });
  });

  it('OPTIONS * answers for the server as a whole; another method with the target * is a 400 that says why', async () => {
    const options = await rawRequest(server.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n');
    expect([options.status, options.headers.allow, options.body]).toEqual([204, 'GET, HEAD, POST, PATCH, DELETE, OPTIONS', '']);
    const get = await rawRequest(server.port, 'GET * HTTP/1.1\r\nHost: x\r\n\r\n');
    expect([get.status, JSON.parse(get.body)]).toEqual([400, { detail: 'Method "GET" needs a path: the request target "*" is for OPTIONS only.' }]);
  });

  it.each(['/api/audit/v1/events/', '/api/audit/v1/acme/events'])(
    'the stream path %s answers HEAD as GET (426), OPTIONS with 204, and another method with the REST API’s 405',
    async (path) => {
      const get = await httpRequest('GET', path);
      const head = await httpRequest('HEAD', path);
      expect([head.status, head.body, head.headers.upgrade, head.headers['content-length']]).toEqual([426, '', 'websocket', get.headers['content-length']]);
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const refused = await httpRequest(method, path, ALICE);
        expect([method, refused.status, refused.headers.allow, refused.headers['content-type']]).toEqual([method, 405, 'GET, HEAD, OPTIONS', 'application/json']);
        expect(JSON.parse(refused.body)).toEqual({ detail: `Method "${method}" not allowed (allowed: GET, HEAD, OPTIONS).` });
      }
      const options = await httpRequest('OPTIONS', path);
      expect([options.status, options.headers.allow, options.body, options.headers['access-control-allow-origin']]).toEqual([204, 'GET, HEAD, OPTIONS', '', undefined]);
    },
  );

  describe('an upgrade to another path: 404 that names the path and says where the stream is', () => {
    const HINT =
      " The path holds the stream's path after a prefix: the stream host (DOCKERCLOUD_STREAM_HOST) should be the server's root, ws://HOST:PORT/, not the stream's URL; clients add /api/audit/v1/events/ themselves.";
    const WHERE = 'the event stream is at /api/audit/v1/[namespace/]events/.';

    it('hints at the host when the printed "Event stream:" URL was given as the stream host', async () => {
      // What a client makes of DOCKERCLOUD_STREAM_HOST=ws://…/api/audit/v1/events/: it keeps the path and appends its own.
      const url = streamUrl({ streamHost: `${ws}/api/audit/v1/events/`, filter: createFilter({}) });
      expect(new URL(url).pathname).toBe('/api/audit/v1/events/api/audit/v1/events/');
      const refused = await refusedUpgrade(url, { headers: ALICE });
      expect(refused.status).toBe(404);
      expect(refused.headers['content-type']).toBe('application/json');
      expect(JSON.parse(refused.body)).toEqual({ detail: `Not found: no event stream at "/api/audit/v1/events/api/audit/v1/events/"; ${WHERE}${HINT}` });
    });

    it.each([
      ['/proxy/api/audit/v1/acme/events', `Not found: no event stream at "/proxy/api/audit/v1/acme/events"; ${WHERE}${HINT}`],
      ['/api/audit/v1/acme/events/api/audit/v1/acme/events', `Not found: no event stream at "/api/audit/v1/acme/events/api/audit/v1/acme/events"; ${WHERE}${HINT}`],
      ['/api/audit/v1/acme/bob/events/', `Not found: no event stream at "/api/audit/v1/acme/bob/events/"; ${WHERE}`],
      ['/events/', `Not found: no event stream at "/events/"; ${WHERE}`],
      // Cut as every echoed value is.
      [`/${'p'.repeat(6_000)}/`, `Not found: no event stream at "/${'p'.repeat(98)}…"; ${WHERE}`],
    ])('%s', async (path, detail) => {
      const refused = await refusedUpgrade(`${ws}${path}`, { headers: ALICE });
      expect(refused.status).toBe(404);
      expect(JSON.parse(refused.body)).toEqual({ detail });
    });

    it('gives the same hint to a plain GET of such a path, and to no other', async () => {
      const doubled = await httpRequest('GET', '/api/audit/v1/events/api/audit/v1/events/');
      expect(doubled.status).toBe(404);
      expect(JSON.parse(doubled.body)).toEqual({ detail: `Not found: no event stream at "/api/audit/v1/events/api/audit/v1/events/"; ${WHERE}${HINT}` });
      // Other paths keep their own answers.
      expect((await httpRequest('GET', '/healthz')).status).toBe(200);
      expect(JSON.parse((await httpRequest('GET', '/nowhere')).body)).toEqual({ detail: 'Not found.' });
    });
  });

  it('431 for oversized headers and 414 for an oversized URL, as JSON', async () => {
    const big = await rawHttp(`GET /api/audit/v1/events/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431/);
    expect(big).toContain('{"detail":"Request header fields too large."}');
    const longUrl = await httpRequest('GET', `/api/audit/v1/events/?type=${'x'.repeat(9000)}`);
    expect(longUrl.status).toBe(414);
    expect(JSON.parse(longUrl.body).detail).toMatch(/URI/);
    // A REST request's, with the REST API's CORS grant, so that a page on another origin reads the 414.
    const longList = await httpRequest('GET', `/api/app/v1/acme/stack/?name=${'x'.repeat(9000)}`, { Origin: 'http://page.example' });
    expect([longList.status, longList.headers['access-control-allow-origin']]).toEqual([414, '*']);
    expect((await httpRequest('GET', `/healthz?${'x'.repeat(9000)}`)).headers['access-control-allow-origin']).toBeUndefined();
    const longUpgrade = await refusedUpgrade(`${url()}?object=${'x'.repeat(9000)}`, { headers: ALICE });
    expect(longUpgrade.status).toBe(414);
  });

  it('400 for an HTTP/1.1 request without Host and 417 for an expectation other than 100-continue, as JSON', async () => {
    // Node answers both itself by default, with an empty body: every error here says why in JSON.
    const hostless = await rawRequest(server.port, 'GET /api/app/v1/acme/stack/ HTTP/1.1\r\n\r\n');
    expect([hostless.status, hostless.headers['content-type'], hostless.headers.connection]).toEqual([400, 'application/json', 'close']);
    expect(JSON.parse(hostless.body)).toEqual({ detail: 'Missing Host header: an HTTP/1.1 request names the host it is for.' });
    // HTTP/1.0 has no Host to require.
    expect((await rawRequest(server.port, 'GET /healthz HTTP/1.0\r\n\r\n')).status).toBe(200);
    const expectation = await rawRequest(server.port, 'POST /api/app/v1/acme/stack/ HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}');
    expect([expectation.status, expectation.headers['content-type']]).toEqual([417, 'application/json']);
    expect(JSON.parse(expectation.body)).toEqual({ detail: 'Expectation "200-ok" not supported: the only one is 100-continue.' });
  });

  it('405 for CONNECT, which asks a proxy for a tunnel: the connection was dropped without an answer', async () => {
    for (const target of ['127.0.0.1:443', '/api/app/v1/acme/stack/']) {
      const answer = await rawHttp(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 405 .*\r\nContent-Type: application\/json\r\n[\s\S]*\r\nAllow: GET, HEAD, POST, PATCH, DELETE, OPTIONS\r\n/);
      expect(answer.endsWith('\r\n\r\n{"detail":"Method \\"CONNECT\\" not allowed: this server is not a proxy."}')).toBe(true);
    }
  });

  it('keeps serving after each bad input', async () => {
    const client = await openStream(url(), { headers: ALICE });
    const event = source.emit('acme');
    await client.waitForFrames(1);
    expect(uuidsOf(client)).toEqual([event.uuid]);
    client.ws.close();
  });
});

describe('keepalive and client frames', () => {
  it('answers a client ping at once', async () => {
    const client = await openStream(`${ws}/api/audit/v1/events/`, { headers: ALICE });
    const rtts: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        client.ws.once('pong', () => resolve());
        client.ws.ping(Buffer.from(`p${i}`));
      });
      rtts.push(performance.now() - started);
    }
    rtts.sort((a, b) => a - b);
    expect(rtts[rtts.length - 1]).toBeLessThan(100);
    client.ws.close();
  });

  it('ignores text, binary and non-JSON frames from clients and goes on delivering', async () => {
    const noisy = await openStream(`${ws}/api/audit/v1/acme/events/`, { headers: ALICE });
    const quiet = await openStream(`${ws}/api/audit/v1/acme/events/`, { headers: ALICE });
    noisy.ws.send('hello');
    noisy.ws.send('{"type":"auth","token":"x"}');
    noisy.ws.send(Buffer.from([0, 1, 2, 255]));
    noisy.ws.send('not json {');
    await settle(50);
    const event = source.emit('acme');
    await Promise.all([noisy.waitForFrames(1), quiet.waitForFrames(1)]);
    expect(uuidsOf(noisy)).toEqual([event.uuid]);
    expect(uuidsOf(quiet)).toEqual([event.uuid]);
    expect(server.metrics.snapshot().clientFramesIgnored).toBeGreaterThanOrEqual(4);
    noisy.ws.close();
    quiet.ws.close();
  });

  it('closes a client that sends invalid UTF-8 in a text frame (1007) without disturbing others', async () => {
    const bad = await openStream(`${ws}/api/audit/v1/acme/events/`, { headers: ALICE });
    const other = await openStream(`${ws}/api/audit/v1/acme/events/`, { headers: ALICE });
    bad.ws.send(Buffer.from([0xc3, 0x28, 0xff]), { binary: false });
    expect((await bad.closed).code).toBe(1007);
    const event = source.emit('acme');
    await other.waitForFrames(1);
    expect(uuidsOf(other)).toEqual([event.uuid]);
    other.ws.close();
  });

  it('closes a client that sends an oversized frame (1009) without disturbing others', async () => {
    const big = await openStream(`${ws}/api/audit/v1/acme/events/`, { headers: ALICE });
    const other = await openStream(`${ws}/api/audit/v1/acme/events/`, { headers: ALICE });
    big.ws.send(Buffer.alloc(100 * 1024));
    expect((await big.closed).code).toBe(1009);
    const event = source.emit('acme');
    await other.waitForFrames(1);
    expect(uuidsOf(other)).toEqual([event.uuid]);
    other.ws.close();
  });
});

describe('server-side keepalive (own server, short intervals)', () => {
  it('pings idle clients and drops one that does not answer', async () => {
    const own = await createEventsServer({ source: createScriptedSource(), users: USERS, logger: silentLogger, pingIntervalMs: 100 });
    try {
      const url = `${own.url.replace('http', 'ws')}/api/audit/v1/events/`;
      const healthy = await openStream(url, { headers: ALICE });
      const pings: number[] = [];
      healthy.ws.on('ping', () => pings.push(Date.now()));
      const dead = await openStream(url, { headers: ALICE, autoPong: false });
      const closed = await dead.closed;
      // Terminated, not closed: a dead peer cannot take part in a close handshake.
      expect(closed.code).toBe(1006);
      expect(pings.length).toBeGreaterThanOrEqual(1);
      expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
      await until(() => own.connections === 1);
      healthy.ws.close();
    } finally {
      await own.close();
    }
  });

  it('times out a handshake whose headers never complete', async () => {
    const own = await createEventsServer({ source: createScriptedSource(), users: USERS, logger: silentLogger, headersTimeoutMs: 300 });
    try {
      const started = Date.now();
      const answer = await rawHttp('GET /api/audit/v1/events/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n', own.port);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await own.close();
    }
  });
});

describe('server lifecycle', () => {
  it('graceful close: clients get 1001, the source stops, close() resolves promptly', async () => {
    const ownSource = createScriptedSource();
    const own = await createEventsServer({ source: ownSource, users: USERS, logger: silentLogger });
    expect(ownSource.started).toBe(true);
    const url = `${own.url.replace('http', 'ws')}/api/audit/v1/acme/events/`;
    const plain = await openStream(url, { headers: ALICE });
    const extended = await openStream(url, { headers: ALICE, protocols: ['events.resume.v1'] });
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect((await plain.closed).code).toBe(1001);
    expect((await extended.closed).code).toBe(1001);
    expect(ownSource.stopped).toBe(true);
  });

  it('rejects a port in use with a clear invalid-config error', async () => {
    await expect(createEventsServer({ source: createScriptedSource(), users: USERS, logger: silentLogger, port: server.port })).rejects.toMatchObject({
      name: 'EventsError',
      code: 'invalid-config',
      message: `port ${server.port} on 127.0.0.1 is already in use`,
    });
  });

  it('routes other /api/ paths to the REST API, which carries the stream position', async () => {
    source.emit('acme');
    const list = await httpRequest('GET', '/api/app/v1/acme/stack/', ALICE);
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body)).toMatchObject({ meta: { total_count: 0 }, objects: [] });
    const head = server.bus.head('acme');
    expect(list.headers['x-events-position']).toBe(`${head.epoch}:${head.seq}`);
    expect((await httpRequest('GET', '/api/app/v1/acme/stack/')).status).toBe(401);
    expect((await httpRequest('GET', '/nothing/here')).status).toBe(404);
  });

  it('serves /healthz and /metrics', async () => {
    const health = await httpRequest('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', source: { name: 'scripted', ok: true }, connections: expect.any(Number) });
    const metrics = await httpRequest('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    for (const name of [
      'events_connections{protocol="plain"}',
      'events_in_total',
      'events_out_total',
      'events_in_per_second',
      'events_frames_dropped_total',
      'events_slow_consumers_closed_total',
      'events_resumes_total{outcome="gone"}',
      'events_auth_failures_total{reason="invalid"}',
    ]) {
      expect(metrics.body).toContain(`\n${name} `);
    }
    expect(Number(/\nevents_in_total (\d+)/.exec(metrics.body)?.[1])).toBe(source.emitted.length);
  });

  it.each(['/healthz', '/metrics'])('%s is read-only: HEAD answers as GET without a body, OPTIONS 204 and other methods 405 as the REST API does', async (path) => {
    const get = await httpRequest('GET', path);
    const head = await httpRequest('HEAD', path);
    expect([head.status, head.body, head.headers['content-type']]).toEqual([200, '', get.headers['content-type']]);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const refused = await httpRequest(method, path);
      expect([method, refused.status, refused.headers.allow, refused.headers['content-type']]).toEqual([method, 405, 'GET, HEAD, OPTIONS', 'application/json']);
      expect(JSON.parse(refused.body)).toEqual({ detail: `Method "${method}" not allowed (allowed: GET, HEAD, OPTIONS).` });
    }
    // No CORS grant: they take no key, so another origin's page may not read them.
    const options = await httpRequest('OPTIONS', path, { Origin: 'https://elsewhere.example', 'Access-Control-Request-Method': 'GET' });
    expect([options.status, options.headers.allow, options.body, options.headers['access-control-allow-origin']]).toEqual([204, 'GET, HEAD, OPTIONS', '', undefined]);
    // The REST API's own, for comparison: the same header and the same words.
    const rest = await httpRequest('POST', '/api/app/v1/acme/stack/', ALICE);
    expect([rest.status, rest.headers.allow, JSON.parse(rest.body)]).toEqual([405, 'GET, HEAD, OPTIONS', { detail: 'Method "POST" not allowed (allowed: GET, HEAD, OPTIONS).' }]);
    const restOptions = await httpRequest('OPTIONS', '/api/app/v1/acme/stack/');
    expect([restOptions.status, restOptions.headers.allow]).toEqual([204, 'GET, HEAD, OPTIONS']);
  });
});

function httpRequest(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes and returns everything the server answers until it closes the socket. */
function rawHttp(text: string, port = server.port): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      answer += c;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}
