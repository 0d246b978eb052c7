import type { TestProject } from 'vitest/node';
import { destroyTestEngine, startTestEngine, type TestEngine, testEngineUnavailable } from '../../../../tests/support/docker-engine.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The engine of test/docker/, or null when it could not run (see dockerSkipReason). */
    dockerEngine: TestEngine | null;
    dockerSkipReason: string;
  }
}

/**
 * Starts one Docker Engine of our own for every test in test/docker/ (tests/support/docker-engine.ts) and
 * tears it down after. When it cannot (no dockerd, not root, the start failed), the tests are
 * skipped with the reason in their names, and the rest of the suite runs as usual.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const skip = (reason: string) => {
    console.warn(`\n[docker tests] SKIPPED: ${reason}\n`);
    project.provide('dockerEngine', null);
    project.provide('dockerSkipReason', reason);
    return undefined;
  };
  const unavailable = testEngineUnavailable();
  if (unavailable) return skip(unavailable);
  let engine: TestEngine;
  try {
    engine = await startTestEngine();
  } catch (error) {
    return skip(`could not start a test dockerd: ${error instanceof Error ? error.message : String(error)}`);
  }
  project.provide('dockerEngine', engine);
  project.provide('dockerSkipReason', '');
  return async () => {
    await destroyTestEngine(engine);
  };
}
