// Big JPEGs for the big-photo specs and the benchmark: the public-domain group sample
// (extension/samples/group.jpg) tiled into a landscape 4:3 photo of `mp` megapixels and encoded
// by the browser itself (Node has no JPEG encoder). Kept in the system's temporary folder by size,
// so a run makes each one once.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './common.mjs';

// Runs in the browser: [base64 of the sample, megapixels] -> base64 of the JPEG.
async function tiledJpeg([data, megapixels]) {
  const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))]));
  const width = Math.round(Math.sqrt(megapixels * 1e6 * 4 / 3));
  const height = Math.round(width * 3 / 4);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
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
export async function largeJpeg(mp, run) {
  const path = join(tmpdir(), `byp-group-${mp}mp.jpg`);
  if (existsSync(path)) return path;
  const sample = readFileSync(join(ROOT, 'extension', 'samples', 'group.jpg')).toString('base64');
  const b64 = await run(tiledJpeg.toString(), [sample, mp]);
  writeFileSync(`${path}.part`, Buffer.from(b64, 'base64'));
  renameSync(`${path}.part`, path);
  return path;
}

// `run` for a Playwright page.
export const inPlaywright = (page) => (source, args) => page.evaluate(`(${source})(${JSON.stringify(args)})`);

// `run` for a WebDriver session (execute/sync awaits a returned promise).
export const inWebDriver = (driver) => (source, args) => driver.execute(`return (${source})(arguments[0]);`, [args]);
