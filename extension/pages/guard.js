// The guard: an extension page that the content script embeds, hidden, in a closed shadow root.
// It runs the wasm engine on held photos, and when a photo warrants it, shows the warning over
// the composer and returns the user's decision. The page can neither script nor restyle it,
// and it only talks over a MessagePort whose origin the background has vouched for.
import init, * as engine from '../wasm/before_you_post.js';
import '../common/settings.js';
import { chosenLanguage, loadMessages, localise, t } from './i18n.js';
import { decode } from './decode.js';
import { metadataRows } from './metadata.js';

const api = globalThis.browser ?? globalThis.chrome;
const settings = globalThis.beforeYouPostSettings;
const ready = init({ module_or_path: new URL('../wasm/before_you_post_bg.wasm', import.meta.url) });

const WRITABLE = { 'image/jpeg': 'image/jpeg', 'image/png': 'image/png', 'image/webp': 'image/webp' };
const PREVIEW_SIDE = 440;
const GRADE_COLOURS = { very_high: '#d32f2f', high: '#e64a19', medium: '#f9a825', low: '#43a047' };

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
  try {
    const answer = await api.runtime.sendMessage({ type: 'guard-claim', nonce: String(event.data.nonce) });
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
  port.onmessage = (m) => {
    if (m.data?.type === 'shown') shown();
    else onRequest(m.data).catch(onError(m.data));
  };
  try {
    await ready;
  } catch (err) {
    console.error('Before You Post: engine failed to start', err);
  }
  port.postMessage({ type: 'ready' });
});

function onError(msg) {
  return (err) => {
    console.error('Before You Post guard:', err);
    // The content script fails open when it gets no verdict in time; say so at once instead.
    port.postMessage({ type: 'verdict', id: msg?.id, warn: false, notices: [notice('noticeUnchecked')] });
  };
}

// The content script shows our frame after the verdict; focus can only move in once it is shown.
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

// --- checking ---------------------------------------------------------------------------------
// A small copy of the photo; drawPreview() outlines the faces on top of it.
function thumbnail(source) {
  const scale = Math.min(1, PREVIEW_SIDE / Math.max(source.width, source.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(source.width * scale));
  canvas.height = Math.max(1, Math.round(source.height * scale));
  canvas.getContext('2d').drawImage(source, 0, 0, canvas.width, canvas.height);
  return canvas;
}

async function check(index, file, sensitivity) {
  const result = { index, file, meta: null, analysis: null, error: null, thumb: null };
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.length === 0) throw Object.assign(new Error('empty'), { code: 'empty_file' });
    if (typeof engine.inspectFile === 'function') {
      try {
        result.meta = engine.inspectFile(bytes);
      } catch (err) {
        result.metaError = err?.code ?? 'corrupt_file';
      }
    }
    const { canvas, image } = await decode(file);
    result.type = file.type || result.meta?.mime || '';
    result.analysis = engine.analyzeRgba(image.data, image.width, image.height, {
      has_location: Boolean(result.meta?.has_location),
      policy: { sensitivity },
    });
    result.thumb = thumbnail(canvas);
  } catch (err) {
    // Undecodable here (HEIC in Chromium, corrupt, too large): the original goes through.
    result.error = typeof err?.code === 'string' ? err.code : 'decode_failed';
  }
  return result;
}

// A notice for the content script to show, already in the language of the settings.
const notice = (key) => ({ key, text: t(key) });

