// Background of Before You Post: the only place (with extension pages) where the wasm engine runs.
// One file for both browsers: a module service worker in Chromium, a module background script in
// Firefox. Listeners are registered at top level so a restarted worker gets the event that woke it.

// Static import: MV3 service workers allow neither dynamic import() nor top-level await.
import init, { engineInfo } from '../wasm/before_you_post.js';
import '../common/match-pattern.js';
import '../common/settings.js';

const api = globalThis.browser ?? globalThis.chrome;

// A prefix check: by the URL standard, extension-scheme URLs have the opaque origin "null".
const extensionBase = api.runtime.getURL('');

let engineReady = null;

// Instantiates the wasm module once per background lifetime; a failed start may be retried.
function startEngine() {
  engineReady ??= init({ module_or_path: api.runtime.getURL('wasm/before_you_post_bg.wasm') })
    .catch((err) => {
      engineReady = null;
      throw err;
    });
  return engineReady;
}

let cachedInfo = null;

// engineInfo() does real work in the engine (model checksum, self-test): computed once, reused.
async function getEngineInfo() {
  if (cachedInfo === null) {
    await startEngine();
    cachedInfo = engineInfo();
  }
  return cachedInfo;
}

// Who sent a message: 'page' (our own extension pages), 'content' (our content scripts in a
// web page), or null for anything else.
function senderKind(sender) {
  if (!sender || sender.id !== api.runtime.id || typeof sender.url !== 'string') return null;
  if (sender.url.startsWith(extensionBase)) return 'page';
  if (sender.tab) return 'content';
  return null;
}

// Guard handshake. A content script registers a fresh nonce, then hands it with a MessagePort to
// the guard frame it created; the guard claims the nonce here. A page can post a port to that
// frame too, but cannot know a nonce, so the guard only ever talks to our content script.
// Kept in storage.session so a restarted service worker still knows it. A page can make frames
// register nonces at will (a click on a file input warms a guard), so what is kept is bounded:
// a nonce expires after NONCE_TTL_MS, a frame has one at a time, a tab at most NONCES_PER_TAB,
// and a closed tab's are dropped.
const NONCE_TTL_MS = 60_000;
const NONCES_PER_TAB = 8;
const NONCE_PREFIX = 'guard:';

// Registrations and claims run one at a time, so the bounds hold under a burst.
let nonceQueue = Promise.resolve();
function serially(fn) {
  const run = nonceQueue.then(fn);
  nonceQueue = run.catch(() => {});
  return run;
}

// The stored nonces, read once per service worker lifetime and kept in step with the storage, so
// a burst of registrations costs two writes each rather than a full read.
let nonceCache = null;
async function nonces() {
  if (nonceCache === null) {
    const all = await api.storage.session.get(null);
    nonceCache = new Map(Object.entries(all).filter(([key]) => key.startsWith(NONCE_PREFIX)));
  }
  return nonceCache;
}

async function forget(map, keys) {
  for (const key of keys) map.delete(key);
  if (keys.length > 0) await api.storage.session.remove(keys);
}

function registerGuard(message, sender) {
  if (typeof message.nonce !== 'string' || message.nonce.length < 32) return { error: 'bad_nonce' };
  return serially(async () => {
    const now = Date.now();
    const tabId = sender.tab.id;
    const frameId = sender.frameId ?? 0;
    const map = await nonces();
    const drop = [];
    const tab = [];
    for (const [key, entry] of map) {
      const expired = !(now - entry?.at < NONCE_TTL_MS);
      const superseded = entry?.tabId === tabId && entry?.frameId === frameId;
      if (expired || superseded) drop.push(key);
      else if (entry.tabId === tabId) tab.push([key, entry.at]);
    }
    tab.sort((a, b) => a[1] - b[1]);
    drop.push(...tab.slice(0, Math.max(0, tab.length - (NONCES_PER_TAB - 1))).map(([key]) => key));
    await forget(map, drop);
    const key = `${NONCE_PREFIX}${message.nonce}`;
    const entry = { tabId, frameId, at: now };
    map.set(key, entry);
    await api.storage.session.set({ [key]: entry });
    return { ok: true };
  });
}

