//! Configuration read from the environment, in one place.
//!
//! Switchyard's own settings:
//!
//! - `SWITCHYARD_APP_ID`: the app id (`--app-id` wins), default `switchyard`.
//! - `PORT`: the port `serve` listens on (`--port` wins), default 3000.
//! - `SWITCHYARD_MAX_BODY_BYTES`: the largest request body the serve endpoint reads, default
//!   8 MiB (Inngest sends at most 4 MiB, then switches to `use_api`).
//! - `SWITCHYARD_ENGINE_DB`: the embedded engine's database (`--engine-db` wins), default
//!   `.switchyard/engine.db` under the working directory; `:memory:` keeps it in memory.
//!
//! The embedded engine runs when no Inngest server is configured: none of `INNGEST_DEV`,
//! `INNGEST_SIGNING_KEY`, `INNGEST_BASE_URL`, `INNGEST_API_BASE_URL` and
//! `INNGEST_EVENT_API_BASE_URL` is set. Each of them points the app at an Inngest server:
//! `INNGEST_DEV=1` at the dev server on its default address, a URL in it at that one, a
//! signing key at Inngest Cloud or a self-hosted Inngest, a base URL at wherever it names.
//!
//! Inngest's variables, read as the official SDKs read them (PROTOCOL.md 4):
//!
//! - `INNGEST_DEV`: `1` or `true` selects dev mode, `0` or `false` cloud mode; any other
//!   value selects dev mode with that dev server URL (`http://` added when the scheme is
//!   missing).
//! - `INNGEST_SIGNING_KEY`, `INNGEST_SIGNING_KEY_FALLBACK`: the signing key and the rotation
//!   key. When `INNGEST_DEV` is unset (or empty), the presence of a signing key selects cloud
//!   mode: a local `cargo run` works without any variable, and a deployment that holds a
//!   signing key never drops into dev mode, where requests are not verified, by accident.
//! - `INNGEST_EVENT_KEY`: the key for sending events.
//! - `INNGEST_ENV`: the branch environment, sent as `X-Inngest-Env`.
//! - `INNGEST_API_BASE_URL`, `INNGEST_EVENT_API_BASE_URL`, `INNGEST_BASE_URL`: where Inngest's
//!   API and event API live. A specific variable beats `INNGEST_BASE_URL`, which beats a URL
//!   in `INNGEST_DEV`, which beats the mode's default (dev: `http://localhost:8288` for both;
//!   cloud: `https://api.inngest.com` and `https://inn.gs`).
//! - `INNGEST_SERVE_ORIGIN`, `INNGEST_SERVE_PATH`: the origin (`https://` added when the
//!   scheme is missing) and path of the URL registered at sync, instead of the ones taken
//!   from the request.
//! - `INNGEST_ALLOW_IN_BAND_SYNC`: `false` or `0` turns in-band sync off (default on).
//! - `INNGEST_ENABLE_UNAUTHED_SYNC`: `false` or `0` makes cloud mode refuse unsigned
//!   out-of-band syncs too (default: accepted).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use switchyard_engine::Location;
use switchyard_runtime::signature::SigningKey;

/// The variable that holds the app id.
pub const APP_ID_VAR: &str = "SWITCHYARD_APP_ID";

/// The app id used when neither `--app-id` nor `SWITCHYARD_APP_ID` is given.
pub const DEFAULT_APP_ID: &str = "switchyard";

/// The variable that holds the port `serve` listens on.
pub const PORT_VAR: &str = "PORT";

/// The port `serve` listens on when neither `--port` nor `PORT` is given.
pub const DEFAULT_PORT: u16 = 3000;

/// The variable that caps request bodies, in bytes.
pub const MAX_BODY_VAR: &str = "SWITCHYARD_MAX_BODY_BYTES";

/// The body cap when `SWITCHYARD_MAX_BODY_BYTES` is unset: twice Inngest's 4 MiB requests.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The variable that holds the path of the embedded engine's database.
pub const ENGINE_DB_VAR: &str = "SWITCHYARD_ENGINE_DB";

/// The value of `SWITCHYARD_ENGINE_DB` or `--engine-db` that keeps the database in memory.
pub const IN_MEMORY: &str = ":memory:";

/// The variables that point the app at an Inngest server; when none is set, the embedded
/// engine runs instead.
pub const INNGEST_SERVER_VARS: [&str; 5] = [
    DEV_VAR,
    SIGNING_KEY_VAR,
    BASE_URL_VAR,
    API_BASE_URL_VAR,
    EVENT_API_BASE_URL_VAR,
];

