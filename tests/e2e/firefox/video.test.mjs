// Videos (issue 27) in Firefox ESR: the twin of specs/video.test.mjs on the input path. A clip
// is held, its frames checked for faces (WebCodecs fed by the shipped demuxer) and its file
// for a location; "Attach without location" hands the page a file the content script made from
// slices of the original and the engine's edits.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';

import { tempDir, waitFor } from '../lib/common.mjs';
import { firefoxWithExtension, geckodriverSkip, intoWarning } from '../lib/firefox.mjs';
import { sha256 } from '../lib/hold.mjs';
import { VIDEO_FIXTURES, decodesInFull, locationTags, makeClips } from '../lib/video.mjs';

const skip = geckodriverSkip();
let env;
let server;
let firefox;
let scratch;
let clips;

before(async () => {
  if (skip) return;
  scratch = tempDir('firefox-video');
  clips = makeClips(scratch.dir);
  env = await firefoxWithExtension();
  ({ server, firefox } = env);
});

after(async () => {
  await env?.close();
  scratch?.remove();
});

afterEach(() => server?.clearUploads());

const status = () => firefox.execute('return document.documentElement.dataset.uploadStatus ?? null');
const shaOf = (path) => sha256(readFileSync(path));

async function pick(path) {
  await firefox.goto(server.url('/composers/instant.html'));
  await firefox.sendKeys(await firefox.find('#photo'), path);
}

// Picks `path`; resolves to the time from the pick to the warning on screen, with the driver
// left in the guard frame once the warning takes a choice.
async function pickToWarning(path) {
  await firefox.goto(server.url('/composers/instant.html'));
  const input = await firefox.find('#photo');
  const started = Date.now();
  await firefox.sendKeys(input, path);
  await waitFor(async () => {
    try {
      await firefox.frame(0);
    } catch {
      return null;
    }
    const open = await firefox.execute("const d = document.getElementById('dialog'); const b = document.getElementById('backdrop');"
      + ' return d && b && !b.hidden && !d.hidden ? true : null');
    await firefox.frame(null);
    return open;
  }, { timeoutMs: 60000, intervalMs: 50, what: 'the warning' });
  const ms = Date.now() - started;
  await intoWarning(firefox);
  return ms;
}

const dialogText = () => firefox.execute("return document.getElementById('dialog').innerText.replace(/\\s+/g, ' ')");
const sampled = (text) => Number(/(\d+) frames? looked at/.exec(text)?.[1] ?? NaN);

async function uploaded(n) {
  await waitFor(async () => ((await status()) === `uploaded ${n}` ? true : null), { timeoutMs: 30000, what: `${n} uploads` });
  return server.uploads().map((u, i) => ({ ...u, bytes: server.uploadBytes(i) }));
}

async function choose(id) {
  await firefox.click(await firefox.find(`#${id}`));
  await firefox.frame(null);
}

test('firefox: a face clip is held and warns; "attach original" gives the very bytes', { skip }, async () => {
  const ms = await pickToWarning(clips.face);
  assert.deepEqual(server.uploads(), []);
  const text = await dialogText();
  console.log(`# firefox: face clip (3 s, 640 x 480, H.264): pick to warning ${ms} ms, ${sampled(text)} frames sampled`);
  assert.match(text, /Recognisable faces on screen: 0:00–0:02 \(high risk\)/);
  assert.match(text, /Faces in videos cannot be masked yet\./);
  assert.equal(await firefox.execute("return document.getElementById('protect').hidden"), true);
  assert.ok(await firefox.execute("return document.querySelectorAll('.video-frames figure').length") >= 1);
  await choose('anyway');
  const [up] = await uploaded(1);
  assert.equal(up.sha256, shaOf(clips.face));
});

const held = () => firefox.execute('return document.documentElement.dataset.held ?? null');

test('firefox: a clip without a face or a location is held, checked and passed with no dialog, byte for byte', { skip }, async () => {
  await pick(clips.noFace);
  const [up] = await uploaded(1);
  assert.equal(up.sha256, shaOf(clips.noFace));
  assert.equal(await held(), '1', 'held while it was checked');
});

test('firefox: a clip whose only face is in its last second warns', { skip }, async () => {
  const ms = await pickToWarning(clips.lateFace);
  const text = await dialogText();
  console.log(`# firefox: late-face clip (5 s): pick to warning ${ms} ms, ${sampled(text)} frames sampled`);
  assert.match(text, /Recognisable faces on screen: 0:04 \(high risk\)/);
  await choose('cancel');
});

test('firefox: "Attach without location" gives a clip without location that still plays, same size', { skip }, async () => {
  await pickToWarning(clips.faceLocated);
  const text = await dialogText();
  assert.match(text, /48\.8584\d*, 2\.2945/);
  assert.match(text, /Recorded in: QuickTime location key/);
  assert.equal((await firefox.execute("return document.getElementById('protect').textContent")).trim(), 'Attach without location');
  await choose('protect');
  const [up] = await uploaded(1);
  const out = join(scratch.dir, 'firefox-received.mov');
  writeFileSync(out, up.bytes);
  assert.equal(up.filename, 'face-located.mov');
  assert.equal(up.size, readFileSync(clips.faceLocated).length);
  assert.deepEqual(locationTags(out), []);
  assert.ok(decodesInFull(out));
});

test('firefox: a WebM with a location alone: removed, and the WebM still plays', { skip }, async () => {
  const clip = join(VIDEO_FIXTURES, 'location.webm');
  await pickToWarning(clip);
  assert.match(await dialogText(), /This video records where it was filmed/);
  await choose('protect');
  const [up] = await uploaded(1);
  const out = join(scratch.dir, 'firefox-received.webm');
  writeFileSync(out, up.bytes);
  assert.deepEqual(locationTags(out), []);
  assert.ok(decodesInFull(out));
});

test('firefox: a clip whose frames cannot be decoded (MPEG-4 Part 2) still warns for its location, faces unchecked', { skip }, async () => {
  await pickToWarning(clips.undecodable);
  const text = await dialogText();
  assert.match(text, /This video records where it was filmed/);
  assert.match(text, /This video's frames cannot be decoded here, so its faces could not be checked\./);
  await choose('protect');
  const [up] = await uploaded(1);
  const out = join(scratch.dir, 'firefox-received-mpeg4.mp4');
  writeFileSync(out, up.bytes);
  assert.deepEqual(locationTags(out), []);
  assert.ok(decodesInFull(out));
});

test('firefox: cancel posts nothing', { skip }, async () => {
  await pickToWarning(clips.face);
  await choose('cancel');
  await new Promise((ok) => setTimeout(ok, 1000));
  assert.deepEqual(server.uploads(), []);
});

test('firefox: a corrupt clip is held, then fails open, unchanged', { skip }, async () => {
  await pick(clips.corrupt);
  const [up] = await uploaded(1);
  assert.equal(up.sha256, shaOf(clips.corrupt));
  assert.equal(await held(), '1');
});

test('firefox: a VP9 WebM face clip warns too', { skip }, async () => {
  const ms = await pickToWarning(clips.faceWebm);
  const text = await dialogText();
  console.log(`# firefox: face clip (3 s, 640 x 480, VP9 WebM): pick to warning ${ms} ms, ${sampled(text)} frames sampled`);
  assert.match(text, /Recognisable faces on screen/);
  await choose('cancel');
});
