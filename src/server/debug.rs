//! GET `/api/inngest/functions`, dev mode only: every served function, as
//! `switchyard functions --json` lists them.

use actix_web::{web, HttpResponse, Resource};
use serde::Serialize;

use super::{headers, method_not_allowed, AppState};
use crate::summary::{summaries, FunctionSummary};

/// The body of the debug endpoint.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Listing {
    total_functions: usize,
    functions: Vec<FunctionSummary>,
}

/// The debug endpoint, with and without a trailing slash.
pub(super) fn resource() -> Resource {
    web::resource(["/api/inngest/functions", "/api/inngest/functions/"])
        .route(web::get().to(list))
        .default_service(method_not_allowed("GET"))
}

async fn list(state: web::Data<AppState>) -> HttpResponse {
    let functions = summaries(state.registry, &state.config.app_id);
    let body = Listing {
        total_functions: functions.len(),
        functions,
    };
    headers::sdk(&mut HttpResponse::Ok()).json(body)
}
