//! PNG: eXIf, XMP in iTXt, and ImageMagick/ExifTool "Raw profile type" text chunks
//! (hex-encoded EXIF, IPTC, XMP). Changed chunks get a new CRC; IDAT is never touched.

use super::bytes::{be32, crc32, find};
use super::{iptc, tiff, xmp, Inspection};
use crate::error::ErrorCode;
use std::ops::Range;

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const XMP_KEY: &[u8] = b"XML:com.adobe.xmp";
/// Text chunks are metadata: a decompressed chunk larger than this is not read.
const MAX_TEXT: usize = 16 << 20;

struct Chunk {
    kind: [u8; 4],
    whole: Range<usize>,
    data: Range<usize>,
}

fn chunks(d: &[u8]) -> Result<Vec<Chunk>, ErrorCode> {
    if !d.starts_with(SIGNATURE) {
        return Err(ErrorCode::CorruptFile);
    }
    let mut out: Vec<Chunk> = Vec::new();
    let mut i = SIGNATURE.len();
    while i < d.len() {
        let len = be32(d, i).ok_or(ErrorCode::CorruptFile)? as usize;
        let start = i + 8;
        let end = start.checked_add(len).and_then(|e| e.checked_add(4)).ok_or(ErrorCode::CorruptFile)?;
        if end > d.len() {
            return Err(ErrorCode::CorruptFile);
        }
        let kind = [d[i + 4], d[i + 5], d[i + 6], d[i + 7]];
        out.push(Chunk { kind, whole: i..end, data: start..start + len });
        i = end;
        if &kind == b"IEND" {
            break;
        }
    }
    match out.first() {
        Some(c) if &c.kind == b"IHDR" && c.data.len() >= 13 => Ok(out),
        _ => Err(ErrorCode::CorruptFile),
    }
}

/// A text chunk's keyword and (decompressed) text.
enum Text<'a> {
    Plain(&'a [u8], &'a [u8]),
    /// Compressed text, already inflated.
    Inflated(&'a [u8], Vec<u8>),
    /// Compressed but not inflatable (corrupt or too large).
    Unreadable(&'a [u8]),
}

fn text_chunk<'a>(kind: &[u8; 4], p: &'a [u8]) -> Option<Text<'a>> {
    let k = p.iter().position(|&c| c == 0)?;
    let key = &p[..k];
    let inflate = |z: &[u8]| miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(z, MAX_TEXT).ok();
    match kind {
        b"tEXt" => Some(Text::Plain(key, &p[k + 1..])),
        b"zTXt" => Some(p.get(k + 2..).and_then(inflate).map_or(Text::Unreadable(key), |t| Text::Inflated(key, t))),
        b"iTXt" => {
            let compressed = *p.get(k + 1)? == 1;
            let lang_end = p[k + 3..].iter().position(|&c| c == 0)? + k + 3;
            let tk_end = p[lang_end + 1..].iter().position(|&c| c == 0)? + lang_end + 1;
            let t = &p[tk_end + 1..];
            Some(if !compressed {
                Text::Plain(key, t)
            } else {
                inflate(t).map_or(Text::Unreadable(key), |t| Text::Inflated(key, t))
            })
        }
        _ => None,
    }
}

/// What a raw profile holds, from the chunk keyword.
#[derive(Clone, Copy, PartialEq)]
enum Profile {
    Exif,
    Iptc,
    Irb,
    Xmp,
}

fn raw_profile(key: &[u8]) -> Option<Profile> {
    let name = key.strip_prefix(b"Raw profile type ")?.to_ascii_lowercase();
    match name.as_slice() {
        b"exif" | b"app1" => Some(Profile::Exif),
        b"iptc" => Some(Profile::Iptc),
        b"8bim" => Some(Profile::Irb),
        b"xmp" => Some(Profile::Xmp),
        _ => None,
    }
}

/// Decodes "\n<name>\n<length>\n<hex...>" into (name line, bytes).
fn decode_raw(t: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let t = t.strip_prefix(b"\n").unwrap_or(t);
    let nl = t.iter().position(|&c| c == b'\n')?;
    let name = t[..nl].to_vec();
    let rest = &t[nl + 1..];
    let nl2 = rest.iter().position(|&c| c == b'\n')?;
    let len: usize = std::str::from_utf8(&rest[..nl2]).ok()?.trim().parse().ok()?;
    if len > MAX_TEXT {
        return None;
    }
    let mut out = Vec::with_capacity(len);
    let mut hi: Option<u8> = None;
    for &c in &rest[nl2 + 1..] {
        if out.len() == len {
            break;
        }
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        match hi.take() {
            Some(h) => out.push(h << 4 | v),
            None => hi = Some(v),
        }
    }
    (out.len() == len).then_some((name, out))
}

fn encode_raw(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut t = b"\n".to_vec();
    t.extend_from_slice(name);
    t.extend_from_slice(format!("\n{:8}\n", data.len()).as_bytes());
    for line in data.chunks(36) {
        for b in line {
            t.extend_from_slice(format!("{b:02x}").as_bytes());
        }
        t.push(b'\n');
    }
    t
}

/// The TIFF block inside an EXIF payload (with or without the JPEG "Exif\0\0" header).
fn exif_tiff(d: &[u8]) -> &[u8] {
    match find(d, b"Exif\0\0", 0) {
        Some(p) if p < 16 => &d[p + 6..],
        _ => d,
    }
}

fn read_profile(kind: Profile, data: &[u8], ins: &mut Inspection) {
    match kind {
        Profile::Exif => tiff::read_exif(exif_tiff(data), ins),
        Profile::Iptc if data.first() == Some(&0x1C) => iptc::read_iim(data, ins),
        Profile::Iptc | Profile::Irb => iptc::read_irb(data, ins),
        Profile::Xmp => xmp::read(data, ins),
    }
}

