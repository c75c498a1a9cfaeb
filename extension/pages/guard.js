// The guard: an extension page that the content script embeds, hidden, in a closed shadow root.
// It runs the wasm engine on held photos, and when a photo warrants it, shows the warning over
// the composer and returns the user's decision. The page can neither script nor restyle it,
// and it only talks over a MessagePort whose origin the background has vouched for.
import '../common/match-pattern.js';
import '../common/settings.js';
import { chosenLanguage, loadMessages, localise, plural, t } from './i18n.js';
import { metadataRows } from './metadata.js';
import {
  canMask, firstStep, forcedBy, mayPostOriginal, needsFix, strippable, ticksAfterChoice,
} from './policy-rules.js';

const api = globalThis.browser ?? globalThis.chrome;
const settings = globalThis.beforeYouPostSettings;

const GRADE_COLOURS = { very_high: '#d32f2f', high: '#e64a19', medium: '#f9a825', low: '#43a047' };
// Making a protected copy that takes longer than this counts as a failure (nothing is posted).
const FIX_TIMEOUT_MS = 60_000;
// A worker whose heartbeat has been silent this long has ended (see worker.watchLife).
const WORKER_SILENT_MS = 800;
// An idle worker is terminated so a big photo's memory goes back to the system.
const WORKER_IDLE_MS = 10_000;
// A check still running after this shows what is happening, with a Cancel button.
const PROGRESS_AFTER_MS = 300;
// A check still running after this also offers to attach the photo unchecked. No clock ends a
// check: the user decides (a page that loads the machine must not be a way around the check).
const OFFER_UNCHECKED_AFTER_MS = 8000;
// A decision counts only once the warning has been plainly visible this long (as browsers'
// own permission prompts ignore early clicks): a click aimed at the page must not land on it.
const CLICK_DELAY_MS = 500;
// Shown but not visible (hidden, covered or faded by the page) this long: the page interferes.
const UNSEEN_GRACE_MS = 1500;

let port = null;

// --- the handshake ----------------------------------------------------------------------------
// A parent of our own origin is the classroom demo's mock composer (an extension page, or the
// demo served over http with this page beside it); web pages never share our origin.
function parentIsOwnOrigin() {
  try {
    return parent !== window && parent.location.origin === location.origin;
  } catch {
    return false;
  }
}

async function vouched(event) {
  if (event.data.beforeYouPost === 'connect-local') return event.origin === location.origin && parentIsOwnOrigin();
  const claim = () => api.runtime.sendMessage({ type: 'guard-claim', nonce: String(event.data.nonce) });
  try {
    // Once more if the service worker was stopped midway (it restarts for the next message).
    const answer = await claim().catch(claim);
    return answer?.ok === true;
  } catch {
    return false;
  }
}

window.addEventListener('message', async (event) => {
  if (port || event.source !== parent || !['connect', 'connect-local'].includes(event.data?.beforeYouPost)) return;
  const candidate = event.ports?.[0];
  if (!candidate) return;
  if (!(await vouched(event)) || port) {
    candidate.close();
    return;
  }
  port = candidate;
  port.onmessage = ({ data }) => {
    // The heartbeat: answered at once, whatever else is going on (the work runs in a worker).
    if (data?.type === 'ping') port.postMessage({ type: 'pong', seq: data.seq });
    else if (data?.type === 'shown') shown();
    else if (data?.type === 'seen') sight.answered(data.seq, data.ok);
    else if (data?.type === 'abort') abort(data.id);
    else if (data?.type === 'check') onRequest(data).catch(onError(data));
  };
  port.postMessage({ type: 'ready' });
});

function onError(msg) {
  return (err) => {
    if (err === ABORTED) return;
    console.error('Before You Post guard:', err);
    // The content script fails open when it gets no verdict in time; say so at once instead.
    port.postMessage({ type: 'verdict', id: msg?.id, warn: false, notices: [notice('noticeUnchecked')] });
  };
}

