import { request } from 'node:http';
import { formatPosition, POSITION_HEADER, type RestList, type RestService, type RestStack } from '@events/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { ACTION_URI_HEADER, MAX_WARNED_LIST_KEYS } from '../src/rest-api.js';
import { makeContainer, makeNode, makeNodeCluster, makeService, makeStack, type RestFixture, startRestFixture } from './rest-fixture.js';

let fx: RestFixture;

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(method: string, path: string, options: { user?: string | null; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const user = options.user === undefined ? 'alice' : options.user;
  const headers: Record<string, string> = { ...(user ? { Authorization: fx.auth(user) } : {}), ...options.headers };
  const res = await fetch(`${fx.url}${path}`, { method, headers, ...(options.body !== undefined ? { body: options.body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

const detail = (answer: Answer) => (answer.body as { detail?: string }).detail;

beforeEach(async () => {
  fx = await startRestFixture();
});
afterEach(async () => {
  await fx.close();
});

describe('lists', () => {
  it('answers the Docker Cloud envelope with X-Events-Position', async () => {
    const stack = makeStack('acme', 'web');
    fx.source.add('acme', 'stack', stack);
    const answer = await call('GET', '/api/app/v1/acme/stack/');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.body).toEqual({ meta: { limit: 25, next: null, offset: 0, previous: null, total_count: 1 }, objects: [stack] });
    expect(answer.headers.get(POSITION_HEADER)).toBe(`${fx.bus.head('acme').epoch}:0`);
  });

  it('lists the user’s own namespace when the path has none, and each type under its API', async () => {
    const own = makeStack('alice', 'mine');
    fx.source.add('alice', 'stack', own);
    fx.source.add('acme', 'stack', makeStack('acme', 'theirs'));
    const cluster = makeNodeCluster('acme', 'prod');
    fx.source.add('acme', 'nodecluster', cluster);
    fx.source.add('acme', 'node', makeNode('acme', cluster));
    expect(((await call('GET', '/api/app/v1/stack')).body as RestList<RestStack>).objects).toEqual([own]);
    expect(((await call('GET', '/api/infra/v1/acme/nodecluster/')).body as RestList<unknown>).objects).toEqual([cluster]);
    expect(((await call('GET', '/api/infra/v1/acme/node/')).body as RestList<unknown>).meta.total_count).toBe(1);
    expect(((await call('GET', '/api/audit/v1/acme/action/')).body as RestList<unknown>).meta.total_count).toBe(0);
  });

  it('serves HEAD like GET without a body', async () => {
    const answer = await call('HEAD', '/api/app/v1/acme/stack/');
    expect(answer.status).toBe(200);
    expect(answer.body).toBeUndefined();
    expect(answer.headers.get(POSITION_HEADER)).toBe(`${fx.bus.head('acme').epoch}:0`);
  });

  it('refuses bad paging with 400 and a precise detail', async () => {
    const answer = await call('GET', '/api/app/v1/acme/stack/?limit=ten');
    expect(answer.status).toBe(400);
    expect(detail(answer)).toBe('Invalid limit "ten": expected a non-negative integer.');
    expect(detail(await call('GET', '/api/app/v1/acme/stack/?offset=-5'))).toBe('Invalid offset "-5": expected a non-negative integer.');
  });

  it('filters as Docker Cloud documented, keeping the filter in next', async () => {
    for (let i = 0; i < 5; i += 1) fx.source.add('acme', 'service', makeService('acme', i % 2 === 0 ? 'api' : 'redis', null));
    const answer = await call('GET', '/api/app/v1/acme/service/?name=api&limit=2');
    const list = answer.body as RestList<RestService>;
    expect(list.meta).toEqual({ limit: 2, next: '/api/app/v1/acme/service/?name=api&limit=2&offset=2', offset: 0, previous: null, total_count: 3 });
    expect(list.objects.map((s) => s.name)).toEqual(['api', 'api']);
  });

  it('answers a filter it does not support with the list unfiltered by it, as before, and logs one warning per type and key', async () => {
    await fx.close();
    const logs: Record<string, unknown>[] = [];
    fx = await startRestFixture({ logger: createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) }) });
    for (const name of ['api', 'redis']) fx.source.add('acme', 'service', makeService('acme', name, null));
    fx.source.add('acme', 'stack', makeStack('acme', 'web'));
    const names = async (path: string) => {
      const answer = await call('GET', path);
      expect(answer.status).toBe(200);
      return (answer.body as RestList<RestService>).objects.map((o) => o.name);
    };
    const warnings = () => logs.filter((line) => line.level === 'warn').map(({ msg, type, key }) => ({ msg, type, key }));
    // Tastypie answered 400; old clients may send such keys, so the answer stays.
    expect(await names('/api/app/v1/acme/service/?name__contains=ap&uuid__in=x,y')).toEqual(['api', 'redis']);
    expect(await names('/api/app/v1/acme/service/?name__contains=re&name=redis')).toEqual(['redis']);
    expect(await names('/api/app/v1/acme/stack/?name__contains=w&image_name=x')).toEqual(['web']);
    // Paging, credentials and supported filters are not warned about.
    expect(await names('/api/app/v1/acme/service/?limit=5&offset=0&state=Running&uuid__startswith=&stack__name=web')).toEqual([]);
    expect(warnings()).toEqual([
      { msg: 'list filter ignored', type: 'service', key: 'name__contains' },
      { msg: 'list filter ignored', type: 'service', key: 'uuid__in' },
      { msg: 'list filter ignored', type: 'stack', key: 'name__contains' },
      { msg: 'list filter ignored', type: 'stack', key: 'image_name' },
    ]);
    // A bounded number: a client making keys up cannot flood the log.
    const many = Array.from({ length: MAX_WARNED_LIST_KEYS + 20 }, (_, i) => `k${i}=1`).join('&');
    expect(await names(`/api/app/v1/acme/service/?${many}`)).toEqual(['api', 'redis']);
    expect(warnings()).toHaveLength(MAX_WARNED_LIST_KEYS);
    expect(logs.filter((line) => line.level === 'warn').at(-1)).toMatchObject({ key: `k${MAX_WARNED_LIST_KEYS - 5}`, note: expect.stringMatching(/^the last one logged/) });
  });

  describe('paging over 60 stacks', () => {
    let uuids: string[];
    beforeEach(() => {
      uuids = [];
      for (let i = 0; i < 60; i += 1) {
        const stack = makeStack('acme', `s${i}`);
        uuids.push(stack.uuid);
        fx.source.add('acme', 'stack', stack);
      }
    });

    it('the Go SDK walk (base URL + next[5:]) sees every object exactly once', async () => {
      // go-dockercloud: BaseUrl = DOCKERCLOUD_REST_HOST + "/api/", so a host ending in / gives //api/.
      const base = `${fx.url}//api/`;
      const auth = { Authorization: fx.auth('alice') };
      let page = (await (await fetch(`${base}app/v1/acme/stack/`, { headers: auth })).json()) as RestList<RestStack>;
      const seen = [...page.objects.map((s) => s.uuid)];
      const nexts: (string | null)[] = [page.meta.next];
      while (page.meta.next !== null) {
        page = (await (await fetch(base + page.meta.next.slice(5), { headers: auth })).json()) as RestList<RestStack>;
        seen.push(...page.objects.map((s) => s.uuid));
        nexts.push(page.meta.next);
      }
      expect(nexts).toEqual(['/api/app/v1/acme/stack/?limit=25&offset=25', '/api/app/v1/acme/stack/?limit=25&offset=50', null]);
      expect(seen).toEqual(uuids);
    });

    it('the Python SDK walk (offset += meta.limit while next) sees every object exactly once', async () => {
      const seen: string[] = [];
      let query = '';
      for (;;) {
        const page = (await call('GET', `/api/app/v1/acme/stack/${query}`)).body as RestList<RestStack>;
        seen.push(...page.objects.map((s) => s.uuid));
        if (!page.meta.next) break;
        query = `?offset=${page.meta.offset + page.meta.limit}&limit=${page.meta.limit}`;
      }
      expect(seen).toEqual(uuids);
    });

    it('keeps ?user=&token= credentials in next, so a query-authenticated client can follow it', async () => {
      const first = (await call('GET', '/api/app/v1/acme/stack/?user=alice&token=alice-key-123&limit=50', { user: null })).body as RestList<RestStack>;
      expect(first.meta.next).toBe('/api/app/v1/acme/stack/?user=alice&token=alice-key-123&limit=50&offset=50');
      const second = await call('GET', first.meta.next as string, { user: null });
      expect(second.status).toBe(200);
      expect((second.body as RestList<RestStack>).objects.map((s) => s.uuid)).toEqual(uuids.slice(50));
      expect((second.body as RestList<RestStack>).meta.previous).toBe('/api/app/v1/acme/stack/?user=alice&token=alice-key-123&limit=50&offset=0');
    });
  });
});

describe('authentication and access', () => {
  it('401 without credentials, with WWW-Authenticate: Basic', async () => {
    const answer = await call('GET', '/api/app/v1/acme/stack/', { user: null });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(detail(answer)).toBe('Authentication credentials were not provided.');
  });

  it('401 for a wrong key, even on a path that does not exist', async () => {
    const answer = await call('GET', '/api/app/v1/acme/nothing/', { user: 'mallory' });
    expect(answer.status).toBe(401);
    expect(detail(answer)).toBe('Invalid username/API key.');
  });

  it('accepts ?auth= and ?user=&token=', async () => {
    const header = encodeURIComponent(fx.auth('alice'));
    expect((await call('GET', `/api/app/v1/acme/stack/?auth=${header}`, { user: null })).status).toBe(200);
    expect((await call('GET', '/api/app/v1/acme/stack/?user=alice&token=alice-key-123', { user: null })).status).toBe(200);
  });

  it('403 for a namespace the user cannot read, on lists, details and operations', async () => {
    const stack = makeStack('acme', 'web');
    fx.source.add('acme', 'stack', stack);
    for (const [method, path] of [
      ['GET', '/api/app/v1/acme/stack/'],
      ['GET', stack.resource_uri],
      ['POST', `${stack.resource_uri}stop/`],
      ['DELETE', stack.resource_uri],
    ] as const) {
      const answer = await call(method, path, { user: 'bob' });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(detail(answer)).toBe('You do not have permission to access namespace "acme".');
    }
    expect(fx.source.operations).toEqual([]);
  });
});

describe('429 after repeated failures', () => {
  it('locks the address out with Retry-After', async () => {
    await fx.close();
    fx = await startRestFixture({ maxFailures: 2 });
    expect((await call('GET', '/api/app/v1/stack/', { user: 'mallory' })).status).toBe(401);
    expect((await call('GET', '/api/app/v1/stack/', { user: 'mallory' })).status).toBe(401);
    const answer = await call('GET', '/api/app/v1/stack/');
    expect(answer.status).toBe(429);
    expect(detail(answer)).toBe('Too many login attempts.');
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('details', () => {
  it('GET {resource_uri} returns the object, with or without the trailing slash', async () => {
    const service = makeService('acme', 'api', null);
    fx.source.add('acme', 'service', service);
    const answer = await call('GET', service.resource_uri);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(service);
    expect(answer.headers.get(POSITION_HEADER)).toBe(formatPosition(fx.bus.head('acme')));
    expect((await call('GET', service.resource_uri.slice(0, -1))).body).toEqual(service);
  });

  it('404 with a precise detail for an unknown uuid', async () => {
    const answer = await call('GET', '/api/app/v1/acme/container/nope/');
    expect(answer.status).toBe(404);
    expect(detail(answer)).toBe('Not found: no container "nope" in namespace "acme".');
    expect(detail(await call('GET', '/api/audit/v1/action/nope/'))).toBe('Not found: no action "nope" in any namespace you can read.');
  });

  it('404 for an unknown path', async () => {
    const answer = await call('GET', '/api/app/v1/acme/volume/');
    expect(answer.status).toBe(404);
    expect(detail(answer)).toBe('Not found: no resource at /api/app/v1/acme/volume/.');
  });

  it('426 for the stream endpoint without an upgrade', async () => {
    const answer = await call('GET', '/api/audit/v1/events/');
    expect(answer.status).toBe(426);
    expect(answer.headers.get('upgrade')).toBe('websocket');
  });
});

describe('405', () => {
  it.each([
    ['PUT', '/api/app/v1/acme/stack/', 'GET, HEAD, OPTIONS'],
    ['POST', '/api/app/v1/acme/service/', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/api/infra/v1/acme/node/77b0/', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/api/app/v1/acme/stack/9a2e/', 'GET, HEAD, DELETE, OPTIONS'],
    ['POST', '/api/app/v1/acme/service/5f1c/', 'GET, HEAD, DELETE, PATCH, OPTIONS'],
    ['GET', '/api/app/v1/acme/service/5f1c/start/', 'POST, OPTIONS'],
    ['POST', '/api/audit/v1/acme/events/', 'GET, HEAD, OPTIONS'],
  ])('%s %s → Allow: %s, the same as OPTIONS answers', async (method, path, allow) => {
    const answer = await call(method, path);
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe(allow);
    expect(detail(answer)).toBe(`Method "${method}" not allowed (allowed: ${allow}).`);
    const options = await call('OPTIONS', path, { user: null });
    expect([options.status, options.headers.get('allow')]).toEqual([204, allow]);
  });
});

describe('operations', () => {
  let stack: RestStack;
  let service: RestService;
  beforeEach(() => {
    stack = makeStack('acme', 'web', 'Stopped');
    service = makeService('acme', 'api', stack, 'Stopped');
    fx.source.add('acme', 'stack', stack);
    fx.source.add('acme', 'service', service);
  });

  it('POST start/ answers 202 with the object, the action URI header, and the action at that URI', async () => {
    const answer = await call('POST', `${service.resource_uri}start/`, { body: '{}', headers: { 'Content-Type': 'application/json' } });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ uuid: service.uuid, resource_uri: service.resource_uri, state: 'Running' });
    const actionUri = answer.headers.get(ACTION_URI_HEADER);
    expect(actionUri).toMatch(/^\/api\/audit\/v1\/action\/[0-9a-f-]+\/$/);
    expect(answer.headers.get(POSITION_HEADER)).toBe(`${fx.bus.head('acme').epoch}:2`);
    const action = await call('GET', actionUri as string);
    expect(action.status).toBe(200);
    expect(action.body).toMatchObject({ resource_uri: actionUri, object: service.resource_uri, user: 'alice', method: 'POST', path: `${service.resource_uri}start/` });
    expect(fx.source.operations).toEqual([
      { namespace: 'acme', type: 'service', uuid: service.uuid, operation: 'start', user: 'alice', method: 'POST', path: `${service.resource_uri}start/` },
    ]);
    // The list now reflects the events up to its header's position.
    const list = await call('GET', '/api/app/v1/acme/service/');
    expect(list.headers.get(POSITION_HEADER)).toBe(`${fx.bus.head('acme').epoch}:2`);
    expect((list.body as RestList<RestService>).objects[0]?.state).toBe('Running');
  });

  it('finds an action un-namespaced in any namespace the user reads', async () => {
    const answer = await call('POST', `${stack.resource_uri}redeploy`);
    expect(answer.status).toBe(202);
    const uri = answer.headers.get(ACTION_URI_HEADER) as string;
    expect((await call('GET', uri)).status).toBe(200);
    expect((await call('GET', uri, { user: 'bob' })).status).toBe(404);
  });

  it('un-namespaced operation paths act in the user’s own namespace', async () => {
    const own = makeContainer('alice', 'c1', null, 'Stopped');
    fx.source.add('alice', 'container', own);
    const answer = await call('POST', `/api/app/v1/container/${own.uuid}/start/`);
    expect(answer.status).toBe(202);
    expect(fx.source.operations[0]).toMatchObject({ namespace: 'alice', type: 'container', operation: 'start' });
  });

  it('scale/ with a body scales to that target', async () => {
    const answer = await call('POST', `${service.resource_uri}scale/`, { body: '{"target_num_containers": 3}' });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ target_num_containers: 3 });
    expect(fx.source.operations[0]).toMatchObject({ operation: 'scale', targetNumContainers: 3 });
  });

  it('scale/ without a body scales to the service’s target (the SDKs PATCH it first)', async () => {
    const patched = await call('PATCH', service.resource_uri, { body: JSON.stringify({ target_num_containers: 4 }) });
    expect(patched.status).toBe(202);
    expect(patched.body).toMatchObject({ uuid: service.uuid, target_num_containers: 4 });
    expect(patched.headers.get(ACTION_URI_HEADER)).toMatch(/^\/api\/audit\/v1\/action\//);
    const scaled = await call('POST', `${service.resource_uri}scale/`);
    expect(scaled.status).toBe(202);
    expect(fx.source.operations.map((o) => [o.operation, o.targetNumContainers, o.method])).toEqual([
      ['scale', 4, 'PATCH'],
      ['scale', 4, 'POST'],
    ]);
  });

  it('a body-less scale/ uses the target a PATCH asked for while its action is in flight', async () => {
    fx.source.lagging = true;
    const patched = await call('PATCH', service.resource_uri, { body: '{"target_num_containers": 5}' });
    expect(patched.status).toBe(202);
    // The lagging source has not applied the target yet, but the service shows it at once, as
    // Docker Cloud's did (python-dockercloud's save() loads the PATCH answer into its object)…
    expect((patched.body as RestService).target_num_containers).toBe(5);
    expect(((await call('GET', service.resource_uri)).body as RestService).target_num_containers).toBe(5);
    const listed = (await call('GET', '/api/app/v1/acme/service/')).body as RestList<RestService>;
    expect(listed.objects.find((s) => s.uuid === service.uuid)?.target_num_containers).toBe(5);
    // …and the scale the CLI sends next goes to 5, not back to 1.
    expect((await call('POST', `${service.resource_uri}scale/`)).status).toBe(202);
    fx.source.finishActions();
    // Once the actions are over, the service's own field counts again (this lagging source never applied 5).
    expect(((await call('GET', service.resource_uri)).body as RestService).target_num_containers).toBe(1);
    expect((await call('POST', `${service.resource_uri}scale/`)).status).toBe(202);
    expect(fx.source.operations.map((o) => o.targetNumContainers)).toEqual([5, 5, 1]);
  });

  it('PATCH without target_num_containers changes nothing and answers 200 with the service', async () => {
    const answer = await call('PATCH', service.resource_uri, { body: '{"autorestart": "ALWAYS"}' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(service);
    expect(fx.source.operations).toEqual([]);
  });

  it.each([
    ['{"target_num_containers": -1}', 'Invalid target_num_containers -1: expected an integer from 0 to 100.'],
    ['{"target_num_containers": 2.5}', 'Invalid target_num_containers 2.5: expected an integer from 0 to 100.'],
    ['{"target_num_containers": "many"}', 'Invalid target_num_containers "many": expected an integer from 0 to 100.'],
    ['{"target_num_containers": 101}', 'Invalid target_num_containers 101: expected an integer from 0 to 100.'],
    ['[3]', 'Request body must be a JSON object, e.g. {"target_num_containers": 3}.'],
    ['{"target_num_containers": 3', 'Request body is not valid JSON: '],
  ])('scale/ with %s → 400', async (body, message) => {
    const answer = await call('POST', `${service.resource_uri}scale/`, { body });
    expect(answer.status).toBe(400);
    expect(detail(answer)?.startsWith(message)).toBe(true);
    expect(fx.source.operations).toEqual([]);
  });

  it('accepts a digit string target, as Tastypie did', async () => {
    expect((await call('POST', `${service.resource_uri}scale/`, { body: '{"target_num_containers": "2"}' })).status).toBe(202);
    expect(fx.source.operations[0]?.targetNumContainers).toBe(2);
  });

  it('DELETE terminates (202); a terminated object answers 409 to anything but GET', async () => {
    const first = await call('DELETE', stack.resource_uri);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ state: 'Terminated' });
    expect(fx.source.operations[0]).toMatchObject({ operation: 'terminate', method: 'DELETE', path: stack.resource_uri });
    const again = await call('DELETE', stack.resource_uri);
    expect(again.status).toBe(409);
    expect(detail(again)).toBe(`The stack "${stack.uuid}" is terminated: it cannot be terminated again.`);
    const start = await call('POST', `${stack.resource_uri}start/`);
    expect(start.status).toBe(409);
    expect(detail(start)).toBe(`The stack "${stack.uuid}" is terminated: it cannot start.`);
    expect((await call('GET', stack.resource_uri)).status).toBe(200);
    expect(fx.source.operations).toHaveLength(1);
  });

  it('404 for an operation on an unknown object', async () => {
    const answer = await call('POST', '/api/app/v1/acme/service/nope/stop/');
    expect(answer.status).toBe(404);
    expect(detail(answer)).toBe('Not found: no service "nope" in namespace "acme".');
  });

  it('passes a source refusal through with its status', async () => {
    fx.source.refuseNext({ ok: false, status: 400, detail: 'A service cannot scale beyond 50 containers.' });
    const answer = await call('POST', `${service.resource_uri}scale/`, { body: '{"target_num_containers": 60}' });
    expect(answer.status).toBe(400);
    expect(detail(answer)).toBe('A service cannot scale beyond 50 containers.');
  });

  it('answers 503 with Retry-After when the source cannot act now', async () => {
    fx.source.refuseNext({ ok: false, status: 503, detail: 'The Docker engine is unreachable.', retryAfterSeconds: 7 });
    const answer = await call('POST', `${service.resource_uri}stop/`);
    expect(answer.status).toBe(503);
    expect(detail(answer)).toBe('The Docker engine is unreachable.');
    expect(answer.headers.get('retry-after')).toBe('7');
  });
});

describe('request bodies', () => {
  it('413 when Content-Length is over the limit, before anything runs', async () => {
    await fx.close();
    fx = await startRestFixture({ maxBodyBytes: 1024 });
    const service = makeService('acme', 'api', null);
    fx.source.add('acme', 'service', service);
    const answer = await rawRequest('POST', `${service.resource_uri}scale/`, { 'Content-Length': '4096' }, '');
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ detail: 'Request body too large: 4096 bytes (at most 1024).' });
    expect(fx.source.operations).toEqual([]);
  });

  it('413 when a chunked body grows over the limit', async () => {
    await fx.close();
    fx = await startRestFixture({ maxBodyBytes: 1024 });
    const service = makeService('acme', 'api', null);
    fx.source.add('acme', 'service', service);
    const answer = await rawRequest('POST', `${service.resource_uri}scale/`, { 'Transfer-Encoding': 'chunked' }, 'x'.repeat(2000));
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ detail: 'Request body too large: more than 1024 bytes.' });
    expect(fx.source.operations).toEqual([]);
  });

  it('408 when the body does not arrive in time', async () => {
    await fx.close();
    fx = await startRestFixture({ bodyTimeoutMs: 150 });
    const service = makeService('acme', 'api', null);
    fx.source.add('acme', 'service', service);
    const started = Date.now();
    const answer = await rawRequest('POST', `${service.resource_uri}scale/`, { 'Content-Length': '40' }, '{"target', { keepOpen: true });
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual({ detail: 'Request body not received within 150 ms.' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fx.source.operations).toEqual([]);
  });
});

