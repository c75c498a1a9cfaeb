// Proof of privacy in Firefox ESR (the Chromium twin is specs/privacy.test.mjs). Firefox driven
// through geckodriver has no DevTools request recorder, so its traffic goes through a recording
// proxy (lib/proxy-recorder.mjs) for every scheme and host, the fixture server's 127.0.0.1
// included: the proxy forwards plain requests to the fixture server only and refuses the rest.
// Allowed: requests to the fixture server made by the fixture pages (page loads, their scripts,
// their uploads). Anything else fails: another host, any CONNECT (https, wss), any request whose
// Origin or Referer is moz-extension://.
//
// Three more witnesses, read in the browser's privileged context (WebDriver's chrome context,
// allowed by MOZ_REMOTE_ALLOW_SYSTEM_ACCESS):
//   - every HTTP channel the browser opens ("http-on-opening-request"), with the principal that
//     made it: a channel made by an extension page, or to anything but the fixture server, fails;
//   - every speculative connection ("speculative-connect-request", which Firefox reports when
//     network.http.debug-observations is on): a preconnect on hover or mousedown, a
//     <link rel=preconnect>;
//   - the DNS cache (about:networking's dashboard): every name looked up, DNS prefetches included.
//     network.dns.native-is-localhost answers every lookup with 127.0.0.1, so no query leaves the
//     machine, yet each name is recorded.
//
// Firefox makes no speculative connection and no DNS prefetch for a URL that goes through a
// proxy. So the flows on extension pages alone (every page opened, the explainer's outside
// links hovered and clicked) run with the proxy switched off ("direct"): there, the channel
// observer records any request, the speculative and DNS witnesses are live, and anything meant
// for the outside would go to 127.0.0.1 and be refused.
//
// Prefs: lib/firefox.mjs's QUIET_PREFS turn DNS prefetching and link prefetching off for every
// spec (network.dns.disablePrefetch, network.prefetch-next); this spec turns them back on, so
// the extension pages get the browser's default behaviour. network.http.speculative-parallel-
// limit is left at its default. Remote Settings is pointed at a dummy data: URL (honoured when
// MOZ_REMOTE_SETTINGS_DEVTOOLS is set): otherwise Firefox itself asks
// firefox.settings.services.mozilla.com at start-up.
//
// Not here, because WebDriver cannot do them in Firefox: drop (WebDriver actions cannot carry
// files) and paste (headless Firefox's clipboard keeps only text: an image written with
// navigator.clipboard.write() is not what Ctrl+V pastes); showOpenFilePicker() does not exist in
// Firefox; turning an unlisted site on needs the browser's permission prompt; the managed policy
// is firefox/policy.test.mjs's.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ROOT, testBuild, waitFor } from '../lib/common.mjs';
import { WARNING_OPEN, findGeckodriver, geckodriverSkip, intoWarning } from '../lib/firefox.mjs';
import { launchFirefoxSession } from '../lib/firefox-session.mjs';
import { FACE, NO_FACE, sha256 } from '../lib/hold.mjs';
import { proxyPrefs, startRecordingProxy } from '../lib/proxy-recorder.mjs';
import { startServer } from '../server.mjs';

const skip = geckodriverSkip();
const PLACE_GPS = join(ROOT, 'tests', 'fixtures', 'meta', 'tagged.jpg'); // no face, GPS
const UUID = randomUUID();
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
const LOCAL_NAMES = new Set(['127.0.0.1', 'localhost', '::1']);

let server;
let proxy;
let build;
let firefox;
let fixtureHost; // 127.0.0.1:<port>
const ours = `moz-extension://${UUID}/`;

before(async () => {
  if (skip) return;
  process.env.MOZ_REMOTE_ALLOW_SYSTEM_ACCESS = '1';
  process.env.MOZ_REMOTE_SETTINGS_DEVTOOLS = '1';
  server = await startServer();
  fixtureHost = new URL(server.origin).host;
  proxy = await startRecordingProxy(server.origin);
  build = testBuild('firefox');
  const addonId = JSON.parse(readFileSync(join(build.dir, 'manifest.json'), 'utf8')).browser_specific_settings.gecko.id;
  firefox = await launchFirefoxSession(findGeckodriver(), {
    prefs: {
      ...proxyPrefs(proxy.port),
      // Firefox's defaults again (lib/firefox.mjs turns them off for every spec).
      'network.dns.disablePrefetch': false,
      'network.prefetch-next': true,
      'network.dns.prefetch_via_proxy': true,
      // The witnesses: every lookup answered locally but recorded; speculative connections told.
      'network.dns.native-is-localhost': true,
      'network.http.debug-observations': true,
      // Firefox's own traffic, off.
      'services.settings.server': 'data:,#remote-settings-dummy/v1',
      // A known moz-extension://<uuid>/ for the add-on.
      'extensions.webextensions.uuids': JSON.stringify({ [addonId]: UUID }),
    },
  });
  await firefox.installAddon(build.dir);
  await chrome(INSTALL_OBSERVERS);
});

