//! One call of a function under Inngest's replay model: what a serve POST does.
//!
//! The function is run from the top with the memoized step results. It completes, fails, or
//! reaches new steps; then exactly one of these happens:
//!
//! - the call names a step (`stepId` is a hash): that step's body runs and is reported;
//! - one new `step.run` was found and immediate execution is allowed: its body runs now;
//! - otherwise every new step is reported (`StepPlanned` for `step.run`, the op itself for
//!   sleeps, waits and invokes) and Inngest calls back for each.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::Duration;

use futures_util::FutureExt;
use serde_json::Value;

use crate::event_check;
use crate::op::{Op, OpCode};
use crate::step::Replay;
use crate::{Callee, Error, ErrorKind, Event, EventSender, Invocation, Outbox, Step};

/// The inputs of one call, as parsed from Inngest's request.
#[derive(Debug, Clone)]
pub struct Call {
    /// The triggering event.
    pub event: Event<Value>,
    /// Every event of the run.
    pub events: Vec<Event<Value>>,
    /// Memoized step results by hashed id.
    pub steps: HashMap<String, Value>,
    /// The run's id.
    pub run_id: String,
    /// Zero-based attempt of the current step or function.
    pub attempt: u32,
    /// Attempts allowed in total; the function's retries plus one when absent.
    pub max_attempts: Option<u32>,
    /// Report new steps instead of running even a single one.
    pub disable_immediate_execution: bool,
    /// The hashed id of the one step to run, or `None` for a discovery call.
    pub step_id: Option<String>,
}

/// What the app needs besides the call itself.
#[derive(Clone)]
pub struct Services {
    /// The app id, which prefixes composite function ids.
    pub app_id: String,
    /// Where `step.send_event` sends events.
    pub events: Option<Arc<dyn EventSender>>,
    /// Where deliveries are recorded.
    pub outbox: Outbox,
}

/// The outcome of a call, which maps onto one HTTP response.
#[derive(Debug, Clone, PartialEq)]
pub enum CallResult {
    /// The function returned this value (200).
    Completed(Value),
    /// Steps ran or were found (206).
    Steps(Vec<Op>),
    /// The function failed (500 when it may be retried, 400 when not).
    Failed {
        /// What went wrong.
        error: Error,
        /// Whether Inngest must not retry.
        no_retry: bool,
    },
}

impl CallResult {
    /// The HTTP status Inngest expects for this outcome.
    pub fn status(&self) -> u16 {
        match self {
            CallResult::Completed(_) => 200,
            CallResult::Steps(_) => 206,
            CallResult::Failed { no_retry: true, .. } => 400,
            CallResult::Failed {
                no_retry: false, ..
            } => 500,
        }
    }

    /// The `X-Inngest-No-Retry` value, for outcomes that carry one.
    pub fn no_retry(&self) -> Option<bool> {
        match self {
            CallResult::Completed(_) => None,
            CallResult::Failed { no_retry, .. } => Some(*no_retry),
            CallResult::Steps(ops) => ops.iter().find_map(|op| match op.op {
                OpCode::StepError => Some(false),
                OpCode::StepFailed => Some(true),
                _ => None,
            }),
        }
    }

    /// The delay to send as `Retry-After`, for outcomes that ask for one and will be
    /// retried: a failure that is not retried asks for no delay, as in the JS SDK.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            CallResult::Failed { no_retry: true, .. } => None,
            CallResult::Failed { error, .. } => match error.kind() {
                ErrorKind::RetryAfter(delay) => Some(delay),
                _ => None,
            },
            CallResult::Steps(ops) => ops.iter().find_map(|op| op.retry_after),
            CallResult::Completed(_) => None,
        }
    }
}

/// What driving the function until it stops produced.
enum Stop {
    Returned(crate::Result<Value>),
    Found,
}

