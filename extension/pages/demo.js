// Classroom demo: runs the same engine and decision as the extension on a chosen photo, shows
// what a face scraper would take from it, and offers a mock composer that holds the photo with
// the extension's own warning page (guard.html). Works as an extension page and served over
// http; the photo never leaves the page.
import init, { analyzeRgba, inspectFile, thresholds } from '../wasm/before_you_post.js';
import { loadMessages, localise, pageLanguage, plural, t } from './i18n.js';
import { decode } from './decode.js';
import { coordinates, metadataRows } from './metadata.js';

const GRADE_COLOURS = { very_high: '#d32f2f', high: '#e64a19', medium: '#f9a825', low: '#43a047' };
// ArcFace's 112 x 112 alignment template: eyes, nose tip, mouth corners (insightface).
const TEMPLATE = [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]];
// Where people stop telling faces apart (a teaching figure, not one of the engine's thresholds).
const HUMAN_CHANCE_EYES = 10;
const FRAME_TIMEOUT_MS = 15000;

const params = new URLSearchParams(location.search);
const engine = init({ module_or_path: new URL('../wasm/before_you_post_bg.wasm', import.meta.url) });
// The engine's grade thresholds (inter-eye distances), read from the engine, never copied.
let limits = null;
engine.then(() => { limits = thresholds(); }, () => {});
const world = fetch(new URL('world-outline.json', import.meta.url)).then((r) => r.json()).catch(() => null);

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};
const svg = (tag, attrs = {}, text) => {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
};
const fixed = (n, digits = 1) => n.toLocaleString(pageLanguage(), { maximumFractionDigits: digits });

let chosen = null; // the photo analysed above, for "Add the photo chosen above"

// --- 2. what the detector finds -----------------------------------------------------------------
function drawFaces(canvas, source, faces) {
  canvas.width = source.width;
  canvas.height = source.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(source, 0, 0);
  const line = Math.max(2, Math.round(canvas.width / 300));
  faces.forEach((face, i) => {
    const [x, y, w, h] = face.bbox;
    ctx.lineWidth = line;
    ctx.strokeStyle = GRADE_COLOURS[face.grade];
    ctx.strokeRect(x, y, w, h);
    ctx.fillStyle = GRADE_COLOURS[face.grade];
    for (const [px, py] of face.landmarks) ctx.fillRect(px - line, py - line, line * 2, line * 2);
    ctx.font = `bold ${Math.max(14, line * 8)}px system-ui`;
    ctx.fillText(String(i + 1), x, Math.max(line * 8, y - line * 2));
  });
}

function gradeBadge(face) {
  return el('span', { className: `grade grade-${face.grade}`, textContent: t(`grade_${face.grade}`) });
}

function describeFace(face, i) {
  const reasons = face.reasons.map((r) => t(`reason_${r}`)).join(', ');
  const detail = t('demoFaceDetail', [String(Math.round(face.eye_distance)), String(Math.round(Math.abs(face.yaw)))]);
  return el('li', {}, `${t('demoFace', [String(i + 1)])} `, gradeBadge(face), ` — ${reasons}. ${detail}`);
}

// --- 3. what a face scraper sees -----------------------------------------------------------------
// The similarity transform (scale, rotation, shift) taking the five landmarks closest to the
// template, by least squares, as recognisers' alignment code does.
function alignment(landmarks) {
  const mean = (pts) => pts.reduce(([sx, sy], [x, y]) => [sx + x / pts.length, sy + y / pts.length], [0, 0]);
  const [msx, msy] = mean(landmarks);
  const [mdx, mdy] = mean(TEMPLATE);
  let dot = 0;
  let cross = 0;
  let norm = 0;
  landmarks.forEach(([x, y], i) => {
    const sx = x - msx;
    const sy = y - msy;
    const dx = TEMPLATE[i][0] - mdx;
    const dy = TEMPLATE[i][1] - mdy;
    dot += sx * dx + sy * dy;
    cross += sx * dy - sy * dx;
    norm += sx * sx + sy * sy;
  });
  const a = dot / (norm || 1);
  const b = cross / (norm || 1);
  return { a, b, e: mdx - (a * msx - b * msy), f: mdy - (b * msx + a * msy) };
}

