// The warning and its fixes, on the fixture composers: what the page receives after "Protect
// and post" has its faces masked (only the ticked ones) and no location; "remove location"
// alone keeps every pixel; the dialog passes axe-core; "don't ask again" is kept and undone.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, afterEach, before, test } from 'node:test';

import { chromiumWithExtension } from '../lib/chromium.mjs';
import { ROOT } from '../lib/common.mjs';
import { FACE, NO_FACE, PHOTOS, chooseFiles, sha256, warningShown } from '../lib/hold.mjs';

const require = createRequire(import.meta.url);
const PAIR = join(PHOTOS, 'pair.png'); // astronaut (left half) and camera man (right half)

let server;
let env;
let browser;
let page;
let scratch;
let FACE_GPS; // JPEG of the astronaut with GPS, device and time
let PLACE_GPS; // JPEG without faces, with GPS
let ROTATED; // the astronaut stored turned a quarter, upright only through EXIF Orientation 6

// exiftool's view of a file: every tag, grouped, numbers as numbers.
function exif(path) {
  return JSON.parse(execFileSync('exiftool', ['-j', '-G1', '-a', '-n', path], { encoding: 'utf8' }))[0];
}
const locationTags = (tags) => Object.keys(tags).filter((k) => /GPS|City|Country|Location|Sub-location|Province/i.test(k));

// A JPEG made by Chromium from a PNG, then tagged with exiftool. With `quarterTurn`, the pixels
// are stored turned 90 degrees anticlockwise, to be shown upright through Orientation 6.
async function taggedJpeg(png, name, { quarterTurn = false } = {}) {
  const p = await browser.context.newPage();
  await p.goto(server.url('/plain.html'));
  const b64 = await p.evaluate(async ([data, turn]) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes]));
    const canvas = turn ? new OffscreenCanvas(bitmap.height, bitmap.width) : new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    if (turn) {
      ctx.translate(0, bitmap.width);
      ctx.rotate(-Math.PI / 2);
    }
    ctx.drawImage(bitmap, 0, 0);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    const out = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < out.length; i += 0x8000) s += String.fromCharCode(...out.subarray(i, i + 0x8000));
    return btoa(s);
  }, [readFileSync(png).toString('base64'), quarterTurn]);
  await p.close();
  const path = join(scratch.dir, name);
  writeFileSync(path, Buffer.from(b64, 'base64'));
  execFileSync('exiftool', ['-q', '-overwrite_original',
    '-GPSLatitude=48.8584', '-GPSLatitudeRef=N', '-GPSLongitude=2.2945', '-GPSLongitudeRef=E',
    '-XMP:City=Paris', '-IPTC:City=Paris', '-Make=Fixture', '-Model=Camera 1',
    '-DateTimeOriginal=2026:05:01 10:00:00', ...(quarterTurn ? ['-Orientation#=6'] : []), path]);
  return path;
}

before(async () => {
  env = await chromiumWithExtension('warning-files');
  ({ server, browser, scratch } = env);
  FACE_GPS = await taggedJpeg(FACE, 'portrait.jpg');
  PLACE_GPS = await taggedJpeg(NO_FACE, 'cafe.jpg');
  ROTATED = await taggedJpeg(FACE, 'rotated.jpg', { quarterTurn: true });
});

after(() => env?.close());

afterEach(async () => {
  await page?.close();
  page = null;
  server.clearUploads();
});

async function pick(files) {
  page = await browser.context.newPage();
  await page.goto(server.url('/composers/instant.html'));
  await chooseFiles(page, () => page.click('#photo'), files);
  return warningShown(page);
}

async function uploaded(n) {
  await page.waitForSelector(`html[data-upload-status="uploaded ${n}"]`, { timeout: 20000 });
  return server.uploads().map((u, i) => ({ ...u, bytes: server.uploadBytes(i) }));
}

