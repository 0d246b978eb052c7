import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { EventsError } from '@events/core';
import { readIfThere } from './read-if-there.js';

// docker's CLI contexts (`docker context use remote`), read from its config folder as the CLI
// reads them, so that events-server talks to the engine `docker` itself talks to.

type Env = Readonly<Record<string, string | undefined>>;

/** A docker context other than `default`: where its engine is, and where its TLS files are. */
export interface DockerContext {
  readonly name: string;
  /** What chose it, for messages: `DOCKER_CONTEXT`, or the config file's `currentContext`. */
  readonly chosenBy: string;
  /** Its `Endpoints.docker.Host`, e.g. `ssh://me@box`, `unix:///…/docker.sock`. */
  readonly host: string;
  /** The folder of its `ca.pem`, `cert.pem` and `key.pem` (there when `docker context create` was given TLS files). */
  readonly tlsFolder: string;
}

/** docker's CLI's config folder: DOCKER_CONFIG, else ~/.docker. */
function dockerConfigFolder(env: Env, home: string): string {
  return env.DOCKER_CONFIG || join(home, '.docker');
}

/** A JSON file's content; undefined when the file does not exist. Unreadable or not JSON: EventsError `invalid-config`. */
function readJson(path: string): unknown {
  const bytes = readIfThere(path);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (error) {
    throw new EventsError('invalid-config', `${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * The current docker context, as docker's CLI picks it when neither `--host` nor DOCKER_HOST is
 * given: DOCKER_CONTEXT, else `currentContext` in config.json; undefined for the `default`
 * context (or none). Its files are where docker's CLI keeps them:
 * `contexts/meta/<sha256 of the name>/meta.json` and `contexts/tls/<sha256>/docker/`.
 * Throws EventsError `invalid-config` for a context that does not exist or names no engine.
 *
 * @example
 * currentDockerContext({ DOCKER_CONTEXT: 'remote' }, '/home/me')
 * // { name: 'remote', chosenBy: 'DOCKER_CONTEXT', host: 'ssh://me@box', tlsFolder: '/home/me/.docker/contexts/tls/…/docker' }
 */
export function currentDockerContext(env: Env, home: string): DockerContext | undefined {
  const folder = dockerConfigFolder(env, home);
  let name: string;
  let chosenBy: string;
  if ((env.DOCKER_CONTEXT ?? '') !== '') {
    name = env.DOCKER_CONTEXT as string;
    chosenBy = 'DOCKER_CONTEXT';
  } else {
    const configPath = join(folder, 'config.json');
    const current = (readJson(configPath) as { currentContext?: unknown } | undefined)?.currentContext;
    if (typeof current !== 'string' || current === '') return undefined;
    name = current;
    chosenBy = `currentContext in ${configPath}`;
  }
  if (name === 'default') return undefined;
  const id = createHash('sha256').update(name).digest('hex');
  const metaPath = join(folder, 'contexts', 'meta', id, 'meta.json');
  const meta = readJson(metaPath);
  if (meta === undefined) {
    throw new EventsError('invalid-config', `docker context ${JSON.stringify(name)} (${chosenBy}) does not exist: there is no ${metaPath} ("docker context ls" lists the contexts)`);
  }
  const host = (meta as { Endpoints?: { docker?: { Host?: unknown } } } | null)?.Endpoints?.docker?.Host;
  if (typeof host !== 'string' || host === '') {
    throw new EventsError('invalid-config', `docker context ${JSON.stringify(name)} (${chosenBy}) names no engine: ${metaPath} has no Endpoints.docker.Host`);
  }
  return { name, chosenBy, host, tlsFolder: join(folder, 'contexts', 'tls', id, 'docker') };
}
