//! ISO BMFF / QuickTime videos: the top-level walk, the `moov` tree, and the boxes that carry a
//! place (`©xyz`, `loci`, QuickTime `keys`, XMP) or the device, time, size and codecs.

use super::super::bytes::{be16, be32, be64, get, text};
use super::super::{isobmff, xmp, Format, Inspection, Location, LocationSource};
use super::{iso_date, is_location_key, parse_iso6709, Action, Region, Removal};
use crate::error::ErrorCode;
use std::ops::Range;

const fn fourcc(b: &[u8; 4]) -> u32 {
    u32::from_be_bytes(*b)
}

pub(crate) const MOOV: u32 = fourcc(b"moov");
const UDTA: u32 = fourcc(b"udta");
const UUID: u32 = fourcc(b"uuid");
/// The XMP box's user type (ISO 16684-1 / XMP spec part 3).
pub(crate) const XMP_UUID: [u8; 16] = [0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC];
/// Seconds from 1904-01-01 (QuickTime's epoch) to 1970-01-01.
const EPOCH_1904: i64 = 2_082_844_800;

/// A top-level box header.
pub(crate) struct TopBox {
    pub kind: u32,
    /// File range of what the reader keeps (after the header, and after the user type of a
    /// `uuid` box).
    pub content: Range<u64>,
    pub end: u64,
    pub keep: bool,
}

/// The header of the top-level box at file offset `pos`, from the bytes `w` that start there;
/// `None` if `w` is too short to hold it. Boxes past `end` (the file's end) are corrupt.
pub(crate) fn top_header(w: &[u8], pos: u64, end: u64) -> Result<Option<TopBox>, ErrorCode> {
    let (Some(size), Some(kind)) = (be32(w, 0), be32(w, 4)) else { return Ok(None) };
    let (hdr, size) = match size {
        0 => (8u64, end - pos),
        1 => match be64(w, 8) {
            Some(s) => (16, s),
            None => return Ok(None),
        },
        s => (8, u64::from(s)),
    };
    let box_end = pos.checked_add(size).ok_or(ErrorCode::CorruptFile)?;
    if size < hdr || box_end > end {
        return Err(ErrorCode::CorruptFile);
    }
    let mut start = pos + hdr;
    let keep = match kind {
        MOOV | UDTA => true,
        UUID => {
            let Some(user) = get(w, hdr as usize, 16) else { return Ok(None) };
            start += 16;
            user == XMP_UUID && start <= box_end
        }
        _ => false,
    };
    Ok(Some(TopBox { kind, content: start.min(box_end)..box_end, end: box_end, keep }))
}

