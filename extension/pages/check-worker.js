// The guard's worker: everything heavy about one photo (reading its bytes, its metadata, the
// decode, the detector, masking, removing the location) runs here, off the guard's main thread,
// so the warning stays responsive, the guard keeps answering the content script's heartbeat,
// and the guard can stop the work by terminating this worker (Squoosh's pattern).
// Messages: { job, op: 'check' | 'fix' | 'videoEdits' | 'maskPreview', ... } in, { job, ok, ... }
// out, and { job, progress } (0 to 1) while a video is checked (see guard.js, worker).
import init, * as engine from '../wasm/before_you_post.js';
import { decodeForDetection } from './decode.js';
import { checkVideo, videoLocationEdits } from './video-check.js';

const ready = init({ module_or_path: new URL('../wasm/before_you_post_bg.wasm', import.meta.url) });

const PREVIEW_SIDE = 680;
// A file sent as a video that no video reader takes is checked as a photo only up to this size.
const PHOTO_MAX_BYTES = 256 * 1024 * 1024;

const boxOf = (face) => ({ x: face.bbox[0], y: face.bbox[1], w: face.bbox[2], h: face.bbox[3] });

// A small copy of the photo for the warning's preview.
function thumbnail(source) {
  const scale = Math.min(1, PREVIEW_SIDE / Math.max(source.width, source.height));
  const canvas = new OffscreenCanvas(Math.max(1, Math.round(source.width * scale)), Math.max(1, Math.round(source.height * scale)));
  canvas.getContext('2d').drawImage(source, 0, 0, canvas.width, canvas.height);
  return canvas.transferToImageBitmap();
}

// The engine's analysis of `image` (an ImageData), which is used up: its pixels are copied
// into the engine's memory and the page's copy is freed before the detector runs.
function analyzeOnce(image, options) {
  const pixels = new engine.Pixels(image.width, image.height);
  try {
    pixels.view().set(image.data);
    try {
      image.data.buffer.transfer(0); // detaches the buffer: its memory goes now, not at the next GC
    } catch { /* an engine without ArrayBuffer.transfer: the GC frees it */ }
    return engine.analyzePixels(pixels, options);
  } finally {
    pixels.free();
  }
}

const codeOf = (err, fallback) => (typeof err?.code === 'string' ? err.code : fallback);

// Metadata, pixels, faces and the one decision for one photo. Never throws: an undecodable or
// broken file comes back with `error` set (the content script then fails open), except that a
// location found in a file whose pixels the browser cannot decode still warns (analysis without
// faces, `faces_checked` false), so it can be removed.
async function check({ file, sensitivity }, progress) {
  const result = { kind: 'image', meta: null, analysis: null, error: null, thumb: null, expanded: [] };
  const options = (hasLocation) => ({ has_location: hasLocation, policy: { sensitivity } });
  let bytes;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.length === 0) throw Object.assign(new Error('empty'), { code: 'empty_file' });
    try {
      result.meta = engine.inspectFile(bytes);
    } catch { /* a container the engine does not read: the pixels may still decode */ }
  } catch (err) {
    result.error = codeOf(err, 'read_failed');
    return result;
  }
  // A video under a photo's name or type (small enough to be read whole): checked as a video.
  if (result.meta?.mime?.startsWith('video/')) {
    return (await checkVideo({ engine, analyzeOnce, file, sensitivity, progress })) ?? result;
  }
  const hasLocation = Boolean(result.meta?.has_location);
  let decoded;
  try {
    // Size first: a picture the header says is too large (a decompression bomb declares
    // billions of pixels in a few bytes) is never decoded.
    if (result.meta?.too_large) throw Object.assign(new Error('too large'), { code: 'image_too_large' });
    // Decoded within the engine's pixel budget, not at the photo's size (a 48 MP JPEG's check
    // holds 12 MP); faces come back in the photo's own pixels.
    decoded = await decodeForDetection(file, result.meta, (width, height) => engine.detectionSize(width, height));
  } catch (err) {
    result.error = codeOf(err, 'decode_failed');
    if (hasLocation) {
      result.analysis = engine.analyzeWithoutPixels(result.meta.width ?? 0, result.meta.height ?? 0, options(true));
    }
    return result;
  }
  try {
    const { canvas, image, photo } = decoded;
    // The preview first, then the canvas's pixels are let go before the engine copies the
    // image into its own memory: a 48 MP photo's check never holds three copies at once.
    result.thumb = thumbnail(canvas);
    Object.assign(canvas, { width: 1, height: 1 });
    result.analysis = analyzeOnce(image, { ...options(hasLocation), photo });
    const faces = result.analysis.faces.map(boxOf);
    if (faces.length > 0) result.expanded = engine.maskedBoxes(photo.width, photo.height, faces);
  } catch (err) {
    result.error = codeOf(err, 'analysis_failed');
    result.analysis = null;
  }
  return result;
}

function randomSeed() {
  const seed = new Uint32Array(2);
  crypto.getRandomValues(seed);
  return seed;
}

