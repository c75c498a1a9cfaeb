//! Videos: ISO BMFF (MP4, MOV, 3GP, M4V) and Matroska/WebM, read through small windows so a
//! 2 GB clip is never held whole, and location removed by same-size edits so no chunk offset
//! moves.
//!
//! # The window protocol
//!
//! A [`VideoReader`] says which bytes it wants next; the caller (JavaScript, with
//! `Blob.slice`) reads exactly that range and feeds it back, until the reader wants nothing:
//!
//! ```text
//! let r = VideoReader::new(file_size)?;
//! while let Some(w) = r.want() { r.feed(w.start, &file[w])?; }
//! let inspection = r.inspection()?;      // format, location, device, time, size, ...
//! let edits = r.location_edits()?;       // [(offset, bytes)] to lay over the original
//! ```
//!
//! The reader first asks for 4 KiB at offset 0 (the format), then walks the top-level boxes
//! (or the Matroska Segment's children) one header at a time, asking for 4 KiB at each header
//! and skipping every body it does not need (`mdat`, Matroska Clusters). It then asks for the
//! bodies that carry metadata: `moov`, a top-level `udta`, a top-level XMP `uuid` box; Matroska
//! `Info`, `Tracks`, `Tags` and `SeekHead` (whose entries are followed when an unknown-size
//! Cluster stops the walk). Those bodies together are capped at [`MAX_METADATA`] bytes
//! (`metadata_too_large` beyond), and the number of windows at [`MAX_STEPS`].
//!
//! [`VideoReader::location_edits`] returns byte runs to write over the original file at their
//! offsets; the output is the original with those runs replaced (same size), e.g. as Blob parts.
//! A removal is only returned when the edited metadata, read again, has no location left;
//! otherwise `strip_unsupported`.

mod bmff;
mod mkv;

use super::{Format, Inspection, Location};
use crate::error::ErrorCode;
use serde::Serialize;
use std::collections::VecDeque;
use std::ops::Range;

/// The most metadata bytes (`moov`, XMP, Matroska headers and tags, together) read from one
/// video.
pub const MAX_METADATA: u64 = 64 << 20;
/// The size of a header window.
pub const WINDOW: u64 = 4096;
/// The most windows fed to one reader (top-level boxes or Matroska elements walked).
pub const MAX_STEPS: usize = 1 << 17;

/// Bytes to write over the original file at `offset` (same length as what they replace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// Offset in the whole file.
    pub offset: u64,
    /// The replacement bytes.
    pub bytes: Vec<u8>,
}

/// A part of the file kept by the reader: the content of a box or element (after its header).
#[derive(Debug, Clone)]
pub(crate) struct Region {
    /// File offset of `bytes[0]`.
    pub offset: u64,
    /// ISO BMFF: the box type as a big-endian u32; Matroska: the element ID.
    pub kind: u32,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Bmff,
    Mkv,
}

#[derive(Debug, Clone)]
enum Task {
    /// Read `len` bytes at `offset` and keep them as a region of `kind`.
    Read { offset: u64, len: u64, kind: u32 },
    /// Read the header of a Matroska element expected to be `id` at `offset` (from a SeekHead).
    Probe { offset: u64, id: u32 },
}

#[derive(Debug, Clone)]
enum Phase {
    Start,
    /// Walking headers from `pos` to `end`.
    Scan { pos: u64, end: u64 },
    Tasks,
    Done,
}

/// Reads a video's metadata through windows the caller supplies; see the module docs.
#[derive(Debug, Clone)]
pub struct VideoReader {
    file_size: u64,
    format: Option<Format>,
    container: Option<Container>,
    phase: Phase,
    queue: VecDeque<Task>,
    regions: Vec<Region>,
    kept: u64,
    steps: usize,
    failed: Option<ErrorCode>,
    /// Matroska: where the Segment's data starts and ends, and where the linear walk stopped.
    segment: Range<u64>,
    walked_to: u64,
    probed: Vec<u64>,
    /// File ranges of the regions read or queued, which never overlap.
    kept_ranges: Vec<Range<u64>>,
    has_moov: bool,
}

impl VideoReader {
    /// A reader for a file of `file_size` bytes; `empty_file` for zero.
    pub fn new(file_size: u64) -> Result<Self, ErrorCode> {
        if file_size == 0 {
            return Err(ErrorCode::EmptyFile);
        }
        Ok(VideoReader {
            file_size,
            format: None,
            container: None,
            phase: Phase::Start,
            queue: VecDeque::new(),
            regions: Vec::new(),
            kept: 0,
            steps: 0,
            failed: None,
            segment: 0..0,
            walked_to: 0,
            probed: Vec::new(),
            kept_ranges: Vec::new(),
            has_moov: false,
        })
    }

