import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  const capture = (level?: 'debug' | 'info' | 'warn') => {
    const lines: string[] = [];
    const logger = createLogger({ ...(level ? { level } : {}), write: (line) => lines.push(line), now: () => 0 });
    return { logger, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  };

  it('writes one JSON object per line with time, level, msg and fields', () => {
    const { logger, json } = capture();
    logger.child({ remote: '127.0.0.1' }).info('stream opened', { namespace: 'acme' });
    expect(json()).toEqual([{ time: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'stream opened', remote: '127.0.0.1', namespace: 'acme' }]);
  });

  it('drops lines below its level', () => {
    const { logger, json } = capture('warn');
    logger.debug('a');
    logger.info('b');
    logger.warn('c');
    logger.error('d');
    expect(json().map((l) => l.msg)).toEqual(['c', 'd']);
  });

  it('never writes API keys, Authorization values or query strings', () => {
    const { logger, lines } = capture('debug');
    logger.info('request', {
      headers: { authorization: 'Basic YWxpY2U6c2VjcmV0LWtleQ==', host: 'x' },
      apikey: 'secret-key',
      token: 'secret-token',
      user: { name: 'alice', apiKey: 'secret-2' },
      url: '/api/audit/v1/events?user=alice&token=secret-3',
      error: new Error('boom'),
    });
    const text = lines.join('\n');
    for (const secret of ['YWxpY2U6c2VjcmV0LWtleQ', 'secret-key', 'secret-token', 'secret-2', 'secret-3']) expect(text).not.toContain(secret);
    expect(JSON.parse(lines[0]!)).toMatchObject({ headers: { authorization: '[redacted]', host: 'x' }, url: '/api/audit/v1/events?…', error: { message: 'boom' } });
  });
});
