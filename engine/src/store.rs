//! The engine's durable state in SQLite: events, runs, memoized steps, the work queue,
//! waits and cron schedules.
//!
//! The database runs in WAL mode and stores its schema version in `PRAGMA user_version`;
//! a database of another version, or a file that is not a database, is refused with an
//! error at open. Every change the engine makes for one event or one call is written in
//! one transaction, so a crash leaves either all of it or none.
//!
//! Durability: the connection uses `synchronous = NORMAL`, under which a commit writes the
//! transaction to the WAL file without waiting for the disk; the WAL is synced to disk at
//! each checkpoint. A committed transaction therefore survives a crash of the process
//! (`kill -9`, a panic, an abort), which is what the engine promises: an accepted event and
//! a stored step result are never lost when the process dies. A power cut or an operating
//! system crash may lose the transactions committed since the last checkpoint (the database
//! itself stays consistent); `synchronous = FULL` would sync on every commit and cost
//! throughput.

use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::Value;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// Where the engine keeps its database unless told otherwise, relative to the working
/// directory.
pub const DEFAULT_PATH: &str = ".switchyard/engine.db";

const SCHEMA: &str = "
CREATE TABLE events (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, body TEXT NOT NULL,
    user_id TEXT, received_at INTEGER NOT NULL);
CREATE INDEX events_user_id ON events(user_id);
CREATE TABLE runs (
    id TEXT PRIMARY KEY, function_id TEXT NOT NULL, event TEXT NOT NULL,
    status TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,
    parallel INTEGER NOT NULL DEFAULT 0, output TEXT, error TEXT,
    parent_run TEXT, parent_step TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX runs_status ON runs(status);
CREATE TABLE steps (
    run_id TEXT NOT NULL, hashed_id TEXT NOT NULL, seq INTEGER NOT NULL,
    value TEXT NOT NULL, PRIMARY KEY (run_id, hashed_id));
CREATE TABLE planned (
    run_id TEXT NOT NULL, hashed_id TEXT NOT NULL, PRIMARY KEY (run_id, hashed_id));
CREATE TABLE queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, due_at INTEGER NOT NULL,
    step_id TEXT, attempt INTEGER NOT NULL, memo_id TEXT, timer INTEGER);
CREATE INDEX queue_due ON queue(due_at, id);
CREATE TABLE waits (
    run_id TEXT NOT NULL, hashed_id TEXT NOT NULL, event_name TEXT NOT NULL,
    expression TEXT, PRIMARY KEY (run_id, hashed_id));
CREATE TABLE crons (
    function_id TEXT NOT NULL, schedule TEXT NOT NULL, next_at INTEGER NOT NULL,
    PRIMARY KEY (function_id, schedule));
";

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A file, created with its parent folder if missing.
    Path(PathBuf),
    /// A private in-memory database that vanishes with the engine, for tests.
    Memory,
}

impl Location {
    /// The documented default, [`DEFAULT_PATH`] under the working directory.
    pub fn default_path() -> Location {
        Location::Path(PathBuf::from(DEFAULT_PATH))
    }
}

