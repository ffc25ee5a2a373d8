//! A function's own failure handler and cancellation by event (`cancel_on`), driven end to
//! end through the engine on a fake clock.

mod support {
    pub mod registry;
}

use std::time::Duration;

use serde_json::{json, Value};
use support::registry::{engine, runs_of, settle, subjects};
use switchyard_engine::Engine;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// The stored events with this name, oldest first.
fn events_named(engine: &Engine, name: &str) -> Vec<Value> {
    let mut events: Vec<Value> = engine
        .events(1000)
        .unwrap()
        .into_iter()
        .filter(|event| event["name"] == name)
        .collect();
    events.reverse();
    events
}

fn booking(id: &str, extra: Value) -> Value {
    let mut data = json!({ "id": id });
    if let (Value::Object(data), Value::Object(extra)) = (&mut data, extra) {
        data.extend(extra);
    }
    json!({ "name": "test/booking.created", "data": data })
}

fn cancellation(id: &str) -> Value {
    json!({ "name": "test/booking.cancelled", "data": { "id": id } })
}

#[tokio::test]
async fn runs_a_functions_own_failure_handler_once_when_the_run_fails_for_good() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![
            json!({"name": "test/guarded", "data": {"fatal": true}}),
        ])
        .unwrap();
    settle(&engine, &clock, MINUTE, 10).await;

    let failed = runs_of(&engine, "guarded");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].status, "failed");
    let handlers = runs_of(&engine, "guarded-failure");
    assert_eq!(handlers.len(), 1, "exactly one companion run");
    let handler = &handlers[0];
    assert_eq!(handler.status, "completed");
    assert_eq!(handler.event["name"], "inngest/function.failed");
    assert_eq!(
        handler.output,
        Some(json!({ "run_id": failed[0].id, "function_id": "switchyard-guarded" }))
    );
    let mut delivered = subjects(&engine);
    delivered.sort();
    assert_eq!(
        delivered,
        ["card stolen", "switchyard-guarded"],
        "the companion's step and the app-wide handler's delivery, once each"
    );
    assert_eq!(runs_of(&engine, "on-failure").len(), 1);
}

#[tokio::test]
async fn retries_a_failing_failure_handler_once_and_never_reports_its_failure() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![json!({
            "name": "test/guarded",
            "data": {"fatal": true, "fail_handler": true}
        })])
        .unwrap();
    settle(&engine, &clock, MINUTE, 30).await;

    let handlers = runs_of(&engine, "guarded-failure");
    assert_eq!(handlers.len(), 1);
    assert_eq!(handlers[0].status, "failed");
    assert_eq!(handlers[0].attempt, 1, "two attempts: one retry");
    let failures = events_named(&engine, "inngest/function.failed");
    assert_eq!(
        failures.len(),
        1,
        "only the function's own failure: {failures:?}"
    );
    assert_eq!(failures[0]["data"]["function_id"], "switchyard-guarded");
    assert_eq!(runs_of(&engine, "guarded-failure").len(), 1);
}

#[tokio::test]
async fn starts_no_failure_handler_for_a_run_that_succeeds() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![json!({"name": "test/guarded", "data": {}})])
        .unwrap();
    settle(&engine, &clock, MINUTE, 5).await;

    assert_eq!(runs_of(&engine, "guarded")[0].status, "completed");
    assert!(runs_of(&engine, "guarded-failure").is_empty());
    assert!(runs_of(&engine, "on-failure").is_empty());
}

#[tokio::test]
async fn cancels_a_waiting_run_on_a_matching_event() {
    let (engine, clock) = engine();

    engine.send_events(vec![booking("b1", json!({}))]).unwrap();
    engine.run_until_idle().await.unwrap();
    let waiting = runs_of(&engine, "booking")[0].status.clone();
    clock.advance(MINUTE);
    engine.send_events(vec![cancellation("b1")]).unwrap();
    settle(&engine, &clock, HOUR, 6).await;

    assert_eq!(waiting, "waiting");
    let run = &runs_of(&engine, "booking")[0];
    assert_eq!(run.status, "cancelled");
    assert_eq!(subjects(&engine), ["hold"], "never confirmed");
    assert!(runs_of(&engine, "booking-failure").is_empty());
    assert!(runs_of(&engine, "on-failure").is_empty());
    let cancelled = events_named(&engine, "inngest/function.cancelled");
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0]["data"]["run_id"], run.id.as_str());
    assert_eq!(cancelled[0]["data"]["function_id"], "switchyard-booking");
    assert_eq!(
        cancelled[0]["data"]["error"]["message"],
        "function cancelled"
    );
}

