//! GIF: frames are counted; XMP (application extension "XMP DataXMP") is blanked in
//! place. XMP in GIF is raw text read as sub-blocks ending in a "magic trailer" that
//! terminates any chain of lengths, so replacing bytes by spaces keeps the file valid.

use super::bytes::{le16, u8_at};
use super::{xmp, Inspection};
use crate::error::ErrorCode;
use std::ops::Range;

struct Layout {
    frames: u32,
    xmp: Vec<Range<usize>>,
}

/// Skips sub-blocks from `i`; returns the index after the terminator.
fn sub_blocks(d: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let n = usize::from(u8_at(d, i)?);
        i += 1 + n;
        if n == 0 {
            return Some(i);
        }
    }
}

fn layout(d: &[u8]) -> Result<Layout, ErrorCode> {
    let packed = u8_at(d, 10).ok_or(ErrorCode::CorruptFile)?;
    let mut i = 13;
    if packed & 0x80 != 0 {
        i += 3 << ((packed & 7) + 1);
    }
    let mut l = Layout { frames: 0, xmp: Vec::new() };
    // A truncated GIF still shows its complete frames, so truncation after one is accepted.
    let cut = |l: Layout| if l.frames > 0 { Ok(l) } else { Err(ErrorCode::CorruptFile) };
    loop {
        match u8_at(d, i) {
            Some(0x3B) => return Ok(l),
            Some(0x21) => {
                let Some(label) = u8_at(d, i + 1) else { return cut(l) };
                let body = i + 2;
                if label == 0xFF && d.get(body + 1..body + 12) == Some(b"XMP DataXMP") {
                    let start = body + 12;
                    let Some(end) = sub_blocks(d, start) else { return cut(l) };
                    l.xmp.push(start..end - 1);
                    i = end;
                } else {
                    let Some(end) = sub_blocks(d, body) else { return cut(l) };
                    i = end;
                }
            }
            Some(0x2C) => {
                let Some(p) = u8_at(d, i + 9) else { return cut(l) };
                let mut j = i + 10;
                if p & 0x80 != 0 {
                    j += 3 << ((p & 7) + 1);
                }
                // LZW minimum code size, then the image data sub-blocks.
                let Some(end) = sub_blocks(d, j + 1) else { return cut(l) };
                l.frames += 1;
                i = end;
            }
            _ => return cut(l),
        }
    }
}

pub(crate) fn inspect(d: &[u8], ins: &mut Inspection) -> Result<(), ErrorCode> {
    let (w, h) = (le16(d, 6).ok_or(ErrorCode::CorruptFile)?, le16(d, 8).ok_or(ErrorCode::CorruptFile)?);
    let l = layout(d)?;
    ins.set_size(u32::from(w), u32::from(h));
    ins.animated = l.frames > 1;
    ins.lossless = true;
    ins.bits_per_channel = Some(8);
    for r in l.xmp {
        xmp::read(&d[r], ins);
    }
    Ok(())
}

pub(crate) fn strip(d: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    let l = layout(d)?;
    let mut out = d.to_vec();
    for r in l.xmp {
        // The packet ends where its text ends; the trailer bytes are not text.
        let text_end = out[r.clone()].iter().rposition(|&c| c == b'>').map_or(r.start, |p| r.start + p + 1);
        let x = &mut out[r.start..text_end];
        xmp::blank_location(x);
        // Blanking never writes a zero byte, which would end the sub-block chain early.
        debug_assert!(!x.contains(&0));
    }
    Ok(out)
}
