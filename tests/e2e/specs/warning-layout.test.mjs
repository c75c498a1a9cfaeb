// The warning at a glance (issue 18), in Chromium: at 1280 x 800 and at a phone's 390 x 844, in
// English and French, with a 12-face group photo and with a location-only photo, the title, the
// summary and the choices are on screen without scrolling, nothing overflows sideways, text is
// at least 16 px, and a location-only photo speaks about the location only. The faces' rows:
// "mask none" / "mask all", faces of one kind grouped, a click on the preview or a face's number
// toggles it; axe-core finds nothing in any of these states. The preview masks exactly the
// ticked faces, as the posted copy does. Screenshots of every state go to
// tests/e2e/artifacts/warning/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';

import { chromiumWithExtension } from '../lib/chromium.mjs';
import { ROOT, waitFor } from '../lib/common.mjs';
import { chooseFiles, warningShown } from '../lib/hold.mjs';
import { groupOf12, inPlaywright, largeJpeg } from '../lib/large-photo.mjs';
import { INSIDE_DIFFS, SMALL_TEXT } from '../lib/text-size.mjs';

const SHOTS = join(ROOT, 'tests/e2e/artifacts/warning');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SIZES = { laptop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

let env;
let server;
let browser;
let page;
let GROUP; // 12 faces: the group sample tiled 2 x 2
let PLACE; // the coffee sample with a location, no face

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  env = await chromiumWithExtension('warning-layout');
  ({ server, browser } = env);
  const maker = await browser.context.newPage();
  await maker.goto(server.url('/plain.html'));
  GROUP = await groupOf12(inPlaywright(maker), join(env.scratch.dir, 'group-of-12.jpg'));
  await maker.close();
  PLACE = join(env.scratch.dir, 'cafe.jpg');
  copyFileSync(join(ROOT, 'extension/samples/coffee.jpg'), PLACE);
  execFileSync('exiftool', ['-q', '-overwrite_original', '-GPSLatitude=48.8584', '-GPSLatitudeRef=N',
    '-GPSLongitude=2.2945', '-GPSLongitudeRef=E', '-DateTimeOriginal=2026:05:01 10:00:00', PLACE]);
});

after(() => env?.close());

afterEach(async () => {
  await page?.close();
  page = null;
  server.clearUploads();
  await setLanguage('auto');
});

const worker = () => browser.context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
async function setLanguage(language) {
  await waitFor(() => worker() ?? null, { what: 'the service worker' });
  await worker().evaluate((value) => chrome.storage.sync.set({ language: value }), language);
}

async function open(size, photo) {
  page = await browser.context.newPage();
  await page.setViewportSize(SIZES[size]);
  await page.goto(server.url('/composers/instant.html'));
  await chooseFiles(page, () => page.click('#photo'), [photo]);
  const frame = await warningShown(page);
  await frame.waitForFunction(() => document.activeElement?.id === 'protect');
  await page.waitForTimeout(200); // the preview's masks come from the worker
  return frame;
}

