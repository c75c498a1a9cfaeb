//! Bounds-checked reads: every read of file data goes through these and returns `None`
//! instead of panicking.

#[inline]
pub(crate) fn get(d: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    d.get(at..at.checked_add(len)?)
}

#[inline]
pub(crate) fn u8_at(d: &[u8], at: usize) -> Option<u8> {
    d.get(at).copied()
}

#[inline]
pub(crate) fn be16(d: &[u8], at: usize) -> Option<u16> {
    get(d, at, 2).map(|b| u16::from_be_bytes([b[0], b[1]]))
}

#[inline]
pub(crate) fn be32(d: &[u8], at: usize) -> Option<u32> {
    get(d, at, 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

#[inline]
pub(crate) fn be64(d: &[u8], at: usize) -> Option<u64> {
    get(d, at, 8).map(|b| u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
}

#[inline]
pub(crate) fn le16(d: &[u8], at: usize) -> Option<u16> {
    get(d, at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

#[inline]
pub(crate) fn le32(d: &[u8], at: usize) -> Option<u32> {
    get(d, at, 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Big-endian unsigned integer of 0, 4 or 8 bytes (ISOBMFF field sizes).
pub(crate) fn be_var(d: &[u8], at: usize, size: usize) -> Option<u64> {
    match size {
        0 => Some(0),
        4 => be32(d, at).map(u64::from),
        8 => be64(d, at),
        _ => None,
    }
}

/// First index of `needle` in `hay` at or after `from`.
pub(crate) fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..].windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// A short, printable string from metadata bytes: stops at NUL, trims, caps the length.
pub(crate) fn text(b: &[u8]) -> Option<String> {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    let s = String::from_utf8_lossy(&b[..end]);
    let s: String = s.trim().chars().filter(|c| !c.is_control()).take(256).collect();
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

/// CRC-32 (IEEE), as PNG chunks use.
pub(crate) fn crc32(parts: &[&[u8]]) -> u32 {
    let mut c = !0u32;
    for p in parts {
        for &b in *p {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_checked() {
        assert_eq!(be16(&[1], 0), None);
        assert_eq!(be32(&[0, 0, 1, 2], 0), Some(258));
        assert_eq!(le16(&[1, 2], usize::MAX), None);
        assert_eq!(find(b"abcabc", b"ca", 0), Some(2));
        assert_eq!(find(b"abc", b"c", 9), None);
        assert_eq!(crc32(&[b"IEND"]), 0xAE42_6082);
        assert_eq!(text(b"  Canon\0junk"), Some("Canon".into()));
    }
}