// --- is the warning seen? ---------------------------------------------------------------------
// Chromium tells, from inside this frame, whether what we show is painted unobscured and
// unfaded by anything on the page (IntersectionObserver v2, trackVisibility). Where the engine
// does not (Firefox), it is whether the frame is laid out on screen at all, and the content
// script's own checks of the host (content/sensor.js plainlyVisible) do the rest.
const sight = {
  tracks: false,
  since: new Map(), // element -> when it last became visible (null while it is not)
  unseenSince: null,
  told: null, // the request we already reported as unseen

  start() {
    const panels = ['dialog', 'checking'].map((id) => document.getElementById(id));
    for (const el of panels) this.since.set(el, null);
    try {
      const observer = new IntersectionObserver((entries) => {
        for (const e of entries) {
          const visible = this.tracks ? e.isVisible === true : e.isIntersecting;
          if (!visible) this.since.set(e.target, null);
          else if (this.since.get(e.target) === null) this.since.set(e.target, performance.now());
        }
      }, { trackVisibility: true, delay: 100, threshold: [0, 1] });
      this.tracks = 'isVisible' in IntersectionObserverEntry.prototype;
      for (const el of panels) observer.observe(el);
    } catch { /* no observer: decisions still need the delay below */ }
    setInterval(() => this.monitor(), 100);
  },

  // The panel the user is looking at, if any.
  panel() {
    if (document.getElementById('backdrop').hidden) return null;
    const checking = document.getElementById('checking');
    return checking.hidden ? document.getElementById('dialog') : checking;
  },

  // Asks the content script whether the page has left the warning alone this very moment (its
  // host where it was put, styled as it was, on top): a page that hides or fades it just before
  // a click is caught before the click counts. Resolves to true or false, false after 1 s.
  confirm() {
    if (!port || !current) return Promise.resolve(false);
    const seq = ++this.seq;
    const client = new Promise((resolve) => {
      this.waiting.set(seq, resolve);
      setTimeout(() => this.answered(seq, false), 1000);
      port.postMessage({ type: 'confirm', id: current.id, seq });
    });
    return Promise.all([client, this.sample()]).then(([hostSeen, painted]) => hostSeen && painted);
  },

  // A fresh look, taken after the click: the running observer reports changes up to 100 ms
  // late, and a page that covers the warning just before a click must not win that race. A new
  // observer's first report is the state now. Where the engine tracks no visibility, the
  // content script's answer decides.
  sample() {
    const panel = this.panel();
    if (!this.tracks) return Promise.resolve(Boolean(panel));
    if (!panel) return Promise.resolve(false);
    return new Promise((resolve) => {
      const observer = new IntersectionObserver((entries) => {
        observer.disconnect();
        resolve(entries[entries.length - 1].isVisible === true);
      }, { trackVisibility: true, delay: 100, threshold: [0] });
      observer.observe(panel);
      setTimeout(() => { observer.disconnect(); resolve(false); }, 1000);
    });
  },
  seq: 0,
  waiting: new Map(),
  answered(seq, ok) {
    const resolve = this.waiting.get(seq);
    this.waiting.delete(seq);
    resolve?.(ok === true);
  },

  // Another panel just took the screen (the warning after the progress panel): the half second
  // starts again, and automation hears at once that choices do not count yet.
  restart() {
    document.body.removeAttribute('data-accepting');
  },

  // A decision may be taken now.
  ok() {
    const since = this.since.get(this.panel()) ?? null;
    return since !== null && performance.now() - since >= CLICK_DELAY_MS;
  },

  monitor() {
    // For automation (AUTOMATION.md): set while a choice counts.
    document.body.toggleAttribute('data-accepting', this.ok());
    const panel = this.panel();
    const seen = panel && this.since.get(panel) !== null;
    if (!panel || !port || !current || !shownFor(current) || seen || !this.tracks) {
      this.unseenSince = null;
      return;
    }
    this.unseenSince ??= performance.now();
    if (performance.now() - this.unseenSince >= UNSEEN_GRACE_MS && this.told !== current) {
      this.told = current;
      port.postMessage({ type: 'unseen', id: current.id });
    }
  },
};
// The request whose warning or progress panel the content script has shown.
let shownRequest = null;
const shownFor = (request) => shownRequest === request;
sight.start();

// The content script shows our frame; focus can only move in once it is shown.
let focusWhenShown = null;
function shown() {
  shownRequest = current;
  const target = focusWhenShown;
  focusWhenShown = null;
  // The frame becomes visible a moment after the message (it lives in the page's layout):
  // retry briefly until focus lands.
  let tries = 0;
  const attempt = () => {
    window.focus();
    target?.focus({ preventScroll: true });
    if (target && document.activeElement !== target && tries++ < 80) setTimeout(attempt, 25);
  };
  attempt();
}

// --- the worker -------------------------------------------------------------------------------
// One worker does the heavy work, one job at a time. Terminating it is the only way to stop a
// detector or an encoder midway: abort() does that when the content script gives up on a check.
const ABORTED = new Error('aborted');
const worker = {
  instance: null,
  jobs: new Map(),
  nextJob: 1,
  idleTimer: null,

  // `onProgress(fraction)` hears how far a long job (a video's frames) has got.
  run(request, onProgress = null) {
    clearTimeout(this.idleTimer);
    if (!this.instance) {
      const instance = new Worker(new URL('check-worker.js', import.meta.url), { type: 'module' });
      this.instance = instance;
      instance.onmessage = ({ data }) => this.settle(data);
      instance.onerror = (e) => this.stop(new Error(`worker failed: ${e.message ?? 'unknown'}`));
      this.watchLife(instance);
    }
    const job = this.nextJob++;
    return new Promise((resolve, reject) => {
      this.jobs.set(job, { resolve, reject, onProgress, op: request.op });
      this.instance.postMessage({ ...request, job });
    });
  },

  settle(data) {
    const pending = this.jobs.get(data?.job);
    if (!pending) return;
    if (typeof data.progress === 'number') {
      pending.onProgress?.(data.progress);
      return;
    }
    this.jobs.delete(data.job);
    if (data.ok) pending.resolve(data);
    else pending.reject(Object.assign(new Error(data.message ?? data.error), { code: data.error }));
    if (this.jobs.size === 0) this.idleTimer = setTimeout(() => this.stop(), WORKER_IDLE_MS);
  },

  // A worker that ends without a word (closed, killed, crashed) while it makes a protected copy
  // fails the copy within a second (nothing is posted; the warning offers to try again) instead
  // of leaving the user waiting: a helper worker it starts beats on our port every 200 ms from
  // its own thread (busy or not), and ends with it. Only fixes are judged this way: a check
  // whose worker falls silent is never released by it (a page that starves the machine must
  // not turn a slow check into an unchecked one); its progress panel lets the user decide.
  watchLife(instance) {
    const { port1, port2 } = new MessageChannel();
    let lastBeat = null;
    port1.onmessage = () => { lastBeat = performance.now(); };
    const watch = setInterval(() => {
      if (this.instance !== instance) {
        clearInterval(watch);
        port1.close();
      } else if (lastBeat !== null && performance.now() - lastBeat > WORKER_SILENT_MS
        && [...this.jobs.values()].some((j) => j.op === 'fix')) {
        clearInterval(watch);
        port1.close();
        this.stop(new Error('worker ended'));
      }
    }, 100);
    instance.postMessage({ op: 'life', port: port2 }, [port2]);
  },

  // Ends the worker (and its memory); pending jobs fail with `reason`.
  stop(reason = ABORTED) {
    clearTimeout(this.idleTimer);
    this.instance?.terminate();
    this.instance = null;
    for (const [, pending] of this.jobs) pending.reject(reason);
    this.jobs.clear();
  },
};

