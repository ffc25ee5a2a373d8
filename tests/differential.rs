//! Differential tests: our server and the official JS SDK (`tests/peer`, npm `inngest`
//! pinned in its lockfile) serve the same conformance functions (`features/conformance`) and
//! get the same requests; their normalized answers must match.
//!
//! Each test starts both servers on loopback, plus a mock of Inngest's API that captures
//! out-of-band syncs, then compares: introspection, in-band and out-of-band sync, every call
//! of full runs of each conformance function (memoized state fed back from each side's own
//! answers), bad requests, and in cloud mode signed, fallback-signed and forged requests.
//! Differences we keep on purpose are listed in `differential/compare.rs` with their reason.
//!
//! The JS packages are installed with `npm ci` on first use; npm must be on PATH.

#[path = "differential/client.rs"]
mod client;
#[path = "differential/compare.rs"]
mod compare;
#[path = "differential/driver.rs"]
mod driver;
#[path = "differential/mock_api.rs"]
mod mock_api;
#[path = "differential/servers.rs"]
mod servers;

use serde_json::{json, Value};
use switchyard::registry::REGISTRY;
use switchyard_runtime::hash_step_id;
use switchyard_runtime::signature::{self, SigningKey};

use client::{now, send, Reply, Request};
use compare::{call_reply, headers, strip_error_extras, Report};
use driver::{drive, Scenario};
use mock_api::MockApi;
use servers::{start_ours, start_peer, Kind, Server};

/// The app id both servers use.
const APP_ID: &str = "diff-app";

/// A signing key and its rotation key, in Inngest's format.
const SIGNING_KEY: &str =
    "signkey-test-8ee2262a15e8d3c42d6a840db7af3de2aab08ef632b32a37a687f24b34dba3ff";
const FALLBACK_KEY: &str =
    "signkey-test-1f2e3d4c5b6a79880f1e2d3c4b5a69788f9e0d1c2b3a4958675a4b3c2d1e0f9a";
const FORGED_KEY: &str =
    "signkey-test-00000000000000000000000000000000000000000000000000000000deadbeef";

/// The allowed differences the dev-mode test must see, each on the side it names.
const DEV_DIFFERENCES: &[&str] = &[
    "stack-trace",
    "js-serialized-marker",
    "step-timing",
    "whole-app",
    "introspection-extra",
    "introspection-all-fields",
    "capabilities",
    "feature-observations",
    "in-band-platform",
    "deploy-id",
    "sync-message",
    "dev-bearer",
    "wait-event-opt",
    "invoke-name",
    "protocol-error-wording",
    "no-retry-header",
    "malformed-call-400",
];

/// The allowed differences the cloud-mode test must see, each on the side it names.
const CLOUD_DIFFERENCES: &[&str] = &[
    "stack-trace",
    "js-serialized-marker",
    "step-timing",
    "whole-app",
    "introspection-extra",
    "introspection-all-fields",
    "capabilities",
    "key-hash-length",
    "feature-observations",
    "in-band-platform",
    "deploy-id",
    "sync-message",
    "wait-event-opt",
    "invoke-name",
    "raw-bytes-signature",
];

/// The servers of one test, and where each side's answers are compared.
struct Pair {
    ours: Server,
    peer: Server,
    mock: MockApi,
}

impl Pair {
    /// Starts the mock API and both servers with `vars` plus the API origin.
    fn start(vars: &[(&str, &str)]) -> Pair {
        let mock = MockApi::start();
        let mut vars = vars.to_vec();
        vars.push(("INNGEST_BASE_URL", &mock.origin));
        vars.push(("INNGEST_API_BASE_URL", &mock.origin));

        let ours = start_ours(APP_ID, &vars);
        let peer = start_peer(APP_ID, &vars);
        Pair { ours, peer, mock }
    }

    /// Sends `request` to both servers: ours first, then the peer.
    fn send(&self, request: &Request) -> (Reply, Reply) {
        (send(&self.ours, request), send(&self.peer, request))
    }

    fn sides(&self) -> [&Server; 2] {
        [&self.ours, &self.peer]
    }
}

