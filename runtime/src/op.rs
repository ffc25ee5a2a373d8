//! The ops a call reports back to Inngest in a 206 response.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::SerializedError;

/// An op code, spelled as Inngest spells it on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpCode {
    /// A `step.run` body ran and returned data.
    StepRun,
    /// A `step.run` body failed and may be retried.
    StepError,
    /// A `step.run` body failed for good.
    StepFailed,
    /// A `step.run` was found but not run; Inngest will ask for it by id.
    StepPlanned,
    /// The run should sleep.
    Sleep,
    /// The run should wait for an event.
    WaitForEvent,
    /// The run should call another function.
    InvokeFunction,
}

/// The id the function wrote for a step, and which repeat of it this is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Userland {
    /// The id as written in the function.
    pub id: String,
    /// Which repeat of the id (1 for the second use); absent for the first use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
}

/// One op of a 206 response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// What happened or should happen.
    pub op: OpCode,
    /// SHA-1 of the step id, the key the result is memoized under.
    pub id: String,
    /// The op's name: the step id, a sleep duration, or the awaited event name.
    pub name: String,
    /// The step id as written, for display.
    #[serde(rename = "displayName")]
    pub display_name: String,
    /// Op-specific options, such as the timeout of a wait.
    pub opts: Value,
    /// The step's result for `StepRun`, the error for `StepFailed`, otherwise null.
    pub data: Value,
    /// The error of `StepError` and `StepFailed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<SerializedError>,
    /// The step id as written and its repeat index.
    pub userland: Userland,
    /// Delay the failing step asked for before its next attempt; sent as `Retry-After`.
    #[serde(skip)]
    pub retry_after: Option<Duration>,
}
