//! The step tool: durable units of work inside a function.
//!
//! Each step has an id that is unique within a run once repeats are numbered (`wait`,
//! `wait:1`, ...), and Inngest memoizes it under the SHA-1 of that id. A `Step` works in one
//! of two modes:
//!
//! - **inline**: every step executes at once, one after another (`switchyard invoke`);
//! - **replay**: Inngest's model. The function is replayed from the top on every call;
//!   memoized steps return their stored result, and the first new steps it reaches are
//!   reported instead of awaited (see [`crate::execute`]). Code outside steps therefore runs
//!   again on every call, while each step body runs once per successful attempt.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::op::{Op, OpCode, Userland};
use crate::step_id::indexed_step_id;
use crate::time_string::format_time_string;
use crate::{
    hash_step_id, Error, ErrorKind, Event, EventSender, Invocation, Outbox, Registry, Result,
    SerializedError,
};

/// How deep `step.invoke` may nest inline before it is taken for a cycle.
const MAX_INVOKE_DEPTH: u32 = 8;

/// The kind of a step, named as Inngest names its ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepOp {
    /// `step.run`: a body that ran and returned data.
    StepRun,
    /// `step.sleep` or `step.sleep_until`.
    Sleep,
    /// `step.wait_for_event`.
    WaitForEvent,
    /// `step.invoke`.
    InvokeFunction,
    /// `step.send_event`.
    SendEvent,
}

/// What one inline step did, in the order the steps ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The id as the function wrote it, with `:n` added for repeats.
    pub id: String,
    /// SHA-1 of `id`, the key Inngest memoizes the step under.
    pub hashed_id: String,
    /// The kind of step.
    pub op: StepOp,
    /// The step's result, or a description of what it would have waited for.
    pub output: Value,
}

/// Options of [`Step::wait_for_event`].
#[derive(Debug, Clone, Copy)]
pub struct WaitForEvent<'a> {
    /// Name of the event to wait for.
    pub event: &'a str,
    /// How long to wait before resuming with `None`.
    pub timeout: Duration,
    /// CEL expression over `event` (the trigger) and `async` (the candidate) that must hold.
    pub if_expr: Option<&'a str>,
}

/// Options of [`Step::invoke`].
#[derive(Debug, Clone)]
pub struct Invoke<'a> {
    /// Id of the function to call, bare (`send-email`) or composite (`app-send-email`).
    pub function_id: &'a str,
    /// The `data` of the event the called function receives.
    pub data: Value,
    /// How long to wait for the result.
    pub timeout: Option<Duration>,
}

/// The step tool handed to every call of a function. Cloning it is cheap.
#[derive(Clone)]
pub struct Step {
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    outbox: Outbox,
    seen: Mutex<HashMap<String, u32>>,
    records: Mutex<Vec<StepRecord>>,
}

enum Mode {
    Inline {
        registry: Option<&'static Registry>,
        depth: u32,
    },
    Replay(Box<Replay>),
}

/// State of one replayed call, shared between the steps and [`crate::execute`].
pub(crate) struct Replay {
    pub(crate) app_id: String,
    pub(crate) memo: HashMap<String, Value>,
    pub(crate) attempt: u32,
    pub(crate) max_attempts: u32,
    pub(crate) events: Option<Arc<dyn EventSender>>,
    /// New steps reached in this call, in the order the function reached them.
    pub(crate) found: Mutex<Vec<Op>>,
    /// Hashed id of the one new `step.run` that may execute its body.
    pub(crate) permit: Mutex<Option<String>>,
    /// The op produced by the permitted step once its body finished.
    pub(crate) executed: Mutex<Option<Op>>,
}

impl Step {
    /// A step tool that executes every step inline, invoking other functions from `registry`.
    pub fn inline(registry: Option<&'static Registry>, outbox: Outbox) -> Step {
        Step::with_mode(Mode::Inline { registry, depth: 0 }, outbox)
    }

    pub(crate) fn replay(replay: Replay, outbox: Outbox) -> Step {
        Step::with_mode(Mode::Replay(Box::new(replay)), outbox)
    }

    fn with_mode(mode: Mode, outbox: Outbox) -> Step {
        Step {
            inner: Arc::new(Inner {
                mode,
                outbox,
                seen: Mutex::new(HashMap::new()),
                records: Mutex::new(Vec::new()),
            }),
        }
    }

    pub(crate) fn replay_state(&self) -> Option<&Replay> {
        match &self.inner.mode {
            Mode::Replay(replay) => Some(replay),
            Mode::Inline { .. } => None,
        }
    }

    /// The steps executed so far in inline mode, in order.
    pub fn records(&self) -> Vec<StepRecord> {
        lock(&self.inner.records).clone()
    }

