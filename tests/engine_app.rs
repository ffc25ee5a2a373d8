//! The example app's sample events run end to end through the embedded engine, checked
//! against the same samples run inline.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use switchyard::registry::REGISTRY;
use switchyard_engine::{Engine, FakeClock, Location, RunFilter, RunRow, INVOKED_EVENT};
use switchyard_runtime::{invoke_inline, Delivery, Event, InlineOutcome, StepOp};

/// 2026-03-10T08:00:00Z.
const START_MS: i64 = 1_773_129_600_000;

/// Every sample file under `features/`, sorted by path.
fn sample_paths() -> Vec<PathBuf> {
    let mut found = Vec::new();
    collect_samples(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("features"),
        &mut found,
    );
    found.sort();
    found
}

fn collect_samples(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_samples(&path, found);
        } else if path
            .parent()
            .is_some_and(|parent| parent.ends_with("samples"))
        {
            found.push(path);
        }
    }
}

/// The function a sample is named after: `<function-id>[--<case>].json`.
fn function_of(path: &Path) -> String {
    let stem = path.file_stem().unwrap().to_str().unwrap();
    stem.split("--").next().unwrap().to_owned()
}

fn read_sample(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// Whether a sample is one of its function's `cancel_on` events rather than a trigger.
fn cancels(path: &Path, event: &Value) -> bool {
    REGISTRY.get(&function_of(path)).is_some_and(|entry| {
        entry
            .config
            .cancel_on
            .iter()
            .any(|cancel| event["name"] == cancel.event)
    })
}

fn engine() -> (Engine, FakeClock) {
    let clock = FakeClock::new(START_MS);
    let engine = Engine::open(Location::Memory, &REGISTRY, Arc::new(clock.clone())).unwrap();
    (engine, clock.clone())
}

/// Runs due work, moving the clock an hour at a time so sleeps and retries come due, then a
/// month at a time for the samples that sleep until a fixed date years ahead.
async fn settle(engine: &Engine, clock: &FakeClock) {
    for _ in 0..200 {
        engine.run_until_idle().await.unwrap();
        clock.advance(Duration::from_secs(3600));
    }
    for _ in 0..80 {
        engine.run_until_idle().await.unwrap();
        clock.advance(Duration::from_secs(30 * 86_400));
    }
    engine.run_until_idle().await.unwrap();
}

/// Starts the sample: sent as an event, or invoked when its name is reserved for Inngest.
/// Returns the name of the event the engine's run gets.
fn start(engine: &Engine, function: &str, event: &Value) -> Value {
    let name = event["name"].clone();
    if name.as_str().unwrap().starts_with("inngest/") {
        engine
            .invoke(function, event["data"].clone())
            .unwrap()
            .unwrap();
        return Value::from(INVOKED_EVENT);
    }
    engine.send_events(vec![event.clone()]).unwrap();
    name
}

fn all_runs(engine: &Engine) -> Vec<RunRow> {
    let filter = RunFilter {
        limit: 1000,
        ..RunFilter::default()
    };
    engine.runs(&filter).unwrap()
}

/// Whether every item of `expected` occurs in `actual`, counting repeats.
fn contains_all(actual: &[Delivery], expected: &[Delivery]) -> bool {
    let mut left = actual.to_vec();
    expected
        .iter()
        .all(|item| match left.iter().position(|other| other == item) {
            Some(index) => {
                left.remove(index);
                true
            }
            None => false,
        })
}

/// The ids of events sent by steps, which differ between the engine and inline runs.
fn event_ids(engine: &Engine, inline: &InlineOutcome) -> HashSet<String> {
    let stored = engine.events(10_000).unwrap();
    let engine_ids = stored
        .iter()
        .filter_map(|event| event["id"].as_str().map(str::to_owned));
    let inline_ids = inline
        .steps
        .iter()
        .filter(|step| step.op == StepOp::SendEvent)
        .map(|step| &step.hashed_id);
    let mut ids: HashSet<String> = engine_ids.collect();
    // Inline, the n-th event sent by a step gets the id `<hashed step id>-<n>`.
    for id in inline_ids {
        for index in 0..100 {
            ids.insert(format!("{id}-{index}"));
        }
    }
    ids
}

/// `value` with every string in `ids` replaced by a placeholder.
fn without_ids(value: Value, ids: &HashSet<String>) -> Value {
    match value {
        Value::String(text) if ids.contains(&text) => Value::from("<event id>"),
        Value::Array(items) => items
            .into_iter()
            .map(|item| without_ids(item, ids))
            .collect(),
        Value::Object(fields) => fields
            .into_iter()
            .map(|(key, item)| (key, without_ids(item, ids)))
            .collect(),
        other => other,
    }
}

/// Asserts the engine's run ended as the inline run did, event ids aside.
fn assert_same_outcome(path: &Path, run: &RunRow, inline: &InlineOutcome, ids: &HashSet<String>) {
    let name = path.display();
    match &inline.output {
        Ok(output) => {
            assert_eq!(run.status, "completed", "{name}: {:?}", run.error);
            let actual = run.output.clone().map(|output| without_ids(output, ids));
            assert_eq!(actual, Some(without_ids(output.clone(), ids)), "{name}");
        }
        Err(error) => {
            assert_eq!(run.status, "failed", "{name}");
            let message = run.error.as_ref().unwrap()["message"].as_str().unwrap();
            assert_eq!(message, error.message(), "{name}");
        }
    }
}

#[tokio::test]
async fn every_sample_ends_as_it_does_inline() {
    let paths = sample_paths();
    assert!(paths.len() >= 19, "only {} samples", paths.len());

    for path in paths {
        let function = function_of(&path);
        let event = read_sample(&path);
        if cancels(&path, &event) {
            continue;
        }
        let (engine, clock) = engine();

        let name = start(&engine, &function, &event);
        settle(&engine, &clock).await;

        let runs = all_runs(&engine);
        let run = runs
            .iter()
            .find(|run| {
                run.function_id == function
                    && run.event["name"] == name
                    && run.event["data"] == event["data"]
            })
            .unwrap_or_else(|| panic!("{}: no run of {function}", path.display()));
        let inline_event: Event<Value> = serde_json::from_value(event).unwrap();
        let inline = invoke_inline(&REGISTRY, &function, inline_event)
            .await
            .unwrap();
        let ids = event_ids(&engine, &inline);
        assert_same_outcome(&path, run, &inline, &ids);
        assert!(
            contains_all(&engine.outbox().entries(), &inline.deliveries),
            "{}: engine outbox {:?} lacks inline deliveries {:?}",
            path.display(),
            engine.outbox().entries(),
            inline.deliveries
        );
        let unfinished: Vec<&RunRow> = runs
            .iter()
            .filter(|run| run.status != "completed" && run.status != "failed")
            .collect();
        assert!(
            unfinished.is_empty(),
            "{}: unfinished {unfinished:?}",
            path.display()
        );
    }
}

#[tokio::test]
async fn a_failing_run_reaches_the_failure_handler_exactly_once() {
    let (engine, clock) = engine();
    let path = sample_paths()
        .into_iter()
        .find(|path| path.ends_with("payment-failed.json"))
        .unwrap();
    let mut event: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    event["data"]["attempt"] = serde_json::json!(0);

    engine.send_events(vec![event]).unwrap();
    settle(&engine, &clock).await;

    let runs = all_runs(&engine);
    let failed: Vec<&RunRow> = runs
        .iter()
        .filter(|run| run.function_id == "payment-failed")
        .collect();
    let handlers: Vec<&RunRow> = runs
        .iter()
        .filter(|run| run.function_id == "handle-any-function-failure")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].status, "failed");
    assert_eq!(handlers.len(), 1);
    assert_eq!(handlers[0].status, "completed");
    assert_eq!(handlers[0].event["data"]["run_id"], failed[0].id.as_str());
    assert_eq!(handlers[0].output.as_ref().unwrap()["paged_billing"], true);
}