function alignedCrop(source, face, i) {
  const canvas = el('canvas', { width: 112, height: 112 });
  const ctx = canvas.getContext('2d');
  const { a, b, e, f } = alignment(face.landmarks);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, 112, 112);
  ctx.imageSmoothingQuality = 'high';
  ctx.setTransform(a, b, -b, a, e, f);
  ctx.drawImage(source, 0, 0);
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', t('demoCropLabel', [String(i + 1)]));
  return canvas;
}

function eyesSentence(eyes) {
  const px = String(Math.round(eyes));
  if (eyes < HUMAN_CHANCE_EYES) return t('demoEyesTiny', [px]);
  const recogniser = limits.recogniser_eye_distance;
  if (eyes >= recogniser) return t('demoEyesEnough', [px, fixed(eyes / recogniser), String(recogniser)]);
  return t('demoEyesUpscaled', [px, fixed(recogniser / eyes), String(recogniser)]);
}

// Where this face's inter-eye distance sits among the sizes that matter (4-128 px, log scale:
// each step to the right doubles the detail).
function eyeScale(eyes) {
  const W = 340;
  const x = (px) => 10 + (Math.log2(Math.min(128, Math.max(4, px)) / 4) / 5) * (W - 20);
  const root = svg('svg', { viewBox: `0 0 ${W} 80`, width: W, height: 80, role: 'img', class: 'scale' });
  root.setAttribute('aria-label', t('demoScaleLabel',
    [String(Math.round(eyes)), String(limits.recogniser_eye_distance), String(limits.large_eye_distance)]));
  root.append(svg('rect', { x: 10, y: 28, width: W - 20, height: 8, rx: 4, class: 'scale-bar' }));
  // Labels on two rows so neighbouring ticks never overlap.
  const ticks = [[HUMAN_CHANCE_EYES, 'demoScaleHuman', 54], [limits.recogniser_eye_distance, 'demoScaleRecogniser', 72],
    [limits.large_eye_distance, 'demoScaleQuality', 54]];
  for (const [px, key, y] of ticks) {
    const anchor = x(px) < 60 ? 'start' : x(px) > W - 60 ? 'end' : 'middle';
    root.append(svg('line', { x1: x(px), x2: x(px), y1: 24, y2: y - 10, class: 'scale-tick' }));
    root.append(svg('text', { x: x(px), y, 'text-anchor': anchor, class: 'scale-text' }, `${px} px ${t(key)}`));
  }
  const mx = x(eyes);
  root.append(svg('path', { d: `M${mx - 7} 13 L${mx + 7} 13 L${mx} 27 Z`, class: 'scale-marker' }));
  root.append(svg('text', { x: Math.min(W - 30, Math.max(30, mx)), y: 10, 'text-anchor': 'middle', class: 'scale-text strong' },
    `${Math.round(eyes)} px`));
  return root;
}

function showCrops(source, faces) {
  $('no-crops').hidden = faces.length > 0;
  $('crops').replaceChildren(...faces.map((face, i) => {
    const figure = el('figure', {},
      alignedCrop(source, face, i),
      el('figcaption', {}, el('strong', { textContent: `${t('demoFace', [String(i + 1)])} ` }), gradeBadge(face),
        el('span', { className: 'eyes', textContent: ` ${eyesSentence(face.eye_distance)}` })));
    const li = el('li', {}, figure, eyeScale(face.eye_distance));
    li.dataset.eyes = String(Math.round(face.eye_distance));
    return li;
  }));
  $('scale-source').hidden = faces.length === 0;
}

