//! One call per photo: detect, grade, decide.

use crate::decide::{decide, Policy, Verdict};
use crate::detect::{DetectOptions, Detector};
use crate::grade::{grade, FaceReport};
use crate::raster::RgbaView;
use serde::Serialize;

/// Everything the extension needs to know about one photo.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    /// Photo width in pixels.
    pub width: u32,
    /// Photo height in pixels.
    pub height: u32,
    /// Faces, strongest first.
    pub faces: Vec<FaceReport>,
    /// Whether to warn, and why.
    pub verdict: Verdict,
}

/// Analyses a photo's pixels; `has_location` comes from its metadata.
pub fn analyze(detector: &Detector, image: RgbaView<'_>, has_location: bool, opts: &DetectOptions, policy: &Policy) -> Analysis {
    let faces: Vec<FaceReport> = detector.detect(image, opts).iter().map(grade).collect();
    let verdict = decide(&faces, has_location, policy);
    Analysis { width: image.width(), height: image.height(), faces, verdict }
}