// Faces masked irreversibly by the core (it decides every pixel); the browser re-encodes in the
// original format (the engine allows masking only for JPEG, PNG and WebP) and size. The new
// file carries no metadata at all, so no location either. Only the rectangle around each face
// goes through the engine, so a 48 MP photo is held once, on the canvas, not three times.
async function maskedFile({ file, faces, meta, photo }) {
  const writeAs = meta?.can_mask === true ? meta.mime : null;
  if (!writeAs) throw Object.assign(new Error('this file cannot be masked'), { code: meta?.mask_blocker ?? 'unwritable_format' });
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const { width, height } = bitmap;
  // The faces are in the pixels the check saw: a full decode of another size or orientation
  // would put every mask in the wrong place. Nothing is posted then (the fix fails, visibly).
  if (photo && (photo.width !== width || photo.height !== height)) {
    bitmap.close();
    throw Object.assign(new Error(`decoded ${width} x ${height}, checked ${photo.width} x ${photo.height}`), { code: 'size_mismatch' });
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  try {
    ctx.drawImage(bitmap, 0, 0);
  } finally {
    bitmap.close();
  }
  for (const face of faces.map(boxOf)) {
    const [region] = engine.maskedBoxes(width, height, [face]);
    if (!region || region.w === 0 || region.h === 0) {
      throw Object.assign(new Error('a face to mask lies outside the photo'), { code: 'invalid_box' });
    }
    const pixels = ctx.getImageData(region.x, region.y, region.w, region.h);
    // A fresh seed per face: faces of one size never share their noise.
    const [hi, lo] = randomSeed();
    engine.maskFaceInRegion(pixels.data, region, width, height, face, hi, lo);
    ctx.putImageData(pixels, region.x, region.y);
  }
  const quality = writeAs === 'image/png' ? undefined
    : writeAs === 'image/webp' && meta?.lossless ? 1
      : Math.min(1, Math.max(0.5, (meta?.jpeg_quality ?? 92) / 100));
  return canvas.convertToBlob({ type: writeAs, quality });
}

// Location removed from the file's metadata; pixels, orientation and the rest untouched.
async function strippedFile({ file }) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return new Blob([engine.stripLocation(bytes)]);
}

// The protected copy's bytes: masked faces (which drops all metadata), or the location removed.
async function fix(request) {
  if (request.faces.length > 0) return maskedFile(request);
  if (request.strip) return strippedFile(request);
  throw Object.assign(new Error('nothing to fix'), { code: 'nothing_to_fix' });
}

// Liveness: a tiny worker of our own beats on the guard's port every 200 ms. It lives on its own
// thread, so it beats while this one runs a long detector, and the browser ends it with this
// worker however this one ends (terminated, closed, crashed): the beats stop, the guard knows.
function startLifeBeat(port) {
  new Worker(new URL('life-worker.js', import.meta.url)).postMessage(port, [port]);
}

self.onmessage = async ({ data }) => {
  const { job, op } = data ?? {};
  if (op === 'life') {
    if (data.port instanceof MessagePort) startLifeBeat(data.port);
    return;
  }
  try {
    await ready;
    if (op === 'check') {
      const progress = (done) => self.postMessage({ job, progress: done });
      // A video is checked as a video unless nothing reads it as one: then as a photo (a photo
      // under a video's name), unless it is too big to be one (it is never read whole).
      const video = data.kind === 'video' ? await checkVideo({ engine, analyzeOnce, file: data.file, sensitivity: data.sensitivity, progress }) : null;
      const result = video ?? (data.kind === 'video' && data.file.size > PHOTO_MAX_BYTES
        ? { kind: 'video', meta: null, analysis: null, error: 'unsupported_format', frames: [] }
        : await check(data, progress));
      const thumbs = [result.thumb, ...(result.frames ?? []).map((f) => f.thumb)].filter(Boolean);
      self.postMessage({ job, ok: true, result }, thumbs);
    } else if (op === 'videoEdits') {
      // The location removed from a video: same-size edits the guard client lays over the
      // original, each edit's bytes as a Blob (which a content script can read in Firefox).
      const edits = (await videoLocationEdits(engine, data.file)).map(({ offset, bytes }) => ({ offset, bytes: new Blob([bytes]) }));
      self.postMessage({ job, ok: true, edits });
    } else if (op === 'fix') {
      self.postMessage({ job, ok: true, blob: await fix(data) });
    } else if (op === 'maskPreview') {
      // The warning's preview: the ticked faces masked as the protected copy will be.
      const rgba = new Uint8Array(data.rgba.buffer ?? data.rgba);
      engine.maskFaces(rgba, data.width, data.height, data.boxes, data.seed[0], data.seed[1]);
      self.postMessage({ job, ok: true, rgba }, [rgba.buffer]);
    } else {
      throw new Error(`unknown op ${op}`);
    }
  } catch (err) {
    self.postMessage({ job, ok: false, error: codeOf(err, 'failed'), message: String(err?.message ?? err) });
  }
};
