import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Whether a real Chromium is installed; when not, the browser tests are skipped with that reason in their name. */
export const hasChromium = existsSync(CHROMIUM_PATH);

/**
 * Headless Chromium as installed by Debian. The background-networking flags matter on this
 * machine's closed network: without them Chromium's own update and sync traffic gets the
 * loopback connections refused.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    timeout: 30_000,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
