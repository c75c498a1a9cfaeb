//! Face detection: RetinaFace MobileNet-0.25 run over a scale pyramid of the photo,
//! tiled at fine scales so memory stays bounded for 48 MP photos.

mod gemm;
mod net;
mod qgemm;
pub mod stages;
pub mod weights;

use crate::error::ErrorCode;
use crate::raster::RgbaView;
use stages::{time, Stage};
use net::{Feature, LevelOutput, Path, RetinaFace, Scratch, HEAD_WIDTH};
use serde::Serialize;

/// Anchor sizes (input pixels) per level, two anchors per cell.
const ANCHOR_SIZES: [[f32; 2]; 3] = [[16.0, 32.0], [64.0, 128.0], [256.0, 512.0]];
/// Per-channel means subtracted from B, G, R (the model's training preprocessing).
const MEAN_BGR: [f32; 3] = [104.0, 117.0, 123.0];
/// Face width at the network input that the model finds reliably: at 16 px it scores the
/// 40-55 px faces of tests/detect_fixtures.rs 0.2-0.3, at 24 px 0.7-0.99.
const RELIABLE_INPUT_FACE: f32 = 24.0;
/// Largest tile side fed to the network; bounds memory on huge photos.
const TILE: usize = 1024;
/// Tile overlap: faces up to this size (in level pixels) lie whole in some tile; larger
/// ones are found at the next coarser level, which is at most [`LEVEL_RATIO`] smaller
/// (so they are at least 40 px there, well inside the model's range).
const TILE_OVERLAP: usize = 160;
/// The probe pass runs this much coarser than the fine level.
const PROBE_RATIO: f32 = 2.0;
/// Below this area (fine-level pixels, 400 x 400) the fine level runs whole: a probe would
/// save too little to pay for itself (and would miss more of the smallest faces).
const PROBE_MIN_AREA: usize = 160_000;
/// Probe detections at or above this score get a second look at the fine level. On
/// face-bench, 0.02 costs 25% more time and 0.1 loses 1% of the faces >= 40 px.
const CANDIDATE_SCORE: f32 = 0.03;
/// Context (fine-level pixels) kept on each side of a candidate when looking again.
const REFINE_MARGIN: f32 = 32.0;
/// When second looks would cover more than this share of the fine level, it runs whole:
/// many candidates mean a crowd, where the probe is least trustworthy.
const REFINE_MAX_SHARE: f32 = 0.5;
/// A detection this much inside a stronger one at least twice its area is part of that face.
const NESTED_SHARE: f32 = 0.7;
/// Largest scale ratio between pyramid levels.
const LEVEL_RATIO: f32 = 4.0;
/// A coarse pass at most this much smaller than an untiled fine pass only repeats it (the
/// model's 512 px anchors cover the largest faces of such a level) and is skipped: on
/// face-bench this costs 1 of 1,270 faces >= 40 px and cuts native p95 from 214 to 122 ms.
const REDUNDANT_LEVEL_RATIO: f32 = 1.5;

/// How hard to look. The defaults are the ones the extension, demo and benchmark use.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DetectOptions {
    /// Long side of the coarsest pass, in pixels.
    pub coarse_side: u32,
    /// Smallest face width (photo pixels) that must be found reliably, whatever the photo size.
    pub min_face: f32,
    /// Detections below this score are dropped.
    pub score_threshold: f32,
    /// Overlap above which the weaker of two detections is dropped.
    pub nms_iou: f32,
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self { coarse_side: 640, min_face: 40.0, score_threshold: 0.5, nms_iou: 0.4 }
    }
}

impl DetectOptions {
    /// The options for detecting in a copy of the photo scaled by `scale` (copy pixels per
    /// photo pixel): the smallest face to find scales with it.
    pub fn scaled(&self, scale: f32) -> Self {
        Self { min_face: self.min_face * scale, ..self.clone() }
    }
}

impl Detection {
    /// The detection in the coordinates of a picture `sx` x `sy` times larger.
    pub fn scaled(&self, sx: f32, sy: f32) -> Self {
        let b = self.bbox;
        Self { bbox: [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy], score: self.score, landmarks: self.landmarks.map(|[x, y]| [x * sx, y * sy]) }
    }
}

/// One detected face, in pixels of the photo as given.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Detection {
    /// Left, top, width, height.
    pub bbox: [f32; 4],
    /// Confidence in [0, 1].
    pub score: f32,
    /// Eye centres (left then right in the image), nose tip, mouth corners (left, right).
    pub landmarks: [[f32; 2]; 5],
}

