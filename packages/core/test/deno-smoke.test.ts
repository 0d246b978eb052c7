import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// The npm package `deno` ships the runtime; its bin entry is the launcher.
function denoBinary(): string {
  const pkgPath = require.resolve('deno/package.json');
  const pkg = require(pkgPath) as { bin: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin.deno as string);
  return join(dirname(pkgPath), bin);
}

it('core runs under Deno with no Node globals', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [denoBinary(), 'run', '--quiet', '--no-prompt', '--unstable-sloppy-imports', '--allow-read', '--allow-env', join(here, 'deno-smoke.ts')],
    { cwd: join(here, '..'), env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: mkdtempSync(join(tmpdir(), 'deno-')) }, timeout: 60_000 },
  );
  const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
  expect(result).toEqual({ runtime: 'deno', uriRoundTrip: true, frameKind: 'event' });
});
