import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';

/** A loopback HTTP server for one bundled test page: `/` is the HTML, `/page.js` the bundle. */
export interface PageServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Bundles `entry` for the browser (sibling packages resolve to their sources through the
 * "@events/source" export condition, as in the tests) and serves it.
 */
export async function servePage(entry: string): Promise<PageServer> {
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@events/source'],
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.text;
  if (script === undefined) throw new Error(`esbuild produced no output for ${entry}`);
  const html = '<!doctype html><meta charset="utf-8"><title>transport-browser test</title><script type="module" src="/page.js"></script>';
  const server: Server = createServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(script);
    } else if (req.url === '/' || req.url?.startsWith('/?') === true) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(html);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