#[test]
fn dev_mode_answers_match_the_official_sdk() {
    let pair = Pair::start(&[("INNGEST_DEV", "1")]);
    let mut report = Report::default();

    compare_introspection(&pair, &mut report, "dev GET", &Request::new("GET", ""));
    compare_in_band_sync(&pair, &mut report, None);
    compare_out_of_band_sync(&pair, &mut report, "dev", None);
    for scenario in scenarios() {
        compare_run(&pair, &mut report, &scenario, None);
    }
    compare_bad_requests(&pair, &mut report);

    report.finish(DEV_DIFFERENCES);
}

#[test]
fn cloud_mode_answers_match_the_official_sdk() {
    let pair = Pair::start(&[
        ("INNGEST_DEV", "0"),
        ("INNGEST_SIGNING_KEY", SIGNING_KEY),
        ("INNGEST_SIGNING_KEY_FALLBACK", FALLBACK_KEY),
    ]);
    let key = SigningKey::new(SIGNING_KEY);
    let fallback = SigningKey::new(FALLBACK_KEY);
    let mut report = Report::default();

    compare_introspection(
        &pair,
        &mut report,
        "cloud GET unsigned",
        &Request::new("GET", ""),
    );
    for (what, request) in [
        ("cloud GET signed", Request::new("GET", "").signed(&key)),
        (
            "cloud GET signed by fallback",
            Request::new("GET", "").signed(&fallback),
        ),
    ] {
        compare_introspection(&pair, &mut report, what, &request);
    }
    compare_forged_requests(&pair, &mut report);
    compare_in_band_sync(&pair, &mut report, Some(&key));
    compare_out_of_band_sync(&pair, &mut report, "cloud", Some(&key));
    for scenario in scenarios() {
        compare_run(&pair, &mut report, &scenario, Some(&key));
    }
    let fallback_run = &scenarios()[0];
    compare_run(&pair, &mut report, fallback_run, Some(&fallback));

    report.finish(CLOUD_DIFFERENCES);
}

