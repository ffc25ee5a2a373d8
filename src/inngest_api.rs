//! Inngest's API as the app calls it: registering functions and fetching a run's data.
//!
//! Every request carries the hashed signing key as a bearer token; when Inngest answers 401
//! or 403 and a fallback key is configured, the request is sent once more with the fallback
//! key's token, so a key rotation never breaks a sync. Raw keys never leave the process.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;
use switchyard_runtime::signature::SigningKey;
use switchyard_runtime::Event;

use crate::config::Config;
use crate::server::headers::{self, names};

/// How long one request to Inngest may take, connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest part of an upstream answer quoted in an error.
const QUOTE_LIMIT: usize = 300;

/// Why a request to Inngest's API failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The HTTP client could not be set up (no TLS backend).
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The request did not get an answer.
    #[error("cannot reach Inngest at {url}: {reason}")]
    Unreachable {
        /// The URL that was called.
        url: String,
        /// What the client said, with its causes.
        reason: String,
    },
    /// Inngest answered with an error status.
    #[error("Inngest answered {status} to {url}: {message}")]
    Rejected {
        /// The URL that was called.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The reason Inngest gave, or the start of its answer.
        message: String,
    },
    /// Inngest answered with a body of the wrong shape.
    #[error("Inngest answered {url} with a body that is not {expected}: {message}")]
    Malformed {
        /// The URL that was called.
        url: String,
        /// What the body should have been.
        expected: &'static str,
        /// What the JSON parser said.
        message: String,
    },
}

/// The HTTP client shared by the app's calls to Inngest: rustls, timeouts, and the SDK's
/// user agent.
///
/// # Errors
///
/// Returns [`ApiError::Client`] when no TLS backend can be set up.
pub fn http_client() -> Result<Client, ApiError> {
    Client::builder()
        .user_agent(headers::SDK)
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(ApiError::Client)
}

/// A client of Inngest's API for one app.
#[derive(Debug, Clone)]
pub struct InngestApi {
    client: Client,
    origin: String,
    keys: Vec<SigningKey>,
    env: Option<String>,
}

impl InngestApi {
    /// A client of the API that `config` points at, authenticated with its signing keys.
    pub fn new(config: &Config, client: Client) -> InngestApi {
        InngestApi {
            client,
            origin: config.api_origin.clone(),
            keys: config.signing_keys(),
            env: config.env.clone(),
        }
    }

    /// The origin requests go to.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Posts a registration payload to `/fn/register` and returns Inngest's `modified` flag
    /// (false when it sent none).
    ///
    /// `deploy_id` is forwarded as the `deployId` query parameter and `server_kind` (the
    /// `X-Inngest-Server-Kind` of the PUT that asked for the sync) as
    /// `X-Inngest-Expected-Server-Kind`.
    ///
    /// # Errors
    ///
    /// Returns why Inngest could not be reached or refused the payload.
    pub async fn register(
        &self,
        payload: &Value,
        deploy_id: Option<&str>,
        server_kind: Option<&str>,
    ) -> Result<bool, ApiError> {
        let mut url = format!("{}/fn/register", self.origin);
        if let Some(deploy_id) = deploy_id {
            url.push_str(&format!("?deployId={}", encode(deploy_id)));
        }
        let body = payload.to_string();

        let response = self
            .send_with_keys(&url, || {
                let request = self
                    .client
                    .post(&url)
                    .header(CONTENT_TYPE, "application/json")
                    .header(names::SYNC_KIND, "out_of_band")
                    .header(names::FRAMEWORK, headers::FRAMEWORK)
                    .body(body.clone());
                match server_kind {
                    Some(kind) => request.header(names::EXPECTED_SERVER_KIND, kind),
                    None => request,
                }
            })
            .await?;

        let answer = success_json(&url, response).await?;
        Ok(answer
            .get("modified")
            .and_then(Value::as_bool)
            .unwrap_or(false))
    }

    /// The events of a run whose call request left them out (`use_api`).
    ///
    /// # Errors
    ///
    /// Returns why the events could not be fetched.
    pub async fn run_events(&self, run_id: &str) -> Result<Vec<Event<Value>>, ApiError> {
        let url = format!("{}/v0/runs/{}/batch", self.origin, encode(run_id));
        let answer = self.get_json(&url).await?;
        serde_json::from_value(answer).map_err(|error| ApiError::Malformed {
            url,
            expected: "a list of events",
            message: error.to_string(),
        })
    }

