//! Switchyard: every Inngest function under `features/`, discovered at build time and served.
//!
//! [`registry`] holds what `build.rs` generated from the event files.

pub mod registry;

pub use switchyard_runtime as runtime;
