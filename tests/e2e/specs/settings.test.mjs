// The user's settings: edited on the options page, kept in storage.sync, and obeyed by the guard
// and the sensor on the fixture composer (a listed site in the test build); the popup's on/off
// for a listed site; the counts kept on the device.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';

import { chromiumWithExtension } from '../lib/chromium.mjs';
import { ROOT, waitFor } from '../lib/common.mjs';
import { FACE, chooseFiles, sha256, warningShown } from '../lib/hold.mjs';
import { noticeShown, noticesOn } from '../lib/policy.mjs';

const require = createRequire(import.meta.url);
const PLACE_GPS = join(ROOT, 'tests', 'fixtures', 'meta', 'tagged.jpg'); // no face, GPS and city
const NO_FACE_PHOTO = join(ROOT, 'tests', 'fixtures', 'photos', 'coffee.png');

let server;
let env;
let browser;
let ext; // an extension page, to read and reset storage
let page;
let scratch;
let SMALL_FACE; // one face found with confidence but graded "low": warns only for "any face"

const extUrl = (path) => `chrome-extension://${browser.extensionId}/${path}`;
const storage = (area) => ext.evaluate((a) => chrome.storage[a].get(), area);
const held = () => page.evaluate(() => Number(document.documentElement.dataset.held ?? 0));

// The astronaut drawn 128 px wide on a plain 640x480 background, as PNG.
async function smallFacePng() {
  const p = await browser.context.newPage();
  await p.goto(server.url('/plain.html'));
  const b64 = await p.evaluate(async (data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes]));
    const canvas = new OffscreenCanvas(640, 480);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#88aa99';
    ctx.fillRect(0, 0, 640, 480);
    ctx.drawImage(bitmap, 300, 200, 128, 128);
    const out = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    let s = '';
    for (let i = 0; i < out.length; i += 0x8000) s += String.fromCharCode(...out.subarray(i, i + 0x8000));
    return btoa(s);
  }, readFileSync(FACE).toString('base64'));
  await p.close();
  const path = join(scratch.dir, 'small-face.png');
  writeFileSync(path, Buffer.from(b64, 'base64'));
  return path;
}

before(async () => {
  env = await chromiumWithExtension('settings-files');
  ({ server, browser, scratch } = env);
  ext = await browser.context.newPage();
  await ext.goto(extUrl('pages/options.html'));
  SMALL_FACE = await smallFacePng();
});

after(() => env?.close());

afterEach(async () => {
  await page?.close();
  page = null;
  server.clearUploads();
  await ext.evaluate(() => Promise.all([chrome.storage.sync.clear(), chrome.storage.local.clear()]));
});

async function openOptions() {
  const options = await browser.context.newPage();
  await options.goto(extUrl('pages/options.html'));
  await options.waitForSelector('body[data-ready]');
  return options;
}

async function pick(files) {
  page = await browser.context.newPage();
  await page.goto(server.url('/composers/instant.html'));
  await chooseFiles(page, () => page.click('#photo'), files);
}

async function uploaded(n) {
  await page.waitForSelector(`html[data-upload-status="uploaded ${n}"]`, { timeout: 20000 });
  return server.uploads().map((u, i) => ({ ...u, bytes: server.uploadBytes(i) }));
}

// Waits until storage.sync holds `expected` for these keys.
async function syncHas(expected) {
  return waitFor(async () => {
    const now = await storage('sync');
    const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, now[k]]));
    return JSON.stringify(picked) === JSON.stringify(expected) ? now : null;
  }, { what: `storage.sync ${JSON.stringify(expected)}` });
}

// Picks the option labelled `label` on the options page and waits until it is saved as `expected`.
async function chooseOption(label, expected) {
  const options = await openOptions();
  await options.getByLabel(label).check();
  await syncHas(expected);
  await options.close();
}

// Whether the warning dialog is on screen in the guard frame (if the frame exists).
async function dialogVisible() {
  const frame = page.frames().find((f) => f.url().includes('/pages/guard.html'));
  return frame ? frame.isVisible('#dialog') : false;
}