// Decodes both images in the page and describes where their pixels differ.
async function compare(original, changed) {
  return page.evaluate(async ([a, b]) => {
    const pixels = async (data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes]), { imageOrientation: 'from-image' });
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    };
    const [x, y] = [await pixels(a), await pixels(b)];
    if (x.width !== y.width || x.height !== y.height) return { sameSize: false };
    let changed = 0;
    let minX = Infinity; let minY = Infinity; let maxX = -1; let maxY = -1;
    const halves = [0, 0];
    for (let i = 0; i < x.data.length; i += 4) {
      const d = Math.abs(x.data[i] - y.data[i]) + Math.abs(x.data[i + 1] - y.data[i + 1]) + Math.abs(x.data[i + 2] - y.data[i + 2]);
      if (d > 24) {
        const p = i / 4;
        const px = p % x.width;
        const py = Math.floor(p / x.width);
        changed++;
        halves[px < x.width / 2 ? 0 : 1]++;
        minX = Math.min(minX, px); maxX = Math.max(maxX, px); minY = Math.min(minY, py); maxY = Math.max(maxY, py);
      }
    }
    // Re-encoding a JPEG changes pixels a little everywhere: masking changes whole 16 px blocks a lot.
    const B = 16;
    let bx0 = Infinity; let by0 = Infinity; let bx1 = -1; let by1 = -1;
    for (let by = 0; by + B <= x.height; by += B) {
      for (let bx = 0; bx + B <= x.width; bx += B) {
        let sum = 0;
        for (let yy = by; yy < by + B; yy++) {
          for (let xx = bx; xx < bx + B; xx++) {
            const i = (yy * x.width + xx) * 4;
            sum += Math.abs(x.data[i] - y.data[i]) + Math.abs(x.data[i + 1] - y.data[i + 1]) + Math.abs(x.data[i + 2] - y.data[i + 2]);
          }
        }
        if (sum / (B * B * 3) > 12) {
          bx0 = Math.min(bx0, bx); by0 = Math.min(by0, by); bx1 = Math.max(bx1, bx + B); by1 = Math.max(by1, by + B);
        }
      }
    }
    return {
      sameSize: true, width: x.width, height: x.height, changed, halves,
      box: [minX, minY, maxX - minX + 1, maxY - minY + 1],
      maskedBlocks: [bx0, by0, bx1 - bx0, by1 - by0],
    };
  }, [original.toString('base64'), changed.toString('base64')]);
}

test('"Protect and post" masks the face: same name, type and size, pixels changed only around the face', async () => {
  const frame = await pick([FACE]);
  await frame.click('#protect');
  const [up] = await uploaded(1);
  assert.equal(up.filename, 'astronaut.png');
  assert.equal(up.contentType, 'image/png');
  assert.notEqual(up.sha256, sha256(readFileSync(FACE)));
  const diff = await compare(readFileSync(FACE), up.bytes);
  assert.equal(diff.sameSize, true);
  const [, , w, h] = diff.box;
  assert.ok(diff.changed > 5000, `only ${diff.changed} pixels changed`);
  assert.ok(w * h < 0.35 * diff.width * diff.height, `changes spread over ${w}x${h}`);
  // The astronaut's face is in the upper middle of the photo.
  assert.ok(diff.box[1] < diff.height / 2, `masked area starts at y=${diff.box[1]}`);
});

test('EXIF orientation: the mask lands on the face as displayed', async () => {
  const frame = await pick([ROTATED]);
  assert.equal(await frame.locator('input[data-face]').count(), 1, 'the upright face is found');
  await frame.click('#protect');
  const [up] = await uploaded(1);
  // Compared as displayed (orientation applied to the original; the new file is stored upright).
  const diff = await compare(readFileSync(ROTATED), up.bytes);
  assert.equal(diff.sameSize, true, 'same displayed size');
  assert.ok(diff.changed > 5000);
  const [, top, w, h] = diff.maskedBlocks;
  assert.ok(top < diff.height / 2 && w * h < 0.35 * diff.width * diff.height,
    `masked area ${diff.maskedBlocks} is not the upright face`);
});

test('unticking a face masks only the other one', async () => {
  const frame = await pick([PAIR]);
  assert.equal(await frame.locator('input[data-face]').count(), 2);
  await frame.uncheck('input[data-face="1"]');
  await frame.click('#protect');
  const [up] = await uploaded(1);
  const diff = await compare(readFileSync(PAIR), up.bytes);
  assert.equal(diff.sameSize, true);
  const [left, right] = diff.halves;
  assert.ok((left > 2000) !== (right > 2000), `one half must change, not ${left} / ${right}`);
  assert.ok(Math.min(left, right) === 0, `the unticked face was touched: ${left} / ${right}`);
});

test('a JPEG with a face and GPS: the warning lists location and device; the protected file has neither location nor a face', async () => {
  const frame = await pick([FACE_GPS]);
  const text = await frame.textContent('#dialog');
  assert.match(text, /48\.8584\d*, 2\.2945/);
  assert.match(text, /Fixture Camera 1/);
  assert.match(text, /May 1, 2026/, 'the capture time, as people write it');
  assert.doesNotMatch(text, /2026:05:01/);
  await frame.click('#protect');
  const [up] = await uploaded(1);
  assert.equal(up.contentType, 'image/jpeg');
  const out = join(scratch.dir, 'uploaded-protected.jpg');
  writeFileSync(out, up.bytes);
  assert.deepEqual(locationTags(exif(out)), []);
  assert.deepEqual(locationTags(exif(FACE_GPS)).length > 0, true, 'the fixture has location tags');
  const diff = await compare(readFileSync(FACE_GPS), up.bytes);
  assert.ok(diff.changed > 5000);
});

