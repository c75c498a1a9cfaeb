// Videos (issue 27) in Chromium: a clip picked, dropped or opened through showOpenFilePicker is
// held like a photo; its frames are checked for faces in the guard's worker (WebCodecs, fed by
// the shipped demuxer) and its file for a location (the engine, through Blob.slice windows).
// The clips are made at test time with ffmpeg from the redistributable photos
// (lib/video.mjs); the located ones are the committed tests/fixtures/video clips.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';

import { chromiumWithExtension } from '../lib/chromium.mjs';
import { ROOT, waitFor } from '../lib/common.mjs';
import {
  FACE, NO_FACE, chooseFiles, dropFiles, guardFrame, pageWithFakePicker, sha256, warningShown,
} from '../lib/hold.mjs';
import { noticeShown } from '../lib/policy.mjs';
import { VIDEO_FIXTURES, decodesInFull, locationTags, makeClips, probe } from '../lib/video.mjs';

const require = createRequire(import.meta.url);
const SHOTS = join(ROOT, 'tests', 'e2e', 'artifacts', 'video');

let env;
let server;
let browser;
let scratch;
let clips;
let page;

before(async () => {
  env = await chromiumWithExtension('video');
  ({ server, browser, scratch } = env);
  clips = makeClips(scratch.dir);
});

after(() => env?.close());

afterEach(async () => {
  await page?.close();
  page = null;
  server.clearUploads();
});

const shaOf = (path) => sha256(readFileSync(path));

async function composer(path = '/composers/instant.html') {
  page = await browser.context.newPage();
  await page.goto(server.url(path));
  return page;
}

// Picks `files` in the instant composer; resolves to the warning's frame and the time from the
// pick to the warning on screen.
async function pickToWarning(files) {
  await composer();
  const started = Date.now();
  await chooseFiles(page, () => page.click('#photo'), files);
  const frame = await guardFrame(page);
  await frame.waitForSelector('#dialog', { state: 'visible', timeout: 60000 });
  const ms = Date.now() - started;
  await warningShown(page);
  return { frame, ms };
}

async function uploaded(n) {
  await page.waitForSelector(`html[data-upload-status="uploaded ${n}"]`, { timeout: 30000 });
  return server.uploads().map((u, i) => ({ ...u, bytes: server.uploadBytes(i) }));
}

const dialogText = (frame) => frame.evaluate(() => document.getElementById('dialog').innerText.replace(/\s+/g, ' '));
const sampled = (text) => Number(/(\d+) frames? looked at/.exec(text)?.[1] ?? NaN);

test('a face clip is held and warns: its frames with their times, faces that cannot be masked, no fix to offer', async () => {
  const { frame, ms } = await pickToWarning([clips.face]);
  assert.deepEqual(server.uploads(), [], 'nothing reached the site before the decision');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.held), '1');
  const text = await dialogText(frame);
  console.log(`# face clip (3 s, 640 x 480, H.264): pick to warning ${ms} ms, ${sampled(text)} frames sampled`);
  assert.match(text, /Faces a face-search engine could use/);
  assert.match(text, /1 face that software could match/);
  assert.match(text, /Recognisable faces on screen: 0:00–0:02 \(high risk\)/);
  assert.match(text, /Faces in videos cannot be masked yet\./);
  assert.ok(sampled(text) >= 4, `${sampled(text)} frames: one a second and the last`);
  // The frames with the most recognisable faces, each with its time.
  const times = await frame.$$eval('.video-frames figcaption', (els) => els.map((e) => e.textContent));
  assert.ok(times.length >= 1 && times.length <= 4, `${times.length} frames kept`);
  assert.ok(times.every((t) => /^0:0\d(\.\d)?$/.test(t)), times.join(' '));
  // Nothing to fix (no location, faces not maskable): the protect button is not offered.
  assert.equal(await frame.isVisible('#protect'), false);
  assert.equal(await frame.isVisible('#anyway'), true);
  // "Attach original": the very bytes.
  await frame.click('#anyway');
  const [up] = await uploaded(1);
  assert.equal(up.sha256, shaOf(clips.face));
  assert.equal(up.filename, 'face.mp4');
  assert.equal(up.contentType, 'video/mp4');
});

test('a clip without a face or a location passes with no dialog, byte for byte', async () => {
  await composer();
  await chooseFiles(page, () => page.click('#photo'), [clips.noFace]);
  const [up] = await uploaded(1);
  assert.equal(up.sha256, shaOf(clips.noFace));
  const frame = await guardFrame(page);
  assert.equal(await frame.isVisible('#dialog'), false, 'no warning');
  await noticeShown(page, /checked on this device/);
});

