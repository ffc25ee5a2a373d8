//! GET `/api/inngest`: what the app tells an unauthenticated caller about itself.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::{headers, AppState};
use crate::config::Mode;
use crate::http_error::HttpError;

/// The schema of the introspection body.
pub const SCHEMA_VERSION: &str = "2024-05-24";

/// The unauthenticated introspection body (PROTOCOL.md 1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introspection {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: &'static str,
    /// How many functions the app serves.
    pub function_count: usize,
    /// Whether an event key is configured.
    pub has_event_key: bool,
    /// Whether a signing key is configured.
    pub has_signing_key: bool,
    /// Whether a fallback signing key is configured.
    pub has_signing_key_fallback: bool,
    /// Dev or cloud.
    pub mode: Mode,
    /// `None` (written as `null`) because the request carried no signature that was checked.
    pub authentication_succeeded: Option<bool>,
}

impl Introspection {
    /// The body for an unsigned request to the app described by `state`.
    pub fn unauthenticated(state: &AppState) -> Introspection {
        let config = &state.config;
        Introspection {
            schema_version: SCHEMA_VERSION,
            function_count: state.registry.len(),
            has_event_key: config.has_event_key,
            has_signing_key: config.has_signing_key,
            has_signing_key_fallback: config.has_signing_key_fallback,
            mode: config.mode,
            authentication_succeeded: None,
        }
    }
}

/// Answers the introspection body in dev mode and 401 in cloud mode.
// TODO: verify `X-Inngest-Signature` in cloud mode and answer the authenticated shape to a
// valid signature; until signature verification exists every cloud-mode GET is refused.
pub(super) async fn get(state: web::Data<AppState>) -> Result<HttpResponse, HttpError> {
    if !state.config.is_dev() {
        return Err(HttpError::Unauthorized);
    }

    let body = Introspection::unauthenticated(&state);
    Ok(headers::sdk(&mut HttpResponse::Ok()).json(body))
}
