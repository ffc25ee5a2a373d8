//! Sending events to Inngest's event API: `POST <event origin>/e/<event key>`.
//!
//! Functions use it through `step.send_event` (it is the server's
//! [`EventSender`]), and `switchyard send` uses it from the command line. The key is part of
//! the URL, so errors and logs name the origin only.

use futures_util::future::BoxFuture;
use reqwest::header::CONTENT_TYPE;
use reqwest::Client;
use serde::Deserialize;
use serde_json::Value;
use switchyard_runtime::{Event, EventSender};

use crate::config::{Config, EventKey};
use crate::inngest_api::{describe, encode, upstream_reason};
use crate::server::headers::{self, names};

/// The key the dev server accepts when none is configured, as the JS SDK sends it.
pub const DEV_EVENT_KEY: &str = "NO_EVENT_KEY_SET";

/// Why events could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum EventApiError {
    /// Cloud mode needs an event key and none is set.
    #[error("no event key to send events with; set INNGEST_EVENT_KEY")]
    MissingKey,
    /// The request did not get an answer.
    #[error("cannot reach the event API at {origin}: {reason}")]
    Unreachable {
        /// The event API's origin.
        origin: String,
        /// What the client said, without the URL (which holds the key).
        reason: String,
    },
    /// The event API refused the events.
    #[error("the event API at {origin} answered {status}: {message}")]
    Rejected {
        /// The event API's origin.
        origin: String,
        /// The HTTP status, or the `status` field of the answer.
        status: u16,
        /// The reason it gave.
        message: String,
    },
}

/// What the event API answers.
#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    error: Option<String>,
}

/// A client of one app's event API.
#[derive(Debug, Clone)]
pub struct EventApi {
    client: Client,
    origin: String,
    key: Option<EventKey>,
    env: Option<String>,
}

impl EventApi {
    /// A client of the event API that `config` points at. In dev mode without an event key
    /// it sends [`DEV_EVENT_KEY`], which the dev server accepts.
    pub fn new(config: &Config, client: Client) -> EventApi {
        let key = match &config.event_key {
            Some(key) => Some(key.clone()),
            None if config.is_dev() => Some(EventKey::new(DEV_EVENT_KEY)),
            None => None,
        };
        EventApi {
            client,
            origin: config.event_api_origin.clone(),
            key,
            env: config.env.clone(),
        }
    }

    /// This client, sending to the event API at `origin` instead.
    pub fn at(self, origin: impl Into<String>) -> EventApi {
        EventApi {
            origin: origin.into(),
            ..self
        }
    }

    /// Sends `events` in one request and returns the ids Inngest gave them.
    ///
    /// A failed send is reported, not retried here: inside a function the step is retried
    /// by Inngest, and the CLI user can run the command again.
    ///
    /// # Errors
    ///
    /// Returns why the events were not accepted.
    pub async fn post(&self, events: &[Event<Value>]) -> Result<Vec<String>, EventApiError> {
        let key = self.key.as_ref().ok_or(EventApiError::MissingKey)?;
        let url = format!("{}/e/{}", self.origin, encode(key.expose()));
        let unreachable = |error: reqwest::Error| EventApiError::Unreachable {
            origin: self.origin.clone(),
            reason: describe(error),
        };

        // TODO: send `x-inngest-event-id-seed` as the official SDKs do, so that Inngest gives
        // a resent batch the same ids; without it a retried `step.send_event` whose first
        // answer was lost creates the events twice.
        let mut request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(names::SDK, headers::SDK)
            .body(serde_json::to_string(events).unwrap_or_else(|_| "[]".to_owned()));
        if let Some(env) = &self.env {
            request = request.header(names::ENV, env);
        }
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(unreachable)?;

        self.read_answer(status, &text)
    }

    fn read_answer(&self, status: u16, text: &str) -> Result<Vec<String>, EventApiError> {
        let rejected = |status: u16, message: String| EventApiError::Rejected {
            origin: self.origin.clone(),
            status,
            message,
        };
        if !(200..300).contains(&status) {
            return Err(rejected(status, upstream_reason(text)));
        }

        let answer: Answer = serde_json::from_str(text)
            .map_err(|error| rejected(status, format!("unreadable answer: {error}")))?;
        match (answer.status, answer.error) {
            (_, Some(error)) if !error.is_empty() => Err(rejected(status, error)),
            (Some(code), _) if !(200..300).contains(&code) => {
                Err(rejected(code, "no reason given".to_owned()))
            }
            _ => Ok(answer.ids),
        }
    }
}

impl EventSender for EventApi {
    fn send(
        &self,
        events: Vec<Event<Value>>,
    ) -> BoxFuture<'static, switchyard_runtime::Result<Vec<String>>> {
        let api = self.clone();
        Box::pin(async move {
            api.post(&events)
                .await
                .map_err(|error| switchyard_runtime::Error::new(error.to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(vars: &'static [(&'static str, &'static str)]) -> EventApi {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        };
        let config = Config::from_lookup(None, lookup).unwrap();
        EventApi::new(&config, Client::new())
    }

    #[test]
    fn reads_ids_and_errors_from_the_answer() {
        let api = api(&[]);
        let cases = [
            (200, r#"{"ids":["a","b"],"status":200}"#, Ok(vec!["a", "b"])),
            (
                200,
                r#"{"ids":[],"status":400,"error":"bad name"}"#,
                Err("bad name"),
            ),
            (
                200,
                r#"{"ids":[],"status":503}"#,
                Err("503: no reason given"),
            ),
            (
                401,
                r#"{"error":"Event key not found"}"#,
                Err("401: Event key not found"),
            ),
            (200, "<html>", Err("unreadable answer")),
        ];

        for (status, text, expected) in cases {
            let read = api.read_answer(status, text).map_err(|e| e.to_string());

            match expected {
                Ok(ids) => assert_eq!(read.unwrap(), ids, "{text}"),
                Err(part) => {
                    let message = read.unwrap_err();
                    assert!(message.contains(part), "{text}: {message}");
                }
            }
        }
    }

    #[test]
    fn uses_the_placeholder_key_in_dev_mode_only() {
        let dev = api(&[]);
        let cloud = api(&[("INNGEST_DEV", "0")]);

        assert_eq!(dev.key.as_ref().map(EventKey::expose), Some(DEV_EVENT_KEY));
        assert!(cloud.key.is_none());
    }
}
