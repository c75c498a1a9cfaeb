// Records every network request made by every target of a Chromium instance (pages, iframes,
// service workers, workers) through a DevTools connection of our own, independent of
// Playwright. Measured with playwright-core 1.65: context.on('request') does report pages,
// the guard's out-of-process iframe, workers and service-worker fetches, but only from when
// Playwright attaches (not a service worker's start-up) and not what the browser fetches for
// a page (favicon.ico); it also cannot say which target made a request.
//
// Chromium is started with two debugging channels:
//   --remote-debugging-pipe  our recorder (fds 3/4). It turns on auto-attach with
//                            waitForDebuggerOnStart, so every new target is paused until the
//                            recorder has enabled Network on it: nothing runs unrecorded.
//   --remote-debugging-port  Playwright (connectOverCDP), which drives the pages.
// The extension is loaded only after the recorder listens (Extensions.loadUnpacked, which
// needs the pipe and --enable-unsafe-extension-debugging), so its service worker is recorded
// from its first instruction.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { CHROMIUM, CHROMIUM_FLAGS } from './chromium.mjs';
import { tempDir, waitFor } from './common.mjs';

// A minimal DevTools protocol client over Chromium's pipe: NUL-separated JSON messages.
class PipeConnection {
  constructor(writable, readable) {
    this.writable = writable;
    this.lastId = 0;
    this.callbacks = new Map();
    this.listeners = new Set();
    let pending = '';
    readable.setEncoding('utf8');
    readable.on('data', (chunk) => {
      pending += chunk;
      let end;
      while ((end = pending.indexOf('\0')) !== -1) {
        const message = JSON.parse(pending.slice(0, end));
        pending = pending.slice(end + 1);
        this.dispatch(message);
      }
    });
  }

  dispatch(message) {
    if (message.id !== undefined) {
      const callback = this.callbacks.get(message.id);
      this.callbacks.delete(message.id);
      if (!callback) return;
      if (message.error) callback.reject(new Error(`${callback.method}: ${message.error.message}`));
      else callback.resolve(message.result);
      return;
    }
    for (const listener of this.listeners) listener(message);
  }

  send(method, params = {}, sessionId = undefined) {
    const id = ++this.lastId;
    const message = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.callbacks.set(id, { resolve, reject, method });
      this.writable.write(JSON.stringify(message) + '\0');
    });
  }

  rejectAll(reason) {
    for (const { reject, method } of this.callbacks.values()) reject(new Error(`${method}: ${reason}`));
    this.callbacks.clear();
  }
}

// Everything the recorder saw. Each request: { url, method, resourceType, target: {type, url},
// documentURL, initiatorUrl } where target is the attached target (service worker, page,
// iframe, worker) that reported it, with the URL that target had at that moment.
export class RequestRecorder {
  constructor(connection) {
    this.connection = connection;
    this.sessions = new Map(); // sessionId -> { targetId, type, url }
    this.targetUrls = new Map(); // targetId -> current url
    this.attached = []; // every target ever attached: { type, url }
    this.requests = [];
    this.seen = new Set();
    this.errors = [];
    connection.listeners.add((message) => this.onMessage(message));
  }

  async start() {
    const c = this.connection;
    c.listeners.add((m) => {
      if (m.method === 'Target.targetInfoChanged' || m.method === 'Target.targetCreated') {
        this.targetUrls.set(m.params.targetInfo.targetId, m.params.targetInfo.url);
      }
    });
    await c.send('Target.setDiscoverTargets', { discover: true });
    await c.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
  }

  onMessage({ method, params, sessionId }) {
    if (method === 'Target.attachedToTarget') {
      this.onAttached(params).catch((err) => {
        // A target that went away while paused never ran; any other failure is a hole.
        if (this.sessions.has(params.sessionId)) this.errors.push(`attach ${params.targetInfo.url}: ${err.message}`);
      });
      return;
    }
    if (method === 'Target.detachedFromTarget') {
      this.sessions.delete(params.sessionId);
      return;
    }
    const session = this.sessions.get(sessionId);
    if (!session) return;
    const target = { type: session.type, url: this.targetUrls.get(session.targetId) ?? session.url };
    if (method === 'Network.requestWillBeSent') {
      // A target can be attached twice (a page also attaches the service worker of its
      // origin): count each request of a target once, and each hop of a redirect.
      const key = `${session.targetId} ${params.requestId} ${params.request.url}`;
      if (this.seen.has(key)) return;
      this.seen.add(key);
      const frames = params.initiator?.stack?.callFrames ?? [];
      this.requests.push({
        url: params.request.url,
        method: params.request.method,
        resourceType: params.type ?? null,
        target,
        documentURL: params.documentURL ?? null,
        // Who made the request: the parser's document or the innermost script frame.
        initiatorUrl: frames[0]?.url || params.initiator?.url || null,
      });
    } else if (method === 'Network.webSocketCreated' || method === 'Network.webTransportCreated') {
      const key = `${session.targetId} ${method} ${params.requestId ?? params.transportId}`;
      if (this.seen.has(key)) return;
      this.seen.add(key);
      const frames = params.initiator?.stack?.callFrames ?? [];
      this.requests.push({
        url: params.url,
        method: method === 'Network.webSocketCreated' ? 'WEBSOCKET' : 'WEBTRANSPORT',
        resourceType: null,
        target,
        documentURL: null,
        initiatorUrl: frames[0]?.url || params.initiator?.url || null,
      });
    }
  }

