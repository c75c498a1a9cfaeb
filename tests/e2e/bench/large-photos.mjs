// Big photos through the real extension (figures, not a test):
//   node tests/e2e/bench/large-photos.mjs [MP ...]        default: 12 48
// For each size, a JPEG is made in the browser from the public-domain group sample
// (extension/samples/group.jpg) tiled to that many megapixels, then picked in a composer page
// of the test build. Printed per photo, in one run:
//   decode ms     the browser's own createImageBitmap of the file, drawn at full size (the floor)
//   warning ms    from the pick to the warning on screen
//   protect ms    from "protect" to the upload of the masked copy
//   peak MB       peak resident memory added by the browser's processes during the check and
//                 during the protected copy (sum of VmRSS over this browser's processes, read
//                 from /proc every 100 ms, minus the level just before the pick; the guard has
//                 already checked a small photo in that page, so its start is not counted)
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { chromiumWithExtension } from '../lib/chromium.mjs';
import { waitFor } from '../lib/common.mjs';
import { PHOTOS, chooseFiles, warningShown } from '../lib/hold.mjs';
import { inPlaywright, largeJpeg } from '../lib/large-photo.mjs';

const ROCKET = join(PHOTOS, 'rocket.jpg'); // no face: the warm-up pick
const sizes = (process.argv.slice(2).length ? process.argv.slice(2) : ['12', '48']).map(Number);

// Resident memory of every process of this browser (its profile folder is in each command line).
function browserRssMb(profileMark) {
  let kb = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      if (!cmd.includes('chromium') || !cmd.includes(profileMark)) continue;
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
      if (rss) kb += Number(rss[1]);
    } catch { /* gone */ }
  }
  return kb / 1024;
}

// Samples memory until stop() and returns the peak over `base`.
function sampler(profileMark) {
  const base = browserRssMb(profileMark);
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, browserRssMb(profileMark)); }, 100);
  return { stop: () => { clearInterval(timer); peak = Math.max(peak, browserRssMb(profileMark)); return peak - base; } };
}

const env = await chromiumWithExtension('large-photos');
const { server, browser } = env;
// The browser's processes all carry the temporary profile's folder name.
const profileMark = 'byp-chromium-profile-';
try {
  const maker = await browser.context.newPage();
  await maker.goto(server.url('/plain.html'));
  const rows = [];
  for (const mp of sizes) {
    const path = await largeJpeg(mp, inPlaywright(maker));
    const b64 = readFileSync(path).toString('base64');

    const page = await browser.context.newPage();
    await page.goto(server.url('/composers/instant.html'));
    // The floor: the browser's own decode of the same file, in the same page.
    const decodeMs = await page.evaluate(async (data) => {
      const blob = new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], { type: 'image/jpeg' });
      const t = performance.now();
      const bitmap = await createImageBitmap(blob);
      // Drawing it at full size forces the whole decode (Chromium may defer it, or decode a
      // JPEG at a reduced scale for a small target).
      new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d').drawImage(bitmap, 0, 0);
      const ms = performance.now() - t;
      bitmap.close();
      return ms;
    }, b64);
    // A small photo first, so the guard is up and has checked once: what is measured next is
    // the check of the big photo, not the guard's start.
    await chooseFiles(page, () => page.click('#photo'), [ROCKET]);
    await page.waitForSelector('html[data-upload-status="uploaded 1"]', { timeout: 20000 });
    await page.evaluate(() => delete document.documentElement.dataset.uploadStatus);
    server.clearUploads();
    await page.waitForTimeout(1500);
    const checking = sampler(profileMark);
    const picked = Date.now();
    await chooseFiles(page, () => page.click('#photo'), [path]);
    let frame = null;
    let outcome = 'warning';
    try {
      frame = await warningShown(page);
    } catch {
      outcome = (await page.evaluate(() => document.documentElement.dataset.uploadStatus ?? 'nothing'));
    }
    const warningMs = Date.now() - picked;
    const checkPeak = checking.stop();
    let protectMs = null;
    let protectPeak = null;
    if (frame) {
      const protecting = sampler(profileMark);
      const t = Date.now();
      await frame.click('#protect');
      await waitFor(() => page.evaluate(() => document.documentElement.dataset.uploadStatus ?? null), { timeoutMs: 120000, what: 'the upload' });
      protectMs = Date.now() - t;
      protectPeak = protecting.stop();
    }
    rows.push({ mp, bytes: Buffer.byteLength(b64, 'base64'), decodeMs, warningMs, outcome, checkPeak, protectMs, protectPeak });
    await page.close();
    server.clearUploads();
  }
  console.log('photo     file MB  decode ms  pick-to-warning ms (x decode)  protect ms  peak MB (check / protect)  outcome');
  for (const r of rows) {
    console.log([
      `${r.mp} MP`.padEnd(9), (r.bytes / 1e6).toFixed(1).padStart(7), r.decodeMs.toFixed(0).padStart(10),
      `${r.warningMs} (${(r.warningMs / r.decodeMs).toFixed(1)}x)`.padStart(30), String(r.protectMs ?? '-').padStart(11),
      `${r.checkPeak.toFixed(0)} / ${r.protectPeak?.toFixed(0) ?? '-'}`.padStart(26), ` ${r.outcome}`,
    ].join(' '));
  }
} finally {
  await env.close();
}
