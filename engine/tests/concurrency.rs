//! Concurrency limits under load: never more calls of a function (or of one key) in flight
//! than its limit, runs over the limit started in order as slots free up, and sleeping
//! runs holding no slot, as in Inngest.

mod support {
    pub mod registry;
}

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use support::registry::{
    engine, registry, runs_of, subjects, KEYED, KEYED_BY_CUSTOMER, LIMITED, SHARED, START_MS,
};
use switchyard_engine::{Engine, FakeClock, Location};

fn events(name: &str, data: impl Fn(usize) -> Value, count: usize) -> Vec<Value> {
    (0..count)
        .map(|n| json!({"name": name, "data": data(n)}))
        .collect()
}

fn statuses(engine: &Engine, function: &str) -> Vec<String> {
    runs_of(engine, function)
        .into_iter()
        .map(|run| run.status)
        .collect()
}

#[tokio::test]
async fn never_runs_more_calls_than_the_limit_under_load() {
    let (engine, _clock) = engine();

    engine
        .send_events(events("test/limited", |n| json!({"n": n}), 200))
        .unwrap();
    let calls = engine.run_until_idle().await.unwrap();

    assert_eq!(LIMITED.max(), 3, "three calls side by side, never more");
    assert_eq!(calls, 200 * 3, "two steps and the return per run");
    let statuses = statuses(&engine, "limited");
    assert_eq!(statuses.len(), 200);
    assert!(statuses.iter().all(|status| status == "completed"));
}

#[tokio::test]
async fn limits_each_key_alone_and_runs_different_keys_side_by_side() {
    let (engine, _clock) = engine();
    let customers = ["acme", "globex", "initech", "umbrella"];

    let data = |n: usize| json!({"customer": customers[n % customers.len()], "n": n});
    engine.send_events(events("test/keyed", data, 120)).unwrap();
    engine.run_until_idle().await.unwrap();

    let expected: Vec<(String, usize)> = customers
        .iter()
        .map(|customer| (customer.to_string(), 2))
        .collect();
    assert_eq!(KEYED_BY_CUSTOMER.max_by_key(), expected);
    assert_eq!(
        KEYED.max(),
        8,
        "two calls for each of four customers at once"
    );
    let statuses = statuses(&engine, "keyed");
    assert_eq!(statuses.len(), 120);
    assert!(statuses.iter().all(|status| status == "completed"));
}

#[tokio::test]
async fn starts_waiting_runs_in_order_and_frees_the_slot_while_a_run_sleeps() {
    let (engine, clock) = engine();

    engine
        .send_events(events("test/nap", |n| json!({"n": n}), 5))
        .unwrap();
    engine.run_until_idle().await.unwrap();
    let asleep = statuses(&engine, "napper");
    let before = subjects(&engine);
    clock.advance(Duration::from_secs(3600));
    engine.run_until_idle().await.unwrap();

    assert_eq!(asleep, vec!["sleeping"; 5], "a sleeping run holds no slot");
    assert_eq!(
        before,
        ["before 0", "before 1", "before 2", "before 3", "before 4"]
    );
    assert_eq!(
        subjects(&engine)[5..],
        ["after 0", "after 1", "after 2", "after 3", "after 4"]
    );
    assert_eq!(statuses(&engine, "napper"), vec!["completed"; 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holds_the_limit_across_drivers_and_runs_each_step_once() {
    let clock = FakeClock::new(START_MS);
    let engine = Engine::open(Location::Memory, registry(), Arc::new(clock)).unwrap();

    let background = engine.spawn();
    engine
        .send_events(events("test/shared", |n| json!({"n": n}), 40))
        .unwrap();
    engine.run_until_idle().await.unwrap();
    let mut done = 0;
    for _ in 0..500 {
        let statuses = statuses(&engine, "shared");
        done = statuses.iter().filter(|s| *s == "completed").count();
        if done == 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    background.abort();

    assert_eq!(done, 40);
    assert!(
        SHARED.max() <= 2,
        "at most two calls at once: {}",
        SHARED.max()
    );
    let bodies = subjects(&engine);
    assert_eq!(bodies.iter().filter(|s| *s == "first").count(), 40);
    assert_eq!(bodies.iter().filter(|s| *s == "second").count(), 40);
}
