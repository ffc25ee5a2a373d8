//! The `switchyard` binary: `functions`, `functions --json`, `invoke` (including every sample
//! event shipped under `features/`), `send`, and `serve` as the default command.
//!
//! Samples follow one convention: `features/<feature>/samples/<function-id>.json`, or
//! `<function-id>--<suffix>.json` when a function has several, each holding one full event
//! `{"name": ..., "data": ...}`. A sample whose event is one of the function's `cancel_on`
//! events cancels runs rather than starting one.

mod support {
    pub mod binary;
}

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};
use support::binary::log_lines;
use switchyard::registry::REGISTRY;
use switchyard::runtime::{hash_step_id, FunctionEntry, Trigger};
use switchyard::summary::summaries;

const SIGN_UP: &str = "sign-up-welcome-email";

/// `switchyard <args>` with only `vars` of the app's variables set, in a scratch folder and
/// with the embedded engine's database in memory unless `vars` say otherwise, so that no
/// database lands in the repository (`tests/cli_engine.rs` tests the engine's files).
fn command(args: &[&str], vars: &[(&str, &str)]) -> Command {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-work");
    std::fs::create_dir_all(&dir).expect("the scratch folder is writable");
    let mut all = vec![("SWITCHYARD_ENGINE_DB", ":memory:")];
    all.extend_from_slice(vars);
    support::binary::command(&dir, args, &all)
}

fn switchyard(args: &[&str], vars: &[(&str, &str)]) -> Output {
    command(args, vars)
        .stdin(Stdio::null())
        .output()
        .expect("the switchyard binary runs")
}

/// Runs `switchyard invoke <id> --event <event>` with `extra` arguments.
fn invoke(id: &str, event: &Path, extra: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut args = vec![
        "invoke",
        id,
        "--event",
        event.to_str().expect("a UTF-8 path"),
    ];
    args.extend_from_slice(extra);
    switchyard(&args, vars)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}):\n{}\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// Writes `contents` to a file named after the test, in Cargo's scratch folder for tests.
fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}.json"));
    std::fs::write(&path, contents).expect("the scratch folder is writable");
    path
}

/// The shipped sample event of the sign-up function, so these tests follow its data type.
fn sign_up_event() -> String {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("features/auth/samples")
        .join(format!("{SIGN_UP}.json"));
    std::fs::read_to_string(&sample).expect("the sign-up sample event exists")
}

#[test]
fn functions_prints_one_table_row_per_function() {
    let output = switchyard(&["functions"], &[]);

    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<_> = text.lines().collect();
    assert!(lines[0].starts_with("ID "), "{text}");
    assert!(lines[0].contains("TRIGGERS"), "{text}");
    for (entry, line) in REGISTRY.functions().iter().zip(&lines[1..]) {
        assert!(line.starts_with(&format!("{} ", entry.id())), "{line}");
        assert!(line.ends_with(entry.source), "{line}");
    }
    let footer = format!("{} function", REGISTRY.len());
    assert_eq!(lines.len(), REGISTRY.len() + 3, "{text}");
    assert!(lines[lines.len() - 1].starts_with(&footer), "{text}");
}

#[test]
fn functions_json_describes_every_function_with_the_documented_fields() {
    let output = switchyard(&["functions", "--json", "--app-id", "demo-app"], &[]);

    assert!(output.status.success(), "{}", stderr(&output));
    let json = stdout_json(&output);
    let items = json.as_array().expect("a JSON array");
    assert_eq!(items.len(), REGISTRY.len());
    for item in items {
        assert_function_item(item);
    }
    assert_eq!(
        json,
        serde_json::to_value(summaries(&REGISTRY, "demo-app")).unwrap()
    );
}

