import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { restListUrl } from '@events/core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, hasChromium, launchChromium } from './helpers/chromium.js';
import { startEventsServer, type TestEventsServer, USER } from './helpers/events-server.js';

// The server never asks a browser for the key (no WWW-Authenticate on a navigation): once asked,
// Chromium remembers it and sends it unasked with other sites' requests to the server, so that
// any page could open the stream (WebSockets have no CORS) or forge operations. Here a real
// Chromium that would answer the challenge (httpCredentials) opens the REST API, then a page of
// another origin tries the stream without credentials of its own.

describe.skipIf(!hasChromium)(hasChromium ? 'a browser is never asked for the key' : `SKIPPED: no Chromium at ${CHROMIUM_PATH}`, () => {
  let events: TestEventsServer;
  let browser: Browser;
  let otherSite: Server;
  let otherSiteUrl: string;

  beforeAll(async () => {
    [events, browser] = await Promise.all([startEventsServer(), launchChromium()]);
    // Another origin (another port): a page that tries the stream with what the browser remembers.
    otherSite = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>another site</title>');
    });
    await new Promise<void>((resolve) => otherSite.listen(0, '127.0.0.1', resolve));
    otherSiteUrl = `http://127.0.0.1:${(otherSite.address() as AddressInfo).port}/`;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([events?.close(), new Promise((resolve) => otherSite?.close(resolve))]);
  });

  it('answers a navigation without credentials 401 with no challenge, so the browser never learns the key, and another site cannot open the stream', async () => {
    const context = await browser.newContext({ httpCredentials: { username: USER.username, password: USER.apikey } });
    try {
      const page = await context.newPage();
      const response = await page.goto(restListUrl(`${events.url}/`, 'stack', { namespace: 'acme' }));
      expect(response?.status()).toBe(401);
      expect(await response?.headerValue('www-authenticate')).toBeNull();
      expect(JSON.parse((await response?.text()) ?? '{}')).toEqual({
        detail: expect.stringContaining('A browser is not asked for the key here') as string,
      });

      await page.goto(otherSiteUrl);
      const streamUrl = `${events.url.replace(/^http/, 'ws')}/api/audit/v1/acme/events/`;
      const outcome = await page.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const socket = new WebSocket(url);
            socket.onopen = () => {
              socket.close();
              resolve('opened');
            };
            socket.onclose = () => resolve('refused');
          }),
        streamUrl,
      );
      expect(outcome).toBe('refused');
    } finally {
      await context.close();
    }
  });

  it('still challenges what is not a navigation, as Docker Cloud clients expect (protocol.md §3)', async () => {
    const response = await fetch(`${events.url}/api/app/v1/acme/stack/`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="events"');
  });
});
