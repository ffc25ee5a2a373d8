//! A plain blocking HTTP client for the serve endpoint, with Inngest's request signatures.

use std::io::Read;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use switchyard_runtime::signature::SigningKey;

use crate::servers::Server;

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What a server answered.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Header names in lowercase with their values.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Reply {
    /// The value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON: `null` when empty, a string when it is not JSON.
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&self.body).into_owned()))
    }
}

/// One request to the serve endpoint.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `PUT`, `POST`, ...
    pub method: &'static str,
    /// The query string without `?`.
    pub query: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body bytes; empty for none.
    pub body: Vec<u8>,
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: &'static str, query: impl Into<String>) -> Request {
        Request {
            method,
            query: query.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets a JSON body in JCS canonical form, as Inngest sends it.
    pub fn json(mut self, body: &Value) -> Request {
        self.body = serde_jcs::to_vec(body).expect("a JSON value is canonicalizable");
        self.headers
            .push(("Content-Type".to_owned(), "application/json".to_owned()));
        self
    }

    /// Signs the body with `key` at the current time.
    pub fn signed(self, key: &SigningKey) -> Request {
        self.signed_at(key, now())
    }

    /// Signs the body with `key` at `timestamp` (Unix seconds).
    pub fn signed_at(self, key: &SigningKey, timestamp: u64) -> Request {
        let value = key.header(&self.body, timestamp);
        self.header("X-Inngest-Signature", value)
    }
}

/// The current Unix time in seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs()
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    // No pooled connections: Node closes idle keep-alive sockets after five seconds, and a
    // request that reuses one just as it closes fails with a reset on a busy machine.
    AGENT.get_or_init(|| {
        ureq::AgentBuilder::new()
            .timeout(REQUEST_TIMEOUT)
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .build()
    })
}

/// Sends `request` to `server` and returns its answer, whatever the status.
///
/// # Panics
///
/// Panics with the server's log when the request cannot be made at all.
pub fn send(server: &Server, request: &Request) -> Reply {
    let mut call = agent().request(request.method, &server.url(&request.query));
    for (name, value) in &request.headers {
        call = call.set(name, value);
    }
    let result = if request.body.is_empty() {
        call.call()
    } else {
        call.send_bytes(&request.body)
    };

    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!(
            "{} {} to {} failed: {error}\n{}",
            request.method,
            request.query,
            server.kind.name(),
            server.log_tail()
        ),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .flat_map(|name| {
            let values: Vec<String> = response.all(&name).into_iter().map(str::to_owned).collect();
            let name = name.to_ascii_lowercase();
            values.into_iter().map(move |value| (name.clone(), value))
        })
        .collect();
    let mut body = Vec::new();
    response
        .into_reader()
        .take(16 << 20)
        .read_to_end(&mut body)
        .expect("the response body can be read");

    Reply {
        status,
        headers,
        body,
    }
}
