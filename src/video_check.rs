//! A video's verdict: which frames to look at, and what the faces found in them and the
//! location in the file add up to. The extension decodes the frames (WebCodecs) and runs the
//! photo analysis ([`crate::analysis`]) on each; this module says which times to sample, which
//! few frames to keep as thumbnails while the others are let go at once (memory never depends
//! on the clip's length), and the one decision, so no page works any of it out again.

use crate::decide::{counts_graded, Policy, Verdict, WarnReason};
use crate::grade::{FaceReport, Grade};
use serde::{Deserialize, Serialize};

/// The most frames sampled from one video.
pub const MAX_FRAMES: usize = 150;
/// Every second is sampled for this long from the first frame; beyond, the remaining frames
/// are spread evenly up to the last one.
pub const EVERY_SECOND_FOR: f64 = 120.0;
/// Frames kept (as thumbnails) to show in the warning: those with the most recognisable faces.
pub const KEPT_FRAMES: usize = 4;
/// Frames are looked at with their longer side at most this long: the size the big networks
/// publish a video at (1080p), so a face is graded as it will be seen.
pub const PUBLISHED_LONG_SIDE: u32 = 1920;

/// The times (seconds) to sample a video whose first frame is at `first` and whose last ends
/// at `end`: `first`, then one a second for [`EVERY_SECOND_FOR`] seconds, then evenly spaced,
/// and `end` itself (the decoder gives the frame showing at a time, so `end` is the last
/// frame); at most [`MAX_FRAMES`], strictly increasing.
pub fn sample_times(first: f64, end: f64) -> Vec<f64> {
    if !first.is_finite() {
        return vec![0.0];
    }
    if !end.is_finite() || end <= first {
        return vec![first];
    }
    let length = end - first;
    let mut times: Vec<f64> = Vec::with_capacity(MAX_FRAMES);
    let each_second = length.min(EVERY_SECOND_FOR);
    let mut k = 0.0;
    while k < each_second && times.len() < MAX_FRAMES - 1 {
        times.push(first + k);
        k += 1.0;
    }
    if length > EVERY_SECOND_FOR {
        // The rest of the budget, evenly between the last whole second and the end.
        let rest = MAX_FRAMES - 1 - times.len();
        let from = first + EVERY_SECOND_FOR;
        for i in 0..rest {
            times.push(from + (end - from) * i as f64 / rest as f64);
        }
    }
    // The last frame, unless a sample already sits within a frame's time of it.
    if times.last().map_or(true, |&t| end - t > 0.02) {
        times.push(end);
    }
    times
}

/// The size (`width`, `height`) to look at a video frame of `width` x `height` (display size,
/// rotation applied) at: the size it is published at ([`PUBLISHED_LONG_SIDE`]), within the
/// detector's budget ([`crate::detect::detection_size`]).
pub fn frame_size(width: u32, height: u32) -> (u32, u32) {
    let long = width.max(height);
    let (w, h) = if long > PUBLISHED_LONG_SIDE {
        let s = f64::from(PUBLISHED_LONG_SIDE) / f64::from(long);
        ((f64::from(width) * s).round().max(1.0) as u32, (f64::from(height) * s).round().max(1.0) as u32)
    } else {
        (width.max(1), height.max(1))
    };
    crate::detect::detection_size(w, h)
}

/// What a frame's analysis must say for the tally: its faces' score and grade (the rest of an
/// [`crate::Analysis`] is ignored, so the analysis the extension got can be handed back as is).
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(default)]
pub struct FrameAnalysis {
    /// The frame's faces.
    pub faces: Vec<FrameFace>,
}

/// One face of a frame, as graded by [`crate::grade`].
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct FrameFace {
    /// Detector confidence.
    pub score: f32,
    /// Recognisability.
    pub grade: Grade,
    /// Inter-eye distance in the frame's pixels.
    #[serde(default)]
    pub eye_distance: f32,
}

impl From<&FaceReport> for FrameFace {
    fn from(f: &FaceReport) -> Self {
        FrameFace { score: f.score, grade: f.grade, eye_distance: f.eye_distance }
    }
}

/// Whether to keep the thumbnail of the frame just added, and which kept frames (by time) to
/// let go.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Keep {
    /// Keep this frame's thumbnail.
    pub keep: bool,
    /// Times of frames kept before whose thumbnails can go now.
    pub drop: Vec<f64>,
}

/// A run of consecutive sampled frames showing a face that counts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Span {
    /// Time of the first frame of the run (seconds from the first frame).
    pub start: f64,
    /// Time of the last frame of the run.
    pub end: f64,
    /// The highest grade of a counted face in the run.
    pub grade: Grade,
}