// --- checking ---------------------------------------------------------------------------------
async function check(index, file, kind, sensitivity, onProgress) {
  const { result } = await worker.run({ op: 'check', file, kind, sensitivity }, onProgress);
  return { index, file, ...result };
}

// A notice for the content script to show, already in the language of the settings.
const notice = (key) => ({ key, text: t(key) });

// Why videos went through unchecked: their metadata was too large to read, or the check failed.
const uncheckedVideoNotice = (videos) =>
  (videos.some((r) => r.error === 'metadata_too_large') ? 'error_metadata_too_large' : 'noticeUncheckedVideo');

// The request being decided: abort() ends it (the content script has given up on it).
let current = null;

function abort(id) {
  if (current?.id !== id) return;
  current.aborted = true;
  progress.hide(current);
  worker.stop();
  current.dialog?.close();
  current.dialog?.pick('cancel');
}

async function onRequest(msg) {
  const request = { id: msg.id, aborted: false, dialog: null };
  current = request;
  const s = await settings.load();
  await loadMessages({ followSettings: true }).catch(() => {});
  const results = [];
  try {
    await decideOn(request, msg, s, results);
  } finally {
    // The previews' bitmaps (up to 680 px each) go now, not whenever the collector runs.
    for (const r of results) {
      r.thumb?.close?.();
      for (const frame of r.frames ?? []) frame.thumb?.close?.();
    }
  }
}

// Checks the photos of `msg` into `results`, then shows, asks and carries out the decision.
async function decideOn(request, msg, s, results) {
  const photos = msg.files ?? [];
  progress.after(request, PROGRESS_AFTER_MS, mayPostOriginal(s));
  try {
    for (const { index, file, kind } of photos) {
      // A video's frames move the bar within its share.
      const within = (fraction) => progress.set(results.length + fraction, photos.length, true);
      results.push(await check(index, file, kind, s.sensitivity, within));
      progress.set(results.length, photos.length);
    }
  } finally {
    progress.hide(request);
  }
  if (request.aborted) return;
  const unchecked = results.filter((r) => r.error && !r.analysis?.verdict.warn);
  const notices = unchecked.length === 0 ? []
    : [notice(unchecked.every((r) => r.kind === 'video') ? uncheckedVideoNotice(unchecked) : 'noticeUnchecked')];
  const warned = results.filter((r) => r.analysis?.verdict.warn);
  const send = (message) => port.postMessage({ id: msg.id, ...message });
  if (warned.length === 0) {
    // A quiet sign that the check happened, unless turned off (or something went unchecked).
    if (notices.length === 0 && results.length > 0 && s.checkedNotice === 'on') {
      const smallFaces = results.some((r) => r.analysis?.faces.length > 0 || r.analysis?.faces_seen);
      notices.push(notice(smallFaces ? 'noticeCheckedSmallFaces' : 'noticeChecked'));
    }
    send({ type: 'verdict', warn: false, notices });
    return;
  }
  warned.forEach(prepare);
  const forced = forcedBy(s);
  const dialog = new Dialog(warned, msg.context ?? {}, forced, s, request);
  request.dialog = dialog;
  // The rules (policy-rules.js) decide; this page shows and carries out.
  const step = firstStep(warned, s);
  warned.forEach((r, i) => Object.assign(r, step.ticks[i]));
  const fixNotices = (step.notices ?? []).map(notice);
  let choice = step.choice;
  if (step.mode === 'ask') {
    dialog.render();
    send({ type: 'verdict', warn: true, notices });
    choice = await dialog.choice();
    const after = ticksAfterChoice(choice, warned, warned.map(({ selected, strip }) => ({ selected, strip })), s);
    warned.forEach((r, i) => Object.assign(r, after[i]));
  } else {
    send({ type: 'verdict', warn: false, auto: true, fixing: needsFix(warned), notices });
    // Decided without asking: the frame goes out of sight if the progress panel had shown it.
    send({ type: 'hide' });
  }
  if (request.aborted) return;
  // The demo's mock composer (no site) does not count.
  if (msg.context?.site) settings.addCounts({ warnings: 1 });
  let files = [];
  if (choice !== 'cancel' && needsFix(warned)) {
    // From here the content script posts nothing if this page dies: a fix was chosen.
    send({ type: 'fixing' });
    ({ choice, files } = await fixOrAsk(warned, dialog, send));
    if (request.aborted) return;
    if (choice !== 'protect') fixNotices.length = 0;
  }
  dialog.close();
  if (files.length > 0 && msg.context?.site) settings.addCounts({ fixes: files.length });
  send({ type: 'decision', action: choice === 'cancel' ? 'cancel' : 'release', files, notices: fixNotices });
}

// Makes every chosen fix. A fix that fails never posts the original silently: the warning
// shows the error and the user tries again, cancels, or explicitly posts the original (not
// offered when a policy forces the fix). Resolves to { choice, files }.
async function fixOrAsk(warned, dialog, send) {
  for (;;) {
    dialog.busy(true);
    try {
      return { choice: 'protect', files: await fixAll(warned) };
    } catch (err) {
      if (dialog.cancelled || dialog.request.aborted) return { choice: 'cancel', files: [] };
      console.warn('Before You Post: could not make the protected copy', err);
      if (!dialog.rendered) dialog.render();
      dialog.busy(false);
      dialog.failed();
      send({ type: 'show' });
      const next = await dialog.choice();
      if (next === 'retry') continue;
      if (next === 'original') return { choice: 'original', files: [] };
      return { choice: 'cancel', files: [] };
    }
  }
}

