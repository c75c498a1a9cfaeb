//! Before You Post: the on-device core of the browser extension.
//!
//! Everything here is pure Rust, built and tested natively; [`wasm`] is the only module
//! that touches wasm-bindgen. The core takes borrowed RGBA pixels and returns plain data.
#![deny(missing_docs)]

pub mod error;
pub mod raster;
pub mod detect;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::ErrorCode;
