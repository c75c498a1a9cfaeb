//! The wasm boundary in headless Chromium: typed arrays in, plain objects out, errors as
//! `{ code }`. Run with `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target
//! wasm32-unknown-unknown --test wasm_boundary` (the test command does this).
#![cfg(target_arch = "wasm32")]

use before_you_post::wasm::{
    analyze_pixels, analyze_rgba, detection_size, engine_info, inspect_file, mask_face_in_region, mask_faces, masked_boxes, strip_location, video_frame_size, video_sample_times, JsVideoFrames, JsVideoReader,
    Pixels,
};
use js_sys::{Array, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

#[wasm_bindgen_test]
fn engine_info_reports_model_checksum_and_simd() {
    let info = engine_info().unwrap();
    let sha = get(&get(&info, "model"), "sha256").as_string().unwrap();
    assert_eq!(sha, before_you_post::detect::weights::MODEL_SHA256);
    assert_eq!(get(&info, "simd128").as_bool(), Some(true));
}

#[wasm_bindgen_test]
fn astronaut_photo_gives_one_face_and_a_warning() {
    let img = image::load_from_memory(include_bytes!("fixtures/photos/astronaut.png")).unwrap().to_rgba8();
    let result = analyze_rgba(img.as_raw(), img.width(), img.height(), JsValue::UNDEFINED).unwrap();
    let faces = Array::from(&get(&result, "faces"));
    assert_eq!(faces.length(), 1);
    let face = faces.get(0);
    assert_eq!(get(&face, "grade").as_string().as_deref(), Some("high"));
    assert_eq!(Array::from(&get(&face, "landmarks")).length(), 5);
    assert_eq!(get(&get(&result, "verdict"), "warn").as_bool(), Some(true));
}

#[wasm_bindgen_test]
fn options_are_read_and_location_alone_warns() {
    let px = vec![90u8; 64 * 64 * 4];
    let opts = js_sys::JSON::parse(r#"{"has_location": true, "policy": {"sensitivity": "any_face"}}"#).unwrap();
    let result = analyze_rgba(&px, 64, 64, opts).unwrap();
    assert_eq!(Array::from(&get(&result, "faces")).length(), 0);
    let reasons = Array::from(&get(&get(&result, "verdict"), "reasons"));
    assert_eq!(reasons.get(0).as_string().as_deref(), Some("location"));
}

#[wasm_bindgen_test]
fn bad_input_throws_a_stable_code() {
    let cases: [(&[u8], u32, u32, &str); 3] =
        [(&[0; 3], 1, 1, "buffer_size_mismatch"), (&[], 0, 5, "empty_image"), (&[], 20_000, 20_000, "image_too_large")];
    for (px, w, h, code) in cases {
        let err = analyze_rgba(px, w, h, JsValue::UNDEFINED).unwrap_err();
        assert_eq!(get(&err, "code").as_string().as_deref(), Some(code));
    }
    let bad = js_sys::JSON::parse(r#"{"policy": {"sensitivity": "sometimes"}}"#).unwrap();
    let err = analyze_rgba(&[0; 4], 1, 1, bad).unwrap_err();
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("bad_options"));
}

#[wasm_bindgen_test]
fn metadata_is_read_and_location_stripped_across_the_boundary() {
    let tagged = include_bytes!("fixtures/meta/tagged.jpg");
    let info = inspect_file(tagged).unwrap();
    assert_eq!(get(&info, "has_location").as_bool(), Some(true));
    assert_eq!(get(&info, "make").as_string().as_deref(), Some("Canon"));
    assert!((get(&get(&info, "location"), "latitude").as_f64().unwrap() - 48.8584).abs() < 1e-6);
    let stripped = strip_location(tagged).unwrap();
    let after = inspect_file(&stripped).unwrap();
    assert_eq!(get(&after, "has_location").as_bool(), Some(false));
    assert_eq!(get(&after, "orientation").as_f64(), Some(6.0));
    for (bytes, code) in [(&b""[..], "empty_file"), (&b"hello, not an image"[..], "unsupported_format")] {
        let err = inspect_file(bytes).unwrap_err();
        assert_eq!(get(&err, "code").as_string().as_deref(), Some(code));
    }
}

#[wasm_bindgen_test]
fn a_video_is_read_through_windows_and_its_location_edited_out() {
    let clip: &[u8] = include_bytes!("fixtures/video/keys.mov");
    let mut r = JsVideoReader::new(clip.len() as f64).unwrap();
    loop {
        let w = r.want().unwrap();
        if w.is_null() {
            break;
        }
        let (start, end) = (get(&w, "start").as_f64().unwrap() as usize, get(&w, "end").as_f64().unwrap() as usize);
        r.feed(start as f64, &clip[start..end]).unwrap();
    }
    let info = r.inspection().unwrap();
    assert_eq!(get(&info, "format").as_string().as_deref(), Some("mov"));
    let sources = Array::from(&get(&info, "location_sources"));
    assert_eq!((sources.length(), sources.get(0).as_string().as_deref()), (1, Some("quicktime_keys")));
    assert!((get(&get(&info, "location"), "latitude").as_f64().unwrap() - 48.8584).abs() < 1e-6);
    let mut edited = clip.to_vec();
    let edits = r.location_edits().unwrap();
    assert!(edits.length() > 0);
    for e in edits.iter() {
        let at = get(&e, "offset").as_f64().unwrap() as usize;
        let bytes = js_sys::Uint8Array::new(&get(&e, "bytes")).to_vec();
        edited[at..at + bytes.len()].copy_from_slice(&bytes);
    }
    assert_eq!(get(&inspect_file(&edited).unwrap(), "has_location").as_bool(), Some(false));
    let err = JsVideoReader::new(0.0).err().unwrap();
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("empty_file"));
    let err = JsVideoReader::new(-1.0).err().unwrap();
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("bad_options"));
}

