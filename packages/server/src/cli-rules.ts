import { didYouMean, redactHost } from '@events/core';
import { describeRule, keepsRule, MAX_RATE, type NumberRule, OPTION_RULES } from './check-options.js';

// How both command lines, `events-server` and the TUI's `events`, word a usage error, in one
// place so that they cannot drift apart: the same mistake reads the same in either tool.
// Imported by the TUI through `@events/server/cli-rules`, an entry that loads nothing but this
// and the option rules (not the server, ws or the Docker client).
//
// The rules:
// - a value is quoted as typed, JSON-quoted: a flag's value is always text (`got "-1"`, `got "fast"`);
// - a bad value: `--flag must be WHAT, got "TEXT"`, and a hint when one allowed value is close;
//   an address, with why its parser refused it and any credentials in it masked:
//   `--flag must be WHAT, got "TEXT": WHY` (an environment variable's the same, by its name);
// - an unknown flag: `unknown option --flag`, with `(did you mean --other?)` when one is close;
// - a value for a flag that takes none: `--flag takes no value` (`-h takes no value` for `-h=yes`);
// - a flag without its value, or with an empty one: `--flag needs a value`;
// - a flag that takes one value, given more than once: `--flag takes one value, got "a" and "b"`
//   (an address masked, a secret only counted), never the last one silently taken;
// - a flag that needs another: `--flag needs --other`; two that exclude each other:
//   `--flag cannot be used with --other` (and why, where it is not plain);
// - a word that is no option: `unexpected argument "word"`.

export { describeRule, keepsRule, MAX_RATE, type NumberRule, OPTION_RULES };

/** A mistake on the command line: the message is printed as is, and the tool exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * A flag's value as a message repeats it: the text as typed, JSON-quoted, so that `-1`, an empty
 * value and one with spaces all show exactly.
 *
 * @example
 * quoteArg('-1')   // '"-1"'
 * quoteArg('a b')  // '"a b"'
 */
export function quoteArg(text: string): string {
  return JSON.stringify(text);
}

/** `a`, `a or b`, `a, b or c`. */
function alternatives(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/**
 * `NAME must be WHAT, got "TEXT"` for any input by its name: a flag (`--port`), an environment
 * variable (`DOCKER_HOST`) or an option of the JavaScript API (`dockerHost`); `detail` follows as
 * is (` (did you mean "json"?)`, `: why`).
 *
 * @example
 * mustBe('DOCKER_HOST', 'a Docker engine address', 'x', ': it has no scheme') // 'DOCKER_HOST must be a Docker engine address, got "x": it has no scheme'
 */
export function mustBe(name: string, expected: string, text: string, detail = ''): string {
  return `${name} must be ${expected}, got ${quoteArg(text)}${detail}`;
}

/**
 * The message for a value the flag does not take.
 *
 * @example
 * badValue('format', 'json or plain', 'xml') // '--format must be json or plain, got "xml"'
 */
export function badValue(flag: string, expected: string, text: string, hint = ''): string {
  return mustBe(`--${flag}`, expected, text, hint);
}

/**
 * An address as typed, for a message about it, credentials masked: core's `redactHost`, under the
 * name the command lines use.
 *
 * @example
 * maskCredentials('tcp://user:pw@host:99999') // 'tcp://***@host:99999'
 * maskCredentials('unix:///run/a@b.sock')      // 'unix:///run/a@b.sock'
 */
export const maskCredentials: (text: string) => string = redactHost;

/**
 * An address its parser refused: `NAME must be WHAT, got "TEXT": WHY`, the text with its
 * credentials masked ({@link maskCredentials}); `why` is the parser's reason, which must not
 * repeat them.
 *
 * @example
 * badAddress('--host', 'a stream host (ws://, wss://, http:// or https://)', 'ws://u:pw@h:99999', 'port 99999 is out of range')
 * // '--host must be a stream host (ws://, wss://, http:// or https://), got "ws://***@h:99999": port 99999 is out of range'
 */
export function badAddress(name: string, expected: string, text: string, why: string): string {
  return mustBe(name, expected, maskCredentials(text), `: ${why}`);
}

/**
 * A flag's number, by `rule` (the JavaScript API checks the same option by the same rule);
 * `alternative` follows the rule's words (` or "max"`, ` (0 = as fast as possible)`). Only plain
 * decimals are numbers: no exponent, hex, sign or spaces, which nobody means on a command line.
 *
 * @example
 * numberFlag('port', '8080', OPTION_RULES.port) // 8080
 * numberFlag('port', '-1', OPTION_RULES.port)   // throws UsageError '--port must be a whole number from 0 to 65535, got "-1"'
 * @throws UsageError naming the flag, the rule and the text
 */
export function numberFlag(flag: string, text: string, rule: NumberRule, alternative = ''): number {
  const numeric = /^-?(\d+(\.\d+)?|\.\d+)$/.test(text);
  // + 0: `-0` is 0.
  const value = numeric ? Number(text) + 0 : Number.NaN;
  if (!keepsRule(value, rule)) throw new UsageError(badValue(flag, `${describeRule(rule)}${alternative}`, text));
  return value;
}

/**
 * `--rate`, as both tools take it (the TUI's `--demo` runs the same simulated cloud): events per
 * second by {@link OPTION_RULES}.rate, or `max` to run the simulator flat out.
 *
 * @example
 * rateFlag('2.5') // 2.5
 * rateFlag('max') // 'max'
 * @throws UsageError naming the range and the text
 */
export function rateFlag(text: string): number | 'max' {
  return text === 'max' ? 'max' : numberFlag('rate', text, OPTION_RULES.rate, ' or "max"');
}

/**
 * One of `allowed`, or a usage error that lists them (and names the one meant, when one is close).
 *
 * @example
 * oneOfFlag('format', 'jsno', ['json', 'plain']) // throws '--format must be json or plain, got "jsno" (did you mean "json"?)'
 * @throws UsageError naming the flag, what it takes and the text
 */
export function oneOfFlag<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  const near = didYouMean(text, allowed);
  throw new UsageError(badValue(flag, alternatives(allowed), text, near === undefined ? '' : ` (did you mean ${quoteArg(near)}?)`));
}

