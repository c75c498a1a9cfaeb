// Proof of privacy: every flow runs while a DevTools recorder of our own (lib/recorder.mjs)
// records every request of every target in the browser: the service worker (from its first
// instruction), every extension page, the guard iframe inside the composer pages, and any
// worker. Any request made by an extension context to anything but the extension itself
// (chrome-extension://<id>/), data: or blob: fails the spec. Fixture pages, where our content
// scripts run, may only reach the fixture server.
//
// Below DevTools, two more witnesses (preconnects and DNS lookups are not DevTools requests):
//   - a socket canary (lib/socket-canary.mjs): Chromium's resolver maps every host but 127.0.0.1
//     and localhost to a local TCP server that records every connection, even one that never
//     sends a byte, and the host it was for. Nothing can leave the machine, and any connection
//     meant for the outside (request, preconnect on hover or mousedown, prefetch) is seen.
//   - Chromium's NetLog (lib/netlog.mjs): every socket group and host resolution of the network
//     stack, with the site it was made for, read once Chromium has exited. It also sees a DNS
//     prefetch, which the mapping answers without any socket.
// Each flow is a step: whatever a witness sees is reported with the step it happened in.
//
// The flows: every extension page in English and French; a pick, a drop, a paste and a
// showOpenFilePicker() pick on fixture composers (protect, post anyway, cancel, no face); videos
// (a face clip, a located clip whose location is removed, a clip without a face); the
// automatic fixes (always mask, always remove the location); the options page saving; the popup
// switching a listed site off and on and turning an unlisted site on; the demo with its mock
// composer; a managed policy applied (a second browser, with a policy file for its own id); the
// explainer, with the mouse over and pressed on each outside link, navigation prevented.
//
// The self-check tests prove each witness can fail: requests deliberately sent from an extension
// page, the service worker, a worker, the guard iframe and a fixture page are caught by the
// recorder; a fetch to an outside host and a preconnect reach the socket canary; a DNS prefetch
// and both of those show in the NetLog.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ROOT, tempDir, testBuild, waitFor } from '../lib/common.mjs';
import {
  FACE, NO_FACE, chooseFiles, dropFiles, pageWithFakePicker, pasteImage, sha256, warningShown,
} from '../lib/hold.mjs';
import { outsideActivity, readNetLog } from '../lib/netlog.mjs';
import { noticeShown, ownIdBuild, setChromiumPolicy } from '../lib/policy.mjs';
import { launchRecordedChromium } from '../lib/recorder.mjs';
import { CANARY_CHROMIUM_PREFERENCES, canaryChromiumArgs, startSocketCanary } from '../lib/socket-canary.mjs';
import { makeClips } from '../lib/video.mjs';
import { startServer } from '../server.mjs';

const PLACE_GPS = join(ROOT, 'tests', 'fixtures', 'meta', 'tagged.jpg'); // no face, GPS

let server;
let canary;
let canaryHits;
let sockets;
let scratch;
let build;
let browser;
let ours; // chrome-extension://<id>/
let netLogFile;

before(async () => {
  server = await startServer();
  canaryHits = [];
  canary = createServer((req, res) => {
    canaryHits.push(req.url);
    res.writeHead(200, { 'access-control-allow-origin': '*' }).end('canary');
  });
  canary.listen(0, '127.0.0.1');
  await once(canary, 'listening');
  sockets = await startSocketCanary();
  scratch = tempDir('privacy');
  netLogFile = join(scratch.dir, 'netlog.json');
  build = testBuild('chromium');
  browser = await launchRecordedChromium(build.dir, {
    args: [...canaryChromiumArgs(sockets.port), `--log-net-log=${netLogFile}`],
    preferences: CANARY_CHROMIUM_PREFERENCES,
  });
  ours = `chrome-extension://${browser.extensionId}/`;
});

after(async () => {
  await browser?.close();
  build?.remove();
  await server?.close();
  canary?.close();
  await sockets?.close();
  scratch?.remove();
});

const canaryUrl = (path) => `http://127.0.0.1:${canary.address().port}${path}`;

// ------------------------------------------------------------------------------- the steps

