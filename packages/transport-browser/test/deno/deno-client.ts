// Runs under Deno (see deno.test.ts): the browser transport on Deno's own WebSocket against a
// real events-server. Prints one JSON line when connected, then one with the uuids of the first
// N events, and exits. Arguments: streamHost namespace username apikey count.
import { createEventStream } from '../../src/index.js';

const [streamHost = '', namespace = '', username = '', apikey = '', count = '0'] = Deno.args;
const wanted = Number(count);
const stream = createEventStream({ streamHost, namespace, credentials: { username, apikey } });
stream.onConnected((info) => console.log(JSON.stringify({ connected: info.resume ?? 'plain', runtime: 'Deno' in globalThis ? 'deno' : 'other' })));
stream.onError((error) => console.log(JSON.stringify({ error: `${error.code}: ${error.message}` })));

const uuids: string[] = [];
for await (const event of stream) {
  uuids.push(event.uuid);
  if (uuids.length >= wanted) break; // leaving the loop closes the stream
}
console.log(JSON.stringify({ uuids }));
