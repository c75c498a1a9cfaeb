// Example: testing your own site's photo upload with Before You Post loaded, the way a third
// party would (see AUTOMATION.md). Two things are shown:
//   1. answering the warning by its roles and names, and observing the page events;
//   2. a test profile whose managed policy presets the decision, so no dialog ever opens.
// Here "your site" is this repository's fixture composer on 127.0.0.1 and the extension is its
// test build (the release build plus 127.0.0.1 as a checked site). Needs root for part 2
// (Chromium reads policies only from /etc/chromium/policies/managed).
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { ROOT, makeTestBuild } from '../../../.ci/assemble.mjs';
import { startServer } from '../server.mjs';

const PHOTO = join(ROOT, 'tests/fixtures/photos/astronaut.png'); // one large face
const POLICY_DIR = '/etc/chromium/policies/managed';

let site; // your web app
let extensionDir;

before(async () => {
  site = await startServer();
  extensionDir = mkdtempSync(join(tmpdir(), 'byp-example-ext-'));
  makeTestBuild('chromium', extensionDir);
});

after(async () => {
  rmSync(extensionDir, { recursive: true, force: true });
  await site.close();
});

// A Chromium profile with the unpacked extension loaded.
async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'byp-example-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    ignoreDefaultArgs: ['--disable-extensions'],
    args: ['--headless=new', '--no-sandbox', `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`],
  });
  return { context, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

// Records the extension's page events. They carry no detail: nothing about the photo.
async function recordEvents(page) {
  await page.evaluate(() => {
    window.bypEvents = [];
    for (const type of ['beforeyoupost:held', 'beforeyoupost:released']) {
      document.addEventListener(type, (e) => window.bypEvents.push({ type, detail: e.detail ?? null }));
    }
  });
}

test('answer the warning by role and name', async () => {
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(site.url('/composers/instant.html'));
    await recordEvents(page);
    await page.setInputFiles('#photo', PHOTO);

    // The warning lives in an extension frame inside a closed shadow root: selectors cannot
    // reach it, but the frame is in page.frames(). Find it by its URL.
    const guard = await waitForFrame(page, (url) => url.endsWith('/pages/guard.html'));
    const dialog = guard.getByRole('alertdialog');
    await dialog.waitFor();
    // A choice counts once the warning has been plainly visible for a moment: wait for it.
    await guard.waitForSelector('body[data-accepting]', { state: 'attached' });
    assert.equal(await dialog.getByRole('checkbox', { name: /^Face 1:/ }).isChecked(), true);
    await dialog.getByRole('button', { name: 'Attach original' }).click();

    // Your app's own behaviour: here it uploads at once and says so.
    await page.waitForSelector('html[data-upload-status="uploaded 1"]');
    assert.equal(site.uploads()[0].sha256, createHash('sha256').update(readFileSync(PHOTO)).digest('hex'));
    assert.deepEqual(await page.evaluate(() => window.bypEvents), [
      { type: 'beforeyoupost:held', detail: null },
      { type: 'beforeyoupost:released', detail: null },
    ]);
  } finally {
    await browser.close();
    site.clearUploads();
  }
});

test('a test profile presets the decision through managed policy: no dialog', async () => {
  // The policy names the extension by id. An unpacked copy gets a fixed id from a "key" in its
  // manifest: the id is the first 32 hex digits of sha256(public key DER), mapped 0-f -> a-p.
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const id = [...createHash('sha256').update(der).digest('hex').slice(0, 32)]
    .map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
  const manifestPath = join(extensionDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, key: der.toString('base64') }));

  // "anyway" posts the original file, as if "Attach original" were pressed ("protect", "cancel").
  const policyFile = join(POLICY_DIR, `byp-example-${id}.json`);
  mkdirSync(POLICY_DIR, { recursive: true });
  writeFileSync(policyFile, JSON.stringify({ '3rdparty': { extensions: { [id]: { automationDecision: 'anyway' } } } }));
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(site.url('/composers/instant.html'));
    await recordEvents(page);
    await page.setInputFiles('#photo', PHOTO);
    await page.waitForSelector('html[data-upload-status="uploaded 1"]'); // nobody clicked anything
    assert.equal(site.uploads()[0].sha256, createHash('sha256').update(readFileSync(PHOTO)).digest('hex'));
    assert.deepEqual((await page.evaluate(() => window.bypEvents)).map((e) => e.type),
      ['beforeyoupost:held', 'beforeyoupost:released']);
  } finally {
    await browser.close();
    rmSync(policyFile, { force: true });
    writeFileSync(manifestPath, JSON.stringify(manifest));
    site.clearUploads();
  }
});

async function waitForFrame(page, matches, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = page.frames().find((f) => matches(f.url()));
    if (frame) return frame;
    if (Date.now() > deadline) throw new Error('no Before You Post frame');
    await new Promise((ok) => setTimeout(ok, 100));
  }
}
