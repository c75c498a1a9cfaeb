// The guard: an extension page that the content script embeds, hidden, in a closed shadow root.
// It runs the wasm engine on held photos, and when a photo warrants it, shows the warning over
// the composer and returns the user's decision. The page can neither script nor restyle it,
// and it only talks over a MessagePort whose origin the background has vouched for.
import init, * as engine from '../wasm/before_you_post.js';
import { localise, t } from './i18n.js';

const api = globalThis.browser ?? globalThis.chrome;
const ready = init({ module_or_path: new URL('../wasm/before_you_post_bg.wasm', import.meta.url) });

const WRITABLE = { 'image/jpeg': 'image/jpeg', 'image/png': 'image/png', 'image/webp': 'image/webp' };
const PREVIEW_SIDE = 440;
const GRADE_COLOURS = { very_high: '#d32f2f', high: '#e64a19', medium: '#f9a825', low: '#43a047' };

let port = null;

// --- the handshake ----------------------------------------------------------------------------
window.addEventListener('message', async (event) => {
  if (port || event.source !== parent || event.data?.beforeYouPost !== 'connect') return;
  const candidate = event.ports?.[0];
  if (!candidate) return;
  let answer;
  try {
    answer = await api.runtime.sendMessage({ type: 'guard-claim', nonce: String(event.data.nonce) });
  } catch {
    answer = null;
  }
  if (answer?.ok !== true || port) {
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
    port.postMessage({ type: 'verdict', id: msg?.id, warn: false, notices: ['noticeUnchecked'] });
  };
}

// The content script shows our frame after the verdict; focus can only move in once it is shown.
let focusWhenShown = null;
function shown() {
  window.focus();
  focusWhenShown?.focus();
  focusWhenShown = null;
}

// --- checking ---------------------------------------------------------------------------------
async function decode(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    return { canvas, ctx, image: ctx.getImageData(0, 0, bitmap.width, bitmap.height) };
  } finally {
    bitmap.close();
  }
}

function preview(source, faces) {
  const scale = Math.min(1, PREVIEW_SIDE / Math.max(source.width, source.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(source.width * scale));
  canvas.height = Math.max(1, Math.round(source.height * scale));
  const ctx = canvas.getContext('2d');
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  ctx.lineWidth = 3;
  for (const face of faces) {
    const [x, y, w, h] = face.bbox.map((v) => v * scale);
    ctx.strokeStyle = GRADE_COLOURS[face.grade] ?? '#d32f2f';
    ctx.strokeRect(x, y, w, h);
  }
  return canvas;
}

async function check(index, file) {
  const result = { index, file, meta: null, analysis: null, error: null, preview: null };
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
    result.analysis = engine.analyzeRgba(image.data, image.width, image.height, {
      has_location: Boolean(result.meta?.has_location),
    });
    result.preview = preview(canvas, result.analysis.faces);
  } catch (err) {
    // Undecodable here (HEIC in Chromium, corrupt, too large): the original goes through.
    result.error = typeof err?.code === 'string' ? err.code : 'decode_failed';
  }
  return result;
}

async function onRequest(msg) {
  if (msg?.type !== 'check') return;
  await ready;
  const results = [];
  for (const { index, file } of msg.files ?? []) results.push(await check(index, file));
  const notices = results.some((r) => r.error) ? ['noticeUnchecked'] : [];
  const warned = results.filter((r) => r.analysis?.verdict.warn);
  port.postMessage({ type: 'verdict', id: msg.id, warn: warned.length > 0, notices });
  if (warned.length === 0) return;
  const choice = await ask(warned, msg.context ?? {});
  if (choice === 'cancel') {
    port.postMessage({ type: 'decision', id: msg.id, action: 'cancel' });
    return;
  }
  const files = [];
  const fixNotices = [];
  if (choice === 'protect') {
    for (const r of warned) {
      try {
        files.push({ index: r.index, file: await protect(r) });
      } catch (err) {
        console.warn('Before You Post: could not protect', r.file.name, err);
        fixNotices.push('noticeFixFailed');
      }
    }
  }
  port.postMessage({ type: 'decision', id: msg.id, action: 'release', files, notices: fixNotices });
}