#[tokio::test]
async fn every_cancellation_sample_cancels_a_run_its_functions_first_sample_started() {
    let paths = sample_paths();
    let cancellations: Vec<&PathBuf> = paths
        .iter()
        .filter(|path| cancels(path, &read_sample(path)))
        .collect();
    assert!(cancellations.len() >= 2, "only {cancellations:?}");

    for path in cancellations {
        let function = function_of(path);
        let trigger = paths
            .iter()
            .find(|other| function_of(other) == function && !cancels(other, &read_sample(other)))
            .unwrap_or_else(|| panic!("{}: no sample starts {function}", path.display()));
        let (engine, clock) = engine();

        engine.send_events(vec![read_sample(trigger)]).unwrap();
        engine.run_until_idle().await.unwrap();
        let before = all_runs(&engine);
        engine.send_events(vec![read_sample(path)]).unwrap();
        settle(&engine, &clock).await;

        let name = path.display();
        let started: Vec<&RunRow> = before
            .iter()
            .filter(|r| r.function_id == function)
            .collect();
        assert_eq!(started.len(), 1, "{name}");
        assert!(
            ["sleeping", "waiting"].contains(&started[0].status.as_str()),
            "{name}: the run was {} before the cancellation",
            started[0].status
        );
        let runs = all_runs(&engine);
        let run = runs.iter().find(|r| r.id == started[0].id).unwrap();
        assert_eq!(run.status, "cancelled", "{name}");
        let failure_runs = runs
            .iter()
            .filter(|r| r.event["name"] == "inngest/function.failed");
        assert_eq!(
            failure_runs.count(),
            0,
            "{name}: a cancelled run is no failure"
        );
    }
}

#[tokio::test]
async fn a_refund_that_cannot_be_decided_reaches_its_own_failure_handler_once() {
    let (engine, clock) = engine();
    let path = sample_paths()
        .into_iter()
        .find(|path| path.ends_with("refund-initiated.json"))
        .unwrap();
    let mut event = read_sample(&path);
    event["data"]["amount_cents"] = serde_json::json!(0);

    engine.send_events(vec![event]).unwrap();
    settle(&engine, &clock).await;

    let runs = all_runs(&engine);
    let of = |function: &str| -> Vec<&RunRow> {
        runs.iter()
            .filter(|run| run.function_id == function)
            .collect()
    };
    let failed = of("refund-initiated");
    let own = of("refund-initiated-failure");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].status, "failed");
    assert_eq!(own.len(), 1, "the function's own handler runs once");
    assert_eq!(own[0].status, "completed");
    assert_eq!(own[0].event["data"]["run_id"], failed[0].id.as_str());
    assert_eq!(
        own[0].output,
        Some(serde_json::json!({ "refund_id": "R-2207", "customer_told": true }))
    );
    assert_eq!(of("handle-any-function-failure").len(), 1);
    let subjects: Vec<String> = engine
        .outbox()
        .entries()
        .into_iter()
        .map(|delivery| delivery.subject)
        .collect();
    assert!(
        subjects.contains(&"Refund R-2207 needs a person".to_owned()),
        "{subjects:?}"
    );
}
