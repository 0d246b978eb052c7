import { readFileSync } from 'node:fs';
import { EventsError } from '@events/core';

/**
 * A file's bytes; undefined when it does not exist. Any other failure (a folder, no permission) is
 * EventsError `invalid-config` naming the file: the engine's TLS files and docker's config files
 * are the user's configuration.
 *
 * @example
 * readIfThere('/home/me/.docker/ca.pem') // Buffer, or undefined
 */
export function readIfThere(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EventsError('invalid-config', `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
