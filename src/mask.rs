//! Irreversible face masking: coarse pixelation plus strong seeded noise per cell.
//!
//! A blur or a plain mosaic can be partly undone (deconvolution, or matching candidate
//! faces against the cell averages); random per-cell offsets from a seed that never
//! leaves the page make the output not a function of the original alone.

use crate::error::ErrorCode;
use crate::raster::RgbaView;
use serde::{Deserialize, Serialize};

/// At most this many boxes per call.
pub const MAX_BOXES: usize = 256;
/// Margin added on the left, right and below a face box, as a fraction of its size.
pub const MARGIN: f32 = 0.25;
/// Margin added above (forehead and hair), as a fraction of the box height.
pub const MARGIN_TOP: f32 = 0.45;
/// About this many cells across the face box.
pub const CELLS_ACROSS: f32 = 7.0;
/// The smallest cell, in pixels.
pub const MIN_CELL: u32 = 4;
/// Per-channel noise amplitude added to each cell's mean (plus a shared brightness offset).
const NOISE: i32 = 40;
const BRIGHTNESS_NOISE: i32 = 24;

/// A face box in pixels of the displayed (orientation-applied) image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MaskBox {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// The whole-pixel rectangle that is masked for a box, inside the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskRect {
    /// Left edge, inclusive.
    pub x: u32,
    /// Top edge, inclusive.
    pub y: u32,
    /// Width (at least 1).
    pub w: u32,
    /// Height (at least 1).
    pub h: u32,
}

/// The rectangle masked for `b` in a `width` x `height` image: the box grown by the
/// margins and clamped. `Ok(None)` when nothing of it lies inside the image or it is empty.
pub fn expanded_box(b: &MaskBox, width: u32, height: u32) -> Result<Option<MaskRect>, ErrorCode> {
    if !(b.x.is_finite() && b.y.is_finite() && b.w.is_finite() && b.h.is_finite()) {
        return Err(ErrorCode::InvalidBox);
    }
    if b.w <= 0.0 || b.h <= 0.0 {
        return Ok(None);
    }
    let (x, y, w, h) = (f64::from(b.x), f64::from(b.y), f64::from(b.w), f64::from(b.h));
    let m = f64::from(MARGIN);
    let x0 = (x - m * w).floor().clamp(0.0, f64::from(width));
    let x1 = (x + w + m * w).ceil().clamp(0.0, f64::from(width));
    let y0 = (y - f64::from(MARGIN_TOP) * h).floor().clamp(0.0, f64::from(height));
    let y1 = (y + h + m * h).ceil().clamp(0.0, f64::from(height));
    if x1 <= x0 || y1 <= y0 {
        return Ok(None);
    }
    Ok(Some(MaskRect { x: x0 as u32, y: y0 as u32, w: (x1 - x0) as u32, h: (y1 - y0) as u32 }))
}

/// The rectangles [`mask_faces`] would mask, for drawing in the UI.
pub fn expanded_boxes(boxes: &[MaskBox], width: u32, height: u32) -> Result<Vec<MaskRect>, ErrorCode> {
    if boxes.len() > MAX_BOXES {
        return Err(ErrorCode::TooManyBoxes);
    }
    let mut out = Vec::with_capacity(boxes.len());
    for b in boxes {
        out.extend(expanded_box(b, width, height)?);
    }
    Ok(out)
}

/// splitmix64: small, fast, and good enough to make noise nobody can predict without the seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in -amp..=amp.
    fn offset(&mut self, amp: i32) -> i32 {
        (self.next() % (2 * amp as u64 + 1)) as i32 - amp
    }
}

/// Masks each face box of an RGBA image in place: the expanded box is split into coarse
/// cells (about [`CELLS_ACROSS`] across the face, at least [`MIN_CELL`] px); each cell
/// becomes its mean colour plus random noise from `seed`. Alpha and every pixel outside
/// the expanded boxes are unchanged.
pub fn mask_faces(rgba: &mut [u8], width: u32, height: u32, boxes: &[MaskBox], seed: u64) -> Result<(), ErrorCode> {
    RgbaView::new(rgba, width, height)?;
    // Validate every box before touching any pixel.
    expanded_boxes(boxes, width, height)?;
    let mut rng = SplitMix(seed);
    for b in boxes {
        let Some(rect) = expanded_box(b, width, height)? else { continue };
        mask_rect(rgba, width as usize * 4, rect, cell_size(b, rect), &mut rng);
    }
    Ok(())
}

/// Masks one face of a `width` x `height` photo given only the pixels of `region` (a
/// rectangle of the photo, for example [`expanded_box`] of `b`), so a big photo's protected
/// copy never has to pass whole through the engine. The expanded box must lie inside the
/// region; the pixels it covers get exactly what [`mask_faces`] gives a single face with the
/// same seed. Each call starts the noise afresh from `seed`: give every face its own seed, or
/// faces of one size would share their noise.
pub fn mask_face_in_region(rgba: &mut [u8], region: MaskRect, width: u32, height: u32, b: &MaskBox, seed: u64) -> Result<(), ErrorCode> {
    RgbaView::new(rgba, region.w, region.h)?;
    let Some(rect) = expanded_box(b, width, height)? else { return Ok(()) };
    let inside = rect.x >= region.x && rect.y >= region.y && rect.x + rect.w <= region.x.saturating_add(region.w) && rect.y + rect.h <= region.y.saturating_add(region.h);
    if !inside {
        return Err(ErrorCode::InvalidBox);
    }
    let local = MaskRect { x: rect.x - region.x, y: rect.y - region.y, ..rect };
    mask_rect(rgba, region.w as usize * 4, local, cell_size(b, rect), &mut SplitMix(seed));
    Ok(())
}