/// The variable that holds the signing key.
pub const SIGNING_KEY_VAR: &str = "INNGEST_SIGNING_KEY";

/// Where Inngest's dev server listens by default, for both APIs.
pub const DEV_SERVER_ORIGIN: &str = "http://localhost:8288";

/// Inngest Cloud's API origin.
pub const CLOUD_API_ORIGIN: &str = "https://api.inngest.com";

/// Inngest Cloud's event API origin.
pub const CLOUD_EVENT_API_ORIGIN: &str = "https://inn.gs";

const DEV_VAR: &str = "INNGEST_DEV";
const SIGNING_KEY_FALLBACK_VAR: &str = "INNGEST_SIGNING_KEY_FALLBACK";
const EVENT_KEY_VAR: &str = "INNGEST_EVENT_KEY";
const ENV_VAR: &str = "INNGEST_ENV";
const BASE_URL_VAR: &str = "INNGEST_BASE_URL";
const API_BASE_URL_VAR: &str = "INNGEST_API_BASE_URL";
const EVENT_API_BASE_URL_VAR: &str = "INNGEST_EVENT_API_BASE_URL";
const SERVE_ORIGIN_VAR: &str = "INNGEST_SERVE_ORIGIN";
const SERVE_PATH_VAR: &str = "INNGEST_SERVE_PATH";
const ALLOW_IN_BAND_SYNC_VAR: &str = "INNGEST_ALLOW_IN_BAND_SYNC";
const ENABLE_UNAUTHED_SYNC_VAR: &str = "INNGEST_ENABLE_UNAUTHED_SYNC";

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

/// An event key; its `Debug` form never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct EventKey(String);

impl EventKey {
    /// Wraps a key as read from `INNGEST_EVENT_KEY`.
    pub fn new(key: impl Into<String>) -> EventKey {
        EventKey(key.into())
    }

    /// The key itself, for the event API's URL only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Hex SHA-256 of the key, as introspection shows it.
    pub fn hashed(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventKey(<redacted>)")
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
    /// `SWITCHYARD_MAX_BODY_BYTES` does not hold a positive number of bytes.
    #[error("invalid {MAX_BODY_VAR} `{value}`: expected a number of bytes above zero")]
    InvalidMaxBody {
        /// The value of the variable.
        value: String,
    },
    /// Cloud mode was chosen but no key can verify Inngest's requests.
    #[error(
        "cloud mode needs a signing key to verify requests: set {SIGNING_KEY_VAR} (or \
         {DEV_VAR}=1 to run against a local dev server)"
    )]
    MissingSigningKey,
}

/// The app's configuration, read once at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The app id; Inngest names functions `<app id>-<function id>`.
    pub app_id: String,
    /// Dev or cloud.
    pub mode: Mode,
    /// The dev server URL given in `INNGEST_DEV`, if it held one.
    pub dev_server_url: Option<String>,
    /// The signing key.
    pub signing_key: Option<SigningKey>,
    /// The rotation key, tried after the signing key.
    pub signing_key_fallback: Option<SigningKey>,
    /// The key for sending events.
    pub event_key: Option<EventKey>,
    /// The branch environment, sent as `X-Inngest-Env`.
    pub env: Option<String>,
    /// Origin of Inngest's API (`/fn/register`, `/v0/runs/..`), without a trailing slash.
    pub api_origin: String,
    /// Origin of Inngest's event API (`/e/<key>`), without a trailing slash.
    pub event_api_origin: String,
    /// Origin of the URL registered at sync, instead of the request's.
    pub serve_origin: Option<String>,
    /// Path of the URL registered at sync, instead of the request's.
    pub serve_path: Option<String>,
    /// Whether a PUT may ask for an in-band sync.
    pub allow_in_band_sync: bool,
    /// Whether cloud mode accepts an out-of-band sync that is not signed.
    pub enable_unauthed_sync: bool,
    /// The largest request body the serve endpoint reads, in bytes.
    pub max_body_bytes: usize,
    /// Whether the embedded engine runs: no Inngest server is configured.
    pub engine: bool,
    /// The engine's database from `SWITCHYARD_ENGINE_DB`, if set.
    pub engine_db: Option<PathBuf>,
}