function showMetadata(meta) {
  const rows = metadataRows(meta);
  $('meta').replaceChildren(...rows.flatMap(([key, value]) => [el('dt', { textContent: t(key) }), el('dd', { textContent: value })]));
  $('meta').hidden = rows.length === 0;
  $('meta-none').hidden = rows.length > 0;
  $('map-figure').hidden = !meta?.location;
  if (meta?.location) drawMap(meta.location);
}

// An equirectangular drawing: land from a bundled outline, lines every 30 degrees, and the dot.
async function drawMap({ latitude, longitude }) {
  const canvas = $('map');
  const ctx = canvas.getContext('2d');
  const { width: W, height: H } = canvas;
  const px = (lon) => ((lon + 180) / 360) * W;
  const py = (lat) => ((90 - lat) / 180) * H;
  ctx.fillStyle = '#cfe3f5';
  ctx.fillRect(0, 0, W, H);
  const outline = await world;
  ctx.fillStyle = '#a9c79a';
  for (const ring of outline?.rings ?? []) {
    ctx.beginPath();
    ring.forEach(([lon, lat], i) => (i ? ctx.lineTo(px(lon), py(lat)) : ctx.moveTo(px(lon), py(lat))));
    ctx.closePath();
    ctx.fill();
  }
  ctx.strokeStyle = 'rgba(30, 50, 80, .35)';
  ctx.lineWidth = 1;
  for (let lon = -180; lon <= 180; lon += 30) {
    ctx.beginPath(); ctx.moveTo(px(lon), 0); ctx.lineTo(px(lon), H); ctx.stroke();
  }
  for (let lat = -90; lat <= 90; lat += 30) {
    ctx.beginPath(); ctx.moveTo(0, py(lat)); ctx.lineTo(W, py(lat)); ctx.stroke();
  }
  const [x, y] = [px(longitude), py(latitude)];
  ctx.strokeStyle = '#b00020';
  ctx.lineWidth = 2;
  ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, H); ctx.moveTo(0, y); ctx.lineTo(W, y); ctx.stroke();
  ctx.fillStyle = '#b00020';
  ctx.beginPath(); ctx.arc(x, y, 9, 0, Math.PI * 2); ctx.fill();
  ctx.lineWidth = 3;
  ctx.strokeStyle = '#fff';
  ctx.stroke();
  canvas.setAttribute('aria-label', t('demoMapLabel', [latitude.toFixed(5), longitude.toFixed(5)]));
}

async function analyse(blob, name) {
  const error = $('error');
  error.hidden = true;
  try {
    await engine;
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let meta = null;
    try {
      meta = inspectFile(bytes);
    } catch { /* unknown container: the pixels may still decode */ }
    const { canvas: source, image } = await decode(blob);
    const started = performance.now();
    const result = analyzeRgba(image.data, image.width, image.height, { has_location: Boolean(meta?.has_location) });
    const ms = performance.now() - started;
    drawFaces($('photo'), source, result.faces);
    $('photo').setAttribute('aria-label', plural('demoPhotoLabel', result.faces.length));
    $('verdict').textContent = result.verdict.warn ? t('demoVerdictWarn') : t('demoVerdictOk');
    $('faces').replaceChildren(...result.faces.map(describeFace));
    $('timing').textContent = t('demoTiming', [String(Math.round(ms)), `${image.width} × ${image.height}`]);
    showCrops(source, result.faces);
    showMetadata(meta);
    for (const id of ['result', 'scraper']) {
      $(id).hidden = false;
      $(id).dataset.faces = String(result.faces.length);
    }
    numberSteps();
    chosen = new File([blob], name, { type: blob.type });
    $('post-current').disabled = false;
    if (projector.on) projector.go(1);
  } catch (err) {
    error.textContent = t('demoError', [typeof err?.code === 'string' ? err.code : String(err?.message ?? err)]);
    error.hidden = false;
  }
}

