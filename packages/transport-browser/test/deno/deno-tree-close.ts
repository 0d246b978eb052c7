// Runs under Deno (see deno.test.ts): a live tree whose REST host never answers is closed while it
// lists. Deno keeps a process alive for a fetch in flight, so the process exits only if close()
// aborted the tree's requests. Prints one JSON line. Arguments: streamHost restHost.
import { createLiveTree } from '../../src/index.js';

const [streamHost = '', restHost = ''] = Deno.args;
const tree = createLiveTree({ streamHost, restHost, namespace: 'acme', credentials: { username: 'alice', apikey: 'alice-key-123' } });
await new Promise<void>((resolve) => {
  const unsubscribe = tree.subscribe(() => {
    if (tree.getSnapshot().connection.phase !== 'live') return;
    unsubscribe();
    resolve();
  });
});
const { sync } = tree.getSnapshot();
await tree.close();
console.log(JSON.stringify({ sync: sync.status, closed: tree.stream.getSnapshot().closed }));
