import type { Readable, Writable } from 'node:stream';
import { ExitCode } from './cli-options.js';
import { apikeyProblem, generateApiKey, hashApiKey } from './user-directory.js';

// `events-server hash-key`: the SHA-256 a users file's "apikeySha256" takes, made without the key
// ever being on a command line (every user of the machine reads those in `ps`) or in the file.

/** Most bytes read from a pipe: an API key is one short line; `hash-key < /dev/urandom` must end. */
export const MAX_PIPED_BYTES = 64 * 1024;

const PIPED = 'the key on standard input';
const TYPED = 'the key typed';

export type KeyResult = { readonly ok: true; readonly key: string } | { readonly ok: false; readonly message: string };

/**
 * `key`, by the users file's rules for "apikey", or why it is refused, worded as the
 * users file words it with `source` for the field's path. Never repeats the key.
 */
function checkKey(key: string, source: typeof PIPED | typeof TYPED): KeyResult {
  const problem = apikeyProblem(key);
  if (problem === undefined) return { ok: true, key };
  // Nothing on a pipe is most often no pipe at all: a script that runs hash-key without input.
  const hint = key === '' ? (source === PIPED ? ', got nothing: pipe it in (events-server hash-key < FILE), or run hash-key in a terminal to type it' : ', got nothing') : '';
  return { ok: false, message: `${source} ${problem}${hint}` };
}

/**
 * The key in what was piped to `hash-key`: UTF-8 text of one line, whose line ending (`\n` or
 * `\r\n`, as an editor or `echo` leaves it) is dropped; any other control character, a second
 * line included, is refused where it is.
 *
 * @example
 * keyFromPipedInput(Buffer.from('a-long-secret-key\n')) // { ok: true, key: 'a-long-secret-key' }
 * keyFromPipedInput(Buffer.from('short\n'))             // { ok: false, message: 'the key on standard input must be at least 8 characters' }
 */
export function keyFromPipedInput(bytes: Uint8Array): KeyResult {
  let text: string;
  try {
    // fatal: bytes that are no UTF-8 would be hashed as U+FFFD, a key no client sends. A leading
    // byte order mark (an editor's) is dropped, as the decoder does by default.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, message: `${PIPED} must be UTF-8 text, got ${bytes.length} bytes that are not (not shown: it is a secret)` };
  }
  return checkKey(text.replace(/\r?\n$/, ''), PIPED);
}

/** All of `input`, or undefined past `limit` bytes (then it stops reading). */
async function readAll(input: Readable, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    size += bytes.length;
    if (size > limit) {
      input.destroy();
      return undefined;
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/** A terminal's input: what `process.stdin` is when `isTTY`. */
interface TerminalInput extends Readable {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

type Terminal = TerminalInput & { setRawMode(mode: boolean): unknown };

/**
 * Lines typed at prompts without echoing them: raw mode, so the terminal shows nothing; Enter
 * ends a line, Backspace and Ctrl-U edit it, Ctrl-D on an empty line ends it empty. undefined for
 * Ctrl-C (raw mode turns it into a character, not a signal). What was typed ahead, past an Enter,
 * is kept for the next line, as a terminal in its usual mode would keep it.
 */
function createHiddenLineReader(input: Terminal, output: Writable) {
  let pending = '';
  input.setEncoding('utf8');
  input.setRawMode(true);
  return {
    /** The next line, or undefined for Ctrl-C. */
    read(prompt: string): Promise<string | undefined> {
      output.write(prompt);
      return new Promise((resolve) => {
        let typed = '';
        const finish = (line: string | undefined, rest: string) => {
          input.off('data', onData);
          input.pause();
          pending = rest;
          output.write('\n');
          resolve(line);
        };
        const onData = (chunk: string) => {
          const chars = [...chunk];
          for (let i = 0; i < chars.length; i++) {
            const char = chars[i] as string;
            const rest = () => chars.slice(i + 1).join('');
            if (char === '\r' || char === '\n') {
              // A pasted CRLF is one Enter, not two.
              if (char === '\r' && chars[i + 1] === '\n') i++;
              return finish(typed, rest());
            }
            if (char === '\u0003') return finish(undefined, rest());
            if (char === '\u0004') {
              if (typed === '') return finish('', rest());
            } else if (char === '\u007f' || char === '\b') {
              typed = [...typed].slice(0, -1).join('');
            } else if (char === '\u0015') {
              typed = '';
            } else {
              typed += char;
            }
          }
        };
        input.on('data', onData);
        if (pending !== '') onData(pending);
        if (input.listeners('data').includes(onData)) input.resume();
      });
    },
    close() {
      input.setRawMode(false);
      input.pause();
    },
  };
}

export interface HashKeyIo {
  readonly stdin: TerminalInput;
  readonly stdout: Writable;
  /** Errors (`events-server: …`) and, at a terminal, the prompts. */
  readonly stderr: Writable;
}

/** The key from a terminal (typed twice, hidden) or a pipe, checked. */
async function readKey(stdin: TerminalInput, stderr: Writable): Promise<KeyResult> {
  if (stdin.isTTY !== true || typeof stdin.setRawMode !== 'function') {
    const bytes = await readAll(stdin, MAX_PIPED_BYTES);
    if (bytes === undefined) return { ok: false, message: `${PIPED} must be one line, got more than ${MAX_PIPED_BYTES} bytes` };
    return keyFromPipedInput(bytes);
  }
  const lines = createHiddenLineReader(stdin as Terminal, stderr);
  try {
    const first = await lines.read('API key (not shown): ');
    if (first === undefined) return { ok: false, message: 'cancelled: no key read' };
    const checked = checkKey(first, TYPED);
    if (!checked.ok) return checked;
    // Typed blind: a typo would make the hash of a key no one has.
    const again = await lines.read('The same key again: ');
    if (again === undefined) return { ok: false, message: 'cancelled: no key read' };
    if (again !== first) return { ok: false, message: 'the two keys typed differ: nothing printed' };
    return checked;
  } finally {
    lines.close();
  }
}

/**
 * Runs `events-server hash-key`: prints the SHA-256 of the key read from `stdin` in hex, or, with
 * `generate`, a new random key and its SHA-256 (`API key: …` and `apikeySha256: …`). Returns the
 * exit code; a refused key is said on `stderr`, never repeated.
 */
export async function runHashKeyCommand(options: { readonly generate: boolean }, io: HashKeyIo): Promise<number> {
  if (options.generate) {
    const key = generateApiKey();
    io.stdout.write(`API key:      ${key}\napikeySha256: ${hashApiKey(key)}\n`);
    return ExitCode.ok;
  }
  let result: KeyResult;
  try {
    result = await readKey(io.stdin, io.stderr);
  } catch (error) {
    result = { ok: false, message: `cannot read standard input: ${(error as Error).message}` };
  }
  if (!result.ok) {
    io.stderr.write(`events-server: ${result.message}\n`);
    return ExitCode.failure;
  }
  io.stdout.write(`${hashApiKey(result.key)}\n`);
  return ExitCode.ok;
}
