import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The Ink versions whose internals this app knows (its tests compare with Ink's own behaviour). */
const TESTED_INK = /^6\.8\.\d+$/;

/**
 * A module of Ink's build, as Ink itself loads it (the same module instance), or null when the
 * installed Ink is not a version whose internals the app was written against and tested with, or
 * has no such file. Ink's package exports only its entry point, so the file is found beside it.
 *
 * @example
 * const output = await importInkInternal<{ default: unknown }>('output.js');
 */
export async function importInkInternal<T>(file: string): Promise<T | null> {
  const entry = await testedInkEntry();
  if (entry === null) return null;
  try {
    return (await import(pathToFileURL(join(dirname(entry), file)).href)) as T;
  } catch {
    return null;
  }
}

/**
 * A module of one of Ink's own dependencies, the copy Ink loads (found from Ink's directory), or
 * null as importInkInternal.
 *
 * @example
 * const tokenizer = await importInkDependency<Tokenizer>('@alcalzone/ansi-tokenize', 'build/index.js');
 */
export async function importInkDependency<T>(name: string, file: string): Promise<T | null> {
  const entry = await testedInkEntry();
  if (entry === null) return null;
  try {
    const manifest = createRequire(entry).resolve(`${name}/package.json`);
    return (await import(pathToFileURL(join(dirname(manifest), file)).href)) as T;
  } catch {
    return null;
  }
}

/** The path of Ink's entry point when the installed Ink is a tested version. */
async function testedInkEntry(): Promise<string | null> {
  try {
    const entry = createRequire(import.meta.url).resolve('ink');
    const { version } = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof version === 'string' && TESTED_INK.test(version) ? entry : null;
  } catch {
    return null;
  }
}
