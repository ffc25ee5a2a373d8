//! The embedded engine's HTTP surface on the app's server: the event API `POST /e/{key}` and
//! the dev-mode listings under `/api/engine/`, driven on an in-memory engine with a fake
//! clock, and their absence when no engine runs.

use std::sync::Arc;

use actix_web::test::{self, TestRequest};
use actix_web::App;
use serde_json::{json, Value};
use switchyard::config::Config;
use switchyard::embedded::Embedded;
use switchyard::registry::REGISTRY;
use switchyard::runtime::hash_step_id;
use switchyard::server::{routes, AppState};
use switchyard_engine::{Engine, FakeClock, Location};

/// 2026-03-10T08:00:00Z.
const START_MS: i64 = 1_773_129_600_000;

fn config(vars: &[(&str, &str)]) -> Config {
    let lookup = |name: &str| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    };
    Config::from_lookup(Some("demo-app"), lookup).expect("a valid test configuration")
}

/// An app with an in-memory engine over the example app, configured by `vars`.
fn app_with_engine(vars: &[(&str, &str)]) -> (AppState, Engine) {
    let clock = FakeClock::new(START_MS);
    let engine = Engine::open(Location::Memory, &REGISTRY, Arc::new(clock))
        .expect("an in-memory engine")
        .with_app_id("demo-app");
    let embedded = Embedded {
        engine: engine.clone(),
        location: Location::Memory,
    };
    let state = AppState::new(config(vars), &REGISTRY)
        .expect("an HTTP client")
        .with_engine(embedded);
    (state, engine)
}

/// Sends `request` to a fresh app on `state`; returns the status, the `Allow` header and the
/// body as JSON (null when empty).
async fn send(state: &AppState, request: TestRequest) -> (u16, Option<String>, Value) {
    let app = test::init_service(App::new().configure(routes(state.clone()))).await;
    let response = test::call_service(&app, request.to_request()).await;
    let status = response.status().as_u16();
    let allow = response
        .headers()
        .get("allow")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = test::read_body(response).await;
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).expect("a JSON body")
    };
    (status, allow, json)
}

fn post_events(key: &str, body: &str) -> TestRequest {
    TestRequest::post()
        .uri(&format!("/e/{key}"))
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_owned())
}

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

#[actix_web::test]
async fn stores_one_event_or_an_array_and_answers_with_their_ids() {
    let (state, _) = app_with_engine(&[]);
    let one = r#"{"name": "conformance/sequential", "data": {"name": "ada"}}"#;
    let two = r#"[{"name": "conformance/sequential", "data": {"name": "bo"}},
                  {"name": "conformance/parallel", "data": {"left": 1, "right": 2}}]"#;

    let (single_status, _, single) = send(&state, post_events("key", one)).await;
    let (batch_status, _, batch) = send(&state, post_events("key", two)).await;
    let (_, _, events) = send(&state, get("/api/engine/events")).await;
    let (_, _, runs) = send(&state, get("/api/engine/runs")).await;

    assert_eq!(single_status, 200);
    assert_eq!(single["status"], 200);
    assert_eq!(single["ids"].as_array().map(Vec::len), Some(1));
    assert_eq!(batch_status, 200);
    assert_eq!(batch["ids"].as_array().map(Vec::len), Some(2));
    let names: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| &event["name"])
        .collect();
    assert_eq!(
        names,
        [
            "conformance/parallel",
            "conformance/sequential",
            "conformance/sequential"
        ]
    );
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs.iter().all(|run| run["status"] == "queued"), "{runs:?}");
}