test('a photo with only a location: "remove location" keeps every pixel and the device', async () => {
  const frame = await pick([PLACE_GPS]);
  assert.match(await frame.textContent('#dialog-title'), /records where it was taken/);
  assert.equal(await frame.isChecked('input[data-strip]'), true);
  await frame.click('#protect');
  const [up] = await uploaded(1);
  const out = join(scratch.dir, 'uploaded-stripped.jpg');
  writeFileSync(out, up.bytes);
  const tags = exif(out);
  assert.deepEqual(locationTags(tags), []);
  assert.equal(tags['IFD0:Make'], 'Fixture');
  const diff = await compare(readFileSync(PLACE_GPS), up.bytes);
  assert.equal(diff.changed, 0);
});

// The classroom sample of one face at four sizes (extension/samples/sizes.jpg, public domain),
// its contrast halved: the smallest face then scores between the detection threshold (0.5) and
// the warning threshold (0.8). Returns the PNG's path and its pixels as the engine sees them.
async function lowContrastSizes() {
  const p = await browser.context.newPage();
  await p.goto(server.url('/plain.html'));
  const { png, rgba, width, height } = await p.evaluate(async (data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes]));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.filter = 'contrast(50%)';
    ctx.drawImage(bitmap, 0, 0);
    const b64 = (u8) => {
      let s = '';
      for (let i = 0; i < u8.length; i += 32768) s += String.fromCharCode(...u8.subarray(i, i + 32768));
      return btoa(s);
    };
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    // The pixels as the PNG stores them (what the guard decodes).
    const back = await createImageBitmap(blob);
    const check = new OffscreenCanvas(back.width, back.height).getContext('2d');
    check.drawImage(back, 0, 0);
    return {
      png: b64(new Uint8Array(await blob.arrayBuffer())),
      rgba: b64(check.getImageData(0, 0, back.width, back.height).data),
      width: back.width,
      height: back.height,
    };
  }, readFileSync(join(ROOT, 'extension', 'samples', 'sizes.jpg')).toString('base64'));
  await p.close();
  const path = join(scratch.dir, 'sizes-low-contrast.png');
  writeFileSync(path, Buffer.from(png, 'base64'));
  return { path, rgba: Buffer.from(rgba, 'base64'), width, height };
}

test('a face between the detection and warning thresholds: the warning counts and ticks exactly as the engine decides', async () => {
  const { path, rgba, width, height } = await lowContrastSizes();
  // The engine's own verdict on the same pixels, computed here in Node.
  const engine = await import(pathToFileURL(join(ROOT, 'extension', 'wasm', 'before_you_post.js')).href);
  engine.initSync({ module: readFileSync(join(ROOT, 'extension', 'wasm', 'before_you_post_bg.wasm')) });
  const analysis = engine.analyzeRgba(rgba, width, height, {});
  const weak = analysis.faces.findIndex((f) => f.score >= 0.5 && f.score < 0.8);
  assert.ok(weak >= 0, `no face between the thresholds: ${analysis.faces.map((f) => f.score.toFixed(3))}`);
  assert.equal(analysis.verdict.faces[weak].counts, false);
  assert.equal(analysis.verdict.faces[weak].ticked, false);

  const frame = await pick([path]);
  // The title's count is the engine's count, not the number of faces listed.
  assert.match(await frame.textContent('#dialog-summary'), new RegExp(`shows ${analysis.verdict.counted_faces} face`));
  const boxes = await frame.$$eval('input[data-face]', (els) => els.map((e) => e.checked));
  assert.deepEqual(boxes, analysis.verdict.faces.map((f) => f.ticked));
  assert.equal(boxes.length, analysis.faces.length);
  // "Protect" masks the ticked faces only: the weak face's pixels come out unchanged (PNG:
  // lossless), each ticked face's do not.
  await frame.click('#protect');
  const [up] = await uploaded(1);
  const changed = await changedPerBox(readFileSync(path), up.bytes, analysis.faces.map((f) => f.bbox));
  changed.forEach((n, i) => {
    if (i === weak) assert.equal(n, 0, 'the unticked face was masked');
    else assert.ok(n > 0, `ticked face ${i + 1} was not masked`);
  });
});