/// Boxes a QuickTime or ISO BMFF file may start with.
pub(crate) fn is_first_box(kind: u32) -> bool {
    [b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"].iter().any(|k| fourcc(k) == kind)
}

/// An MP4-family or QuickTime file (not HEIF/AVIF, which `isobmff` reads as photos).
pub(crate) fn sniff(d: &[u8]) -> Option<Format> {
    let kind = get(d, 4, 4)?;
    if kind != b"ftyp" {
        // Old QuickTime files have no ftyp.
        let size = be32(d, 0)?;
        return (is_first_box(fourcc(kind.try_into().ok()?)) && (size == 0 || size == 1 || size >= 8)).then_some(Format::Mov);
    }
    if isobmff::sniff(d).is_some() {
        return None;
    }
    let size = (be32(d, 0)? as usize).clamp(16, d.len().max(16));
    let major = get(d, 8, 4)?;
    if major == b"qt  " {
        return Some(Format::Mov);
    }
    if major == b"crx " {
        return None; // Canon CR3 raw photos
    }
    let mut brands = vec![major];
    let mut i = 16;
    while i + 4 <= size {
        brands.extend(get(d, i, 4));
        i += 4;
    }
    let video = |b: &[u8]| {
        ["iso", "mp4", "mp7", "3g", "avc", "M4V", "qt  ", "dash", "MSNV", "XAVC", "f4v", "mmp4", "kddi", "KDDI", "hvc", "av01", "CAEP", "caqv"]
            .iter()
            .any(|p| b.starts_with(p.as_bytes()))
    };
    if brands.iter().any(|b| video(b)) {
        Some(if brands.contains(&&b"qt  "[..]) && !brands.iter().any(|b| b.starts_with(b"iso") || b.starts_with(b"mp4")) { Format::Mov } else { Format::Mp4 })
    } else {
        None
    }
}

/// A box inside a kept region: its type, where it starts and its content.
struct Child {
    kind: [u8; 4],
    start: usize,
    body: Range<usize>,
}

/// The boxes in `d[r]`; an error for a box that runs past `r`. Fewer than 8 bytes left at the
/// end are ignored (QuickTime ends `udta` with a 32-bit zero).
fn children(d: &[u8], r: Range<usize>) -> impl Iterator<Item = Result<Child, ErrorCode>> + '_ {
    let mut i = r.start;
    let end = r.end.min(d.len());
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || end < i + 8 {
            return None;
        }
        let size = u64::from(be32(d, i)?);
        let kind: [u8; 4] = get(d, i + 4, 4)?.try_into().ok()?;
        let (hdr, size) = match size {
            0 => (8, (end - i) as u64),
            1 => (16, be64(d, i + 8).unwrap_or(0)),
            s => (8, s),
        };
        if size < hdr as u64 || size > (end - i) as u64 {
            failed = true;
            return Some(Err(ErrorCode::CorruptFile));
        }
        let start = i;
        i += size as usize;
        Some(Ok(Child { kind, start, body: start + hdr..i }))
    })
}

struct Ctx<'a> {
    ins: &'a mut Inspection,
    actions: Vec<Action>,
    region: usize,
    key_time: Option<String>,
    day_time: Option<String>,
    mvhd_time: Option<String>,
    video_seen: bool,
}

impl Ctx<'_> {
    fn act(&mut self, range: Range<usize>, what: Removal) {
        self.actions.push(Action { region: self.region, range, what });
    }

    fn location(&mut self, source: LocationSource, loc: Option<Location>) {
        self.ins.add_location_source(source);
        if self.ins.location.is_none() {
            self.ins.location = loc;
        }
    }
}

/// Reads the kept regions (`moov`, top-level `udta`, XMP `uuid`) into `ins`; returns what to
/// change to remove the location.
pub(crate) fn inspect(regions: &[Region], ins: &mut Inspection) -> Result<Vec<Action>, ErrorCode> {
    let mut cx = Ctx { ins, actions: Vec::new(), region: 0, key_time: None, day_time: None, mvhd_time: None, video_seen: false };
    for (n, r) in regions.iter().enumerate() {
        cx.region = n;
        let d = &r.bytes;
        match r.kind {
            MOOV => moov(d, 0..d.len(), &mut cx)?,
            UDTA => udta(d, 0..d.len(), &mut cx)?,
            UUID => read_xmp(d, 0..d.len(), &mut cx),
            _ => {}
        }
    }
    cx.ins.capture_time = cx.key_time.take().or(cx.day_time.take()).or(cx.mvhd_time.take());
    Ok(cx.actions)
}

fn moov(d: &[u8], r: Range<usize>, cx: &mut Ctx) -> Result<(), ErrorCode> {
    for c in children(d, r) {
        let c = c?;
        match &c.kind {
            b"mvhd" => mvhd(d, c.body, cx),
            b"trak" => trak(d, c.body, cx)?,
            b"udta" => udta(d, c.body, cx)?,
            b"meta" => meta(d, c.body, cx)?,
            b"uuid" => uuid(d, c.body, cx),
            _ => {}
        }
    }
    Ok(())
}

fn uuid(d: &[u8], b: Range<usize>, cx: &mut Ctx) {
    if get(d, b.start, 16) == Some(&XMP_UUID[..]) {
        read_xmp(d, b.start + 16..b.end, cx);
    }
}