pub(crate) fn inspect(d: &[u8], ins: &mut Inspection) -> Result<(), ErrorCode> {
    let cs = chunks(d)?;
    let ihdr = &d[cs[0].data.clone()];
    let (w, h) = (be32(ihdr, 0).unwrap_or(0), be32(ihdr, 4).unwrap_or(0));
    ins.set_size(w, h);
    ins.bits_per_channel = Some(ihdr[8]);
    ins.lossless = true;
    for c in &cs {
        let p = &d[c.data.clone()];
        match &c.kind {
            b"acTL" => ins.animated |= be32(p, 0).is_some_and(|n| n > 1),
            b"eXIf" => tiff::read_exif(exif_tiff(p), ins),
            b"tEXt" | b"zTXt" | b"iTXt" => {
                let (key, text): (&[u8], &[u8]) = match text_chunk(&c.kind, p) {
                    Some(Text::Plain(k, t)) => (k, t),
                    Some(Text::Inflated(k, ref t)) => {
                        read_text(k, t, ins);
                        continue;
                    }
                    _ => continue,
                };
                read_text(key, text, ins);
            }
            _ => {}
        }
    }
    Ok(())
}

fn read_text(key: &[u8], text: &[u8], ins: &mut Inspection) {
    if key == XMP_KEY {
        xmp::read(text, ins);
    } else if let Some(kind) = raw_profile(key) {
        if let Some((_, data)) = decode_raw(text) {
            read_profile(kind, &data, ins);
        }
    } else {
        let slot = match key {
            b"Make" => &mut ins.make,
            b"Model" => &mut ins.model,
            b"Artist" | b"Author" => &mut ins.artist,
            b"Copyright" => &mut ins.copyright,
            _ => return,
        };
        if slot.is_none() {
            *slot = super::bytes::text(text);
        }
    }
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) -> Result<(), ErrorCode> {
    let len = u32::try_from(data.len()).map_err(|_| ErrorCode::StripUnsupported)?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
    Ok(())
}

/// A text chunk's replacement: `None` keeps it, `Some(None)` drops it.
fn strip_text(kind: &[u8; 4], p: &[u8]) -> Option<Option<(&'static [u8], Vec<u8>)>> {
    let (key, text): (&[u8], std::borrow::Cow<[u8]>) = match text_chunk(kind, p)? {
        Text::Plain(k, t) => (k, t.into()),
        Text::Inflated(k, t) => (k, t.into()),
        // Unreadable location-capable chunks are dropped rather than kept unchecked.
        Text::Unreadable(k) => return (k == XMP_KEY || raw_profile(k).is_some()).then_some(None),
    };
    let compressed = matches!(kind, b"zTXt") || (kind == b"iTXt" && p.get(key.len() + 1) == Some(&1));
    if key == XMP_KEY {
        let mut x = text.into_owned();
        if !xmp::blank_location(&mut x) {
            return None;
        }
        if !xmp::location_ranges(&x).is_empty() {
            return Some(None);
        }
        if !compressed {
            // Same keyword and header, same length: only the packet bytes changed.
            let mut c = p.to_vec();
            let at = c.len() - x.len();
            c[at..].copy_from_slice(&x);
            return Some(Some((b"iTXt", c)));
        }
        let mut c = XMP_KEY.to_vec();
        c.extend_from_slice(&[0, 0, 0, 0, 0]);
        c.extend_from_slice(&x);
        return Some(Some((b"iTXt", c)));
    }
    let profile = raw_profile(key)?;
    let Some((name, mut data)) = decode_raw(&text) else { return Some(None) };
    let changed = match profile {
        Profile::Exif => {
            let skip = data.len() - exif_tiff(&data).len();
            tiff::strip_gps(&mut data[skip..])
        }
        Profile::Xmp => xmp::blank_location(&mut data),
        Profile::Iptc if data.first() == Some(&0x1C) => iptc::strip_iim(&data).map(|n| data = n).is_some(),
        Profile::Iptc | Profile::Irb => iptc::strip_irb(&data, false).map(|n| data = n).is_some(),
    };
    if !changed {
        return None;
    }
    // Rewritten uncompressed (tEXt): no deflate encoder in the core.
    let mut c = key.to_vec();
    c.push(0);
    c.extend_from_slice(&encode_raw(&name, &data));
    Some(Some((b"tEXt", c)))
}

pub(crate) fn strip(d: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    let cs = chunks(d)?;
    let mut out = Vec::with_capacity(d.len());
    out.extend_from_slice(SIGNATURE);
    for c in &cs {
        let p = &d[c.data.clone()];
        match &c.kind {
            b"eXIf" => {
                let mut x = p.to_vec();
                let skip = x.len() - exif_tiff(&x).len();
                if tiff::strip_gps(&mut x[skip..]) {
                    push_chunk(&mut out, b"eXIf", &x)?;
                    continue;
                }
            }
            b"tEXt" | b"zTXt" | b"iTXt" => match strip_text(&c.kind, p) {
                None => {}
                Some(None) => continue,
                Some(Some((kind, data))) => {
                    push_chunk(&mut out, kind, &data)?;
                    continue;
                }
            },
            _ => {}
        }
        out.extend_from_slice(&d[c.whole.clone()]);
    }
    let tail = cs.last().map_or(d.len(), |c| c.whole.end);
    out.extend_from_slice(&d[tail..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_profile_round_trip() {
        let data: Vec<u8> = (0..=255).collect();
        let enc = encode_raw(b"IPTC profile", &data);
        let (name, dec) = decode_raw(&enc).unwrap();
        assert_eq!(name, b"IPTC profile");
        assert_eq!(dec, data);
    }
}
