// Runs under Deno (see deno-smoke.test.ts): proves core needs no Node globals. It exercises the
// pure modules end to end and prints one JSON line the test checks.
import { formatEvent, formatResourceUri, parseFrame, parseResourceUri } from '../src/index.ts';

const uri = '/api/app/v1/acme/container/0b0e3538/';
const parsed = parseResourceUri(uri);
const frame = parseFrame(
  formatEvent({
    type: 'container',
    action: 'update',
    parents: ['/api/app/v1/acme/service/5f1c/'],
    resource_uri: uri,
    state: 'Running',
    uuid: 'e1',
    datetime: '2026-11-27T09:01:33Z',
  }),
);
console.log(
  JSON.stringify({
    runtime: 'Deno' in globalThis ? 'deno' : 'other',
    uriRoundTrip: parsed.ok && formatResourceUri(parsed.value) === uri,
    frameKind: frame.ok ? frame.value.kind : frame.error.message,
  }),
);
