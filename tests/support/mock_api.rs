//! A stand-in for Inngest's API and event API on 127.0.0.1: it records every request and
//! answers what the test tells it to.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;

/// One request the mock received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, such as `/fn/register`.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Headers by lowercase name.
    pub headers: HashMap<String, String>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the recorded body is JSON")
    }

    /// A header by name, any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

type Responder = dyn Fn(&Recorded) -> (u16, Value) + Send + Sync;

struct Shared {
    requests: Mutex<Vec<Recorded>>,
    responder: Box<Responder>,
}

/// A running mock; stop it with [`MockApi::stop`].
pub struct MockApi {
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

impl MockApi {
    /// Starts a mock that answers each request with `responder`'s status and JSON body.
    pub async fn start(
        responder: impl Fn(&Recorded) -> (u16, Value) + Send + Sync + 'static,
    ) -> MockApi {
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            responder: Box::new(responder),
        });
        let data = web::Data::from(Arc::clone(&shared));

        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                .default_service(web::to(record))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("the mock binds a loopback port");
        let origin = format!("http://{}", server.addrs()[0]);
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);

        MockApi {
            origin,
            shared,
            handle,
        }
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

async fn record(request: HttpRequest, body: Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let recorded = Recorded {
        method: request.method().to_string(),
        path: request.path().to_owned(),
        query: request.query_string().to_owned(),
        headers: request
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect(),
        body: body.to_vec(),
    };

    let (status, answer) = (shared.responder)(&recorded);
    shared.requests.lock().unwrap().push(recorded);
    let status = actix_web::http::StatusCode::from_u16(status).expect("a valid status");
    HttpResponse::build(status).json(answer)
}

/// An origin on 127.0.0.1 where nothing listens.
pub fn closed_origin() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("a bound address");
    drop(listener);
    format!("http://{address}")
}
