export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type LogFields = Readonly<Record<string, unknown>>;

/**
 * A structured logger: one JSON object per line, `{"time","level","msg",...fields}`.
 *
 * @example
 * const logger = createLogger({ level: 'info' });
 * logger.info('client connected', { namespace: 'acme', remote: '127.0.0.1' });
 * // stderr: {"time":"2026-11-27T09:01:33.000Z","level":"info","msg":"client connected","namespace":"acme","remote":"127.0.0.1"}
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lines below this level are dropped. Default `info`. */
  readonly level?: LogLevel;
  /** Where lines go. Default: process.stderr (stdout stays free for program output). */
  readonly write?: (line: string) => void;
  readonly now?: () => number;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

// API keys are secrets (protocol.md §3): any field whose name looks like a credential is replaced,
// whatever the caller passed, so a careless `logger.info('x', { headers })` cannot leak one.
const SECRET_KEY = /(authorization|apikey|api_key|password|passwd|secret|token|^auth$|cookie)/i;

/** Replaces credential-looking fields (at any depth) and strips query strings from URL-ish fields. */
export function redactFields(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((item) => redactFields(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_KEY.test(key)) out[key] = '[redacted]';
    // `?auth=` and `?token=` carry credentials: never log a query string.
    else if ((key === 'url' || key === 'path') && typeof item === 'string') out[key] = stripQuery(item);
    else out[key] = redactFields(item, depth + 1);
  }
  return out;
}

/** `/api/audit/v1/events?user=a&token=k` → `/api/audit/v1/events?…` */
export function stripQuery(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? url : `${url.slice(0, at)}?…`;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const make = (base: LogFields): Logger => {
    const log = (level: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields) => {
      if (RANK[level] < min) return;
      const extra = redactFields({ ...base, ...fields }) as Record<string, unknown>;
      let line: string;
      try {
        line = JSON.stringify({ time: new Date(now()).toISOString(), level, msg, ...extra });
      } catch {
        line = JSON.stringify({ time: new Date(now()).toISOString(), level, msg, fields: '[unserializable]' });
      }
      write(line);
    };
    return {
      debug: (msg, fields) => log('debug', msg, fields),
      info: (msg, fields) => log('info', msg, fields),
      warn: (msg, fields) => log('warn', msg, fields),
      error: (msg, fields) => log('error', msg, fields),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make({});
}

/** A logger that writes nothing: the default in tests and embedded use. */
export const silentLogger: Logger = createLogger({ level: 'silent', write: () => {} });