/** `--flag needs a value`: left without one, or given an empty one (the help says what it takes). */
export function needsValue(flag: string): string {
  return `--${flag} needs a value`;
}

/** `"a", "b" and "c"`. */
function quotedList(texts: readonly string[]): string {
  const quoted = texts.map(quoteArg);
  return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
}

/** How a message shows what was typed for a flag: as is, with credentials masked, or not at all. */
export type ShownAs = 'as-typed' | 'masked' | 'secret';

/**
 * `--port takes one value, got "1" and "2"`: a flag that takes one value, given more than once.
 * `shown` is how the values appear: `masked` for an address ({@link maskCredentials}), `secret`
 * for a value that is never repeated (only counted).
 *
 * @example
 * takesOneValue('port', ['1', '2'])                        // '--port takes one value, got "1" and "2"'
 * takesOneValue('apikey', ['k1', 'k2'], 'secret')          // '--apikey takes one value, got 2 (not shown: it is a secret)'
 * takesOneValue('host', ['ws://u:pw@a/', 'ws://b/'], 'masked') // '--host takes one value, got "ws://***@a/" and "ws://b/"'
 */
export function takesOneValue(flag: string, texts: readonly string[], shown: ShownAs = 'as-typed'): string {
  if (shown === 'secret') return `--${flag} takes one value, got ${texts.length} (not shown: it is a secret)`;
  return `--${flag} takes one value, got ${quotedList(shown === 'masked' ? texts.map(maskCredentials) : texts)}`;
}

/** The parts of a node:util `parseArgs` token (`tokens: true`) that {@link repeatedFlag} reads. */
export interface ArgToken {
  readonly kind: string;
  readonly name?: string;
  readonly value?: string | undefined;
}

/**
 * The first flag that takes one value but was given more than once (`--port 1 --port 2`), worded
 * by {@link takesOneValue}; undefined when there is none. Which value was meant is a guess, and a
 * script that sets a flag twice has a mistake in it, so neither tool takes the last one. Flags
 * declared `multiple` in `options` are repeatable; a boolean flag given twice says the same thing
 * twice, which is harmless. `shown` says how a flag's values appear (default: as typed).
 *
 * @example
 * const { tokens } = parseArgs({ args: ['--port', '1', '--port=2'], options, tokens: true });
 * repeatedFlag(tokens, options) // '--port takes one value, got "1" and "2"'
 */
