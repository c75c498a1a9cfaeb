//! HEIF/HEIC and AVIF: the `meta` box's item list and locations, to find the Exif and XMP
//! items and the image size. Location is removed in place (same size), so `iloc` offsets
//! stay valid.

use super::bytes::{be16, be32, be64, be_var, get};
use super::{tiff, xmp, Format, Inspection};
use crate::error::ErrorCode;
use std::ops::Range;

const AVIF_BRANDS: [&[u8]; 2] = [b"avif", b"avis"];
const HEIC_BRANDS: [&[u8]; 9] = [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1"];
const SEQUENCE_BRANDS: [&[u8]; 4] = [b"avis", b"msf1", b"hevc", b"hevs"];
/// Items are few in real files; the bound keeps crafted ones cheap.
const MAX_ITEMS: usize = 4096;

fn brands(d: &[u8]) -> Option<Vec<&[u8]>> {
    if get(d, 4, 4)? != b"ftyp" {
        return None;
    }
    let size = (be32(d, 0)? as usize).min(d.len());
    let mut out = vec![get(d, 8, 4)?];
    let mut i = 16;
    while i + 4 <= size {
        out.push(&d[i..i + 4]);
        i += 4;
    }
    Some(out)
}

pub(crate) fn sniff(d: &[u8]) -> Option<Format> {
    let b = brands(d)?;
    if b.iter().any(|x| AVIF_BRANDS.contains(x)) {
        Some(Format::Avif)
    } else if b.iter().any(|x| HEIC_BRANDS.contains(x)) {
        Some(Format::Heic)
    } else {
        None
    }
}

/// A box's type and content range.
type Bx = ([u8; 4], Range<usize>);

/// Boxes in `d[range]`.
fn boxes(d: &[u8], r: Range<usize>) -> Result<Vec<Bx>, ErrorCode> {
    let mut out = Vec::new();
    let mut i = r.start;
    while i + 8 <= r.end {
        let size = be32(d, i).ok_or(ErrorCode::CorruptFile)? as u64;
        let kind = [d[i + 4], d[i + 5], d[i + 6], d[i + 7]];
        let (hdr, size) = match size {
            0 => (8, (r.end - i) as u64),
            1 => (16, be64(d, i + 8).ok_or(ErrorCode::CorruptFile)?),
            s => (8, s),
        };
        let end = usize::try_from(size).ok().and_then(|s| i.checked_add(s)).ok_or(ErrorCode::CorruptFile)?;
        if size < hdr as u64 || end > r.end {
            return Err(ErrorCode::CorruptFile);
        }
        out.push((kind, i + hdr..end));
        i = end;
    }
    Ok(out)
}

#[derive(Default)]
struct Items {
    exif: Vec<u32>,
    xmp: Vec<u32>,
    /// item id -> (construction method, extents: file offsets, or `idat` offsets for method 1)
    locations: Vec<(u32, u16, Vec<Range<usize>>)>,
    size: Option<(u32, u32)>,
    /// Content of the `idat` box, which construction method 1 offsets point into.
    idat: Option<Range<usize>>,
}

fn parse_iinf(d: &[u8], r: Range<usize>, items: &mut Items) -> Result<(), ErrorCode> {
    let version = *d.get(r.start).ok_or(ErrorCode::CorruptFile)?;
    let first = r.start + if version == 0 { 6 } else { 8 };
    for (kind, b) in boxes(d, first.min(r.end)..r.end)?.into_iter().take(MAX_ITEMS) {
        if &kind != b"infe" {
            continue;
        }
        let v = *d.get(b.start).ok_or(ErrorCode::CorruptFile)?;
        if v < 2 {
            continue;
        }
        let (id, at) = if v == 2 {
            (be16(d, b.start + 4).map(u32::from), b.start + 6)
        } else {
            (be32(d, b.start + 4), b.start + 8)
        };
        let id = id.ok_or(ErrorCode::CorruptFile)?;
        let item_type = get(d, at + 2, 4).ok_or(ErrorCode::CorruptFile)?;
        let body = d.get(at + 6..b.end).unwrap_or(&[]);
        if item_type == b"Exif" {
            items.exif.push(id);
        } else if item_type == b"mime" {
            // item_name\0 content_type\0
            let name_end = body.iter().position(|&c| c == 0).unwrap_or(body.len());
            if body.get(name_end + 1..).is_some_and(|ct| ct.starts_with(b"application/rdf+xml")) {
                items.xmp.push(id);
            }
        }
    }
    Ok(())
}

fn parse_iloc(d: &[u8], r: Range<usize>, items: &mut Items) -> Result<(), ErrorCode> {
    let e = ErrorCode::CorruptFile;
    let version = *d.get(r.start).ok_or(e)?;
    let sizes = be16(d, r.start + 4).ok_or(e)?;
    let (off_size, len_size, base_size) = (usize::from(sizes >> 12), usize::from(sizes >> 8 & 15), usize::from(sizes >> 4 & 15));
    let index_size = if version >= 1 { usize::from(sizes & 15) } else { 0 };
    let mut i = r.start + 6;
    let count = if version < 2 {
        i += 2;
        usize::from(be16(d, i - 2).ok_or(e)?)
    } else {
        i += 4;
        be32(d, i - 4).ok_or(e)? as usize
    };
    for _ in 0..count.min(MAX_ITEMS) {
        let id = if version < 2 {
            i += 2;
            u32::from(be16(d, i - 2).ok_or(e)?)
        } else {
            i += 4;
            be32(d, i - 4).ok_or(e)?
        };
        let method = if version >= 1 {
            i += 2;
            be16(d, i - 2).ok_or(e)? & 15
        } else {
            0
        };
        i += 2; // data_reference_index
        let base = be_var(d, i, base_size).ok_or(e)?;
        i += base_size;
        let extents = be16(d, i).ok_or(e)?;
        i += 2;
        let mut ranges = Vec::new();
        for _ in 0..extents {
            i += index_size;
            let off = be_var(d, i, off_size).ok_or(e)?;
            i += off_size;
            let len = be_var(d, i, len_size).ok_or(e)?;
            i += len_size;
            let start = base.checked_add(off).and_then(|s| usize::try_from(s).ok());
            let end = start.and_then(|s| s.checked_add(usize::try_from(len).ok()?));
            if let (Some(s), Some(t)) = (start, end) {
                ranges.push(s..t);
            }
        }
        if i > r.end {
            return Err(e);
        }
        items.locations.push((id, method, ranges));
    }
    Ok(())
}

fn parse_meta(d: &[u8]) -> Result<Items, ErrorCode> {
    let mut items = Items::default();
    let top = boxes(d, 0..d.len())?;
    let Some((_, meta)) = top.iter().find(|(k, _)| k == b"meta") else { return Ok(items) };
    // `meta` is a full box: skip version and flags.
    for (kind, b) in boxes(d, (meta.start + 4).min(meta.end)..meta.end)? {
        match &kind {
            b"iinf" => parse_iinf(d, b, &mut items)?,
            b"iloc" => parse_iloc(d, b, &mut items)?,
            b"idat" => items.idat = Some(b),
            b"iprp" => {
                for (k, ipco) in boxes(d, b)? {
                    if &k != b"ipco" {
                        continue;
                    }
                    for (k, p) in boxes(d, ipco)? {
                        if &k == b"ispe" {
                            if let (Some(w), Some(h)) = (be32(d, p.start + 4), be32(d, p.start + 8)) {
                                // The largest is the full image (grids list tiles too).
                                if items.size.map_or(true, |(a, b)| u64::from(w) * u64::from(h) > u64::from(a) * u64::from(b)) {
                                    items.size = Some((w, h));
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(items)
}

/// The file range of an item stored as one extent, in the file (construction method 0)
/// or in the `idat` box (method 1).
fn item_range(d: &[u8], items: &Items, id: u32) -> Option<Result<Range<usize>, ErrorCode>> {
    let (_, method, ranges) = items.locations.iter().find(|l| l.0 == id)?;
    Some(match (ranges.as_slice(), method, &items.idat) {
        ([r], 0, _) if r.end <= d.len() => Ok(r.clone()),
        ([r], 1, Some(idat)) if r.end <= idat.len() => Ok(idat.start + r.start..idat.start + r.end),
        _ => Err(ErrorCode::StripUnsupported),
    })
}

/// The TIFF block of an Exif item: a 4-byte offset to the TIFF header comes first.
fn exif_tiff(item: Range<usize>, d: &[u8]) -> Option<Range<usize>> {
    let skip = be32(d, item.start)? as usize;
    let start = item.start.checked_add(4)?.checked_add(skip)?;
    (start <= item.end).then_some(start..item.end)
}

pub(crate) fn inspect(d: &[u8], ins: &mut Inspection) -> Result<(), ErrorCode> {
    let items = parse_meta(d)?;
    if let Some((w, h)) = items.size {
        ins.set_size(w, h);
    }
    ins.animated = brands(d).is_some_and(|b| b.iter().any(|x| SEQUENCE_BRANDS.contains(x)));
    let mut strippable = true;
    for &id in &items.exif {
        match item_range(d, &items, id) {
            Some(Ok(r)) => {
                if let Some(t) = exif_tiff(r, d) {
                    tiff::read_exif(&d[t], ins);
                }
            }
            Some(Err(_)) => strippable = false,
            None => {}
        }
    }
    for &id in &items.xmp {
        match item_range(d, &items, id) {
            Some(Ok(r)) => xmp::read(&d[r], ins),
            Some(Err(_)) => strippable = false,
            None => {}
        }
    }
    ins.can_strip_location = strippable;
    Ok(())
}

pub(crate) fn strip(d: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    let items = parse_meta(d)?;
    let mut out = d.to_vec();
    for &id in &items.exif {
        if let Some(r) = item_range(d, &items, id).transpose()? {
            if let Some(t) = exif_tiff(r, d) {
                tiff::strip_gps(&mut out[t]);
            }
        }
    }
    for &id in &items.xmp {
        if let Some(r) = item_range(d, &items, id).transpose()? {
            xmp::blank_location(&mut out[r]);
        }
    }
    Ok(out)
}
