//! Matroska and WebM: EBML elements, the Segment's `Info`, `Tracks`, `Tags` and `SeekHead`.
//! A location is a `SimpleTag` (e.g. `LOCATION`, `COM.APPLE.QUICKTIME.LOCATION.ISO6709`); it
//! is removed by turning the element into a `Void` element of the same size.

use super::super::bytes::{crc32, get, text};
use super::super::{Format, Inspection, LocationSource};
use super::{iso_date, is_location_key, parse_iso6709, Action, Region, Removal};
use crate::error::ErrorCode;
use std::ops::Range;

const EBML: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;
const SEGMENT: u32 = 0x1853_8067;
pub(crate) const SEEK_HEAD: u32 = 0x114D_9B74;
const SEEK: u32 = 0x4DBB;
const SEEK_ID: u32 = 0x53AB;
const SEEK_POSITION: u32 = 0x53AC;
const INFO: u32 = 0x1549_A966;
const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const DATE_UTC: u32 = 0x4461;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_TYPE: u32 = 0x83;
const CODEC_ID: u32 = 0x86;
const VIDEO: u32 = 0xE0;
const PIXEL_WIDTH: u32 = 0xB0;
const PIXEL_HEIGHT: u32 = 0xBA;
const TAGS: u32 = 0x1254_C367;
const TAG: u32 = 0x7373;
const SIMPLE_TAG: u32 = 0x67C8;
const TAG_NAME: u32 = 0x45A3;
const TAG_STRING: u32 = 0x4487;
const VOID: u32 = 0xEC;
const CRC32: u32 = 0xBF;
/// Seconds from 1970-01-01 to 2001-01-01, Matroska's epoch.
const EPOCH_2001: i64 = 978_307_200;

/// An element ID (marker bits kept) and its length; `None` if `d` is too short.
fn read_id(d: &[u8], at: usize) -> Result<Option<(u32, usize)>, ErrorCode> {
    let Some(&b) = d.get(at) else { return Ok(None) };
    let len = b.leading_zeros() as usize + 1;
    if b == 0 || len > 4 {
        return Err(ErrorCode::CorruptFile);
    }
    let Some(bytes) = get(d, at, len) else { return Ok(None) };
    Ok(Some((bytes.iter().fold(0u32, |v, &c| v << 8 | u32::from(c)), len)))
}

/// A data size (`None` inside for "unknown") and its length.
fn read_size(d: &[u8], at: usize) -> Result<Option<(Option<u64>, usize)>, ErrorCode> {
    let Some(&b) = d.get(at) else { return Ok(None) };
    if b == 0 {
        return Err(ErrorCode::CorruptFile);
    }
    let len = b.leading_zeros() as usize + 1;
    let Some(bytes) = get(d, at, len) else { return Ok(None) };
    let first = u64::from(b) & (0xFF >> len);
    let v = bytes[1..].iter().fold(first, |v, &c| v << 8 | u64::from(c));
    Ok(Some(((v != (1u64 << (7 * len)) - 1).then_some(v), len)))
}

/// An element header: (id, content, next element's offset, size known).
pub(crate) type Header = (u32, Range<u64>, u64, bool);

/// The header of the element at file offset `pos` from the bytes `w` that start there, inside
/// a parent ending at `end`.
pub(crate) fn child_header(w: &[u8], pos: u64, end: u64) -> Result<Option<Header>, ErrorCode> {
    let Some((id, il)) = read_id(w, 0)? else { return Ok(None) };
    let Some((size, sl)) = read_size(w, il)? else { return Ok(None) };
    let start = pos + (il + sl) as u64;
    if start > end {
        return Err(ErrorCode::CorruptFile);
    }
    match size {
        Some(s) => {
            let e = start.checked_add(s).filter(|&e| e <= end).ok_or(ErrorCode::CorruptFile)?;
            Ok(Some((id, start..e, e, true)))
        }
        None => Ok(Some((id, start..end, end, false))),
    }
}