    /// Runs `body` once and memoizes its result under `id`.
    ///
    /// The result goes through JSON, so the function sees exactly what a replay would see.
    ///
    /// # Errors
    ///
    /// Returns the body's error, a memoized error from an earlier attempt, or an error if the
    /// result does not survive JSON.
    pub async fn run<T, F, Fut>(&self, id: &str, body: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let step = self.next_id(id);

        let Mode::Replay(replay) = &self.inner.mode else {
            let value = body().await?;
            let json = to_json(&step.indexed, &value)?;
            self.record(&step, StepOp::StepRun, json.clone());
            return from_json(&step.indexed, json);
        };
        if let Some(memo) = replay.memo.get(&step.hashed) {
            return from_json(&step.indexed, unwrap_memo(memo)?);
        }

        let planned = step.op(OpCode::StepPlanned, id, json!({}));
        lock(&replay.found).push(planned.clone());
        wait_for_permit(replay, &step.hashed).await;

        let op = match body()
            .await
            .and_then(|value| to_json(&step.indexed, &value))
        {
            Ok(data) => Op {
                op: OpCode::StepRun,
                data,
                ..planned
            },
            Err(error) => failed_op(replay, planned, &error),
        };
        *lock(&replay.executed) = Some(op);
        std::future::pending().await
    }

    /// Pauses the run for `duration`. Inline, the pause is recorded and skipped.
    ///
    /// # Errors
    ///
    /// Returns a memoized error if Inngest stored one for this step.
    pub async fn sleep(&self, id: &str, duration: Duration) -> Result<()> {
        let name = format_time_string(duration);
        self.pause(id, name, json!({ "seconds": duration.as_secs() }))
            .await
    }

    /// Pauses the run until `until`. Inline, the pause is recorded and skipped.
    ///
    /// # Errors
    ///
    /// Returns a memoized error if Inngest stored one for this step.
    pub async fn sleep_until(&self, id: &str, until: SystemTime) -> Result<()> {
        let unix = until
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        self.pause(id, rfc3339(until), json!({ "until_unix": unix }))
            .await
    }

    async fn pause(&self, id: &str, name: String, description: Value) -> Result<()> {
        let step = self.next_id(id);

        let Mode::Replay(replay) = &self.inner.mode else {
            self.record(&step, StepOp::Sleep, description);
            return Ok(());
        };
        if let Some(memo) = replay.memo.get(&step.hashed) {
            unwrap_memo(memo)?;
            return Ok(());
        }

        let op = Op {
            name,
            ..step.op(OpCode::Sleep, id, json!({}))
        };
        report(replay, op).await
    }

    /// Waits for a matching event, or `None` after the timeout. Inline, no event can
    /// arrive, so it resumes with `None` at once.
    ///
    /// # Errors
    ///
    /// Returns an error if the matched event's data does not fit `T`.
    pub async fn wait_for_event<T: DeserializeOwned>(
        &self,
        id: &str,
        options: WaitForEvent<'_>,
    ) -> Result<Option<Event<T>>> {
        let step = self.next_id(id);
        let mut opts = json!({
            "event": options.event,
            "timeout": format_time_string(options.timeout),
        });
        if let Some(expression) = options.if_expr {
            opts["if"] = json!(expression);
        }

        let Mode::Replay(replay) = &self.inner.mode else {
            self.record(
                &step,
                StepOp::WaitForEvent,
                json!({
                    "event": options.event,
                    "timeout_seconds": options.timeout.as_secs(),
                    "if": options.if_expr,
                    "matched": null,
                }),
            );
            return Ok(None);
        };
        if let Some(memo) = replay.memo.get(&step.hashed) {
            let matched = unwrap_memo(memo)?;
            if matched.is_null() {
                return Ok(None);
            }
            return from_json(&step.indexed, matched).map(Some);
        }

        let op = Op {
            name: options.event.to_owned(),
            ..step.op(OpCode::WaitForEvent, id, opts)
        };
        report(replay, op).await
    }

