// Speed of the built extension's WebAssembly detector in a headless browser (figures, not a test).
//   node tests/e2e/bench/browser-bench.mjs [FOLDER]     default: ../shared/face-bench
// FOLDER holds manifest.json in the face-bench format. The browser decodes each photo (as the
// extension does), then the wasm engine analyses its pixels; only analyzeRgba is timed for the
// headline figures. Also printed, the per-stage split (medians per photo): the browser's decode
// and pixel read, and inside analyzeRgba the detector's sampling, network, decoding and NMS
// (timeStages/stageTimes) and the rest (grading, the decision, crossing the boundary).
// The same in-page module runs in Chromium (default) and, with BENCH_BROWSER=firefox, in
// Firefox ESR through geckodriver; it posts its figures back to this script's server.
import { createServer } from 'node:http';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

import { chromium } from 'playwright-core';

import { ROOT } from '../../../.ci/assemble.mjs';
import { CHROMIUM, CHROMIUM_FLAGS } from '../lib/chromium.mjs';
import { findGeckodriver, launchFirefox } from '../lib/firefox.mjs';

// BENCH_REPEAT=N times each photo N times and keeps its fastest run, which damps the noise of
// a shared machine; BENCH_TIMES=FILE writes each photo's time to FILE (JSON).
// BENCH_VS=DIR (a folder holding another build's before_you_post.js and _bg.wasm) times that
// build too, on the same decoded pixels, photo by photo in turn (which goes first alternates),
// and prints the paired ratio: two variants compared in one run, whatever the machine's drift.
// PEER_BENCH=DIR (a copy of ../shared/peer-bench with `npm ci` run and its MediaPipe model
// prepared, see its README) also runs MediaPipe Tasks' short-range face detector on the same
// decoded photos, photo by photo in turn, and prints the same-run ratio. Both are timed as the
// peer bench times them, from the decoded image to boxes: ours reads the pixels through a
// canvas (drawImage + getImageData) and runs analyzeRgba; MediaPipe takes the image itself.
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 1));
const VS = process.env.BENCH_VS ? resolve(process.env.BENCH_VS) : null;
const PEER = process.env.PEER_BENCH ? resolve(process.env.PEER_BENCH) : null;
const MEDIAPIPE_MODEL = 'models/face_detection_short_range_meta.tflite';
if (PEER) {
  for (const need of ['node_modules/@mediapipe/tasks-vision/vision_bundle.mjs', MEDIAPIPE_MODEL]) {
    await stat(join(PEER, need)).catch(() => {
      throw new Error(`PEER_BENCH=${PEER} has no ${need}: set it up as ../shared/peer-bench/README.md says`);
    });
  }
}
const BROWSER = process.env.BENCH_BROWSER ?? 'chromium';
const folder = resolve(process.argv[2] ?? join(ROOT, '../shared/face-bench'));
const extDir = join(ROOT, `target/extension/${BROWSER === 'firefox' ? 'firefox' : 'chromium'}`);
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json' };

