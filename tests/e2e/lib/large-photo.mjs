// Big JPEGs for the big-photo specs and the benchmark: the public-domain group sample
// (extension/samples/group.jpg) tiled into a landscape 4:3 photo of `mp` megapixels and encoded
// by the browser itself (Node has no JPEG encoder). Kept in the system's temporary folder by size,
// so a run makes each one once.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './common.mjs';

// Runs in the browser: [base64 of the sample, megapixels, quarterTurn] -> base64 of the JPEG.
// With quarterTurn the pixels are stored turned a quarter anticlockwise (portrait), to be
// shown upright through EXIF Orientation 6.
async function tiledJpeg([data, megapixels, quarterTurn]) {
  const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))]));
  const width = Math.round(Math.sqrt(megapixels * 1e6 * 4 / 3));
  const height = Math.round(width * 3 / 4);
  const canvas = quarterTurn ? new OffscreenCanvas(height, width) : new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  if (quarterTurn) {
    ctx.translate(0, width);
    ctx.rotate(-Math.PI / 2);
  }
  const tileW = Math.ceil(width / 4);
  const tileH = Math.round(tileW * bitmap.height / bitmap.width);
  for (let y = 0; y < height; y += tileH) for (let x = 0; x < width; x += tileW) ctx.drawImage(bitmap, x, y, tileW, tileH);
  const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 32768) s += String.fromCharCode(...bytes.subarray(i, i + 32768));
  return btoa(s);
}

// The path of the `mp`-megapixel JPEG; `run(source, args)` evaluates the function `source`
// (a string) with `args` in some page of a browser: Playwright's page.evaluate or WebDriver's.
// `quarterTurn`: stored portrait, shown landscape through EXIF Orientation 6 (exiftool).
export async function largeJpeg(mp, run, { quarterTurn = false } = {}) {
  const path = join(tmpdir(), `byp-group-${mp}mp${quarterTurn ? '-turned' : ''}.jpg`);
  if (existsSync(path)) return path;
  const sample = readFileSync(join(ROOT, 'extension', 'samples', 'group.jpg')).toString('base64');
  const b64 = await run(tiledJpeg.toString(), [sample, mp, quarterTurn]);
  const part = `${path}.part.jpg`;
  writeFileSync(part, Buffer.from(b64, 'base64'));
  if (quarterTurn) execFileSync('exiftool', ['-q', '-overwrite_original', '-Orientation#=6', part]);
  renameSync(part, path);
  return path;
}

// `run` for a Playwright page.
export const inPlaywright = (page) => (source, args) => page.evaluate(`(${source})(${JSON.stringify(args)})`);

// `run` for a WebDriver session (execute/sync awaits a returned promise).
export const inWebDriver = (driver) => (source, args) => driver.execute(`return (${source})(arguments[0]);`, [args]);

// Runs in the browser: [original, masked] (base64 JPEGs, both shown upright by the browser) ->
// an 80 x 60 grid (row by row) of 1 where the masked copy differs: both are sampled at
// 640 x 480 (nearest pixel, so a mosaic's blocks stay visible) and a cell counts as masked
// when a quarter of its 8 x 8 samples moved by more than 48 per channel on average.
async function maskedGrid([a, b]) {
  const sample = async (b64) => {
    const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/jpeg' });
    const bitmap = await createImageBitmap(blob, { resizeWidth: 640, resizeHeight: 480, resizeQuality: 'pixelated' });
    const ctx = new OffscreenCanvas(640, 480).getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, 640, 480).data;
  };
  const [x, y] = [await sample(a), await sample(b)];
  const out = new Array(80 * 60).fill(0);
  for (let i = 0; i < 640 * 480; i++) {
    const k = i * 4;
    if (Math.abs(x[k] - y[k]) + Math.abs(x[k + 1] - y[k + 1]) + Math.abs(x[k + 2] - y[k + 2]) > 144) {
      out[Math.floor(i / 640 / 8) * 80 + Math.floor((i % 640) / 8)]++;
    }
  }
  return out.map((n) => (n >= 16 ? 1 : 0));
}

// Where the bytes `masked` differ from `original` (Buffers), as maskedGrid says, computed in
// the browser behind `run`.
export const maskedCellsIn = (run, original, masked) => run(maskedGrid.toString(), [original.toString('base64'), masked.toString('base64')]);

// The share of grid p's masked cells that have a masked cell of grid q within one cell (a
// mosaic is random, so single cells at a face's edge come and go).
export function nearShare(p, q) {
  const hits = p.map((v, i) => v && [-1, 0, 1].some((dy) => [-1, 0, 1].some((dx) => {
    const [x, y] = [(i % 80) + dx, Math.floor(i / 80) + dy];
    return x >= 0 && x < 80 && y >= 0 && y < 60 && q[y * 80 + x];
  })));
  return hits.filter(Boolean).length / Math.max(1, p.filter(Boolean).length);
}

// Runs in the browser: base64 of a JPEG -> base64 of that photo tiled 2 x 2.
async function twoByTwo(data) {
  const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))]));
  const canvas = new OffscreenCanvas(bitmap.width * 2, bitmap.height * 2);
  const ctx = canvas.getContext('2d');
  for (const [x, y] of [[0, 0], [1, 0], [0, 1], [1, 1]]) ctx.drawImage(bitmap, x * bitmap.width, y * bitmap.height);
  const out = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
  let s = '';
  for (let i = 0; i < out.length; i += 0x8000) s += String.fromCharCode(...out.subarray(i, i + 0x8000));
  return btoa(s);
}

// The group sample tiled 2 x 2 (12 faces, 2376 x 1400), encoded by the browser behind `run`,
// written to `path`; returns `path`.
export async function groupOf12(run, path) {
  const sample = readFileSync(join(ROOT, 'extension', 'samples', 'group.jpg')).toString('base64');
  writeFileSync(path, Buffer.from(await run(twoByTwo.toString(), sample), 'base64'));
  return path;
}
