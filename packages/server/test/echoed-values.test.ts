import { OBJECT_TYPES, RESUME_SUBPROTOCOL } from '@events/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsServer, type EventsServer } from '../src/create-events-server.js';
import { silentLogger } from '../src/logger.js';
import { createScriptedSource } from '../../../tests/support/scripted-source.js';
import { makeService, type RestFixture, startRestFixture } from './rest-fixture.js';
import { basic, openStream, refusedUpgrade } from './helpers/stream-client.js';

// A client's bad value comes back in an error message cut to 100 characters (99 and "…"), the
// message otherwise as precise as before: a 6 KB value is no clearer whole, and echoing it in
// full copies input into answers, close frames and logs.

const LONG = 6_000;
const cut = (char: string) => `${char.repeat(99)}…`;
const USERS = [{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }];
const ALICE = { Authorization: basic('alice', 'alice-key-123') };
// The types a stream filter takes: the object types, and error (the type of error frames).
const TYPES = [...OBJECT_TYPES, 'error'].join(', ');

describe('the stream', () => {
  let server: EventsServer;
  let ws: string;
  beforeAll(async () => {
    server = await createEventsServer({ source: createScriptedSource(), users: USERS, logger: silentLogger });
    ws = server.url.replace('http', 'ws');
  });
  afterAll(async () => {
    await server?.close();
  });
  const detailOf = async (path: string) => {
    const refused = await refusedUpgrade(`${ws}${path}`, { headers: ALICE });
    expect(refused.status).toBe(refused.status === 403 ? 403 : 400);
    return (JSON.parse(refused.body) as { detail: string }).detail;
  };

  it('cuts an unknown filter type', async () => {
    expect(await detailOf(`/api/audit/v1/acme/events/?type=${'v'.repeat(LONG)}`)).toBe(`Unknown event type "${cut('v')}" in filter "type"; expected one of ${TYPES}.`);
    // A short one stays whole.
    expect(await detailOf('/api/audit/v1/acme/events/?type=volume')).toBe(`Unknown event type "volume" in filter "type"; expected one of ${TYPES}.`);
  });

  it('cuts a value that does not percent-decode', async () => {
    expect(await detailOf(`/api/audit/v1/acme/events/?object=%ZZ${'o'.repeat(LONG)}`)).toBe(
      `Invalid filter: malformed percent-encoding in "object" value "%ZZ${'o'.repeat(96)}…".`,
    );
  });

  it('cuts a namespace the user may not read', async () => {
    expect(await detailOf(`/api/audit/v1/${'n'.repeat(LONG)}/events/`)).toBe(`You do not have permission to read the events of namespace "${cut('n')}".`);
  });

  it('cuts a malformed resume position in the error frame and close of an extended client', async () => {
    const client = await openStream(`${ws}/api/audit/v1/acme/events/?resume=${'r'.repeat(LONG)}`, { headers: ALICE, protocols: [RESUME_SUBPROTOCOL] });
    const closed = await client.closed;
    const message = `Invalid stream position "${cut('r')}": expected <epoch>:<sequence>.`;
    expect(client.json()).toEqual([{ type: 'error', data: { errorMessage: message, code: 4000 } }]);
    expect(closed).toEqual({ code: 4000, reason: message.slice(0, 123) });
  });

  it('cuts a query credential the server cannot read', async () => {
    const refused = await refusedUpgrade(`${ws}/api/audit/v1/acme/events/?auth=${'A'.repeat(LONG)}`, { localAddress: '127.0.0.61' });
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toEqual({ detail: `Query parameter "auth": invalid Authorization header: scheme "${'A'.repeat(20)}" is not supported; expected Basic.` });
  });
});

describe('the REST API', () => {
  let fx: RestFixture;
  beforeAll(async () => {
    fx = await startRestFixture();
  });
  afterAll(async () => {
    await fx?.close();
  });
  const call = async (method: string, path: string, body?: string) => {
    const res = await fetch(`${fx.url}${path}`, { method, headers: { Authorization: fx.auth('alice') }, ...(body !== undefined ? { body } : {}) });
    const answer = (await res.json()) as { detail: string };
    return { status: res.status, detail: answer.detail };
  };

  it.each([
    ['a paging value', `/api/app/v1/acme/stack/?limit=${'9x'.repeat(LONG / 2)}`, 400, `Invalid limit "${'9x'.repeat(49)}9…": expected a non-negative integer.`],
    ['an unknown API', `/api/${'a'.repeat(LONG)}/v1/stack/`, 404, `Not found: unknown API "${cut('a')}" (expected app, infra or audit).`],
    ['an unknown version', `/api/app/${'v'.repeat(LONG)}/stack/`, 404, `Not found: unknown version "${cut('v')}" of the app API (expected v1).`],
    ['an unknown path', `/api/app/v1/${'p'.repeat(LONG)}/`, 404, `Not found: no resource at /api/app/v1/${'p'.repeat(87)}….`],
    ['a namespace the user may not read', `/api/app/v1/${'n'.repeat(LONG)}/stack/`, 403, `You do not have permission to access namespace "${cut('n')}".`],
    ['an unknown object', `/api/app/v1/acme/stack/${'u'.repeat(LONG)}/`, 404, `Not found: no stack "${cut('u')}" in namespace "acme".`],
    ['an unknown operation', `/api/app/v1/acme/stack/9a2e/${'o'.repeat(LONG)}/`, 404, `Not found: a stack has no operation "${cut('o')}" (stack operations: start, stop, redeploy; terminate with DELETE of its resource_uri).`],
  ])('cuts %s', async (_name, path, status, detail) => {
    expect(await call('GET', path)).toEqual({ status, detail });
  });

  it('cuts a bad target_num_containers from the body', async () => {
    const service = makeService('acme', 'web', null);
    fx.source.add('acme', 'service', service);
    expect(await call('PATCH', service.resource_uri, JSON.stringify({ target_num_containers: 't'.repeat(LONG) }))).toEqual({
      status: 400,
      detail: `Invalid target_num_containers "${cut('t')}": expected an integer from 0 to 100.`,
    });
    expect(await call('PATCH', service.resource_uri, JSON.stringify({ target_num_containers: ['t'.repeat(LONG)] }))).toEqual({
      status: 400,
      detail: `Invalid target_num_containers ["${'t'.repeat(97)}…: expected an integer from 0 to 100.`,
    });
  });
});
