//! A stand-in for Inngest's API on loopback that records what apps send it.
//!
//! It answers `POST /fn/register` with `{"ok":true,"modified":true}`, or with 401 to a
//! bearer token the test chose to reject (to exercise the fallback key), and anything else
//! with 404. Connections are served one at a time on a background thread, which stops when
//! the mock is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request the mock received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Path and query, such as `/fn/register?deployId=d1`.
    pub target: String,
    /// Header names in lowercase, with their values, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the mock API got a non-JSON body ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    rejected_bearer: Option<String>,
}

/// The running mock; dropping it stops its thread.
pub struct MockApi {
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MockApi {
    /// Starts the mock on a free loopback port.
    pub fn start() -> MockApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port can be bound");
        listener
            .set_nonblocking(true)
            .expect("the listener can poll");
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));

        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || serve(&listener, &state, &stop))
        };

        MockApi {
            origin,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// Answers 401 to requests whose `Authorization` is `Bearer <token>` from now on.
    pub fn reject_bearer(&self, token: Option<String>) {
        lock(&self.state).rejected_bearer = token;
    }

    /// Removes and returns every request received so far.
    pub fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut lock(&self.state).requests)
    }
}

impl Drop for MockApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: &TcpListener, state: &Mutex<State>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                // A broken connection only loses that request; the test sees it missing.
                let _ = answer(stream, state);
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn answer(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);

    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;

    let recorded = Recorded {
        target,
        headers,
        body,
    };
    let (status, reply) = reply_to(&recorded, state);
    lock(state).requests.push(recorded);

    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{reply}",
        reply.len()
    )?;
    stream.flush()
}

fn reply_to(request: &Recorded, state: &Mutex<State>) -> (&'static str, &'static str) {
    if !request.target.starts_with("/fn/register") {
        return ("404 Not Found", r#"{"error":"not found"}"#);
    }

    let rejected = lock(state).rejected_bearer.clone();
    let bearer = request
        .header("authorization")
        .and_then(|value| value.strip_prefix("Bearer "));
    if rejected.is_some() && bearer == rejected.as_deref() {
        return ("401 Unauthorized", r#"{"error":"unauthorized"}"#);
    }
    ("200 OK", r#"{"ok":true,"modified":true}"#)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
