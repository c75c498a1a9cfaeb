//! A minimal, lazy TIFF/EXIF reader (only the tags the core reports) and the in-place
//! removal of the GPS IFD. Values are read on demand, so crafted files cannot make it
//! allocate more than the tags it reports.

use super::bytes::{get, text};
use super::{Inspection, LocationSource};
use std::ops::Range;

const GPS_IFD: u16 = 0x8825;
const EXIF_IFD: u16 = 0x8769;
/// IFD0 -> IFD1 (thumbnail) is the usual chain; more is allowed but bounded.
const MAX_CHAIN: usize = 8;

#[derive(Clone, Copy)]
pub(crate) struct Tiff<'a> {
    d: &'a [u8],
    le: bool,
}

#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) pos: usize,
    pub(crate) tag: u16,
    pub(crate) typ: u16,
    pub(crate) count: u32,
}

fn type_size(typ: u16) -> Option<usize> {
    Some(match typ {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 | 16 | 17 | 18 => 8,
        _ => return None,
    })
}

/// True if `d` starts with a classic (not Big) TIFF header.
pub(crate) fn is_tiff(d: &[u8]) -> bool {
    d.starts_with(b"II*\0") || d.starts_with(b"MM\0*")
}

impl<'a> Tiff<'a> {
    pub(crate) fn new(d: &'a [u8]) -> Option<Self> {
        is_tiff(d).then_some(Tiff { d, le: d[0] == b'I' })
    }

