//! The binary with its embedded engine: `serve` turns it on when no Inngest server is
//! configured and refuses a database it cannot use, `send` reaches it through the running
//! server, and `runs` lists and shows its runs from the database.

mod support {
    pub mod binary;
}

use std::net::TcpListener;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::binary::{get_json, http, run, scratch_dir, stderr, stdout, Server};
use switchyard::runtime::hash_step_id;

const SEQUENTIAL: &str = "conformance-sequential";

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}):\n{}\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// The port of a server's origin, as `PORT` for `send`.
fn port_of(server: &Server) -> String {
    server.origin.rsplit(':').next().unwrap().to_owned()
}

/// Polls `switchyard runs --json <extra>` in `dir` until a run of `function` has `status`.
fn wait_for_run(dir: &Path, extra: &[&str], function: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut args = vec!["runs", "--json", "--function", function];
    args.extend_from_slice(extra);
    loop {
        let output = run(dir, &args, &[]);
        assert!(output.status.success(), "{}", stderr(&output));
        let runs = json_of(&output);
        if let Some(found) = runs.as_array().and_then(|runs| runs.first()) {
            if found["status"] == status {
                return found.clone();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no {status} run of {function}: {runs}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_runs_the_engine_on_a_database_under_the_working_directory() {
    let dir = scratch_dir("engine-default-path");

    let server = Server::start(&dir, &[]);
    let line = server.wait_for_line("embedded engine on", Duration::from_secs(30));

    let line = line.unwrap_or_else(|| panic!("no engine line after {:#?}", server.startup));
    let database = dir.join(".switchyard").join("engine.db");
    assert!(line.contains(&database.display().to_string()), "{line}");
    assert!(line.contains(&server.url("/e/<key>")), "{line}");
    assert!(database.is_file());
}

#[test]
fn serve_keeps_the_engine_off_when_an_inngest_server_is_configured() {
    let dir = scratch_dir("engine-off");

    let server = Server::start(&dir, &[("INNGEST_DEV", "1")]);
    let (runs, _) = http("GET", &server.url("/api/engine/runs"), None);
    let (events, _) = http("POST", &server.url("/e/key"), Some(r#"{"name": "a/b"}"#));
    drop(server);

    assert_eq!(runs, 404);
    assert_eq!(events, 404);
    assert!(!dir.join(".switchyard").exists(), "no database is created");
}

#[test]
fn serve_refuses_a_database_it_cannot_use_naming_the_file() {
    let dir = scratch_dir("engine-bad-database");
    std::fs::write(dir.join("junk.db"), "not a database at all ".repeat(400)).unwrap();
    std::fs::write(dir.join("plain-file"), "a file, not a folder").unwrap();
    let cases = ["junk.db", "plain-file/engine.db"];

    for path in cases {
        let output = run(
            &dir,
            &["serve", "--port", "0"],
            &[("SWITCHYARD_ENGINE_DB", path)],
        );

        assert_eq!(output.status.code(), Some(1), "{path}: {}", stderr(&output));
        let message = stderr(&output);
        assert!(
            message.contains(&format!("cannot open engine database `{path}`")),
            "{message}"
        );
        assert!(!message.contains("panicked"), "{message}");
    }
}

#[test]
fn send_and_runs_drive_a_function_end_to_end_through_the_server() {
    let dir = scratch_dir("engine-send");
    let server = Server::start(&dir, &[("SWITCHYARD_ENGINE_DB", "state/runs.db")]);
    let port = port_of(&server);
    let vars = [("PORT", port.as_str())];

    let sent = run(
        &dir,
        &[
            "send",
            "conformance/sequential",
            "--data",
            r#"{"name": "ada"}"#,
        ],
        &vars,
    );
    let database = ["--engine-db", "state/runs.db"];
    let listed = wait_for_run(&dir, &database, SEQUENTIAL, "completed");
    // `runs` reads the file the server writes, named here by the flag instead.
    let table = run(&dir, &["runs", "--engine-db", "state/runs.db"], &[]);
    let id = listed["id"].as_str().unwrap();
    let shown = run(&dir, &["--engine-db", "state/runs.db", "runs", id], &[]);
    let shown_json = run(
        &dir,
        &["runs", id, "--json", "--engine-db", "state/runs.db"],
        &[],
    );
    let served = get_json(&server.url(&format!("/api/engine/runs/{id}")));

    assert!(sent.status.success(), "{}", stderr(&sent));
    assert_eq!(stdout(&sent).lines().count(), 1, "one event id");
    assert!(table.status.success(), "{}", stderr(&table));
    let row = stdout(&table)
        .lines()
        .find(|line| line.starts_with(id))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no row for {id}:\n{}", stdout(&table)));
    assert!(
        row.contains(&format!("  {SEQUENTIAL}  completed  1 ")),
        "{row}"
    );
    let text = stdout(&shown);
    assert!(text.starts_with(&format!("run       {id}\nfunction  {SEQUENTIAL}\n")));
    assert!(text.contains("status    completed\n"), "{text}");
    assert!(text.contains("\nsteps (3)\n"), "{text}");
    let first_step = format!("  1. {}  {{\"data\":\"hello ada\"}}", hash_step_id("greet"));
    assert!(text.contains(&first_step), "{text}");
    assert!(text.contains("\noutput\n"), "{text}");
    assert_eq!(
        json_of(&shown_json),
        served,
        "the CLI and the endpoint agree"
    );
}

/// `switchyard runs` reads the server's database from the same working directory.
#[test]
fn runs_lists_what_the_running_server_stored_by_default() {
    let dir = scratch_dir("engine-runs-default");
    let server = Server::start(&dir, &[]);
    let events = r#"[{"name": "conformance/sequential", "data": {"name": "a"}},
                     {"name": "conformance/sleep", "data": {}}]"#;

    let (status, body) = http("POST", &server.url("/e/key"), Some(events));
    wait_for_run(&dir, &[], "conformance-sleep", "sleeping");
    let sleeping = run(&dir, &["runs", "--status", "sleeping"], &[]);
    let limited = run(&dir, &["runs", "--json", "--limit", "1"], &[]);

    assert_eq!(status, 200, "{body}");
    let text = stdout(&sleeping);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("RUN ID"), "{text}");
    assert!(lines[1].contains("conformance-sleep  sleeping"), "{text}");
    assert!(
        lines[1].ends_with(" -"),
        "no duration while sleeping: {text}"
    );
    assert_eq!(lines[3], "1 run, newest first");
    assert_eq!(json_of(&limited).as_array().map(Vec::len), Some(1));
}

#[test]
fn runs_refuses_what_it_cannot_show() {
    let empty = scratch_dir("engine-runs-none");
    let with_database = scratch_dir("engine-runs-some");
    drop(Server::start(&with_database, &[]));
    type Vars<'a> = &'a [(&'a str, &'a str)];
    let cases: [(&Path, &[&str], Vars, &str); 5] = [
        (
            &empty,
            &["runs"],
            &[],
            "no engine database at .switchyard/engine.db",
        ),
        (
            &empty,
            &["runs"],
            &[("SWITCHYARD_ENGINE_DB", ":memory:")],
            "the engine database is in memory",
        ),
        (
            &with_database,
            &["runs", "01NOSUCHRUN"],
            &[],
            "no run with id `01NOSUCHRUN`",
        ),
        (
            &with_database,
            &["runs", "--limit", "0"],
            &[],
            "--limit <N>",
        ),
        (
            &with_database,
            &["runs", "--status", "done"],
            &[],
            "[possible values: queued,",
        ),
    ];

    for (dir, args, vars, expected) in cases {
        let output = run(dir, args, vars);

        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn send_reports_what_the_engine_refuses_and_reads_data_files() {
    let dir = scratch_dir("engine-send-refused");
    let server = Server::start(&dir, &[]);
    let port = port_of(&server);
    let vars = [("PORT", port.as_str())];
    let data = dir.join("data.json");
    std::fs::write(&data, r#"{"name": "from a file"}"#).unwrap();
    let data = data.to_str().unwrap();

    let reserved = run(&dir, &["send", "inngest/function.failed"], &vars);
    let from_file = run(
        &dir,
        &["send", "conformance/sequential", "--file", data],
        &vars,
    );
    let listed = wait_for_run(&dir, &[], SEQUENTIAL, "completed");

    assert_eq!(reserved.status.code(), Some(1));
    let message = stderr(&reserved);
    assert!(
        message.contains("answered 400: event 0 field `name` uses the reserved"),
        "{message}"
    );
    assert!(from_file.status.success(), "{}", stderr(&from_file));
    assert_eq!(listed["output"]["greeting"], "hello from a file");
}

#[test]
fn send_without_a_running_server_says_to_start_one() {
    let dir = scratch_dir("engine-send-nowhere");
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port().to_string();
    drop(free);

    let output = run(&dir, &["send", "app/x"], &[("PORT", port.as_str())]);

    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains(&format!(
            "cannot reach the event API at http://127.0.0.1:{port}"
        )),
        "{message}"
    );
    assert!(message.contains("start the server first"), "{message}");
}
