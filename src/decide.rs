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

/// The decision and its reasons.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// Show the warning.
    pub warn: bool,
    /// Why (empty when `warn` is false).
    pub reasons: Vec<WarnReason>,
    /// Faces that count towards the warning.
    pub counted_faces: usize,
}

/// Decides whether to warn about a photo with these faces and this location metadata.
pub fn decide(faces: &[FaceReport], has_location: bool, policy: &Policy) -> Verdict {
    let confident = faces.iter().filter(|f| f.score >= WARN_SCORE);
    let recognisable = confident.clone().filter(|f| f.grade >= Grade::Medium).count();
    let small = confident.count() - recognisable;
    let mut reasons = Vec::new();
    if recognisable > 0 {
        reasons.push(WarnReason::RecognisableFace);
    }
    let count_small = policy.sensitivity == Sensitivity::AnyFace && small > 0;
    if count_small {
        reasons.push(WarnReason::SmallFace);
    }
    if has_location {
        reasons.push(WarnReason::Location);
    }
    Verdict { warn: !reasons.is_empty(), reasons, counted_faces: recognisable + if count_small { small } else { 0 } }
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
}
