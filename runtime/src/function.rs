//! The function model: the trait an event file implements, and its type-erased form.

use std::future::Future;

use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::{Config, Context, Error, Event, FunctionFailed, Outbox, Result, Step};

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

    /// The function's own failure handler, Inngest's `onFailure`: runs once when a run of
    /// this function has failed for good, with the `inngest/function.failed` event.
    ///
    /// Declare it only when needed, as `async fn on_failure(ctx: Context<FunctionFailed>)
    /// -> Result<Value>`: codegen finds it in the `impl Function` and registers it, with one
    /// retry, as the companion function `<id>-failure`. Without a declaration nothing is
    /// registered and this default is never called.
    fn on_failure(ctx: Context<FunctionFailed>) -> impl Future<Output = Result<Value>> + Send {
        let id = Self::CONFIG.id;
        drop(ctx);
        async move {
            Err(Error::non_retriable(format!(
                "function `{id}` declares no `on_failure`"
            )))
        }
    }
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
        let ctx = typed_context::<F::Event>(invocation)?;

        let output = F::run(ctx).await?;

        serde_json::to_value(output)
            .map_err(|error| Error::new(format!("function output is not JSON: {error}")))
    })
}

/// Erases the failure handler of `F` into a [`Handler`]: types the event data as
/// [`FunctionFailed`] and runs `F::on_failure`.
///
/// An event that is not a `function.failed` payload is a non-retriable error.
pub fn erase_failure<F: Function>(invocation: Invocation) -> BoxFuture<'static, Result<Value>> {
    Box::pin(async move {
        let ctx = typed_context::<FunctionFailed>(invocation)?;

        F::on_failure(ctx).await
    })
}

/// The context a handler gets: the invocation with its event's data typed as `T`.
fn typed_context<T: DeserializeOwned>(invocation: Invocation) -> Result<Context<T>> {
    Ok(Context {
        event: typed_event(invocation.event)?,
        events: invocation.events,
        run_id: invocation.run_id,
        attempt: invocation.attempt,
        step: invocation.step,
        outbox: invocation.outbox,
    })
}

fn typed_event<T: DeserializeOwned>(event: Event<Value>) -> Result<Event<T>> {
    let data = serde_path_to_error::deserialize(event.data).map_err(|error| {
        let path = error.path().to_string();
        let error = error.into_inner();
        let at = if path == "." {
            String::new()
        } else {
            format!(" at `data.{path}`")
        };
        Error::non_retriable(format!(
            "event `{}` has invalid data{at}: {error}",
            event.name
        ))
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
