// The main flow in Firefox ESR: a photo picked in a composer is held, the warning opens in the
// extension frame, and the page receives exactly what was decided (masked, or the original).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, test } from 'node:test';

import { waitFor } from '../lib/common.mjs';
import { firefoxWithExtension, geckodriverSkip, intoWarning } from '../lib/firefox.mjs';
import { FACE, NO_FACE, sha256 } from '../lib/hold.mjs';

const skip = geckodriverSkip();
let env;
let server;
let firefox;

before(async () => {
  if (skip) return;
  env = await firefoxWithExtension();
  ({ server, firefox } = env);
});

after(() => env?.close());

afterEach(() => server?.clearUploads());

const status = () => firefox.execute('return document.documentElement.dataset.uploadStatus ?? null');

async function pick(path) {
  await firefox.goto(server.url('/composers/instant.html'));
  await firefox.sendKeys(await firefox.find('#photo'), path);
}

test('firefox: "post anyway" uploads the original bytes, nothing before', { skip }, async () => {
  await pick(FACE);
  await intoWarning(firefox);
  assert.match(await firefox.execute("return document.getElementById('dialog').textContent"), /1 face/);
  assert.deepEqual(server.uploads(), []);
  await firefox.click(await firefox.find('#anyway'));
  await firefox.frame(null);
  await waitFor(async () => ((await status()) === 'uploaded 1' ? true : null), { what: 'the upload' });
  assert.equal(server.uploads()[0].sha256, sha256(readFileSync(FACE)));
});

test('firefox: "protect and post" uploads a masked PNG with the same name', { skip }, async () => {
  await pick(FACE);
  await intoWarning(firefox);
  await firefox.click(await firefox.find('#protect'));
  await firefox.frame(null);
  await waitFor(async () => ((await status()) === 'uploaded 1' ? true : null), { what: 'the upload' });
  const [up] = server.uploads();
  assert.equal(up.filename, 'astronaut.png');
  assert.equal(up.contentType, 'image/png');
  assert.notEqual(up.sha256, sha256(readFileSync(FACE)));
  const bytes = server.uploadBytes(0);
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
  // Same width and height as the original (PNG IHDR).
  assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [512, 512]);
});

test('firefox: a photo without faces goes through with no warning', { skip }, async () => {
  await pick(NO_FACE);
  await waitFor(async () => ((await status()) === 'uploaded 1' ? true : null), { what: 'the upload' });
  assert.equal(server.uploads()[0].sha256, sha256(readFileSync(NO_FACE)));
});
