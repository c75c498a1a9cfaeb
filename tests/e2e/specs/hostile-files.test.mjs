// Hostile and odd files, end to end in Chromium (Firefox: firefox/hostile-files.test.mjs): each
// gets the right verdict or the fail-open notice within the bounds, the page gets what the rule
// says, nothing hangs, and the next pick is checked. The files: lib/hostile-files.mjs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';

import { chromiumWithExtension } from '../lib/chromium.mjs';
import { waitFor } from '../lib/common.mjs';
import { NO_FACE, chooseFiles, sha256 } from '../lib/hold.mjs';
import { makeHostileFiles } from '../lib/hostile-files.mjs';
import { noticeShown } from '../lib/policy.mjs';

let env;
let server;
let browser;
let scratch;
let page;
let files;

before(async () => {
  env = await chromiumWithExtension('hostile-files');
  ({ server, browser, scratch } = env);
  files = makeHostileFiles(scratch.dir);
});

after(() => env?.close());

afterEach(async () => {
  await page?.close();
  page = null;
  server.clearUploads();
});

const guard = () => page.frames().find((f) => f.url().includes('/pages/guard.html'));

// Picks `path` and waits for either the warning or the release to the page; returns { frame }
// or { released: true } and how long it took.
async function pickAndWait(path) {
  page = await browser.context.newPage();
  await page.goto(server.url('/composers/instant.html'));
  const started = Date.now();
  // Files from disk (a trusted pick): the browser types them by their names' extensions.
  await chooseFiles(page, () => page.click('#photo'), [path]);
  const outcome = await waitFor(async () => {
    const frame = guard();
    if (frame && await frame.isVisible('#dialog').catch(() => false)) return { frame };
    if (await page.evaluate(() => document.documentElement.dataset.released === '1')) return { released: true };
    return null;
  }, { timeoutMs: 12000, what: 'a warning or the release' });
  return { ...outcome, ms: Date.now() - started };
}

// The next pick on the same page is checked normally: a photo without a face goes through.
async function nextPickWorks() {
  server.clearUploads();
  await page.evaluate(() => delete document.documentElement.dataset.uploadStatus);
  await chooseFiles(page, () => page.click('#photo'), [NO_FACE]);
  await page.waitForSelector('html[data-upload-status="uploaded 1"]', { timeout: 15000 });
  assert.equal(server.uploads()[0].sha256, sha256(readFileSync(NO_FACE)));
}

async function failedOpen(name, path) {
  const outcome = await pickAndWait(path);
  console.log(`# ${name}: ${outcome.released ? 'released' : 'warning'} after ${outcome.ms} ms`);
  assert.equal(outcome.released, true, `${name} opened a warning`);
  await page.waitForSelector('html[data-upload-status="uploaded 1"]');
  assert.equal(server.uploads()[0].sha256, sha256(readFileSync(path)), 'the original goes through unchanged');
  await noticeShown(page, /could not be checked/);
  await nextPickWorks();
}

test('zero bytes: released unchanged with a notice; the next pick works', async () => {
  await failedOpen('zero bytes', files['empty.jpg']);
});

test('a decompression bomb (60 bytes declaring 30,000 x 30,000) is never decoded: released with a notice, quickly', async () => {
  await failedOpen('decompression bomb', files['bomb.png']);
});

test('an SVG named .jpg: released unchanged with a notice', async () => {
  await failedOpen('SVG named .jpg', files['drawing.jpg']);
});

test('a truncated JPEG: checked as far as it decodes, or released with a notice; never stuck', async () => {
  const outcome = await pickAndWait(files['truncated.jpg']);
  console.log(`# truncated JPEG: ${outcome.frame ? 'warning' : 'released'} after ${outcome.ms} ms`);
  if (outcome.frame) {
    await outcome.frame.click('#cancel');
    await page.waitForFunction(() => document.documentElement.dataset.released === '1');
    assert.deepEqual(server.uploads(), []);
  } else {
    await noticeShown(page, /could not be checked/);
  }
  await nextPickWorks();
});

test('a 16-bit PNG: the face warns, masking is refused (the copy would lose the depth) and said so', async () => {
  const outcome = await pickAndWait(files['deep.png']);
  assert.ok(outcome.frame, 'no warning for the 16-bit astronaut');
  const { frame } = outcome;
  assert.match(await frame.textContent('#dialog-summary'), /shows 1 face/);
  assert.equal(await frame.isDisabled('input[data-face="0"]'), true);
  assert.match(await frame.textContent('#photos'), /cannot be masked|can't be masked|cannot mask/i);
  await frame.click('#cancel');
  await page.waitForFunction(() => document.documentElement.dataset.released === '1');
  assert.deepEqual(server.uploads(), []);
  await nextPickWorks();
});

test('a JPEG named .png: warned, and the protected copy is written as the JPEG it is, under its name', async () => {
  const outcome = await pickAndWait(files['renamed.png']);
  assert.ok(outcome.frame, 'no warning for the renamed astronaut');
  await outcome.frame.click('#protect');
  await page.waitForSelector('html[data-upload-status="uploaded 1"]');
  const bytes = server.uploadBytes(0);
  assert.equal(server.uploads()[0].filename, 'renamed.png');
  assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff], 'not a JPEG');
  assert.notEqual(server.uploads()[0].sha256, sha256(readFileSync(files['renamed.png'])));
  await nextPickWorks();
});

test('a JPEG with a 60 kB EXIF block and a location: warned, and the protected copy has no location', async () => {
  const outcome = await pickAndWait(files['big-exif.jpg']);
  assert.ok(outcome.frame, 'no warning');
  assert.match(await outcome.frame.textContent('#photos'), /48\.858/);
  await outcome.frame.click('#protect');
  await page.waitForSelector('html[data-upload-status="uploaded 1"]');
  const out = join(scratch.dir, 'received-big-exif.jpg');
  writeFileSync(out, server.uploadBytes(0));
  const tags = JSON.parse(execFileSync('exiftool', ['-j', '-G1', '-a', '-n', out], { encoding: 'utf8' }))[0];
  assert.deepEqual(Object.keys(tags).filter((k) => /GPS/i.test(k)), []);
  await nextPickWorks();
});
