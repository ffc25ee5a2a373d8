//! The embedded engine's state as JSON, served while the engine runs (dev mode only), so a
//! web page can be built on it:
//!
//! - `GET /api/engine/runs`: `{"runs": [..]}`, newest first; `?limit=` (1 to 10000, default
//!   20), `?status=` (one of the run statuses) and `?function_id=` narrow it, and a bad
//!   value is a 400 naming the parameter.
//! - `GET /api/engine/runs/{id}`: one run with its steps, or 404 naming the id.
//! - `GET /api/engine/events`: `{"events": [..]}`, newest first, with `?limit=`.
//! - `GET /api/engine/outbox`: `{"deliveries": [..]}`, what functions would have sent,
//!   newest first, with `?limit=`; the engine keeps the latest
//!   [`OUTBOX_LIMIT`](switchyard_engine::OUTBOX_LIMIT) in memory only.
//!
//! Runs are shown as `switchyard runs --json` shows them ([`crate::runs`]).

use actix_web::{web, HttpRequest, HttpResponse, Resource};
use serde::Deserialize;
use serde_json::json;
use switchyard_engine::{Engine, EngineError};

use super::{method_not_allowed, AppState};
use crate::http_error::HttpError;
use crate::runs::{self, QueryError, RunView, DEFAULT_LIMIT};

/// The query parameters of the listings; each is checked by [`crate::runs`].
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    limit: Option<String>,
    status: Option<String>,
    function_id: Option<String>,
}

/// The engine's endpoints, each with and without a trailing slash.
pub(super) fn resources() -> [Resource; 4] {
    [
        web::resource(["/api/engine/runs", "/api/engine/runs/"])
            .route(web::get().to(list_runs))
            .default_service(method_not_allowed("GET")),
        web::resource(["/api/engine/runs/{id}", "/api/engine/runs/{id}/"])
            .route(web::get().to(show_run))
            .default_service(method_not_allowed("GET")),
        web::resource(["/api/engine/events", "/api/engine/events/"])
            .route(web::get().to(list_events))
            .default_service(method_not_allowed("GET")),
        web::resource(["/api/engine/outbox", "/api/engine/outbox/"])
            .route(web::get().to(list_deliveries))
            .default_service(method_not_allowed("GET")),
    ]
}

async fn list_runs(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let query = read_query(&request)?;
    let filter = runs::filter(
        query.limit.as_deref(),
        query.status.as_deref(),
        query.function_id.as_deref(),
    )?;

    let listed = with_engine(&state, &request, move |engine| engine.runs(&filter)).await?;

    let runs: Vec<RunView> = listed.into_iter().map(RunView::listed).collect();
    Ok(HttpResponse::Ok().json(json!({ "runs": runs })))
}

async fn show_run(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let id = id.into_inner();
    let wanted = id.clone();

    let detail = with_engine(&state, &request, move |engine| engine.run(&wanted)).await?;

    let detail = detail.ok_or(HttpError::RunNotFound { id })?;
    Ok(HttpResponse::Ok().json(RunView::detailed(detail)))
}

async fn list_events(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let query = read_query(&request)?;
    let limit = runs::limit(query.limit.as_deref(), DEFAULT_LIMIT)?;

    let events = with_engine(&state, &request, move |engine| engine.events(limit)).await?;

    Ok(HttpResponse::Ok().json(json!({ "events": events })))
}

async fn list_deliveries(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let query = read_query(&request)?;
    let limit = runs::limit(query.limit.as_deref(), DEFAULT_LIMIT)?;

    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let deliveries = with_engine(&state, &request, move |engine| {
        Ok(engine.outbox().latest(limit))
    })
    .await?;

    Ok(HttpResponse::Ok().json(json!({ "deliveries": deliveries })))
}

/// The listing parameters; a parameter given twice makes the query unreadable, rather than
/// one of the two being picked or both dropped.
fn read_query(request: &HttpRequest) -> Result<ListQuery, QueryError> {
    web::Query::<ListQuery>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .map_err(|error| QueryError::Unreadable {
            reason: error.to_string(),
        })
}

/// Runs `read` on the engine off the server's threads, as it waits for the database.
async fn with_engine<T: Send + 'static>(
    state: &AppState,
    request: &HttpRequest,
    read: impl FnOnce(&Engine) -> Result<T, EngineError> + Send + 'static,
) -> Result<T, HttpError> {
    let embedded = state.engine.as_ref().ok_or_else(|| HttpError::NotFound {
        path: request.path().to_owned(),
    })?;
    let engine = embedded.engine.clone();

    let read = web::block(move || read(&engine)).await;
    Ok(read.map_err(|_| HttpError::EngineFailed)??)
}
