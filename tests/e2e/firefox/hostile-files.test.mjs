// Hostile and odd files, end to end in Firefox ESR (the Chromium twin is
// specs/hostile-files.test.mjs; the files: lib/hostile-files.mjs): each gets the right verdict or
// the fail-open notice, the page gets what the rule says, nothing hangs, and the next pick is
// checked. Notices live in a closed shadow root WebDriver cannot read, so here the fail-open
// cases are told by the release of the original bytes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';

import { tempDir, waitFor } from '../lib/common.mjs';
import { WARNING_OPEN, firefoxWithExtension, geckodriverSkip } from '../lib/firefox.mjs';
import { NO_FACE, sha256 } from '../lib/hold.mjs';
import { ANIMATED_AND_CMYK, makeHostileFiles } from '../lib/hostile-files.mjs';
import { inWebDriver, largeJpeg, maskedCellsIn, nearShare } from '../lib/large-photo.mjs';

const skip = geckodriverSkip();
let env;
let server;
let firefox;
let scratch;
let files;

before(async () => {
  if (skip) return;
  env = await firefoxWithExtension();
  ({ server, firefox } = env);
  scratch = tempDir('ff-hostile-files');
  files = makeHostileFiles(scratch.dir);
});

after(async () => {
  scratch?.remove();
  await env?.close();
});

afterEach(() => server?.clearUploads());

const html = (key) => firefox.execute(`return document.documentElement.dataset[${JSON.stringify(key)}] ?? null`);

// Picks `path` in a fresh composer; resolves to 'warning' (the driver is then in the guard
// frame) or 'released'.
async function pick(path) {
  await firefox.goto(server.url('/composers/instant.html'));
  await firefox.sendKeys(await firefox.find('#photo'), path);
  return waitFor(async () => {
    if ((await html('released')) === '1') return 'released';
    try {
      await firefox.frame(0);
      const open = await firefox.execute(WARNING_OPEN);
      if (open) return 'warning';
      await firefox.frame(null);
    } catch {
      await firefox.frame(null).catch(() => {});
    }
    return null;
  }, { timeoutMs: 15000, what: 'a warning or the release' });
}

async function nextPickWorks() {
  await firefox.frame(null);
  server.clearUploads();
  await firefox.execute("delete document.documentElement.dataset.uploadStatus; document.getElementById('photo').value = '';");
  await firefox.sendKeys(await firefox.find('#photo'), NO_FACE);
  await waitFor(() => (server.uploads().length === 1 ? true : null), { what: 'the next upload' });
  assert.equal(server.uploads()[0].sha256, sha256(readFileSync(NO_FACE)));
}

for (const [name, file] of [['zero bytes', 'empty.jpg'], ['a decompression bomb', 'bomb.png'], ['an SVG named .jpg', 'drawing.jpg']]) {
  test(`firefox: ${name}: the original goes through unchanged; the next pick works`, { skip }, async () => {
    assert.equal(await pick(files[file]), 'released');
    await waitFor(() => (server.uploads().length === 1 ? true : null), { what: 'the original' });
    assert.equal(server.uploads()[0].sha256, sha256(readFileSync(files[file])));
    await nextPickWorks();
  });
}

test('firefox: a truncated JPEG: checked as far as it decodes, or released; never stuck', { skip }, async () => {
  const outcome = await pick(files['truncated.jpg']);
  console.log(`# firefox, truncated JPEG: ${outcome}`);
  if (outcome === 'warning') {
    await firefox.click(await firefox.find('#cancel'));
    await firefox.frame(null);
    await waitFor(async () => ((await html('released')) === '1' ? true : null), { what: 'the cancel' });
  }
  await nextPickWorks();
});

test('firefox: a 16-bit PNG: the face warns and masking is refused', { skip }, async () => {
  assert.equal(await pick(files['deep.png']), 'warning');
  assert.equal(await firefox.execute("return document.querySelector('input[data-face=\"0\"]').disabled"), true);
  await firefox.click(await firefox.find('#cancel'));
  await nextPickWorks();
});

for (const [what, path] of ANIMATED_AND_CMYK) {
  test(`firefox: ${what}: the face warns and masking is refused`, { skip }, async () => {
    assert.equal(await pick(path), 'warning');
    assert.equal(await firefox.execute("return document.querySelector('input[data-face=\"0\"]').disabled"), true);
    await firefox.click(await firefox.find('#cancel'));
    await nextPickWorks();
  });
}

