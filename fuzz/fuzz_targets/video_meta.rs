#![no_main]
//! Videos on arbitrary bytes, through the window protocol: never panics, every window asked
//! for is inside the file, edits stay inside the file without overlapping, and a file with the
//! edits applied has no location left by the core's own reading.
use before_you_post::meta::video::{apply_edits, inspect_video, VideoReader};
use before_you_post::meta::{inspect, sniff, strip_location};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = VideoReader::new(data.len() as u64) else { return };
    while let Some(w) = r.want() {
        assert!(w.start <= w.end && w.end <= data.len() as u64, "window {w:?} outside {}", data.len());
        if r.feed(w.start, &data[w.start as usize..w.end as usize]).is_err() {
            break;
        }
    }
    let inspected = r.inspection();
    let Ok(edits) = r.location_edits() else {
        let _ = inspect(data);
        return;
    };
    assert!(inspected.is_ok());
    let out = apply_edits(data, &edits).expect("edits inside the file, not overlapping");
    assert_eq!(out.len(), data.len());
    let after = inspect_video(&out).expect("an edited file that was readable stays readable");
    assert!(!after.has_location, "location left: {:?}", after.location_sources);
    // The whole-file call agrees (when the file sniffs as a video there too: a few bytes can
    // also read as a TIFF or BMP header, which are sniffed first).
    if sniff(data).is_ok_and(|f| f.is_video()) {
        assert_eq!(strip_location(data), Ok(out));
    }
});
