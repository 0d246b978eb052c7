#!/usr/bin/env node
// The `prepack` of every published package: refuses to pack (and so to publish) a package whose
// dist/ is missing or older than its sources, which would ship exports that point at nothing or
// at yesterday's code. `npm run release` at the root builds every package, then publishes.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const dir = process.cwd();
const newest = (root, keep) => {
  let best = { at: 0, path: '' };
  const walk = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (keep(entry.name)) {
        const at = statSync(full).mtimeMs;
        if (at > best.at) best = { at, path: full };
      }
    }
  };
  if (existsSync(root)) walk(root);
  return best;
};

const name = JSON.parse((await import('node:fs')).readFileSync(join(dir, 'package.json'), 'utf8')).name;
const built = newest(join(dir, 'dist'), (file) => file.endsWith('.js'));
if (built.at === 0) {
  console.error(`${name}: dist/ is missing; run \`npm run build\` first (or \`npm run release\` at the repository root)`);
  process.exit(1);
}
const source = newest(join(dir, 'src'), (file) => /\.tsx?$/.test(file) && !/\.test\.tsx?$/.test(file));
if (source.at > built.at) {
  console.error(`${name}: ${relative(dir, source.path)} is newer than dist/; run \`npm run build\` first (or \`npm run release\` at the repository root)`);
  process.exit(1);
}
