//! Inngest's replay model, driven call by call as the executor would.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures_executor::block_on;
use serde_json::{json, Value};
use switchyard_runtime::prelude::*;
use switchyard_runtime::{
    erase, erase_failure, execute, Call, CallResult, Callee, FunctionEntry, Op, OpCode, Outbox,
    Services,
};

// Calls run on the test's own thread (`block_on`), so per-thread counters keep parallel
// tests apart.
thread_local! {
    static SEQUENTIAL_BODIES: AtomicU32 = const { AtomicU32::new(0) };
    static LOOP_BODIES: AtomicU32 = const { AtomicU32::new(0) };
}

struct Sequential;

impl Function for Sequential {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "sequential",
        triggers: &[Trigger::event("test/sequential")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        let first: String = ctx
            .step
            .run("first step", || async {
                SEQUENTIAL_BODIES.with(|count| count.fetch_add(1, Ordering::SeqCst));
                Ok("first step".to_owned())
            })
            .await?;
        ctx.step.sleep("sleep", Duration::from_secs(2)).await?;
        let second: Value = ctx
            .step
            .run("second step", || async {
                SEQUENTIAL_BODIES.with(|count| count.fetch_add(1, Ordering::SeqCst));
                Ok(json!({ "first": first, "second": true }))
            })
            .await?;
        Ok(json!({ "body": "ok", "second": second }))
    }
}

struct Parallel;

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

struct Looping;

impl Function for Looping {
    type Event = Value;
    type Output = u32;

    const CONFIG: Config = Config {
        id: "looping",
        triggers: &[Trigger::event("test/loop")],
        retries: Some(0),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<u32> {
        for i in 0..3 {
            ctx.step.sleep("wait", Duration::from_secs(1)).await?;
            ctx.step
                .run(&format!("plop {i}"), || async {
                    Ok(LOOP_BODIES.with(|count| count.fetch_add(1, Ordering::SeqCst)))
                })
                .await?;
        }
        Ok(3)
    }
}

struct Failing;

impl Function for Failing {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "failing",
        triggers: &[Trigger::event("test/fail")],
        retries: Some(2),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<()> {
        let fatal = ctx.event.data["fatal"].as_bool().unwrap_or(false);
        ctx.step
            .run("bad", || async move {
                if fatal {
                    Err::<(), _>(Error::non_retriable("Should not retry"))
                } else {
                    Err(Error::retry_after("slow down", Duration::from_secs(30)))
                }
            })
            .await
    }
}

struct Throttled;

impl Function for Throttled {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "throttled",
        triggers: &[Trigger::event("test/throttled")],
        retries: Some(1),
        ..Config::DEFAULT
    };

    async fn run(_ctx: Context<Value>) -> Result<()> {
        Err(Error::retry_after("rate limited", Duration::from_secs(30)))
    }
}

struct Panicking;

impl Function for Panicking {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "panicking",
        triggers: &[Trigger::event("test/panic")],
        ..Config::DEFAULT
    };

    async fn run(_ctx: Context<Value>) -> Result<()> {
        panic!("handler bug")
    }
}

struct PanickingStep;

impl Function for PanickingStep {
    type Event = Value;
    type Output = ();

