//! XMP packets handled as text: finds location properties (element or attribute form)
//! and blanks them with spaces, so the packet keeps its length and stays well-formed.

use super::bytes::find;
use super::{Inspection, LocationSource};
use std::ops::Range;

/// Local names (any namespace prefix) that carry a place. `GPS*` is matched separately.
const PLACE_NAMES: &[&str] = &[
    "city",
    "state",
    "country",
    "countrycode",
    "countryname",
    "location",
    "locationshown",
    "locationcreated",
    "sublocation",
    "provincestate",
    "provincename",
    "provincecode",
    "worldregion",
    "latitude",
    "longitude",
    "altitude",
];

fn is_location_name(qname: &[u8]) -> bool {
    let Some(colon) = qname.iter().position(|&c| c == b':') else { return false };
    let (prefix, local) = (&qname[..colon], &qname[colon + 1..]);
    if matches!(prefix, b"xmlns" | b"rdf" | b"x" | b"xml") || local.is_empty() {
        return false;
    }
    let local = String::from_utf8_lossy(local).to_ascii_lowercase();
    local.starts_with("gps") || PLACE_NAMES.contains(&local.as_str())
}

fn is_name_byte(c: u8) -> bool {
    !(c.is_ascii_whitespace() || matches!(c, b'/' | b'>' | b'=' | b'<' | b'"' | b'\''))
}

