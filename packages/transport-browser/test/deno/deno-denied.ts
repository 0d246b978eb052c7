// Runs under Deno without --allow-net (see deno.test.ts): the WebSocket constructor refuses, and
// the stream must stop and say so instead of retrying forever. Prints one JSON line and exits.
// Arguments: streamHost.
import { createEventStream } from '../../src/index.js';

const [streamHost = ''] = Deno.args;
const stream = createEventStream({ streamHost, credentials: { username: 'alice', apikey: 'alice-key-123' } });
try {
  await stream.runForever();
  console.log(JSON.stringify({ ended: 'without an error' }));
} catch (error) {
  const { code, message } = error as { code?: string; message?: string };
  console.log(JSON.stringify({ code, message, phase: stream.getSnapshot().phase }));
}