/// Everything the warning needs about a video; shaped like [`crate::Analysis`] (`faces` is
/// empty: faces belong to frames, and none can be masked) plus what the frames showed.
#[derive(Clone, Debug, Serialize)]
pub struct VideoAnalysis {
    /// Display width of the frames looked at.
    pub width: u32,
    /// Display height of the frames looked at.
    pub height: u32,
    /// Always empty for a video (see `kept` for the frames and their faces).
    pub faces: Vec<FaceReport>,
    /// Whether to warn, and why. `counted_faces` is the most counted faces in one frame;
    /// `faces` (per-face decisions) is empty: a video's faces cannot be ticked for masking.
    pub verdict: Verdict,
    /// False when the frames could not be decoded (or only some of them: see
    /// `frames_complete`); the faces found in the frames that were still count.
    pub faces_checked: bool,
    /// Every planned frame was looked at.
    pub frames_complete: bool,
    /// How many frames were looked at.
    pub frames_sampled: usize,
    /// A face was found in some frame, counted or not.
    pub faces_seen: bool,
    /// The frames whose thumbnails were kept, by time (ascending).
    pub kept: Vec<f64>,
    /// Runs of frames showing a face that counts, in time order.
    pub spans: Vec<Span>,
}

#[derive(Clone, Copy, Debug)]
struct Tally {
    time: f64,
    /// Faces that count in this frame.
    counted: usize,
    /// The best grade and the largest eye distance of those faces.
    best: Option<(Grade, f32)>,
    small: bool,
}

impl Tally {
    /// Frames rank by their most recognisable counted face, then how many faces count.
    fn rank(&self) -> (Option<Grade>, usize, i64) {
        let (grade, eye) = self.best.map_or((None, 0.0), |(g, e)| (Some(g), e));
        (grade, self.counted, (eye * 16.0) as i64)
    }
}

/// The faces of a video, frame by frame.
#[derive(Clone, Debug)]
pub struct VideoTally {
    policy: Policy,
    frames: Vec<Tally>,
    /// Indices into `frames` of the kept frames.
    kept: Vec<usize>,
    faces_seen: bool,
}

impl VideoTally {
    /// An empty tally deciding with `policy`.
    pub fn new(policy: Policy) -> Self {
        VideoTally { policy, frames: Vec::new(), kept: Vec::new(), faces_seen: false }
    }

    /// Records the frame at `time` (seconds from the first frame) and its faces; says whether
    /// its thumbnail is worth keeping (it is among the [`KEPT_FRAMES`] frames with the most
    /// recognisable counted faces, or it is the first frame while no frame has any) and which
    /// kept frames it replaces.
    pub fn add(&mut self, time: f64, faces: &[FrameFace]) -> Keep {
        let mut t = Tally { time, counted: 0, best: None, small: false };
        for f in faces {
            let counted = counts_graded(f.score, f.grade, &self.policy);
            self.faces_seen = true;
            if !counted {
                continue;
            }
            t.counted += 1;
            t.small |= f.grade < Grade::Medium;
            t.best = Some(match t.best {
                Some((g, e)) => (g.max(f.grade), e.max(f.eye_distance)),
                None => (f.grade, f.eye_distance),
            });
        }
        let index = self.frames.len();
        self.frames.push(t);
        let mut drop = Vec::new();
        if t.counted == 0 {
            // The first frame stands for the video until a frame with a face is found.
            let keep = index == 0;
            if keep {
                self.kept.push(index);
            }
            return Keep { keep, drop };
        }
        // A frame without counted faces (the first frame) gives way to any with one.
        self.kept.retain(|&i| {
            let faceless = self.frames[i].counted == 0;
            if faceless {
                drop.push(self.frames[i].time);
            }
            !faceless
        });
        if self.kept.len() < KEPT_FRAMES {
            self.kept.push(index);
            return Keep { keep: true, drop };
        }
        // The weakest kept frame (the latest of equals) gives way to a stronger one.
        let (slot, &weakest) = self
            .kept
            .iter()
            .enumerate()
            .min_by(|(_, &a), (_, &b)| self.frames[a].rank().cmp(&self.frames[b].rank()).then(b.cmp(&a)))
            .expect("KEPT_FRAMES > 0");
        if t.rank() > self.frames[weakest].rank() {
            drop.push(self.frames[weakest].time);
            self.kept[slot] = index;
            return Keep { keep: true, drop };
        }
        Keep { keep: false, drop }
    }