// Everything that must be seen at once, inside the frame's viewport; nothing wider than it.
async function assertAtAGlance(frame, what, ids = ['dialog-title', 'dialog-summary', 'protect', 'anyway', 'cancel']) {
  const boxes = await frame.evaluate((ids) => {
    const rect = (id) => {
      const r = document.getElementById(id).getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width };
    };
    return {
      view: { width: innerWidth, height: innerHeight },
      scrollWidth: document.documentElement.scrollWidth,
      dialogOverflow: document.getElementById('dialog').scrollWidth - document.getElementById('dialog').clientWidth,
      parts: Object.fromEntries(ids.map((id) => [id, rect(id)])),
    };
  }, ids);
  for (const [id, r] of Object.entries(boxes.parts)) {
    assert.ok(r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= boxes.view.height && r.right <= boxes.view.width,
      `${what}: #${id} is not fully on screen: ${JSON.stringify(r)} in ${JSON.stringify(boxes.view)}`);
  }
  assert.ok(boxes.scrollWidth <= boxes.view.width, `${what}: the page scrolls sideways (${boxes.scrollWidth} px)`);
  assert.ok(boxes.dialogOverflow <= 0, `${what}: the dialog overflows sideways by ${boxes.dialogOverflow} px`);
  // Text people read is at least 16 px (the background and fine print may be smaller).
  assert.deepEqual(await frame.evaluate(SMALL_TEXT), [], `${what}: text under 16 px`);
  // axe-core in this state too.
  await frame.evaluate(AXE_SOURCE);
  const axe = await frame.evaluate(() => globalThis.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] }));
  assert.deepEqual(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`), [], `${what}: axe`);
}

for (const size of Object.keys(SIZES)) {
  for (const lang of ['en', 'fr']) {
    test(`${size}, ${lang}: a 12-face group and a location-only photo read at a glance`, async () => {
      await setLanguage(lang);
      let frame = await open(size, GROUP);
      await assertAtAGlance(frame, `${size} ${lang} group`);
      await page.screenshot({ path: join(SHOTS, `group-${size}-${lang}.png`) });
      // Faces of one kind share a row; no "(s)".
      assert.ok(await frame.locator('.face-group').count() >= 1, 'no grouped rows for 12 faces');
      assert.doesNotMatch(await frame.textContent('#dialog'), /\(s\)/);
      await frame.click('#cancel');
      await page.close();

      frame = await open(size, PLACE);
      await assertAtAGlance(frame, `${size} ${lang} location`);
      // About the location only: no face-scraping background, its own sourced line.
      assert.equal(await frame.isHidden('#dialog-why'), true);
      const why = await frame.textContent('#dialog-why-location');
      assert.match(why, /2012/);
      assert.match(why, lang === 'en' ? /home, a school/ : /domicile, une école/);
      assert.doesNotMatch(await frame.textContent('#dialog-summary'), /face|visage|scraper/i);
      await page.screenshot({ path: join(SHOTS, `location-${size}-${lang}.png`) });
      // "Remove the location" shows what goes.
      assert.equal(await frame.isVisible('.removed-note'), true);
      await frame.uncheck('input[data-strip]');
      assert.equal(await frame.isVisible('.removed-note'), false);
      await frame.click('#cancel');
    });
  }
}

test('the demo, popup, options and explainer pages read at 16 px or more', async () => {
  page = await browser.context.newPage();
  for (const p of ['demo.html', 'popup.html', 'options.html', 'explainer.html', 'demo.html?projector=1']) {
    await page.goto(`chrome-extension://${env.browser.extensionId}/pages/${p}`);
    await page.waitForLoadState('load');
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate(SMALL_TEXT), [], `${p}: text under 16 px`);
  }
});

test('the face rows: mask none, mask all, a click on a face in the preview and its number toggle it', async () => {
  const frame = await open('laptop', GROUP);
  const ticks = () => frame.$$eval('input[data-face]', (boxes) => boxes.map((b) => b.checked));
  const total = (await ticks()).length;
  assert.ok(total >= 12, `${total} faces`);
  await frame.click('button[data-tick="none"]');
  assert.deepEqual(await ticks(), new Array(total).fill(false));
  assert.equal(await frame.$$eval('input[data-group]', (g) => g.every((x) => !x.checked && !x.indeterminate)), true);
  await frame.click('button[data-tick="all"]');
  assert.deepEqual(await ticks(), new Array(total).fill(true));
  // A click in the middle of face 1 on the preview unticks it; its group shows "some".
  const centre = await frame.evaluate(() => {
    const canvas = document.querySelector('#photos canvas');
    const r = canvas.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width, h: r.height };
  });
  assert.ok(centre.w > 300, `the preview is only ${centre.w} px wide`);
  const face = await frame.evaluate(() => document.querySelector('input[data-face="0"]').closest('label').textContent);
  assert.match(face, /Face 1:/);
  await frame.focus('button[data-tick="all"]');
  // Twelve faces: a number is the digits typed within 0.6 s; "1" alone is face 1.
  await page.keyboard.press('1');
  await waitFor(async () => ((await ticks())[0] === false ? true : null), { timeoutMs: 3000, what: 'pressing 1 to untick face 1' });
  assert.equal(await frame.$$eval('input[data-group]', (g) => g.some((x) => x.indeterminate)), true);
  await page.keyboard.press('1');
  await page.keyboard.press('2');
  await waitFor(async () => ((await ticks())[11] === false ? true : null), { timeoutMs: 3000, what: 'typing 12 to untick face 12' });
  assert.equal((await ticks())[0], false, 'typing "12" toggled face 1');
  await page.keyboard.press('1');
  await waitFor(async () => ((await ticks())[0] === true ? true : null), { timeoutMs: 3000, what: 'pressing 1 again' });
  await page.keyboard.press('1');
  await page.keyboard.press('2');
  await waitFor(async () => ((await ticks())[11] === true ? true : null), { timeoutMs: 3000, what: 'typing 12 again' });
  await page.screenshot({ path: join(SHOTS, 'group-all-ticked.png') });
  // A click on face 2 in the preview, where its box is, unticks it.
  const spot = await frame.evaluate(() => {
    const canvas = document.querySelector('#photos canvas');
    const r = canvas.getBoundingClientRect();
    const [x, y, w, h] = document.querySelector('input[data-face="1"]').dataset.box.split(',').map(Number);
    const s = r.width / 2376;
    return { x: r.left + (x + w / 2) * s, y: r.top + (y + h / 2) * s };
  });
  await frame.click('#photos canvas', { position: { x: spot.x - (await frame.$eval('#photos canvas', (c) => c.getBoundingClientRect().left)), y: spot.y - (await frame.$eval('#photos canvas', (c) => c.getBoundingClientRect().top)) } });
  assert.equal((await ticks())[1], false, 'a click on face 2 in the preview did not untick it');
  await frame.click('#cancel');
});