    /// The byte range `[start, end)` to feed next, or `None` when the reader is done (or
    /// failed: then [`inspection`](Self::inspection) returns the error).
    pub fn want(&self) -> Option<Range<u64>> {
        if self.failed.is_some() {
            return None;
        }
        let clamp = |a: u64, len: u64, end: u64| a..a.saturating_add(len).min(end).min(self.file_size);
        match &self.phase {
            Phase::Start => Some(clamp(0, WINDOW, self.file_size)),
            Phase::Scan { pos, end } => Some(clamp(*pos, WINDOW, *end)),
            Phase::Tasks => match self.queue.front()? {
                Task::Read { offset, len, .. } => Some(*offset..offset + len),
                Task::Probe { offset, .. } => Some(clamp(*offset, 16, self.segment.end)),
            },
            Phase::Done => None,
        }
    }

    /// The format, once the first window was fed.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// True when nothing more is wanted and nothing failed.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done) && self.failed.is_none()
    }

    /// Feeds the bytes of the range [`want`](Self::want) returned (`offset` = its start, and
    /// exactly its length; `bad_options` otherwise). An error is final: later calls return it.
    pub fn feed(&mut self, offset: u64, bytes: &[u8]) -> Result<(), ErrorCode> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let want = self.want().ok_or(ErrorCode::BadOptions)?;
        if offset != want.start || bytes.len() as u64 != want.end - want.start {
            return Err(ErrorCode::BadOptions);
        }
        self.steps += 1;
        let r = if self.steps > MAX_STEPS { Err(ErrorCode::CorruptFile) } else { self.step(offset, bytes) };
        if let Err(e) = r {
            self.failed = Some(e);
            self.regions.clear();
            self.queue.clear();
        }
        r
    }

    fn step(&mut self, offset: u64, bytes: &[u8]) -> Result<(), ErrorCode> {
        match self.phase.clone() {
            Phase::Start => self.start(bytes),
            Phase::Scan { pos, end } => self.scan(offset, bytes, pos, end),
            Phase::Tasks => self.task(bytes),
            Phase::Done => Err(ErrorCode::BadOptions),
        }
    }

    fn start(&mut self, w: &[u8]) -> Result<(), ErrorCode> {
        let format = sniff(w).ok_or(ErrorCode::UnsupportedFormat)?;
        self.format = Some(format);
        match format {
            Format::Webm | Format::Matroska => {
                self.container = Some(Container::Mkv);
                let seg = mkv::segment(w, self.file_size)?;
                self.segment = seg.clone();
                self.walked_to = seg.start;
                self.phase = Phase::Scan { pos: seg.start, end: seg.end };
                if seg.start < seg.end && seg.start < w.len() as u64 {
                    return self.scan(0, w, seg.start, seg.end);
                }
                self.next_phase(seg.start, seg.end);
                Ok(())
            }
            _ => {
                self.container = Some(Container::Bmff);
                self.phase = Phase::Scan { pos: 0, end: self.file_size };
                self.scan(0, w, 0, self.file_size)
            }
        }
    }

    fn next_phase(&mut self, pos: u64, end: u64) {
        self.phase = if pos < end { Phase::Scan { pos, end } } else { Phase::Tasks };
        if matches!(self.phase, Phase::Tasks) && self.queue.is_empty() {
            self.phase = Phase::Done;
        }
    }

    fn keep(&mut self, offset: u64, len: u64, kind: u32) -> Result<(), ErrorCode> {
        self.kept = self.kept.saturating_add(len);
        if self.kept > MAX_METADATA {
            return Err(ErrorCode::MetadataTooLarge);
        }
        let end = offset.checked_add(len).filter(|&e| e <= self.file_size).ok_or(ErrorCode::CorruptFile)?;
        self.kept_ranges.push(offset..end);
        self.queue.push_back(Task::Read { offset, len, kind });
        Ok(())
    }

    /// Walks headers in the window `w` (at file offset `at`) from `pos`.
    fn scan(&mut self, at: u64, w: &[u8], mut pos: u64, end: u64) -> Result<(), ErrorCode> {
        let window_end = at + w.len() as u64;
        while pos < end {
            let rel = (pos - at) as usize;
            let rest = w.get(rel..).unwrap_or(&[]);
            let parsed = match self.container {
                Some(Container::Bmff) => bmff::top_header(rest, pos, end)?.map(|h| (h.kind, h.content, h.end, h.keep)),
                _ => mkv::child_header(rest, pos, end)?,
            };
            let Some((kind, content, next, flag)) = parsed else {
                if window_end >= end || rel == 0 {
                    // The header runs past the end of the file (or of the Segment).
                    return Err(ErrorCode::CorruptFile);
                }
                break;
            };
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(ErrorCode::CorruptFile);
            }
            match self.container {
                Some(Container::Bmff) => {
                    if pos == 0 && !bmff::is_first_box(kind) {
                        return Err(ErrorCode::UnsupportedFormat);
                    }
                    // `flag`: the box is kept.
                    if flag {
                        self.has_moov |= kind == bmff::MOOV;
                        self.keep(content.start, content.end - content.start, kind)?;
                    }
                }
                _ => {
                    // `flag`: the size is known.
                    if !flag {
                        // An unknown-size element (a live recording's Cluster): its end can only
                        // be found by parsing its blocks. Stop here; SeekHead entries past this
                        // point are followed instead.
                        self.walked_to = pos;
                        self.next_phase(end, end);
                        return Ok(());
                    }
                    if mkv::is_kept(kind) {
                        self.keep(content.start, content.end - content.start, kind)?;
                    }
                }
            }
            pos = next;
            self.walked_to = pos;
        }
        if pos >= end && self.container == Some(Container::Bmff) && !self.has_moov {
            return Err(ErrorCode::CorruptFile);
        }
        self.next_phase(pos, end);
        Ok(())
    }

    fn task(&mut self, w: &[u8]) -> Result<(), ErrorCode> {
        let task = self.queue.pop_front().ok_or(ErrorCode::BadOptions)?;
        match task {
            Task::Read { offset, kind, .. } => {
                if self.container == Some(Container::Mkv) && kind == mkv::SEEK_HEAD && self.walked_to < self.segment.end {
                    for (id, pos) in mkv::seek_entries(w) {
                        let abs = self.segment.start.saturating_add(pos);
                        if abs >= self.walked_to && abs < self.segment.end && !self.probed.contains(&abs) && self.probed.len() < 64 {
                            self.probed.push(abs);
                            self.queue.push_back(Task::Probe { offset: abs, id });
                        }
                    }
                }
                self.regions.push(Region { offset, kind, bytes: w.to_vec() });
            }
            Task::Probe { offset, id } => {
                // A SeekHead entry that points at something else is ignored.
                if let Some((kind, content, _, known)) = mkv::child_header(w, offset, self.segment.end).ok().flatten() {
                    // Elements the walk or another entry already reached are not read twice.
                    let overlaps = self.kept_ranges.iter().any(|r| r.start < content.end.max(offset + 1) && offset < r.end);
                    if kind == id && !overlaps {
                        if !known {
                            return Err(ErrorCode::CorruptFile);
                        }
                        self.keep(content.start, content.end - content.start, kind)?;
                    }
                }
            }
        }
        if self.queue.is_empty() {
            self.phase = Phase::Done;
        }
        Ok(())
    }

    fn ready(&self) -> Result<(), ErrorCode> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if !matches!(self.phase, Phase::Done) {
            return Err(ErrorCode::BadOptions);
        }
        Ok(())
    }

    /// What the video reveals, once the reader is done.
    pub fn inspection(&self) -> Result<Inspection, ErrorCode> {
        self.ready()?;
        let (ins, _) = inspect_regions(self.format, self.container, &self.regions)?;
        Ok(ins)
    }

    /// Same-size edits that remove every location the reader found: `[]` when there is none,
    /// `strip_unsupported` when it cannot be removed in place (a timed metadata track, whose
    /// samples are in `mdat`) or when the edited metadata read again still has one.
    pub fn location_edits(&self) -> Result<Vec<Edit>, ErrorCode> {
        self.ready()?;
        let (ins, actions) = inspect_regions(self.format, self.container, &self.regions)?;
        if !ins.has_location {
            return Ok(Vec::new());
        }
        if !ins.can_strip_location {
            return Err(ErrorCode::StripUnsupported);
        }
        let mut edited = self.regions.clone();
        match self.container {
            Some(Container::Bmff) => bmff::apply(&mut edited, &actions)?,
            _ => mkv::apply(&mut edited, &actions)?,
        }
        match inspect_regions(self.format, self.container, &edited) {
            Ok((after, _)) if !after.has_location => {}
            _ => return Err(ErrorCode::StripUnsupported),
        }
        let edits = diff(&self.regions, &edited);
        if edits.windows(2).any(|p| p[0].offset + p[0].bytes.len() as u64 > p[1].offset) {
            return Err(ErrorCode::StripUnsupported);
        }
        Ok(edits)
    }
}