/// Every run both servers go through, one or more per conformance function.
fn scenarios() -> Vec<Scenario> {
    let approval = json!({
        "name": "conformance/approval.granted",
        "data": { "request_id": "REQ-7", "approver": "lin" },
        "id": "evt-approval",
        "ts": 1_773_311_100_000_i64,
        "user": {},
    });
    let greeted = json!({ "greeting": "hello grace", "shout": "HELLO GRACE", "length": 11 });
    let failed_event = json!({
        "function_id": format!("{APP_ID}-conformance-non-retriable-error"),
        "run_id": "01RUNFAILED",
        "event": {
            "name": "conformance/non-retriable.error",
            "data": { "order_id": "O-13", "reject_in_step": false, "reject": true },
            "id": "evt-order", "ts": 1_773_311_000_000_i64, "user": {},
        },
        "error": { "name": "NonRetriableError", "message": "order O-13 is rejected" },
    });

    let broken_vase = json!({
        "function_id": format!("{APP_ID}-conformance-fragile"),
        "run_id": "01RUNBROKEN",
        "event": {
            "name": "conformance/fragile",
            "data": { "item": "vase", "break": true },
            "id": "evt-vase", "ts": 1_773_311_000_000_i64, "user": {},
        },
        "error": { "name": "NonRetriableError", "message": "vase broke" },
    });

    let retriable = |name, failures: u32, retry_later: bool| {
        let data = json!({ "failures": failures, "retry_later": retry_later });
        let event = "conformance/retriable.error";
        Scenario::new(name, "conformance-retriable-error", event, data, 3)
    };
    let non_retriable = |name, reject_in_step: bool, reject: bool| {
        let data =
            json!({ "order_id": "O-12", "reject_in_step": reject_in_step, "reject": reject });
        let event = "conformance/non-retriable.error";
        Scenario::new(name, "conformance-non-retriable-error", event, data, 4)
    };
    let wait = |name, result: Value| Scenario {
        wait_result: result,
        ..Scenario::new(
            name,
            "conformance-wait-for-event",
            "conformance/approval.requested",
            json!({ "request_id": "REQ-7" }),
            1,
        )
    };
    let invoke = |name, result: Value| Scenario {
        invoke_result: result,
        ..Scenario::new(
            name,
            "conformance-invoke",
            "conformance/invoke",
            json!({ "name": "grace" }),
            2,
        )
    };

    vec![
        Scenario::new(
            "sequential",
            "conformance-sequential",
            "conformance/sequential",
            json!({ "name": "ada" }),
            3,
        ),
        Scenario::new(
            "sequential-invoked",
            "conformance-sequential",
            "inngest/function.invoked",
            json!({ "name": "grace" }),
            3,
        ),
        Scenario::new(
            "durable",
            "conformance-durable",
            "conformance/durable",
            json!({ "n": 7 }),
            3,
        ),
        Scenario::new(
            "loop",
            "conformance-loop",
            "conformance/loop",
            json!({ "rounds": 3 }),
            2,
        ),
        Scenario::new(
            "sleep",
            "conformance-sleep",
            "conformance/sleep",
            json!({}),
            5,
        ),
        wait("wait-matched", approval),
        wait("wait-timed-out", Value::Null),
        invoke("invoke-returned", json!({ "data": greeted })),
        invoke(
            "invoke-failed",
            json!({ "error": { "name": "Error", "message": "child gave up" } }),
        ),
        Scenario::new(
            "parallel",
            "conformance-parallel",
            "conformance/parallel",
            json!({ "left": 4, "right": 5 }),
            5,
        ),
        retriable("retriable-recovers", 1, false),
        retriable("retriable-exhausted", 5, false),
        retriable("retriable-retry-later", 0, true),
        non_retriable("non-retriable-passes", false, false),
        non_retriable("non-retriable-in-step", true, false),
        non_retriable("non-retriable-in-function", false, true),
        Scenario::new(
            "failure-handler",
            "conformance-failure-handler",
            "inngest/function.failed",
            failed_event,
            2,
        ),
        Scenario::new(
            "fragile-packs",
            "conformance-fragile",
            "conformance/fragile",
            json!({ "item": "vase", "break": false }),
            1,
        ),
        Scenario::new(
            "fragile-breaks",
            "conformance-fragile",
            "conformance/fragile",
            json!({ "item": "vase", "break": true }),
            1,
        ),
        // A function's own failure handler, called by its `-failure` id as Inngest does.
        Scenario::new(
            "fragile-own-failure-handler",
            "conformance-fragile-failure",
            "inngest/function.failed",
            broken_vase,
            2,
        ),
        Scenario::new(
            "cancellable-finishes",
            "conformance-cancellable",
            "conformance/job.started",
            json!({ "job_id": "J-7" }),
            2,
        ),
    ]
}

/// Drives one run on both servers and compares every call.
fn compare_run(pair: &Pair, report: &mut Report, scenario: &Scenario, key: Option<&SigningKey>) {
    let ours = drive(&pair.ours, APP_ID, scenario, key);
    let peer = drive(&pair.peer, APP_ID, scenario, key);

    let calls = ours.len().max(peer.len());
    for index in 0..calls {
        let what = format!("run `{}` call {}", scenario.name, index + 1);
        let (Some(ours), Some(peer)) = (ours.get(index), peer.get(index)) else {
            report.mismatch(format!(
                "{what}: ours took {} calls, the peer {}",
                ours.len(),
                peer.len()
            ));
            break;
        };
        let what = format!("{what} ({}; peer {})", ours.call, peer.call);
        let ours_value = call_reply(&ours.reply, Kind::Ours, report);
        let peer_value = call_reply(&peer.reply, Kind::Peer, report);
        report.compare(&what, &ours_value, &peer_value);

        if let Some(key) = key {
            check_response_signature(report, &what, &ours.reply, Kind::Ours, key);
            check_response_signature(report, &what, &peer.reply, Kind::Peer, key);
        }
    }
}

/// Checks that a signed answer's signature verifies with the key the request was signed
/// with, over the exact body bytes.
fn check_response_signature(
    report: &mut Report,
    what: &str,
    reply: &Reply,
    kind: Kind,
    key: &SigningKey,
) {
    let header = reply.header("x-inngest-signature");
    let verified = signature::verify(header, &reply.body, std::slice::from_ref(key), now());
    if header.is_some() && verified.is_err() {
        report.mismatch(format!(
            "{what}: {} signed its answer with another key: {header:?}",
            kind.name()
        ));
    }
}

