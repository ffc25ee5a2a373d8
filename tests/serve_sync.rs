//! PUT `/api/inngest`: out-of-band sync against a mock Inngest API (C04, C05, C10, C20) and
//! in-band sync in dev mode.

mod support {
    pub mod app;
    pub mod functions;
    pub mod mock_api;
}

use actix_web::test::TestRequest;
use serde_json::{json, Value};
use support::app::{config, dev_state, send, state, Reply, FALLBACK, KEY, T0};
use support::functions::REGISTRY;
use support::mock_api::{closed_origin, MockApi, Recorded};

const PRIMARY_BEARER: &str =
    "Bearer signkey-test-b2ed992186a5cb19f6668aade821f502c1d00970dfd0e35128d51bac4649916c";
const FALLBACK_BEARER: &str =
    "Bearer signkey-test-235c6e3ab89786e7f171838fda309579aa64e99a9a1431ad94c650fdf3622969";

fn put(uri: &str) -> TestRequest {
    TestRequest::put()
        .uri(uri)
        .insert_header(("host", "localhost:3000"))
}

/// Runs one PUT against an app on `vars` plus `INNGEST_BASE_URL` = a mock that answers
/// `answer`, and returns the reply and what the mock received.
async fn sync(
    vars: &[(&str, &str)],
    request: TestRequest,
    answer: impl Fn(&Recorded) -> (u16, Value) + Send + Sync + 'static,
) -> (Reply, Vec<Recorded>) {
    let mock = MockApi::start(answer).await;
    let mut vars = vars.to_vec();
    vars.push(("INNGEST_BASE_URL", &mock.origin));
    let state = state(config(&vars));

    let reply = send(&state, request).await;
    let requests = mock.requests();
    mock.stop().await;
    (reply, requests)
}

const DEV: &[(&str, &str)] = &[("INNGEST_DEV", "1")];

#[actix_web::test]
async fn passes_inngest_modified_flag_through_defaulting_to_false() {
    let cases = [
        (json!({"ok": true, "modified": true}), true),
        (json!({"ok": true, "modified": false}), false),
        (json!({"ok": true}), false),
    ];

    for (answer, modified) in cases {
        let expected = answer.clone();
        let (reply, requests) =
            sync(DEV, put("/api/inngest"), move |_| (200, answer.clone())).await;

        assert_eq!(reply.status, 200, "{expected}");
        assert_eq!(
            reply.json(),
            json!({"message": "Successfully synced.", "modified": modified}),
            "{expected}"
        );
        assert_eq!(reply.header("x-inngest-sync-kind"), Some("out_of_band"));
        assert_eq!(
            reply.header("x-inngest-sdk"),
            Some(switchyard::server::headers::SDK)
        );
        assert_eq!(requests.len(), 1);
        assert_eq!(
            (requests[0].method.as_str(), requests[0].path.as_str()),
            ("POST", "/fn/register")
        );
    }
}

#[actix_web::test]
async fn answers_500_with_the_upstream_reason_when_inngest_refuses() {
    let (reply, _) = sync(DEV, put("/api/inngest"), |_| {
        (500, json!({"error": "boom"}))
    })
    .await;

    assert_eq!(reply.status, 500);
    assert_eq!(reply.json()["modified"], false);
    let message = reply.message();
    assert!(
        message.contains("boom") && message.contains("500"),
        "{message}"
    );
}

#[actix_web::test]
async fn answers_500_when_inngest_cannot_be_reached() {
    let state = dev_state(&closed_origin());

    let reply = send(&state, put("/api/inngest")).await;

    assert_eq!(reply.status, 500);
    assert_eq!(reply.json()["modified"], false);
    assert!(
        reply.message().contains("cannot reach Inngest"),
        "{}",
        reply.message()
    );
}

