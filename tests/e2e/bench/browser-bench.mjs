// Speed of the built extension's WebAssembly detector in headless Chromium (figures, not a test).
//   node tests/e2e/bench/browser-bench.mjs [FOLDER]     default: ../shared/face-bench
// FOLDER holds manifest.json in the face-bench format. The browser decodes each photo (as the
// extension does), then the wasm engine analyses its pixels; only analyzeRgba is timed.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

import { chromium } from 'playwright-core';

import { ROOT } from '../../../.ci/assemble.mjs';
import { CHROMIUM } from '../lib/chromium.mjs';

const folder = resolve(process.argv[2] ?? join(ROOT, '../shared/face-bench'));
const extDir = join(ROOT, 'target/extension/chromium');
const manifest = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8'));
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const [base, rest] = path.startsWith('/ext/') ? [extDir, path.slice(5)] : [folder, path.slice(1)];
  const file = resolve(base, rest);
  if (!file.startsWith(base + sep)) return res.writeHead(403).end();
  let body;
  try {
    body = await readFile(file);
  } catch {
    return res.writeHead(404).end();
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage();
await page.goto(`${origin}/ext/pages/popup.html`); // any same-origin page of the build
const wasmBytes = (await stat(join(extDir, 'wasm/before_you_post_bg.wasm'))).size;
const modelBytes = (await stat(join(ROOT, 'src/detect/retinaface_mnet025.bin'))).size;
const initMs = await page.evaluate(async () => {
  const t = performance.now();
  const mod = await import('/ext/wasm/before_you_post.js');
  await mod.default({ module_or_path: '/ext/wasm/before_you_post_bg.wasm' });
  globalThis.engine = mod;
  return performance.now() - t;
});

const times = [];
const byCategory = {};
for (const entry of manifest.images) {
  if (entry.category === 'ambiguous') continue;
  const r = await page.evaluate(async (file) => {
    try {
      const blob = await (await fetch(`/${file}`)).blob();
      const bitmap = await createImageBitmap(blob);
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(bitmap, 0, 0);
      const img = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
      const t = performance.now();
      const result = globalThis.engine.analyzeRgba(img.data, img.width, img.height, undefined);
      return { ms: performance.now() - t, warn: result.verdict.warn, faces: result.faces.length };
    } catch (e) {
      return { error: String(e?.code ?? e) };
    }
  }, entry.file);
  if (r.error) { console.error(`skip ${entry.file}: ${r.error}`); continue; }
  times.push(r.ms);
  (byCategory[entry.category] ??= []).push(r);
}
await browser.close();
server.close();

times.sort((a, b) => a - b);
const pct = (p) => times[Math.min(times.length - 1, Math.floor(times.length * p))];
const warnRate = (c) => (byCategory[c] ?? []).filter((r) => r.warn).length / Math.max(1, (byCategory[c] ?? []).length);
console.log(`engine start (fetch + compile + instantiate): ${initMs.toFixed(0)} ms`);
console.log(`wasm loaded: ${wasmBytes} bytes, of which model weights ${modelBytes} bytes (embedded)`);
console.log(`warn rate: face ${warnRate('face').toFixed(3)}, no_face ${warnRate('no_face').toFixed(3)}, hard_negative ${warnRate('hard_negative').toFixed(3)}`);
console.log(JSON.stringify({
  browser_median_ms: Number(pct(0.5).toFixed(1)),
  browser_p95_ms: Number(pct(0.95).toFixed(1)),
  browser_max_ms: Number(times.at(-1).toFixed(1)),
  wasm_bytes: wasmBytes,
  model_bytes: modelBytes,
  images: times.length,
}));
