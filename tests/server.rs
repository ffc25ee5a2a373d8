//! The HTTP surface: `/api/inngest` for GET with any query string, 405 for other methods,
//! the trailing slash, and the dev-mode debug endpoint. PUT and POST are tested in
//! `serve_sync.rs`, `serve_call.rs` and `serve_security.rs`.

use actix_web::dev::ServiceResponse;
use actix_web::http::{Method, StatusCode};
use actix_web::{test, App};
use serde_json::{json, Value};
use switchyard::config::{Config, Mode};
use switchyard::registry::REGISTRY;
use switchyard::server::{headers, routes, AppState};
use switchyard::summary::summaries;

fn config(mode: Mode) -> Config {
    match mode {
        Mode::Dev => config_with(&[("INNGEST_DEV", "1")]),
        Mode::Cloud => config_with(&[("INNGEST_SIGNING_KEY", "signkey-test-12345678")]),
    }
}

fn config_with(vars: &[(&str, &str)]) -> Config {
    let lookup = |name: &str| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    };
    Config::from_lookup(Some("demo-app"), lookup).unwrap()
}

/// Sends one request to a fresh app configured with `config`.
async fn send(config: Config, method: Method, uri: &str) -> ServiceResponse {
    let state = AppState::new(config, &REGISTRY).unwrap();
    let app = test::init_service(App::new().configure(routes(state))).await;

    let request = test::TestRequest::default()
        .method(method)
        .uri(uri)
        .to_request();
    test::call_service(&app, request).await
}

async fn json_body(response: ServiceResponse) -> Value {
    let body = test::read_body(response).await;
    serde_json::from_slice(&body).unwrap_or_else(|error| {
        panic!(
            "body is not JSON ({error}): {}",
            String::from_utf8_lossy(&body)
        )
    })
}

async fn message(response: ServiceResponse) -> String {
    let body = json_body(response).await;
    body["message"].as_str().unwrap_or_default().to_owned()
}

fn header<'a>(response: &'a ServiceResponse, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

fn assert_sdk_headers(response: &ServiceResponse, what: &str) {
    assert_eq!(
        header(response, "x-inngest-sdk"),
        Some(headers::SDK),
        "{what}"
    );
    assert_eq!(
        header(response, "x-inngest-req-version"),
        Some("2"),
        "{what}"
    );
    assert_eq!(
        header(response, "content-type"),
        Some("application/json"),
        "{what}"
    );
}

#[actix_web::test]
async fn answers_introspection_in_dev_mode_whatever_the_query_string() {
    let uris = [
        "/api/inngest",
        "/api/inngest?fnId=demo-app-sign-up-welcome-email&stepId=step",
        "/api/inngest?probe=trust",
        "/api/inngest/",
        "/api/inngest/?fnId=demo-app-sign-up-welcome-email",
    ];

    for uri in uris {
        let response = send(config(Mode::Dev), Method::GET, uri).await;

        assert_eq!(response.status(), StatusCode::OK, "GET {uri}");
        assert_sdk_headers(&response, uri);
        assert_eq!(
            json_body(response).await,
            json!({
                "schema_version": "2024-05-24",
                "function_count": REGISTRY.inngest_function_count(),
                "has_event_key": false,
                "has_signing_key": false,
                "has_signing_key_fallback": false,
                "mode": "dev",
                "authentication_succeeded": null
            }),
            "GET {uri}"
        );
    }
}

#[actix_web::test]
async fn reports_which_keys_are_configured() {
    let config = config_with(&[
        ("INNGEST_DEV", "1"),
        ("INNGEST_EVENT_KEY", "evtkey123"),
        ("INNGEST_SIGNING_KEY", "signkey-test-12345678"),
        ("INNGEST_SIGNING_KEY_FALLBACK", "signkey-test-87654321"),
    ]);

    let response = send(config, Method::GET, "/api/inngest").await;

    let body = json_body(response).await;
    assert_eq!(body["has_event_key"], true);
    assert_eq!(body["has_signing_key"], true);
    assert_eq!(body["has_signing_key_fallback"], true);
    assert!(!body.to_string().contains("12345678"), "{body}");
}

#[actix_web::test]
async fn refuses_anonymous_introspection_in_cloud_mode_without_fingerprints() {
    for uri in ["/api/inngest", "/api/inngest/?fnId=x"] {
        let response = send(config(Mode::Cloud), Method::GET, uri).await;

        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "GET {uri}");
        assert_eq!(header(&response, "x-inngest-sdk"), None, "GET {uri}");
        assert_eq!(
            header(&response, "x-inngest-req-version"),
            None,
            "GET {uri}"
        );
        assert_eq!(
            header(&response, "x-inngest-sdk-handled"),
            Some("true"),
            "GET {uri}"
        );
        assert_eq!(
            json_body(response).await,
            json!({"message": "Unauthorized"})
        );
    }
}

#[actix_web::test]
async fn refuses_other_methods_with_405_and_the_allowed_ones() {
    let methods = [Method::DELETE, Method::PATCH, Method::HEAD, Method::OPTIONS];

    for method in methods {
        for uri in ["/api/inngest", "/api/inngest/", "/api/inngest?fnId=x"] {
            let response = send(config(Mode::Dev), method.clone(), uri).await;

            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {uri}"
            );
            assert_eq!(
                header(&response, "allow"),
                Some("GET, PUT, POST"),
                "{method} {uri}"
            );
            if method != Method::HEAD {
                let message = message(response).await;
                assert!(
                    message.contains(method.as_str()),
                    "{method} {uri}: {message}"
                );
            }
        }
    }
}

#[actix_web::test]
async fn lists_the_functions_in_dev_mode_as_the_cli_does() {
    for uri in ["/api/inngest/functions", "/api/inngest/functions/?x=1"] {
        let response = send(config(Mode::Dev), Method::GET, uri).await;

        assert_eq!(response.status(), StatusCode::OK, "GET {uri}");
        let expected = serde_json::to_value(summaries(&REGISTRY, "demo-app")).unwrap();
        let body = json_body(response).await;
        assert_eq!(body["totalFunctions"], REGISTRY.len(), "GET {uri}");
        assert_eq!(body["functions"], expected, "GET {uri}");
        assert_eq!(
            body.as_object().map(|body| body.len()),
            Some(2),
            "GET {uri}"
        );
    }
}

#[actix_web::test]
async fn hides_the_function_list_outside_dev_mode() {
    let response = send(config(Mode::Cloud), Method::GET, "/api/inngest/functions").await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&response, "x-inngest-sdk"), None);
    assert_eq!(
        json_body(response).await,
        json!({"message": "no route for /api/inngest/functions"})
    );
}

#[actix_web::test]
async fn answers_unknown_paths_with_a_json_404() {
    for uri in ["/", "/api", "/api/inngestx", "/api/inngest/other"] {
        let response = send(config(Mode::Dev), Method::GET, uri).await;

        assert_eq!(response.status(), StatusCode::NOT_FOUND, "GET {uri}");
        let message = message(response).await;
        assert!(message.contains(uri), "GET {uri}: {message}");
    }
}
