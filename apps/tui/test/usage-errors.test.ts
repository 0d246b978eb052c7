import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type CliResult, runSourceCli } from '../../../tests/support/run-source-cli.js';

// The two command lines, `events` and `events-server`, run as a user runs them (from source),
// given the same mistake: each must say it in the same words (after its own name), exit 2 and
// point at its --help. A message reworded in one tool only fails here. A few mistakes of each
// kind (each run costs a second of CPU); src/cli-options.test.ts holds the TUI to the shared
// rules of @events/server/cli-rules for the rest, in process.

const TUI = fileURLToPath(new URL('..', import.meta.url));
const SERVER = dirname(createRequire(import.meta.url).resolve('@events/server/package.json'));

type Result = CliResult;

const runCli = (cwd: string, script: string, args: readonly string[]) => runSourceCli(cwd, script, args);

const events = (args: readonly string[]) => runCli(TUI, 'src/cli.ts', args);
const eventsServer = (args: readonly string[]) => runCli(SERVER, 'src/bin.ts', args);

/** The usage error a tool printed, without its name and its pointer to --help. */
function usageError(result: Result, tool: string): string {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  const match = new RegExp(`^${tool}: (.*)\\nRun "${tool} --help" for the options\\.\\n$`, 's').exec(result.stderr);
  expect(match, result.stderr).not.toBeNull();
  return (match as RegExpExecArray)[1] as string;
}

// [what the mistake is, `events` arguments, `events-server` arguments, the message both print]
const SAME_MISTAKE: readonly (readonly [string, readonly string[], readonly string[], string])[] = [
  ['a misspelt option', ['tail', '--demo', '--rat', '5'], ['--rat', '5'], 'unknown option --rat (did you mean --rate?)'],
  ['a negative rate, quoted as typed', ['tail', '--demo', '--rate', '-1'], ['--rate', '-1'], '--rate must be a number of events per second from 0 to 100000 or "max", got "-1"'],
  ['a seed that is no whole number', ['tail', '--demo', '--seed', '1.5'], ['--seed', '1.5'], `--seed must be a whole number from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, got "1.5"`],
  ['a flag without its value', ['tail', '--demo', '--seed'], ['--seed'], '--seed needs a value'],
  ['a value for a flag that takes none', ['tail', '--help=yes'], ['--help=yes'], '--help takes no value'],
  // node's parser reads `-h=yes` as the flags -h, -=, -y, -e, -s: not "unknown option -=".
  ['a value for a short flag that takes none', ['tail', '-h=yes'], ['-h=yes'], '-h takes no value'],
];

describe('events and events-server word the same mistake the same way', () => {
  it.each(SAME_MISTAKE)('%s', async (_what, tuiArgs, serverArgs, message) => {
    const [tui, server] = await Promise.all([events(tuiArgs), eventsServer(serverArgs)]);
    expect(usageError(tui, 'events')).toBe(message);
    expect(usageError(server, 'events-server')).toBe(message);
  });

  it('an unexpected argument is quoted as typed in both', async () => {
    const [tui, server] = await Promise.all([events(['tail', 'now']), eventsServer(['now'])]);
    expect(usageError(tui, 'events')).toBe('unexpected argument "now"');
    expect(usageError(server, 'events-server')).toBe('unexpected argument "now": events-server takes only options');
  });

  it('an address: what the flag takes, the text as typed with its credentials masked, and why it is none', async () => {
    const [tui, server] = await Promise.all([events(['tail', '--host', 'x']), eventsServer(['--source', 'docker', '--docker-host', 'me:s3cret@x'])]);
    expect(usageError(tui, 'events')).toBe('--host must be a stream host (ws://, wss://, http:// or https://), got "x": expected scheme://host[:port][/path] without user, query or fragment');
    expect(usageError(server, 'events-server')).toBe('--docker-host must be a Docker engine address (unix://, tcp://, https://, ssh:// or npipe://), got "***@x": it has no scheme');
  });

  it('a value that is not one of a list: the list, the text as typed, and the one meant', async () => {
    const [tui, server] = await Promise.all([events(['tail', '--demo', '--format', 'jsno']), eventsServer(['--log-level', 'warning'])]);
    expect(usageError(tui, 'events')).toBe('--format must be json or plain, got "jsno" (did you mean "json"?)');
    expect(usageError(server, 'events-server')).toBe('--log-level must be debug, info, warn, error or silent, got "warning" (did you mean "warn"?)');
  });
});

describe('the help texts say what the messages say', () => {
  it('both take --rate N|max', async () => {
    const [tui, server] = await Promise.all([events(['--help']), eventsServer(['--help'])]);
    expect(tui.stdout).toMatch(/^ {2}--rate N\|max /m);
    expect(server.stdout).toMatch(/^ {2}--rate N\|max /m);
  });
});
