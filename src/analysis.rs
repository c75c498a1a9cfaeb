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
    /// False when the pixels could not be decoded (HEIC in Chromium, say): no face was looked
    /// for, and the verdict rests on the metadata alone.
    pub faces_checked: bool,
}

/// Analyses a photo's pixels; `has_location` comes from its metadata.
pub fn analyze(detector: &Detector, image: RgbaView<'_>, has_location: bool, opts: &DetectOptions, policy: &Policy) -> Analysis {
    analyze_scaled(detector, image, (image.width(), image.height()), has_location, opts, policy)
}

/// Analyses a `photo` (width, height) from a smaller copy of its pixels, `image`, decoded at
/// [`crate::detect::detection_size`]: faces are found in the copy and reported, graded and
/// decided on in photo pixels, as if the whole photo had been given.
pub fn analyze_scaled(detector: &Detector, image: RgbaView<'_>, photo: (u32, u32), has_location: bool, opts: &DetectOptions, policy: &Policy) -> Analysis {
    let (sx, sy) = (photo.0 as f32 / image.width() as f32, photo.1 as f32 / image.height() as f32);
    let faces: Vec<FaceReport> = detector.detect(image, &opts.scaled(1.0 / sx)).iter().map(|d| grade(&d.scaled(sx, sy))).collect();
    let verdict = decide(&faces, has_location, policy);
    Analysis { width: photo.0, height: photo.1, faces, verdict, faces_checked: true }
}

/// The verdict for a photo whose pixels could not be decoded: only its metadata counts, so a
/// location still warns (and can still be removed) although no face could be looked for.
pub fn analyze_metadata_only(width: u32, height: u32, has_location: bool, policy: &Policy) -> Analysis {
    Analysis { width, height, faces: Vec::new(), verdict: decide(&[], has_location, policy), faces_checked: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_only_warns_for_a_location_and_says_faces_were_not_checked() {
        let a = analyze_metadata_only(4032, 3024, true, &Policy::default());
        assert!(a.verdict.warn && !a.faces_checked && a.faces.is_empty());
        assert!(!analyze_metadata_only(0, 0, false, &Policy::default()).verdict.warn);
    }
}
