import { describe, expect, it } from 'vitest';
import { parseRestPath } from '../src/rest-route.js';

describe('parseRestPath', () => {
  it.each([
    ['/api/app/v1/acme/stack/', { kind: 'list', namespace: 'acme', type: 'stack' }],
    ['/api/app/v1/acme/stack', { kind: 'list', namespace: 'acme', type: 'stack' }],
    ['/api/app/v1/service/', { kind: 'list', namespace: null, type: 'service' }],
    ['/api/infra/v1/acme/nodecluster/', { kind: 'list', namespace: 'acme', type: 'nodecluster' }],
    ['/api/infra/v1/node', { kind: 'list', namespace: null, type: 'node' }],
    ['/api/audit/v1/action/', { kind: 'list', namespace: null, type: 'action' }],
    ['/api/audit/v1/acme/action/', { kind: 'list', namespace: 'acme', type: 'action' }],
    ['/api/app/v1/acme/container/0b0e/', { kind: 'detail', namespace: 'acme', type: 'container', uuid: '0b0e' }],
    ['/api/app/v1/container/0b0e', { kind: 'detail', namespace: null, type: 'container', uuid: '0b0e' }],
    ['/api/audit/v1/action/77b0/', { kind: 'detail', namespace: null, type: 'action', uuid: '77b0' }],
    ['/api/app/v1/acme/service/5f1c/scale/', { kind: 'operation', namespace: 'acme', type: 'service', uuid: '5f1c', operation: 'scale' }],
    ['/api/app/v1/service/5f1c/start', { kind: 'operation', namespace: null, type: 'service', uuid: '5f1c', operation: 'start' }],
    ['/api/app/v1/acme/stack/9a2e/redeploy/', { kind: 'operation', namespace: 'acme', type: 'stack', uuid: '9a2e', operation: 'redeploy' }],
    ['/api/audit/v1/events/', { kind: 'events' }],
    ['/api/audit/v1/acme/events', { kind: 'events' }],
  ])('%s', (path, route) => {
    expect(parseRestPath(path)).toEqual(route);
  });

  it('collapses runs of slashes: the Go SDK asks for //api/ when the host ends with /', () => {
    expect(parseRestPath('//api/app/v1//acme/stack//')).toEqual({ kind: 'list', namespace: 'acme', type: 'stack' });
  });

  it('reads a namespace named like a type as a namespace when a type follows it', () => {
    expect(parseRestPath('/api/app/v1/stack/service/')).toEqual({ kind: 'list', namespace: 'stack', type: 'service' });
    expect(parseRestPath('/api/app/v1/stack/service/5f1c/')).toEqual({ kind: 'detail', namespace: 'stack', type: 'service', uuid: '5f1c' });
  });

  it('percent-decodes segments', () => {
    expect(parseRestPath('/api/app/v1/ac%6De/stack/')).toEqual({ kind: 'list', namespace: 'acme', type: 'stack' });
  });

  const ROOT_HINT =
    " The path holds /api/ after a prefix: the REST host (DOCKERCLOUD_REST_HOST) should be the server's root, http://HOST:PORT/, not an API URL; clients add /api/... themselves.";
  it.each([
    ['/healthz', 'Not found.'],
    ['/api/', 'Not found: unknown API "" (expected app, infra or audit).'],
    ['/api/repo/v1/acme/stack/', 'Not found: unknown API "repo" (expected app, infra or audit).'],
    ['/api/app/v2/acme/stack/', 'Not found: unknown version "v2" of the app API (expected v1).'],
    ['/api/infra/v1/acme/stack/', 'Not found: stack is served under /api/app/v1/, not /api/infra/v1/.'],
    ['/api/app/v1/acme/', 'Not found: no resource at /api/app/v1/acme/.'],
    ['/api/app/v1/acme/stack/9a2e/scale/', 'Not found: a stack has no operation "scale" (stack operations: start, stop, redeploy; terminate with DELETE of its resource_uri).'],
    ['/api/app/v1/acme/container/0b0e/terminate/', 'Not found: a container has no operation "terminate" (container operations: start, stop, redeploy; terminate with DELETE of its resource_uri).'],
    ['/api/infra/v1/acme/node/77b0/deploy/', 'Not found: a node has no operation "deploy".'],
    ['/api/app/v1/acme/service/5f1c/logs/x/', 'Not found: no resource at /api/app/v1/acme/service/5f1c/logs/x/.'],
    ['/api/app/v1/%E0%A4%A/stack/', 'Not found: the path is not validly percent-encoded.'],
    // The printed REST URL given as the REST host: the client appended its own path to it.
    ['/api/app/v1/stack/api/app/v1/stack/', `Not found: no resource at /api/app/v1/stack/api/app/v1/stack/.${ROOT_HINT}`],
    ['/api/api/app/v1/stack/', `Not found: unknown API "api" (expected app, infra or audit).${ROOT_HINT}`],
  ])('%s is not found: %s', (path, detail) => {
    expect(parseRestPath(path)).toEqual({ kind: 'not-found', detail });
  });
});