/// The loaded detector; build once and reuse for every photo.
pub struct Detector {
    net: RetinaFace,
    /// Off only for measurements: see [`Detector::without_probe`].
    use_probe: bool,
}

impl Detector {
    /// Loads the bundled model.
    pub fn new() -> Result<Self, ErrorCode> {
        weights::verify(weights::MODEL_BYTES)?;
        let tensors = weights::parse(weights::MODEL_BYTES)?;
        Ok(Self { net: RetinaFace::from_tensors(&tensors, Path::Fast)?, use_probe: true })
    }

    /// The detector that always runs the fine level whole (no probe pass): for benchmarks
    /// of one network pass and for tests comparing against it.
    pub fn without_probe(self) -> Self {
        Self { use_probe: false, ..self }
    }

    /// The detector on another [`Path`] (the plain f32 im2col reference, or the fast kernels
    /// without integer products), to check the fast path against.
    #[cfg(test)]
    fn on_path(path: Path) -> Self {
        let tensors = weights::parse(weights::MODEL_BYTES).unwrap();
        Self { net: RetinaFace::from_tensors(&tensors, path).unwrap(), use_probe: true }
    }

    /// Finds faces in `image` (any size and aspect ratio).
    ///
    /// The fine level is the costly one. When it is large, a probe pass at half its scale
    /// runs first, and the fine level then only looks again around what the probe found
    /// weakly or too small to trust; if that is most of the photo, it runs whole.
    pub fn detect(&self, image: RgbaView<'_>, opts: &DetectOptions) -> Vec<Detection> {
        let mut found = Vec::new();
        // Memory for the passes over this photo, reused by each.
        let s = &mut Scratch::default();
        let levels = pyramid(image.width(), image.height(), opts);
        let fine = levels[0];
        let (fw, fh) = level_size(image, fine);
        let probe = fine / PROBE_RATIO;
        let probed = fw * fh >= PROBE_MIN_AREA && self.use_probe;
        let windows = if probed { self.probe(image, probe, (fine, fw, fh), opts, &mut found, s) } else { None };
        match windows {
            Some(ws) => {
                for (x, y, w, h) in ws {
                    for (tx, ty, tw, th) in tiles(w, h) {
                        self.run(image, fine, (x + tx, y + ty, tw, th), opts.score_threshold, &mut found, s);
                    }
                }
            }
            None => self.run_level(image, fine, opts.score_threshold, &mut found, s),
        }
        // An untiled probe already did the next level's work when that level is at most
        // REDUNDANT_LEVEL_RATIO coarser (photos of about 1700-3200 px).
        let (pw, ph) = level_size(image, probe);
        let repeated = probed && pw.max(ph) <= TILE && levels.get(1).is_some_and(|&next| probe <= next * REDUNDANT_LEVEL_RATIO);
        for &scale in &levels[1 + usize::from(repeated)..] {
            self.run_level(image, scale, opts.score_threshold, &mut found, s);
        }
        time(Stage::Nms, || nms(found, opts.nms_iou))
    }

    /// Runs the probe pass at `probe` for a fine level at scale `fine` of `fw` x `fh` pixels,
    /// keeps its confident detections in `found` and returns the windows (fine-level pixels)
    /// to look at again, or `None` when they cover so much of it that it should run whole.
    fn probe(&self, image: RgbaView<'_>, probe: f32, (fine, fw, fh): (f32, usize, usize), opts: &DetectOptions, found: &mut Vec<Detection>, s: &mut Scratch) -> Option<Vec<(usize, usize, usize, usize)>> {
        let mut candidates = Vec::new();
        self.run_level(image, probe, opts.score_threshold.min(CANDIDATE_SCORE), &mut candidates, s);
        let mut windows = Vec::new();
        for d in candidates {
            let probe_width = d.bbox[2] * probe;
            let confident = d.score >= opts.score_threshold;
            // Twice the reliable size, the fine level would only repeat the probe.
            if probe_width < 2.0 * RELIABLE_INPUT_FACE && !(confident && probe_width >= RELIABLE_INPUT_FACE) {
                let half = d.bbox[2].max(d.bbox[3]) * fine * 0.5 + REFINE_MARGIN;
                let (cx, cy) = ((d.bbox[0] + d.bbox[2] / 2.0) * fine, (d.bbox[1] + d.bbox[3] / 2.0) * fine);
                windows.push([cx - half, cy - half, cx + half, cy + half]);
            }
            if confident {
                found.push(d);
            }
        }
        let windows = merge_windows(windows, fw, fh);
        let area: usize = windows.iter().map(|w| w.2 * w.3).sum();
        ((area as f32) < REFINE_MAX_SHARE * (fw * fh) as f32).then_some(windows)
    }

