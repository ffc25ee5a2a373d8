//! Cloud mode: every POST and in-band PUT must be signed (C07-C10), answers to verified
//! requests are signed with the key that verified them, introspection shows hashes only to
//! a signed GET, and nothing secret or internal leaks into a response.

mod support {
    pub mod app;
    pub mod functions;
    pub mod mock_api;
}

use actix_web::test::TestRequest;
use serde_json::{json, Value};
use support::app::{
    call_uri, cloud_state, config, post, send, state, CallBody, Reply, FALLBACK, KEY, T0,
};
use support::mock_api::{closed_origin, MockApi};
use switchyard::runtime::signature::SigningKey;

/// The canonical body **B** of CASES.md.
const B: &str = r#"{"ctx":{"attempt":0,"run_id":"01HRUNPLACEHOLDER"},"event":{"data":{"q":"a&b"},"name":"app/test.ping"},"events":[{"data":{"q":"a&b"},"name":"app/test.ping"}],"steps":{}}"#;
const B_PRIMARY: &str = "74e9b450ef1f4e7f98dd45a9eb28b8495b8beae53e4e697bac58ddff03941fc9";
const B_FALLBACK: &str = "1667a0aadd6036881714109bb58412b36c45451efa170bcc2e4a55ebfd0c5539";

fn summarize() -> String {
    call_uri("demo-app-summarize-pages", "step")
}

/// A POST of `body` to `summarize-pages` with exactly these headers.
fn raw_post(body: &[u8], headers: &[(&str, &str)]) -> TestRequest {
    let mut request = TestRequest::post()
        .uri(&summarize())
        .set_payload(body.to_vec());
    for header in headers {
        request = request.insert_header(*header);
    }
    request
}

fn assert_unauthorized(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 401, "{what}");
    assert_eq!(reply.json(), json!({"message": "Unauthorized"}), "{what}");
    assert_eq!(reply.header("x-inngest-sdk"), None, "{what}");
    assert_eq!(reply.header("x-inngest-req-version"), None, "{what}");
    assert_eq!(reply.header("x-inngest-framework"), None, "{what}");
    assert_eq!(reply.header("x-inngest-signature"), None, "{what}");
    assert_eq!(
        reply.header("x-inngest-sdk-handled"),
        Some("true"),
        "{what}"
    );
}

#[actix_web::test]
async fn accepts_the_published_signatures_of_both_keys_and_signs_with_the_same_key() {
    let state = cloud_state(&closed_origin());
    let cases = [(B_PRIMARY, KEY), (B_FALLBACK, FALLBACK)];

    for (signature, key) in cases {
        let header = format!("t={T0}&s={signature}");
        let request = raw_post(
            B.as_bytes(),
            &[
                ("content-type", "application/json"),
                ("x-inngest-signature", &header),
            ],
        );

        let reply = send(&state, request).await;

        assert_eq!(
            (reply.status, reply.json()),
            (200, json!("summary")),
            "{key}"
        );
        assert!(reply.signed_by(key), "answer signed by {key}");
        assert!(!reply.signed_by(if key == KEY { FALLBACK } else { KEY }));
        assert_eq!(
            reply.header("x-inngest-sdk"),
            Some(switchyard::server::headers::SDK)
        );
    }
}

