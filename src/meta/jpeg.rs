//! JPEG: marker segments up to the first SOS. Metadata edits never touch the scan data.

use super::bytes::{be16, be32, find};
use super::{iptc, tiff, xmp, Inspection};
use crate::error::ErrorCode;
use std::ops::Range;

const EXIF: &[u8] = b"Exif\0\0";
const XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXT: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
const PHOTOSHOP: &[u8] = b"Photoshop 3.0\0";

struct Segment {
    marker: u8,
    /// From the 0xFF of the marker to the end of the payload.
    whole: Range<usize>,
    payload: Range<usize>,
}

/// The marker segments before the first SOS, and where that SOS starts.
fn segments(d: &[u8]) -> Result<(Vec<Segment>, usize), ErrorCode> {
    if !d.starts_with(&[0xFF, 0xD8]) {
        return Err(ErrorCode::CorruptFile);
    }
    let mut out = Vec::new();
    let mut i = 2;
    loop {
        if d.get(i) != Some(&0xFF) {
            return Err(ErrorCode::CorruptFile);
        }
        let start = i;
        while d.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *d.get(i).ok_or(ErrorCode::CorruptFile)?;
        i += 1;
        match marker {
            0x01 | 0xD0..=0xD7 => continue,
            0xD8 | 0xD9 => return Err(ErrorCode::CorruptFile),
            _ => {}
        }
        let len = usize::from(be16(d, i).ok_or(ErrorCode::CorruptFile)?);
        let end = i + len;
        if len < 2 || end > d.len() {
            return Err(ErrorCode::CorruptFile);
        }
        if marker == 0xDA {
            return Ok((out, start));
        }
        out.push(Segment { marker, whole: start..end, payload: i + 2..end });
        i = end;
    }
}

/// The IJG luminance table (JPEG Annex K); quality scales it.
const STD_LUMA: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87,
    80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92,
    95, 98, 112, 100, 103, 99,
];

/// libjpeg's quality from table 0: the table is the standard one scaled by S percent,
/// where S = 5000 / Q below 50 and 200 - 2Q above.
fn quality(table: &[u16; 64]) -> u8 {
    // Entries clamped to 1 or 255 carry no scale information.
    let ratios: Vec<f64> = table
        .iter()
        .zip(STD_LUMA.iter())
        .filter(|(&q, _)| q > 1 && q < 255)
        .map(|(&q, &s)| f64::from(q) * 100.0 / f64::from(s))
        .collect();
    if ratios.is_empty() {
        return if table.iter().all(|&v| v <= 1) { 100 } else { 1 };
    }
    let s = ratios.iter().sum::<f64>() / ratios.len() as f64;
    let q = if s <= 100.0 { (200.0 - s) / 2.0 } else { 5000.0 / s };
    q.round().clamp(1.0, 100.0) as u8
}

/// Natural (row-major) index of each coefficient in the zigzag order DQT uses.
const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35,
    42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// Table 0 (luminance by convention) in natural order.
fn luma_table(p: &[u8]) -> Option<[u16; 64]> {
    let mut i = 0;
    while i < p.len() {
        let (precision, id) = (p[i] >> 4, p[i] & 15);
        let size = if precision == 0 { 1 } else { 2 };
        let t = p.get(i + 1..i + 1 + 64 * size)?;
        if id == 0 {
            let mut out = [0u16; 64];
            for (k, &n) in ZIGZAG.iter().enumerate() {
                out[n] = if size == 1 { u16::from(t[k]) } else { u16::from_be_bytes([t[2 * k], t[2 * k + 1]]) };
            }
            return Some(out);
        }
        i += 1 + 64 * size;
    }
    None
}