    /// Runs the network over a whole pyramid level, tile by tile.
    fn run_level(&self, image: RgbaView<'_>, scale: f32, threshold: f32, found: &mut Vec<Detection>, s: &mut Scratch) {
        let (lw, lh) = level_size(image, scale);
        for t in tiles(lw, lh) {
            self.run(image, scale, t, threshold, found, s);
        }
    }

    /// Runs the network on one tile (level pixels) of the level at `scale`.
    fn run(&self, image: RgbaView<'_>, scale: f32, (tx, ty, tw, th): (usize, usize, usize, usize), threshold: f32, found: &mut Vec<Detection>, s: &mut Scratch) {
        let (lw, lh) = level_size(image, scale);
        let input = time(Stage::Sample, || sample_tile(image, scale, (tx, ty, tw, th), s));
        let outs = time(Stage::Network, || self.net.forward(&input, s));
        s.recycle(input);
        time(Stage::Decode, || decode(&outs, threshold, tx as f32, ty as f32, lw as f32 / image.width() as f32, lh as f32 / image.height() as f32, found));
    }
}

/// Pixel size of a pyramid level.
fn level_size(image: RgbaView<'_>, scale: f32) -> (usize, usize) {
    (((image.width() as f32 * scale).round() as usize).max(1), ((image.height() as f32 * scale).round() as usize).max(1))
}

/// Merges overlapping windows [x0, y0, x1, y1] into their bounding rectangles, clipped to
/// the level: (x, y, w, h).
fn merge_windows(mut ws: Vec<[f32; 4]>, lw: usize, lh: usize) -> Vec<(usize, usize, usize, usize)> {
    let mut merged = true;
    while merged {
        merged = false;
        let mut i = 0;
        while i < ws.len() {
            let mut j = i + 1;
            while j < ws.len() {
                let (a, b) = (ws[i], ws[j]);
                if a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3] {
                    ws[i] = [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])];
                    ws.swap_remove(j);
                    merged = true;
                } else {
                    j += 1;
                }
            }
            i += 1;
        }
    }
    ws.iter()
        .filter_map(|w| {
            let x0 = (w[0].max(0.0) as usize).min(lw);
            let y0 = (w[1].max(0.0) as usize).min(lh);
            let x1 = (w[2].ceil().max(0.0) as usize).min(lw);
            let y1 = (w[3].ceil().max(0.0) as usize).min(lh);
            (x1 > x0 && y1 > y0).then(|| (x0, y0, x1 - x0, y1 - y0))
        })
        .collect()
}

/// The most pixels a photo is decoded to for detection: 72 MB of RGBA. A 48 MP photo fits at
/// 0.61, just above the pyramid's finest level (0.6, where a 40 px face is 24 px), which is
/// all the detector reads; a 100 MP photo is looked at a little coarser (0.42), so its
/// smallest reliably found face grows from 40 px to 57 px, still a tiny part of such a photo.
pub const DETECTION_PIXEL_BUDGET: f64 = 18_000_000.0;

/// The size to decode a `width` x `height` photo to before detecting faces in it: the photo
/// itself within [`DETECTION_PIXEL_BUDGET`], else scaled down to it. Detecting in the copy
/// with [`DetectOptions::scaled`] finds the same faces. Photos within the budget are not
/// scaled by the browser: the detector's own area averaging then sees exactly the pixels it
/// was measured on (a browser's resampling filter costs about 1 point of recall on face-bench).
pub fn detection_size(width: u32, height: u32) -> (u32, u32) {
    let pixels = f64::from(width) * f64::from(height);
    if pixels <= DETECTION_PIXEL_BUDGET {
        return (width, height);
    }
    let scale = (DETECTION_PIXEL_BUDGET / pixels).sqrt();
    let side = |n: u32| ((f64::from(n) * scale).floor() as u32).clamp(1, n);
    (side(width), side(height))
}

