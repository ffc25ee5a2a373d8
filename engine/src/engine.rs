//! The engine: accepts events, starts runs, and drives each run call by call through the
//! runtime's [`execute`], storing what every call reports as Inngest's executor would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use serde_json::{json, Value};
use switchyard_runtime::{
    execute, Call, CallResult, Callee, Cancel, Event, EventSender, FunctionEntry, Op, OpCode,
    Outbox, Registry, Services, Trigger, FUNCTION_CANCELLED_EVENT, FUNCTION_FAILED_EVENT,
    SCHEDULED_TIMER_EVENT,
};
use tokio::sync::Notify;
use tracing::{debug, info, warn};

use crate::clock::Clock;
use crate::cron::{CronError, Schedule};
use crate::ids::ulid;
use crate::ingest::{self, IngestError, DEDUPE_WINDOW_MS};
use crate::matcher::{expression_holds, expression_key, matching_functions};
use crate::slots::{Lease, Limit, SharedSlots};
use crate::store::{Location, QueueItem, RunRow, Store, StoreError, Timer, Tx, WaitRow};
use crate::timer::{millis, parse_time_string, retry_delay, wake_at};

/// The app id composite function ids start with, unless [`Engine::with_app_id`] says
/// otherwise.
pub const DEFAULT_APP_ID: &str = "switchyard";

/// The event name of runs started by `step.invoke` or [`Engine::invoke`].
pub const INVOKED_EVENT: &str = switchyard_runtime::FUNCTION_INVOKED_EVENT;

/// How many deliveries the engine's outbox keeps: the latest ones, so that a server that
/// runs for weeks does not grow with every email and chat message its functions send.
pub const OUTBOX_LIMIT: usize = 10_000;

/// How long the background loop sleeps at most before looking for due work again.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// The most calls one driver keeps in flight at once; functions' own concurrency limits
/// apply below it.
pub const MAX_CALLS_IN_FLIGHT: usize = 256;

/// The most calls claimed in one transaction; finished calls are stored in the same one.
const CLAIM_BATCH: usize = 64;

/// How many queue items the claim reads at a time.
const CLAIM_PAGE: usize = 128;

/// Anything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sent events were refused.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// A function's cron trigger does not parse.
    #[error("function `{function}` has a bad cron trigger: {source}")]
    Cron {
        /// The function's id.
        function: String,
        /// The parse error.
        source: CronError,
    },
    /// A CEL expression of a function's configuration does not compile.
    #[error("function `{function}` has a {place} that is not valid CEL: `{expression}`: {reason}")]
    Expression {
        /// The function's id.
        function: String,
        /// Where the expression is: a trigger's `if`, a `cancel_on` `if` or a concurrency key.
        place: &'static str,
        /// The expression as written.
        expression: String,
        /// The compiler's message.
        reason: String,
    },
}

/// Which runs to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFilter {
    /// Only runs with this status.
    pub status: Option<String>,
    /// Only runs of this function.
    pub function_id: Option<String>,
    /// At most this many, newest first.
    pub limit: u32,
}

impl Default for RunFilter {
    fn default() -> RunFilter {
        RunFilter {
            status: None,
            function_id: None,
            limit: 100,
        }
    }
}

/// One run with its memoized steps.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunDetail {
    /// The run itself.
    #[serde(flatten)]
    pub run: RunRow,
    /// Memoized step results by hashed id, in the order they were stored.
    pub steps: Vec<(String, Value)>,
}

/// An embedded engine over one database; clones share it.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    registry: &'static Registry,
    clock: Arc<dyn Clock>,
    app_id: String,
    outbox: Outbox,
    wake: Arc<Notify>,
    slots: Arc<SharedSlots>,
    schedules: Vec<(&'static str, &'static str, Schedule)>,
    /// Every cancellation of every function, to check each event against.
    cancels: Vec<(&'static FunctionEntry, &'static Cancel)>,
}

/// A claimed call: what its outcome is stored against, and the slot it holds.
struct Prepared {
    item: QueueItem,
    run: RunRow,
    callee: Callee<'static>,
    // Held until the call's outcome is stored; dropping it frees the slot.
    _lease: Lease,
}

/// A call that returned, waiting to be stored.
struct Finished {
    prepared: Prepared,
    result: CallResult,
}

impl Engine {
    /// Opens the engine's database, checks every cron trigger of the registry, and
    /// schedules crons that have no stored next fire time yet.
    ///
    /// # Errors
    ///
    /// Returns an error if the database cannot be opened, a cron trigger does not parse or
    /// a CEL expression does not compile.
    pub fn open(
        location: Location,
        registry: &'static Registry,
        clock: Arc<dyn Clock>,
    ) -> Result<Engine, EngineError> {
        check_expressions(registry)?;
        let mut store = Store::open(&location)?;
        let schedules = parse_schedules(registry)?;

        let now = clock.now_ms();
        let tx = store.begin()?;
        for (function, cron, schedule) in &schedules {
            if tx.cron_next(function, cron)?.is_none() {
                let next = schedule.next_after(now).unwrap_or(i64::MAX);
                tx.set_cron_next(function, cron, next)?;
            }
        }
        tx.commit()?;

        let wake = Arc::new(Notify::new());
        let inner = Inner {
            store: Mutex::new(store),
            registry,
            clock,
            app_id: DEFAULT_APP_ID.to_owned(),
            outbox: Outbox::keeping_last(OUTBOX_LIMIT),
            slots: Arc::new(SharedSlots::new(Arc::clone(&wake))),
            wake,
            schedules,
            cancels: cancellations(registry),
        };
        Ok(Engine {
            inner: Arc::new(inner),
        })
    }