    const CONFIG: Config = Config {
        id: "panicking-step",
        triggers: &[Trigger::event("test/panic-step")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<()> {
        ctx.step
            .run("explode", || async { panic!("step bug") })
            .await
    }
}

struct Waiting;

impl Function for Waiting {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "waiting",
        triggers: &[Trigger::event("test/wait")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        let options = WaitForEvent {
            event: "test/resume",
            timeout: Duration::from_secs(10),
            if_expr: Some("event.data.id == async.data.id"),
        };
        let resumed = ctx.step.wait_for_event::<Value>("wait", options).await?;
        let child: Value = ctx
            .step
            .invoke(
                "call",
                Invoke {
                    function_id: "child",
                    data: json!({ "x": 1 }),
                    timeout: Some(Duration::from_secs(3600)),
                },
            )
            .await?;
        Ok(json!({ "resumed": resumed.map(|event| event.data), "child": child }))
    }
}

/// Charges a card and, when that fails for good, apologises in a step of its own failure
/// handler.
struct Guarded;

impl Function for Guarded {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "guarded",
        triggers: &[Trigger::event("test/guarded")],
        retries: Some(6),
        ..Config::DEFAULT
    };

    async fn run(_ctx: Context<Value>) -> Result<Value> {
        Err(Error::non_retriable("card stolen"))
    }

    async fn on_failure(ctx: Context<FunctionFailed>) -> Result<Value> {
        let failed = &ctx.event.data;
        let note = ctx
            .step
            .run("apologise", || async {
                if failed.event.data["flaky_apology"] == json!(true) {
                    return Err(Error::new("mail server down"));
                }
                Ok(format!("sorry: {}", failed.error.message))
            })
            .await?;
        Ok(json!({ "note": note, "function_id": failed.function_id }))
    }
}

fn entry<F: Function>() -> FunctionEntry {
    FunctionEntry {
        config: Box::leak(Box::new(F::CONFIG)),
        feature: "test",
        source: "features/test/events/event-test.rs",
        module: "test_event_test",
        handler: erase::<F>,
        on_failure: Some(erase_failure::<F>),
    }
}

/// The `inngest/function.failed` event for a failed run of `guarded`.
fn failed_call(data: Value) -> Call {
    let failed = json!({
        "function_id": "demo-app-guarded",
        "run_id": "01HFAILEDRUN",
        "error": { "name": "NonRetriableError", "message": "card stolen" },
        "event": { "name": "test/guarded", "data": data },
    });
    call("inngest/function.failed", failed)
}

fn call(name: &str, data: Value) -> Call {
    let event = Event::new(name, data);
    Call {
        events: vec![event.clone()],
        event,
        steps: HashMap::new(),
        run_id: "01HRUNPLACEHOLDER".to_owned(),
        attempt: 0,
        max_attempts: None,
        disable_immediate_execution: false,
        step_id: None,
    }
}

fn services() -> Services {
    Services {
        app_id: "demo-app".to_owned(),
        events: None,
        outbox: Outbox::new(),
    }
}

fn run(entry: &FunctionEntry, call: &Call) -> CallResult {
    block_on(execute(entry, call.clone(), &services()))
}

fn ops(result: CallResult) -> Vec<Op> {
    match result {
        CallResult::Steps(ops) => ops,
        other => panic!("expected a 206 with ops, got {other:?}"),
    }
}

/// Plays Inngest's part: calls until the function completes, memoizing what each call
/// reports, and returns the final result and the number of calls.
fn drive(entry: &FunctionEntry, mut call: Call) -> (CallResult, usize) {
    for calls in 1..=50 {
        let result = run(entry, &call);
        let CallResult::Steps(ops) = &result else {
            return (result, calls);
        };
        call.step_id = None;
        for op in ops {
            match op.op {
                OpCode::StepRun => {
                    call.steps.insert(op.id.clone(), json!({ "data": op.data }));
                }
                OpCode::StepPlanned => call.step_id = Some(op.id.clone()),
                _ => {
                    call.steps.insert(op.id.clone(), Value::Null);
                }
            }
        }
    }
    panic!("function did not complete within 50 calls")
}

#[test]
fn runs_sequential_steps_one_call_each() {
    let entry = entry::<Sequential>();
    let mut call = call("test/sequential", json!({}));

    let first = ops(run(&entry, &call));
    call.steps
        .insert(first[0].id.clone(), json!({ "data": "first step" }));
    let sleep = ops(run(&entry, &call));
    call.steps.insert(sleep[0].id.clone(), Value::Null);
    let second = ops(run(&entry, &call));
    call.steps
        .insert(second[0].id.clone(), json!({ "data": second[0].data }));
    let done = run(&entry, &call);

    assert_eq!(first[0].op, OpCode::StepRun);
    assert_eq!(first[0].id, "98bf98df193bcce7c33e6bc50927cf2ac21206cb");
    assert_eq!(first[0].data, json!("first step"));
    assert_eq!(sleep[0].op, OpCode::Sleep);
    assert_eq!(sleep[0].id, "c3ca5f787365eae0dea86250e27d476406956478");
    assert_eq!(sleep[0].name, "2s");
    assert_eq!(second[0].id, "764e20ec975d4ef820d0f42e6a5833384bd7ee36");
    assert_eq!(
        second[0].data,
        json!({ "first": "first step", "second": true })
    );
    assert_eq!(
        done,
        CallResult::Completed(json!({
            "body": "ok",
            "second": { "first": "first step", "second": true }
        }))
    );
}

#[test]
fn plans_instead_of_running_when_immediate_execution_is_disabled() {
    let entry = entry::<Sequential>();
    let mut call = call("test/sequential", json!({}));
    call.disable_immediate_execution = true;
    let before = SEQUENTIAL_BODIES.with(|count| count.load(Ordering::SeqCst));

    let planned = ops(run(&entry, &call));

    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].op, OpCode::StepPlanned);
    assert_eq!(planned[0].data, Value::Null);
    assert_eq!(
        SEQUENTIAL_BODIES.with(|count| count.load(Ordering::SeqCst)),
        before
    );
}