/// Scales (level pixels per photo pixel), fine to coarse: the finest makes `min_face` as
/// wide as [`RELIABLE_INPUT_FACE`]; each next one is at most [`LEVEL_RATIO`] coarser, down
/// to the coarse pass whose long side is `coarse_side`.
fn pyramid(width: u32, height: u32, opts: &DetectOptions) -> Vec<f32> {
    let long = width.max(height) as f32;
    let coarse = (opts.coarse_side.max(32) as f32 / long).min(1.0);
    let fine = (RELIABLE_INPUT_FACE / opts.min_face.max(1.0)).min(1.0).max(coarse);
    let mut levels = vec![fine];
    if fine <= coarse * REDUNDANT_LEVEL_RATIO && long * fine <= TILE as f32 {
        return levels;
    }
    let mut s = fine;
    while s > coarse * 1.001 {
        s = (s / LEVEL_RATIO).max(coarse);
        levels.push(s);
    }
    levels
}

/// Tiles (x, y, w, h) covering a level of `w` x `h` pixels, at most [`TILE`] wide, evenly
/// sized, neighbours overlapping by [`TILE_OVERLAP`].
fn tiles(w: usize, h: usize) -> Vec<(usize, usize, usize, usize)> {
    fn spans(n: usize) -> Vec<(usize, usize)> {
        if n <= TILE {
            return vec![(0, n)];
        }
        let count = (n - TILE_OVERLAP).div_ceil(TILE - TILE_OVERLAP);
        let size = (n + (count - 1) * TILE_OVERLAP).div_ceil(count);
        (0..count).map(|i| ((i * (size - TILE_OVERLAP)).min(n - size), size)).collect()
    }
    let mut out = Vec::new();
    for &(y, th) in &spans(h) {
        for &(x, tw) in &spans(w) {
            out.push((x, y, tw, th));
        }
    }
    out
}

/// Area-averages a tile of the scaled photo into the network's input layout
/// (B, G, R minus the training means). At most 4 x 4 samples per output pixel.
fn sample_tile(image: RgbaView<'_>, scale: f32, (tx, ty, tw, th): (usize, usize, usize, usize), s: &mut Scratch) -> Feature {
    let (iw, ih) = (image.width() as usize, image.height() as usize);
    let inv = 1.0 / scale;
    let span = |o: usize, n: usize| -> (usize, usize) {
        let a = ((o as f32 * inv) as usize).min(n - 1);
        let b = (((o + 1) as f32 * inv) as usize).clamp(a + 1, n);
        (a, b)
    };
    let xs: Vec<(usize, usize)> = (0..tw).map(|x| span(tx + x, iw)).collect();
    let data = image.data();
    // Every value is written below.
    let mut f = s.feature(th, tw, 3);
    // At 1/4 scale or finer every pixel of a span is sampled: the rows of a span are summed
    // first along the tile's width (one long loop the compiler vectorises), then across.
    let every_pixel = inv <= 4.0;
    let (cx0, cx1) = (xs[0].0, xs[tw - 1].1);
    let mut column_sums = vec![0u16; if every_pixel { (cx1 - cx0) * 4 } else { 0 }];
    for y in 0..th {
        let (y0, y1) = span(ty + y, ih);
        let rows = (y0..y1).step_by((y1 - y0).div_ceil(4));
        if every_pixel {
            column_sums.fill(0);
            for sy in rows.clone() {
                let src = &data[(sy * iw + cx0) * 4..(sy * iw + cx1) * 4];
                for (sum, &v) in column_sums.iter_mut().zip(src) {
                    *sum += u16::from(v);
                }
            }
        }
        for (x, &(x0, x1)) in xs.iter().enumerate() {
            let [r, g, b, n] = if every_pixel {
                let mut sums = [0u32, 0, 0, (rows.len() * (x1 - x0)) as u32];
                for px in column_sums[(x0 - cx0) * 4..(x1 - cx0) * 4].chunks_exact(4) {
                    sums[0] += u32::from(px[0]);
                    sums[1] += u32::from(px[1]);
                    sums[2] += u32::from(px[2]);
                }
                sums
            } else {
                strided_sums(data, iw, (x0, x1, (x1 - x0).div_ceil(4)), rows.clone())
            };
            let k = 1.0 / n as f32;
            let o = (y * tw + x) * 3;
            f.data[o] = b as f32 * k - MEAN_BGR[0];
            f.data[o + 1] = g as f32 * k - MEAN_BGR[1];
            f.data[o + 2] = r as f32 * k - MEAN_BGR[2];
        }
    }
    f
}

