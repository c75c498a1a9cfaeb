//! WebP: RIFF chunks. EXIF and XMP chunks are edited in place, so RIFF sizes and VP8X
//! flags stay consistent and the image chunks are untouched.

use super::bytes::{get, le16, le32};
use super::{tiff, xmp, Inspection};
use crate::error::ErrorCode;
use std::ops::Range;

struct Chunk {
    kind: [u8; 4],
    data: Range<usize>,
}

fn chunks(d: &[u8]) -> Result<Vec<Chunk>, ErrorCode> {
    let riff = le32(d, 4).ok_or(ErrorCode::CorruptFile)? as usize;
    let end = riff.checked_add(8).ok_or(ErrorCode::CorruptFile)?.min(d.len());
    let mut out = Vec::new();
    let mut i = 12;
    while i + 8 <= end {
        let kind = [d[i], d[i + 1], d[i + 2], d[i + 3]];
        let len = le32(d, i + 4).ok_or(ErrorCode::CorruptFile)? as usize;
        let start = i + 8;
        let stop = start.checked_add(len).filter(|&e| e <= d.len()).ok_or(ErrorCode::CorruptFile)?;
        out.push(Chunk { kind, data: start..stop });
        i = stop + (len & 1);
    }
    if out.is_empty() {
        return Err(ErrorCode::CorruptFile);
    }
    Ok(out)
}

fn exif_tiff_offset(p: &[u8]) -> usize {
    if p.starts_with(b"Exif\0\0") {
        6
    } else {
        0
    }
}

pub(crate) fn inspect(d: &[u8], ins: &mut Inspection) -> Result<(), ErrorCode> {
    let cs = chunks(d)?;
    let mut sized = false;
    ins.bits_per_channel = Some(8);
    for (n, c) in cs.iter().enumerate() {
        let p = &d[c.data.clone()];
        match &c.kind {
            b"VP8X" if n == 0 => {
                let flags = *p.first().ok_or(ErrorCode::CorruptFile)?;
                let w = get(p, 4, 3).ok_or(ErrorCode::CorruptFile)?;
                let h = get(p, 7, 3).ok_or(ErrorCode::CorruptFile)?;
                let u24 = |b: &[u8]| u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
                ins.set_size(u24(w) + 1, u24(h) + 1);
                ins.animated = flags & 0x02 != 0;
                sized = true;
            }
            b"VP8 " if !sized => {
                if get(p, 3, 3) != Some(&[0x9D, 0x01, 0x2A][..]) {
                    return Err(ErrorCode::CorruptFile);
                }
                let w = le16(p, 6).ok_or(ErrorCode::CorruptFile)? & 0x3FFF;
                let h = le16(p, 8).ok_or(ErrorCode::CorruptFile)? & 0x3FFF;
                ins.set_size(u32::from(w), u32::from(h));
                sized = true;
            }
            b"VP8L" if !sized => {
                if p.first() != Some(&0x2F) {
                    return Err(ErrorCode::CorruptFile);
                }
                let bits = le32(p, 1).ok_or(ErrorCode::CorruptFile)?;
                ins.set_size((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
                ins.lossless = true;
                sized = true;
            }
            b"VP8L" => ins.lossless = true,
            b"ANMF" => ins.animated |= cs.iter().filter(|c| &c.kind == b"ANMF").count() > 1,
            b"EXIF" => tiff::read_exif(&p[exif_tiff_offset(p)..], ins),
            b"XMP " => xmp::read(p, ins),
            _ => {}
        }
    }
    if !sized {
        return Err(ErrorCode::CorruptFile);
    }
    Ok(())
}

pub(crate) fn strip(d: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    let cs = chunks(d)?;
    let mut out = d.to_vec();
    for c in cs {
        let p = &mut out[c.data];
        match &c.kind {
            b"EXIF" => {
                let skip = exif_tiff_offset(p);
                tiff::strip_gps(&mut p[skip..]);
            }
            b"XMP " => {
                xmp::blank_location(p);
            }
            _ => {}
        }
    }
    Ok(out)
}
