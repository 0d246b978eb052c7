import { WebSocket } from 'ws';
import { runTransportConformance } from '../../../tests/transport-conformance/suite.js';
import { createEventStream, createLiveTree } from '../src/index.js';

// The shared suite, with `ws` injected as the standard WebSocket: what Node 20 users do, and the
// standard API (onopen/onmessage/onclose/onerror, close) that browsers, Deno and Node 22 have.
// Like a browser it sends no Authorization header (core uses ?auth=) and sees no pongs.
runTransportConformance('transport-browser (ws as the standard WebSocket)', () => ({
  createEventStream: (options) => createEventStream({ ...options, WebSocket }),
  createLiveTree: (options) => createLiveTree({ ...options, WebSocket }),
  canPing: false,
}));
