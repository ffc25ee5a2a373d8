//! Restarting the engine on the same database: pending work resumes and nothing that
//! completed runs again.

mod support {
    pub mod registry;
}

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use support::registry::{entry, registry, registry_of, runs_of, subjects, START_MS};
use switchyard_engine::{Engine, EngineError, FakeClock, Location, RunFilter, StoreError};
use switchyard_runtime::prelude::*;

/// A database file of its own for one test, removed when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> TempDb {
        let dir = std::env::temp_dir().join(format!("switchyard-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDb(dir.join("engine.db"))
    }

    fn open(&self, clock: &FakeClock) -> Engine {
        let location = Location::Path(self.0.clone());
        Engine::open(location, registry(), Arc::new(clock.clone())).unwrap()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[tokio::test]
async fn resumes_queued_runs_after_a_restart() {
    let db = TempDb::new("queued");
    let clock = FakeClock::new(START_MS);

    let first = db.open(&clock);
    first
        .send_events(vec![json!({"name": "test/parallel"})])
        .unwrap();
    drop(first);
    let second = db.open(&clock);
    second.run_until_idle().await.unwrap();

    let run = &runs_of(&second, "parallel")[0];
    assert_eq!(run.status, "completed");
    assert_eq!(run.output, Some(json!("AB")));
}

#[tokio::test]
async fn wakes_a_sleeping_run_after_a_restart_without_rerunning_done_steps() {
    let db = TempDb::new("sleeping");
    let clock = FakeClock::new(START_MS);

    let first = db.open(&clock);
    first
        .send_events(vec![json!({"name": "test/sequential"})])
        .unwrap();
    first.run_until_idle().await.unwrap();
    let before = subjects(&first);
    drop(first);
    clock.advance(Duration::from_secs(3600));
    let second = db.open(&clock);
    second.run_until_idle().await.unwrap();

    assert_eq!(before, ["one", "two"]);
    assert_eq!(
        subjects(&second),
        ["three"],
        "steps one and two stay memoized"
    );
    let run = &runs_of(&second, "sequential")[0];
    assert_eq!(run.status, "completed");
    assert_eq!(run.output, Some(json!({"total": 3})));
}

#[tokio::test]
async fn keeps_a_waiting_run_waiting_across_a_restart() {
    let db = TempDb::new("waiting");
    let clock = FakeClock::new(START_MS);

    let first = db.open(&clock);
    first
        .send_events(vec![
            json!({"name": "test/order.placed", "data": {"order": 3}}),
        ])
        .unwrap();
    first.run_until_idle().await.unwrap();
    drop(first);
    let second = db.open(&clock);
    second.run_until_idle().await.unwrap();
    let still = runs_of(&second, "approval")[0].status.clone();
    let approval = json!({"name": "test/approved", "data": {"order": 3, "amount": 4}});
    second.send_events(vec![approval]).unwrap();
    second.run_until_idle().await.unwrap();

    assert_eq!(still, "waiting");
    let run = &runs_of(&second, "approval")[0];
    assert_eq!(run.output, Some(json!({"approved": true, "doubled": 8})));
}

#[tokio::test]
async fn remembers_event_ids_across_a_restart() {
    let db = TempDb::new("dedupe");
    let clock = FakeClock::new(START_MS);

    let first = db.open(&clock);
    let ids = first
        .send_events(vec![json!({"name": "test/parallel", "id": "x"})])
        .unwrap();
    drop(first);
    let second = db.open(&clock);
    let again = second
        .send_events(vec![json!({"name": "test/parallel", "id": "x"})])
        .unwrap();

    assert_eq!(ids, again);
    let all = second.runs(&RunFilter::default()).unwrap();
    assert_eq!(all.len(), 1);
}

#[test]
fn refuses_a_corrupt_database_with_an_error() {
    let db = TempDb::new("corrupt");
    std::fs::create_dir_all(db.0.parent().unwrap()).unwrap();
    std::fs::write(&db.0, "not sqlite at all ".repeat(500)).unwrap();
    let clock = FakeClock::new(START_MS);

    let opened = Engine::open(Location::Path(db.0.clone()), registry(), Arc::new(clock));

    let Err(EngineError::Store(StoreError::Open { path, .. })) = opened else {
        panic!("expected an open error");
    };
    assert!(path.ends_with("engine.db"), "{path}");
}

/// A function whose configuration holds one CEL expression that does not compile.
struct BrokenTrigger;

impl Function for BrokenTrigger {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "broken-trigger",
        triggers: &[Trigger::event_if("test/broken", "event.data.( ==")],
        ..Config::DEFAULT
    };

    async fn run(_ctx: Context<Value>) -> Result<Value> {
        Ok(Value::Null)
    }
}

/// As [`BrokenTrigger`], with the broken expression as its concurrency key.
struct BrokenKey;

impl Function for BrokenKey {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "broken-key",
        triggers: &[Trigger::event("test/broken")],
        concurrency: Some(Concurrency::keyed(1, "event.data.(")),
        ..Config::DEFAULT
    };

    async fn run(_ctx: Context<Value>) -> Result<Value> {
        Ok(Value::Null)
    }
}

#[test]
fn refuses_to_start_with_an_expression_that_does_not_compile() {
    let cases = [
        (entry::<BrokenTrigger>(), "broken-trigger", "trigger `if`"),
        (entry::<BrokenKey>(), "broken-key", "concurrency key"),
    ];

    for (entry, id, where_) in cases {
        let registry = registry_of(vec![entry]);
        let clock = FakeClock::new(START_MS);

        let opened = Engine::open(Location::Memory, registry, Arc::new(clock));

        let Err(error @ EngineError::Expression { .. }) = opened else {
            panic!("{id}: expected an expression error");
        };
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("function `{id}` has a {where_}")),
            "{message}"
        );
        assert!(message.contains("is not valid CEL"), "{message}");
    }
}

#[tokio::test]
async fn the_background_loop_completes_runs_it_is_told_about() {
    let clock = FakeClock::new(START_MS);
    let engine = Engine::open(Location::Memory, registry(), Arc::new(clock)).unwrap();

    let handle = engine.spawn();
    engine
        .send_events(vec![json!({"name": "test/parallel"})])
        .unwrap();
    let mut status = String::new();
    for _ in 0..500 {
        status = runs_of(&engine, "parallel")[0].status.clone();
        if status == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    handle.abort();

    assert_eq!(status, "completed");
}

#[tokio::test]
async fn an_interrupted_driver_loses_nothing_and_reruns_only_unstored_steps() {
    let db = TempDb::new("interrupted");
    let clock = FakeClock::new(START_MS);
    let events: Vec<_> = (0..30)
        .map(|n| json!({"name": "test/shared", "data": {"n": n}}))
        .collect();

    let first = db.open(&clock);
    first.send_events(events).unwrap();
    let cut = Duration::from_millis(15);
    let interrupted = tokio::time::timeout(cut, first.run_until_idle()).await;
    let stored: usize = runs_of(&first, "shared")
        .iter()
        .map(|run| first.run(&run.id).unwrap().unwrap().steps.len())
        .sum();
    drop(first);
    let second = db.open(&clock);
    second.run_until_idle().await.unwrap();

    assert!(interrupted.is_err(), "the driver was cut off mid-flight");
    let runs = runs_of(&second, "shared");
    assert_eq!(runs.len(), 30);
    assert!(runs.iter().all(|run| run.status == "completed"));
    assert_eq!(
        subjects(&second).len(),
        2 * 30 - stored,
        "every step not stored before the cut runs once, no stored step runs again"
    );
}