test('options page: choices are stored in storage.sync, shown again, in the chosen language; axe-core clean', async () => {
  const options = await openOptions();
  await options.getByLabel('Any face, however small').check();
  await options.getByLabel('Always mask faces, without asking').check();
  await options.getByRole('group', { name: 'Sites where photos are checked' }).getByLabel('127.0.0.1').uncheck();
  await options.getByLabel('Français').check();
  await syncHas({ sensitivity: 'any_face', defaultAction: 'mask', language: 'fr', offSites: { '127.0.0.1': true } });
  // The page follows the language at once, and again after a reload.
  await options.waitForFunction(() => document.documentElement.lang === 'fr');
  await options.reload();
  await options.waitForSelector('body[data-ready]');
  assert.equal(await options.textContent('h1'), 'Before You Post : réglages');
  assert.equal(await options.getByLabel('Tout visage, même petit').isChecked(), true);
  assert.equal(await options.getByLabel('Toujours masquer les visages, sans demander').isChecked(), true);
  assert.equal(await options.isChecked('input[data-site="127.0.0.1"]'), false);
  assert.equal(await options.isChecked('input[data-site="facebook.com"]'), true);
  assert.equal(await options.isVisible('#policy-note'), false, 'no policy, no policy note');
  await options.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const result = await options.evaluate(() => globalThis.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] }));
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`), []);
  await options.close();
});

test('default action "always mask faces": the photo arrives masked, with no dialog, and a notice says so', async () => {
  await chooseOption('Always mask faces, without asking', { defaultAction: 'mask' });
  await pick([FACE]);
  const notice = await noticeShown(page, /faces were masked/);
  assert.equal(notice, 'Before You Post: faces were masked before posting, as chosen in your settings.');
  const [up] = await uploaded(1);
  assert.equal(up.filename, 'astronaut.png');
  assert.notEqual(up.sha256, sha256(readFileSync(FACE)), 'the original was posted');
  assert.deepEqual([up.bytes.readUInt32BE(16), up.bytes.readUInt32BE(20)], [512, 512], 'same size');
  assert.equal(await dialogVisible(), false);
  assert.equal(await held(), 1);
  assert.deepEqual((await storage('local')).counts, { warnings: 1, fixes: 1 });
});

test('default action "always remove location": location gone without asking, pixels kept', async () => {
  await ext.evaluate(() => chrome.storage.sync.set({ defaultAction: 'strip' }));
  await pick([PLACE_GPS]);
  await noticeShown(page, /the location was removed before posting, as chosen in your settings/);
  const [up] = await uploaded(1);
  const out = join(scratch.dir, 'stripped.jpg');
  writeFileSync(out, up.bytes);
  const tags = JSON.parse(execFileSync('exiftool', ['-j', '-G1', '-a', '-n', out], { encoding: 'utf8' }))[0];
  assert.deepEqual(Object.keys(tags).filter((k) => /GPS|City|Location/i.test(k)), []);
  assert.equal(tags['IFD0:Make'], 'Canon', 'only the location is removed');
  assert.equal(await dialogVisible(), false);
});

test('sensitivity: a small face warns only with "any face"', async () => {
  // Default ("recognisable"): checked, then released unchanged without a warning.
  await pick([SMALL_FACE]);
  const [up] = await uploaded(1);
  assert.equal(up.sha256, sha256(readFileSync(SMALL_FACE)));
  assert.equal(await held(), 1, 'the photo was checked');
  assert.equal((await storage('local')).counts, undefined, 'no warning counted');
  await page.close();
  server.clearUploads();

  await chooseOption('Any face, however small', { sensitivity: 'any_face' });
  await pick([SMALL_FACE]);
  const frame = await warningShown(page);
  assert.equal(await frame.locator('input[data-face]').count(), 1);
  await frame.click('#cancel');
  assert.deepEqual(server.uploads(), []);
});

test('a photo that passes gets a quiet "checked on this device" notice for 3 s, which the options turn off', async () => {
  await pick([NO_FACE_PHOTO]);
  await uploaded(1);
  assert.equal(await noticeShown(page, /checked on this device/), 'Before You Post: checked on this device: no face, no location.');
  // A small face that does not count is not "no face".
  await page.close();
  server.clearUploads();
  await pick([SMALL_FACE]);
  await uploaded(1);
  await noticeShown(page, /no face clear enough to recognise, no location/);
  // Quiet: gone after about 3 s, where other notices stay 7 s.
  await waitFor(async () => ((await noticesOn(page)).length === 0 ? true : null), { timeoutMs: 5000, what: 'the notice to go' });
  await page.close();
  server.clearUploads();

  await chooseOption('Say nothing', { checkedNotice: 'off' });
  await pick([NO_FACE_PHOTO]);
  await uploaded(1);
  await page.waitForTimeout(800);
  assert.deepEqual(await noticesOn(page), [], 'a notice was shown with the notice turned off');
  assert.equal(await held(), 1, 'the photo was still checked');
});

test('language setting: the warning, its notice and the popup speak French', async () => {
  await chooseOption('Français', { language: 'fr' });
  await pick([FACE]);
  const frame = await warningShown(page);
  assert.equal(await frame.textContent('#dialog-title'), "Des visages qu'un moteur de recherche faciale pourrait exploiter");
  assert.match(await frame.getAttribute('#learn-more', 'href'), /explainer\.html\?lang=fr$/);
  await frame.click('#anyway');
  await uploaded(1);
  await page.close();
  server.clearUploads();
  // Notices are worded by the guard, in the language of the settings.
  await ext.evaluate(() => chrome.storage.sync.set({ defaultAction: 'mask' }));
  await pick([FACE]);
  await noticeShown(page, /^Before You Post: les visages ont été masqués avant la publication/);
  await uploaded(1);
  const popup = await browser.context.newPage();
  await popup.goto(`${extUrl('pages/popup.html')}?url=${encodeURIComponent(server.url('/'))}`);
  await popup.waitForSelector('#site[data-state="listed"]');
  assert.match(await popup.textContent('#site-status'), /sont vérifiées avant de quitter votre appareil/);
  assert.equal(await popup.textContent('#site-toggle'), 'Désactiver sur ce site');
  // The demo and the explainer follow through ?lang=.
  assert.deepEqual(await popup.$$eval('#links a:not(#open-options)', (links) => links.map((a) => a.getAttribute('href'))),
    ['demo.html?lang=fr', 'explainer.html?lang=fr']);
  await popup.close();
});

test('popup: a listed site can be turned off (photos pass unchecked) and back on', async () => {
  const popup = await browser.context.newPage();
  await popup.goto(`${extUrl('pages/popup.html')}?url=${encodeURIComponent(server.url('/'))}`);
  await popup.waitForSelector('#site[data-state="listed"]');
  await popup.getByRole('button', { name: 'Turn off on this site' }).click();
  await popup.waitForSelector('#site[data-state="paused"]');
  assert.match(await popup.textContent('#site-status'), /You turned checks off on 127\.0\.0\.1:\d+/);
  await syncHas({ offSites: { '127.0.0.1': true } });

  await pick([FACE]);
  const [up] = await uploaded(1);
  assert.equal(up.sha256, sha256(readFileSync(FACE)));
  assert.equal(await held(), 0, 'not held on a site turned off');
  await page.close();
  server.clearUploads();

  await popup.getByRole('button', { name: 'Turn back on' }).click();
  await popup.waitForSelector('#site[data-state="listed"]');
  await syncHas({ offSites: {} });
  await popup.close();
  await pick([FACE]);
  const frame = await warningShown(page);
  await frame.click('#cancel');
});

test('counts: warnings shown and photos protected, numbers only, kept in storage.local', async () => {
  const popupUrl = `${extUrl('pages/popup.html')}?url=${encodeURIComponent(server.url('/'))}`;
  const popup = await browser.context.newPage();
  await popup.goto(popupUrl);
  await popup.waitForFunction(() => document.getElementById('counts-text').textContent !== '');
  assert.equal(await popup.textContent('#counts-text'), 'Warnings shown: 0. Photos protected: 0.');

  await pick([FACE]);
  let frame = await warningShown(page);
  await frame.click('#protect');
  await uploaded(1);
  await page.close();
  server.clearUploads();
  await pick([FACE]);
  frame = await warningShown(page);
  await frame.click('#anyway');
  await uploaded(1);

  await waitFor(async () => ((await storage('local')).counts?.warnings === 2 ? true : null), { what: 'two warnings counted' });
  assert.deepEqual(await storage('local'), { counts: { warnings: 2, fixes: 1 } });
  assert.deepEqual(await storage('sync'), {}, 'nothing about the photos or sites synced');
  await popup.reload();
  await popup.waitForFunction(() => document.getElementById('counts-text').textContent !== '');
  assert.equal(await popup.textContent('#counts-text'), 'Warnings shown: 2. Photos protected: 1.');
  await popup.close();
});