fn assert_function_item(item: &Value) {
    let id = item["id"].as_str().expect("id is a string");
    let source = item["source"].as_str().expect("source is a string");

    assert!(
        item["name"].as_str().is_some_and(|name| !name.is_empty()),
        "{item}"
    );
    assert!(item["feature"].as_str().is_some(), "{item}");
    assert_eq!(item["composite_id"], format!("demo-app-{id}"), "{item}");
    assert!(
        source.starts_with("features/") && !source.contains('\\'),
        "{item}"
    );
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(source).is_file(),
        "{item}"
    );
    assert!(
        item["retries"].is_null() || item["retries"].is_u64(),
        "{item}"
    );
    assert!(item["effective_retries"].is_u64(), "{item}");
    assert!(
        item["concurrency"].is_null() || item["concurrency"]["limit"].is_u64(),
        "{item}"
    );

    let triggers = item["triggers"].as_array().expect("triggers is an array");
    assert!(!triggers.is_empty(), "{item}");
    for trigger in triggers {
        let object = trigger.as_object().expect("a trigger object");
        let keys: Vec<_> = object.keys().map(String::as_str).collect();
        let valid = matches!(keys.as_slice(), ["cron"] | ["event"] | ["event", "if"]);
        assert!(valid, "trigger {trigger} of {id}");
    }
}

#[test]
fn invoke_json_reports_output_steps_and_deliveries() {
    let event = temp_file("invoke-json", &sign_up_event());

    let output = invoke(SIGN_UP, &event, &["--json"], &[]);

    assert!(output.status.success(), "{}", stderr(&output));
    let report = stdout_json(&output);
    assert_eq!(report["function"], SIGN_UP);
    assert_eq!(report["event"], "auth/user.signed-up");
    assert_eq!(report["ok"], true);
    assert_eq!(report["error"], Value::Null);
    assert!(!report["output"].is_null(), "{report}");
    let steps = report["steps"].as_array().expect("a list of steps");
    assert!(!steps.is_empty(), "{report}");
    for step in steps {
        let id = step["id"].as_str().expect("a step id");
        assert_eq!(step["hashed_id"], hash_step_id(id), "{step}");
    }
    let deliveries = report["deliveries"]
        .as_array()
        .expect("a list of deliveries");
    assert!(
        deliveries
            .iter()
            .any(|delivery| delivery["channel"] == "email"),
        "{report}"
    );
}

#[test]
fn invoke_prints_the_same_run_readably() {
    let event = temp_file("invoke-text", &sign_up_event());

    let json = stdout_json(&invoke(SIGN_UP, &event, &["--json"], &[]));
    let output = invoke(SIGN_UP, &event, &[], &[]);

    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with(&format!(
        "function  {SIGN_UP}\nevent     auth/user.signed-up\n"
    )));
    for (number, step) in (1..).zip(json["steps"].as_array().unwrap()) {
        let line = format!(
            "  {number}. {} ({})",
            step["id"].as_str().unwrap(),
            step["op"].as_str().unwrap()
        );
        assert!(text.contains(&line), "{line:?} in\n{text}");
    }
    for (number, delivery) in (1..).zip(json["deliveries"].as_array().unwrap()) {
        let channel = delivery["channel"].as_str().unwrap();
        let line = format!(
            "  {number}. {channel} to {}: ",
            delivery["to"].as_str().unwrap()
        );
        assert!(text.contains(&line), "{line:?} in\n{text}");
    }
    let output_json = serde_json::to_string_pretty(&json["output"]).unwrap();
    let indented: String = output_json
        .lines()
        .map(|line| format!("  {line}\n"))
        .collect();
    assert!(text.ends_with(&format!("\noutput\n{indented}")), "{text}");
}

#[test]
fn invoke_accepts_the_id_prefixed_with_the_app_id() {
    let event = temp_file("invoke-composite", &sign_up_event());
    let default_app = format!("switchyard-{SIGN_UP}");
    let demo_app = format!("demo-app-{SIGN_UP}");

    let runs = [
        invoke(&default_app, &event, &[], &[]),
        invoke(&demo_app, &event, &["--app-id", "demo-app"], &[]),
        invoke(&demo_app, &event, &[], &[("SWITCHYARD_APP_ID", "demo-app")]),
    ];

    for output in runs {
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(stdout(&output).starts_with(&format!("function  {SIGN_UP}\n")));
    }
}