    /// The memoized steps of a run whose call request left them out (`use_api`).
    ///
    /// # Errors
    ///
    /// Returns why the steps could not be fetched.
    pub async fn run_steps(&self, run_id: &str) -> Result<HashMap<String, Value>, ApiError> {
        let url = format!("{}/v0/runs/{}/actions", self.origin, encode(run_id));
        let answer = self.get_json(&url).await?;
        serde_json::from_value(answer).map_err(|error| ApiError::Malformed {
            url,
            expected: "an object of steps",
            message: error.to_string(),
        })
    }

    async fn get_json(&self, url: &str) -> Result<Value, ApiError> {
        let response = self.send_with_keys(url, || self.client.get(url)).await?;
        success_json(url, response).await
    }

    /// Sends the request with the signing key's token, and once more with the fallback
    /// key's token if Inngest refuses the first.
    async fn send_with_keys(
        &self,
        url: &str,
        request: impl Fn() -> RequestBuilder,
    ) -> Result<Response, ApiError> {
        let mut keys = self.keys.iter();
        let mut response = self.send(url, request(), keys.next()).await?;

        for key in keys {
            if !matches!(response.status().as_u16(), 401 | 403) {
                break;
            }
            tracing::info!(%url, "Inngest refused the signing key; retrying with the fallback key");
            response = self.send(url, request(), Some(key)).await?;
        }
        Ok(response)
    }

    async fn send(
        &self,
        url: &str,
        request: RequestBuilder,
        key: Option<&SigningKey>,
    ) -> Result<Response, ApiError> {
        let mut request = request.header(names::SDK, headers::SDK);
        if let Some(key) = key {
            request = request.header(AUTHORIZATION, format!("Bearer {}", key.bearer()));
        }
        if let Some(env) = &self.env {
            request = request.header(names::ENV, env);
        }

        request.send().await.map_err(|error| ApiError::Unreachable {
            url: url.to_owned(),
            reason: describe(error),
        })
    }
}

/// The JSON body of a 2xx answer (`null` when it is empty), or the error it stands for.
async fn success_json(url: &str, response: Response) -> Result<Value, ApiError> {
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|error| ApiError::Unreachable {
            url: url.to_owned(),
            reason: describe(error),
        })?;

    if !status.is_success() {
        return Err(ApiError::Rejected {
            url: url.to_owned(),
            status: status.as_u16(),
            message: upstream_reason(&text),
        });
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(|error| ApiError::Malformed {
        url: url.to_owned(),
        expected: "JSON",
        message: error.to_string(),
    })
}

/// The reason in an error answer: its `error` or `message` field, else the start of the text.
pub(crate) fn upstream_reason(text: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let field = parsed.as_ref().and_then(|body| {
        ["error", "message"].iter().find_map(|name| {
            body.get(name)
                .and_then(Value::as_str)
                .filter(|reason| !reason.is_empty())
        })
    });

    let reason = field.unwrap_or(text.trim());
    if reason.is_empty() {
        return "no reason given".to_owned();
    }
    reason.chars().take(QUOTE_LIMIT).collect()
}

/// What a client error says, followed by its causes (`connection refused`, ...), without
/// the URL, which may hold a key.
pub(crate) fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// Percent-encodes everything but unreserved characters, for a path segment or query value.
pub(crate) fn encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_the_reason_inngest_gave() {
        let cases = [
            (r#"{"error":"boom"}"#, "boom"),
            (
                r#"{"message":"App ID required","status":400}"#,
                "App ID required",
            ),
            (r#"{"error":"","message":"fallback"}"#, "fallback"),
            ("  bad gateway \n", "bad gateway"),
            ("", "no reason given"),
        ];

        for (text, expected) in cases {
            assert_eq!(upstream_reason(text), expected, "{text:?}");
        }
    }

    #[test]
    fn cuts_long_reasons() {
        let reason = upstream_reason(&"x".repeat(1000));

        assert_eq!(reason.len(), QUOTE_LIMIT);
    }

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode("dpl_1-a.b~c"), "dpl_1-a.b~c");
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
