//! Reads and removes metadata from the original file bytes, without touching pixels.
//!
//! [`inspect`] reports what a photo reveals (location, device, time, owner) and what the
//! extension can do with it; [`strip_location`] removes location with size-preserving,
//! in-place edits where it can, so pixels and the JPEG scan data stay byte-identical.
//! Videos are read through windows instead of whole ([`video`]).
//! Nothing here panics on malformed input: every read is bounds-checked and every loop
//! consumes input or is bounded.

mod bytes;
mod gif;
mod iptc;
mod isobmff;
mod jpeg;
mod png;
mod tiff;
pub mod video;
mod webp;
mod xmp;

use crate::error::ErrorCode;
use crate::raster::MAX_PIXELS;
use serde::Serialize;

/// An image or video container recognised by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// JPEG / JFIF / EXIF.
    Jpeg,
    /// PNG, including APNG.
    Png,
    /// WebP (lossy, lossless, extended).
    Webp,
    /// GIF87a / GIF89a.
    Gif,
    /// Classic (not Big) TIFF.
    Tiff,
    /// HEIF with HEVC (HEIC), including generic `mif1` files that are not AVIF.
    Heic,
    /// AVIF.
    Avif,
    /// Windows bitmap.
    Bmp,
    /// MP4 family (ISO BMFF: MP4, M4V, 3GP).
    Mp4,
    /// QuickTime (MOV).
    Mov,
    /// WebM.
    Webm,
    /// Matroska (MKV) other than WebM.
    Matroska,
}

impl Format {
    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
            Format::Tiff => "image/tiff",
            Format::Heic => "image/heic",
            Format::Avif => "image/avif",
            Format::Bmp => "image/bmp",
            Format::Mp4 => "video/mp4",
            Format::Mov => "video/quicktime",
            Format::Webm => "video/webm",
            Format::Matroska => "video/x-matroska",
        }
    }

    /// A video format (read with [`video::VideoReader`]).
    pub fn is_video(self) -> bool {
        matches!(self, Format::Mp4 | Format::Mov | Format::Webm | Format::Matroska)
    }
}

/// Where a location was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationSource {
    /// The EXIF GPS IFD (any tag in it).
    ExifGps,
    /// XMP GPS, city, country or location properties.
    Xmp,
    /// IPTC-IIM location datasets (2:26, 2:27, 2:90, 2:92, 2:95, 2:100, 2:101).
    Iptc,
    /// A video's QuickTime metadata keys (`keys`/`ilst`, e.g.
    /// `com.apple.quicktime.location.ISO6709`, as iPhones write).
    #[serde(rename = "quicktime_keys")]
    QuickTimeKeys,
    /// A video's `©xyz` user data (ISO 6709 text, as Android phones write).
    UdtaXyz,
    /// A video's 3GPP `loci` box.
    Loci,
    /// A video track of timed metadata that may carry positions (GoPro GPMF, CAMM, Apple
    /// timed metadata with a location key): its samples are in the media data, not removable.
    TimedMetadata,
    /// A Matroska/WebM `SimpleTag` named like a location (`LOCATION`, `...ISO6709`, `GPS...`).
    MatroskaTag,
}

/// Coordinates from EXIF GPS, in degrees (south and west negative) and metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Location {
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
    /// Metres above sea level, when recorded.
    pub altitude: Option<f64>,
}

