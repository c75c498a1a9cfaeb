// Launches Debian's Chromium with an unpacked extension through playwright-core.
import { existsSync } from 'node:fs';

import { chromium } from 'playwright-core';

import { tempDir, testBuild } from './common.mjs';
import { startServer } from '../server.mjs';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

// Headless, and quiet on this machine's closed network (no background fetches, updates or
// sync, whose refused connections would otherwise pile up).
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Returns { context, extensionId, serviceWorker, close } with the extension's worker running.
export async function launchChromium(extensionDir) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
  const profile = tempDir('chromium-profile');
  let context;
  try {
    context = await chromium.launchPersistentContext(profile.dir, {
      executablePath: CHROMIUM,
      headless: true,
      // Playwright passes --disable-extensions by default.
      ignoreDefaultArgs: ['--disable-extensions'],
      args: [
        `--disable-extensions-except=${extensionDir}`,
        `--load-extension=${extensionDir}`,
        ...CHROMIUM_FLAGS,
      ],
    });
    const serviceWorker = context.serviceWorkers().find(isExtensionWorker)
      ?? await context.waitForEvent('serviceworker', { predicate: isExtensionWorker, timeout: 20000 });
    const extensionId = new URL(serviceWorker.url()).host;
    const close = async () => {
      await context.close().catch(() => {});
      profile.remove();
    };
    return { context, extensionId, serviceWorker, close };
  } catch (err) {
    await context?.close().catch(() => {});
    profile.remove();
    throw err;
  }
}

function isExtensionWorker(worker) {
  return worker.url().startsWith('chrome-extension://');
}

// The fixture server, a fresh test build loaded in Chromium and a scratch folder: what the specs
// on held uploads start from (the Chromium twin of firefoxWithExtension()).
export async function chromiumWithExtension(scratchPrefix) {
  const server = await startServer();
  const build = testBuild('chromium');
  const scratch = tempDir(scratchPrefix);
  let browser;
  const close = async () => {
    await browser?.close();
    build.remove();
    scratch.remove();
    await server.close();
  };
  try {
    browser = await launchChromium(build.dir);
  } catch (err) {
    await close();
    throw err;
  }
  return { server, browser, scratch, close };
}
