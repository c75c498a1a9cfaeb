// The run command's main job: the classroom demo, served on 127.0.0.1 exactly as .ci/demo
// serves it (in a browser without the extension, as in a classroom) and as an extension page.
// Samples show the right faces, the scraper panel shows aligned 112 x 112 crops and the file's
// location on an offline drawing, the mock composer holds the photo with the extension's own
// warning and each fix gives the site what was decided, both languages are complete, projector
// mode shows one step at a time, axe-core finds nothing, and nothing leaves the machine.
// A screenshot of each step goes to tests/e2e/artifacts/demo/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { ROOT } from '../../../.ci/assemble.mjs';
import { CHROMIUM, CHROMIUM_FLAGS, launchChromium } from '../lib/chromium.mjs';
import { testBuild } from '../lib/common.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = join(ROOT, 'tests/e2e/artifacts/demo');
const MESSAGES = {
  en: JSON.parse(readFileSync(join(ROOT, 'extension/_locales/en/messages.json'), 'utf8')),
  fr: JSON.parse(readFileSync(join(ROOT, 'extension/_locales/fr/messages.json'), 'utf8')),
};
const SAMPLE_GPS = '48.86160, 2.28870';

let build;
let extension; // Chromium with the extension, for the demo as an extension page
let plain; // Chromium without it, for the served demo
let serve;
let demoUrl;
const offDevice = [];

function watchRequests(context) {
  context.on('request', (req) => {
    const url = new URL(req.url());
    if (url.hostname !== '127.0.0.1' && !['chrome-extension:', 'blob:', 'data:'].includes(url.protocol)) offDevice.push(req.url());
  });
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  build = testBuild('chromium');
  serve = spawn(process.execPath, [join(ROOT, '.ci/serve.mjs'), build.dir, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(serve.stdout, 'data');
  demoUrl = String(line).match(/http:\/\/127\.0\.0\.1:\d+\/pages\/demo\.html/)[0];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
  });
  plain = { browser, context: await browser.newContext({ viewport: { width: 1280, height: 900 } }) };
  watchRequests(plain.context);
  extension = await launchChromium(build.dir);
  watchRequests(extension.context);
});

after(async () => {
  await plain?.browser.close();
  await extension?.close();
  serve?.kill();
  build?.remove();
});

async function openDemo(query = '', context = plain.context, url = demoUrl) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(`${url}${query}`);
  await page.waitForFunction(() => document.getElementById('pick-title').textContent.length > 0);
  return page;
}

async function analyseSample(page, sample) {
  await page.evaluate(() => { delete document.getElementById('result').dataset.faces; });
  await page.click(`[data-sample="${sample}"]`);
  await page.waitForSelector('#result[data-faces]', { state: 'attached', timeout: 30000 });
  return {
    faces: Number(await page.getAttribute('#result', 'data-faces')),
    verdict: await page.textContent('#verdict'),
    items: await page.$$eval('#faces li', (lis) => lis.map((li) => li.textContent)),
    eyes: await page.$$eval('#crops li', (lis) => lis.map((li) => Number(li.dataset.eyes))),
  };
}

const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

// The guard frame of the mock composer, once its dialog is up.
async function warning(page) {
  const handle = await page.waitForSelector('#guard-host iframe', { state: 'attached' });
  const frame = await handle.contentFrame();
  await frame.waitForSelector('#dialog', { state: 'visible', timeout: 30000 });
  await frame.waitForSelector('body[data-accepting]', { state: 'attached', timeout: 10000 });
  return frame;
}

async function attachChosen(page) {
  await page.evaluate(() => { delete document.getElementById('composer').dataset.state; });
  await page.click('#post-current');
  await page.waitForSelector('#composer[data-state="held"]', { state: 'attached' });
}

async function received(page) {
  await page.waitForSelector('#composer[data-state="received"], #composer[data-state="cancelled"]', { state: 'attached' });
  return page.$$eval('#attachments .received', (spans) => spans.map((s) => s.textContent));
}