#[test]
fn plans_parallel_steps_and_runs_the_targeted_one() {
    let entry = entry::<Parallel>();
    let mut call = call("test/parallel", json!({}));

    let planned = ops(run(&entry, &call));
    call.step_id = Some(planned[0].id.clone());
    call.disable_immediate_execution = true;
    let ran = ops(run(&entry, &call));

    let ids: Vec<_> = planned.iter().map(|op| (op.op, op.id.as_str())).collect();
    assert_eq!(
        ids,
        [
            (
                OpCode::StepPlanned,
                "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"
            ),
            (
                OpCode::StepPlanned,
                "e9d71f5ee7c92d6dc9e92ffdad17b8bd49418f98"
            ),
        ]
    );
    assert_eq!(ran.len(), 1);
    assert_eq!(ran[0].op, OpCode::StepRun);
    assert_eq!(ran[0].data, json!("A"));
}

#[test]
fn completes_a_parallel_run_end_to_end() {
    let entry = entry::<Parallel>();

    let (result, calls) = drive(&entry, call("test/parallel", json!({})));

    assert_eq!(result, CallResult::Completed(json!("AB")));
    assert_eq!(calls, 5);
}

#[test]
fn numbers_repeated_ids_and_runs_bodies_once() {
    let entry = entry::<Looping>();

    let (result, calls) = drive(&entry, call("test/loop", json!({})));

    assert_eq!(result, CallResult::Completed(json!(3)));
    assert_eq!(calls, 7);
    assert_eq!(LOOP_BODIES.with(|count| count.load(Ordering::SeqCst)), 3);
}

#[test]
fn hashes_repeated_sleeps_with_suffixes() {
    let entry = entry::<Looping>();
    let mut call = call("test/loop", json!({}));
    let mut sleeps = Vec::new();

    for i in 0..3 {
        let sleep = ops(run(&entry, &call)).remove(0);
        call.steps.insert(sleep.id.clone(), Value::Null);
        sleeps.push((sleep.id, sleep.userland.index));
        let plop = ops(run(&entry, &call)).remove(0);
        call.steps.insert(plop.id, json!({ "data": i }));
    }

    assert_eq!(
        sleeps,
        [
            ("daaad336276d15594d0e765f96c17cd746bf4971".to_owned(), None),
            (
                "614fa837994b3058aa2bc4bb392b69d2e5049f21".to_owned(),
                Some(1)
            ),
            (
                "7b1a049dee4645d9cdc2dce57baad71da138f183".to_owned(),
                Some(2)
            ),
        ]
    );
}

