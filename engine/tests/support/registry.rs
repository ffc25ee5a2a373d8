//! A test-only registry of small functions, one per engine behaviour, and helpers to
//! drive an engine over it on a fake clock.

// Each test file uses only some of these helpers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{json, Value};
use switchyard_engine::{Engine, FakeClock, Location, RunFilter, RunRow};
use switchyard_runtime::prelude::*;
use switchyard_runtime::{erase, erase_failure, Feature, FunctionEntry, Registry};

/// 2026-03-10T08:00:00Z, a Tuesday.
pub const START_MS: i64 = 1_773_129_600_000;

/// Three steps around a sleep; each body records a delivery.
pub struct Sequential;

impl Function for Sequential {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "sequential",
        triggers: &[Trigger::event("test/sequential")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        let mut total = 0;
        for name in ["one", "two"] {
            total += ctx
                .step
                .run(name, || async {
                    ctx.outbox.deliver(Delivery::email("t", name, ""));
                    Ok(1)
                })
                .await?;
        }
        ctx.step.sleep("nap", Duration::from_secs(60)).await?;
        total += ctx
            .step
            .run("three", || async {
                ctx.outbox.deliver(Delivery::email("t", "three", ""));
                Ok(1)
            })
            .await?;
        Ok(json!({ "total": total }))
    }
}

/// Fails its step on the first two attempts, then succeeds.
pub struct Flaky;

impl Function for Flaky {
    type Event = Value;
    type Output = u32;

    const CONFIG: Config = Config {
        id: "flaky",
        triggers: &[Trigger::event("test/flaky")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<u32> {
        let attempt = ctx.attempt;
        ctx.step
            .run("shaky", || async move {
                ctx.outbox
                    .deliver(Delivery::email("t", "shaky", attempt.to_string()));
                if attempt < 2 {
                    return Err(Error::new("not yet"));
                }
                Ok(attempt)
            })
            .await
    }
}

/// Always fails its step; `fatal` makes the error non-retriable, `wait` asks for a delay.
pub struct Doomed;

impl Function for Doomed {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "doomed",
        triggers: &[Trigger::event("test/doomed")],
        retries: Some(2),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<()> {
        let data = ctx.event.data.clone();
        ctx.step
            .run("charge", || async move {
                ctx.outbox.deliver(Delivery::email("t", "charge", ""));
                if data["fatal"] == json!(true) {
                    return Err(Error::non_retriable("card stolen"));
                }
                if let Some(seconds) = data["wait"].as_u64() {
                    return Err(Error::retry_after("busy", Duration::from_secs(seconds)));
                }
                Err(Error::new("card declined"))
            })
            .await
    }
}

/// Fails outside any step, so the whole function is retried.
pub struct Throws;

impl Function for Throws {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "throws",
        triggers: &[Trigger::event("test/throws")],
        retries: Some(1),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<()> {
        ctx.outbox.deliver(Delivery::email("t", "throws", ""));
        Err(Error::new("bad input"))
    }
}

/// Records every failure it hears of.
pub struct OnFailure;

impl Function for OnFailure {
    type Event = FunctionFailed;
    type Output = String;

    const CONFIG: Config = Config {
        id: "on-failure",
        triggers: &[Trigger::event("inngest/function.failed")],
        retries: Some(0),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<FunctionFailed>) -> Result<String> {
        let failed = &ctx.event.data;
        ctx.outbox.deliver(Delivery::chat(
            "failures",
            &failed.function_id,
            &failed.error.message,
        ));
        if failed.event.data["fail_handler"] == json!(true) {
            return Err(Error::new("handler broke too"));
        }
        Ok(failed.run_id.clone())
    }
}

/// Runs two steps in parallel, then a third with both results.
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
        let a = ctx.step.run("a", || async {
            ctx.outbox.deliver(Delivery::email("t", "a", ""));
            Ok("A".to_owned())
        });
        let b = ctx.step.run("b", || async {
            ctx.outbox.deliver(Delivery::email("t", "b", ""));
            Ok("B".to_owned())
        });
        let (a, b) = futures_util::future::join(a, b).await;
        let (a, b) = (a?, b?);
        ctx.step
            .run("c", || async move { Ok(format!("{a}{b}")) })
            .await
    }
}

