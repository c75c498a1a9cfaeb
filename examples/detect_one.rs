//! Prints the detections for one photo as JSON: `cargo run --release --example detect_one -- PHOTO [MIN_FACE]`.
use before_you_post::detect::{DetectOptions, Detector};
use before_you_post::raster::RgbaView;

fn main() {
    let path = std::env::args().nth(1).expect("usage: detect_one PHOTO [MIN_FACE] [COARSE_SIDE]");
    let mut opts = DetectOptions::default();
    if let Some(m) = std::env::args().nth(2) {
        opts.min_face = m.parse().expect("MIN_FACE");
    }
    if let Some(c) = std::env::args().nth(3) {
        opts.coarse_side = c.parse().expect("COARSE_SIDE");
    }
    let img = image::open(&path).expect("decode").to_rgba8();
    let (w, h) = img.dimensions();
    let det = Detector::new().expect("model");
    let t = std::time::Instant::now();
    let faces = det.detect(RgbaView::new(img.as_raw(), w, h).unwrap(), &opts);
    eprintln!("{} faces in {:.1} ms ({}x{})", faces.len(), t.elapsed().as_secs_f64() * 1e3, w, h);
    println!("{}", serde_json::to_string(&faces).unwrap());
}
