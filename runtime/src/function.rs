//! The function model: the trait an event file implements, and its type-erased form.

use std::future::Future;

use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::{Config, Context, Error, Event, Outbox, Result, Step};

/// One durable function: the Rust side of Inngest's `createFunction`.
///
/// Implement it for a unit struct in an event file. `CONFIG` must be written with literals,
/// because codegen reads it at build time; `run` may run several times per run (it is
/// replayed), but each step body runs once per successful attempt.
pub trait Function {
    /// The type of the triggering event's `data`.
    type Event: DeserializeOwned + Send + 'static;
    /// What the function returns; it is stored as JSON.
    type Output: Serialize + Send + 'static;

    /// Id, name, triggers and flow control, read by codegen at build time.
    const CONFIG: Config;

    /// The function body.
    fn run(ctx: Context<Self::Event>) -> impl Future<Output = Result<Self::Output>> + Send;
}

/// Everything needed to call a function, before its event data is typed.
pub struct Invocation {
    /// The triggering event with untyped data.
    pub event: Event<Value>,
    /// Every event of the run.
    pub events: Vec<Event<Value>>,
    /// The run's id.
    pub run_id: String,
    /// Zero-based attempt number.
    pub attempt: u32,
    /// The step tool for this call.
    pub step: Step,
    /// Where deliveries are recorded.
    pub outbox: Outbox,
}

/// A function with its types erased, as the generated registry stores it.
pub type Handler = fn(Invocation) -> BoxFuture<'static, Result<Value>>;

/// Erases `F` into a [`Handler`]: types the event data, runs `F`, and turns its output
/// into JSON.
///
/// Event data that does not fit `F::Event` is a non-retriable error, since retrying the same
/// event cannot fix it.
pub fn erase<F: Function>(invocation: Invocation) -> BoxFuture<'static, Result<Value>> {
    Box::pin(async move {
        let event = typed_event::<F::Event>(invocation.event)?;
        let ctx = Context {
            event,
            events: invocation.events,
            run_id: invocation.run_id,
            attempt: invocation.attempt,
            step: invocation.step,
            outbox: invocation.outbox,
        };

        let output = F::run(ctx).await?;

        serde_json::to_value(output)
            .map_err(|error| Error::new(format!("function output is not JSON: {error}")))
    })
}

fn typed_event<T: DeserializeOwned>(event: Event<Value>) -> Result<Event<T>> {
    let data = serde_json::from_value(event.data).map_err(|error| {
        Error::non_retriable(format!("event `{}` has invalid data: {error}", event.name))
    })?;

    Ok(Event {
        name: event.name,
        data,
        id: event.id,
        ts: event.ts,
        user: event.user,
        v: event.v,
    })
}
