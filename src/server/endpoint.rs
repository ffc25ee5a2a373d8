//! The serve endpoint `/api/inngest`: one resource for GET, PUT and POST, any query string.

use actix_web::{web, HttpResponse, Resource};

use super::{introspection, method_not_allowed, SERVE_PATH};
use crate::http_error::HttpError;

/// The serve endpoint, with and without a trailing slash.
pub(super) fn resource() -> Resource {
    web::resource([SERVE_PATH, "/api/inngest/"])
        .route(web::get().to(introspection::get))
        .route(web::put().to(sync))
        .route(web::post().to(call))
        .default_service(method_not_allowed("GET, PUT, POST"))
}

/// PUT: registers the app's functions with Inngest.
// TODO: implement out-of-band and in-band sync (PROTOCOL.md 1.4); until then Inngest cannot
// learn about the functions, and this answers 501 rather than pretend to have synced.
async fn sync() -> Result<HttpResponse, HttpError> {
    Err(HttpError::NotImplemented {
        what: "syncing functions with Inngest (PUT /api/inngest)",
    })
}

/// POST: runs a function or one of its steps for Inngest.
// TODO: implement the call request (PROTOCOL.md 1.5) with memoized steps and signature checks;
// until then `switchyard invoke` is the way to run a function, and this answers 501.
async fn call() -> Result<HttpResponse, HttpError> {
    Err(HttpError::NotImplemented {
        what: "running functions over HTTP (POST /api/inngest)",
    })
}
