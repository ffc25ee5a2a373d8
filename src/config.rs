//! Configuration read from the environment, in one place.
//!
//! - `SWITCHYARD_APP_ID`: the app id (`--app-id` wins), default `switchyard`.
//! - `PORT`: the port `serve` listens on (`--port` wins), default 3000.
//! - `INNGEST_DEV`: `1` or `true` selects dev mode, `0` or `false` cloud mode; any other
//!   value selects dev mode with that dev server URL (`http://` added when the scheme is
//!   missing).
//! - `INNGEST_SIGNING_KEY`: the signing key; when `INNGEST_DEV` is unset, its presence
//!   selects cloud mode.
//! - `INNGEST_SIGNING_KEY_FALLBACK`: the rotation key.
//! - `INNGEST_EVENT_KEY`: the event key.
//!
//! `INNGEST_DEV` is read as the JS SDK v4 reads it. When it is unset (or empty) the mode is
//! dev, unless `INNGEST_SIGNING_KEY` is set, in which case it is cloud: a local `cargo run`
//! works without any variable, and a deployment that holds a signing key never drops into
//! dev mode, where requests are not verified, by accident.

use std::fmt;

use serde::Serialize;

/// The variable that holds the app id.
pub const APP_ID_VAR: &str = "SWITCHYARD_APP_ID";

/// The app id used when neither `--app-id` nor `SWITCHYARD_APP_ID` is given.
pub const DEFAULT_APP_ID: &str = "switchyard";

/// The variable that holds the port `serve` listens on.
pub const PORT_VAR: &str = "PORT";

/// The port `serve` listens on when neither `--port` nor `PORT` is given.
pub const DEFAULT_PORT: u16 = 3000;

const DEV_VAR: &str = "INNGEST_DEV";
const SIGNING_KEY_VAR: &str = "INNGEST_SIGNING_KEY";
const SIGNING_KEY_FALLBACK_VAR: &str = "INNGEST_SIGNING_KEY_FALLBACK";
const EVENT_KEY_VAR: &str = "INNGEST_EVENT_KEY";

/// Whether the app talks to a local dev server or to Inngest Cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Local development: requests are not verified and debug endpoints are served.
    Dev,
    /// Production: every request must be signed.
    Cloud,
}

impl Mode {
    /// The mode as Inngest writes it: `dev` or `cloud`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Dev => "dev",
            Mode::Cloud => "cloud",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The app id is empty or only whitespace.
    #[error("app id is empty; set --app-id or {APP_ID_VAR} to a name such as `{DEFAULT_APP_ID}`")]
    EmptyAppId,
    /// `PORT` does not hold a port number.
    #[error("invalid {PORT_VAR} `{value}`: expected a port number from 0 to 65535")]
    InvalidPort {
        /// The value of the variable.
        value: String,
    },
}

/// The app's configuration: its id, its mode and which keys are present.
// TODO: signing keys themselves, API and event origins, and the serve origin and path are
// not read yet; they arrive with the sync and execution protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The app id; Inngest names functions `<app id>-<function id>`.
    pub app_id: String,
    /// Dev or cloud.
    pub mode: Mode,
    /// The dev server URL given in `INNGEST_DEV`, if it held one.
    pub dev_server_url: Option<String>,
    /// Whether `INNGEST_EVENT_KEY` is set.
    pub has_event_key: bool,
    /// Whether `INNGEST_SIGNING_KEY` is set.
    pub has_signing_key: bool,
    /// Whether `INNGEST_SIGNING_KEY_FALLBACK` is set.
    pub has_signing_key_fallback: bool,
}

impl Config {
    /// Reads the configuration from the process environment; `app_id` is `--app-id`.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::EmptyAppId`] when the app id is blank.
    pub fn from_env(app_id: Option<&str>) -> Result<Config, ConfigError> {
        Config::from_lookup(app_id, env_var)
    }

