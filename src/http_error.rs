//! Every error the HTTP server answers with, its status code and its headers, in one place.
//!
//! Bodies are JSON: `{"message": ..}` for most errors, `{"message": .., "modified": false}`
//! for a failed sync, the error object `{"name", "message"}` for a failed function, and
//! Inngest's `{"ids": [], "status": .., "error": ..}` for events refused by the embedded
//! engine's event API. None carries a stack trace, a key or a path of the machine.
//!
//! Headers follow who may see them. Errors raised before a request is authenticated (401,
//! 413, 415, an unreadable body) keep only `X-Inngest-Sdk-Handled`, as the SDKs strip their
//! 401s, so anonymous callers cannot fingerprint the app; a 404 is not an SDK answer and
//! carries nothing. Every other error carries the SDK headers and `X-Inngest-No-Retry`:
//! `true` when retrying the same request cannot help.

use actix_web::http::{header, Method, StatusCode};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use serde_json::json;
use switchyard_engine::{EngineError, IngestError};
use switchyard_runtime::{CallRequestError, SerializedError};
use tracing::error;

use crate::config::MAX_BODY_VAR;
use crate::runs::QueryError;
use crate::server::headers::{self, names};

/// An error answered to an HTTP client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The request is not authenticated. The message is the exact body every SDK sends.
    #[error("Unauthorized")]
    Unauthorized,
    /// No route matches the path.
    #[error("no route for {path}")]
    NotFound {
        /// The path that was requested.
        path: String,
    },
    /// The route exists but not for this method.
    #[error("method {method} is not allowed on {path}; use {allowed}")]
    MethodNotAllowed {
        /// The method that was used.
        method: Method,
        /// The path that was requested.
        path: String,
        /// The methods the route accepts, comma-separated.
        allowed: &'static str,
    },
    /// The body is larger than the configured cap.
    #[error("request body is larger than {limit} bytes; raise {MAX_BODY_VAR} to accept it")]
    BodyTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The body is compressed, and the server reads plain bodies only.
    #[error("request body is encoded with `{encoding}`; send it without Content-Encoding")]
    UnsupportedEncoding {
        /// The `Content-Encoding` of the request.
        encoding: String,
    },
    /// The body could not be read from the connection.
    #[error("could not read the request body: {reason}")]
    UnreadableBody {
        /// What went wrong while reading.
        reason: String,
    },
    /// A call came without the `fnId` query parameter.
    #[error("missing query parameter `fnId`: the function to call, `<app id>-<function id>`")]
    MissingFunctionId,
    /// No served function has the id a call asked for.
    #[error("function `{id}` not found in app `{app_id}`; the app may need a sync")]
    FunctionNotFound {
        /// The id that was asked for.
        id: String,
        /// The app id that composite ids start with.
        app_id: String,
    },
    /// A probe other than `trust` was asked for.
    #[error("unknown probe `{probe}`; the only probe is `trust`")]
    UnknownProbe {
        /// The probe that was asked for.
        probe: String,
    },
    /// The call request body is empty, not JSON, or has a field of the wrong shape.
    #[error(transparent)]
    BadCall(#[from] CallRequestError),
    /// A call with `use_api` could not fetch its events or steps from Inngest.
    #[error("cannot fetch the run's events and steps from Inngest: {reason}")]
    RunData {
        /// Why the fetch failed.
        reason: String,
    },
    /// Inngest did not accept the sync; the message is its reason.
    #[error("{message}")]
    SyncFailed {
        /// Why the sync failed, as Inngest or the connection said.
        message: String,
    },
    /// The event key in an event API URL is not the configured `INNGEST_EVENT_KEY`. The
    /// message is the one Inngest sends.
    #[error("Event key not found")]
    EventKeyNotFound,
    /// The body sent to the event API is not an event or an array of events.
    #[error("request body is not an event or an array of events: {reason}")]
    MalformedEvents {
        /// What is wrong with it.
        reason: String,
    },
    /// The event API refused an event; the message names its index and field.
    #[error(transparent)]
    BadEvents(#[from] IngestError),
    /// A query parameter of an engine listing cannot be used.
    #[error(transparent)]
    BadQuery(#[from] QueryError),
    /// An engine path was asked for while an Inngest server is configured and the engine
    /// is off; the path is not repeated, as an event API path holds a key.
    #[error(
        "the embedded engine is off because an Inngest server is configured; send events to \
         Inngest and see runs there"
    )]
    EngineOff,
    /// The engine has no run with this id.
    #[error("no run with id `{id}`")]
    RunNotFound {
        /// The id that was asked for.
        id: String,
    },
    /// The engine's database failed; the server log has the details.
    #[error("the engine's database failed; the server log has the details")]
    EngineFailed,
    /// The function failed; answered with its error object.
    #[error("{}: {}", error.name, error.message)]
    FunctionFailed {
        /// The error, as Inngest stores it.
        error: SerializedError,
        /// Whether Inngest must not retry.
        no_retry: bool,
        /// Seconds Inngest should wait before retrying, when the function asked for a delay.
        retry_after: Option<u64>,
    },
}