// Compares the last attached photo with the sample it came from, in the page: same bytes?
// Does it still carry an EXIF block? Mean pixel difference inside and outside a box.
function compareWithSample(page, sample, box) {
  return page.evaluate(async ({ sample, box }) => {
    const imgs = document.querySelectorAll('#attachments img');
    const got = await (await fetch(imgs[imgs.length - 1].src)).blob();
    const original = await (await fetch(`../samples/${sample}`)).blob();
    const [a, b] = await Promise.all([got.arrayBuffer(), original.arrayBuffer()]).then((bufs) => bufs.map((x) => new Uint8Array(x)));
    const pixels = async (blob) => {
      const bitmap = await createImageBitmap(blob);
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    };
    const [pa, pb] = await Promise.all([pixels(got), pixels(original)]);
    const meanDiff = (inside) => {
      let sum = 0;
      let n = 0;
      for (let y = 0; y < pa.height; y++) {
        for (let x = 0; x < pa.width; x++) {
          const inBox = x >= box[0] && x < box[0] + box[2] && y >= box[1] && y < box[1] + box[3];
          if (inBox !== inside) continue;
          const i = (y * pa.width + x) * 4;
          sum += Math.abs(pa.data[i] - pb.data[i]) + Math.abs(pa.data[i + 1] - pb.data[i + 1]) + Math.abs(pa.data[i + 2] - pb.data[i + 2]);
          n += 3;
        }
      }
      return sum / n;
    };
    const hasExif = (bytes) => new TextDecoder('latin1').decode(bytes.subarray(0, 65536)).includes('Exif\0\0');
    return {
      identical: a.length === b.length && a.every((v, i) => v === b[i]),
      exif: hasExif(a),
      sameSize: pa.width === pb.width && pa.height === pb.height,
      inside: meanDiff(true),
      outside: meanDiff(false),
    };
  }, { sample, box });
}

