//! The engine driving test functions end to end on a fake clock.

mod support {
    pub mod registry;
}

use std::time::Duration;

use serde_json::{json, Value};
use support::registry::{engine, runs_of, settle, subjects, START_MS};
use switchyard_engine::{EngineError, IngestError};

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY_MS: i64 = 86_400_000;

#[tokio::test]
async fn runs_steps_in_order_and_wakes_from_sleep_on_time() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![json!({"name": "test/sequential"})])
        .unwrap();
    engine.run_until_idle().await.unwrap();
    let asleep = runs_of(&engine, "sequential");
    clock.advance(Duration::from_secs(59));
    engine.run_until_idle().await.unwrap();
    let still_asleep = runs_of(&engine, "sequential");
    clock.advance(Duration::from_secs(1));
    engine.run_until_idle().await.unwrap();

    assert_eq!(asleep[0].status, "sleeping");
    assert_eq!(still_asleep[0].status, "sleeping");
    let done = &runs_of(&engine, "sequential")[0];
    assert_eq!(done.status, "completed");
    assert_eq!(done.output, Some(json!({"total": 3})));
    assert_eq!(subjects(&engine), ["one", "two", "three"]);
}

#[tokio::test]
async fn runs_each_body_once_across_repeated_ids_and_long_chains() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![json!({"name": "test/loop"})])
        .unwrap();
    settle(&engine, &clock, Duration::from_secs(1), 5).await;

    let run = &runs_of(&engine, "looping")[0];
    assert_eq!(run.status, "completed");
    let bodies = subjects(&engine);
    assert_eq!(bodies[..3], ["round 0", "round 1", "round 2"]);
    assert_eq!(bodies[3..], vec!["chain"; 12]);
    let steps = engine.run(&run.id).unwrap().unwrap().steps;
    assert_eq!(
        steps.len(),
        18,
        "three sleeps, three rounds, twelve chain steps"
    );
}

#[tokio::test]
async fn retries_a_failing_step_with_backoff_until_it_succeeds() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![json!({"name": "test/flaky"})])
        .unwrap();
    engine.run_until_idle().await.unwrap();
    let after_first = subjects(&engine).len();
    clock.advance(Duration::from_secs(9));
    engine.run_until_idle().await.unwrap();
    let before_backoff = subjects(&engine).len();
    settle(&engine, &clock, MINUTE, 10).await;

    assert_eq!(after_first, 1);
    assert_eq!(
        before_backoff, 1,
        "the first retry waits at least ten seconds"
    );
    let run = &runs_of(&engine, "flaky")[0];
    assert_eq!(run.status, "completed");
    assert_eq!(run.output, Some(json!(2)));
    assert_eq!(subjects(&engine), ["shaky", "shaky", "shaky"]);
}

#[tokio::test]
async fn fails_after_all_retries_and_tells_the_failure_handler_once() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![json!({"name": "test/doomed", "data": {"n": 1}})])
        .unwrap();
    settle(&engine, &clock, HOUR, 5).await;

    let run = &runs_of(&engine, "doomed")[0];
    assert_eq!(run.status, "failed");
    assert_eq!(run.error.as_ref().unwrap()["message"], "card declined");
    assert_eq!(run.attempt, 2, "the last of three attempts is attempt 2");
    let charges = subjects(&engine).iter().filter(|s| *s == "charge").count();
    assert_eq!(charges, 3, "retries: 2 means three attempts");
    let handlers = runs_of(&engine, "on-failure");
    assert_eq!(handlers.len(), 1);
    assert_eq!(handlers[0].status, "completed");
    assert_eq!(handlers[0].output, Some(json!(run.id)));
    let failed = &handlers[0].event;
    assert_eq!(failed["name"], "inngest/function.failed");
    assert_eq!(failed["id"], json!(run.id));
    assert_eq!(failed["data"]["function_id"], "switchyard-doomed");
    assert_eq!(failed["data"]["event"]["data"], json!({"n": 1}));
    assert_eq!(failed["data"]["error"]["message"], "card declined");
}

#[tokio::test]
async fn gives_up_at_once_on_a_non_retriable_error() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![
            json!({"name": "test/doomed", "data": {"fatal": true}}),
        ])
        .unwrap();
    settle(&engine, &clock, HOUR, 3).await;

    assert_eq!(runs_of(&engine, "doomed")[0].status, "failed");
    let charges = subjects(&engine).iter().filter(|s| *s == "charge").count();
    assert_eq!(charges, 1);
    assert_eq!(runs_of(&engine, "on-failure").len(), 1);
}