    /// The video's verdict: `has_location` from its metadata; `faces_checked` false when its
    /// frames could not all be decoded; `width` x `height` the frames' display size.
    pub fn verdict(&self, has_location: bool, faces_checked: bool, frames_complete: bool, width: u32, height: u32) -> VideoAnalysis {
        let counted_faces = self.frames.iter().map(|t| t.counted).max().unwrap_or(0);
        let recognisable = self.frames.iter().any(|t| t.best.is_some_and(|(g, _)| g >= Grade::Medium));
        let small = self.frames.iter().any(|t| t.small);
        let mut reasons = Vec::new();
        if recognisable {
            reasons.push(WarnReason::RecognisableFace);
        }
        if small {
            reasons.push(WarnReason::SmallFace);
        }
        if has_location {
            reasons.push(WarnReason::Location);
        }
        let verdict = Verdict {
            warn: !reasons.is_empty(),
            reasons,
            counted_faces,
            faces: Vec::new(),
            warns_for_faces: counted_faces > 0,
            warns_for_location: has_location,
        };
        let mut kept: Vec<f64> = self.kept.iter().map(|&i| self.frames[i].time).collect();
        kept.sort_by(f64::total_cmp);
        VideoAnalysis {
            width,
            height,
            faces: Vec::new(),
            verdict,
            faces_checked: faces_checked && frames_complete,
            frames_complete,
            frames_sampled: self.frames.len(),
            faces_seen: self.faces_seen,
            kept,
            spans: self.spans(),
        }
    }