test('firefox: Cancel during a long check (100 MP): the panel shows, nothing is posted, the next pick works', { skip }, async () => {
  await firefox.goto(server.url('/plain.html'));
  const huge = await largeJpeg(100, inWebDriver(firefox));
  await firefox.goto(server.url('/composers/instant.html'));
  await firefox.sendKeys(await firefox.find('#photo'), huge);
  await waitFor(async () => {
    try {
      await firefox.frame(0);
      if (await firefox.execute("const c = document.getElementById('checking'); return c && !c.hidden ? true : null")) return true;
      await firefox.frame(null);
    } catch {
      await firefox.frame(null).catch(() => {});
    }
    return null;
  }, { timeoutMs: 8000, intervalMs: 50, what: 'the progress panel' });
  await firefox.click(await firefox.find('#checking-cancel'));
  await firefox.frame(null);
  await waitFor(async () => ((await html('released')) === '1' ? true : null), { what: 'the cancel' });
  await new Promise((ok) => setTimeout(ok, 500));
  assert.deepEqual(server.uploads(), [], 'a cancelled pick posts nothing');
  await nextPickWorks();
});

test('firefox: a 100 MP JPEG is checked (or released with a notice, never stuck); the next pick works', { skip }, async () => {
  await firefox.goto(server.url('/plain.html'));
  const huge = await largeJpeg(100, inWebDriver(firefox));
  const started = Date.now();
  const outcome = await pick(huge);
  console.log(`# firefox, 100 MP JPEG: ${outcome} after ${Date.now() - started} ms`);
  if (outcome === 'warning') {
    await firefox.click(await firefox.find('#cancel'));
    await firefox.frame(null);
    await waitFor(async () => ((await html('released')) === '1' ? true : null), { what: 'the cancel' });
    assert.deepEqual(server.uploads(), []);
  } else {
    await waitFor(() => (server.uploads().length === 1 ? true : null), { what: 'the original' });
    assert.equal(server.uploads()[0].sha256, sha256(readFileSync(huge)));
  }
  await nextPickWorks();
});

// Picks `path`, protects it, returns the bytes the site received.
async function protectedCopy(path) {
  assert.equal(await pick(path), 'warning');
  await firefox.click(await firefox.find('#protect'));
  await firefox.frame(null);
  await waitFor(() => (server.uploads().length === 1 ? true : null), { timeoutMs: 30000, what: 'the upload' });
  const bytes = server.uploadBytes(0);
  server.clearUploads();
  return bytes;
}

test('firefox: a 30 MP photo shown upright through EXIF orientation 6 (decoded scaled): its faces are masked where they are shown', { skip }, async () => {
  await firefox.goto(server.url('/plain.html'));
  const upright = await largeJpeg(30, inWebDriver(firefox));
  const turned = await largeJpeg(30, inWebDriver(firefox), { quarterTurn: true });
  const [a1, b1] = [await protectedCopy(upright), await protectedCopy(turned)];
  await firefox.goto(server.url('/plain.html'));
  const original = readFileSync(upright);
  const a = await maskedCellsIn(inWebDriver(firefox), original, a1);
  const b = await maskedCellsIn(inWebDriver(firefox), original, b1);
  console.log(`# firefox, 30 MP group: ${a.filter(Boolean).length} cells masked upright, ${b.filter(Boolean).length} through orientation 6, `
    + `${nearShare(a, b).toFixed(2)} / ${nearShare(b, a).toFixed(2)} of each near the other's`);
  assert.ok(a.filter(Boolean).length > 100, 'the upright photo was hardly masked');
  assert.ok(nearShare(a, b) > 0.85 && nearShare(b, a) > 0.85, 'the masks are not in the same places');
});

test('firefox: a JPEG named .png: the protected copy is the JPEG it is, under its name', { skip }, async () => {
  assert.equal(await pick(files['renamed.png']), 'warning');
  await firefox.click(await firefox.find('#protect'));
  await firefox.frame(null);
  await waitFor(() => (server.uploads().length === 1 ? true : null), { what: 'the upload' });
  assert.equal(server.uploads()[0].filename, 'renamed.png');
  assert.deepEqual([...server.uploadBytes(0).subarray(0, 3)], [0xff, 0xd8, 0xff]);
  assert.notEqual(server.uploads()[0].sha256, sha256(readFileSync(files['renamed.png'])));
  await nextPickWorks();
});

test('firefox: a JPEG with a 60 kB EXIF block and a location: the protected copy has no location', { skip }, async () => {
  assert.equal(await pick(files['big-exif.jpg']), 'warning');
  await firefox.click(await firefox.find('#protect'));
  await firefox.frame(null);
  await waitFor(() => (server.uploads().length === 1 ? true : null), { what: 'the upload' });
  const out = join(scratch.dir, 'received.jpg');
  writeFileSync(out, server.uploadBytes(0));
  const tags = JSON.parse(execFileSync('exiftool', ['-j', '-G1', '-a', '-n', out], { encoding: 'utf8' }))[0];
  assert.deepEqual(Object.keys(tags).filter((k) => /GPS/i.test(k)), []);
  await nextPickWorks();
});