#[wasm_bindgen_test]
fn a_videos_frames_are_tallied_from_their_analyses_and_decided_in_the_engine() {
    assert_eq!(video_sample_times(0.0, 3.0), vec![0.0, 1.0, 2.0, 3.0]);
    assert_eq!(get(&video_frame_size(3840, 2160).unwrap(), "width").as_f64(), Some(1920.0));
    let img = image::load_from_memory(include_bytes!("fixtures/photos/astronaut.png")).unwrap().to_rgba8();
    let face = analyze_rgba(img.as_raw(), img.width(), img.height(), JsValue::UNDEFINED).unwrap();
    let empty = analyze_rgba(&vec![90u8; 64 * 64 * 4], 64, 64, JsValue::UNDEFINED).unwrap();
    let mut tally = JsVideoFrames::new(JsValue::UNDEFINED).unwrap();
    // The first frame stands for the video until a face is found; then it gives way.
    assert_eq!(get(&tally.add_frame(0.0, empty.clone()).unwrap(), "keep").as_bool(), Some(true));
    let k = tally.add_frame(1.0, face).unwrap();
    assert_eq!(get(&k, "keep").as_bool(), Some(true));
    assert_eq!(Array::from(&get(&k, "drop")).get(0).as_f64(), Some(0.0));
    tally.add_frame(2.0, empty).unwrap();
    let v = tally.verdict(true, true, true, 512, 512).unwrap();
    let verdict = get(&v, "verdict");
    assert_eq!(get(&verdict, "warn").as_bool(), Some(true));
    assert_eq!(get(&verdict, "counted_faces").as_f64(), Some(1.0));
    let reasons: Vec<String> = Array::from(&get(&verdict, "reasons")).iter().filter_map(|r| r.as_string()).collect();
    assert_eq!(reasons, vec!["recognisable_face", "location"]);
    assert_eq!(Array::from(&get(&v, "faces")).length(), 0);
    assert_eq!(get(&v, "frames_sampled").as_f64(), Some(3.0));
    let span = Array::from(&get(&v, "spans")).get(0);
    assert_eq!((get(&span, "start").as_f64(), get(&span, "end").as_f64()), (Some(1.0), Some(1.0)));
    assert_eq!(get(&span, "grade").as_string().as_deref(), Some("high"));
    let err = tally.add_frame(3.0, JsValue::from_str("not an analysis")).err().unwrap();
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("bad_options"));
}

