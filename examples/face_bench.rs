//! Accuracy and native speed of the detector and the decision function on a labelled folder.
//!
//! `cargo run --release --example face_bench -- [FOLDER]` (default: ../shared/face-bench).
//! FOLDER holds manifest.json in the face-bench format. Prints recall by face-width band,
//! then, as its LAST line, one JSON object: hit_rate_64, recall_40, false_alarm_no_face,
//! false_alarm_hard_negative, median_ms, images.
//!
//! `FACE_BENCH_WHOLE=1` runs the fine level whole, without the probe pass, for comparison.
//! `FACE_BENCH_SCALED=1` detects as the extension does: in a copy resized (bilinear, like the
//! browser's createImageBitmap resize) to `detection_size`, faces mapped back to the photo.
//! `FACE_BENCH_TIMES=FILE` writes each photo's time to FILE (JSON), as the browser bench does.
//! `FACE_BENCH_PER_IMAGE=FILE` writes each photo's figures to FILE (JSON: time, labelled faces
//! >= 40 px and how many were found, unmatched detections, the warning), for comparing two
//! builds photo by photo and for cross-validating a tuned rule (`tests/tools/cv_rule.py`).
//!
//! With `FACE_BENCH_MISSES=1`, also lists (on stderr) every image that fails hit_rate_64: its
//! size, its largest labelled face, and the detection overlapping that face best, both among
//! the kept detections and with the score threshold lowered to 0.05 (outside the timing).
use before_you_post::decide::{decide, Policy};
use before_you_post::detect::{detection_size, iou, DetectOptions, Detector};
use before_you_post::grade::grade;
use before_you_post::raster::RgbaView;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Instant;

const MATCH_IOU: f32 = 0.4;
const BANDS: [(f32, f32, &str); 6] =
    [(0.0, 16.0, "<16"), (16.0, 32.0, "16-32"), (32.0, 64.0, "32-64"), (64.0, 128.0, "64-128"), (128.0, 256.0, "128-256"), (256.0, f32::INFINITY, ">=256")];

fn boxes(v: &Value) -> Vec<[f32; 4]> {
    v.as_array()
        .map(|a| a.iter().filter_map(|b| b.as_array()).map(|b| core::array::from_fn(|i| b[i].as_f64().unwrap_or(0.0) as f32)).collect())
        .unwrap_or_default()
}