    pub(crate) fn u16(&self, at: usize) -> Option<u16> {
        let b = get(self.d, at, 2)?;
        Some(if self.le { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    }

    pub(crate) fn u32(&self, at: usize) -> Option<u32> {
        let b = get(self.d, at, 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if self.le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    }

    pub(crate) fn first_ifd(&self) -> Option<usize> {
        self.u32(4).map(|o| o as usize)
    }

    /// Number of entries of the IFD at `ifd`, if its whole entry table is in bounds.
    fn count(&self, ifd: usize) -> Option<usize> {
        let n = usize::from(self.u16(ifd)?);
        get(self.d, ifd.checked_add(2)?, n * 12)?;
        Some(n)
    }

    pub(crate) fn entries(&self, ifd: usize) -> impl Iterator<Item = Entry> + '_ {
        let n = self.count(ifd).unwrap_or(0);
        (0..n).filter_map(move |i| {
            let pos = ifd + 2 + i * 12;
            Some(Entry { pos, tag: self.u16(pos)?, typ: self.u16(pos + 2)?, count: self.u32(pos + 4)? })
        })
    }

    pub(crate) fn find(&self, ifd: usize, tag: u16) -> Option<Entry> {
        self.entries(ifd).find(|e| e.tag == tag)
    }

    /// IFD0 and the IFDs chained after it, without repeats.
    pub(crate) fn chain(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut next = self.first_ifd();
        while let Some(o) = next {
            if o == 0 || out.len() >= MAX_CHAIN || out.contains(&o) {
                break;
            }
            let Some(n) = self.count(o) else { break };
            out.push(o);
            next = self.u32(o + 2 + n * 12).map(|v| v as usize);
        }
        out
    }

    /// Where the entry's value lives in the data.
    pub(crate) fn value_range(&self, e: &Entry) -> Option<Range<usize>> {
        let len = type_size(e.typ)?.checked_mul(e.count as usize)?;
        let start = if len <= 4 { e.pos + 8 } else { self.u32(e.pos + 8)? as usize };
        get(self.d, start, len)?;
        Some(start..start + len)
    }

    fn value(&self, e: &Entry) -> Option<&'a [u8]> {
        self.value_range(e).map(|r| &self.d[r])
    }

    pub(crate) fn uint(&self, e: &Entry, i: usize) -> Option<u32> {
        let r = self.value_range(e)?;
        match e.typ {
            1 | 7 => self.d.get(r.start + i).map(|&b| u32::from(b)),
            3 if i < e.count as usize => self.u16(r.start + 2 * i).map(u32::from),
            4 | 13 if i < e.count as usize => self.u32(r.start + 4 * i),
            _ => None,
        }
    }

    fn rational(&self, e: &Entry, i: usize) -> Option<f64> {
        if (e.typ != 5 && e.typ != 10) || i >= e.count as usize {
            return None;
        }
        let at = self.value_range(e)?.start + 8 * i;
        let (n, d) = (self.u32(at)?, self.u32(at + 4)?);
        if d == 0 {
            return None;
        }
        Some(if e.typ == 5 { f64::from(n) / f64::from(d) } else { f64::from(n as i32) / f64::from(d as i32) })
    }

    fn ascii(&self, e: &Entry) -> Option<String> {
        if e.typ != 2 && e.typ != 7 && e.typ != 1 {
            return None;
        }
        text(self.value(e)?)
    }

    fn tag_text(&self, ifd: usize, tag: u16) -> Option<String> {
        self.ascii(&self.find(ifd, tag)?)
    }

    fn sub_ifd(&self, ifd: usize, tag: u16) -> Option<usize> {
        let e = self.find(ifd, tag)?;
        let o = self.uint(&e, 0)? as usize;
        self.count(o).map(|_| o)
    }

    /// Raw bytes of a tag's value in IFD0 (XMP, IPTC, Photoshop blocks of TIFF files).
    pub(crate) fn ifd0_value(&self, tag: u16) -> Option<Range<usize>> {
        let e = self.find(self.first_ifd()?, tag)?;
        self.value_range(&e)
    }
}

fn dms(t: &Tiff, e: &Entry) -> Option<f64> {
    let d = t.rational(e, 0)?;
    let m = t.rational(e, 1).unwrap_or(0.0);
    let s = t.rational(e, 2).unwrap_or(0.0);
    Some(d + m / 60.0 + s / 3600.0)
}

/// Reads the reported EXIF fields of a TIFF block into `ins` (fields already set win).
pub(crate) fn read_exif(d: &[u8], ins: &mut Inspection) {
    let Some(t) = Tiff::new(d) else { return };
    let Some(ifd0) = t.first_ifd().filter(|&o| t.count(o).is_some()) else { return };
    ins.has_exif = true;
    let set = |slot: &mut Option<String>, v: Option<String>| {
        if slot.is_none() {
            *slot = v;
        }
    };
    set(&mut ins.make, t.tag_text(ifd0, 0x010F));
    set(&mut ins.model, t.tag_text(ifd0, 0x0110));
    set(&mut ins.artist, t.tag_text(ifd0, 0x013B));
    set(&mut ins.copyright, t.tag_text(ifd0, 0x8298));
    if ins.orientation.is_none() {
        ins.orientation = t.find(ifd0, 0x0112).and_then(|e| t.uint(&e, 0)).filter(|o| (1..=8).contains(o)).map(|o| o as u8);
    }
    let datetime = t.tag_text(ifd0, 0x0132);
    if let Some(exif) = t.sub_ifd(ifd0, EXIF_IFD) {
        set(&mut ins.capture_time, t.tag_text(exif, 0x9003));
        set(&mut ins.camera_owner_name, t.tag_text(exif, 0xA430));
        set(&mut ins.body_serial_number, t.tag_text(exif, 0xA431));
        set(&mut ins.lens_serial_number, t.tag_text(exif, 0xA435));
    }
    set(&mut ins.capture_time, datetime);
    for ifd in t.chain() {
        let Some(gps) = t.sub_ifd(ifd, GPS_IFD) else { continue };
        if t.count(gps) == Some(0) {
            continue;
        }
        ins.add_location_source(LocationSource::ExifGps);
        if ins.location.is_none() {
            ins.location = gps_location(&t, gps);
        }
    }
}

fn gps_location(t: &Tiff, gps: usize) -> Option<super::Location> {
    let sign = |tag: u16, neg: u8| -> f64 {
        match t.find(gps, tag).and_then(|e| t.value(&e)).and_then(|v| v.first().copied()) {
            Some(c) if c.eq_ignore_ascii_case(&neg) => -1.0,
            _ => 1.0,
        }
    };
    let lat = dms(t, &t.find(gps, 2)?)? * sign(1, b'S');
    let lon = dms(t, &t.find(gps, 4)?)? * sign(3, b'W');
    if !(lat.abs() <= 90.0 && lon.abs() <= 180.0) {
        return None;
    }
    let altitude = t.find(gps, 6).and_then(|e| t.rational(&e, 0)).map(|a| {
        let below = t.find(gps, 5).and_then(|e| t.uint(&e, 0)) == Some(1);
        if below {
            -a
        } else {
            a
        }
    });
    Some(super::Location { latitude: lat, longitude: lon, altitude })
}

fn put16(d: &mut [u8], at: usize, v: u16, le: bool) {
    let b = if le { v.to_le_bytes() } else { v.to_be_bytes() };
    if let Some(s) = d.get_mut(at..at + 2) {
        s.copy_from_slice(&b);
    }
}

/// Removes every GPSInfo pointer from the IFD0 chain and zeroes the GPS IFDs and their
/// values, in place: the block keeps its size, every other byte is unchanged.
/// Returns whether anything changed.
pub(crate) fn strip_gps(d: &mut [u8]) -> bool {
    let Some(t) = Tiff::new(d) else { return false };
    let le = t.le;
    let mut edits: Vec<(usize, usize, Entry)> = Vec::new();
    for ifd in t.chain() {
        let n = t.count(ifd).unwrap_or(0);
        for e in t.entries(ifd) {
            if e.tag == GPS_IFD {
                edits.push((ifd, n, e));
            }
        }
    }
    if edits.is_empty() {
        return false;
    }
    // Ranges to zero: each GPS IFD's table and its out-of-line values, unless they overlap
    // the header or a top-level IFD table (a crafted file can point GPS values at offset 0,
    // or the GPS IFD at IFD0): those must stay readable.
    let header = 0..8;
    let tables: Vec<Range<usize>> = core::iter::once(header).chain(t.chain().iter().map(|&o| o..o + 2 + 12 * t.count(o).unwrap_or(0) + 4)).collect();
    let mut zero: Vec<Range<usize>> = Vec::new();
    for (_, _, e) in &edits {
        let Some(g) = t.uint(e, 0).map(|v| v as usize) else { continue };
        let Some(gn) = t.count(g) else { continue };
        let mut rs: Vec<Range<usize>> = Vec::new();
        rs.push(g..(g + 2 + 12 * gn + 4).min(d.len()));
        for ge in t.entries(g) {
            rs.extend(t.value_range(&ge));
        }
        zero.extend(rs.into_iter().filter(|r| !tables.iter().any(|tb| r.start < tb.end && tb.start < r.end)));
    }
    // Remove entries back to front per IFD, so earlier positions stay valid.
    edits.sort_by_key(|e| std::cmp::Reverse(e.2.pos));
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for (ifd, n0, e) in edits {
        let n = match counts.iter_mut().find(|c| c.0 == ifd) {
            Some(c) => c,
            None => {
                counts.push((ifd, n0));
                counts.last_mut().expect("just pushed")
            }
        };
        let table_end = ifd + 2 + 12 * n.1;
        // The next-IFD offset follows the entries; move it up with them when present.
        let tail_end = if table_end + 4 <= d.len() { table_end + 4 } else { table_end };
        d.copy_within(e.pos + 12..tail_end, e.pos);
        d[tail_end - 12..tail_end].fill(0);
        n.1 -= 1;
        put16(d, ifd, n.1 as u16, le);
    }
    for r in zero {
        d[r].fill(0);
    }
    true
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A big-endian TIFF: IFD0 {Make, GPS pointer, Orientation}, next IFD 0; GPS IFD {LatRef, Lat}.
    pub(crate) fn sample() -> Vec<u8> {
        let mut d = b"MM\0*\0\0\0\x08".to_vec();
        d.extend([0, 3]);
        d.extend([0x01, 0x0F, 0, 2, 0, 0, 0, 4]);
        d.extend(b"Cn\0\0");
        d.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 50]);
        d.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        d.extend([0, 0, 0, 0]);
        assert_eq!(d.len(), 50);
        d.extend([0, 3]);
        d.extend([0, 1, 0, 2, 0, 0, 0, 2, b'S', 0, 0, 0]);
        d.extend([0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 92]);
        d.extend([0, 4, 0, 5, 0, 0, 0, 3, 0, 0, 0, 92]);
        d.extend([0, 0, 0, 0]);
        assert_eq!(d.len(), 92);
        for (n, den) in [(10u32, 1u32), (30, 1), (0, 1)] {
            d.extend(n.to_be_bytes());
            d.extend(den.to_be_bytes());
        }
        d
    }

    #[test]
    fn reads_and_strips_gps() {
        let mut d = sample();
        let mut ins = Inspection::default();
        read_exif(&d, &mut ins);
        assert_eq!(ins.make.as_deref(), Some("Cn"));
        assert_eq!(ins.orientation, Some(6));
        let loc = ins.location.unwrap();
        assert!((loc.latitude + 10.5).abs() < 1e-9 && (loc.longitude - 10.5).abs() < 1e-9);
        assert!(ins.has_location);
        let before = d.clone();
        assert!(strip_gps(&mut d));
        assert_eq!(d.len(), before.len());
        let mut ins = Inspection::default();
        read_exif(&d, &mut ins);
        assert!(!ins.has_location && ins.location.is_none());
        assert_eq!(ins.orientation, Some(6));
        assert_eq!(ins.make.as_deref(), Some("Cn"));
        assert!(d[50..].iter().all(|&b| b == 0));
        assert!(!strip_gps(&mut d));
    }

    /// A GPS value whose offset is 0 (found by fuzzing): the header must survive stripping.
    #[test]
    fn gps_values_pointing_at_the_header_leave_it_readable() {
        let mut d = sample();
        // GPSLatitudeRef: 8 ASCII bytes, so out of line, at offset 0.
        d[52..64].copy_from_slice(&[0, 1, 0, 2, 0, 0, 0, 8, 0, 0, 0, 0]);
        assert!(strip_gps(&mut d));
        assert_eq!(&d[..8], b"MM\0*\0\0\0\x08");
        let mut ins = Inspection::default();
        read_exif(&d, &mut ins);
        assert!(!ins.has_location);
        assert_eq!((ins.make.as_deref(), ins.orientation), (Some("Cn"), Some(6)));
    }
}
