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
// An idle worker is terminated so a big photo's memory goes back to the system.
const WORKER_IDLE_MS = 10_000;
// A check still running after this shows what is happening, with a Cancel button.
const PROGRESS_AFTER_MS = 300;

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

// The content script shows our frame; focus can only move in once it is shown.
let focusWhenShown = null;
function shown() {
  const target = focusWhenShown;
  focusWhenShown = null;
  // The frame becomes visible a moment after the message (it lives in the page's layout):
  // retry briefly until focus lands.
  let tries = 0;
  const attempt = () => {
    window.focus();
    target?.focus();
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

  run(request) {
    clearTimeout(this.idleTimer);
    if (!this.instance) {
      this.instance = new Worker(new URL('check-worker.js', import.meta.url), { type: 'module' });
      this.instance.onmessage = ({ data }) => this.settle(data);
      this.instance.onerror = (e) => this.stop(new Error(`worker failed: ${e.message ?? 'unknown'}`));
    }
    const job = this.nextJob++;
    return new Promise((resolve, reject) => {
      this.jobs.set(job, { resolve, reject });
      this.instance.postMessage({ ...request, job });
    });
  },

  settle(data) {
    const pending = this.jobs.get(data?.job);
    if (!pending) return;
    this.jobs.delete(data.job);
    if (data.ok) pending.resolve(data);
    else pending.reject(Object.assign(new Error(data.message ?? data.error), { code: data.error }));
    if (this.jobs.size === 0) this.idleTimer = setTimeout(() => this.stop(), WORKER_IDLE_MS);
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
async function check(index, file, sensitivity) {
  const { result } = await worker.run({ op: 'check', file, sensitivity });
  return { index, file, ...result };
}

// A notice for the content script to show, already in the language of the settings.
const notice = (key) => ({ key, text: t(key) });

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
  const photos = msg.files ?? [];
  progress.after(request, PROGRESS_AFTER_MS);
  try {
    for (const { index, file } of photos) {
      results.push(await check(index, file, s.sensitivity));
      progress.set(results.length, photos.length);
    }
  } finally {
    progress.hide(request);
  }
  if (request.aborted) return;
  const notices = results.some((r) => r.error && !r.analysis?.verdict.warn) ? [notice('noticeUnchecked')] : [];
  const warned = results.filter((r) => r.analysis?.verdict.warn);
  const send = (message) => port.postMessage({ id: msg.id, ...message });
  if (warned.length === 0) {
    // A quiet sign that the check happened, unless turned off (or something went unchecked).
    if (notices.length === 0 && results.length > 0 && s.checkedNotice === 'on') {
      const smallFaces = results.some((r) => r.analysis?.faces.length > 0);
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
    const file = await withTimeout(applyChoice(r), FIX_TIMEOUT_MS);
    if (file) files.push({ index: r.index, file });
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

  after(request, ms) {
    this.hide(this.request);
    this.request = request;
    this.timer = setTimeout(() => this.show(request), ms);
  },

  show(request) {
    if (request.aborted || this.request !== request) return;
    localise();
    document.getElementById('dialog').hidden = true;
    document.getElementById('checking').hidden = false;
    document.getElementById('backdrop').hidden = false;
    const cancel = document.getElementById('checking-cancel');
    cancel.onclick = () => this.cancel(request);
    document.addEventListener('keydown', this.onKey, true);
    focusWhenShown = cancel;
    port.postMessage({ type: 'show', id: request.id });
  },

  // Done `done` of `total` photos: a determinate bar once there is more than one.
  set(done, total) {
    const bar = document.getElementById('checking-progress');
    if (total > 1) Object.assign(bar, { max: total, value: done });
  },

  hide(request) {
    if (!request || this.request !== request) return;
    clearTimeout(this.timer);
    this.request = null;
    document.removeEventListener('keydown', this.onKey, true);
    if (document.getElementById('checking').hidden) return;
    document.getElementById('checking').hidden = true;
    document.getElementById('dialog').hidden = false;
    document.getElementById('backdrop').hidden = true;
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
      e.preventDefault(); // one control: focus stays on Cancel
    }
  },
};

// --- fixes ------------------------------------------------------------------------------------
const boxOf = (face) => ({ x: face.bbox[0], y: face.bbox[1], w: face.bbox[2], h: face.bbox[3] });

// What the user chose for one photo: a new file, or null to keep the original. The bytes are
// made in the worker; the name, type and date stay the original's.
async function applyChoice(r) {
  const faces = r.analysis.faces.filter((_, i) => r.selected.has(i)).map((f) => ({ bbox: f.bbox }));
  const strip = r.strip && r.meta?.has_location;
  if (faces.length === 0 && !strip) return null;
  const { blob } = await worker.run({ op: 'fix', file: r.file, faces, strip, meta: r.meta });
  return new File([blob], r.file.name, { type: r.file.type || blob.type, lastModified: r.file.lastModified });
}

// --- the warning ------------------------------------------------------------------------------
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

function drawPreview(r) {
  const ctx = r.preview.getContext('2d');
  if (!r.thumb) return;
  const scale = r.preview.width / r.analysis.width;
  ctx.drawImage(r.thumb, 0, 0);
  r.analysis.faces.forEach((face, i) => {
    const [x, y, w, h] = (r.expanded[i] ? [r.expanded[i].x, r.expanded[i].y, r.expanded[i].w, r.expanded[i].h] : face.bbox)
      .map((v) => v * scale);
    const selected = r.selected.has(i);
    ctx.setLineDash(selected ? [] : [6, 4]);
    ctx.lineWidth = 3;
    ctx.strokeStyle = GRADE_COLOURS[face.grade] ?? '#d32f2f';
    if (selected) {
      ctx.fillStyle = 'rgba(20, 20, 20, 0.55)';
      ctx.fillRect(x, y, w, h);
    }
    ctx.strokeRect(x, y, w, h);
    ctx.setLineDash([]);
    ctx.fillStyle = '#fff';
    ctx.font = 'bold 16px system-ui';
    ctx.fillText(String(i + 1), x + 4, y + 18);
  });
}

function metadataList(meta) {
  const rows = metadataRows(meta);
  if (rows.length === 0) return null;
  const dl = el('dl');
  for (const [key, value] of rows) dl.append(el('dt', { textContent: t(key) }), el('dd', { textContent: value }));
  return dl;
}

function describe(r, n, forced) {
  const li = el('li', { className: 'photo' });
  li.dataset.photo = String(r.index);
  const details = el('div', { className: 'photo-details' });
  details.append(el('strong', { textContent: r.file.name }));
  const faces = r.analysis.faces;
  if (r.analysis.faces_checked === false) details.append(el('p', { className: 'blocked', textContent: t('guardFacesNotChecked') }));
  if (faces.length > 0) {
    const fieldset = el('fieldset');
    fieldset.append(el('legend', { textContent: t('guardFacesLegend') }));
    const maskable = canMask(r);
    const lockedOn = maskable && forced.mask; // the policy masks every face
    faces.forEach((face, i) => {
      const box = el('input', { type: 'checkbox', checked: r.selected.has(i), disabled: !maskable || lockedOn });
      box.dataset.face = String(i);
      box.addEventListener('change', () => {
        if (box.checked) r.selected.add(i);
        else r.selected.delete(i);
        drawPreview(r);
      });
      const grade = el('span', { className: `grade-${face.grade}`, textContent: t(`grade_${face.grade}`) });
      const reasons = face.reasons.map((x) => t(`reason_${x}`)).join(', ');
      fieldset.append(el('label', {}, box, ` ${t('guardMaskFace', [String(i + 1)])} `, grade, ` — ${reasons}`));
    });
    if (!maskable) fieldset.append(el('p', { className: 'blocked', textContent: t('guardCannotMask') }));
    if (lockedOn) fieldset.append(el('p', { className: 'forced', textContent: t('guardForcedByPolicy') }));
    details.append(fieldset);
  }
  const meta = metadataList(r.meta);
  if (meta) details.append(meta);
  if (r.meta?.has_location) {
    const lockedOn = forced.strip && strippable(r);
    const strip = el('input', { type: 'checkbox', checked: r.strip, disabled: r.meta.can_strip_location === false || lockedOn });
    strip.dataset.strip = '';
    strip.addEventListener('change', () => { r.strip = strip.checked; });
    details.append(el('label', {}, strip, ` ${t('guardRemoveLocation')}`));
    if (lockedOn) details.append(el('p', { className: 'forced', textContent: t('guardForcedByPolicy') }));
  }
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
  drawPreview(r);
  li.append(...(r.thumb ? [r.preview] : []), details);
  return li;
}

function prepare(r) {
  r.expanded ??= [];
  const side = r.thumb ?? { width: 1, height: 1 };
  r.preview = Object.assign(document.createElement('canvas'), { width: side.width, height: side.height });
}

const ACTIONS = ['protect', 'anyway', 'cancel', 'retry', 'original'];

// The warning over the composer for one request. choice() resolves with the button pressed:
// 'protect', 'anyway' or 'cancel' at first; after failed(), 'retry', 'original' or 'cancel'.
class Dialog {
  constructor(warned, context, forced, s, request) {
    Object.assign(this, { warned, context, forced, s, request, rendered: false, resolve: null, cancelled: false });
    // "Post the original" is not offered when a policy forces the fix.
    this.mayPostOriginal = mayPostOriginal(s);
  }

  render() {
    localise();
    const { warned, context, forced, s } = this;
    // The engine's verdict says which faces count and what the warning is about.
    const faces = warned.reduce((n, r) => n + r.analysis.verdict.counted_faces, 0);
    const aboutFaces = warned.some((r) => r.analysis.verdict.warns_for_faces);
    const title = context.profile ? 'guardTitleProfile' : aboutFaces ? 'guardTitle' : 'guardTitleLocation';
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
    document.getElementById('photos').replaceChildren(...warned.map((r, i) => describe(r, i + 1, forced)));
    const quiet = document.getElementById('quiet');
    quiet.checked = false;
    // No "don't ask again" when the policy keeps every site checked, nor in the demo's composer.
    this.quietAllowed = !s.locked.includes('quietSites') && Boolean(context.site);
    document.getElementById('quiet-row').hidden = !this.quietAllowed;
    document.getElementById('fix-error').hidden = true;
    document.getElementById('working').hidden = true;
    this.showButtons(['protect', 'anyway', 'cancel']);
    document.getElementById('backdrop').hidden = false;
    focusWhenShown = document.getElementById('protect');
    document.addEventListener('keydown', this.onKey, true);
    this.rendered = true;
  }

  showButtons(visible) {
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
    document.getElementById('working').hidden = !on;
    if (on) document.getElementById('fix-error').hidden = true;
    for (const id of ACTIONS) document.getElementById(id).disabled = on && id !== 'cancel';
  }

  choice() {
    return new Promise((resolve) => { this.resolve = resolve; });
  }

  pick(choice) {
    if (choice !== 'cancel' && document.getElementById(choice)?.disabled) return;
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
    } else if (e.key === 'Tab') {
      // Focus stays in the dialog.
      const usable = [...document.querySelectorAll('#dialog a[href], #dialog input:not(:disabled), #dialog button:not(:disabled)')]
        .filter((x) => !x.closest('[hidden]') && !x.hidden);
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