/// Compares a GET introspection request.
fn compare_introspection(pair: &Pair, report: &mut Report, what: &str, request: &Request) {
    let (ours, peer) = pair.send(request);

    let ours = introspection(&ours, Kind::Ours, report);
    let peer = introspection(&peer, Kind::Peer, report);
    report.compare(what, &ours, &peer);
}

fn introspection(reply: &Reply, kind: Kind, report: &mut Report) -> Value {
    let mut body = reply.json();
    normalize_introspection(&mut body, kind, report);
    json!({ "status": reply.status, "headers": headers(reply), "body": body })
}

fn normalize_introspection(body: &mut Value, kind: Kind, report: &mut Report) {
    let Some(object) = body.as_object_mut() else {
        return;
    };
    for name in ["sdk_version", "sdk_language", "framework"] {
        if object.contains_key(name) {
            object.insert(name.to_owned(), json!("<present>"));
        }
    }
    if object.remove("extra").is_some() {
        report.fire("introspection-extra", kind);
    }
    if let Some(capabilities) = object.get_mut("capabilities") {
        normalize_capabilities(capabilities, kind, report);
    }
    if kind == Kind::Peer {
        return;
    }

    if object.remove("has_signing_key_fallback").is_some() {
        report.fire("introspection-all-fields", kind);
    }
    if object.get("authentication_succeeded") == Some(&Value::Null) {
        object.remove("authentication_succeeded");
        report.fire("introspection-all-fields", kind);
    }
    if let Some(count) = object.get_mut("function_count") {
        if *count != json!(REGISTRY.inngest_function_count()) {
            report.mismatch(format!("our function_count {count} is not our registry's"));
        }
        *count = json!(conformance_count());
        report.fire("whole-app", kind);
    }
    for name in ["signing_key_hash", "signing_key_fallback_hash"] {
        if let Some(Value::String(hash)) = object.get_mut(name) {
            if hash.len() > 12 {
                hash.truncate(12);
                report.fire("key-hash-length", kind);
            }
        }
    }
}

/// The number of functions the peer serves: the conformance functions and the failure
/// handlers they declare, as both sides count them.
fn conformance_count() -> usize {
    REGISTRY
        .functions()
        .iter()
        .filter(|entry| entry.feature == "conformance")
        .map(|entry| 1 + usize::from(entry.on_failure.is_some()))
        .sum()
}

fn normalize_capabilities(capabilities: &mut Value, kind: Kind, report: &mut Report) {
    let Some(capabilities) = capabilities.as_object_mut() else {
        return;
    };
    let only_one_side = match kind {
        Kind::Ours => "in_band_sync",
        Kind::Peer => "connect",
    };
    if capabilities.remove(only_one_side).is_some() {
        report.fire("capabilities", kind);
    }
}

/// Compares an in-band sync, signed with `key` when given.
fn compare_in_band_sync(pair: &Pair, report: &mut Report, key: Option<&SigningKey>) {
    let mut answers = Vec::new();
    for server in pair.sides() {
        let body = json!({ "url": server.url("") });
        let mut request = Request::new("PUT", "")
            .header("X-Inngest-Sync-Kind", "in_band")
            .header(
                "X-Inngest-Server-Kind",
                if key.is_some() { "cloud" } else { "dev" },
            )
            .json(&body);
        if let Some(key) = key {
            request = request.signed(key);
        }
        let reply = send(server, &request);
        let mut value = reply.json();
        normalize_sync_body(&mut value, server, report);
        answers.push(json!({
            "status": reply.status,
            "headers": headers(&reply),
            "body": value,
        }));
    }

    report.compare("in-band sync", &answers[0], &answers[1]);
}

/// Compares an out-of-band sync: the PUT's answer and what reached the mock API. In cloud
/// mode (`key` given) it is done twice, the second time with the mock refusing the primary
/// key, so both sides must retry with the fallback key.
fn compare_out_of_band_sync(
    pair: &Pair,
    report: &mut Report,
    server_kind: &str,
    key: Option<&SigningKey>,
) {
    let mut rounds = vec![("out-of-band sync", None)];
    if let Some(key) = key {
        rounds.push(("out-of-band sync, primary key refused", Some(key.bearer())));
    }

    for (what, refused) in rounds {
        let fallback_expected = refused.is_some();
        pair.mock.reject_bearer(refused);
        let answers: Vec<Value> = pair
            .sides()
            .into_iter()
            .map(|server| out_of_band_sync(pair, server, server_kind, report))
            .collect();
        report.compare(what, &answers[0], &answers[1]);
        if fallback_expected {
            check_fallback_used(report, &answers);
        }
    }
    pair.mock.reject_bearer(None);
}