async function onRequest(msg) {
  if (msg?.type !== 'check') return;
  await ready;
  const s = await settings.load();
  await loadMessages({ followSettings: true }).catch(() => {});
  const results = [];
  for (const { index, file } of msg.files ?? []) results.push(await check(index, file, s.sensitivity));
  const notices = results.some((r) => r.error) ? [notice('noticeUnchecked')] : [];
  const warned = results.filter((r) => r.analysis?.verdict.warn);
  if (warned.length === 0) {
    port.postMessage({ type: 'verdict', id: msg.id, warn: false, notices });
    return;
  }
  warned.forEach(prepare);
  const forced = { mask: s.policy.forceMaskFaces, strip: s.policy.forceRemoveLocation };
  const auto = { mask: forced.mask || s.defaultAction === 'mask', strip: forced.strip || s.defaultAction === 'strip' };
  const preset = s.policy.automationDecision;
  const fixNotices = [];
  let choice;
  if (preset) {
    // A test profile's preset decision (managed policy): no dialog, as if that button was pressed.
    port.postMessage({ type: 'verdict', id: msg.id, warn: false, auto: true, notices });
    choice = preset;
    for (const r of warned) select(r, preset === 'protect' ? { mask: true, strip: true } : forced);
    fixNotices.push(notice(`noticePreset_${preset}`));
  } else if (warned.every((r) => covers(r, auto))) {
    // "Always mask faces" / "always remove location" (setting or policy): fixed without asking,
    // and the user is told so.
    port.postMessage({ type: 'verdict', id: msg.id, warn: false, auto: true, notices });
    choice = 'protect';
    for (const r of warned) select(r, auto);
    if (warned.some((r) => r.selected.size > 0)) fixNotices.push(notice(forced.mask ? 'noticePolicyMasked' : 'noticeAutoMasked'));
    if (warned.some((r) => r.selected.size === 0 && r.strip)) fixNotices.push(notice(forced.strip ? 'noticePolicyStripped' : 'noticeAutoStripped'));
  } else {
    port.postMessage({ type: 'verdict', id: msg.id, warn: true, notices });
    for (const r of warned) select(r, { mask: true, strip: true });
    choice = await ask(warned, msg.context ?? {}, forced, s);
    // "Post anyway" still applies what the policy forces (shown ticked and locked).
    if (choice === 'anyway') for (const r of warned) select(r, forced);
  }
  // The demo's mock composer (no site) does not count.
  if (msg.context?.site) settings.addCounts({ warnings: 1 });
  if (choice === 'cancel') {
    port.postMessage({ type: 'decision', id: msg.id, action: 'cancel', notices: fixNotices });
    return;
  }
  const files = [];
  for (const r of warned) {
    try {
      const file = await applyChoice(r);
      if (file) files.push({ index: r.index, file });
    } catch (err) {
      console.warn('Before You Post: could not protect', r.file.name, err);
      fixNotices.push(notice('noticeFixFailed'));
    }
  }
  if (files.length > 0 && msg.context?.site) settings.addCounts({ fixes: files.length });
  port.postMessage({ type: 'decision', id: msg.id, action: 'release', files, notices: fixNotices });
}

// --- what happens without asking ---------------------------------------------------------------
const warnsForFaces = (r) => r.analysis.verdict.reasons.some((reason) => reason !== 'location');
const warnsForLocation = (r) => r.analysis.verdict.reasons.includes('location');
// Masking re-encodes the photo without any metadata, so it removes the location too.
const maskable = (r) => canMask(r) && r.analysis.faces.length > 0;
const strippable = (r) => Boolean(r.meta?.has_location) && r.meta?.can_strip_location !== false;

// Ticks faces and "remove location" for these actions ({ mask, strip }).
function select(r, { mask, strip }) {
  r.selected = new Set(mask && canMask(r) ? r.analysis.faces.map((_, i) => i) : []);
  r.strip = Boolean(strip) && strippable(r);
}

// Whether these actions deal with everything the photo was warned for.
function covers(r, { mask, strip }) {
  const masked = mask && maskable(r);
  return (!warnsForFaces(r) || masked) && (!warnsForLocation(r) || masked || (strip && strippable(r)));
}

// --- fixes ------------------------------------------------------------------------------------
function randomSeed() {
  const seed = new Uint32Array(2);
  crypto.getRandomValues(seed);
  return seed;
}

const boxOf = (face) => ({ x: face.bbox[0], y: face.bbox[1], w: face.bbox[2], h: face.bbox[3] });

// Faces masked irreversibly by the core (it decides every pixel); the browser re-encodes in the
// original format and size. The new file carries no metadata at all, so no location either.
async function maskedFile(r, faces) {
  const type = WRITABLE[r.type];
  if (!type) throw new Error(`cannot write ${r.type}`);
  const { canvas, ctx, image } = await decode(r.file);
  const [hi, lo] = randomSeed();
  engine.maskFaces(image.data, image.width, image.height, faces.map(boxOf), hi, lo);
  ctx.putImageData(image, 0, 0);
  const quality = type === 'image/png' ? undefined
    : type === 'image/webp' && r.meta?.lossless ? 1
      : Math.min(1, Math.max(0.5, (r.meta?.jpeg_quality ?? 92) / 100));
  const blob = await canvas.convertToBlob({ type, quality });
  return new File([blob], r.file.name, { type: r.file.type || type });
}