async function insideDiffs(p, a, b, boxes, photo, size) {
  return p.evaluate(`(${INSIDE_DIFFS})(${JSON.stringify([a, b, boxes, photo, size])})`);
}

test('the preview masks exactly the ticked faces, and so does the posted copy', async () => {
  const frame = await open('laptop', GROUP);
  await frame.click('button[data-tick="none"]');
  await page.waitForTimeout(300);
  const boxes = await frame.$$eval('input[data-face]', (inputs) => inputs.map((i) => i.dataset.box.split(',').map(Number)));
  const size = await frame.$eval('#photos canvas', (c) => ({ width: c.width, height: c.height }));
  const snap = () => frame.$eval('#photos canvas', (c) => c.toDataURL('image/png'));
  const none = await snap();
  const ticked = [0, 2];
  for (const summary of await frame.$$('.face-group summary')) await summary.click(); // "show each face"
  for (const i of ticked) await frame.check(`input[data-face="${i}"]`);
  await page.waitForTimeout(500);
  const some = await snap();
  const photo = { width: 2376, height: 1400 };
  const previewDiffs = await insideDiffs(frame, none, some, boxes, photo, size);
  await frame.click('#protect');
  await page.waitForSelector('html[data-upload-status="uploaded 1"]', { timeout: 20000 });
  const posted = server.uploadBytes(0).toString('base64');
  const original = readFileSync(GROUP).toString('base64');
  const postedDiffs = await insideDiffs(page, original, posted, boxes, photo, size);
  const show = (ds) => ds.map((d) => `${d.abs.toFixed(1)}/${d.signed.toFixed(1)}`).join(' ');
  console.log(`# preview (abs/signed): ${show(previewDiffs)}`);
  console.log(`# posted (abs/signed):  ${show(postedDiffs)}`);
  boxes.forEach((_, i) => {
    if (ticked.includes(i)) {
      // Masked, and by the mosaic the copy gets (it keeps the face's average colour), not by
      // a dark box (which the preview used to draw).
      assert.ok(previewDiffs[i].abs > 12, `the preview does not mask face ${i + 1} (${previewDiffs[i].abs.toFixed(1)})`);
      assert.ok(Math.abs(previewDiffs[i].signed) < 12, `the preview darkens face ${i + 1} instead of masking it (${previewDiffs[i].signed.toFixed(1)})`);
      assert.ok(postedDiffs[i].abs > 12, `the posted copy does not mask face ${i + 1} (${postedDiffs[i].abs.toFixed(1)})`);
    } else {
      assert.ok(previewDiffs[i].abs < 3, `the preview changed unticked face ${i + 1} (${previewDiffs[i].abs.toFixed(1)})`);
      assert.ok(postedDiffs[i].abs < 6, `the posted copy changed unticked face ${i + 1} (${postedDiffs[i].abs.toFixed(1)})`);
    }
  });
});