    /// Sets the app id that prefixes composite function ids (as in `function.failed`).
    ///
    /// # Panics
    ///
    /// Panics if the engine was already cloned or spawned; set the app id right after
    /// [`Engine::open`].
    pub fn with_app_id(mut self, app_id: impl Into<String>) -> Engine {
        let inner = Arc::get_mut(&mut self.inner)
            .expect("call Engine::with_app_id before cloning or spawning the engine");
        inner.app_id = app_id.into();
        self
    }

    /// The outbox every function's deliveries are recorded in; it keeps the latest
    /// [`OUTBOX_LIMIT`].
    pub fn outbox(&self) -> Outbox {
        self.inner.outbox.clone()
    }

    /// Accepts events from outside, as `POST /e/{key}` does, and returns their internal
    /// ids once they are durably stored and every run they start is queued.
    ///
    /// An event whose `id` was seen within 24 hours starts nothing and returns the earlier
    /// event's internal id.
    ///
    /// # Errors
    ///
    /// Returns [`EngineError::Ingest`] naming the event and field at fault (nothing is
    /// stored then), or a store error.
    pub fn send_events(&self, events: Vec<Value>) -> Result<Vec<String>, EngineError> {
        let now = self.now();
        let events = ingest::validate(events, now)?;

        let mut store = self.lock();
        let tx = store.begin()?;
        let ids = events
            .into_iter()
            .map(|event| self.store_event(&tx, event, now))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        drop(store);

        self.inner.wake.notify_one();
        Ok(ids)
    }

    /// Starts a run of one function directly, as Inngest's `POST /invoke/<slug>` does: the
    /// run's event is `inngest/function.invoked` with `data`. Returns the run id, or `None`
    /// if the app has no such function.
    ///
    /// # Errors
    ///
    /// Returns an error if the database fails.
    pub fn invoke(&self, function_id: &str, data: Value) -> Result<Option<String>, EngineError> {
        let Some(entry) = self.inner.registry.get(function_id) else {
            return Ok(None);
        };
        let now = self.now();
        let id = ulid(now);
        let event = invoked_event(&id, data, now);

        let mut store = self.lock();
        let tx = store.begin()?;
        tx.insert_event(&id, &event, None, now)?;
        let run_id = self.start_run(&tx, entry, &event, None, now)?;
        tx.commit()?;
        drop(store);

        self.inner.wake.notify_one();
        Ok(Some(run_id))
    }

    /// Stores one valid event, starts the runs it triggers and resumes the waits it
    /// matches; returns its internal id.
    fn store_event(&self, tx: &Tx<'_>, mut event: Value, now: i64) -> Result<String, StoreError> {
        let user_id = event["id"].as_str().map(str::to_owned);
        if let Some(user_id) = &user_id {
            if let Some(existing) = tx.event_by_user_id(user_id, now - DEDUPE_WINDOW_MS)? {
                debug!(event_id = %existing, "duplicate event id, nothing triggered");
                return Ok(existing);
            }
        }

        let id = ulid(now);
        if user_id.is_none() {
            event["id"] = json!(id);
        }
        tx.insert_event(&id, &event, user_id.as_deref(), now)?;

        // Runs the event cancels end before it can start or resume anything.
        self.cancel_runs(tx, &event, now)?;
        for entry in matching_functions(self.inner.registry, &event) {
            self.start_run(tx, entry, &event, None, now)?;
        }
        if let Some(entry) = self.failed_function(&event) {
            self.start_run(tx, Callee::FailureHandler(entry), &event, None, now)?;
        }
        self.resume_waits(tx, &event, now)?;
        Ok(id)
    }

