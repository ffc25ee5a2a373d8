//! `POST /e/{key}`: the embedded engine's event API, as Inngest's: one event or an array,
//! answered `{"ids": [..], "status": 200}` once every event is stored.
//!
//! Served only while the engine runs. Any key is accepted, as Inngest's dev server does,
//! unless `INNGEST_EVENT_KEY` is set: then only that key is, and any other gets Inngest's
//! 401 `Event key not found`. The body cap applies (413) before the body is parsed; each
//! event is then checked (400 naming the event's index and field), and nothing of a refused
//! batch is stored.

use actix_web::{web, HttpRequest, HttpResponse, Resource};
use serde_json::{json, Value};
use tracing::debug;

use super::{body, method_not_allowed, AppState};
use crate::http_error::HttpError;

/// The event API, with and without a trailing slash.
pub(super) fn resource() -> Resource {
    web::resource(["/e/{key}", "/e/{key}/"])
        .route(web::post().to(post))
        .default_service(method_not_allowed("POST"))
}

async fn post(
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, HttpError> {
    let embedded = state.engine.as_ref().ok_or_else(|| HttpError::NotFound {
        path: request.path().to_owned(),
    })?;
    if let Some(expected) = &state.config.event_key {
        if expected.expose() != key.as_str() {
            return Err(HttpError::EventKeyNotFound);
        }
    }

    let body = body::read(&request, payload, state.config.max_body_bytes).await?;
    let events = parse(&body)?;
    let count = events.len();
    let engine = embedded.engine.clone();
    let ids = web::block(move || engine.send_events(events))
        .await
        .map_err(|_| HttpError::EngineFailed)??;

    debug!(count, "events stored");
    Ok(HttpResponse::Ok().json(json!({ "ids": ids, "status": 200 })))
}

/// The events of a body: one object, or an array of them.
fn parse(body: &[u8]) -> Result<Vec<Value>, HttpError> {
    let malformed = |reason: String| HttpError::MalformedEvents { reason };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(malformed("it is empty".to_owned()));
    }

    let value: Value =
        serde_json::from_slice(body).map_err(|error| malformed(format!("not JSON: {error}")))?;
    match value {
        Value::Array(events) => Ok(events),
        Value::Object(_) => Ok(vec![value]),
        Value::Null => Err(malformed("it is null".to_owned())),
        Value::Bool(_) => Err(malformed("it is a boolean".to_owned())),
        Value::Number(_) => Err(malformed("it is a number".to_owned())),
        Value::String(_) => Err(malformed("it is a string".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_event_or_an_array_and_refuses_anything_else() {
        let cases: [(&str, Result<usize, &str>); 7] = [
            (r#"{"name": "a/b"}"#, Ok(1)),
            (r#"[{"name": "a/b"}, {"name": "c/d"}]"#, Ok(2)),
            ("[]", Ok(0)),
            (" \n", Err("it is empty")),
            ("{", Err("not JSON: EOF while parsing")),
            ("\"a/b\"", Err("it is a string")),
            ("7", Err("it is a number")),
        ];

        for (body, expected) in cases {
            let read = parse(body.as_bytes()).map(|events| events.len());

            match expected {
                Ok(count) => assert_eq!(read.unwrap(), count, "{body}"),
                Err(reason) => {
                    let message = read.unwrap_err().to_string();
                    assert!(message.contains(reason), "{body}: {message}");
                }
            }
        }
    }
}