#[actix_web::test]
async fn registers_every_function_with_its_step_url_and_no_deploy_id_in_it() {
    let (reply, requests) = sync(
        DEV,
        put("/api/inngest?deployId=dpl_placeholder")
            .insert_header(("x-inngest-server-kind", "dev")),
        |_| (200, json!({"ok": true, "modified": true})),
    )
    .await;

    assert_eq!(reply.status, 200);
    let register = &requests[0];
    assert_eq!(register.query, "deployId=dpl_placeholder");
    assert_eq!(
        register.header("x-inngest-expected-server-kind"),
        Some("dev")
    );
    assert_eq!(register.header("x-inngest-sync-kind"), Some("out_of_band"));
    assert_eq!(register.header("authorization"), None, "no key in dev mode");
    let payload = register.json();
    assert_eq!(payload["url"], "http://localhost:3000/api/inngest");
    assert_eq!(payload["appName"], "demo-app");
    assert_eq!(payload["deployType"], "ping");
    assert_eq!(payload["framework"], "actix-web");
    assert_eq!(
        payload["capabilities"],
        json!({"trust_probe": "v1", "in_band_sync": "v1"})
    );
    let functions = payload["functions"].as_array().unwrap();
    assert_eq!(
        functions.len(),
        REGISTRY.len() + 1,
        "one function has a failure handler"
    );
    assert_eq!(functions[0]["id"], "demo-app-steps");
    let ids: Vec<&str> = functions.iter().filter_map(|f| f["id"].as_str()).collect();
    let fails = ids.iter().position(|id| *id == "demo-app-fails").unwrap();
    assert_eq!(ids[fails + 1], "demo-app-fails-failure");
    assert_eq!(
        functions[fails + 1]["steps"]["step"]["runtime"]["url"],
        "http://localhost:3000/api/inngest?fnId=demo-app-fails-failure&stepId=step"
    );
    assert_eq!(
        functions[0]["steps"]["step"]["runtime"]["url"],
        "http://localhost:3000/api/inngest?fnId=demo-app-steps&stepId=step"
    );
    assert!(!payload.to_string().contains("dpl_placeholder"));
}

#[actix_web::test]
async fn leaves_the_server_kind_out_when_the_put_has_none() {
    let (_, requests) = sync(DEV, put("/api/inngest?deployId=undefined"), |_| {
        (200, json!({"ok": true}))
    })
    .await;

    assert_eq!(requests[0].header("x-inngest-expected-server-kind"), None);
    assert_eq!(
        requests[0].query, "",
        "the literal `undefined` is no deploy id"
    );
}

#[actix_web::test]
async fn sends_the_same_bytes_for_two_syncs_of_one_build() {
    let (_, first) = sync(DEV, put("/api/inngest"), |_| (200, json!({}))).await;
    let (_, second) = sync(DEV, put("/api/inngest"), |_| (200, json!({}))).await;

    assert_eq!(first[0].body, second[0].body);
}

#[actix_web::test]
async fn carries_declared_retries_into_the_payload() {
    let (_, requests) = sync(DEV, put("/api/inngest"), |_| (200, json!({}))).await;

    let functions = requests[0].json()["functions"].clone();
    let retries = |id: &str| {
        functions
            .as_array()
            .unwrap()
            .iter()
            .find(|function| function["id"] == format!("demo-app-{id}"))
            .map(|function| function["steps"]["step"].get("retries").cloned())
            .unwrap_or_else(|| panic!("{id} is synced"))
    };
    assert_eq!(retries("flaky"), Some(json!({"attempts": 3})));
    assert_eq!(retries("strict"), Some(json!({"attempts": 0})));
    assert_eq!(retries("steps"), None, "Inngest's default applies");
}

#[actix_web::test]
async fn registers_the_configured_origin_and_path_over_the_request() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("INNGEST_SERVE_ORIGIN", "http://portal:3000")],
            "http://portal:3000/api/inngest",
        ),
        (
            &[("INNGEST_SERVE_ORIGIN", "app.example.test")],
            "https://app.example.test/api/inngest",
        ),
        (
            &[("INNGEST_SERVE_PATH", "/svc/inngest")],
            "https://proxy.test/svc/inngest",
        ),
        (&[], "https://proxy.test/api/inngest"),
    ];

    for (vars, expected) in cases {
        let mut vars = vars.to_vec();
        vars.push(("INNGEST_DEV", "1"));
        let request = put("/api/inngest")
            .insert_header(("x-forwarded-proto", "https"))
            .insert_header(("x-forwarded-host", "proxy.test"));

        let (_, requests) = sync(&vars, request, |_| (200, json!({}))).await;

        let payload = requests[0].json();
        assert_eq!(payload["url"], expected, "{vars:?}");
        let step_url = payload["functions"][0]["steps"]["step"]["runtime"]["url"].clone();
        assert!(
            step_url.as_str().unwrap().starts_with(expected),
            "{step_url}"
        );
    }
}

#[actix_web::test]
async fn registers_with_the_dev_server_named_in_inngest_dev() {
    let mock = MockApi::start(|_| (200, json!({"ok": true}))).await;
    let state = state(config(&[("INNGEST_DEV", &mock.origin)]));

    let reply = send(&state, put("/api/inngest")).await;
    let requests = mock.requests();
    mock.stop().await;

    assert_eq!(reply.status, 200);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/fn/register");
}

