import { describeValue, didYouMeanHint, EventsError } from '@events/core';
import { quoteValue } from './quote-value.js';

// The options of the server's JavaScript API (createEventsServer, createSimulatedCloud) are
// checked here, by the same rules as the `events-server` command line: a JavaScript caller has
// no type checker, and an option that is misspelt or of the wrong type must be a clear
// `invalid-config` at creation, not a TypeError deep inside, nor silently the default.

/** A number an option takes: the same rule on the command line (`--port`) and from code (`port`). */
export interface NumberRule {
  readonly min: number;
  /** `min` itself is refused too: a positive number. */
  readonly exclusiveMin?: boolean;
  readonly max: number;
  /** Whole numbers only. */
  readonly whole: boolean;
  /** What the number counts, for messages: `events per second`. */
  readonly unit?: string;
}

/** Most simulated events per second per namespace, short of running flat out. */
export const MAX_RATE = 100_000;
/** Most stacks per namespace in the simulated cloud. */
export const MAX_STACKS = 1000;

/** The rules of the options that both `events-server` and the JavaScript API take. */
export const OPTION_RULES = {
  port: { min: 0, max: 65535, whole: true },
  // Seeds are hashed, so any whole number seeds as well as another.
  seed: { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, whole: true },
  rate: { min: 0, max: MAX_RATE, whole: false, unit: 'events per second' },
  stacks: { min: 0, max: MAX_STACKS, whole: true },
  retentionCount: { min: 0, max: 10_000_000, whole: true, unit: 'events' },
  retentionAgeMs: { min: 0, max: Number.POSITIVE_INFINITY, whole: false, unit: 'milliseconds' },
} as const satisfies Record<string, NumberRule>;

/**
 * A rule in words, to follow "must be".
 *
 * @example
 * describeRule(OPTION_RULES.port) // 'a whole number from 0 to 65535'
 * describeRule({ min: 0, exclusiveMin: true, max: Infinity, whole: false, unit: 'milliseconds' }) // 'a number of milliseconds > 0'
 */
export function describeRule(rule: NumberRule): string {
  const kind = `${rule.whole ? 'a whole number' : 'a number'}${rule.unit === undefined ? '' : ` of ${rule.unit}`}`;
  const bounded = Number.isFinite(rule.max);
  if (rule.exclusiveMin) return `${kind} > ${rule.min}${bounded ? ` and ≤ ${rule.max}` : ''}`;
  return bounded ? `${kind} from ${rule.min} to ${rule.max}` : `${kind} ≥ ${rule.min}`;
}

/** Whether `value` keeps `rule` (a number, finite, whole if it must be, within the range). */
export function keepsRule(value: number, rule: NumberRule): boolean {
  if (!Number.isFinite(value) || (rule.whole && !Number.isInteger(value))) return false;
  return (rule.exclusiveMin ? value > rule.min : value >= rule.min) && value <= rule.max;
}

/** Why an option's value is wrong, to follow its name (`must be …, got …`); undefined when it is right. */
export type OptionCheck = (value: unknown) => string | undefined;

/** An option that is itself an object of options (`retention: { count, ageMs }`). */
export interface NestedOptions {
  readonly nested: OptionSchema;
  /** Names people type for these options' keys. */
  readonly nearMisses?: Readonly<Record<string, string>>;
}

/** Every option an entry point takes, each with its check. */
export type OptionSchema = Readonly<Record<string, OptionCheck | NestedOptions>>;

export interface CheckOptionsContext {
  /** Who takes the options, for the unknown-key message: `createEventsServer`. */
  readonly what: string;
  /** Before every message: `simulated cloud: `. Default none. */
  readonly prefix?: string;
  /** What to say when `options` is not an object at all. */
  readonly expected: string;
  /** Names people type for the options' keys, for "did you mean": `{ hostname: 'host' }`. */
  readonly nearMisses?: Readonly<Record<string, string>>;
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks a JavaScript caller's options against `schema`: an object, no key the schema does not
 * name (a misspelt one is refused with "did you mean"), every value by its check. An option set
 * to `undefined` counts as left out.
 *
 * @example
 * checkOptions({ prot: 9000 }, { port: optionalNumber(OPTION_RULES.port) }, { what: 'createEventsServer', expected: '{ port }' });
 * // throws EventsError invalid-config: 'unknown option "prot" (did you mean "port"?); createEventsServer takes port'
 * @throws EventsError `invalid-config` naming the option and what it takes
 */
export function checkOptions(options: unknown, schema: OptionSchema, context: CheckOptionsContext, path = ''): void {
  const prefix = context.prefix ?? '';
  const fail = (message: string): never => {
    throw new EventsError('invalid-config', `${prefix}${message}`);
  };
  if (!isObject(options)) fail(`${path === '' ? 'options' : path.slice(0, -1)} must be ${context.expected}, got ${describeValue(options)}`);
  const given = options as Readonly<Record<string, unknown>>;
  const known = Object.keys(schema);
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(schema, key)) {
      const where = path === '' ? '' : `${path.slice(0, -1)}: `;
      fail(`${where}unknown option ${quoteValue(key)}${didYouMeanHint(key, known, context.nearMisses)}; ${context.what} takes ${known.join(', ')}`);
    }
  }
  for (const key of known) {
    const check = schema[key] as OptionCheck | NestedOptions;
    const value = given[key];
    if (typeof check === 'function') {
      const problem = check(value);
      if (problem !== undefined) fail(`${path}${key} ${problem}`);
    } else if (value !== undefined) {
      const names = Object.keys(check.nested).join(', ');
      checkOptions(value, check.nested, { what: `${path}${key}`, prefix, expected: `an object with ${names}`, ...(check.nearMisses && { nearMisses: check.nearMisses }) }, `${path}${key}.`);
    }
  }
}

/**
 * A number option, left out or keeping `rule`; `alternative` is one more value it takes
 * (`Infinity` for a rate).
 *
 * @example
 * optionalNumber(OPTION_RULES.port)(70_000) // 'must be a whole number from 0 to 65535, got number 70000'
 */
export function optionalNumber(rule: NumberRule, alternative?: { readonly value: number; readonly words: string }): OptionCheck {
  return (value) => {
    if (value === undefined || (typeof value === 'number' && (keepsRule(value, rule) || (alternative !== undefined && Object.is(value, alternative.value))))) return undefined;
    return `must be ${describeRule(rule)}${alternative === undefined ? '' : ` or ${alternative.words}`}, got ${describeValue(value)}`;
  };
}

/** An option that must be given: `expected` says what it takes. */
export function required(check: OptionCheck, expected: string): OptionCheck {
  return (value) => (value === undefined ? `is required: ${expected}` : check(value));
}

/** A value of a `typeof` type, or left out. */
export function optionalOfType(type: 'string' | 'boolean' | 'function', expected: string): OptionCheck {
  return (value) => (value === undefined || typeof value === type ? undefined : `must be ${expected}, got ${describeValue(value)}`);
}

/**
 * An object with the given methods (an interface a caller implements: a source, a logger), or
 * left out; `expected` names the interface and how to get one.
 */
export function optionalWithMethods(methods: readonly string[], expected: string): OptionCheck {
  return (value) => {
    if (value === undefined) return undefined;
    if (!isObject(value) && typeof value !== 'function') return `must be ${expected}, got ${describeValue(value)}`;
    const missing = methods.filter((method) => typeof (value as Record<string, unknown>)[method] !== 'function');
    if (missing.length === 0) return undefined;
    return `must be ${expected}, got ${describeValue(value)} without ${missing.map((method) => `${method}()`).join(', ')}`;
  };
}