#[tokio::test]
async fn waits_as_long_as_retry_after_asks() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![json!({"name": "test/doomed", "data": {"wait": 120}})])
        .unwrap();
    engine.run_until_idle().await.unwrap();
    clock.advance(Duration::from_secs(119));
    engine.run_until_idle().await.unwrap();
    let early = subjects(&engine).len();
    clock.advance(Duration::from_secs(1));
    engine.run_until_idle().await.unwrap();

    assert_eq!(early, 1);
    assert_eq!(subjects(&engine).len(), 2);
}

#[tokio::test]
async fn retries_a_function_that_fails_outside_steps() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![json!({"name": "test/throws"})])
        .unwrap();
    settle(&engine, &clock, HOUR, 3).await;

    assert_eq!(
        subjects(&engine).iter().filter(|s| *s == "throws").count(),
        2
    );
    assert_eq!(runs_of(&engine, "throws")[0].status, "failed");
    assert_eq!(runs_of(&engine, "on-failure").len(), 1);
}

#[tokio::test]
async fn never_reports_a_failure_handlers_own_failure() {
    let (engine, clock) = engine();

    let event = json!({"name": "test/doomed", "data": {"fatal": true, "fail_handler": true}});
    engine.send_events(vec![event]).unwrap();
    settle(&engine, &clock, HOUR, 5).await;

    let handlers = runs_of(&engine, "on-failure");
    assert_eq!(handlers.len(), 1);
    assert_eq!(handlers[0].status, "failed");
}

#[tokio::test]
async fn runs_parallel_steps_once_each_then_continues() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![json!({"name": "test/parallel"})])
        .unwrap();
    settle(&engine, &clock, MINUTE, 1).await;

    let run = &runs_of(&engine, "parallel")[0];
    assert_eq!(run.status, "completed");
    assert_eq!(run.output, Some(json!("AB")));
    let mut bodies = subjects(&engine);
    bodies.sort();
    assert_eq!(bodies, ["a", "b"]);
}

#[tokio::test]
async fn resumes_a_wait_on_a_matching_event_and_returns_the_childs_result() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![
            json!({"name": "test/order.placed", "data": {"order": 7}}),
        ])
        .unwrap();
    engine.run_until_idle().await.unwrap();
    let waiting = runs_of(&engine, "approval")[0].status.clone();
    let other = json!({"name": "test/approved", "data": {"order": 8, "amount": 1}});
    let matching = json!({"name": "test/approved", "data": {"order": 7, "amount": 21}});
    engine.send_events(vec![other, matching]).unwrap();
    settle(&engine, &clock, MINUTE, 1).await;

    assert_eq!(waiting, "waiting");
    let run = &runs_of(&engine, "approval")[0];
    assert_eq!(run.status, "completed");
    assert_eq!(run.output, Some(json!({"approved": true, "doubled": 42})));
    let child = &runs_of(&engine, "double")[0];
    assert_eq!(child.parent_run.as_deref(), Some(run.id.as_str()));
    assert_eq!(child.event["name"], "inngest/function.invoked");
}

#[tokio::test]
async fn times_out_a_wait_with_none() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![
            json!({"name": "test/order.placed", "data": {"order": 7}}),
        ])
        .unwrap();
    settle(&engine, &clock, MINUTE * 59, 1).await;
    let before = runs_of(&engine, "approval")[0].status.clone();
    settle(&engine, &clock, MINUTE, 1).await;
    let late = json!({"name": "test/approved", "data": {"order": 7, "amount": 21}});
    engine.send_events(vec![late]).unwrap();
    settle(&engine, &clock, MINUTE, 1).await;

    assert_eq!(before, "waiting");
    let run = &runs_of(&engine, "approval")[0];
    assert_eq!(run.output, Some(json!({"approved": false})));
    assert!(runs_of(&engine, "double").is_empty());
}