impl Config {
    /// Reads the configuration from the process environment; `app_id` is `--app-id`.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::EmptyAppId`] when the app id is blank and
    /// [`ConfigError::InvalidMaxBody`] when the body cap is not a positive number.
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
    /// Returns [`ConfigError::EmptyAppId`] when the app id is blank and
    /// [`ConfigError::InvalidMaxBody`] when the body cap is not a positive number.
    pub fn from_lookup(
        app_id: Option<&str>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let set = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let from_env = set(APP_ID_VAR);
        let app_id = app_id
            .or(from_env.as_deref())
            .unwrap_or(DEFAULT_APP_ID)
            .trim();
        if app_id.is_empty() {
            return Err(ConfigError::EmptyAppId);
        }

        let signing_key = set(SIGNING_KEY_VAR).map(|key| SigningKey::new(&key));
        let (mode, dev_server_url) = match set(DEV_VAR) {
            Some(value) => parse_dev_var(&value),
            None if signing_key.is_some() => (Mode::Cloud, None),
            None => (Mode::Dev, None),
        };

        let (default_api, default_events) = match (&dev_server_url, mode) {
            (Some(url), _) => (url.clone(), url.clone()),
            (None, Mode::Dev) => (DEV_SERVER_ORIGIN.to_owned(), DEV_SERVER_ORIGIN.to_owned()),
            (None, Mode::Cloud) => (
                CLOUD_API_ORIGIN.to_owned(),
                CLOUD_EVENT_API_ORIGIN.to_owned(),
            ),
        };
        let engine = INNGEST_SERVER_VARS.iter().all(|name| set(name).is_none());
        let base = set(BASE_URL_VAR);
        let origin = |specific: &str, default: &str| {
            let chosen = set(specific).or_else(|| base.clone());
            trim_origin(chosen.as_deref().unwrap_or(default))
        };

        Ok(Config {
            app_id: app_id.to_owned(),
            mode,
            dev_server_url,
            signing_key,
            signing_key_fallback: set(SIGNING_KEY_FALLBACK_VAR).map(|key| SigningKey::new(&key)),
            event_key: set(EVENT_KEY_VAR).map(EventKey::new),
            env: set(ENV_VAR),
            api_origin: origin(API_BASE_URL_VAR, &default_api),
            event_api_origin: origin(EVENT_API_BASE_URL_VAR, &default_events),
            serve_origin: set(SERVE_ORIGIN_VAR).map(|origin| serve_origin(&origin)),
            serve_path: set(SERVE_PATH_VAR).map(|path| serve_path(&path)),
            allow_in_band_sync: set(ALLOW_IN_BAND_SYNC_VAR).is_none_or(|value| !is_false(&value)),
            enable_unauthed_sync: set(ENABLE_UNAUTHED_SYNC_VAR)
                .is_none_or(|value| !is_false(&value)),
            max_body_bytes: max_body_bytes(set(MAX_BODY_VAR))?,
            engine,
            engine_db: set(ENGINE_DB_VAR).map(PathBuf::from),
        })
    }

    /// Where the engine's database is: `flag` (`--engine-db`) when given, else
    /// `SWITCHYARD_ENGINE_DB`, else `.switchyard/engine.db` under the working directory;
    /// `:memory:` in either place keeps it in memory.
    pub fn engine_location(&self, flag: Option<&Path>) -> Location {
        match flag.or(self.engine_db.as_deref()) {
            Some(path) if path == Path::new(IN_MEMORY) => Location::Memory,
            Some(path) => Location::Path(path.to_owned()),
            None => Location::default_path(),
        }
    }

    /// Whether the app runs in dev mode.
    pub fn is_dev(&self) -> bool {
        self.mode == Mode::Dev
    }

    /// Whether an event key is configured.
    pub fn has_event_key(&self) -> bool {
        self.event_key.is_some()
    }

    /// Whether a signing key is configured.
    pub fn has_signing_key(&self) -> bool {
        self.signing_key.is_some()
    }

    /// Whether a fallback signing key is configured.
    pub fn has_signing_key_fallback(&self) -> bool {
        self.signing_key_fallback.is_some()
    }

    /// The keys to verify with and to authenticate to Inngest with: the signing key, then
    /// the fallback key.
    pub fn signing_keys(&self) -> Vec<SigningKey> {
        self.signing_key
            .iter()
            .chain(&self.signing_key_fallback)
            .cloned()
            .collect()
    }

    /// Checks that the app can serve Inngest safely.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::MissingSigningKey`] in cloud mode without a signing key.
    pub fn check_serve(&self) -> Result<(), ConfigError> {
        if self.mode == Mode::Cloud && self.signing_key.is_none() {
            return Err(ConfigError::MissingSigningKey);
        }
        Ok(())
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
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" => (Mode::Dev, None),
        "0" | "false" => (Mode::Cloud, None),
        _ if value.contains("://") => (Mode::Dev, Some(trim_origin(value))),
        _ => (Mode::Dev, Some(trim_origin(&format!("http://{value}")))),
    }
}