// --- fixes ------------------------------------------------------------------------------------
function randomSeed() {
  const seed = new Uint32Array(2);
  crypto.getRandomValues(seed);
  return seed;
}

// Faces masked irreversibly by the core (pixels decided in Rust); the browser re-encodes in the
// original format. The new file carries no metadata at all, so no location either.
async function maskedFile(r, faces) {
  const type = WRITABLE[r.file.type];
  if (!type || typeof engine.maskFaces !== 'function') throw new Error(`cannot write ${r.file.type}`);
  const { canvas, ctx, image } = await decode(r.file);
  const boxes = faces.map((f) => ({ x: f.bbox[0], y: f.bbox[1], w: f.bbox[2], h: f.bbox[3] }));
  const [hi, lo] = randomSeed();
  engine.maskFaces(image.data, image.width, image.height, boxes, hi, lo);
  ctx.putImageData(image, 0, 0);
  const quality = type === 'image/png' ? undefined
    : type === 'image/webp' && r.meta?.lossless ? 1
      : Math.min(1, Math.max(0.5, (r.meta?.jpeg_quality ?? 92) / 100));
  const blob = await canvas.convertToBlob({ type, quality });
  return new File([blob], r.file.name, { type: r.file.type });
}

async function strippedFile(r) {
  const bytes = new Uint8Array(await r.file.arrayBuffer());
  const out = engine.stripLocation(bytes);
  return new File([out], r.file.name, { type: r.file.type });
}

async function protect(r) {
  const faces = r.analysis.faces;
  if (faces.length > 0) return maskedFile(r, faces);
  if (r.meta?.has_location) return strippedFile(r);
  return r.file;
}

// --- the warning ------------------------------------------------------------------------------
function describe(r) {
  const li = document.createElement('li');
  li.dataset.photo = String(r.index);
  const text = document.createElement('div');
  const name = Object.assign(document.createElement('strong'), { textContent: r.file.name });
  const list = document.createElement('ul');
  r.analysis.faces.forEach((face, i) => {
    const item = document.createElement('li');
    const grade = Object.assign(document.createElement('span'), {
      className: `grade-${face.grade}`, textContent: t(`grade_${face.grade}`),
    });
    item.append(`${t('demoFace', [String(i + 1)])} `, grade, ` — ${face.reasons.map((x) => t(`reason_${x}`)).join(', ')}`);
    list.append(item);
  });
  if (r.meta?.has_location) list.append(Object.assign(document.createElement('li'), { textContent: t('guardLocationFound') }));
  text.append(name, list);
  r.preview.setAttribute('role', 'img');
  r.preview.setAttribute('aria-label', t('demoPhotoLabel', [String(r.analysis.faces.length)]));
  li.append(r.preview, text);
  return li;
}

function ask(warned, context) {
  localise();
  const faces = warned.reduce((n, r) => n + r.analysis.faces.length, 0);
  document.getElementById('dialog-title').textContent = t(context.profile ? 'guardTitleProfile' : 'guardTitle');
  const audience = context.audience === 'restricted' ? t('guardAudienceRestricted') : t('guardAudiencePublic');
  document.getElementById('dialog-summary').textContent = `${t('guardSummary', [String(faces)])} ${audience}`;
  document.getElementById('photos').replaceChildren(...warned.map(describe));
  const backdrop = document.getElementById('backdrop');
  const buttons = [...document.querySelectorAll('#actions button')];
  const canProtect = warned.every((r) =>
    (r.analysis.faces.length === 0 || (WRITABLE[r.file.type] && typeof engine.maskFaces === 'function'))
    && (!r.meta?.has_location || r.analysis.faces.length > 0 || typeof engine.stripLocation === 'function'));
  document.getElementById('protect').disabled = !canProtect;
  backdrop.hidden = false;
  focusWhenShown = canProtect ? buttons[0] : buttons[1];
  return new Promise((resolve) => {
    const done = (choice) => {
      backdrop.hidden = true;
      document.removeEventListener('keydown', onKey, true);
      for (const b of buttons) b.onclick = null;
      resolve(choice);
    };
    const onKey = (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        done('cancel');
      } else if (e.key === 'Tab') {
        // Focus stays in the dialog.
        const usable = buttons.filter((b) => !b.disabled);
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
