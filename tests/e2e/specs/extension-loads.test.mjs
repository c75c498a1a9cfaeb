// The Chromium test build loads, its service worker starts, and the popup shows the wasm
// engine's answer obtained from the background.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { TEST_EXTENSION_ID } from '../../../.ci/assemble.mjs';
import { launchChromium } from '../lib/chromium.mjs';
import { assertEngineInfo, testBuild } from '../lib/common.mjs';

let build;
let browser;

before(async () => {
  build = testBuild('chromium');
  browser = await launchChromium(build.dir);
});

after(async () => {
  await browser?.close();
  build?.remove();
});

test('service worker of the test build starts with the fixed test id', () => {
  assert.equal(browser.extensionId, TEST_EXTENSION_ID);
  assert.equal(browser.serviceWorker.url(), `chrome-extension://${TEST_EXTENSION_ID}/background/background.js`);
});

test('popup shows the engine status from the background', async () => {
  const page = await browser.context.newPage();
  try {
    await page.goto(`chrome-extension://${browser.extensionId}/pages/popup.html`);
    await page.waitForSelector('#engine:not([data-state="checking"])', { timeout: 30000 });
    const state = await page.getAttribute('#engine', 'data-state');
    const status = await page.textContent('#engine-status');
    assert.equal(state, 'ready', `popup says: ${status}`);
    assert.equal(status, 'Detection engine ready.');

    // The same request from an extension page, answered in full.
    const info = await page.evaluate(() => chrome.runtime.sendMessage({ type: 'engine-info' }));
    assertEngineInfo(info);
    const details = await page.locator('#engine-details > span').allTextContents();
    const expected = [`Model: ${info.model.name}`];
    assert.deepEqual(details, expected);
  } finally {
    await page.close();
  }
});

test('background rejects message types that are not allowlisted', async () => {
  const page = await browser.context.newPage();
  try {
    await page.goto(`chrome-extension://${browser.extensionId}/pages/popup.html`);
    const answers = await page.evaluate(() => Promise.all([
      chrome.runtime.sendMessage({ type: 'no-such-message' }),
      chrome.runtime.sendMessage({ type: 'toString' }),
      chrome.runtime.sendMessage('engine-info'),
    ]));
    assert.deepEqual(answers, Array(3).fill({ error: 'unknown_message' }));
  } finally {
    await page.close();
  }
});

test('popup: a listed site is checked; another site can be enabled, which needs its permission', async () => {
  const page = await browser.context.newPage();
  try {
    const popup = `chrome-extension://${browser.extensionId}/pages/popup.html`;
    await page.goto(`${popup}?url=${encodeURIComponent('https://www.facebook.com/me')}`);
    await page.waitForSelector('#site[data-state="listed"]');
    assert.match(await page.textContent('#site-status'), /www\.facebook\.com are checked/);
    // Listed sites can be switched off too (specs/settings.test.mjs).
    assert.equal(await page.textContent('#site-toggle'), 'Turn off on this site');

    await page.goto(`${popup}?url=${encodeURIComponent('https://mastodon.example/home')}`);
    await page.waitForSelector('#site[data-state="off"]');
    assert.equal(await page.textContent('#site-toggle'), 'Check photos on this site');

    // Without the user's grant (the browser's prompt), the background registers nothing.
    const answers = await page.evaluate(() => Promise.all([
      chrome.runtime.sendMessage({ type: 'site-enable', origin: 'https://mastodon.example' }),
      chrome.runtime.sendMessage({ type: 'site-enable', origin: 'javascript:alert(1)' }),
      chrome.scripting.getRegisteredContentScripts(),
    ]));
    assert.deepEqual(answers, [{ error: 'permission_missing' }, { error: 'bad_origin' }, []]);

    // Pages other than http(s) have nothing to enable.
    await page.goto(`${popup}?url=${encodeURIComponent('chrome://settings')}`);
    await page.waitForSelector('#engine:not([data-state="checking"])');
    assert.equal(await page.isVisible('#site'), false);
  } finally {
    await page.close();
  }
});