fn mvhd(d: &[u8], b: Range<usize>, cx: &mut Ctx) {
    let s = b.start;
    let (created, timescale, duration) = if d.get(s) == Some(&1) {
        (be64(d, s + 4), be32(d, s + 20), be64(d, s + 24).filter(|&x| x != u64::MAX))
    } else {
        (be32(d, s + 4).map(u64::from), be32(d, s + 12), be32(d, s + 16).filter(|&x| x != u32::MAX).map(u64::from))
    };
    if let Some(c) = created.filter(|&c| c > 0).and_then(|c| i64::try_from(c).ok()) {
        cx.mvhd_time = iso_date(c - EPOCH_1904);
    }
    if let (Some(t), Some(dur)) = (timescale.filter(|&t| t > 0), duration.filter(|&d| d > 0)) {
        cx.ins.duration_seconds = Some(dur as f64 / f64::from(t));
    }
}

/// Clockwise rotation from a `tkhd` matrix: 0, 90, 180 or 270.
fn rotation(d: &[u8], at: usize) -> Option<u16> {
    let a = be32(d, at)? as i32;
    let b = be32(d, at + 4)? as i32;
    if a == 0 && b == 0 {
        return None;
    }
    let deg = f64::from(b).atan2(f64::from(a)).to_degrees();
    Some(((deg / 90.0).round() as i32).rem_euclid(4) as u16 * 90)
}