/// What [`bmff`] and [`mkv`] find to remove: a range of a region and what to do with it.
#[derive(Debug, Clone)]
pub(crate) struct Action {
    pub region: usize,
    pub range: Range<usize>,
    pub what: Removal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Removal {
    /// ISO BMFF: the whole box becomes `free`, its payload zeroed.
    FreeBox,
    /// ISO BMFF: a QuickTime key name, renamed to `removed___...` (same length). With
    /// [`Removal::Zero`] on its values: the key no longer says "location", so no reader takes
    /// the zeroed value for a place (an empty ISO 6709 string could read as 0,0), and the
    /// coordinates are gone. The `ilst` item itself stays: its type is the key's index, and a
    /// `free` box there would be an index past the end of `keys`.
    RenameKey,
    /// Zero the bytes (a QuickTime key's value payload, after its type and locale).
    Zero,
    /// An XMP packet: location properties blanked with spaces.
    Xmp,
    /// Matroska: the whole element becomes a Void element, its payload zeroed.
    VoidElement,
}

fn inspect_regions(format: Option<Format>, container: Option<Container>, regions: &[Region]) -> Result<(Inspection, Vec<Action>), ErrorCode> {
    let mut ins = Inspection { format, ..Inspection::default() };
    ins.can_strip_location = true;
    let actions = match container {
        Some(Container::Bmff) => bmff::inspect(regions, &mut ins)?,
        Some(Container::Mkv) => mkv::inspect(regions, &mut ins)?,
        None => return Err(ErrorCode::BadOptions),
    };
    ins.finish();
    Ok((ins, actions))
}

/// Runs of changed bytes between two sets of the same regions; runs closer than 16 bytes are
/// merged.
fn diff(before: &[Region], after: &[Region]) -> Vec<Edit> {
    let mut out: Vec<Edit> = Vec::new();
    for (a, b) in before.iter().zip(after) {
        let mut i = 0;
        let n = a.bytes.len().min(b.bytes.len());
        while i < n {
            if a.bytes[i] == b.bytes[i] {
                i += 1;
                continue;
            }
            let start = i;
            let mut end = i + 1;
            let mut j = end;
            while j < n && j - end < 16 {
                if a.bytes[j] != b.bytes[j] {
                    end = j + 1;
                }
                j += 1;
            }
            out.push(Edit { offset: a.offset + start as u64, bytes: b.bytes[start..end].to_vec() });
            i = end;
        }
    }
    out.sort_by_key(|e| e.offset);
    out
}

/// Reads a whole in-memory video through the window protocol.
pub fn read_video(file: &[u8]) -> Result<VideoReader, ErrorCode> {
    let mut r = VideoReader::new(file.len() as u64)?;
    while let Some(w) = r.want() {
        r.feed(w.start, &file[w.start as usize..w.end as usize])?;
    }
    Ok(r)
}

/// [`VideoReader::inspection`] of a whole in-memory video.
pub fn inspect_video(file: &[u8]) -> Result<Inspection, ErrorCode> {
    read_video(file)?.inspection()
}

/// [`VideoReader::location_edits`] of a whole in-memory video.
pub fn video_location_edits(file: &[u8]) -> Result<Vec<Edit>, ErrorCode> {
    read_video(file)?.location_edits()
}

/// The file with `edits` laid over it (for tests and small files; the extension builds the
/// same as Blob parts). `bad_options` if an edit overlaps another or runs past the end.
pub fn apply_edits(file: &[u8], edits: &[Edit]) -> Result<Vec<u8>, ErrorCode> {
    let mut out = file.to_vec();
    let mut last = 0u64;
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| e.offset);
    for e in sorted {
        let end = e.offset.checked_add(e.bytes.len() as u64).ok_or(ErrorCode::BadOptions)?;
        if e.offset < last || end > file.len() as u64 {
            return Err(ErrorCode::BadOptions);
        }
        out[e.offset as usize..end as usize].copy_from_slice(&e.bytes);
        last = end;
    }
    Ok(out)
}

