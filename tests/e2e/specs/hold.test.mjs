// Holding uploads: on every fixture composer pattern, the page receives nothing until the user
// has decided, then exactly what was decided. The fixture server records every upload's bytes.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';

import { chromiumWithExtension } from '../lib/chromium.mjs';
import { waitFor } from '../lib/common.mjs';
import {
  CAMERA, FACE, NO_FACE, assertUploaded, chooseFiles, dropFiles, fileSha, guardFrame, pageWithFakePicker, pasteImage,
  warningShown,
} from '../lib/hold.mjs';
import { noticeShown } from '../lib/policy.mjs';

let server;
let env;
let browser;
let page;
let scratch;
let VIDEO;
let PDF;
let BROKEN;

before(async () => {
  env = await chromiumWithExtension('hold-files');
  ({ server, browser, scratch } = env);
  // Non-image files travel with the photos and must come out byte for byte.
  VIDEO = join(scratch.dir, 'clip.mp4');
  writeFileSync(VIDEO, Buffer.concat([Buffer.from('\0\0\0\x18ftypmp42'), Buffer.alloc(4096, 7)]));
  PDF = join(scratch.dir, 'notes.pdf');
  writeFileSync(PDF, '%PDF-1.4\n% a tiny not-quite PDF\n');
  // Named like a photo, but no browser can decode it.
  BROKEN = join(scratch.dir, 'broken.jpg');
  writeFileSync(BROKEN, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(600, 0x41)]));
});

after(() => env?.close());

afterEach(async () => {
  await page?.close();
  page = null;
  server.clearUploads();
});

async function open(path, origin = server.origin) {
  page = await browser.context.newPage();
  await page.goto(new URL(path, origin).href);
  return page;
}

const status = () => page.evaluate(() => document.documentElement.dataset.uploadStatus ?? null);
const counts = () => page.evaluate(() => ({
  held: Number(document.documentElement.dataset.held ?? 0),
  released: Number(document.documentElement.dataset.released ?? 0),
}));

// The warning is up: nothing has left, even after a moment.
async function assertNothingSent() {
  await page.waitForTimeout(300);
  assert.deepEqual(server.uploads(), [], 'an upload reached the server before the decision');
  assert.equal(await status(), null, 'the page saw the files before the decision');
}

async function decide(frame, button) {
  await frame.click(`#${button}`);
}

// `act` makes the page receive photos: they are held until the decision, then "post anyway"
// delivers exactly `files`.
async function heldThenPosted(act, files = [FACE]) {
  await act();
  const frame = await warningShown(page);
  await assertNothingSent();
  await decide(frame, 'anyway');
  await waitUploaded(files.length);
  assertUploaded(server, files);
}

async function waitUploaded(n) {
  await page.waitForSelector(`html[data-upload-status="uploaded ${n}"]`, { timeout: 15000 });
}

// Text in the page's accessibility tree, including the extension's notice in a closed shadow root.
async function accessibleText() {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  await cdp.detach();
  return nodes.map((n) => n.name?.value ?? '').join('\n');
}

test('change-uploading input: held, then "post anyway" sends the original bytes', async () => {
  await open('/composers/instant.html');
  await chooseFiles(page, () => page.click('#photo'), [FACE]);
  const frame = await warningShown(page);
  await assertNothingSent();
  assert.match(await frame.textContent('#dialog'), /1 face/);
  await decide(frame, 'anyway');
  await waitUploaded(1);
  assertUploaded(server, [FACE]);
  assert.equal(server.uploads()[0].filename, 'astronaut.png');
  assert.deepEqual(await counts(), { held: 1, released: 1 });
});

test('"cancel" uploads nothing, keeps the draft, and the same photo can be picked again', async () => {
  await open('/composers/instant.html');
  await page.fill('#draft', 'My draft text stays');
  await chooseFiles(page, () => page.click('#photo'), [FACE]);
  let frame = await warningShown(page);
  await decide(frame, 'cancel');
  await page.waitForFunction(() => document.documentElement.dataset.released === '1');
  await page.waitForTimeout(300);
  assert.deepEqual(server.uploads(), []);
  assert.equal(await status(), null);
  assert.equal(await page.inputValue('#draft'), 'My draft text stays');
  assert.equal(await page.evaluate(() => document.getElementById('photo').files.length), 0);
  await chooseFiles(page, () => page.click('#photo'), [FACE]);
  frame = await warningShown(page);
  await decide(frame, 'anyway');
  await waitUploaded(1);
  assertUploaded(server, [FACE]);
});