describe('server-side failures', () => {
  it('503 while the source is unhealthy', async () => {
    fx.source.setHealth({ ok: false, detail: 'Docker Engine unreachable' });
    const answer = await call('GET', '/api/app/v1/acme/stack/');
    expect(answer.status).toBe(503);
    expect(detail(answer)).toBe('The fixture source is unavailable: Docker Engine unreachable');
    expect(answer.headers.get('retry-after')).toBe('5');
  });

  it('serves reads but refuses operations while a source that was listed is away (readable)', async () => {
    const web = makeStack('acme', 'web');
    const stack = web.resource_uri;
    fx.source.add('acme', 'stack', web);
    fx.source.setHealth({ ok: false, readable: true, detail: 'Docker Engine unreachable' });
    const list = await call('GET', '/api/app/v1/acme/stack/');
    expect(list.status).toBe(200);
    expect((list.body as { objects: { resource_uri: string }[] }).objects.map((o) => o.resource_uri)).toEqual([stack]);
    expect((await call('GET', stack)).status).toBe(200);
    const stop = await call('POST', `${stack}stop/`);
    expect(stop.status).toBe(503);
    expect(detail(stop)).toBe('The fixture source is unavailable: Docker Engine unreachable');
    expect(stop.headers.get('retry-after')).toBe('5');
  });

  it('500 with a generic detail when the source throws', async () => {
    fx.source.list = () => {
      throw new Error('boom: internal detail');
    };
    const answer = await call('GET', '/api/app/v1/acme/stack/');
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ detail: 'Internal server error.' });
  });
});

