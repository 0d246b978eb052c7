/**
 * Every failure the @events packages report, as one class with a `code` from a closed union.
 *
 * @example
 * try { ... } catch (err) { if (toEventsError(err).code === 'auth') process.exitCode = 2; }
 */
export type EventsErrorCode =
  | 'invalid-frame' // a frame that is not JSON or not a valid event/error frame
  | 'invalid-uri' // a resource URI that does not follow /api/{app|infra|audit}/v1/...
  | 'invalid-filter' // a filter query the server would answer with 400
  | 'invalid-config' // bad options, environment or credentials given to a client or server
  | 'auth' // bad or revoked credentials (401 / close 4001)
  | 'forbidden' // namespace not readable by this user (403 / close 4003)
  | 'throttled' // too many attempts or overloaded (429 / 1013 / 4008 / 4029)
  | 'connection' // the socket failed or closed unexpectedly
  | 'timeout' // connect or heartbeat timeout
  | 'protocol' // the peer broke the wire contract
  | 'http' // a REST call answered with an unexpected status
  | 'aborted' // stopped by the caller (close() or an AbortSignal)
  | 'internal';

export class EventsError extends Error {
  override readonly name = 'EventsError';
  readonly code: EventsErrorCode;

  constructor(code: EventsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Turns anything thrown into an EventsError, keeping the original as `cause`. */
export function toEventsError(err: unknown, fallback: EventsErrorCode = 'internal'): EventsError {
  if (err instanceof EventsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new EventsError(fallback, message, { cause: err });
}

/** A result that never throws: parse functions return this for untrusted input. */
export type Result<T, E = EventsError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