after(async () => {
  await firefox?.close();
  build?.remove();
  await proxy?.close();
  await server?.close();
});

// --------------------------------------------------------------- the privileged witnesses

// Runs `script` in the browser's privileged context; its last argument is the callback.
async function chrome(script, args = []) {
  await firefox.context('chrome');
  try {
    return await firefox.executeAsync(script, args);
  } finally {
    await firefox.context('content');
  }
}

// Kept on the browser window, which outlives each script.
const INSTALL_OBSERVERS = `
  const done = arguments[arguments.length - 1];
  if (!window.privacyWitness) {
    const seen = { speculative: [], channels: [] };
    const observer = {
      observe(subject, topic, data) {
        if (topic === 'speculative-connect-request') {
          seen.speculative.push(String(data));
          return;
        }
        const channel = subject.QueryInterface(Ci.nsIChannel);
        const info = channel.loadInfo;
        seen.channels.push({
          url: channel.URI.spec,
          triggering: info?.triggeringPrincipal?.origin ?? null,
          loading: info?.loadingPrincipal?.origin ?? null,
        });
      },
    };
    Services.obs.addObserver(observer, 'speculative-connect-request');
    Services.obs.addObserver(observer, 'http-on-opening-request');
    window.privacyWitness = { seen, observer };
  }
  done(true);`;

const DRAIN = `
  const done = arguments[arguments.length - 1];
  const { seen } = window.privacyWitness;
  const out = { speculative: seen.speculative.splice(0), channels: seen.channels.splice(0) };
  const dashboard = Cc['@mozilla.org/network/dashboard;1'].getService(Ci.nsIDashboard);
  dashboard.requestDNSInfo({ onDashboardDataAvailable(data) { out.names = data.entries.map((e) => e.hostname); done(out); } });`;

const setProxy = (on) => chrome(`Services.prefs.setIntPref('network.proxy.type', ${on ? 1 : 0}); arguments[0](true)`);

// ------------------------------------------------------------------------------- the steps

// What every witness saw, each with the step the spec was at: { step, kind, text, bad }.
const seen = [];
const knownNames = new Set();
let proxyMark = 0;
let connectionMark = 0;
let current = 'start-up';
const isExtension = (value) => typeof value === 'string' && value.startsWith('moz-extension:');
const fixtureUrl = (url) => /^https?:/.test(url) && new URL(url).host === fixtureHost;

// Collects what the witnesses saw since the last call, for the current step.
async function collect() {
  const got = await chrome(DRAIN);
  for (const r of proxy.requests.slice(proxyMark)) {
    const bad = r.kind !== 'request' || r.host !== fixtureHost || isExtension(r.origin) || isExtension(r.referer);
    seen.push({ step: r.step, kind: `proxy ${r.kind}`, bad, text: `${r.method} ${r.url} (Origin ${r.origin}, Referer ${r.referer})` });
  }
  proxyMark = proxy.requests.length;
  // A connection to the proxy that carried no request within a second: a speculative one.
  const { connections } = proxy;
  while (connectionMark < connections.length && Date.now() - connections[connectionMark].at > 1000) {
    const c = connections[connectionMark++];
    if (c.requests === 0) seen.push({ step: c.step, kind: 'proxy connection', bad: true, text: `with no request (${c.bytes} bytes)` });
  }
  for (const c of got.channels) {
    const bad = !fixtureUrl(c.url) || isExtension(c.triggering) || isExtension(c.loading);
    seen.push({ step: current, kind: 'channel', bad, text: `${c.url} (triggered by ${c.triggering}, loaded by ${c.loading})` });
  }
  for (const s of got.speculative) {
    const host = /\]([^\s^]+)/.exec(s)?.[1] ?? s;
    seen.push({ step: current, kind: 'speculative connection', bad: true, text: host });
  }
  for (const name of got.names) {
    if (LOCAL_NAMES.has(name) || knownNames.has(name)) continue;
    knownNames.add(name);
    seen.push({ step: current, kind: 'DNS lookup', bad: true, text: name });
  }
}