test('Escape cancels, and focus goes back to where it was', async () => {
  await open('/composers/instant.html');
  await page.focus('#draft');
  await chooseFiles(page, () => page.click('#photo'), [FACE]);
  const frame = await warningShown(page);
  await frame.waitForFunction(() => document.hasFocus() && ['protect', 'anyway'].includes(document.activeElement?.id));
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.documentElement.dataset.released === '1');
  assert.deepEqual(server.uploads(), []);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'photo');
});

test('a photo without faces or location goes through with no warning', async () => {
  await open('/composers/instant.html');
  const started = Date.now();
  await chooseFiles(page, () => page.click('#photo'), [NO_FACE]);
  await waitUploaded(1);
  console.log(`# no-face photo released after ${Date.now() - started} ms (first photo on the page)`);
  assertUploaded(server, [NO_FACE]);
  const frame = await guardFrame(page);
  assert.equal(await frame.isVisible('#dialog'), false);
  assert.deepEqual(await counts(), { held: 1, released: 1 });
});

test('several files with videos and documents: one warning, every file byte for byte in order', async () => {
  await open('/composers/instant.html');
  await chooseFiles(page, () => page.click('#photo'), [NO_FACE, VIDEO, FACE, PDF]);
  const frame = await warningShown(page);
  await assertNothingSent();
  assert.equal(await frame.locator('#photos > li').count(), 1, 'only the photo with a face is shown');
  await decide(frame, 'anyway');
  await waitUploaded(4);
  assertUploaded(server, [NO_FACE, VIDEO, FACE, PDF]);
});

test('only documents: not held at all', async () => {
  await open('/composers/instant.html');
  await chooseFiles(page, () => page.click('#photo'), [PDF]);
  await waitUploaded(1);
  assertUploaded(server, [PDF]);
  assert.deepEqual(await counts(), { held: 0, released: 0 });
});

test('a video is held too (issue 27); one that cannot be read goes through unchanged with a notice, in its place', async () => {
  await open('/composers/instant.html');
  await chooseFiles(page, () => page.click('#photo'), [VIDEO, PDF]);
  await waitUploaded(2);
  assertUploaded(server, [VIDEO, PDF]);
  assert.deepEqual(await counts(), { held: 1, released: 1 });
  await noticeShown(page, /this video could not be checked/);
});

test('a file the browser cannot decode goes through unchanged, with a notice', async () => {
  await open('/composers/instant.html');
  await chooseFiles(page, () => page.click('#photo'), [BROKEN]);
  await waitUploaded(1);
  assertUploaded(server, [BROKEN]);
  const text = await waitFor(async () => {
    const all = await accessibleText();
    return all.includes('could not be checked') ? all : null;
  }, { what: 'the could-not-check notice' });
  assert.match(text, /Before You Post: this photo could not be checked/);
});

test('React-style delegated handler receives the released files', async () => {
  await open('/composers/react.html');
  await heldThenPosted(() => chooseFiles(page, () => page.click('#photo'), [FACE]));
});

for (const variant of ['', '?showPicker']) {
  test(`detached input opened by ${variant ? 'showPicker()' : 'click()'}`, async () => {
    await open(`/composers/detached.html${variant}`);
    await heldThenPosted(() => chooseFiles(page, () => page.click('#add'), [FACE]));
  });
}

async function withFakePicker() {
  page = await pageWithFakePicker(browser.context, server.url('/composers/fsa.html'), FACE);
}

test('showOpenFilePicker: held, then the page reads the original through its handle', async () => {
  await withFakePicker();
  await heldThenPosted(() => page.click('#add'));
});

test('showOpenFilePicker: "cancel" looks like the user closed the picker', async () => {
  await withFakePicker();
  await page.click('#add');
  const frame = await warningShown(page);
  await decide(frame, 'cancel');
  await page.waitForSelector('html[data-picker-error="AbortError"]');
  assert.deepEqual(server.uploads(), []);
});

test('drop on a drop zone: held, then an equivalent drop carries the files', async () => {
  await open('/composers/drop.html');
  await heldThenPosted(() => dropFiles(page, '#zone', [FACE, VIDEO]), [FACE, VIDEO]);
});

test('drop then "cancel": nothing uploaded, the page stays usable', async () => {
  await open('/composers/drop.html');
  await dropFiles(page, '#zone', [FACE]);
  const frame = await warningShown(page);
  await decide(frame, 'cancel');
  await page.waitForFunction(() => document.documentElement.dataset.released === '1');
  assert.deepEqual(server.uploads(), []);
  assert.equal(await page.evaluate(() => document.getElementById('zone').classList.contains('over')), false);
  await dropFiles(page, '#zone', [NO_FACE]);
  await waitUploaded(1);
  assertUploaded(server, [NO_FACE]);
});