/// A failure to read or write the engine's database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or is not a database.
    #[error("cannot open engine database `{path}`: {source}")]
    Open {
        /// The database path.
        path: String,
        /// What SQLite or the file system said.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database was written by another version of the engine.
    #[error("engine database `{path}` has schema version {found}, this build needs {expected}")]
    SchemaVersion {
        /// The database path.
        path: String,
        /// The version stored in the file.
        found: i64,
        /// The version this build writes.
        expected: i64,
    },
    /// A query failed.
    #[error("engine database query failed: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A stored JSON value does not parse.
    #[error("engine database holds invalid json: {0}")]
    Json(#[from] serde_json::Error),
}

/// The open database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database and checks its schema version.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError::Open`] if the file cannot be opened or is not a database and
    /// [`StoreError::SchemaVersion`] if it was written by another version.
    pub fn open(location: &Location) -> Result<Store, StoreError> {
        let name = match location {
            Location::Path(path) => path.display().to_string(),
            Location::Memory => ":memory:".to_owned(),
        };
        let open_error = |source: Box<dyn std::error::Error + Send + Sync>| StoreError::Open {
            path: name.clone(),
            source,
        };

        let conn = match location {
            Location::Path(path) => {
                create_parent(path).map_err(|error| open_error(Box::new(error)))?;
                Connection::open(path)
            }
            Location::Memory => Connection::open_in_memory(),
        }
        .map_err(|error| open_error(Box::new(error)))?;

        let prepare = |conn: &Connection| -> rusqlite::Result<i64> {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.set_prepared_statement_cache_capacity(64);
            // Plans must not depend on bound values: otherwise SQLite prepares a cached
            // statement again each time new values are bound to it.
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
            conn.pragma_query_value(None, "user_version", |row| row.get(0))
        };
        let version = prepare(&conn).map_err(|error| open_error(Box::new(error)))?;

        match version {
            0 => {
                let create = format!("{SCHEMA} PRAGMA user_version = {SCHEMA_VERSION};");
                conn.execute_batch(&format!("BEGIN; {create} COMMIT;"))
                    .map_err(|error| open_error(Box::new(error)))?;
            }
            SCHEMA_VERSION => {}
            found => {
                return Err(StoreError::SchemaVersion {
                    path: name,
                    found,
                    expected: SCHEMA_VERSION,
                })
            }
        }
        Ok(Store { conn })
    }

    /// Starts a transaction; every change goes through one.
    ///
    /// # Errors
    ///
    /// Returns an error if SQLite cannot begin a transaction.
    pub fn begin(&mut self) -> Result<Tx<'_>, StoreError> {
        Ok(Tx {
            tx: self.conn.transaction()?,
        })
    }
}

fn create_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent),
        _ => Ok(()),
    }
}

/// A stored run, as listed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunRow {
    /// The run's ULID.
    pub id: String,
    /// The function's id in the registry.
    pub function_id: String,
    /// `queued` (before its first call, after a pause ends, or before a retry), `running`
    /// (from its first call on, steps included), `sleeping`, `waiting`, `completed`,
    /// `failed` or `cancelled`.
    pub status: String,
    /// The highest zero-based attempt any call of the run reached.
    pub attempt: u32,
    /// The triggering event.
    pub event: Value,
    /// The return value once completed.
    pub output: Option<Value>,
    /// The error once failed.
    pub error: Option<Value>,
    /// The run that invoked this one, if any.
    pub parent_run: Option<String>,
    /// The parent's step that waits for this run.
    pub parent_step: Option<String>,
    /// Whether later calls must not run steps immediately.
    #[serde(skip)]
    pub parallel: bool,
    /// When the run was created, in milliseconds since the epoch.
    pub created_at: i64,
    /// When the run last changed, in milliseconds since the epoch.
    pub updated_at: i64,
}

/// One piece of due work: a call of a run, possibly after memoizing a timer's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    /// The item's row id.
    pub id: i64,
    /// The run to call.
    pub run_id: String,
    /// When the item is due.
    pub due_at: i64,
    /// The hashed step to run, or `None` for a discovery call.
    pub step_id: Option<String>,
    /// The zero-based attempt of this call.
    pub attempt: u32,
    /// The step a timer settles when it fires; `None` for calls.
    pub memo_id: Option<String>,
    /// What kind of timer this is; `None` for calls.
    pub timer: Option<Timer>,
}

/// What a timer settles when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// A sleep ends: the step resumes with null.
    Sleep,
    /// A wait times out: the step resumes with null, unless an event matched first.
    WaitTimeout,
    /// An invoked run took too long: the step resumes with a timeout error.
    InvokeTimeout,
}

impl Timer {
    fn code(self) -> i64 {
        match self {
            Timer::Sleep => 0,
            Timer::WaitTimeout => 1,
            Timer::InvokeTimeout => 2,
        }
    }

    fn from_code(code: Option<i64>) -> Option<Timer> {
        match code? {
            0 => Some(Timer::Sleep),
            1 => Some(Timer::WaitTimeout),
            _ => Some(Timer::InvokeTimeout),
        }
    }
}