    fn spans(&self) -> Vec<Span> {
        let mut spans: Vec<Span> = Vec::new();
        let mut open = false;
        for t in &self.frames {
            match (t.best, open) {
                (Some((g, _)), true) => {
                    let s = spans.last_mut().expect("open span");
                    s.end = t.time;
                    s.grade = s.grade.max(g);
                }
                (Some((g, _)), false) => {
                    spans.push(Span { start: t.time, end: t.time, grade: g });
                    open = true;
                }
                (None, _) => open = false,
            }
        }
        spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::Sensitivity;

    fn face(grade: Grade, eye: f32) -> FrameFace {
        FrameFace { score: 0.95, grade, eye_distance: eye }
    }

    #[test]
    fn short_clips_are_sampled_every_second_and_at_their_last_frame() {
        assert_eq!(sample_times(0.0, 3.0), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(sample_times(0.5, 2.0), vec![0.5, 1.5, 2.0]);
        // The last frame is not sampled twice.
        assert_eq!(sample_times(0.0, 2.01), vec![0.0, 1.0, 2.0]);
        assert_eq!(sample_times(0.0, 0.0), vec![0.0]);
        assert_eq!(sample_times(0.0, f64::NAN), vec![0.0]);
        assert_eq!(sample_times(f64::INFINITY, 3.0), vec![0.0]);
    }

    #[test]
    fn long_clips_get_every_second_of_two_minutes_then_even_spacing_within_the_cap() {
        for end in [119.5, 120.0, 121.0, 600.0, 7200.0] {
            let t = sample_times(0.0, end);
            assert!(t.len() <= MAX_FRAMES, "{end}: {} frames", t.len());
            assert!(t.windows(2).all(|w| w[1] > w[0]), "{end}: not increasing");
            assert_eq!(*t.last().unwrap(), end);
            // One a second for the first two minutes (or the whole clip).
            for s in 0..(end.min(EVERY_SECOND_FOR) as usize) {
                assert!(t.contains(&(s as f64)), "{end}: second {s} missing");
            }
            let beyond: Vec<f64> = t.iter().copied().filter(|&x| x > EVERY_SECOND_FOR).collect();
            if end > 200.0 {
                assert_eq!(t.len(), MAX_FRAMES);
                // Evenly spaced beyond (the last gap may be shorter).
                let gaps: Vec<f64> = beyond.windows(2).map(|w| w[1] - w[0]).collect();
                let first = gaps[0];
                assert!(gaps[..gaps.len() - 1].iter().all(|g| (g - first).abs() < 1e-6), "{end}: {gaps:?}");
            }
        }
    }

    #[test]
    fn frames_are_looked_at_at_the_published_size() {
        assert_eq!(frame_size(640, 480), (640, 480));
        assert_eq!(frame_size(3840, 2160), (1920, 1080));
        assert_eq!(frame_size(2160, 3840), (1080, 1920));
        assert_eq!(frame_size(0, 0), crate::detect::detection_size(1, 1));
    }

    #[test]
    fn no_face_and_no_location_does_not_warn_and_keeps_the_first_frame() {
        let mut v = VideoTally::new(Policy::default());
        assert_eq!(v.add(0.0, &[]), Keep { keep: true, drop: vec![] });
        assert_eq!(v.add(1.0, &[]), Keep { keep: false, drop: vec![] });
        // A small face does not count at the default sensitivity, but it was seen.
        assert!(!v.add(2.0, &[face(Grade::Low, 8.0)]).keep);
        let a = v.verdict(false, true, true, 640, 480);
        assert!(!a.verdict.warn && a.faces_checked && a.faces_seen);
        assert_eq!((a.frames_sampled, a.kept.clone(), a.spans.len()), (3, vec![0.0], 0));
        let located = v.verdict(true, true, true, 640, 480);
        assert_eq!(located.verdict.reasons, vec![WarnReason::Location]);
        assert!(!located.verdict.warns_for_faces && located.verdict.warns_for_location);
    }

    #[test]
    fn a_face_in_the_last_second_warns_and_is_kept() {
        let mut v = VideoTally::new(Policy::default());
        for s in 0..4 {
            v.add(f64::from(s), &[]);
        }
        let k = v.add(4.0, &[face(Grade::High, 40.0)]);
        // The first frame gives way to the face.
        assert_eq!(k, Keep { keep: true, drop: vec![0.0] });
        let a = v.verdict(false, true, true, 640, 480);
        assert!(a.verdict.warn && a.verdict.warns_for_faces);
        assert_eq!(a.verdict.reasons, vec![WarnReason::RecognisableFace]);
        assert_eq!(a.kept, vec![4.0]);
        assert_eq!(a.spans, vec![Span { start: 4.0, end: 4.0, grade: Grade::High }]);
        assert!(a.verdict.faces.is_empty() && a.faces.is_empty());
    }

    #[test]
    fn the_most_recognisable_frames_are_kept_and_the_others_let_go() {
        let mut v = VideoTally::new(Policy::default());
        let grades = [Grade::Medium, Grade::Medium, Grade::High, Grade::Medium, Grade::VeryHigh, Grade::Medium, Grade::High, Grade::Medium];
        let mut kept: Vec<f64> = Vec::new();
        for (s, &g) in grades.iter().enumerate() {
            let k = v.add(s as f64, &[face(g, 20.0 + s as f32)]);
            kept.retain(|t| !k.drop.contains(t));
            if k.keep {
                kept.push(s as f64);
            }
            assert!(kept.len() <= KEPT_FRAMES);
        }
        kept.sort_by(f64::total_cmp);
        let a = v.verdict(false, true, true, 640, 480);
        // What the caller holds is what the tally says it kept.
        assert_eq!(a.kept, kept);
        // The high and very high frames, then the medium one with the largest face.
        assert_eq!(a.kept, vec![2.0, 4.0, 6.0, 7.0]);
        assert_eq!(a.spans, vec![Span { start: 0.0, end: 7.0, grade: Grade::VeryHigh }]);
    }

    #[test]
    fn spans_are_runs_of_frames_with_counted_faces_and_counts_are_per_frame() {
        let mut v = VideoTally::new(Policy::default());
        v.add(0.0, &[face(Grade::Medium, 20.0)]);
        v.add(1.0, &[face(Grade::High, 40.0), face(Grade::Medium, 20.0)]);
        v.add(2.0, &[]);
        v.add(3.0, &[FrameFace { score: 0.5, grade: Grade::VeryHigh, eye_distance: 90.0 }]);
        v.add(4.0, &[face(Grade::Medium, 20.0)]);
        let a = v.verdict(true, true, true, 640, 480);
        assert_eq!(a.spans, vec![
            Span { start: 0.0, end: 1.0, grade: Grade::High },
            Span { start: 4.0, end: 4.0, grade: Grade::Medium },
        ]);
        assert_eq!(a.verdict.counted_faces, 2);
        assert_eq!(a.verdict.reasons, vec![WarnReason::RecognisableFace, WarnReason::Location]);
    }

    #[test]
    fn small_faces_count_only_with_any_face_sensitivity() {
        let any = Policy { sensitivity: Sensitivity::AnyFace };
        let mut v = VideoTally::new(any);
        v.add(0.0, &[face(Grade::Low, 8.0)]);
        let a = v.verdict(false, true, true, 640, 480);
        assert_eq!(a.verdict.reasons, vec![WarnReason::SmallFace]);
        assert_eq!(a.spans, vec![Span { start: 0.0, end: 0.0, grade: Grade::Low }]);
    }

    #[test]
    fn frames_that_could_not_all_be_decoded_are_not_called_checked() {
        let mut v = VideoTally::new(Policy::default());
        v.add(0.0, &[face(Grade::High, 40.0)]);
        let a = v.verdict(false, true, false, 640, 480);
        assert!(!a.faces_checked && !a.frames_complete && a.verdict.warn);
        let none = VideoTally::new(Policy::default()).verdict(true, false, false, 0, 0);
        assert!(!none.faces_checked && none.verdict.warn && none.kept.is_empty());
    }

    #[test]
    fn an_analysis_is_read_back_for_its_faces_alone() {
        let json = r#"{"width":640,"height":480,"faces":[{"bbox":[1,2,3,4],"score":0.9,"grade":"very_high","eye_distance":80,"reasons":["large_face"]}],"verdict":{"warn":true}}"#;
        let a: FrameAnalysis = serde_json::from_str(json).unwrap();
        assert_eq!(a.faces.len(), 1);
        assert_eq!(a.faces[0].grade, Grade::VeryHigh);
    }
}
