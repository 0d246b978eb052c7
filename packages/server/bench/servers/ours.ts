// Our server: createEventsServer over a scripted CloudSource that the harness drives.
import type { DockerCloudEvent } from '@events/core';
import { createEventsServer } from '../../src/create-events-server.js';
import { createLogger } from '../../src/logger.js';
import type { CloudSource, SourceEvent } from '../../src/source.js';
import { NAMESPACE, USER } from '../events.js';
import { runServerChild } from './server-child.js';

/** A source with no model: it emits exactly what the bench hands it, when it hands it. */
function createScriptedSource(): CloudSource & { emit(event: DockerCloudEvent): void } {
  let emit: ((event: SourceEvent) => void) | undefined;
  return {
    name: 'bench-script',
    async start(emitter) {
      emit = emitter;
    },
    async stop() {
      emit = undefined;
    },
    list: () => [],
    get: () => undefined,
    operate: () => ({ ok: false, status: 405, detail: 'The bench source has no objects.' }),
    health: () => ({ ok: true, detail: 'scripted' }),
    emit(event) {
      emit?.({ namespace: NAMESPACE, event });
    },
  };
}

await runServerChild(async () => {
  const source = createScriptedSource();
  const server = await createEventsServer({ source, users: [USER], logger: createLogger({ level: 'warn' }) });
  return {
    port: server.port,
    subscribers: () => server.connections,
    publish: (event) => source.emit(event),
    close: () => server.close(),
  };
});
