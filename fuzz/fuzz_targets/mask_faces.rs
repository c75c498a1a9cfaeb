#![no_main]
//! `mask_faces` with arbitrary sizes, boxes (NaN and infinities included) and seeds:
//! never panics, and alpha plus every pixel outside the expanded boxes are unchanged.
use before_you_post::mask::{expanded_boxes, mask_faces, MaskBox};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 10 {
        return;
    }
    let (w, h) = (u32::from(data[0] % 64), u32::from(data[1] % 64));
    let seed = u64::from_le_bytes(data[2..10].try_into().unwrap());
    let f = |b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let boxes: Vec<MaskBox> =
        data[10..].chunks_exact(16).map(|c| MaskBox { x: f(&c[0..]), y: f(&c[4..]), w: f(&c[8..]), h: f(&c[12..]) }).collect();
    // Mismatched buffers are part of the input space too.
    let len = if data[0] & 0x80 != 0 { (w * h * 4) as usize + 1 } else { (w * h * 4) as usize };
    let src: Vec<u8> = (0..len).map(|i| (i * 31 % 253) as u8).collect();
    let mut px = src.clone();
    let Ok(()) = mask_faces(&mut px, w, h, &boxes, seed) else {
        assert_eq!(px, src, "an error must leave the pixels untouched");
        return;
    };
    let rects = expanded_boxes(&boxes, w, h).unwrap();
    for y in 0..h {
        for x in 0..w {
            let i = ((y * w + x) * 4) as usize;
            assert_eq!(px[i + 3], src[i + 3]);
            if !rects.iter().any(|r| x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h) {
                assert_eq!(px[i..i + 4], src[i..i + 4]);
            }
        }
    }
});