#[actix_web::test]
async fn shows_a_completed_run_with_its_steps_and_output() {
    let (state, engine) = app_with_engine(&[]);
    let event = r#"{"name": "conformance/sequential", "data": {"name": "ada"}}"#;

    send(&state, post_events("key", event)).await;
    engine.run_until_idle().await.unwrap();
    let (_, _, listing) = send(&state, get("/api/engine/runs")).await;
    let id = listing["runs"][0]["id"].as_str().unwrap().to_owned();
    let (status, _, run) = send(&state, get(&format!("/api/engine/runs/{id}"))).await;

    assert_eq!(status, 200);
    assert_eq!(run["id"], id.as_str());
    assert_eq!(run["function_id"], "conformance-sequential");
    assert_eq!(run["status"], "completed");
    assert_eq!(run["attempt"], 0);
    assert_eq!(run["created_at"], START_MS);
    assert_eq!(run["duration_ms"], 0);
    assert_eq!(
        run["output"],
        json!({"greeting": "hello ada", "shout": "HELLO ADA", "length": 9})
    );
    let steps = run["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0]["id"], hash_step_id("greet"));
    assert_eq!(steps[0]["result"], json!({"data": "hello ada"}));
    assert_eq!(steps[2]["id"], hash_step_id("measure"));
}

#[actix_web::test]
async fn refuses_bad_events_naming_the_index_and_field_and_stores_none() {
    let (state, _) = app_with_engine(&[]);
    let cases = [
        (
            r#"[{"name": "a/b"}, {"data": {}}]"#,
            "event 1 field `name` is missing or empty",
        ),
        (
            r#"{"name": "a/b", "data": [1]}"#,
            "event 0 field `data` is not an object",
        ),
        (
            r#"[{"name": "a/b"}, {"name": "inngest/function.failed"}]"#,
            "event 1 field `name` uses the reserved `inngest/` prefix",
        ),
        (
            r#"[{"name": "a/b", "ts": "soon"}]"#,
            "event 0 field `ts` is not an integer",
        ),
        (r#"[{"name": "a/b"}, 3]"#, "event 1 is not an object"),
        (
            "{",
            "request body is not an event or an array of events: not JSON",
        ),
        (
            "",
            "request body is not an event or an array of events: it is empty",
        ),
        (
            "\"a/b\"",
            "request body is not an event or an array of events: it is a string",
        ),
    ];

    for (body, expected) in cases {
        let (status, _, answer) = send(&state, post_events("key", body)).await;

        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["status"], 400, "{body}");
        assert_eq!(answer["ids"], json!([]), "{body}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.starts_with(expected), "{body}: {error}");
    }
    let (_, _, events) = send(&state, get("/api/engine/events")).await;
    assert_eq!(
        events["events"],
        json!([]),
        "nothing of a refused batch is stored"
    );
}

#[actix_web::test]
async fn refuses_a_body_over_the_cap() {
    let (state, _) = app_with_engine(&[("SWITCHYARD_MAX_BODY_BYTES", "64")]);
    let data = "x".repeat(100);
    let body = json!({"name": "a/b", "data": {"blob": data}}).to_string();

    let (status, _, answer) = send(&state, post_events("key", &body)).await;

    assert_eq!(status, 413);
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(message.contains("SWITCHYARD_MAX_BODY_BYTES"), "{answer}");
}

#[actix_web::test]
async fn takes_any_key_unless_an_event_key_is_configured() {
    let (open, _) = app_with_engine(&[]);
    let (keyed, _) = app_with_engine(&[("INNGEST_EVENT_KEY", "evtkey123")]);
    let event = r#"{"name": "a/b"}"#;

    let (any, _, _) = send(&open, post_events("whatever", event)).await;
    let (wrong, _, refused) = send(&keyed, post_events("whatever", event)).await;
    let (right, _, _) = send(&keyed, post_events("evtkey123", event)).await;

    assert_eq!(any, 200);
    assert_eq!(wrong, 401);
    assert_eq!(
        refused,
        json!({"ids": [], "status": 401, "error": "Event key not found"})
    );
    assert_eq!(right, 200);
}

#[actix_web::test]
async fn starts_one_run_for_an_event_id_seen_before() {
    let (state, _) = app_with_engine(&[]);
    let event = r#"{"name": "conformance/sequential", "data": {"name": "ada"}, "id": "once"}"#;

    let (_, _, first) = send(&state, post_events("key", event)).await;
    let (_, _, again) = send(&state, post_events("key", event)).await;
    let (_, _, runs) = send(&state, get("/api/engine/runs")).await;

    assert_eq!(first["ids"], again["ids"]);
    assert_eq!(runs["runs"].as_array().map(Vec::len), Some(1));
}

#[actix_web::test]
async fn narrows_listings_by_status_function_and_limit() {
    let (state, engine) = app_with_engine(&[]);
    let events = json!([
        {"name": "conformance/sequential", "data": {"name": "ada"}},
        {"name": "conformance/parallel", "data": {"left": 1, "right": 2}},
        {"name": "conformance/sleep", "data": {}},
    ]);
    send(&state, post_events("key", &events.to_string())).await;
    engine.run_until_idle().await.unwrap();

    let cases = [
        ("/api/engine/runs", 3),
        ("/api/engine/runs?limit=2", 2),
        ("/api/engine/runs?status=completed", 2),
        ("/api/engine/runs?status=sleeping", 1),
        ("/api/engine/runs?status=failed", 0),
        ("/api/engine/runs?function_id=conformance-parallel", 1),
        ("/api/engine/runs?status=&limit=", 3),
        ("/api/engine/runs/", 3),
    ];

    for (uri, count) in cases {
        let (status, _, listing) = send(&state, get(uri)).await;

        assert_eq!(status, 200, "{uri}");
        assert_eq!(
            listing["runs"].as_array().map(Vec::len),
            Some(count),
            "{uri}"
        );
    }
    let (_, _, sleeping) = send(&state, get("/api/engine/runs?status=sleeping")).await;
    assert_eq!(sleeping["runs"][0]["function_id"], "conformance-sleep");
    let (_, _, events) = send(&state, get("/api/engine/events?limit=1")).await;
    assert_eq!(events["events"].as_array().map(Vec::len), Some(1));
}

#[actix_web::test]
async fn names_the_query_parameter_it_cannot_use() {
    let (state, _) = app_with_engine(&[]);
    let cases = [
        ("/api/engine/runs?limit=0", "`limit` `0`"),
        ("/api/engine/runs?limit=ten", "`limit` `ten`"),
        ("/api/engine/runs?limit=10001", "`limit` `10001`"),
        ("/api/engine/runs?status=done", "`status` `done`"),
        ("/api/engine/events?limit=-1", "`limit` `-1`"),
    ];

    for (uri, parameter) in cases {
        let (status, _, answer) = send(&state, get(uri)).await;

        assert_eq!(status, 400, "{uri}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(&format!("invalid query parameter {parameter}")),
            "{uri}: {message}"
        );
    }
}

#[actix_web::test]
async fn refuses_a_parameter_given_twice_naming_it() {
    let (state, _) = app_with_engine(&[]);
    let cases = [
        (
            "/api/engine/runs?status=completed&status=failed",
            "`status`",
        ),
        ("/api/engine/runs?limit=5&limit=6", "`limit`"),
        ("/api/engine/outbox?limit=5&limit=6", "`limit`"),
    ];

    for (uri, parameter) in cases {
        let (status, _, answer) = send(&state, get(uri)).await;

        assert_eq!(status, 400, "{uri}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("invalid query string"),
            "{uri}: {message}"
        );
        assert!(message.contains(parameter), "{uri}: {message}");
    }
}

#[actix_web::test]
async fn answers_404_naming_an_unknown_run() {
    let (state, _) = app_with_engine(&[]);

    let (status, _, answer) = send(&state, get("/api/engine/runs/01NOSUCHRUN")).await;

    assert_eq!(status, 404);
    assert_eq!(answer["message"], "no run with id `01NOSUCHRUN`");
}

#[actix_web::test]
async fn answers_405_to_other_methods_naming_the_allowed_one() {
    let (state, _) = app_with_engine(&[]);
    let cases = [
        (TestRequest::get().uri("/e/key"), "POST"),
        (TestRequest::post().uri("/api/engine/runs"), "GET"),
        (TestRequest::delete().uri("/api/engine/runs/01A"), "GET"),
        (TestRequest::put().uri("/api/engine/events"), "GET"),
    ];

    for (request, allowed) in cases {
        let (status, allow, _) = send(&state, request).await;

        assert_eq!(status, 405);
        assert_eq!(allow.as_deref(), Some(allowed));
    }
}

#[actix_web::test]
async fn shows_what_functions_would_have_delivered_newest_first() {
    let (state, engine) = app_with_engine(&[]);
    let sample = include_str!("../features/auth/samples/sign-up-welcome-email.json");

    send(&state, post_events("key", sample)).await;
    engine.run_until_idle().await.unwrap();
    let (status, _, all) = send(&state, get("/api/engine/outbox")).await;
    let (_, _, one) = send(&state, get("/api/engine/outbox?limit=1")).await;

    assert_eq!(status, 200);
    let deliveries = all["deliveries"].as_array().unwrap();
    assert!(!deliveries.is_empty(), "{all}");
    let recorded = engine.outbox().entries();
    assert_eq!(deliveries.len(), recorded.len());
    assert_eq!(deliveries[0]["to"], recorded.last().unwrap().to.as_str());
    assert_eq!(one["deliveries"].as_array().map(Vec::len), Some(1));
}

#[actix_web::test]
async fn serves_none_of_it_without_the_engine() {
    let state = AppState::new(config(&[("INNGEST_DEV", "1")]), &REGISTRY).unwrap();
    let requests = [
        post_events("evtkey123", r#"{"name": "a/b"}"#),
        get("/api/engine/runs"),
        get("/api/engine/runs/01A"),
        get("/api/engine/events"),
        get("/api/engine/outbox"),
    ];

    for request in requests {
        let (status, _, answer) = send(&state, request).await;

        assert_eq!(status, 404, "{answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("the embedded engine is off"),
            "{message}"
        );
        assert!(!message.contains("evtkey123"), "{message}");
    }
}
