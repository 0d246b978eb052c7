import { describe, expect, it } from 'vitest';
import { basic } from '../test/helpers/stream-client.js';
import { authFailureHeaders, BROWSER_NOT_ASKED, createAuthenticator } from './authenticate-request.js';
import { createLoginThrottle } from './login-throttle.js';
import { createMetrics } from './metrics.js';
import { createUserDirectory } from './user-directory.js';

const directory = createUserDirectory([{ username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] }]);
const req = (authorization?: string, remoteAddress = '10.0.0.1') => ({ headers: authorization === undefined ? {} : { authorization }, socket: { remoteAddress } });
const url = (query = '') => new URL(`http://localhost/api/audit/v1/events/${query}`);

describe('createAuthenticator', () => {
  const make = () => {
    const metrics = createMetrics();
    const throttle = createLoginThrottle({ maxFailures: 2 });
    return { metrics, authenticator: createAuthenticator({ directory, throttle, metrics }) };
  };

  it('takes the header first, then ?auth=, then ?user=&token=', () => {
    const { authenticator } = make();
    expect(authenticator.authenticate(req(basic('alice', 'alice-key-123')), url('?user=x&token=y'))).toMatchObject({ ok: true, user: { username: 'alice' } });
    expect(authenticator.authenticate(req(), url(`?auth=${encodeURIComponent(basic('alice', 'alice-key-123'))}&user=x&token=y`))).toMatchObject({ ok: true });
    expect(authenticator.authenticate(req(), url('?user=alice&token=alice-key-123'))).toMatchObject({ ok: true });
    // A header that is present decides, even when the query would have been right.
    expect(authenticator.authenticate(req('Bearer x', '10.0.0.9'), url('?user=alice&token=alice-key-123'))).toMatchObject({ ok: false, status: 401, reason: 'malformed' });
  });

  it('refuses with 401 and a reason, counts failures, then throttles the address with 429', () => {
    const { authenticator, metrics } = make();
    const missing = authenticator.authenticate(req(undefined, '10.0.0.2'), url());
    expect(missing).toEqual({ ok: false, status: 401, reason: 'missing', detail: 'Authentication credentials were not provided.', challenge: true });
    if (!missing.ok) expect(authFailureHeaders(missing)).toEqual({ 'WWW-Authenticate': 'Basic realm="events"' });
    expect(authenticator.authenticate(req(basic('alice', 'bad-key-1'), '10.0.0.2'), url())).toMatchObject({ status: 401, reason: 'invalid' });
    expect(authenticator.authenticate(req('Basic ***', '10.0.0.2'), url())).toMatchObject({ status: 401, reason: 'malformed' });
    const throttled = authenticator.authenticate(req(basic('alice', 'alice-key-123'), '10.0.0.2'), url());
    expect(throttled).toMatchObject({ ok: false, status: 429, detail: 'Too many login attempts.', reason: 'throttled' });
    if (!throttled.ok) expect(Number(authFailureHeaders(throttled)['Retry-After'])).toBeGreaterThan(0);
    expect(metrics.snapshot().authFailures).toEqual({ missing: 1, invalid: 1, malformed: 1, throttled: 1 });
    // Missing credentials are not a guess: they do not count towards the lockout.
    for (let i = 0; i < 5; i++) authenticator.authenticate(req(undefined, '10.0.0.3'), url());
    expect(authenticator.authenticate(req(basic('alice', 'alice-key-123'), '10.0.0.3'), url())).toMatchObject({ ok: true });
  });

  it("does not challenge a browser's navigation (it would remember the key and send it with other sites' requests), and says how to log in instead", () => {
    const { authenticator } = make();
    const navigation = (authorization?: string) => ({ headers: { 'sec-fetch-mode': 'navigate', ...(authorization === undefined ? {} : { authorization }) }, socket: { remoteAddress: '10.0.0.8' } });
    for (const [request, detail] of [
      [navigation(), 'Authentication credentials were not provided.'],
      [navigation(basic('alice', 'bad-key-1')), 'Invalid username/API key.'],
    ] as const) {
      const outcome = authenticator.authenticate(request, url());
      expect(outcome).toEqual({ ok: false, status: 401, reason: expect.any(String) as string, detail: `${detail} ${BROWSER_NOT_ASKED}`, challenge: false });
      if (!outcome.ok) expect(authFailureHeaders(outcome)).toEqual({});
    }
    expect(BROWSER_NOT_ASKED).toContain('?user=USERNAME&token=APIKEY');
    // The way it says works from the address bar, and every other kind of request is challenged.
    expect(authenticator.authenticate(navigation(), url('?user=alice&token=alice-key-123'))).toMatchObject({ ok: true });
    for (const mode of ['cors', 'websocket', 'no-cors']) {
      const outcome = authenticator.authenticate({ headers: { 'sec-fetch-mode': mode }, socket: { remoteAddress: '10.0.0.9' } }, url());
      if (outcome.ok) throw new Error('accepted');
      expect(authFailureHeaders(outcome)).toEqual({ 'WWW-Authenticate': 'Basic realm="events"' });
    }
  });

  it('keeps counting failures across successful logins from the same address', () => {
    // One valid key must not buy unlimited guesses at other users' keys.
    const throttle = createLoginThrottle({ maxFailures: 3 });
    const users = createUserDirectory([
      { username: 'alice', apikey: 'alice-key-123', namespaces: [] },
      { username: 'bob', apikey: 'bob-key-456', namespaces: [] },
    ]);
    const authenticator = createAuthenticator({ directory: users, throttle });
    const from = '10.0.0.5';
    expect(authenticator.authenticate(req(basic('alice', 'guess-1'), from), url())).toMatchObject({ status: 401 });
    expect(authenticator.authenticate(req(basic('alice', 'guess-2'), from), url())).toMatchObject({ status: 401 });
    expect(authenticator.authenticate(req(basic('bob', 'bob-key-456'), from), url())).toMatchObject({ ok: true });
    expect(authenticator.authenticate(req(basic('alice', 'guess-3'), from), url())).toMatchObject({ status: 401 });
    expect(authenticator.authenticate(req(basic('alice', 'alice-key-123'), from), url())).toMatchObject({ status: 429, reason: 'throttled' });
    expect(authenticator.authenticate(req(basic('bob', 'bob-key-456'), from), url())).toMatchObject({ status: 429 });
  });

  it('reads an empty Authorization header as no header: the query decides, and none is "not provided", not a guess', () => {
    // A client that adds its header whatever it holds sends "Authorization: " when it has no
    // credentials (Go's Header.Add does); Django REST framework, Docker Cloud's API, read that as absent.
    const { authenticator, metrics } = make();
    for (const blank of ['', '   ', '\t']) {
      expect(authenticator.authenticate(req(blank, '10.0.0.6'), url('?user=alice&token=alice-key-123'))).toMatchObject({ ok: true });
      expect(authenticator.authenticate(req(blank, '10.0.0.7'), url())).toEqual({ ok: false, status: 401, reason: 'missing', detail: 'Authentication credentials were not provided.', challenge: true });
    }
    expect(metrics.snapshot().authFailures).toMatchObject({ missing: 3, malformed: 0 });
    // Not counted towards the lockout (maxFailures is 2 here).
    expect(authenticator.authenticate(req(basic('alice', 'alice-key-123'), '10.0.0.7'), url())).toMatchObject({ ok: true });
  });

  it('never echoes the key in a detail', () => {
    const { authenticator } = make();
    const outcome = authenticator.authenticate(req(basic('alice', 'sekrit-value'), '10.0.0.4'), url());
    expect(JSON.stringify(outcome)).not.toContain('sekrit');
  });
});