    /// For an `inngest/function.failed` event, the function of this app that failed, when it
    /// declares its own failure handler: the companion run Inngest would start for the
    /// trigger `event.data.function_id == '<app id>-<function id>'`.
    fn failed_function(&self, event: &Value) -> Option<&'static FunctionEntry> {
        if event["name"] != FUNCTION_FAILED_EVENT {
            return None;
        }
        let composite = event["data"]["function_id"].as_str()?;
        let id = composite
            .strip_prefix(self.inner.app_id.as_str())?
            .strip_prefix('-')?;
        self.inner
            .registry
            .get(id)
            .filter(|entry| entry.on_failure.is_some())
    }

    fn start_run<'a>(
        &self,
        tx: &Tx<'_>,
        callee: impl Into<Callee<'a>>,
        event: &Value,
        parent: Option<(&str, &str)>,
        now: i64,
    ) -> Result<String, StoreError> {
        let callee = callee.into();
        let run = RunRow {
            id: ulid(now),
            function_id: callee.id().into_owned(),
            status: "queued".to_owned(),
            attempt: 0,
            event: event.clone(),
            output: None,
            error: None,
            parent_run: parent.map(|(run, _)| run.to_owned()),
            parent_step: parent.map(|(_, step)| step.to_owned()),
            parallel: false,
            created_at: now,
            updated_at: now,
        };
        tx.insert_run(&run)?;
        tx.enqueue(&call_item(&run.id, now, None, 0))?;
        info!(function = %run.function_id, run_id = %run.id, "run queued");
        Ok(run.id)
    }

    /// Cancels every unfinished run that `event` cancels by one of its function's
    /// `cancel_on` entries: same event name, `if` holding with `event` as the run's event and
    /// `async` as this one, and the run started within the timeout.
    fn cancel_runs(&self, tx: &Tx<'_>, event: &Value, now: i64) -> Result<(), StoreError> {
        let name = event["name"].as_str().unwrap_or_default();
        for (entry, cancel) in &self.inner.cancels {
            if cancel.event != name {
                continue;
            }
            for run in tx.unfinished_runs(entry.id())? {
                let in_time = cancel
                    .timeout
                    .is_none_or(|timeout| now <= run.created_at.saturating_add(millis(timeout)));
                let holds = cancel.expression.is_none_or(|expression| {
                    expression_holds(expression, &[("event", &run.event), ("async", event)])
                });
                if in_time && holds {
                    self.cancel_run(tx, &run, now)?;
                }
            }
        }
        Ok(())
    }

    /// Ends a run as cancelled: its pending calls, timers and waits are dropped, an invoking
    /// parent resumes with an error, and `inngest/function.cancelled` is emitted. A cancelled
    /// run never reaches a failure handler.
    fn cancel_run(&self, tx: &Tx<'_>, run: &RunRow, now: i64) -> Result<(), StoreError> {
        tx.cancel_run(&run.id, now)?;
        self.inner.slots.forget_run(&run.id);
        info!(function = %run.function_id, run_id = %run.id, "run cancelled");

        let error = json!({
            "error": "function cancelled",
            "message": "function cancelled",
            "name": "Error",
        });
        if let (Some(parent), Some(step)) = (&run.parent_run, &run.parent_step) {
            let mut memo = error.clone();
            memo["noRetry"] = json!(true);
            self.settle_step(tx, parent, step, &json!({"error": memo}), now)?;
        }

        let cancelled =
            self.run_ended_event(FUNCTION_CANCELLED_EVENT, "cancelled", run, &error, now);
        self.store_event(tx, cancelled, now)?;
        Ok(())
    }

    fn resume_waits(&self, tx: &Tx<'_>, event: &Value, now: i64) -> Result<(), StoreError> {
        let name = event["name"].as_str().unwrap_or_default();
        for wait in tx.waits_for(name)? {
            let Some(run) = tx.run(&wait.run_id)? else {
                continue;
            };
            let holds = wait.expression.as_deref().is_none_or(|expression| {
                expression_holds(expression, &[("event", &run.event), ("async", event)])
            });
            if !holds {
                continue;
            }

            tx.delete_wait(&wait.run_id, &wait.hashed_id)?;
            tx.dequeue_wait_timer(&wait.run_id, &wait.hashed_id)?;
            debug!(run_id = %wait.run_id, step = %wait.hashed_id, "wait matched");
            self.settle_step(tx, &wait.run_id, &wait.hashed_id, event, now)?;
        }
        Ok(())
    }

    /// Memoizes a pending step's result and, once no step of the run is pending, queues
    /// the next discovery call.
    fn settle_step(
        &self,
        tx: &Tx<'_>,
        run_id: &str,
        hashed_id: &str,
        value: &Value,
        now: i64,
    ) -> Result<(), StoreError> {
        // A step settles once: a child that finishes after its invoke timed out, or a
        // repeated report, changes nothing.
        if !tx.memoize(run_id, hashed_id, value)? {
            return Ok(());
        }
        if tx.unplan(run_id, hashed_id)? == 0 {
            let status = tx.run_status(run_id)?;
            if status.as_deref().is_none_or(is_finished) {
                return Ok(());
            }
            tx.enqueue(&call_item(run_id, now, None, 0))?;
            tx.mark_queued(run_id, now)?;
        }
        Ok(())
    }

    /// Makes every call that is due now, including cron fires, until none is left;
    /// returns how many calls were made. Tests move a fake clock between rounds.
    ///
    /// Calls of different runs (and parallel steps of one run) are made side by side, up
    /// to [`MAX_CALLS_IN_FLIGHT`] and within each function's concurrency limit; calls over
    /// a limit stay queued and start, oldest first, as slots free up. Outcomes are stored
    /// as calls return, many to a transaction, together with the next claims.
    ///
    /// # Errors
    ///
    /// Returns an error if the database fails; work not yet stored is retried later.
    pub async fn run_until_idle(&self) -> Result<usize, EngineError> {
        let services = self.services();
        let mut flight = FuturesUnordered::new();
        let mut finished: Vec<Finished> = Vec::new();
        let mut calls = 0;
        loop {
            calls += finished.len();
            let room = MAX_CALLS_IN_FLIGHT
                .saturating_sub(flight.len())
                .min(CLAIM_BATCH);
            let claimed = self.cycle(std::mem::take(&mut finished), room)?;
            for (prepared, call) in claimed {
                flight.push(make_call(prepared, call, &services));
            }

            let Some(first) = flight.next().await else {
                return Ok(calls);
            };
            finished.push(first);
            while let Some(Some(done)) = flight.next().now_or_never() {
                finished.push(done);
            }
            // Let other tasks on this runtime (a server, say) run between rounds.
            tokio::task::yield_now().await;
        }
    }

    /// Runs forever: makes due calls, then sleeps until new events arrive, a slot frees
    /// up or the next item is due. Errors are logged and retried after a pause.
    pub async fn run_loop(&self) {
        loop {
            let made = match self.run_until_idle().await {
                Ok(made) => made,
                Err(error) => {
                    warn!(%error, "engine round failed; retrying");
                    0
                }
            };
            let wait = match self.next_wake() {
                // Work is due but a round made no call: it is held back by calls in
                // flight elsewhere, so wait for a slot to free up instead of spinning.
                Some(wait) if wait.is_zero() && made == 0 => IDLE_POLL,
                Some(wait) => wait.min(IDLE_POLL),
                None => IDLE_POLL,
            };
            let _ = tokio::time::timeout(wait, self.inner.wake.notified()).await;
        }
    }

    /// Starts [`Engine::run_loop`] on the current tokio runtime.
    ///
    /// # Panics
    ///
    /// Panics if called outside a tokio runtime.
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move { engine.run_loop().await })
    }

    fn next_wake(&self) -> Option<Duration> {
        let mut store = self.lock();
        let tx = store.begin().ok()?;
        let due = tx.earliest_due().ok()??;
        let delay = due.saturating_sub(self.now()).max(0);
        Some(Duration::from_millis(delay as u64))
    }

    /// Recent runs, newest first.
    ///
    /// # Errors
    ///
    /// Returns an error if the database fails.
    pub fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRow>, EngineError> {
        let mut store = self.lock();
        let tx = store.begin()?;
        let runs = tx.runs(
            filter.status.as_deref(),
            filter.function_id.as_deref(),
            filter.limit,
        )?;
        Ok(runs)
    }

    /// One run with its steps, if it exists.
    ///
    /// # Errors
    ///
    /// Returns an error if the database fails.
    pub fn run(&self, id: &str) -> Result<Option<RunDetail>, EngineError> {
        let mut store = self.lock();
        let tx = store.begin()?;
        let Some(run) = tx.run(id)? else {
            return Ok(None);
        };
        let steps = tx.steps(id)?;
        Ok(Some(RunDetail { run, steps }))
    }

    /// The most recent events, newest first.
    ///
    /// # Errors
    ///
    /// Returns an error if the database fails.
    pub fn events(&self, limit: u32) -> Result<Vec<Value>, EngineError> {
        let mut store = self.lock();
        let tx = store.begin()?;
        Ok(tx.events(limit)?)
    }

    /// The services every call of this engine gets.
    fn services(&self) -> Services {
        Services {
            app_id: self.inner.app_id.clone(),
            events: Some(Arc::new(EngineSender {
                inner: Arc::downgrade(&self.inner),
            })),
            outbox: self.inner.outbox.clone(),
        }
    }

    /// One transaction: stores the outcome of every finished call, fires due crons and
    /// timers, and claims up to `room` due calls. If the transaction fails, the finished
    /// calls' items stay queued and are claimed again.
    fn cycle(
        &self,
        finished: Vec<Finished>,
        room: usize,
    ) -> Result<Vec<(Prepared, Call)>, EngineError> {
        let now = self.now();
        let mut store = self.lock();
        let tx = store.begin()?;

        for Finished { prepared, result } in &finished {
            self.apply(&tx, prepared, result, now)?;
        }
        // The finished items are out of the queue in this transaction and no other driver
        // can claim before it ends, so their slots may serve the claims below.
        drop(finished);
        self.fire_crons(&tx, now)?;
        let claimed = self.claim(&tx, room, now)?;
        tx.commit()?;
        drop(store);

        if !claimed.is_empty() {
            debug!(calls = claimed.len(), "calls claimed");
        }
        Ok(claimed)
    }

    fn fire_crons(&self, tx: &Tx<'_>, now: i64) -> Result<(), StoreError> {
        for (function, cron, schedule) in &self.inner.schedules {
            let Some(next) = tx.cron_next(function, cron)? else {
                continue;
            };
            if next > now {
                continue;
            }

            // Fires missed while the engine was down collapse into this one fire.
            let following = schedule.next_after(now).unwrap_or(i64::MAX);
            tx.set_cron_next(function, cron, following)?;
            let Some(entry) = self.inner.registry.get(function) else {
                continue;
            };
            let id = ulid(now);
            let event = json!({
                "name": SCHEDULED_TIMER_EVENT,
                "data": {"cron": cron},
                "id": id,
                "ts": next,
                "user": {},
            });
            tx.insert_event(&id, &event, None, now)?;
            self.start_run(tx, entry, &event, None, now)?;
            info!(function = *function, cron = *cron, "cron fired");
        }
        Ok(())
    }

    /// Walks the due queue in order (due time, then arrival): fires timers, drops calls
    /// of runs that ended, and claims calls whose function has a free slot, until `room`
    /// calls are claimed. Calls over a limit are skipped and keep their place.
    fn claim(
        &self,
        tx: &Tx<'_>,
        room: usize,
        now: i64,
    ) -> Result<Vec<(Prepared, Call)>, StoreError> {
        let mut claimed = Vec::new();
        let mut after = (i64::MIN, i64::MIN);
        // TODO: a long backlog of calls held back by a concurrency limit is read again on
        // every claim; a queue per function (as Inngest keeps) would skip it in one step.
        while claimed.len() < room {
            let page = tx.due_page(now, after, CLAIM_PAGE)?;
            let Some((last, _)) = page.last() else {
                break;
            };
            after = (last.due_at, last.id);

            for (item, function_id) in page {
                if claimed.len() >= room {
                    break;
                }
                if let (Some(timer), Some(step)) = (item.timer, &item.memo_id) {
                    self.fire_timer(tx, &item, timer, step, now)?;
                    continue;
                }
                let Some(function_id) = function_id else {
                    tx.dequeue(item.id)?;
                    continue;
                };
                if let Some(prepared) = self.claim_call(tx, item, &function_id, now)? {
                    claimed.push(prepared);
                }
            }
        }
        Ok(claimed)
    }

    /// Turns a due timer into the memoized result of its step.
    fn fire_timer(
        &self,
        tx: &Tx<'_>,
        item: &QueueItem,
        timer: Timer,
        step: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        tx.dequeue(item.id)?;
        let value = match timer {
            Timer::Sleep => Some(Value::Null),
            Timer::WaitTimeout => tx.delete_wait(&item.run_id, step)?.then_some(Value::Null),
            Timer::InvokeTimeout => Some(json!({"error": {
                "name": "InngestInvokeTimeoutError",
                "message": "timed out waiting for the invoked function to finish",
                "noRetry": true,
            }})),
        };
        if let Some(value) = value {
            self.settle_step(tx, &item.run_id, step, &value, now)?;
        }
        Ok(())
    }

    /// Claims one due call if its function has a free slot: loads the run and its steps
    /// and marks the run running. `None` if the call must wait or was dropped.
    fn claim_call(
        &self,
        tx: &Tx<'_>,
        item: QueueItem,
        function_id: &str,
        now: i64,
    ) -> Result<Option<(Prepared, Call)>, StoreError> {
        if self.inner.slots.is_leased(item.id) {
            return Ok(None);
        }
        let Some(callee) = self.inner.registry.callee(function_id) else {
            tx.dequeue(item.id)?;
            let run = tx.run(&item.run_id)?;
            if let Some(run) = run.filter(|run| !is_finished(&run.status)) {
                let error = json!({"name": "Error", "message": format!(
                    "function `{}` is no longer in the app", run.function_id
                )});
                self.finish(tx, &run, None, Err(error), now)?;
            }
            return Ok(None);
        };

        let limit = self.limit_for(tx, callee, &item.run_id)?;
        let function = callee.entry().id();
        let Some(lease) = self.inner.slots.acquire(item.id, function, limit) else {
            return Ok(None);
        };
        let Some(mut run) = tx.run(&item.run_id)? else {
            tx.dequeue(item.id)?;
            return Ok(None);
        };
        if is_finished(&run.status) {
            tx.dequeue(item.id)?;
            self.inner.slots.forget_run(&run.id);
            return Ok(None);
        }

        let steps: HashMap<String, Value> = tx.steps(&run.id)?.into_iter().collect();
        tx.mark_running(&run.id, item.attempt, now)?;
        run.attempt = run.attempt.max(item.attempt);

        let event: Event<Value> = serde_json::from_value(run.event.clone())
            .unwrap_or_else(|_| Event::new(String::new(), Value::Null));
        let call = Call {
            events: vec![event.clone()],
            event,
            steps,
            run_id: run.id.clone(),
            attempt: item.attempt,
            max_attempts: Some(max_attempts(callee)),
            disable_immediate_execution: run.parallel,
            step_id: item.step_id.clone(),
        };
        let prepared = Prepared {
            item,
            run,
            callee,
            _lease: lease,
        };
        Ok(Some((prepared, call)))
    }

    /// The concurrency limit that applies to a call of this run, with its key evaluated
    /// on the run's triggering event (once per run; the result is remembered). A function's
    /// own failure handler has none: as in Inngest, it copies no flow control.
    fn limit_for(
        &self,
        tx: &Tx<'_>,
        callee: Callee<'_>,
        run_id: &str,
    ) -> Result<Option<Limit>, StoreError> {
        let Callee::Function(entry) = callee else {
            return Ok(None);
        };
        let Some(concurrency) = entry.config.concurrency else {
            return Ok(None);
        };
        let Some(expression) = concurrency.key else {
            return Ok(Some(Limit {
                limit: concurrency.limit,
                key: None,
            }));
        };

        let key = match self.inner.slots.run_key(run_id) {
            Some(key) => key,
            None => {
                let event = tx.run_event(run_id)?.unwrap_or(Value::Null);
                let key = expression_key(expression, &event);
                self.inner.slots.remember_run_key(run_id, &key);
                key
            }
        };
        Ok(Some(Limit {
            limit: concurrency.limit,
            key: Some(key),
        }))
    }

    /// Stores what one call reported, in the cycle's transaction with the call's removal.
    fn apply(
        &self,
        tx: &Tx<'_>,
        prepared: &Prepared,
        result: &CallResult,
        now: i64,
    ) -> Result<(), StoreError> {
        let Prepared {
            item, run, callee, ..
        } = prepared;
        let callee = *callee;
        tx.dequeue(item.id)?;
        // A run that ended while its call was in flight (cancelled, or failed by a parallel
        // step) keeps nothing the call reported.
        let status = tx.run_status(&run.id)?;
        if status.as_deref().is_none_or(is_finished) {
            return Ok(());
        }

        match result {
            CallResult::Completed(output) => {
                self.finish(tx, run, Some(callee), Ok(output.clone()), now)?;
            }
            CallResult::Failed { error, no_retry } => {
                let last = item.attempt + 1 >= max_attempts(callee);
                if *no_retry || last {
                    let error = json!({"name": error.name(), "message": error.message()});
                    self.finish(tx, run, Some(callee), Err(error), now)?;
                } else {
                    let delay = retry_delay(item.attempt, result_retry_after(error));
                    enqueue_retry(tx, &run.id, item, delay, now)?;
                    tx.update_run(&run.id, "queued", item.attempt, (None, None), now)?;
                    info!(
                        function = %callee.id(),
                        run_id = %run.id,
                        attempt = item.attempt,
                        ?delay,
                        "run failed; retrying"
                    );
                }
            }
            CallResult::Steps(ops) => self.apply_ops(tx, prepared, ops, now)?,
        }
        Ok(())
    }

    fn apply_ops(
        &self,
        tx: &Tx<'_>,
        prepared: &Prepared,
        ops: &[Op],
        now: i64,
    ) -> Result<(), StoreError> {
        let Prepared {
            item, run, callee, ..
        } = prepared;
        let function = callee.id();
        if ops.len() > 1 {
            tx.set_parallel(&run.id)?;
        }

        let mut status = "running";
        for op in ops {
            match op.op {
                OpCode::StepRun => {
                    debug!(
                        function = %function,
                        run_id = %run.id,
                        step = %op.display_name,
                        "step completed"
                    );
                    self.settle_step(tx, &run.id, &op.id, &json!({"data": op.data}), now)?;
                }
                OpCode::StepError if item.attempt + 1 < max_attempts(*callee) => {
                    let delay = retry_delay(item.attempt, op.retry_after);
                    enqueue_retry(tx, &run.id, item, delay, now)?;
                    status = "queued";
                    info!(
                        function = %function,
                        run_id = %run.id,
                        step = %op.display_name,
                        attempt = item.attempt,
                        ?delay,
                        "step failed; retrying"
                    );
                }
                OpCode::StepError | OpCode::StepFailed => {
                    let mut error = serde_json::to_value(&op.error).unwrap_or(Value::Null);
                    if let Value::Object(fields) = &mut error {
                        fields.insert("noRetry".to_owned(), json!(true));
                    }
                    info!(
                        function = %function,
                        run_id = %run.id,
                        step = %op.display_name,
                        "step failed for good"
                    );
                    self.settle_step(tx, &run.id, &op.id, &json!({"error": error}), now)?;
                }
                OpCode::StepPlanned => {
                    if tx.plan(&run.id, &op.id)? {
                        tx.enqueue(&call_item(&run.id, now, Some(op.id.clone()), 0))?;
                    }
                }
                OpCode::Sleep => {
                    if tx.plan(&run.id, &op.id)? {
                        let duration = op.opts["duration"].as_str().unwrap_or(&op.name);
                        let due = wake_at(duration, now).unwrap_or_else(|| {
                            warn!(run_id = %run.id, duration, "unreadable sleep; waking now");
                            now
                        });
                        tx.enqueue(&timer_item(&run.id, due, &op.id, Timer::Sleep))?;
                    }
                    status = "sleeping";
                }
                OpCode::WaitForEvent => {
                    if tx.plan(&run.id, &op.id)? {
                        self.start_wait(tx, &run.id, op, now)?;
                    }
                    status = "waiting";
                }
                OpCode::InvokeFunction => {
                    if tx.plan(&run.id, &op.id)? {
                        self.start_invoke(tx, &run.id, op, now)?;
                    }
                    status = "waiting";
                }
            }
        }

        // A run whose steps ran stays running (it was marked so when claimed) until it
        // pauses or ends.
        if status != "running" {
            tx.update_run(&run.id, status, item.attempt, (None, None), now)?;
        }
        Ok(())
    }

    fn start_wait(&self, tx: &Tx<'_>, run_id: &str, op: &Op, now: i64) -> Result<(), StoreError> {
        let event_name = op.opts["event"].as_str().unwrap_or(&op.name).to_owned();
        let timeout = op.opts["timeout"].as_str().and_then(parse_time_string);
        let wait = WaitRow {
            run_id: run_id.to_owned(),
            hashed_id: op.id.clone(),
            event_name,
            expression: op.opts["if"].as_str().map(str::to_owned),
        };
        tx.insert_wait(&wait)?;

        // TODO: a wait without a timeout waits forever; Inngest requires one, so the
        // runtime always sends it, but a hand-made op could omit it.
        if let Some(timeout) = timeout {
            tx.enqueue(&timer_item(
                run_id,
                now + millis(timeout),
                &op.id,
                Timer::WaitTimeout,
            ))?;
        }
        Ok(())
    }

    fn start_invoke(&self, tx: &Tx<'_>, run_id: &str, op: &Op, now: i64) -> Result<(), StoreError> {
        let target = op.opts["function_id"].as_str().unwrap_or_default();
        let prefix = format!("{}-", self.inner.app_id);
        let local = target.strip_prefix(&prefix).unwrap_or(target);

        let Some(child) = self.inner.registry.get(local) else {
            let error = json!({"error": {
                "name": "Error",
                "message": format!("invoked function `{target}` is not in the app"),
                "noRetry": true,
            }});
            return self.settle_step(tx, run_id, &op.id, &error, now);
        };

        let id = ulid(now);
        let event = invoked_event(&id, op.opts["payload"]["data"].clone(), now);
        tx.insert_event(&id, &event, None, now)?;
        self.start_run(tx, child, &event, Some((run_id, &op.id)), now)?;

        let timeout = op.opts["timeout"].as_str().and_then(parse_time_string);
        if let Some(timeout) = timeout {
            let due = now + millis(timeout);
            tx.enqueue(&timer_item(run_id, due, &op.id, Timer::InvokeTimeout))?;
        }
        Ok(())
    }

    /// Ends a run: stores its outcome, resumes an invoking parent, and for failures
    /// emits `inngest/function.failed` (never for the failure of a failure handler, whether
    /// triggered by that event or declared as a function's own `on_failure`).
    fn finish(
        &self,
        tx: &Tx<'_>,
        run: &RunRow,
        callee: Option<Callee<'_>>,
        outcome: Result<Value, Value>,
        now: i64,
    ) -> Result<(), StoreError> {
        let (status, memo) = match &outcome {
            Ok(output) => {
                tx.update_run(&run.id, "completed", run.attempt, (Some(output), None), now)?;
                ("completed", json!({"data": output}))
            }
            Err(error) => {
                tx.update_run(&run.id, "failed", run.attempt, (None, Some(error)), now)?;
                ("failed", json!({"error": error}))
            }
        };
        info!(
            function = %run.function_id,
            run_id = %run.id,
            status,
            attempt = run.attempt,
            duration_ms = now.saturating_sub(run.created_at),
            "run finished"
        );
        self.inner.slots.forget_run(&run.id);

        if let (Some(parent), Some(step)) = (&run.parent_run, &run.parent_step) {
            self.settle_step(tx, parent, step, &memo, now)?;
        }

        let Err(error) = outcome else {
            return Ok(());
        };
        if callee.is_some_and(Callee::handles_failures) {
            return Ok(());
        }
        let failed = self.run_ended_event(FUNCTION_FAILED_EVENT, "failed", run, &error, now);
        self.store_event(tx, failed, now)?;
        Ok(())
    }

    /// The event Inngest emits when `run` ends without completing (`inngest/function.failed`
    /// or `inngest/function.cancelled`), in Inngest's payload shape.
    fn run_ended_event(
        &self,
        name: &str,
        status: &str,
        run: &RunRow,
        error: &Value,
        now: i64,
    ) -> Value {
        json!({
            "name": name,
            "id": run.id,
            "ts": now,
            "user": {},
            "data": {
                "function_id": format!("{}-{}", self.inner.app_id, run.function_id),
                "run_id": run.id,
                "event": run.event,
                "events": [run.event],
                "error": error,
                "_inngest": {"status": status},
            },
        })
    }

    fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.inner
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Makes one claimed call through the runtime's `execute`, as a serve POST would.
async fn make_call(prepared: Prepared, call: Call, services: &Services) -> Finished {
    let started = Instant::now();
    let result = execute(prepared.callee, call, services).await;
    trace_call(&prepared, &result, started.elapsed());
    Finished { prepared, result }
}

