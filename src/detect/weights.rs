//! The bundled RetinaFace weights: a small tagged container of float16 tensors
//! (written by tests/tools/convert_retinaface.py), checked by name and shape on load.

use crate::error::ErrorCode;

/// The weight file compiled into the crate (see src/detect/MODEL.md for provenance).
pub static MODEL_BYTES: &[u8] = include_bytes!("retinaface_mnet025.bin");

/// SHA-256 of [`MODEL_BYTES`], recorded in MODEL.md and checked by a test.
pub const MODEL_SHA256: &str = "614a65f0a1480ffac782af0b31d38105d2c200c3050e75c6a1ff44f5bdd30b58";

/// A named tensor, widened to f32.
pub struct Tensor {
    /// Name from the source graph, e.g. `fpn/merge1/merge1.0.weight`.
    pub name: String,
    /// Dimensions, outermost first (ONNX order: out, in, kh, kw).
    pub dims: Vec<usize>,
    /// Values.
    pub data: Vec<f32>,
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ErrorCode> {
        let end = self.pos.checked_add(n).ok_or(ErrorCode::ModelCorrupt)?;
        let s = self.bytes.get(self.pos..end).ok_or(ErrorCode::ModelCorrupt)?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, ErrorCode> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ErrorCode> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, ErrorCode> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// IEEE 754 half to single precision.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: normalise.
            let mut e = 113u32;
            let mut f = frac;
            while f & 0x400 == 0 {
                f <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((f & 0x3ff) << 13)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (frac << 13),
        _ => sign | ((exp + 112) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

/// Parses a weight container. Any structural problem is [`ErrorCode::ModelCorrupt`].
pub fn parse(bytes: &[u8]) -> Result<Vec<Tensor>, ErrorCode> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(4)? != b"BYPW" || r.u32()? != 1 {
        return Err(ErrorCode::ModelCorrupt);
    }
    let count = r.u32()? as usize;
    if count > 1024 {
        return Err(ErrorCode::ModelCorrupt);
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = r.u16()? as usize;
        let name = core::str::from_utf8(r.take(len)?).map_err(|_| ErrorCode::ModelCorrupt)?.to_owned();
        let ndim = r.u8()? as usize;
        if ndim == 0 || ndim > 4 {
            return Err(ErrorCode::ModelCorrupt);
        }
        let mut dims = Vec::with_capacity(ndim);
        let mut size = 1usize;
        for _ in 0..ndim {
            let d = r.u32()? as usize;
            size = size.checked_mul(d).filter(|&s| s <= 1 << 22).ok_or(ErrorCode::ModelCorrupt)?;
            dims.push(d);
        }
        let raw = r.take(size * 2)?;
        let data = raw.chunks_exact(2).map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]]))).collect();
        out.push(Tensor { name, dims, data });
    }
    if r.pos != bytes.len() {
        return Err(ErrorCode::ModelCorrupt);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats_decode() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert_eq!(f16_to_f32(0x8000), -0.0);
    }

    #[test]
    fn bundled_model_parses() {
        let t = parse(MODEL_BYTES).unwrap();
        assert_eq!(t.len(), 112);
        assert_eq!(t[0].name, "fx/stage1/stage1.0/stage1.0.0.weight");
        assert_eq!(t[0].dims, vec![8, 3, 3, 3]);
    }

    #[test]
    fn truncated_or_altered_model_is_rejected() {
        for cut in [0, 3, 12, 100, MODEL_BYTES.len() - 1] {
            assert_eq!(parse(&MODEL_BYTES[..cut]).err(), Some(ErrorCode::ModelCorrupt));
        }
        let mut v = MODEL_BYTES.to_vec();
        v.push(0);
        assert_eq!(parse(&v).err(), Some(ErrorCode::ModelCorrupt));
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of the bundled model, computed now (hex).
pub fn model_sha256() -> String {
    sha256_hex(MODEL_BYTES)
}

/// Checks model bytes against the recorded [`MODEL_SHA256`] before they are used: any other
/// bytes are [`ErrorCode::ModelCorrupt`]. The detector calls it when it starts.
pub fn verify(bytes: &[u8]) -> Result<(), ErrorCode> {
    if sha256_hex(bytes) == MODEL_SHA256 {
        Ok(())
    } else {
        Err(ErrorCode::ModelCorrupt)
    }
}

#[cfg(test)]
mod checksum_tests {
    use super::*;

    #[test]
    fn bundled_model_matches_recorded_checksum() {
        assert_eq!(model_sha256(), MODEL_SHA256);
        assert_eq!(verify(MODEL_BYTES), Ok(()));
    }

    #[test]
    fn one_changed_byte_is_a_corrupt_model() {
        let mut altered = MODEL_BYTES.to_vec();
        let middle = altered.len() / 2;
        altered[middle] ^= 1;
        assert_eq!(verify(&altered), Err(ErrorCode::ModelCorrupt));
        // Still well formed: only the checksum tells.
        assert!(parse(&altered).is_ok());
    }
}
