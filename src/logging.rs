//! Log output of the `switchyard` binary: `tracing` events to standard error.
//!
//! The level comes from `RUST_LOG` (for example `RUST_LOG=debug` or
//! `RUST_LOG=switchyard=trace`), and is `info` by default, with the web server's own
//! start-up chatter kept to warnings so that start-up logs only the app's own lines: the
//! registered functions, the address and mode, and whether the embedded engine runs.
//! The engine logs each finished run at `info` and each call at `debug`, with the function,
//! run id, step, attempt and duration as fields.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter used when `RUST_LOG` is unset or empty.
pub const DEFAULT_FILTER: &str = "info,actix_server=warn";

/// Installs the global subscriber; later calls do nothing.
///
/// A `RUST_LOG` that does not parse falls back to [`DEFAULT_FILTER`] with a warning.
pub fn init() {
    let (filter, problem) = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => match EnvFilter::try_new(&value) {
            Ok(filter) => (filter, None),
            Err(error) => (EnvFilter::new(DEFAULT_FILTER), Some(error)),
        },
        _ => (EnvFilter::new(DEFAULT_FILTER), None),
    };

    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();

    if let (Ok(()), Some(error)) = (installed, problem) {
        tracing::warn!("ignoring RUST_LOG, which does not parse: {error}");
    }
}