/// Logs one call at debug level: the function, the run, the step whose body ran (by the
/// name written in the function) or the step asked for, the attempt and how long it took.
fn trace_call(prepared: &Prepared, result: &CallResult, elapsed: Duration) {
    let ran = match result {
        CallResult::Steps(ops) => ops.iter().find(|op| {
            matches!(
                op.op,
                OpCode::StepRun | OpCode::StepError | OpCode::StepFailed
            )
        }),
        _ => None,
    };
    let step = match ran {
        Some(op) => op.display_name.as_str(),
        None => prepared.item.step_id.as_deref().unwrap_or("step"),
    };
    debug!(
        function = %prepared.callee.id(),
        run_id = %prepared.run.id,
        step,
        attempt = prepared.item.attempt,
        status = result.status(),
        duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        "call finished"
    );
}

/// Sends `step.send_event` events straight into the engine's store.
struct EngineSender {
    inner: Weak<Inner>,
}

impl EventSender for EngineSender {
    fn send(
        &self,
        events: Vec<Event<Value>>,
    ) -> BoxFuture<'static, switchyard_runtime::Result<Vec<String>>> {
        let inner = self.inner.upgrade();
        Box::pin(async move {
            let inner =
                inner.ok_or_else(|| switchyard_runtime::Error::new("engine has stopped"))?;
            let engine = Engine { inner };
            let events = events
                .into_iter()
                .map(serde_json::to_value)
                .collect::<Result<Vec<_>, _>>()?;
            engine
                .send_events(events)
                .map_err(|error| switchyard_runtime::Error::non_retriable(error.to_string()))
        })
    }
}