async function fixAll(warned) {
  const files = [];
  for (const r of warned) {
    const made = await withTimeout(applyChoice(r), FIX_TIMEOUT_MS);
    if (made) files.push({ index: r.index, ...made });
  }
  return files;
}

function withTimeout(promise, ms) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => {
      worker.stop(new Error('timed out'));
      reject(new Error('timed out'));
    }, ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// --- the progress panel -----------------------------------------------------------------------
// A long check (a big photo, a slow machine) shows a small panel over the composer: what is
// happening, how many photos are done, and Cancel, which stops the work at once (the worker is
// terminated) and withdraws the pick: nothing is posted.
const progress = {
  timer: null,
  request: null,

  after(request, ms, mayAttachUnchecked) {
    this.hide(this.request);
    this.request = request;
    this.timer = setTimeout(() => this.show(request), ms);
    if (mayAttachUnchecked) this.offerTimer = setTimeout(() => this.offer(request), OFFER_UNCHECKED_AFTER_MS);
  },

  // A long check: the user may attach the photo unchecked (their decision, not a timer's).
  offer(request) {
    if (request.aborted || this.request !== request) return;
    document.getElementById('checking-slow').hidden = false;
    const unchecked = document.getElementById('checking-unchecked');
    unchecked.hidden = false;
    unchecked.onclick = async () => {
      if (!sight.ok() || !(await sight.confirm()) || request.aborted || this.request !== request) return;
      request.aborted = true;
      this.hide(request);
      worker.stop();
      port.postMessage({ type: 'decision', id: request.id, action: 'release', files: [], notices: [notice('noticeAttachedUnchecked')] });
    };
  },

  show(request) {
    if (request.aborted || this.request !== request) return;
    localise();
    document.getElementById('dialog').hidden = true;
    document.getElementById('checking').hidden = false;
    document.getElementById('backdrop').hidden = false;
    sight.restart();
    const cancel = document.getElementById('checking-cancel');
    cancel.onclick = () => this.cancel(request);
    document.addEventListener('keydown', this.onKey, true);
    focusWhenShown = cancel;
    port.postMessage({ type: 'show', id: request.id });
  },

  // Done `done` of `total` photos: a determinate bar once there is more than one, or (`within`)
  // while a video's frames are looked at.
  set(done, total, within = false) {
    const bar = document.getElementById('checking-progress');
    if (total > 1 || within) Object.assign(bar, { max: total, value: done });
  },

  hide(request) {
    if (!request || this.request !== request) return;
    clearTimeout(this.timer);
    clearTimeout(this.offerTimer);
    document.getElementById('checking-slow').hidden = true;
    document.getElementById('checking-unchecked').hidden = true;
    this.request = null;
    document.removeEventListener('keydown', this.onKey, true);
    if (focusWhenShown === document.getElementById('checking-cancel')) focusWhenShown = null;
    if (document.getElementById('checking').hidden) return;
    document.getElementById('checking').hidden = true;
    document.getElementById('dialog').hidden = false;
    document.getElementById('backdrop').hidden = true;
    sight.restart();
    document.getElementById('checking-progress').removeAttribute('value');
  },

  cancel(request) {
    if (!request || request.aborted || this.request !== request) return;
    request.aborted = true;
    this.hide(request);
    worker.stop();
    port.postMessage({ type: 'decision', id: request.id, action: 'cancel', files: [], notices: [] });
  },

  onKey: (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      progress.cancel(progress.request);
    } else if (e.key === 'Tab') {
      e.preventDefault(); // focus stays on the panel's buttons
      const buttons = ['checking-unchecked', 'checking-cancel'].map((id) => document.getElementById(id)).filter((b) => !b.hidden);
      const i = buttons.indexOf(document.activeElement);
      buttons[(i + (e.shiftKey ? buttons.length - 1 : 1)) % buttons.length].focus();
    }
  },
};

// --- fixes ------------------------------------------------------------------------------------
const boxOf = (face) => ({ x: face.bbox[0], y: face.bbox[1], w: face.bbox[2], h: face.bbox[3] });

// What the user chose for one photo or video: { file } (a new file) or, for a video, { edits }
// (the location removed by same-size edits the content script lays over the original), or null
// to keep the original. The bytes are made in the worker; the name, type and date stay the
// original's.
async function applyChoice(r) {
  if (r.kind === 'video') {
    // Faces in videos are not masked (yet): only the location can be removed.
    if (!(r.strip && r.meta?.has_location)) return null;
    const { edits } = await worker.run({ op: 'videoEdits', file: r.file });
    return { edits };
  }
  const faces = r.analysis.faces.filter((_, i) => r.selected.has(i)).map((f) => ({ bbox: f.bbox }));
  const strip = r.strip && r.meta?.has_location;
  if (faces.length === 0 && !strip) return null;
  const photo = { width: r.analysis.width, height: r.analysis.height };
  const { blob } = await worker.run({ op: 'fix', file: r.file, faces, strip, meta: r.meta, photo });
  return { file: new File([blob], r.file.name, { type: r.file.type || blob.type, lastModified: r.file.lastModified }) };
}

// --- the warning ------------------------------------------------------------------------------
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

