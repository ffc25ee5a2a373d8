//! Building the app under test and talking to it: configuration from variables, requests,
//! signatures, call bodies, and a driver that plays Inngest's executor through a whole run.

#![allow(dead_code)]

use actix_web::http::header::HeaderMap;
use actix_web::test::{self, TestRequest};
use actix_web::web::Bytes;
use actix_web::App;
use serde_json::{json, Map, Value};
use switchyard::config::Config;
use switchyard::runtime::signature::SigningKey;
use switchyard::server::{routes, AppState};

use super::functions::REGISTRY;

/// The app id of every test app.
pub const APP_ID: &str = "demo-app";
/// The primary signing key.
pub const KEY: &str = "signkey-test-12345678";
/// The fallback signing key.
pub const FALLBACK: &str = "signkey-test-87654321";
/// A fixed "now", in Unix seconds.
pub const T0: u64 = 1_700_000_000;

/// The configuration `vars` give, app id [`APP_ID`].
pub fn config(vars: &[(&str, &str)]) -> Config {
    let lookup = |name: &str| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    };
    Config::from_lookup(Some(APP_ID), lookup).expect("a valid test configuration")
}

/// A dev-mode app whose Inngest APIs are at `origin`.
pub fn dev_state(origin: &str) -> AppState {
    state(config(&[
        ("INNGEST_DEV", "1"),
        ("INNGEST_BASE_URL", origin),
    ]))
}

/// A cloud-mode app with both keys, whose Inngest APIs are at `origin`, its clock at T0.
pub fn cloud_state(origin: &str) -> AppState {
    state(config(&[
        ("INNGEST_SIGNING_KEY", KEY),
        ("INNGEST_SIGNING_KEY_FALLBACK", FALLBACK),
        ("INNGEST_BASE_URL", origin),
    ]))
}

/// The app for `config`, serving the test registry, its clock at T0.
pub fn state(config: Config) -> AppState {
    let mut state = AppState::new(config, &REGISTRY).expect("an HTTP client");
    state.now = || T0;
    state
}

/// An answer of the app.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body bytes.
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "body is not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header by name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The `message` of a JSON error body.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Whether the response is signed with `key` over its body at T0.
    pub fn signed_by(&self, key: &str) -> bool {
        self.header("x-inngest-signature") == Some(&SigningKey::new(key).header(&self.body, T0))
    }
}

/// Sends `request` to a fresh app on `state`.
pub async fn send(state: &AppState, request: TestRequest) -> Reply {
    let app = test::init_service(App::new().configure(routes(state.clone()))).await;
    let response = test::call_service(&app, request.to_request()).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = test::read_body(response).await;
    Reply {
        status,
        headers,
        body,
    }
}

/// A POST of `body` to `uri`, signed with `key` at T0 when one is given.
pub fn post(uri: &str, body: &[u8], key: Option<&str>) -> TestRequest {
    let mut request = TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_vec());
    if let Some(key) = key {
        let signature = SigningKey::new(key).header(body, T0);
        request = request.insert_header(("x-inngest-signature", signature));
    }
    request
}

/// The call URI for function `id` (composite) and step `step`.
pub fn call_uri(id: &str, step: &str) -> String {
    format!("/api/inngest?fnId={id}&stepId={step}")
}

/// One call request as Inngest's executor builds it.
#[derive(Debug, Clone)]
pub struct CallBody {
    /// The triggering event.
    pub event: Value,
    /// Memoized steps by hashed id.
    pub steps: Map<String, Value>,
    /// Completion order of the memoized steps.
    pub stack: Vec<String>,
    /// Zero-based attempt.
    pub attempt: u32,
    /// Report new steps instead of running one.
    pub disable_immediate_execution: bool,
}

impl CallBody {
    /// A first call for an event `name` with `data`.
    pub fn new(name: &str, data: Value) -> CallBody {
        CallBody {
            event: json!({ "name": name, "data": data, "user": {}, "ts": 1_700_000_000_000_i64 }),
            steps: Map::new(),
            stack: Vec::new(),
            attempt: 0,
            disable_immediate_execution: false,
        }
    }

    /// The JSON bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let body = json!({
            "event": self.event,
            "events": [self.event],
            "steps": self.steps,
            "ctx": {
                "fn_id": "00000000-0000-0000-0000-000000000000",
                "run_id": "01HRUNPLACEHOLDER",
                "env": "",
                "step_id": "step",
                "attempt": self.attempt,
                "stack": { "stack": self.stack, "current": self.stack.len() },
                "disable_immediate_execution": self.disable_immediate_execution,
                "use_api": false
            },
            "version": 2,
            "use_api": false
        });
        serde_json::to_vec(&body).expect("JSON")
    }

    /// Memoizes `value` under `id`.
    pub fn memoize(&mut self, id: &str, value: Value) {
        self.steps.insert(id.to_owned(), value);
        self.stack.push(id.to_owned());
        self.attempt = 0;
    }
}

/// Plays the executor: calls `fn_id` until it answers something other than 206, feeding
/// back what each op asks for and calling planned steps one by one. Returns every answer.
pub async fn drive(
    state: &AppState,
    fn_id: &str,
    mut call: CallBody,
    key: Option<&str>,
) -> Vec<Reply> {
    let mut replies = Vec::new();
    let mut planned = std::collections::VecDeque::new();

    for _ in 0..30 {
        let step = planned.pop_front().unwrap_or_else(|| "step".to_owned());
        let reply = send(state, post(&call_uri(fn_id, &step), &call.bytes(), key)).await;
        if reply.status != 206 {
            replies.push(reply);
            return replies;
        }

        let ops = reply.json();
        for op in ops.as_array().expect("206 answers an array of ops") {
            let id = op["id"].as_str().expect("ops have ids").to_owned();
            match op["op"].as_str() {
                Some("StepRun") => call.memoize(&id, json!({ "data": op["data"] })),
                Some("StepPlanned") => {
                    planned.push_back(id);
                    call.disable_immediate_execution = true;
                }
                Some("StepError") => {
                    call.attempt += 1;
                    if step != "step" {
                        planned.push_front(step.clone());
                    }
                }
                Some("StepFailed") => call.memoize(&id, json!({ "error": op["error"] })),
                _ => call.memoize(&id, Value::Null),
            }
        }
        replies.push(reply);
    }
    panic!("the run did not finish within 30 calls");
}