fn parse_schedules(
    registry: &'static Registry,
) -> Result<Vec<(&'static str, &'static str, Schedule)>, EngineError> {
    let mut schedules = Vec::new();
    for entry in registry.functions() {
        for trigger in entry.config.triggers {
            let Trigger::Cron { cron } = trigger else {
                continue;
            };
            let schedule = Schedule::parse(cron).map_err(|source| EngineError::Cron {
                function: entry.id().to_owned(),
                source,
            })?;
            schedules.push((entry.id(), *cron, schedule));
        }
    }
    Ok(schedules)
}

/// The event of a run started by an invocation rather than a trigger.
fn invoked_event(id: &str, data: Value, now: i64) -> Value {
    json!({
        "name": INVOKED_EVENT,
        "data": data,
        "id": id,
        "ts": now,
        "user": {},
    })
}

/// Queues the next attempt of the call `item` of run `run_id`, due after `delay`.
fn enqueue_retry(
    tx: &Tx<'_>,
    run_id: &str,
    item: &QueueItem,
    delay: Duration,
    now: i64,
) -> Result<(), StoreError> {
    let retry = call_item(
        run_id,
        now + millis(delay),
        item.step_id.clone(),
        item.attempt + 1,
    );
    tx.enqueue(&retry)?;
    Ok(())
}

