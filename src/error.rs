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
        }
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for ErrorCode {}