#[test]
fn invoke_of_an_unknown_id_names_it_and_exits_2() {
    let event = temp_file("invoke-unknown", &sign_up_event());

    let output = invoke("no-such-function", &event, &[], &[]);

    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let message = stderr(&output);
    assert!(
        message.contains("no function with id `no-such-function`"),
        "{message}"
    );
    assert!(message.contains("switchyard functions"), "{message}");
}

#[test]
fn invoke_names_the_event_file_at_fault_and_exits_2() {
    let malformed = "{\n  \"name\": \"auth/user.signed-up\",\n  \"data\": {\n}\n";
    let cases = [
        (
            "malformed",
            Some(malformed),
            "malformed event file",
            "line 5 column 0",
        ),
        (
            "nameless",
            Some(r#"{"data": {"user_id": "u"}}"#),
            "malformed event file",
            "missing field `name`",
        ),
        (
            "empty-name",
            Some(r#"{"name": " ", "data": {}}"#),
            "event file",
            "field `name` is empty",
        ),
        (
            "missing",
            None,
            "cannot read event file",
            "cli-no-such-event.json",
        ),
    ];

    for (name, contents, problem, detail) in cases {
        let path = match contents {
            Some(contents) => temp_file(&format!("invoke-{name}"), contents),
            None => Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-no-such-event.json"),
        };

        let output = invoke(SIGN_UP, &path, &[], &[]);

        assert_eq!(output.status.code(), Some(2), "{name}");
        assert!(output.stdout.is_empty(), "{name}");
        let message = stderr(&output);
        assert!(
            message.contains(&format!("{problem} {}", path.display())),
            "{message}"
        );
        assert!(message.contains(detail), "{message}");
    }
}

#[test]
fn invoke_exits_1_when_the_function_fails() {
    let data = json!({"name": "auth/user.signed-up", "data": 42});
    let event = temp_file("invoke-failing", &data.to_string());

    let output = invoke(SIGN_UP, &event, &["--json"], &[]);

    assert_eq!(output.status.code(), Some(1));
    let report = stdout_json(&output);
    assert_eq!(report["ok"], false);
    assert_eq!(report["output"], Value::Null);
    assert_eq!(report["error"]["name"], "NonRetriableError");
    assert_eq!(report["error"]["retriable"], false);
    let message = stderr(&output);
    assert!(
        message.contains(&format!("function `{SIGN_UP}` failed")),
        "{message}"
    );
    assert!(
        message.contains("invalid data: invalid type: integer `42`"),
        "{message}"
    );
}

/// One sample event file and the function it is for.
struct Sample {
    path: PathBuf,
    feature: String,
    function_id: String,
}

/// Every `features/**/samples/*.json`, sorted by path.
fn samples() -> Vec<Sample> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("features");
    let mut folders = vec![root.clone()];
    let mut found = Vec::new();

    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).expect("feature folders are readable");
        for entry in entries.map(|entry| entry.expect("a readable folder entry")) {
            let path = entry.path();
            let is_sample = path.extension().is_some_and(|ext| ext == "json")
                && folder.file_name().is_some_and(|name| name == "samples");
            if entry.file_type().expect("a file type").is_dir() {
                folders.push(path);
            } else if is_sample {
                found.push(sample(&root, path));
            }
        }
    }

    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

fn sample(root: &Path, path: PathBuf) -> Sample {
    let stem = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .expect("a UTF-8 name");
    let function_id = stem.split_once("--").map_or(stem, |(id, _)| id).to_owned();
    let folder = path
        .parent()
        .and_then(Path::parent)
        .expect("samples/ has a parent");
    let feature = folder.strip_prefix(root).expect("under features/");
    let feature = feature.to_str().expect("a UTF-8 path").replace('\\', "/");

    Sample {
        path,
        feature,
        function_id,
    }
}