    /// Calls another function of the app and returns its result.
    ///
    /// # Errors
    ///
    /// Returns the called function's error, or an error if it does not exist, its result
    /// does not fit `T`, or inline invocations nest too deeply.
    pub async fn invoke<T: DeserializeOwned>(&self, id: &str, options: Invoke<'_>) -> Result<T> {
        let step = self.next_id(id);

        let (registry, depth) = match &self.inner.mode {
            Mode::Inline { registry, depth } => (*registry, *depth),
            Mode::Replay(replay) => {
                if let Some(memo) = replay.memo.get(&step.hashed) {
                    return from_json(&step.indexed, unwrap_memo(memo)?);
                }
                let mut opts = json!({
                    "function_id": composite_id(&replay.app_id, options.function_id),
                    "payload": { "data": options.data },
                });
                if let Some(timeout) = options.timeout {
                    opts["timeout"] = json!(format_time_string(timeout));
                }
                return report(replay, step.op(OpCode::InvokeFunction, id, opts)).await;
            }
        };

        let entry = registry
            .and_then(|registry| registry.get(options.function_id))
            .ok_or_else(|| {
                Error::non_retriable(format!(
                    "step `{}` invokes unknown function `{}`",
                    step.indexed, options.function_id
                ))
            })?;
        if depth >= MAX_INVOKE_DEPTH {
            return Err(Error::non_retriable(format!(
                "step `{}` nests invocations deeper than {MAX_INVOKE_DEPTH}",
                step.indexed
            )));
        }

        let mode = Mode::Inline {
            registry,
            depth: depth + 1,
        };
        let child = Step::with_mode(mode, self.inner.outbox.clone());
        let event = Event::new(crate::FUNCTION_INVOKED_EVENT, options.data);
        let invocation = Invocation {
            events: vec![event.clone()],
            event,
            run_id: format!("{}-child", step.hashed),
            attempt: 0,
            step: child,
            outbox: self.inner.outbox.clone(),
        };
        let output = (entry.handler)(invocation).await?;

        self.record(&step, StepOp::InvokeFunction, output.clone());
        from_json(&step.indexed, output)
    }

    /// Sends events and returns their ids. Inline, the events are only recorded.
    ///
    /// # Errors
    ///
    /// Returns an error if an event has an empty name or the event API refuses them.
    pub async fn send_event(&self, id: &str, events: Vec<Event<Value>>) -> Result<Vec<String>> {
        if let Some(index) = events.iter().position(|event| event.name.is_empty()) {
            return Err(Error::non_retriable(format!(
                "step `{id}` sends event {index} with an empty name"
            )));
        }

        let Mode::Replay(replay) = &self.inner.mode else {
            let step = self.next_id(id);
            let ids = (0..events.len())
                .map(|index| format!("{}-{index}", step.hashed))
                .collect();
            self.record(&step, StepOp::SendEvent, json!(events));
            return Ok(ids);
        };

        let sender = replay.events.clone();
        self.run(id, || async move {
            let sender = sender.ok_or_else(|| {
                Error::new("cannot send events: no event API is configured for this app")
            })?;
            sender.send(events).await
        })
        .await
    }

    /// The id of the next use of `id`: the first use keeps it, repeats get `:1`, `:2`, ...
    fn next_id(&self, id: &str) -> StepId {
        let mut seen = lock(&self.inner.seen);
        let count = seen.entry(id.to_owned()).or_insert(0);
        let index = *count;
        *count += 1;

        let indexed = indexed_step_id(id, index);
        StepId {
            hashed: hash_step_id(&indexed),
            indexed,
            index,
        }
    }

    fn record(&self, step: &StepId, op: StepOp, output: Value) {
        lock(&self.inner.records).push(StepRecord {
            id: step.indexed.clone(),
            hashed_id: step.hashed.clone(),
            op,
            output,
        });
    }
}

/// One use of a step id.
struct StepId {
    indexed: String,
    hashed: String,
    index: u32,
}

impl StepId {
    fn op(&self, code: OpCode, id: &str, opts: Value) -> Op {
        Op {
            op: code,
            id: self.hashed.clone(),
            name: id.to_owned(),
            display_name: id.to_owned(),
            opts,
            data: Value::Null,
            error: None,
            userland: Userland {
                id: id.to_owned(),
                index: (self.index > 0).then_some(self.index),
            },
            retry_after: None,
        }
    }
}

/// Reports a new non-run step and stops the function there.
async fn report<T>(replay: &Replay, op: Op) -> T {
    lock(&replay.found).push(op);
    std::future::pending().await
}

