//! Reading a request body whole, up to the configured cap.
//!
//! The body is read as raw bytes whatever its `Content-Type` (Inngest's signature covers the
//! bytes, and some proxies relabel them `text/plain`). A body over the cap is refused with a
//! 413 that names the setting, before any signature is checked, so a large body is never
//! mistaken for a forged one. Compressed bodies are refused too: the signature covers the
//! plain bytes, and this server does not decompress.

use actix_web::http::header::CONTENT_ENCODING;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::HttpRequest;
use futures_util::StreamExt;

use crate::http_error::HttpError;

/// Reads the whole body of `request`, refusing it past `limit` bytes.
///
/// # Errors
///
/// Returns [`HttpError::BodyTooLarge`], [`HttpError::UnsupportedEncoding`] or
/// [`HttpError::UnreadableBody`].
pub(super) async fn read(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Bytes, HttpError> {
    if let Some(encoding) = request.headers().get(CONTENT_ENCODING) {
        let encoding = String::from_utf8_lossy(encoding.as_bytes())
            .trim()
            .to_owned();
        if !encoding.is_empty() && !encoding.eq_ignore_ascii_case("identity") {
            return Err(HttpError::UnsupportedEncoding { encoding });
        }
    }
    let declared = request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(HttpError::BodyTooLarge { limit });
    }

    let mut body = BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| HttpError::UnreadableBody {
            reason: error.to_string(),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(HttpError::BodyTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
