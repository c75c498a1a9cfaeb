//! GIF: frames are counted; XMP (application extension "XMP DataXMP") is blanked in
//! place. XMP in GIF is raw text read as sub-blocks ending in a "magic trailer" that
//! terminates any chain of lengths, so replacing bytes by spaces keeps the file valid.

use super::bytes::{le16, u8_at};
use super::{xmp, Inspection};
use crate::error::ErrorCode;
use std::ops::Range;

struct Layout {
    frames: u32,
    /// (whole extension block, XMP bytes up to the block terminator)
    xmp: Vec<(Range<usize>, Range<usize>)>,
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
                    l.xmp.push((i..end, start..end - 1));
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
    for (_, r) in l.xmp {
        xmp::read(&d[r], ins);
    }
    Ok(())
}

pub(crate) fn strip(d: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    let l = layout(d)?;
    let mut out = d.to_vec();
    for (_, r) in &l.xmp {
        // The packet ends where its text ends; the trailer bytes are not text.
        let text_end = out[r.clone()].iter().rposition(|&c| c == b'>').map_or(r.start, |p| r.start + p + 1);
        xmp::blank_location(&mut out[r.start..text_end]);
    }
    // With a damaged magic trailer the edited text can re-chain the sub-blocks; then the
    // XMP blocks are dropped whole instead.
    let same = layout(&out).is_ok_and(|o| o.frames == l.frames && o.xmp.iter().map(|x| &x.0).eq(l.xmp.iter().map(|x| &x.0)));
    if !same {
        out.clear();
        let mut last = 0;
        for (block, _) in &l.xmp {
            out.extend_from_slice(&d[last..block.start]);
            last = block.end;
        }
        out.extend_from_slice(&d[last..]);
    }
    Ok(out)
}
