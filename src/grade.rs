//! How usable a detected face is for a face-search engine, from its landmarks.
//!
//! Follows the grading guidance in ../shared/facts/scraping-facts.md: recognisers align a
//! face to 112 x 112 px with ~35 px between the eyes (ArcFace), so a face with >= 35 px
//! inter-eye distance already fills their input; ISO/IEC 29794-5 (OFIQ) centres its size
//! measure at 70 px and scores pose as cos^2 of the angle; machine accuracy falls steeply
//! below ~15 px. The thresholds are a design choice, not a standard.

use crate::detect::Detection;
use serde::{Deserialize, Serialize};

/// Recognisability, lowest first (so grades compare with `<`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// Too small or too hidden for reliable matching today.
    Low,
    /// Usable by a recogniser with degraded accuracy.
    Medium,
    /// Fills a recogniser's input; matchable.
    High,
    /// Large and frontal with both eyes visible: ideal for face search.
    VeryHigh,
}

/// Why a face got its grade; stable codes, worded in the extension's `_locales`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Inter-eye distance >= 70 px.
    LargeFace,
    /// Inter-eye distance 35-70 px: enough to fill a recogniser's input.
    RecogniserSize,
    /// Inter-eye distance 15-35 px.
    SmallFace,
    /// Inter-eye distance under 15 px.
    TinyFace,
    /// Head turned less than 20 degrees.
    Frontal,
    /// Head turned 20-45 degrees.
    Turned,
    /// Head turned more than 45 degrees.
    Profile,
    /// Head tilted more than 30 degrees.
    Tilted,
    /// Both eyes visible.
    BothEyesVisible,
    /// One eye hidden by the head's turn.
    EyeHidden,
}

/// Inter-eye distance (px) at which a face fills a recogniser's aligned input.
pub const RECOGNISER_EYE_DISTANCE: f32 = 35.0;
/// Inter-eye distance (px) at the centre of OFIQ's size measure.
pub const LARGE_EYE_DISTANCE: f32 = 70.0;
/// Below this inter-eye distance (px) machine matching becomes unreliable.
pub const SMALL_EYE_DISTANCE: f32 = 15.0;

/// Inter-eye distance over face-box width for a frontal face (RetinaFace boxes).
const FRONTAL_EYE_TO_WIDTH: f32 = 0.4;

/// A detection with its recognisability assessment.
#[derive(Clone, Debug, Serialize)]
pub struct FaceReport {
    /// Left, top, width, height in photo pixels.
    pub bbox: [f32; 4],
    /// Detector confidence.
    pub score: f32,
    /// Eye centres, nose, mouth corners in photo pixels.
    pub landmarks: [[f32; 2]; 5],
    /// Distance between the eye centres, photo pixels.
    pub eye_distance: f32,
    /// Estimated head turn, degrees (sign: towards the image's right is positive).
    pub yaw: f32,
    /// Tilt of the eye line, degrees.
    pub roll: f32,
    /// Whether both eyes are visible to a camera-facing recogniser.
    pub eyes_visible: bool,
    /// Overall recognisability.
    pub grade: Grade,
    /// What drove the grade.
    pub reasons: Vec<Reason>,
}

/// Head yaw from how far the nose sits between the eyes: 0.5 of the way is frontal.
fn yaw_degrees(d: &Detection) -> f32 {
    let [le, re, nose, ..] = d.landmarks;
    let (ex, ey) = (re[0] - le[0], re[1] - le[1]);
    let len2 = ex * ex + ey * ey;
    if len2 < 1e-6 {
        return 90.0;
    }
    let t = ((nose[0] - le[0]) * ex + (nose[1] - le[1]) * ey) / len2;
    (2.0 * t - 1.0).clamp(-1.0, 1.0).asin().to_degrees()
}

