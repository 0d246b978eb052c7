import type * as z from 'zod/mini';

// Messages for the zod/mini schemas of core. zod/mini carries no messages of its own ("Invalid
// input" for everything) unless the app installs a locale with `z.config`, a global switch a
// library must not flip; so every schema names its messages through `withMessages`, worded as
// zod's English locale words them (a test holds the two together), plus the value received where
// zod names only the values expected. Internal: not exported from the package.

/**
 * The English text of a zod issue, worded as zod's own English locale words it (plus, for a value
 * outside an enum or literal, the value received). zod/mini carries no
 * messages ("Invalid input" for everything) unless the app installs a locale with `z.config`, a
 * global switch a library must not flip; so every schema here names its messages through
 * {@link withMessages}, and reads the same whatever locale the app chose.
 *
 * @example
 * const name = z.string(withMessages); // 5 -> "Invalid input: expected string, received number"
 */
export function issueMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `Invalid input: expected ${issue.expected}, received ${typeName(issue.input)}`;
    case 'invalid_value':
      // zod stops at the expected values; the value received says which mistake it was ("updat",
      // "Update", a missing field), as invalid_type's message does.
      return issue.values.length === 1
        ? `Invalid input: expected ${literalText(issue.values[0])}, received ${receivedText(issue.input)}`
        : `Invalid option: expected one of ${issue.values.map(literalText).join('|')}, received ${receivedText(issue.input)}`;
    case 'too_small':
    case 'too_big': {
      const big = issue.code === 'too_big';
      const bound = big ? issue.maximum : issue.minimum;
      const relation = issue.exact ? 'exactly ' : `${big ? '<' : '>'}${issue.inclusive ? '=' : ''}`;
      const unit = SIZE_UNITS[issue.origin];
      const verb = unit ? `have ${relation}${bound} ${unit}` : `be ${relation}${bound}`;
      return `${big ? 'Too big' : 'Too small'}: expected ${issue.origin} to ${verb}`;
    }
    case 'invalid_format':
      if (issue.format === 'starts_with') return `Invalid string: must start with "${String(issue.prefix)}"`;
      if (issue.format === 'regex') return `Invalid string: must match pattern ${String(issue.pattern)}`;
      return `Invalid ${issue.format}`;
    default:
      return 'Invalid input';
  }
}

/** Pass as a schema's params: `z.string(withMessages)`. Checks without their own text use it too. */
export const withMessages = { error: issueMessage } as const;

const SIZE_UNITS: Readonly<Record<string, string>> = { string: 'characters', array: 'items' };

/**
 * As zod names a received value's type: `NaN`, `Infinity`, `array`, `null`, a class name. For
 * messages about bad input from JavaScript callers, which no type checker stopped.
 *
 * @example
 * typeName(18080) // 'number'
 */
export function typeName(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : String(value);
  if (typeof value !== 'object') return typeof value;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const ctor = Object.getPrototypeOf(value) !== Object.prototype && 'constructor' in value ? value.constructor : undefined;
  return typeof ctor === 'function' && ctor.name ? ctor.name : 'object';
}

/** A received value in a message: a string quoted and cut at 40 characters, anything else by its type. */
function receivedText(value: unknown): string {
  return typeof value === 'string' ? quoted(value) : typeName(value);
}

/**
 * A string from the wire, quoted for a message and cut at 40 characters: a server's 10 MB state
 * must not make a 10 MB message.
 *
 * @example
 * quoted('Runing') // '"Runing"'
 */
export function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function literalText(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  return typeof value === 'bigint' ? `${value}n` : String(value);
}