async function step(label) {
  await collect();
  current = label;
  proxy.step(label);
}

const inStep = (label, name) => label === name || label.startsWith(`${name} › `);
const describeSeen = (s) => `${s.kind}: ${s.text} during "${s.step}"`;
const problems = (list) => list.filter((s) => s.bad).map(describeSeen);
const settle = (ms = 500) => new Promise((ok) => setTimeout(ok, ms));

// A flow: its own step (with the proxy off when `direct`), then nothing bad seen during it.
function flow(name, fn, { direct = false } = {}) {
  test(`firefox: ${name}`, { skip }, async () => {
    await step(name);
    if (direct) await setProxy(false);
    try {
      await fn();
      await settle();
    } finally {
      if (direct) await setProxy(true);
    }
    await step(`between flows, after: ${name}`);
    assert.deepEqual(problems(seen.filter((s) => inStep(s.step, name))), []);
  });
}

// ------------------------------------------------------------------------- page helpers

const el = (id) => ({ [ELEMENT]: id });
const html = (key) => firefox.execute(`return document.documentElement.dataset[${JSON.stringify(key)}] ?? null`);
const click = async (css) => firefox.click(await firefox.find(css));
const until = (fn, what, timeoutMs = 30000) => waitFor(fn, { what, timeoutMs });

async function uploaded(n) {
  await until(async () => ((await html('uploadStatus')) === `uploaded ${n}` ? true : null), `upload ${n}`);
}

async function pick(path) {
  await firefox.goto(server.url('/composers/instant.html'));
  await firefox.sendKeys(await firefox.find('#photo'), path);
}

// In an extension page: browser.storage.sync, read or cleared.
const syncGet = () => firefox.executeAsync('const done = arguments[0]; browser.storage.sync.get().then(done, (e) => done(String(e)))');
const syncClear = () => firefox.executeAsync('const done = arguments[0]; browser.storage.sync.clear().then(() => done(true))');

async function openExtensionPage(path) {
  await firefox.goto(`${ours}${path}`);
  await until(async () => ((await firefox.execute('return document.readyState')) === 'complete' ? true : null), `${path} loaded`);
}

// ---------------------------------------------------------------------------------- the flows

const EVERY_PAGE = 'every extension page under pages/ opens, in English and French (direct)';
flow(EVERY_PAGE, async () => {
  const pages = readdirSync(join(build.dir, 'pages')).filter((f) => f.endsWith('.html')).sort();
  for (const known of ['demo.html', 'explainer.html', 'guard.html', 'options.html', 'popup.html']) {
    assert.ok(pages.includes(known), `pages/${known} not found in the build`);
  }
  for (const file of pages) {
    for (const query of ['', '?lang=fr']) {
      await step(`${EVERY_PAGE} › ${file}${query}`);
      await openExtensionPage(`pages/${file}${query}`);
      await settle(300);
    }
  }
  await openExtensionPage('pages/popup.html');
  await until(() => firefox.execute("return document.getElementById('engine').dataset.state === 'ready' ? true : null"), 'the engine ready');
}, { direct: true });

flow('a face photo picked on a fixture composer: protect, post anyway, cancel; a photo without a face', async () => {
  for (const [button, uploads] of [['protect', 1], ['anyway', 1], ['cancel', 0]]) {
    await pick(FACE);
    await intoWarning(firefox);
    await click(`#${button}`);
    await firefox.frame(null);
    if (uploads) await uploaded(uploads);
    else await until(async () => ((await html('released')) === '1' ? true : null), 'the release');
  }
  await pick(NO_FACE);
  await uploaded(1);
});

flow('the options page saves every kind of setting', async () => {
  await openExtensionPage('pages/options.html');
  await until(() => firefox.execute('return document.body.dataset.ready !== undefined ? true : null'), 'the options page ready');
  try {
    await click('input[name="sensitivity"][value="any_face"]');
    await click('input[name="defaultAction"][value="strip"]');
    await click('input[data-site="127.0.0.1"]');
    await click('input[name="language"][value="fr"]');
    const saved = await until(async () => {
      const s = await syncGet();
      return s.language === 'fr' ? s : null;
    }, 'the settings saved');
    assert.equal(saved.sensitivity, 'any_face');
    assert.equal(saved.defaultAction, 'strip');
    assert.deepEqual(saved.offSites, { '127.0.0.1': true });
  } finally {
    await syncClear();
  }
});