#[tokio::test]
async fn cancels_a_sleeping_run_and_never_wakes_it() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![booking("b2", json!({"sleep": true}))])
        .unwrap();
    engine.run_until_idle().await.unwrap();
    let sleeping = runs_of(&engine, "booking")[0].status.clone();
    engine.send_events(vec![cancellation("b2")]).unwrap();
    settle(&engine, &clock, HOUR, 3).await;

    assert_eq!(sleeping, "sleeping");
    assert_eq!(runs_of(&engine, "booking")[0].status, "cancelled");
    assert_eq!(subjects(&engine), ["hold"]);
}

#[tokio::test]
async fn cancels_a_queued_run_before_its_first_call() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![booking("b3", json!({})), cancellation("b3")])
        .unwrap();
    settle(&engine, &clock, HOUR, 2).await;

    assert_eq!(runs_of(&engine, "booking")[0].status, "cancelled");
    assert!(subjects(&engine).is_empty(), "no step ran");
}

#[tokio::test]
async fn keeps_nothing_a_call_reports_after_its_run_was_cancelled() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![booking("b4", json!({"self_cancel": true}))])
        .unwrap();
    settle(&engine, &clock, MINUTE, 3).await;

    let run = &runs_of(&engine, "booking")[0];
    assert_eq!(run.status, "cancelled");
    assert_eq!(
        subjects(&engine),
        ["hold"],
        "the step after the cancel never ran"
    );
    let steps = engine.run(&run.id).unwrap().unwrap().steps;
    assert_eq!(steps.len(), 1, "only `hold` was stored: {steps:?}");
}

#[tokio::test]
async fn ignores_cancellations_whose_if_does_not_hold_or_that_come_too_late() {
    let (engine, clock) = engine();

    engine.send_events(vec![booking("b5", json!({}))]).unwrap();
    engine.run_until_idle().await.unwrap();
    engine.send_events(vec![cancellation("another")]).unwrap();
    engine.run_until_idle().await.unwrap();
    clock.advance(3 * HOUR);
    engine.send_events(vec![cancellation("b5")]).unwrap();
    engine.run_until_idle().await.unwrap();
    let still = runs_of(&engine, "booking")[0].status.clone();
    engine
        .send_events(vec![
            json!({"name": "test/booking.paid", "data": {"id": "b5"}}),
        ])
        .unwrap();
    settle(&engine, &clock, MINUTE, 3).await;

    assert_eq!(still, "waiting");
    let run = &runs_of(&engine, "booking")[0];
    assert_eq!(run.status, "completed");
    assert_eq!(run.output, Some(json!({ "confirmed": "b5" })));
    assert_eq!(subjects(&engine), ["hold", "confirm"]);
    assert!(events_named(&engine, "inngest/function.cancelled").is_empty());
}

#[tokio::test]
async fn cancels_only_the_runs_the_event_matches() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![booking("b6", json!({})), booking("b7", json!({}))])
        .unwrap();
    engine.run_until_idle().await.unwrap();
    engine.send_events(vec![cancellation("b7")]).unwrap();
    engine
        .send_events(vec![
            json!({"name": "test/booking.paid", "data": {"id": "b6"}}),
        ])
        .unwrap();
    settle(&engine, &clock, MINUTE, 3).await;

    let statuses: Vec<(Value, String)> = runs_of(&engine, "booking")
        .into_iter()
        .map(|run| (run.event["data"]["id"].clone(), run.status))
        .collect();
    assert_eq!(
        statuses,
        [
            (json!("b6"), "completed".to_owned()),
            (json!("b7"), "cancelled".to_owned())
        ]
    );
}

#[tokio::test]
async fn resumes_the_invoking_run_with_an_error_when_its_child_is_cancelled() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![json!({"name": "test/book-for", "data": {"id": "b8"}})])
        .unwrap();
    engine.run_until_idle().await.unwrap();
    let child = runs_of(&engine, "booking")[0].clone();
    engine.send_events(vec![cancellation("b8")]).unwrap();
    settle(&engine, &clock, MINUTE, 3).await;

    assert_eq!(child.status, "waiting");
    assert_eq!(runs_of(&engine, "booking")[0].status, "cancelled");
    let parent = &runs_of(&engine, "book-for")[0];
    assert_eq!(parent.status, "completed");
    assert_eq!(
        parent.output,
        Some(json!({ "error": "function cancelled" }))
    );
}