// Runs in the page: loads the engine, then decodes and times every photo of the manifest.
async function benchInPage(repeat, vs, peer, mediapipeModel) {
  const t = performance.now();
  const engine = await import('/ext/wasm/before_you_post.js');
  await engine.default({ module_or_path: '/ext/wasm/before_you_post_bg.wasm' });
  const initMs = performance.now() - t;
  const other = vs ? await import('/vs/before_you_post.js') : null;
  if (other) await other.default({ module_or_path: '/vs/before_you_post_bg.wasm' });
  let mediapipe = null;
  let peerError;
  if (peer) {
    try {
      const vision = await import('/peer/node_modules/@mediapipe/tasks-vision/vision_bundle.mjs');
      const fileset = await vision.FilesetResolver.forVisionTasks('/peer/node_modules/@mediapipe/tasks-vision/wasm');
      // As the peer bench runs it: CPU delegate, default thresholds.
      mediapipe = await vision.FaceDetector.createFromOptions(fileset, { baseOptions: { modelAssetPath: `/peer/${mediapipeModel}`, delegate: 'CPU' }, runningMode: 'IMAGE' });
    } catch (e) {
      peerError = String(e);
    }
  }
  // The decoded photo's RGBA pixels, read through a canvas as the extension reads them.
  const readPixels = (bitmap) => {
    const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  };
  // From a decoded image to boxes, as the peer bench times each detector.
  const oursFromImage = (bitmap) => {
    const start = performance.now();
    const img = readPixels(bitmap);
    engine.analyzeRgba(img.data, img.width, img.height, undefined);
    return performance.now() - start;
  };
  const mediapipeFromImage = (bitmap) => {
    const start = performance.now();
    mediapipe.detect(bitmap);
    return performance.now() - start;
  };
  const fastest = (e, img) => {
    let best = Infinity;
    let result;
    for (let i = 0; i < repeat; i++) {
      const start = performance.now();
      result = e.analyzeRgba(img.data, img.width, img.height, undefined);
      best = Math.min(best, performance.now() - start);
    }
    return { ms: best, result };
  };
  const manifest = await (await fetch('/manifest.json')).json();
  const results = [];
  for (const entry of manifest.images) {
    if (entry.category === 'ambiguous') continue;
    try {
      const blob = await (await fetch(`/${entry.file}`)).blob();
      const decodeStart = performance.now();
      const bitmap = await createImageBitmap(blob);
      const img = readPixels(bitmap);
      const decodeMs = performance.now() - decodeStart;
      let vsMs;
      if (other && results.length % 2) vsMs = fastest(other, img).ms;
      const { ms, result } = fastest(engine, img);
      if (other && vsMs === undefined) vsMs = fastest(other, img).ms;
      // Once more with the stages timed (their clock calls cost a little: not in `ms`).
      engine.timeStages(true);
      engine.stageTimes();
      const timedStart = performance.now();
      engine.analyzeRgba(img.data, img.width, img.height, undefined);
      const timedMs = performance.now() - timedStart;
      const stages = engine.stageTimes();
      engine.timeStages(false);
      let peerMs;
      if (mediapipe) {
        // Which goes first alternates, as above. A MediaPipe failure ends its part of the run
        // (headless Firefox ESR has no WebGL context here, not even with webgl.force-enabled,
        // and MediaPipe's image input needs one); the photos paired so far still count.
        const mediapipeOrStop = () => {
          try {
            return mediapipeFromImage(bitmap);
          } catch (e) {
            peerError = String(e);
            mediapipe = null;
            return undefined;
          }
        };
        const first = results.length % 2 ? mediapipeOrStop() : undefined;
        const oursMs = oursFromImage(bitmap);
        const mp = first ?? (mediapipe ? mediapipeOrStop() : undefined);
        if (mp !== undefined) peerMs = { ours: oursMs, mediapipe: mp };
      }
      bitmap.close();
      results.push({ file: entry.file, category: entry.category, ms, vsMs, peerMs, warn: result.verdict.warn, faces: result.faces.length, decodeMs, timedMs, stages });
    } catch (e) {
      results.push({ file: entry.file, error: String(e?.code ?? e) });
    }
  }
  await fetch('/__result', { method: 'POST', body: JSON.stringify({ initMs, results, peerError }) });
}