describe('CORS', () => {
  it('answers a preflight without credentials and exposes the custom headers', async () => {
    const answer = await call('OPTIONS', '/api/app/v1/acme/stack/', { user: null });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type');
    expect(answer.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    // A path that is no resource passes the preflight, so that the page reads its JSON 404.
    const nowhere = await call('OPTIONS', '/api/app/v1/acme/volume/', { user: null });
    expect([nowhere.status, nowhere.headers.get('access-control-allow-origin'), nowhere.headers.get('allow')]).toEqual([204, '*', null]);
    const list = await call('GET', '/api/app/v1/acme/stack/');
    expect(list.headers.get('access-control-expose-headers')).toBe(`${POSITION_HEADER}, ${ACTION_URI_HEADER}, Retry-After`);
  });

  it('exposes Retry-After on a 503 and a 429: a page on another origin reads it only then, and the live tree waits by it', async () => {
    // Retry-After is no CORS-safelisted response header: unexposed, fetch() on another origin
    // shows it as absent and the browser transport's live tree retries at once, not when told.
    const exposed = (answer: Answer) => (answer.headers.get('access-control-expose-headers') ?? '').split(/\s*,\s*/);
    fx.source.setHealth({ ok: false, detail: 'Docker Engine unreachable' });
    const unavailable = await call('GET', '/api/app/v1/acme/stack/', { headers: { Origin: 'http://page.example' } });
    expect([unavailable.status, unavailable.headers.get('retry-after')]).toEqual([503, '5']);
    expect(exposed(unavailable)).toContain('Retry-After');
    await fx.close();
    fx = await startRestFixture({ maxFailures: 1 });
    await call('GET', '/api/app/v1/stack/', { user: 'mallory' });
    const throttled = await call('GET', '/api/app/v1/stack/', { headers: { Origin: 'http://page.example' } });
    expect(throttled.status).toBe(429);
    expect(exposed(throttled)).toContain('Retry-After');
  });
});

/** A request whose body we control byte by byte (fetch would fix up Content-Length). */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string,
  options: { keepOpen?: boolean } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, fx.url);
    const req = request(url, { method, headers: { Authorization: fx.auth('alice'), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    // The server may close as soon as it has answered; that is what it should do.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    req.write(body);
    if (!options.keepOpen) req.end();
  });
}