function claimGuard(message, sender) {
  if (typeof message.nonce !== 'string') return { ok: false };
  return serially(async () => {
    const key = `${NONCE_PREFIX}${message.nonce}`;
    const map = await nonces();
    const entry = map.get(key);
    await forget(map, [key]);
    const ok = Boolean(entry) && entry.tabId === sender.tab?.id && Date.now() - entry.at < NONCE_TTL_MS;
    return { ok };
  });
}

api.tabs.onRemoved.addListener((tabId) => {
  serially(async () => {
    const map = await nonces();
    await forget(map, [...map].filter(([, e]) => e?.tabId === tabId).map(([key]) => key));
  }).catch(() => {});
});

// Sites the user enabled from the popup (e.g. a Mastodon instance): the optional host permission
// for that origin plus the same content scripts, registered for it alone.
// The same scripts as the manifest's isolated-world entry, in the same order (Firefox reports
// them as absolute paths).
const SENSOR = {
  js: (api.runtime.getManifest().content_scripts ?? [])
    .map((cs) => (cs.js ?? []).map((f) => f.replace(/^\//, '')))
    .find((js) => js.includes('content/sensor.js')) ?? [],
};
const MAIN_WORLD = { js: ['content/main-world.js'], world: 'MAIN' };
const scriptId = (origin, part) => `site ${part} ${origin}`;
// As the manifest's entries: every frame, about:blank, srcdoc and javascript: frames included.
const EVERY_FRAME = { runAt: 'document_start', allFrames: true, matchOriginAsFallback: true, persistAcrossSessions: true };

function webOrigin(value) {
  try {
    const url = new URL(String(value));
    return ['https:', 'http:'].includes(url.protocol) && url.origin !== 'null' ? url.origin : null;
  } catch {
    return null;
  }
}

async function registeredOrigins() {
  const scripts = await api.scripting.getRegisteredContentScripts();
  return new Set(scripts.filter((s) => s.id.startsWith('site sensor ')).map((s) => s.id.slice('site sensor '.length)));
}

async function siteStatus(message) {
  const origin = webOrigin(message.origin);
  if (!origin) return { supported: false };
  const pattern = `${origin}/*`;
  const { matchesOrigin } = globalThis.beforeYouPostMatchPattern;
  const listed = api.runtime.getManifest().content_scripts.some((cs) => cs.matches.some((m) => matchesOrigin(m, origin)));
  const enabled = (await registeredOrigins()).has(origin);
  const granted = await api.permissions.contains({ origins: [pattern] });
  return { supported: true, origin, listed, enabled: enabled && granted };
}

// The sensor, into a page whose scripts have already run: marked as late first, so it takes no
// private link the page could offer (content/sensor.js atStart).
async function injectSensorLate(target) {
  try {
    await api.scripting.executeScript({ target, func: () => { globalThis.beforeYouPostLateInjection = true; } });
    await api.scripting.executeScript({ target, files: SENSOR.js });
  } catch { /* a tab we may not script (closed, or a browser page) */ }
}

async function enableSite(message) {
  const origin = webOrigin(message.origin);
  if (!origin) return { error: 'bad_origin' };
  const matches = [`${origin}/*`];
  if (!(await api.permissions.contains({ origins: matches }))) return { error: 'permission_missing' };
  if (!(await registeredOrigins()).has(origin)) {
    await api.scripting.registerContentScripts([
      { id: scriptId(origin, 'sensor'), matches, ...SENSOR, ...EVERY_FRAME },
      { id: scriptId(origin, 'main'), matches, ...MAIN_WORLD, ...EVERY_FRAME },
    ]);
  }
  // The open tab starts being checked at once, without a reload: the sensor only. The page-world
  // script is never injected after the page's scripts have run (the page could hear its private
  // link being set up), so until the tab reloads, detached inputs and showOpenFilePicker() there
  // are not held (AUTOMATION.md).
  if (Number.isInteger(message.tabId)) {
    await injectSensorLate({ tabId: message.tabId, allFrames: true });
  }
  return { ok: true, origin };
}

async function disableSite(message) {
  const origin = webOrigin(message.origin);
  if (!origin) return { error: 'bad_origin' };
  await forgetSite(origin);
  await api.permissions.remove({ origins: [`${origin}/*`] });
  return { ok: true, origin };
}

async function forgetSite(origin) {
  const ids = [scriptId(origin, 'sensor'), scriptId(origin, 'main')];
  const present = (await api.scripting.getRegisteredContentScripts({ ids })).map((s) => s.id);
  if (present.length > 0) await api.scripting.unregisterContentScripts({ ids: present });
}

// Permission withdrawn elsewhere (browser settings): stop injecting there too.
api.permissions.onRemoved.addListener(({ origins = [] }) => {
  for (const pattern of origins) {
    const origin = webOrigin(pattern.replace(/\/\*$/, '/'));
    if (origin) forgetSite(origin).catch(() => {});
  }
});

// School or company policy: open the classroom demo once, when the extension is installed.
api.runtime.onInstalled.addListener(async ({ reason }) => {
  if (reason !== 'install') return;
  const s = await globalThis.beforeYouPostSettings.load();
  const lang = s.language === 'auto' ? '' : `?lang=${s.language}`;
  if (s.policy.openDemoOnInstall) await api.tabs.create({ url: api.runtime.getURL(`pages/demo.html${lang}`) });
});

// After an update (or a reload during development) the content scripts already running in open
// tabs are orphaned: a held photo fails open with a notice and they stop holding. Fresh ones go
// into those tabs at once, so the next photo there is checked without reloading the tab. (The
// main-world script is not re-run: a page could otherwise take over its private link; the
// showOpenFilePicker path is protected again once the tab reloads.)
api.runtime.onInstalled.addListener(async ({ reason }) => {
  if (reason !== 'update') return;
  const listed = api.runtime.getManifest().content_scripts.flatMap((cs) => cs.matches);
  const enabled = [...(await registeredOrigins())].map((origin) => `${origin}/*`);
  const tabs = await api.tabs.query({ url: [...new Set([...listed, ...enabled])] }).catch(() => []);
  for (const tab of tabs) {
    injectSensorLate({ tabId: tab.id, allFrames: true });
  }
});

// The allowlist: every message type the background answers and who may send it.
const routes = {
  'engine-info': { from: ['page'], handle: getEngineInfo }, // the popup's engine status
  'guard-register': { from: ['content'], handle: registerGuard },
  'guard-claim': { from: ['page'], handle: claimGuard },
  'site-status': { from: ['page'], handle: siteStatus },
  'site-enable': { from: ['page'], handle: enableSite },
  'site-disable': { from: ['page'], handle: disableSite },
};

async function route(message, sender) {
  const entry = typeof message?.type === 'string' && Object.hasOwn(routes, message.type)
    ? routes[message.type]
    : null;
  if (entry === null) return { error: 'unknown_message' };
  if (!entry.from.includes(senderKind(sender))) return { error: 'forbidden_sender' };
  try {
    return await entry.handle(message, sender);
  } catch (err) {
    // The engine throws { code } on bad input; anything else means it could not start or crashed.
    if (typeof err?.code === 'string') return { error: err.code };
    console.error('Before You Post:', message.type, err);
    return { error: 'engine_unavailable' };
  }
}

// sendResponse + `return true` keeps the channel open in both Chromium and Firefox.
api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  route(message, sender).then(sendResponse);
  return true;
});