  // Resolves once Chromium has answered a command sent after everything so far: events it
  // emitted before that are in `requests`.
  async flush() {
    await this.connection.send('Target.getTargets');
  }

  async onAttached({ sessionId, targetInfo, waitingForDebugger }) {
    const { targetId, type, url } = targetInfo;
    this.sessions.set(sessionId, { targetId, type, url });
    this.targetUrls.set(targetId, url);
    this.attached.push({ type, url });
    const c = this.connection;
    const recordable = !['browser', 'tab', 'browser_ui'].includes(type);
    try {
      if (recordable) {
        await c.send('Network.enable', {}, sessionId);
        // Iframes and workers of this target get their own sessions, paused the same way.
        await c.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true }, sessionId);
      }
    } finally {
      if (waitingForDebugger) await c.send('Runtime.runIfWaitingForDebugger', {}, sessionId).catch(() => {});
    }
  }
}

// Starts Chromium with the recorder attached, then loads the unpacked extension. Returns
// { context, extensionId, serviceWorker, recorder, close }. `args` are added to Chromium's
// command line (e.g. --host-resolver-rules for a socket-level canary); `preferences` are written
// as the new profile's Default/Preferences before Chromium starts.
export async function launchRecordedChromium(extensionDir, { args = [], preferences = null } = {}) {
  const profile = tempDir('chromium-recorded');
  if (preferences) {
    mkdirSync(join(profile.dir, 'Default'));
    writeFileSync(join(profile.dir, 'Default', 'Preferences'), JSON.stringify(preferences));
  }
  const proc = spawn(CHROMIUM, [
    `--user-data-dir=${profile.dir}`,
    '--remote-debugging-pipe',
    '--remote-debugging-port=0',
    '--enable-unsafe-extension-debugging',
    '--no-default-browser-check',
    ...CHROMIUM_FLAGS,
    ...args,
    'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  const connection = new PipeConnection(proc.stdio[3], proc.stdio[4]);
  proc.on('exit', () => connection.rejectAll('Chromium exited'));
  let browser;
  const close = async () => {
    await browser?.close().catch(() => {});
    if (proc.exitCode === null) {
      const exited = once(proc, 'exit');
      await connection.send('Browser.close').catch(() => proc.kill());
      await exited;
    }
    // Helper processes may still be letting go of the profile.
    rmSync(profile.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  try {
    const endpoint = await devToolsEndpoint(proc);
    const recorder = new RequestRecorder(connection);
    await recorder.start();
    const { id: extensionId } = await connection.send('Extensions.loadUnpacked', { path: extensionDir });
    // isLocal: file pickers get real paths (DOM.setFileInputFiles, trusted events), as with
    // a launched browser; otherwise Playwright fills inputs from script with untrusted events.
    browser = await chromium.connectOverCDP(endpoint, { isLocal: true });
    const context = browser.contexts()[0];
    const workerUrl = `chrome-extension://${extensionId}/`;
    const isOurs = (w) => w.url().startsWith(workerUrl);
    const serviceWorker = context.serviceWorkers().find(isOurs)
      ?? await context.waitForEvent('serviceworker', { predicate: isOurs, timeout: 20000 });
    return { context, extensionId, serviceWorker, recorder, close };
  } catch (err) {
    await close();
    throw err;
  }
}

// The ws:// address Chromium prints on stderr once its DevTools port is open.
async function devToolsEndpoint(proc) {
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-20000); });
  return waitFor(() => {
    if (proc.exitCode !== null) throw new Error(`Chromium exited early:\n${stderr}`);
    return /DevTools listening on (ws:\/\/\S+)/.exec(stderr)?.[1] ?? null;
  }, { timeoutMs: 20000, what: 'Chromium\'s DevTools endpoint' });
}
