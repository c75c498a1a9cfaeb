// Classroom demo: runs the same engine and decision as the extension on a chosen photo and
// shows what a face scraper would find. Works as an extension page and served over http;
// the photo never leaves the page.
import init, { analyzeRgba } from '../wasm/before_you_post.js';
import { loadMessages, localise, pageLanguage, t } from './i18n.js';

const GRADE_COLOURS = { very_high: '#d32f2f', high: '#e64a19', medium: '#f9a825', low: '#43a047' };
const engine = init({ module_or_path: new URL('../wasm/before_you_post_bg.wasm', import.meta.url) });

async function pixelsOf(blob) {
  const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  const canvas = document.getElementById('photo');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { ctx, data: ctx.getImageData(0, 0, canvas.width, canvas.height) };
}

function drawFaces(ctx, faces) {
  const line = Math.max(2, Math.round(ctx.canvas.width / 300));
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

function describeFace(face, i) {
  const li = document.createElement('li');
  const grade = Object.assign(document.createElement('span'), {
    className: `grade grade-${face.grade}`,
    textContent: t(`grade_${face.grade}`),
  });
  const reasons = face.reasons.map((r) => t(`reason_${r}`)).join(', ');
  const detail = t('demoFaceDetail', [String(Math.round(face.eye_distance)), String(Math.round(Math.abs(face.yaw)))]);
  li.append(`${t('demoFace', [String(i + 1)])} `, grade, ` — ${reasons}. ${detail}`);
  return li;
}

async function analyse(blob) {
  const error = document.getElementById('error');
  error.hidden = true;
  try {
    await engine;
    const { ctx, data } = await pixelsOf(blob);
    const started = performance.now();
    const result = analyzeRgba(data.data, data.width, data.height, undefined);
    const ms = performance.now() - started;
    drawFaces(ctx, result.faces);
    document.getElementById('photo').setAttribute('aria-label', t('demoPhotoLabel', [String(result.faces.length)]));
    document.getElementById('verdict').textContent = result.verdict.warn ? t('demoVerdictWarn') : t('demoVerdictOk');
    document.getElementById('faces').replaceChildren(...result.faces.map(describeFace));
    document.getElementById('timing').textContent = t('demoTiming', [String(Math.round(ms)), `${data.width} × ${data.height}`]);
    const section = document.getElementById('result');
    section.hidden = false;
    section.dataset.faces = String(result.faces.length);
  } catch (err) {
    error.textContent = t('demoError', [typeof err?.code === 'string' ? err.code : String(err)]);
    error.hidden = false;
  }
}

function wire() {
  const input = document.getElementById('file');
  input.addEventListener('change', () => input.files[0] && analyse(input.files[0]));
  const drop = document.getElementById('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = [...e.dataTransfer.files].find((f) => f.type.startsWith('image/'));
    if (file) analyse(file);
  });
  for (const button of document.querySelectorAll('[data-sample]')) {
    button.addEventListener('click', async () => {
      const res = await fetch(new URL(`../samples/${button.dataset.sample}`, import.meta.url));
      analyse(await res.blob());
    });
  }
}

await loadMessages();
localise();
document.getElementById('explainer-link').search = `?lang=${pageLanguage()}`;
wire();