pub(crate) fn inspect(d: &[u8], ins: &mut Inspection) -> Result<(), ErrorCode> {
    let (segs, sos) = segments(d)?;
    let mut frame = false;
    for s in &segs {
        let p = &d[s.payload.clone()];
        match s.marker {
            0xC0..=0xCF if !matches!(s.marker, 0xC4 | 0xC8 | 0xCC) => {
                let (Some(&bits), Some(h), Some(w), Some(&comps)) = (p.first(), be16(p, 1), be16(p, 3), p.get(5)) else {
                    return Err(ErrorCode::CorruptFile);
                };
                if !frame {
                    frame = true;
                    ins.set_size(u32::from(w), u32::from(h));
                    ins.bits_per_channel = Some(bits);
                    ins.cmyk = comps == 4;
                    ins.lossless = s.marker == 0xC3;
                }
            }
            0xDB if ins.jpeg_quality.is_none() => ins.jpeg_quality = luma_table(p).map(|t| quality(&t)),
            0xE1 | 0xED => read_app(s.marker, p, ins),
            _ => {}
        }
    }
    if !frame {
        return Err(ErrorCode::CorruptFile);
    }
    let ext: Vec<Range<usize>> = segs.iter().filter(|s| s.marker == 0xE1 && d[s.payload.clone()].starts_with(XMP_EXT)).map(|s| s.payload.clone()).collect();
    for (packet, _) in extended_packets(d, &ext) {
        xmp::read(&packet, ins);
    }
    // Location in JPEGs embedded after the primary image (MPF) is reported too, since
    // strip removes it there; their other fields (a gain map's camera) are not.
    let end = scan_end(d, sos);
    for (marker, r) in embedded_app_segments(&d[end..]) {
        let mut e = Inspection::default();
        read_app(marker, &d[end + r.start..end + r.end], &mut e);
        for s in e.location_sources {
            ins.add_location_source(s);
        }
    }
    Ok(())
}

fn read_app(marker: u8, p: &[u8], ins: &mut Inspection) {
    if marker == 0xED {
        if p.starts_with(PHOTOSHOP) {
            iptc::read_irb(&p[PHOTOSHOP.len()..], ins);
        }
    } else if p.starts_with(EXIF) {
        tiff::read_exif(&p[EXIF.len()..], ins);
    } else if p.starts_with(XMP) {
        xmp::read(&p[XMP.len()..], ins);
    } else if p.starts_with(XMP_EXT) {
        xmp::read(p.get(XMP_EXT.len() + 40..).unwrap_or(&[]), ins);
    }
}

pub(crate) fn strip(d: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    let (segs, sos) = segments(d)?;
    let mut out = Vec::with_capacity(d.len());
    let mut last = 0;
    let mut ext = Vec::new();
    for s in &segs {
        // Fill bytes and standalone markers between segments are kept as they were.
        out.extend_from_slice(&d[last..s.whole.start]);
        last = s.whole.end;
        let p = &d[s.payload.clone()];
        if s.marker == 0xED && p.starts_with(PHOTOSHOP) {
            if let Some(irb) = iptc::strip_irb(&p[PHOTOSHOP.len()..], false) {
                let len = 2 + PHOTOSHOP.len() + irb.len();
                let len = u16::try_from(len).map_err(|_| ErrorCode::StripUnsupported)?;
                out.extend_from_slice(&[0xFF, 0xED]);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(PHOTOSHOP);
                out.extend_from_slice(&irb);
                continue;
            }
        }
        let at = out.len() + (s.payload.start - s.whole.start);
        out.extend_from_slice(&d[s.whole.clone()]);
        let payload = &mut out[at..at + p.len()];
        if s.marker == 0xE1 {
            edit_app1(payload);
            if payload.starts_with(XMP_EXT) {
                ext.push(at..at + p.len());
            }
        }
    }
    // Properties split across extended XMP chunks are blanked on the reassembled packet.
    for (mut packet, chunks) in extended_packets(&out, &ext) {
        if xmp::blank_location(&mut packet) {
            for (r, off) in chunks {
                if let Some(src) = off.checked_add(r.len()).and_then(|end| packet.get(off..end)) {
                    out[r].copy_from_slice(src);
                }
            }
        }
    }
    out.extend_from_slice(&d[last..sos]);
    let trailer_from = out.len() + scan_end(d, sos).saturating_sub(sos);
    out.extend_from_slice(&d[sos..]);
    // Data after EOI (MPF secondary images, some phones' extra JPEGs): same-size edits only,
    // so offsets that point into it stay right.
    if let Some(trailer) = out.get_mut(trailer_from..) {
        for (marker, r) in embedded_app_segments(trailer) {
            let p = &mut trailer[r];
            if marker == 0xE1 {
                edit_app1(p);
            } else if p.starts_with(PHOTOSHOP) {
                // Same size: the shorter block is followed by zero padding.
                if let Some(irb) = iptc::strip_irb(&p[PHOTOSHOP.len()..], true) {
                    let body = &mut p[PHOTOSHOP.len()..];
                    if irb.len() == body.len() {
                        body.copy_from_slice(&irb);
                    }
                }
            }
        }
    }
    Ok(out)
}

