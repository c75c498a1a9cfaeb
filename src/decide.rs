//! The one decision: does this photo warrant a warning? The extension, the classroom demo
//! and the benchmark all call [`decide`] with the same thresholds.

use crate::grade::{FaceReport, Grade};
use serde::{Deserialize, Serialize};

/// A detection must score at least this to count towards a warning. Tuned on the
/// face-bench so that photos without faces rarely warn (see the benchmark's figures).
pub const WARN_SCORE: f32 = 0.8;

/// Which faces warrant a warning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Any detected face, however small.
    AnyFace,
    /// Faces graded medium or above (inter-eye distance >= 15 px or a large profile).
    #[default]
    Recognisable,
}

/// What the user's settings say about warning.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// Which faces count.
    pub sensitivity: Sensitivity,
}

/// Why a photo warrants a warning; stable codes worded in `_locales`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarnReason {
    /// At least one face a recogniser can use.
    RecognisableFace,
    /// Faces were found but all are small (only with [`Sensitivity::AnyFace`]).
    SmallFace,
    /// The file carries a location.
    Location,
}

/// What the decision says about one face.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FaceDecision {
    /// Counts towards the warning and its face count ([`counts`]).
    pub counts: bool,
    /// Ticked for masking when the warning opens ([`ticked`]).
    pub ticked: bool,
}

/// The decision and its reasons: everything the extension shows about it, so no page has to
/// work it out again.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// Show the warning.
    pub warn: bool,
    /// Why (empty when `warn` is false).
    pub reasons: Vec<WarnReason>,
    /// Faces that count towards the warning: the number the warning's title gives.
    pub counted_faces: usize,
    /// One entry per face, in the order of the faces.
    pub faces: Vec<FaceDecision>,
    /// The warning is (also) about faces.
    pub warns_for_faces: bool,
    /// The warning is (also) about the location.
    pub warns_for_location: bool,
}

/// Whether a face counts towards a warning: a confident detection, graded medium or above, or
/// any size with [`Sensitivity::AnyFace`].
pub fn counts(face: &FaceReport, policy: &Policy) -> bool {
    counts_graded(face.score, face.grade, policy)
}

/// [`counts`] for a face known by its detector score and grade alone (a video frame's).
pub fn counts_graded(score: f32, grade: Grade, policy: &Policy) -> bool {
    score >= WARN_SCORE && (grade >= Grade::Medium || policy.sensitivity == Sensitivity::AnyFace)
}

/// Whether a face is ticked for masking when the warning opens: every confident detection,
/// however small (masking a small face costs the photo little); weaker detections are listed
/// unticked, as they are often not faces.
pub fn ticked(face: &FaceReport) -> bool {
    face.score >= WARN_SCORE
}

/// Decides whether to warn about a photo with these faces and this location metadata.
pub fn decide(faces: &[FaceReport], has_location: bool, policy: &Policy) -> Verdict {
    let decisions: Vec<FaceDecision> = faces.iter().map(|f| FaceDecision { counts: counts(f, policy), ticked: ticked(f) }).collect();
    let counted_faces = decisions.iter().filter(|d| d.counts).count();
    let recognisable = faces.iter().zip(&decisions).any(|(f, d)| d.counts && f.grade >= Grade::Medium);
    let mut reasons = Vec::new();
    if recognisable {
        reasons.push(WarnReason::RecognisableFace);
    }
    if faces.iter().zip(&decisions).any(|(f, d)| d.counts && f.grade < Grade::Medium) {
        reasons.push(WarnReason::SmallFace);
    }
    if has_location {
        reasons.push(WarnReason::Location);
    }
    Verdict {
        warn: !reasons.is_empty(),
        warns_for_faces: counted_faces > 0,
        warns_for_location: has_location,
        reasons,
        counted_faces,
        faces: decisions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::Reason;

    fn report(score: f32, grade: Grade) -> FaceReport {
        FaceReport {
            bbox: [0.0; 4],
            score,
            landmarks: [[0.0; 2]; 5],
            eye_distance: 0.0,
            yaw: 0.0,
            roll: 0.0,
            eyes_visible: true,
            grade,
            reasons: vec![Reason::Frontal],
        }
    }

    #[test]
    fn warns_for_recognisable_faces_and_location() {
        let p = Policy::default();
        assert!(!decide(&[], false, &p).warn);
        assert!(decide(&[], true, &p).warn);
        let v = decide(&[report(0.95, Grade::High), report(0.95, Grade::Low)], false, &p);
        assert_eq!((v.warn, v.counted_faces), (true, 1));
        assert!(!decide(&[report(0.95, Grade::Low)], false, &p).warn);
        assert!(!decide(&[report(0.6, Grade::VeryHigh)], false, &p).warn);
        let any = Policy { sensitivity: Sensitivity::AnyFace };
        let v = decide(&[report(0.95, Grade::Low)], false, &any);
        assert_eq!(v.reasons, vec![WarnReason::SmallFace]);
    }

    #[test]
    fn each_face_says_whether_it_counts_and_is_ticked() {
        let faces = [report(0.95, Grade::High), report(0.95, Grade::Low), report(0.6, Grade::VeryHigh)];
        let v = decide(&faces, true, &Policy::default());
        let pairs: Vec<(bool, bool)> = v.faces.iter().map(|d| (d.counts, d.ticked)).collect();
        // A confident small face is ticked but does not count; a weak detection neither.
        assert_eq!(pairs, vec![(true, true), (false, true), (false, false)]);
        assert_eq!((v.counted_faces, v.warns_for_faces, v.warns_for_location), (1, true, true));
        let location_only = decide(&faces[2..], true, &Policy::default());
        assert_eq!((location_only.warns_for_faces, location_only.warns_for_location), (false, true));
    }
}