test('served demo: group, sizes, no-face and location samples, with the scraper panel', async () => {
  const page = await openDemo();
  await shot(page, 'en-1-choose');

  const group = await analyseSample(page, 'group.jpg');
  assert.equal(group.faces, 3);
  assert.match(group.verdict, /would warn/);
  assert.equal(group.eyes.length, 3, 'one aligned crop per face');
  // Each crop is a 112 x 112 picture of a face, not an empty canvas.
  const crops = await page.$$eval('#crops canvas', (canvases) => canvases.map((c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < data.length; i += 4) { sum += data[i + 1]; sq += data[i + 1] ** 2; }
    const n = data.length / 4;
    return { w: c.width, h: c.height, label: c.getAttribute('aria-label'), spread: Math.sqrt(sq / n - (sum / n) ** 2) };
  }));
  for (const crop of crops) {
    assert.deepEqual([crop.w, crop.h], [112, 112]);
    assert.ok(crop.spread > 20, `crop looks blank: ${JSON.stringify(crop)}`);
    assert.match(crop.label, /112 × 112/);
  }
  assert.ok(await page.isVisible('#scale-source'));
  await page.locator('#result').screenshot({ path: join(SHOTS, 'en-2-found.png') });
  await page.locator('#scraper').screenshot({ path: join(SHOTS, 'en-3-scraper.png') });

  // One face at four sizes: each copy half the one before, graded from very high to low.
  const sizes = await analyseSample(page, 'sizes.jpg');
  assert.equal(sizes.faces, 4);
  const eyes = [...sizes.eyes].sort((a, b) => b - a);
  assert.ok(eyes[0] >= 70 && eyes[3] < 15, `eye distances ${eyes}`);
  for (let i = 1; i < 4; i++) assert.ok(eyes[i] < eyes[i - 1] * 0.7, `eye distances ${eyes} do not halve`);
  const grades = sizes.items.join(' ');
  assert.match(grades, /very high risk/);
  assert.match(grades, /low risk/);
  assert.match(await page.textContent('#crops'), /too small/);

  const coffee = await analyseSample(page, 'coffee.jpg');
  assert.equal(coffee.faces, 0);
  assert.match(coffee.verdict, /without a warning/);
  assert.ok(await page.isVisible('#no-crops'));
  assert.ok(await page.isVisible('#meta-none'));
  assert.ok(await page.isHidden('#map-figure'));

  // The location, device and time in the file, and a dot on the offline drawing at 48.9 N 2.3 E.
  const gps = await analyseSample(page, 'camera-gps.jpg');
  assert.equal(gps.faces, 1);
  const meta = await page.textContent('#meta');
  for (const part of [SAMPLE_GPS, 'ExamplePhone Model 12', 'June 21, 2024', '57 m']) assert.ok(meta.includes(part), `${part} not in ${meta}`);
  assert.ok(await page.isVisible('#map'));
  const [dot, sea] = await page.$eval('#map', (c) => {
    const ctx = c.getContext('2d');
    const x = Math.round(((2.2887 + 180) / 360) * c.width);
    const y = Math.round(((90 - 48.8616) / 180) * c.height);
    return [[...ctx.getImageData(x, y, 1, 1).data], [...ctx.getImageData(Math.round(c.width * 0.4), Math.round(c.height * 0.6), 1, 1).data]];
  });
  assert.ok(dot[0] > 150 && dot[1] < 60 && dot[2] < 80, `no red dot at the location: ${dot}`);
  assert.ok(sea[2] > sea[0], `mid-Atlantic is not sea-coloured: ${sea}`);
  assert.match(await page.getAttribute('#map', 'aria-label'), /48\.86160/);
  await page.locator('#scraper').screenshot({ path: join(SHOTS, 'en-3-scraper-location.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('served demo: the mock composer holds the photo with the real warning, and each choice reaches the feed', async () => {
  // The served page's CSP forbids fetch() of blob: URLs, which the test needs to read back what
  // the mock site received; the demo itself never fetches them.
  const context = await plain.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  watchRequests(context);
  const page = await openDemo('', context);
  await analyseSample(page, 'camera-gps.jpg');

  // Protect: faces masked, the location gone with all the metadata.
  await attachChosen(page);
  let frame = await warning(page);
  assert.equal(await frame.getAttribute('#dialog', 'role'), 'alertdialog');
  assert.ok(await frame.isHidden('#quiet-row'), '"don\'t ask again" means nothing in the demo');
  assert.equal(await page.$$eval('#attachments li', (l) => l.length), 0, 'the site got something before the decision');
  await page.screenshot({ path: join(SHOTS, 'en-4-warning.png') });
  await frame.click('#protect');
  assert.deepEqual(await received(page), ['faces masked · no location in the file']);
  const masked = await compareWithSample(page, 'camera-gps.jpg', [195, 114, 61, 81]);
  assert.equal(masked.identical, false);
  assert.equal(masked.exif, false, 'the masked file still has an EXIF block');
  assert.ok(masked.sameSize);
  assert.ok(masked.inside > 25, `face not masked: ${JSON.stringify(masked)}`);
  assert.ok(masked.outside < 6, `pixels outside the face changed: ${JSON.stringify(masked)}`);
  await page.fill('#post-text', 'Holiday!');
  await page.click('#post-send');
  assert.equal(await page.textContent('#feed > li p'), 'Holiday!');
  assert.equal(await page.$$eval('#feed > li img', (l) => l.length), 1);

  // Post anyway: the very bytes of the original, location included.
  await attachChosen(page);
  frame = await warning(page);
  await frame.click('#anyway');
  assert.deepEqual(await received(page), [`original photo · location in the file: ${SAMPLE_GPS}`]);
  const original = await compareWithSample(page, 'camera-gps.jpg', [195, 114, 61, 81]);
  assert.equal(original.identical, true);
  await page.click('#post-send');

  // Cancel: the site gets nothing.
  await attachChosen(page);
  frame = await warning(page);
  await frame.click('#cancel');
  await received(page);
  assert.equal(await page.getAttribute('#composer', 'data-state'), 'cancelled');
  assert.equal(await page.$$eval('#attachments li', (l) => l.length), 0);

  // Location only: the face unticked, the pixels kept, the location removed.
  await attachChosen(page);
  frame = await warning(page);
  await frame.uncheck('input[data-face="0"]');
  assert.ok(await frame.isChecked('input[data-strip]'));
  await frame.click('#protect');
  assert.deepEqual(await received(page), ['location removed · no location in the file']);
  const stripped = await compareWithSample(page, 'camera-gps.jpg', [195, 114, 61, 81]);
  assert.equal(stripped.identical, false);
  assert.equal(stripped.inside, 0);
  assert.equal(stripped.outside, 0);
  await page.click('#post-send');
  assert.equal(await page.$$eval('#feed > li', (l) => l.length), 3);
  await shot(page, 'en-4-feed');

  // A photo without faces or location goes straight through, as on a real site.
  await analyseSample(page, 'coffee.jpg');
  await attachChosen(page);
  assert.deepEqual(await received(page), ['original photo · no location in the file']);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('served demo in French: every string present, the warning in French too', async () => {
  const page = await openDemo('?lang=fr');
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  assert.equal(await page.textContent('h1'), MESSAGES.fr.demoTitle.message);
  const missing = await page.$$eval('[data-i18n]', (els) => els
    .filter((e) => !e.textContent.trim() || e.textContent === e.dataset.i18n)
    .map((e) => e.dataset.i18n));
  assert.deepEqual(missing, []);
  const group = await analyseSample(page, 'group.jpg');
  assert.equal(group.faces, 3);
  assert.match(group.verdict, /avertissement avant la publication/);
  assert.match(group.items.join(' '), /risque/);
  assert.match(await page.textContent('#crops'), /entre les yeux/);
  await shot(page, 'fr-2-3-found-scraper');
  await attachChosen(page);
  const frame = await warning(page);
  assert.equal(await frame.getAttribute('html', 'lang'), 'fr');
  assert.equal(await frame.textContent('#protect'), MESSAGES.fr.actionProtect.message);
  assert.equal(await frame.getAttribute('#learn-more', 'href').then((h) => new URL(h).search), '?lang=fr');
  await page.screenshot({ path: join(SHOTS, 'fr-4-warning.png') });
  await frame.click('#cancel');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('projector mode: large type, one step at a time, keyboard and buttons', async () => {
  const page = await openDemo('?projector=1');
  const visibleSteps = () => page.$$eval('section.step', (s) => s.filter((x) => !x.hidden).map((x) => x.id));
  assert.ok(await page.evaluate(() => document.documentElement.classList.contains('projector')));
  assert.equal(await page.getAttribute('#projector', 'aria-pressed'), 'true');
  assert.ok(await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize)) >= 24);
  assert.deepEqual(await visibleSteps(), ['step-pick']);
  assert.ok(await page.isDisabled('#step-next'), 'steps 2 and 3 need a photo');
  await shot(page, 'projector-1');
  await page.click('[data-sample="group.jpg"]');
  await page.waitForSelector('#result:not([hidden])');
  assert.deepEqual(await visibleSteps(), ['result']);
  assert.equal(await page.textContent('#step-count'), 'Step 2 of 4');
  await shot(page, 'projector-2');
  await page.click('#step-next');
  assert.deepEqual(await visibleSteps(), ['scraper']);
  await shot(page, 'projector-3');
  await page.keyboard.press('ArrowRight');
  assert.deepEqual(await visibleSteps(), ['compose']);
  assert.ok(await page.isDisabled('#step-next'));
  await shot(page, 'projector-4');
  await page.keyboard.press('ArrowLeft');
  assert.deepEqual(await visibleSteps(), ['scraper']);
  // The language links keep projector mode; leaving it shows every step again.
  assert.match(await page.getAttribute('a[hreflang="fr"]', 'href'), /projector=1/);
  await page.click('#projector');
  assert.deepEqual(await visibleSteps(), ['step-pick', 'result', 'scraper', 'compose']);
  assert.ok(await page.isHidden('#stepper'));
  assert.deepEqual(page.errors, []);
  await page.close();
});

async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => globalThis.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] }));
  assert.ok(result.passes.length > 15, `axe-core checked only ${result.passes.length} rules`);
  return result.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

