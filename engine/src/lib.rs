//! An embedded, durable engine that plays the Inngest server's part on one machine.
//!
//! Events go in through [`Engine::send_events`]: each is validated, stored in SQLite and
//! matched against the registry's triggers (exact names, trailing `/*` and `.*` wildcards,
//! CEL `if` expressions) before its ids are returned. Every run is then driven call by call
//! through the runtime's `execute`, the same entry point a serve POST uses, and what each
//! call reports is stored as Inngest stores it: step results memoized as `{"data": ..}`,
//! planned steps called by id, sleeps as durable timers, waits resumed by later events or
//! their timeout, invokes as child runs, retries with exponential backoff and jitter (or
//! `Retry-After`), and runs that fail for good emitting `inngest/function.failed`, which also
//! starts the failed function's own failure handler (`on_failure`) as a companion run
//! `<id>-failure`, once. A failure handler's own failure emits nothing, so failures never
//! loop. An event named in a function's `cancel_on` ends that function's unfinished runs
//! whose `if` holds (`event` is the run's event, `async` the new one) within the timeout,
//! with status `cancelled` and an `inngest/function.cancelled` event; a cancelled run never
//! reaches a failure handler.
//!
//! Calls are made side by side: calls of different runs, and the parallel steps of one run,
//! up to [`MAX_CALLS_IN_FLIGHT`] at once. A function's `Config::concurrency` limits how many
//! of its calls (or, with a key, how many of its calls whose runs share the key's value)
//! execute at once; as in Inngest, a sleeping or waiting run holds no slot, calls over the
//! limit stay queued and start, oldest first, as slots free up, and a function's own
//! failure handler copies no limit.
//!
//! A call's outcome is stored in one transaction with the removal of its queue item, so a
//! step whose result is stored never runs again; a step interrupted by a crash before its
//! result was stored runs again on restart, as under Inngest. The outcomes of calls that
//! return together share one transaction, with the claims of the next calls.
//!
//! State lives at [`DEFAULT_PATH`] (`.switchyard/engine.db` under the working directory)
//! unless another [`Location`] is given; [`Location::Memory`] is for tests. Cron triggers
//! fire `inngest/scheduled.timer` runs; fires missed while the engine was down collapse into
//! one fire at start.
//!
//! The API in short: [`Engine::open`] (a [`Location`], the app's `&'static Registry` and a
//! [`Clock`]: [`SystemClock`], or [`FakeClock`] in tests), [`Engine::send_events`] and
//! [`Engine::invoke`] to start runs, [`Engine::run_until_idle`] to make every due call (tests
//! move a fake clock between rounds), [`Engine::spawn`] or [`Engine::run_loop`] to keep
//! working in the background, and [`Engine::runs`], [`Engine::run`] and [`Engine::events`]
//! to look at the state.
//!
//! ```no_run
//! # use switchyard_engine::EngineError;
//! # async fn demo(registry: &'static switchyard_runtime::Registry) -> Result<(), EngineError> {
//! use std::sync::Arc;
//! use switchyard_engine::{Engine, Location, RunFilter, SystemClock};
//!
//! let engine = Engine::open(Location::default_path(), registry, Arc::new(SystemClock))?;
//! engine.send_events(vec![serde_json::json!({"name": "auth/user.signed-up", "data": {}})])?;
//! engine.run_until_idle().await?; // or `engine.spawn()` to keep running in the background
//! let runs = engine.runs(&RunFilter::default())?;
//! # Ok(()) }
//! ```

mod clock;
mod cron;
mod engine;
mod ids;
mod ingest;
mod matcher;
mod slots;
mod store;
mod timer;

pub use clock::{Clock, FakeClock, SystemClock};
pub use cron::{CronError, Schedule};
pub use engine::{
    Engine, EngineError, RunDetail, RunFilter, DEFAULT_APP_ID, INVOKED_EVENT, MAX_CALLS_IN_FLIGHT,
    OUTBOX_LIMIT,
};
pub use ingest::{
    IngestError, DEDUPE_WINDOW_MS, MAX_EVENTS, MAX_EVENT_BYTES, MAX_TS_MS, MIN_TS_MS,
};
pub use matcher::{expression_holds, name_matches};
pub use store::{Location, RunRow, StoreError, DEFAULT_PATH, SCHEMA_VERSION};
