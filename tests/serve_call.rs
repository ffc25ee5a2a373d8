//! POST `/api/inngest` in dev mode: whole runs played call by call with the memoized state
//! fed back, every status and header rule of PROTOCOL.md 1.5, function lookup (C13), body
//! errors (C07), body sizes (C18), error classes (C19), panics, `use_api` and
//! `step.send_event`.

mod support {
    pub mod app;
    pub mod functions;
    pub mod mock_api;
}

use std::sync::atomic::Ordering;

use actix_web::test::{self as actix_test, TestRequest};
use actix_web::App;
use serde_json::{json, Value};
use support::app::{
    call_uri, config, dev_state, drive, post, send, state, CallBody, Reply, APP_ID,
};
use support::functions::{STEPS_BODIES, STEPS_CALLS};
use support::mock_api::{closed_origin, MockApi};
use switchyard::runtime::hash_step_id;
use switchyard::server::routes;

const FIRST_STEP: &str = "98bf98df193bcce7c33e6bc50927cf2ac21206cb";
const SLEEP: &str = "c3ca5f787365eae0dea86250e27d476406956478";
const SECOND_STEP: &str = "764e20ec975d4ef820d0f42e6a5833384bd7ee36";
const A: &str = "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8";
const B: &str = "e9d71f5ee7c92d6dc9e92ffdad17b8bd49418f98";
const BAD: &str = "1902e3d6fc4e78a0bcc50ba12b882769afbf4a8c";

fn composite(id: &str) -> String {
    format!("{APP_ID}-{id}")
}