/// Elements in `d[r]`, each (id, whole element, content); unknown sizes are corrupt here.
fn elements(d: &[u8], r: Range<usize>) -> impl Iterator<Item = Result<(u32, Range<usize>, Range<usize>), ErrorCode>> + '_ {
    let mut i = r.start;
    let end = r.end.min(d.len());
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || i >= end {
            return None;
        }
        let h = child_header(&d[i..end], i as u64, end as u64);
        let item = match h {
            Ok(Some((id, c, next, true))) => {
                let start = i;
                i = next as usize;
                Ok((id, start..i, c.start as usize..c.end as usize))
            }
            Ok(_) | Err(_) => Err(ErrorCode::CorruptFile),
        };
        failed = item.is_err();
        Some(item)
    })
}

fn uint(d: &[u8]) -> Option<u64> {
    (d.len() <= 8).then(|| d.iter().fold(0u64, |v, &c| v << 8 | u64::from(c)))
}

fn float(d: &[u8]) -> Option<f64> {
    match d.len() {
        4 => Some(f64::from(f32::from_be_bytes(d.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(d.try_into().ok()?)),
        _ => None,
    }
}

fn doc_type(d: &[u8]) -> Option<Format> {
    let (id, il) = read_id(d, 0).ok()??;
    let (size, sl) = read_size(d, il).ok()??;
    if id != EBML {
        return None;
    }
    let body = il + sl..(il + sl).saturating_add(size.unwrap_or(0) as usize).min(d.len());
    for e in elements(d, body) {
        let Ok((id, _, c)) = e else { break };
        if id == DOC_TYPE {
            return Some(if d.get(c) == Some(&b"webm"[..]) { Format::Webm } else { Format::Matroska });
        }
    }
    Some(Format::Matroska)
}

/// A Matroska or WebM file by its EBML header.
pub(crate) fn sniff(d: &[u8]) -> Option<Format> {
    if !d.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return None;
    }
    doc_type(d)
}

/// The Segment's content range, from the first window (which must hold the EBML header and
/// the Segment's header).
pub(crate) fn segment(w: &[u8], file_size: u64) -> Result<Range<u64>, ErrorCode> {
    let e = ErrorCode::CorruptFile;
    let mut pos = 0u64;
    loop {
        let rest = w.get(pos as usize..).ok_or(e)?;
        let (id, content, next, known) = child_header(rest, pos, file_size)?.ok_or(e)?;
        match id {
            SEGMENT => return Ok(content),
            EBML | VOID if known => pos = next,
            _ => return Err(e),
        }
    }
}

pub(crate) fn is_kept(id: u32) -> bool {
    matches!(id, SEEK_HEAD | INFO | TRACKS | TAGS)
}

/// A SeekHead's entries: (element ID, position relative to the Segment's content).
pub(crate) fn seek_entries(d: &[u8]) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    for e in elements(d, 0..d.len()) {
        let Ok((SEEK, _, c)) = e else { continue };
        let (mut id, mut pos) = (None, None);
        for f in elements(d, c) {
            match f {
                Ok((SEEK_ID, _, v)) => id = uint(&d[v]).and_then(|v| u32::try_from(v).ok()),
                Ok((SEEK_POSITION, _, v)) => pos = uint(&d[v]),
                _ => {}
            }
        }
        if let (Some(id), Some(pos)) = (id, pos) {
            if is_kept(id) {
                out.push((id, pos));
            }
        }
    }
    out
}

fn codec(id: &str) -> String {
    match id {
        "V_MPEG4/ISO/AVC" => "avc1",
        "V_MPEGH/ISO/HEVC" => "hvc1",
        "V_VP8" => "vp08",
        "V_VP9" => "vp09",
        "V_AV1" => "av01",
        "V_MPEG4/ISO/SP" | "V_MPEG4/ISO/ASP" | "V_MPEG4/ISO/AP" => "mp4v",
        other => other,
    }
    .to_string()
}

struct Ctx<'a> {
    ins: &'a mut Inspection,
    actions: Vec<Action>,
    region: usize,
    tag_time: Option<String>,
    date_utc: Option<String>,
    video_seen: bool,
}

