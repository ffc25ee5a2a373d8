//! Starting the two servers under test: our binary and the JS peer in `tests/peer`.
//!
//! Each runs as a child process on its own free loopback port, with a clean environment
//! plus the variables a test gives. A [`Server`] kills its process when dropped, so both
//! stop even when an assertion fails half way.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long `npm ci` may take to install the peer's packages.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);

/// Which implementation a server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Our binary.
    Ours,
    /// The official JS SDK serving `tests/peer/server.js`.
    Peer,
}

impl Kind {
    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ours => "switchyard",
            Kind::Peer => "js-peer",
        }
    }
}

/// A running server; dropping it kills the process.
pub struct Server {
    /// Which implementation runs.
    pub kind: Kind,
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// The serve endpoint's URL with `query` (without `?`) appended when not empty.
    pub fn url(&self, query: &str) -> String {
        if query.is_empty() {
            format!("{}/api/inngest", self.origin)
        } else {
            format!("{}/api/inngest?{query}", self.origin)
        }
    }

    /// The end of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Killing an exited process fails harmlessly; either way reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts our binary serving `app_id` with `vars` set.
pub fn start_ours(app_id: &str, vars: &[(&str, &str)]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchyard"));
    command.args(["--app-id", app_id, "serve"]);
    start(Kind::Ours, command, app_id, vars)
}

/// Starts the JS peer serving `app_id` with `vars` set, installing its packages first if
/// needed.
pub fn start_peer(app_id: &str, vars: &[(&str, &str)]) -> Server {
    install_peer();
    let mut command = Command::new("node");
    command.arg("server.js").current_dir(peer_dir());
    start(Kind::Peer, command, app_id, vars)
}

fn start(kind: Kind, mut command: Command, app_id: &str, vars: &[(&str, &str)]) -> Server {
    let port = free_port();
    let log = scratch(&format!("differential-{}-{port}.log", kind.name()));
    let output = File::create(&log).expect("the scratch folder is writable");

    clean_env(&mut command);
    command
        .env("PORT", port.to_string())
        .env("SWITCHYARD_APP_ID", app_id)
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(output.try_clone().expect("the log file can be shared"))
        .stderr(output);
    let child = command
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", kind.name()));

    let mut server = Server {
        kind,
        origin: format!("http://127.0.0.1:{port}"),
        child,
        log,
    };
    wait_until_listening(&mut server, port);
    server
}

/// Empties the environment but for what finding programs needs, so no Inngest variable of
/// the caller leaks into a server.
fn clean_env(command: &mut Command) {
    command.env_clear();
    for name in ["PATH", "HOME", "SYSTEMROOT", "TMPDIR"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
}

fn wait_until_listening(server: &mut Server, port: u16) {
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!(
                "{} exited with {status} before listening:\n{}",
                server.kind.name(),
                server.log_tail()
            );
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "{} did not listen on port {port} within {START_TIMEOUT:?}:\n{}",
        server.kind.name(),
        server.log_tail()
    );
}

/// A port that was free a moment ago on the loopback interface.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a loopback port can be bound")
        .port()
}

/// The folder of the JS peer app.
pub fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peer")
}

/// Installs the peer's locked packages with `npm ci` once per test process, unless they
/// are already there.
///
/// # Panics
///
/// Panics with what to install when npm is missing, and with npm's output when it fails.
pub fn install_peer() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let dir = peer_dir();
        if dir.join("node_modules/inngest/package.json").is_file() {
            return;
        }

        let npm_works = Command::new("npm")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        assert!(
            npm_works,
            "the differential tests need Node.js 20+ and npm on PATH to install the official \
             Inngest SDK into tests/peer (npm ci); install them and run the tests again"
        );

        let log = scratch("differential-npm-ci.log");
        let output = File::create(&log).expect("the scratch folder is writable");
        let mut child = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("the log file can be shared"))
            .stderr(output)
            .spawn()
            .expect("npm starts");
        let deadline = Instant::now() + INSTALL_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().expect("npm can be waited for") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("npm ci took over {INSTALL_TIMEOUT:?}:\n{}", log_tail(&log));
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        assert!(status.success(), "npm ci failed:\n{}", log_tail(&log));
    });
}

/// A path in Cargo's scratch folder for tests.
pub fn scratch(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