/// Who may see the headers of an error.
enum Audience {
    /// Not authenticated yet: only `X-Inngest-Sdk-Handled`.
    Anonymous,
    /// Not an SDK answer at all.
    Nobody,
    /// An SDK answer, with `X-Inngest-No-Retry` when it is a call error.
    Sdk { no_retry: Option<bool> },
}

impl HttpError {
    fn audience(&self) -> Audience {
        match self {
            HttpError::Unauthorized
            | HttpError::BodyTooLarge { .. }
            | HttpError::UnsupportedEncoding { .. }
            | HttpError::UnreadableBody { .. } => Audience::Anonymous,
            HttpError::NotFound { .. }
            | HttpError::EventKeyNotFound
            | HttpError::MalformedEvents { .. }
            | HttpError::BadEvents(_)
            | HttpError::BadQuery(_)
            | HttpError::RunNotFound { .. }
            | HttpError::EngineOff
            | HttpError::EngineFailed => Audience::Nobody,
            HttpError::MethodNotAllowed { .. } | HttpError::SyncFailed { .. } => {
                Audience::Sdk { no_retry: None }
            }
            HttpError::MissingFunctionId
            | HttpError::UnknownProbe { .. }
            | HttpError::BadCall(_) => Audience::Sdk {
                no_retry: Some(true),
            },
            HttpError::FunctionNotFound { .. } | HttpError::RunData { .. } => Audience::Sdk {
                no_retry: Some(false),
            },
            HttpError::FunctionFailed { no_retry, .. } => Audience::Sdk {
                no_retry: Some(*no_retry),
            },
        }
    }