#[tokio::test]
async fn memoizes_a_failed_child_as_the_invoke_steps_error() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![
            json!({"name": "test/order.placed", "data": {"order": 1}}),
        ])
        .unwrap();
    engine.run_until_idle().await.unwrap();
    let approval = json!({"name": "test/approved", "data": {"order": 1, "amount": -1}});
    engine.send_events(vec![approval]).unwrap();
    settle(&engine, &clock, HOUR, 3).await;

    assert_eq!(runs_of(&engine, "double")[0].status, "failed");
    let parent = &runs_of(&engine, "approval")[0];
    assert_eq!(parent.status, "failed");
    assert_eq!(parent.error.as_ref().unwrap()["message"], "negative");
}

#[tokio::test]
async fn resumes_an_invoke_with_a_timeout_error_when_the_child_is_too_slow() {
    let (engine, clock) = engine();

    engine
        .send_events(vec![json!({"name": "test/impatient"})])
        .unwrap();
    settle(&engine, &clock, MINUTE * 30, 6).await;

    let parent = &runs_of(&engine, "impatient")[0];
    assert_eq!(
        parent.output,
        Some(json!({"error": "InngestInvokeTimeoutError"}))
    );
    let child = &runs_of(&engine, "slow-child")[0];
    assert_eq!(
        child.status, "completed",
        "the child still finishes on its own"
    );
    assert_eq!(runs_of(&engine, "impatient").len(), 1);
}

#[tokio::test]
async fn fires_cron_triggers_at_their_zone_time_and_once_after_downtime() {
    let (engine, clock) = engine();

    engine.run_until_idle().await.unwrap();
    let before = runs_of(&engine, "morning").len();
    // Nine in Paris is 08:00 UTC in March: the clock starts on a fire time, so the first
    // fire is the next morning.
    clock.set(START_MS + DAY_MS - 1);
    engine.run_until_idle().await.unwrap();
    let just_before = runs_of(&engine, "morning").len();
    clock.set(START_MS + DAY_MS);
    engine.run_until_idle().await.unwrap();
    let first = runs_of(&engine, "morning");
    clock.advance(Duration::from_secs(3 * 86_400));
    engine.run_until_idle().await.unwrap();

    assert_eq!((before, just_before), (0, 0));
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].event["name"], "inngest/scheduled.timer");
    assert_eq!(first[0].output, Some(json!("inngest/scheduled.timer")));
    assert_eq!(
        runs_of(&engine, "morning").len(),
        2,
        "three missed days fire once"
    );
}

#[tokio::test]
async fn matches_wildcards_and_if_expressions_once_per_event() {
    let (engine, _clock) = engine();

    let events = vec![
        json!({"name": "shop/order.created", "data": {"total": 500}}),
        json!({"name": "shop/cart", "data": {"total": 5}}),
        json!({"name": "shop/cart", "data": {"total": 100}}),
        json!({"name": "shops/cart", "data": {"total": 100}}),
        json!({"name": "Shop/cart", "data": {"total": 100}}),
    ];
    engine.send_events(events).unwrap();
    engine.run_until_idle().await.unwrap();

    let runs = runs_of(&engine, "big-shop");
    let names: Vec<&Value> = runs.iter().map(|run| &run.event["data"]["total"]).collect();
    assert_eq!(names, [&json!(500), &json!(100)]);
}

#[tokio::test]
async fn deduplicates_events_by_id_within_a_day() {
    let (engine, clock) = engine();

    let event = json!({"name": "test/parallel", "id": "order-1"});
    let first = engine.send_events(vec![event.clone()]).unwrap();
    let again = engine.send_events(vec![event.clone()]).unwrap();
    clock.advance(Duration::from_secs(86_401));
    let later = engine.send_events(vec![event]).unwrap();

    assert_eq!(first, again);
    assert_ne!(first, later);
    assert_eq!(runs_of(&engine, "parallel").len(), 2);
}

#[tokio::test]
async fn refuses_a_bad_batch_without_storing_any_of_it() {
    let (engine, _clock) = engine();

    let events = vec![
        json!({"name": "test/parallel"}),
        json!({"name": "inngest/x"}),
    ];
    let error = engine.send_events(events).unwrap_err();

    let EngineError::Ingest(IngestError::Field { index, field, .. }) = error else {
        panic!("expected a field error, got {error}");
    };
    assert_eq!((index, field), (1, "name"));
    assert!(engine.events(10).unwrap().is_empty());
    assert!(runs_of(&engine, "parallel").is_empty());
}
