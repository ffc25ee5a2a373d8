//! A small registry of functions for the HTTP tests, independent of `features/`: one for each
//! behaviour of the serve protocol, with counters that show which code ran how often.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use switchyard::runtime::prelude::*;
use switchyard::runtime::{erase, erase_failure, Feature, FunctionEntry, Registry};

/// Calls of `steps` (code outside its steps runs on every call).
pub static STEPS_CALLS: AtomicU32 = AtomicU32::new(0);
/// Runs of the bodies of `steps`'s two `step.run`s.
pub static STEPS_BODIES: AtomicU32 = AtomicU32::new(0);

/// Three steps in a row: `first step`, a two-second `sleep`, `second step`.
pub struct Steps;

impl Function for Steps {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "steps",
        triggers: &[Trigger::event("test/steps")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        STEPS_CALLS.fetch_add(1, Ordering::SeqCst);
        let first: String = ctx
            .step
            .run("first step", || async {
                STEPS_BODIES.fetch_add(1, Ordering::SeqCst);
                Ok("first step".to_owned())
            })
            .await?;
        ctx.step.sleep("sleep", Duration::from_secs(2)).await?;
        let second: Value = ctx
            .step
            .run("second step", || async {
                STEPS_BODIES.fetch_add(1, Ordering::SeqCst);
                Ok(json!({ "first": first, "second": true }))
            })
            .await?;
        Ok(json!({ "body": "ok", "second": second }))
    }
}

/// Two steps joined in parallel (`a`, `b`), then `c` with both results.
pub struct Parallel;

impl Function for Parallel {
    type Event = Value;
    type Output = String;