/// Runs one call of a function (`&FunctionEntry`) or of a function's own failure handler
/// ([`Callee::FailureHandler`]) and decides the response.
///
/// A function refuses an event none of its triggers names; a function's own failure
/// handler takes any event, as in the JS SDK.
pub async fn execute<'a>(
    callee: impl Into<Callee<'a>>,
    call: Call,
    services: &Services,
) -> CallResult {
    let callee = callee.into();
    let unexpected = match callee {
        Callee::Function(entry) => event_check::unexpected_event(entry.config, &call.event.name),
        Callee::FailureHandler(_) => None,
    };
    let handler = callee.handler().ok_or_else(|| {
        Error::non_retriable(format!("function `{}` has no failure handler", callee.id()))
    });
    let handler = match (unexpected, handler) {
        (None, Ok(handler)) => handler,
        (Some(error), _) | (None, Err(error)) => {
            return CallResult::Failed {
                error,
                no_retry: true,
            };
        }
    };

    let max_attempts = call
        .max_attempts
        .unwrap_or_else(|| callee.retries() + 1)
        .max(1);
    let replay = Replay {
        app_id: services.app_id.clone(),
        memo: call.steps,
        attempt: call.attempt,
        max_attempts,
        events: services.events.clone(),
        found: Mutex::new(Vec::new()),
        permit: Mutex::new(None),
        executed: Mutex::new(None),
    };
    let step = Step::replay(replay, services.outbox.clone());
    let invocation = Invocation {
        event: call.event,
        events: call.events,
        run_id: call.run_id,
        attempt: call.attempt,
        step: step.clone(),
        outbox: services.outbox.clone(),
    };
    let state = step.replay_state().expect("a replay step has replay state");
    let last_attempt = call.attempt + 1 >= max_attempts;
    let mut function = pin!(AssertUnwindSafe(handler(invocation)).catch_unwind());

    let stop = std::future::poll_fn(|cx| match function.as_mut().poll(cx) {
        Poll::Ready(output) => Poll::Ready(Stop::Returned(output.unwrap_or_else(panicked))),
        Poll::Pending if !lock(&state.found).is_empty() => Poll::Ready(Stop::Found),
        Poll::Pending => Poll::Pending,
    })
    .await;

    let found = match stop {
        Stop::Returned(Ok(value)) => return CallResult::Completed(value),
        Stop::Returned(Err(error)) => {
            let no_retry = !error.is_retriable() || last_attempt;
            return CallResult::Failed { error, no_retry };
        }
        Stop::Found => lock(&state.found).clone(),
    };

    let runnable = |op: &Op| op.op == OpCode::StepPlanned;
    let chosen = match &call.step_id {
        Some(target) => match found.iter().find(|op| &op.id == target && runnable(op)) {
            Some(op) => op.id.clone(),
            None => return step_not_found(target, &found),
        },
        None if found.len() == 1 && runnable(&found[0]) && !call.disable_immediate_execution => {
            found[0].id.clone()
        }
        None => return CallResult::Steps(found),
    };

    *lock(&state.permit) = Some(chosen);
    let executed = std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = function.as_mut().poll(cx) {
            return Poll::Ready(Err(output.unwrap_or_else(panicked)));
        }
        match lock(&state.executed).take() {
            Some(op) => Poll::Ready(Ok(op)),
            None => Poll::Pending,
        }
    })
    .await;

    match executed {
        Ok(op) => CallResult::Steps(vec![op]),
        // The step's body panicked: the panic ended the whole function. Report it as a
        // retriable failure, like a panic outside steps.
        Err(Err(error)) => CallResult::Failed {
            error,
            no_retry: last_attempt,
        },
        // A function cannot return while its permitted step is still pending, but if user
        // code raced past it, report the call as a retriable failure rather than guess.
        Err(Ok(_)) => CallResult::Failed {
            error: Error::new("function returned before its step finished"),
            no_retry: false,
        },
    }
}

fn step_not_found(target: &str, found: &[Op]) -> CallResult {
    let names: Vec<&str> = found.iter().map(|op| op.display_name.as_str()).collect();
    let error = Error::new(format!(
        "could not find step `{target}` to run; found instead: {names:?}"
    ));
    CallResult::Failed {
        error,
        no_retry: false,
    }
}

fn panicked(panic: Box<dyn std::any::Any + Send>) -> crate::Result<Value> {
    Err(Error::new(crate::inline::panic_message(&panic)).with_name("Panic"))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