/// Sums of R, G, B and the sample count over every `step`-th pixel of `x0..x1` in `rows`.
fn strided_sums(data: &[u8], iw: usize, (x0, x1, step): (usize, usize, usize), rows: impl Iterator<Item = usize>) -> [u32; 4] {
    let mut sums = [0u32; 4];
    for sy in rows {
        for sx in (x0..x1).step_by(step) {
            let i = (sy * iw + sx) * 4;
            sums[0] += u32::from(data[i]);
            sums[1] += u32::from(data[i + 1]);
            sums[2] += u32::from(data[i + 2]);
            sums[3] += 1;
        }
    }
    sums
}

/// Turns head outputs into detections in photo pixels.
fn decode(outs: &[LevelOutput; 3], threshold: f32, ox: f32, oy: f32, sx: f32, sy: f32, found: &mut Vec<Detection>) {
    // score > t  <=>  l1 - l0 > logit(t)
    let t = threshold.clamp(1e-6, 1.0 - 1e-6);
    let min_logit = (t / (1.0 - t)).ln();
    for (level, out) in outs.iter().enumerate() {
        let stride = out.stride as f32;
        for cy in 0..out.h {
            for cx in 0..out.w {
                let cell = &out.data[(cy * out.w + cx) * HEAD_WIDTH..(cy * out.w + cx + 1) * HEAD_WIDTH];
                for (a, &size) in ANCHOR_SIZES[level].iter().enumerate() {
                    let logit = cell[a * 2 + 1] - cell[a * 2];
                    if logit <= min_logit {
                        continue;
                    }
                    let score = 1.0 / (1.0 + (-logit).exp());
                    let (acx, acy) = ((cx as f32 + 0.5) * stride, (cy as f32 + 0.5) * stride);
                    let d = &cell[4 + a * 4..8 + a * 4];
                    let bw = size * (d[2] * 0.2).exp();
                    let bh = size * (d[3] * 0.2).exp();
                    let bcx = acx + d[0] * 0.1 * size;
                    let bcy = acy + d[1] * 0.1 * size;
                    let l = &cell[12 + a * 10..22 + a * 10];
                    let landmarks: [[f32; 2]; 5] = core::array::from_fn(|i| {
                        [(ox + acx + l[2 * i] * 0.1 * size) / sx, (oy + acy + l[2 * i + 1] * 0.1 * size) / sy]
                    });
                    found.push(Detection {
                        bbox: [(ox + bcx - bw / 2.0) / sx, (oy + bcy - bh / 2.0) / sy, bw / sx, bh / sy],
                        score,
                        landmarks,
                    });
                }
            }
        }
    }
}

/// Intersection over union of two [x, y, w, h] boxes.
pub fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let inter = intersection(a, b);
    if inter <= 0.0 {
        return 0.0;
    }
    inter / (a[2] * a[3] + b[2] * b[3] - inter)
}

/// Greedy non-maximum suppression, strongest first; then drops detections lying inside a
/// stronger one at least twice their area (an eye or mouth of a large face, seen as a face
/// at a fine level), which overlap suppression misses because their IoU is small.
fn nms(mut dets: Vec<Detection>, threshold: f32) -> Vec<Detection> {
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut keep: Vec<Detection> = Vec::new();
    for d in dets {
        if keep.iter().all(|k| iou(&k.bbox, &d.bbox) <= threshold) {
            keep.push(d);
        }
    }
    let area = |b: &[f32; 4]| b[2] * b[3];
    let inside = |small: &Detection, big: &Detection| {
        area(&big.bbox) >= 2.0 * area(&small.bbox) && big.score >= small.score && intersection(&small.bbox, &big.bbox) >= NESTED_SHARE * area(&small.bbox)
    };
    let nested: Vec<bool> = keep.iter().map(|d| keep.iter().any(|k| inside(d, k))).collect();
    keep.into_iter().zip(nested).filter(|(_, n)| !n).map(|(d, _)| d).collect()
}