/// Reads the kept elements into `ins`; returns what to change to remove the location.
pub(crate) fn inspect(regions: &[Region], ins: &mut Inspection) -> Result<Vec<Action>, ErrorCode> {
    let mut cx = Ctx { ins, actions: Vec::new(), region: 0, tag_time: None, date_utc: None, video_seen: false };
    for (n, r) in regions.iter().enumerate() {
        cx.region = n;
        let d = &r.bytes;
        match r.kind {
            INFO => info(d, &mut cx)?,
            TRACKS => tracks(d, &mut cx)?,
            TAGS => {
                for e in elements(d, 0..d.len()) {
                    let (id, _, c) = e?;
                    if id == TAG {
                        for e in elements(d, c) {
                            let (id, whole, c) = e?;
                            if id == SIMPLE_TAG {
                                simple_tag(d, whole, c, 0, &mut cx)?;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    cx.ins.capture_time = cx.tag_time.take().or(cx.date_utc.take());
    Ok(cx.actions)
}

fn info(d: &[u8], cx: &mut Ctx) -> Result<(), ErrorCode> {
    let (mut scale, mut duration) = (1_000_000u64, None);
    for e in elements(d, 0..d.len()) {
        let (id, _, c) = e?;
        let v = &d[c];
        match id {
            TIMESTAMP_SCALE => scale = uint(v).filter(|&s| s > 0).unwrap_or(scale),
            DURATION => duration = float(v),
            DATE_UTC if v.len() == 8 => {
                let ns = i64::from_be_bytes(v.try_into().unwrap_or([0; 8]));
                cx.date_utc = iso_date(EPOCH_2001 + ns.div_euclid(1_000_000_000));
            }
            _ => {}
        }
    }
    cx.ins.duration_seconds = duration.map(|d| d * scale as f64 / 1e9).filter(|d| d.is_finite() && *d > 0.0);
    Ok(())
}

fn tracks(d: &[u8], cx: &mut Ctx) -> Result<(), ErrorCode> {
    for e in elements(d, 0..d.len()) {
        let (id, _, c) = e?;
        if id != TRACK_ENTRY {
            continue;
        }
        let (mut kind, mut codec_id, mut size) = (None, None, (None, None));
        for e in elements(d, c) {
            let (id, _, c) = e?;
            match id {
                TRACK_TYPE => kind = uint(&d[c]),
                CODEC_ID => codec_id = text(&d[c]),
                VIDEO => {
                    for e in elements(d, c) {
                        let (id, _, c) = e?;
                        match id {
                            PIXEL_WIDTH => size.0 = uint(&d[c]).and_then(|v| u32::try_from(v).ok()),
                            PIXEL_HEIGHT => size.1 = uint(&d[c]).and_then(|v| u32::try_from(v).ok()),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        match kind {
            Some(1) if !cx.video_seen => {
                cx.video_seen = true;
                if let (Some(w), Some(h)) = size {
                    cx.ins.set_size(w, h);
                }
                cx.ins.video_codec = codec_id.as_deref().map(codec);
            }
            Some(2) => cx.ins.has_audio = true,
            _ => {}
        }
    }
    Ok(())
}

fn simple_tag(d: &[u8], whole: Range<usize>, c: Range<usize>, depth: usize, cx: &mut Ctx) -> Result<(), ErrorCode> {
    let (mut name, mut value) = (None, None);
    let mut nested = Vec::new();
    for e in elements(d, c) {
        let (id, w, c) = e?;
        match id {
            TAG_NAME => name = text(&d[c]),
            TAG_STRING => value = text(&d[c]),
            SIMPLE_TAG => nested.push((w, c)),
            _ => {}
        }
    }
    let name = name.unwrap_or_default();
    if is_location_key(&name) {
        cx.ins.add_location_source(LocationSource::MatroskaTag);
        if cx.ins.location.is_none() {
            cx.ins.location = value.as_deref().and_then(parse_iso6709);
        }
        cx.actions.push(Action { region: cx.region, range: whole, what: Removal::VoidElement });
        return Ok(());
    }
    let n = name.to_ascii_uppercase();
    if n.ends_with("MAKE") || n.ends_with("MANUFACTURER") {
        cx.ins.make = cx.ins.make.take().or(value);
    } else if n.ends_with("MODEL") {
        cx.ins.model = cx.ins.model.take().or(value);
    } else if matches!(n.as_str(), "CREATION_TIME" | "DATE_RECORDED" | "COM.APPLE.QUICKTIME.CREATIONDATE") {
        cx.tag_time = cx.tag_time.take().or(value);
    }
    if depth < 8 {
        for (w, c) in nested {
            simple_tag(d, w, c, depth + 1, cx)?;
        }
    }
    Ok(())
}

/// Turns `r` (a whole element) into a Void element of the same length, payload zeroed.
fn void(r: &mut [u8]) -> Result<(), ErrorCode> {
    let e = ErrorCode::StripUnsupported;
    let (_, il) = read_id(r, 0).ok().flatten().ok_or(e)?;
    let (_, sl) = read_size(r, il).ok().flatten().ok_or(e)?;
    let len = (il + sl - 1).clamp(1, 8);
    let payload = r.len().checked_sub(1 + len).ok_or(e)? as u64;
    if payload >= (1u64 << (7 * len)) - 1 {
        return Err(e);
    }
    let size = payload | 1u64 << (7 * len);
    r[0] = VOID as u8;
    r[1..=len].copy_from_slice(&size.to_be_bytes()[8 - len..]);
    r[1 + len..].fill(0);
    Ok(())
}

/// Recomputes a CRC-32 element that is the first child of the master content `d[c]`.
fn fix_crc(d: &mut [u8], c: Range<usize>) {
    let first = elements(d, c.clone()).next();
    if let Some(Ok((CRC32, w, v))) = first {
        if v.len() == 4 {
            let crc = crc32(&[&d[w.end..c.end]]);
            d[v].copy_from_slice(&crc.to_le_bytes());
        }
    }
}

/// Makes the changes `actions` lists in the kept regions (same sizes), then recomputes the
/// CRC-32 elements of the `Tags` and `Tag` elements changed.
pub(crate) fn apply(regions: &mut [Region], actions: &[Action]) -> Result<(), ErrorCode> {
    let mut touched = Vec::new();
    for a in actions {
        if a.what != Removal::VoidElement {
            return Err(ErrorCode::StripUnsupported);
        }
        let d = &mut regions.get_mut(a.region).ok_or(ErrorCode::StripUnsupported)?.bytes;
        void(d.get_mut(a.range.clone()).ok_or(ErrorCode::StripUnsupported)?)?;
        if !touched.contains(&a.region) {
            touched.push(a.region);
        }
    }
    for n in touched {
        let d = &mut regions[n].bytes;
        let tags: Vec<Range<usize>> = elements(d, 0..d.len()).filter_map(Result::ok).filter(|e| e.0 == TAG).map(|e| e.2).collect();
        for c in tags {
            fix_crc(d, c);
        }
        let all = 0..d.len();
        fix_crc(d, all);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vints() {
        assert_eq!(read_id(&[0x1A, 0x45, 0xDF, 0xA3], 0), Ok(Some((EBML, 4))));
        assert_eq!(read_id(&[0x1A, 0x45], 0), Ok(None));
        assert!(read_id(&[0x08], 0).is_err());
        assert_eq!(read_size(&[0x81], 0), Ok(Some((Some(1), 1))));
        assert_eq!(read_size(&[0xFF], 0), Ok(Some((None, 1))));
        assert_eq!(read_size(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], 0), Ok(Some((None, 8))));
        assert_eq!(read_size(&[0x40, 0x02], 0), Ok(Some((Some(2), 2))));
        assert!(read_size(&[0x00], 0).is_err());
    }

    #[test]
    fn void_keeps_length() {
        // SimpleTag (2-byte ID), 1-byte size 3, payload.
        let mut e = vec![0x67, 0xC8, 0x83, 1, 2, 3];
        void(&mut e).unwrap();
        assert_eq!(e, [0xEC, 0x40, 0x03, 0, 0, 0]);
        let (id, c, next, known) = child_header(&e, 0, 6).unwrap().unwrap();
        assert_eq!((id, c, next, known), (VOID, 3..6, 6, true));
    }
}
