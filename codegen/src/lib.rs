//! Build-time discovery of Switchyard event files and generation of the function registry.
//!
//! A build script points a [`Builder`] at a project root; it finds every file that matches
//! the discovery pattern (by default `features/**/events/event-*.rs`), checks each one, and
//! writes one formatted module, `all_functions.rs`, that declares a module per event file and
//! a static registry of their functions. The crate knows nothing of the runtime beyond the
//! paths it writes into the generated code.
//!
//! ```no_run
//! // In build.rs:
//! switchyard_codegen::Builder::from_env().run_build_script();
//! ```

mod builder;
mod discover;
mod generate;
mod model;
mod parse;

pub use builder::{Builder, Output};
pub use model::{Concurrency, FunctionSpec, Trigger};