flow('automatic fixes chosen on the options page: always mask faces, always remove the location', async () => {
  for (const [action, photo] of [['mask', FACE], ['strip', PLACE_GPS]]) {
    await openExtensionPage('pages/options.html');
    await until(() => firefox.execute('return document.body.dataset.ready !== undefined ? true : null'), 'the options page ready');
    await click(`input[name="defaultAction"][value="${action}"]`);
    await until(async () => ((await syncGet()).defaultAction === action ? true : null), `defaultAction ${action} saved`);
    server.clearUploads();
    // Nobody clicks anything: the fix is made because the settings say so.
    await pick(photo);
    await uploaded(1);
    assert.notEqual(server.uploads()[0].sha256, sha256(readFileSync(photo)), `${action}: the original was posted`);
  }
  await openExtensionPage('pages/options.html');
  await syncClear();
});

flow('the popup (opened as a tab) switches a listed site off and back on', async () => {
  await openExtensionPage(`pages/popup.html?url=${encodeURIComponent(server.url('/'))}`);
  const state = () => firefox.execute("return document.getElementById('site').dataset.state ?? null");
  await until(async () => ((await state()) === 'listed' ? true : null), 'the site listed');
  await click('#site-toggle');
  await until(async () => ((await state()) === 'paused' ? true : null), 'the site paused');
  await click('#site-toggle');
  await until(async () => ((await state()) === 'listed' ? true : null), 'the site listed again');
});

flow('the demo analyses a sample, and its mock composer posts a protected photo', async () => {
  await openExtensionPage('pages/demo.html');
  await click('[data-sample="astronaut.jpg"]');
  await until(() => firefox.execute("return document.getElementById('result').dataset.faces ?? null"), 'the analysis');
  assert.equal(await firefox.execute("return document.getElementById('result').dataset.faces"), '1');
  await until(() => firefox.execute("return document.getElementById('post-current').disabled ? null : true"), 'the composer');
  await click('#post-current');
  const iframe = await until(async () => {
    try {
      return await firefox.find('#guard-host iframe');
    } catch {
      return null;
    }
  }, 'the guard frame in the demo');
  await firefox.frame(el(iframe));
  await until(() => firefox.execute(WARNING_OPEN), 'the warning in the demo');
  await click('#protect');
  await firefox.frame(null);
  await until(() => firefox.execute("return document.getElementById('composer').dataset.state === 'received' ? true : null"), 'received');
  await click('#post-send');
  await until(() => firefox.execute("return document.querySelector('#feed > li') ? true : null"), 'the post in the feed');
});

const OUTSIDE_LINKS = 'a[href^="http:"], a[href^="https:"], [data-outside]';

// The explainer's outside links: the mouse over each, then a press and release (a click),
// navigation prevented by a capture-phase listener, with the proxy off so that the browser
// could preconnect or prefetch if the page let it.
async function pointAndClickOutsideLinks(flowName, query) {
  await openExtensionPage(`pages/explainer.html${query}`);
  await until(async () => ((await html('ready')) === 'true' ? true : null), 'the explainer ready');
  await firefox.execute(`window.clickedLinks = [];
    document.addEventListener('click', (event) => {
      const link = event.target.closest('a, [data-outside]');
      if (!link) return;
      event.preventDefault();
      window.clickedLinks.push(link.getAttribute('href') ?? link.dataset.outside);
    }, true);`);
  // A link to the outside: an href to http(s), or the URL a link without href opens on click.
  const hrefs = await firefox.execute('return [...document.querySelectorAll(arguments[0])].map((a) => a.getAttribute("href") ?? a.dataset.outside)', [OUTSIDE_LINKS]);
  assert.ok(hrefs.length >= 3, `only ${hrefs.length} outside links on the explainer${query}`);
  const links = (await firefox.cmd('POST', '/elements', { using: 'css selector', value: OUTSIDE_LINKS }))
    .map((found) => found[ELEMENT]);
  for (let i = 0; i < hrefs.length; i++) {
    await firefox.execute("arguments[0].scrollIntoView({ block: 'center' })", [el(links[i])]);
    await step(`${flowName} › explainer.html${query}: mouse over ${hrefs[i]} (link ${i + 1})`);
    await firefox.hover(links[i]);
    await settle(800);
    await step(`${flowName} › explainer.html${query}: click on ${hrefs[i]} (link ${i + 1})`);
    await firefox.press(100);
    await settle(800);
  }
  assert.deepEqual(await firefox.execute('return window.clickedLinks'), hrefs, 'not every link was clicked');
  assert.equal((await firefox.windowHandles()).length, 1, 'a link opened a tab');
  assert.equal(await firefox.execute('return location.href'), `${ours}pages/explainer.html${query}`, 'the explainer navigated');
}

