//! Every error the HTTP server answers with, and its status code, in one place.
//!
//! Bodies are JSON `{"message": ..}`. Errors of the serve endpoint carry the SDK headers,
//! except a 401, which is stripped as the SDKs strip it; a 404 is not an SDK answer and
//! carries none.

use actix_web::http::{header, Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::server::headers;

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
    /// The request is valid but the feature it needs does not exist yet.
    #[error("{what} is not implemented yet")]
    NotImplemented {
        /// What is missing, such as `syncing functions (PUT /api/inngest)`.
        what: &'static str,
    },
}

#[derive(Serialize)]
struct Body {
    message: String,
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            HttpError::Unauthorized => StatusCode::UNAUTHORIZED,
            HttpError::NotFound { .. } => StatusCode::NOT_FOUND,
            HttpError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::NotImplemented { .. } => StatusCode::NOT_IMPLEMENTED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            HttpError::Unauthorized => headers::stripped(&mut response),
            HttpError::NotFound { .. } => &mut response,
            HttpError::MethodNotAllowed { allowed, .. } => {
                headers::sdk(&mut response).insert_header((header::ALLOW, *allowed))
            }
            HttpError::NotImplemented { .. } => headers::sdk(&mut response),
        };

        response.json(Body {
            message: self.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

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
                HttpError::NotImplemented { what: "syncing" },
                501,
                "syncing is not implemented yet",
            ),
        ];

        for (error, status, message) in cases {
            let response = error.error_response();

            assert_eq!(response.status().as_u16(), status, "status of {error:?}");
            let body = to_bytes(response.into_body()).await.unwrap();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                json,
                serde_json::json!({ "message": message }),
                "body of {error:?}"
            );
        }
    }

    #[test]
    fn strips_sdk_headers_from_unauthorized_responses_only() {
        let unauthorized = HttpError::Unauthorized.error_response();
        let not_implemented = HttpError::NotImplemented { what: "x" }.error_response();

        let handled = unauthorized.headers().get(headers::names::SDK_HANDLED);
        let sdk = not_implemented.headers().get(headers::names::SDK);

        assert!(!unauthorized.headers().contains_key(headers::names::SDK));
        assert_eq!(handled.unwrap(), "true");
        assert_eq!(sdk.unwrap(), headers::SDK);
    }
}
