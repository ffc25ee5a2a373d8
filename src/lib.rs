//! Switchyard: every Inngest function under `features/`, discovered at build time and served.
//!
//! [`registry`] holds what `build.rs` generated from the event files; [`server`] serves it
//! over actix-web at `/api/inngest`, [`embedded`] runs it on the embedded engine when no
//! Inngest server is configured, and [`cli`] is the `switchyard` command.

pub mod cli;
pub mod config;
pub mod embedded;
pub mod event_api;
pub mod function_id;
pub mod http_error;
pub mod inngest_api;
pub mod logging;
pub mod registration;
pub mod registry;
pub mod runs;
pub mod server;
pub mod summary;

#[cfg(test)]
mod test_registry;

pub use switchyard_runtime as runtime;
