// Proof of privacy: every flow runs while a DevTools recorder of our own (lib/recorder.mjs)
// records every request of every target in the browser: the service worker (from its first
// instruction), every extension page, the guard iframe inside the composer pages, and any
// worker. Any request made by an extension context to anything but the extension itself
// (chrome-extension://<id>/), data: or blob: fails the spec. Fixture pages, where our content
// scripts run, may only reach the fixture server.
//
// The last tests prove the recorder can fail: requests deliberately sent from an extension
// page, the service worker and the guard iframe to a local "canary" server are caught.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { testBuild, waitFor } from '../lib/common.mjs';
import { FACE, NO_FACE, chooseFiles, warningShown } from '../lib/hold.mjs';
import { launchRecordedChromium } from '../lib/recorder.mjs';
import { startServer } from '../server.mjs';

let server;
let canary;
let canaryHits;
let build;
let browser;
let ours; // chrome-extension://<id>/

before(async () => {
  server = await startServer();
  canaryHits = [];
  canary = createServer((req, res) => {
    canaryHits.push(req.url);
    res.writeHead(200, { 'access-control-allow-origin': '*' }).end('canary');
  });
  canary.listen(0, '127.0.0.1');
  await once(canary, 'listening');
  build = testBuild('chromium');
  browser = await launchRecordedChromium(build.dir);
  ours = `chrome-extension://${browser.extensionId}/`;
});

after(async () => {
  await browser?.close();
  build?.remove();
  await server?.close();
  canary?.close();
});

const canaryUrl = (path) => `http://127.0.0.1:${canary.address().port}${path}`;

// A request comes from an extension context when the target that made it is one (service
// worker, extension page or iframe, their workers), or when its document or the script that
// made it is an extension file.
const isExtensionUrl = (url) => typeof url === 'string' && /^(blob:)?chrome-extension:\/\//.test(url);
function fromExtension(request) {
  return [request.target.url, request.documentURL, request.initiatorUrl].some(isExtensionUrl);
}

function allowed(request) {
  const { url } = request;
  if (url.startsWith(ours) || url.startsWith('data:') || url.startsWith('blob:')) return true;
  if (fromExtension(request)) return false;
  // A fixture page's own traffic (the page, its scripts, its uploads).
  return new URL(url).origin === server.origin;
}

const describeRequest = (r) => `${r.method} ${r.url} from ${r.target.type} ${r.target.url}` +
  (r.initiatorUrl ? ` (initiator ${r.initiatorUrl})` : '');
const violations = (requests) => requests.filter((r) => !allowed(r)).map(describeRequest);

async function openPage(url) {
  const page = await browser.context.newPage();
  await page.goto(url);
  return page;
}

// ---------------------------------------------------------------------------------- the flows

test('every extension page under pages/ opens, in English and French', async () => {
  const pages = readdirSync(join(build.dir, 'pages')).filter((f) => f.endsWith('.html')).sort();
  // Enumerated from the build, so pages added later are covered; these must be among them.
  for (const known of ['demo.html', 'explainer.html', 'guard.html', 'popup.html']) {
    assert.ok(pages.includes(known), `pages/${known} not found in the build`);
  }
  for (const file of pages) {
    for (const query of ['', '?lang=fr']) {
      const page = await openPage(`${ours}pages/${file}${query}`);
      await page.waitForLoadState('networkidle');
      await page.close();
    }
  }
  // The popup also asks the background (and its wasm engine) for the engine status.
  const popup = await openPage(`${ours}pages/popup.html`);
  await popup.waitForSelector('#engine[data-state="ready"]', { timeout: 30000 });
  await popup.close();
});

test('a face photo on a fixture composer: protect, post anyway, cancel; a photo without a face', async () => {
  const upload = (page, n) => page.waitForSelector(`html[data-upload-status="uploaded ${n}"]`, { timeout: 30000 });
  for (const [button, uploads] of [['protect', 1], ['anyway', 1], ['cancel', 0]]) {
    const page = await openPage(server.url('/composers/instant.html'));
    await chooseFiles(page, () => page.click('#photo'), [FACE]);
    const frame = await warningShown(page);
    await frame.click(`#${button}`);
    if (uploads) await upload(page, uploads);
    else await page.waitForFunction(() => document.documentElement.dataset.released === '1');
    await page.close();
  }
  const page = await openPage(server.url('/composers/instant.html'));
  await chooseFiles(page, () => page.click('#photo'), [NO_FACE]);
  await upload(page, 1);
  await page.close();
});