/// Checks that each side retried a refused sync with the fallback key and succeeded.
fn check_fallback_used(report: &mut Report, answers: &[Value]) {
    for (answer, side) in answers.iter().zip(["ours", "peer"]) {
        let bearers: Vec<&Value> = answer["registered"]
            .as_array()
            .map(|requests| requests.iter().map(|r| &r["authorization"]).collect())
            .unwrap_or_default();
        let retried = bearers.len() == 2 && bearers[0] != bearers[1];
        if !retried || answer["status"] != 200 {
            report.mismatch(format!(
                "{side} did not sync with the fallback key after a 401: {answer}"
            ));
        }
    }
}

fn out_of_band_sync(pair: &Pair, server: &Server, server_kind: &str, report: &mut Report) -> Value {
    let kind = server.kind;
    pair.mock.take();
    let request = Request::new("PUT", "deployId=deploy-1")
        .header("X-Inngest-Server-Kind", server_kind)
        .json(&json!({ "url": server.url("") }));
    let reply = send(server, &request);
    let registered = pair.mock.take();

    let mut body = reply.json();
    strip_error_extras(&mut body, kind, report);
    let message = body.get("message").and_then(Value::as_str);
    if matches!(
        message,
        Some("Successfully synced." | "Successfully registered")
    ) {
        body["message"] = json!("<success>");
        report.fire("sync-message", kind);
    }
    let reply_headers = headers(&reply);

    let captured: Vec<Value> = registered
        .iter()
        .map(|request| {
            let mut body = request.json();
            normalize_sync_body(&mut body, server, report);
            let mut authorization = request.header("authorization");
            if authorization == Some("Bearer undefined") {
                authorization = None;
                report.fire("dev-bearer", kind);
            }
            json!({
                "target": request.target,
                "authorization": authorization,
                "expected_server_kind": request.header("x-inngest-expected-server-kind"),
                "content_type": request.header("content-type"),
                "body": body,
            })
        })
        .collect();
    json!({
        "status": reply.status,
        "headers": reply_headers,
        "body": body,
        "registered": captured,
    })
}

/// Replaces what names the server or SDK in a sync payload, and keeps only the conformance
/// functions.
fn normalize_sync_body(body: &mut Value, server: &Server, report: &mut Report) {
    let kind = server.kind;
    let mut text = body.to_string().replace(&server.origin, "<origin>");
    if text.contains("deployId=deploy-1") {
        text = text
            .replace("?deployId=deploy-1&", "?")
            .replace("?deployId=deploy-1", "");
        report.fire("deploy-id", kind);
    }
    *body = serde_json::from_str(&text).expect("replacing the origin keeps JSON valid");

    let Some(object) = body.as_object_mut() else {
        return;
    };
    for name in [
        "sdk",
        "sdk_author",
        "sdk_version",
        "sdk_language",
        "framework",
    ] {
        if object.contains_key(name) {
            object.insert(name.to_owned(), json!("<present>"));
        }
    }
    if kind == Kind::Ours && object.get("platform") == Some(&Value::Null) {
        object.remove("platform");
        report.fire("in-band-platform", kind);
    }
    if object.remove("featureObservations").is_some() {
        report.fire("feature-observations", kind);
    }
    if object.remove("deployId").is_some() {
        report.fire("deploy-id", kind);
    }
    if let Some(capabilities) = object.get_mut("capabilities") {
        normalize_capabilities(capabilities, kind, report);
    }
    if let Some(Value::Array(functions)) = object.get_mut("functions") {
        let before = functions.len();
        functions.retain(|function| {
            function["id"]
                .as_str()
                .is_some_and(|id| id.starts_with(&format!("{APP_ID}-conformance-")))
        });
        functions.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        if functions.len() < before {
            report.fire("whole-app", kind);
        }
    }
    if let Some(inspection) = object.get_mut("inspection") {
        normalize_introspection(inspection, kind, report);
    }
}

