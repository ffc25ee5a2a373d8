//! Build-time discovery of Switchyard event files and generation of the function registry.
//!
//! A build script points a [`Builder`] at a project root. It finds every event file, checks
//! each one, and writes one formatted module, `all_functions.rs`, that declares a module per
//! event file and a static registry of their functions. The crate knows nothing of the
//! runtime beyond the paths it writes into the generated code, so another project can call
//! it from its own `build.rs`.
//!
//! ```no_run
//! // In build.rs:
//! switchyard_codegen::Builder::from_env().run_build_script();
//! ```
//!
//! ```no_run
//! // Anywhere else, such as a test that keeps an audit copy current:
//! let output = switchyard_codegen::Builder::new(".")
//!     .pattern("features/**/events/event-*.rs")
//!     .ignores(["**/*.test.rs", "**/*.spec.rs"])
//!     .generate()
//!     .map_err(|report| report.render())?;
//! println!("{} functions", output.functions.len());
//! # Ok::<(), String>(())
//! ```
//!
//! # Discovery
//!
//! - A file is an event file when its root-relative path (with `/` separators) matches the
//!   pattern, [`DEFAULT_PATTERN`] `features/**/events/event-*.rs` unless configured, and no
//!   ignore pattern, [`DEFAULT_IGNORES`] `**/*.test.rs` and `**/*.spec.rs` unless
//!   configured. Globs match component by component: `*` never crosses a `/`, `**` spans
//!   folders, and `{a,b}` alternatives work. The pattern matches exactly (case included);
//!   ignores match case-insensitively, so `event-x.TEST.rs` is ignored like
//!   `event-x.test.rs`: a test file is never registered because of how its marker is
//!   spelled. A configured ignore pattern that matches no file is a warning.
//! - The pattern's leading literal folders (`features`) are its base, where the walk starts.
//!   The file's **feature** is the folder path between the base and the pattern's trailing
//!   literal folders (`events`): `auth` for `features/auth/events/event-x.rs`,
//!   `billing/invoices` for `features/billing/invoices/events/event-x.rs`. A file directly
//!   in `features/events/` belongs to no feature and is an error.
//! - The pattern decides alone: `features/orders/tests/events/event-fake.rs` matches and is
//!   registered in feature `orders/tests`. Keep test doubles out of `events/` folders, name
//!   them `*.test.rs`, or add an ignore such as `**/tests/**`; a fake that reuses a real id
//!   fails the build as a duplicate id.
//! - The part of the file name that the `*` matches must be non-empty ASCII letters,
//!   digits, `-` and `_`: `event-.rs` (empty name) and `event-a.b.rs` are errors, not
//!   silently skipped files.
//! - Hidden files and folders (any name starting with `.`, which covers `.#lock` files,
//!   Vim `.swp` files and macOS `._` files), editor backups ending in `~` or wrapped in `#`,
//!   and files whose extension is not `.rs` never match.
//! - A near miss, a `.rs` file (extension in any case) in a folder that the pattern's folder
//!   part matches but that does not match and is not ignored, is a warning that names the file
//!   and the name it should have: `booking-created.rs`, `event_booking_created.rs`,
//!   `Event-Booking.rs` and `event-booking.RS` should be `event-booking-created.rs` or
//!   `event-booking.rs`. A function cannot be forgotten silently.
//! - A file or folder name under the base that is not valid UTF-8 is an error naming the
//!   path (skipped only when it is a file that cannot be Rust source), and so is a path with
//!   a control character.
//!
//! ## Symlinks
//!
//! Symlinks are followed, with loop detection. The walk first visits the real folders
//! under the base (which may itself be a symlink), then follows the symlinks it met, then
//! those behind them. Every folder is visited once, by its canonical path, and a link to a
//! folder that contains the base is skipped, so a cycle neither hangs nor registers anything
//! twice. A file reached through several paths is registered once, under the path that goes
//! through the fewest links (then the first in sorted order). Rerun triggers name real
//! (canonical) paths, so an edit made through a link reruns the build script. A dangling
//! link whose name matches the pattern is an error, since its function would be missing.
//! Pointing the base link itself (`features -> elsewhere`) at another folder is not seen;
//! touch `build.rs` after doing that.
//!
//! ## Rerun triggers
//!
//! The build script reruns when `build.rs`, the base folder, any folder under it, or any
//! event file changes. Adding, removing or renaming a file changes its folder, which is
//! listed, and an unchanged tree leaves the build script fresh.
//!
//! # Validation
//!
//! Every problem of every file is collected in one pass, sorted by file, line and column,
//! and reported like rustc does: one `cargo::error=path:line:column: message` line each,
//! and the rendered snippets on stderr. See [`Problem`] for the full list.
//!
//! Codegen parses what it reads: the items of the file, the header of `impl Function` and
//! its `CONFIG`. Function bodies and the other items of the impl (`type Event`, the
//! signature of `run`) are only scanned, since parsing them is most of the cost of reading
//! a file: an unbalanced delimiter or an unterminated literal anywhere is reported here,
//! while any other syntax error in them is left to rustc, which reports it at the event
//! file's line because the generated module points at that file.
//!
//! An event file must define exactly one `impl Function for T` for a `pub struct T;`,
//! whose `CONFIG` is a `Config { .. }` literal, optionally ending in `..Config::DEFAULT`,
//! whose fields are literals in these forms:
//!
//! - `id: "text"`: lowercase ASCII letters, digits and single hyphens, starting with a
//!   letter and ending with a letter or digit, at most [`MAX_ID_LEN`] characters, unique
//!   in the app.
//! - `name: "text"`: free text; empty shows the id.
//! - `triggers: &[..]`: at least one of `Trigger::event("a/b")`,
//!   `Trigger::event_if("a/b", "cel")` and `Trigger::cron("0 9 * * *")`.
//! - `retries: Some(n)` (at most [`MAX_RETRIES`]) or `None`.
//! - `concurrency: Some(Concurrency::limit(n))`, `Some(Concurrency::keyed(n, "cel"))` (a
//!   limit of at least 1, a key that is not blank) or `None`.
//! - `cancel_on: &[..]`: at most [`MAX_CANCELS`] of `Cancel::event("a/b")` and
//!   `Cancel::event_if("a/b", "cel")`, each optionally followed by
//!   `.timeout(Duration::from_secs(n))` (`from_millis` works too, and so do `from_mins` and
//!   `from_hours` for crates on Rust 1.91 or newer; not zero). A cancellation event is an
//!   exact name: no `*`.
//!
//! The impl may declare the function's own failure handler, `async fn on_failure(ctx:
//! Context<FunctionFailed>) -> Result<Value>`: one argument of that type, a return type, no
//! generics. Its entry in the registry then carries the handler, and Inngest knows it as the
//! function `<id>-failure`, so no other function may have that id. A function triggered by
//! `inngest/function.failed` may not declare one (it would never run), and `on_failure` in
//! an inherent `impl T` (where it would never run either) is an error.
//!
//! Any other field, or a value that is not a literal, is an error: every field that is
//! accepted reaches the registry, and none is silently ignored.
//!
//! - An **event name** is not empty, at most [`MAX_EVENT_LEN`] bytes, has no whitespace or
//!   control characters and no empty segment around `/` or `.`, and may use `*` only as its
//!   whole last segment after `/` or `.` (`app/*`, `app/user.*`). An `if` expression must
//!   not be blank.
//! - A **cron schedule** is five fields (minute, hour, day of month, month, day of week) or a
//!   nickname such as `@daily`, optionally after `TZ=Zone/Name ` with an IANA time zone.
//!   Without a prefix it is read as UTC.
//! - Two files with the same id fail, naming both files and lines; so do two files whose
//!   module names are equal (`event-send-email.rs` and `event-send_email.rs`, or
//!   `event-Sync.rs` and `event-sync.rs`). No file at all is an error too.
//!
//! # The generated file
//!
//! `all_functions.rs` starts with one `// @generated` line naming the generator, the pattern
//! and how to regenerate. It declares one module per event file with a `#[path]` back to its
//! source (relative to the folder of the including file), and `FUNCTION_COUNT`,
//! `FUNCTION_IDS` (sorted), `FUNCTIONS` (each entry with its `on_failure` handler or `None`),
//! `FEATURE_COUNTS`, `FEATURES` and `REGISTRY`. Functions triggered by
//! `inngest/function.failed` come first, then the others by feature, then by file name. The
//! bytes depend only on the tree's contents: not on the order the file system lists entries
//! in, nor on where the project is checked out. The file is written only when its bytes
//! change.
//!
//! A file's module is its feature and file stem in snake case: every character that cannot
//! be in an identifier becomes `_`, so `features/billing/invoices/events/event-paid.rs`
//! becomes `billing_invoices_event_paid`. The include looks like this (in `src/registry.rs`,
//! which is why the default [`Builder::root_from_includer`] is `..`):
//!
//! ```text
//! switchyard_include::include_out_dir!("all_functions.rs");
//! ```
//!
//! The `switchyard-include` crate's macro reads the file from `OUT_DIR` like `include!`, but
//! resolves the `#[path]`s from the includer's folder rather than from `OUT_DIR`, and, being
//! defined in a crate that never changes, keeps an added module from making rustc recompile
//! all the others.
//!
//! [`Output::audit`] renders the same registry as a Markdown table for a committed audit
//! copy; Switchyard keeps it in `FUNCTIONS.md` at the repository root, and a test rewrites
//! it and fails when it is stale.

mod analyze;
mod audit;
mod builder;
mod checks;
mod diagnostic;
mod generate;
mod matching;
mod model;
mod naming;
mod parse;
mod scan;
mod walk;

pub use builder::{
    write_if_changed, Builder, Output, DEFAULT_IGNORES, DEFAULT_PATTERN, GENERATED_FILE,
};
pub use checks::MAX_CANCELS;
pub use checks::{MAX_EVENT_LEN, MAX_ID_LEN, MAX_RETRIES};
pub use diagnostic::{Diagnostic, Problem, Related, Report, Severity, Span};
pub use model::{
    Cancel, Concurrency, FunctionSpec, Trigger, FAILURE_SUFFIX, FUNCTION_FAILED_EVENT,
};
