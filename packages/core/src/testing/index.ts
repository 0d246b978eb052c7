// The `@events/core/testing` entry: deterministic time and randomness for tests of anything
// built on the core (the reconnect machine, transports, UIs). Pure code, like the core.
export { createTestClock, type TestClock, type TestTimer } from './test-clock.js';
export { createSeededRandom } from './seeded-random.js';
export { createReconnectDriver, type ReconnectDriver, type ReconnectDriverOptions, type ReconnectStepRecord } from './reconnect-driver.js';
export { createFakeStreamPort, type FakeHttpCall, type FakeSocket, type FakeStreamPort, type FakeStreamPortOptions } from './fake-stream-port.js';
