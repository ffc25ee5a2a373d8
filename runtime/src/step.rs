//! The step tool: durable units of work inside a function.
//!
//! Each step has an id that is unique within a run once repeats are numbered (`wait`,
//! `wait:1`, ...), and Inngest memoizes it under the SHA-1 of that id. This module runs steps
//! inline, one after another, which is what `switchyard invoke` needs.
// TODO: replaying a run from memoized state and reporting new steps as Inngest ops (the serve
// protocol's POST) is not implemented yet; until then every step executes inline.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::step_id::indexed_step_id;
use crate::{hash_step_id, Error, Event, Invocation, Outbox, Registry, Result};

/// How deep `step.invoke` may nest before it is taken for a cycle.
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

/// What one step did, in the order the steps ran.
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
    /// Id of the function to call.
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
    registry: Option<&'static Registry>,
    outbox: Outbox,
    depth: u32,
    seen: Mutex<HashMap<String, u32>>,
    records: Mutex<Vec<StepRecord>>,
}

impl Step {
    /// A step tool that executes every step inline, invoking other functions from `registry`.
    pub fn inline(registry: Option<&'static Registry>, outbox: Outbox) -> Step {
        Step::nested(registry, outbox, 0)
    }

    fn nested(registry: Option<&'static Registry>, outbox: Outbox, depth: u32) -> Step {
        Step {
            inner: Arc::new(Inner {
                registry,
                outbox,
                depth,
                seen: Mutex::new(HashMap::new()),
                records: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The steps recorded so far, in order.
    pub fn records(&self) -> Vec<StepRecord> {
        lock(&self.inner.records).clone()
    }

    /// Runs `body` once and memoizes its result under `id`.
    ///
    /// The result goes through JSON, so the function sees exactly what a replay would see.
    ///
    /// # Errors
    ///
    /// Returns the body's error, or an error if the result does not survive JSON.
    pub async fn run<T, F, Fut>(&self, id: &str, body: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let id = self.next_id(id);

        let value = body().await?;
        let json = serde_json::to_value(&value)
            .map_err(|error| Error::new(format!("step `{id}` returned non-JSON data: {error}")))?;

        self.record(id.clone(), StepOp::StepRun, json.clone());
        serde_json::from_value(json)
            .map_err(|error| Error::new(format!("step `{id}` data does not round-trip: {error}")))
    }

    /// Pauses the run for `duration`. Inline, the pause is recorded and skipped.
    ///
    /// # Errors
    ///
    /// Never fails inline; kept fallible for durable backends.
    pub async fn sleep(&self, id: &str, duration: Duration) -> Result<()> {
        let id = self.next_id(id);
        self.record(
            id,
            StepOp::Sleep,
            serde_json::json!({ "seconds": duration.as_secs() }),
        );
        Ok(())
    }

    /// Pauses the run until `until`. Inline, the pause is recorded and skipped.
    ///
    /// # Errors
    ///
    /// Never fails inline; kept fallible for durable backends.
    pub async fn sleep_until(&self, id: &str, until: SystemTime) -> Result<()> {
        let id = self.next_id(id);
        let unix = until
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        self.record(id, StepOp::Sleep, serde_json::json!({ "until_unix": unix }));
        Ok(())
    }

    /// Waits for a matching event, or `None` after the timeout. Inline, no event can
    /// arrive, so it resumes with `None` at once.
    ///
    /// # Errors
    ///
    /// Never fails inline; kept fallible for durable backends.
    pub async fn wait_for_event<T: DeserializeOwned>(
        &self,
        id: &str,
        options: WaitForEvent<'_>,
    ) -> Result<Option<Event<T>>> {
        let id = self.next_id(id);
        let waited = serde_json::json!({
            "event": options.event,
            "timeout_seconds": options.timeout.as_secs(),
            "if": options.if_expr,
            "matched": null,
        });
        self.record(id, StepOp::WaitForEvent, waited);
        Ok(None)
    }

    /// Calls another function of the app and returns its result.
    ///
    /// # Errors
    ///
    /// Returns the called function's error, or an error if it does not exist, its result
    /// does not fit `T`, or invocations nest too deeply.
    pub async fn invoke<T: DeserializeOwned>(&self, id: &str, options: Invoke<'_>) -> Result<T> {
        let id = self.next_id(id);
        let entry = self
            .inner
            .registry
            .and_then(|registry| registry.get(options.function_id))
            .ok_or_else(|| {
                Error::non_retriable(format!(
                    "step `{id}` invokes unknown function `{}`",
                    options.function_id
                ))
            })?;
        if self.inner.depth >= MAX_INVOKE_DEPTH {
            return Err(Error::non_retriable(format!(
                "step `{id}` nests invocations deeper than {MAX_INVOKE_DEPTH}"
            )));
        }

        let child = Step::nested(
            self.inner.registry,
            self.inner.outbox.clone(),
            self.inner.depth + 1,
        );
        let event = Event::new("inngest/function.invoked", options.data);
        let invocation = Invocation {
            events: vec![event.clone()],
            event,
            run_id: format!("{id}-child"),
            attempt: 0,
            step: child,
            outbox: self.inner.outbox.clone(),
        };
        let output = (entry.handler)(invocation).await?;

        self.record(id.clone(), StepOp::InvokeFunction, output.clone());
        serde_json::from_value(output)
            .map_err(|error| Error::new(format!("step `{id}` got an unexpected result: {error}")))
    }

    /// Sends events to Inngest and returns their ids. Inline, the events are recorded.
    ///
    /// # Errors
    ///
    /// Returns an error if an event has an empty name.
    pub async fn send_event(&self, id: &str, events: Vec<Event<Value>>) -> Result<Vec<String>> {
        let id = self.next_id(id);
        if let Some(index) = events.iter().position(|event| event.name.is_empty()) {
            return Err(Error::non_retriable(format!(
                "step `{id}` sends event {index} with an empty name"
            )));
        }

        let hashed = hash_step_id(&id);
        let ids = (0..events.len())
            .map(|index| format!("{hashed}-{index}"))
            .collect();
        let sent = serde_json::to_value(&events).unwrap_or(Value::Null);
        self.record(id, StepOp::SendEvent, sent);
        Ok(ids)
    }

    /// The id of the next use of `id`: the first use keeps it, repeats get `:1`, `:2`, ...
    fn next_id(&self, id: &str) -> String {
        let mut seen = lock(&self.inner.seen);
        let count = seen.entry(id.to_owned()).or_insert(0);
        let indexed = indexed_step_id(id, *count);
        *count += 1;
        indexed
    }

    fn record(&self, id: String, op: StepOp, output: Value) {
        let hashed_id = hash_step_id(&id);
        lock(&self.inner.records).push(StepRecord {
            id,
            hashed_id,
            op,
            output,
        });
    }
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
        assert_eq!(step.records()[0].output, serde_json::json!(42));
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
}
