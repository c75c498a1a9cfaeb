//! Native speed of one network pass over the whole photo (no probe): `cargo run --release --example forward_speed -- [W] [H] [RUNS]`.
use before_you_post::detect::{DetectOptions, Detector};
use before_you_post::raster::RgbaView;

fn main() {
    let arg = |i: usize, d: u32| std::env::args().nth(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (w, h, runs) = (arg(1, 640), arg(2, 480), arg(3, 10));
    let px: Vec<u8> = (0..w * h * 4).map(|i| ((i * 2654435761u32) >> 24) as u8).collect();
    let det = Detector::new().unwrap().without_probe();
    let view = RgbaView::new(&px, w, h).unwrap();
    let opts = DetectOptions { coarse_side: w.max(h), ..DetectOptions::default() };
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = std::time::Instant::now();
            std::hint::black_box(det.detect(view, &opts));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("{w}x{h}: median {:.1} ms, min {:.1} ms over {runs} runs", times[runs as usize / 2], times[0]);
}
