//! What the app tells Inngest when it syncs: the out-of-band registration payload and the
//! in-band sync answer (PROTOCOL.md 1.4).

use serde::Serialize;
use serde_json::{json, Value};
use switchyard_runtime::sync::function_configs;
use switchyard_runtime::Registry;

use crate::config::Config;
use crate::server::headers;

/// The protocol features the app supports, as `capabilities` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// `v1`: answers `POST ?probe=trust`, signed.
    pub trust_probe: &'static str,
    /// `v1` when in-band sync is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_band_sync: Option<&'static str>,
}

impl Capabilities {
    /// The capabilities of an app configured by `config`.
    pub fn of(config: &Config) -> Capabilities {
        Capabilities {
            trust_probe: "v1",
            in_band_sync: config.allow_in_band_sync.then_some("v1"),
        }
    }
}

/// The body of `POST /fn/register`: the app and every function, called back at `url`.
pub fn register_payload(config: &Config, registry: &Registry, url: &str) -> Value {
    json!({
        "url": url,
        "deployType": "ping",
        "appName": config.app_id,
        "sdk": headers::SDK_FIELD,
        "v": "0.1",
        "framework": headers::FRAMEWORK,
        "capabilities": Capabilities::of(config),
        "functions": function_configs(registry, &config.app_id, url),
    })
}

/// The answer to an in-band sync: the app, every function called back at `url`, and the
/// introspection object `inspection`.
pub fn in_band_payload(
    config: &Config,
    registry: &Registry,
    url: &str,
    inspection: Value,
) -> Value {
    json!({
        "app_id": config.app_id,
        "env": config.env,
        "framework": headers::FRAMEWORK,
        "platform": null,
        "functions": function_configs(registry, &config.app_id, url),
        "inspection": inspection,
        "capabilities": Capabilities::of(config),
        "sdk_author": "switchyard",
        "sdk_language": headers::SDK_LANGUAGE,
        "sdk_version": headers::SDK_VERSION,
        "sdk": headers::SDK_FIELD,
        "url": url,
    })
}