/// The video format from the first bytes of a file, if it is one.
pub(crate) fn sniff(d: &[u8]) -> Option<Format> {
    bmff::sniff(d).or_else(|| mkv::sniff(d))
}

/// Parses an ISO 6709 string such as `+48.8577+002.2950+035.000/` (degrees, or DDMM.M /
/// DDMMSS.S and DDDMM.M / DDDMMSS.S forms).
pub(crate) fn parse_iso6709(s: &str) -> Option<Location> {
    let s = s.trim().trim_end_matches('/');
    let b = s.as_bytes();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < b.len() && parts.len() < 3 {
        if b[i] != b'+' && b[i] != b'-' {
            break;
        }
        let start = i;
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
            i += 1;
        }
        parts.push(&s[start..i]);
    }
    if parts.len() < 2 {
        return None;
    }
    let angle = |p: &str, deg_digits: usize| -> Option<f64> {
        let sign = if p.starts_with('-') { -1.0 } else { 1.0 };
        let num = &p[1..];
        let int_len = num.find('.').unwrap_or(num.len());
        let v: f64 = num.parse().ok()?;
        // Fewer integer digits than the standard's 2 (3 for longitude): read as degrees.
        let deg = match int_len.saturating_sub(deg_digits) {
            0 => v,
            2 => (v / 100.0).trunc() + (v % 100.0) / 60.0,
            4 => (v / 10000.0).trunc() + ((v / 100.0).trunc() % 100.0) / 60.0 + (v % 100.0) / 3600.0,
            _ => return None,
        };
        Some(sign * deg)
    };
    let lat = parts.first().and_then(|p| (p.len() > 1).then(|| angle(p, 2)).flatten())?;
    let lon = parts.get(1).and_then(|p| (p.len() > 1).then(|| angle(p, 3)).flatten())?;
    if !(lat.abs() <= 90.0 && lon.abs() <= 180.0) {
        return None;
    }
    let altitude = parts.get(2).and_then(|p| p.parse::<f64>().ok()).filter(|a| a.is_finite());
    Some(Location { latitude: lat, longitude: lon, altitude })
}

/// Seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn iso_date(unix: i64) -> Option<String> {
    let days = unix.div_euclid(86400);
    let secs = unix.rem_euclid(86400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    if !(1..=9999).contains(&y) {
        return None;
    }
    Some(format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60))
}

/// Location-bearing metadata names (QuickTime keys, Matroska tags), case-insensitive.
pub(crate) fn is_location_key(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["location", "iso6709", "gps", "latitude", "longitude", "coordinates", "xyz"].iter().any(|k| n.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso6709_forms() {
        let l = parse_iso6709("+48.8577+002.2950+035.000/").unwrap();
        assert_eq!((l.latitude, l.longitude, l.altitude), (48.8577, 2.295, Some(35.0)));
        let l = parse_iso6709("-3345.5-07030.0/").unwrap();
        assert!((l.latitude + 33.758333).abs() < 1e-5 && (l.longitude + 70.5).abs() < 1e-9 && l.altitude.is_none());
        let l = parse_iso6709("+404530-0735900/").unwrap();
        assert!((l.latitude - 40.758333).abs() < 1e-5 && (l.longitude + 73.983333).abs() < 1e-5);
        assert!(parse_iso6709("+4+5/").is_some_and(|l| l.latitude == 4.0 && l.longitude == 5.0));
        for bad in ["", "+", "48.85,2.29", "+91.0+000.0/", "+48.8-", "+4.5.5+3/", "+123+4/"] {
            assert!(parse_iso6709(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(iso_date(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(iso_date(1_714_566_896).as_deref(), Some("2024-05-01T12:34:56Z"));
        assert_eq!(iso_date(-2_082_844_800).as_deref(), Some("1904-01-01T00:00:00Z"));
        assert_eq!(iso_date(i64::MAX / 2), None);
    }

    #[test]
    fn edits_apply_and_refuse_overlaps() {
        let f = b"0123456789";
        let e = [Edit { offset: 2, bytes: b"ab".to_vec() }, Edit { offset: 8, bytes: b"z".to_vec() }];
        assert_eq!(apply_edits(f, &e).unwrap(), b"01ab4567z9");
        assert!(apply_edits(f, &[Edit { offset: 9, bytes: b"ab".to_vec() }]).is_err());
        let overlap = [Edit { offset: 2, bytes: b"ab".to_vec() }, Edit { offset: 3, bytes: b"c".to_vec() }];
        assert!(apply_edits(f, &overlap).is_err());
        assert!(apply_edits(f, &[Edit { offset: u64::MAX, bytes: b"ab".to_vec() }]).is_err());
    }

    #[test]
    fn reader_refuses_wrong_windows() {
        assert_eq!(VideoReader::new(0).unwrap_err(), ErrorCode::EmptyFile);
        let mut r = VideoReader::new(100).unwrap();
        assert_eq!(r.want(), Some(0..100));
        assert_eq!(r.feed(1, &[0; 99]), Err(ErrorCode::BadOptions));
        assert_eq!(r.feed(0, &[0; 100]), Err(ErrorCode::UnsupportedFormat));
        assert_eq!(r.want(), None);
        assert_eq!(r.inspection().unwrap_err(), ErrorCode::UnsupportedFormat);
    }
}