fn max_attempts(callee: Callee<'_>) -> u32 {
    callee.retries() + 1
}

/// Whether a run has ended and must change no more.
fn is_finished(status: &str) -> bool {
    matches!(status, "completed" | "failed" | "cancelled")
}

/// Every `cancel_on` entry of every function in `registry`.
/// Compiles every CEL expression of the registry, so that a broken one stops the start
/// instead of silently never matching.
fn check_expressions(registry: &Registry) -> Result<(), EngineError> {
    for entry in registry.functions() {
        let config = entry.config;
        let triggers = config.triggers.iter().filter_map(|trigger| match trigger {
            Trigger::Event { expression, .. } => expression.map(|e| ("trigger `if`", e)),
            Trigger::Cron { .. } => None,
        });
        let cancels = config
            .cancel_on
            .iter()
            .filter_map(|cancel| cancel.expression.map(|e| ("`cancel_on` `if`", e)));
        let key = config
            .concurrency
            .and_then(|concurrency| concurrency.key)
            .map(|e| ("concurrency key", e));

        for (place, expression) in triggers.chain(cancels).chain(key) {
            if let Some(reason) = crate::matcher::expression_error(expression) {
                return Err(EngineError::Expression {
                    function: entry.id().to_owned(),
                    place,
                    expression: expression.to_owned(),
                    reason,
                });
            }
        }
    }
    Ok(())
}

fn cancellations(registry: &'static Registry) -> Vec<(&'static FunctionEntry, &'static Cancel)> {
    registry
        .functions()
        .iter()
        .flat_map(|entry| {
            entry
                .config
                .cancel_on
                .iter()
                .map(move |cancel| (entry, cancel))
        })
        .collect()
}

fn result_retry_after(error: &switchyard_runtime::Error) -> Option<Duration> {
    match error.kind() {
        switchyard_runtime::ErrorKind::RetryAfter(delay) => Some(delay),
        _ => None,
    }
}

fn call_item(run_id: &str, due_at: i64, step_id: Option<String>, attempt: u32) -> QueueItem {
    QueueItem {
        id: 0,
        run_id: run_id.to_owned(),
        due_at,
        step_id,
        attempt,
        memo_id: None,
        timer: None,
    }
}

fn timer_item(run_id: &str, due_at: i64, memo_id: &str, timer: Timer) -> QueueItem {
    QueueItem {
        id: 0,
        run_id: run_id.to_owned(),
        due_at,
        step_id: None,
        attempt: 0,
        memo_id: Some(memo_id.to_owned()),
        timer: Some(timer),
    }
}