#[test]
fn invoke_succeeds_on_every_sample_event() {
    let samples = samples();
    assert!(
        !samples.is_empty(),
        "no sample events under features/*/samples/"
    );

    for sample in &samples {
        let name = sample.path.display();
        let entry = REGISTRY
            .get(&sample.function_id)
            .unwrap_or_else(|| panic!("{name}: no function `{}`", sample.function_id));
        assert_eq!(
            entry.feature, sample.feature,
            "{name}: sample in the wrong feature"
        );
        // A cancellation sample cancels runs of its function; it starts none.
        let event_name = sample_event_name(&sample.path);
        if entry.config.cancel_on.iter().any(|c| c.event == event_name) {
            continue;
        }

        let output = invoke(entry.id(), &sample.path, &["--json"], &[]);

        assert!(output.status.success(), "{name}:\n{}", stderr(&output));
        let report = stdout_json(&output);
        assert_eq!(report["ok"], true, "{name}");
        assert!(
            triggers_accept(entry, report["event"].as_str().unwrap()),
            "{name}: event name"
        );
    }
}

#[test]
fn ships_a_sample_for_every_event_trigger() {
    let samples = samples();

    let mut missing = Vec::new();
    for entry in REGISTRY.functions() {
        let names: Vec<String> = samples
            .iter()
            .filter(|sample| sample.function_id == entry.id())
            .map(|sample| sample_event_name(&sample.path))
            .collect();
        for event in entry.config.triggers.iter().filter_map(Trigger::event_name) {
            let covered = names.iter().any(|name| event_accepts(event, name));
            if !covered {
                missing.push(format!("{} ({event})", entry.id()));
            }
        }
    }

    assert!(
        missing.is_empty(),
        "functions without a sample event: {missing:?}"
    );
}

fn sample_event_name(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("a readable sample");
    let event: Value = serde_json::from_str(&text).expect("a JSON sample");
    event["name"]
        .as_str()
        .expect("a sample with a name")
        .to_owned()
}

/// Whether an event of this name can start `entry`: a trigger names it (a trailing `*`
/// matches any rest), or the function runs on a schedule and the event is the timer's.
fn triggers_accept(entry: &FunctionEntry, name: &str) -> bool {
    entry.config.triggers.iter().any(|trigger| match trigger {
        Trigger::Event { event, .. } => event_accepts(event, name),
        Trigger::Cron { .. } => name == switchyard::runtime::SCHEDULED_TIMER_EVENT,
    })
}

fn event_accepts(trigger: &str, name: &str) -> bool {
    match trigger.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => trigger == name,
    }
}

