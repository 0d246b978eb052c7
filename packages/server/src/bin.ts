#!/usr/bin/env node
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { toEventsError } from '@events/core';
import { type CliOptions, ExitCode, formatConnectionInfo, HASH_KEY_HELP_TEXT, HELP_TEXT, parseCliOptions } from './cli-options.js';
import { createEventsServer, type EventsServer } from './create-events-server.js';
import { runHashKeyCommand } from './hash-key-command.js';
import { createLogger, type Logger } from './logger.js';
import { createDockerSource } from './docker/docker-source.js';
import { createSimulatedCloud } from './simulator/simulated-cloud.js';
import type { CloudSource } from './source.js';
import { createUserDirectory, generateDefaultUser, loadUsersFile, type UserConfig } from './user-directory.js';

/** After a shutdown signal, the longest we wait for clients to be closed before exiting anyway. */
const SHUTDOWN_GRACE_MS = 5_000;

const fail = (message: string, code: number = ExitCode.failure): number => {
  process.stderr.write(`events-server: ${message}\n`);
  return code;
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function run(options: CliOptions): Promise<number> {
  const logger = createLogger({ level: options.logLevel });

  // Signal handlers go in first: a SIGTERM that arrives while the server starts (or right after
  // the connection details are printed) must still end in a clean exit, not Node's default kill.
  let server: EventsServer | undefined;
  let settle: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => {
    settle = resolve;
  });
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C: the user does not want to wait for the clients.
      logger.warn('second signal: exiting at once', { signal });
      settle(ExitCode.failure);
      return;
    }
    stopping = true;
    logger.info('shutting down', { signal });
    if (server === undefined) {
      // Still starting: nothing has been served yet, so there is nothing to close gracefully.
      settle(ExitCode.ok);
      return;
    }
    const force = setTimeout(() => {
      logger.error('clients did not close in time: exiting anyway', { graceMs: SHUTDOWN_GRACE_MS });
      settle(ExitCode.failure);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close().then(
      () => settle(ExitCode.ok),
      (error: unknown) => {
        logger.error('shutdown failed', { error });
        settle(ExitCode.failure);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  start(options, logger).then(
    (result) => {
      if (typeof result === 'number') settle(result);
      else server = result;
    },
    (error: unknown) => settle(fail(`cannot start: ${toEventsError(error).message}`)),
  );
  return exited;
}

/** Loads the users, starts the simulator and the server, prints the connection details; a number is an exit code. */
async function start(options: CliOptions, logger: Logger): Promise<EventsServer | number> {
  let users: UserConfig[];
  const generated = options.usersFile === undefined ? generateDefaultUser() : undefined;
  try {
    users = generated !== undefined ? [generated] : await loadUsersFile(options.usersFile as string);
  } catch (error) {
    return fail(toEventsError(error).message);
  }
  if (options.usersFile !== undefined) warnOfPlainKeys(options.usersFile, users, logger);
  const seed = options.seed ?? randomInt(1, 1_000_000_000);
  const directory = createUserDirectory(users);
  let engine: string | undefined;
  let source: CloudSource;
  if (options.source === 'docker') {
    // One engine is one account: its objects appear in the first user's own namespace.
    const docker = createDockerSource({
      namespace: directory.users[0]?.namespaces[0] as string,
      ...(options.dockerHost !== undefined ? { dockerHost: options.dockerHost } : {}),
      logger,
    });
    engine = docker.endpoint;
    source = docker;
  } else {
    source = createSimulatedCloud({
      seed,
      rate: options.rate === 'max' ? Number.POSITIVE_INFINITY : options.rate,
      namespaces: directory.namespaces(),
      ...(options.stacks !== undefined ? { stacks: options.stacks } : {}),
    });
  }
  let server: EventsServer;
  try {
    server = await createEventsServer({
      source,
      users,
      host: options.host,
      port: options.port,
      logger,
      trustedProxies: options.trustedProxies,
      retention: {
        ...(options.retentionCount !== undefined ? { count: options.retentionCount } : {}),
        ...(options.retentionAgeMs !== undefined ? { ageMs: options.retentionAgeMs } : {}),
      },
    });
  } catch (error) {
    const message = toEventsError(error).message;
    const inUse = /already in use/.test(message) ? ' (choose another with --port, or --port 0 for any free port)' : '';
    return fail(`cannot start: ${message}${inUse}`);
  }

  process.stdout.write(
    formatConnectionInfo({
      host: options.host,
      port: server.port,
      source: options.source,
      seed,
      rate: options.rate,
      ...(engine !== undefined ? { engine } : {}),
      users: generated
        ? { kind: 'generated', username: generated.username, apikey: generated.apikey }
        : { kind: 'file', file: options.usersFile as string, usernames: users.map((user) => user.username) },
    }),
  );
  return server;
}

/**
 * One warning for a users file that holds API keys themselves (protocol.md §3: store only a hash
 * where keys are configured persistently). Still served, as before apikeySha256 existed; the
 * users are named, their keys never.
 */
function warnOfPlainKeys(file: string, users: readonly UserConfig[], logger: Logger): void {
  const plain = users.filter((user) => user.apikey !== undefined).map((user) => user.username);
  if (plain.length === 0) return;
  // No field name with "apikey" in it: the logger redacts those.
  logger.warn('users file holds API keys in plain text', {
    file,
    users: plain,
    fix: 'store each key as "apikeySha256", its SHA-256, instead of "apikey": `events-server hash-key < KEYFILE` prints it',
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const command = parseCliOptions(argv, process.env);
  switch (command.kind) {
    case 'help':
      process.stdout.write(HELP_TEXT);
      return ExitCode.ok;
    case 'version':
      process.stdout.write(`${version()}\n`);
      return ExitCode.ok;
    case 'hash-key-help':
      process.stdout.write(HASH_KEY_HELP_TEXT);
      return ExitCode.ok;
    case 'hash-key':
      return runHashKeyCommand(command, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    case 'usage-error': {
      const help = command.command === undefined ? 'events-server --help' : `events-server ${command.command} --help`;
      return fail(`${command.message}\nRun "${help}" for the options.`, ExitCode.usage);
    }
    case 'run':
      return run(command.options);
  }
}

// A pipe closed by the reader (`events-server | head`) must not crash the server.
process.stdout.on('error', () => {});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`events-server: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(ExitCode.failure);
  },
);
