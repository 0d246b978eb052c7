import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  badAddress,
  badValue,
  cannotCombine,
  describeParseError,
  joinNegativeNumbers,
  MAX_RATE,
  maskCredentials,
  mustBe,
  needsFlag,
  needsValue,
  numberFlag,
  OPTION_RULES,
  oneOfFlag,
  quoteArg,
  rateFlag,
  repeatedFlag,
  takesOneValue,
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
    return describeParseError(error, Object.keys(OPTIONS), args);
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

  it('takes a decimal of any length, as the JavaScript API takes its number (found by the property test in test/cli-options.test.ts)', () => {
    // More than 20 digits after the point, or before it, were refused as "not in range".
    expect(rateFlag('0.0000010000000000000002')).toBe(0.0000010000000000000002);
    expect(numberFlag('seed', `${'0'.repeat(30)}7`, OPTION_RULES.seed)).toBe(7);
    expect(thrown(() => numberFlag('port', `1${'0'.repeat(25)}`, OPTION_RULES.port))).toBe(`--port must be a whole number from 0 to 65535, got "1${'0'.repeat(25)}"`);
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
    // node reads -h=yes as a group of short flags, -h -= -y -e -s, and names "-=".
    expect(parseError(['-h=yes'])).toBe('-h takes no value');
    expect(parseError(['-hh=1'])).toBe('-h takes no value');
    expect(parseError(['--port', '1', '-h='])).toBe('-h takes no value');
    expect(parseError(['-=yes'])).toBe('unknown option -=yes');
    expect(parseError(['-x=1'])).toBe('unknown option -x');
  });

  it('words a bad value, and a refused address, by the name of what gave it', () => {
    expect(mustBe('DOCKER_HOST', 'an address', 'x')).toBe('DOCKER_HOST must be an address, got "x"');
    expect(mustBe('dockerHost', 'an address', 'x', ': why')).toBe('dockerHost must be an address, got "x": why');
    expect(badValue('format', 'json or plain', 'xml')).toBe(mustBe('--format', 'json or plain', 'xml'));
    expect(badAddress('--host', 'a stream host', 'ws://bob:s3cret@h:99999', 'port 99999 is out of range')).toBe('--host must be a stream host, got "ws://***@h:99999": port 99999 is out of range');
  });

  it('masks whatever comes before the last "@" of an address, and nothing in a path', () => {
    expect(maskCredentials('tcp://user:s3cret@host:1')).toBe('tcp://***@host:1');
    expect(maskCredentials('wss://t0ken@host')).toBe('wss://***@host');
    expect(maskCredentials('tcp://user:s3@c/r:et@host')).toBe('tcp://***@host');
    expect(maskCredentials('user:s3cret@host')).toBe('***@host');
    expect(maskCredentials('host:1')).toBe('host:1');
    expect(maskCredentials('unix:///run/a@b.sock')).toBe('unix:///run/a@b.sock');
    expect(maskCredentials('/run/a@b.sock')).toBe('/run/a@b.sock');
    const password = fc.stringMatching(/^[!-~]{1,12}$/).map((s) => `\u00a7${s}`);
    fc.assert(
      fc.property(fc.constantFrom('tcp://', 'ws://', 'ssh://', ''), fc.stringMatching(/^[a-z]{0,6}$/), password, fc.constantFrom('h', 'h:99999', 'bad host'), (scheme, user, secret, rest) => {
        expect(maskCredentials(`${scheme}${user}:${secret}@${rest}`)).not.toContain(secret);
      }),
    );
  });

  it('joins a negative number to a numeric flag, and nothing after --', () => {
    const numeric = new Set(['port', 'rate']);
    expect(joinNegativeNumbers(['--port', '-1', '--rate', '-.5'], numeric)).toEqual(['--port=-1', '--rate=-.5']);
    expect(joinNegativeNumbers(['--host', '-1'], numeric)).toEqual(['--host', '-1']);
    expect(joinNegativeNumbers(['--port', '-x'], numeric)).toEqual(['--port', '-x']);
    expect(joinNegativeNumbers(['--', '--port', '-1'], numeric)).toEqual(['--', '--port', '-1']);
  });

  it('words a flag that takes one value given more than once, an address masked and a secret only counted', () => {
    expect(takesOneValue('port', ['1', '2'])).toBe('--port takes one value, got "1" and "2"');
    expect(takesOneValue('format', ['json', 'plain', 'json'])).toBe('--format takes one value, got "json", "plain" and "json"');
    expect(takesOneValue('host', ['ws://bob:s3cret@a/', 'ws://b/'], 'masked')).toBe('--host takes one value, got "ws://***@a/" and "ws://b/"');
    expect(takesOneValue('apikey', ['s3cret', 'other'], 'secret')).toBe('--apikey takes one value, got 2 (not shown: it is a secret)');
  });

  it('finds the first flag that takes one value given more than once, from parseArgs tokens', () => {
    const options = { port: { type: 'string' }, key: { type: 'string' }, tag: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } as const;
    const repeated = (args: string[], shown = {}) => repeatedFlag(parseArgs({ args, options, strict: true, allowPositionals: true, tokens: true }).tokens, options, shown);
    expect(repeated(['--port', '1', '--port=2'])).toBe('--port takes one value, got "1" and "2"');
    expect(repeated(['--key', 'k1', '--port', '1', '--key', 'k2', '--port', '1'], { key: 'secret' })).toBe('--key takes one value, got 2 (not shown: it is a secret)');
    expect(repeated(['--tag', 'a', '--tag', 'b', '-h', '--help', '--port', '1'])).toBeUndefined();
    expect(repeated(['--port', '1', '--', '--port', '2'])).toBeUndefined();
  });
});
