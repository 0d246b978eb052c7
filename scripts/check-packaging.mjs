#!/usr/bin/env node
// Proves every published package installs and imports on its own: builds, checks that each
// declares what its dist/ imports, packs each package with
// `npm pack`, installs the tarballs into a fresh project outside the workspace and imports them
// there. A missing `files` entry, a wrong `exports` path or an undeclared dependency fails here,
// and so does a README link to a file the tarball does not hold (broken on npm).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readmeLinkProblems } from './check-packaging-readme-links.mjs';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args, cwd, extra = {}) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...extra });

// What each package must export by name: a stale or empty entry point fails the check.
const expectedExports = {
  '@events/core': ['parseFrame', 'parseResourceUri', 'parseFilter', 'createFilterIndex', 'createHierarchyStore', 'step'],
  '@events/server': ['createEventsServer', 'createSimulatedCloud'],
  '@events/transport-node': ['createEventStream'],
  '@events/transport-browser': ['createEventStream'],
  '@events/tui': [],
};
const expectedBins = { '@events/server': 'events-server', '@events/tui': 'events' };

const packages = ['packages', 'apps'].flatMap((dir) =>
  readdirSync(join(root, dir)).map((name) => join(root, dir, name)),
).filter((dir) => {
  try {
    return !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private;
  } catch {
    return false;
  }
});

console.log('packaging: building every package');
run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], root, { stdio: 'inherit' });

let failures = 0;

// Every bare import in a package's dist/ must be one of its declared dependencies: the consumer
// project below has all five packages, so a sibling used but not declared would go unseen there.
// A declaration file that imports a module typed by DefinitelyTyped needs its @types package too,
// or a consumer's types silently become `any`.
const importsOf = (file) =>
  [
    ...readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '') // doc comments name packages in examples
      .replace(/^\s*\/\/.*$/gm, '')
      .matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)]
    .map((match) => match[1])
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:') && !builtinModules.includes(specifier.split('/')[0]))
    .map((specifier) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]));
const filesUnder = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
for (const dir of packages) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const declared = new Set(['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((key) => Object.keys(pkg[key] ?? {})));
  const missing = new Set();
  for (const file of filesUnder(join(dir, 'dist'))) {
    const types = file.endsWith('.d.ts');
    if (!types && !file.endsWith('.js')) continue;
    for (const name of importsOf(file)) {
      if (name === pkg.name) continue;
      if (!declared.has(name)) missing.add(name);
      const typesPackage = `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
      if (types && existsSync(join(root, 'node_modules', typesPackage)) && !declared.has(typesPackage)) missing.add(typesPackage);
    }
  }
  if (missing.size > 0) {
    failures++;
    console.error(`packaging: FAIL ${pkg.name} imports ${[...missing].join(', ')} without declaring ${missing.size > 1 ? 'them' : 'it'} in dependencies`);
  } else {
    console.log(`packaging: ok   ${pkg.name} declares every package its dist/ imports`);
  }
}

const work = mkdtempSync(join(tmpdir(), 'events-packaging-'));
try {
  const tarballs = [];
  for (const dir of packages) {
    const out = run('npm', ['pack', '--json', '--pack-destination', work], dir);
    const [info] = JSON.parse(out);
    tarballs.push(join(work, info.filename));
    console.log(`packaging: packed ${info.name}@${info.version} (${info.entryCount} files)`);
    // MIT asks for the notice to travel with the code; npm shows the README on the package page.
    const shipped = new Set(info.files.map((file) => file.path));
    for (const required of ['LICENSE', 'README.md']) {
      if (!shipped.has(required)) {
        failures++;
        console.error(`packaging: FAIL ${info.name} ships no ${required}`);
      }
    }
    // npm shows the README without the repository: a relative link must point into the tarball.
    const readme = join(dir, 'README.md');
    if (existsSync(readme)) {
      const problems = readmeLinkProblems(readFileSync(readme, 'utf8'), shipped);
      for (const { line, link, reason } of problems) {
        failures++;
        console.error(
          `packaging: FAIL ${info.name}: ${relative(root, readme)}:${line} links to "${link}", which ${reason}`,
        );
      }
      if (problems.length === 0) console.log(`packaging: ok   ${info.name} README links only to what the tarball holds`);
    }
  }
  const project = join(work, 'consumer');
  run('mkdir', ['-p', project], work);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], project, { stdio: 'inherit' });
  for (const dir of packages) {
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const names = expectedExports[name] ?? [];
    const script = `const m = await import(${JSON.stringify(name)}); const missing = ${JSON.stringify(names)}.filter((n) => !(n in m)); if (missing.length) { console.error('missing exports: ' + missing.join(', ')); process.exit(1); } console.log(Object.keys(m).length + ' exports');`;
    try {
      const out = run(process.execPath, ['--input-type=module', '-e', script], project).trim();
      console.log(`packaging: ok   ${name} imports in a clean project (${out})`);
    } catch {
      failures++;
      console.error(`packaging: FAIL ${name} does not import cleanly in a fresh project`);
    }
    const bin = expectedBins[name];
    if (bin) {
      try {
        run(join(project, 'node_modules', '.bin', bin), ['--help'], project);
        console.log(`packaging: ok   ${name} bin \`${bin} --help\` runs`);
      } catch {
        failures++;
        console.error(`packaging: FAIL ${name} bin \`${bin} --help\` does not run`);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (failures > 0) {
  console.error(`packaging: ${failures} failure(s)`);
  process.exit(1);
}
console.log(`packaging: ${packages.length} packages install and import on their own`);
