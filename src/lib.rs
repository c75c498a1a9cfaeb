//! Before You Post: the on-device core of the browser extension.
//!
//! Everything here is pure Rust, built and tested natively; [`wasm`] is the only module
//! that touches wasm-bindgen. The core takes borrowed RGBA pixels and returns plain data.
#![deny(missing_docs)]

pub mod analysis;
pub mod decide;
pub mod detect;
pub mod error;
pub mod grade;
pub mod mask;
pub mod meta;
pub mod raster;
pub mod video_check;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use analysis::{analyze, analyze_scaled, Analysis};
pub use error::ErrorCode;