test('axe-core finds no violation: English, French in dark mode, projector mode, the filled feed', async () => {
  for (const [query, scheme] of [['', 'light'], ['?lang=fr', 'dark'], ['?projector=1', 'light']]) {
    const page = await plain.context.newPage({ colorScheme: scheme });
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${demoUrl}${query}`);
    await analyseSample(page, 'camera-gps.jpg');
    if (!query) {
      await attachChosen(page);
      await (await warning(page)).click('#anyway');
      await received(page);
      await page.click('#post-send');
    }
    assert.deepEqual(await axeViolations(page), [], `axe-core violations in ${query || 'English'} (${scheme})`);
    await page.close();
  }
});

test('the same demo runs as an extension page with the network off, mock composer included', async () => {
  await extension.context.setOffline(true);
  const page = await openDemo('', extension.context, `chrome-extension://${extension.extensionId}/pages/demo.html`);
  const astronaut = await analyseSample(page, 'astronaut.jpg');
  assert.equal(astronaut.faces, 1);
  await attachChosen(page);
  const frame = await warning(page);
  assert.match(frame.url(), /^chrome-extension:\/\/[a-p]{32}\/pages\/guard\.html/);
  await frame.click('#protect');
  assert.deepEqual(await received(page), ['faces masked · no location in the file']);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(offDevice, [], 'the demo made requests off this machine');
  await page.close();
  await extension.context.setOffline(false);
});

test('steps are numbered as shown; the file chooser speaks the page language; projector mode fits 1024 x 768', async () => {
  const page = await openDemo('?lang=fr');
  const numbers = () => page.$$eval('.step:not([hidden]) h2', (hs) => hs.map((h) => getComputedStyle(h, '::before').content));
  assert.deepEqual(await numbers(), ['"1. "', '"2. "'], 'before a photo: choose, then post');
  // The browser's own "Choose File" is hidden from the eye; the page's button says it in French.
  assert.equal((await page.textContent('#drop .pick-button')).trim(), MESSAGES.fr.demoChooseFile.message);
  assert.ok(await page.$eval('#file', (i) => i.getBoundingClientRect().width <= 1));
  await analyseSample(page, 'group.jpg');
  assert.deepEqual(await numbers(), ['"1. "', '"2. "', '"3. "', '"4. "']);
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.click('#projector');
  const header = await page.$eval('header', (h) => h.getBoundingClientRect().height);
  assert.ok(header <= 64, `the projector header is ${header} px tall`);
  // Every step fits whole, with no scrolling.
  const goTo = (i) => page.evaluate((n) => {
    for (let k = 0; k < 4; k++) document.getElementById('step-prev').click();
    for (let k = 0; k < n; k++) document.getElementById('step-next').click();
  }, i);
  for (const [index, id] of [[0, 'step-pick'], [1, 'result'], [2, 'scraper'], [3, 'compose']]) {
    await goTo(index);
    const bottom = await page.$eval(`#${id}`, (s) => s.getBoundingClientRect().bottom);
    await page.screenshot({ path: join(SHOTS, `projector-1024-step-${index + 1}-fr.png`) });
    assert.ok(bottom <= 768, `projector step ${index + 1} ends at ${bottom} px`);
  }
  // Step 3 with the most faces (four sizes) and with a location (metadata and map).
  for (const sample of ['sizes.jpg', 'camera-gps.jpg']) {
    await goTo(0);
    await analyseSample(page, sample);
    await goTo(2);
    const bottom = await page.$eval('#scraper', (s) => s.getBoundingClientRect().bottom);
    await page.screenshot({ path: join(SHOTS, `projector-1024-step-3-${sample.replace('.jpg', '')}-fr.png`) });
    assert.ok(bottom <= 768, `projector step 3 with ${sample} ends at ${bottom} px`);
  }
  await page.close();
});
