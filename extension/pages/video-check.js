// The video check, in the guard's worker (pages/check-worker.js): the file's metadata read by
// the engine through Blob.slice windows (never the whole file), then sampled frames decoded by
// the browser's WebCodecs VideoDecoder, fed by the demuxer shipped in vendor/mediabunny.mjs
// (MP4, MOV, WebM, Matroska; read lazily from the Blob), and each frame checked by the engine
// as a photo is. The engine says which times to sample, which frames to keep as thumbnails and
// what the verdict is; this module only moves bytes and pixels. Each frame is closed as soon as
// it is drawn: memory does not depend on the clip's length.

// Loaded on the first video only: photos never pay for the demuxer.
let demuxer = null;
const loadDemuxer = () => (demuxer ??= import('../vendor/mediabunny.mjs'));

// The kept frames' thumbnails: long side in pixels.
const FRAME_THUMB_SIDE = 320;

const fail = (code, message = code) => Object.assign(new Error(message), { code });

// Runs the engine's VideoReader over `file` through the windows it asks for; returns what
// `finish(reader)` returns. Throws the reader's `{ code }`.
async function readWindows(engine, file, finish) {
  const reader = new engine.VideoReader(file.size);
  try {
    for (let w = reader.want(); w; w = reader.want()) {
      reader.feed(w.start, new Uint8Array(await file.slice(w.start, w.end).arrayBuffer()));
    }
    return finish(reader);
  } finally {
    reader.free();
  }
}

// The edits that remove the location ([{ offset, bytes }], same-size runs to lay over the
// original), proven by the engine (it reads the edited metadata again); throws when it cannot.
export function videoLocationEdits(engine, file) {
  return readWindows(engine, file, (reader) => {
    reader.inspection(); // throws the reading error, if any
    return reader.locationEdits();
  });
}

function thumbnail(canvas) {
  const scale = Math.min(1, FRAME_THUMB_SIDE / Math.max(canvas.width, canvas.height));
  const small = new OffscreenCanvas(Math.max(1, Math.round(canvas.width * scale)), Math.max(1, Math.round(canvas.height * scale)));
  small.getContext('2d').drawImage(canvas, 0, 0, small.width, small.height);
  return small.transferToImageBitmap();
}

// Decodes the frames the engine asks for and hands each, with its analysis, to `tally`. Fills
// `seen` as it goes ({ width, height, codec, frames }) so a failure midway still tells what was
// looked at; `kept` maps a kept frame's time to { time, thumb, width, height, faces }.
async function sampleFrames({ engine, analyzeOnce, file, options, tally, kept, seen, progress }) {
  const { Input, BlobSource, ALL_FORMATS, VideoSampleSink } = await loadDemuxer();
  const input = new Input({ source: new BlobSource(file), formats: ALL_FORMATS });
  try {
    const track = await input.getPrimaryVideoTrack();
    if (!track) throw fail('no_video_track');
    seen.codec = (await track.getCodecParameterString().catch(() => null)) ?? track.codec ?? null;
    if (!(await track.canDecode())) throw fail('undecodable_video', `cannot decode ${seen.codec}`);
    const first = await track.getFirstTimestamp();
    const end = await track.computeDuration();
    const times = engine.videoSampleTimes(first, end);
    // Frames are looked at as shown (rotation and pixel aspect applied), at the published size.
    const size = engine.videoFrameSize(await track.getDisplayWidth(), await track.getDisplayHeight());
    Object.assign(seen, size);
    const canvas = new OffscreenCanvas(size.width, size.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const sink = new VideoSampleSink(track);
    let done = 0;
    let last = null;
    for await (const sample of sink.samplesAtTimestamps(times)) {
      done += 1;
      if (!sample) continue;
      const at = sample.timestamp;
      try {
        // The same frame twice (a clip with fewer frames than samples) is looked at once.
        if (at === last) continue;
        ctx.clearRect(0, 0, size.width, size.height);
        sample.drawWithFit(ctx, { fit: 'fill' });
      } finally {
        sample.close();
      }
      last = at;
      const time = Math.max(0, at - first);
      const analysis = analyzeOnce(ctx.getImageData(0, 0, size.width, size.height), options);
      seen.frames += 1;
      const { keep, drop } = tally.addFrame(time, analysis);
      for (const t of drop) {
        kept.get(t)?.thumb.close();
        kept.delete(t);
      }
      if (keep) {
        const faces = analysis.faces.map((f, i) => ({ bbox: f.bbox, grade: f.grade, counts: analysis.verdict.faces[i]?.counts === true }));
        kept.set(time, { time, thumb: thumbnail(canvas), width: size.width, height: size.height, faces });
      }
      progress(done / times.length);
    }
    return seen.frames > 0 && done === times.length;
  } finally {
    input.dispose?.();
  }
}

// Metadata, frames and the one decision for one video. Resolves to null when the file is not a
// video after all, neither the engine nor the demuxer reads it (the caller checks it as a photo,
// if it is small enough to be one); never rejects otherwise: a video whose
// metadata or frames cannot be read comes back with `error` set and the verdict on what could
// be read (a location still warns with the faces "not checked"; nothing found, the caller
// passes it on with the unchecked notice).
export async function checkVideo({ engine, analyzeOnce, file, sensitivity, progress = () => {} }) {
  const result = { kind: 'video', meta: null, analysis: null, error: null, frames: [], codec: null };
  let metaError = null;
  try {
    result.meta = await readWindows(engine, file, (reader) => reader.inspection());
  } catch (err) {
    metaError = typeof err?.code === 'string' ? err.code : 'read_failed';
  }
  const options = { policy: { sensitivity } };
  const tally = new engine.VideoFrames(options);
  const kept = new Map();
  const seen = { width: 0, height: 0, codec: null, frames: 0 };
  let complete = false;
  let frameError = null;
  try {
    complete = await sampleFrames({ engine, analyzeOnce, file, options, tally, kept, seen, progress });
  } catch (err) {
    frameError = typeof err?.code === 'string' ? err.code : 'decode_failed';
    console.warn('Before You Post: video frames', frameError, String(err?.message ?? err));
  }
  if (metaError === 'unsupported_format' && seen.frames === 0) {
    tally.free();
    for (const frame of kept.values()) frame.thumb.close();
    return null;
  }
  try {
    const hasLocation = Boolean(result.meta?.has_location);
    result.analysis = tally.verdict(hasLocation, seen.frames > 0, complete, seen.width, seen.height);
  } finally {
    tally.free();
  }
  result.codec = seen.codec;
  result.frames = result.analysis.kept.map((t) => kept.get(t)).filter(Boolean);
  for (const [t, frame] of kept) if (!result.analysis.kept.includes(t)) frame.thumb.close();
  result.error = metaError ?? frameError ?? (complete ? null : 'decode_failed');
  return result;
}