/// A waiting `step.waitForEvent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitRow {
    /// The waiting run.
    pub run_id: String,
    /// The wait step's hashed id.
    pub hashed_id: String,
    /// The awaited event name.
    pub event_name: String,
    /// The CEL condition over `event` and `async`.
    pub expression: Option<String>,
}

/// An open transaction with the engine's queries.
///
/// Every statement goes through SQLite's prepared statement cache, so a query is parsed
/// once per connection rather than once per call.
pub struct Tx<'a> {
    tx: Transaction<'a>,
}

impl Tx<'_> {
    /// Makes every change of the transaction durable.
    ///
    /// # Errors
    ///
    /// Returns an error if SQLite cannot commit.
    pub fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }

    /// Runs a cached statement that changes rows; returns how many it changed.
    fn change(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
        Ok(self.tx.prepare_cached(sql)?.execute(params)?)
    }

    /// Runs a cached query that yields at most one row.
    fn one<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        let mut statement = self.tx.prepare_cached(sql)?;
        Ok(statement.query_row(params, read).optional()?)
    }

    /// The internal id of an event with this sender id received at or after `since`.
    pub fn event_by_user_id(
        &self,
        user_id: &str,
        since: i64,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT id FROM events WHERE user_id = ?1 AND received_at >= ?2 LIMIT 1";
        self.one(sql, params![user_id, since], |row| row.get(0))
    }

    /// Stores an accepted event.
    pub fn insert_event(
        &self,
        id: &str,
        body: &Value,
        user_id: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let name = body["name"].as_str().unwrap_or_default();
        let sql = "INSERT INTO events (id, name, body, user_id, received_at)
                   VALUES (?1, ?2, ?3, ?4, ?5)";
        self.change(sql, params![id, name, body.to_string(), user_id, now])?;
        Ok(())
    }

    /// The most recent events, newest first.
    pub fn events(&self, limit: u32) -> Result<Vec<Value>, StoreError> {
        let sql = "SELECT body FROM events ORDER BY received_at DESC, rowid DESC LIMIT ?1";
        let mut statement = self.tx.prepare_cached(sql)?;
        let bodies = statement.query_map(params![limit], |row| row.get::<_, String>(0))?;
        bodies
            .map(|body| Ok(serde_json::from_str(&body?)?))
            .collect()
    }

    /// Creates a queued run.
    pub fn insert_run(&self, run: &RunRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO runs (id, function_id, event, status, attempt, parent_run,
                   parent_step, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?7)";
        self.change(
            sql,
            params![
                run.id,
                run.function_id,
                run.event.to_string(),
                run.status,
                run.parent_run,
                run.parent_step,
                run.created_at
            ],
        )?;
        Ok(())
    }

    /// One run by id.
    pub fn run(&self, id: &str) -> Result<Option<RunRow>, StoreError> {
        let sql = format!("{RUN_COLUMNS} WHERE id = ?1");
        let row = self.one(&sql, params![id], raw_run)?;
        row.map(parse_run).transpose()
    }

    /// The triggering event of a run, if the run exists.
    pub fn run_event(&self, id: &str) -> Result<Option<Value>, StoreError> {
        let sql = "SELECT event FROM runs WHERE id = ?1";
        let text: Option<String> = self.one(sql, params![id], |row| row.get(0))?;
        Ok(text.as_deref().map(serde_json::from_str).transpose()?)
    }

    /// The status of a run, if the run exists.
    pub fn run_status(&self, id: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT status FROM runs WHERE id = ?1";
        self.one(sql, params![id], |row| row.get(0))
    }

    /// Recent runs, newest first, optionally of one status and one function.
    pub fn runs(
        &self,
        status: Option<&str>,
        function_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RunRow>, StoreError> {
        let sql = format!(
            "{RUN_COLUMNS} WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR function_id = ?2)
             ORDER BY created_at DESC, rowid DESC LIMIT ?3"
        );
        let mut statement = self.tx.prepare_cached(&sql)?;
        let rows = statement.query_map(params![status, function_id, limit], raw_run)?;
        rows.map(|row| parse_run(row?)).collect()
    }

    /// Sets a run's status, its highest attempt so far and, when finished, its output or
    /// error.
    pub fn update_run(
        &self,
        id: &str,
        status: &str,
        attempt: u32,
        outcome: (Option<&Value>, Option<&Value>),
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE runs SET status = ?2, attempt = MAX(attempt, ?3),
                   output = COALESCE(?4, output), error = COALESCE(?5, error), updated_at = ?6
                   WHERE id = ?1";
        let (output, error) = outcome;
        let output = output.map(Value::to_string);
        let error = error.map(Value::to_string);
        self.change(sql, params![id, status, attempt, output, error, now])?;
        Ok(())
    }

    /// Marks a run running for a call of attempt `attempt`; the row is written only if
    /// that changes its status or highest attempt.
    pub fn mark_running(&self, id: &str, attempt: u32, now: i64) -> Result<(), StoreError> {
        let sql = "UPDATE runs SET status = 'running', attempt = MAX(attempt, ?2), updated_at = ?3
                   WHERE id = ?1 AND (status != 'running' OR attempt < ?2)";
        self.change(sql, params![id, attempt, now])?;
        Ok(())
    }

    /// Marks a sleeping or waiting run queued for its next call. A run between two steps
    /// stays running, and a run that ended stays ended.
    pub fn mark_queued(&self, id: &str, now: i64) -> Result<(), StoreError> {
        let sql = "UPDATE runs SET status = 'queued', updated_at = ?2
                   WHERE id = ?1 AND status IN ('sleeping', 'waiting')";
        self.change(sql, params![id, now])?;
        Ok(())
    }

    /// The runs of a function that have not ended: queued, running, sleeping or waiting,
    /// oldest first.
    pub fn unfinished_runs(&self, function_id: &str) -> Result<Vec<RunRow>, StoreError> {
        let sql = format!(
            "{RUN_COLUMNS} WHERE function_id = ?1
             AND status IN ('queued', 'running', 'sleeping', 'waiting')
             ORDER BY created_at, rowid"
        );
        let mut statement = self.tx.prepare_cached(&sql)?;
        let rows = statement.query_map(params![function_id], raw_run)?;
        rows.map(|row| parse_run(row?)).collect()
    }

    /// Ends a run as cancelled and drops its queued calls and timers, its waits and its
    /// planned steps.
    pub fn cancel_run(&self, id: &str, now: i64) -> Result<(), StoreError> {
        let sql = "UPDATE runs SET status = 'cancelled', updated_at = ?2 WHERE id = ?1";
        self.change(sql, params![id, now])?;
        for table in ["queue", "waits", "planned"] {
            let sql = format!("DELETE FROM {table} WHERE run_id = ?1");
            self.change(&sql, params![id])?;
        }
        Ok(())
    }

    /// Marks a run as having seen parallel steps.
    pub fn set_parallel(&self, id: &str) -> Result<(), StoreError> {
        self.change("UPDATE runs SET parallel = 1 WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// The memoized steps of a run by hashed id, in the order they were stored.
    pub fn steps(&self, run_id: &str) -> Result<Vec<(String, Value)>, StoreError> {
        let sql = "SELECT hashed_id, value FROM steps WHERE run_id = ?1 ORDER BY seq";
        let mut statement = self.tx.prepare_cached(sql)?;
        let rows = statement.query_map(params![run_id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        rows.map(|row| {
            let (id, value) = row?;
            Ok((id, serde_json::from_str(&value)?))
        })
        .collect()
    }

    /// Memoizes a step's result unless one is already stored; says whether it was new.
    pub fn memoize(
        &self,
        run_id: &str,
        hashed_id: &str,
        value: &Value,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT OR IGNORE INTO steps (run_id, hashed_id, seq, value)
                   VALUES (?1, ?2, (SELECT COUNT(*) FROM steps WHERE run_id = ?1), ?3)";
        let changed = self.change(sql, params![run_id, hashed_id, value.to_string()])?;
        Ok(changed > 0)
    }

    /// Records a step as planned (scheduled to run by id); says whether it was new.
    pub fn plan(&self, run_id: &str, hashed_id: &str) -> Result<bool, StoreError> {
        let sql = "INSERT OR IGNORE INTO planned (run_id, hashed_id) VALUES (?1, ?2)";
        Ok(self.change(sql, params![run_id, hashed_id])? > 0)
    }

    /// Forgets a planned step; returns how many planned steps of the run remain.
    pub fn unplan(&self, run_id: &str, hashed_id: &str) -> Result<u32, StoreError> {
        let sql = "DELETE FROM planned WHERE run_id = ?1 AND hashed_id = ?2";
        self.change(sql, params![run_id, hashed_id])?;
        let count = "SELECT COUNT(*) FROM planned WHERE run_id = ?1";
        let remaining = self.one(count, params![run_id], |row| row.get(0))?;
        Ok(remaining.unwrap_or(0))
    }

    /// Adds work to the queue.
    pub fn enqueue(&self, item: &QueueItem) -> Result<i64, StoreError> {
        let sql = "INSERT INTO queue (run_id, due_at, step_id, attempt, memo_id, timer)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
        self.change(
            sql,
            params![
                item.run_id,
                item.due_at,
                item.step_id,
                item.attempt,
                item.memo_id,
                item.timer.map(Timer::code)
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Up to `limit` items due at or before `now` that come after `after` (a due time and
    /// an item id) in queue order, each with the function id of its run (`None` if the run
    /// is gone).
    pub fn due_page(
        &self,
        now: i64,
        after: (i64, i64),
        limit: usize,
    ) -> Result<Vec<(QueueItem, Option<String>)>, StoreError> {
        let sql = "SELECT q.id, q.run_id, q.due_at, q.step_id, q.attempt, q.memo_id, q.timer,
                   r.function_id FROM queue q LEFT JOIN runs r ON r.id = q.run_id
                   WHERE q.due_at <= ?1 AND (q.due_at, q.id) > (?2, ?3)
                   ORDER BY q.due_at, q.id LIMIT ?4";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut statement = self.tx.prepare_cached(sql)?;
        let rows = statement.query_map(params![now, after.0, after.1, limit], |row| {
            Ok((queue_item(row)?, row.get(7)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// When the earliest queued item is due, if any.
    pub fn earliest_due(&self) -> Result<Option<i64>, StoreError> {
        let earliest = self.one("SELECT MIN(due_at) FROM queue", [], |row| row.get(0))?;
        Ok(earliest.flatten())
    }

    /// Removes an item from the queue.
    pub fn dequeue(&self, id: i64) -> Result<(), StoreError> {
        self.change("DELETE FROM queue WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// Removes the timeout timer of a run's wait.
    pub fn dequeue_wait_timer(&self, run_id: &str, hashed_id: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM queue WHERE run_id = ?1 AND memo_id = ?2 AND timer = 1";
        self.change(sql, params![run_id, hashed_id])?;
        Ok(())
    }

    /// Records a wait for an event.
    pub fn insert_wait(&self, wait: &WaitRow) -> Result<(), StoreError> {
        let sql = "INSERT OR IGNORE INTO waits (run_id, hashed_id, event_name, expression)
                   VALUES (?1, ?2, ?3, ?4)";
        self.change(
            sql,
            params![
                wait.run_id,
                wait.hashed_id,
                wait.event_name,
                wait.expression
            ],
        )?;
        Ok(())
    }

    /// The waits for events of this name.
    pub fn waits_for(&self, event_name: &str) -> Result<Vec<WaitRow>, StoreError> {
        let sql = "SELECT run_id, hashed_id, event_name, expression FROM waits
                   WHERE event_name = ?1 ORDER BY rowid";
        let mut statement = self.tx.prepare_cached(sql)?;
        let rows = statement.query_map(params![event_name], |row| {
            Ok(WaitRow {
                run_id: row.get(0)?,
                hashed_id: row.get(1)?,
                event_name: row.get(2)?,
                expression: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Removes a wait; says whether it was still there.
    pub fn delete_wait(&self, run_id: &str, hashed_id: &str) -> Result<bool, StoreError> {
        let sql = "DELETE FROM waits WHERE run_id = ?1 AND hashed_id = ?2";
        Ok(self.change(sql, params![run_id, hashed_id])? > 0)
    }

    /// The stored next fire time of a cron schedule.
    pub fn cron_next(&self, function_id: &str, schedule: &str) -> Result<Option<i64>, StoreError> {
        let sql = "SELECT next_at FROM crons WHERE function_id = ?1 AND schedule = ?2";
        self.one(sql, params![function_id, schedule], |row| row.get(0))
    }

    /// Stores the next fire time of a cron schedule.
    pub fn set_cron_next(
        &self,
        function_id: &str,
        schedule: &str,
        next_at: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO crons (function_id, schedule, next_at) VALUES (?1, ?2, ?3)
                   ON CONFLICT (function_id, schedule) DO UPDATE SET next_at = ?3";
        self.change(sql, params![function_id, schedule, next_at])?;
        Ok(())
    }
}

const RUN_COLUMNS: &str = "SELECT id, function_id, status, attempt, event, output, error,
    parent_run, parent_step, parallel, created_at, updated_at FROM runs";

type RawRun = (RunRow, String, Option<String>, Option<String>);

fn raw_run(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRun> {
    let run = RunRow {
        id: row.get(0)?,
        function_id: row.get(1)?,
        status: row.get(2)?,
        attempt: row.get(3)?,
        event: Value::Null,
        output: None,
        error: None,
        parent_run: row.get(7)?,
        parent_step: row.get(8)?,
        parallel: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
    };
    Ok((run, row.get(4)?, row.get(5)?, row.get(6)?))
}

fn parse_run((mut run, event, output, error): RawRun) -> Result<RunRow, StoreError> {
    run.event = serde_json::from_str(&event)?;
    run.output = output.as_deref().map(serde_json::from_str).transpose()?;
    run.error = error.as_deref().map(serde_json::from_str).transpose()?;
    Ok(run)
}

fn queue_item(row: &rusqlite::Row<'_>) -> rusqlite::Result<QueueItem> {
    Ok(QueueItem {
        id: row.get(0)?,
        run_id: row.get(1)?,
        due_at: row.get(2)?,
        step_id: row.get(3)?,
        attempt: row.get(4)?,
        memo_id: row.get(5)?,
        timer: Timer::from_code(row.get(6)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_the_schema_and_reopens_it() {
        let dir = std::env::temp_dir().join(format!("switchyard-store-{}", std::process::id()));
        let path = dir.join("nested").join("engine.db");

        Store::open(&Location::Path(path.clone())).unwrap();
        let reopened = Store::open(&Location::Path(path));

        assert!(reopened.is_ok());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn refuses_a_file_that_is_not_a_database() {
        let path = std::env::temp_dir().join(format!("switchyard-junk-{}.db", std::process::id()));
        std::fs::write(&path, "this is not a database, just some text ".repeat(200)).unwrap();

        let error = Store::open(&Location::Path(path.clone())).unwrap_err();

        assert!(matches!(error, StoreError::Open { .. }), "{error}");
        assert!(error.to_string().contains("engine.db") || error.to_string().contains("junk"));
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn refuses_another_schema_version() {
        let path = std::env::temp_dir().join(format!("switchyard-v9-{}.db", std::process::id()));
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 9).unwrap();
        drop(conn);

        let error = Store::open(&Location::Path(path.clone())).unwrap_err();

        assert!(
            matches!(error, StoreError::SchemaVersion { found: 9, .. }),
            "{error}"
        );
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn memoizes_each_step_once_in_order() {
        let mut store = Store::open(&Location::Memory).unwrap();
        let tx = store.begin().unwrap();

        let first = tx
            .memoize("r", "b", &serde_json::json!({"data": 1}))
            .unwrap();
        let again = tx
            .memoize("r", "b", &serde_json::json!({"data": 2}))
            .unwrap();
        tx.memoize("r", "a", &Value::Null).unwrap();

        assert!(first);
        assert!(!again);
        let steps = tx.steps("r").unwrap();
        assert_eq!(steps[0], ("b".to_owned(), serde_json::json!({"data": 1})));
        assert_eq!(steps[1].0, "a");
    }
}
