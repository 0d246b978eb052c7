import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { OBJECT_TYPES, restListUrl } from '@events/core';
import { createEventsServer, createSimulatedCloud, silentLogger } from '@events/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageRecord } from './browser/page.js';
import { CHROMIUM_PATH, hasChromium, launchChromium } from './helpers/chromium.js';
import { startEventsServer, type TestEventsServer, USER } from './helpers/events-server.js';
import { type PageServer, servePage } from './helpers/page-server.js';
import { createRefusingHost } from '../../../tests/support/refusing-host.js';
import { createTcpProxy, type TcpProxy } from '../../../tests/support/tcp-proxy.js';

// The transport in a real headless Chromium against the real server, through a TCP proxy that
// can cut or black-hole connections. Each step emits events on the server and checks the page
// received exactly the server's log so far: none lost, none repeated, in order.

const HEARTBEAT_MS = 300;
const ENTRY = fileURLToPath(new URL('./browser/page.ts', import.meta.url));

describe.skipIf(!hasChromium)(hasChromium ? 'in headless Chromium' : `SKIPPED: no Chromium at ${CHROMIUM_PATH}`, () => {
  let events: TestEventsServer;
  let proxy: TcpProxy;
  let pages: PageServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Uncaught exceptions in the page: none are expected. (Console errors are: Chromium logs every failed connection.) */
  const pageErrors: string[] = [];
  /** The URL of every WebSocket the page opened, as Chromium reports it. */
  const socketUrls: string[] = [];

  beforeAll(async () => {
    [events, pages, browser] = await Promise.all([startEventsServer({ heartbeatMs: HEARTBEAT_MS }), servePage(ENTRY), launchChromium()]);
    proxy = await createTcpProxy(events.server.port);
    context = await browser.newContext();
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('websocket', (socket) => socketUrls.push(socket.url()));
  }, 60_000);

  afterAll(async () => {
    await page?.evaluate(() => window.__closeStream()).catch(() => {});
    await browser?.close();
    await Promise.all([pages?.close(), proxy?.close(), events?.close()]);
  });

  const record = (from: Page = page) => from.evaluate(() => JSON.parse(JSON.stringify(window.__stream)) as PageRecord);
  const pageUrl = (stream: string, extra: Record<string, string> = {}) =>
    `${pages.url}?${new URLSearchParams({ stream, namespace: 'acme', user: USER.username, key: USER.apikey, ...extra })}`;
  const logged = () => events.source.emitted.map(({ event }) => event.uuid);
  const emit = (count: number) => {
    for (let i = 0; i < count; i++) events.source.emit('acme');
  };
  /** Waits until the page has as many events as the server emitted, then checks they are the same. */
  const expectAllDelivered = async () => {
    await expect.poll(async () => (await record()).uuids.length, { timeout: 10_000 }).toBe(logged().length);
    expect((await record()).uuids).toEqual(logged());
  };
  const connectionCount = async () => (await record()).connections.length;

  it('connects with ?auth= and the resumable protocol, and receives events in order', async () => {
    await page.goto(pageUrl(`ws://127.0.0.1:${proxy.port}/`));
    await page.waitForFunction(() => window.__stream !== undefined || document.readyState === 'complete');
    expect(pageErrors).toEqual([]);
    await expect.poll(async () => (await record()).connections, { timeout: 10_000 }).toEqual(['fresh']);
    // The whole Basic header in the query: a browser cannot send it as a header.
    expect(socketUrls).toEqual([`ws://127.0.0.1:${proxy.port}/api/audit/v1/acme/events/?auth=Basic+YWxpY2U6YWxpY2Uta2V5LTEyMw%3D%3D`]);
    expect((await record()).onlineEvents).toBe(true);
    emit(5);
    await expectAllDelivered();
  });

  it('resumes after the connection is cut, with the events sent meanwhile', async () => {
    proxy.dropAll();
    emit(3);
    await expect.poll(connectionCount, { timeout: 10_000 }).toBe(2);
    emit(2);
    await expectAllDelivered();
    expect((await record()).connections).toEqual(['fresh', 'resumed']);
    expect(socketUrls.at(-1)).toMatch(/&resume=[\w-]+%3A5$/); // after the 5 events of the first test
  });

  it('notices a silent dead connection from the missing position markers, and resumes', async () => {
    proxy.blackhole();
    emit(3);
    // No FIN, no close frame: only the idle timeout (2.5 heartbeats without a frame) can tell.
    await expect.poll(connectionCount, { timeout: 10_000 }).toBe(3);
    await expectAllDelivered();
    const { connections, phases } = await record();
    expect(connections.at(-1)).toBe('resumed');
    expect(phases).toContain('reconnecting');
  });

  it('survives a server restart: a new epoch, so it resyncs and goes on', async () => {
    await events.restart();
    await expect.poll(connectionCount, { timeout: 10_000 }).toBe(4);
    emit(4);
    await expectAllDelivered();
    expect((await record()).connections.at(-1)).toBe('gone');
  });

  it('goes offline with the browser and resumes when it is back', async () => {
    await context.setOffline(true);
    await expect.poll(async () => (await record()).phases.at(-1), { timeout: 5_000 }).toBe('offline');
    emit(3);
    await context.setOffline(false);
    await expect.poll(connectionCount, { timeout: 10_000 }).toBe(5);
    await expectAllDelivered();
    const { connections, errors } = await record();
    expect(connections.at(-1)).toBe('resumed');
    expect(errors).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  // A browser sees a refused upgrade only as close 1006: the resumable protocol refuses after the
  // upgrade, with a close code it can read.
  it('stops at once on bad credentials with the resumable protocol (close 4001)', async () => {
    const before = events.server.metrics.snapshot().authFailures.invalid;
    const other = await context.newPage();
    await other.goto(pageUrl(events.url.replace('http://', 'ws://'), { key: 'wrong-key' }));
    await expect.poll(async () => (await record(other)).phases.at(-1), { timeout: 5_000 }).toBe('stopped');
    await new Promise((resolve) => setTimeout(resolve, 500)); // time for retries, were there any
    const { errors, lastClose } = await record(other);
    expect(errors).toEqual([expect.stringMatching(/^auth: /)]);
    expect(lastClose).toEqual({ kind: 'close', code: 4001 });
    expect(events.server.metrics.snapshot().authFailures.invalid - before).toBe(1);
    await other.close();
  });

  it('cannot tell bad credentials from a network error on a plain connection (HTTP 401 is hidden), so it backs off', async () => {
    const before = events.server.metrics.snapshot().authFailures.invalid;
    const other = await context.newPage();
    await other.goto(pageUrl(events.url.replace('http://', 'ws://'), { key: 'wrong-key', extended: 'false' }));
    await expect.poll(async () => events.server.metrics.snapshot().authFailures.invalid - before, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    const { errors, lastClose, phases } = await record(other);
    expect(lastClose?.code).toBe(1006);
    expect(phases).not.toContain('stopped');
    expect(errors).toEqual([]);
    await other.evaluate(() => window.__closeStream());
    await other.close();
  });

  it('fails at once on an upgrade refused with a body that never ends (the status line is enough for Chromium), not at the connect timeout', async () => {
    const host = await createRefusingHost('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nTransfer-Encoding: chunked', '5\r\n{"det');
    const other = await context.newPage();
    try {
      const started = Date.now();
      await other.goto(pageUrl(host.url));
      await expect.poll(async () => (await record(other)).lastClose, { timeout: 5_000 }).not.toBeNull();
      // The page's connect timeout is 3 s; Retry-After is out of a browser's reach (a plain 1006).
      expect(Date.now() - started).toBeLessThan(1_500);
      expect((await record(other)).lastClose).toMatchObject({ code: 1006 });
      expect((await record(other)).lastClose?.kind).not.toBe('connect-timeout');
      await other.evaluate(() => window.__closeStream());
      await expect.poll(() => host.open, { timeout: 2_000 }).toBe(0);
    } finally {
      await other.close();
      await host.close();
    }
  });

  it('keeps a live tree over fetch from another origin (CORS): lists, events, an operation', async () => {
    const cloud = createSimulatedCloud({ seed: 3, rate: 0, namespaces: ['acme'], manual: true, stacks: 2, nodeClusters: 1 });
    const server = await createEventsServer({ source: cloud, users: [{ ...USER, namespaces: [...USER.namespaces] }], logger: silentLogger });
    const other = await context.newPage();
    try {
      // The page is on another port than the server: every REST call is cross-origin.
      await other.goto(pageUrl(server.url.replace('http://', 'ws://'), { mode: 'tree', rest: `${server.url}/` }));
      const tree = () => other.evaluate(() => window.__tree());
      await expect.poll(async () => (await tree()).sync, { timeout: 10_000 }).toBe('live');
      for (let i = 0; i < 10; i++) cloud.step('acme');
      await expect.poll(tree, { timeout: 5_000 }).toEqual({ sync: 'live', objects: await restState(server.url) });
      const service = (await tree()).objects.find((o) => o.includes('/service/') && o.endsWith(' Running'))?.split(' ')[0];
      expect(service).toBeDefined();
      // A POST with Authorization: preflighted; the action's URI comes from an exposed header.
      const actionUri = await other.evaluate((uri) => window.__operate(uri, 'redeploy'), service as string);
      expect(actionUri).toMatch(/^\/api\/audit\/v1\/action\/[0-9a-f-]+\/$/);
      cloud.drainOperations('acme');
      await expect.poll(async () => (await tree()).objects.some((o) => o.startsWith(actionUri as string)), { timeout: 5_000 }).toBe(true);
      await expect.poll(tree, { timeout: 5_000 }).toEqual({ sync: 'live', objects: await restState(server.url) });
    } finally {
      await other.evaluate(() => window.__closeStream()).catch(() => {});
      await other.close();
      await server.close();
    }
  });

  // Chromium opens at most 6 connections to a host: requests a closed tree left hanging would hold
  // them all, and the next tree's lists would wait behind them.
  it("closing a live tree aborts its REST requests in flight, so the next tree gets the host's connections", async () => {
    const rest = await holdingRestProxy(events.url);
    const other = await context.newPage();
    try {
      await other.goto(pageUrl(events.url.replace('http://', 'ws://'), { mode: 'tree', rest: rest.url }));
      await expect.poll(rest.inFlight, { timeout: 10_000 }).toBe(6); // one list per type
      await other.evaluate(() => window.__closeStream());
      await expect.poll(rest.inFlight, { timeout: 2_000 }).toBe(0);
      rest.release();
      await other.evaluate(() => window.__openTree());
      await expect.poll(async () => (await other.evaluate(() => window.__tree())).sync, { timeout: 5_000 }).toBe('live');
    } finally {
      await other.evaluate(() => window.__closeStream()).catch(() => {});
      await other.close();
      await rest.close();
    }
  });
});

/**
 * An HTTP proxy in front of the server's REST API that holds every request unanswered while
 * `holding`. `inFlight()` counts the held requests whose connection is still open.
 */
async function holdingRestProxy(serverUrl: string): Promise<{ url: string; inFlight: () => number; release: () => void; close: () => Promise<void> }> {
  const target = new URL(serverUrl);
  let holding = true;
  const held = new Set<ServerResponse>();
  const proxy = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    if (holding) {
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`,
    inFlight: () => held.size,
    release: () => {
      holding = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}

/** `resource_uri state` of every object the server's REST lists hold, sorted. */
async function restState(serverUrl: string): Promise<string[]> {
  const auth = `Basic ${Buffer.from(`${USER.username}:${USER.apikey}`).toString('base64')}`;
  const lists = await Promise.all(
    OBJECT_TYPES.map(async (type) => {
      // Docker Cloud's action list has no namespace (restListUrl keeps that); ours takes one.
      const url = type === 'action' ? `${serverUrl}/api/audit/v1/acme/action/?limit=1000` : restListUrl(serverUrl, type, { namespace: 'acme', limit: 1_000 });
      const response = await fetch(url, { headers: { Authorization: auth } });
      const body = (await response.json()) as { objects: { resource_uri: string; state: string }[] };
      return body.objects.map((o) => `${o.resource_uri} ${o.state}`);
    }),
  );
  return lists.flat().sort();
}