/// Grades one detection.
pub fn grade(d: &Detection) -> FaceReport {
    let [le, re, ..] = d.landmarks;
    let eye_distance = ((re[0] - le[0]).powi(2) + (re[1] - le[1]).powi(2)).sqrt();
    let roll = (re[1] - le[1]).atan2(re[0] - le[0]).to_degrees();
    let yaw = yaw_degrees(d);
    let eyes_visible = yaw.abs() <= 45.0;

    // The size the grade goes by: the eyes' distance, or for a face whose far eye is hidden
    // (the distance shrinks with the turn) what a frontal face of its width would have, so
    // the size word shown agrees with the grade.
    let size = if eyes_visible { eye_distance } else { d.bbox[2] * FRONTAL_EYE_TO_WIDTH };
    let mut reasons = Vec::new();
    reasons.push(match size {
        e if e >= LARGE_EYE_DISTANCE => Reason::LargeFace,
        e if e >= RECOGNISER_EYE_DISTANCE => Reason::RecogniserSize,
        e if e >= SMALL_EYE_DISTANCE => Reason::SmallFace,
        _ => Reason::TinyFace,
    });
    reasons.push(match yaw.abs() {
        a if a < 20.0 => Reason::Frontal,
        a if a <= 45.0 => Reason::Turned,
        _ => Reason::Profile,
    });
    if roll.abs() > 30.0 {
        reasons.push(Reason::Tilted);
    }
    reasons.push(if eyes_visible { Reason::BothEyesVisible } else { Reason::EyeHidden });

    let grade = if !eyes_visible {
        // A profile is less usable but not safe: capped at medium, sized by the face's
        // width (a frontal face's eyes are ~0.4 of its width apart).
        if size >= SMALL_EYE_DISTANCE {
            Grade::Medium
        } else {
            Grade::Low
        }
    } else if eye_distance >= LARGE_EYE_DISTANCE && yaw.abs() < 20.0 && roll.abs() <= 30.0 {
        Grade::VeryHigh
    } else if eye_distance >= RECOGNISER_EYE_DISTANCE {
        Grade::High
    } else if eye_distance >= SMALL_EYE_DISTANCE {
        Grade::Medium
    } else {
        Grade::Low
    };
    FaceReport { bbox: d.bbox, score: d.score, landmarks: d.landmarks, eye_distance, yaw, roll, eyes_visible, grade, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(eye: f32, nose_at: f32, tilt: f32) -> Detection {
        let le = [100.0, 100.0];
        let re = [100.0 + eye, 100.0 + tilt];
        Detection {
            bbox: [80.0, 70.0, eye * 2.2, eye * 2.6],
            score: 0.99,
            landmarks: [le, re, [100.0 + eye * nose_at, 100.0 + eye * 0.6], [100.0, 100.0 + eye], [100.0 + eye, 100.0 + eye]],
        }
    }

    #[test]
    fn grades_follow_eye_distance_and_pose() {
        let r = grade(&face(80.0, 0.5, 0.0));
        assert_eq!(r.grade, Grade::VeryHigh);
        assert!(r.yaw.abs() < 1.0 && r.roll.abs() < 1.0);
        assert_eq!(r.reasons, vec![Reason::LargeFace, Reason::Frontal, Reason::BothEyesVisible]);
        assert_eq!(grade(&face(40.0, 0.5, 0.0)).grade, Grade::High);
        assert_eq!(grade(&face(80.0, 0.75, 0.0)).grade, Grade::High); // turned 30 degrees
        assert_eq!(grade(&face(20.0, 0.5, 0.0)).grade, Grade::Medium);
        assert_eq!(grade(&face(10.0, 0.5, 0.0)).grade, Grade::Low);
        let profile = grade(&face(30.0, 0.98, 0.0));
        assert!(!profile.eyes_visible && profile.yaw > 45.0);
        assert_eq!(profile.grade, Grade::Medium); // 66 px wide: still counts
        assert_eq!(grade(&face(15.0, 0.98, 0.0)).grade, Grade::Low); // 33 px wide
        // The size word agrees with the grade: a 66 px profile is a small face, not a tiny one.
        assert_eq!(profile.reasons[0], Reason::SmallFace);
        assert_eq!(grade(&face(15.0, 0.98, 0.0)).reasons[0], Reason::TinyFace);
    }

    #[test]
    fn every_size_word_agrees_with_its_grade() {
        for eye in [5.0, 10.0, 14.9, 15.0, 20.0, 34.9, 35.0, 50.0, 69.9, 70.0, 120.0] {
            for nose_at in [0.5, 0.7, 0.9, 0.98] {
                let r = grade(&face(eye, nose_at, 0.0));
                let ok = match r.reasons[0] {
                    Reason::TinyFace => r.grade == Grade::Low,
                    Reason::SmallFace => matches!(r.grade, Grade::Low | Grade::Medium),
                    _ => r.grade != Grade::Low,
                };
                assert!(ok, "{eye} px, nose at {nose_at}: {:?} graded {:?}", r.reasons[0], r.grade);
            }
        }
        let tilted = grade(&face(80.0, 0.5, 80.0));
        assert!((tilted.roll - 45.0).abs() < 0.1);
        assert_eq!(tilted.grade, Grade::High);
        assert!(tilted.reasons.contains(&Reason::Tilted));
    }
}
