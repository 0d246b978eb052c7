import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cannotCombine,
  describeParseError,
  joinNegativeNumbers,
  MAX_RATE,
  needsFlag,
  needsValue,
  numberFlag,
  OPTION_RULES,
  oneOfFlag,
  quoteArg,
  rateFlag,
  UsageError,
  unexpectedArgument,
  unknownOption,
} from './cli-rules.js';

const thrown = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
};

const OPTIONS = { port: { type: 'string' }, rate: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;
const parseError = (args: string[]): string => {
  try {
    parseArgs({ args, options: OPTIONS, strict: true });
  } catch (error) {
    return describeParseError(error, Object.keys(OPTIONS));
  }
  throw new Error('expected parseArgs to refuse');
};

describe('the usage-error rules both command lines share', () => {
  it('quotes a value as typed, JSON-quoted, numbers too: a flag takes text', () => {
    expect(quoteArg('-1')).toBe('"-1"');
    expect(quoteArg('')).toBe('""');
    expect(quoteArg('a "b"\n')).toBe('"a \\"b\\"\\n"');
    fc.assert(
      fc.property(fc.string(), (text) => {
        const message = thrown(() => numberFlag('port', `x${text}`, OPTION_RULES.port));
        expect(message).toBe(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(`x${text}`)}`);
      }),
    );
  });

  it('takes plain decimals only, and says the rule whichever way a value breaks it', () => {
    expect(numberFlag('port', '8080', OPTION_RULES.port)).toBe(8080);
    expect(Object.is(numberFlag('port', '-0', OPTION_RULES.port), 0)).toBe(true);
    expect(numberFlag('seed', '-5', OPTION_RULES.seed)).toBe(-5);
    for (const text of ['-1', '65536', '80.5', '1e3', '0x10', '+1', ' 80', 'http', '']) {
      expect(thrown(() => numberFlag('port', text, OPTION_RULES.port))).toBe(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(text)}`);
    }
  });

  it('takes a rate up to MAX_RATE, or max', () => {
    expect(rateFlag('max')).toBe('max');
    expect(rateFlag(String(MAX_RATE))).toBe(MAX_RATE);
    expect(rateFlag('0.5')).toBe(0.5);
    expect(thrown(() => rateFlag(String(MAX_RATE + 1)))).toBe(`--rate must be a number of events per second from 0 to ${MAX_RATE} or "max", got "${MAX_RATE + 1}"`);
    expect(thrown(() => rateFlag('MAX'))).toBe(`--rate must be a number of events per second from 0 to ${MAX_RATE} or "max", got "MAX"`);
  });

  it('lists the values a flag takes, and names the one meant when one is close', () => {
    expect(oneOfFlag('format', 'json', ['json', 'plain'])).toBe('json');
    expect(thrown(() => oneOfFlag('format', 'xml', ['json', 'plain']))).toBe('--format must be json or plain, got "xml"');
    expect(thrown(() => oneOfFlag('format', 'jsno', ['json', 'plain']))).toBe('--format must be json or plain, got "jsno" (did you mean "json"?)');
    expect(thrown(() => oneOfFlag('level', 'warning', ['debug', 'info', 'warn']))).toBe('--level must be debug, info or warn, got "warning" (did you mean "warn"?)');
    expect(thrown(() => oneOfFlag('only', 'b', ['a']))).toBe('--only must be a, got "b"');
  });

  it('words the relations between flags one way', () => {
    expect(needsValue('port')).toBe('--port needs a value');
    expect(needsFlag('seed', '--demo')).toBe('--seed needs --demo');
    expect(cannotCombine('host', '--demo')).toBe('--host cannot be used with --demo');
    expect(cannotCombine('seed', '--source docker', 'it is for the simulated cloud')).toBe('--seed cannot be used with --source docker: it is for the simulated cloud');
    expect(unexpectedArgument('serve')).toBe('unexpected argument "serve"');
    expect(unexpectedArgument("it's", 'events-server takes only options')).toBe('unexpected argument "it\'s": events-server takes only options');
    expect(unknownOption('--prot', ['port'])).toBe('unknown option --prot (did you mean --port?)');
    expect(unknownOption('-p', ['port'])).toBe('unknown option -p');
  });

  it("rewords node's parse errors in those words", () => {
    expect(parseError(['--prot', '1'])).toBe('unknown option --prot (did you mean --port?)');
    expect(parseError(['--colour'])).toBe('unknown option --colour');
    expect(parseError(['-x'])).toBe('unknown option -x');
    expect(parseError(['--port'])).toBe('--port needs a value');
    expect(parseError(['--port', '-x'])).toBe('--port needs a value (write --port=-VALUE for a value that starts with "-")');
    expect(parseError(['--help=yes'])).toBe('--help takes no value');
  });

  it('joins a negative number to a numeric flag, and nothing after --', () => {
    const numeric = new Set(['port', 'rate']);
    expect(joinNegativeNumbers(['--port', '-1', '--rate', '-.5'], numeric)).toEqual(['--port=-1', '--rate=-.5']);
    expect(joinNegativeNumbers(['--host', '-1'], numeric)).toEqual(['--host', '-1']);
    expect(joinNegativeNumbers(['--port', '-x'], numeric)).toEqual(['--port', '-x']);
    expect(joinNegativeNumbers(['--', '--port', '-1'], numeric)).toEqual(['--', '--port', '-1']);
  });
});
