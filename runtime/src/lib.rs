//! The runtime that Switchyard event files are written against.
//!
//! An event file implements [`Function`] for one unit struct: a [`Config`] that codegen reads
//! at build time (id, name, triggers, retries, concurrency, cancellation) and an async `run`
//! that gets a typed [`Context`], plus optionally its own failure handler `on_failure`. The
//! generated registry turns every such file into a [`FunctionEntry`]; servers and engines
//! drive those entries through the [`Step`] tool.
//!
//! ```
//! use switchyard_runtime::prelude::*;
//!
//! pub struct Greet;
//!
//! impl Function for Greet {
//!     type Event = Value;
//!     type Output = String;
//!
//!     const CONFIG: Config = Config {
//!         id: "greet",
//!         triggers: &[Trigger::event("demo/user.created")],
//!         ..Config::DEFAULT
//!     };
//!
//!     async fn run(ctx: Context<Value>) -> Result<String> {
//!         let name = ctx.event.data["name"].as_str().unwrap_or("stranger").to_owned();
//!         ctx.step.run("greet", || async move { Ok(format!("hello {name}")) }).await
//!     }
//! }
//! ```

mod call_request;
mod config;
mod context;
mod error;
mod event;
mod event_check;
mod event_sender;
mod execution;
mod function;
mod inline;
mod op;
mod outbox;
mod registry;
pub mod signature;
mod step;
mod step_id;
pub mod sync;
mod time_string;

pub use call_request::{parse_call, CallRequestError, ParsedCall};
pub use config::{
    Cancel, Concurrency, Config, Trigger, FAILURE_HANDLER_RETRIES, FAILURE_SUFFIX,
    FUNCTION_CANCELLED_EVENT, FUNCTION_FAILED_EVENT, FUNCTION_INVOKED_EVENT, SCHEDULED_TIMER_EVENT,
};
pub use context::Context;
pub use error::{Error, ErrorKind, Result};
pub use event::{Event, FunctionFailed, SerializedError};
pub use event_sender::EventSender;
pub use execution::{execute, Call, CallResult, Services};
pub use function::{erase, erase_failure, Function, Handler, Invocation};
pub use inline::{invoke_inline, InlineError, InlineOutcome};
pub use op::{Op, OpCode, Userland};
pub use outbox::{Delivery, Outbox};
pub use registry::{Callee, Feature, FunctionEntry, Registry};
pub use step::{Invoke, Step, StepOp, StepRecord, WaitForEvent};
pub use step_id::hash_step_id;
pub use time_string::format_time_string;

/// Re-exported so event files need no serde dependency of their own for plain values.
pub use serde;
/// Re-exported so event files need no serde_json dependency of their own.
pub use serde_json;

/// Everything an event file usually needs, in one import.
pub mod prelude {
    pub use crate::{
        Cancel, Concurrency, Config, Context, Delivery, Error, Event, Function, FunctionFailed,
        Invoke, Result, Trigger, WaitForEvent,
    };
    /// Awaits two step futures side by side, as `Promise.all` does in Inngest's JS SDK:
    /// replayed, both new steps are reported together as planned steps.
    pub use futures_util::future::join;
    pub use serde::{Deserialize, Serialize};
    pub use serde_json::{json, Value};
    pub use std::time::Duration;
}
