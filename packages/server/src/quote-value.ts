// How error messages repeat what a client sent (a query value, a path segment, a header): enough
// of it to recognise, never all of it. A `detail` that echoes a 6 KB `type=` value back in full
// is no clearer than one that shows its first hundred characters, and it turns every error into
// a way to make the server copy input into logs, close frames and answers.

/** Most characters of a client's value an error message repeats; a longer one is cut and ends in `…`. */
export const MAX_ECHO_LENGTH = 100;

const ELLIPSIS = '…';

/**
 * `value` cut to at most `max` UTF-16 units, the last of them `…` when it was cut. A surrogate pair
 * is never split, so the result is always well-formed text.
 *
 * @example
 * truncateValue('x'.repeat(6000)) // 'xxx…x…' (99 × 'x', then '…')
 * truncateValue('container')      // 'container'
 */
export function truncateValue(value: string, max: number = MAX_ECHO_LENGTH): string {
  if (value.length <= max) return value;
  let end = Math.max(0, max - ELLIPSIS.length);
  const last = value.charCodeAt(end - 1);
  // A high surrogate whose low half would be cut off goes too.
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${value.slice(0, end)}${ELLIPSIS}`;
}

/**
 * A client's value as an error message shows it: a string JSON-quoted (escapes and all, so a
 * quote or a newline in it cannot break the message), cut by {@link truncateValue} first so the
 * quotes stay balanced; any other value as JSON, cut the same way.
 *
 * @example
 * `Unknown API ${quoteValue(segment)}.` // 'Unknown API "foo".'
 * quoteValue('a"b')                      // '"a\\"b"'
 * quoteValue({ n: 3 })                   // '{"n":3}'
 */
export function quoteValue(value: unknown, max: number = MAX_ECHO_LENGTH): string {
  if (typeof value === 'string') return JSON.stringify(truncateValue(value, max));
  return truncateValue(JSON.stringify(value) ?? String(value), max);
}

/** A JSON string literal: what `JSON.stringify` makes of a string (other libraries quote values so too). */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;

/**
 * `message` with every JSON-quoted value in it that is longer than `max` characters cut as
 * {@link quoteValue} cuts it. For messages made elsewhere (core's filter, position and credential
 * parsers quote the values they refuse with `JSON.stringify`), at the point where they become a
 * `detail`: the rest of the message stays as it was.
 *
 * @example
 * shortenQuotedValues(`unknown event type "${'v'.repeat(5000)}" in filter "type"; expected one of stack, ...`)
 * // 'unknown event type "vvv…v…" in filter "type"; expected one of stack, ...'
 */
export function shortenQuotedValues(message: string, max: number = MAX_ECHO_LENGTH): string {
  return message.replace(QUOTED, (literal) => {
    if (literal.length <= max + 2) return literal;
    let value: unknown;
    try {
      value = JSON.parse(literal);
    } catch {
      // Not one JSON.stringify made (a lone backslash escape): cut the text itself, quotes kept.
      return `"${truncateValue(literal.slice(1, -1), max)}"`;
    }
    return quoteValue(value as string, max);
  });
}