fn main() {
    let folder = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/face-bench"));
    let manifest: Value = serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).expect("read manifest.json")).expect("parse manifest.json");
    let detector = Detector::new().expect("load model");
    // FACE_BENCH_WHOLE=1: the fine level always whole, no probe pass (for comparison).
    let detector = if std::env::var_os("FACE_BENCH_WHOLE").is_some_and(|v| v != "0") { detector.without_probe() } else { detector };
    let opts = DetectOptions::default();
    let policy = Policy::default();
    let list_misses = std::env::var_os("FACE_BENCH_MISSES").is_some_and(|v| v != "0");
    let scaled = std::env::var_os("FACE_BENCH_SCALED").is_some_and(|v| v != "0");
    let low_opts = DetectOptions { score_threshold: 0.05, ..DetectOptions::default() };

    let (mut band_hit, mut band_total) = ([0usize; 6], [0usize; 6]);
    let (mut r40_hit, mut r40_total, mut img64_hit, mut img64_total) = (0, 0, 0, 0);
    let (mut fa_nf, mut n_nf, mut fa_hn, mut n_hn) = (0, 0, 0, 0);
    let (mut false_dets, mut face_imgs, mut face_warned) = (0usize, 0usize, 0usize);
    let mut times = Vec::new();
    let mut per_photo = serde_json::Map::new();
    let mut per_image = serde_json::Map::new();
    // Box convention check (with FACE_BENCH_MISSES): for matched faces >= 40 px, detection
    // centre offset relative to the labelled size, and log size ratios.
    let mut bias: [Vec<f32>; 4] = Default::default();
    let mut images = 0;
    for entry in manifest["images"].as_array().expect("images array") {
        let category = entry["category"].as_str().unwrap_or("");
        if category == "ambiguous" {
            continue;
        }
        let file = entry["file"].as_str().expect("file");
        let img = match image::open(folder.join(file)) {
            Ok(i) => i.to_rgba8(),
            Err(e) => {
                eprintln!("skip {file}: {e}");
                continue;
            }
        };
        images += 1;
        let (w, h) = img.dimensions();
        let t = Instant::now();
        let dets = match detection_size(w, h) {
            (dw, dh) if scaled && (dw, dh) != (w, h) => {
                let small = image::imageops::resize(&img, dw, dh, image::imageops::FilterType::Triangle);
                let (sx, sy) = (w as f32 / dw as f32, h as f32 / dh as f32);
                let found = detector.detect(RgbaView::new(small.as_raw(), dw, dh).expect("view"), &opts.scaled(1.0 / sx));
                found.iter().map(|d| d.scaled(sx, sy)).collect()
            }
            _ => detector.detect(RgbaView::new(img.as_raw(), w, h).expect("view"), &opts),
        };
        let reports: Vec<_> = dets.iter().map(grade).collect();
        let verdict = decide(&reports, false, &policy);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        per_photo.insert(file.to_string(), Value::from(*times.last().unwrap()));

        let mut record = serde_json::json!({ "category": category, "ms": times.last().unwrap(), "warn": verdict.warn, "detections": dets.len() });
        match category {
            "no_face" => {
                n_nf += 1;
                fa_nf += verdict.warn as usize;
                if verdict.warn {
                    eprintln!("false alarm (no_face): {file} {:?}", reports.iter().map(|r| (r.score, r.bbox)).collect::<Vec<_>>());
                }
            }
            "hard_negative" => {
                n_hn += 1;
                fa_hn += verdict.warn as usize;
                if verdict.warn {
                    eprintln!("false alarm (hard_negative): {file}");
                }
            }
            _ => {
                face_imgs += 1;
                face_warned += verdict.warn as usize;
                let faces = boxes(&entry["faces"]);
                let ignore = boxes(&entry["ignore"]);
                // Greedy one-to-one matching, strongest detection first (dets are sorted).
                let unmatched_before = false_dets;
                let mut matched = vec![false; faces.len()];
                for d in &dets {
                    let best = faces.iter().enumerate().filter(|(i, _)| !matched[*i]).map(|(i, f)| (i, iou(&d.bbox, f))).max_by(|a, b| a.1.total_cmp(&b.1));
                    match best {
                        Some((i, v)) if v >= MATCH_IOU => {
                            matched[i] = true;
                            let f = faces[i];
                            if list_misses && f[2] >= 40.0 {
                                let b = d.bbox;
                                bias[0].push((b[0] + b[2] / 2.0 - f[0] - f[2] / 2.0) / f[2]);
                                bias[1].push((b[1] + b[3] / 2.0 - f[1] - f[3] / 2.0) / f[3]);
                                bias[2].push((b[2] / f[2]).ln());
                                bias[3].push((b[3] / f[3]).ln());
                            }
                        }
                        _ => {
                            if !ignore.iter().any(|g| iou(&d.bbox, g) >= MATCH_IOU) && !faces.iter().any(|f| iou(&d.bbox, f) >= MATCH_IOU) {
                                false_dets += 1;
                            }
                        }
                    }
                }
                let (mut faces40, mut found40) = (0, 0);
                for (f, &m) in faces.iter().zip(&matched) {
                    if f[2] >= 40.0 {
                        faces40 += 1;
                        found40 += m as usize;
                    }
                    let b = BANDS.iter().position(|&(lo, hi, _)| f[2] >= lo && f[2] < hi).unwrap();
                    band_total[b] += 1;
                    band_hit[b] += m as usize;
                    if f[2] >= 40.0 {
                        r40_total += 1;
                        r40_hit += m as usize;
                    }
                }
                record["faces40"] = faces40.into();
                record["found40"] = found40.into();
                record["unmatched"] = (false_dets - unmatched_before).into();
                if faces.iter().any(|f| f[2] >= 64.0) {
                    img64_total += 1;
                    let hit = matched.iter().any(|&m| m);
                    img64_hit += hit as usize;
                    if list_misses && !hit {
                        let largest = faces.iter().max_by(|a, b| a[2].total_cmp(&b[2])).unwrap();
                        // Best overlap with the largest face: (IoU, score, box).
                        let best = |ds: &[before_you_post::detect::Detection]| {
                            ds.iter().map(|d| (iou(&d.bbox, largest), d.score, d.bbox)).max_by(|a, b| a.0.total_cmp(&b.0))
                        };
                        let low = detector.detect(RgbaView::new(img.as_raw(), w, h).expect("view"), &low_opts);
                        eprintln!(
                            "miss64: {file} {w}x{h} faces={} largest={largest:?} kept={} best_kept={:?} best_at_0.05={:?}",
                            faces.len(),
                            dets.len(),
                            best(&dets),
                            best(&low)
                        );
                    }
                }
            }
        }
        per_image.insert(file.to_string(), record);
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    println!("recall by face width (IoU >= {MATCH_IOU}):");
    for (i, &(_, _, name)) in BANDS.iter().enumerate() {
        println!("  {name:>8} px: {:6.1}% ({}/{})", 100.0 * ratio(band_hit[i], band_total[i]), band_hit[i], band_total[i]);
    }
    println!("unmatched detections on face images: {false_dets} over {face_imgs} images");
    // The recall figures count detections; this counts what the user sees.
    println!("face images that warn: {face_warned} of {face_imgs}");
    if list_misses {
        let median = |v: &mut Vec<f32>| {
            v.sort_by(f32::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(0.0)
        };
        let [dx, dy, lw, lh] = &mut bias;
        eprintln!(
            "box bias over {} matched faces >= 40 px (median): centre dx {:+.3} w, dy {:+.3} h; width x{:.3}, height x{:.3}",
            dx.len(),
            median(dx),
            median(dy),
            median(lw).exp(),
            median(lh).exp()
        );
    }
    if let Some(path) = std::env::var_os("FACE_BENCH_PER_IMAGE") {
        std::fs::write(path, serde_json::to_string_pretty(&per_image).unwrap()).expect("write FACE_BENCH_PER_IMAGE");
    }
    if let Some(path) = std::env::var_os("FACE_BENCH_TIMES") {
        std::fs::write(path, serde_json::to_string_pretty(&per_photo).unwrap()).expect("write FACE_BENCH_TIMES");
    }
    times.sort_by(f64::total_cmp);
    let percentile = |p: usize| times.get(times.len() * p / 100).copied().unwrap_or(0.0);
    let (median, p95) = (percentile(50), percentile(95));
    println!("native time per image: median {median:.1} ms, p95 {p95:.1} ms, max {:.1} ms", times.last().copied().unwrap_or(0.0));
    // The probe makes the times bimodal (photos it settles alone vs. crowds), so the deciles.
    let deciles: Vec<String> = (1..10).map(|i| format!("{:.0}", percentile(i * 10))).collect();
    println!("  deciles (ms): {}", deciles.join(" "));
    println!(
        "{}",
        serde_json::json!({
            "hit_rate_64": ratio(img64_hit, img64_total),
            "recall_40": ratio(r40_hit, r40_total),
            "false_alarm_no_face": ratio(fa_nf, n_nf),
            "false_alarm_hard_negative": ratio(fa_hn, n_hn),
            "median_ms": (median * 10.0).round() / 10.0,
            "images": images,
        })
    );
}
