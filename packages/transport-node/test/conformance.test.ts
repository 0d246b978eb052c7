import { runTransportConformance } from '../../../tests/transport-conformance/suite.js';
import { createEventStream, createLiveTree } from '../src/index.js';

// The shared suite against a real server on loopback. `env: {}` keeps a developer's own
// DOCKERCLOUD_* variables out of it: the suite passes every option explicitly.
runTransportConformance('node (ws)', () => ({
  createEventStream: (options) => createEventStream({ ...options, env: {} }),
  createLiveTree: (options) => createLiveTree({ ...options, env: {} }),
  canPing: true,
  seesHandshakeStatus: true,
}));