    fn body(&self) -> serde_json::Value {
        match self {
            HttpError::SyncFailed { message } => json!({ "message": message, "modified": false }),
            HttpError::FunctionFailed { error, .. } => json!(error),
            HttpError::EventKeyNotFound
            | HttpError::MalformedEvents { .. }
            | HttpError::BadEvents(_) => json!({
                "ids": [],
                "status": self.status_code().as_u16(),
                "error": self.to_string(),
            }),
            other => json!({ "message": other.to_string() }),
        }
    }
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            HttpError::Unauthorized | HttpError::EventKeyNotFound => StatusCode::UNAUTHORIZED,
            HttpError::NotFound { .. } | HttpError::RunNotFound { .. } | HttpError::EngineOff => {
                StatusCode::NOT_FOUND
            }
            HttpError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::UnsupportedEncoding { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HttpError::UnreadableBody { .. }
            | HttpError::MissingFunctionId
            | HttpError::UnknownProbe { .. }
            | HttpError::BadCall(_)
            | HttpError::MalformedEvents { .. }
            | HttpError::BadEvents(_)
            | HttpError::BadQuery(_) => StatusCode::BAD_REQUEST,
            HttpError::FunctionNotFound { .. }
            | HttpError::RunData { .. }
            | HttpError::SyncFailed { .. }
            | HttpError::EngineFailed => StatusCode::INTERNAL_SERVER_ERROR,
            HttpError::FunctionFailed { no_retry: true, .. } => StatusCode::BAD_REQUEST,
            HttpError::FunctionFailed { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self.audience() {
            Audience::Anonymous => {
                headers::stripped(&mut response);
            }
            Audience::Nobody => {}
            Audience::Sdk { no_retry } => {
                headers::sdk(&mut response);
                if let Some(no_retry) = no_retry {
                    response.insert_header((names::NO_RETRY, no_retry.to_string()));
                }
            }
        }
        self.extra_headers(&mut response);

        response.json(self.body())
    }
}

impl HttpError {
    fn extra_headers(&self, response: &mut HttpResponseBuilder) {
        match self {
            HttpError::MethodNotAllowed { allowed, .. } => {
                response.insert_header((header::ALLOW, *allowed));
            }
            HttpError::FunctionFailed {
                retry_after: Some(seconds),
                ..
            } => {
                response.insert_header((names::RETRY_AFTER, seconds.to_string()));
            }
            HttpError::SyncFailed { .. } => {
                response.insert_header((names::SYNC_KIND, "out_of_band"));
            }
            _ => {}
        }
    }
}

impl From<EngineError> for HttpError {
    /// Refused events are the sender's fault (400); anything else is the database's, logged
    /// here and answered with a 500 that names no file.
    fn from(engine_error: EngineError) -> HttpError {
        match engine_error {
            EngineError::Ingest(refused) => HttpError::BadEvents(refused),
            other => {
                error!("the engine failed: {other}");
                HttpError::EngineFailed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;
    use serde_json::Value;

    async fn parts(error: &HttpError) -> (u16, Value, HttpResponse<()>) {
        let response = error.error_response();
        let status = response.status().as_u16();
        let (head, body) = response.into_parts();
        let body = to_bytes(body).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap(), head)
    }

    fn header<'a>(response: &'a HttpResponse<()>, name: &str) -> Option<&'a str> {
        response.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[actix_web::test]
    async fn maps_each_error_to_its_status_and_a_json_message() {
        let cases = [
            (HttpError::Unauthorized, 401, "Unauthorized"),
            (
                HttpError::NotFound {
                    path: "/nope".to_owned(),
                },
                404,
                "no route for /nope",
            ),
            (
                HttpError::MethodNotAllowed {
                    method: Method::DELETE,
                    path: "/api/inngest".to_owned(),
                    allowed: "GET, PUT, POST",
                },
                405,
                "method DELETE is not allowed on /api/inngest; use GET, PUT, POST",
            ),
            (
                HttpError::BodyTooLarge { limit: 10 },
                413,
                "request body is larger than 10 bytes; raise SWITCHYARD_MAX_BODY_BYTES to \
                 accept it",
            ),
            (
                HttpError::UnsupportedEncoding {
                    encoding: "gzip".to_owned(),
                },
                415,
                "request body is encoded with `gzip`; send it without Content-Encoding",
            ),
            (
                HttpError::BadCall(CallRequestError::Empty),
                400,
                "request body is empty; expected Inngest's JSON call request",
            ),
            (
                HttpError::FunctionNotFound {
                    id: "demo-app-nope".to_owned(),
                    app_id: "demo-app".to_owned(),
                },
                500,
                "function `demo-app-nope` not found in app `demo-app`; the app may need a sync",
            ),
        ];

        for (error, status, message) in cases {
            let (actual, body, _) = parts(&error).await;

            assert_eq!(actual, status, "status of {error:?}");
            assert_eq!(body, json!({ "message": message }), "body of {error:?}");
        }
    }

    #[actix_web::test]
    async fn answers_failed_functions_with_the_error_object_and_retry_headers() {
        let error = HttpError::FunctionFailed {
            error: SerializedError {
                name: "RetryAfterError".to_owned(),
                message: "slow down".to_owned(),
                stack: None,
            },
            no_retry: false,
            retry_after: Some(30),
        };

        let (status, body, head) = parts(&error).await;

        assert_eq!(status, 500);
        assert_eq!(
            body,
            json!({"name": "RetryAfterError", "message": "slow down"})
        );
        assert_eq!(header(&head, names::NO_RETRY), Some("false"));
        assert_eq!(header(&head, names::RETRY_AFTER), Some("30"));
        assert_eq!(header(&head, names::SDK), Some(headers::SDK));
    }

    #[actix_web::test]
    async fn answers_refused_events_in_the_shape_of_inngests_event_api() {
        let field = IngestError::Field {
            index: 1,
            field: "name",
            problem: "is missing or empty",
        };
        let cases = [
            (HttpError::EventKeyNotFound, 401, "Event key not found"),
            (
                HttpError::BadEvents(field),
                400,
                "event 1 field `name` is missing or empty",
            ),
            (
                HttpError::MalformedEvents {
                    reason: "it is a number".to_owned(),
                },
                400,
                "request body is not an event or an array of events: it is a number",
            ),
        ];

        for (error, status, message) in cases {
            let (actual, body, head) = parts(&error).await;

            assert_eq!(actual, status, "{error:?}");
            assert_eq!(
                body,
                json!({"ids": [], "status": status, "error": message}),
                "{error:?}"
            );
            assert_eq!(header(&head, names::SDK), None, "{error:?}");
        }
    }

    #[actix_web::test]
    async fn answers_engine_errors_without_naming_the_database() {
        let refused = EngineError::Ingest(IngestError::NotAnObject { index: 0 });
        let broken = EngineError::Store(switchyard_engine::StoreError::Json(
            serde_json::from_str::<Value>("{").unwrap_err(),
        ));

        let (refused_status, refused_body, _) = parts(&HttpError::from(refused)).await;
        let (broken_status, broken_body, _) = parts(&HttpError::from(broken)).await;
        let (missing_status, missing_body, _) = parts(&HttpError::RunNotFound {
            id: "01A".to_owned(),
        })
        .await;

        assert_eq!(refused_status, 400);
        assert_eq!(refused_body["error"], "event 0 is not an object");
        assert_eq!(broken_status, 500);
        assert_eq!(
            broken_body,
            json!({"message": "the engine's database failed; the server log has the details"})
        );
        assert_eq!(missing_status, 404);
        assert_eq!(missing_body, json!({"message": "no run with id `01A`"}));
    }

    #[actix_web::test]
    async fn answers_a_failed_sync_with_modified_false() {
        let error = HttpError::SyncFailed {
            message: "boom".to_owned(),
        };

        let (status, body, head) = parts(&error).await;

        assert_eq!(status, 500);
        assert_eq!(body, json!({"message": "boom", "modified": false}));
        assert_eq!(header(&head, names::SYNC_KIND), Some("out_of_band"));
    }

    #[actix_web::test]
    async fn strips_sdk_headers_from_errors_before_authentication() {
        let anonymous = [
            HttpError::Unauthorized,
            HttpError::BodyTooLarge { limit: 1 },
            HttpError::UnreadableBody {
                reason: "reset".to_owned(),
            },
        ];

        for error in anonymous {
            let (_, _, head) = parts(&error).await;

            assert_eq!(header(&head, names::SDK), None, "{error:?}");
            assert_eq!(header(&head, names::NO_RETRY), None, "{error:?}");
            assert_eq!(header(&head, names::SDK_HANDLED), Some("true"), "{error:?}");
        }
    }

    #[actix_web::test]
    async fn tells_inngest_whether_a_retry_can_help() {
        let cases = [
            (HttpError::MissingFunctionId, "true"),
            (HttpError::BadCall(CallRequestError::Empty), "true"),
            (
                HttpError::FunctionNotFound {
                    id: "x".to_owned(),
                    app_id: "a".to_owned(),
                },
                "false",
            ),
            (
                HttpError::RunData {
                    reason: "down".to_owned(),
                },
                "false",
            ),
        ];

        for (error, no_retry) in cases {
            let (_, _, head) = parts(&error).await;

            assert_eq!(header(&head, names::NO_RETRY), Some(no_retry), "{error:?}");
            assert_eq!(header(&head, names::SDK), Some(headers::SDK), "{error:?}");
        }
    }
}