/// Area shared by two [x, y, w, h] boxes.
fn intersection(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let ix = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let iy = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    ix.max(0.0) * iy.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyramid_spans_min_face_to_coarse_pass() {
        let o = DetectOptions::default();
        assert_eq!(pyramid(640, 480, &o), vec![1.0]);
        assert_eq!(pyramid(1024, 768, &o), vec![0.625]);
        // Fine pass 0.6 (900 px, one tile) is within 1.5x of the 640 px coarse pass: one level.
        assert_eq!(pyramid(1500, 1000, &o), vec![0.6]);
        // Fine pass 1200 px needs tiles: the coarse pass stays for faces cut by tile edges.
        assert_eq!(pyramid(2000, 1500, &o), vec![0.6, 0.32]);
        let big = pyramid(8000, 6000, &o);
        assert!((big[0] - 0.6).abs() < 1e-6, "{big:?}");
        assert!((big.last().unwrap() - 0.08).abs() < 1e-6, "{big:?}");
        assert!(big.windows(2).all(|w| w[0] / w[1] <= LEVEL_RATIO + 1e-3));
    }

    #[test]
    fn tiles_cover_with_overlap() {
        assert_eq!(tiles(500, 300), vec![(0, 0, 500, 300)]);
        for (w, h) in [(2400, 1800), (4800, 3600), (1025, 3000)] {
            let t = tiles(w, h);
            let xs: Vec<(usize, usize)> = t.iter().filter(|t| t.1 == 0).map(|t| (t.0, t.2)).collect();
            let ys: Vec<(usize, usize)> = t.iter().filter(|t| t.0 == 0).map(|t| (t.1, t.3)).collect();
            for spans in [&xs, &ys] {
                assert_eq!(spans[0].0, 0);
                assert!(spans.iter().all(|s| s.1 <= TILE));
                assert!(spans.windows(2).all(|p| p[0].0 + p[0].1 >= p[1].0 + TILE_OVERLAP), "{spans:?}");
            }
            assert_eq!(xs.last().map(|s| s.0 + s.1), Some(w));
            assert_eq!(ys.last().map(|s| s.0 + s.1), Some(h));
        }
    }

    #[test]
    fn windows_merge_when_they_overlap() {
        let ws = vec![[10.0, 10.0, 50.0, 50.0], [40.0, 40.0, 80.0, 90.0], [200.0, 0.0, 260.0, 40.0], [-20.0, 290.0, 30.0, 330.0]];
        let mut m = merge_windows(ws, 250, 300);
        m.sort();
        // Overlapping windows become their bounding box; all are clipped to the level.
        assert_eq!(m, vec![(0, 290, 30, 10), (10, 10, 70, 80), (200, 0, 50, 40)]);
        // A chain where the merged box only then overlaps the third one.
        let chain = merge_windows(vec![[0.0, 0.0, 10.0, 10.0], [100.0, 100.0, 110.0, 110.0], [5.0, 5.0, 102.0, 102.0]], 500, 500);
        assert_eq!(chain, vec![(0, 0, 110, 110)]);
        assert!(merge_windows(vec![[600.0, 600.0, 700.0, 700.0]], 500, 500).is_empty());
    }

    /// Grace Hopper's portrait pasted at face widths of 40-46 px on a 1600 x 1000 canvas: the
    /// probe sees them at 12-14 px and finds none alone, so only the second looks find them.
    fn small_faces_canvas(whole: &Detector) -> image::RgbaImage {
        let hopper = image::open(format!("{}/extension/samples/hopper.jpg", env!("CARGO_MANIFEST_DIR"))).unwrap().to_rgba8();
        let view = RgbaView::new(hopper.as_raw(), hopper.width(), hopper.height()).unwrap();
        let face = whole.detect(view, &DetectOptions::default())[0].bbox;
        let mut canvas = image::RgbaImage::from_pixel(1600, 1000, image::Rgba([120, 130, 125, 255]));
        for (i, width) in [40.0f32, 42.0, 44.0, 46.0].into_iter().enumerate() {
            let k = width / face[2];
            let small = image::imageops::resize(&hopper, (hopper.width() as f32 * k) as u32, (hopper.height() as f32 * k) as u32, image::imageops::FilterType::Triangle);
            image::imageops::overlay(&mut canvas, &small, 150 + 380 * i as i64, 200 + 150 * (i as i64 % 2) * 2);
        }
        canvas
    }

    /// The probe pass loses no face that counts: every confident face >= 40 px that the
    /// whole fine level finds is found with the probe too, on photos with faces at many
    /// sizes, including ones that only the second looks can find.
    #[test]
    fn probe_finds_what_the_whole_fine_level_finds() {
        let probed = Detector::new().unwrap();
        let whole = Detector::new().unwrap().without_probe();
        let opts = DetectOptions::default();
        let canvas = small_faces_canvas(&whole);
        let mut photos = vec![("canvas".to_string(), canvas)];
        for path in ["extension/samples/group.jpg", "extension/samples/hopper.jpg", "tests/fixtures/photos/pair.png", "tests/fixtures/photos/rocket.jpg"] {
            photos.push((path.to_string(), image::open(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap().to_rgba8()));
        }
        let mut compared = 0;
        for (name, img) in &photos {
            let view = RgbaView::new(img.as_raw(), img.width(), img.height()).unwrap();
            let fine = pyramid(img.width(), img.height(), &opts)[0];
            let (fw, fh) = level_size(view, fine);
            assert!(fw * fh >= PROBE_MIN_AREA, "{name}: the probe would not run");
            let (a, b) = (probed.detect(view, &opts), whole.detect(view, &opts));
            if name == "canvas" {
                let windows = probed.probe(view, fine / PROBE_RATIO, (fine, fw, fh), &opts, &mut Vec::new(), &mut Scratch::default());
                assert!(windows.is_some_and(|w| w.len() >= 2), "no second looks");
                assert_eq!(b.len(), 4, "{b:?}");
            }
            for d in b.iter().filter(|d| d.score >= 0.8 && d.bbox[2] >= 40.0) {
                assert!(a.iter().any(|p| iou(&p.bbox, &d.bbox) >= 0.6), "{name}: {d:?} missing from {a:?}");
                compared += 1;
            }
        }
        assert!(compared >= 10, "only {compared} faces compared");
    }

    #[test]
    fn parts_of_a_stronger_larger_face_are_dropped() {
        let det = |x: f32, y: f32, side: f32, score: f32| Detection { bbox: [x, y, side, side], score, landmarks: [[0.0; 2]; 5] };
        let face = det(100.0, 100.0, 400.0, 0.99);
        // An "eye" detected as a face: inside, a tenth of the area, weaker. Dropped.
        assert_eq!(nms(vec![det(180.0, 200.0, 120.0, 0.9), face.clone()], 0.4), vec![face.clone()]);
        // Stronger than the large box around it: both kept (the large one may be the mistake).
        assert_eq!(nms(vec![det(180.0, 200.0, 120.0, 0.995), face.clone()], 0.4).len(), 2);
        // Only half inside (a neighbour's face overlapping the edge): kept.
        assert_eq!(nms(vec![det(440.0, 200.0, 120.0, 0.9), face.clone()], 0.4).len(), 2);
        // Overlap suppression as before.
        assert_eq!(nms(vec![det(110.0, 100.0, 400.0, 0.9), face.clone()], 0.4), vec![face]);
    }

    #[test]
    fn iou_of_known_boxes() {
        assert_eq!(iou(&[0.0, 0.0, 10.0, 10.0], &[0.0, 0.0, 10.0, 10.0]), 1.0);
        assert_eq!(iou(&[0.0, 0.0, 10.0, 10.0], &[20.0, 0.0, 10.0, 10.0]), 0.0);
        assert!((iou(&[0.0, 0.0, 10.0, 10.0], &[5.0, 0.0, 10.0, 10.0]) - 1.0 / 3.0).abs() < 1e-6);
    }

    /// The fast path finds the same faces as the f32 im2col reference on real photos: boxes
    /// and landmarks within 0.5 px, scores within 1e-3 (only rounding differs: the order of
    /// f32 sums, and the pointwise products in 16-bit integers).
    #[test]
    fn fast_path_matches_reference_on_photos() {
        let (fast, slow) = (Detector::new().unwrap(), Detector::on_path(Path::Reference));
        // A lower threshold than the default compares more (and weaker) detections.
        let opts = DetectOptions { score_threshold: 0.2, ..DetectOptions::default() };
        let mut compared = 0;
        for name in ["astronaut.png", "camera.png", "pair.png", "chelsea.png", "coffee.png", "rocket.jpg"] {
            let img = image::open(format!("{}/tests/fixtures/photos/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap().to_rgba8();
            let view = RgbaView::new(img.as_raw(), img.width(), img.height()).unwrap();
            let (a, b) = (fast.detect(view, &opts), slow.detect(view, &opts));
            assert_eq!(a.len(), b.len(), "{name}: {a:?} vs {b:?}");
            for d in &a {
                let close = |r: &Detection| {
                    (d.score - r.score).abs() < 1e-3
                        && d.bbox.iter().zip(&r.bbox).all(|(p, q)| (p - q).abs() < 0.5)
                        && d.landmarks.iter().flatten().zip(r.landmarks.iter().flatten()).all(|(p, q)| (p - q).abs() < 0.5)
                };
                assert!(b.iter().any(close), "{name}: {d:?} not in {b:?}");
            }
            compared += a.len();
        }
        assert!(compared >= 4, "only {compared} detections compared");
    }

    /// Raw network outputs agree on a real photo, at every level: the fast f32 kernels with
    /// the reference to float rounding, and the integer pointwise products with those to
    /// within 0.03 (logits and box offsets range over about +-10 here).
    #[test]
    fn fast_outputs_match_reference() {
        let img = image::open(format!("{}/tests/fixtures/photos/astronaut.png", env!("CARGO_MANIFEST_DIR"))).unwrap().to_rgba8();
        let view = RgbaView::new(img.as_raw(), img.width(), img.height()).unwrap();
        let [fast, float, reference] = [Path::Fast, Path::FastFloat, Path::Reference].map(Detector::on_path);
        // Odd sizes exercise the partial 4x4 tiles at the right and bottom edges.
        for (w, h) in [(img.width() as usize, img.height() as usize), (333, 251)] {
            let input = sample_tile(view, w as f32 / img.width() as f32, (0, 0, w, h), &mut Scratch::default());
            // One scratch for every pass: test builds fill each reused buffer with 1e20, so a
            // value a kernel reads before writing would make its outputs huge.
            let s = &mut Scratch::default();
            let [a, b, c] = [&fast, &float, &reference].map(|d| d.net.forward(&input, s));
            for ((la, lb), lc) in a.iter().zip(&b).zip(&c) {
                assert!((la.h, la.w) == (lc.h, lc.w) && (lb.h, lb.w) == (lc.h, lc.w));
                assert!([la, lb, lc].iter().all(|o| o.data.iter().all(|v| v.abs() < 1e3)), "{w}x{h} stride {}: a value read before written", lc.stride);
                let worst = |x: &LevelOutput, y: &LevelOutput| x.data.iter().zip(&y.data).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
                let range = lc.data.iter().fold(0f32, |m, v| m.max(v.abs()));
                assert!(range > 1.0, "{w}x{h} stride {}: outputs within +-{range}", lc.stride);
                assert!(worst(&lb, &lc) < 2e-4, "{w}x{h} stride {}: f32 kernels differ by {}", lc.stride, worst(&lb, &lc));
                assert!(worst(&la, &lb) < 0.03, "{w}x{h} stride {}: integer products differ by {}", lc.stride, worst(&la, &lb));
            }
        }
    }

    #[test]
    fn sampled_tiles_are_area_means() {
        // Pixels with bytes distinct enough that a wrong lane, row or column shows.
        let (w, h) = (157usize, 93usize);
        let data: Vec<u8> = (0..w * h * 4).map(|i| ((i * 7919) % 251) as u8).collect();
        let image = RgbaView::new(&data, w as u32, h as u32).unwrap();
        // Finer than 1/4 (every pixel summed) and coarser (at most 4 x 4 samples).
        for scale in [1.0f32, 0.6, 0.3125, 0.25, 0.21, 0.1] {
            let (lw, lh) = level_size(image, scale);
            let (tx, ty) = (lw / 5, lh / 4);
            let (tw, th) = (lw - tx, lh - ty - 1);
            let f = sample_tile(image, scale, (tx, ty, tw, th), &mut Scratch::default());
            let inv = 1.0 / scale;
            let span = |o: usize, n: usize| {
                let a = ((o as f32 * inv) as usize).min(n - 1);
                (a, (((o + 1) as f32 * inv) as usize).clamp(a + 1, n))
            };
            for y in 0..th {
                let (y0, y1) = span(ty + y, h);
                for x in 0..tw {
                    let (x0, x1) = span(tx + x, w);
                    // At most 4 x 4 samples per span, evenly strided.
                    let (mut sums, mut n) = ([0f32; 3], 0f32);
                    for sy in (y0..y1).step_by((y1 - y0).div_ceil(4)) {
                        for sx in (x0..x1).step_by((x1 - x0).div_ceil(4)) {
                            let px = image.pixel(sx as u32, sy as u32);
                            sums = core::array::from_fn(|c| sums[c] + f32::from(px[2 - c]));
                            n += 1.0;
                        }
                    }
                    let want = sums.map(|v| v / n);
                    let got: [f32; 3] = core::array::from_fn(|c| f.data[(y * tw + x) * 3 + c] + MEAN_BGR[c]);
                    assert!(got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-3), "scale {scale} at ({x}, {y}): {got:?} vs {want:?}");
                }
            }
        }
    }

    #[test]
    fn blank_image_has_no_faces() {
        let det = Detector::new().unwrap();
        let px = vec![128u8; 320 * 240 * 4];
        let view = RgbaView::new(&px, 320, 240).unwrap();
        assert!(det.detect(view, &DetectOptions::default()).is_empty());
    }
}
