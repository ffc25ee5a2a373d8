//! The embedded engine as the `switchyard` binary runs it: opened on the configured database
//! and driven on a thread of its own next to the web server, which serves its event API and
//! its runs.

use std::fmt;
use std::io;
use std::sync::Arc;

use switchyard_engine::{Engine, EngineError, Location, SystemClock};
use switchyard_runtime::Registry;
use tracing::error;

/// An open engine and where its database is; clones share the engine.
#[derive(Clone)]
pub struct Embedded {
    /// The engine.
    pub engine: Engine,
    /// Where its database is.
    pub location: Location,
}

impl Embedded {
    /// Opens the engine's database at `location` for the functions of `registry`, on the
    /// system clock, naming functions `<app_id>-<function id>` as Inngest does.
    ///
    /// # Errors
    ///
    /// Returns an error naming the file when the database cannot be opened, is not a
    /// database or was written by another schema version, and an error naming the function
    /// when a cron trigger does not parse.
    pub fn open(
        location: Location,
        registry: &'static Registry,
        app_id: &str,
    ) -> Result<Embedded, EngineError> {
        let engine = Engine::open(location.clone(), registry, Arc::new(SystemClock))?;
        Ok(Embedded {
            engine: engine.with_app_id(app_id),
            location,
        })
    }

    /// The database as the startup line shows it: an absolute path, or `:memory:`.
    pub fn database(&self) -> String {
        match &self.location {
            Location::Path(path) => std::path::absolute(path)
                .unwrap_or_else(|_| path.clone())
                .display()
                .to_string(),
            Location::Memory => crate::config::IN_MEMORY.to_owned(),
        }
    }

    /// Starts the engine's loop on a thread of its own with a runtime of its own, so that a
    /// long round of calls never holds up the web server. The thread ends with the process;
    /// a call it was making then runs again at the next start, as its result was not stored.
    ///
    /// # Errors
    ///
    /// Returns an error if the runtime or the thread cannot be created.
    pub fn start(&self) -> io::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let engine = self.engine.clone();

        std::thread::Builder::new()
            .name("switchyard-engine".to_owned())
            .spawn(move || {
                runtime.block_on(engine.run_loop());
                error!("the engine's loop stopped; no more runs are driven");
            })?;
        Ok(())
    }
}

impl fmt::Debug for Embedded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Embedded")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}