// --- 4. the mock composer, guarded by the extension's own warning page -------------------------------
// The same guard client as the content script (content/guard-client.js, loaded by demo.html),
// except for the handshake: guard.html trusts a parent of its own origin, which only our pages
// can be.
const guard = globalThis.beforeYouPostGuardClient.create({
  url: `guard.html?lang=${pageLanguage()}`,
  frameTimeoutMs: FRAME_TIMEOUT_MS,
  notify: () => {}, // the composer's status line says what happened
  mount(frame) {
    frame.title = t('guardFrameTitle');
    const host = $('guard-host');
    host.append(frame);
    return {
      show: () => { host.hidden = false; },
      hide: () => { host.hidden = true; },
      remove: () => frame.remove(),
      connected: () => frame.isConnected,
      interfered: () => false, // our own page: nothing else draws over it
    };
  },
  async handshake({ frame, port, loaded }) {
    await loaded;
    frame.contentWindow.postMessage({ beforeYouPost: 'connect-local' }, location.origin, [port]);
  },
});

let attached = [];

// What the site got, read back from the file itself: the pixels and the location it carries.
async function describeReceived(file, replaced, original) {
  let where = null;
  try {
    const meta = inspectFile(new Uint8Array(await file.arrayBuffer()));
    if (meta.location) where = coordinates(meta.location);
    else if (meta.has_location) where = t('metaLocationText');
  } catch { /* not a container we read */ }
  const what = !replaced ? 'demoReceivedOriginal' : (await pixelsDiffer(file, original)) ? 'demoReceivedMasked' : 'demoReceivedStripped';
  return `${t(what)} · ${where ? t('demoReceivedLocation', [where]) : t('demoReceivedNoLocation')}`;
}

// Masking changes the faces' pixels; removing the location alone keeps every pixel.
async function pixelsDiffer(file, original) {
  try {
    const [a, b] = await Promise.all([decode(file), decode(original)]);
    if (a.image.width !== b.image.width || a.image.height !== b.image.height) return true;
    let differing = 0;
    for (let i = 0; i < a.image.data.length; i += 4) if (Math.abs(a.image.data[i] - b.image.data[i]) > 40) differing++;
    return differing > a.image.data.length / 4 / 1000;
  } catch {
    return false;
  }
}

async function attach(files) {
  const status = $('composer-status');
  const images = files.filter(globalThis.beforeYouPostGuardClient.isImage);
  if (images.length === 0) return;
  status.textContent = t('demoComposerChecking');
  $('composer').dataset.state = 'held';
  let outcome;
  try {
    outcome = await guard.decide(images, images.map((file, index) => ({ index, file })), { audience: 'public' });
    outcome.unchecked = outcome.notices.some((n) => (n?.key ?? n) === 'noticeUnchecked');
  } catch {
    outcome = { action: 'release', files: images, replaced: [], unchecked: true };
  }
  if (outcome.action === 'cancel') {
    status.textContent = t('demoComposerCancelled');
    $('composer').dataset.state = 'cancelled';
    return;
  }
  const items = await Promise.all(outcome.files.map(async (file, i) => ({
    file,
    note: await describeReceived(file, outcome.replaced.includes(i), images[i]),
  })));
  attached.push(...items);
  status.textContent = outcome.unchecked ? t('demoComposerUnchecked') : plural('demoComposerReceived', items.length);
  $('composer').dataset.state = 'received';
  $('attachments').replaceChildren(...attached.map(preview));
  $('post-send').disabled = false;
}

function preview({ file, note }) {
  const img = el('img', { src: URL.createObjectURL(file), alt: t('demoReceivedAlt', [file.name]) });
  return el('li', {}, img, el('span', { className: 'received', textContent: note }));
}

function post() {
  if (attached.length === 0) return;
  const text = $('post-text').value.trim() || t('demoFeedEmpty');
  const item = el('li', {}, el('p', { textContent: text }), el('ul', {}, ...attached.map(preview)));
  $('feed').prepend(item);
  for (const img of $('attachments').querySelectorAll('img')) URL.revokeObjectURL(img.src);
  attached = [];
  $('attachments').replaceChildren();
  $('post-text').value = '';
  $('post-send').disabled = true;
  $('composer-status').textContent = '';
  $('composer').dataset.state = 'posted';
}

