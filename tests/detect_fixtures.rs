//! The detector, grading and decision on real, redistributable photos (tests/fixtures/photos).
//! The same tests run natively (`cargo test`) and as wasm in headless Chromium (`cargo test
//! --target wasm32-unknown-unknown --test detect_fixtures`, run by the test command).
use before_you_post::decide::{Policy, WarnReason};
use before_you_post::detect::{iou, DetectOptions, Detector};
use before_you_post::grade::Grade;
use before_you_post::raster::RgbaView;
use before_you_post::{analyze, Analysis};
use image::{imageops, RgbaImage};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Photos are embedded, so the wasm build (which has no file system) reads the same bytes.
fn photo(name: &str) -> RgbaImage {
    let bytes: &[u8] = match name {
        "astronaut.png" => include_bytes!("fixtures/photos/astronaut.png"),
        "camera.png" => include_bytes!("fixtures/photos/camera.png"),
        "coffee.png" => include_bytes!("fixtures/photos/coffee.png"),
        "rocket.jpg" => include_bytes!("fixtures/photos/rocket.jpg"),
        "chelsea.png" => include_bytes!("fixtures/photos/chelsea.png"),
        _ => panic!("no fixture {name}"),
    };
    image::load_from_memory(bytes).expect(name).to_rgba8()
}

fn run(img: &RgbaImage) -> Analysis {
    let det = Detector::new().unwrap();
    let view = RgbaView::new(img.as_raw(), img.width(), img.height()).unwrap();
    analyze(&det, view, false, &DetectOptions::default(), &Policy::default())
}

#[test]
fn astronaut_portrait_is_one_highly_recognisable_face() {
    let a = run(&photo("astronaut.png"));
    assert_eq!(a.faces.len(), 1, "{:?}", a.faces);
    let f = &a.faces[0];
    // Face of Eileen Collins, measured by hand on the photo: about x 180-272, y 60-175.
    assert!(iou(&f.bbox, &[180.0, 60.0, 92.0, 115.0]) > 0.6, "{:?}", f.bbox);
    assert!(f.score > 0.99);
    let [le, re, nose, ml, mr] = f.landmarks;
    assert!(le[0] < nose[0] && nose[0] < re[0] && ml[0] < mr[0] && nose[1] > le[1] && ml[1] > nose[1]);
    assert!((35.0..70.0).contains(&f.eye_distance), "{}", f.eye_distance);
    assert!(f.eyes_visible && f.yaw.abs() < 20.0 && f.roll.abs() < 10.0);
    assert_eq!(f.grade, Grade::High);
    assert!(a.verdict.warn);
    assert_eq!(a.verdict.reasons, vec![WarnReason::RecognisableFace]);
}

#[test]
fn grey_camera_man_is_found() {
    let a = run(&photo("camera.png"));
    assert_eq!(a.faces.len(), 1, "{:?}", a.faces);
    assert!(a.verdict.warn);
}

#[test]
fn photos_without_people_do_not_warn() {
    for name in ["coffee.png", "rocket.jpg", "chelsea.png"] {
        let a = run(&photo(name));
        assert!(!a.verdict.warn, "{name}: {:?}", a.faces);
    }
}

/// A 12 MP "group photo": the astronaut's face pasted at several sizes on a plain
/// background, checking the pyramid and tiles find small faces in large photos.
#[test]
fn small_faces_in_a_large_photo_are_found() {
    let src = photo("astronaut.png");
    let face = imageops::crop_imm(&src, 150, 30, 150, 170).to_image();
    let mut canvas = RgbaImage::from_pixel(4000, 3000, image::Rgba([120, 130, 140, 255]));
    // (x, y, width of the pasted crop); the face itself is ~60% of the crop's width.
    let placed = [(300, 400, 70), (1200, 2500, 90), (2000, 1000, 160), (3500, 300, 300), (1015, 1400, 100)];
    for &(x, y, w) in &placed {
        let h = w * 170 / 150;
        let scaled = imageops::resize(&face, w, h, imageops::FilterType::Triangle);
        imageops::overlay(&mut canvas, &scaled, x, y);
    }
    let a = run(&canvas);
    for &(x, y, w) in &placed {
        let hit = a.faces.iter().any(|f| {
            let (cx, cy) = (f.bbox[0] + f.bbox[2] / 2.0, f.bbox[1] + f.bbox[3] / 2.0);
            cx > x as f32 && cx < (x + w as i64) as f32 && cy > y as f32 && cy < (y as f32 + w as f32 * 1.13)
        });
        assert!(hit, "face at ({x},{y}) width {w} missed: {:?}", a.faces.iter().map(|f| f.bbox).collect::<Vec<_>>());
    }
    assert_eq!(a.faces.len(), placed.len(), "{:?}", a.faces.iter().map(|f| (f.bbox, f.score)).collect::<Vec<_>>());
}

#[test]
fn bad_buffers_are_errors_not_panics() {
    assert!(RgbaView::new(&[0; 10], 2, 2).is_err());
    assert!(RgbaView::new(&[], 0, 0).is_err());
    assert!(RgbaView::new(&[], 50_000, 50_000).is_err());
    // Extreme aspect ratios still run.
    let det = Detector::new().unwrap();
    for (w, h) in [(1, 1), (1, 3000), (3000, 1), (7, 5)] {
        let px = vec![200u8; (w * h * 4) as usize];
        let faces = det.detect(RgbaView::new(&px, w, h).unwrap(), &DetectOptions::default());
        assert!(faces.is_empty());
    }
}