/// What a file reveals and what the extension can do with it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inspection {
    /// The container format, `None` only while inspecting.
    pub format: Option<Format>,
    /// The MIME type of `format`.
    pub mime: Option<&'static str>,
    /// Width in pixels, as the header says (before EXIF orientation).
    pub width: Option<u32>,
    /// Height in pixels, as the header says.
    pub height: Option<u32>,
    /// `width * height`, capped at 2^53 - 1 so it stays exact as a JavaScript number.
    pub pixels: Option<u64>,
    /// EXIF orientation, 1 to 8.
    pub orientation: Option<u8>,
    /// EXIF GPS coordinates, when readable.
    pub location: Option<Location>,
    /// True if any location is present in any of `location_sources`.
    pub has_location: bool,
    /// Where location was found, without repeats.
    pub location_sources: Vec<LocationSource>,
    /// Camera or phone maker (EXIF Make).
    pub make: Option<String>,
    /// Camera or phone model (EXIF Model).
    pub model: Option<String>,
    /// EXIF DateTimeOriginal, else DateTime, as written ("YYYY:MM:DD HH:MM:SS"). Videos: the
    /// QuickTime `creationdate` key or `©day` as written, else the `mvhd` creation time (or
    /// Matroska `DateUTC`) as "YYYY-MM-DDTHH:MM:SSZ".
    pub capture_time: Option<String>,
    /// EXIF Artist.
    pub artist: Option<String>,
    /// EXIF Copyright.
    pub copyright: Option<String>,
    /// EXIF CameraOwnerName (0xA430).
    pub camera_owner_name: Option<String>,
    /// EXIF BodySerialNumber (0xA431).
    pub body_serial_number: Option<String>,
    /// EXIF LensSerialNumber (0xA435).
    pub lens_serial_number: Option<String>,
    /// XMP dc:creator (first), else IPTC By-line.
    pub creator: Option<String>,
    /// XMP aux:SerialNumber or exifEX:BodySerialNumber.
    pub xmp_serial_number: Option<String>,
    /// An EXIF block was found.
    pub has_exif: bool,
    /// An XMP packet was found.
    pub has_xmp: bool,
    /// IPTC-IIM data was found.
    pub has_iptc: bool,
    /// More than one frame (GIF, APNG, animated WebP, image sequences in HEIF/AVIF).
    pub animated: bool,
    /// Bits per colour channel, when the header says.
    pub bits_per_channel: Option<u8>,
    /// Four-component (CMYK/YCCK) JPEG or separated TIFF.
    pub cmyk: bool,
    /// Lossless coding (PNG, GIF, lossless WebP, BMP).
    pub lossless: bool,
    /// libjpeg-style quality estimated from the luminance quantisation table.
    pub jpeg_quality: Option<u8>,
    /// [`strip_location`] supports this file.
    pub can_strip_location: bool,
    /// The browser can decode this image and write it back in the same format (JPEG, PNG,
    /// WebP) for masking.
    pub can_mask: bool,
    /// Why masking is refused: an [`ErrorCode`] string.
    pub mask_blocker: Option<&'static str>,
    /// Videos: the duration in seconds.
    pub duration_seconds: Option<f64>,
    /// Videos: the first video track's clockwise display rotation (0, 90, 180, 270) from its
    /// `tkhd` matrix.
    pub rotation: Option<u16>,
    /// Videos: there is an audio track.
    pub has_audio: bool,
    /// Videos: the first video track's codec as a sample-entry four-cc (`avc1`, `hvc1`,
    /// `av01`, `vp09`, ...; Matroska codec IDs are mapped to these when known).
    pub video_codec: Option<String>,
    /// The header declares more pixels than the engine accepts ([`MAX_PIXELS`]): the picture is
    /// never decoded (a decompression bomb declares billions of pixels in a few bytes).
    pub too_large: bool,
}

impl Inspection {
    fn add_location_source(&mut self, s: LocationSource) {
        self.has_location = true;
        if !self.location_sources.contains(&s) {
            self.location_sources.push(s);
        }
    }

    fn set_size(&mut self, w: u32, h: u32) {
        self.width = Some(w);
        self.height = Some(h);
        self.pixels = Some((u64::from(w) * u64::from(h)).min((1 << 53) - 1));
    }

    fn finish(&mut self) {
        let format = self.format;
        self.mime = format.map(Format::mime);
        self.can_strip_location = match format {
            Some(f) if f == Format::Heic || f == Format::Avif || f.is_video() => self.can_strip_location,
            Some(_) => true,
            None => false,
        };
        let blocker = if format.is_some_and(Format::is_video) {
            Some(ErrorCode::VideoNotMasked)
        } else if matches!(format, Some(Format::Heic | Format::Tiff)) {
            Some(ErrorCode::UndecodableFormat)
        } else if self.animated {
            Some(ErrorCode::AnimatedImage)
        } else if self.cmyk {
            Some(ErrorCode::CmykImage)
        } else if self.bits_per_channel.is_some_and(|b| b > 8) {
            Some(ErrorCode::HighBitDepth)
        } else if self.pixels.is_some_and(|p| p > MAX_PIXELS) {
            Some(ErrorCode::ImageTooLarge)
        } else if self.pixels == Some(0) {
            Some(ErrorCode::EmptyImage)
        } else if !matches!(format, Some(Format::Jpeg | Format::Png | Format::Webp)) {
            Some(ErrorCode::UnwritableFormat)
        } else {
            None
        };
        self.too_large = self.pixels.is_some_and(|p| p > MAX_PIXELS);
        self.can_mask = blocker.is_none();
        self.mask_blocker = blocker.map(ErrorCode::code);
    }
}

