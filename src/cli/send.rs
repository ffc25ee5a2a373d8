//! `switchyard send <name> --data '{..}'`: sends one event and prints the ids it was given,
//! one a line.
//!
//! Where it goes follows the configuration, as `step.send_event` does for an Inngest app:
//! with no Inngest server configured, to this app's own event API, the embedded engine's
//! `POST /e/{key}` at `http://127.0.0.1:$PORT` (3000 when `PORT` is unset), so that the
//! running server stores it and runs what it triggers; otherwise to Inngest's event API at
//! the configured origin.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;
use switchyard_runtime::Event;

use super::{print, CliError, SendArgs, ServeArgs};
use crate::config::{self, Config};
use crate::event_api::{EventApi, EventApiError};
use crate::inngest_api::http_client;

/// Why the event to send is malformed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The event name is blank.
    #[error("event name is empty")]
    EmptyName,
    /// `--data` is not JSON.
    #[error("--data is not JSON: {0}")]
    MalformedData(#[source] serde_json::Error),
    /// The data file could not be read.
    #[error("cannot read data file {}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The data file is not JSON.
    #[error("data file {} is not JSON: {source}", path.display())]
    MalformedFile {
        /// The file.
        path: PathBuf,
        /// What the JSON parser said, with line and column.
        source: serde_json::Error,
    },
    /// The data is JSON but not an object.
    #[error("event data must be a JSON object, not {0}")]
    NotAnObject(&'static str),
}

/// Sends the event `args` describes and prints its ids.
pub(super) fn run(config: &Config, args: &SendArgs) -> Result<ExitCode, CliError> {
    let event = event(args)?;
    let mut api = EventApi::new(config, http_client()?);
    if config.engine {
        let port = config::serve_port(None, config::env_var)?;
        api = api.at(format!("http://{}:{port}", ServeArgs::DEFAULT_HOST));
    }

    let sent = actix_web::rt::System::new().block_on(async { api.post(&[event]).await });
    let ids = match sent {
        Err(error @ EventApiError::Unreachable { .. }) if config.engine => {
            return Err(CliError::NoLocalServer(error));
        }
        sent => sent?,
    };

    let text: String = ids.iter().map(|id| format!("{id}\n")).collect();
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn event(args: &SendArgs) -> Result<Event<Value>, SendError> {
    let name = args.name.trim();
    if name.is_empty() {
        return Err(SendError::EmptyName);
    }

    let data = match (&args.data, &args.file) {
        (Some(text), _) => serde_json::from_str(text).map_err(SendError::MalformedData)?,
        (None, Some(path)) => read_file(path)?,
        (None, None) => Value::Object(Default::default()),
    };
    let kind = match &data {
        Value::Object(_) => return Ok(Event::new(name, data)),
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
    };
    Err(SendError::NotAnObject(kind))
}

fn read_file(path: &Path) -> Result<Value, SendError> {
    let text = std::fs::read_to_string(path).map_err(|source| SendError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| SendError::MalformedFile {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(name: &str, data: Option<&str>) -> SendArgs {
        SendArgs {
            name: name.to_owned(),
            data: data.map(str::to_owned),
            file: None,
        }
    }

    #[test]
    fn builds_the_event_from_name_and_data() {
        let event = event(&args(" app/user.created ", Some(r#"{"id":1}"#))).unwrap();
        let empty = super::event(&args("app/x", None)).unwrap();

        assert_eq!(event.name, "app/user.created");
        assert_eq!(event.data, serde_json::json!({"id": 1}));
        assert_eq!(empty.data, serde_json::json!({}));
    }

    #[test]
    fn rejects_blank_names_and_data_that_is_not_an_object() {
        let cases = [
            (args(" ", None), "event name is empty"),
            (args("a/b", Some("{")), "--data is not JSON"),
            (
                args("a/b", Some("[1]")),
                "must be a JSON object, not an array",
            ),
        ];

        for (args, expected) in cases {
            let error = event(&args).unwrap_err().to_string();

            assert!(error.contains(expected), "{args:?}: {error}");
        }
    }
}
