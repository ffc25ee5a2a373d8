//! The actix-web server: the serve endpoint `/api/inngest` and its dev-mode companions.
//!
//! `/api/inngest` is one resource for GET, PUT and POST, whatever the query string; any
//! other method gets a 405. A trailing slash (`/api/inngest/`) reaches the same handlers
//! rather than a redirect, since Inngest does not follow redirects on PUT and POST.
//!
//! When the app state holds the embedded engine, the same server serves its event API
//! (`POST /e/{key}`) and its runs (`/api/engine/..`), and [`run`] drives the engine on a
//! thread of its own; without it those paths answer 404.

mod app_url;
mod auth;
mod body;
mod call;
mod debug;
mod endpoint;
mod engine_api;
mod events;
pub mod headers;
pub mod introspection;
mod sync;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer, Route};
use switchyard_runtime::Registry;
use tracing::{info, warn};

use crate::config::Config;
use crate::embedded::Embedded;
use crate::event_api::EventApi;
use crate::http_error::HttpError;
use crate::inngest_api::{http_client, ApiError, InngestApi};

/// The path of the serve endpoint.
pub const SERVE_PATH: &str = "/api/inngest";

/// What every handler shares: the configuration, the registry, the clients of Inngest and
/// the embedded engine when it runs.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The configuration read at startup.
    pub config: Config,
    /// The functions to serve.
    pub registry: &'static Registry,
    /// Inngest's API, for syncs and `use_api` calls.
    pub api: InngestApi,
    /// Inngest's event API, for `step.send_event`.
    pub events: Arc<EventApi>,
    /// The clock signatures are checked and made with, in Unix seconds.
    pub now: fn() -> u64,
    /// The embedded engine, when no Inngest server is configured.
    pub engine: Option<Embedded>,
}

impl AppState {
    /// The state for serving `registry` as `config` says, with clients of the Inngest APIs
    /// it points at and the system clock.
    ///
    /// # Errors
    ///
    /// Returns [`ApiError::Client`] when the HTTP client cannot be set up.
    pub fn new(config: Config, registry: &'static Registry) -> Result<AppState, ApiError> {
        let client = http_client()?;
        Ok(AppState {
            api: InngestApi::new(&config, client.clone()),
            events: Arc::new(EventApi::new(&config, client)),
            config,
            registry,
            now: unix_now,
            engine: None,
        })
    }

    /// This state with the embedded engine, whose event API and runs are then served.
    pub fn with_engine(self, engine: Embedded) -> AppState {
        AppState {
            engine: Some(engine),
            ..self
        }
    }
}

/// Seconds since the Unix epoch by the system clock.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound (in use, not local, not resolvable).
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address as given, `host:port`.
        address: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The server stopped with an error.
    #[error("server stopped: {0}")]
    Run(#[source] std::io::Error),
    /// The embedded engine's thread could not be started.
    #[error("cannot start the engine's thread: {0}")]
    Engine(#[source] std::io::Error),
}

/// Registers every route of the app; pass it to [`App::configure`].
///
/// `GET /api/inngest/functions` exists in dev mode only; `POST /e/{key}` and
/// `/api/engine/..` exist when the state holds the embedded engine, and answer a 404 that
/// says the engine is off otherwise.
pub fn routes(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        let dev = state.config.is_dev();
        let engine = state.engine.is_some();
        config
            .app_data(web::Data::new(state))
            .service(endpoint::resource());
        if dev {
            config.service(debug::resource());
        }
        if engine {
            config.service(events::resource());
            for resource in engine_api::resources() {
                config.service(resource);
            }
        } else {
            config.service(engine_off());
        }
        config.default_service(web::to(not_found));
    }
}

/// Serves the app on `host:port` until the process is asked to stop, and drives the
/// embedded engine meanwhile when the state holds one.
///
/// Logs one line with the registered functions per feature, one with the address and mode
/// (and, in cloud mode without `INNGEST_SERVE_ORIGIN`, a warning that synced URLs come from
/// the sync requests), and, with the engine, one with its database and event API.
///
/// # Errors
///
/// Returns [`ServeError::Bind`] when the address cannot be bound, [`ServeError::Engine`]
/// when the engine's thread cannot start, and [`ServeError::Run`] when the server fails
/// while running.
pub async fn run(state: AppState, host: &str, port: u16) -> Result<(), ServeError> {
    info!("{}", registration_summary(state.registry));

    let shared = state.clone();
    let server = HttpServer::new(move || App::new().configure(routes(shared.clone())))
        .bind((host, port))
        .map_err(|source| ServeError::Bind {
            address: format!("{host}:{port}"),
            source,
        })?;

    let urls: Vec<_> = server
        .addrs()
        .iter()
        .map(|address| format!("http://{address}{SERVE_PATH}"))
        .collect();
    let config = &state.config;
    let dev_server = match &config.dev_server_url {
        Some(url) => format!(" (dev server {url})"),
        None => String::new(),
    };
    info!(
        "serving app `{}` on {} in {} mode{dev_server}",
        config.app_id,
        urls.join(", "),
        config.mode
    );

    if !config.is_dev() && config.serve_origin.is_none() {
        warn!(
            "INNGEST_SERVE_ORIGIN is not set: syncs register the URL taken from each sync \
             request's Host and X-Forwarded-* headers"
        );
    }

    if let Some(engine) = &state.engine {
        let event_urls: Vec<_> = server
            .addrs()
            .iter()
            .map(|address| format!("http://{address}/e/<key>"))
            .collect();
        info!(
            "embedded engine on, database {}; send events to {}",
            engine.database(),
            event_urls.join(", ")
        );
        engine.start().map_err(ServeError::Engine)?;
    }

    server.run().await.map_err(ServeError::Run)
}

/// The startup line: `registered 19 functions: admin=3 auth=3 ...`, features sorted.
pub fn registration_summary(registry: &Registry) -> String {
    let count = registry.len();
    let noun = if count == 1 { "function" } else { "functions" };
    let features: Vec<_> = registry
        .features()
        .iter()
        .map(|feature| format!("{}={}", feature.name, feature.functions.len()))
        .collect();

    if features.is_empty() {
        format!("registered {count} {noun}")
    } else {
        format!("registered {count} {noun}: {}", features.join(" "))
    }
}

/// A route that answers 405, listing the `allowed` methods (`GET, PUT, POST`).
fn method_not_allowed(allowed: &'static str) -> Route {
    web::to(move |request: HttpRequest| async move {
        Err::<HttpResponse, _>(HttpError::MethodNotAllowed {
            method: request.method().clone(),
            path: request.path().to_owned(),
            allowed,
        })
    })
}

/// The engine's paths while it is off: a 404 that says why, without echoing the path.
fn engine_off() -> actix_web::Resource {
    let paths = ["/e/{key}", "/e/{key}/", "/api/engine/{rest:.*}"];
    web::resource(paths).to(|| async { Err::<HttpResponse, _>(HttpError::EngineOff) })
}

async fn not_found(request: HttpRequest) -> Result<HttpResponse, HttpError> {
    Err(HttpError::NotFound {
        path: request.path().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_registry::TEST_REGISTRY;

    #[test]
    fn summarises_the_registry_per_feature() {
        let line = registration_summary(&TEST_REGISTRY);

        assert_eq!(line, "registered 3 functions: admin=1 billing/invoices=2");
    }
}