/// The format from the file's magic bytes.
pub fn sniff(d: &[u8]) -> Result<Format, ErrorCode> {
    if d.is_empty() {
        return Err(ErrorCode::EmptyFile);
    }
    Ok(if d.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Format::Jpeg
    } else if d.starts_with(b"\x89PNG\r\n\x1a\n") {
        Format::Png
    } else if d.starts_with(b"RIFF") && d.get(8..12) == Some(b"WEBP") {
        Format::Webp
    } else if d.starts_with(b"GIF87a") || d.starts_with(b"GIF89a") {
        Format::Gif
    } else if tiff::is_tiff(d) {
        Format::Tiff
    } else if d.starts_with(b"BM") && d.len() >= 26 {
        Format::Bmp
    } else if let Some(f) = isobmff::sniff(d) {
        f
    } else if let Some(f) = video::sniff(d) {
        f
    } else {
        return Err(ErrorCode::UnsupportedFormat);
    })
}

/// Reads what a file reveals and what can be done with it, from its original bytes.
pub fn inspect(bytes: &[u8]) -> Result<Inspection, ErrorCode> {
    let format = sniff(bytes)?;
    let mut ins = Inspection { format: Some(format), ..Inspection::default() };
    match format {
        Format::Jpeg => jpeg::inspect(bytes, &mut ins)?,
        Format::Png => png::inspect(bytes, &mut ins)?,
        Format::Webp => webp::inspect(bytes, &mut ins)?,
        Format::Gif => gif::inspect(bytes, &mut ins)?,
        Format::Tiff => inspect_tiff(bytes, &mut ins)?,
        Format::Heic | Format::Avif => isobmff::inspect(bytes, &mut ins)?,
        Format::Bmp => inspect_bmp(bytes, &mut ins)?,
        Format::Mp4 | Format::Mov | Format::Webm | Format::Matroska => return video::inspect_video(bytes),
    }
    ins.finish();
    Ok(ins)
}

/// A copy of the file with every location removed and everything else kept: EXIF GPS
/// pointer and IFD, XMP location properties, IPTC location datasets. A copy that [`inspect`]
/// still finds a location in is never returned: `StripUnsupported` instead.
pub fn strip_location(bytes: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    let out = strip_by_format(bytes)?;
    // Structures that overlap in a damaged file can let one removal undo another.
    if inspect(&out).is_ok_and(|i| i.has_location) {
        return Err(ErrorCode::StripUnsupported);
    }
    Ok(out)
}

fn strip_by_format(bytes: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    match sniff(bytes)? {
        Format::Jpeg => jpeg::strip(bytes),
        Format::Png => png::strip(bytes),
        Format::Webp => webp::strip(bytes),
        Format::Gif => gif::strip(bytes),
        Format::Tiff => strip_tiff(bytes),
        Format::Heic | Format::Avif => isobmff::strip(bytes),
        Format::Bmp => {
            inspect_bmp(bytes, &mut Inspection::default())?;
            Ok(bytes.to_vec())
        }
        Format::Mp4 | Format::Mov | Format::Webm | Format::Matroska => video::apply_edits(bytes, &video::video_location_edits(bytes)?),
    }
}

const TAG_XMP: u16 = 700;
const TAG_IPTC: u16 = 33723;
const TAG_PHOTOSHOP: u16 = 34377;

fn inspect_tiff(d: &[u8], ins: &mut Inspection) -> Result<(), ErrorCode> {
    let t = tiff::Tiff::new(d).ok_or(ErrorCode::CorruptFile)?;
    let ifd0 = t.chain().first().copied().ok_or(ErrorCode::CorruptFile)?;
    let num = |tag: u16| t.find(ifd0, tag).and_then(|e| t.uint(&e, 0));
    if let (Some(w), Some(h)) = (num(256), num(257)) {
        ins.set_size(w, h);
    }
    ins.bits_per_channel = num(258).and_then(|b| u8::try_from(b).ok());
    ins.cmyk = num(262) == Some(5);
    ins.lossless = matches!(num(259), None | Some(1 | 5 | 8 | 32946 | 32773));
    tiff::read_exif(d, ins);
    if let Some(r) = t.ifd0_value(TAG_XMP) {
        xmp::read(&d[r], ins);
    }
    if let Some(r) = t.ifd0_value(TAG_IPTC) {
        iptc::read_iim(&d[r], ins);
    }
    if let Some(r) = t.ifd0_value(TAG_PHOTOSHOP) {
        iptc::read_irb(&d[r], ins);
    }
    Ok(())
}