test('the other states, at both sizes: the progress panel of a long check, and a protected copy that failed', async () => {
  const maker = await browser.context.newPage();
  await maker.goto(server.url('/plain.html'));
  const big = await largeJpeg(30, inPlaywright(maker));
  await maker.close();
  for (const size of Object.keys(SIZES)) {
    page = await browser.context.newPage();
    await page.setViewportSize(SIZES[size]);
    await page.goto(server.url('/composers/instant.html'));
    await chooseFiles(page, () => page.click('#photo'), [big]);
    const frame = await waitFor(() => page.frames().find((f) => f.url().includes('/pages/guard.html')) ?? null, { what: 'the guard' });
    await frame.waitForSelector('#checking', { state: 'visible', timeout: 5000 });
    await page.screenshot({ path: join(SHOTS, `checking-${size}-en.png`) });
    const panel = await frame.$eval('#checking', (c) => { const r = c.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, right: r.right, view: [innerWidth, innerHeight] }; });
    assert.ok(panel.top >= 0 && panel.bottom <= panel.view[1] && panel.right <= panel.view[0], `${size}: the panel is off screen`);
    assert.deepEqual(await frame.evaluate(SMALL_TEXT), [], `${size}: text under 16 px in the panel`);
    await frame.waitForSelector('#dialog', { state: 'visible', timeout: 20000 });
    await frame.waitForSelector('body[data-accepting]', { state: 'attached' });
    // The protected copy fails (test-side fault: the worker gets a file that cannot be decoded).
    await frame.evaluate(() => {
      const post = Worker.prototype.postMessage;
      Worker.prototype.postMessage = function (message, transfer) {
        const m = message?.op === 'fix' ? { ...message, file: new Blob([new Uint8Array(64)], { type: 'image/jpeg' }) } : message;
        return post.call(this, m, transfer);
      };
    });
    await frame.click('#protect');
    await frame.waitForSelector('#fix-error', { state: 'visible', timeout: 20000 });
    await assertAtAGlance(frame, `${size} failed fix`, ['dialog-title', 'dialog-summary', 'fix-error', 'retry', 'original', 'cancel']);
    await page.screenshot({ path: join(SHOTS, `fix-failed-${size}-en.png`) });
    await frame.click('#cancel');
    assert.deepEqual(server.uploads(), []);
    await page.close();
    page = null;
  }
});

// Whether the extension's full-screen host is on screen (seen from the page: the host element).
const OVERLAY_UP = `(() => [...document.documentElement.children]
  .some((el) => !['HEAD', 'BODY'].includes(el.tagName) && getComputedStyle(el).position === 'fixed'
    && getComputedStyle(el).display !== 'none' && el.getBoundingClientRect().height >= innerHeight))()`;

test('while the protected copy is made, the ticks cannot change (the copy is made from them)', async () => {
  const frame = await open('laptop', GROUP);
  // The copy never comes back (test-side: the worker does not get the request).
  await frame.evaluate(() => {
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (message, transfer) {
      return message?.op === 'fix' ? undefined : post.call(this, message, transfer);
    };
  });
  const ticks = () => frame.$$eval('input[data-face]', (boxes) => boxes.map((b) => b.checked));
  const before = await ticks();
  await frame.click('#protect');
  await frame.waitForSelector('#working', { state: 'visible' });
  assert.equal(await frame.evaluate(() => document.getElementById('photos').inert), true);
  await page.keyboard.press('1');
  await frame.click('button[data-tick="none"]', { force: true }); // a real mouse click where it is
  assert.deepEqual(await ticks(), before, 'a tick changed while the copy was being made');
  await frame.click('#cancel');
  assert.deepEqual(server.uploads(), []);
});

test('an automatic fix after a long check: the progress panel goes and no invisible overlay stays over the page while it is made', async () => {
  const maker = await browser.context.newPage();
  await maker.goto(server.url('/plain.html'));
  const big = await largeJpeg(30, inPlaywright(maker));
  await maker.close();
  await worker().evaluate(() => chrome.storage.sync.set({ defaultAction: 'mask' }));
  try {
    page = await browser.context.newPage();
    await page.goto(server.url('/composers/instant.html'));
    await chooseFiles(page, () => page.click('#photo'), [big]);
    const frame = await waitFor(() => page.frames().find((f) => f.url().includes('/pages/guard.html')) ?? null, { what: 'the guard' });
    await frame.waitForSelector('#checking', { state: 'visible', timeout: 5000 });
    // The automatic fix takes its time (test-side: it never comes back), so what the page sees
    // while it is made can be looked at.
    await frame.evaluate(() => {
      const post = Worker.prototype.postMessage;
      Worker.prototype.postMessage = function (message, transfer) {
        return message?.op === 'fix' ? undefined : post.call(this, message, transfer);
      };
    });
    // The check ends and the automatic fix starts: the frame is out of sight while it works.
    await frame.waitForSelector('#checking', { state: 'hidden', timeout: 20000 });
    await waitFor(async () => (!(await page.evaluate(OVERLAY_UP)) ? true : null), { timeoutMs: 3000, what: 'the overlay to go' })
      .catch(() => assert.fail('an invisible overlay stays over the page during the automatic fix'));
    assert.deepEqual(server.uploads(), [], 'a fix was chosen: nothing goes before it is made');
  } finally {
    await worker().evaluate(() => chrome.storage.sync.remove('defaultAction'));
  }
});
