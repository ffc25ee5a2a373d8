//! POST `/api/inngest`: runs a function, or one of its steps, for Inngest (PROTOCOL.md 1.5).
//!
//! The steps of one call: read the body (413 past the cap), verify the signature in cloud
//! mode (401), answer a trust probe, find the function by `fnId` (`<app>-<fn>-failure` names
//! the failure handler a function declares), parse the call request
//! (400 naming the field at fault), fetch the run's events and steps when Inngest left them
//! out (`use_api`), replay the function, and answer:
//!
//! - 200 with the function's return value;
//! - 206 with the ops it reached or ran, plus `X-Inngest-No-Retry` when a step failed and
//!   `Retry-After` when the step asked for a delay;
//! - 400 (not retriable) or 500 (retriable) with the error object `{name, message}`.
//!
//! The answer to a verified request is signed.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;
use switchyard_runtime::{
    execute, parse_call, CallResult, Callee, Outbox, ParsedCall, SerializedError, Services,
};
use tracing::debug;

use super::{auth, body, headers, AppState};
use crate::function_id::resolve_callee;
use crate::http_error::HttpError;

/// The query parameters of a call.
#[derive(Debug, Default, Deserialize)]
struct CallQuery {
    #[serde(rename = "fnId")]
    fn_id: Option<String>,
    #[serde(rename = "stepId")]
    step_id: Option<String>,
    probe: Option<String>,
}

/// Handles one POST; never fails, since every error is an answer.
pub(super) async fn post(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let body = match body::read(&request, payload, state.config.max_body_bytes).await {
        Ok(body) => body,
        Err(error) => return error.error_response(),
    };
    let key = match auth::require(&state, &request, &body) {
        Ok(key) => key,
        Err(error) => return error.error_response(),
    };

    let response = match call(&state, &request, &body).await {
        Ok(response) => response,
        Err(error) => error.error_response(),
    };
    auth::sign(response, key.as_ref(), (state.now)())
}

async fn call(
    state: &AppState,
    request: &HttpRequest,
    body: &[u8],
) -> Result<HttpResponse, HttpError> {
    let query = web::Query::<CallQuery>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    if let Some(probe) = query.probe {
        return match probe.as_str() {
            "trust" => Ok(headers::sdk(&mut HttpResponse::Ok()).finish()),
            _ => Err(HttpError::UnknownProbe { probe }),
        };
    }

    let id = query.fn_id.ok_or(HttpError::MissingFunctionId)?;
    let app_id = &state.config.app_id;
    let callee =
        resolve_callee(state.registry, app_id, &id).ok_or_else(|| HttpError::FunctionNotFound {
            id: id.clone(),
            app_id: app_id.clone(),
        })?;
    let parsed = parse_call(body, query.step_id.as_deref())?;
    let call = with_run_data(state, parsed).await?;

    debug!(
        function = %callee.id(),
        step = call.step_id.as_deref().unwrap_or("step"),
        attempt = call.attempt,
        run_id = %call.run_id,
        "calling function"
    );
    let services = Services {
        app_id: app_id.clone(),
        events: Some(Arc::clone(&state.events) as _),
        outbox: Outbox::new(),
    };
    let outbox = services.outbox.clone();
    let result = execute(callee, call, &services).await;
    log_deliveries(callee, &outbox);

    answer(result)
}

/// The call, with its events and steps fetched from Inngest when it says `use_api`.
async fn with_run_data(
    state: &AppState,
    parsed: ParsedCall,
) -> Result<switchyard_runtime::Call, HttpError> {
    let mut call = parsed.call;
    if !parsed.use_api {
        return Ok(call);
    }

    let failed = |error: crate::inngest_api::ApiError| HttpError::RunData {
        reason: error.to_string(),
    };
    let events = state.api.run_events(&call.run_id).await.map_err(failed)?;
    let steps = state.api.run_steps(&call.run_id).await.map_err(failed)?;

    if let Some(first) = events.first() {
        call.event = first.clone();
        call.events = events;
    }
    call.steps = steps;
    Ok(call)
}

/// Maps the outcome of a call onto its HTTP answer.
fn answer(result: CallResult) -> Result<HttpResponse, HttpError> {
    let no_retry = result.no_retry();
    let retry_after = result.retry_after().map(|delay| {
        let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        seconds.max(1)
    });

    match result {
        CallResult::Completed(value) => Ok(headers::sdk(&mut HttpResponse::Ok()).json(value)),
        CallResult::Steps(ops) => {
            let mut response = HttpResponse::PartialContent();
            headers::sdk(&mut response);
            if let Some(no_retry) = no_retry {
                response.insert_header((headers::names::NO_RETRY, no_retry.to_string()));
            }
            if let Some(seconds) = retry_after {
                response.insert_header((headers::names::RETRY_AFTER, seconds.to_string()));
            }
            Ok(response.json(ops))
        }
        CallResult::Failed { error, no_retry } => Err(HttpError::FunctionFailed {
            error: SerializedError {
                name: error.name().to_owned(),
                message: error.message().to_owned(),
                stack: None,
            },
            no_retry,
            retry_after,
        }),
    }
}

/// Deliveries are recorded, not sent, in this server; log them so they can be seen.
fn log_deliveries(callee: Callee<'_>, outbox: &Outbox) {
    for delivery in outbox.entries() {
        debug!(
            function = %callee.id(),
            channel = %delivery.channel,
            to = %delivery.to,
            subject = %delivery.subject,
            "recorded a delivery"
        );
    }
}
