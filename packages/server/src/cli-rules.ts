import { didYouMean } from '@events/core';
import { describeRule, keepsRule, MAX_RATE, type NumberRule, OPTION_RULES } from './check-options.js';

// How both command lines, `events-server` and the TUI's `events`, word a usage error, in one
// place so that they cannot drift apart: the same mistake reads the same in either tool.
// Imported by the TUI through `@events/server/cli-rules`, an entry that loads nothing but this
// and the option rules (not the server, ws or the Docker client).
//
// The rules:
// - a value is quoted as typed, JSON-quoted: a flag's value is always text (`got "-1"`, `got "fast"`);
// - a bad value: `--flag must be WHAT, got "TEXT"`, and a hint when one allowed value is close;
// - an unknown flag: `unknown option --flag`, with `(did you mean --other?)` when one is close;
// - a flag without its value, or with an empty one: `--flag needs a value`;
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
 * The message for a value the flag does not take.
 *
 * @example
 * badValue('format', 'json or plain', 'xml') // '--format must be json or plain, got "xml"'
 */
export function badValue(flag: string, expected: string, text: string, hint = ''): string {
  return `--${flag} must be ${expected}, got ${quoteArg(text)}${hint}`;
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
  const numeric = /^-?(\d{1,20}(\.\d{1,20})?|\.\d{1,20})$/.test(text);
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
 * `options` are the long names the tool takes.
 */
export function describeParseError(error: unknown, options: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | null)?.code;
  // The first long flag named in the message (node writes "Option '-h, --help' ..."), else a short one.
  const flag = /'[^']*?(--[^' ,<]+)/.exec(message)?.[1] ?? /'(-[^' ,<]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
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