/// Resolves once the executor allows the step with this hashed id to run its body.
async fn wait_for_permit(replay: &Replay, hashed: &str) {
    std::future::poll_fn(|_| {
        if lock(&replay.permit).as_deref() == Some(hashed) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// `StepError` while attempts remain, `StepFailed` on the last one or when not retriable.
fn failed_op(replay: &Replay, planned: Op, error: &Error) -> Op {
    let last_attempt = replay.attempt + 1 >= replay.max_attempts;
    let serialized = SerializedError {
        name: error.name().to_owned(),
        message: error.message().to_owned(),
        stack: None,
    };

    if last_attempt || !error.is_retriable() {
        return Op {
            op: OpCode::StepFailed,
            data: json!(serialized),
            error: Some(serialized),
            ..planned
        };
    }
    let retry_after = match error.kind() {
        ErrorKind::RetryAfter(delay) => Some(delay),
        _ => None,
    };
    Op {
        op: OpCode::StepError,
        error: Some(serialized),
        retry_after,
        ..planned
    }
}

/// A memoized value: `{"data": x}` is `x`, `{"error": e}` is an error, anything else is data.
fn unwrap_memo(memo: &Value) -> Result<Value> {
    if let Some(object) = memo.as_object().filter(|object| object.len() == 1) {
        if let Some(data) = object.get("data") {
            return Ok(data.clone());
        }
        if let Some(error) = object.get("error") {
            let serialized: SerializedError =
                serde_json::from_value(error.clone()).unwrap_or_else(|_| SerializedError {
                    name: "Error".to_owned(),
                    message: error.to_string(),
                    stack: None,
                });
            return Err(Error::non_retriable(serialized.message).with_name(serialized.name));
        }
    }
    Ok(memo.clone())
}

/// The composite id Inngest knows a function by; an id that already has the prefix keeps it.
pub(crate) fn composite_id(app_id: &str, function_id: &str) -> String {
    let prefixed = function_id
        .strip_prefix(app_id)
        .is_some_and(|rest| rest.starts_with('-'));
    if prefixed {
        function_id.to_owned()
    } else {
        format!("{app_id}-{function_id}")
    }
}

fn to_json<T: Serialize>(id: &str, value: &T) -> Result<Value> {
    serde_json::to_value(value)
        .map_err(|error| Error::new(format!("step `{id}` returned non-JSON data: {error}")))
}

fn from_json<T: DeserializeOwned>(id: &str, value: Value) -> Result<T> {
    serde_json::from_value(value)
        .map_err(|error| Error::new(format!("step `{id}` data does not fit its type: {error}")))
}

/// Formats a time as RFC 3339 in UTC with millisecond precision, as JavaScript's
/// `Date.toISOString` does, so a `Sleep` op names its wake-up time as the JS SDK does.
fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Steps never leave shared state half-written, so a poisoned lock is still usable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;

    #[test]
    fn numbers_repeated_ids() {
        let step = Step::inline(None, Outbox::new());

        block_on(async {
            for _ in 0..3 {
                step.sleep("wait", Duration::from_secs(1)).await.unwrap();
            }
        });

        let ids: Vec<_> = step.records().into_iter().map(|r| r.id).collect();
        assert_eq!(ids, ["wait", "wait:1", "wait:2"]);
        assert_eq!(
            step.records()[1].hashed_id,
            "614fa837994b3058aa2bc4bb392b69d2e5049f21"
        );
    }

    #[test]
    fn runs_each_body_once_and_returns_its_data() {
        let step = Step::inline(None, Outbox::new());
        let mut calls = 0;

        let value: u32 = block_on(step.run("count", || {
            calls += 1;
            async { Ok(41 + 1) }
        }))
        .unwrap();

        assert_eq!(value, 42);
        assert_eq!(calls, 1);
        assert_eq!(step.records()[0].output, json!(42));
    }

    #[test]
    fn rejects_invoking_an_unknown_function() {
        let step = Step::inline(None, Outbox::new());
        let options = Invoke {
            function_id: "missing",
            data: Value::Null,
            timeout: None,
        };

        let error = block_on(step.invoke::<Value>("call", options)).unwrap_err();

        assert!(!error.is_retriable());
        assert!(error.message().contains("unknown function `missing`"));
    }

    #[test]
    fn unwraps_memoized_values() {
        assert_eq!(unwrap_memo(&json!({"data": 1})).unwrap(), json!(1));
        assert_eq!(unwrap_memo(&Value::Null).unwrap(), Value::Null);
        assert_eq!(
            unwrap_memo(&json!({"name": "x", "data": {}})).unwrap(),
            json!({"name": "x", "data": {}})
        );

        let error = unwrap_memo(&json!({"error": {"name": "Error", "message": "boom"}}));

        assert_eq!(error.unwrap_err().message(), "boom");
    }

    #[test]
    fn prefixes_ids_once() {
        assert_eq!(composite_id("demo-app", "summarize"), "demo-app-summarize");
        assert_eq!(
            composite_id("demo-app", "demo-app-summarize"),
            "demo-app-summarize"
        );
        assert_eq!(composite_id("demo", "demographics"), "demo-demographics");
    }

    #[test]
    fn formats_times_as_rfc3339_with_milliseconds() {
        let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let fraction = whole + Duration::from_micros(45_678);

        assert_eq!(rfc3339(whole), "2023-11-14T22:13:20.000Z");
        assert_eq!(rfc3339(fraction), "2023-11-14T22:13:20.045Z");
    }
}