fn trak(d: &[u8], b: Range<usize>, cx: &mut Ctx) -> Result<(), ErrorCode> {
    let mut handler = None;
    let mut tk = None;
    // The first sample entry: its four-cc and, for a visual entry, its coded size.
    let mut entry: Option<SampleEntry> = None;
    let mut timed_location = false;
    for c in children(d, b) {
        let c = c?;
        match &c.kind {
            b"tkhd" => {
                let s = c.body.start;
                let m = if d.get(s) == Some(&1) { s + 52 } else { s + 40 };
                if let (Some(w), Some(h)) = (be32(d, m + 36), be32(d, m + 40)) {
                    tk = Some((w >> 16, h >> 16, rotation(d, m)));
                }
            }
            b"mdia" => {
                for c in children(d, c.body) {
                    let c = c?;
                    match &c.kind {
                        b"hdlr" => handler = get(d, c.body.start + 8, 4).map(|h| [h[0], h[1], h[2], h[3]]),
                        b"minf" => {
                            for c in children(d, c.body) {
                                let c = c?;
                                if &c.kind != b"stbl" {
                                    continue;
                                }
                                for c in children(d, c.body) {
                                    let c = c?;
                                    if &c.kind != b"stsd" {
                                        continue;
                                    }
                                    for e in children(d, (c.body.start + 8).min(c.body.end)..c.body.end) {
                                        let e = e?;
                                        let size = match (be16(d, e.body.start + 24), be16(d, e.body.start + 26)) {
                                            (Some(w), Some(h)) => Some((w, h)),
                                            _ => None,
                                        };
                                        entry.get_or_insert((e.kind, size));
                                        timed_location |= match &e.kind {
                                            b"gpmd" | b"camm" => true,
                                            b"mebx" => d[e.body.clone()].windows(8).any(|w| w.eq_ignore_ascii_case(b"location")),
                                            _ => false,
                                        };
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            b"udta" => udta(d, c.body, cx)?,
            b"meta" => meta(d, c.body, cx)?,
            _ => {}
        }
    }
    if timed_location {
        // Samples in `mdat` (GoPro GPMF, Google CAMM, Apple timed metadata with a location key)
        // cannot be removed in place.
        cx.location(LocationSource::TimedMetadata, None);
        cx.ins.can_strip_location = false;
    }
    match handler.as_ref() {
        Some(b"soun") => cx.ins.has_audio = true,
        Some(b"vide") if !cx.video_seen => {
            cx.video_seen = true;
            let (ew, eh) = entry.and_then(|e| e.1).map_or((0, 0), |(w, h)| (u32::from(w), u32::from(h)));
            match tk {
                Some((w, h, _)) if w > 0 && h > 0 => cx.ins.set_size(w, h),
                _ if ew > 0 && eh > 0 => cx.ins.set_size(ew, eh),
                _ => {}
            }
            cx.ins.rotation = tk.and_then(|t| t.2);
            cx.ins.video_codec = entry.and_then(|e| text(&e.0));
        }
        _ => {}
    }
    Ok(())
}

type SampleEntry = ([u8; 4], Option<(u16, u16)>);

/// A QuickTime user-data string (16-bit length, 16-bit language, text) or an iTunes-style item
/// (a `data` box).
fn qt_string(d: &[u8], b: Range<usize>) -> Option<String> {
    if get(d, b.start + 4, 4) == Some(b"data") {
        return data_value(d, b.start + 8..b.end);
    }
    let len = usize::from(be16(d, b.start)?);
    let s = b.start + 4;
    text(d.get(s..s.saturating_add(len).min(b.end))?)
}

/// The text of a `data` box's content (type, locale, value).
fn data_value(d: &[u8], b: Range<usize>) -> Option<String> {
    text(d.get(b.start + 8..b.end)?)
}

fn udta(d: &[u8], b: Range<usize>, cx: &mut Ctx) -> Result<(), ErrorCode> {
    for c in children(d, b) {
        let c = c?;
        let whole = c.start..c.body.end;
        match &c.kind {
            b"\xA9xyz" => {
                let s = qt_string(d, c.body.clone());
                if s.is_some() || c.body.len() > 4 {
                    cx.location(LocationSource::UdtaXyz, s.as_deref().and_then(parse_iso6709));
                    cx.act(whole, Removal::FreeBox);
                }
            }
            b"loci" => {
                cx.location(LocationSource::Loci, loci(d, c.body.clone()));
                cx.act(whole, Removal::FreeBox);
            }
            b"\xA9mak" => set_once(&mut cx.ins.make, qt_string(d, c.body)),
            b"\xA9mod" => set_once(&mut cx.ins.model, qt_string(d, c.body)),
            b"\xA9day" => set_once(&mut cx.day_time, qt_string(d, c.body)),
            b"XMP_" => read_xmp(d, c.body, cx),
            b"meta" => meta(d, c.body, cx)?,
            b"uuid" => uuid(d, c.body, cx),
            _ => {}
        }
    }
    Ok(())
}

fn set_once(slot: &mut Option<String>, v: Option<String>) {
    if slot.is_none() {
        *slot = v;
    }
}

/// 3GPP `loci`: version/flags, language, name, role, longitude, latitude, altitude (16.16).
fn loci(d: &[u8], b: Range<usize>) -> Option<Location> {
    let body = d.get(b.clone())?;
    let mut i = 6;
    // The name: UTF-8 up to a NUL, or UTF-16 with a BOM up to a 16-bit NUL.
    if body.get(i..i + 2) == Some(&[0xFE, 0xFF]) || body.get(i..i + 2) == Some(&[0xFF, 0xFE]) {
        i += 2;
        while body.get(i..i + 2)? != [0, 0] {
            i += 2;
        }
        i += 2;
    } else {
        i += body.get(i..)?.iter().position(|&c| c == 0)? + 1;
    }
    let fixed = |at: usize| be32(body, at).map(|v| f64::from(v as i32) / 65536.0);
    let (lon, lat, alt) = (fixed(i + 1)?, fixed(i + 5)?, fixed(i + 9)?);
    (lat.abs() <= 90.0 && lon.abs() <= 180.0).then_some(Location { latitude: lat, longitude: lon, altitude: Some(alt) })
}

fn read_xmp(d: &[u8], r: Range<usize>, cx: &mut Ctx) {
    let Some(x) = d.get(r.clone()) else { return };
    let had = cx.ins.location_sources.contains(&LocationSource::Xmp);
    xmp::read(x, cx.ins);
    if !xmp::location_ranges(x).is_empty() {
        if cx.ins.location.is_none() {
            cx.ins.location = xmp_location(x);
        }
        cx.act(r, Removal::Xmp);
    } else if !had && cx.ins.location_sources.contains(&LocationSource::Xmp) {
        // Not reachable: read() and location_ranges() agree.
        cx.ins.can_strip_location = false;
    }
}

/// `exif:GPSLatitude` / `exif:GPSLongitude` in XMP's "DD,MM.mmmmN" or "DD,MM,SSN" form.
fn xmp_location(x: &[u8]) -> Option<Location> {
    let coord = |name: &str| -> Option<f64> {
        let v = xmp::simple_prop(x, name)?;
        let v = v.trim();
        let hemi = v.chars().last()?;
        let num = &v[..v.len() - hemi.len_utf8()];
        let sign = match hemi {
            'N' | 'E' | 'n' | 'e' => 1.0,
            'S' | 'W' | 's' | 'w' => -1.0,
            _ => return v.parse::<f64>().ok(),
        };
        let mut parts = num.split(',').map(|p| p.trim().parse::<f64>());
        let deg = parts.next()?.ok()?;
        let min = parts.next().transpose().ok()?.unwrap_or(0.0);
        let sec = parts.next().transpose().ok()?.unwrap_or(0.0);
        Some(sign * (deg + min / 60.0 + sec / 3600.0))
    };
    let (lat, lon) = (coord("exif:GPSLatitude")?, coord("exif:GPSLongitude")?);
    (lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0).then_some(Location { latitude: lat, longitude: lon, altitude: None })
}

/// `meta`: QuickTime (`hdlr` 'mdta', `keys`, `ilst`) or iTunes style (`ilst` items by type).
fn meta(d: &[u8], b: Range<usize>, cx: &mut Ctx) -> Result<(), ErrorCode> {
    // ISO `meta` is a full box; QuickTime's is not.
    let start = if get(d, b.start + 4, 4) == Some(b"hdlr") { b.start } else { (b.start + 4).min(b.end) };
    let mut keys: Option<Vec<Range<usize>>> = None;
    let mut ilst = None;
    for c in children(d, start..b.end) {
        let c = c?;
        match &c.kind {
            b"keys" => {
                let count = be32(d, c.body.start + 4).unwrap_or(0) as usize;
                let mut list = Vec::new();
                let mut i = c.body.start + 8;
                while list.len() < count && i + 8 <= c.body.end {
                    let size = be32(d, i).unwrap_or(0) as usize;
                    if size < 8 || size > c.body.end - i {
                        return Err(ErrorCode::CorruptFile);
                    }
                    list.push(i + 8..i + size);
                    i += size;
                }
                keys = Some(list);
            }
            b"ilst" => ilst = Some(c.body),
            b"XMP_" => read_xmp(d, c.body, cx),
            _ => {}
        }
    }
    let Some(ilst) = ilst else { return Ok(()) };
    let mut renamed = Vec::new();
    for item in children(d, ilst) {
        let item = item?;
        let whole = item.start..item.body.end;
        let mut values = Vec::new();
        let mut name = None;
        for c in children(d, item.body.clone()) {
            let c = c?;
            match &c.kind {
                b"data" => values.push(c.body),
                b"name" => name = text(d.get(c.body.start + 4..c.body.end).unwrap_or(&[])),
                _ => {}
            }
        }
        let value = values.first().and_then(|v| data_value(d, v.clone()));
        if let Some(keys) = &keys {
            let index = u32::from_be_bytes(item.kind) as usize;
            let Some(key) = index.checked_sub(1).and_then(|i| keys.get(i)).cloned() else { continue };
            let key_name = String::from_utf8_lossy(&d[key.clone()]).into_owned();
            if is_location_key(&key_name) {
                if values.iter().any(|v| v.len() > 8 && d[v.start + 8..v.end].iter().any(|&c| c != 0)) {
                    cx.location(LocationSource::QuickTimeKeys, value.as_deref().and_then(parse_iso6709));
                }
                for v in values {
                    cx.act((v.start + 8).min(v.end)..v.end, Removal::Zero);
                }
                if !renamed.contains(&key.start) {
                    renamed.push(key.start);
                    cx.act(key, Removal::RenameKey);
                }
                continue;
            }
            let k = key_name.to_ascii_lowercase();
            if k.ends_with(".make") || k.ends_with(".manufacturer") {
                set_once(&mut cx.ins.make, value);
            } else if k.ends_with(".model") {
                set_once(&mut cx.ins.model, value);
            } else if k.ends_with(".creationdate") {
                set_once(&mut cx.key_time, value);
            }
        } else {
            match &item.kind {
                b"\xA9xyz" => {
                    cx.location(LocationSource::UdtaXyz, value.as_deref().and_then(parse_iso6709));
                    cx.act(whole, Removal::FreeBox);
                }
                b"----" if name.as_deref().is_some_and(is_location_key) => {
                    cx.location(LocationSource::QuickTimeKeys, value.as_deref().and_then(parse_iso6709));
                    cx.act(whole, Removal::FreeBox);
                }
                b"\xA9mak" => set_once(&mut cx.ins.make, value),
                b"\xA9mod" => set_once(&mut cx.ins.model, value),
                b"\xA9day" => set_once(&mut cx.day_time, value),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Makes the changes `actions` lists in the kept regions (same sizes).
pub(crate) fn apply(regions: &mut [Region], actions: &[Action]) -> Result<(), ErrorCode> {
    for a in actions {
        let d = &mut regions.get_mut(a.region).ok_or(ErrorCode::StripUnsupported)?.bytes;
        let r = d.get_mut(a.range.clone()).ok_or(ErrorCode::StripUnsupported)?;
        match a.what {
            Removal::FreeBox => {
                let hdr = if be32(r, 0) == Some(1) { 16 } else { 8 };
                if r.len() < hdr {
                    return Err(ErrorCode::StripUnsupported);
                }
                r[4..8].copy_from_slice(b"free");
                r[hdr..].fill(0);
            }
            Removal::RenameKey => {
                for (i, c) in r.iter_mut().enumerate() {
                    *c = *b"removed".get(i).unwrap_or(&b'_');
                }
            }
            Removal::Zero => r.fill(0),
            Removal::Xmp => {
                xmp::blank_location(r);
            }
            Removal::VoidElement => return Err(ErrorCode::StripUnsupported),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmp_coordinates() {
        let x = br#"<rdf:Description exif:GPSLatitude="48,51.504N" exif:GPSLongitude='2,17,40.2W'/>"#;
        let l = xmp_location(x).unwrap();
        assert!((l.latitude - 48.8584).abs() < 1e-6 && (l.longitude + 2.2945).abs() < 1e-6, "{l:?}");
        // A multi-byte last character (found by fuzzing: split inside it).
        assert!(xmp_location("<exif:GPSLatitude>48,5\u{e9}</exif:GPSLatitude>".as_bytes()).is_none());
        assert!(xmp_location(b"<exif:GPSLatitude>48.5</exif:GPSLatitude><exif:GPSLongitude>-2.25</exif:GPSLongitude>").is_some());
    }

    #[test]
    fn sniffs_videos_not_heif() {
        let ftyp = |major: &[u8], compat: &[u8]| [&(16 + compat.len() as u32).to_be_bytes()[..], b"ftyp", major, &[0, 0, 0, 0], compat].concat();
        assert_eq!(sniff(&ftyp(b"isom", b"isomiso2avc1mp41")), Some(Format::Mp4));
        assert_eq!(sniff(&ftyp(b"qt  ", b"qt  ")), Some(Format::Mov));
        assert_eq!(sniff(&ftyp(b"3gp5", b"3gp5isom")), Some(Format::Mp4));
        assert_eq!(sniff(&ftyp(b"heic", b"mif1heic")), None);
        assert_eq!(sniff(&ftyp(b"avif", b"avifmif1miaf")), None);
        assert_eq!(sniff(&ftyp(b"crx ", b"crx isom")), None);
        assert_eq!(sniff(&ftyp(b"M4A ", b"M4A mp42isom")), Some(Format::Mp4));
        assert_eq!(sniff(b"\0\0\0\x08wide\0\0\0\x10mdat"), Some(Format::Mov));
        assert_eq!(sniff(b"\0\0\0\x04wide"), None);
    }
}