const steps = []; // { label, at, flow }: what the spec was doing from `at` on
function step(label, { flow = true } = {}) {
  steps.push({ label, at: Date.now(), flow });
  sockets.step(label);
}
const stepAt = (at) => steps.filter((s) => s.at <= at).at(-1) ?? { label: 'start', flow: true };
// Part of a flow (or of its sub-steps, "<flow> › <what>"), or the start-up before any step.
const inFlow = (label) => label === 'start' || steps.some((s) => s.flow && s.label === label);
const inStep = (label, name) => label === name || label.startsWith(`${name} › `);

// A request comes from an extension context when the target that made it is one (service
// worker, extension page or iframe, their workers), or when its document or the script that
// made it is an extension file.
const isExtensionUrl = (url) => typeof url === 'string' && /^(blob:)?chrome-extension:\/\//.test(url);
function fromExtension(request) {
  return [request.target.url, request.documentURL, request.initiatorUrl].some(isExtensionUrl);
}

function allowedFor(extensionOrigin) {
  return (request) => {
    const { url } = request;
    if (url.startsWith(extensionOrigin) || url.startsWith('data:') || url.startsWith('blob:')) return true;
    if (fromExtension(request)) return false;
    // The browser's own pages (chrome://extensions, used to grant a site as its "site access"
    // menu does) and their resources, which never touch the network.
    if (/^chrome(-untrusted)?:\/\//.test(url)) return true;
    // A fixture page's own traffic (the page, its scripts, its uploads), also as localhost.
    return [server.origin, `http://localhost:${server.port}`].includes(new URL(url).origin);
  };
}

const describeRequest = (r) => `${r.method} ${r.url} from ${r.target.type} ${r.target.url}` +
  (r.initiatorUrl ? ` (initiator ${r.initiatorUrl})` : '');
const violations = (requests, extensionOrigin = ours) => requests.filter((r) => !allowedFor(extensionOrigin)(r)).map(describeRequest);

const settle = (ms = 500) => new Promise((ok) => setTimeout(ok, ms));

// A flow: its own step; afterwards, nothing it did reached the socket canary, and no request
// recorded meanwhile breaks the rule.
function flow(name, fn) {
  test(name, async () => {
    step(name);
    const start = browser.recorder.requests.length;
    await fn();
    await settle();
    await browser.recorder.flush();
    assert.deepEqual(violations(browser.recorder.requests.slice(start)), [], 'requests off the extension');
    assert.deepEqual(sockets.connections.filter((c) => inStep(c.step, name)).map(sockets.describe), [],
      'connections meant for the outside reached the socket canary');
  });
}

async function openPage(url) {
  const page = await browser.context.newPage();
  await page.goto(url);
  return page;
}

const uploaded = (page, n) => page.waitForSelector(`html[data-upload-status="uploaded ${n}"]`, { timeout: 30000 });
const released = (page) => page.waitForFunction(() => document.documentElement.dataset.released === '1');
const sync = (values) => browser.serviceWorker.evaluate((v) => chrome.storage.sync.set(v), values);
const syncValue = (key) => browser.serviceWorker.evaluate((k) => chrome.storage.sync.get(k).then((s) => s[k] ?? null), key);

// ---------------------------------------------------------------------------------- the flows

flow('every extension page under pages/ opens, in English and French', async () => {
  const pages = readdirSync(join(build.dir, 'pages')).filter((f) => f.endsWith('.html')).sort();
  // Enumerated from the build, so pages added later are covered; these must be among them.
  for (const known of ['demo.html', 'explainer.html', 'guard.html', 'options.html', 'popup.html']) {
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

flow('a face photo picked on a fixture composer: protect, post anyway, cancel; a photo without a face', async () => {
  for (const [button, uploads] of [['protect', 1], ['anyway', 1], ['cancel', 0]]) {
    const page = await openPage(server.url('/composers/instant.html'));
    await chooseFiles(page, () => page.click('#photo'), [FACE]);
    const frame = await warningShown(page);
    await frame.click(`#${button}`);
    if (uploads) await uploaded(page, uploads);
    else await released(page);
    await page.close();
  }
  const page = await openPage(server.url('/composers/instant.html'));
  await chooseFiles(page, () => page.click('#photo'), [NO_FACE]);
  await uploaded(page, 1);
  await page.close();
});

flow('a face photo dropped on a drop zone (trusted drag and drop): protect; then cancel', async () => {
  const page = await openPage(server.url('/composers/drop.html'));
  await dropFiles(page, '#zone', [FACE]);
  let frame = await warningShown(page);
  await frame.click('#protect');
  await uploaded(page, 1);
  await page.evaluate(() => { delete document.documentElement.dataset.released; });
  await dropFiles(page, '#zone', [FACE]);
  frame = await warningShown(page);
  await frame.click('#cancel');
  await released(page);
  await page.close();
});

flow('a face photo pasted into a contenteditable (Ctrl+V): post anyway', async () => {
  const page = await openPage(server.url('/composers/paste.html'));
  await pasteImage(browser.context, page, FACE);
  const frame = await warningShown(page);
  await frame.click('#anyway');
  await uploaded(page, 1);
  await page.close();
});

flow('a face photo picked through showOpenFilePicker(): protect; then cancel', async () => {
  let page = await pageWithFakePicker(browser.context, server.url('/composers/fsa.html'), FACE);
  await page.click('#add');
  let frame = await warningShown(page);
  await frame.click('#protect');
  await uploaded(page, 1);
  await page.close();
  page = await pageWithFakePicker(browser.context, server.url('/composers/fsa.html'), FACE);
  await page.click('#add');
  frame = await warningShown(page);
  await frame.click('#cancel');
  await page.waitForSelector('html[data-picker-error="AbortError"]');
  await page.close();
});

flow('videos picked on a fixture composer: a face clip (attach original, cancel), a located clip (attach without location), a clip without a face', async () => {
  // Made before the flow's step, by ffmpeg in Node: only what the browser does is recorded.
  const clips = makeClips(scratch.dir);
  for (const [clip, button, uploads] of [[clips.face, 'anyway', 1], [clips.face, 'cancel', 0], [clips.faceLocated, 'protect', 1]]) {
    const page = await openPage(server.url('/composers/instant.html'));
    await chooseFiles(page, () => page.click('#photo'), [clip]);
    const frame = await warningShown(page);
    await frame.click(`#${button}`);
    if (uploads) await uploaded(page, uploads);
    else await released(page);
    await page.close();
  }
  const page = await openPage(server.url('/composers/instant.html'));
  await chooseFiles(page, () => page.click('#photo'), [clips.noFace]);
  await uploaded(page, 1);
  await page.close();
});

flow('automatic fixes from the settings: always mask faces, always remove the location', async () => {
  try {
    await sync({ defaultAction: 'mask' });
    let page = await openPage(server.url('/composers/instant.html'));
    server.clearUploads();
    await chooseFiles(page, () => page.click('#photo'), [FACE]);
    await noticeShown(page, /faces were masked before posting, as chosen in your settings/);
    await uploaded(page, 1);
    assert.notEqual(server.uploads()[0].sha256, sha256(readFileSync(FACE)), 'the original was posted: no automatic fix');
    await page.close();

    await sync({ defaultAction: 'strip' });
    page = await openPage(server.url('/composers/instant.html'));
    server.clearUploads();
    await chooseFiles(page, () => page.click('#photo'), [PLACE_GPS]);
    await noticeShown(page, /the location was removed before posting, as chosen in your settings/);
    await uploaded(page, 1);
    assert.notEqual(server.uploads()[0].sha256, sha256(readFileSync(PLACE_GPS)), 'the original was posted: no automatic fix');
    await page.close();
  } finally {
    await browser.serviceWorker.evaluate(() => chrome.storage.sync.remove('defaultAction'));
  }
});

flow('the options page saves every kind of setting', async () => {
  const options = await openPage(`${ours}pages/options.html`);
  await options.waitForSelector('body[data-ready]');
  try {
    await options.check('input[name="sensitivity"][value="any_face"]');
    await options.check('input[name="defaultAction"][value="strip"]');
    await options.uncheck('input[data-site="127.0.0.1"]');
    await options.check('input[name="language"][value="fr"]');
    await waitFor(async () => ((await syncValue('language')) === 'fr' ? true : null), { what: 'the language saved' });
    await options.waitForFunction(() => document.documentElement.lang === 'fr');
    assert.equal(await syncValue('sensitivity'), 'any_face');
    assert.equal(await syncValue('defaultAction'), 'strip');
    assert.deepEqual(await syncValue('offSites'), { '127.0.0.1': true });
    await options.check('input[name="language"][value="auto"]');
    await options.check('input[data-site="127.0.0.1"]');
    await waitFor(async () => (JSON.stringify(await syncValue('offSites')) === '{}' ? true : null), { what: 'the site back on' });
  } finally {
    await options.close();
    await browser.serviceWorker.evaluate(() => chrome.storage.sync.clear());
  }
});

flow('the popup switches a listed site off and on, and turns an unlisted site on', async () => {
  // A listed site (the fixture host in the test build).
  const popup = await openPage(`${ours}pages/popup.html?url=${encodeURIComponent(server.url('/'))}`);
  await popup.waitForSelector('#site[data-state="listed"]');
  await popup.click('#site-toggle');
  await popup.waitForSelector('#site[data-state="paused"]');
  await popup.click('#site-toggle');
  await popup.waitForSelector('#site[data-state="listed"]');
  await popup.close();

  // An unlisted site. The popup asks for the site's permission in the click; headless Chromium
  // cannot answer the browser's prompt, so the permission is granted beforehand the way the
  // browser's own extensions page ("site access") does, and the popup's request then resolves
  // at once. The popup's click does the rest: site-enable, registered content scripts.
  const site = `http://localhost:${server.port}`;
  const extensions = await openPage('chrome://extensions/');
  await extensions.evaluate(([id, origin]) => chrome.developerPrivate.addHostPermission(id, `${origin}/*`),
    [browser.extensionId, site]);
  await extensions.close();
  const unlisted = await openPage(`${ours}pages/popup.html?url=${encodeURIComponent(`${site}/`)}`);
  await unlisted.waitForSelector('#site[data-state="off"]');
  await unlisted.click('#site-toggle');
  await unlisted.waitForSelector('#site[data-state="enabled"]');
  // Photos on the site are now checked.
  const page = await openPage(`${site}/composers/instant.html`);
  await chooseFiles(page, () => page.click('#photo'), [FACE]);
  const frame = await warningShown(page);
  await frame.click('#cancel');
  await released(page);
  await page.close();
  await unlisted.click('#site-toggle');
  await unlisted.waitForSelector('#site[data-state="off"]');
  await unlisted.close();
});

flow('the demo page analyses a sample and a picked photo, and its mock composer posts a protected photo', async () => {
  const page = await openPage(`${ours}pages/demo.html`);
  await page.click('[data-sample="astronaut.jpg"]');
  await page.waitForSelector('#result[data-faces="1"]', { timeout: 30000 });
  await page.evaluate(() => { delete document.getElementById('result').dataset.faces; });
  await page.setInputFiles('#file', NO_FACE);
  await page.waitForSelector('#result[data-faces="0"]', { timeout: 30000 });
  await page.evaluate(() => { delete document.getElementById('result').dataset.faces; });
  await page.click('[data-sample="astronaut.jpg"]');
  await page.waitForSelector('#result[data-faces="1"]', { timeout: 30000 });
  await page.click('#post-current');
  await page.waitForSelector('#composer[data-state="held"]', { state: 'attached' });
  const handle = await page.waitForSelector('#guard-host iframe', { state: 'attached' });
  const frame = await handle.contentFrame();
  await frame.waitForSelector('#dialog', { state: 'visible', timeout: 30000 });
  await frame.waitForSelector('body[data-accepting]', { state: 'attached', timeout: 10000 });
  await frame.click('#protect');
  await page.waitForSelector('#composer[data-state="received"]', { state: 'attached' });
  await page.click('#post-send');
  await page.waitForSelector('#feed > li');
  await page.close();
});

const OUTSIDE_LINKS = 'a[href^="http:"], a[href^="https:"], [data-outside]';

// The explainer's links to the outside (sources, the CNIL): the mouse over each, then a click,
// navigation prevented in the page. Browsers may open a connection to a link's host on hover
// or mousedown to save time should the click navigate: the socket canary sees any such thing.
async function pointAndClickOutsideLinks(flowName, query) {
  const page = await openPage(`${ours}pages/explainer.html${query}`);
  await page.waitForSelector('html[data-ready="true"]');
  const tabs = browser.context.pages().length;
  await page.evaluate(() => {
    window.clickedLinks = [];
    document.addEventListener('click', (event) => {
      const link = event.target.closest('a, [data-outside]');
      if (!link) return;
      event.preventDefault();
      window.clickedLinks.push(link.getAttribute('href') ?? link.dataset.outside);
    }, true);
  });
  // A link to the outside: an href to http(s), or the URL a link without href opens on click.
  const links = page.locator(OUTSIDE_LINKS);
  const hrefs = await links.evaluateAll((all) => all.map((a) => a.getAttribute('href') ?? a.dataset.outside));
  assert.ok(hrefs.length >= 3, `only ${hrefs.length} outside links on the explainer${query}`);
  for (let i = 0; i < hrefs.length; i++) {
    const link = links.nth(i);
    await link.scrollIntoViewIfNeeded();
    step(`${flowName} › explainer.html${query}: mouse over ${hrefs[i]} (link ${i + 1})`);
    await link.hover();
    await page.waitForTimeout(500);
    step(`${flowName} › explainer.html${query}: click on ${hrefs[i]} (link ${i + 1})`);
    await link.click();
    await page.waitForTimeout(500);
  }
  assert.deepEqual(await page.evaluate(() => window.clickedLinks), hrefs, 'not every link was clicked');
  assert.equal(page.url(), `${ours}pages/explainer.html${query}`, 'the explainer navigated');
  assert.equal(browser.context.pages().length, tabs, 'a link opened a tab');
  await page.close();
}

const EXPLAINER = 'the explainer: the mouse over each outside link, then a click (navigation prevented), in English and French';
flow(EXPLAINER, async () => {
  await pointAndClickOutsideLinks(EXPLAINER, '');
  await pointAndClickOutsideLinks(EXPLAINER, '?lang=fr');
});

flow('a managed policy applied (forced masking, locked settings, the demo opened on install)', async () => {
  // A second browser: Chromium reads policy files when it starts. Its build has an id of its own,
  // so the policy file touches no other browser; it has its own recorder, NetLog and steps, and
  // the same socket canary.
  const POLICY = { forceOn: true, forceMaskFaces: true, lockSettings: true, openDemoOnInstall: true, sensitivity: 'any_face' };
  const policyBuild = ownIdBuild('chromium');
  const removePolicy = setChromiumPolicy(policyBuild.id, POLICY);
  const policyNetLog = join(scratch.dir, 'netlog-policy.json');
  let managed;
  try {
    managed = await launchRecordedChromium(policyBuild.dir, {
      args: [...canaryChromiumArgs(sockets.port), `--log-net-log=${policyNetLog}`],
      preferences: CANARY_CHROMIUM_PREFERENCES,
    });
    const origin = `chrome-extension://${policyBuild.id}/`;
    assert.equal(managed.extensionId, policyBuild.id);
    // Loaded after start-up (Extensions.loadUnpacked), the extension gets its policy a few
    // seconds after its install event: installed again once the policy is there, as a
    // force-installed extension meets it.
    await waitFor(async () => {
      const got = await managed.serviceWorker.evaluate(() => chrome.storage.managed.get());
      return Object.keys(got).length > 0 ? got : null;
    }, { what: 'the policy in storage.managed' });
    const isOurs = (w) => w.url().startsWith(origin);
    const reinstalled = managed.context.waitForEvent('serviceworker', { predicate: isOurs, timeout: 20000 });
    await managed.recorder.connection.send('Extensions.uninstall', { id: policyBuild.id });
    await managed.recorder.connection.send('Extensions.loadUnpacked', { path: policyBuild.dir });
    const worker = await reinstalled;
    assert.deepEqual(await worker.evaluate(() => chrome.storage.managed.get()), POLICY, 'Chromium did not apply the policy file');
    await waitFor(() => managed.context.pages().find((p) => p.url().startsWith(`${origin}pages/demo.html`)) ?? null,
      { what: 'the demo opened on install' });
    const options = await managed.context.newPage();
    await options.goto(`${origin}pages/options.html`);
    await options.waitForSelector('body[data-ready]');
    assert.equal(await options.isDisabled('input[name="defaultAction"][value="ask"]'), true, 'settings not locked');
    await options.close();
    const popup = await managed.context.newPage();
    await popup.goto(`${origin}pages/popup.html?url=${encodeURIComponent(server.url('/'))}`);
    await popup.waitForSelector('#site[data-state="listed"]');
    await popup.close();
    const page = await managed.context.newPage();
    await page.goto(server.url('/composers/instant.html'));
    server.clearUploads();
    await chooseFiles(page, () => page.click('#photo'), [FACE]);
    await noticeShown(page, /faces were masked before posting, as required by your school or organisation/);
    await uploaded(page, 1);
    assert.notEqual(server.uploads()[0].sha256, sha256(readFileSync(FACE)), 'the original was posted');
    await page.close();

    await settle();
    await managed.recorder.flush();
    assert.deepEqual(managed.recorder.errors, [], 'the recorder failed to attach to a target');
    assert.deepEqual(violations(managed.recorder.requests, origin), []);
    assert.ok(managed.recorder.requests.some((r) => r.target.type === 'service_worker'), 'nothing recorded from its service worker');
  } finally {
    await managed?.close();
    removePolicy();
    policyBuild.remove();
  }
  // Complete now that this Chromium has exited.
  const outside = outsideActivity(readNetLog(policyNetLog), sockets.port);
  assert.deepEqual(outside, [], 'the policy browser\'s network stack reached for outside hosts');
});

// ----------------------------------------------------------------------- the real assertions

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

test('no connection meant for the outside reached the socket canary during any flow', () => {
  const flows = steps.filter((s) => s.flow && !s.label.includes(' › '));
  assert.ok(flows.length >= 11, `only ${flows.length} flows ran`);
  assert.deepEqual(sockets.connections.filter((c) => inFlow(c.step)).map(sockets.describe), []);
});

// ------------------------------------------------------ self-check: the witnesses can fail

describe('self-check: requests deliberately sent off the extension are caught', () => {
  // Runs `send` and returns the violations recorded meanwhile, once the canary got the request.
  async function caught(path, send) {
    step(`self-check ${path}`, { flow: false });
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

describe('self-check: the socket canary sees connections meant for the outside', () => {
  const arrived = (label, host) => waitFor(
    () => sockets.connections.find((c) => c.step === label && c.host === host) ?? null,
    { what: `a connection for ${host} at the socket canary` },
  );

  test('a fetch to https://example.invalid/ from an extension page', async () => {
    const label = 'self-check: fetch to example.invalid';
    step(label, { flow: false });
    const page = await openPage(`${ours}pages/popup.html`);
    const outcome = await page.evaluate(() => fetch('https://example.invalid/').then(() => 'answered', (e) => e.name));
    await page.close();
    assert.equal(outcome, 'TypeError', 'the fetch should fail: the canary answers nothing');
    const connection = await arrived(label, 'example.invalid');
    assert.equal(connection.protocol, 'tls');
  });

  test('a preconnect (<link rel=preconnect>) from a fixture page, which sends no request', async () => {
    const label = 'self-check: preconnect';
    step(label, { flow: false });
    const page = await openPage(server.url('/plain.html'));
    await page.evaluate(() => document.head.append(Object.assign(document.createElement('link'), {
      rel: 'preconnect', href: 'https://preconnect-canary.example/',
    })));
    await arrived(label, 'preconnect-canary.example');
    await page.close();
  });

  test('a DNS prefetch (<link rel=dns-prefetch>) from a fixture page, seen in the NetLog only', async () => {
    step('self-check: dns-prefetch', { flow: false });
    const page = await openPage(server.url('/plain.html'));
    await page.evaluate(() => document.head.append(Object.assign(document.createElement('link'), {
      rel: 'dns-prefetch', href: 'https://dns-prefetch-canary.example/',
    })));
    await settle(1000);
    await page.close();
    // Checked in the next test, once Chromium has exited and its NetLog is complete.
  });
});

test('the NetLog: no flow looked up or connected to an outside host; the self-checks did', async () => {
  step('closing', { flow: false });
  await browser.close();
  const outside = outsideActivity(readNetLog(netLogFile), sockets.port)
    .map((a) => ({ ...a, step: stepAt(a.at) }));
  const describeActivity = (a) => `${a.speculative ? 'speculative ' : ''}${a.kind} ${a.host} for ${a.site} during "${a.step.label}"`;
  const inFlows = outside.filter((a) => a.step.flow).map(describeActivity);
  const during = (label) => outside.filter((a) => a.step.label === label);
  // The self-checks: the witness can fail.
  assert.ok(during('self-check: fetch to example.invalid').some((a) => a.kind === 'connect' && a.host === 'example.invalid'
    && a.site.startsWith('chrome-extension://')), 'the NetLog did not show the fetch to example.invalid from an extension page');
  assert.ok(during('self-check: preconnect').some((a) => a.kind === 'connect' && a.speculative && a.host === 'preconnect-canary.example'),
    'the NetLog did not show the preconnect');
  assert.ok(during('self-check: dns-prefetch').some((a) => a.kind === 'lookup'), 'the NetLog did not show the DNS prefetch');
  assert.deepEqual(inFlows, []);
});