    const CONFIG: Config = Config {
        id: "parallel",
        triggers: &[Trigger::event("test/parallel")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<String> {
        let a = ctx.step.run("a", || async { Ok("A".to_owned()) });
        let b = ctx.step.run("b", || async { Ok("B".to_owned()) });
        let (a, b) = futures_util::future::join(a, b).await;
        let (a, b) = (a?, b?);
        ctx.step
            .run("c", || async move { Ok(format!("{a}{b}")) })
            .await
    }
}

/// A step `bad` that fails: retriable, or with a 30 s delay when `data.later` is true.
async fn failing_step(ctx: Context<Value>) -> Result<()> {
    let later = ctx.event.data["later"].as_bool().unwrap_or(false);
    ctx.step
        .run("bad", || async move {
            if later {
                Err::<(), _>(Error::retry_after("slow down", Duration::from_secs(30)))
            } else {
                Err(Error::new("broken"))
            }
        })
        .await
}

/// Retries three times (four attempts).
pub struct Flaky;

impl Function for Flaky {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "flaky",
        triggers: &[Trigger::event("test/flaky")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<()> {
        failing_step(ctx).await
    }
}

/// Never retries.
pub struct Strict;

impl Function for Strict {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "strict",
        triggers: &[Trigger::event("test/strict")],
        retries: Some(0),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<()> {
        failing_step(ctx).await
    }
}

/// A step that raises a non-retriable error.
pub struct NonRetriable;

impl Function for NonRetriable {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "non-retriable",
        triggers: &[Trigger::event("test/non-retriable")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<()> {
        ctx.step
            .run("bad", || async {
                Err::<(), _>(Error::non_retriable("Should not retry"))
            })
            .await
    }
}

/// Fails outside steps as `data.mode` says: `plain`, `later` (1.5 s delay) or `fatal`; its
/// own failure handler notes the failure in a step.
pub struct Fails;

impl Function for Fails {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "fails",
        triggers: &[Trigger::event("test/fails")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<()> {
        match ctx.event.data["mode"].as_str() {
            Some("later") => Err(Error::retry_after("slow down", Duration::from_millis(1500))),
            Some("fatal") => Err(Error::non_retriable("Should not retry")),
            _ => Err(Error::new("broken func")),
        }
    }

    async fn on_failure(ctx: Context<FunctionFailed>) -> Result<Value> {
        let failed = &ctx.event.data;
        let note: String = ctx
            .step
            .run("note", || async {
                Ok(format!("{}: {}", failed.function_id, failed.error.message))
            })
            .await?;
        Ok(json!({ "note": note, "run_id": failed.run_id }))
    }
}

/// Panics outside steps.
pub struct Panics;

impl Function for Panics {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "panics",
        triggers: &[Trigger::event("test/panics")],
        ..Config::DEFAULT
    };

    async fn run(_ctx: Context<Value>) -> Result<()> {
        panic!("handler bug")
    }
}

/// A step `load` returning `data.size` bytes of `x`, then the length it got back.
pub struct Big;

impl Function for Big {
    type Event = Value;
    type Output = usize;

    const CONFIG: Config = Config {
        id: "big",
        triggers: &[Trigger::event("app/big")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<usize> {
        let size = ctx.event.data["size"].as_u64().unwrap_or(10) as usize;
        let loaded: String = ctx
            .step
            .run("load", || async move { Ok("x".repeat(size)) })
            .await?;
        Ok(loaded.len())
    }
}

/// Sends one event with `step.send_event` and returns the ids.
pub struct Sender;

impl Function for Sender {
    type Event = Value;
    type Output = Vec<String>;

    const CONFIG: Config = Config {
        id: "sender",
        triggers: &[Trigger::event("test/send")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Vec<String>> {
        let event = Event::new("test/notified", json!({ "by": "sender" }));
        ctx.step.send_event("notify", vec![event]).await
    }
}

/// Returns at once; its id is the one C13 is about, and it listens to `app/test.ping`, the
/// event of the published signature examples.
pub struct SummarizePages;

impl Function for SummarizePages {
    type Event = Value;
    type Output = String;

    const CONFIG: Config = Config {
        id: "summarize-pages",
        name: "Summarize pages",
        triggers: &[
            Trigger::event("app/pages.updated"),
            Trigger::event("app/test.ping"),
        ],
        ..Config::DEFAULT
    };

    async fn run(_ctx: Context<Value>) -> Result<String> {
        Ok("summary".to_owned())
    }
}

const fn entry(config: &'static Config, handler: switchyard::runtime::Handler) -> FunctionEntry {
    FunctionEntry {
        config,
        feature: "protocol",
        source: "features/protocol/events/event-test.rs",
        module: "protocol_event_test",
        handler,
        on_failure: None,
    }
}

static FUNCTIONS: [FunctionEntry; 10] = [
    entry(&Steps::CONFIG, erase::<Steps>),
    entry(&Parallel::CONFIG, erase::<Parallel>),
    entry(&Flaky::CONFIG, erase::<Flaky>),
    entry(&Strict::CONFIG, erase::<Strict>),
    entry(&NonRetriable::CONFIG, erase::<NonRetriable>),
    FunctionEntry {
        on_failure: Some(erase_failure::<Fails>),
        ..entry(&Fails::CONFIG, erase::<Fails>)
    },
    entry(&Panics::CONFIG, erase::<Panics>),
    entry(&Big::CONFIG, erase::<Big>),
    entry(&Sender::CONFIG, erase::<Sender>),
    entry(&SummarizePages::CONFIG, erase::<SummarizePages>),
];

static FEATURES: [Feature; 1] = [Feature {
    name: "protocol",
    functions: &[
        &FUNCTIONS[0],
        &FUNCTIONS[1],
        &FUNCTIONS[2],
        &FUNCTIONS[3],
        &FUNCTIONS[4],
        &FUNCTIONS[5],
        &FUNCTIONS[6],
        &FUNCTIONS[7],
        &FUNCTIONS[8],
        &FUNCTIONS[9],
    ],
}];

static BY_ID: [(&str, usize); 10] = [
    ("big", 7),
    ("fails", 5),
    ("flaky", 2),
    ("non-retriable", 4),
    ("panics", 6),
    ("parallel", 1),
    ("sender", 8),
    ("steps", 0),
    ("strict", 3),
    ("summarize-pages", 9),
];

/// Every test function, in one feature `protocol`.
pub static REGISTRY: Registry = Registry::new(
    &FUNCTIONS,
    &FEATURES,
    &BY_ID,
    "features/**/events/event-*.rs",
);