// How many pixels differ between two same-size images inside each [x, y, w, h] box.
async function changedPerBox(original, changed, boxes) {
  return page.evaluate(async ([a, b, rects]) => {
    const pixels = async (data) => {
      const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))]));
      const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    };
    const [p, q] = [await pixels(a), await pixels(b)];
    return rects.map(([x, y, w, h]) => {
      let n = 0;
      for (let yy = Math.max(0, Math.floor(y)); yy < Math.min(p.height, Math.ceil(y + h)); yy++) {
        for (let xx = Math.max(0, Math.floor(x)); xx < Math.min(p.width, Math.ceil(x + w)); xx++) {
          const i = (yy * p.width + xx) * 4;
          if (p.data[i] !== q.data[i] || p.data[i + 1] !== q.data[i + 1] || p.data[i + 2] !== q.data[i + 2]) n++;
        }
      }
      return n;
    });
  }, [original.toString('base64'), changed.toString('base64'), boxes]);
}

// A HEIC with GPS (tests/fixtures/meta/tagged.heic, made by make_heif.py, public domain: see
// LICENSES.md there). Chromium cannot decode HEIC pixels, so faces cannot be looked for, but
// the location still warns and can still be removed.
const HEIC_GPS = join(ROOT, 'tests', 'fixtures', 'meta', 'tagged.heic');

test('a HEIC with a location in Chromium: location-only warning, faces not checked, "remove location" leaves no location', async () => {
  assert.ok(locationTags(exif(HEIC_GPS)).length > 0, 'the fixture has a location');
  const frame = await pick([HEIC_GPS]);
  assert.match(await frame.textContent('#dialog-title'), /records where it was taken/);
  assert.match(await frame.textContent('#photos'), /faces could not be checked/);
  assert.match(await frame.textContent('#photos'), /48\.858/);
  assert.equal(await frame.isChecked('input[data-strip]'), true);
  await frame.click('#protect');
  const [up] = await uploaded(1);
  assert.equal(up.filename, 'tagged.heic');
  const out = join(scratch.dir, 'uploaded-stripped.heic');
  writeFileSync(out, up.bytes);
  const tags = exif(out);
  assert.equal(tags['File:FileType'], 'HEIC');
  assert.deepEqual(locationTags(tags), []);
  assert.notEqual(up.sha256, sha256(readFileSync(HEIC_GPS)));
});

test('"post anyway" keeps the location: the original bytes', async () => {
  const frame = await pick([PLACE_GPS]);
  await frame.click('#anyway');
  const [up] = await uploaded(1);
  assert.equal(up.sha256, sha256(readFileSync(PLACE_GPS)));
});

test('several photos: one dialog, per-photo choices, one confirm', async () => {
  const frame = await pick([FACE, NO_FACE, PLACE_GPS]);
  assert.equal(await frame.locator('#photos > li').count(), 2);
  await frame.uncheck('input[data-strip]'); // keep the café's location, mask the face
  await frame.click('#protect');
  const ups = await uploaded(3);
  assert.notEqual(ups[0].sha256, sha256(readFileSync(FACE)));
  assert.equal(ups[1].sha256, sha256(readFileSync(NO_FACE)));
  assert.equal(ups[2].sha256, sha256(readFileSync(PLACE_GPS)));
});

test('the warning passes axe-core with no violations, and is keyboard-only usable', async () => {
  const frame = await pick([FACE_GPS]);
  await frame.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const result = await frame.evaluate(() => globalThis.axe.run(document, {
    runOnly: ['wcag2a', 'wcag2aa', 'best-practice'],
  }));
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`), []);
  assert.equal(await frame.getAttribute('#dialog', 'role'), 'alertdialog');
  // Tab cycles inside the dialog; Space on "Post anyway" posts the original.
  await frame.waitForFunction(() => document.activeElement?.id === 'protect');
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    const inside = await frame.evaluate(() => document.getElementById('dialog').contains(document.activeElement));
    assert.equal(inside, true, 'focus left the dialog');
  }
  await frame.focus('#anyway');
  await page.keyboard.press('Space');
  const [up] = await uploaded(1);
  assert.equal(up.sha256, sha256(readFileSync(FACE_GPS)));
});

test('"don\'t ask again on this site" lets later photos through, until undone in the popup', async () => {
  let frame = await pick([FACE]);
  await frame.check('#quiet');
  await frame.click('#anyway');
  await uploaded(1);
  await page.close();
  server.clearUploads();

  page = await browser.context.newPage();
  await page.goto(server.url('/composers/instant.html'));
  await chooseFiles(page, () => page.click('#photo'), [FACE]);
  await uploaded(1);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.held ?? null), null);

  const popup = await browser.context.newPage();
  await popup.goto(`chrome-extension://${browser.extensionId}/pages/popup.html?url=${encodeURIComponent(server.url('/'))}`);
  await popup.waitForSelector('#site[data-state="quiet"]');
  await popup.click('#site-toggle');
  await popup.waitForSelector('#site[data-state="listed"]');
  await popup.close();
  await page.close();
  server.clearUploads();

  frame = await pick([FACE]);
  await frame.click('#cancel');
});