#[test]
fn reports_step_errors_until_the_last_attempt() {
    let entry = entry::<Failing>();
    let mut call = call("test/fail", json!({}));

    let first = run(&entry, &call);
    call.attempt = 2;
    let last = run(&entry, &call);

    assert_eq!(first.status(), 206);
    assert_eq!(first.no_retry(), Some(false));
    assert_eq!(first.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(ops(first)[0].op, OpCode::StepError);
    assert_eq!(last.no_retry(), Some(true));
    assert_eq!(ops(last)[0].op, OpCode::StepFailed);
}

#[test]
fn asks_for_a_delay_only_while_the_function_will_be_retried() {
    let entry = entry::<Throttled>();
    let mut call = call("test/throttled", json!({}));

    let first = run(&entry, &call);
    call.attempt = 1;
    let last = run(&entry, &call);

    assert_eq!(first.status(), 500);
    assert_eq!(first.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(last.status(), 400);
    assert_eq!(last.no_retry(), Some(true));
    assert_eq!(last.retry_after(), None);
}

#[test]
fn fails_at_once_on_a_non_retriable_step_error() {
    let entry = entry::<Failing>();
    let call = call("test/fail", json!({ "fatal": true }));

    let result = run(&entry, &call);

    assert_eq!(result.no_retry(), Some(true));
    let op = ops(result).remove(0);
    assert_eq!(op.op, OpCode::StepFailed);
    assert_eq!(op.error.unwrap().message, "Should not retry");
}

#[test]
fn throws_a_memoized_error_back_into_the_function() {
    let entry = entry::<Failing>();
    let mut call = call("test/fail", json!({}));
    call.steps.insert(
        "1902e3d6fc4e78a0bcc50ba12b882769afbf4a8c".to_owned(),
        json!({ "error": { "name": "Error", "message": "broken" } }),
    );

    let result = run(&entry, &call);

    assert_eq!(result.status(), 400);
    let CallResult::Failed { error, no_retry } = result else {
        panic!("expected a failure");
    };
    assert!(no_retry);
    assert_eq!(error.message(), "broken");
}

#[test]
fn turns_a_panic_into_a_retriable_failure() {
    let entry = entry::<Panicking>();

    let result = run(&entry, &call("test/panic", json!({})));

    assert_eq!(result.status(), 500);
    assert_eq!(result.no_retry(), Some(false));
}

#[test]
fn turns_a_panic_inside_a_step_into_a_retriable_failure_naming_it() {
    let entry = entry::<PanickingStep>();

    let result = run(&entry, &call("test/panic-step", json!({})));

    let CallResult::Failed { error, no_retry } = result else {
        panic!("expected a failure, got {result:?}");
    };
    assert!(!no_retry);
    assert_eq!(error.name(), "Panic");
    assert!(error.message().contains("step bug"), "{error}");
}

#[test]
fn fails_when_the_targeted_step_is_missing() {
    let entry = entry::<Sequential>();
    let mut call = call("test/sequential", json!({}));
    call.step_id = Some("0000000000000000000000000000000000000000".to_owned());

    let result = run(&entry, &call);

    assert_eq!(result.status(), 500);
}

#[test]
fn reports_waits_and_invokes_and_resumes_with_their_results() {
    let entry = entry::<Waiting>();
    let mut call = call("test/wait", json!({ "id": 7 }));

    let wait = ops(run(&entry, &call)).remove(0);
    call.steps.insert(
        wait.id.clone(),
        json!({ "name": "test/resume", "data": { "id": 7 }, "ts": 1 }),
    );
    let invoke = ops(run(&entry, &call)).remove(0);
    call.steps
        .insert(invoke.id.clone(), json!({ "data": { "y": 2 } }));
    let done = run(&entry, &call);

    assert_eq!(wait.op, OpCode::WaitForEvent);
    assert_eq!(wait.name, "test/resume");
    assert_eq!(
        wait.opts,
        json!({ "event": "test/resume", "timeout": "10s", "if": "event.data.id == async.data.id" })
    );
    assert_eq!(invoke.op, OpCode::InvokeFunction);
    assert_eq!(
        invoke.opts,
        json!({ "function_id": "demo-app-child", "payload": { "data": { "x": 1 } }, "timeout": "1h" })
    );
    assert_eq!(
        done,
        CallResult::Completed(json!({ "resumed": { "id": 7 }, "child": { "y": 2 } }))
    );
}

#[test]
fn resumes_a_timed_out_wait_with_none() {
    let entry = entry::<Waiting>();
    let mut call = call("test/wait", json!({ "id": 7 }));
    call.steps.insert(
        "daaad336276d15594d0e765f96c17cd746bf4971".to_owned(),
        Value::Null,
    );
    call.steps.insert(
        "bc8d8647b02deea0ab3e715c220d041ee78cc19d".to_owned(),
        json!({ "data": null }),
    );

    let done = run(&entry, &call);

    assert_eq!(
        done,
        CallResult::Completed(json!({ "resumed": null, "child": null }))
    );
}

#[test]
fn runs_a_declared_failure_handler_with_the_failed_event() {
    let entry = entry::<Guarded>();

    let (result, calls) = drive_callee(Callee::FailureHandler(&entry), failed_call(json!({})));

    assert_eq!(calls, 2, "one call runs the step, the next completes");
    assert_eq!(
        result,
        CallResult::Completed(json!({
            "note": "sorry: card stolen",
            "function_id": "demo-app-guarded"
        }))
    );
}

#[test]
fn gives_a_failure_handler_two_attempts_by_default() {
    let entry = entry::<Guarded>();
    let mut call = failed_call(json!({ "flaky_apology": true }));

    let first = ops(run_callee(Callee::FailureHandler(&entry), &call));
    call.attempt = 1;
    let last = ops(run_callee(Callee::FailureHandler(&entry), &call));

    assert_eq!(first[0].op, OpCode::StepError);
    assert_eq!(last[0].op, OpCode::StepFailed);
}

#[test]
fn refuses_an_event_that_is_not_a_failure_to_the_failure_handler() {
    let entry = entry::<Guarded>();

    let result = run_callee(
        Callee::FailureHandler(&entry),
        &call("test/guarded", json!({})),
    );

    let CallResult::Failed { error, no_retry } = result else {
        panic!("expected a failure, got {result:?}");
    };
    assert!(no_retry);
    assert!(error.message().contains("invalid data"), "{error}");
}

#[test]
fn fails_without_retry_when_no_failure_handler_is_declared() {
    let entry = FunctionEntry {
        on_failure: None,
        ..entry::<Guarded>()
    };

    let result = run_callee(Callee::FailureHandler(&entry), &failed_call(json!({})));

    assert_eq!(result.status(), 400);
    assert_eq!(result.no_retry(), Some(true));
}

fn run_callee(callee: Callee<'_>, call: &Call) -> CallResult {
    block_on(execute(callee, call.clone(), &services()))
}

/// As [`drive`], for a callee.
fn drive_callee(callee: Callee<'_>, mut call: Call) -> (CallResult, usize) {
    for calls in 1..=10 {
        let result = run_callee(callee, &call);
        let CallResult::Steps(ops) = &result else {
            return (result, calls);
        };
        for op in ops {
            call.steps.insert(op.id.clone(), json!({ "data": op.data }));
        }
    }
    panic!("failure handler did not complete within 10 calls")
}
