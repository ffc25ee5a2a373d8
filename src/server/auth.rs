//! Who sent a request, and signing the answers to those who proved it.
//!
//! In cloud mode a request is trusted only if its `X-Inngest-Signature` verifies with the
//! signing key or the fallback key, within five minutes either way. Nothing else decides:
//! not the user agent, not `X-Inngest-Server-Kind`, not any other header. The answer to a
//! verified request is signed with the key that verified it, over the exact bytes sent.
//! In dev mode nothing is verified and nothing is signed, as the official SDKs do.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use switchyard_runtime::signature::{verify, SignatureError, SigningKey};
use tracing::{debug, warn};

use super::AppState;
use crate::http_error::HttpError;

/// The signature header, lowercase as header maps store it.
const SIGNATURE: HeaderName = HeaderName::from_static("x-inngest-signature");

/// Requires a valid signature in cloud mode and returns the key that verified it; in dev
/// mode returns `None` without looking.
///
/// # Errors
///
/// Returns [`HttpError::Unauthorized`] when cloud mode finds no valid signature.
pub(super) fn require(
    state: &AppState,
    request: &HttpRequest,
    body: &[u8],
) -> Result<Option<SigningKey>, HttpError> {
    if state.config.is_dev() {
        return Ok(None);
    }

    match check(state, request, body) {
        Ok(key) => Ok(Some(key)),
        Err(reason) => {
            let posted = request.method() == actix_web::http::Method::POST;
            if posted && body.is_empty() && reason != SignatureError::Missing {
                warn!(
                    %reason,
                    "refused a request with an empty body; if Inngest sent it, a proxy or \
                     middleware in front of the app may have dropped the body"
                );
            } else {
                debug!(%reason, path = request.path(), "refused an unverified request");
            }
            Err(HttpError::Unauthorized)
        }
    }
}

/// Verifies the request's signature over `body` and returns the key that verified it.
///
/// # Errors
///
/// Returns why the signature was not accepted.
pub(super) fn check(
    state: &AppState,
    request: &HttpRequest,
    body: &[u8],
) -> Result<SigningKey, SignatureError> {
    let header = request
        .headers()
        .get(SIGNATURE)
        .map(|value| value.to_str().unwrap_or_default());
    let keys = state.config.signing_keys();

    let index = verify(header, body, &keys, (state.now)())?;
    keys.get(index).cloned().ok_or(SignatureError::Mismatch)
}

/// Signs `response` over its body bytes with `key`, if there is one.
pub(super) fn sign(response: HttpResponse, key: Option<&SigningKey>, now: u64) -> HttpResponse {
    let Some(key) = key else {
        return response;
    };

    let (mut head, body) = response.into_parts();
    match body.try_into_bytes() {
        Ok(bytes) => {
            let signature = key.header(&bytes, now);
            if let Ok(value) = HeaderValue::from_str(&signature) {
                head.headers_mut().insert(SIGNATURE, value);
            }
            head.set_body(BoxBody::new(bytes))
        }
        Err(body) => {
            warn!("cannot sign a streamed response; sending it unsigned");
            head.set_body(body)
        }
    }
}