// Location removed from the file's metadata; pixels, orientation and the rest untouched.
async function strippedFile(r) {
  const bytes = new Uint8Array(await r.file.arrayBuffer());
  return new File([engine.stripLocation(bytes)], r.file.name, { type: r.file.type });
}

// What the user chose for one photo: a new file, or null to keep the original.
async function applyChoice(r) {
  const faces = r.analysis.faces.filter((_, i) => r.selected.has(i));
  if (faces.length > 0) return maskedFile(r, faces);
  if (r.strip && r.meta?.has_location) return strippedFile(r);
  return null;
}

// --- the warning ------------------------------------------------------------------------------
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

function canMask(r) {
  return Boolean(WRITABLE[r.type]) && r.meta?.can_mask !== false;
}

function drawPreview(r) {
  const ctx = r.preview.getContext('2d');
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
  r.preview.setAttribute('aria-label', t('guardPreviewLabel', [String(n), String(faces.length)]));
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
  li.append(r.preview, details);
  return li;
}

function prepare(r) {
  const faces = r.analysis.faces;
  r.expanded = faces.length > 0 && typeof engine.maskedBoxes === 'function'
    ? engine.maskedBoxes(r.analysis.width, r.analysis.height, faces.map(boxOf))
    : [];
  r.preview = Object.assign(document.createElement('canvas'), { width: r.thumb.width, height: r.thumb.height });
}

function ask(warned, context, forced, s) {
  localise();
  const faces = warned.reduce((n, r) => n + r.analysis.faces.length, 0);
  const title = context.profile ? 'guardTitleProfile' : faces > 0 ? 'guardTitle' : 'guardTitleLocation';
  document.getElementById('dialog-title').textContent = t(title);
  const audience = context.audience === 'restricted' ? t('guardAudienceRestricted') : t('guardAudiencePublic');
  const summary = faces > 0 ? t('guardSummary', [String(faces)]) : t('guardSummaryLocation');
  document.getElementById('dialog-summary').textContent = `${summary} ${audience}`;
  // ?lang= (the demo's mock composer) or the language setting; the browser's otherwise.
  const lang = new URLSearchParams(location.search).get('lang') ?? chosenLanguage();
  document.getElementById('learn-more').href = new URL(`explainer.html${lang ? `?lang=${lang}` : ''}`, location.href).href;
  document.getElementById('photos').replaceChildren(...warned.map((r, i) => describe(r, i + 1, forced)));
  const quiet = document.getElementById('quiet');
  quiet.checked = false;
  // No "don't ask again" when the policy keeps every site checked, nor in the demo's composer.
  const quietAllowed = !s.locked.includes('quietSites') && Boolean(context.site);
  document.getElementById('quiet-row').hidden = !quietAllowed;
  const backdrop = document.getElementById('backdrop');
  backdrop.hidden = false;
  focusWhenShown = document.getElementById('protect');
  return new Promise((resolve) => {
    const done = (choice) => {
      backdrop.hidden = true;
      document.removeEventListener('keydown', onKey, true);
      for (const id of ['protect', 'anyway', 'cancel']) document.getElementById(id).onclick = null;
      if (choice !== 'cancel' && quietAllowed && quiet.checked && context.site) rememberQuiet(context.site);
      resolve(choice);
    };
    const onKey = (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        done('cancel');
      } else if (e.key === 'Tab') {
        // Focus stays in the dialog.
        const usable = [...document.querySelectorAll('#dialog a[href], #dialog input:not(:disabled), #dialog button:not(:disabled)')]
          .filter((x) => !x.closest('[hidden]'));
        const i = usable.indexOf(document.activeElement);
        const next = e.shiftKey ? (i <= 0 ? usable.length - 1 : i - 1) : (i + 1) % usable.length;
        e.preventDefault();
        usable[next].focus();
      }
    };
    document.addEventListener('keydown', onKey, true);
    document.getElementById('protect').onclick = () => done('protect');
    document.getElementById('anyway').onclick = () => done('anyway');
    document.getElementById('cancel').onclick = () => done('cancel');
  });
}

// "Don't ask again on this site": the content script stops holding there; undone from the popup.
function rememberQuiet(site) {
  return settings.setSite('quietSites', site, true);
}