#[wasm_bindgen_test]
fn faces_are_masked_in_place_only_inside_their_boxes() {
    let (w, h) = (64u32, 64u32);
    let mut px: Vec<u8> = (0..w * h * 4).map(|i| (i % 251) as u8).collect();
    let before = px.clone();
    let boxes = js_sys::JSON::parse(r#"[{"x": 20, "y": 20, "w": 16, "h": 16}]"#).unwrap();
    mask_faces(&mut px, w, h, boxes.clone(), 1, 2).unwrap();
    let rect = Array::from(&masked_boxes(w, h, boxes).unwrap()).get(0);
    let (rx, ry) = (get(&rect, "x").as_f64().unwrap() as u32, get(&rect, "y").as_f64().unwrap() as u32);
    let (rw, rh) = (get(&rect, "w").as_f64().unwrap() as u32, get(&rect, "h").as_f64().unwrap() as u32);
    let mut changed_inside = 0;
    for y in 0..h {
        for x in 0..w {
            let i = ((y * w + x) * 4) as usize;
            let inside = x >= rx && x < rx + rw && y >= ry && y < ry + rh;
            if inside {
                changed_inside += usize::from(px[i..i + 3] != before[i..i + 3]);
            } else {
                assert_eq!(px[i..i + 4], before[i..i + 4], "pixel {x},{y} outside the mask changed");
            }
        }
    }
    assert!(changed_inside as u32 > rw * rh / 2, "only {changed_inside} pixels masked");
    let bad = js_sys::JSON::parse(r#"[{"x": 1}]"#).unwrap();
    let err = mask_faces(&mut px, w, h, bad, 0, 0).unwrap_err();
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("bad_options"));
}

#[wasm_bindgen_test]
fn pixels_written_into_the_engine_give_the_same_analysis_and_photo_sizes_map_faces() {
    let img = image::load_from_memory(include_bytes!("fixtures/photos/astronaut.png")).unwrap().to_rgba8();
    let (w, h) = img.dimensions();
    let mut pixels = Pixels::new(w, h).unwrap();
    pixels.view().copy_from(img.as_raw());
    let result = analyze_pixels(&pixels, JsValue::UNDEFINED).unwrap();
    let direct = analyze_rgba(img.as_raw(), w, h, JsValue::UNDEFINED).unwrap();
    assert_eq!(js_sys::JSON::stringify(&result).unwrap(), js_sys::JSON::stringify(&direct).unwrap());
    // The same pixels said to be a copy of a photo twice as large: faces come back in its pixels.
    let opts = js_sys::JSON::parse(&format!(r#"{{"photo": {{"width": {}, "height": {}}}}}"#, w * 2, h * 2)).unwrap();
    let doubled = analyze_pixels(&pixels, opts).unwrap();
    assert_eq!(get(&doubled, "width").as_f64(), Some(f64::from(w * 2)));
    let bbox = |r: &JsValue| Array::from(&get(&Array::from(&get(r, "faces")).get(0), "bbox")).get(2).as_f64().unwrap();
    assert!((bbox(&doubled) / bbox(&direct) - 2.0).abs() < 1e-3);
    for (w, h, code) in [(0, 10, "empty_image"), (20_000, 20_000, "image_too_large")] {
        let err = Pixels::new(w, h).err().unwrap();
        assert_eq!(get(&err, "code").as_string().as_deref(), Some(code));
    }
    let size = detection_size(8000, 6000).unwrap();
    let (dw, dh) = (get(&size, "width").as_f64().unwrap(), get(&size, "height").as_f64().unwrap());
    assert!(dw >= 4800.0 && dh >= 3600.0 && dw * dh <= before_you_post::detect::DETECTION_PIXEL_BUDGET);
}

#[wasm_bindgen_test]
fn a_face_masked_in_its_region_only_changes_that_region() {
    let (w, h) = (64u32, 64u32);
    let face = js_sys::JSON::parse(r#"{"x": 20, "y": 20, "w": 16, "h": 16}"#).unwrap();
    let rect = Array::from(&masked_boxes(w, h, Array::of1(&face).into()).unwrap()).get(0);
    let (rw, rh) = (get(&rect, "w").as_f64().unwrap() as u32, get(&rect, "h").as_f64().unwrap() as u32);
    let mut region: Vec<u8> = (0..rw * rh * 4).map(|i| (i % 251) as u8).collect();
    let before = region.clone();
    mask_face_in_region(&mut region, rect.clone(), w, h, face.clone(), 1, 2).unwrap();
    assert_ne!(region, before);
    // A region that does not hold the face's masked box is refused, not written past.
    let small = js_sys::JSON::parse(r#"{"x": 0, "y": 0, "w": 8, "h": 8}"#).unwrap();
    let err = mask_face_in_region(&mut [0; 8 * 8 * 4], small, w, h, face, 1, 2).unwrap_err();
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("invalid_box"));
}