fn skip_ws(x: &[u8], mut i: usize) -> usize {
    while i < x.len() && x[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

struct Tag {
    end: usize,
    self_closing: bool,
    attrs: Vec<(Range<usize>, Range<usize>)>,
}

/// Parses attributes from `i` (just after the tag name) to the closing `>`.
fn parse_tag(x: &[u8], mut i: usize) -> Option<Tag> {
    let mut attrs = Vec::new();
    loop {
        i = skip_ws(x, i);
        match x.get(i)? {
            b'>' => return Some(Tag { end: i + 1, self_closing: false, attrs }),
            b'/' if x.get(i + 1) == Some(&b'>') => return Some(Tag { end: i + 2, self_closing: true, attrs }),
            _ => {}
        }
        let name_start = i;
        while i < x.len() && is_name_byte(x[i]) {
            i += 1;
        }
        if i == name_start {
            return None;
        }
        let name = name_start..i;
        i = skip_ws(x, i);
        if x.get(i) != Some(&b'=') {
            return None;
        }
        i = skip_ws(x, i + 1);
        let q = *x.get(i)?;
        if q != b'"' && q != b'\'' {
            return None;
        }
        let close = x[i + 1..].iter().position(|&c| c == q)? + i + 1;
        attrs.push((name_start..close + 1, name));
        i = close + 1;
    }
}

/// End of the element named `name` whose start tag ended at `from`, counting nested
/// elements of the same name.
fn element_end(x: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = from;
    while let Some(p) = find(x, b"<", i) {
        let rest = &x[p + 1..];
        let (closing, n) = if rest.first() == Some(&b'/') { (true, &rest[1..]) } else { (false, rest) };
        let matches = n.starts_with(name) && n.get(name.len()).is_some_and(|&c| !is_name_byte(c));
        if matches {
            let tag_end = find(x, b">", p)? + 1;
            if closing {
                depth -= 1;
                if depth == 0 {
                    return Some(tag_end);
                }
            } else if x.get(tag_end.wrapping_sub(2)) != Some(&b'/') {
                depth += 1;
            }
            i = tag_end;
        } else {
            i = p + 1;
        }
    }
    None
}

/// Byte ranges of every location property in an XMP packet.
pub(crate) fn location_ranges(x: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(s) = find(x, b"<", i) {
        let rest = &x[s + 1..];
        let skip_to = |end: &[u8]| find(x, end, s + 1).map(|e| e + end.len());
        let next = if rest.starts_with(b"!--") {
            skip_to(b"-->")
        } else if rest.starts_with(b"?") {
            skip_to(b"?>")
        } else if rest.starts_with(b"!") || rest.starts_with(b"/") {
            skip_to(b">")
        } else {
            let mut n = s + 1;
            while n < x.len() && is_name_byte(x[n]) {
                n += 1;
            }
            let name = &x[s + 1..n];
            match parse_tag(x, n) {
                // Malformed tag: keep scanning after its '<' so later properties are still seen.
                None => Some(s + 1),
                Some(tag) if is_location_name(name) => {
                    // Malformed (unclosed) location element: blank to the end, over-stripping.
                    let end = if tag.self_closing { tag.end } else { element_end(x, tag.end, name).unwrap_or(x.len()) };
                    out.push(s..end);
                    Some(end)
                }
                Some(tag) => {
                    out.extend(tag.attrs.into_iter().filter(|(_, n)| is_location_name(&x[n.clone()])).map(|(r, _)| r));
                    Some(tag.end)
                }
            }
        };
        match next {
            Some(n) if n > i => i = n,
            _ => break,
        }
    }
    out
}

/// Blanks every location property with spaces; returns whether anything changed.
pub(crate) fn blank_location(x: &mut [u8]) -> bool {
    let ranges = location_ranges(x);
    for r in &ranges {
        x[r.clone()].fill(b' ');
    }
    !ranges.is_empty()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

fn clean(b: &[u8]) -> Option<String> {
    super::bytes::text(unescape(&String::from_utf8_lossy(b)).as_bytes())
}

/// A simple property's value, element (`<p>v</p>`) or attribute (`p="v"`) form.
pub(crate) fn simple_prop(x: &[u8], qname: &str) -> Option<String> {
    let q = qname.as_bytes();
    let mut i = 0;
    while let Some(p) = find(x, q, i) {
        i = p + 1;
        let after = p + q.len();
        if p > 0 && x[p - 1] == b'<' && x.get(after) == Some(&b'>') {
            let end = find(x, b"<", after)?;
            return clean(&x[after + 1..end]);
        }
        if p > 0 && x[p - 1].is_ascii_whitespace() {
            let eq = skip_ws(x, after);
            if x.get(eq) == Some(&b'=') {
                let v = skip_ws(x, eq + 1);
                let quote = *x.get(v)?;
                let end = x[v + 1..].iter().position(|&c| c == quote)? + v + 1;
                return clean(&x[v + 1..end]);
            }
        }
    }
    None
}

/// The first `rdf:li` of an array property such as `dc:creator`.
fn first_li(x: &[u8], qname: &str) -> Option<String> {
    let open = format!("<{qname}>");
    let start = find(x, open.as_bytes(), 0)? + open.len();
    let close = find(x, format!("</{qname}").as_bytes(), start).unwrap_or(x.len());
    let li = find(&x[..close], b"<rdf:li", start)?;
    let text_start = find(&x[..close], b">", li)? + 1;
    let text_end = find(&x[..close], b"<", text_start)?;
    clean(&x[text_start..text_end])
}

/// Reads location presence and owner fields from an XMP packet into `ins`.
pub(crate) fn read(x: &[u8], ins: &mut Inspection) {
    ins.has_xmp = true;
    if !location_ranges(x).is_empty() {
        ins.add_location_source(LocationSource::Xmp);
    }
    if ins.creator.is_none() {
        ins.creator = first_li(x, "dc:creator");
    }
    if ins.xmp_serial_number.is_none() {
        ins.xmp_serial_number = simple_prop(x, "aux:SerialNumber").or_else(|| simple_prop(x, "exifEX:BodySerialNumber"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKET: &str = r#"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='r'>
 <rdf:Description rdf:about='' xmlns:exif='e' exif:GPSLatitude="48,51N" aux:SerialNumber="SN1" tiff:Make='Canon'>
  <photoshop:City>Paris</photoshop:City>
  <Iptc4xmpExt:LocationShown><rdf:Bag><rdf:li><Iptc4xmpExt:City>P</Iptc4xmpExt:City></rdf:li></rdf:Bag></Iptc4xmpExt:LocationShown>
  <dc:creator><rdf:Seq><rdf:li>Jane &amp; Co</rdf:li></rdf:Seq></dc:creator>
  <exif:GPSAltitude/>
  <!-- <photoshop:Country>x</photoshop:Country> -->
 </rdf:Description></rdf:RDF></x:xmpmeta>"#;

    #[test]
    fn finds_and_blanks_location() {
        let mut ins = Inspection::default();
        read(PACKET.as_bytes(), &mut ins);
        assert!(ins.has_location);
        assert_eq!(ins.creator.as_deref(), Some("Jane & Co"));
        assert_eq!(ins.xmp_serial_number.as_deref(), Some("SN1"));
        let mut b = PACKET.as_bytes().to_vec();
        assert!(blank_location(&mut b));
        let s = String::from_utf8(b).unwrap();
        assert_eq!(s.len(), PACKET.len());
        for gone in ["GPSLatitude", "Paris", "LocationShown", "GPSAltitude"] {
            assert!(!s.contains(gone), "{gone} in {s}");
        }
        for kept in ["tiff:Make='Canon'", "aux:SerialNumber", "dc:creator", "</rdf:Description>"] {
            assert!(s.contains(kept), "{kept} missing in {s}");
        }
        assert!(location_ranges(s.as_bytes()).is_empty());
    }
}
