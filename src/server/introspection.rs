//! GET `/api/inngest`: what the app tells Inngest about itself (PROTOCOL.md 1.3).
//!
//! Dev mode answers the unauthenticated shape to anyone. Cloud mode answers 401 unless the
//! request carries a valid signature over the empty body, and then the authenticated shape:
//! origins, capabilities and hashes of the keys, never the keys themselves.

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use super::{auth, headers, AppState};
use crate::config::{EventKey, Mode};
use crate::registration::Capabilities;

/// The schema of the introspection body.
pub const SCHEMA_VERSION: &str = "2024-05-24";

/// The unauthenticated introspection body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introspection {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: &'static str,
    /// How many functions the app syncs: each function, plus the failure handler of each
    /// function that declares one (the JS SDK counts them the same way).
    pub function_count: usize,
    /// Whether an event key is configured.
    pub has_event_key: bool,
    /// Whether a signing key is configured.
    pub has_signing_key: bool,
    /// Whether a fallback signing key is configured.
    pub has_signing_key_fallback: bool,
    /// Dev or cloud.
    pub mode: Mode,
    /// `null` when no signature was checked, `true` when one verified.
    pub authentication_succeeded: Option<bool>,
}

/// The authenticated introspection body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthenticatedIntrospection {
    /// Everything the unauthenticated body says.
    #[serde(flatten)]
    pub base: Introspection,
    /// Where the app calls Inngest's API.
    pub api_origin: String,
    /// The app id.
    pub app_id: String,
    /// The protocol features the app supports.
    pub capabilities: Capabilities,
    /// The branch environment, if any.
    pub env: Option<String>,
    /// Where the app sends events.
    pub event_api_origin: String,
    /// Hex SHA-256 of the event key.
    pub event_key_hash: Option<String>,
    /// The web framework.
    pub framework: &'static str,
    /// The SDK's language.
    pub sdk_language: &'static str,
    /// The SDK's version.
    pub sdk_version: &'static str,
    /// `INNGEST_SERVE_ORIGIN`, if set.
    pub serve_origin: Option<String>,
    /// `INNGEST_SERVE_PATH`, if set.
    pub serve_path: Option<String>,
    /// Hex SHA-256 of the signing key's secret, as in its bearer token without prefix.
    pub signing_key_hash: Option<String>,
    /// The same for the fallback key.
    pub signing_key_fallback_hash: Option<String>,
}

impl Introspection {
    /// The body for an unsigned request to the app described by `state`.
    pub fn unauthenticated(state: &AppState) -> Introspection {
        let config = &state.config;
        Introspection {
            schema_version: SCHEMA_VERSION,
            function_count: state.registry.inngest_function_count(),
            has_event_key: config.has_event_key(),
            has_signing_key: config.has_signing_key(),
            has_signing_key_fallback: config.has_signing_key_fallback(),
            mode: config.mode,
            authentication_succeeded: None,
        }
    }
}

impl AuthenticatedIntrospection {
    /// The body for a verified request to the app described by `state`.
    pub fn new(state: &AppState) -> AuthenticatedIntrospection {
        let config = &state.config;
        AuthenticatedIntrospection {
            base: Introspection {
                authentication_succeeded: Some(true),
                ..Introspection::unauthenticated(state)
            },
            api_origin: config.api_origin.clone(),
            app_id: config.app_id.clone(),
            capabilities: Capabilities::of(config),
            env: config.env.clone(),
            event_api_origin: config.event_api_origin.clone(),
            event_key_hash: config.event_key.as_ref().map(EventKey::hashed),
            framework: headers::FRAMEWORK,
            sdk_language: headers::SDK_LANGUAGE,
            sdk_version: headers::SDK_VERSION,
            serve_origin: config.serve_origin.clone(),
            serve_path: config.serve_path.clone(),
            signing_key_hash: config.signing_key.as_ref().map(|key| key.hashed()),
            signing_key_fallback_hash: config.signing_key_fallback.as_ref().map(|key| key.hashed()),
        }
    }
}

/// Answers the unauthenticated body in dev mode, and in cloud mode the authenticated one to
/// a verified request (signed) and 401 to anyone else.
pub(super) async fn get(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    if state.config.is_dev() {
        let body = Introspection::unauthenticated(&state);
        return headers::sdk(&mut HttpResponse::Ok()).json(body);
    }

    let key = match auth::require(&state, &request, b"") {
        Ok(key) => key,
        Err(error) => return error.error_response(),
    };
    let body = AuthenticatedIntrospection::new(&state);
    let response = headers::sdk(&mut HttpResponse::Ok()).json(body);
    auth::sign(response, key.as_ref(), (state.now)())
}
