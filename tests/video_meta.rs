#![cfg(not(target_arch = "wasm32"))]
//! Video metadata through the window protocol, on clips made by
//! tests/tools/make_video_fixtures.sh (ffmpeg + ExifTool), with a location written each way
//! phones and cameras write it; removal checked by our own reading, by ExifTool and, when
//! installed, by ffprobe/ffmpeg (frames decode identically before and after).
use before_you_post::meta::video::{apply_edits, inspect_video, read_video, video_location_edits, Edit, VideoReader, MAX_METADATA, WINDOW};
use before_you_post::meta::{inspect, strip_location, Format, LocationSource};
use before_you_post::ErrorCode;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/video/{name}", env!("CARGO_MANIFEST_DIR"))).expect(name)
}

fn temp_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let d = std::env::temp_dir().join(format!("byp-video-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fn tool(name: &str) -> bool {
    Command::new(name).arg("-version").output().is_ok_and(|o| o.status.success())
}

/// (file, format, sources, (lat, lon, alt), make, model, capture time, audio, codec)
type Expect = (&'static str, Format, &'static [LocationSource], Option<(f64, f64, Option<f64>)>, Option<&'static str>, Option<&'static str>, Option<&'static str>, bool, &'static str);

const PARIS: Option<(f64, f64, Option<f64>)> = Some((48.8584, 2.2945, Some(35.0)));
const PARIS_2D: Option<(f64, f64, Option<f64>)> = Some((48.8584, 2.2945, None));

const LOCATED: &[Expect] = &[
    ("keys.mov", Format::Mov, &[LocationSource::QuickTimeKeys], PARIS, Some("Apple"), Some("iPhone 15"), Some("2024-05-01T14:34:56+0200"), true, "avc1"),
    ("xyz.mp4", Format::Mp4, &[LocationSource::UdtaXyz], PARIS, Some("Google"), Some("Pixel 8"), Some("2024-05-01T12:34:56Z"), false, "avc1"),
    ("xyz-faststart.mov", Format::Mov, &[LocationSource::UdtaXyz], PARIS, Some("Google"), Some("Pixel 8"), None, false, "avc1"),
    ("loci.mp4", Format::Mp4, &[LocationSource::Loci], PARIS, None, None, None, true, "avc1"),
    ("xmp.mp4", Format::Mp4, &[LocationSource::Xmp], PARIS_2D, None, None, None, false, "avc1"),
    ("xmp-udta.mov", Format::Mov, &[LocationSource::Xmp], PARIS_2D, None, None, None, false, "avc1"),
    ("location.webm", Format::Webm, &[LocationSource::MatroskaTag], PARIS, None, None, None, true, "vp09"),
    ("keys.mkv", Format::Matroska, &[LocationSource::MatroskaTag], PARIS, Some("Apple"), Some("iPhone 15"), Some("2024-05-01T14:34:56+0200"), true, "avc1"),
];

#[test]
fn reads_every_way_a_location_is_written() {
    for &(name, format, sources, loc, make, model, time, audio, codec) in LOCATED {
        let i = inspect_video(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(i.format, Some(format), "{name}");
        assert!(i.has_location && i.can_strip_location, "{name}: {i:?}");
        assert_eq!(i.location_sources, sources, "{name}");
        let (lat, lon, alt) = loc.unwrap();
        let l = i.location.unwrap_or_else(|| panic!("{name}: no coordinates"));
        // loci stores 16.16 fixed point: 1/65536 degree.
        assert!((l.latitude - lat).abs() < 2e-5 && (l.longitude - lon).abs() < 2e-5, "{name}: {l:?}");
        assert_eq!(l.altitude, alt, "{name}");
        assert_eq!((i.make.as_deref(), i.model.as_deref(), i.capture_time.as_deref()), (make, model, time), "{name}");
        assert_eq!((i.width, i.height, i.has_audio, i.video_codec.as_deref()), (Some(64), Some(48), audio, Some(codec)), "{name}");
        let d = i.duration_seconds.unwrap_or_else(|| panic!("{name}: no duration"));
        assert!((0.9..1.2).contains(&d), "{name}: {d}");
        assert_eq!(i.mask_blocker, Some("video_not_masked"), "{name}");
        assert_eq!(i.mime, Some(format.mime()));
    }
    let x = inspect_video(&fixture("xmp.mp4")).unwrap();
    assert_eq!(x.creator.as_deref(), Some("Jane Doe"));
}

#[test]
fn size_rotation_and_no_location() {
    let r = inspect_video(&fixture("rotated.mp4")).unwrap();
    assert_eq!((r.rotation, r.width, r.height, r.has_location), (Some(90), Some(64), Some(48), false));
    let p = inspect_video(&fixture("plain.mp4")).unwrap();
    assert_eq!((p.rotation, p.has_location, p.has_audio, p.capture_time), (Some(0), false, true, None));
    assert!(p.location_sources.is_empty() && p.location.is_none());
    for name in ["rotated.mp4", "plain.mp4"] {
        assert_eq!(video_location_edits(&fixture(name)).unwrap(), Vec::<Edit>::new(), "{name}");
    }
}

#[test]
fn whole_file_calls_work_for_small_videos() {
    let f = fixture("keys.mov");
    let i = inspect(&f).unwrap();
    assert!(i.has_location && i.format == Some(Format::Mov) && !i.can_mask);
    let out = strip_location(&f).unwrap();
    assert_eq!(out.len(), f.len());
    assert!(!inspect(&out).unwrap().has_location);
    // Photos still sniff as photos (HEIF is ISO BMFF too).
    let heic = std::fs::read(format!("{}/tests/fixtures/meta/tagged.heic", env!("CARGO_MANIFEST_DIR"))).unwrap();
    assert_eq!(inspect(&heic).unwrap().format, Some(Format::Heic));
    assert_eq!(inspect_video(&heic).unwrap_err(), ErrorCode::UnsupportedFormat);
}

fn exiftool_location(bytes: &[u8], name: &str) -> Vec<String> {
    let p = temp_dir().join(name);
    std::fs::write(&p, bytes).unwrap();
    let out = Command::new("exiftool")
        .args(["-a", "-G1", "-s", "-ee", p.to_str().unwrap()])
        .output()
        .expect("exiftool is required for these tests (Debian: apt-get install libimage-exiftool-perl)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().filter(|l| ["GPS", "Location", "City", "48.858"].iter().any(|k| l.contains(k))).map(str::to_string).collect()
}

/// Frame checksums and stream layout from ffmpeg, or None when ffmpeg is not installed.
fn ffmpeg_frames(path: &Path) -> Option<String> {
    let out = Command::new("ffmpeg").args(["-v", "error", "-nostdin", "-i"]).arg(path).args(["-map", "0", "-f", "framemd5", "-"]).output().ok()?;
    assert!(out.stderr.is_empty(), "{}: ffmpeg: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn removal_is_in_place_and_complete() {
    let have_ffmpeg = tool("ffmpeg") && tool("ffprobe");
    if !have_ffmpeg {
        println!("note: ffmpeg/ffprobe not installed, edited clips are checked by ExifTool and this crate only");
    }
    for &(name, ..) in LOCATED {
        let f = fixture(name);
        let edits = video_location_edits(&f).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!edits.is_empty(), "{name}");
        let out = apply_edits(&f, &edits).unwrap();
        assert_eq!(out.len(), f.len(), "{name}");
        // Every byte outside the edits is unchanged.
        let mut touched = vec![false; f.len()];
        for e in &edits {
            touched[e.offset as usize..e.offset as usize + e.bytes.len()].fill(true);
        }
        let changed: usize = (0..f.len()).filter(|&i| out[i] != f[i]).count();
        assert!((0..f.len()).all(|i| touched[i] || out[i] == f[i]), "{name}");
        assert!(changed > 0 && changed <= 4096, "{name}: {changed} bytes changed");
        let after = inspect_video(&out).unwrap_or_else(|e| panic!("{name} after: {e}"));
        assert!(!after.has_location && after.location.is_none(), "{name}: {:?}", after.location_sources);
        let before = inspect_video(&f).unwrap();
        assert_eq!((after.width, after.height, after.make.clone(), after.duration_seconds), (before.width, before.height, before.make.clone(), before.duration_seconds), "{name}");
        assert_eq!(video_location_edits(&out).unwrap(), Vec::<Edit>::new(), "{name}");
        let left = exiftool_location(&out, &format!("stripped-{name}"));
        assert!(left.is_empty(), "{name}: ExifTool still finds {left:?}");
        assert!(!exiftool_location(&f, name).is_empty(), "{name}: ExifTool finds no location in the original");
        if have_ffmpeg {
            let p = temp_dir().join(format!("stripped-{name}"));
            let probe = Command::new("ffprobe").args(["-v", "error", "-show_format", "-show_streams"]).arg(&p).output().unwrap();
            assert!(probe.status.success() && probe.stderr.is_empty(), "{name}: ffprobe: {}", String::from_utf8_lossy(&probe.stderr));
            let tags = String::from_utf8_lossy(&probe.stdout).to_lowercase();
            assert!(!tags.contains("48.8584") && !tags.contains("iso6709"), "{name}: ffprobe still shows a location");
            let original = temp_dir().join(name);
            assert_eq!(ffmpeg_frames(&p), ffmpeg_frames(&original), "{name}: frames differ");
        }
    }
}

#[test]
fn matroska_crc_is_recomputed() {
    // ffmpeg writes CRC-32 elements in level-1 elements; the edited Tags element's must match.
    let f = fixture("keys.mkv");
    let out = apply_edits(&f, &video_location_edits(&f).unwrap()).unwrap();
    // The Tags element itself, not the SeekHead entry naming its ID (size byte 0x84 before it).
    let tags = (1..out.len() - 4).find(|&i| out[i..i + 4] == [0x12, 0x54, 0xC3, 0x67] && out[i - 1] != 0x84).expect("Tags");
    // Tags ID, a 1..8-byte size, then CRC-32 (0xBF 0x84 + 4 bytes) and the rest.
    let size_len = out[tags + 4].leading_zeros() as usize + 1;
    let mut size = u64::from(out[tags + 4]) & (0xFF >> size_len);
    for &b in &out[tags + 5..tags + 4 + size_len] {
        size = size << 8 | u64::from(b);
    }
    let body = tags + 4 + size_len;
    assert_eq!(&out[body..body + 2], [0xBF, 0x84], "no CRC-32 in Tags");
    let stored = u32::from_le_bytes(out[body + 2..body + 6].try_into().unwrap());
    let mut c = !0u32;
    for &b in &out[body + 6..body + size as usize] {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    assert_eq!(stored, !c);
    if tool("ffmpeg") {
        let p = temp_dir().join("crc.mkv");
        std::fs::write(&p, &out).unwrap();
        let o = Command::new("ffmpeg").args(["-v", "error", "-nostdin", "-err_detect", "crccheck", "-i"]).arg(&p).args(["-f", "null", "-"]).output().unwrap();
        assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

/// A file that is mostly zeros: `parts` at their offsets, `size` bytes in all.
struct Sparse {
    size: u64,
    parts: Vec<(u64, Vec<u8>)>,
}

impl Sparse {
    fn read(&self, r: std::ops::Range<u64>) -> Vec<u8> {
        let mut out = vec![0u8; (r.end - r.start) as usize];
        for (at, p) in &self.parts {
            let (s, e) = ((*at).max(r.start), (at + p.len() as u64).min(r.end));
            if s < e {
                out[(s - r.start) as usize..(e - r.start) as usize].copy_from_slice(&p[(s - at) as usize..(e - at) as usize]);
            }
        }
        out
    }

    /// Runs the reader; returns it and the bytes it asked for.
    fn run(&self) -> (Result<VideoReader, ErrorCode>, u64) {
        let mut r = VideoReader::new(self.size).unwrap();
        let mut read = 0;
        while let Some(w) = r.want() {
            read += w.end - w.start;
            if let Err(e) = r.feed(w.start, &self.read(w.clone())) {
                return (Err(e), read);
            }
        }
        (Ok(r), read)
    }
}

fn bmff_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

/// ftyp, then an `mdat` of `mdat_len` bytes (64-bit size), then the `moov` of `src`.
fn big_clip(src: &[u8], mdat_len: u64) -> Sparse {
    let ftyp = bmff_box(b"ftyp", b"isom\0\0\x02\0isomiso2mp41");
    let mut mdat = 1u32.to_be_bytes().to_vec();
    mdat.extend_from_slice(b"mdat");
    mdat.extend_from_slice(&mdat_len.to_be_bytes());
    let moov_at = src.windows(4).position(|w| w == b"moov").unwrap() - 4;
    let moov_len = u32::from_be_bytes(src[moov_at..moov_at + 4].try_into().unwrap()) as usize;
    let moov = src[moov_at..moov_at + moov_len].to_vec();
    let at = ftyp.len() as u64 + mdat_len;
    Sparse { size: at + moov.len() as u64, parts: vec![(0, ftyp.clone()), (ftyp.len() as u64, mdat), (at, moov)] }
}

#[test]
fn a_3_gb_clip_is_read_through_small_windows() {
    let src = fixture("loci.mp4");
    let clip = big_clip(&src, 3 << 30);
    let (r, read) = clip.run();
    let r = r.unwrap();
    assert!(read < 3 * WINDOW + src.len() as u64, "read {read} bytes");
    let i = r.inspection().unwrap();
    assert_eq!(i.location_sources, [LocationSource::Loci]);
    let edits = r.location_edits().unwrap();
    assert!(edits.iter().all(|e| e.offset > 3 << 30 && e.offset + e.bytes.len() as u64 <= clip.size));
}

#[test]
fn a_moov_over_the_cap_is_refused() {
    let ftyp = bmff_box(b"ftyp", b"isom\0\0\x02\0isom");
    let mut moov = ((MAX_METADATA + 9) as u32).to_be_bytes().to_vec();
    moov.extend_from_slice(b"moov");
    let clip = Sparse { size: ftyp.len() as u64 + MAX_METADATA + 9, parts: vec![(0, ftyp.clone()), (ftyp.len() as u64, moov)] };
    let (r, read) = clip.run();
    assert_eq!(r.unwrap_err(), ErrorCode::MetadataTooLarge);
    assert!(read <= WINDOW, "read {read}");
    // Just under the cap is read.
    let ok = big_clip(&fixture("plain.mp4"), MAX_METADATA);
    assert!(ok.run().0.unwrap().inspection().is_ok());
}

#[test]
fn broken_files_give_clear_errors() {
    assert_eq!(VideoReader::new(0).unwrap_err(), ErrorCode::EmptyFile);
    assert_eq!(inspect_video(&[]).unwrap_err(), ErrorCode::EmptyFile);
    assert_eq!(inspect(&[]).unwrap_err(), ErrorCode::EmptyFile);
    // Cut short: the moov at the end is gone.
    assert_eq!(inspect_video(&fixture("truncated.mp4")).unwrap_err(), ErrorCode::CorruptFile);
    assert_eq!(inspect(&fixture("truncated.mp4")).unwrap_err(), ErrorCode::CorruptFile);
    assert_eq!(strip_location(&fixture("truncated.mp4")).unwrap_err(), ErrorCode::CorruptFile);
    // A box that declares more bytes than the file has.
    let mut f = fixture("xyz.mp4");
    let moov = f.windows(4).position(|w| w == b"moov").unwrap() - 4;
    f[moov..moov + 4].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    assert_eq!(inspect_video(&f).unwrap_err(), ErrorCode::CorruptFile);
    let mut f = fixture("xyz.mp4");
    f[moov..moov + 4].copy_from_slice(&1u32.to_be_bytes());
    assert_eq!(inspect_video(&f).unwrap_err(), ErrorCode::CorruptFile);
    // A child box running past its parent.
    let mut f = fixture("xyz.mp4");
    let udta = f.windows(4).position(|w| w == b"udta").unwrap() - 4;
    f[udta..udta + 4].copy_from_slice(&0x7FFFu32.to_be_bytes());
    assert_eq!(inspect_video(&f).unwrap_err(), ErrorCode::CorruptFile);
    // A Matroska Segment cut short, and garbage after the EBML magic.
    let w = fixture("location.webm");
    assert_eq!(inspect_video(&w[..w.len() / 2]).unwrap_err(), ErrorCode::CorruptFile);
    assert!(inspect_video(&[0x1A, 0x45, 0xDF, 0xA3, 0, 0, 0]).is_err());
    // Not a video.
    assert_eq!(inspect_video(b"hello world, not a video").unwrap_err(), ErrorCode::UnsupportedFormat);
}

#[test]
fn timed_metadata_is_reported_but_not_removable() {
    // A GoPro-style track of GPMF samples: the positions live in mdat.
    let mut f = fixture("plain.mp4");
    let stsd = f.windows(4).position(|w| w == b"stsd").unwrap();
    let avc1 = stsd + f[stsd..].windows(4).position(|w| w == b"avc1").unwrap();
    f[avc1..avc1 + 4].copy_from_slice(b"gpmd");
    let i = inspect_video(&f).unwrap();
    assert!(i.has_location && !i.can_strip_location);
    assert_eq!(i.location_sources, [LocationSource::TimedMetadata]);
    assert_eq!(video_location_edits(&f).unwrap_err(), ErrorCode::StripUnsupported);
    assert_eq!(strip_location(&f).unwrap_err(), ErrorCode::StripUnsupported);
}

#[test]
fn a_crafted_loci_with_a_utf16_name() {
    // loci: version/flags, language, UTF-16 name with BOM, role, lon, lat, alt (16.16), body,
    // notes; in moov/udta of plain.mp4, replacing its udta.
    let mut loci = vec![0, 0, 0, 0, 0x15, 0xC7, 0xFE, 0xFF, 0, b'P', 0, 0, 0];
    for v in [-73.9857f64, 40.7484, 443.0] {
        loci.extend_from_slice(&((v * 65536.0).round() as i32).to_be_bytes());
    }
    loci.extend_from_slice(b"earth\0\0");
    let udta = bmff_box(b"udta", &bmff_box(b"loci", &loci));
    let src = fixture("rotated.mp4");
    let moov_at = src.windows(4).position(|w| w == b"moov").unwrap() - 4;
    let moov_len = u32::from_be_bytes(src[moov_at..moov_at + 4].try_into().unwrap()) as usize;
    let mut body = src[moov_at + 8..moov_at + moov_len].to_vec();
    body.extend_from_slice(&udta);
    let moov = bmff_box(b"moov", &body);
    // The moov moves to the end, where the mdat's chunk offsets no longer matter to the reader.
    let mut f = src[..moov_at].to_vec();
    f.extend_from_slice(&src[moov_at + moov_len..]);
    f.extend_from_slice(&moov);
    let i = inspect_video(&f).unwrap();
    let l = i.location.unwrap();
    assert_eq!(i.location_sources, [LocationSource::Loci]);
    assert!((l.latitude - 40.7484).abs() < 1e-4 && (l.longitude + 73.9857).abs() < 1e-4 && l.altitude == Some(443.0), "{l:?}");
    let out = apply_edits(&f, &video_location_edits(&f).unwrap()).unwrap();
    assert!(!inspect_video(&out).unwrap().has_location);
    assert!(out.windows(4).any(|w| w == b"free") && !out.windows(4).any(|w| w == b"loci"));
}

#[test]
fn windows_are_exact_and_errors_are_final() {
    let f = fixture("loci.mp4");
    let mut r = VideoReader::new(f.len() as u64).unwrap();
    let w = r.want().unwrap();
    assert_eq!(w, 0..f.len().min(WINDOW as usize) as u64);
    assert_eq!(r.feed(w.start, &f[..10]), Err(ErrorCode::BadOptions));
    assert_eq!(r.inspection().unwrap_err(), ErrorCode::BadOptions, "not done yet");
    r.feed(w.start, &f[w.start as usize..w.end as usize]).unwrap();
    let r = read_video(&f).unwrap();
    assert!(r.is_done() && r.want().is_none() && r.format() == Some(Format::Mp4));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Damaged clips never panic, and whatever edits come back stay inside the file and remove
    /// every location the reader can see.
    #[test]
    fn damaged_clips(pick in 0usize..8, flips in proptest::collection::vec((any::<u16>(), any::<u8>()), 0..12), cut in any::<u16>()) {
        let mut f = fixture(LOCATED[pick].0);
        for (at, v) in flips {
            let n = f.len();
            f[at as usize % n] = v;
        }
        let keep = f.len() - (cut as usize % 64).min(f.len() - 1) * usize::from(cut % 3 == 0);
        f.truncate(keep);
        let _ = inspect(&f);
        if let Ok(edits) = video_location_edits(&f) {
            for e in &edits {
                prop_assert!(e.offset + e.bytes.len() as u64 <= f.len() as u64);
            }
            let out = apply_edits(&f, &edits).unwrap();
            prop_assert!(!inspect_video(&out).unwrap().has_location);
        }
    }
}

/// Matroska elements: (id, offset, whole element) of the children of `d[start..end]`.
fn ebml_children(d: &[u8], start: usize, end: usize) -> Vec<(u32, usize, Vec<u8>)> {
    let vint = |i: usize, keep_marker: bool| {
        let len = d[i].leading_zeros() as usize + 1;
        let mut v = if keep_marker { u64::from(d[i]) } else { u64::from(d[i]) & (0xFF >> len) };
        for &b in &d[i + 1..i + len] {
            v = v << 8 | u64::from(b);
        }
        (v, len)
    };
    let mut out = Vec::new();
    let mut i = start;
    while i < end {
        let (id, il) = vint(i, true);
        let (size, sl) = vint(i + il, false);
        let next = (i + il + sl + size as usize).min(end);
        out.push((id as u32, i, d[i..next].to_vec()));
        i = next;
    }
    out
}

#[test]
fn matroska_tags_after_an_unknown_size_cluster_are_found_through_the_seek_head() {
    // As a live recording writes it: Segment and Cluster of unknown size; the Tags at the end
    // are only reachable through the SeekHead.
    let w = fixture("location.webm");
    let top = ebml_children(&w, 0, w.len());
    let (ebml, segment) = (&top[0].2, &top[1]);
    let seg_body = segment.1 + 4 + 8; // Segment ID, 8-byte size
    let kids = ebml_children(&w, seg_body, w.len());
    let find = |id: u32| kids.iter().find(|k| k.0 == id).map(|k| k.2.clone()).unwrap();
    let (info, tracks, tags) = (find(0x1549_A966), find(0x1654_AE6B), find(0x1254_C367));
    let cluster: Vec<u8> = [&[0x1F, 0x43, 0xB6, 0x75, 0xFF][..], &[0xE7, 0x81, 0x00], &[0xA3, 0x84, 0x81, 0, 0, 0x80]].concat();
    let seek_head_len = 4 + 1 + 2 + 1 + 2 + 1 + 4 + 2 + 1 + 8;
    let tags_pos = (seek_head_len + info.len() + tracks.len() + cluster.len()) as u64;
    let seek: Vec<u8> = [&[0x53, 0xAB, 0x84, 0x12, 0x54, 0xC3, 0x67][..], &[0x53, 0xAC, 0x88], &tags_pos.to_be_bytes()].concat();
    let seek_head: Vec<u8> = [&[0x11, 0x4D, 0x9B, 0x74, 0x80 | (seek.len() + 3) as u8, 0x4D, 0xBB, 0x80 | seek.len() as u8][..], &seek].concat();
    assert_eq!(seek_head.len(), seek_head_len);
    let f: Vec<u8> = [&ebml[..], &[0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], &seek_head, &info, &tracks, &cluster, &tags].concat();
    let i = inspect_video(&f).unwrap();
    assert_eq!((i.format, i.location_sources.as_slice(), i.width), (Some(Format::Webm), &[LocationSource::MatroskaTag][..], Some(64)));
    let out = apply_edits(&f, &video_location_edits(&f).unwrap()).unwrap();
    assert!(!inspect_video(&out).unwrap().has_location);
    // A SeekHead entry pointing at something else is ignored.
    let mut wrong = f.clone();
    let at = wrong.len() - tags.len();
    wrong[at] = 0xEC;
    assert!(!inspect_video(&wrong).unwrap().has_location);
}