export function repeatedFlag(
  tokens: readonly ArgToken[],
  options: Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean }>>,
  shown: Readonly<Record<string, ShownAs>> = {},
): string | undefined {
  const seen = new Map<string, string[]>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined || !Object.hasOwn(options, token.name)) continue;
    const option = options[token.name];
    if (option === undefined || option.type !== 'string' || option.multiple === true) continue;
    const texts = seen.get(token.name) ?? [];
    texts.push(token.value ?? '');
    seen.set(token.name, texts);
  }
  for (const [name, texts] of seen) {
    if (texts.length > 1) return takesOneValue(name, texts, Object.hasOwn(shown, name) ? shown[name] : 'as-typed');
  }
  return undefined;
}

/** `--seed needs --demo`: a flag that means nothing without another. */
export function needsFlag(flag: string, other: string): string {
  return `--${flag} needs ${other}`;
}

/** `--host cannot be used with --demo`, and why where it is not plain. */
export function cannotCombine(flag: string, other: string, why?: string): string {
  return `--${flag} cannot be used with ${other}${why === undefined ? '' : `: ${why}`}`;
}

/** `unexpected argument "serve"`, and what the tool takes instead. */
export function unexpectedArgument(text: string, instead?: string): string {
  return `unexpected argument ${quoteArg(text)}${instead === undefined ? '' : `: ${instead}`}`;
}

/**
 * `unknown option --prot (did you mean --port?)`: `flag` as typed (`--prot`, `-x`), `options`
 * the long names the tool takes.
 */
export function unknownOption(flag: string, options: readonly string[]): string {
  const near = flag.startsWith('--') ? didYouMean(flag.slice(2), options) : undefined;
  return `unknown option ${flag}${near === undefined ? '' : ` (did you mean --${near}?)`}`;
}

/**
 * `--rate -1` as `--rate=-1`: node's parser takes `-1` for an option and answers with advice
 * about dashes; joined, the value reaches the flag's own check, which says what range it takes.
 * Only for `numericFlags` (flags whose value is a number or a duration), and never after `--`.
 */
export function joinNegativeNumbers(argv: readonly string[], numericFlags: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (next !== undefined && /^-\.?\d/.test(next) && arg.startsWith('--') && numericFlags.has(arg.slice(2))) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * node:util `parseArgs`'s errors, in the words above: node's own ("Unknown option '--prot'. To
 * specify a positional argument starting with a '-' ...") name the flag but not what was meant.
 * `options` are the long names the tool takes; `args` the arguments parseArgs was given.
 */
export function describeParseError(error: unknown, options: readonly string[], args: readonly string[] = []): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | null)?.code;
  // The first long flag named in the message (node writes "Option '-h, --help' ..."), else a short one.
  const flag = /'[^']*?(--[^' ,<]+)/.exec(message)?.[1] ?? /'(-[^' ,<]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      if (flag === '-=') return shortFlagWithValue(args) ?? unknownOption(flag, options);
      return flag === undefined ? message : unknownOption(flag, options);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (flag && /argument missing/.test(message)) return needsValue(flag.replace(/^-+/, ''));
      if (flag && /ambiguous/.test(message)) return `${needsValue(flag.replace(/^-+/, ''))} (write ${flag}=-VALUE for a value that starts with "-")`;
      if (flag && /does not take an argument/.test(message)) return `${flag} takes no value`;
      return message;
    default:
      return message;
  }
}

/**
 * `-h=yes`: node's parser reads a single-dash argument as a group of short flags (`-h -= -y -e -s`)
 * and names `-=` as the unknown one. It gets that far only when the letters before the `=` are
 * flags it knows that take no value (a short flag that takes one would have taken `=yes`; neither
 * tool has one), so the last of them was given a value: `-h takes no value`. An argument that starts with `-=` is named
 * whole. Undefined when no argument before `--` is such a group.
 */
function shortFlagWithValue(args: readonly string[]): string | undefined {
  const end = args.indexOf('--');
  const group = (end < 0 ? args : args.slice(0, end)).find((arg) => /^-[^-]/.test(arg) && arg.includes('='));
  if (group === undefined) return undefined;
  const letters = group.slice(1, group.indexOf('='));
  return letters === '' ? `unknown option ${group}` : `-${letters.at(-1)} takes no value`;
}