fn strip_tiff(d: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    let t = tiff::Tiff::new(d).ok_or(ErrorCode::CorruptFile)?;
    let ifd0 = t.chain().first().copied().ok_or(ErrorCode::CorruptFile)?;
    let xmp_r = t.ifd0_value(TAG_XMP);
    // IPTC shrinks when datasets go: rewrite it in place, zero-pad, and shorten the count.
    let mut shrink = Vec::new();
    for (tag, new) in [
        (TAG_IPTC, t.ifd0_value(TAG_IPTC).and_then(|r| iptc::strip_iim(&d[r]))),
        (TAG_PHOTOSHOP, t.ifd0_value(TAG_PHOTOSHOP).and_then(|r| iptc::strip_irb(&d[r], true))),
    ] {
        if let (Some(e), Some(new)) = (t.find(ifd0, tag), new) {
            let r = t.value_range(&e).ok_or(ErrorCode::CorruptFile)?;
            shrink.push((e, r, new));
        }
    }
    let le = d[0] == b'I';
    let mut out = d.to_vec();
    for (e, r, mut new) in shrink {
        // IPTC is often typed LONG: keep the count a whole number of units.
        let unit = if matches!(e.typ, 4 | 9) { 4 } else { 1 };
        // At least 8 bytes, so the value stays out of line at the same offset.
        while new.len() % unit != 0 || new.len() < 8 {
            new.push(0);
        }
        if new.len() > r.len() {
            return Err(ErrorCode::StripUnsupported);
        }
        out[r.clone()].fill(0);
        out[r.start..r.start + new.len()].copy_from_slice(&new);
        let count = (new.len() / unit) as u32;
        let pos = e.pos;
        out[pos + 4..pos + 8].copy_from_slice(&if le { count.to_le_bytes() } else { count.to_be_bytes() });
    }
    tiff::strip_gps(&mut out);
    // Last: a damaged IFD can run into the XMP packet, and removing the GPS entries would then
    // write into text already blanked.
    if let Some(r) = xmp_r {
        xmp::blank_location(&mut out[r]);
    }
    Ok(out)
}

fn inspect_bmp(d: &[u8], ins: &mut Inspection) -> Result<(), ErrorCode> {
    let hdr = bytes::le32(d, 14).ok_or(ErrorCode::CorruptFile)?;
    let (w, h, bpp) = if hdr == 12 {
        let w = bytes::le16(d, 18).map(u32::from);
        let h = bytes::le16(d, 20).map(u32::from);
        (w, h, bytes::le16(d, 24))
    } else if hdr >= 40 {
        let w = bytes::le32(d, 18).map(|v| (v as i32).unsigned_abs());
        let h = bytes::le32(d, 22).map(|v| (v as i32).unsigned_abs());
        (w, h, bytes::le16(d, 28))
    } else {
        return Err(ErrorCode::CorruptFile);
    };
    let (Some(w), Some(h), Some(_)) = (w, h, bpp) else { return Err(ErrorCode::CorruptFile) };
    ins.set_size(w, h);
    ins.lossless = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_and_rejects() {
        assert_eq!(inspect(&[]).unwrap_err(), ErrorCode::EmptyFile);
        assert_eq!(inspect(b"hello world").unwrap_err(), ErrorCode::UnsupportedFormat);
        assert_eq!(inspect(b"\x89PNG\r\n\x1a\n").unwrap_err(), ErrorCode::CorruptFile);
        assert_eq!(strip_location(&[0xFF, 0xD8, 0xFF]).unwrap_err(), ErrorCode::CorruptFile);
    }

    #[test]
    fn tiff_block_as_file() {
        let d = tiff::tests::sample();
        let i = inspect(&d).unwrap();
        assert_eq!(i.format, Some(Format::Tiff));
        assert!(i.has_location && i.mask_blocker == Some("undecodable_format"));
        let s = strip_location(&d).unwrap();
        assert!(!inspect(&s).unwrap().has_location);
    }
}