/// Waits for `test/approved` of the same order, then invokes `double`.
pub struct Approval;

impl Function for Approval {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "approval",
        triggers: &[Trigger::event("test/order.placed")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        let options = WaitForEvent {
            event: "test/approved",
            timeout: Duration::from_secs(3600),
            if_expr: Some("event.data.order == async.data.order"),
        };
        let Some(approved) = ctx
            .step
            .wait_for_event::<Value>("approval", options)
            .await?
        else {
            return Ok(json!({ "approved": false }));
        };
        let invoke = Invoke {
            function_id: "double",
            data: json!({ "n": approved.data["amount"] }),
            timeout: None,
        };
        let doubled: i64 = ctx.step.invoke("double-it", invoke).await?;
        Ok(json!({ "approved": true, "doubled": doubled }))
    }
}

/// Doubles `n`; invoked by `approval`.
pub struct Double;

impl Function for Double {
    type Event = Value;
    type Output = i64;

    const CONFIG: Config = Config {
        id: "double",
        triggers: &[Trigger::event("test/double")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<i64> {
        let n = ctx.event.data["n"].as_i64().unwrap_or_default();
        if n < 0 {
            return Err(Error::non_retriable("negative"));
        }
        ctx.step.run("double", || async move { Ok(n * 2) }).await
    }
}

/// Sleeps two hours, then returns 1; invoked by `impatient`.
pub struct SlowChild;

impl Function for SlowChild {
    type Event = Value;
    type Output = i64;

    const CONFIG: Config = Config {
        id: "slow-child",
        triggers: &[Trigger::event("test/slow")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<i64> {
        ctx.step.sleep("dawdle", Duration::from_secs(7200)).await?;
        Ok(1)
    }
}

/// Invokes `slow-child` with a one-hour timeout and reports what came back.
pub struct Impatient;

impl Function for Impatient {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "impatient",
        triggers: &[Trigger::event("test/impatient")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        let invoke = Invoke {
            function_id: "slow-child",
            data: json!({}),
            timeout: Some(Duration::from_secs(3600)),
        };
        match ctx.step.invoke::<i64>("ask", invoke).await {
            Ok(value) => Ok(json!({ "value": value })),
            Err(error) => Ok(json!({ "error": error.name() })),
        }
    }
}

/// Sleeps and runs a step three times under the same sleep id, then twelve steps in a row.
pub struct Looping;

impl Function for Looping {
    type Event = Value;
    type Output = usize;

    const CONFIG: Config = Config {
        id: "looping",
        triggers: &[Trigger::event("test/loop")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<usize> {
        for round in 0..3 {
            ctx.step.sleep("wait", Duration::from_secs(1)).await?;
            let name = format!("round {round}");
            ctx.step
                .run(&name, || async {
                    ctx.outbox.deliver(Delivery::email("t", &name, ""));
                    Ok(())
                })
                .await?;
        }
        for index in 0..12 {
            ctx.step
                .run("chain", || async {
                    ctx.outbox.deliver(Delivery::email("t", "chain", ""));
                    Ok(index)
                })
                .await?;
        }
        Ok(ctx.run_id.len())
    }
}

/// Fires every morning at nine in Paris.
pub struct Morning;

impl Function for Morning {
    type Event = Value;
    type Output = String;

    const CONFIG: Config = Config {
        id: "morning",
        triggers: &[Trigger::cron("TZ=Europe/Paris 0 9 * * *")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<String> {
        Ok(ctx.event.name.clone())
    }
}

/// Matches every `shop/...` event with a big enough total.
pub struct BigShop;

impl Function for BigShop {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "big-shop",
        triggers: &[
            Trigger::event_if("shop/*", "event.data.total >= 100"),
            Trigger::event("shop/order.*"),
        ],
        ..Config::DEFAULT
    };

    async fn run(_ctx: Context<Value>) -> Result<()> {
        Ok(())
    }
}

/// Counts how many step bodies are running at once, and the most that ever were.
pub struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl Gauge {
    /// A gauge at zero.
    pub const fn new() -> Gauge {
        Gauge {
            now: AtomicUsize::new(0),
            max: AtomicUsize::new(0),
        }
    }

    /// The most bodies that ran at once so far.
    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }

    /// Runs `body` counted as in flight, after a short real pause so that calls made side
    /// by side overlap.
    async fn hold<T>(&self, body: impl FnOnce() -> T) -> T {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(2)).await;
        let value = body();
        self.now.fetch_sub(1, Ordering::SeqCst);
        value
    }
}

/// Per-key gauges: how many bodies of each key ran at once at most.
pub struct KeyGauges(Mutex<BTreeMap<String, (usize, usize)>>);

impl KeyGauges {
    /// No keys seen yet.
    pub const fn new() -> KeyGauges {
        KeyGauges(Mutex::new(BTreeMap::new()))
    }

    /// The most bodies that ran at once for each key, by key.
    pub fn max_by_key(&self) -> Vec<(String, usize)> {
        let counts = self.0.lock().unwrap();
        counts
            .iter()
            .map(|(key, (_, max))| (key.clone(), *max))
            .collect()
    }

    fn enter(&self, key: &str) {
        let mut counts = self.0.lock().unwrap();
        let slot = counts.entry(key.to_owned()).or_default();
        slot.0 += 1;
        slot.1 = slot.1.max(slot.0);
    }

    fn leave(&self, key: &str) {
        let mut counts = self.0.lock().unwrap();
        if let Some(slot) = counts.get_mut(key) {
            slot.0 -= 1;
        }
    }
}

/// Bodies of [`Limited`] in flight.
pub static LIMITED: Gauge = Gauge::new();

/// At most three calls at once; two steps that take a moment each.
pub struct Limited;

impl Function for Limited {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "limited",
        triggers: &[Trigger::event("test/limited")],
        concurrency: Some(Concurrency::limit(3)),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<()> {
        for name in ["first", "second"] {
            ctx.step.run(name, || LIMITED.hold(|| Ok(()))).await?;
        }
        Ok(())
    }
}

/// Bodies of [`Keyed`] in flight, in all and per customer.
pub static KEYED: Gauge = Gauge::new();
/// Bodies of [`Keyed`] in flight per customer.
pub static KEYED_BY_CUSTOMER: KeyGauges = KeyGauges::new();

/// At most two calls at once per customer; two steps that take a moment each.
pub struct Keyed;

impl Function for Keyed {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "keyed",
        triggers: &[Trigger::event("test/keyed")],
        concurrency: Some(Concurrency::keyed(2, "event.data.customer")),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<()> {
        let customer = ctx.event.data["customer"].as_str().unwrap_or("none");
        for name in ["first", "second"] {
            ctx.step
                .run(name, || async {
                    KEYED_BY_CUSTOMER.enter(customer);
                    KEYED.hold(|| KEYED_BY_CUSTOMER.leave(customer)).await;
                    Ok(())
                })
                .await?;
        }
        Ok(())
    }
}

/// One call at once; a step, an hour's sleep, then another step, each recording `n`.
pub struct Napper;

impl Function for Napper {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "napper",
        triggers: &[Trigger::event("test/nap")],
        concurrency: Some(Concurrency::limit(1)),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<()> {
        let n = ctx.event.data["n"].clone();
        ctx.step
            .run("before", || async {
                ctx.outbox
                    .deliver(Delivery::email("t", format!("before {n}"), ""));
                Ok(())
            })
            .await?;
        ctx.step.sleep("nap", Duration::from_secs(3600)).await?;
        ctx.step
            .run("after", || async {
                ctx.outbox
                    .deliver(Delivery::email("t", format!("after {n}"), ""));
                Ok(())
            })
            .await
    }
}

/// Bodies of [`Shared`] in flight.
pub static SHARED: Gauge = Gauge::new();

/// At most two calls at once, whichever driver makes them; each body records a delivery.
pub struct Shared;

impl Function for Shared {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "shared",
        triggers: &[Trigger::event("test/shared")],
        concurrency: Some(Concurrency::limit(2)),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<()> {
        for name in ["first", "second"] {
            ctx.step
                .run(name, || async {
                    SHARED.hold(|| ()).await;
                    ctx.outbox.deliver(Delivery::email("t", name, ""));
                    Ok(())
                })
                .await?;
        }
        Ok(())
    }
}

/// Charges a card, failing for good when `fatal`; its own failure handler records the
/// failure, and fails too when `fail_handler`.
pub struct Guarded;

impl Function for Guarded {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "guarded",
        triggers: &[Trigger::event("test/guarded")],
        retries: Some(1),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        let fatal = ctx.event.data["fatal"] == json!(true);
        ctx.step
            .run("charge", || async move {
                if fatal {
                    return Err(Error::non_retriable("card stolen"));
                }
                Ok(json!("charged"))
            })
            .await
    }

    async fn on_failure(ctx: Context<FunctionFailed>) -> Result<Value> {
        let failed = &ctx.event.data;
        ctx.step
            .run("record", || async {
                let attempt = ctx.attempt.to_string();
                ctx.outbox.deliver(Delivery::chat(
                    "guarded-failure",
                    &failed.error.message,
                    attempt,
                ));
                Ok(())
            })
            .await?;
        if failed.event.data["fail_handler"] == json!(true) {
            return Err(Error::new("handler broke too"));
        }
        Ok(json!({ "run_id": failed.run_id, "function_id": failed.function_id }))
    }
}

/// Holds a booking: waits up to four hours for its payment (or, with `sleep`, sleeps half an
/// hour; with `self_cancel`, sends its own cancellation first), then confirms it. A
/// `test/booking.cancelled` event with the same `id` within two hours cancels it.
pub struct Booking;

impl Function for Booking {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "booking",
        triggers: &[Trigger::event("test/booking.created")],
        cancel_on: &[
            Cancel::event_if("test/booking.cancelled", "async.data.id == event.data.id")
                .timeout(Duration::from_secs(2 * 3600)),
        ],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        let data = &ctx.event.data;
        ctx.step
            .run("hold", || async {
                ctx.outbox.deliver(Delivery::email("t", "hold", ""));
                Ok(())
            })
            .await?;

        if data["self_cancel"] == json!(true) {
            let cancel = Event::new("test/booking.cancelled", json!({ "id": data["id"] }));
            ctx.step.send_event("cancel-myself", vec![cancel]).await?;
        } else if data["sleep"] == json!(true) {
            ctx.step.sleep("nap", Duration::from_secs(1800)).await?;
        } else {
            let payment = WaitForEvent {
                event: "test/booking.paid",
                timeout: Duration::from_secs(4 * 3600),
                if_expr: Some("async.data.id == event.data.id"),
            };
            ctx.step.wait_for_event::<Value>("payment", payment).await?;
        }

        ctx.step
            .run("confirm", || async {
                ctx.outbox.deliver(Delivery::email("t", "confirm", ""));
                Ok(())
            })
            .await?;
        Ok(json!({ "confirmed": data["id"] }))
    }

    async fn on_failure(_ctx: Context<FunctionFailed>) -> Result<Value> {
        Ok(json!("never for a cancelled run"))
    }
}

/// Invokes `booking` for `event.data.id` and reports what came back.
pub struct BookFor;

impl Function for BookFor {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "book-for",
        triggers: &[Trigger::event("test/book-for")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        let invoke = Invoke {
            function_id: "booking",
            data: json!({ "id": ctx.event.data["id"] }),
            timeout: None,
        };
        match ctx.step.invoke::<Value>("book", invoke).await {
            Ok(value) => Ok(json!({ "value": value })),
            Err(error) => Ok(json!({ "error": error.message() })),
        }
    }
}

pub fn entry<F: Function>() -> FunctionEntry {
    FunctionEntry {
        config: Box::leak(Box::new(F::CONFIG)),
        feature: "test",
        source: "features/test/events/event-test.rs",
        module: "test_event_test",
        handler: erase::<F>,
        on_failure: None,
    }
}

/// The entry of a function that declares its own failure handler.
fn guarded_entry<F: Function>() -> FunctionEntry {
    FunctionEntry {
        on_failure: Some(erase_failure::<F>),
        ..entry::<F>()
    }
}

/// The registry of every test function.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<&'static Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        registry_of(vec![
            entry::<OnFailure>(),
            entry::<Sequential>(),
            entry::<Flaky>(),
            entry::<Doomed>(),
            entry::<Throws>(),
            entry::<Parallel>(),
            entry::<Approval>(),
            entry::<Double>(),
            entry::<Morning>(),
            entry::<SlowChild>(),
            entry::<Looping>(),
            entry::<Impatient>(),
            entry::<BigShop>(),
            guarded_entry::<Guarded>(),
            guarded_entry::<Booking>(),
            entry::<BookFor>(),
            entry::<Limited>(),
            entry::<Keyed>(),
            entry::<Napper>(),
            entry::<Shared>(),
        ])
    })
}

