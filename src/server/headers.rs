//! The headers Inngest SDKs put on their responses, and the names of the protocol's headers.
//!
//! Every response of the serve endpoint says which SDK answered (the executor treats a
//! response without `X-Inngest-Sdk` as not coming from an SDK) and which execution protocol
//! it speaks. A 401 carries none of that, so anonymous callers cannot fingerprint the app.

use actix_web::http::header;
use actix_web::{HttpResponse, HttpResponseBuilder};

/// `<name>:v<version>`, sent as `X-Inngest-Sdk` and as the user agent.
pub const SDK: &str = concat!("switchyard:v", env!("CARGO_PKG_VERSION"));

/// `<language>:v<version>`, the `sdk` field of the registration payload.
pub const SDK_FIELD: &str = concat!("rust:v", env!("CARGO_PKG_VERSION"));

/// The language reported in introspection and in-band sync.
pub const SDK_LANGUAGE: &str = "rust";

/// The SDK version reported in introspection and in-band sync.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The execution protocol version every current SDK answers with.
pub const REQUEST_VERSION: &str = "2";

/// The web framework, sent as `X-Inngest-Framework`.
pub const FRAMEWORK: &str = "actix-web";

/// Header names, as the SDKs spell them.
pub mod names {
    /// Which SDK answered.
    pub const SDK: &str = "X-Inngest-Sdk";
    /// The execution protocol version.
    pub const REQUEST_VERSION: &str = "X-Inngest-Req-Version";
    /// Marks a response as produced by the SDK rather than by a proxy in front of it.
    pub const SDK_HANDLED: &str = "X-Inngest-Sdk-Handled";
    /// The web framework the SDK runs in.
    pub const FRAMEWORK: &str = "X-Inngest-Framework";
    /// `t=<unix seconds>&s=<hex HMAC>` on signed requests and responses.
    pub const SIGNATURE: &str = "X-Inngest-Signature";
    /// `true` when Inngest must not retry a failed call.
    pub const NO_RETRY: &str = "X-Inngest-No-Retry";
    /// Seconds Inngest should wait before retrying.
    pub const RETRY_AFTER: &str = "Retry-After";
    /// `in_band` or `out_of_band`, on a sync request and its answer.
    pub const SYNC_KIND: &str = "X-Inngest-Sync-Kind";
    /// `dev` or `cloud`: which kind of Inngest server sent the request.
    pub const SERVER_KIND: &str = "X-Inngest-Server-Kind";
    /// The server kind a registration expects, forwarded from [`SERVER_KIND`].
    pub const EXPECTED_SERVER_KIND: &str = "X-Inngest-Expected-Server-Kind";
    /// The branch environment.
    pub const ENV: &str = "X-Inngest-Env";
}

/// Adds the headers of an SDK response.
pub fn sdk(response: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    response
        .insert_header((names::SDK, SDK))
        .insert_header((names::REQUEST_VERSION, REQUEST_VERSION))
        .insert_header((names::FRAMEWORK, FRAMEWORK))
        .insert_header((names::SDK_HANDLED, "true"))
}

/// Adds the only SDK header an unauthenticated response keeps.
pub fn stripped(response: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    response.insert_header((names::SDK_HANDLED, "true"))
}

/// Removes every header of a built response but its content type and
/// `X-Inngest-Sdk-Handled`: what an answer to a request no key verified keeps in cloud mode.
pub fn strip(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().retain(|name, _| {
        name == header::CONTENT_TYPE || name.as_str().eq_ignore_ascii_case(names::SDK_HANDLED)
    });
    response
}