fn op_codes(reply: &Reply) -> Vec<String> {
    reply
        .json()
        .as_array()
        .expect("an array of ops")
        .iter()
        .map(|op| op["op"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn assert_sdk_headers(reply: &Reply) {
    assert_eq!(
        reply.header("x-inngest-sdk"),
        Some(switchyard::server::headers::SDK)
    );
    assert_eq!(reply.header("x-inngest-req-version"), Some("2"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

async fn call_once(fn_id: &str, call: &CallBody) -> Reply {
    let state = dev_state(&closed_origin());
    send(
        &state,
        post(&call_uri(&composite(fn_id), "step"), &call.bytes(), None),
    )
    .await
}

#[actix_web::test]
async fn runs_sequential_steps_call_by_call_running_each_body_once() {
    let state = dev_state(&closed_origin());

    let replies = drive(
        &state,
        &composite("steps"),
        CallBody::new("test/steps", json!({})),
        None,
    )
    .await;

    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    assert_eq!(statuses, [206, 206, 206, 200]);
    let ops: Vec<Value> = replies[..3]
        .iter()
        .map(|reply| reply.json()[0].clone())
        .collect();
    assert_eq!(
        (ops[0]["op"].as_str(), ops[0]["id"].as_str()),
        (Some("StepRun"), Some(FIRST_STEP))
    );
    assert_eq!(ops[0]["data"], "first step");
    assert_eq!(ops[0]["userland"], json!({ "id": "first step" }));
    assert_eq!(
        (ops[1]["op"].as_str(), ops[1]["id"].as_str()),
        (Some("Sleep"), Some(SLEEP))
    );
    assert_eq!(ops[1]["name"], "2s");
    assert_eq!(
        (ops[2]["op"].as_str(), ops[2]["id"].as_str()),
        (Some("StepRun"), Some(SECOND_STEP))
    );
    assert_eq!(
        replies[3].json(),
        json!({ "body": "ok", "second": { "first": "first step", "second": true } })
    );
    for reply in &replies {
        assert_sdk_headers(reply);
        assert_eq!(reply.header("x-inngest-no-retry"), None);
        assert_eq!(reply.header("x-inngest-signature"), None);
    }
    assert_eq!(
        STEPS_BODIES.load(Ordering::SeqCst),
        2,
        "each step body once"
    );
    assert_eq!(
        STEPS_CALLS.load(Ordering::SeqCst),
        4,
        "code outside steps on every call"
    );
}

#[actix_web::test]
async fn plans_parallel_steps_and_runs_each_when_targeted() {
    let state = dev_state(&closed_origin());

    let replies = drive(
        &state,
        &composite("parallel"),
        CallBody::new("test/parallel", json!({})),
        None,
    )
    .await;

    let first = replies[0].json();
    assert_eq!(op_codes(&replies[0]), ["StepPlanned", "StepPlanned"]);
    assert_eq!(
        (first[0]["id"].as_str(), first[1]["id"].as_str()),
        (Some(A), Some(B))
    );
    assert_eq!(first[0]["data"], Value::Null);
    assert_eq!(op_codes(&replies[1]), ["StepRun"]);
    assert_eq!(replies[1].json()[0]["id"], A);
    assert_eq!(op_codes(&replies[2]), ["StepRun"]);
    assert_eq!(replies[2].json()[0]["id"], B);
    assert_eq!(op_codes(&replies[3]), ["StepPlanned"]);
    assert_eq!(replies[3].json()[0]["id"], hash_step_id("c"));
    let last = replies.last().unwrap();
    assert_eq!((last.status, last.json()), (200, json!("AB")));
}

#[actix_web::test]
async fn plans_a_single_step_when_immediate_execution_is_disabled() {
    let mut call = CallBody::new("app/big", json!({}));
    call.disable_immediate_execution = true;

    let reply = call_once("big", &call).await;

    assert_eq!(reply.status, 206);
    assert_eq!(op_codes(&reply), ["StepPlanned"]);
    assert_eq!(reply.json()[0]["id"], hash_step_id("load"));
}

#[actix_web::test]
async fn reports_step_errors_until_the_last_attempt_then_fails_for_good() {
    let state = dev_state(&closed_origin());

    let replies = drive(
        &state,
        &composite("flaky"),
        CallBody::new("test/flaky", json!({})),
        None,
    )
    .await;

    let codes: Vec<Vec<String>> = replies[..4].iter().map(op_codes).collect();
    assert_eq!(
        codes,
        [["StepError"], ["StepError"], ["StepError"], ["StepFailed"]]
    );
    for reply in &replies[..3] {
        assert_eq!(reply.header("x-inngest-no-retry"), Some("false"));
        assert_eq!(
            reply.json()[0]["error"],
            json!({"name": "Error", "message": "broken"})
        );
    }
    assert_eq!(replies[3].header("x-inngest-no-retry"), Some("true"));
    assert_eq!(replies[3].json()[0]["id"], BAD);
    let last = &replies[4];
    assert_eq!(last.status, 400);
    assert_eq!(last.header("x-inngest-no-retry"), Some("true"));
    assert_eq!(last.json(), json!({"name": "Error", "message": "broken"}));
}

#[actix_web::test]
async fn fails_a_step_at_once_when_the_function_never_retries() {
    let reply = call_once("strict", &CallBody::new("test/strict", json!({}))).await;

    assert_eq!(reply.status, 206);
    assert_eq!(op_codes(&reply), ["StepFailed"]);
    assert_eq!(reply.header("x-inngest-no-retry"), Some("true"));
}

#[actix_web::test]
async fn asks_for_a_delay_when_a_step_wants_one() {
    let reply = call_once(
        "flaky",
        &CallBody::new("test/flaky", json!({ "later": true })),
    )
    .await;

    assert_eq!(reply.status, 206);
    assert_eq!(op_codes(&reply), ["StepError"]);
    assert_eq!(reply.header("x-inngest-no-retry"), Some("false"));
    assert_eq!(reply.header("retry-after"), Some("30"));
}

#[actix_web::test]
async fn never_retries_a_non_retriable_step_error() {
    let state = dev_state(&closed_origin());

    let replies = drive(
        &state,
        &composite("non-retriable"),
        CallBody::new("test/non-retriable", json!({})),
        None,
    )
    .await;

    assert_eq!(replies.len(), 2);
    assert_eq!(op_codes(&replies[0]), ["StepFailed"]);
    assert_eq!(replies[0].header("x-inngest-no-retry"), Some("true"));
    assert_eq!(replies[1].status, 400);
    assert_eq!(replies[1].header("x-inngest-no-retry"), Some("true"));
    assert_eq!(
        replies[1].json(),
        json!({"name": "NonRetriableError", "message": "Should not retry"})
    );
}

#[actix_web::test]
async fn answers_function_errors_by_class() {
    let cases = [
        (
            "plain",
            500,
            "false",
            None,
            json!({"name": "Error", "message": "broken func"}),
        ),
        (
            "later",
            500,
            "false",
            Some("2"),
            json!({"name": "RetryAfterError", "message": "slow down"}),
        ),
        (
            "fatal",
            400,
            "true",
            None,
            json!({"name": "NonRetriableError", "message": "Should not retry"}),
        ),
    ];

    for (mode, status, no_retry, retry_after, body) in cases {
        let reply = call_once(
            "fails",
            &CallBody::new("test/fails", json!({ "mode": mode })),
        )
        .await;

        assert_eq!(reply.status, status, "{mode}");
        assert_sdk_headers(&reply);
        assert_eq!(reply.header("x-inngest-no-retry"), Some(no_retry), "{mode}");
        assert_eq!(reply.header("retry-after"), retry_after, "{mode}");
        assert_eq!(reply.json(), body, "{mode}");
    }
}

#[actix_web::test]
async fn refuses_an_event_that_matches_none_of_the_triggers_without_retry() {
    let reply = call_once(
        "fails",
        &CallBody::new("test/other", json!({ "mode": "plain" })),
    )
    .await;

    assert_eq!(reply.status, 400);
    assert_sdk_headers(&reply);
    assert_eq!(reply.header("x-inngest-no-retry"), Some("true"));
    assert_eq!(
        reply.json(),
        json!({
            "name": "EventValidationError",
            "message": "Event not found in triggers: test/other",
        })
    );
}

#[actix_web::test]
async fn answers_a_panic_as_a_retriable_500_and_keeps_serving() {
    let state = dev_state(&closed_origin());
    let app = actix_test::init_service(App::new().configure(routes(state))).await;
    let panics = CallBody::new("test/panics", json!({})).bytes();
    let fine = CallBody::new("app/pages.updated", json!({})).bytes();

    let panicked = actix_test::call_service(
        &app,
        post(&call_uri(&composite("panics"), "step"), &panics, None).to_request(),
    )
    .await;
    let (status, no_retry) = (
        panicked.status().as_u16(),
        panicked.headers().get("x-inngest-no-retry").cloned(),
    );
    let body: Value = actix_test::read_body_json(panicked).await;
    let after = actix_test::call_service(
        &app,
        post(
            &call_uri(&composite("summarize-pages"), "step"),
            &fine,
            None,
        )
        .to_request(),
    )
    .await;

    assert_eq!(status, 500);
    assert_eq!(no_retry.unwrap(), "false");
    assert_eq!(body["name"], "Panic");
    assert!(
        body["message"].as_str().unwrap().contains("handler bug"),
        "{body}"
    );
    assert_eq!(body.as_object().unwrap().len(), 2, "no stack trace: {body}");
    assert_eq!(after.status().as_u16(), 200);
}

#[actix_web::test]
async fn finds_functions_by_composite_or_bare_id_and_names_unknown_ones() {
    let state = dev_state(&closed_origin());
    let body = CallBody::new("app/pages.updated", json!({})).bytes();
    let found = ["demo-app-summarize-pages", "summarize-pages"];
    let unknown = [
        "demo-app-nope",
        "demo-app-demo-app-summarize-pages",
        "other-app-summarize-pages",
    ];

    for id in found {
        let reply = send(&state, post(&call_uri(id, "step"), &body, None)).await;

        assert_eq!(
            (reply.status, reply.json()),
            (200, json!("summary")),
            "{id}"
        );
    }
    for id in unknown {
        let reply = send(&state, post(&call_uri(id, "step"), &body, None)).await;

        assert_eq!(reply.status, 500, "{id}");
        assert_eq!(reply.header("x-inngest-no-retry"), Some("false"), "{id}");
        let message = reply.message();
        assert!(message.contains(&format!("`{id}`")), "{message}");
        assert!(message.contains("may need a sync"), "{message}");
    }
}

#[actix_web::test]
async fn runs_a_functions_own_failure_handler_by_its_failure_id() {
    let state = dev_state(&closed_origin());
    let failed = json!({
        "function_id": composite("fails"),
        "run_id": "01HFAILEDRUN",
        "event": { "name": "test/fails", "data": { "mode": "fatal" } },
        "error": { "name": "NonRetriableError", "message": "Should not retry" },
    });

    let mut runs = Vec::new();
    for id in [composite("fails-failure"), "fails-failure".to_owned()] {
        let call = CallBody::new("inngest/function.failed", failed.clone());
        runs.push(drive(&state, &id, call, None).await);
    }

    for replies in runs {
        let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
        assert_eq!(statuses, [206, 200]);
        assert_eq!(op_codes(&replies[0]), ["StepRun"]);
        assert_eq!(replies[0].json()[0]["id"], hash_step_id("note"));
        assert_eq!(
            replies[1].json(),
            json!({ "note": "demo-app-fails: Should not retry", "run_id": "01HFAILEDRUN" })
        );
        assert_sdk_headers(&replies[1]);
    }
}

#[actix_web::test]
async fn refuses_an_event_that_is_no_failure_and_an_undeclared_failure_handler() {
    let not_a_failure = CallBody::new("test/fails", json!({}));

    let refused = call_once("fails-failure", &not_a_failure).await;
    let undeclared = call_once("steps-failure", &not_a_failure).await;

    assert_eq!(
        refused.status, 400,
        "event data that is no failure cannot be retried"
    );
    assert_eq!(refused.header("x-inngest-no-retry"), Some("true"));
    assert!(
        refused.message().contains("invalid data"),
        "{}",
        refused.message()
    );
    assert_eq!(undeclared.status, 500);
    let message = undeclared.message();
    assert!(message.contains("`demo-app-steps-failure`"), "{message}");
    assert!(message.contains("may need a sync"), "{message}");
}

#[actix_web::test]
async fn reaches_the_handlers_with_a_trailing_slash_and_any_query() {
    let state = dev_state(&closed_origin());
    let body = CallBody::new("app/pages.updated", json!({})).bytes();
    let uri = "/api/inngest/?fnId=demo-app-summarize-pages&stepId=step&extra=1";

    let called = send(&state, post(uri, &body, None)).await;
    let synced = send(
        &state,
        TestRequest::put().uri("/api/inngest/?deployId=dpl_1&x=y"),
    )
    .await;

    assert_eq!((called.status, called.json()), (200, json!("summary")));
    assert_eq!(
        synced.status, 500,
        "the sync ran and found no Inngest to talk to"
    );
    assert_eq!(synced.json()["modified"], false);
}

#[actix_web::test]
async fn requires_a_function_id() {
    let state = dev_state(&closed_origin());
    let body = CallBody::new("app/pages.updated", json!({})).bytes();

    let reply = send(&state, post("/api/inngest?stepId=step", &body, None)).await;

    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("x-inngest-no-retry"), Some("true"));
    assert!(reply.message().contains("fnId"), "{}", reply.message());
}

#[actix_web::test]
async fn keeps_empty_bodies_broken_json_and_bad_fields_apart() {
    let state = dev_state(&closed_origin());
    let uri = call_uri(&composite("summarize-pages"), "step");
    let cases: [(&[u8], &str); 5] = [
        (b"", "request body is empty"),
        (b"  \n", "request body is empty"),
        (b"event=x", "request body is not JSON"),
        (
            br#"{"event":{"name":"a","data":{}},"ctx":{"attempt":"one"}}"#,
            "`ctx.attempt`",
        ),
        (br#"{"events":[]}"#, "missing field `event`"),
    ];

    for (body, expected) in cases {
        let reply = send(&state, post(&uri, body, None)).await;

        assert_eq!(reply.status, 400, "{expected}");
        assert_eq!(reply.header("x-inngest-no-retry"), Some("true"));
        assert!(reply.message().contains(expected), "{}", reply.message());
    }
}

#[actix_web::test]
async fn reads_the_body_whatever_its_content_type() {
    let state = dev_state(&closed_origin());
    let body = CallBody::new("app/pages.updated", json!({})).bytes();
    let uri = call_uri(&composite("summarize-pages"), "step");

    for content_type in ["text/plain", "application/octet-stream"] {
        let request = TestRequest::post()
            .uri(&uri)
            .insert_header(("content-type", content_type))
            .set_payload(body.clone());

        let reply = send(&state, request).await;

        assert_eq!(reply.status, 200, "{content_type}");
    }
}

#[actix_web::test]
async fn refuses_compressed_bodies_with_a_clear_message() {
    let state = dev_state(&closed_origin());
    let request = post(&call_uri(&composite("big"), "step"), b"\x1f\x8b", None)
        .insert_header(("content-encoding", "gzip"));

    let reply = send(&state, request).await;

    assert_eq!(reply.status, 415);
    assert!(reply.message().contains("gzip"), "{}", reply.message());
}

fn big_call(memoized: usize) -> CallBody {
    let mut call = CallBody::new("app/big", json!({ "size": memoized }));
    call.memoize(
        &hash_step_id("load"),
        json!({ "data": "x".repeat(memoized) }),
    );
    call
}

#[actix_web::test]
async fn accepts_large_memoized_steps_under_the_default_cap() {
    let state = dev_state(&closed_origin());

    for size in [300_000, 5_000_000] {
        let reply = send(
            &state,
            post(
                &call_uri(&composite("big"), "step"),
                &big_call(size).bytes(),
                None,
            ),
        )
        .await;

        assert_eq!(
            (reply.status, reply.json()),
            (200, json!(size)),
            "{size} bytes"
        );
    }
}

#[actix_web::test]
async fn refuses_bodies_over_the_configured_cap_with_413_naming_the_setting() {
    let limited = state(config(&[
        ("INNGEST_DEV", "1"),
        ("SWITCHYARD_MAX_BODY_BYTES", "100000"),
    ]));
    let body = big_call(300_000).bytes();

    let reply = send(
        &limited,
        post(&call_uri(&composite("big"), "step"), &body, None),
    )
    .await;

    assert_eq!(reply.status, 413);
    assert!(
        reply.message().contains("SWITCHYARD_MAX_BODY_BYTES"),
        "{}",
        reply.message()
    );
}

#[actix_web::test]
async fn answers_the_trust_probe_and_refuses_unknown_probes() {
    let state = dev_state(&closed_origin());

    let trust = send(&state, post("/api/inngest?probe=trust", b"", None)).await;
    let other = send(&state, post("/api/inngest?probe=other", b"", None)).await;

    assert_eq!(trust.status, 200);
    assert!(trust.body.is_empty());
    assert_eq!(
        trust.header("x-inngest-sdk"),
        Some(switchyard::server::headers::SDK)
    );
    assert_eq!(other.status, 400);
    assert!(other.message().contains("`other`"), "{}", other.message());
}

#[actix_web::test]
async fn fetches_events_and_steps_from_the_api_when_told_to() {
    let mock = MockApi::start(|request| match request.path.as_str() {
        "/v0/runs/01HRUNPLACEHOLDER/batch" => {
            (200, json!([{ "name": "app/big", "data": { "size": 3 } }]))
        }
        "/v0/runs/01HRUNPLACEHOLDER/actions" => {
            (200, json!({ hash_step_id("load"): { "data": "abcde" } }))
        }
        _ => (404, json!({ "error": "no such route" })),
    })
    .await;
    let state = dev_state(&mock.origin);
    let body = json!({
        "event": { "name": "app/big", "data": {} },
        "events": [],
        "steps": {},
        "ctx": { "run_id": "01HRUNPLACEHOLDER", "attempt": 0, "use_api": true },
        "use_api": true
    });

    let reply = send(
        &state,
        post(
            &call_uri(&composite("big"), "step"),
            body.to_string().as_bytes(),
            None,
        ),
    )
    .await;
    let paths: Vec<String> = mock.requests().into_iter().map(|r| r.path).collect();
    mock.stop().await;

    assert_eq!((reply.status, reply.json()), (200, json!(5)));
    assert_eq!(
        paths,
        [
            "/v0/runs/01HRUNPLACEHOLDER/batch",
            "/v0/runs/01HRUNPLACEHOLDER/actions"
        ]
    );
}

#[actix_web::test]
async fn answers_500_when_the_run_data_cannot_be_fetched() {
    let mock = MockApi::start(|_| (500, json!({ "error": "store down" }))).await;
    let state = dev_state(&mock.origin);
    let body = br#"{"event":{"name":"app/big","data":{}},"ctx":{"run_id":"r1","use_api":true}}"#;

    let reply = send(
        &state,
        post(&call_uri(&composite("big"), "step"), body, None),
    )
    .await;
    mock.stop().await;

    assert_eq!(reply.status, 500);
    assert_eq!(reply.header("x-inngest-no-retry"), Some("false"));
    assert!(
        reply.message().contains("store down"),
        "{}",
        reply.message()
    );
}

#[actix_web::test]
async fn sends_events_from_steps_to_the_event_api() {
    let mock = MockApi::start(|_| (200, json!({ "ids": ["01HEVENT"], "status": 200 }))).await;
    let keyed = state(config(&[
        ("INNGEST_DEV", "1"),
        ("INNGEST_EVENT_API_BASE_URL", &mock.origin),
        ("INNGEST_EVENT_KEY", "evtkey123"),
        ("INNGEST_ENV", "branch-1"),
    ]));

    let reply = call_with(&keyed, "sender", "test/send").await;
    let requests = mock.requests();
    mock.stop().await;

    assert_eq!(reply.status, 206);
    assert_eq!(op_codes(&reply), ["StepRun"]);
    assert_eq!(reply.json()[0]["data"], json!(["01HEVENT"]));
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/e/evtkey123");
    assert_eq!(requests[0].header("x-inngest-env"), Some("branch-1"));
    assert_eq!(
        requests[0].json(),
        json!([{ "name": "test/notified", "data": { "by": "sender" } }])
    );
}

#[actix_web::test]
async fn reports_a_refused_event_as_a_step_error_without_the_key() {
    let mock = MockApi::start(|_| (401, json!({ "error": "Event key not found" }))).await;
    let keyed = state(config(&[
        ("INNGEST_DEV", "1"),
        ("INNGEST_BASE_URL", &mock.origin),
        ("INNGEST_EVENT_KEY", "evtkey123"),
    ]));

    let reply = call_with(&keyed, "sender", "test/send").await;
    mock.stop().await;

    assert_eq!(op_codes(&reply), ["StepError"]);
    let message = reply.json()[0]["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("Event key not found"), "{message}");
    assert!(!message.contains("evtkey123"), "{message}");
}

async fn call_with(state: &switchyard::server::AppState, id: &str, event: &str) -> Reply {
    let body = CallBody::new(event, json!({})).bytes();
    send(state, post(&call_uri(&composite(id), "step"), &body, None)).await
}