test('the demo page analyses a sample and a picked photo', async () => {
  const page = await openPage(`${ours}pages/demo.html`);
  await page.click('[data-sample="astronaut.jpg"]');
  await page.waitForSelector('#result[data-faces="1"]', { timeout: 30000 });
  await page.evaluate(() => { delete document.getElementById('result').dataset.faces; });
  await page.setInputFiles('#file', NO_FACE);
  await page.waitForSelector('#result[data-faces="0"]', { timeout: 30000 });
  await page.close();
});

// ----------------------------------------------------------------------- the real assertion

test('no extension context made a request to anything but the extension, data: or blob:', async () => {
  await browser.recorder.flush();
  const { recorder } = browser;
  assert.deepEqual(recorder.errors, [], 'the recorder failed to attach to a target');
  assert.deepEqual(violations(recorder.requests), []);

  // The recording is not vacuous: the service worker, extension pages and the guard iframe
  // were attached and their requests recorded.
  const worker = `${ours}background/background.js`;
  assert.ok(recorder.attached.some((t) => t.type === 'service_worker' && t.url === worker),
    `service worker not attached: ${JSON.stringify(recorder.attached)}`);
  const byTarget = (type, url) => recorder.requests.filter((r) => r.target.type === type && r.target.url.startsWith(url));
  assert.ok(byTarget('service_worker', worker).length > 0, 'no request recorded from the service worker');
  assert.ok(byTarget('page', `${ours}pages/popup.html`).length > 0, 'no request recorded from the popup');
  assert.ok(byTarget('page', `${ours}pages/demo.html`).some((r) => r.url.endsWith('/samples/astronaut.jpg')),
    'the demo\'s sample request was not recorded');
  assert.ok(byTarget('iframe', `${ours}pages/guard.html`).length > 0,
    'no request recorded from the guard iframe inside a composer');
  console.log(`# ${recorder.requests.length} requests recorded from ${recorder.attached.length} targets`);
});

// ------------------------------------------------- self-check: the recorder catches requests

describe('self-check: requests deliberately sent off the extension are caught', () => {
  // Runs `send` and returns the violations recorded meanwhile, once the canary got the request.
  async function caught(path, send) {
    const start = browser.recorder.requests.length;
    await send(canaryUrl(path));
    await waitFor(() => (canaryHits.includes(path) ? true : null), { what: `${path} at the canary` });
    return waitFor(async () => {
      await browser.recorder.flush();
      const found = violations(browser.recorder.requests.slice(start));
      return found.length > 0 ? found : null;
    }, { what: `the recorder to catch ${path}` });
  }
  const fetchFrom = (context) => (url) => context.evaluate((u) => fetch(u).then((r) => r.text()), url);

  test('from an extension page', async () => {
    const page = await openPage(`${ours}pages/popup.html`);
    const found = await caught('/from-extension-page', fetchFrom(page));
    await page.close();
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0], /\/from-extension-page from page chrome-extension:\/\/[a-p]{32}\/pages\/popup\.html/);
  });

  test('from the service worker', async () => {
    const found = await caught('/from-service-worker', fetchFrom(browser.serviceWorker));
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0], /\/from-service-worker from service_worker chrome-extension:\/\/[a-p]{32}\/background\/background\.js/);
  });

  test('from a worker started by an extension page', async () => {
    const page = await openPage(`${ours}pages/popup.html`);
    const found = await caught('/from-worker', (url) => page.evaluate((u) => new Promise((ok, fail) => {
      const code = `fetch(${JSON.stringify(u)}).then(() => postMessage('sent'), (e) => postMessage(String(e)))`;
      const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
      worker.onmessage = (e) => (e.data === 'sent' ? ok() : fail(new Error(e.data)));
      worker.onerror = (e) => fail(new Error(e.message));
    }), url));
    await page.close();
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0], /\/from-worker from worker blob:chrome-extension:\/\/[a-p]{32}\//);
  });

  test('from the guard iframe inside a composer page', async () => {
    const page = await openPage(server.url('/composers/instant.html'));
    await chooseFiles(page, () => page.click('#photo'), [FACE]);
    const frame = await warningShown(page);
    const found = await caught('/from-guard', fetchFrom(frame));
    await frame.click('#cancel');
    await page.close();
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0], /\/from-guard from iframe chrome-extension:\/\/[a-p]{32}\/pages\/guard\.html/);
  });

  test('from a fixture page (where content scripts run), to a server that is not the page\'s', async () => {
    const page = await openPage(server.url('/plain.html'));
    const found = await caught('/from-fixture-page', fetchFrom(page));
    await page.close();
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0], /\/from-fixture-page from page http:\/\/127\.0\.0\.1:\d+\/plain\.html/);
  });
});