// The preview shows what will be posted: the ticked faces masked by the engine itself (the
// same function as the protected copy, at preview size, in the worker), each face outlined
// (solid: masked, dashed: kept) and numbered, the numbers placed so they do not overlap.
async function drawPreview(r) {
  if (!r.thumb) return;
  const seq = (r.previewSeq = (r.previewSeq ?? 0) + 1);
  const { width, height } = r.preview;
  const scale = width / r.analysis.width;
  const ticked = [...r.selected].filter((i) => canMask(r)).map((i) => {
    const [x, y, w, h] = r.analysis.faces[i].bbox.map((v) => v * scale);
    return { x, y, w, h };
  });
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(r.thumb, 0, 0);
  if (ticked.length > 0) {
    const image = ctx.getImageData(0, 0, width, height);
    try {
      const { rgba } = await worker.run({ op: 'maskPreview', rgba: image.data, width, height, boxes: ticked, seed: r.previewSeed });
      image.data.set(rgba);
      ctx.putImageData(image, 0, 0);
    } catch (err) {
      if (err === ABORTED) return;
      // Without the engine the preview shows dark boxes: never the faces as if they were masked.
      ctx.fillStyle = 'rgba(20, 20, 20, 0.85)';
      for (const b of ticked) ctx.fillRect(b.x, b.y, b.w, b.h);
    }
  }
  if (seq !== r.previewSeq) return; // a later toggle draws instead
  outlineFaces(r, ctx, scale);
  r.preview.getContext('2d').drawImage(canvas, 0, 0);
}

