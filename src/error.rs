//! Errors with stable codes. User-facing words live in the extension's `_locales`.

use serde::Serialize;

/// Why a call into the core failed. The `code()` strings are a stable contract with the
/// extension, which maps each one to a localised message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum ErrorCode {
    /// Width or height is zero.
    EmptyImage,
    /// The pixel buffer is shorter or longer than `width * height * 4`.
    BufferSizeMismatch,
    /// The image has more pixels than the core accepts.
    ImageTooLarge,
    /// The bundled model failed its integrity check.
    ModelCorrupt,
    /// Options passed from JavaScript could not be read.
    BadOptions,
    /// The file has zero bytes.
    EmptyFile,
    /// The file is not one of the image formats the core recognises by its magic bytes.
    UnsupportedFormat,
    /// The file's container is truncated or malformed (headers cannot be read).
    CorruptFile,
    /// Location cannot be removed from this file without re-encoding it.
    StripUnsupported,
    /// Masking is refused: the image is animated and only one frame would survive.
    AnimatedImage,
    /// Masking is refused: CMYK JPEGs would change colours when re-encoded by the browser.
    CmykImage,
    /// Masking is refused: more than 8 bits per channel would be lost when re-encoded.
    HighBitDepth,
    /// Masking is refused: browsers cannot decode this format (HEIC, TIFF).
    UndecodableFormat,
    /// Masking is refused: browsers decode this format but cannot write it back (GIF, AVIF).
    UnwritableFormat,
    /// A mask box has a non-finite coordinate.
    InvalidBox,
    /// More mask boxes than the core accepts in one call (see `mask::MAX_BOXES`).
    TooManyBoxes,
    /// A video's metadata (`moov`, XMP, Matroska headers and tags) is larger than the core
    /// reads (`meta::video::MAX_METADATA`).
    MetadataTooLarge,
    /// Masking is refused: the file is a video (faces are only found in photos).
    VideoNotMasked,
}

impl ErrorCode {
    /// The stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::EmptyImage => "empty_image",
            ErrorCode::BufferSizeMismatch => "buffer_size_mismatch",
            ErrorCode::ImageTooLarge => "image_too_large",
            ErrorCode::ModelCorrupt => "model_corrupt",
            ErrorCode::BadOptions => "bad_options",
            ErrorCode::EmptyFile => "empty_file",
            ErrorCode::UnsupportedFormat => "unsupported_format",
            ErrorCode::CorruptFile => "corrupt_file",
            ErrorCode::StripUnsupported => "strip_unsupported",
            ErrorCode::AnimatedImage => "animated_image",
            ErrorCode::CmykImage => "cmyk_image",
            ErrorCode::HighBitDepth => "high_bit_depth",
            ErrorCode::UndecodableFormat => "undecodable_format",
            ErrorCode::UnwritableFormat => "unwritable_format",
            ErrorCode::InvalidBox => "invalid_box",
            ErrorCode::TooManyBoxes => "too_many_boxes",
            ErrorCode::MetadataTooLarge => "metadata_too_large",
            ErrorCode::VideoNotMasked => "video_not_masked",
        }
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for ErrorCode {}