test('a clip whose only face is in its last second warns, with that frame', async () => {
  const { frame, ms } = await pickToWarning([clips.lateFace]);
  const text = await dialogText(frame);
  console.log(`# late-face clip (5 s): pick to warning ${ms} ms, ${sampled(text)} frames sampled`);
  assert.match(text, /Recognisable faces on screen: 0:04 \(high risk\)/);
  const times = await frame.$$eval('.video-frames figcaption', (els) => els.map((e) => e.textContent));
  // The frame at 4 s and the last (4.96 s): told apart by their tenths.
  assert.deepEqual(times, ['0:04.0', '0:04.9']);
  await frame.click('#cancel');
});

test('"Attach without location": the site gets the clip without its location, still playable, every other byte the same', async () => {
  const { frame } = await pickToWarning([clips.faceLocated]);
  const text = await dialogText(frame);
  assert.match(text, /48\.8584\d*, 2\.2945/);
  assert.match(text, /Apple iPhone 15/);
  assert.match(text, /Filmed May 1, 2024/);
  assert.match(text, /Recorded in: QuickTime location key/);
  assert.match(text, /Faces in videos cannot be masked yet\./);
  assert.equal((await frame.textContent('#protect')).trim(), 'Attach without location');
  await frame.click('#protect');
  const [up] = await uploaded(1);
  const original = readFileSync(clips.faceLocated);
  assert.equal(up.filename, 'face-located.mov');
  assert.equal(up.contentType, 'video/quicktime');
  assert.equal(up.size, original.length, 'same size: the location is removed in place');
  const out = join(scratch.dir, 'received-face-located.mov');
  writeFileSync(out, up.bytes);
  assert.deepEqual(locationTags(out), [], 'exiftool finds no location');
  assert.ok(decodesInFull(out), 'ffmpeg decodes every frame');
  let changed = 0;
  for (let i = 0; i < original.length; i++) if (original[i] !== up.bytes[i]) changed++;
  assert.ok(changed > 0 && changed < 200, `${changed} bytes changed`);
  assert.equal(probe(out).format.duration, probe(clips.faceLocated).format.duration);
});

for (const [name, what] of [['xyz.mp4', '©xyz user data'], ['loci.mp4', '3GPP location box'], ['location.webm', 'Matroska location tag']]) {
  test(`a location in ${name} (${what}) alone: the warning says where it is, and removing it leaves none`, async () => {
    const clip = join(VIDEO_FIXTURES, name);
    const { frame } = await pickToWarning([clip]);
    const text = await dialogText(frame);
    assert.match(text, /This video records where it was filmed/);
    assert.match(text, new RegExp(`Recorded in: ${what}`));
    assert.doesNotMatch(text, /face/i, 'testsrc has no face');
    await frame.click('#protect');
    const [up] = await uploaded(1);
    const out = join(scratch.dir, `received-${name}`);
    writeFileSync(out, up.bytes);
    assert.equal(up.size, readFileSync(clip).length);
    assert.deepEqual(locationTags(out), [], 'exiftool finds no location');
    assert.ok(decodesInFull(out), 'ffmpeg decodes every frame');
  });
}

test('cancel: nothing is posted and the input shows nothing new', async () => {
  const { frame } = await pickToWarning([clips.face]);
  await frame.click('#cancel');
  await page.waitForTimeout(1000);
  assert.deepEqual(server.uploads(), []);
  assert.equal(await page.evaluate(() => document.getElementById('photo').files.length), 0);
});

test('a corrupt clip fails open: passed on unchanged with the notice', async () => {
  await composer();
  await chooseFiles(page, () => page.click('#photo'), [clips.corrupt]);
  const [up] = await uploaded(1);
  assert.equal(up.sha256, shaOf(clips.corrupt));
  await noticeShown(page, /this video could not be checked/);
});

