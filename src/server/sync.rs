//! PUT `/api/inngest`: syncs the app's functions with Inngest (PROTOCOL.md 1.4).
//!
//! - **Out-of-band** (the default): the app posts its registration payload to
//!   `<api origin>/fn/register`, forwarding `deployId` and the server kind, and answers
//!   200 `{"message", "modified"}` with Inngest's `modified` flag, or 500
//!   `{"message", "modified": false}` with Inngest's reason. Unsigned requests are accepted
//!   in cloud mode too, unless `INNGEST_ENABLE_UNAUTHED_SYNC=false`: the registration itself
//!   is authenticated with the app's own key.
//! - **In-band** (`X-Inngest-Sync-Kind: in_band`, unless `INNGEST_ALLOW_IN_BAND_SYNC=false`):
//!   the app answers with its configuration directly. Cloud mode requires a valid signature.
//!
//! The answer to a verified request is signed; in cloud mode the answer to an unsigned one
//! carries no header that identifies the SDK.

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;
use serde_json::json;
use switchyard_runtime::signature::SigningKey;
use tracing::{debug, info, warn};

use super::app_url::{app_url, Seen};
use super::introspection::{AuthenticatedIntrospection, Introspection};
use super::{auth, body, headers, AppState};
use crate::http_error::HttpError;
use crate::registration::{in_band_payload, register_payload};

const IN_BAND: &str = "in_band";

/// The query parameters of a sync.
#[derive(Debug, Default, Deserialize)]
struct SyncQuery {
    #[serde(rename = "deployId")]
    deploy_id: Option<String>,
}

/// The body of an in-band sync request.
#[derive(Debug, Default, Deserialize)]
struct InBandRequest {
    #[serde(default)]
    url: Option<String>,
}

/// Handles one PUT; never fails, since every error is an answer.
pub(super) async fn put(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let body = match body::read(&request, payload, state.config.max_body_bytes).await {
        Ok(body) => body,
        Err(error) => return error.error_response(),
    };
    let in_band = state.config.allow_in_band_sync
        && header(&request, headers::names::SYNC_KIND)
            .is_some_and(|kind| kind.eq_ignore_ascii_case(IN_BAND));

    let key = match authenticate(&state, &request, &body, in_band) {
        Ok(key) => key,
        Err(error) => return error.error_response(),
    };
    let response = if in_band {
        in_band_sync(&state, &request, &body, key.is_some())
    } else {
        match out_of_band_sync(&state, &request).await {
            Ok(response) => response,
            Err(error) => error.error_response(),
        }
    };
    if key.is_none() && !state.config.is_dev() {
        // An unsigned out-of-band sync is accepted in cloud mode, but anyone may send one:
        // the answer must not tell which SDK serves the app.
        return headers::strip(response);
    }
    auth::sign(response, key.as_ref(), (state.now)())
}

/// The key that verified the request. In-band syncs, and every sync in cloud mode with
/// unauthenticated syncs disabled, must be signed; other syncs may be.
fn authenticate(
    state: &AppState,
    request: &HttpRequest,
    body: &[u8],
    in_band: bool,
) -> Result<Option<SigningKey>, HttpError> {
    let config = &state.config;
    if in_band || !config.enable_unauthed_sync {
        return auth::require(state, request, body);
    }
    if config.is_dev() {
        return Ok(None);
    }

    match auth::check(state, request, body) {
        Ok(key) => Ok(Some(key)),
        Err(reason) => {
            debug!(%reason, "accepting an unsigned out-of-band sync");
            Ok(None)
        }
    }
}

fn in_band_sync(
    state: &AppState,
    request: &HttpRequest,
    body: &[u8],
    verified: bool,
) -> HttpResponse {
    let asked: InBandRequest = serde_json::from_slice(body).unwrap_or_default();
    let seen = asked
        .url
        .as_deref()
        .and_then(Seen::from_url)
        .unwrap_or_else(|| Seen::from_request(request));
    let url = app_url(&state.config, &seen);
    info!(%url, "answering an in-band sync");

    let inspection = if verified {
        json!(AuthenticatedIntrospection::new(state))
    } else {
        json!(Introspection::unauthenticated(state))
    };
    let payload = in_band_payload(&state.config, state.registry, &url, inspection);
    headers::sdk(&mut HttpResponse::Ok())
        .insert_header((headers::names::SYNC_KIND, IN_BAND))
        .json(payload)
}

async fn out_of_band_sync(
    state: &AppState,
    request: &HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let query = web::Query::<SyncQuery>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let deploy_id = query
        .deploy_id
        .filter(|id| !id.is_empty() && id != "undefined");
    let server_kind = header(request, headers::names::SERVER_KIND);

    let url = app_url(&state.config, &Seen::from_request(request));
    info!(%url, api = state.api.origin(), "registering functions with Inngest");
    let payload = register_payload(&state.config, state.registry, &url);
    let modified = state
        .api
        .register(&payload, deploy_id.as_deref(), server_kind)
        .await
        .map_err(|error| {
            warn!(%url, "sync failed: {error}");
            HttpError::SyncFailed {
                message: error.to_string(),
            }
        })?;

    info!(%url, modified, "synced functions with Inngest");
    let answer = json!({ "message": "Successfully synced.", "modified": modified });
    Ok(headers::sdk(&mut HttpResponse::Ok())
        .insert_header((headers::names::SYNC_KIND, "out_of_band"))
        .json(answer))
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}