/// A registry of exactly these functions, in one feature, leaked for the process's life.
pub fn registry_of(entries: Vec<FunctionEntry>) -> &'static Registry {
    let functions: &'static [FunctionEntry] = Box::leak(entries.into_boxed_slice());
    let mut by_id: Vec<(&'static str, usize)> = functions
        .iter()
        .enumerate()
        .map(|(index, entry)| (entry.id(), index))
        .collect();
    by_id.sort();
    let refs: Vec<&'static FunctionEntry> = functions.iter().collect();
    let features = Box::leak(Box::new([Feature {
        name: "test",
        functions: Box::leak(refs.into_boxed_slice()),
    }]));
    Box::leak(Box::new(Registry::new(
        functions,
        features,
        Box::leak(by_id.into_boxed_slice()),
        "features/**/events/event-*.rs",
    )))
}

/// A fresh in-memory engine on a fake clock at [`START_MS`].
pub fn engine() -> (Engine, FakeClock) {
    let clock = FakeClock::new(START_MS);
    let engine = Engine::open(Location::Memory, registry(), Arc::new(clock.clone())).unwrap();
    (engine, clock)
}

/// Runs due work, then moves the clock by `step` and repeats, `rounds` times.
pub async fn settle(engine: &Engine, clock: &FakeClock, step: Duration, rounds: u32) {
    for _ in 0..rounds {
        engine.run_until_idle().await.unwrap();
        clock.advance(step);
    }
    engine.run_until_idle().await.unwrap();
}

/// Every run of one function, oldest first.
pub fn runs_of(engine: &Engine, function: &str) -> Vec<RunRow> {
    let filter = RunFilter {
        function_id: Some(function.to_owned()),
        limit: u32::MAX,
        ..RunFilter::default()
    };
    let mut runs = engine.runs(&filter).unwrap();
    runs.reverse();
    runs
}

/// The subjects of every delivery, in order.
pub fn subjects(engine: &Engine) -> Vec<String> {
    engine
        .outbox()
        .entries()
        .into_iter()
        .map(|entry| entry.subject)
        .collect()
}
