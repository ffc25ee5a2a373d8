//! Events as Inngest delivers them, and the payloads of Inngest's own system events.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One event: a name, its data, and the envelope fields Inngest adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event<T = Value> {
    /// Event name, such as `auth/user.signed-up`.
    pub name: String,
    /// The payload, typed by the function that receives it.
    pub data: T,
    /// Idempotency id given by the sender, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Milliseconds since the Unix epoch when the event happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    /// Deprecated user context that some senders still attach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Value>,
    /// Schema version chosen by the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<String>,
}

impl Event<Value> {
    /// An event with this name and data and no envelope fields.
    pub fn new(name: impl Into<String>, data: Value) -> Event<Value> {
        Event {
            name: name.into(),
            data,
            id: None,
            ts: None,
            user: None,
            v: None,
        }
    }
}

/// An error as it travels in JSON between Inngest and the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerializedError {
    /// The error class, such as `Error` or `NonRetriableError`.
    pub name: String,
    /// The human-readable message.
    pub message: String,
    /// A stack trace, when the failing side sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}

/// The data of an `inngest/function.failed` event, which failure handlers receive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionFailed {
    /// Composite id (`<app id>-<function id>`) of the function that failed.
    pub function_id: String,
    /// The run that failed.
    pub run_id: String,
    /// The error that ended the run.
    pub error: SerializedError,
    /// The event that started the failed run.
    pub event: Event<Value>,
}
