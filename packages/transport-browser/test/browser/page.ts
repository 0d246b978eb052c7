// The test page, bundled by esbuild for Chromium (see browser.test.ts). It streams (or, with
// ?mode=tree, keeps a live tree) from the server named in its query string and records what it
// sees on `window`, which the test reads with page.evaluate.
import { OBJECT_TYPES } from '@events/core';
import { createEventStream, createLiveTree } from '../../src/index.js';

/** What the page records; the test reads it through page.evaluate. */
export interface PageRecord {
  /** The uuid of every event delivered, in order. */
  readonly uuids: string[];
  /** Each connection's hello answer ('fresh' | 'resumed' | 'gone'), or 'plain'. */
  readonly connections: string[];
  /** Every phase change. */
  readonly phases: string[];
  readonly errors: string[];
  /** The latest close as the stream classified it. */
  lastClose: { readonly kind: string; readonly code: number } | null;
  /** Whether the browser had online/offline events to feed the stream. */
  readonly onlineEvents: boolean;
}

/** The live tree as the test compares it with the REST lists. */
export interface TreeRecord {
  readonly sync: string;
  /** `resource_uri state` of every object, sorted. */
  readonly objects: string[];
}

declare global {
  interface Window {
    __stream: PageRecord;
    __closeStream: () => Promise<void>;
    __tree: () => TreeRecord;
    __operate: (resourceUri: string, operation: 'redeploy') => Promise<string | null>;
    /** Tree mode: a new tree in place of the current one (close that one first). */
    __openTree: () => void;
  }
}

const query = new URLSearchParams(location.search);
const param = (name: string): string => {
  const value = query.get(name);
  if (value === null) throw new Error(`the page needs ?${name}=`);
  return value;
};
const common = {
  streamHost: param('stream'),
  namespace: param('namespace'),
  credentials: { username: param('user'), apikey: param('key') },
  extended: query.get('extended') !== 'false',
  // Short waits so the test stays quick. No idle timeout here: the transport's default (none on
  // plain connections; 2.5 heartbeats on extended ones) is under test.
  policy: { baseMs: 100, floorMs: 50, throttledFloorMs: 500, capMs: 1_000, connectTimeoutMs: 3_000 },
};

if (query.get('mode') === 'tree') {
  const open = () => createLiveTree({ ...common, restHost: param('rest'), publishIntervalMs: 20 });
  let tree = open();
  window.__tree = () => {
    const { sync, tree: snapshot } = tree.getSnapshot();
    return { sync: sync.status, objects: OBJECT_TYPES.flatMap((type) => snapshot.ofType(type).map((o) => `${o.resource_uri} ${o.state}`)).sort() };
  };
  window.__operate = async (resourceUri, operation) => (await tree.operate(resourceUri, operation)).actionUri;
  window.__closeStream = () => tree.close();
  window.__openTree = () => {
    tree = open();
  };
} else {
  const record: PageRecord = { uuids: [], connections: [], phases: [], errors: [], lastClose: null, onlineEvents: 'onoffline' in window };
  const stream = createEventStream(common);
  stream.onEvent((event) => record.uuids.push(event.uuid));
  stream.onConnected((info) => record.connections.push(info.resume ?? 'plain'));
  stream.subscribe(() => {
    const { phase, lastClose } = stream.getSnapshot();
    if (record.phases.at(-1) !== phase) record.phases.push(phase);
    record.lastClose = lastClose === null ? null : { kind: lastClose.kind, code: lastClose.code };
  });
  stream.onError((error) => record.errors.push(`${error.code}: ${error.message}`));
  window.__stream = record;
  window.__closeStream = () => stream.close();
}