// --- projector mode: large type, one step at a time ------------------------------------------------
const STEPS = ['step-pick', 'result', 'scraper', 'compose'];
const projector = {
  on: false,
  index: 0,
  set(on) {
    this.on = on;
    document.documentElement.classList.toggle('projector', on);
    $('projector').setAttribute('aria-pressed', String(on));
    $('stepper').hidden = !on;
    const next = new URLSearchParams(location.search);
    if (on) next.set('projector', '1');
    else next.delete('projector');
    history.replaceState(null, '', next.size ? `?${next}` : location.pathname);
    updateLanguageLinks();
    this.go(this.index);
  },
  go(index) {
    this.index = Math.max(0, Math.min(STEPS.length - 1, index));
    const analysed = Boolean($('result').dataset.faces);
    STEPS.forEach((id, i) => {
      const section = $(id);
      if (this.on) section.hidden = i !== this.index;
      else section.hidden = (id === 'result' || id === 'scraper') && !analysed;
    });
    $('intro').hidden = this.on && this.index > 0;
    $('step-count').textContent = t('demoStepCount', [String(this.index + 1), String(STEPS.length)]);
    $('step-prev').disabled = this.index === 0;
    // Steps 2 and 3 need a photo.
    $('step-next').disabled = this.index === STEPS.length - 1 || (this.index === 0 && !analysed);
    if (this.on) $(STEPS[this.index]).querySelector('h2').focus?.();
    numberSteps();
  },
};

// Steps are numbered as shown: the visible ones in order (before a photo is chosen, "choose"
// and "post" are 1 and 2); in projector mode, as the stepper counts them.
function numberSteps() {
  let shown = 0;
  STEPS.forEach((id, i) => {
    const section = $(id);
    if (!section.hidden) shown++;
    section.querySelector('h2').dataset.step = String(projector.on ? i + 1 : shown);
  });
}

function updateLanguageLinks() {
  for (const link of document.querySelectorAll('.lang-switch a[hreflang]')) {
    const next = new URLSearchParams(location.search);
    next.set('lang', link.hreflang);
    link.href = `?${next}`;
    if (link.hreflang === pageLanguage()) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  $('explainer-link').search = `?lang=${pageLanguage()}${projector.on ? '&projector=1' : ''}`;
}

function wire() {
  const input = $('file');
  input.addEventListener('change', () => input.files[0] && analyse(input.files[0], input.files[0].name));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = [...e.dataTransfer.files].find(globalThis.beforeYouPostGuardClient.isImage);
    if (file) analyse(file, file.name);
  });
  for (const button of document.querySelectorAll('[data-sample]')) {
    button.addEventListener('click', async () => {
      const res = await fetch(new URL(`../samples/${button.dataset.sample}`, import.meta.url));
      analyse(await res.blob(), button.dataset.sample);
    });
  }
  const postFile = $('post-file');
  postFile.addEventListener('change', async () => {
    const files = [...postFile.files];
    await attach(files);
    postFile.value = '';
  });
  $('post-current').addEventListener('click', () => chosen && attach([chosen]));
  $('post-send').addEventListener('click', post);
  $('projector').addEventListener('click', () => projector.set(!projector.on));
  $('step-prev').addEventListener('click', () => projector.go(projector.index - 1));
  $('step-next').addEventListener('click', () => projector.go(projector.index + 1));
  document.addEventListener('keydown', (e) => {
    if (!projector.on || !$('guard-host').hidden || e.target.closest?.('input, textarea')) return;
    if (e.key === 'ArrowRight' || e.key === 'PageDown') projector.go(projector.index + 1);
    if (e.key === 'ArrowLeft' || e.key === 'PageUp') projector.go(projector.index - 1);
  });
  for (const h2 of document.querySelectorAll('.step h2')) h2.tabIndex = -1;
}

await loadMessages();
localise();
wire();
projector.set(params.get('projector') === '1');