#[actix_web::test]
async fn accepts_a_signed_request_that_carries_nothing_else() {
    let state = cloud_state(&closed_origin());
    let header = format!("t={T0}&s={B_PRIMARY}");
    let request = raw_post(
        B.as_bytes(),
        &[
            ("content-type", "application/json"),
            ("x-inngest-signature", &header),
            ("user-agent", "Go-http-client/1.1"),
        ],
    );

    let reply = send(&state, request).await;

    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn refuses_unsigned_forged_stale_and_foreign_requests_without_fingerprints() {
    let state = cloud_state(&closed_origin());
    let body = B.as_bytes();
    let stranger = SigningKey::new("signkey-test-99999999").header(body, T0);
    let forged = format!("t={T0}&s={}", "0".repeat(64));
    let stale = SigningKey::new(KEY).header(body, T0 - 301);
    let future = SigningKey::new(KEY).header(body, T0 + 301);
    let other_time = format!("t={}&s={B_PRIMARY}", T0 + 1);
    let cases: [(&str, Option<&str>); 7] = [
        ("unsigned", None),
        ("foreign key", Some(&stranger)),
        ("forged", Some(&forged)),
        ("expired", Some(&stale)),
        ("from the future", Some(&future)),
        ("replayed with another time", Some(&other_time)),
        ("malformed", Some("sha256=abc")),
    ];

    for (what, signature) in cases {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(signature) = signature {
            headers.push(("x-inngest-signature", signature));
        }

        let reply = send(&state, raw_post(body, &headers)).await;

        assert_unauthorized(&reply, what);
    }
}

#[actix_web::test]
async fn accepts_signatures_within_five_minutes_either_way() {
    let state = cloud_state(&closed_origin());

    for t in [T0 - 299, T0 + 299] {
        let header = SigningKey::new(KEY).header(B.as_bytes(), t);
        let reply = send(
            &state,
            raw_post(B.as_bytes(), &[("x-inngest-signature", &header)]),
        )
        .await;

        assert_eq!(reply.status, 200, "t = T0 {:+}", t as i64 - T0 as i64);
    }
}

#[actix_web::test]
async fn lets_no_header_but_the_signature_decide() {
    let state = cloud_state(&closed_origin());
    let request = raw_post(
        B.as_bytes(),
        &[
            ("x-inngest-server-kind", "dev"),
            ("user-agent", "inngest"),
            ("x-inngest-sdk", "inngest-js:v4.24.0"),
        ],
    );

    let reply = send(&state, request).await;

    assert_unauthorized(&reply, "a dev server kind without a signature");
}

#[actix_web::test]
async fn accepts_a_body_signed_in_canonical_form_whatever_its_content_type() {
    let state = cloud_state(&closed_origin());
    let loose = serde_json::to_string_pretty(&serde_json::from_str::<Value>(B).unwrap()).unwrap();
    let header = format!("t={T0}&s={B_PRIMARY}");

    for content_type in ["text/plain", "application/json"] {
        let request = raw_post(
            loose.as_bytes(),
            &[
                ("content-type", content_type),
                ("x-inngest-signature", &header),
            ],
        );

        let reply = send(&state, request).await;

        assert_eq!(reply.status, 200, "{content_type}");
    }
}

#[actix_web::test]
async fn tells_an_empty_body_from_a_bad_signature_and_from_broken_json() {
    let state = cloud_state(&closed_origin());
    let signed_empty = post(&summarize(), b"", Some(KEY));
    let unsigned_empty = post(&summarize(), b"", None);
    let signed_text = post(&summarize(), b"not json", Some(KEY));

    let empty = send(&state, signed_empty).await;
    let anonymous = send(&state, unsigned_empty).await;
    let text = send(&state, signed_text).await;

    assert_eq!(empty.status, 400);
    assert!(
        empty.message().contains("request body is empty"),
        "{}",
        empty.message()
    );
    assert!(empty.signed_by(KEY));
    assert_unauthorized(&anonymous, "an unsigned empty body");
    assert_eq!(text.status, 400);
    assert!(text.message().contains("not JSON"), "{}", text.message());
}

#[actix_web::test]
async fn refuses_an_oversized_body_with_413_before_checking_its_signature() {
    let limited = state(config(&[
        ("INNGEST_SIGNING_KEY", KEY),
        ("SWITCHYARD_MAX_BODY_BYTES", "1000"),
    ]));
    let mut call = CallBody::new("app/big", json!({}));
    call.memoize("x", json!({ "data": "x".repeat(5000) }));

    for key in [Some(KEY), None] {
        let reply = send(&limited, post(&summarize(), &call.bytes(), key)).await;

        assert_eq!(reply.status, 413, "signed: {key:?}");
        assert!(reply.message().contains("SWITCHYARD_MAX_BODY_BYTES"));
    }
}

#[actix_web::test]
async fn signs_every_answer_to_a_verified_call_even_errors() {
    let state = cloud_state(&closed_origin());
    let fails = CallBody::new("test/fails", json!({})).bytes();
    let unknown = CallBody::new("x", json!({})).bytes();

    let failed = send(
        &state,
        post(&call_uri("demo-app-fails", "step"), &fails, Some(FALLBACK)),
    )
    .await;
    let missing = send(
        &state,
        post(&call_uri("demo-app-nope", "step"), &unknown, Some(KEY)),
    )
    .await;
    let probe = send(&state, post("/api/inngest?probe=trust", b"", Some(KEY))).await;
    let anonymous_probe = send(&state, post("/api/inngest?probe=trust", b"", None)).await;

    assert_eq!(failed.status, 500);
    assert!(failed.signed_by(FALLBACK));
    assert_eq!(missing.status, 500);
    assert!(missing.signed_by(KEY));
    assert_eq!(probe.status, 200);
    assert!(probe.signed_by(KEY));
    assert_unauthorized(&anonymous_probe, "an unsigned trust probe");
}

#[actix_web::test]
async fn refuses_anonymous_introspection_and_shows_hashes_to_a_signed_get() {
    let state = state(config(&[
        ("INNGEST_SIGNING_KEY", KEY),
        ("INNGEST_SIGNING_KEY_FALLBACK", FALLBACK),
        ("INNGEST_EVENT_KEY", "evtkey123"),
        ("INNGEST_SERVE_ORIGIN", "app.example.test"),
    ]));
    let signed = SigningKey::new(KEY).header(b"", T0);
    let wrong = SigningKey::new("signkey-test-99999999").header(b"", T0);

    let anonymous = send(&state, TestRequest::get().uri("/api/inngest")).await;
    let forged = send(
        &state,
        TestRequest::get()
            .uri("/api/inngest")
            .insert_header(("x-inngest-signature", wrong)),
    )
    .await;
    let reply = send(
        &state,
        TestRequest::get()
            .uri("/api/inngest?fnId=x")
            .insert_header(("x-inngest-signature", signed)),
    )
    .await;

    assert_unauthorized(&anonymous, "an unsigned GET");
    assert_unauthorized(&forged, "a GET signed with another key");
    assert_eq!(reply.status, 200);
    assert!(reply.signed_by(KEY));
    let body = reply.json();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "api_origin",
            "app_id",
            "authentication_succeeded",
            "capabilities",
            "env",
            "event_api_origin",
            "event_key_hash",
            "framework",
            "function_count",
            "has_event_key",
            "has_signing_key",
            "has_signing_key_fallback",
            "mode",
            "schema_version",
            "sdk_language",
            "sdk_version",
            "serve_origin",
            "serve_path",
            "signing_key_fallback_hash",
            "signing_key_hash",
        ]
    );
    assert_eq!(body["authentication_succeeded"], true);
    assert_eq!(body["mode"], "cloud");
    assert_eq!(body["serve_origin"], "https://app.example.test");
    assert_eq!(
        body["signing_key_hash"],
        "b2ed992186a5cb19f6668aade821f502c1d00970dfd0e35128d51bac4649916c"
    );
    assert_eq!(
        body["signing_key_fallback_hash"],
        "235c6e3ab89786e7f171838fda309579aa64e99a9a1431ad94c650fdf3622969"
    );
    assert_eq!(
        body["event_key_hash"],
        "3eeeb678cc4bfee43acfbe1af6e9c5dca480947bee10af9b98108e93bbcd211c"
    );
    let text = body.to_string();
    for secret in ["12345678", "87654321", "evtkey123"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[actix_web::test]
async fn requires_a_signature_for_in_band_sync_and_signs_the_answer() {
    let state = cloud_state(&closed_origin());
    let body = br#"{"url":"https://app.example.test/api/inngest"}"#;
    let in_band = |key: Option<&str>| {
        let mut request = TestRequest::put()
            .uri("/api/inngest")
            .insert_header(("x-inngest-sync-kind", "in_band"))
            .set_payload(body.to_vec());
        if let Some(key) = key {
            request = request
                .insert_header(("x-inngest-signature", SigningKey::new(key).header(body, T0)));
        }
        request
    };

    let anonymous = send(&state, in_band(None)).await;
    let signed = send(&state, in_band(Some(FALLBACK))).await;

    assert_unauthorized(&anonymous, "an unsigned in-band sync");
    assert_eq!(signed.status, 200);
    assert!(signed.signed_by(FALLBACK));
    assert_eq!(signed.header("x-inngest-sync-kind"), Some("in_band"));
    let answer = signed.json();
    assert_eq!(answer["inspection"]["authentication_succeeded"], true);
    assert_eq!(answer["url"], "https://app.example.test/api/inngest");
    assert!(!answer.to_string().contains("12345678"));
}

#[actix_web::test]
async fn accepts_unsigned_out_of_band_syncs_unless_told_not_to() {
    for (unauthed, status, registrations) in [("true", 200, 1), ("false", 401, 0)] {
        let mock = MockApi::start(|_| (200, json!({"ok": true}))).await;
        let state = state(config(&[
            ("INNGEST_SIGNING_KEY", KEY),
            ("INNGEST_BASE_URL", &mock.origin),
            ("INNGEST_ENABLE_UNAUTHED_SYNC", unauthed),
        ]));

        let reply = send(&state, TestRequest::put().uri("/api/inngest")).await;
        let requests = mock.requests();
        mock.stop().await;

        assert_eq!(reply.status, status, "unauthed sync {unauthed}");
        assert_eq!(requests.len(), registrations, "unauthed sync {unauthed}");
        assert_eq!(reply.header("x-inngest-signature"), None);
    }
}

#[actix_web::test]
async fn signs_the_answer_to_a_signed_out_of_band_sync() {
    let mock = MockApi::start(|_| (200, json!({"ok": true, "modified": true}))).await;
    let state = cloud_state(&mock.origin);
    let signature = SigningKey::new(KEY).header(b"", T0);

    let reply = send(
        &state,
        TestRequest::put()
            .uri("/api/inngest")
            .insert_header(("x-inngest-signature", signature)),
    )
    .await;
    mock.stop().await;

    assert_eq!(reply.status, 200);
    assert!(reply.signed_by(KEY));
}

#[actix_web::test]
async fn fetches_run_data_with_the_fallback_bearer_when_the_primary_is_refused() {
    let mock = MockApi::start(|request| {
        let fallback = request
            .header("authorization")
            .is_some_and(|bearer| bearer.starts_with("Bearer signkey-test-235c6e3a"));
        match (fallback, request.path.as_str()) {
            (false, _) => (403, json!({ "error": "forbidden" })),
            (true, "/v0/runs/r1/batch") => {
                (200, json!([{ "name": "app/pages.updated", "data": {} }]))
            }
            (true, _) => (200, json!({})),
        }
    })
    .await;
    let state = cloud_state(&mock.origin);
    let body =
        br#"{"event":{"name":"app/pages.updated","data":{}},"ctx":{"run_id":"r1"},"use_api":true}"#;

    let reply = send(&state, post(&summarize(), body, Some(KEY))).await;
    let requests = mock.requests();
    mock.stop().await;

    assert_eq!((reply.status, reply.json()), (200, json!("summary")));
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/v0/runs/r1/batch",
            "/v0/runs/r1/batch",
            "/v0/runs/r1/actions",
            "/v0/runs/r1/actions"
        ]
    );
}