let report;
const reported = new Promise((ok) => { report = ok; });
const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (req.method === 'POST' && path === '/__result') {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    report(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    return res.writeHead(204).end();
  }
  if (path === '/__bench.html') {
    // A failure before the figures (say, the engine does not load) is reported too.
    const run = `(${benchInPage})(${REPEAT}, ${VS !== null}, ${PEER !== null}, ${JSON.stringify(MEDIAPIPE_MODEL)}).catch((e) => fetch('/__result', { method: 'POST', body: JSON.stringify({ error: String(e) }) }))`;
    const page = `<!doctype html><title>bench</title><script type="module">${run};</script>`;
    return res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  }
  const [base, rest] = path.startsWith('/ext/') ? [extDir, path.slice(5)] : VS && path.startsWith('/vs/') ? [VS, path.slice(4)] : PEER && path.startsWith('/peer/') ? [PEER, path.slice(6)] : [folder, path.slice(1)];
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
const url = `http://127.0.0.1:${server.address().port}/__bench.html`;

let close;
if (BROWSER === 'firefox') {
  const firefox = await launchFirefox(findGeckodriver());
  close = () => firefox.close();
  await firefox.goto(url);
} else {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  close = () => browser.close();
  await (await browser.newPage()).goto(url);
}
const { initMs, results, error, peerError } = await reported;
await close();
server.close();
if (error) throw new Error(`the benchmark page failed: ${error}`);

const wasmBytes = (await stat(join(extDir, 'wasm/before_you_post_bg.wasm'))).size;
const modelBytes = (await stat(join(ROOT, 'src/detect/retinaface_mnet025.bin'))).size;
const times = [];
const perPhoto = {};
const byCategory = {};
for (const r of results) {
  if (r.error) { console.error(`skip ${r.file}: ${r.error}`); continue; }
  times.push(r.ms);
  perPhoto[r.file] = r.ms;
  (byCategory[r.category] ??= []).push(r);
}
if (process.env.BENCH_TIMES) await writeFile(process.env.BENCH_TIMES, JSON.stringify(perPhoto, null, 1));

// The value at fraction p of xs in ascending order (0.5: the median).
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
times.sort((a, b) => a - b);
const pct = (p) => percentile(times, p);
const warnRate = (c) => (byCategory[c] ?? []).filter((r) => r.warn).length / Math.max(1, (byCategory[c] ?? []).length);
console.log(`${BROWSER}${REPEAT > 1 ? `, each photo timed ${REPEAT} times, fastest run kept` : ''}`);
console.log(`engine start (fetch + compile + instantiate): ${initMs.toFixed(0)} ms`);
console.log(`wasm loaded: ${wasmBytes} bytes, of which model weights ${modelBytes} bytes (embedded)`);
console.log(`deciles (ms): ${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => pct(i / 10).toFixed(0)).join(' ')}`);
console.log(`warn rate: face ${warnRate('face').toFixed(3)}, no_face ${warnRate('no_face').toFixed(3)}, hard_negative ${warnRate('hard_negative').toFixed(3)}`);
for (const c of ['no_face', 'hard_negative']) {
  for (const r of (byCategory[c] ?? []).filter((r) => r.warn)) console.log(`warns (${c}): ${r.file}`);
}
// The per-stage split, medians over the photos.
const ok = results.filter((r) => !r.error && r.stages);
const median = (xs) => percentile(xs, 0.5) ?? 0;
const split = {
  decode_and_read_ms: median(ok.map((r) => r.decodeMs)),
  sample_ms: median(ok.map((r) => r.stages.sample_ms)),
  network_ms: median(ok.map((r) => r.stages.network_ms)),
  decode_outputs_ms: median(ok.map((r) => r.stages.decode_ms)),
  nms_ms: median(ok.map((r) => r.stages.nms_ms)),
  rest_ms: median(ok.map((r) => r.timedMs - r.stages.sample_ms - r.stages.network_ms - r.stages.decode_ms - r.stages.nms_ms)),
};
console.log(`per-stage medians (ms): ${Object.entries(split).map(([k, v]) => `${k.replace(/_ms$/, '')} ${v.toFixed(1)}`).join(', ')}`);
if (VS) {
  // Paired per photo: each ratio compares the two builds on the same pixels, moments apart.
  const paired = results.filter((r) => !r.error && r.vsMs !== undefined);
  const vsTimes = paired.map((r) => r.vsMs);
  const ratio = median(paired.map((r) => r.ms / r.vsMs));
  console.log(`vs ${VS}: median ${percentile(vsTimes, 0.5).toFixed(1)} ms, p95 ${percentile(vsTimes, 0.95).toFixed(1)} ms; this build ${pct(0.5).toFixed(1)} / ${pct(0.95).toFixed(1)} ms; median ratio this/vs per photo ${ratio.toFixed(3)}`);
}
let peerFigures;
if (peerError) console.log(`MediaPipe Tasks stopped in ${BROWSER}: ${peerError}`);
const withPeer = results.filter((r) => !r.error && r.peerMs);
if (withPeer.length > 0) {
  const ours = withPeer.map((r) => r.peerMs.ours);
  const mp = withPeer.map((r) => r.peerMs.mediapipe);
  peerFigures = {
    ours_median_ms: percentile(ours, 0.5), ours_p95_ms: percentile(ours, 0.95), mediapipe_median_ms: percentile(mp, 0.5), mediapipe_p95_ms: percentile(mp, 0.95),
  };
  console.log(`same run, from the decoded image to boxes (${withPeer.length} photos): ours median ${peerFigures.ours_median_ms.toFixed(1)} ms, p95 ${peerFigures.ours_p95_ms.toFixed(1)}; `
    + `MediaPipe Tasks short-range median ${peerFigures.mediapipe_median_ms.toFixed(1)} ms, p95 ${peerFigures.mediapipe_p95_ms.toFixed(1)}; `
    + `ratio ours/MediaPipe: median ${(peerFigures.ours_median_ms / peerFigures.mediapipe_median_ms).toFixed(2)}, p95 ${(peerFigures.ours_p95_ms / peerFigures.mediapipe_p95_ms).toFixed(2)}`);
}
console.log(JSON.stringify({
  browser_median_ms: Number(pct(0.5).toFixed(1)),
  browser_p95_ms: Number(pct(0.95).toFixed(1)),
  browser_max_ms: Number(times.at(-1).toFixed(1)),
  wasm_bytes: wasmBytes,
  model_bytes: modelBytes,
  images: times.length,
  stages_median_ms: Object.fromEntries(Object.entries(split).map(([k, v]) => [k, Number(v.toFixed(1))])),
  ...(peerFigures && { mediapipe_same_run: Object.fromEntries(Object.entries(peerFigures).map(([k, v]) => [k, Number(v.toFixed(1))])) }),
}));
