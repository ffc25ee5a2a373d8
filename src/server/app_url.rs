//! The URL the app registers at sync, which Inngest then calls.
//!
//! Explicit configuration always wins over anything taken from the request:
//!
//! 1. Origin: `INNGEST_SERVE_ORIGIN` when set. Otherwise the scheme is the first value of
//!    `X-Forwarded-Proto` when it is `http` or `https`, else `https` when the server itself
//!    speaks TLS and `http` otherwise; the host is the first value of `X-Forwarded-Host`,
//!    else `Host`, else the address the server answers on. A host with characters that
//!    cannot appear in one (`/`, `@`, spaces, ...) is ignored.
//! 2. Path: `INNGEST_SERVE_PATH` when set, else the path the request arrived on.
//! 3. No query string: `deployId` and anything else in the sync request stay out.
//!
//! Forwarded headers come from whoever sends the PUT, so in production set
//! `INNGEST_SERVE_ORIGIN`; the server warns at startup in cloud mode when it is unset.

use actix_web::HttpRequest;

use crate::config::Config;

const FORWARDED_PROTO: &str = "x-forwarded-proto";
const FORWARDED_HOST: &str = "x-forwarded-host";

/// The scheme, host and path a request arrived with, as seen through proxies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Seen {
    /// `http` or `https`.
    pub scheme: String,
    /// `host[:port]`.
    pub host: String,
    /// The path, starting with `/`.
    pub path: String,
}

impl Seen {
    /// What `request` shows of the URL it was sent to.
    pub(super) fn from_request(request: &HttpRequest) -> Seen {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split(',').next())
                .map(str::trim)
                .filter(|value| !value.is_empty())
        };

        let own_scheme = if request.app_config().secure() {
            "https"
        } else {
            "http"
        };
        let scheme = header(FORWARDED_PROTO)
            .map(str::to_ascii_lowercase)
            .filter(|scheme| scheme == "http" || scheme == "https")
            .unwrap_or_else(|| own_scheme.to_owned());

        let host = [header(FORWARDED_HOST), header("host")]
            .into_iter()
            .flatten()
            .find(|host| is_host(host))
            .unwrap_or_else(|| request.app_config().host());

        Seen {
            scheme,
            host: host.to_owned(),
            path: request.path().to_owned(),
        }
    }

    /// What an absolute URL such as the `url` of an in-band sync shows, if it parses.
    pub(super) fn from_url(url: &str) -> Option<Seen> {
        let (scheme, rest) = url.split_once("://")?;
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (host, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, "/"),
        };
        let scheme = scheme.to_ascii_lowercase();
        let valid = (scheme == "http" || scheme == "https") && is_host(host);

        valid.then(|| Seen {
            scheme,
            host: host.to_owned(),
            path: path.to_owned(),
        })
    }
}

/// The URL to register: `seen`, with the configured origin and path put first.
pub(super) fn app_url(config: &Config, seen: &Seen) -> String {
    let origin = match &config.serve_origin {
        Some(origin) => origin.clone(),
        None => format!("{}://{}", seen.scheme, seen.host),
    };
    let path = config.serve_path.as_deref().unwrap_or(&seen.path);
    format!("{origin}{path}")
}

/// Whether `host` can be a `host[:port]` (including a bracketed IPv6 address).
fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b".-_:[]".contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    type Headers = &'static [(&'static str, &'static str)];

    fn seen(headers: Headers) -> Seen {
        let mut request = TestRequest::put().uri("/api/inngest?deployId=dpl_1");
        for header in headers {
            request = request.insert_header(*header);
        }
        Seen::from_request(&request.to_http_request())
    }

    fn config(vars: &'static [(&'static str, &'static str)]) -> Config {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        };
        Config::from_lookup(Some("demo-app"), lookup).unwrap()
    }

    #[test]
    fn follows_forwarded_headers_then_host() {
        let cases: &[(Headers, &str)] = &[
            (
                &[("host", "localhost:3000")],
                "http://localhost:3000/api/inngest",
            ),
            (
                &[("host", "localhost:3000"), ("x-forwarded-proto", "https")],
                "https://localhost:3000/api/inngest",
            ),
            (
                &[
                    ("host", "localhost:3000"),
                    ("x-forwarded-proto", "HTTPS, http"),
                    ("x-forwarded-host", "app.example.test, proxy.internal"),
                ],
                "https://app.example.test/api/inngest",
            ),
            (
                &[("host", "localhost:3000"), ("x-forwarded-proto", "gopher")],
                "http://localhost:3000/api/inngest",
            ),
            (
                &[
                    ("host", "localhost:3000"),
                    ("x-forwarded-host", "evil.test/path@x"),
                ],
                "http://localhost:3000/api/inngest",
            ),
            (&[("host", "[::1]:8080")], "http://[::1]:8080/api/inngest"),
            (&[], "http://localhost:8080/api/inngest"),
        ];

        for (headers, expected) in cases {
            let url = app_url(&config(&[]), &seen(headers));

            assert_eq!(url, *expected, "{headers:?}");
        }
    }

    #[test]
    fn puts_configured_origin_and_path_before_the_request() {
        let forwarded: Headers = &[("host", "localhost:3000"), ("x-forwarded-host", "a.test")];
        let cases: &[(&'static [(&'static str, &'static str)], &str)] = &[
            (
                &[("INNGEST_SERVE_ORIGIN", "http://portal:3000")],
                "http://portal:3000/api/inngest",
            ),
            (
                &[("INNGEST_SERVE_ORIGIN", "app.example.test")],
                "https://app.example.test/api/inngest",
            ),
            (
                &[("INNGEST_SERVE_PATH", "/svc/inngest")],
                "http://a.test/svc/inngest",
            ),
            (
                &[
                    ("INNGEST_SERVE_ORIGIN", "https://app.example.test/"),
                    ("INNGEST_SERVE_PATH", "svc/inngest"),
                ],
                "https://app.example.test/svc/inngest",
            ),
        ];

        for (vars, expected) in cases {
            let url = app_url(&config(vars), &seen(forwarded));

            assert_eq!(url, *expected, "{vars:?}");
        }
    }

    #[test]
    fn reads_the_url_of_an_in_band_sync() {
        let cases = [
            (
                "https://app.example.test/api/inngest?x=1",
                Some(("https", "app.example.test", "/api/inngest")),
            ),
            ("http://h:3000", Some(("http", "h:3000", "/"))),
            ("ftp://h/x", None),
            ("not a url", None),
            ("http://a b/x", None),
        ];

        for (url, expected) in cases {
            let expected = expected.map(|(scheme, host, path)| Seen {
                scheme: scheme.to_owned(),
                host: host.to_owned(),
                path: path.to_owned(),
            });

            assert_eq!(Seen::from_url(url), expected, "{url}");
        }
    }
}
