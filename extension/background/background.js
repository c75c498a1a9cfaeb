// Background of Before You Post: the only place (with extension pages) where the wasm engine runs.
// One file for both browsers: a module service worker in Chromium, a module background script in
// Firefox. Listeners are registered at top level so a restarted worker gets the event that woke it.

// Static import: MV3 service workers allow neither dynamic import() nor top-level await.
import init, { engineInfo } from '../wasm/before_you_post.js';

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
// Kept in storage.session so a restarted service worker still knows it.
const NONCE_TTL_MS = 60_000;

async function registerGuard(message, sender) {
  if (typeof message.nonce !== 'string' || message.nonce.length < 32) return { error: 'bad_nonce' };
  await api.storage.session.set({ [`guard:${message.nonce}`]: { tabId: sender.tab.id, at: Date.now() } });
  return { ok: true };
}

async function claimGuard(message, sender) {
  if (typeof message.nonce !== 'string') return { ok: false };
  const key = `guard:${message.nonce}`;
  const entry = (await api.storage.session.get(key))[key];
  await api.storage.session.remove(key);
  const ok = Boolean(entry) && entry.tabId === sender.tab?.id && Date.now() - entry.at < NONCE_TTL_MS;
  return { ok };
}

// The allowlist: every message type the background answers and who may send it.
const routes = {
  'engine-info': { from: ['page', 'content'], handle: getEngineInfo },
  'guard-register': { from: ['content'], handle: registerGuard },
  'guard-claim': { from: ['page'], handle: claimGuard },
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
