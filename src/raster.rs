//! Borrowed views of RGBA pixel buffers, checked once at the boundary.

use crate::error::ErrorCode;

/// The largest image the core accepts: 100 megapixels (a 48 MP phone photo fits twice).
pub const MAX_PIXELS: u64 = 100_000_000;

/// An RGBA8 image borrowed from a byte slice, rows tightly packed.
#[derive(Clone, Copy, Debug)]
pub struct RgbaView<'a> {
    data: &'a [u8],
    width: u32,
    height: u32,
}

impl<'a> RgbaView<'a> {
    /// Borrows `data` as a `width` x `height` RGBA image after checking its size.
    pub fn new(data: &'a [u8], width: u32, height: u32) -> Result<Self, ErrorCode> {
        if width == 0 || height == 0 {
            return Err(ErrorCode::EmptyImage);
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > MAX_PIXELS {
            return Err(ErrorCode::ImageTooLarge);
        }
        if data.len() as u64 != pixels * 4 {
            return Err(ErrorCode::BufferSizeMismatch);
        }
        Ok(Self { data, width, height })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The raw RGBA bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The RGBA value at (x, y); callers keep coordinates in range.
    #[inline]
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = (y as usize * self.width as usize + x as usize) * 4;
        [self.data[i], self.data[i + 1], self.data[i + 2], self.data[i + 3]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_sizes() {
        assert_eq!(RgbaView::new(&[], 0, 1).unwrap_err(), ErrorCode::EmptyImage);
        assert_eq!(RgbaView::new(&[0; 7], 1, 2).unwrap_err(), ErrorCode::BufferSizeMismatch);
        assert_eq!(RgbaView::new(&[], 20_000, 20_000).unwrap_err(), ErrorCode::ImageTooLarge);
        let v = RgbaView::new(&[1, 2, 3, 4, 5, 6, 7, 8], 2, 1).unwrap();
        assert_eq!(v.pixel(1, 0), [5, 6, 7, 8]);
    }
}