fn is_false(value: &str) -> bool {
    matches!(value.to_ascii_lowercase().as_str(), "0" | "false")
}

fn trim_origin(url: &str) -> String {
    url.trim_end_matches('/').to_owned()
}

/// A serve origin with `https://` added when it has no scheme, as inngest-py does.
fn serve_origin(origin: &str) -> String {
    if origin.contains("://") {
        trim_origin(origin)
    } else {
        trim_origin(&format!("https://{origin}"))
    }
}

/// A serve path with exactly one leading slash.
fn serve_path(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}

fn max_body_bytes(value: Option<String>) -> Result<usize, ConfigError> {
    let Some(value) = value else {
        return Ok(DEFAULT_MAX_BODY_BYTES);
    };
    match value.parse::<usize>() {
        Ok(bytes) if bytes > 0 => Ok(bytes),
        _ => Err(ConfigError::InvalidMaxBody { value }),
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
                &[(DEV_VAR, "http://127.0.0.1:8288/")],
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
    fn picks_origins_from_the_most_specific_variable() {
        const DEV_URL: (&str, &str) = (DEV_VAR, "http://inngest:8288");
        const BASE: (&str, &str) = (BASE_URL_VAR, "http://base:9000/");
        const API: (&str, &str) = (API_BASE_URL_VAR, "http://api:1");
        const EVENTS: (&str, &str) = (EVENT_API_BASE_URL_VAR, "http://events:2");
        const CLOUD: (&str, &str) = (DEV_VAR, "0");
        let cases: &[(Vars, &str, &str)] = &[
            (&[], DEV_SERVER_ORIGIN, DEV_SERVER_ORIGIN),
            (&[CLOUD], CLOUD_API_ORIGIN, CLOUD_EVENT_API_ORIGIN),
            (&[DEV_URL], "http://inngest:8288", "http://inngest:8288"),
            (&[DEV_URL, BASE], "http://base:9000", "http://base:9000"),
            (&[CLOUD, BASE], "http://base:9000", "http://base:9000"),
            (&[DEV_URL, BASE, API], "http://api:1", "http://base:9000"),
            (&[BASE, EVENTS], "http://base:9000", "http://events:2"),
            (&[CLOUD, API, EVENTS], "http://api:1", "http://events:2"),
        ];

        for (vars, api, events) in cases {
            let config = config_with(vars);

            assert_eq!(config.api_origin, *api, "API origin for {vars:?}");
            assert_eq!(
                config.event_api_origin, *events,
                "event origin for {vars:?}"
            );
        }
    }

    #[test]
    fn completes_the_serve_origin_and_path() {
        let cases: &[(Vars, Option<&str>, Option<&str>)] = &[
            (&[], None, None),
            (
                &[(SERVE_ORIGIN_VAR, "app.example.test")],
                Some("https://app.example.test"),
                None,
            ),
            (
                &[(SERVE_ORIGIN_VAR, "http://portal:3000/")],
                Some("http://portal:3000"),
                None,
            ),
            (
                &[(SERVE_PATH_VAR, "svc/inngest")],
                None,
                Some("/svc/inngest"),
            ),
            (
                &[(SERVE_PATH_VAR, "/svc/inngest")],
                None,
                Some("/svc/inngest"),
            ),
        ];

        for (vars, origin, path) in cases {
            let config = config_with(vars);

            assert_eq!(config.serve_origin.as_deref(), *origin, "{vars:?}");
            assert_eq!(config.serve_path.as_deref(), *path, "{vars:?}");
        }
    }

    #[test]
    fn reads_keys_without_revealing_them() {
        let config = config_with(&[
            (EVENT_KEY_VAR, "evtkey123"),
            (SIGNING_KEY_FALLBACK_VAR, "signkey-test-87654321"),
            (ENV_VAR, "branch-1"),
        ]);

        assert!(config.has_event_key());
        assert!(!config.has_signing_key());
        assert!(config.has_signing_key_fallback());
        assert_eq!(config.signing_keys().len(), 1);
        assert_eq!(config.env.as_deref(), Some("branch-1"));
        assert_eq!(
            config.event_key.as_ref().map(EventKey::hashed).as_deref(),
            Some("3eeeb678cc4bfee43acfbe1af6e9c5dca480947bee10af9b98108e93bbcd211c")
        );
        let printed = format!("{config:?}");
        assert!(!printed.contains("evtkey123"), "{printed}");
        assert!(!printed.contains("87654321"), "{printed}");
    }

    #[test]
    fn reads_sync_switches_as_booleans_defaulting_to_on() {
        let cases: &[(Vars, bool, bool)] = &[
            (&[], true, true),
            (&[(ALLOW_IN_BAND_SYNC_VAR, "false")], false, true),
            (&[(ALLOW_IN_BAND_SYNC_VAR, "0")], false, true),
            (&[(ALLOW_IN_BAND_SYNC_VAR, "true")], true, true),
            (&[(ENABLE_UNAUTHED_SYNC_VAR, "FALSE")], true, false),
            (&[(ENABLE_UNAUTHED_SYNC_VAR, "1")], true, true),
        ];

        for (vars, in_band, unauthed) in cases {
            let config = config_with(vars);

            assert_eq!(config.allow_in_band_sync, *in_band, "{vars:?}");
            assert_eq!(config.enable_unauthed_sync, *unauthed, "{vars:?}");
        }
    }

    #[test]
    fn caps_bodies_at_eight_mebibytes_unless_told_otherwise() {
        let lookup = |value: &'static str| {
            move |name: &str| (name == MAX_BODY_VAR).then(|| value.to_owned())
        };
        let cases = [
            ("", Ok(DEFAULT_MAX_BODY_BYTES)),
            ("1048576", Ok(1_048_576)),
            ("0", Err("0")),
            ("8MB", Err("8MB")),
        ];

        for (value, expected) in cases {
            let expected = expected.map_err(|value| ConfigError::InvalidMaxBody {
                value: value.to_owned(),
            });

            let read = Config::from_lookup(None, lookup(value)).map(|c| c.max_body_bytes);

            assert_eq!(read, expected, "{MAX_BODY_VAR}={value:?}");
        }
    }

    #[test]
    fn refuses_to_serve_in_cloud_mode_without_a_signing_key() {
        let cloud = config_with(&[(DEV_VAR, "0")]);
        let keyed = config_with(&[(DEV_VAR, "0"), (SIGNING_KEY_VAR, "signkey-prod-12")]);
        let dev = config_with(&[]);

        let error = cloud.check_serve().unwrap_err();

        assert_eq!(error, ConfigError::MissingSigningKey);
        assert!(error.to_string().contains(SIGNING_KEY_VAR), "{error}");
        assert_eq!(keyed.check_serve(), Ok(()));
        assert_eq!(dev.check_serve(), Ok(()));
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
    fn runs_the_engine_only_when_no_inngest_server_is_configured() {
        const KEY: &str = "signkey-test-12345678";
        let cases: &[(Vars, bool)] = &[
            (&[], true),
            (&[(DEV_VAR, "")], true),
            (&[(SIGNING_KEY_VAR, " ")], true),
            (&[(EVENT_KEY_VAR, "evtkey123")], true),
            (&[(SIGNING_KEY_FALLBACK_VAR, KEY)], true),
            (&[(ENGINE_DB_VAR, "runs.db")], true),
            (&[(DEV_VAR, "1")], false),
            (&[(DEV_VAR, "0")], false),
            (&[(DEV_VAR, "http://127.0.0.1:8288")], false),
            (&[(SIGNING_KEY_VAR, KEY)], false),
            (&[(BASE_URL_VAR, "http://inngest:8288")], false),
            (&[(API_BASE_URL_VAR, "http://api:1")], false),
            (&[(EVENT_API_BASE_URL_VAR, "http://events:2")], false),
        ];

        for (vars, engine) in cases {
            let config = config_with(vars);

            assert_eq!(config.engine, *engine, "{vars:?}");
        }
    }

    #[test]
    fn finds_the_engine_database_from_the_flag_then_the_environment() {
        let from_env = config_with(&[(ENGINE_DB_VAR, "env.db")]);
        let in_memory = config_with(&[(ENGINE_DB_VAR, IN_MEMORY)]);
        let unset = config_with(&[]);
        let cases = [
            (&from_env, None, Location::Path(PathBuf::from("env.db"))),
            (
                &from_env,
                Some("flag.db"),
                Location::Path(PathBuf::from("flag.db")),
            ),
            (&from_env, Some(IN_MEMORY), Location::Memory),
            (&in_memory, None, Location::Memory),
            (&unset, None, Location::default_path()),
        ];

        for (config, flag, expected) in cases {
            let location = config.engine_location(flag.map(Path::new));

            assert_eq!(location, expected, "{flag:?} over {:?}", config.engine_db);
        }
    }

    #[test]
    fn writes_modes_as_inngest_does() {
        assert_eq!(Mode::Dev.to_string(), "dev");
        assert_eq!(serde_json::to_value(Mode::Cloud).unwrap(), "cloud");
    }
}