test('a clip whose frames cannot be decoded (MPEG-4 Part 2) still warns for its location; its faces are said to be unchecked', async () => {
  const { frame } = await pickToWarning([clips.undecodable]);
  const text = await dialogText(frame);
  assert.match(text, /This video records where it was filmed/);
  assert.match(text, /This video's frames cannot be decoded here, so its faces could not be checked\./);
  assert.doesNotMatch(text, /frames? looked at/);
  await frame.click('#protect');
  const [up] = await uploaded(1);
  const out = join(scratch.dir, 'received-mpeg4.mp4');
  writeFileSync(out, up.bytes);
  assert.deepEqual(locationTags(out), []);
  assert.ok(decodesInFull(out));
});

test('a photo under a video\'s name is checked as the photo it is', async () => {
  const disguised = join(scratch.dir, 'astronaut.mp4');
  writeFileSync(disguised, readFileSync(FACE));
  const { frame } = await pickToWarning([disguised]);
  assert.equal(await frame.locator('#photos > li[data-video]').count(), 0);
  assert.equal(await frame.locator('input[data-face]').count(), 1, 'its face, to mask as in any photo');
  await frame.click('#cancel');
});

test('an MPEG-TS face clip: its frames are checked, and the warning says its location could not be', async () => {
  const { frame } = await pickToWarning([clips.faceTs]);
  const text = await dialogText(frame);
  assert.match(text, /Recognisable faces on screen/);
  assert.match(text, /metadata could not be read here, so whether it records a location could not be checked/);
  await frame.click('#cancel');
});

test('a VP9 WebM face clip warns too', async () => {
  const { frame, ms } = await pickToWarning([clips.faceWebm]);
  const text = await dialogText(frame);
  console.log(`# face clip (3 s, 640 x 480, VP9 WebM): pick to warning ${ms} ms, ${sampled(text)} frames sampled`);
  assert.match(text, /Recognisable faces on screen/);
  await frame.click('#cancel');
});

test('a mixed pick (photo, video, other file) gets one warning and keeps its order', async () => {
  const note = join(scratch.dir, 'notes.pdf');
  writeFileSync(note, '%PDF-1.4\n% not a photo\n');
  const files = [NO_FACE, clips.face, note];
  const { frame } = await pickToWarning(files);
  assert.equal(await frame.locator('#photos > li').count(), 1, 'only the video is warned about');
  await frame.click('#anyway');
  const ups = await uploaded(3);
  assert.deepEqual(ups.map((u) => u.sha256), files.map(shaOf));
});

test('a dropped clip is held and warns', async () => {
  await composer('/composers/drop.html');
  await dropFiles(page, '#zone', [clips.face]);
  const frame = await warningShown(page);
  assert.match(await dialogText(frame), /Recognisable faces on screen/);
  assert.deepEqual(server.uploads(), []);
  await frame.click('#anyway');
  const [up] = await uploaded(1);
  assert.equal(up.sha256, shaOf(clips.face));
});

test('a clip from showOpenFilePicker is held and warns', async () => {
  page = await pageWithFakePicker(browser.context, server.url('/composers/fsa.html'), clips.face);
  await page.click('#add');
  const frame = await warningShown(page);
  assert.match(await dialogText(frame), /Recognisable faces on screen/);
  assert.deepEqual(server.uploads(), []);
  await frame.click('#cancel');
  await page.waitForTimeout(500);
  assert.deepEqual(server.uploads(), []);
  await waitFor(() => page.evaluate(() => document.documentElement.dataset.pickerError ?? null), { what: 'the picker cancelled' });
});

test('the video warning passes axe-core, and speaks French when asked', async () => {
  mkdirSync(SHOTS, { recursive: true });
  let { frame } = await pickToWarning([clips.faceLocated]);
  await frame.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const result = await frame.evaluate(() => globalThis.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] }));
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`), []);
  const labels = await frame.$$eval('.video-frames canvas', (els) => els.map((e) => e.getAttribute('aria-label')));
  assert.ok(labels.every((l) => /^Frame at 0:0\d(\.\d)?, faces outlined$/.test(l)), labels.join(' | '));
  await page.screenshot({ path: join(SHOTS, 'warning-en.png') });
  await frame.click('#cancel');
  await page.close();
  const worker = () => browser.context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://')) ?? null;
  const setLanguage = async (language) => (await waitFor(worker, { what: 'the service worker' }))
    .evaluate((value) => chrome.storage.sync.set({ language: value }), language);
  await setLanguage('fr');
  try {
    ({ frame } = await pickToWarning([clips.faceLocated]));
    const text = await dialogText(frame);
    assert.match(text, /Visages reconnaissables à l'écran : 0:00–0:02 \(risque élevé\)/);
    assert.match(text, /Les visages dans les vidéos ne peuvent pas encore être masqués\./);
    assert.match(text, /\d+ images examinées, sur cet appareil\./);
    assert.match(text, /Filmée le 1 mai 2024/);
    assert.match(text, /Enregistrée dans : clé de localisation QuickTime/);
    assert.equal((await frame.textContent('#protect')).trim(), 'Joindre sans la localisation');
    await page.screenshot({ path: join(SHOTS, 'warning-fr.png') });
    await frame.click('#cancel');
  } finally {
    await setLanguage('auto');
  }
});