/// How a bad request's answers are made comparable.
enum Expect {
    /// Same status and headers; both bodies name these facts, worded as each likes.
    Facts(Vec<String>),
    /// As `Facts`, after the named allowed difference is taken out of our answer.
    OursDiffers(&'static str, Vec<String>),
}

/// Requests both servers must reject alike, or differ on as an allowed difference says.
fn compare_bad_requests(pair: &Pair, report: &mut Report) {
    let event = json!({ "name": "conformance/sequential", "data": { "name": "ada" }, "user": {} });
    let call = |event: Value| json!({ "event": event, "events": [event], "steps": {} });
    let sequential = format!("fnId={APP_ID}-conformance-sequential&stepId=step");
    let missing_step = hash_step_id("missing step");
    let missing_function = format!("{APP_ID}-conformance-missing");
    let unknown_event = json!({ "name": "conformance/unknown", "data": { "name": "ada" } });
    let cases = [
        (
            "unknown function",
            Request::new("POST", format!("fnId={missing_function}&stepId=step"))
                .json(&call(event.clone())),
            Expect::OursDiffers("no-retry-header", facts(&["conformance-missing", "sync"])),
        ),
        (
            "no fnId",
            Request::new("POST", "stepId=step").json(&call(event.clone())),
            Expect::OursDiffers("malformed-call-400", facts(&["function"])),
        ),
        (
            "body without event",
            Request::new("POST", sequential.clone()).json(&json!({ "steps": {} })),
            Expect::OursDiffers("malformed-call-400", facts(&["event"])),
        ),
        (
            "event that is not an object",
            Request::new("POST", sequential.clone()).json(&json!({ "event": 5 })),
            Expect::OursDiffers("malformed-call-400", facts(&["event"])),
        ),
        (
            "event outside the triggers",
            Request::new("POST", sequential.clone()).json(&call(unknown_event)),
            Expect::Facts(facts(&["EventValidationError", "conformance/unknown"])),
        ),
        (
            "unknown step id",
            Request::new(
                "POST",
                format!("fnId={APP_ID}-conformance-sequential&stepId={missing_step}"),
            )
            .json(&call(event.clone())),
            Expect::Facts(facts(&[&missing_step, "greet"])),
        ),
        (
            "DELETE",
            Request::new("DELETE", ""),
            Expect::Facts(facts(&["method"])),
        ),
    ];

    for (what, request, expect) in cases {
        let (ours, peer) = pair.send(&request);
        let ours = bad_request_reply(&ours, Kind::Ours, &expect, report);
        let peer = bad_request_reply(&peer, Kind::Peer, &expect, report);
        report.compare(&format!("bad request: {what}"), &ours, &peer);
    }

    let probe = Request::new("POST", "probe=trust").json(&json!({}));
    let (ours, peer) = pair.send(&probe);
    let ours = call_reply(&ours, Kind::Ours, report);
    let peer = call_reply(&peer, Kind::Peer, report);
    report.compare("trust probe", &ours, &peer);
}

fn facts(facts: &[&str]) -> Vec<String> {
    facts.iter().map(|fact| (*fact).to_owned()).collect()
}

fn bad_request_reply(reply: &Reply, kind: Kind, expect: &Expect, report: &mut Report) -> Value {
    let mut value = call_reply(reply, kind, report);
    let facts = match expect {
        Expect::Facts(facts) => facts,
        Expect::OursDiffers(rule, facts) => {
            if kind == Kind::Ours {
                take_out_our_difference(&mut value, rule, report);
            }
            facts
        }
    };

    let text = reply_text(reply).to_lowercase();
    let named: Vec<&str> = facts
        .iter()
        .filter(|fact| text.contains(&fact.to_lowercase()))
        .map(String::as_str)
        .collect();
    value["body"] = json!({ "names": named });
    report.fire("protocol-error-wording", kind);
    value
}

/// Undoes one allowed difference in our normalized answer, if it shows.
fn take_out_our_difference(value: &mut Value, rule: &str, report: &mut Report) {
    let status = value["status"].clone();
    let headers = value["headers"]
        .as_object_mut()
        .expect("headers are an object");
    let shows = match rule {
        "no-retry-header" => headers.remove("x-inngest-no-retry") == Some(json!("false")),
        "malformed-call-400" => {
            let shows =
                status == 400 && headers.remove("x-inngest-no-retry") == Some(json!("true"));
            value["status"] = json!(500);
            shows
        }
        other => panic!("no way to take out `{other}`"),
    };
    if shows {
        report.fire(rule, Kind::Ours);
    }
}

fn reply_text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

/// Unsigned, forged, expired and tampered requests in cloud mode.
fn compare_forged_requests(pair: &Pair, report: &mut Report) {
    let key = SigningKey::new(SIGNING_KEY);
    let forged = SigningKey::new(FORGED_KEY);
    let event = json!({ "name": "conformance/sequential", "data": { "name": "ada" }, "user": {} });
    let body = json!({ "event": event, "events": [event], "steps": {} });
    let query = format!("fnId={APP_ID}-conformance-sequential&stepId=step");
    let mut tampered = Request::new("POST", query.clone()).json(&body).signed(&key);
    tampered.body = serde_jcs::to_vec(&json!({ "event": event, "steps": { "x": 1 } })).unwrap();

    let cases = [
        (
            "POST unsigned",
            Request::new("POST", query.clone()).json(&body),
        ),
        (
            "POST forged",
            Request::new("POST", query.clone())
                .json(&body)
                .signed(&forged),
        ),
        (
            "POST expired",
            Request::new("POST", query.clone())
                .json(&body)
                .signed_at(&key, now() - 600),
        ),
        (
            "POST from the future",
            Request::new("POST", query.clone())
                .json(&body)
                .signed_at(&key, now() + 600),
        ),
        ("POST tampered", tampered),
        (
            "POST malformed signature",
            Request::new("POST", query.clone())
                .json(&body)
                .header("X-Inngest-Signature", "s=abc"),
        ),
        ("GET forged", Request::new("GET", "").signed(&forged)),
        (
            "PUT in-band unsigned",
            Request::new("PUT", "")
                .header("X-Inngest-Sync-Kind", "in_band")
                .json(&json!({ "url": "http://127.0.0.1/api/inngest" })),
        ),
        (
            "trust probe unsigned",
            Request::new("POST", "probe=trust").json(&json!({})),
        ),
        (
            "trust probe signed",
            Request::new("POST", "probe=trust")
                .json(&json!({}))
                .signed(&key),
        ),
    ];

    for (what, request) in cases {
        let (ours, peer) = pair.send(&request);
        let ours = call_reply(&ours, Kind::Ours, report);
        let peer = call_reply(&peer, Kind::Peer, report);
        report.compare(&format!("cloud: {what}"), &ours, &peer);
    }

    compare_pretty_bodies(pair, report, &query, &body);
}

/// A pretty-printed body, signed over its canonical form (accepted by both) and over its
/// own bytes (accepted by us only: `raw-bytes-signature`).
fn compare_pretty_bodies(pair: &Pair, report: &mut Report, query: &str, body: &Value) {
    let key = SigningKey::new(SIGNING_KEY);
    let pretty = serde_json::to_vec_pretty(body).expect("a JSON value prints");
    let mut over_canonical = Request::new("POST", query).json(body).signed(&key);
    over_canonical.body = pretty.clone();
    let mut over_raw = Request::new("POST", query).json(body);
    over_raw.body = pretty;
    let over_raw = over_raw.signed(&key);

    let (ours, peer) = pair.send(&over_canonical);
    let ours = call_reply(&ours, Kind::Ours, report);
    let peer = call_reply(&peer, Kind::Peer, report);
    report.compare(
        "cloud: pretty body signed over its canonical form",
        &ours,
        &peer,
    );

    let (ours, peer) = pair.send(&over_raw);
    let accepted = ours.status == 206;
    let rejected = peer.status == 401;
    if accepted {
        report.fire("raw-bytes-signature", Kind::Ours);
    }
    if rejected {
        report.fire("raw-bytes-signature", Kind::Peer);
    }
    if !(accepted && rejected) {
        report.mismatch(format!(
            "cloud: pretty body signed over its own bytes: ours {}, peer {}; expected 206 and \
             401 (raw-bytes-signature)",
            ours.status, peer.status
        ));
    }
}
