//! What a function's `run` receives.

use serde_json::Value;

use crate::{Event, Outbox, Step};

/// The input of one call of a function: its typed event, the step tool and run metadata.
pub struct Context<T> {
    /// The event that started the run, with typed data.
    pub event: Event<T>,
    /// Every event of the run (more than one for batched functions), untyped.
    pub events: Vec<Event<Value>>,
    /// The run's id, stable across retries and steps.
    pub run_id: String,
    /// Zero-based attempt number of the current call.
    pub attempt: u32,
    /// Durable steps: `run`, `sleep`, `wait_for_event`, `invoke`, `send_event`.
    pub step: Step,
    /// Where messages the function would send are recorded.
    pub outbox: Outbox,
}