const EXPLAINER = 'the explainer: each outside link hovered, then clicked with navigation prevented, EN and FR (direct)';
flow(EXPLAINER, async () => {
  await pointAndClickOutsideLinks(EXPLAINER, '');
  await pointAndClickOutsideLinks(EXPLAINER, '?lang=fr');
}, { direct: true });

// ----------------------------------------------------------------------- the real assertions

test('firefox: in every flow, only fixture pages reached the proxy, and nothing was looked up or preconnected', { skip }, async () => {
  await settle(1200); // the last connections to the proxy get the time to carry their request
  await step('checked');
  const flows = seen.filter((s) => !s.step.startsWith('self-check'));
  assert.deepEqual(problems(flows), []);
  // Not vacuous: the proxy carried the fixture pages and their uploads, the channel observer
  // saw them, and the direct flows ran.
  const viaProxy = flows.filter((s) => s.kind === 'proxy request');
  assert.ok(viaProxy.some((s) => s.text.startsWith(`GET http://${fixtureHost}/composers/instant.html`)), 'no page load went through the proxy');
  assert.ok(viaProxy.filter((s) => s.text.startsWith(`POST http://${fixtureHost}/upload`)).length >= 5, 'the uploads did not go through the proxy');
  assert.ok(flows.some((s) => s.kind === 'channel' && s.text.includes('/upload')), 'the channel observer saw no upload');
  console.log(`# ${viaProxy.length} requests through the proxy, ${flows.filter((s) => s.kind === 'channel').length} channels observed`);
});

// ------------------------------------------------------ self-check: the witnesses can fail

describe('firefox self-check: requests and connections deliberately sent are caught', () => {
  const during = (label) => seen.filter((s) => s.step === label);

  test('a fetch to http://example.invalid/ and https://example.invalid/ from an extension page', { skip }, async () => {
    const label = 'self-check: fetch from an extension page';
    await openExtensionPage('pages/popup.html');
    await step(label);
    const outcome = await firefox.executeAsync(`const done = arguments[0];
      Promise.all(['http://example.invalid/from-extension', 'https://example.invalid/from-extension']
        .map((u) => fetch(u).then(() => 'answered', (e) => e.name))).then(done);`);
    assert.deepEqual(outcome, ['TypeError', 'TypeError'], 'the proxy answers neither');
    await step('self-check: done');
    const found = problems(during(label));
    assert.ok(found.some((t) => /^proxy request: GET http:\/\/example\.invalid\/from-extension \(Origin moz-extension:\/\//.test(t)),
      `the proxy did not catch the plain fetch:\n${found.join('\n')}`);
    assert.ok(found.some((t) => t.startsWith('proxy connect: CONNECT example.invalid:443')), `the proxy did not catch the CONNECT:\n${found.join('\n')}`);
    assert.ok(found.some((t) => /^channel: http:\/\/example\.invalid\/from-extension \(triggered by moz-extension:\/\//.test(t)),
      `the channel observer did not catch the fetch:\n${found.join('\n')}`);
  });

  test('a preconnect and a DNS prefetch from a fixture page, with the proxy off', { skip }, async () => {
    const label = 'self-check: preconnect and DNS prefetch';
    await firefox.goto(server.url('/plain.html'));
    await step(label);
    await setProxy(false);
    try {
      await firefox.execute(`for (const [rel, href] of [['preconnect', 'https://preconnect-canary.example/'], ['dns-prefetch', 'https://dns-canary.example/']]) {
        document.head.append(Object.assign(document.createElement('link'), { rel, href }));
      }`);
      await settle(1500);
    } finally {
      await setProxy(true);
    }
    await step('self-check: done');
    const found = problems(during(label));
    assert.ok(found.includes(`speculative connection: preconnect-canary.example:443 during "${label}"`),
      `the speculative connection was not seen:\n${found.join('\n')}`);
    assert.ok(found.includes(`DNS lookup: preconnect-canary.example during "${label}"`), `the preconnect's lookup was not seen:\n${found.join('\n')}`);
    assert.ok(found.includes(`DNS lookup: dns-canary.example during "${label}"`), `the DNS prefetch was not seen:\n${found.join('\n')}`);
  });
});
