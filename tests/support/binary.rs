//! Running the built `switchyard` binary: commands with none of the app's variables set, each
//! in a working folder of its own, servers whose log is read until they say where they
//! listen, and plain HTTP requests to them.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// Variables that change what the binary does; commands start from none of them.
pub const CONFIG_VARS: [&str; 20] = [
    "PORT",
    "RUST_LOG",
    "SWITCHYARD_APP_ID",
    "SWITCHYARD_MAX_BODY_BYTES",
    "SWITCHYARD_ENGINE_DB",
    "INNGEST_DEV",
    "INNGEST_SIGNING_KEY",
    "INNGEST_SIGNING_KEY_FALLBACK",
    "INNGEST_EVENT_KEY",
    "INNGEST_ENV",
    "INNGEST_BASE_URL",
    "INNGEST_API_BASE_URL",
    "INNGEST_EVENT_API_BASE_URL",
    "INNGEST_SERVE_ORIGIN",
    "INNGEST_SERVE_PATH",
    "INNGEST_ALLOW_IN_BAND_SYNC",
    "INNGEST_ENABLE_UNAUTHED_SYNC",
    "CONFORMANCE_STEP_LOG",
    "HTTP_PROXY",
    "http_proxy",
];

/// How long a server may take to say where it listens on a busy machine.
const STARTUP: Duration = Duration::from_secs(60);

/// An empty folder named after the test, in Cargo's scratch folder for tests.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch folder is writable");
    dir
}

/// `switchyard <args>` run in `dir`, with only `vars` of the app's variables set.
pub fn command(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchyard"));
    for name in CONFIG_VARS {
        command.env_remove(name);
    }
    command
        .current_dir(dir)
        .args(args)
        .envs(vars.iter().copied());
    command
}

/// Runs `switchyard <args>` in `dir` to the end.
pub fn run(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    command(dir, args, vars)
        .stdin(Stdio::null())
        .output()
        .expect("the switchyard binary runs")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A running `switchyard serve`, killed when dropped, even by a failing assertion.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    /// The log lines up to and including the one that says where it serves.
    pub startup: Vec<String>,
    /// Later log lines, as they come.
    pub lines: Receiver<String>,
}

impl Server {
    /// Starts `switchyard serve` on a free loopback port in `dir` with `vars`, and waits
    /// until it listens.
    ///
    /// # Panics
    ///
    /// Panics with the log so far when it does not say where it serves in time.
    pub fn start(dir: &Path, vars: &[(&str, &str)]) -> Server {
        let mut child = command(dir, &["serve", "--port", "0"], vars)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the switchyard binary starts");
        let lines = log_lines(child.stderr.take().expect("piped stderr"));

        let deadline = Instant::now() + STARTUP;
        let mut startup = Vec::new();
        let origin = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = lines.recv_timeout(left) else {
                let _ = child.kill();
                panic!("the server did not say where it serves: {startup:#?}");
            };
            let origin = line
                .contains("serving app")
                .then(|| origin_in(&line))
                .flatten();
            startup.push(line);
            if let Some(origin) = origin {
                break origin;
            }
        };

        Server {
            child,
            origin,
            startup,
            lines,
        }
    }

    /// The next log line that contains `text`, waiting at most `timeout`.
    pub fn wait_for_line(&self, text: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).ok()?;
            if line.contains(text) {
                return Some(line);
            }
        }
    }

    /// `origin` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Ends the process at once with SIGKILL, as `kill -9` does, and waits for it.
    pub fn kill(&mut self) {
        // Killing a process that already ended fails; there is nothing left to do then.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends the lines of `stream` through a channel, so that reading them can time out; the
/// thread keeps reading to the end, so the process never blocks on a full pipe.
pub fn log_lines(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            // A test that stopped listening still needs the pipe drained.
            let _ = sender.send(line);
        }
    });
    receiver
}

/// The `http://host:port` origin of the first URL in a log line.
fn origin_in(line: &str) -> Option<String> {
    let start = line.find("http://")?;
    let rest = &line[start + "http://".len()..];
    let end = rest.find('/')?;
    Some(format!("http://{}", &rest[..end]))
}

/// The status and body of a request, whatever the status.
///
/// # Panics
///
/// Panics when no answer arrives.
pub fn http(method: &str, url: &str, body: Option<&str>) -> (u16, String) {
    let request = ureq::request(method, url).timeout(Duration::from_secs(60));
    let result = match body {
        Some(body) => request
            .set("content-type", "application/json")
            .send_string(body),
        None => request.call(),
    };

    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("{method} {url} failed: {error}"),
    };
    let status = response.status();
    let text = response.into_string().expect("a readable body");
    (status, text)
}

/// The JSON body of a request that must answer 200.
///
/// # Panics
///
/// Panics when the status is not 200 or the body is not JSON.
pub fn get_json(url: &str) -> serde_json::Value {
    let (status, body) = http("GET", url, None);
    assert_eq!(status, 200, "GET {url}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|error| panic!("GET {url}: {error}: {body}"))
}
