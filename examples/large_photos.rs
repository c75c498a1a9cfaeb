//! Native speed on 3-6 MP, phone-sized (12 MP) and 48 MP photos: `cargo run --release --example large_photos`.
//!
//! Upscales the demo's samples (redistributable, see extension/samples/LICENSES.md) to 3, 6
//! and 12 MP in both orientations and to 48 MP, and prints faces found and the fastest of 2 runs. The
//! upscaled photos are soft, so they also show false faces the fine level finds in textures.
use before_you_post::detect::{DetectOptions, Detector};
use before_you_post::raster::RgbaView;
use image::imageops::{resize, FilterType};

fn main() {
    let detector = Detector::new().expect("model");
    let sample = |name: &str| image::open(format!("{}/extension/samples/{name}", env!("CARGO_MANIFEST_DIR"))).expect(name).to_rgba8();
    for (name, w, h) in [("group.jpg", 2048, 1536), ("hopper.jpg", 2000, 3000), ("group.jpg", 4032, 3024), ("hopper.jpg", 3024, 4032), ("group.jpg", 8000, 6000)] {
        let photo = resize(&sample(name), w, h, FilterType::Triangle);
        let view = RgbaView::new(photo.as_raw(), w, h).expect("view");
        let mut best = f64::INFINITY;
        let mut faces = 0;
        for _ in 0..2 {
            let t = std::time::Instant::now();
            faces = detector.detect(view, &DetectOptions::default()).len();
            best = best.min(t.elapsed().as_secs_f64() * 1e3);
        }
        println!("{name} at {w}x{h} ({:.0} MP): {faces} faces, {best:.0} ms", (w * h) as f64 / 1e6);
    }
}
