import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, onTestFinished } from 'vitest';
import { spawnDeno } from '../../../tests/support/run-deno.js';

const here = dirname(fileURLToPath(import.meta.url));

it('core runs under Deno with no Node globals', async () => {
  const { exited, output, stop } = spawnDeno(['run', '--quiet', '--no-prompt', '--unstable-sloppy-imports', '--allow-read', '--allow-env', join(here, 'deno-smoke.ts')], { cwd: join(here, '..') });
  onTestFinished(stop);
  expect(await exited, output().stderr).toBe(0);
  const result = JSON.parse(output().stdout.trim().split('\n').pop() ?? '{}');
  expect(result).toEqual({ runtime: 'deno', uriRoundTrip: true, frameKind: 'event' });
}, 60_000);