/// A running `switchyard` process, stopped when dropped, even by a failing assertion.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        // The process may have exited already; then there is nothing to stop.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serves_by_default_on_the_port_from_the_environment() {
    let child = command(&[], &[("PORT", "0")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the switchyard binary starts");
    let mut server = Running(child);
    let lines = log_lines(server.0.stderr.take().expect("piped stderr"));

    let mut startup = Vec::new();
    while startup.len() < 20 {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no serving line in the startup log: {startup:#?}"));
        startup.push(line);
        if startup
            .last()
            .is_some_and(|line| line.contains("serving app"))
        {
            break;
        }
    }
    let serving = startup.last().cloned().unwrap_or_default();
    let url = serve_url(&serving).unwrap_or_else(|| panic!("no URL in {serving:?}"));
    let response = http_get(&url);
    drop(server);

    let registered = format!("registered {} function", REGISTRY.len());
    let registered_lines = startup.iter().filter(|line| line.contains(&registered));
    assert_eq!(registered_lines.count(), 1, "{startup:#?}");
    assert!(serving.contains("serving app `switchyard`"), "{serving}");
    assert!(serving.contains("in dev mode"), "{serving}");
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let body: Value = serde_json::from_str(body).expect("a JSON body");
    assert_eq!(body["function_count"], REGISTRY.inngest_function_count());
}

/// The `http://host:port/api/inngest` address in the serving line.
fn serve_url(line: &str) -> Option<String> {
    let start = line.find("http://")?;
    let url = line[start..].split_whitespace().next()?;
    Some(url.trim_end_matches(',').to_owned())
}

fn http_get(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (address, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = TcpStream::connect(address).expect("the server accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();

    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .expect("the request is sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("a response");
    response
}

#[test]
fn serve_reports_an_address_in_use() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = taken.local_addr().unwrap().port().to_string();

    let output = switchyard(&["serve", "--port", &port], &[]);

    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{message}"
    );
}

#[test]
fn rejects_a_port_that_is_not_a_number() {
    let output = switchyard(&["functions"], &[("PORT", "http")]);
    let serve = switchyard(&[], &[("PORT", "http")]);

    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(serve.status.code(), Some(2));
    assert!(
        stderr(&serve).contains("invalid PORT `http`"),
        "{}",
        stderr(&serve)
    );
}

#[test]
fn rejects_a_blank_app_id() {
    let output = switchyard(&["functions", "--app-id", " "], &[]);

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("app id is empty"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn refuses_to_serve_in_cloud_mode_without_a_signing_key() {
    let serve = switchyard(&[], &[("INNGEST_DEV", "0")]);
    let functions = switchyard(&["functions"], &[("INNGEST_DEV", "0")]);

    assert_eq!(serve.status.code(), Some(2));
    assert!(
        stderr(&serve).contains("set INNGEST_SIGNING_KEY"),
        "{}",
        stderr(&serve)
    );
    assert!(functions.status.success(), "{}", stderr(&functions));
}

/// Answers one HTTP request on 127.0.0.1 with `status` and `body`, and hands back the
/// request as text.
fn answer_once(status: &'static str, body: &'static str) -> (String, thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let origin = format!("http://{}", listener.local_addr().unwrap());

    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("a connection");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let request = read_request(&mut stream);
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(response.as_bytes())
            .expect("the answer is sent");
        request
    });
    (origin, handle)
}

/// Reads one request: the head, then as many body bytes as `Content-Length` says.
fn read_request(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        let read = stream.read(&mut buffer).expect("the request arrives");
        bytes.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let Some(end) = text.find("\r\n\r\n") else {
            assert!(read > 0, "the connection closed mid-head");
            continue;
        };
        let length = text[..end]
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        if read == 0 || bytes.len() >= end + 4 + length {
            return text;
        }
    }
}

#[test]
fn sends_an_event_and_prints_its_ids() {
    let (origin, request) = answer_once("200 OK", r#"{"ids":["01HSENT"],"status":200}"#);
    let vars = [
        ("INNGEST_DEV", "1"),
        ("INNGEST_EVENT_API_BASE_URL", origin.as_str()),
        ("INNGEST_EVENT_KEY", "evtkey123"),
    ];

    let output = switchyard(
        &["send", "app/user.created", "--data", r#"{"id":7}"#],
        &vars,
    );
    let request = request.join().expect("the mock thread ends");

    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "01HSENT\n");
    assert!(
        request.starts_with("POST /e/evtkey123 HTTP/1.1"),
        "{request}"
    );
    assert!(
        request.ends_with(r#"[{"name":"app/user.created","data":{"id":7}}]"#),
        "{request}"
    );
}

#[test]
fn reports_a_refused_event_without_the_key() {
    let (origin, request) = answer_once("401 Unauthorized", r#"{"error":"Event key not found"}"#);
    let vars = [
        ("INNGEST_DEV", "1"),
        ("INNGEST_EVENT_API_BASE_URL", origin.as_str()),
        ("INNGEST_EVENT_KEY", "evtkey123"),
    ];

    let output = switchyard(&["send", "app/x"], &vars);
    request.join().expect("the mock thread ends");

    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("answered 401: Event key not found"),
        "{message}"
    );
    assert!(!message.contains("evtkey123"), "{message}");
}

#[test]
fn refuses_to_send_malformed_events() {
    type Vars = &'static [(&'static str, &'static str)];
    let cases: [(&[&str], Vars, i32, &str); 3] = [
        (
            &["send", "app/x", "--data", "[1]"],
            &[],
            2,
            "must be a JSON object",
        ),
        (
            &["send", "app/x", "--data", "{"],
            &[],
            2,
            "--data is not JSON",
        ),
        (
            &["send", "app/x"],
            &[("INNGEST_DEV", "0")],
            1,
            "set INNGEST_EVENT_KEY",
        ),
    ];

    for (args, vars, code, expected) in cases {
        let output = switchyard(args, vars);

        assert_eq!(output.status.code(), Some(code), "{args:?}");
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    }
}
