//! The serve endpoint `/api/inngest`: one resource for GET, PUT and POST, any query string.

use actix_web::{web, Resource};

use super::{call, introspection, method_not_allowed, sync, SERVE_PATH};

/// The serve endpoint, with and without a trailing slash.
pub(super) fn resource() -> Resource {
    web::resource([SERVE_PATH, "/api/inngest/"])
        .route(web::get().to(introspection::get))
        .route(web::put().to(sync::put))
        .route(web::post().to(call::post))
        .default_service(method_not_allowed("GET, PUT, POST"))
}