// The clipboard re-encodes images, so the reference is what the page receives with no extension
// (on localhost, which is not a listed site).
async function pasteFace() {
  await pasteImage(browser.context, page, FACE);
}

test('paste into a contenteditable: held, then the same image is pasted', async () => {
  await open('/composers/paste.html', `http://localhost:${server.port}`);
  await pasteFace();
  await waitUploaded(1);
  const [reference] = server.uploads();
  server.clearUploads();
  await page.close();

  await open('/composers/paste.html');
  await pasteFace();
  const frame = await warningShown(page);
  await assertNothingSent();
  await decide(frame, 'anyway');
  await waitUploaded(1);
  assert.equal(server.uploads()[0].sha256, reference.sha256);
  assert.equal((await page.textContent('#editor')).replace(/\u00a0/g, ' '), 'Look at this ');
});

test('composer in a closed shadow root: input and drop are both held', async () => {
  await open('/composers/shadow.html');
  await chooseFiles(page, () => page.click('#composer'), [FACE]);
  let frame = await warningShown(page);
  await assertNothingSent();
  await decide(frame, 'anyway');
  await waitUploaded(1);
  assertUploaded(server, [FACE]);
  server.clearUploads();
  await page.evaluate(() => delete document.documentElement.dataset.uploadStatus);
  await dropFiles(page, '#composer', [FACE]);
  frame = await warningShown(page);
  await assertNothingSent();
  await decide(frame, 'anyway');
  await waitUploaded(1);
  assertUploaded(server, [FACE]);
  assert.equal(server.uploads()[0].field, 'shadow-drop');
});

test('single-page app inserting its composer late', async () => {
  await open('/composers/spa.html');
  await page.click('#compose-link');
  await page.waitForSelector('#photo');
  await heldThenPosted(() => chooseFiles(page, () => page.click('#photo'), [FACE]));
});

test('page with a strict CSP: held and released the same way', async () => {
  await open('/csp/composers/instant.html');
  await heldThenPosted(() => chooseFiles(page, () => page.click('#photo'), [FACE]));
});

test('profile picture: the warning says profile pictures are public', async () => {
  await open('/composers/profile.html');
  await chooseFiles(page, () => page.click('#photo'), [FACE]);
  const frame = await warningShown(page);
  assert.match(await frame.textContent('#dialog-title'), /Profile pictures are public/);
  await decide(frame, 'anyway');
  await waitUploaded(1);
  assertUploaded(server, [FACE]);
});

test('the audience shown by the composer is read: "Friends" is not public', async () => {
  await open('/composers/audience.html');
  await chooseFiles(page, () => page.click('#photo'), [FACE]);
  let frame = await warningShown(page);
  assert.match(await frame.textContent('#dialog-summary'), /audience is limited/);
  await decide(frame, 'cancel');
  await page.close();
  await open('/composers/instant.html'); // no audience shown: counts as public
  await chooseFiles(page, () => page.click('#photo'), [FACE]);
  frame = await warningShown(page);
  assert.match(await frame.textContent('#dialog-summary'), /Anyone can see it/);
  await decide(frame, 'cancel');
});

test('a site that is not listed is left alone', async () => {
  await open('/composers/instant.html', `http://localhost:${server.port}`);
  await chooseFiles(page, () => page.click('#photo'), [FACE]);
  await waitUploaded(1);
  assertUploaded(server, [FACE]);
  assert.equal(page.frames().some((f) => f.url().includes('/pages/guard.html')), false);
  assert.deepEqual(await counts(), { held: 0, released: 0 });
});

test('two picks in a row each get their own decision', async () => {
  await open('/composers/instant.html');
  await chooseFiles(page, () => page.click('#photo'), [FACE]);
  let frame = await warningShown(page);
  await decide(frame, 'anyway');
  await waitUploaded(1);
  await page.evaluate(() => delete document.documentElement.dataset.uploadStatus);
  await chooseFiles(page, () => page.click('#photo'), [CAMERA]);
  frame = await warningShown(page);
  await decide(frame, 'cancel');
  await page.waitForFunction(() => document.documentElement.dataset.released === '2');
  assert.equal(server.uploads().length, 1);
  assert.equal(server.uploads()[0].sha256, fileSha(FACE));
});