    /// Reads the configuration through `lookup`, which returns a variable's value if set.
    ///
    /// An empty variable counts as unset. The app id is `app_id` when given, else
    /// `SWITCHYARD_APP_ID`, else [`DEFAULT_APP_ID`].
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::EmptyAppId`] when the app id is blank.
    pub fn from_lookup(
        app_id: Option<&str>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let set = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let from_env = set(APP_ID_VAR);
        let app_id = app_id
            .or(from_env.as_deref())
            .unwrap_or(DEFAULT_APP_ID)
            .trim();
        if app_id.is_empty() {
            return Err(ConfigError::EmptyAppId);
        }

        let has_signing_key = set(SIGNING_KEY_VAR).is_some();
        let (mode, dev_server_url) = match set(DEV_VAR) {
            Some(value) => parse_dev_var(&value),
            None if has_signing_key => (Mode::Cloud, None),
            None => (Mode::Dev, None),
        };

        Ok(Config {
            app_id: app_id.to_owned(),
            mode,
            dev_server_url,
            has_event_key: set(EVENT_KEY_VAR).is_some(),
            has_signing_key,
            has_signing_key_fallback: set(SIGNING_KEY_FALLBACK_VAR).is_some(),
        })
    }

    /// Whether the app runs in dev mode.
    pub fn is_dev(&self) -> bool {
        self.mode == Mode::Dev
    }
}

/// The port `serve` listens on: `port` when given (`--port`), else `PORT`, else 3000.
///
/// # Errors
///
/// Returns [`ConfigError::InvalidPort`] when `PORT` is needed and is not a port number.
pub fn serve_port(
    port: Option<u16>,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<u16, ConfigError> {
    if let Some(port) = port {
        return Ok(port);
    }

    match lookup(PORT_VAR).filter(|value| !value.trim().is_empty()) {
        None => Ok(DEFAULT_PORT),
        Some(value) => value
            .trim()
            .parse()
            .map_err(|_| ConfigError::InvalidPort { value }),
    }
}

/// The value of an environment variable, if set; bytes that are not UTF-8 are replaced, so
/// a set variable is never mistaken for an unset one.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
}

/// Reads a non-empty `INNGEST_DEV`: a boolean, or else the dev server's URL.
fn parse_dev_var(value: &str) -> (Mode, Option<String>) {
    let value = value.trim();
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" => (Mode::Dev, None),
        "0" | "false" => (Mode::Cloud, None),
        _ if value.contains("://") => (Mode::Dev, Some(value.to_owned())),
        _ => (Mode::Dev, Some(format!("http://{value}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Vars = &'static [(&'static str, &'static str)];

    fn config_with(vars: &[(&str, &str)]) -> Config {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        };
        Config::from_lookup(None, lookup).unwrap()
    }

    #[test]
    fn chooses_the_mode_from_inngest_dev_and_the_signing_key() {
        const KEY: &str = "signkey-test-12345678";
        let cases: &[(Vars, Mode, Option<&str>)] = &[
            (&[], Mode::Dev, None),
            (&[(SIGNING_KEY_VAR, KEY)], Mode::Cloud, None),
            (&[(SIGNING_KEY_VAR, "")], Mode::Dev, None),
            (&[(DEV_VAR, "")], Mode::Dev, None),
            (&[(DEV_VAR, ""), (SIGNING_KEY_VAR, KEY)], Mode::Cloud, None),
            (&[(DEV_VAR, "1")], Mode::Dev, None),
            (&[(DEV_VAR, "true")], Mode::Dev, None),
            (&[(DEV_VAR, "TRUE")], Mode::Dev, None),
            (&[(DEV_VAR, "1"), (SIGNING_KEY_VAR, KEY)], Mode::Dev, None),
            (&[(DEV_VAR, "0")], Mode::Cloud, None),
            (&[(DEV_VAR, "false")], Mode::Cloud, None),
            (&[(DEV_VAR, " False ")], Mode::Cloud, None),
            (
                &[(DEV_VAR, "http://127.0.0.1:8288")],
                Mode::Dev,
                Some("http://127.0.0.1:8288"),
            ),
            (
                &[(DEV_VAR, "localhost:8288")],
                Mode::Dev,
                Some("http://localhost:8288"),
            ),
        ];

        for (vars, mode, url) in cases {
            let config = config_with(vars);

            assert_eq!(config.mode, *mode, "mode for {vars:?}");
            assert_eq!(config.dev_server_url.as_deref(), *url, "url for {vars:?}");
        }
    }

    #[test]
    fn reports_which_keys_are_present() {
        let config = config_with(&[
            (EVENT_KEY_VAR, "event-key"),
            (SIGNING_KEY_FALLBACK_VAR, "signkey-test-87654321"),
        ]);

        assert!(config.has_event_key);
        assert!(!config.has_signing_key);
        assert!(config.has_signing_key_fallback);
    }

    #[test]
    fn takes_the_app_id_from_the_flag_then_the_environment_then_the_default() {
        let from_env = |name: &str| (name == APP_ID_VAR).then(|| "env-app".to_owned());
        let blank_env = |name: &str| (name == APP_ID_VAR).then(|| " ".to_owned());

        let flag = Config::from_lookup(Some(" flag-app "), from_env).unwrap();
        let env = Config::from_lookup(None, from_env).unwrap();
        let default = Config::from_lookup(None, blank_env).unwrap();

        assert_eq!(flag.app_id, "flag-app");
        assert_eq!(env.app_id, "env-app");
        assert_eq!(default.app_id, DEFAULT_APP_ID);
    }

    #[test]
    fn rejects_a_blank_app_id_flag() {
        let blank = Config::from_lookup(Some("  "), |_| None);

        assert_eq!(blank, Err(ConfigError::EmptyAppId));
    }

    #[test]
    fn takes_the_port_from_the_flag_then_port_then_the_default() {
        let port =
            |value: &'static str| move |name: &str| (name == PORT_VAR).then(|| value.to_owned());
        let cases = [
            (Some(4000), "abc", Ok(4000)),
            (None, "8080", Ok(8080)),
            (None, " 8080 ", Ok(8080)),
            (None, "", Ok(DEFAULT_PORT)),
            (None, "0", Ok(0)),
            (None, "65536", Err("65536")),
            (None, "http", Err("http")),
        ];

        for (flag, value, expected) in cases {
            let expected = expected.map_err(|value| ConfigError::InvalidPort {
                value: value.to_owned(),
            });

            assert_eq!(
                serve_port(flag, port(value)),
                expected,
                "{flag:?} and PORT={value:?}"
            );
        }
    }

    #[test]
    fn writes_modes_as_inngest_does() {
        assert_eq!(Mode::Dev.to_string(), "dev");
        assert_eq!(serde_json::to_value(Mode::Cloud).unwrap(), "cloud");
    }
}