fn edit_app1(p: &mut [u8]) -> bool {
    if p.starts_with(EXIF) {
        tiff::strip_gps(&mut p[EXIF.len()..])
    } else if p.starts_with(XMP) {
        xmp::blank_location(&mut p[XMP.len()..])
    } else if p.starts_with(XMP_EXT) && p.len() > XMP_EXT.len() + 40 {
        xmp::blank_location(&mut p[XMP_EXT.len() + 40..])
    } else {
        false
    }
}

/// Chunk data ranges in a buffer, with their offsets in the reassembled packet.
type Chunks = Vec<(Range<usize>, usize)>;

/// Extended XMP packets reassembled from APP1 payload ranges of `buf`: each chunk carries
/// the packet's GUID, full length and its own offset.
fn extended_packets(buf: &[u8], parts: &[Range<usize>]) -> Vec<(Vec<u8>, Chunks)> {
    let h = XMP_EXT.len();
    let mut groups: Vec<(&[u8], usize, Chunks)> = Vec::new();
    for r in parts {
        let p = &buf[r.clone()];
        let (Some(guid), Some(total), Some(off)) = (p.get(h..h + 32), be32(p, h + 32), be32(p, h + 36)) else { continue };
        let data = r.start + h + 40..r.end;
        match groups.iter_mut().find(|g| g.0 == guid) {
            Some(g) => g.2.push((data, off as usize)),
            None => groups.push((guid, total as usize, vec![(data, off as usize)])),
        }
    }
    groups
        .into_iter()
        // A real packet is covered by its chunks; a larger claimed length is not allocated.
        .filter(|g| g.1 <= g.2.iter().map(|c| c.0.len()).sum::<usize>())
        .map(|(_, total, chunks)| {
            let mut packet = vec![b' '; total];
            for (r, off) in &chunks {
                if let Some(dst) = off.checked_add(r.len()).and_then(|end| packet.get_mut(*off..end)) {
                    dst.copy_from_slice(&buf[r.clone()]);
                }
            }
            (packet, chunks)
        })
        .collect()
}

/// The end of the entropy-coded data: just after the first EOI at or after `sos`.
fn scan_end(d: &[u8], sos: usize) -> usize {
    // In scan data 0xFF is stuffed (FF 00) or a marker, so the first FF D9 is EOI.
    find(d, &[0xFF, 0xD9], sos).map_or(d.len(), |p| p + 2)
}

/// Marker and payload range of the APP1 and APP13 segments of JPEGs embedded in `t`
/// (data after the EOI).
fn embedded_app_segments(t: &[u8]) -> Vec<(u8, Range<usize>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = find(t, &[0xFF, 0xD8, 0xFF], i) {
        let mut j = p + 2;
        while t.get(j) == Some(&0xFF) {
            let Some(&marker) = t.get(j + 1) else { break };
            if marker == 0xFF {
                j += 1;
                continue;
            }
            let Some(len) = be16(t, j + 2).map(usize::from) else { break };
            let end = j + 2 + len;
            if len < 2 || end > t.len() || matches!(marker, 0xD8..=0xDA) {
                break;
            }
            if marker == 0xE1 || marker == 0xED {
                out.push((marker, j + 4..end));
            }
            j = end;
        }
        i = p + 3;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_of_scaled_tables() {
        let scaled = |q: u32| {
            let s = if q < 50 { 5000 / q } else { 200 - 2 * q };
            let mut t = [0u16; 64];
            for (v, &b) in t.iter_mut().zip(STD_LUMA.iter()) {
                *v = ((u32::from(b) * s + 50) / 100).clamp(1, 255) as u16;
            }
            t
        };
        for q in [5, 10, 30, 50, 75, 90, 95, 98] {
            let got = i32::from(quality(&scaled(q)));
            assert!((got - q as i32).abs() <= 1, "{q} -> {got}");
        }
        assert_eq!(quality(&[1; 64]), 100);
    }
}
