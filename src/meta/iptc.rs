//! IPTC-IIM datasets and the Photoshop image resource blocks ("8BIM") that carry them.

use super::bytes::{be16, be32, get};
use super::{tiff, xmp, Inspection, LocationSource};
use std::ops::Range;

/// Record 2 datasets naming a place: content location code/name, city, sub-location,
/// province/state, country code, country name.
const LOCATION_DATASETS: [u8; 7] = [26, 27, 90, 92, 95, 100, 101];

struct DataSet {
    whole: Range<usize>,
    record: u8,
    number: u8,
    data: Range<usize>,
}

/// The datasets of an IIM stream; parsing stops at the first byte that is not a tag marker.
fn datasets(d: &[u8]) -> (Vec<DataSet>, usize) {
    let mut out = Vec::new();
    let mut i = 0;
    while d.get(i) == Some(&0x1C) {
        let (Some(&record), Some(&number), Some(len)) = (d.get(i + 1), d.get(i + 2), be16(d, i + 3)) else { break };
        let (hdr, len) = if len & 0x8000 != 0 {
            // Extended dataset: the low 15 bits give the size of the length field.
            let n = usize::from(len & 0x7FFF);
            let Some(b) = get(d, i + 5, n).filter(|_| n <= 4) else { break };
            (5 + n, b.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x)))
        } else {
            (5, usize::from(len))
        };
        let start = i + hdr;
        let Some(end) = start.checked_add(len).filter(|&e| e <= d.len()) else { break };
        out.push(DataSet { whole: i..end, record, number, data: start..end });
        i = end;
    }
    (out, i)
}

fn is_location(ds: &DataSet) -> bool {
    ds.record == 2 && LOCATION_DATASETS.contains(&ds.number)
}

/// Reads location presence and the by-line from an IIM stream.
pub(crate) fn read_iim(d: &[u8], ins: &mut Inspection) {
    let (sets, _) = datasets(d);
    if sets.is_empty() {
        return;
    }
    ins.has_iptc = true;
    if sets.iter().any(is_location) {
        ins.add_location_source(LocationSource::Iptc);
    }
    if ins.creator.is_none() {
        ins.creator = sets.iter().find(|s| s.record == 2 && s.number == 80).and_then(|s| super::bytes::text(&d[s.data.clone()]));
    }
}

/// The IIM stream without its location datasets; `None` if there were none.
pub(crate) fn strip_iim(d: &[u8]) -> Option<Vec<u8>> {
    let (sets, end) = datasets(d);
    if !sets.iter().any(is_location) {
        return None;
    }
    let mut out = Vec::with_capacity(d.len());
    for s in sets.iter().filter(|s| !is_location(s)) {
        out.extend_from_slice(&d[s.whole.clone()]);
    }
    out.extend_from_slice(&d[end..]);
    Some(out)
}

struct Resource {
    whole: Range<usize>,
    id: u16,
    header: Range<usize>,
    data: Range<usize>,
}

fn resources(d: &[u8]) -> (Vec<Resource>, usize) {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(sig) = get(d, i, 4) {
        if !matches!(sig, b"8BIM" | b"PHUT" | b"AgHg" | b"DCSR") {
            break;
        }
        let (Some(id), Some(&name_len)) = (be16(d, i + 4), d.get(i + 6)) else { break };
        // Pascal name padded to an even length (length byte included).
        let name_total = (usize::from(name_len) + 2) & !1;
        let size_at = i + 6 + name_total;
        let Some(size) = be32(d, size_at) else { break };
        let start = size_at + 4;
        let Some(end) = start.checked_add(size as usize).filter(|&e| e <= d.len()) else { break };
        let padded = (end + (end - i) % 2).min(d.len());
        out.push(Resource { whole: i..padded, id, header: i..size_at, data: start..end });
        i = padded;
    }
    (out, i)
}

/// Reads IPTC (0x0404), EXIF (0x0422) and XMP (0x0424) resources of a Photoshop block.
pub(crate) fn read_irb(d: &[u8], ins: &mut Inspection) {
    for r in resources(d).0 {
        let data = &d[r.data];
        match r.id {
            0x0404 => read_iim(data, ins),
            0x0422 => tiff::read_exif(data.strip_prefix(b"Exif\0\0").unwrap_or(data), ins),
            0x0424 => xmp::read(data, ins),
            _ => {}
        }
    }
}

/// The Photoshop block without location: IPTC datasets dropped, EXIF GPS and XMP location
/// blanked in place. `None` if nothing changed. Never longer than the input; with
/// `same_size`, the IPTC data is zero-padded to its old length instead of shrinking.
pub(crate) fn strip_irb(d: &[u8], same_size: bool) -> Option<Vec<u8>> {
    let (res, end) = resources(d);
    let mut out = Vec::with_capacity(d.len());
    let mut changed = false;
    for r in res {
        match r.id {
            0x0404 => {
                if let Some(mut iim) = strip_iim(&d[r.data.clone()]) {
                    changed = true;
                    if same_size {
                        iim.resize(r.data.len(), 0);
                    }
                    out.extend_from_slice(&d[r.header.clone()]);
                    out.extend_from_slice(&(iim.len() as u32).to_be_bytes());
                    out.extend_from_slice(&iim);
                    if iim.len() % 2 == 1 {
                        out.push(0);
                    }
                    continue;
                }
            }
            0x0422 | 0x0424 => {
                let at = out.len() + (r.data.start - r.whole.start);
                out.extend_from_slice(&d[r.whole.clone()]);
                let data = &mut out[at..at + r.data.len()];
                changed |= if r.id == 0x0424 { xmp::blank_location(data) } else { strip_exif_payload(data) };
                continue;
            }
            _ => {}
        }
        out.extend_from_slice(&d[r.whole]);
    }
    out.extend_from_slice(&d[end..]);
    changed.then_some(out)
}

/// GPS removal in an EXIF payload that may start with the JPEG "Exif\0\0" header.
pub(crate) fn strip_exif_payload(d: &mut [u8]) -> bool {
    let skip = if d.starts_with(b"Exif\0\0") { 6 } else { 0 };
    tiff::strip_gps(&mut d[skip..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(rec: u8, num: u8, v: &[u8]) -> Vec<u8> {
        let mut o = vec![0x1C, rec, num];
        o.extend((v.len() as u16).to_be_bytes());
        o.extend(v);
        o
    }

    #[test]
    fn drops_location_datasets_only() {
        let iim = [ds(2, 0, &[0, 4]), ds(2, 90, b"Paris"), ds(2, 80, b"Jane"), ds(2, 101, b"France")].concat();
        let mut irb = b"8BIM\x04\x04\0\0".to_vec();
        irb.extend((iim.len() as u32).to_be_bytes());
        irb.extend(&iim);
        irb.push(0);
        let mut ins = Inspection::default();
        read_irb(&irb, &mut ins);
        assert!(ins.has_location && ins.has_iptc);
        assert_eq!(ins.creator.as_deref(), Some("Jane"));
        let out = strip_irb(&irb, false).unwrap();
        assert_eq!(strip_irb(&irb, true).unwrap().len(), irb.len());
        assert!(out.len() < irb.len());
        let mut ins = Inspection::default();
        read_irb(&out, &mut ins);
        assert!(!ins.has_location && ins.has_iptc);
        assert_eq!(ins.creator.as_deref(), Some("Jane"));
        assert!(strip_irb(&out, false).is_none());
    }
}
