import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, onTestFinished } from 'vitest';
import { spawnDeno } from '../../../tests/support/run-deno.js';

const here = dirname(fileURLToPath(import.meta.url));

it('core runs under Deno with no Node globals', async () => {
  const { child, exited, stop } = spawnDeno(['run', '--quiet', '--no-prompt', '--unstable-sloppy-imports', '--allow-read', '--allow-env', join(here, 'deno-smoke.ts')], { cwd: join(here, '..') });
  onTestFinished(stop);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  expect(await exited, stderr).toBe(0);
  const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
  expect(result).toEqual({ runtime: 'deno', uriRoundTrip: true, frameKind: 'event' });
}, 60_000);
