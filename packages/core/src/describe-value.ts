// How error messages show a value that a JavaScript caller passed where something else belongs.

/** Object.prototype of any realm (an iframe's too), or no prototype: not an array, Map, URLSearchParams or class instance. */
export function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * A value as an error message shows it: `the string "x"`, `number 5`, `null`, `an array`, `a Map`.
 * For values a caller gave, never for secrets (an API key is named by type only; see typeName).
 *
 * @example
 * describeValue(18080) // 'number 18080'
 * describeValue(['a']) // 'an array'
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default: {
      if (Array.isArray(value)) return 'an array';
      if (isPlainObject(value)) return 'an object';
      const name: unknown = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === 'string' && name !== '' ? `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}` : 'an object';
    }
  }
}