#[actix_web::test]
async fn authenticates_with_the_hashed_key_and_the_branch_environment() {
    let vars = [("INNGEST_SIGNING_KEY", KEY), ("INNGEST_ENV", "branch-1")];

    let (reply, requests) = sync(&vars, put("/api/inngest"), |_| (200, json!({}))).await;

    assert_eq!(reply.status, 200);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("authorization"), Some(PRIMARY_BEARER));
    assert_eq!(requests[0].header("x-inngest-env"), Some("branch-1"));
    assert!(!String::from_utf8_lossy(&requests[0].body).contains("12345678"));
}

#[actix_web::test]
async fn answers_an_unsigned_cloud_sync_without_headers_that_name_the_sdk() {
    let vars = [("INNGEST_SIGNING_KEY", KEY)];

    let (reply, requests) = sync(&vars, put("/api/inngest"), |_| (200, json!({}))).await;

    assert_eq!(reply.status, 200);
    assert_eq!(requests.len(), 1, "the sync itself still happens");
    let mut names: Vec<&str> = reply.headers.keys().map(|name| name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["content-type", "x-inngest-sdk-handled"]);
}

#[actix_web::test]
async fn answers_a_signed_cloud_sync_with_sdk_headers_and_a_signature() {
    let vars = [("INNGEST_SIGNING_KEY", KEY)];
    let signature = switchyard_runtime::signature::SigningKey::new(KEY).header(b"", T0);
    let request = put("/api/inngest").insert_header(("x-inngest-signature", signature));

    let (reply, _) = sync(&vars, request, |_| (200, json!({}))).await;

    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("x-inngest-sdk"),
        Some(switchyard::server::headers::SDK)
    );
    assert!(reply.signed_by(KEY));
}

#[actix_web::test]
async fn retries_once_with_the_fallback_key_when_inngest_refuses_the_primary() {
    let vars = [
        ("INNGEST_SIGNING_KEY", KEY),
        ("INNGEST_SIGNING_KEY_FALLBACK", FALLBACK),
    ];

    let (reply, requests) = sync(&vars, put("/api/inngest"), |request| {
        match request.header("authorization") {
            Some(FALLBACK_BEARER) => (200, json!({"ok": true, "modified": true})),
            _ => (401, json!({"error": "unauthorized"})),
        }
    })
    .await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["modified"], true);
    let bearers: Vec<_> = requests.iter().map(|r| r.header("authorization")).collect();
    assert_eq!(bearers, [Some(PRIMARY_BEARER), Some(FALLBACK_BEARER)]);
}

#[actix_web::test]
async fn reports_a_refused_key_without_a_fallback_after_one_request() {
    let vars = [("INNGEST_SIGNING_KEY", KEY)];

    let (reply, requests) = sync(&vars, put("/api/inngest"), |_| {
        (401, json!({"error": "unauthorized"}))
    })
    .await;

    assert_eq!(requests.len(), 1);
    assert_eq!(reply.status, 500);
    assert!(reply.message().contains("401"), "{}", reply.message());
}

#[actix_web::test]
async fn answers_an_in_band_sync_with_the_configuration_in_dev_mode() {
    let state = dev_state(&closed_origin());
    let request = put("/api/inngest")
        .insert_header(("x-inngest-sync-kind", "in_band"))
        .set_payload(r#"{"url":"https://app.example.test/api/inngest"}"#);

    let reply = send(&state, request).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-inngest-sync-kind"), Some("in_band"));
    let body = reply.json();
    assert_eq!(body["app_id"], "demo-app");
    assert_eq!(body["url"], "https://app.example.test/api/inngest");
    assert_eq!(body["sdk_language"], "rust");
    assert_eq!(
        body["functions"].as_array().unwrap().len(),
        REGISTRY.inngest_function_count()
    );
    assert_eq!(
        body["inspection"]["function_count"],
        REGISTRY.inngest_function_count()
    );
    assert_eq!(
        body["functions"][0]["steps"]["step"]["runtime"]["url"],
        "https://app.example.test/api/inngest?fnId=demo-app-steps&stepId=step"
    );
    assert_eq!(body["inspection"]["mode"], "dev");
    assert_eq!(body["capabilities"]["in_band_sync"], "v1");
}

#[actix_web::test]
async fn falls_back_to_out_of_band_when_in_band_sync_is_off() {
    let vars = [
        ("INNGEST_DEV", "1"),
        ("INNGEST_ALLOW_IN_BAND_SYNC", "false"),
    ];
    let request = put("/api/inngest").insert_header(("x-inngest-sync-kind", "in_band"));

    let (reply, requests) = sync(&vars, request, |_| (200, json!({"modified": true}))).await;

    assert_eq!(reply.header("x-inngest-sync-kind"), Some("out_of_band"));
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].json()["capabilities"],
        json!({"trust_probe": "v1"})
    );
}