/// About [`CELLS_ACROSS`] cells across the face. Huge boxes saturate the cast; a cell never
/// needs to exceed the rectangle.
fn cell_size(b: &MaskBox, rect: MaskRect) -> u32 {
    ((b.w.max(b.h) / CELLS_ACROSS).round() as u32).max(MIN_CELL).min(rect.w.max(rect.h))
}

fn mask_rect(rgba: &mut [u8], stride: usize, rect: MaskRect, cell: u32, rng: &mut SplitMix) {
    let (x_end, y_end) = (rect.x + rect.w, rect.y + rect.h);
    for cy in (rect.y..y_end).step_by(cell as usize) {
        let rows = cy as usize..cy.saturating_add(cell).min(y_end) as usize;
        for cx in (rect.x..x_end).step_by(cell as usize) {
            let cols = cx as usize * 4..cx.saturating_add(cell).min(x_end) as usize * 4;
            let mut sum = [0u64; 3];
            for y in rows.clone() {
                for px in rgba[y * stride + cols.start..y * stride + cols.end].chunks_exact(4) {
                    for c in 0..3 {
                        sum[c] += u64::from(px[c]);
                    }
                }
            }
            let n = (rows.len() * cols.len() / 4) as u64;
            let shared = rng.offset(BRIGHTNESS_NOISE);
            let mut v = [0u8; 3];
            for c in 0..3 {
                let mean = ((sum[c] + n / 2) / n) as i32;
                v[c] = (mean + shared + rng.offset(NOISE)).clamp(0, 255) as u8;
            }
            for y in rows.clone() {
                for px in rgba[y * stride + cols.start..y * stride + cols.end].chunks_exact_mut(4) {
                    px[..3].copy_from_slice(&v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_and_clamps() {
        let r = expanded_box(&MaskBox { x: 100.0, y: 100.0, w: 40.0, h: 40.0 }, 1000, 1000).unwrap().unwrap();
        assert_eq!(r, MaskRect { x: 90, y: 82, w: 60, h: 68 });
        let r = expanded_box(&MaskBox { x: -10.0, y: -10.0, w: 20.0, h: 20.0 }, 8, 8).unwrap().unwrap();
        assert_eq!(r, MaskRect { x: 0, y: 0, w: 8, h: 8 });
        assert_eq!(expanded_box(&MaskBox { x: 50.0, y: 0.0, w: 5.0, h: 5.0 }, 8, 8).unwrap(), None);
        assert_eq!(expanded_box(&MaskBox { x: f32::NAN, y: 0.0, w: 5.0, h: 5.0 }, 8, 8), Err(ErrorCode::InvalidBox));
    }

    #[test]
    fn a_face_masked_in_its_region_matches_the_whole_photo_masked() {
        let (w, h) = (97u32, 61u32);
        let photo: Vec<u8> = (0..w * h * 4).map(|i| (i * 37 % 251) as u8).collect();
        let b = MaskBox { x: 30.5, y: 20.2, w: 25.0, h: 28.0 };
        let mut whole = photo.clone();
        mask_faces(&mut whole, w, h, &[b], 42).unwrap();
        let rect = expanded_box(&b, w, h).unwrap().unwrap();
        let crop = |px: &[u8]| -> Vec<u8> {
            (rect.y..rect.y + rect.h).flat_map(|y| px[((y * w + rect.x) * 4) as usize..((y * w + rect.x + rect.w) * 4) as usize].to_vec()).collect()
        };
        let mut region = crop(&photo);
        mask_face_in_region(&mut region, rect, w, h, &b, 42).unwrap();
        assert_eq!(region, crop(&whole));
        assert_ne!(region, crop(&photo));
        // The face's masked rectangle must lie inside the region given.
        let small = MaskRect { w: rect.w - 1, ..rect };
        let mut short = vec![0u8; (small.w * small.h * 4) as usize];
        assert_eq!(mask_face_in_region(&mut short, small, w, h, &b, 42), Err(ErrorCode::InvalidBox));
        assert_eq!(mask_face_in_region(&mut short, rect, w, h, &b, 42), Err(ErrorCode::BufferSizeMismatch));
    }

    #[test]
    fn bad_buffers_and_boxes_are_errors() {
        let b = MaskBox { x: 0.0, y: 0.0, w: 1.0, h: 1.0 };
        assert_eq!(mask_faces(&mut [0; 15], 2, 2, &[b], 1), Err(ErrorCode::BufferSizeMismatch));
        assert_eq!(mask_faces(&mut [0; 16], 2, 2, &[b; MAX_BOXES + 1], 1), Err(ErrorCode::TooManyBoxes));
        let mut px = [7u8; 16];
        let bad = MaskBox { x: f32::INFINITY, ..b };
        assert_eq!(mask_faces(&mut px, 2, 2, &[b, bad], 1), Err(ErrorCode::InvalidBox));
        assert_eq!(px, [7; 16], "nothing is masked when a box is invalid");
        // Found by fuzzing: a huge box made the cell size overflow.
        let huge = MaskBox { x: -1e30, y: -1e30, w: 3e38, h: 3e38 };
        mask_faces(&mut px, 2, 2, &[huge], 1).unwrap();
        assert!(px.chunks(4).all(|p| p[3] == 7));
    }
}
