//! Running one function to completion in-process, every step executed inline.

use std::panic::AssertUnwindSafe;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::FutureExt;
use serde_json::Value;

use crate::{Delivery, Error, Event, Invocation, Outbox, Registry, Result, Step, StepRecord};

/// Why a function could not be started inline.
#[derive(Debug, thiserror::Error)]
pub enum InlineError {
    /// No function with this id is registered.
    #[error("no function with id `{id}`; `switchyard functions` lists the registered ids")]
    UnknownFunction {
        /// The id that was asked for.
        id: String,
    },
}

/// What an inline call produced.
#[derive(Debug)]
pub struct InlineOutcome {
    /// The function's return value, or the error that ended it.
    pub output: Result<Value>,
    /// Every step it took, in order.
    pub steps: Vec<StepRecord>,
    /// Everything it recorded in the outbox.
    pub deliveries: Vec<Delivery>,
}

/// Calls function `id` from `registry` with `event`, running all steps inline; `<id>-failure`
/// calls the failure handler a function declares.
///
/// A panic in the function is caught and reported as a retriable error.
///
/// # Errors
///
/// Returns [`InlineError::UnknownFunction`] when `id` is not registered; errors raised by the
/// function itself are in [`InlineOutcome::output`].
pub async fn invoke_inline(
    registry: &'static Registry,
    id: &str,
    event: Event<Value>,
) -> std::result::Result<InlineOutcome, InlineError> {
    let unknown = || InlineError::UnknownFunction { id: id.to_owned() };
    let callee = registry.callee(id).ok_or_else(unknown)?;
    let handler = callee.handler().ok_or_else(unknown)?;

    let outbox = Outbox::new();
    let step = Step::inline(Some(registry), outbox.clone());
    let invocation = Invocation {
        events: vec![event.clone()],
        event,
        run_id: inline_run_id(),
        attempt: 0,
        step: step.clone(),
        outbox: outbox.clone(),
    };

    let output = AssertUnwindSafe(handler(invocation))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(Error::new(panic_message(&panic)).with_name("Panic")));

    Ok(InlineOutcome {
        output,
        steps: step.records(),
        deliveries: outbox.entries(),
    })
}

fn inline_run_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!("inline-{nanos:x}")
}

pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_owned());
    format!("function panicked: {text}")
}