function outlineFaces(r, ctx, scale) {
  const labels = [];
  const overlaps = (a) => labels.some((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h);
  ctx.font = 'bold 15px system-ui, sans-serif';
  r.analysis.faces.forEach((face, i) => {
    const e = r.expanded[i] ?? boxOf(face);
    const [x, y, w, h] = [e.x, e.y, e.w, e.h].map((v) => v * scale);
    ctx.setLineDash(r.selected.has(i) ? [] : [6, 4]);
    ctx.lineWidth = 3;
    ctx.strokeStyle = GRADE_COLOURS[face.grade] ?? '#d32f2f';
    ctx.strokeRect(x, y, w, h);
    ctx.setLineDash([]);
    // The number in a tag: inside the top-left corner, else above, below or beside the face.
    const text = String(i + 1);
    const tw = ctx.measureText(text).width + 8;
    const th = 20;
    const spots = [[x, y], [x, y - th], [x, y + h], [x + w, y], [x - tw, y], [x + w - tw, y + h - th]]
      .map(([lx, ly]) => ({ x: Math.min(Math.max(lx, 0), ctx.canvas.width - tw), y: Math.min(Math.max(ly, 0), ctx.canvas.height - th), w: tw, h: th }));
    const spot = spots.find((b) => !overlaps(b)) ?? spots[0];
    labels.push(spot);
    ctx.fillStyle = GRADE_COLOURS[face.grade] ?? '#d32f2f';
    ctx.fillRect(spot.x, spot.y, spot.w, spot.h);
    ctx.fillStyle = face.grade === 'medium' ? '#1a1a1a' : '#fff';
    ctx.fillText(text, spot.x + 4, spot.y + 15);
  });
}

function metadataList(meta) {
  const rows = metadataRows(meta);
  if (rows.length === 0) return null;
  const dl = el('dl');
  // A video is filmed, not taken.
  const video = meta?.mime?.startsWith('video/');
  for (const [key, value] of rows) {
    const where = ['metaLocation', 'metaAltitude'].includes(key);
    const dt = el('dt', { textContent: t(video && key === 'metaTime' ? 'metaTimeFilmed' : key) });
    const dd = el('dd', {}, el('span', { textContent: value }));
    if (where) {
      dt.dataset.location = dd.dataset.location = '';
      dd.append(el('span', { className: 'removed-note', textContent: t('guardLocationRemoved') }));
    }
    dl.append(dt, dd);
  }
  return dl;
}

// Faces of one kind (grade and size) share a row when a photo has many: "11 faces: medium
// risk (small face)", with one checkbox for them all and each face listed under it.
const MANY_FACES = 6;
const SAME_KIND = 3;

function faceLabel(r, i, box) {
  const face = r.analysis.faces[i];
  const grade = el('span', { className: `grade-${face.grade}`, textContent: t(`grade_${face.grade}`) });
  const reasons = face.reasons.map((x) => t(`reason_${x}`)).join(', ');
  return el('label', {}, box, ` ${t('guardMaskFace', [String(i + 1)])} `, grade, ` — ${reasons}`);
}

function faceRows(r, faces, disabled, changed) {
  const boxes = faces.map((_, i) => {
    const box = el('input', { type: 'checkbox', checked: r.selected.has(i), disabled });
    box.dataset.face = String(i);
    // Where the mask goes, in the photo's pixels (AUTOMATION.md): x, y, width, height.
    const area = r.expanded[i] ?? boxOf(faces[i]);
    box.dataset.box = [area.x, area.y, area.w, area.h].map(Math.round).join(',');
    box.addEventListener('change', () => {
      if (box.checked) r.selected.add(i);
      else r.selected.delete(i);
      changed();
    });
    return box;
  });
  const kinds = new Map();
  faces.forEach((face, i) => {
    const kind = `${face.grade} ${face.reasons[0]}`;
    kinds.set(kind, [...(kinds.get(kind) ?? []), i]);
  });
  const rows = [];
  for (const members of kinds.values()) {
    if (faces.length < MANY_FACES || members.length < SAME_KIND) {
      rows.push(...members.map((i) => faceLabel(r, i, boxes[i])));
      continue;
    }
    const first = faces[members[0]];
    const all = el('input', { type: 'checkbox', disabled });
    all.dataset.group = members.join(' ');
    all.addEventListener('change', () => {
      for (const i of members) {
        if (all.checked) r.selected.add(i);
        else r.selected.delete(i);
      }
      changed();
    });
    const words = plural('guardFaceGroup', members.length, [String(members.length), t(`grade_${first.grade}`), t(`reason_${first.reasons[0]}`)]);
    const each = el('details', {}, el('summary', { textContent: t('guardFaceGroupEach') }), ...members.map((i) => faceLabel(r, i, boxes[i])));
    rows.push(el('div', { className: 'face-group' }, el('label', {}, all, ` ${words}`), each));
  }
  return rows;
}

// Every face and group checkbox shows the photo's ticks; the preview follows.
function syncTicks(r, root) {
  for (const box of root.querySelectorAll('input[data-face]')) box.checked = r.selected.has(Number(box.dataset.face));
  for (const all of root.querySelectorAll('input[data-group]')) {
    const members = all.dataset.group.split(' ').map(Number);
    const on = members.filter((i) => r.selected.has(i)).length;
    all.checked = on === members.length;
    all.indeterminate = on > 0 && on < members.length;
  }
  drawPreview(r);
}

// The file's metadata and, when it records a location, the box that removes it. `onStrip()`
// hears the box change.
function locationControls(r, li, details, forced, onStrip) {
  const meta = metadataList(r.meta);
  if (meta) details.append(meta);
  if (!r.meta?.has_location) return;
  const lockedOn = forced.strip && strippable(r);
  const strip = el('input', { type: 'checkbox', checked: r.strip, disabled: r.meta.can_strip_location === false || lockedOn });
  strip.dataset.strip = '';
  // What "remove the location" removes is shown struck through in the list above.
  const showStrip = () => li.classList.toggle('stripping', Boolean(r.strip));
  strip.addEventListener('change', () => {
    r.strip = strip.checked;
    showStrip();
    onStrip();
  });
  showStrip();
  details.append(el('label', {}, strip, ` ${t('guardRemoveLocation')}`));
  if (r.meta.can_strip_location === false) details.append(el('p', { className: 'blocked', textContent: t('guardLocationKept') }));
  if (lockedOn) details.append(el('p', { className: 'forced', textContent: t('guardForcedByPolicy') }));
}

// A time in a video as players show it: 0:04, 12:31, 1:02:03; with `tenths`, 0:02.9.
function clipTime(seconds, tenths = false) {
  const s = Math.floor(Math.max(0, seconds));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const two = (x) => String(x).padStart(2, '0');
  const fraction = tenths ? `.${Math.floor((Math.max(0, seconds) - s) * 10)}` : '';
  return h > 0 ? `${h}:${two(m)}:${two(sec)}${fraction}` : `${m}:${two(sec)}${fraction}`;
}

// The engine's runs of frames with a face that counts, as "0:04–0:19 (high risk), 1:02 (medium
// risk)"; five at most.
const MAX_SPANS = 5;
function spansText(spans) {
  const shown = spans.slice(0, MAX_SPANS).map(({ start, end, grade }) => {
    const [from, to] = [clipTime(start), clipTime(end)];
    return `${from === to ? from : `${from}–${to}`} (${t(`grade_${grade}`)})`;
  });
  return `${shown.join(', ')}${spans.length > MAX_SPANS ? ', …' : ''}`;
}

// One kept frame: its thumbnail with the faces outlined in their grade's colour (dashed: a face
// that does not count) and its time in the clip.
function frameFigure(frame, tenths) {
  const canvas = Object.assign(document.createElement('canvas'), { width: frame.thumb.width, height: frame.thumb.height });
  const ctx = canvas.getContext('2d');
  ctx.drawImage(frame.thumb, 0, 0);
  const scale = canvas.width / frame.width;
  ctx.lineWidth = 2;
  for (const face of frame.faces) {
    const [x, y, w, h] = face.bbox.map((v) => v * scale);
    ctx.setLineDash(face.counts ? [] : [4, 3]);
    ctx.strokeStyle = GRADE_COLOURS[face.grade] ?? '#d32f2f';
    ctx.strokeRect(x, y, w, h);
  }
  const time = clipTime(frame.time, tenths);
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', t('guardVideoFrameLabel', [time]));
  const figure = el('figure', {}, canvas, el('figcaption', { textContent: time }));
  figure.dataset.time = String(frame.time);
  return figure;
}

// A video in the warning: the frames with the most recognisable faces and their times, when
// faces were seen, that they cannot be masked, and the location, device and time in the file.
function describeVideo(r, forced, onStrip) {
  const a = r.analysis;
  const li = el('li', { className: 'photo video' });
  li.dataset.photo = String(r.index);
  li.dataset.video = '';
  // Two kept frames within the same second are told apart by their tenths.
  const seconds = (r.frames ?? []).map((f) => Math.floor(f.time));
  const tenths = new Set(seconds).size < seconds.length;
  const frames = el('div', { className: 'video-frames' }, ...(r.frames ?? []).map((f) => frameFigure(f, tenths)));
  const details = el('div', { className: 'photo-details' });
  details.append(el('strong', { textContent: r.file.name }));
  if (!a.faces_checked) {
    details.append(el('p', { className: 'blocked', textContent: t(a.frames_sampled > 0 ? 'guardVideoPartlyChecked' : 'guardVideoFacesNotChecked') }));
  }
  if (a.verdict.warns_for_faces) {
    const recognisable = a.verdict.reasons.includes('recognisable_face');
    const found = el('p', { className: 'video-faces' },
      el('strong', { textContent: t(recognisable ? 'guardVideoFacesAt' : 'guardVideoSmallFacesAt') }), ` ${spansText(a.spans)}`);
    details.append(found, el('p', { className: 'blocked', textContent: t(`error_${r.meta?.mask_blocker ?? 'video_not_masked'}`) }));
  }
  if (a.frames_sampled > 0) {
    details.append(el('p', { className: 'video-sampled', textContent: plural('guardVideoSampled', a.frames_sampled) }));
  }
  // The engine could not read the file's metadata: nothing is known of a location.
  if (!r.meta) details.append(el('p', { className: 'blocked', textContent: t('guardVideoMetaNotChecked') }));
  if (r.meta?.location_sources?.length > 0) {
    const where = r.meta.location_sources.map((source) => t(`source_${source}`)).join(', ');
    details.append(el('p', { className: 'video-source', textContent: t('guardLocationSource', [where]) }));
  }
  locationControls(r, li, details, forced, onStrip);
  li.append(frames, details);
  return li;
}

function describe(r, n, forced, onStrip = () => {}) {
  if (r.kind === 'video') return describeVideo(r, forced, onStrip);
  const li = el('li', { className: 'photo' });
  li.dataset.photo = String(r.index);
  const details = el('div', { className: 'photo-details' });
  details.append(el('strong', { textContent: r.file.name }));
  const faces = r.analysis.faces;
  if (r.analysis.faces_checked === false) details.append(el('p', { className: 'blocked', textContent: t('guardFacesNotChecked') }));
  const changed = () => syncTicks(r, li);
  if (faces.length > 0) {
    const fieldset = el('fieldset');
    fieldset.append(el('legend', { textContent: t('guardFacesLegend') }));
    const maskable = canMask(r);
    const lockedOn = maskable && forced.mask; // the policy masks every face
    if (maskable && !lockedOn && faces.length > 1) {
      const every = el('button', { type: 'button', className: 'small', textContent: t('guardTickAll') });
      const none = el('button', { type: 'button', className: 'small', textContent: t('guardTickNone') });
      every.dataset.tick = 'all';
      none.dataset.tick = 'none';
      every.addEventListener('click', () => { faces.forEach((_, i) => r.selected.add(i)); changed(); });
      none.addEventListener('click', () => { r.selected.clear(); changed(); });
      fieldset.append(el('p', { className: 'tick-all' }, every, ' ', none));
    }
    fieldset.append(...faceRows(r, faces, !maskable || lockedOn, changed));
    if (!maskable) fieldset.append(el('p', { className: 'blocked', textContent: t('guardCannotMask') }));
    if (lockedOn) fieldset.append(el('p', { className: 'forced', textContent: t('guardForcedByPolicy') }));
    details.append(fieldset);
  }
  locationControls(r, li, details, forced, onStrip);
  r.preview.setAttribute('role', 'img');
  r.preview.setAttribute('aria-label', plural('guardPreviewLabel', faces.length, [String(n), String(faces.length)]));
  // Clicking a face on the preview ticks or unticks it.
  r.preview.addEventListener('click', (e) => {
    const rect = r.preview.getBoundingClientRect();
    const x = ((e.clientX - rect.left) / rect.width) * r.analysis.width;
    const y = ((e.clientY - rect.top) / rect.height) * r.analysis.height;
    const i = faces.findIndex((f, k) => {
      const b = r.expanded[k] ?? boxOf(f);
      return x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h;
    });
    const box = i >= 0 ? details.querySelector(`input[data-face="${i}"]`) : null;
    if (box && !box.disabled) box.click();
  });
  li.append(...(r.thumb ? [r.preview] : []), details);
  syncTicks(r, li);
  return li;
}

function prepare(r) {
  r.expanded ??= [];
  // One seed per photo for its preview's mosaic, so toggling a face does not reshuffle the others.
  r.previewSeed = [...crypto.getRandomValues(new Uint32Array(2))];
  const side = r.thumb ?? { width: 1, height: 1 };
  r.preview = Object.assign(document.createElement('canvas'), { width: side.width, height: side.height });
}

const ACTIONS = ['protect', 'anyway', 'cancel', 'retry', 'original'];

// The warning over the composer for one request. choice() resolves with the button pressed:
// 'protect', 'anyway' or 'cancel' at first; after failed(), 'retry', 'original' or 'cancel'.
class Dialog {
  constructor(warned, context, forced, s, request) {
    Object.assign(this, { warned, context, forced, s, request, rendered: false, resolve: null, cancelled: false, buttons: [] });
    // "Post the original" is not offered when a policy forces the fix.
    this.mayPostOriginal = mayPostOriginal(s);
  }

  render() {
    localise();
    const { warned, context, forced, s } = this;
    // The engine's verdict says which faces count and what the warning is about.
    const faces = warned.reduce((n, r) => n + r.analysis.verdict.counted_faces, 0);
    const aboutFaces = warned.some((r) => r.analysis.verdict.warns_for_faces);
    const videosOnly = warned.every((r) => r.kind === 'video');
    const title = context.profile ? 'guardTitleProfile' : aboutFaces ? 'guardTitle'
      : videosOnly ? 'guardTitleLocationVideo' : 'guardTitleLocation';
    document.getElementById('dialog-title').textContent = t(title);
    const audience = context.audience === 'restricted' ? t('guardAudienceRestricted') : t('guardAudiencePublic');
    // Only what applies: the face-scraping background for faces, the location's for a
    // location (briefly when there are faces too).
    const aboutLocation = warned.some((r) => r.analysis.verdict.reasons.includes('location'));
    document.getElementById('dialog-summary').textContent = aboutFaces
      ? `${plural('guardSummary', faces)} ${audience}` : t('guardSummaryLocation');
    document.getElementById('dialog-why').hidden = !aboutFaces;
    const whyLocation = document.getElementById('dialog-why-location');
    whyLocation.hidden = !aboutLocation;
    whyLocation.textContent = aboutFaces ? t('guardWhyLocationShort') : t('guardWhyLocation');
    // ?lang= (the demo's mock composer) or the language setting; the browser's otherwise.
    const lang = new URLSearchParams(location.search).get('lang') ?? chosenLanguage();
    document.getElementById('learn-more').href = new URL(`explainer.html${lang ? `?lang=${lang}` : ''}`, location.href).href;
    document.getElementById('photos').replaceChildren(...warned.map((r, i) => describe(r, i + 1, forced, () => this.protectSays())));
    const quiet = document.getElementById('quiet');
    quiet.checked = false;
    // No "don't ask again" when the policy keeps every site checked, nor in the demo's composer.
    this.quietAllowed = !s.locked.includes('quietSites') && Boolean(context.site);
    document.getElementById('quiet-row').hidden = !this.quietAllowed;
    document.getElementById('fix-error').hidden = true;
    document.getElementById('not-seen').hidden = true;
    document.getElementById('working').hidden = true;
    document.getElementById('photos').inert = false; // a previous copy's wait is over
    this.showButtons(['protect', 'anyway', 'cancel']);
    this.protectSays();
    document.getElementById('backdrop').hidden = false;
    sight.restart();
    document.getElementById('dialog-body').scrollTop = 0;
    const protect = document.getElementById('protect');
    focusWhenShown = protect.hidden ? document.getElementById('cancel') : protect;
    document.addEventListener('keydown', this.onKey, true);
    this.rendered = true;
  }

  // The protect button says what it does. For videos alone it can only remove the location
  // (faces in videos are not masked yet): it says so, and is not offered when no location is to
  // be removed.
  protectSays() {
    const protect = document.getElementById('protect');
    if (!this.warned.every((r) => r.kind === 'video') || !this.buttons.includes('protect')) return;
    protect.textContent = t('actionRemoveLocation');
    protect.hidden = !this.warned.some((r) => r.strip && r.meta?.has_location);
  }

  showButtons(visible) {
    this.buttons = visible;
    for (const id of ACTIONS) {
      const button = document.getElementById(id);
      button.hidden = !visible.includes(id);
      button.disabled = false;
      button.onclick = () => this.pick(id);
    }
  }

  // The fix failed: say so, and offer to try again, cancel, or (unless forced) post the original.
  failed() {
    const error = document.getElementById('fix-error');
    error.textContent = t(this.mayPostOriginal ? 'guardFixFailed' : 'guardFixFailedForced');
    error.hidden = false;
    this.showButtons(this.mayPostOriginal ? ['retry', 'original', 'cancel'] : ['retry', 'cancel']);
    focusWhenShown = document.getElementById('retry');
    if (!document.getElementById('backdrop').hidden) document.getElementById('retry').focus();
  }

  // While the protected copy is made: the buttons wait, a line says what is happening.
  busy(on) {
    if (!this.rendered) return;
    // The ticks are read when the copy starts: while it is made they cannot change.
    document.getElementById('photos').inert = on;
    document.getElementById('working').hidden = !on;
    if (on) document.getElementById('fix-error').hidden = true;
    for (const id of ACTIONS) document.getElementById(id).disabled = on && id !== 'cancel';
  }

  choice() {
    return new Promise((resolve) => { this.resolve = resolve; });
  }

  pick(choice) {
    if (choice !== 'cancel' && document.getElementById(choice)?.disabled) return;
    // Cancel always counts (it posts nothing); any other choice only on a warning the user can
    // plainly see, and not in the first moments after it appeared.
    if (choice === 'cancel') {
      this.settle(choice);
      return;
    }
    const notSeen = () => { document.getElementById('not-seen').hidden = false; };
    if (!sight.ok()) {
      notSeen();
      return;
    }
    sight.confirm().then((seen) => (seen ? this.settle(choice) : notSeen()));
  }

  settle(choice) {
    document.getElementById('not-seen').hidden = true;
    if (choice === 'cancel' && this.resolve === null) {
      // Cancel while the copy is being made: stop the work.
      this.cancelled = true;
      worker.stop();
    }
    const resolve = this.resolve;
    this.resolve = null;
    // "Don't ask again" is remembered with a decision to post, never with cancel.
    if (['protect', 'anyway', 'original'].includes(choice) && this.quietAllowed
      && document.getElementById('quiet').checked && this.context.site) rememberQuiet(this.context.site);
    resolve?.(choice);
  }

  close() {
    if (!this.rendered) return;
    document.getElementById('backdrop').hidden = true;
    document.removeEventListener('keydown', this.onKey, true);
    for (const id of ACTIONS) document.getElementById(id).onclick = null;
    this.rendered = false;
  }

  onKey = (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      this.pick('cancel');
    } else if (/^[0-9]$/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey && !e.repeat
      && !document.getElementById('photos').inert) {
      // A face's number ticks or unticks it, in the photo that has focus (else the first). With
      // ten faces or more, the digits typed within 0.6 s make one number ("1", "0": face 10).
      const photo = document.activeElement?.closest?.('#photos > li') ?? document.querySelector('#photos > li');
      const count = photo?.querySelectorAll('input[data-face]').length ?? 0;
      if (count === 0) return;
      e.preventDefault();
      clearTimeout(this.digitTimer);
      this.digits = `${this.digits ?? ''}${e.key}`;
      const toggle = () => {
        const box = photo.querySelector(`input[data-face="${Number(this.digits) - 1}"]`);
        this.digits = '';
        if (box && !box.disabled) box.click();
      };
      if (count <= 9 || this.digits.length >= String(count).length) toggle();
      else this.digitTimer = setTimeout(toggle, 600);
    } else if (e.key === 'Tab') {
      // Focus stays in the dialog.
      const usable = [...document.querySelectorAll('#dialog a[href], #dialog summary, #dialog input:not(:disabled), #dialog button:not(:disabled), #dialog canvas[tabindex]')]
        .filter((x) => !x.closest('[hidden]') && !x.hidden && x.getClientRects().length > 0);
      const i = usable.indexOf(document.activeElement);
      const next = e.shiftKey ? (i <= 0 ? usable.length - 1 : i - 1) : (i + 1) % usable.length;
      e.preventDefault();
      usable[next].focus();
    }
  };
}

// "Don't ask again on this site": the content script stops holding there; undone from the popup.
function rememberQuiet(site) {
  return settings.setSite('quietSites', site, true);
}
